//! The epoll instance itself: one owned fd, `ctl`, and one wait system call.

use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};

use crate::event::{self, Event};
use crate::interest;
use crate::pwait2;
use crate::sys::{cvt, einval, owned};
use crate::timeout::Timeout;

/// What to do to a registration, with the kernel's `EPOLL_CTL_*` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i32)]
pub(crate) enum Op {
    /// Register a new fd.
    Add = libc::EPOLL_CTL_ADD,
    /// Change the interest and data of a registered fd.
    Modify = libc::EPOLL_CTL_MOD,
    /// Remove a registration.
    Delete = libc::EPOLL_CTL_DEL,
}

impl Op {
    /// The op for a kernel `EPOLL_CTL_*` value, `None` for anything else.
    pub(crate) fn from_raw(op: i32) -> Option<Op> {
        match op {
            libc::EPOLL_CTL_ADD => Some(Op::Add),
            libc::EPOLL_CTL_MOD => Some(Op::Modify),
            libc::EPOLL_CTL_DEL => Some(Op::Delete),
            _ => None,
        }
    }
}

/// An epoll instance. Dropping it closes the fd.
#[derive(Debug)]
pub(crate) struct Epoll {
    fd: OwnedFd,
}

impl Epoll {
    /// `epoll_create1`, close-on-exec when asked.
    pub(crate) fn new(cloexec: bool) -> io::Result<Epoll> {
        let flags = if cloexec { libc::EPOLL_CLOEXEC } else { 0 };
        // SAFETY: no pointer arguments; the fd returned is new and ours.
        let fd = cvt(unsafe { libc::epoll_create1(flags) })?;
        Ok(Epoll { fd: owned(fd) })
    }

    /// Adds, modifies or deletes `fd`'s registration. Interest bits the
    /// kernel would reject (or silently ignore) are `EINVAL` up front; for a
    /// delete, `events` and `data` are ignored as the kernel ignores them.
    pub(crate) fn ctl(&self, op: Op, fd: RawFd, events: u32, data: u64) -> io::Result<()> {
        if op != Op::Delete && !interest::is_valid(events, op == Op::Modify) {
            return Err(einval());
        }
        let mut ev = libc::epoll_event { events, u64: data };
        // SAFETY: `ev` is a valid epoll_event that outlives the call (the
        // kernel copies it); a bad `fd` is reported as EBADF, not UB.
        let res = unsafe { libc::epoll_ctl(self.fd.as_raw_fd(), op as i32, fd, &mut ev) };
        cvt(res).map(drop)
    }

    /// One wait system call (see [`pwait2::wait`]), with `sigmask` as the
    /// thread's signal mask while it sleeps when given. Leaves the `n`
    /// records it returns in the kernel's layout for the caller to
    /// [`crate::event::widen`]. An empty `events` is `EINVAL`. Always
    /// inlined (see [`pwait2::wait`]).
    #[inline(always)]
    pub(crate) fn wait_kernel(
        &self,
        events: &mut [Event],
        timeout: Timeout,
        sigmask: Option<&libc::sigset_t>,
    ) -> io::Result<usize> {
        let (buf, max) = event::as_kernel_buffer(events);
        if max == 0 {
            return Err(einval());
        }
        // SAFETY: `buf` has room for `max` kernel records.
        unsafe { pwait2::wait(self.fd.as_raw_fd(), buf, max, timeout, sigmask) }
    }
}

impl Epoll {
    /// [`Epoll::wait_kernel`] with the timeout in milliseconds as
    /// `epoll_wait` takes it (< 0: none), for the one-system-call path.
    #[inline(always)]
    pub(crate) fn wait_ms(&self, events: &mut [Event], ms: libc::c_int) -> io::Result<usize> {
        let (buf, max) = event::as_kernel_buffer(events);
        if max == 0 {
            return Err(einval());
        }
        // SAFETY: `buf` has room for `max` kernel records.
        let n = cvt(unsafe { libc::epoll_wait(self.fd.as_raw_fd(), buf, max, ms) })? as usize;
        if n > max as usize {
            // SAFETY: epoll_wait(2) returns at most `maxevents` records.
            // Saying so lets the compiler drop the caller's bounds check on
            // the count, on the path of every wait.
            unsafe { std::hint::unreachable_unchecked() }
        }
        Ok(n)
    }
}

impl AsRawFd for Epoll {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

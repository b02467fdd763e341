//! The epoll instance itself: one owned fd, `ctl`, and one wait system call.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};

use crate::event::{self, Event};
use crate::features;
use crate::interest;
use crate::sys::{self, cvt, einval, owned};
use crate::timeout::Timeout;

/// What to do to a registration, with the kernel's `EPOLL_CTL_*` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i32)]
pub enum Op {
    /// Register a new fd.
    Add = libc::EPOLL_CTL_ADD,
    /// Change the interest and data of a registered fd.
    Modify = libc::EPOLL_CTL_MOD,
    /// Remove a registration.
    Delete = libc::EPOLL_CTL_DEL,
}

impl Op {
    /// The op for a kernel `EPOLL_CTL_*` value, `None` for anything else.
    pub fn from_raw(op: i32) -> Option<Op> {
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
pub struct Epoll {
    fd: OwnedFd,
}

impl Epoll {
    /// `epoll_create1`, close-on-exec when asked.
    pub fn new(cloexec: bool) -> io::Result<Epoll> {
        let flags = if cloexec { libc::EPOLL_CLOEXEC } else { 0 };
        // SAFETY: no pointer arguments; the fd returned is new and ours.
        let fd = cvt(unsafe { libc::epoll_create1(flags) })?;
        Ok(Epoll { fd: owned(fd) })
    }

    /// Adds, modifies or deletes `fd`'s registration. Interest bits the
    /// kernel would reject (or silently ignore) are `EINVAL` up front; for a
    /// delete, `events` and `data` are ignored as the kernel ignores them.
    pub fn ctl(&self, op: Op, fd: RawFd, events: u32, data: u64) -> io::Result<()> {
        if op != Op::Delete && !interest::is_valid(events, op == Op::Modify) {
            return Err(einval());
        }
        let mut ev = libc::epoll_event { events, u64: data };
        // SAFETY: `ev` is a valid epoll_event that outlives the call (the
        // kernel copies it); a bad `fd` is reported as EBADF, not UB.
        let res = unsafe { libc::epoll_ctl(self.fd.as_raw_fd(), op as i32, fd, &mut ev) };
        cvt(res).map(drop)
    }

    /// One wait system call. Writes up to `events.len()` events and returns
    /// how many. Nanosecond timeouts use `epoll_pwait2`, or `epoll_wait` with
    /// the timeout rounded up where the kernel lacks it. An empty `events` is
    /// `EINVAL`.
    #[inline]
    pub fn wait(&self, events: &mut [Event], timeout: Timeout) -> io::Result<usize> {
        let n = self.wait_kernel(events, timeout)?;
        event::widen(events, n, 0..0);
        Ok(n)
    }

    /// As [`Epoll::wait`], but leaves the `n` records in the kernel's layout
    /// for the caller to [`event::widen`].
    #[inline]
    pub(crate) fn wait_kernel(&self, events: &mut [Event], timeout: Timeout) -> io::Result<usize> {
        let (buf, max) = event::as_kernel_buffer(events);
        if max == 0 {
            return Err(einval());
        }
        if let Timeout::Nanos(ns) = timeout {
            if features::pwait2_worth_trying() {
                let ts = sys::timespec(std::time::Duration::from_nanos(ns));
                // SAFETY: `buf` has room for `max` kernel records.
                let res = unsafe { sys::epoll_pwait2(self.fd.as_raw_fd(), buf, max, Some(&ts)) };
                if features::pwait2_answered(&res) {
                    return res;
                }
            }
        }
        // SAFETY: `buf` has room for `max` kernel records.
        let res = unsafe { libc::epoll_wait(self.fd.as_raw_fd(), buf, max, timeout.as_epoll_ms()) };
        cvt(res).map(|n| n as usize)
    }
}

impl AsFd for Epoll {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl AsRawFd for Epoll {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

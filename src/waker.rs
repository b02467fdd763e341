//! A non-blocking eventfd: writing makes it readable, reading drains it.
//! Both are single system calls, safe from any thread and signal handler.

use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};

use crate::sys::{cvt, owned};

#[derive(Debug)]
pub(crate) struct Waker {
    fd: OwnedFd,
}

impl Waker {
    pub(crate) fn new() -> io::Result<Waker> {
        // SAFETY: no pointer arguments; the fd returned is new and ours.
        let fd = cvt(unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) })?;
        Ok(Waker { fd: owned(fd) })
    }

    /// Makes the eventfd readable. Wakes before a drain coalesce.
    pub(crate) fn wake(&self) -> io::Result<()> {
        let one: u64 = 1;
        // SAFETY: writes 8 bytes from a live u64, as eventfd requires.
        let res = unsafe { libc::write(self.fd.as_raw_fd(), (&one as *const u64).cast(), 8) };
        if res == -1 {
            let err = io::Error::last_os_error();
            // EAGAIN: the counter is at its maximum, so it is readable already.
            if err.raw_os_error() != Some(libc::EAGAIN) {
                return Err(err);
            }
        }
        Ok(())
    }

    /// Resets the eventfd to not readable. EAGAIN (already drained by another
    /// waiter) is not an error.
    pub(crate) fn drain(&self) {
        let mut count: u64 = 0;
        // SAFETY: reads 8 bytes into a live u64, as eventfd requires.
        unsafe { libc::read(self.fd.as_raw_fd(), (&mut count as *mut u64).cast(), 8) };
    }

    pub(crate) fn fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

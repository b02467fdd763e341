//! The few system-call helpers the core shares: errno conversion, fd
//! ownership, the monotonic clock and allocation without abort.

use std::io;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};

/// Turns the C convention (`-1` plus `errno`) into an `io::Result`.
///
/// `io::Error::last_os_error` stores the errno inline: no allocation.
pub(crate) fn cvt(res: libc::c_int) -> io::Result<libc::c_int> {
    if res == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(res)
    }
}

/// Takes ownership of an fd a successful system call just returned.
pub(crate) fn owned(fd: RawFd) -> OwnedFd {
    debug_assert!(fd >= 0);
    // SAFETY: callers pass an fd a system call has just created for us; no one
    // else holds it, so the OwnedFd is its only owner.
    unsafe { OwnedFd::from_raw_fd(fd) }
}

/// An `EINVAL` error, for arguments the core rejects before the kernel sees them.
pub(crate) fn einval() -> io::Error {
    io::Error::from_raw_os_error(libc::EINVAL)
}

/// Nanoseconds on CLOCK_MONOTONIC (vDSO, no system call on x86-64).
pub(crate) fn monotonic_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; CLOCK_MONOTONIC always exists
    // on Linux, so the call cannot fail.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    (ts.tv_sec as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(ts.tv_nsec as u64)
}

/// `Box::new` that reports allocation failure as `ENOMEM` instead of
/// aborting the host process (Rust's default on out-of-memory).
pub(crate) fn try_box<T>(value: T) -> io::Result<Box<T>> {
    let layout = std::alloc::Layout::new::<T>();
    if layout.size() == 0 {
        return Ok(Box::new(value)); // no allocation happens
    }
    // SAFETY: the layout has a non-zero size, as `alloc` requires.
    let ptr = unsafe { std::alloc::alloc(layout) }.cast::<T>();
    if ptr.is_null() {
        return Err(io::Error::from_raw_os_error(libc::ENOMEM));
    }
    // SAFETY: `ptr` is a fresh, aligned allocation for one T from the global
    // allocator with T's layout, which is exactly what Box::from_raw takes.
    unsafe {
        ptr.write(value);
        Ok(Box::from_raw(ptr))
    }
}

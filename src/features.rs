//! What the running kernel supports, probed once per process.
//!
//! Header macros describe the kernel a program was built against; these
//! bits describe the one it runs on.

use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicU32, Ordering};

use crate::pwait2;
use crate::sys::{cvt, owned};

/// `epoll_pwait2` works (Linux 5.11+, not filtered by a sandbox).
pub(crate) const PWAIT2: u32 = 1 << 0;
/// `EPOLLEXCLUSIVE` is accepted (Linux 4.5+).
pub(crate) const EXCLUSIVE: u32 = 1 << 1;

static FEATURES: AtomicU32 = AtomicU32::new(0);
const PROBED: u32 = 1 << 31;

/// The supported features as a bit set of [`PWAIT2`] and [`EXCLUSIVE`].
/// Probes the kernel on the first call (a throwaway epoll instance and
/// eventfd); later calls read a cached value.
pub(crate) fn features() -> u32 {
    let cached = FEATURES.load(Ordering::Relaxed);
    if cached & PROBED != 0 {
        return cached & !PROBED;
    }
    match probe() {
        Ok(found) => {
            FEATURES.store(found | PROBED, Ordering::Relaxed);
            found
        }
        // No fd to probe with (EMFILE, …): answer "nothing known" for now
        // and probe again next time rather than caching a wrong answer.
        Err(_) => 0,
    }
}

fn probe() -> std::io::Result<u32> {
    // SAFETY: plain system calls with no pointer arguments.
    let ep = owned(cvt(unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) })?);
    // SAFETY: as above.
    let efd = owned(cvt(unsafe { libc::eventfd(0, libc::EFD_CLOEXEC) })?);
    let mut found = 0;

    if pwait2::available(ep.as_raw_fd()) {
        found |= PWAIT2;
    }

    let mut ev = libc::epoll_event {
        events: (libc::EPOLLIN | libc::EPOLLEXCLUSIVE) as u32,
        u64: 0,
    };
    // SAFETY: `ev` is a valid epoll_event; both fds are open and ours.
    let res = unsafe {
        libc::epoll_ctl(
            ep.as_raw_fd(),
            libc::EPOLL_CTL_ADD,
            efd.as_raw_fd(),
            &mut ev,
        )
    };
    if cvt(res).is_ok() {
        found |= EXCLUSIVE;
    }
    Ok(found)
}

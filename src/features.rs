//! What the running kernel supports, probed once per process.
//!
//! Header macros describe the kernel a program was built against; these
//! bits describe the one it runs on.

use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicU32, AtomicU8, Ordering};

use crate::sys::{self, cvt, owned};

/// `epoll_pwait2` works (Linux 5.11+, not filtered by a sandbox).
pub const PWAIT2: u32 = 1 << 0;
/// `EPOLLEXCLUSIVE` is accepted (Linux 4.5+).
pub const EXCLUSIVE: u32 = 1 << 1;

/// Setting this variable (to anything) before the first nanosecond wait makes
/// the process use the `epoll_wait` fallback, as on a kernel without
/// `epoll_pwait2`. Tests use it to cover the fallback on any kernel.
pub const DISABLE_PWAIT2_ENV: &str = "REPOLL_DISABLE_PWAIT2";

const UNKNOWN: u8 = 0;
const YES: u8 = 1;
const NO: u8 = 2;

static PWAIT2_STATE: AtomicU8 = AtomicU8::new(UNKNOWN);

/// Applies [`DISABLE_PWAIT2_ENV`]. Called when a poller is created, so that
/// the wait path never reads the environment (which allocates).
pub(crate) fn read_environment() {
    if PWAIT2_STATE.load(Ordering::Relaxed) == UNKNOWN
        && std::env::var_os(DISABLE_PWAIT2_ENV).is_some()
    {
        PWAIT2_STATE.store(NO, Ordering::Relaxed);
    }
}

/// Whether nanosecond waits should try `epoll_pwait2`. Until a call has
/// answered, this says yes: the first real wait is the probe, so no extra
/// system call is spent on it.
pub(crate) fn pwait2_worth_trying() -> bool {
    PWAIT2_STATE.load(Ordering::Relaxed) != NO
}

/// Records what a real `epoll_pwait2` call answered. ENOSYS (old kernel) and
/// EPERM (a seccomp filter that does not know the call) mean "missing"; any
/// other answer proves the call exists.
pub(crate) fn pwait2_answered(res: &std::io::Result<usize>) -> bool {
    let missing =
        matches!(res, Err(e) if matches!(e.raw_os_error(), Some(libc::ENOSYS | libc::EPERM)));
    if PWAIT2_STATE.load(Ordering::Relaxed) == UNKNOWN {
        let state = if missing { NO } else { YES };
        // Never upgrade a NO (set by the environment) to YES.
        let _ = PWAIT2_STATE.compare_exchange(UNKNOWN, state, Ordering::Relaxed, Ordering::Relaxed);
    }
    !missing
}

static FEATURES: AtomicU32 = AtomicU32::new(0);
const PROBED: u32 = 1 << 31;

/// The supported features as a bit set of [`PWAIT2`] and [`EXCLUSIVE`].
/// Probes the kernel on the first call (a throwaway epoll instance and
/// eventfd); later calls read a cached value.
pub fn features() -> u32 {
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
    read_environment();
    // SAFETY: plain system calls with no pointer arguments.
    let ep = owned(cvt(unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) })?);
    // SAFETY: as above.
    let efd = owned(cvt(unsafe { libc::eventfd(0, libc::EFD_CLOEXEC) })?);
    let mut found = 0;

    if pwait2_worth_trying() {
        let mut ev = libc::epoll_event { events: 0, u64: 0 };
        let zero = sys::timespec(std::time::Duration::ZERO);
        // SAFETY: `ev` has room for the one record maxevents allows.
        let res = unsafe { sys::epoll_pwait2(ep.as_raw_fd(), &mut ev, 1, Some(&zero)) };
        if pwait2_answered(&res) {
            found |= PWAIT2;
        }
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

//! The wait system call: `epoll_pwait2` (a nanosecond timeout) where the
//! kernel has it, else `epoll_wait` / `epoll_pwait` with the timeout rounded
//! up to whole milliseconds, so a wait is never shorter than asked.
//!
//! Whether the kernel has it is learnt from the first real call (no extra
//! system call is spent on a probe) and remembered for the process.

use std::io;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicU8, Ordering};

use crate::sys::cvt;
use crate::timeout::Timeout;

/// Setting this variable (to anything) before the first nanosecond wait makes
/// the process use the millisecond fallback, as on a kernel without
/// `epoll_pwait2`. Tests use it to cover the fallback on any kernel.
const DISABLE_ENV: &str = "REPOLL_DISABLE_PWAIT2";

const UNKNOWN: u8 = 0;
const YES: u8 = 1;
const NO: u8 = 2;

/// What the kernel answered so far: UNKNOWN until a call (or the
/// environment) settles it; never changes after that.
static STATE: AtomicU8 = AtomicU8::new(UNKNOWN);

/// Applies [`DISABLE_ENV`]. Called when a poller is created and before the
/// feature probe, so that the wait path never reads the environment (which
/// allocates).
pub(crate) fn read_environment() {
    if STATE.load(Ordering::Relaxed) == UNKNOWN && std::env::var_os(DISABLE_ENV).is_some() {
        STATE.store(NO, Ordering::Relaxed);
    }
}

/// One wait system call on `epfd`, writing up to `maxevents` records in the
/// kernel's layout to `events`; `sigmask`, when given, is the signal mask
/// for the duration of the call (as for `epoll_pwait`).
///
/// Always inlined, like the callers down from `repoll_wait`: a `sigmask`
/// known to be `None` there then costs no instruction.
///
/// # Safety
/// `events` must be valid for writes of `maxevents` kernel `epoll_event`s.
#[inline(always)]
pub(crate) unsafe fn wait(
    epfd: RawFd,
    events: *mut libc::epoll_event,
    maxevents: libc::c_int,
    timeout: Timeout,
    sigmask: Option<&libc::sigset_t>,
) -> io::Result<usize> {
    if let Timeout::Nanos(ns) = timeout {
        if STATE.load(Ordering::Relaxed) != NO {
            let ts = timespec(ns);
            // SAFETY: the caller guarantees `events`.
            let res = unsafe { epoll_pwait2(epfd, events, maxevents, &ts, sigmask) };
            if answered(&res) {
                return res;
            }
        }
    }
    let ms = timeout.as_epoll_ms();
    let res = match sigmask {
        // SAFETY: the caller guarantees `events`.
        None => unsafe { libc::epoll_wait(epfd, events, maxevents, ms) },
        // SAFETY: as above; `mask` is a live sigset_t.
        Some(mask) => unsafe { libc::epoll_pwait(epfd, events, maxevents, ms, mask) },
    };
    cvt(res).map(|n| n as usize)
}

/// Whether `epoll_pwait2` works in this process: the answer of an earlier
/// call, or else of a zero-timeout call on `epfd` (an instance with nothing
/// ready, so no event is consumed), which is then remembered.
pub(crate) fn available(epfd: RawFd) -> bool {
    read_environment();
    match STATE.load(Ordering::Relaxed) {
        YES => true,
        NO => false,
        _ => {
            let mut ev = libc::epoll_event { events: 0, u64: 0 };
            // SAFETY: `ev` has room for the one record maxevents allows.
            let res = unsafe { epoll_pwait2(epfd, &mut ev, 1, &timespec(0), None) };
            answered(&res)
        }
    }
}

/// Records what a real `epoll_pwait2` call answered, and whether it counts.
/// ENOSYS (old kernel) and EPERM (a seccomp filter that does not know the
/// call) mean "missing"; any other answer proves the call exists.
fn answered(res: &io::Result<usize>) -> bool {
    let missing =
        matches!(res, Err(e) if matches!(e.raw_os_error(), Some(libc::ENOSYS | libc::EPERM)));
    if STATE.load(Ordering::Relaxed) == UNKNOWN {
        let state = if missing { NO } else { YES };
        // Never upgrade a NO (set by the environment) to YES.
        let _ = STATE.compare_exchange(UNKNOWN, state, Ordering::Relaxed, Ordering::Relaxed);
    }
    !missing
}

/// `epoll_pwait2(2)` through `syscall(2)`: glibc only wraps it since 2.35.
///
/// # Safety
/// `events` must be valid for writes of `maxevents` kernel `epoll_event`s.
unsafe fn epoll_pwait2(
    epfd: RawFd,
    events: *mut libc::epoll_event,
    maxevents: libc::c_int,
    timeout: &libc::timespec,
    sigmask: Option<&libc::sigset_t>,
) -> io::Result<usize> {
    let mask = sigmask.map_or(std::ptr::null(), |m| m as *const libc::sigset_t);
    // SAFETY: the caller guarantees `events`; `timeout` points to a live
    // timespec; `mask` is NULL ("leave the mask alone") or a live sigset_t,
    // whose size the last argument gives, as the kernel requires.
    let res = unsafe {
        libc::syscall(
            libc::SYS_epoll_pwait2,
            epfd,
            events,
            maxevents,
            timeout as *const libc::timespec,
            mask,
            KERNEL_SIGSET_SIZE,
        )
    };
    if res < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(res as usize)
    }
}

/// The size of the kernel's sigset (`_NSIG / 8`), which the system call
/// checks when given a mask; glibc's `sigset_t` is larger and only its front
/// is read.
const KERNEL_SIGSET_SIZE: usize = if cfg!(any(target_arch = "mips", target_arch = "mips64")) {
    16
} else {
    8
};

/// A `timespec` for `ns` nanoseconds, saturating where `time_t` cannot hold it.
fn timespec(ns: u64) -> libc::timespec {
    libc::timespec {
        tv_sec: libc::time_t::try_from(ns / 1_000_000_000).unwrap_or(libc::time_t::MAX),
        tv_nsec: (ns % 1_000_000_000) as libc::c_long,
    }
}

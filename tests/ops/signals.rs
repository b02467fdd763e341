//! The signals the harness raises: which ones, how they stay blocked in the
//! thread that runs a sequence, and the handler that counts one let in by a
//! `repoll_pwait` mask.
//!
//! Signals go to the running thread only (`raise` is a tgkill to oneself):
//! they stay pending there (blocked) until a signalfd of a handle that added
//! them reads them in a wait of this thread, so other threads of the process
//! (libFuzzer's, the test harness's) never see them.

use std::os::raw::c_int;
use std::sync::atomic::{AtomicU32, Ordering};

/// Two standard signals (coalesce while pending) and two real-time ones
/// (queue), none of which libFuzzer or the test harness uses.
pub const SIGNALS: [c_int; 4] = [libc::SIGURG, libc::SIGWINCH, 40, 41];
/// Numbers `repoll_signal_add` refuses with `-EINVAL` (32 and 33 are glibc's).
pub const BAD_SIGNALS: [c_int; 8] = [0, -1, 65, libc::SIGKILL, libc::SIGSTOP, 32, 33, i32::MIN];

/// Real-time signals queue: each raise is one more pending instance.
pub fn queues(signo: c_int) -> bool {
    signo >= 34
}

static HANDLED: [AtomicU32; 65] = [const { AtomicU32::new(0) }; 65];

extern "C" fn on_signal(signo: c_int) {
    if let Some(n) = HANDLED.get(signo as usize) {
        n.fetch_add(1, Ordering::SeqCst);
    }
}

/// Times the handler ran for `signo`.
pub fn handled(signo: c_int) -> u32 {
    HANDLED[signo as usize].load(Ordering::SeqCst)
}

/// Handler runs so far, all harness signals together.
pub fn handled_total() -> u32 {
    SIGNALS.iter().map(|&s| handled(s)).sum()
}

fn set() -> libc::sigset_t {
    // SAFETY: sigemptyset initializes the plain-data set; the numbers are valid.
    unsafe {
        let mut s: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut s);
        for sig in SIGNALS {
            libc::sigaddset(&mut s, sig);
        }
        s
    }
}

/// Installs the counting handler (once per process, from `init`): a signal
/// that reaches it outside a pwait that lets it in is a finding, and
/// without a handler a leak would kill the process instead of reporting.
pub fn install() {
    for sig in SIGNALS {
        // SAFETY: a valid sigaction with an async-signal-safe handler (one
        // atomic add); no SA_RESTART, so a pwait it interrupts says EINTR.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_signal as extern "C" fn(c_int) as usize;
            libc::sigemptyset(&mut sa.sa_mask);
            assert_eq!(libc::sigaction(sig, &sa, std::ptr::null_mut()), 0);
        }
    }
}

/// Blocks the harness's signals in the calling thread (the contract of
/// `repoll_signal_add`: blocked before they are added).
pub fn block_here() {
    let s = set();
    // SAFETY: a valid set; NULL old set.
    unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &s, std::ptr::null_mut()) };
}

/// Discards every instance of the harness's signals pending for this thread,
/// so one sequence's leftovers never reach the next.
pub fn drain() {
    let s = set();
    let zero = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    for _ in 0..256 {
        // SAFETY: valid set and timeout; NULL info.
        if unsafe { libc::sigtimedwait(&s, std::ptr::null_mut(), &zero) } < 0 {
            return;
        }
    }
}

/// One instance of `signo` sent to this thread.
pub fn raise(signo: c_int) {
    // SAFETY: a valid signal number, blocked here.
    assert_eq!(unsafe { libc::raise(signo) }, 0);
}

/// The calling thread's mask, plus `extra` blocked, minus `unblock`.
pub fn mask(block_all: bool, unblock: Option<c_int>) -> libc::sigset_t {
    // SAFETY: plain-data sets filled by the calls; valid signal numbers.
    unsafe {
        let mut m: libc::sigset_t = std::mem::zeroed();
        libc::pthread_sigmask(libc::SIG_BLOCK, std::ptr::null(), &mut m);
        if block_all {
            libc::sigfillset(&mut m);
        }
        if let Some(sig) = unblock {
            libc::sigdelset(&mut m, sig);
        }
        m
    }
}

/// CLOCK_MONOTONIC now, in ns (the clock repoll's timers run on).
pub fn now_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: a valid timespec to fill.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

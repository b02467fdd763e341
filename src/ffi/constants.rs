//! Every `REPOLL_*` constant of the C API, as plain literals so that cbindgen
//! can print them; the tests pin each to the kernel value it mirrors. The
//! `u32` suffix makes cbindgen write a `u` (build/api then writes the value
//! in hex), so that no language reads a mask as a negative number.

/// Readable.
pub const REPOLL_IN: u32 = 0x001u32;
/// Urgent data or an exceptional condition; may be requested alone.
pub const REPOLL_PRI: u32 = 0x002u32;
/// Writable.
pub const REPOLL_OUT: u32 = 0x004u32;
/// Error condition. Always reported; need not be requested.
pub const REPOLL_ERR: u32 = 0x008u32;
/// Hang-up. Always reported; need not be requested.
pub const REPOLL_HUP: u32 = 0x010u32;
/// Normal data readable.
pub const REPOLL_RDNORM: u32 = 0x040u32;
/// Priority band data readable.
pub const REPOLL_RDBAND: u32 = 0x080u32;
/// Normal data writable.
pub const REPOLL_WRNORM: u32 = 0x100u32;
/// Priority band data writable.
pub const REPOLL_WRBAND: u32 = 0x200u32;
/// Accepted for compatibility; Linux never reports it.
pub const REPOLL_MSG: u32 = 0x400u32;
/// The peer shut down its writing half (stream sockets).
pub const REPOLL_RDHUP: u32 = 0x2000u32;
/// Add only: wake just one of several epoll instances waiting on the same
/// file. Combines only with IN, OUT, ERR, HUP, WAKEUP and ET.
pub const REPOLL_EXCLUSIVE: u32 = 0x1000_0000u32;
/// Keep the system from suspending while the event is pending (needs
/// CAP_BLOCK_SUSPEND; silently ignored by the kernel without it).
pub const REPOLL_WAKEUP: u32 = 0x2000_0000u32;
/// Report once, then disarm until `repoll_modify` re-arms the fd.
pub const REPOLL_ONESHOT: u32 = 0x4000_0000u32;
/// Edge-triggered: report a change once, not a state for as long as it lasts.
pub const REPOLL_ET: u32 = 0x8000_0000u32;

/// Reported (never requested) by a `repoll_wake`.
pub const REPOLL_WAKE: u32 = 0x0100_0000u32;
/// Reported (never requested) by an expired timer.
pub const REPOLL_TIMER: u32 = 0x0200_0000u32;
/// Reported (never requested) by a delivered signal.
pub const REPOLL_SIGNAL: u32 = 0x0400_0000u32;

/// `repoll_ctl` op: register an fd.
pub const REPOLL_CTL_ADD: i32 = 1;
/// `repoll_ctl` op: remove a registration.
pub const REPOLL_CTL_DEL: i32 = 2;
/// `repoll_ctl` op: change a registration's events and data.
pub const REPOLL_CTL_MOD: i32 = 3;

/// `repoll_create` flag: close the epoll fd on exec (equals EPOLL_CLOEXEC).
pub const REPOLL_CLOEXEC: i32 = 0x80000;
/// `repoll_create` flag: retry waits interrupted by a signal handler instead
/// of returning -EINTR, with the remaining time taken from a monotonic
/// deadline.
pub const REPOLL_RETRY_EINTR: i32 = 1;

/// `repoll_features` bit: the kernel has epoll_pwait2, so `repoll_wait_ns`
/// waits with nanosecond precision.
pub const REPOLL_FEATURE_PWAIT2: u32 = 0x1u32;
/// `repoll_features` bit: the kernel accepts REPOLL_EXCLUSIVE.
pub const REPOLL_FEATURE_EXCLUSIVE: u32 = 0x2u32;

/// Error code beyond errno (returned negated): a Rust panic was caught at the
/// library boundary. The handle is still usable; please report the bug.
pub const REPOLL_EPANIC: i32 = 4097;

// Library codes lie beyond every errno (the kernel's MAX_ERRNO is 4095).
const _: () = assert!(REPOLL_EPANIC > 4095);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{features, interest};

    #[test]
    fn flags_equal_their_kernel_twins() {
        let pairs: [(u32, i32); 15] = [
            (REPOLL_IN, libc::EPOLLIN),
            (REPOLL_PRI, libc::EPOLLPRI),
            (REPOLL_OUT, libc::EPOLLOUT),
            (REPOLL_ERR, libc::EPOLLERR),
            (REPOLL_HUP, libc::EPOLLHUP),
            (REPOLL_RDNORM, libc::EPOLLRDNORM),
            (REPOLL_RDBAND, libc::EPOLLRDBAND),
            (REPOLL_WRNORM, libc::EPOLLWRNORM),
            (REPOLL_WRBAND, libc::EPOLLWRBAND),
            (REPOLL_MSG, libc::EPOLLMSG),
            (REPOLL_RDHUP, libc::EPOLLRDHUP),
            (REPOLL_EXCLUSIVE, libc::EPOLLEXCLUSIVE),
            (REPOLL_WAKEUP, libc::EPOLLWAKEUP),
            (REPOLL_ONESHOT, libc::EPOLLONESHOT),
            (REPOLL_ET, libc::EPOLLET),
        ];
        for (ours, kernel) in pairs {
            assert_eq!(ours, kernel as u32);
        }
    }

    #[test]
    fn ops_and_create_flags_equal_their_kernel_twins() {
        assert_eq!(REPOLL_CTL_ADD, libc::EPOLL_CTL_ADD);
        assert_eq!(REPOLL_CTL_DEL, libc::EPOLL_CTL_DEL);
        assert_eq!(REPOLL_CTL_MOD, libc::EPOLL_CTL_MOD);
        assert_eq!(REPOLL_CLOEXEC, libc::EPOLL_CLOEXEC);
        assert_eq!(REPOLL_RETRY_EINTR & REPOLL_CLOEXEC, 0);
    }

    #[test]
    fn source_bits_and_features_equal_the_core_ones() {
        assert_eq!(REPOLL_WAKE, interest::WAKE);
        assert_eq!(REPOLL_TIMER, interest::TIMER);
        assert_eq!(REPOLL_SIGNAL, interest::SIGNAL);
        assert_eq!(REPOLL_FEATURE_PWAIT2, features::PWAIT2);
        assert_eq!(REPOLL_FEATURE_EXCLUSIVE, features::EXCLUSIVE);
    }
}

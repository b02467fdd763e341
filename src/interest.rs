//! Interest and readiness bits: the kernel's `EPOLL*` values, plus the bits
//! repoll's own sources report (which epoll never sets).

/// Readable.
pub(crate) const IN: u32 = libc::EPOLLIN as u32;
/// Urgent data or an exceptional condition (`POLLPRI`).
pub(crate) const PRI: u32 = libc::EPOLLPRI as u32;
/// Writable.
pub(crate) const OUT: u32 = libc::EPOLLOUT as u32;
/// Error condition; always reported, need not be requested.
pub(crate) const ERR: u32 = libc::EPOLLERR as u32;
/// Hang-up; always reported, need not be requested.
pub(crate) const HUP: u32 = libc::EPOLLHUP as u32;
/// Normal data readable.
pub(crate) const RDNORM: u32 = libc::EPOLLRDNORM as u32;
/// Priority band data readable.
pub(crate) const RDBAND: u32 = libc::EPOLLRDBAND as u32;
/// Normal data writable.
pub(crate) const WRNORM: u32 = libc::EPOLLWRNORM as u32;
/// Priority band data writable.
pub(crate) const WRBAND: u32 = libc::EPOLLWRBAND as u32;
/// Unused by Linux; accepted because the kernel accepts it.
pub(crate) const MSG: u32 = libc::EPOLLMSG as u32;
/// The peer closed its writing half (stream sockets).
pub(crate) const RDHUP: u32 = libc::EPOLLRDHUP as u32;
/// Wake only one of the epoll instances waiting on the same file (ADD only).
pub(crate) const EXCLUSIVE: u32 = libc::EPOLLEXCLUSIVE as u32;
/// Hold a wakeup source while the event is pending (needs CAP_BLOCK_SUSPEND).
pub(crate) const WAKEUP: u32 = libc::EPOLLWAKEUP as u32;
/// Disarm after one report; re-arm with a modify.
pub(crate) const ONESHOT: u32 = libc::EPOLLONESHOT as u32;
/// Edge-triggered.
pub(crate) const ET: u32 = libc::EPOLLET as u32;

/// Reported by a wake ([`crate::poller::Poller::wake`]).
pub(crate) const WAKE: u32 = 1 << 24;
/// Reported by an expired timer.
pub(crate) const TIMER: u32 = 1 << 25;
/// Reported by a delivered signal.
pub(crate) const SIGNAL: u32 = 1 << 26;

/// Every bit a registration may carry.
const REGISTRABLE: u32 = IN
    | PRI
    | OUT
    | ERR
    | HUP
    | RDNORM
    | RDBAND
    | WRNORM
    | WRBAND
    | MSG
    | RDHUP
    | EXCLUSIVE
    | WAKEUP
    | ONESHOT
    | ET;

/// The bits the kernel allows beside EXCLUSIVE (`EPOLLEXCLUSIVE_OK_BITS`
/// in fs/eventpoll.c); anything else with EXCLUSIVE is `EINVAL`.
const EXCLUSIVE_OK: u32 = IN | OUT | ERR | HUP | WAKEUP | ET | EXCLUSIVE;

/// Whether `events` is a registration the kernel would accept for an add
/// (`modify == false`) or a modify. Checked up front so that an unknown bit
/// is an error instead of being silently dropped by some kernels.
pub(crate) fn is_valid(events: u32, modify: bool) -> bool {
    if events & !REGISTRABLE != 0 {
        return false;
    }
    if events & EXCLUSIVE != 0 {
        return !modify && events & !EXCLUSIVE_OK == 0;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_bits_are_rejected() {
        assert!(!is_valid(WAKE, false));
        assert!(!is_valid(IN | TIMER, true));
        assert!(!is_valid(1 << 5, false)); // POLLNVAL is poll(2)-only
    }

    #[test]
    fn every_kernel_bit_alone_is_accepted() {
        for bit in [
            IN, PRI, OUT, ERR, HUP, RDNORM, RDBAND, WRNORM, WRBAND, MSG, RDHUP, WAKEUP, ONESHOT, ET,
        ] {
            assert!(is_valid(bit, false) && is_valid(bit, true), "{bit:#x}");
        }
    }

    #[test]
    fn exclusive_is_add_only_and_excludes_oneshot() {
        assert!(is_valid(EXCLUSIVE | IN | ET, false));
        assert!(!is_valid(EXCLUSIVE | IN, true));
        assert!(!is_valid(EXCLUSIVE | IN | ONESHOT, false));
        assert!(!is_valid(EXCLUSIVE | PRI, false));
    }

    #[test]
    fn source_bits_are_unused_by_epoll() {
        assert_eq!((WAKE | TIMER | SIGNAL) & REGISTRABLE, 0);
        assert_eq!((WAKE | TIMER | SIGNAL) & libc::POLLNVAL as u32, 0);
    }
}

//! Wait timeouts: how long, in which unit, and the arithmetic that never
//! shortens them (round up, saturate, clamp — never wrap to "infinite").

/// How long a wait may block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Timeout {
    /// Block until an event arrives.
    Infinite,
    /// Whole milliseconds (`>= 0`); handed to `epoll_wait` unchanged.
    Millis(i32),
    /// Nanoseconds; handed to `epoll_pwait2`, or rounded up to milliseconds
    /// where the kernel lacks it.
    Nanos(u64),
}

/// The longest wait `epoll_wait` takes in one call.
const MAX_MS: u64 = i32::MAX as u64;

impl Timeout {
    /// A negative count blocks, 0 polls, anything else waits that many ms.
    pub(crate) fn from_millis(ms: i32) -> Timeout {
        if ms < 0 {
            Timeout::Infinite
        } else {
            Timeout::Millis(ms)
        }
    }

    /// A negative count blocks, 0 polls, anything else waits that many ns.
    pub(crate) fn from_nanos(ns: i64) -> Timeout {
        u64::try_from(ns).map_or(Timeout::Infinite, Timeout::Nanos)
    }

    /// The length in nanoseconds, `None` when infinite.
    pub(crate) fn as_nanos(self) -> Option<u64> {
        match self {
            Timeout::Infinite => None,
            Timeout::Millis(ms) => Some(ms as u64 * 1_000_000),
            Timeout::Nanos(ns) => Some(ns),
        }
    }

    /// Whether one `epoll_wait` call may be too short for it, so a caller
    /// that falls back to milliseconds must loop on a deadline.
    pub(crate) fn exceeds_one_ms_wait(self) -> bool {
        matches!(self, Timeout::Nanos(ns) if ns > MAX_MS * 1_000_000)
    }

    /// The milliseconds `epoll_wait` gets: rounded up (never early, and 0 stays
    /// 0), clamped to `i32::MAX`, -1 for infinite.
    pub(crate) fn as_epoll_ms(self) -> libc::c_int {
        match self {
            Timeout::Infinite => -1,
            Timeout::Millis(ms) => ms,
            Timeout::Nanos(ns) => ns.div_ceil(1_000_000).min(MAX_MS) as libc::c_int,
        }
    }
}

/// A wait's end on CLOCK_MONOTONIC, in ns; `None` when it has none.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Deadline(Option<u64>);

impl Deadline {
    pub(crate) fn after(now_ns: u64, timeout: Timeout) -> Deadline {
        Deadline(timeout.as_nanos().map(|ns| now_ns.saturating_add(ns)))
    }

    /// What is left at `now_ns` (zero once passed).
    pub(crate) fn remaining(self, now_ns: u64) -> Timeout {
        self.0.map_or(Timeout::Infinite, |end| {
            Timeout::Nanos(end.saturating_sub(now_ns))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negative_means_infinite_and_zero_polls() {
        assert_eq!(Timeout::from_millis(-5), Timeout::Infinite);
        assert_eq!(Timeout::from_nanos(i64::MIN), Timeout::Infinite);
        assert_eq!(Timeout::from_nanos(0).as_epoll_ms(), 0);
        assert_eq!(Timeout::from_millis(0).as_epoll_ms(), 0);
        assert_eq!(Timeout::Infinite.as_epoll_ms(), -1);
    }

    #[test]
    fn nanoseconds_round_up_to_milliseconds() {
        assert_eq!(Timeout::Nanos(1).as_epoll_ms(), 1);
        assert_eq!(Timeout::Nanos(1_000_000).as_epoll_ms(), 1);
        assert_eq!(Timeout::Nanos(1_000_001).as_epoll_ms(), 2);
    }

    #[test]
    fn huge_timeouts_clamp_instead_of_wrapping() {
        assert_eq!(Timeout::from_nanos(i64::MAX).as_epoll_ms(), i32::MAX);
        assert!(Timeout::from_nanos(i64::MAX).exceeds_one_ms_wait());
        assert!(!Timeout::from_millis(i32::MAX).exceeds_one_ms_wait());
        let d = Deadline::after(u64::MAX - 3, Timeout::Nanos(u64::MAX));
        assert_eq!(d.remaining(0), Timeout::Nanos(u64::MAX));
    }

    #[test]
    fn remaining_time_never_goes_negative() {
        let d = Deadline::after(100, Timeout::Millis(1));
        assert_eq!(d.remaining(600_100), Timeout::Nanos(400_000));
        assert_eq!(d.remaining(5_000_000), Timeout::Nanos(0));
        assert_eq!(
            Deadline::after(7, Timeout::Infinite).remaining(9),
            Timeout::Infinite
        );
    }
}

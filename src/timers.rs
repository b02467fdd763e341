//! Timers for a poller: the [`TimerQueue`] behind a mutex, driven by the
//! wait's own timeout. No fd: a wait on a handle with timers sleeps at most
//! until the earliest deadline (epoll_pwait2 takes nanoseconds), then
//! reports the timers due. One system call per wake-up, where a timerfd
//! costs a re-arm (`timerfd_settime`) and a trip through epoll besides
//! (benches/README.md has the figures).
//!
//! A timer added from another thread with an earlier deadline than a blocked
//! wait's must wake it: waits count themselves in [`Timers::blocking`]
//! around their system call, and [`Timers::add`] tells its caller to kick
//! the waker when a wait is blocked and the new timer became the earliest.
//! Both sides use sequentially consistent operations on `earliest` and
//! `blocked`, so either the wait sees the new deadline before it sleeps or
//! the adder sees the wait and kicks it.
//!
//! The mutex is taken by add, cancel, and a wait that finds a timer due;
//! never held while blocking.

use std::io;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;

use crate::sys::monotonic_ns;
use crate::timer_queue::{Expired, TimerQueue};

#[derive(Debug)]
pub(crate) struct Timers {
    queue: Mutex<TimerQueue>,
    /// The earliest deadline (CLOCK_MONOTONIC ns; u64::MAX: no timer),
    /// readable without the lock. Written under the lock.
    earliest: AtomicU64,
    /// Waits between [`Timers::blocking`] and the end of their system call.
    blocked: AtomicUsize,
}

/// A wait counted as blocked until this drops.
pub(crate) struct Blocking<'a>(&'a AtomicUsize);

impl Drop for Blocking<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Timers {
    pub(crate) fn new() -> Timers {
        Timers {
            queue: Mutex::new(TimerQueue::new()),
            earliest: AtomicU64::new(u64::MAX),
            blocked: AtomicUsize::new(0),
        }
    }

    /// Adds a timer due `first_ns` from now, repeating every `interval_ns`
    /// (0: once). Returns its id, and whether a blocked wait must be woken
    /// (the timer is earlier than every other, so earlier than what the
    /// wait sleeps until).
    pub(crate) fn add(
        &self,
        first_ns: u64,
        interval_ns: u64,
        data: u64,
    ) -> io::Result<(u64, bool)> {
        let deadline = monotonic_ns().saturating_add(first_ns);
        let mut queue = self.lock();
        let id = queue
            .insert(deadline, interval_ns, data)
            .ok_or_else(|| io::Error::from_raw_os_error(libc::ENOMEM))?;
        let earliest = deadline < self.earliest.load(Ordering::Relaxed);
        if earliest {
            self.earliest.store(deadline, Ordering::SeqCst);
        }
        drop(queue);
        Ok((id, earliest && self.blocked.load(Ordering::SeqCst) > 0))
    }

    /// Cancels a live timer: `ENOENT` for an unknown or already fired id. A
    /// wait sleeping until the cancelled deadline wakes for nothing, finds
    /// nothing due, and sleeps again.
    pub(crate) fn cancel(&self, id: u64) -> io::Result<()> {
        let mut queue = self.lock();
        if !queue.cancel(id) {
            return Err(io::Error::from_raw_os_error(libc::ENOENT));
        }
        self.publish(&queue);
        Ok(())
    }

    /// Counts a wait as blocked and returns the earliest deadline it must
    /// wake for (`None`: no timer), read after counting in.
    pub(crate) fn blocking(&self) -> (Blocking<'_>, Option<u64>) {
        self.blocked.fetch_add(1, Ordering::SeqCst);
        let earliest = self.earliest.load(Ordering::SeqCst);
        (
            Blocking(&self.blocked),
            (earliest != u64::MAX).then_some(earliest),
        )
    }

    /// Whether a timer is due at `now` (no lock).
    pub(crate) fn due(&self, now: u64) -> bool {
        self.earliest.load(Ordering::Relaxed) <= now
    }

    /// Hands up to `room` timers due at `now` to `emit`, in deadline order.
    /// Nothing is reported early; the kernel may end a wait up to its timer
    /// slack (50 µs for an ordinary thread) after the deadline, so timers due
    /// close together share one wake-up.
    pub(crate) fn expire(&self, now: u64, room: usize, mut emit: impl FnMut(Expired)) {
        let mut queue = self.lock();
        for _ in 0..room {
            match queue.pop_expired(now) {
                Some(e) => emit(e),
                None => break,
            }
        }
        self.publish(&queue);
    }

    /// Stores the queue's earliest deadline where waits read it, after a
    /// cancel or an expiry (which only move it later: no wait needs a kick,
    /// and one that read the old value wakes for nothing and sleeps again).
    fn publish(&self, queue: &TimerQueue) {
        let next = queue.next_deadline().unwrap_or(u64::MAX);
        if next != self.earliest.load(Ordering::Relaxed) {
            self.earliest.store(next, Ordering::Release);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, TimerQueue> {
        // A panic while holding the lock (a bug) must not wedge every later
        // call: the queue's invariants hold between its method calls.
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_earlier_timer_asks_for_a_kick_only_while_a_wait_is_blocked() {
        let timers = Timers::new();
        let (_, kick) = timers.add(1_000_000_000, 0, 1).unwrap();
        assert!(!kick, "no wait is blocked");
        let (blocking, earliest) = timers.blocking();
        assert!(earliest.is_some());
        let (_, kick) = timers.add(2_000_000_000, 0, 2).unwrap();
        assert!(!kick, "later than what the wait sleeps until");
        let (_, kick) = timers.add(1_000, 0, 3).unwrap();
        assert!(kick, "earlier: the blocked wait must wake");
        drop(blocking);
        let (_, kick) = timers.add(10, 0, 4).unwrap();
        assert!(!kick, "the wait has left");
    }

    #[test]
    fn expiry_and_cancel_move_the_published_deadline() {
        let timers = Timers::new();
        let (first, _) = timers.add(0, 0, 1).unwrap();
        let (_, _) = timers.add(3_600_000_000_000, 0, 2).unwrap();
        assert!(timers.due(monotonic_ns()));
        timers.cancel(first).unwrap();
        assert!(
            !timers.due(monotonic_ns()),
            "only the hour-long timer is left"
        );
        let (_, due) = timers.blocking();
        assert!(due.unwrap() > monotonic_ns());
        let mut fired = Vec::new();
        timers.expire(u64::MAX, 8, |e| fired.push(e.data));
        assert_eq!(fired, [2]);
        assert_eq!(timers.blocking().1, None);
        assert_eq!(
            timers.cancel(first).unwrap_err().raw_os_error(),
            Some(libc::ENOENT)
        );
    }
}

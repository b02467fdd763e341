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
//! A handle whose epoll fd was handed out to be nested in another loop
//! (`repoll_fd`) must become readable when a timer is due even though no one
//! waits in it: only then does it get a timerfd, armed at the earliest
//! deadline ([`Timers::nest`]).
//!
//! The mutex is taken by add, cancel, and a wait that finds a timer due;
//! never held while blocking.

use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicI32, AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;

use crate::sys::{cvt, monotonic_ns, owned};
use crate::timer_queue::{Expired, TimerQueue};

#[derive(Debug)]
struct State {
    queue: TimerQueue,
    /// The handle's epoll fd was handed out to be nested: its timers need
    /// the timerfd below (created with the first of them).
    nested: bool,
    /// The timerfd of a nested handle with timers, and the deadline it is
    /// armed for (u64::MAX: disarmed).
    nest: Option<(OwnedFd, u64)>,
}

#[derive(Debug)]
pub(crate) struct Timers {
    state: Mutex<State>,
    /// The nest timerfd's number (-1: none), readable without the lock so
    /// ctl can refuse it cheaply.
    fd_number: AtomicI32,
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
            state: Mutex::new(State {
                queue: TimerQueue::new(),
                nested: false,
                nest: None,
            }),
            fd_number: AtomicI32::new(-1),
            earliest: AtomicU64::new(u64::MAX),
            blocked: AtomicUsize::new(0),
        }
    }

    /// Adds a timer due `first_ns` from now, repeating every `interval_ns`
    /// (0: once). Returns its id, and whether a blocked wait must be woken
    /// (the timer is earlier than every other, so earlier than what the
    /// wait sleeps until). On a nested handle the first timer creates the
    /// timerfd and has `register` add it to the epoll instance.
    pub(crate) fn add(
        &self,
        first_ns: u64,
        interval_ns: u64,
        data: u64,
        register: impl FnOnce(RawFd) -> io::Result<()>,
    ) -> io::Result<(u64, bool)> {
        let deadline = monotonic_ns().saturating_add(first_ns);
        let mut st = self.lock();
        if st.nested && st.nest.is_none() {
            self.open_nest(&mut st, register)?;
        }
        let id = st
            .queue
            .insert(deadline, interval_ns, data)
            .ok_or_else(|| io::Error::from_raw_os_error(libc::ENOMEM))?;
        let earliest = deadline < self.earliest.load(Ordering::Relaxed);
        if earliest {
            self.earliest.store(deadline, Ordering::SeqCst);
            st.arm(deadline);
        }
        drop(st);
        Ok((id, earliest && self.blocked.load(Ordering::SeqCst) > 0))
    }

    /// Cancels a live timer: `ENOENT` for an unknown or already fired id. A
    /// wait sleeping until the cancelled deadline wakes for nothing, finds
    /// nothing due, and sleeps again.
    pub(crate) fn cancel(&self, id: u64) -> io::Result<()> {
        let mut st = self.lock();
        if !st.queue.cancel(id) {
            return Err(io::Error::from_raw_os_error(libc::ENOENT));
        }
        // A nest timerfd stays armed: if it fires for nothing, the wait
        // re-arms it.
        self.publish(&st.queue);
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
        let mut st = self.lock();
        for _ in 0..room {
            match st.queue.pop_expired(now) {
                Some(e) => emit(e),
                None => break,
            }
        }
        self.publish(&st.queue);
        let next = st.queue.next_deadline().unwrap_or(u64::MAX);
        st.arm(next);
    }

    /// The handle's epoll fd is handed out to be nested: from now on it must
    /// become readable when a timer is due, through a timerfd armed at the
    /// earliest deadline, registered by `register` (in the handle's epoll
    /// instance). Created now if timers exist, else with the first timer.
    pub(crate) fn nest(&self, register: impl FnOnce(RawFd) -> io::Result<()>) -> io::Result<()> {
        let mut st = self.lock();
        st.nested = true;
        if st.nest.is_some() || st.queue.next_deadline().is_none() {
            return Ok(());
        }
        self.open_nest(&mut st, register)
    }

    fn open_nest(
        &self,
        st: &mut State,
        register: impl FnOnce(RawFd) -> io::Result<()>,
    ) -> io::Result<()> {
        // SAFETY: no pointer arguments; the fd returned is new and ours.
        let fd = owned(cvt(unsafe {
            libc::timerfd_create(
                libc::CLOCK_MONOTONIC,
                libc::TFD_CLOEXEC | libc::TFD_NONBLOCK,
            )
        })?);
        register(fd.as_raw_fd())?;
        self.fd_number.store(fd.as_raw_fd(), Ordering::Relaxed);
        st.nest = Some((fd, u64::MAX));
        let next = st.queue.next_deadline().unwrap_or(u64::MAX);
        st.arm(next);
        Ok(())
    }

    /// The nest timerfd fired: re-arms it at the earliest deadline, which
    /// also makes it unreadable until then (a due timer is then reported by
    /// the wait, whose expiry re-arms it for the next).
    pub(crate) fn rearm(&self) {
        let mut st = self.lock();
        let next = st.queue.next_deadline().unwrap_or(u64::MAX);
        st.arm_always(next);
    }

    /// The nest timerfd's number, -1 when the handle has none.
    pub(crate) fn fd(&self) -> RawFd {
        self.fd_number.load(Ordering::Relaxed)
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

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding the lock (a bug) must not wedge every later
        // call: the queue's invariants hold between its method calls.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl State {
    /// Arms the nest timerfd, if any, for `deadline` unless it already is.
    fn arm(&mut self, deadline: u64) {
        if matches!(self.nest, Some((_, armed)) if armed != deadline) {
            self.arm_always(deadline);
        }
    }

    /// Arms the nest timerfd, if any, for an absolute CLOCK_MONOTONIC
    /// `deadline` (u64::MAX disarms; 0 would too, so it becomes 1).
    fn arm_always(&mut self, deadline: u64) {
        let Some((fd, armed)) = &mut self.nest else {
            return;
        };
        let at = |ns: u64| libc::timespec {
            tv_sec: (ns / 1_000_000_000) as libc::time_t,
            tv_nsec: (ns % 1_000_000_000) as libc::c_long,
        };
        let spec = libc::itimerspec {
            it_interval: at(0),
            it_value: if deadline == u64::MAX {
                at(0)
            } else {
                at(deadline.max(1))
            },
        };
        // SAFETY: `spec` is a valid itimerspec; a NULL old value is allowed.
        let res = unsafe {
            libc::timerfd_settime(
                fd.as_raw_fd(),
                libc::TFD_TIMER_ABSTIME,
                &spec,
                std::ptr::null_mut(),
            )
        };
        // It cannot fail with a valid fd and time; if it somehow did, the
        // next arm retries.
        *armed = if res == 0 { deadline } else { 0 };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nested_handle_s_timerfd_is_readable_exactly_when_a_timer_is_due() {
        let timers = Timers::new();
        let (_, _) = timers.add(3_600_000_000_000, 0, 1, |_| Ok(())).unwrap();
        let mut registered = -1;
        timers
            .nest(|fd| {
                registered = fd;
                Ok(())
            })
            .unwrap();
        assert_eq!(timers.fd(), registered);
        let readable = || {
            let mut pfd = libc::pollfd {
                fd: registered,
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: one valid pollfd, no wait.
            unsafe { libc::poll(&mut pfd, 1, 0) == 1 }
        };
        assert!(!readable(), "armed an hour away");
        let (_, _) = timers.add(0, 0, 2, |_| Ok(())).unwrap();
        assert!(readable(), "a due timer makes it readable");
        let mut fired = Vec::new();
        timers.expire(monotonic_ns(), 8, |e| fired.push(e.data));
        assert_eq!(fired, [2]);
        assert!(!readable(), "re-armed for the hour-long timer");
    }

    #[test]
    fn an_earlier_timer_asks_for_a_kick_only_while_a_wait_is_blocked() {
        let timers = Timers::new();
        let (_, kick) = timers.add(1_000_000_000, 0, 1, |_| Ok(())).unwrap();
        assert!(!kick, "no wait is blocked");
        let (blocking, earliest) = timers.blocking();
        assert!(earliest.is_some());
        let (_, kick) = timers.add(2_000_000_000, 0, 2, |_| Ok(())).unwrap();
        assert!(!kick, "later than what the wait sleeps until");
        let (_, kick) = timers.add(1_000, 0, 3, |_| Ok(())).unwrap();
        assert!(kick, "earlier: the blocked wait must wake");
        drop(blocking);
        let (_, kick) = timers.add(10, 0, 4, |_| Ok(())).unwrap();
        assert!(!kick, "the wait has left");
    }

    #[test]
    fn expiry_and_cancel_move_the_published_deadline() {
        let timers = Timers::new();
        let (first, _) = timers.add(0, 0, 1, |_| Ok(())).unwrap();
        let (_, _) = timers.add(3_600_000_000_000, 0, 2, |_| Ok(())).unwrap();
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

//! Timers for a poller: the [`TimerQueue`] behind a mutex, and one timerfd
//! (created on first use) armed at the earliest deadline, so a blocked wait
//! wakes exactly when the first timer is due — whichever thread added it.
//!
//! The mutex is taken by add, cancel, and a wait whose timerfd fired; never
//! held while blocking.

use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Mutex;

use crate::sys::{cvt, monotonic_ns, owned};
use crate::timer_queue::{Expired, TimerQueue};

/// How late a timer may be reported so that timers due close together share
/// one wake-up: the kernel's default timer slack for a sleeping thread.
pub(crate) const SLACK_NS: u64 = 50_000;

#[derive(Debug)]
pub(crate) struct Timers {
    state: Mutex<State>,
    /// The timerfd's number (-1 before first use), readable without the lock
    /// so ctl can refuse it cheaply.
    fd_number: AtomicI32,
}

#[derive(Debug)]
struct State {
    queue: TimerQueue,
    fd: Option<OwnedFd>,
    /// The deadline the timerfd is armed for (u64::MAX: disarmed).
    armed: u64,
}

impl Timers {
    pub(crate) fn new() -> Timers {
        Timers {
            state: Mutex::new(State {
                queue: TimerQueue::new(),
                fd: None,
                armed: u64::MAX,
            }),
            fd_number: AtomicI32::new(-1),
        }
    }

    pub(crate) fn fd(&self) -> RawFd {
        self.fd_number.load(Ordering::Relaxed)
    }

    /// Adds a timer due `first_ns` from now, repeating every `interval_ns`
    /// (0: once). `register` is called with the timerfd the first time, to add
    /// it to the epoll instance.
    pub(crate) fn add(
        &self,
        first_ns: u64,
        interval_ns: u64,
        data: u64,
        register: impl FnOnce(RawFd) -> io::Result<()>,
    ) -> io::Result<u64> {
        let mut st = self.lock();
        if st.fd.is_none() {
            // SAFETY: no pointer arguments; the fd returned is new and ours.
            let fd = owned(cvt(unsafe {
                libc::timerfd_create(
                    libc::CLOCK_MONOTONIC,
                    libc::TFD_CLOEXEC | libc::TFD_NONBLOCK,
                )
            })?);
            register(fd.as_raw_fd())?;
            self.fd_number.store(fd.as_raw_fd(), Ordering::Relaxed);
            st.fd = Some(fd);
        }
        // A deadline of 0 would read as "disarm" to timerfd_settime.
        let deadline = monotonic_ns().saturating_add(first_ns).max(1);
        let id = st
            .queue
            .insert(deadline, interval_ns, data)
            .ok_or_else(|| io::Error::from_raw_os_error(libc::ENOMEM))?;
        if deadline < st.armed {
            st.arm(deadline)?;
        }
        Ok(id)
    }

    /// Cancels a live timer: `ENOENT` for an unknown or already fired id.
    /// The timerfd stays armed; if it fires for nothing, the wait re-arms it.
    pub(crate) fn cancel(&self, id: u64) -> io::Result<()> {
        if self.lock().queue.cancel(id) {
            Ok(())
        } else {
            Err(io::Error::from_raw_os_error(libc::ENOENT))
        }
    }

    /// After the timerfd fired: hands up to `room` expired timers to `emit`,
    /// in deadline order, and re-arms the timerfd for what is left (which
    /// also resets its readiness: no read needed).
    ///
    /// The next expiry is put at least [`SLACK_NS`] after now, so that
    /// timers due close together are served by one wake-up instead of one
    /// each (three system calls and a sleep per wake-up). Nothing is
    /// reported early; a timer may be reported up to `SLACK_NS` late.
    pub(crate) fn expire(&self, room: usize, mut emit: impl FnMut(Expired)) {
        let mut st = self.lock();
        let now = monotonic_ns();
        for _ in 0..room {
            match st.queue.pop_expired(now) {
                Some(e) => emit(e),
                None => break,
            }
        }
        let next = match st.queue.next_deadline() {
            Some(due) if due > now => due.max(now.saturating_add(SLACK_NS)),
            Some(overdue) => overdue, // no room this time: fire again at once
            None => u64::MAX,
        };
        // Arming cannot fail with a valid fd and time; if it somehow did, the
        // timers stay queued and the next add retries.
        let _ = st.arm(next);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding the lock (a bug) must not wedge every later
        // call: the queue's invariants hold between its method calls.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl State {
    /// Arms the timerfd for an absolute CLOCK_MONOTONIC deadline
    /// (u64::MAX disarms).
    fn arm(&mut self, deadline: u64) -> io::Result<()> {
        let Some(fd) = &self.fd else { return Ok(()) };
        let value = if deadline == u64::MAX {
            libc::timespec {
                tv_sec: 0,
                tv_nsec: 0,
            }
        } else {
            libc::timespec {
                tv_sec: (deadline / 1_000_000_000) as libc::time_t,
                tv_nsec: (deadline % 1_000_000_000) as libc::c_long,
            }
        };
        let spec = libc::itimerspec {
            it_interval: libc::timespec {
                tv_sec: 0,
                tv_nsec: 0,
            },
            it_value: value,
        };
        // SAFETY: `spec` is a valid itimerspec; a NULL old value is allowed.
        cvt(unsafe {
            libc::timerfd_settime(
                fd.as_raw_fd(),
                libc::TFD_TIMER_ABSTIME,
                &spec,
                std::ptr::null_mut(),
            )
        })?;
        self.armed = deadline;
        Ok(())
    }
}

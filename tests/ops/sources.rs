//! The model of one handle's own sources (timers, wake, signals): what each
//! wait may report, and what a wait with room to spare must report.
//!
//! Times are CLOCK_MONOTONIC ns read by the harness around each call, so
//! every check holds whatever the scheduler does:
//! - never early: a timer's n-th report (n = 0, 1, ..) comes from a wait
//!   that returned at or after `added_before + first + n * interval`;
//! - never lost: a wait that had room (fewer events than `maxevents`) and
//!   began at least [`LATE_NS`] after a timer's latest possible deadline
//!   reports it, and so does one that ran into its own timeout at least
//!   [`LATE_TIMED_NS`] after it; a timer added with `first = 0` is due at
//!   once, so the next wait with room reports it (the contract's words);
//! - a wake is pending or not: N wakes before a wait are one WAKE event;
//! - a signal is reported once per raise while pending (a standard one
//!   coalesces into one), by a wait on a handle that added it; a wait with
//!   room for two more events leaves none pending;
//! - room for a wake or a signal counts the kernel's slots, some of which
//!   the library's own fds may have taken for nothing (see `check_wait`).

use std::os::raw::c_int;

use ::repoll::ffi::*;

use super::signals::queues;

/// Slack for a timer due before a wait started (timeout 0 included): the
/// timerfd's expiry runs from a timer interrupt, which a loaded virtual
/// machine may deliver late; generous, so that only a lost timer trips it.
pub const LATE_NS: u64 = 10_000_000;
/// Slack for a wait that returned for its timeout: repoll may report a
/// timer 50 us late (its slack) and rounds timeouts up to whole ms where
/// epoll_pwait2 is missing; both waits then sleep on the kernel's clock.
pub const LATE_TIMED_NS: u64 = 2_000_000;

/// Ids are below 2^53 (exact in a double).
const ID_LIMIT: u64 = 1 << 53;

/// A live timer (not cancelled, and for a one-shot not yet reported).
#[derive(Clone, Debug)]
pub struct Timer {
    pub id: u64,
    pub data: u64,
    pub first: u64,
    pub interval: u64,
    /// Clock read just before and just after the add.
    pub added_before: u64,
    pub added_after: u64,
    /// Reports so far, and when the wait of the last one returned.
    pub reports: u64,
    pub last_report: u64,
}

impl Timer {
    /// The earliest time its next report may come.
    fn earliest(&self) -> u64 {
        self.added_before
            .saturating_add(self.first)
            .saturating_add(self.reports.saturating_mul(self.interval))
    }
    /// The latest time its next deadline can be (re-armed from its
    /// schedule: at most one interval after the last report).
    fn latest(&self) -> u64 {
        if self.reports == 0 {
            self.added_after.saturating_add(self.first)
        } else {
            self.last_report.saturating_add(self.interval)
        }
    }
}

/// One handle's sources, as the harness set them up.
#[derive(Clone, Debug, Default)]
pub struct Sources {
    pub timers: Vec<Timer>,
    /// Ids that were valid once (fired one-shots, cancelled timers).
    pub gone: Vec<u64>,
    /// A wake not yet reported.
    pub wake: bool,
    /// The data of each added signal (index: signal number).
    pub signals: Vec<(c_int, u64)>,
    /// Set once a source was used: the handle then never nests (the raw side
    /// has no such sources) and lockstep waits use a roomy array.
    pub used: bool,
    /// What `repoll_fd` returned, once called.
    pub fd: Option<c_int>,
    /// Tells data values apart.
    pub serial: u64,
    /// Created with REPOLL_RETRY_EINTR.
    pub retry_eintr: bool,
}

/// What the harness saw of one wait.
pub struct Seen {
    pub before: u64,
    pub after: u64,
    /// The timeout the wait was given (ns, 0 = poll).
    pub timeout_ns: u64,
    /// Events written, all of them (the caller's fds included).
    pub n: usize,
    pub maxevents: usize,
}

impl Sources {
    /// A data value no other source of this sequence uses.
    pub fn fresh_data(&mut self, tag: u64) -> u64 {
        self.serial += 1;
        (tag << 56) | self.serial
    }

    /// Whether `id` was ever given out by this handle.
    pub fn known(&self, id: u64) -> bool {
        self.gone.contains(&id) || self.timers.iter().any(|t| t.id == id)
    }

    /// What a wait with room starting at `now` must report, if anything:
    /// a pending wake, a pending added signal, or a timer overdue by
    /// [`LATE_NS`] (once the fd was handed out, its readiness follows).
    pub fn must_report(&self, pending: &[u32; 65], now: u64, timers: bool) -> Option<String> {
        if self.wake {
            return Some("a wake".into());
        }
        if let Some(s) = self.signals.iter().find(|s| pending[s.0 as usize] > 0) {
            return Some(format!("signal {}", s.0));
        }
        self.timers
            .iter()
            .filter(|_| timers)
            .find(|t| t.latest().saturating_add(LATE_NS) <= now)
            .map(|t| {
                format!(
                    "timer {} (latest deadline {} ns, now {now} ns)",
                    t.id,
                    t.latest()
                )
            })
    }

    /// Checks an id fresh from `repoll_timer_add`.
    pub fn check_new_id(&self, id: u64) -> Result<(), String> {
        if id == 0 || id >= ID_LIMIT {
            return Err(format!("timer id {id:#x} is 0 or not below 2^53"));
        }
        if self.known(id) {
            return Err(format!("timer id {id} given out twice"));
        }
        Ok(())
    }

    /// Checks the source events of one wait (`events`: those with a WAKE,
    /// TIMER or SIGNAL bit) and updates the model and the thread's pending
    /// signal counts.
    pub fn check_wait(
        &mut self,
        pending: &mut [u32; 65],
        events: &[(u64, u32)],
        seen: &Seen,
    ) -> Result<(), String> {
        let mut woke = false;
        let mut fired: Vec<u64> = Vec::new();
        for &(data, bits) in events {
            match bits {
                REPOLL_WAKE => {
                    if data != 0 {
                        return Err(format!("WAKE with data {data:#x}, not 0"));
                    }
                    if woke {
                        return Err("two WAKE events in one wait".into());
                    }
                    if !self.wake {
                        return Err("WAKE with no wake pending".into());
                    }
                    woke = true;
                    self.wake = false;
                }
                REPOLL_SIGNAL => {
                    let Some(&(signo, _)) = self.signals.iter().find(|s| s.1 == data) else {
                        return Err(format!("SIGNAL with data {data:#x}: no such signal added"));
                    };
                    let p = &mut pending[signo as usize];
                    if *p == 0 {
                        return Err(format!("signal {signo} reported more often than raised"));
                    }
                    *p -= 1;
                }
                REPOLL_TIMER => {
                    if fired.contains(&data) {
                        return Err(format!(
                            "timer data {data:#x} reported twice in one wait (missed periods must be skipped)"
                        ));
                    }
                    fired.push(data);
                    let Some(k) = self.timers.iter().position(|t| t.data == data) else {
                        return Err(format!(
                            "TIMER with data {data:#x}: no such live timer (cancelled, fired one-shot or never added)"
                        ));
                    };
                    let t = &mut self.timers[k];
                    if seen.after < t.earliest() {
                        return Err(format!(
                            "timer {} reported early: report #{} due at >= {} ns, wait returned at {} ns ({} ns early)",
                            t.id,
                            t.reports,
                            t.earliest(),
                            seen.after,
                            t.earliest() - seen.after
                        ));
                    }
                    t.reports += 1;
                    t.last_report = seen.after;
                    if t.interval == 0 {
                        let t = self.timers.remove(k);
                        self.gone.push(t.id);
                    }
                }
                other => {
                    return Err(format!(
                        "source event bits {other:#x}: not exactly one source bit"
                    ))
                }
            }
        }
        if seen.n >= seen.maxevents {
            return Ok(()); // full: whatever did not fit comes later
        }
        // A wake or a signal needs one of the kernel's slots, and the
        // library's own fds take slots like the caller's: one that fired with
        // nothing to report leaves its slot empty (the nest timerfd of a
        // timer cancelled since; the signal fd of a signal another handle
        // took; the waker only after a kick, which needs a wait blocked in
        // another thread, so never here). So a wait that returned events may
        // leave a wake or a signal to the next wait, as many slots short as
        // such fds exist (the header says so). One that returned none may
        // not: a call whose slots all came to nothing polls again. Due
        // timers are not in the kernel's slots: they fill any room left.
        let may_come_to_nothing = if seen.n == 0 {
            0
        } else {
            usize::from(self.fd.is_some()) + usize::from(!self.signals.is_empty())
        };
        let slots_left = seen.maxevents.saturating_sub(seen.n + may_come_to_nothing);
        if self.wake && slots_left > 0 {
            return Err("a wait with room did not report the pending wake".into());
        }
        // Signals: the library keeps one slot for the timers when their
        // source fired too, so only a wait with room for two more events
        // must have taken every pending one; one with room for one more,
        // at least one.
        let waiting = self
            .signals
            .iter()
            .filter(|s| pending[s.0 as usize] > 0)
            .count();
        let got = events.iter().filter(|e| e.1 == REPOLL_SIGNAL).count();
        if waiting > 0 && (slots_left >= 2 || (slots_left == 1 && got == 0)) {
            return Err(format!(
                "a wait with room ({} of {} events) left {waiting} added signals pending",
                seen.n, seen.maxevents
            ));
        }
        let timed_out = seen.n == 0 && seen.timeout_ns > 0;
        let wait_end = seen.before.saturating_add(seen.timeout_ns);
        for t in &self.timers {
            if fired.contains(&t.data) {
                continue;
            }
            let latest = t.latest();
            let at_once = t.first == 0 && t.reports == 0;
            let overdue = latest.saturating_add(LATE_NS) <= seen.before;
            let in_wait = timed_out && latest.saturating_add(LATE_TIMED_NS) <= wait_end;
            if at_once || overdue || in_wait {
                return Err(format!(
                    "timer {} (first {} ns, interval {} ns, {} reports) not reported by a wait with room: \
                     latest deadline {latest} ns, wait {} .. {} ns, timeout {} ns, {} of {} events{}",
                    t.id,
                    t.first,
                    t.interval,
                    t.reports,
                    seen.before,
                    seen.after,
                    seen.timeout_ns,
                    seen.n,
                    seen.maxevents,
                    if at_once { " (added with first = 0: due at once)" } else { "" }
                ));
            }
        }
        Ok(())
    }
}

/// The thread's pending count of `signo` after one more raise.
pub fn after_raise(signo: c_int, pending: u32) -> u32 {
    if queues(signo) {
        pending + 1
    } else {
        1
    }
}

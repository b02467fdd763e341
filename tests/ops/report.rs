//! What a run reports: the first mismatch with its trace, and counters.

use std::fmt;

/// A mismatch, with where it happened.
#[derive(Debug)]
pub struct Failure {
    /// Index of the failing operation.
    pub step: usize,
    /// What differed.
    pub message: String,
    /// Every operation up to and including the failing one, with results.
    pub trace: Vec<String>,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "mismatch at step {}: {}", self.step, self.message)?;
        writeln!(f, "trace (A = repoll, B = raw epoll):")?;
        for line in &self.trace {
            writeln!(f, "  {line}")?;
        }
        Ok(())
    }
}

/// Counters, to see what a run covered.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    /// Operations applied (including skipped ones).
    pub ops: u64,
    /// Operations skipped (closed slot or instance, no free slot).
    pub skipped: u64,
    /// ctl calls that succeeded on both sides.
    pub ctl_ok: u64,
    /// ctl calls that failed with the same code on both sides.
    pub ctl_err: u64,
    /// ctl calls that repoll rejected up front (EINVAL).
    pub ctl_upfront: u64,
    /// What the kernel said to those (when called): -EINVAL, or the target
    /// fd's -EBADF / -EPERM, which the kernel checks before the flags.
    pub ctl_upfront_raw: std::collections::BTreeMap<i64, u64>,
    /// Waits compared.
    pub waits: u64,
    /// Events compared in those waits.
    pub events: u64,
    /// Sequences cut short because the user's epoll watch limit ran out
    /// (see [`INCONCLUSIVE`]).
    pub inconclusive: u64,
    /// errno histogram of agreeing ctl failures, by errno.
    pub errnos: std::collections::BTreeMap<i32, u64>,
    /// Source events checked against the model: WAKE, SIGNAL, TIMER.
    pub wakes: u64,
    pub signals: u64,
    pub timers: u64,
    /// pwaits a signal let in by the mask interrupted (-EINTR).
    pub eintr: u64,
    /// repoll_ctl_batch calls compared op by op.
    pub batches: u64,
    /// Waits another signal's handler interrupted (libFuzzer's SIGALRM).
    pub foreign_eintr: u64,
}

impl Stats {
    /// Adds another run's counters.
    pub fn merge(&mut self, o: &Stats) {
        self.ops += o.ops;
        self.skipped += o.skipped;
        self.ctl_ok += o.ctl_ok;
        self.ctl_err += o.ctl_err;
        self.ctl_upfront += o.ctl_upfront;
        for (k, v) in &o.ctl_upfront_raw {
            *self.ctl_upfront_raw.entry(*k).or_default() += v;
        }
        self.waits += o.waits;
        self.events += o.events;
        self.inconclusive += o.inconclusive;
        self.wakes += o.wakes;
        self.signals += o.signals;
        self.timers += o.timers;
        self.eintr += o.eintr;
        self.batches += o.batches;
        self.foreign_eintr += o.foreign_eintr;
        for (k, v) in &o.errnos {
            *self.errnos.entry(*k).or_default() += v;
        }
    }
}

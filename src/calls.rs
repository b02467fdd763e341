//! [`Calls`]: the calls in flight on a poller and whether it is closed, in
//! one atomic word, so that "closed" and "the last call out" are decided
//! together and no call ever takes a lock.

use std::sync::atomic::{AtomicUsize, Ordering};

/// The low bit says closed; the rest counts calls in steps of [`ONE_CALL`].
#[derive(Debug, Default)]
pub(crate) struct Calls(AtomicUsize);

const CLOSED: usize = 1;
const ONE_CALL: usize = 2;

impl Calls {
    /// Counts a call in; false if the poller is closed. Counted in either
    /// way: every `enter` is paired with one [`Calls::leave`].
    /// Sequentially consistent, so that a call that then reads other state
    /// and a [`Calls::others_in_flight`] after a write of that state cannot
    /// miss each other (same instruction as Acquire on x86-64).
    #[inline]
    pub(crate) fn enter(&self) -> bool {
        self.0.fetch_add(ONE_CALL, Ordering::SeqCst) & CLOSED == 0
    }

    /// From inside a counted call: whether another call is in flight too.
    pub(crate) fn others_in_flight(&self) -> bool {
        self.0.load(Ordering::SeqCst) / ONE_CALL > 1
    }

    /// Counts a call out; true if it was the last call out of a closed
    /// poller, which must then be released.
    #[inline]
    pub(crate) fn leave(&self) -> bool {
        if self.0.fetch_sub(ONE_CALL, Ordering::Release) != CLOSED | ONE_CALL {
            return false;
        }
        // Pair with every other call's Release so their uses happen before
        // the release (as in Arc). An Acquire load rather than a fence, which
        // ThreadSanitizer ignores.
        self.0.load(Ordering::Acquire);
        true
    }

    /// Marks the poller closed; false if it already was.
    pub(crate) fn close(&self) -> bool {
        self.0.fetch_or(CLOSED, Ordering::AcqRel) & CLOSED == 0
    }

    /// Whether [`Calls::close`] has run.
    pub(crate) fn is_closed(&self) -> bool {
        self.0.load(Ordering::Acquire) & CLOSED != 0
    }

    /// For a closed poller in a forked child, from inside its one call:
    /// forgets the calls counted in the parent's memory image (their threads
    /// do not exist here, so they will never leave), so that this call's
    /// leave is the last.
    pub(crate) fn forget_inherited(&self) {
        self.0.store(CLOSED | ONE_CALL, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_call_out_of_a_closed_poller_releases_it() {
        let calls = Calls::default();
        assert!(calls.enter() && calls.enter());
        assert!(calls.close());
        assert!(!calls.enter(), "a call entering after close is refused");
        assert!(!calls.leave() && !calls.leave());
        assert!(calls.leave(), "the third leave is the last");
    }

    #[test]
    fn an_open_poller_is_never_released_and_closes_once() {
        let calls = Calls::default();
        assert!(calls.enter());
        assert!(!calls.leave());
        assert!(calls.enter());
        assert!(calls.close() && !calls.close() && calls.is_closed());
        assert!(calls.leave());
    }

    #[test]
    fn a_forked_child_forgets_the_parents_calls() {
        let calls = Calls::default();
        assert!(calls.enter() && calls.enter()); // the parent's waiter, the child's close
        assert!(calls.close());
        calls.forget_inherited();
        assert!(calls.leave());
    }
}

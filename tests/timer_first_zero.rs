//! A timer added with `first_ns = 0` is due at once: the next wait reports
//! it, even one that only polls (timeout 0) right after the add. Found by the
//! `ops` fuzz target: with a timerfd armed for "now" the expiry arrives
//! from a timer interrupt a moment later, so a poll made within
//! microseconds of the add could come back empty.

use std::ptr;

use ::repoll::ffi::*;

#[test]
fn a_timer_due_at_once_is_reported_by_the_next_poll() {
    let mut ep = ptr::null_mut();
    // SAFETY: valid pointers throughout; the handle is closed at the end.
    unsafe {
        assert_eq!(repoll_create(&mut ep, 0), 0);
        // A repeating timer keeps the library's next deadline in the near
        // future, the state in which the fuzzer found the miss.
        let mut busy = 0;
        assert_eq!(repoll_timer_add(ep, 100_000, 1, 1, &mut busy), 0);
        let mut ev = [repoll_event_t::default(); 8];
        for round in 0..20_000u64 {
            let mut id = 0;
            let data = 1000 + round;
            assert_eq!(repoll_timer_add(ep, 0, 0, data, &mut id), 0);
            let n = repoll_wait(ep, ev.as_mut_ptr(), 8, 0);
            assert!(n >= 0, "wait: {n}");
            let got = ev[..n as usize]
                .iter()
                .any(|e| e.data == data && e.events == REPOLL_TIMER);
            assert!(
                got,
                "round {round}: the poll right after adding a first = 0 timer missed it"
            );
        }
        assert_eq!(repoll_close(ep), 0);
    }
}

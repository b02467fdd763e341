//! Timer ids through the C API: positive, below 2^53 (exact in a double, the
//! number type of JavaScript and Lua), and never reused while the handle
//! lives, over two million adds and cancels on one handle.

use std::collections::HashSet;
use std::os::raw::c_int;

// Links the library that exports the C functions declared below.
use repoll as _;

#[repr(C)]
struct Handle {
    _opaque: [u8; 0],
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
struct Event {
    data: u64,
    events: u32,
    reserved: u32,
}

extern "C" {
    fn repoll_create(out: *mut *mut Handle, flags: c_int) -> c_int;
    fn repoll_close(ep: *mut Handle) -> c_int;
    fn repoll_wait(
        ep: *mut Handle,
        events: *mut Event,
        maxevents: c_int,
        timeout_ms: c_int,
    ) -> c_int;
    fn repoll_timer_add(
        ep: *mut Handle,
        first_ns: i64,
        interval_ns: i64,
        data: u64,
        id_out: *mut u64,
    ) -> c_int;
    fn repoll_timer_cancel(ep: *mut Handle, id: u64) -> c_int;
}

const HOUR_NS: i64 = 3_600_000_000_000;
const ID_LIMIT: u64 = 1 << 53;

/// A small deterministic generator, so a failure reproduces.
fn lcg(seed: &mut u64) -> u64 {
    *seed = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    *seed >> 33
}

#[test]
fn two_million_added_and_cancelled_timers_get_fresh_ids_below_2_to_53() {
    let mut ep = std::ptr::null_mut();
    // SAFETY: `ep` is a valid out-pointer; every call below passes the handle
    // created here, valid until repoll_close at the end, and valid pointers.
    unsafe {
        assert_eq!(repoll_create(&mut ep, 0), 0);
        let mut seen = HashSet::with_capacity(2_100_000);
        let mut live: Vec<u64> = Vec::new();
        let mut seed = 1;
        let mut events = [Event::default(); 64];
        for i in 0..2_000_000u64 {
            // Mostly timers far in the future (cancelled below), some due at
            // once (fired by the wait): both paths free slots for reuse.
            let due_now = i % 97 == 0;
            let first = if due_now { 0 } else { HOUR_NS };
            let mut id = 0;
            assert_eq!(repoll_timer_add(ep, first, 0, i, &mut id), 0);
            assert!(id > 0 && id < ID_LIMIT, "add {i}: id {id:#x}");
            assert!(seen.insert(id), "add {i}: id {id:#x} issued before");
            if due_now {
                let n = repoll_wait(ep, events.as_mut_ptr(), events.len() as c_int, -1);
                assert!(n >= 1);
                assert_eq!(repoll_timer_cancel(ep, id), -libc::ENOENT, "fired");
                continue;
            }
            live.push(id);
            // Hovers around a few hundred live timers, so several slots churn.
            if lcg(&mut seed) % 1000 < 400 + live.len() as u64 {
                let k = lcg(&mut seed) as usize % live.len();
                let gone = live.swap_remove(k);
                assert_eq!(repoll_timer_cancel(ep, gone), 0);
                assert_eq!(repoll_timer_cancel(ep, gone), -libc::ENOENT);
            }
        }
        for id in live {
            assert_eq!(repoll_timer_cancel(ep, id), 0);
        }
        assert_eq!(repoll_close(ep), 0);
    }
}

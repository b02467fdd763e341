//! Fuzz target: two threads on one repoll handle. The input bytes decode
//! (tests/ops/threads.rs) into thread A's waits and thread B's script of
//! ctl, fd writes, timer add / cancel, wake and close, with steps that wait
//! until A is blocked in the kernel, so that close-while-waiting and
//! cross-thread timers are exercised. A finding, or an fd left open after
//! an input, panics.
//!
//! Run: see fuzz/README.md (`cargo fuzz run threads`). An input replays
//! without cargo-fuzz too: `cargo test --test fuzz_corpus` replays
//! fuzz/corpus/threads/ (or REPOLL_FUZZ_INPUT=<file>).

#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/ops/mod.rs"]
mod ops;

fuzz_target!(|data: &[u8]| {
    ops::init();
    let fds_before = ops::open_fd_count();
    let script = ops::threads::gen_script(&mut ops::Bytes::new(data));
    if let Err(finding) = ops::threads::run_script(&script) {
        panic!("threads: {finding}\nscript: {script:#?}");
    }
    let fds_after = ops::open_fd_count();
    assert_eq!(
        fds_after, fds_before,
        "fd count changed across one input (leak or double close)"
    );
});

//! Fuzz target: the input bytes drive the same operation generator as
//! tests/differential.rs (each decision reads one or a few bytes), and the
//! operations run in lockstep on repoll's C API and on raw epoll. Any
//! difference, or an fd left open, panics with the operation trace.
//!
//! Run: see fuzz/README.md (`cargo fuzz run ops`). A crash input replays
//! without cargo-fuzz too: `REPOLL_DIFF_BYTES=<file> cargo test --test differential`.

#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/ops/mod.rs"]
mod ops;

fuzz_target!(|data: &[u8]| {
    ops::init();
    let fds_before = ops::open_fd_count();
    let mut stats = ops::Stats::default();
    let (_ops, outcome) =
        ops::run_generated(&mut ops::Bytes::new(data), ops::FUZZ_MAX_OPS, &mut stats);
    if let Err(failure) = outcome {
        panic!("repoll differs from raw epoll\n{failure}");
    }
    let fds_after = ops::open_fd_count();
    assert_eq!(
        fds_after, fds_before,
        "fd count changed across one input (leak or double close)"
    );
});

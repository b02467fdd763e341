//! Differential test: random sequences of operations applied in lockstep to
//! repoll (through its C API) and to raw epoll system calls, each side over
//! its own identical set of fds, comparing every return code and every wait
//! result. The operations, the model of intended differences and the
//! comparison live in tests/ops/ (shared with the fuzz target in fuzz/).
//!
//! Reproducible: sequence k (k = 0, 1, …) runs with seed s_k, the k-th output
//! of splitmix64 started at state REPOLL_DIFF_BASE (default 0x7265_706f_6c6c,
//! "repoll"); the sequence's own choices are splitmix64 started at s_k. On a
//! mismatch the test prints the seed, the full trace, and a shrunk trace.
//!
//! Environment:
//!   REPOLL_DIFF_SEED=<u64>   run only the sequence with this seed (decimal or 0x-hex)
//!   REPOLL_DIFF_CASES=<n>    number of sequences (default 3000)
//!   REPOLL_DIFF_OPS=<n>      operations per sequence (default 80)
//!   REPOLL_DIFF_BASE=<u64>   another master seed (explore new sequences)
//!   REPOLL_DIFF_BYTES=<file> replay one fuzzer input (fuzz/artifacts/ops/crash-…)
//!                            instead of seeds: the same decoding as fuzz/
//!
//! Deterministic: every wait has timeout 0; nothing depends on timing.
//!
//! This file holds exactly one test, on purpose: it checks that the number of
//! open fds of the process (/proc/self/fd) is the same after every sequence,
//! which other tests running in parallel threads of this binary would disturb.

mod ops;

use std::time::Instant;

use ops::{Choices, SplitMix64, Stats};

const DEFAULT_BASE: u64 = 0x7265_706f_6c6c;
const DEFAULT_CASES: usize = 3000;
const DEFAULT_OPS: usize = 80;

fn env_u64(name: &str) -> Option<u64> {
    let v = std::env::var(name).ok()?;
    let v = v.trim().replace('_', "");
    let parsed = match v.strip_prefix("0x").or_else(|| v.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => v.parse(),
    };
    Some(parsed.unwrap_or_else(|e| panic!("{name}={v}: {e}")))
}

/// Runs one seeded sequence; on a mismatch, panics with everything needed to
/// replay it.
fn run_seed(seed: u64, n_ops: usize, stats: &mut Stats) {
    let mut rng = SplitMix64(seed);
    let (ops_run, outcome) = ops::run_generated(&mut rng, n_ops, stats);
    let replay = format!("REPOLL_DIFF_SEED={seed:#x} REPOLL_DIFF_OPS={n_ops}");
    report(&format!("seed {seed:#x}"), &replay, &ops_run, outcome);
}

/// On a mismatch: prints the trace and a shrunk trace, then panics.
fn report(what: &str, replay: &str, ops_run: &[ops::Op], outcome: Result<(), ops::Failure>) {
    if let Err(failure) = outcome {
        eprintln!("\n=== repoll differs from raw epoll: {what} ===");
        eprintln!("replay: {replay} cargo test --test differential -- --nocapture");
        eprintln!("{failure}");
        let small = ops::shrink(ops_run, &failure);
        eprintln!("shrunk to {} operations:", small.len());
        match ops::run_ops(&small) {
            Err(f) => eprintln!("{f}"),
            Ok(()) => eprintln!("(the shrunk list passed on replay; use the full trace)"),
        }
        panic!("{what}: {}", failure.message);
    }
}

#[test]
fn repoll_matches_raw_epoll() {
    ops::init();
    let fds_before = ops::open_fd_count();
    let n_ops = env_u64("REPOLL_DIFF_OPS").map_or(DEFAULT_OPS, |n| n as usize);
    let mut stats = Stats::default();
    let start = Instant::now();

    if let Some(path) = std::env::var_os("REPOLL_DIFF_BYTES") {
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
        let mut src = ops::Bytes::new(&bytes);
        let (ops_run, outcome) = ops::run_generated(&mut src, ops::FUZZ_MAX_OPS, &mut stats);
        eprintln!("replayed {} ops from {path:?}", ops_run.len());
        let replay = format!("REPOLL_DIFF_BYTES={}", path.to_string_lossy());
        report(&format!("input {path:?}"), &replay, &ops_run, outcome);
        assert_eq!(ops::open_fd_count(), fds_before, "fd count changed");
        return;
    }

    let seeds: Vec<u64> = match env_u64("REPOLL_DIFF_SEED") {
        Some(seed) => vec![seed],
        None => {
            let cases = env_u64("REPOLL_DIFF_CASES").map_or(DEFAULT_CASES, |n| n as usize);
            let mut master = SplitMix64(env_u64("REPOLL_DIFF_BASE").unwrap_or(DEFAULT_BASE));
            (0..cases).map(|_| master.u64()).collect()
        }
    };

    for &seed in &seeds {
        run_seed(seed, n_ops, &mut stats);
        let now = ops::open_fd_count();
        assert_eq!(
            now, fds_before,
            "seed {seed:#x}: {now} fds open after the sequence, {fds_before} before (leak or double close)"
        );
    }

    if stats.inconclusive > 0 {
        eprintln!(
            "differential: WARNING: {} sequences stopped early: {} \
             (another process is using up fs.epoll.max_user_watches)",
            stats.inconclusive,
            ops::INCONCLUSIVE
        );
    }
    eprintln!(
        "differential: {} sequences x {} ops in {:.2?}: {:?}",
        seeds.len(),
        n_ops,
        start.elapsed(),
        stats
    );
    // The generator must keep reaching the interesting paths.
    if seeds.len() >= 200 {
        assert!(
            stats.ctl_ok > 0 && stats.ctl_err > 0 && stats.ctl_upfront > 0,
            "{stats:?}"
        );
        assert!(stats.events > 0, "{stats:?}");
        assert!(
            stats.wakes > 0
                && stats.signals > 0
                && stats.timers > 0
                && stats.eintr > 0
                && stats.batches > 0,
            "the library's sources, pwait and ctl_batch must be reached: {stats:?}"
        );
        for errno in [
            libc::EEXIST,
            libc::ENOENT,
            libc::EBADF,
            libc::EPERM,
            libc::EINVAL,
            libc::ELOOP,
        ] {
            assert!(
                stats.errnos.contains_key(&errno),
                "errno {errno} never compared: {stats:?}"
            );
        }
    }
}

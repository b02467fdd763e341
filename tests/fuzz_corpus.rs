//! Replays the committed fuzz corpora without the fuzzer, on stable Rust:
//! every file of fuzz/seeds/ops/ through the same decode-and-run function
//! as the `ops` fuzz target (lockstep with raw epoll, sources against their
//! model), every file of fuzz/seeds/threads/ through the `threads` target's,
//! then a few seeded two-thread scripts beyond the corpus.
//!
//! One test on purpose: it checks that the process's open fd count is the
//! same after every input, which tests in parallel threads would disturb,
//! and the harness's signal handler counts are process-wide.
//!
//! Environment:
//!   REPOLL_FUZZ_INPUT=<file>     replay one input (a crash from fuzz/artifacts/)
//!   REPOLL_FUZZ_TARGET=threads   ... as a `threads` input (default: ops)
//!   REPOLL_THREAD_CASES=<n>      seeded two-thread scripts (default 40)

mod ops;

use std::path::{Path, PathBuf};

use ops::{Choices, SplitMix64, Stats};

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    v.sort();
    v
}

fn replay_ops(path: &Path, stats: &mut Stats) {
    let bytes = std::fs::read(path).unwrap();
    let (_, outcome) = ops::run_generated(&mut ops::Bytes::new(&bytes), ops::FUZZ_MAX_OPS, stats);
    if let Err(f) = outcome {
        panic!("{}: {f}", path.display());
    }
}

fn replay_threads(path: &Path) {
    let bytes = std::fs::read(path).unwrap();
    let script = ops::threads::gen_script(&mut ops::Bytes::new(&bytes));
    if let Err(f) = ops::threads::run_script(&script) {
        panic!("{}: {f}\n{script:#?}", path.display());
    }
}

#[test]
fn committed_fuzz_corpus_replays_clean() {
    ops::init();
    let fds_before = ops::open_fd_count();
    let same_fds = |what: &dyn std::fmt::Display| {
        let now = ops::open_fd_count();
        assert_eq!(
            now, fds_before,
            "{what}: {now} fds open, {fds_before} before"
        );
    };
    if let Some(path) = std::env::var_os("REPOLL_FUZZ_INPUT") {
        let path = PathBuf::from(path);
        match std::env::var("REPOLL_FUZZ_TARGET").as_deref() {
            Ok("threads") => replay_threads(&path),
            _ => replay_ops(&path, &mut Stats::default()),
        }
        same_fds(&path.display());
        return;
    }
    let seeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds");
    let mut stats = Stats::default();
    let op_files = files(&seeds.join("ops"));
    for path in &op_files {
        replay_ops(path, &mut stats);
        same_fds(&path.display());
    }
    let thread_files = files(&seeds.join("threads"));
    for path in &thread_files {
        replay_threads(path);
        same_fds(&path.display());
    }
    let cases = std::env::var("REPOLL_THREAD_CASES").map_or(40, |v| v.parse().unwrap());
    let mut master = SplitMix64(0x7468_7265_6164);
    for _ in 0..cases {
        let seed = master.u64();
        let script = ops::threads::gen_script(&mut SplitMix64(seed));
        if let Err(f) = ops::threads::run_script(&script) {
            panic!("two-thread seed {seed:#x}: {f}\n{script:#?}");
        }
        same_fds(&format_args!("two-thread seed {seed:#x}"));
    }
    assert!(
        !op_files.is_empty() && !thread_files.is_empty(),
        "no corpus"
    );
    eprintln!(
        "fuzz_corpus: {} ops inputs, {} threads inputs, {cases} seeded scripts: {stats:?}",
        op_files.len(),
        thread_files.len()
    );
}

//! Every C program in c_tests/ and examples_c/, compiled against the freshly
//! built shared library and run as its own process with a time limit.
//!
//! `REPOLL_C_WRAPPER` (e.g. "valgrind --error-exitcode=99 …") runs each test
//! program under a wrapper; `REPOLL_C_CFLAGS` adds compiler flags.

mod support;

use std::process::Command;
use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use support::*;

/// Each C test gets this long; a hang becomes a failure, not a stuck run.
const LIMIT: Duration = Duration::from_secs(120);

/// C tests that briefly change system-wide state, and so run alone:
/// `exhaustion` lowers fs.epoll.max_user_watches for a few milliseconds (as
/// root, with REPOLL_TEST_SYSCTL=1), which would make any other program's
/// epoll_ctl fail with ENOSPC meanwhile. Every other C program run here
/// holds `SYSTEM_WIDE` shared.
const RUN_ALONE: &[&str] = &["exhaustion"];
static SYSTEM_WIDE: RwLock<()> = RwLock::new(());

fn shared_system() -> RwLockReadGuard<'static, ()> {
    SYSTEM_WIDE.read().unwrap_or_else(PoisonError::into_inner)
}

fn exclusive_system() -> RwLockWriteGuard<'static, ()> {
    SYSTEM_WIDE.write().unwrap_or_else(PoisonError::into_inner)
}

fn extra_cflags() -> Vec<String> {
    std::env::var("REPOLL_C_CFLAGS")
        .map(|f| f.split_whitespace().map(String::from).collect())
        .unwrap_or_default()
}

fn run_c_test(name: &str) {
    let flags = extra_cflags();
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let src = root().join("c_tests").join(format!("{name}.c"));
    // dlopen_* tests load the library themselves, from REPOLL_LIBRARY.
    let dlopen = name.starts_with("dlopen");
    let link = if dlopen { Link::Dlopen } else { Link::Shared };
    let bin = build(&src, name, &flags, link);
    let mut cmd = match std::env::var("REPOLL_C_WRAPPER") {
        Ok(w) if !w.trim().is_empty() => {
            let mut parts = w.split_whitespace();
            let mut cmd = Command::new(parts.next().unwrap());
            cmd.args(parts).arg(&bin);
            cmd
        }
        _ => Command::new(&bin),
    };
    cmd.current_dir(root());
    if dlopen {
        cmd.env("REPOLL_LIBRARY", lib_dir().join("librepoll.so.0"));
    }
    let alone = RUN_ALONE.contains(&name);
    let _shared = (!alone).then(shared_system);
    let _alone = alone.then(exclusive_system);
    let out = run_with_limit(cmd, LIMIT);
    assert_success(name, &out);
}

macro_rules! c_tests {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                run_c_test(stringify!($name));
            }
        )*
        const C_TESTS: &[&str] = &[$(stringify!($name)),*];
    };
}

c_tests!(
    lifecycle,
    layout,
    null_args,
    ctl_errors,
    triggers,
    exclusive,
    hangup,
    pri,
    data_bits,
    timeouts,
    pwait2_fallback,
    pwait,
    pwait_stop_signal,
    pwait_fallback,
    ctl_batch,
    ctl_batch_many,
    eintr,
    cross_thread,
    close_while_waiting,
    nested,
    many_fds,
    wake,
    timers,
    timer_errors,
    timers_under_load,
    signals,
    signal_errors,
    dlopen_lifecycle,
    misuse_matrix,
    stress_threads,
    signal_storm,
    exhaustion,
    fork_child_close,
    alloc_failure,
);

fn c_files_in(dir: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(root().join(dir))
        .unwrap()
        .filter_map(|e| {
            let p = e.unwrap().path();
            (p.extension()? == "c").then(|| p.file_stem().unwrap().to_string_lossy().into_owned())
        })
        .collect();
    names.sort();
    names
}

#[test]
fn every_c_test_file_is_run() {
    let mut listed: Vec<String> = C_TESTS.iter().map(|s| s.to_string()).collect();
    listed.sort();
    assert_eq!(
        c_files_in("c_tests"),
        listed,
        "list every c_tests/*.c in c_tests!()"
    );
}

/// Examples are compiled (so they cannot rot) and run with `--self-test`,
/// which each implements as a short run that ends by itself.
#[test]
fn examples_compile_and_pass_their_self_test() {
    let examples = c_files_in("examples_c");
    assert!(!examples.is_empty());
    for name in examples {
        let src = root().join("examples_c").join(format!("{name}.c"));
        let bin = build(&src, &format!("example_{name}"), &[], Link::Shared);
        let mut cmd = Command::new(&bin);
        cmd.arg("--self-test").current_dir(root());
        let _shared = shared_system();
        let out = run_with_limit(cmd, LIMIT);
        assert_success(&format!("examples_c/{name}.c --self-test"), &out);
    }
}

#[test]
fn header_matches_the_generated_one() {
    let generated = include_str!(concat!(env!("OUT_DIR"), "/repoll.h"));
    let committed = std::fs::read_to_string(root().join("include/repoll.h")).unwrap_or_default();
    assert!(
        generated == committed,
        "include/repoll.h differs from what build.rs generates from src/ffi.\n\
         Regenerate it with `make header` (REPOLL_WRITE_HEADER=1 cargo build) and commit it."
    );
}

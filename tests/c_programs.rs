//! Every C program in c_tests/ and examples_c/, compiled against the freshly
//! built shared library and run as its own process with a time limit.
//!
//! `REPOLL_C_WRAPPER` (e.g. "valgrind --error-exitcode=99 …") runs each
//! program, tests and examples alike, under a wrapper; `REPOLL_C_CFLAGS`
//! adds compiler flags; `REPOLL_C_CC` picks the compiler (see the Makefile's
//! checks). A C test that cannot run here exits with EXIT_SKIPPED: it passes
//! as far as libtest knows, and a "skipped: <test>: <reason>" line on stderr
//! says so.

mod support;

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

fn run_c_test(name: &str) {
    let inst = instrumentation();
    let src = root().join("c_tests").join(format!("{name}.c"));
    // dlopen_* tests load the library themselves, from REPOLL_LIBRARY.
    let dlopen = name.starts_with("dlopen");
    let link = if dlopen { Link::Dlopen } else { Link::Shared };
    let bin = build(&src, name, &inst.cflags(), link);
    let mut cmd = inst.command(&bin);
    cmd.current_dir(root());
    if dlopen {
        cmd.env("REPOLL_LIBRARY", lib_dir().join("librepoll.so.0"));
    }
    let alone = RUN_ALONE.contains(&name);
    let _shared = (!alone).then(shared_system);
    let _alone = alone.then(exclusive_system);
    let out = run_with_limit(cmd, LIMIT);
    report_outcome(name, &outcome(name, &out));
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
/// which each implements as a short run that ends by itself; with the same
/// flags and wrapper as the tests, so sanitizer runs cover them too.
#[test]
fn examples_compile_and_pass_their_self_test() {
    let inst = instrumentation();
    let examples = c_files_in("examples_c");
    assert!(!examples.is_empty());
    for name in examples {
        let src = root().join("examples_c").join(format!("{name}.c"));
        let bin = build(
            &src,
            &format!("example_{name}"),
            &inst.cflags(),
            Link::Shared,
        );
        let mut cmd = inst.command(&bin);
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

/// The skip convention end to end: check.h's skip_test() exits with
/// EXIT_SKIPPED after "skipped: <reason>", which the harness reads as a skip
/// with that reason; a bare 77 that gives no reason fails instead of
/// passing for a skip.
#[test]
fn a_skipped_c_test_is_reported_with_its_reason_and_a_bare_77_fails() {
    let dir = bin_dir().join("skip-probes");
    std::fs::create_dir_all(&dir).unwrap();
    let probe = |name: &str, body: &str| {
        let src = dir.join(format!("{name}.c"));
        std::fs::write(
            &src,
            format!("#include \"check.h\"\nint main(void) {{ {body} }}\n"),
        )
        .unwrap();
        let bin = build(&src, &format!("skip-probes/{name}"), &[], Link::Dlopen);
        run_with_limit(std::process::Command::new(bin), LIMIT)
    };
    let out = probe("skips", r#"skip_test("no %s here", "widget");"#);
    assert_eq!(
        outcome("skips", &out),
        Outcome::Skipped("no widget here".into())
    );
    let out = probe("bare_77", "return EXIT_SKIPPED;");
    let read = std::panic::catch_unwind(|| outcome("bare_77", &out));
    assert!(read.is_err(), "a bare 77 passed as {read:?}");
}

//! Compiling and running C programs against the freshly built library, each
//! in its own process with a time limit. Shared by the C test suites.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The crate root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// target/<profile>, the directory above the test binary's deps/.
pub fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    exe.parent()
        .and_then(Path::parent)
        .expect("target/<profile>/deps/<test>")
        .to_path_buf()
}

/// A directory holding only `librepoll.so` and `librepoll.so.0` (links to
/// the built library), so `-lrepoll` cannot pick the static archive and the
/// programs load the library by its soname through their rpath.
pub fn lib_dir() -> PathBuf {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let dir = profile_dir().join("c-link");
        std::fs::create_dir_all(&dir).unwrap();
        // `cargo test` builds the cdylib into deps/ but only `cargo build`
        // copies it up to target/<profile>/: link the fresh one.
        let lib = profile_dir().join("deps/librepoll.so");
        assert!(
            lib.exists(),
            "{} is missing: cargo did not build the cdylib",
            lib.display()
        );
        for name in ["librepoll.so", "librepoll.so.0"] {
            let link = dir.join(name);
            let _ = std::fs::remove_file(&link);
            std::os::unix::fs::symlink(&lib, &link).unwrap();
        }
        dir
    })
    .clone()
}

/// Where compiled test programs go: `c-bin`, or `c-bin-<tag>` with
/// `REPOLL_C_BIN_TAG=<tag>` (so that sanitizer builds never overwrite, or
/// race with, the plain ones).
pub fn bin_dir() -> PathBuf {
    let dir = match std::env::var("REPOLL_C_BIN_TAG") {
        Ok(tag) if !tag.is_empty() => profile_dir().join(format!("c-bin-{tag}")),
        _ => profile_dir().join("c-bin"),
    };
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The flags every C program built against the library gets, from
/// c_tests/cflags (the one place that defines them; the Makefile and the
/// benchmarks read it too).
pub fn c_flags() -> Vec<&'static str> {
    include_str!("../../c_tests/cflags")
        .lines()
        .filter(|line| !line.trim_start().starts_with('#'))
        .flat_map(str::split_whitespace)
        .collect()
}

/// The warning flags of c_flags() alone (for C++ and for other standards).
pub fn warning_flags() -> Vec<&'static str> {
    c_flags()
        .into_iter()
        .filter(|f| f.starts_with("-W"))
        .collect()
}

/// A compiler as the cc crate finds it for this target (honours CC / CXX
/// and CFLAGS / CXXFLAGS), or `REPOLL_C_CC` when set (a sanitizer run may
/// need clang), at -O1 with debug info.
fn cc_build(cpp: bool) -> cc::Build {
    let mut build = cc::Build::new();
    build
        .cargo_metadata(false)
        .cpp(cpp)
        .target(env!("REPOLL_TARGET"))
        .host(env!("REPOLL_HOST"))
        .opt_level(1)
        .debug(true);
    if let Some(cc) = env_words("REPOLL_C_CC").first().filter(|_| !cpp) {
        build.compiler(cc);
    }
    build
}

/// The C compiler with c_flags().
pub fn compiler() -> Command {
    let mut cmd = cc_build(false).get_compiler().to_command();
    cmd.args(c_flags());
    cmd
}

/// The C++ compiler with warning_flags() (each caller picks its standard).
pub fn cxx_compiler() -> Command {
    let mut cmd = cc_build(true).get_compiler().to_command();
    cmd.args(warning_flags());
    cmd
}

/// An environment variable split into words; empty when unset.
pub fn env_words(name: &str) -> Vec<String> {
    std::env::var(name)
        .map(|v| v.split_whitespace().map(String::from).collect())
        .unwrap_or_default()
}

/// What a sanitizer or valgrind run adds to every C program: compiler flags
/// (`REPOLL_C_CFLAGS`) and a command that runs each program
/// (`REPOLL_C_WRAPPER`, e.g. "valgrind --error-exitcode=99 …").
pub struct Instrumentation {
    pub cflags: Vec<String>,
    pub wrapper: Vec<String>,
}

pub fn instrumentation() -> Instrumentation {
    Instrumentation {
        cflags: env_words("REPOLL_C_CFLAGS"),
        wrapper: env_words("REPOLL_C_WRAPPER"),
    }
}

impl Instrumentation {
    /// A command running `bin` with `args`, under the wrapper if there is one.
    pub fn command(&self, bin: &Path) -> Command {
        match self.wrapper.split_first() {
            Some((first, rest)) => {
                let mut cmd = Command::new(first);
                cmd.args(rest).arg(bin);
                cmd
            }
            None => Command::new(bin),
        }
    }

    pub fn cflags(&self) -> Vec<&str> {
        self.cflags.iter().map(String::as_str).collect()
    }
}

/// How a C program gets the library.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Link {
    /// Linked against the shared library, loaded by its soname (rpath).
    Shared,
    /// Not linked: the program `dlopen`s it (built with `-ldl`).
    Dlopen,
}

/// Compiles `source` into `bin_dir()/<name>`, adding `extra` flags
/// (sanitizers, …). Panics with the compiler's output.
pub fn build(source: &Path, name: &str, extra: &[&str], link: Link) -> PathBuf {
    let out = bin_dir().join(name);
    let mut cmd = compiler();
    cmd.args(extra)
        .arg("-I")
        .arg(root().join("include"))
        .arg("-I")
        .arg(root().join("c_tests"))
        .arg(source)
        .arg("-o")
        .arg(&out);
    match link {
        Link::Shared => {
            let lib = lib_dir();
            cmd.arg("-L")
                .arg(&lib)
                .arg(format!("-Wl,-rpath,{}", lib.display()))
                .arg("-lrepoll");
        }
        Link::Dlopen => {
            cmd.arg("-ldl");
        }
    }
    let res = cmd.output().expect("run the C compiler");
    assert!(
        res.status.success(),
        "compiling {} failed:\n{}",
        source.display(),
        String::from_utf8_lossy(&res.stderr)
    );
    out
}

/// Runs `cmd` to completion, killing it after `limit`. Panics on a timeout.
pub fn run_with_limit(mut cmd: Command, limit: Duration) -> Output {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the test program");
    // Drain pipes on threads so a chatty program cannot block on a full pipe.
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out_t = std::thread::spawn(move || {
        let mut v = Vec::new();
        std::io::Read::read_to_end(&mut stdout, &mut v).ok();
        v
    });
    let err_t = std::thread::spawn(move || {
        let mut v = Vec::new();
        std::io::Read::read_to_end(&mut stderr, &mut v).ok();
        v
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > limit {
            child.kill().ok();
            child.wait().ok();
            panic!(
                "{:?} did not finish within {limit:?} (hang?)\nstderr:\n{}",
                cmd,
                String::from_utf8_lossy(&err_t.join().unwrap())
            );
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    Output {
        status,
        stdout: out_t.join().unwrap(),
        stderr: err_t.join().unwrap(),
    }
}

/// Asserts that a program exited 0, showing its output otherwise.
pub fn assert_success(what: &str, out: &Output) {
    assert!(
        out.status.success(),
        "{what} failed ({}):\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The exit status of a C program that cannot run here (automake's): it
/// prints "skipped: <reason>" first (c_tests/check.h, skip_test).
pub const EXIT_SKIPPED: i32 = 77;

/// How a C test ended, when it did not fail.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// It ran; `skipped_parts` are the parts it said could not run here.
    Passed { skipped_parts: Vec<String> },
    /// It could not run here, for this reason.
    Skipped(String),
}

/// The "skipped: " lines a program printed, without that prefix.
fn skip_lines(out: &Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.strip_prefix("skipped: "))
        .map(String::from)
        .collect()
}

/// Reads a C test's result: exit 0 passes, EXIT_SKIPPED with a reason is a
/// skip; anything else (a skip that gives no reason included) panics with
/// the program's output.
pub fn outcome(what: &str, out: &Output) -> Outcome {
    let reasons = skip_lines(out);
    if out.status.code() == Some(EXIT_SKIPPED) && !reasons.is_empty() {
        return Outcome::Skipped(reasons.join("; "));
    }
    assert_success(what, out);
    Outcome::Passed {
        skipped_parts: reasons,
    }
}

/// Tells whoever runs the tests about a skip. libtest has no "skipped"
/// result and shows a passing test's output only with --nocapture, but its
/// capture takes only the print macros: a write to the stderr handle goes
/// to the terminal (or CI log) whatever the options, one line per skip.
pub fn report_skip(test: &str, reason: &str) {
    use std::io::Write;
    let line = format!("skipped: {test}: {reason}\n");
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}

/// Reports what `outcome` found skipped, if anything.
pub fn report_outcome(test: &str, outcome: &Outcome) {
    match outcome {
        Outcome::Skipped(reason) => report_skip(test, reason),
        Outcome::Passed { skipped_parts } => {
            for part in skipped_parts {
                report_skip(test, part);
            }
        }
    }
}

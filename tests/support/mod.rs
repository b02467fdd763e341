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

/// The C compiler as the cc crate finds it for this target (honours CC and
/// CFLAGS), with the project's warning flags.
pub fn compiler() -> Command {
    let mut cmd = cc::Build::new()
        .cargo_metadata(false)
        .target(env!("REPOLL_TARGET"))
        .host(env!("REPOLL_HOST"))
        .opt_level(1)
        .debug(true)
        .get_compiler()
        .to_command();
    cmd.args(["-std=gnu11", "-Wall", "-Wextra", "-Werror", "-pthread"]);
    cmd
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

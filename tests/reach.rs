//! How the library reaches its users: what `make install` puts where (shared
//! library, stripped, with its soname and links, and its debug info apart;
//! static archive, header, repoll.pc, the API files in share/repoll), the
//! soname link `make build` leaves in the build tree,
//! programs built from the installed copy through pkg-config (dynamically
//! and statically), the exported symbols, `make uninstall`, DESTDIR staging,
//! and the header from pedantic C11 and from C++.
//!
//! Nothing here runs cargo: `cargo test` holds the build directory lock, so a
//! nested cargo would wait for it forever. `make install` is `make
//! install-prep` (cargo build --release, and `cargo rustc ... --print
//! native-static-libs` for repoll.pc's Libs.private) followed by `make
//! install-files`, which only copies; the tests run install-files on the
//! library this very `cargo test` built (BUILD_DIR=target/<profile>/deps) and pass
//! NATIVE_STATIC_LIBS, asked of rustc directly on an empty staticlib (the
//! system libraries Rust's std needs; the static link test below fails if
//! the crate ever needs more than that).

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::Duration;

use support::*;

const LIMIT: Duration = Duration::from_secs(120);
const VERSION: &str = env!("CARGO_PKG_VERSION");

fn soname() -> String {
    format!("librepoll.so.{}", env!("CARGO_PKG_VERSION_MAJOR"))
}

fn sofile() -> String {
    format!("librepoll.so.{VERSION}")
}

/// Fails clearly when a tool these tests drive is not installed.
fn need(tools: &[&str]) {
    for tool in tools {
        if let Err(e) = Command::new(tool).arg("--version").output() {
            panic!(
                "cannot run `{tool}` ({e}): these tests need make, pkg-config, binutils and ldd"
            );
        }
    }
}

/// An empty scratch directory, target/<profile>/reach/<name>.
fn scratch(name: &str) -> PathBuf {
    let dir = profile_dir().join("reach").join(name);
    if dir.exists() {
        std::fs::remove_dir_all(&dir).unwrap();
    }
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `cmd` with the time limit; panics with its output unless it exits 0.
fn run_ok(what: &str, cmd: Command) -> Output {
    let out = run_with_limit(cmd, LIMIT);
    assert_success(what, &out);
    out
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The system libraries a static link needs, as rustc prints them for a
/// staticlib (`--print native-static-libs`), asked once.
fn native_static_libs() -> &'static str {
    static LIBS: OnceLock<String> = OnceLock::new();
    LIBS.get_or_init(|| {
        let dir = scratch("native-static-libs");
        let src = dir.join("empty.rs");
        std::fs::write(&src, "").unwrap();
        let mut cmd = Command::new(std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into()));
        cmd.args(["--crate-type", "staticlib", "--crate-name", "probe"])
            .args(["--target", env!("REPOLL_TARGET")])
            .args(["--print", "native-static-libs", "-o"])
            .arg(dir.join("libprobe.a"))
            .arg(&src);
        let out = run_ok("rustc --print native-static-libs", cmd);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let libs = stderr
            .lines()
            .filter_map(|l| l.strip_prefix("note: native-static-libs:"))
            .next_back()
            .unwrap_or_else(|| panic!("rustc printed no native-static-libs:\n{stderr}"))
            .trim()
            .to_string();
        assert!(!libs.is_empty());
        libs
    })
}

/// `make <args>` in the crate root, with no make variable leaking in from an
/// outer make (`make test` runs cargo test) or from the environment.
fn make(args: &[String]) -> Output {
    let mut cmd = Command::new("make");
    cmd.current_dir(root())
        .arg("--no-print-directory")
        .args(args);
    for var in [
        "MAKEFLAGS",
        "MFLAGS",
        "MAKELEVEL",
        "MAKEFILES",
        "DESTDIR",
        "PREFIX",
        "LIBDIR",
        "INCLUDEDIR",
        "PKGCONFIGDIR",
        "DATADIR",
        "BUILD_DIR",
        "NATIVE_STATIC_LIBS",
    ] {
        cmd.env_remove(var);
    }
    run_ok(&format!("make {}", args.join(" ")), cmd)
}

/// Where an install goes: PREFIX and any other make variables, and the
/// real paths on disk (under DESTDIR, if one is given).
struct Layout {
    vars: Vec<String>,
    destdir: Option<PathBuf>,
    libdir: PathBuf,
    includedir: PathBuf,
    pkgconfigdir: PathBuf,
    /// Where repoll.json and repoll_ffi.h go: $(DATADIR)/repoll.
    apidir: PathBuf,
}

impl Layout {
    /// PREFIX only: the Makefile's defaults for the other directories.
    fn prefix(prefix: &Path) -> Layout {
        Layout {
            vars: vec![format!("PREFIX={}", prefix.display()), "DESTDIR=".into()],
            destdir: None,
            libdir: prefix.join("lib"),
            includedir: prefix.join("include"),
            pkgconfigdir: prefix.join("lib/pkgconfig"),
            apidir: prefix.join("share/repoll"),
        }
    }

    /// The path where a file meant for `path` is really written.
    fn staged(&self, path: &Path) -> PathBuf {
        match &self.destdir {
            Some(d) => d.join(path.strip_prefix("/").unwrap()),
            None => path.to_path_buf(),
        }
    }

    fn lib(&self, name: &str) -> PathBuf {
        self.staged(&self.libdir.join(name))
    }

    fn pc_file(&self) -> PathBuf {
        self.staged(&self.pkgconfigdir.join("repoll.pc"))
    }

    /// `make install-files` of the library this test run built.
    fn install(&self) {
        let mut args = vec![
            "install-files".to_string(),
            // cargo test builds the cdylib and staticlib into deps/; only
            // cargo build copies them up to target/<profile>/.
            format!("BUILD_DIR={}", profile_dir().join("deps").display()),
            format!("NATIVE_STATIC_LIBS={}", native_static_libs()),
        ];
        args.extend(self.vars.iter().cloned());
        make(&args);
    }

    /// `make install-debug-files`: the debug info beside the library.
    fn install_debug(&self) {
        let mut args = vec![
            "install-debug-files".to_string(),
            format!("BUILD_DIR={}", profile_dir().join("deps").display()),
        ];
        args.extend(self.vars.iter().cloned());
        make(&args);
    }

    fn uninstall(&self) {
        let mut args = vec!["uninstall".to_string()];
        args.extend(self.vars.iter().cloned());
        make(&args);
    }
}

/// One installation into target/<profile>/reach/installed/prefix, shared by
/// the tests that only read it.
fn installed() -> &'static Layout {
    static LAYOUT: OnceLock<Layout> = OnceLock::new();
    LAYOUT.get_or_init(|| {
        need(&["make", "pkg-config", "readelf", "nm", "ldd"]);
        let layout = Layout::prefix(&scratch("installed").join("prefix"));
        layout.install();
        layout
    })
}

/// Every file and symlink under `dir` (not directories), relative to it.
fn files_under(dir: &Path) -> BTreeSet<PathBuf> {
    let mut found = BTreeSet::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if std::fs::symlink_metadata(&path).unwrap().is_dir() {
                todo.push(path);
            } else {
                found.insert(path.strip_prefix(dir).unwrap().to_path_buf());
            }
        }
    }
    found
}

/// pkg-config looking only at `pcdir` (and under `sysroot`, if given).
fn pkg_config(pcdir: &Path, sysroot: Option<&Path>, args: &[&str]) -> Vec<String> {
    let mut cmd = Command::new("pkg-config");
    cmd.env("PKG_CONFIG_PATH", pcdir)
        .env("PKG_CONFIG_LIBDIR", pcdir)
        .env_remove("PKG_CONFIG_SYSROOT_DIR")
        .args(args)
        .arg("repoll");
    if let Some(s) = sysroot {
        cmd.env("PKG_CONFIG_SYSROOT_DIR", s);
    }
    let out = run_ok(&format!("pkg-config {}", args.join(" ")), cmd);
    stdout(&out).split_whitespace().map(String::from).collect()
}

/// The dynamic section (`readelf -d`) of an ELF file.
fn dynamic_section(file: &Path) -> String {
    let mut cmd = Command::new("readelf");
    cmd.arg("-d").arg(file);
    stdout(&run_ok("readelf -d", cmd))
}

/// Every function include/repoll.h declares (one prototype per line, as
/// cbindgen writes them).
fn header_functions() -> BTreeSet<String> {
    let header = std::fs::read_to_string(root().join("include/repoll.h")).unwrap();
    let mut names = BTreeSet::new();
    for line in header.lines().map(str::trim) {
        let comment = line.starts_with('*') || line.starts_with("/*") || line.starts_with("//");
        if comment || line.starts_with('#') || !line.ends_with(");") {
            continue;
        }
        let Some(open) = line.find('(') else { continue };
        let name = line[..open]
            .rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .next()
            .unwrap();
        if name.starts_with("repoll_") {
            names.insert(name.to_string());
        }
    }
    assert!(
        names.contains("repoll_create") && names.contains("repoll_version"),
        "could not parse the prototypes of include/repoll.h: {names:?}"
    );
    names
}

#[test]
fn install_puts_the_versioned_library_its_links_archive_header_and_pc_in_place() {
    let layout = installed();
    let full = layout.lib(&sofile());
    assert!(
        std::fs::symlink_metadata(&full)
            .unwrap()
            .file_type()
            .is_file(),
        "{} is not a regular file",
        full.display()
    );
    assert_eq!(
        std::fs::read_link(layout.lib(&soname())).unwrap(),
        PathBuf::from(sofile()),
        "{} must link to the full version",
        soname()
    );
    assert_eq!(
        std::fs::read_link(layout.lib("librepoll.so")).unwrap(),
        PathBuf::from(soname()),
        "librepoll.so (the link-time name) must link to the soname"
    );
    assert!(std::fs::symlink_metadata(layout.lib("librepoll.a"))
        .unwrap()
        .is_file());
    assert_eq!(
        std::fs::read(layout.staged(&layout.includedir.join("repoll.h"))).unwrap(),
        std::fs::read(root().join("include/repoll.h")).unwrap(),
        "the installed header is include/repoll.h"
    );
    let pc = std::fs::read_to_string(layout.pc_file()).unwrap();
    assert!(pc.contains(&format!("\nVersion: {VERSION}\n")), "{pc}");
    for name in ["repoll.json", "repoll_ffi.h"] {
        assert_eq!(
            std::fs::read(layout.staged(&layout.apidir.join(name))).unwrap(),
            std::fs::read(root().join("include").join(name)).unwrap(),
            "the installed {name} is include/{name}"
        );
    }
    let mut expected: BTreeSet<PathBuf> = [
        "include/repoll.h",
        "lib/librepoll.a",
        "lib/pkgconfig/repoll.pc",
        "share/repoll/repoll.json",
        "share/repoll/repoll_ffi.h",
    ]
    .iter()
    .map(PathBuf::from)
    .collect();
    for name in [sofile(), soname(), "librepoll.so".to_string()] {
        expected.insert(Path::new("lib").join(name));
    }
    let prefix = layout.libdir.parent().unwrap();
    assert_eq!(
        files_under(prefix),
        expected,
        "exactly these files are installed"
    );
}

#[test]
fn installed_library_carries_the_soname_librepoll_so_0() {
    let dynamic = dynamic_section(&installed().lib(&sofile()));
    assert!(
        dynamic.contains(&format!("Library soname: [{}]", soname())),
        "SONAME is not {}:\n{dynamic}",
        soname()
    );
}

#[test]
fn pc_file_reports_the_cargo_version_and_the_installed_paths() {
    let layout = installed();
    let pcdir = layout.staged(&layout.pkgconfigdir);
    assert_eq!(pkg_config(&pcdir, None, &["--modversion"]), [VERSION]);
    assert_eq!(
        pkg_config(&pcdir, None, &["--variable=libdir"]),
        [layout.libdir.display().to_string()]
    );
    assert_eq!(
        pkg_config(&pcdir, None, &["--cflags"]),
        [format!("-I{}", layout.includedir.display())]
    );
    assert_eq!(
        pkg_config(&pcdir, None, &["--variable=apidir"]),
        [layout.apidir.display().to_string()],
        "bindings find repoll.json and repoll_ffi.h through the apidir variable"
    );
    let static_libs = pkg_config(&pcdir, None, &["--static", "--libs"]);
    for lib in native_static_libs().split_whitespace() {
        assert!(
            static_libs.iter().any(|l| l == lib),
            "Libs.private lacks {lib}: {static_libs:?}"
        );
    }
    let mut cmd = Command::new("pkg-config");
    cmd.arg("--validate").arg(layout.pc_file());
    run_ok("pkg-config --validate", cmd);
}

#[test]
fn example_built_with_pkg_config_runs_against_the_installed_shared_library() {
    let layout = installed();
    let pcdir = layout.staged(&layout.pkgconfigdir);
    let libdir = pkg_config(&pcdir, None, &["--variable=libdir"]).remove(0);
    let bin = scratch("pkg-config-shared").join("echo_server");
    let mut cc = compiler();
    cc.arg(root().join("examples_c/echo_server.c"))
        .arg("-o")
        .arg(&bin)
        .args(pkg_config(&pcdir, None, &["--cflags"]))
        .args(pkg_config(&pcdir, None, &["--libs"]))
        .arg(format!("-Wl,-rpath,{libdir}"));
    run_ok(
        "compiling echo_server.c with pkg-config --cflags --libs repoll",
        cc,
    );

    // It needs the library by its soname and finds the installed copy.
    let dynamic = dynamic_section(&bin);
    assert!(
        dynamic.contains(&format!("Shared library: [{}]", soname())),
        "{dynamic}"
    );
    let mut ldd = Command::new("ldd");
    ldd.arg(&bin).env_remove("LD_LIBRARY_PATH");
    let resolved = stdout(&run_ok("ldd", ldd));
    let want = format!("{} => {libdir}/{}", soname(), soname());
    assert!(
        resolved.contains(&want),
        "expected `{want}` in ldd output:\n{resolved}"
    );

    let mut cmd = Command::new(&bin);
    cmd.arg("--self-test").env_remove("LD_LIBRARY_PATH");
    run_ok("echo_server --self-test (shared, installed)", cmd);
}

#[test]
fn example_linked_statically_with_pkg_config_static_needs_no_shared_library() {
    let layout = installed();
    let pcdir = layout.staged(&layout.pkgconfigdir);
    let libs = pkg_config(&pcdir, None, &["--static", "--libs"]);
    assert!(libs.iter().any(|l| l == "-lrepoll"), "{libs:?}");
    // Only librepoll itself is linked statically; the system libraries from
    // Libs.private stay shared, as usual.
    let libs: Vec<String> = libs
        .into_iter()
        .flat_map(|l| match l.as_str() {
            "-lrepoll" => vec!["-Wl,-Bstatic".into(), l, "-Wl,-Bdynamic".into()],
            _ => vec![l],
        })
        .collect();
    let bin = scratch("pkg-config-static").join("echo_server");
    let mut cc = compiler();
    cc.arg(root().join("examples_c/echo_server.c"))
        .arg("-o")
        .arg(&bin)
        .args(pkg_config(&pcdir, None, &["--cflags"]))
        .args(&libs);
    run_ok(
        "compiling echo_server.c with pkg-config --static --libs repoll",
        cc,
    );

    let dynamic = dynamic_section(&bin);
    assert!(
        !dynamic.contains("librepoll"),
        "the static build still needs the shared library:\n{dynamic}"
    );
    let mut cmd = Command::new(&bin);
    cmd.arg("--self-test").env_remove("LD_LIBRARY_PATH");
    run_ok("echo_server --self-test (static)", cmd);
}

#[test]
fn shared_library_exports_exactly_the_functions_of_the_header() {
    let mut nm = Command::new("nm");
    nm.args(["-D", "--defined-only"])
        .arg(installed().lib(&sofile()));
    let listing = stdout(&run_ok("nm -D --defined-only", nm));
    let exported: BTreeSet<String> = listing
        .lines()
        .filter_map(|l| l.split_whitespace().last())
        .map(String::from)
        .collect();
    let foreign: Vec<&String> = exported
        .iter()
        .filter(|s| !s.starts_with("repoll_"))
        .collect();
    assert!(
        foreign.is_empty(),
        "symbols outside repoll_* are exported: {foreign:?}"
    );
    let declared = header_functions();
    let missing: Vec<&String> = declared.difference(&exported).collect();
    assert!(
        missing.is_empty(),
        "declared in repoll.h but not exported: {missing:?}"
    );
    let undeclared: Vec<&String> = exported.difference(&declared).collect();
    assert!(
        undeclared.is_empty(),
        "exported but not declared in repoll.h: {undeclared:?}"
    );
}

#[test]
fn uninstall_removes_exactly_what_install_installed() {
    need(&["make"]);
    let prefix = scratch("uninstall").join("prefix");
    // Files that belong to someone else must survive.
    let others = [
        "lib/libother.so.1",
        "include/other.h",
        "lib/pkgconfig/other.pc",
    ];
    for f in others {
        std::fs::create_dir_all(prefix.join(f).parent().unwrap()).unwrap();
        std::fs::write(prefix.join(f), "not repoll's").unwrap();
    }
    let layout = Layout::prefix(&prefix);
    layout.install();
    layout.install_debug();
    assert_eq!(
        files_under(&prefix).len(),
        others.len() + 9,
        "{:?}",
        files_under(&prefix)
    );
    layout.uninstall();
    let left: BTreeSet<PathBuf> = others.iter().map(PathBuf::from).collect();
    assert_eq!(
        files_under(&prefix),
        left,
        "uninstall left files behind or took others"
    );
    assert!(
        !layout.apidir.exists(),
        "uninstall leaves no empty share/repoll"
    );
    // A second uninstall finds nothing to do and does not fail.
    layout.uninstall();
}

#[test]
fn destdir_stages_the_install_and_never_leaks_into_repoll_pc() {
    need(&["make", "pkg-config"]);
    let stage = scratch("destdir").join("stage");
    let prefix = PathBuf::from("/opt/repoll-reach-test");
    assert!(
        !prefix.exists(),
        "{} exists on this machine",
        prefix.display()
    );
    let layout = Layout {
        vars: vec![
            format!("DESTDIR={}", stage.display()),
            format!("PREFIX={}", prefix.display()),
            format!("LIBDIR={}/lib64", prefix.display()),
            format!("PKGCONFIGDIR={}/share/pkgconfig", prefix.display()),
        ],
        destdir: Some(stage.clone()),
        libdir: prefix.join("lib64"),
        includedir: prefix.join("include"),
        pkgconfigdir: prefix.join("share/pkgconfig"),
        apidir: prefix.join("share/repoll"),
    };
    layout.install();
    assert!(!prefix.exists(), "install wrote outside DESTDIR");
    assert!(layout.lib(&sofile()).is_file());
    assert!(layout.staged(&layout.includedir.join("repoll.h")).is_file());
    assert!(layout.staged(&layout.apidir.join("repoll.json")).is_file());

    let pc = std::fs::read_to_string(layout.pc_file()).unwrap();
    let stage_str = stage.display().to_string();
    assert!(
        !pc.contains(&stage_str),
        "DESTDIR leaked into repoll.pc:\n{pc}"
    );
    assert!(pc.contains("prefix=/opt/repoll-reach-test\n"), "{pc}");
    assert!(pc.contains("libdir=${prefix}/lib64\n"), "{pc}");
    assert!(pc.contains("apidir=${prefix}/share/repoll\n"), "{pc}");

    // Consumers of the staged tree (cross builds, packaging checks) reach it
    // through the sysroot; without one the .pc names the final paths.
    let pcdir = layout.staged(&layout.pkgconfigdir);
    assert_eq!(
        pkg_config(&pcdir, None, &["--libs"]),
        ["-L/opt/repoll-reach-test/lib64", "-lrepoll"]
    );
    assert_eq!(
        pkg_config(&pcdir, Some(&stage), &["--cflags"]),
        [format!("-I{stage_str}/opt/repoll-reach-test/include")]
    );

    layout.uninstall();
    assert_eq!(
        files_under(&stage),
        BTreeSet::new(),
        "uninstall under DESTDIR left files"
    );
}

/// The sections (`readelf -S`) of an ELF file.
fn sections(file: &Path) -> String {
    let mut cmd = Command::new("readelf");
    cmd.arg("-SW").arg(file);
    stdout(&run_ok("readelf -S", cmd))
}

/// The CRC-32 that `.gnu_debuglink` records (the zlib / IEEE one).
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = (crc >> 1) ^ (0xEDB8_8320 & (crc & 1).wrapping_neg());
        }
    }
    !crc
}

#[test]
fn installed_libraries_carry_no_debug_info_which_install_debug_puts_beside_them() {
    need(&["make", "readelf"]);
    let layout = Layout::prefix(&scratch("debuginfo").join("prefix"));
    layout.install();
    let lib = layout.lib(&sofile());
    let built = profile_dir().join("deps/librepoll.so");
    assert!(
        sections(&built).contains(".debug_info"),
        "the build has debug info to split"
    );
    let installed = sections(&lib);
    assert!(
        !installed.contains(".debug_"),
        "the installed library is stripped:\n{installed}"
    );
    assert!(
        !sections(&layout.lib("librepoll.a")).contains(".debug_info"),
        "the installed archive is stripped"
    );

    // The .gnu_debuglink section: a file name and the CRC of that file.
    let mut cmd = Command::new("readelf");
    cmd.arg("--debug-dump=links").arg(&lib);
    let links = stdout(&run_ok("readelf --debug-dump=links", cmd));
    let debug_name = format!("{}.debug", sofile());
    assert!(
        links.contains(&format!("Separate debug info file: {debug_name}\n")),
        "{links}"
    );
    let crc = links
        .split("CRC value: 0x")
        .nth(1)
        .and_then(|rest| u32::from_str_radix(rest.split_whitespace().next()?, 16).ok())
        .unwrap_or_else(|| panic!("no CRC in the debuglink:\n{links}"));

    assert!(
        !layout.lib(&debug_name).exists(),
        "make install alone installs no debug info"
    );
    layout.install_debug();
    let debug = std::fs::read(layout.lib(&debug_name)).unwrap();
    assert!(sections(&layout.lib(&debug_name)).contains(".debug_info"));
    assert_eq!(
        crc32(&debug),
        crc,
        "the debug file is the one the library's debuglink names"
    );
}

#[test]
fn soname_link_beside_the_built_library_lets_dlopen_find_it_by_soname() {
    need(&["make"]);
    let dir = scratch("soname-link");
    std::fs::copy(
        profile_dir().join("deps/librepoll.so"),
        dir.join("librepoll.so"),
    )
    .unwrap();
    make(&[
        "soname-link".to_string(),
        format!("BUILD_DIR={}", dir.display()),
    ]);
    assert_eq!(
        std::fs::read_link(dir.join(soname())).unwrap(),
        PathBuf::from("librepoll.so")
    );

    let source = dir.join("dlopen_soname.c");
    std::fs::write(
        &source,
        format!(
            "#include <dlfcn.h>\n#include <stdio.h>\n#include <string.h>\n\
             int main(void) {{\n\
             \tvoid *lib = dlopen(\"{}\", RTLD_NOW);\n\
             \tif (!lib) {{ fprintf(stderr, \"%s\\n\", dlerror()); return 1; }}\n\
             \tconst char *(*version)(void) = (const char *(*)(void))dlsym(lib, \"repoll_version\");\n\
             \treturn version && strcmp(version(), \"{VERSION}\") == 0 ? 0 : 2;\n}}\n",
            soname()
        ),
    )
    .unwrap();
    let bin = build(&source, "dlopen_soname", &[], Link::Dlopen);
    let mut cmd = Command::new(bin);
    cmd.env("LD_LIBRARY_PATH", &dir);
    run_ok("dlopen(\"librepoll.so.0\") from a build directory", cmd);
}

#[test]
fn header_compiles_as_pedantic_c11() {
    let mut cc = compiler();
    cc.args(["-std=c11", "-pedantic", "-fsyntax-only"])
        .arg("-I")
        .arg(root().join("include"))
        .arg(root().join("tests/reach/includes_header.c"));
    run_ok("cc -std=c11 -pedantic on repoll.h", cc);
}

#[test]
fn header_compiles_as_cpp11_and_cpp17() {
    for std in ["-std=c++11", "-std=c++17"] {
        let mut cxx = cxx_compiler();
        cxx.args(["-x", "c++", std, "-pedantic", "-fsyntax-only"])
            .arg("-I")
            .arg(root().join("include"))
            .arg(root().join("tests/reach/includes_header.c"));
        run_ok(&format!("c++ {std} on repoll.h"), cxx);
    }
}

#[test]
fn cpp_program_calls_the_shared_library() {
    let lib = lib_dir();
    let dir = scratch("cpp-api");
    for std in ["-std=c++11", "-std=c++17"] {
        let bin = dir.join(format!("cpp_api{}", &std[5..]));
        let mut cxx = cxx_compiler();
        cxx.args([std, "-pthread"])
            .arg("-I")
            .arg(root().join("include"))
            .arg(root().join("tests/reach/cpp_api.cpp"))
            .arg("-o")
            .arg(&bin)
            .arg("-L")
            .arg(&lib)
            .arg(format!("-Wl,-rpath,{}", lib.display()))
            .arg("-lrepoll");
        run_ok(&format!("compiling tests/reach/cpp_api.cpp ({std})"), cxx);
        run_ok(&format!("cpp_api ({std})"), Command::new(&bin));
    }
}

//! The machine-readable API that build.rs derives from the header
//! (build/api): include/repoll.json and include/repoll_ffi.h are current,
//! hold every constant and function of repoll.h with the same values, agree
//! with the C compiler on every layout and prototype, and are read as is by
//! LuaJIT's ffi.cdef and Python cffi's cdef (each skipped, with a line saying
//! so, where the tool is missing). The generator itself is also run on
//! headers it has not met yet.

mod support;

#[allow(dead_code)]
#[path = "../build/api/mod.rs"]
mod api;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use serde_json::Value as Json;
use support::*;

const GENERATED_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/repoll.json"));
const GENERATED_CDEF: &str = include_str!(concat!(env!("OUT_DIR"), "/repoll_ffi.h"));
const GENERATED_HEADER: &str = include_str!(concat!(env!("OUT_DIR"), "/repoll.h"));
const LIMIT: Duration = Duration::from_secs(60);

fn committed(name: &str) -> String {
    std::fs::read_to_string(root().join("include").join(name)).unwrap_or_default()
}

fn json() -> Json {
    serde_json::from_str(&committed("repoll.json")).expect("include/repoll.json is valid JSON")
}

fn assert_current(name: &str, generated: &str) {
    assert!(
        generated == committed(name),
        "include/{name} differs from what build.rs generates from src/ffi.\n\
         Regenerate it with `make header` (REPOLL_WRITE_HEADER=1 cargo build) and commit it."
    );
}

#[test]
fn repoll_json_matches_the_generated_one() {
    assert_current("repoll.json", GENERATED_JSON);
}

#[test]
fn repoll_ffi_h_matches_the_generated_one() {
    assert_current("repoll_ffi.h", GENERATED_CDEF);
}

/// A constant's value as written in C: `"text"`, or an integer in decimal
/// or hex with an optional `u`/`ll` suffix.
fn c_value(text: &str) -> Json {
    if let Some(s) = text.strip_prefix('"') {
        return Json::from(s.strip_suffix('"').expect("a closed string"));
    }
    let digits = text.trim_end_matches(['u', 'U', 'l', 'L']);
    let n = match digits.strip_prefix("0x") {
        Some(hex) => i64::from_str_radix(hex, 16),
        None => digits.parse(),
    };
    Json::from(n.unwrap_or_else(|_| panic!("not a C integer: {text}")))
}

/// `#define`s of repoll.h except the include guard, in order.
fn header_constants() -> Vec<(String, Json)> {
    let header = committed("repoll.h");
    header
        .lines()
        .filter_map(|l| l.strip_prefix("#define "))
        .filter_map(|d| d.split_once(' '))
        .map(|(name, value)| (name.to_string(), c_value(value.trim())))
        .collect()
}

/// The prototype lines of repoll.h, by function name.
fn header_prototypes() -> BTreeMap<String, String> {
    committed("repoll.h")
        .lines()
        .filter(|l| l.ends_with(");") && !l.starts_with(' '))
        .map(|l| {
            let name = l[..l.find('(').unwrap()].rsplit([' ', '*']).next().unwrap();
            (name.to_string(), l.to_string())
        })
        .collect()
}

/// A JSON function written back as a C prototype.
fn prototype(f: &Json) -> String {
    let decl = |ty: &str, name: &str| {
        if ty.ends_with('*') {
            format!("{ty}{name}")
        } else {
            format!("{ty} {name}")
        }
    };
    let params: Vec<String> = f["params"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| decl(p["type"].as_str().unwrap(), p["name"].as_str().unwrap()))
        .collect();
    let params = if params.is_empty() {
        "void".to_string()
    } else {
        params.join(", ")
    };
    let head = decl(f["returns"].as_str().unwrap(), f["name"].as_str().unwrap());
    format!("{head}({params});")
}

#[test]
fn every_constant_and_function_of_the_header_is_in_both_files_with_the_same_value() {
    let json = json();
    let cdef = committed("repoll_ffi.h");
    let constants = header_constants();
    assert!(constants.len() > 20, "repoll.h's constants were found");

    let in_json: Vec<(String, Json)> = json["constants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["name"].as_str().unwrap().to_string(), c["value"].clone()))
        .collect();
    assert_eq!(
        in_json, constants,
        "repoll.json's constants are repoll.h's, in order"
    );

    for (name, value) in &constants {
        match value {
            Json::String(s) => assert!(
                cdef.contains(&format!("/* {name} is \"{s}\"")),
                "repoll_ffi.h mentions {name} = \"{s}\""
            ),
            _ => {
                let line = cdef
                    .lines()
                    .find(|l| l.starts_with("static const ") && l.contains(&format!(" {name} = ")))
                    .unwrap_or_else(|| panic!("repoll_ffi.h declares {name}"));
                let literal = line.split(" = ").nth(1).unwrap().trim_end_matches(';');
                assert_eq!(&c_value(literal), value, "{name} in repoll_ffi.h");
            }
        }
    }

    let prototypes = header_prototypes();
    assert!(prototypes.contains_key("repoll_create") && prototypes.contains_key("repoll_features"));
    let functions = json["functions"].as_array().unwrap();
    assert_eq!(
        functions.len(),
        prototypes.len(),
        "repoll.json has every function, once"
    );
    for f in functions {
        let name = f["name"].as_str().unwrap();
        assert_eq!(
            Some(&prototype(f)),
            prototypes.get(name),
            "{name} in repoll.json"
        );
    }
    for (name, line) in &prototypes {
        assert!(
            cdef.lines().any(|l| l == line),
            "repoll_ffi.h declares {name} as repoll.h does"
        );
    }
}

#[test]
fn masks_are_hex_unsigned_and_everything_else_is_a_signed_int() {
    for c in json()["constants"].as_array().unwrap() {
        let (name, ty) = (c["name"].as_str().unwrap(), c["type"].as_str().unwrap());
        let expected = if name == "REPOLL_VERSION_STRING" {
            "string"
        } else if [
            "REPOLL_IN",
            "REPOLL_ET",
            "REPOLL_WAKE",
            "REPOLL_FEATURE_PWAIT2",
        ]
        .contains(&name)
        {
            "uint32_t"
        } else if ["REPOLL_CTL_ADD", "REPOLL_CLOEXEC", "REPOLL_EPANIC"].contains(&name) {
            "int32_t"
        } else {
            continue;
        };
        assert_eq!(ty, expected, "{name}");
    }
    assert!(committed("repoll.h").contains("#define REPOLL_ET 0x80000000u\n"));
}

#[test]
fn pointer_parameters_say_whether_they_are_read_or_written() {
    let json = json();
    let direction = |f: &str, p: &str| {
        let f = json["functions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["name"] == f)
            .unwrap();
        let p = f["params"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["name"] == p)
            .unwrap();
        p["direction"].as_str().unwrap().to_string()
    };
    assert_eq!(direction("repoll_create", "out"), "out");
    assert_eq!(direction("repoll_create", "flags"), "in");
    assert_eq!(direction("repoll_wait", "ep"), "in");
    assert_eq!(direction("repoll_wait", "events"), "out");
    assert_eq!(direction("repoll_wait_ns", "events"), "out");
    assert_eq!(direction("repoll_fd", "ep"), "in");
    assert_eq!(direction("repoll_timer_add", "id_out"), "out");
}

#[test]
fn errors_are_those_the_doc_returns_and_inherited_through_same_returns() {
    let json = json();
    let errors = |f: &str| -> Vec<String> {
        let f = json["functions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["name"] == f)
            .unwrap();
        serde_json::from_value(f["errors"].clone()).unwrap()
    };
    assert_eq!(
        errors("repoll_create"),
        ["EINVAL", "EMFILE", "ENFILE", "ENOMEM", "ENOSPC"]
    );
    assert_eq!(errors("repoll_add"), errors("repoll_ctl"));
    assert_eq!(errors("repoll_wait_ns"), errors("repoll_wait"));
    assert!(errors("repoll_version").is_empty());
    assert_eq!(
        json["every_function_may_return"],
        serde_json::json!(["REPOLL_EPANIC"])
    );
}

/// A C file that fails to compile unless every constant, layout and
/// prototype in `json` is what `repoll.h` says.
fn static_asserts(json: &Json) -> String {
    let mut c = String::from("#include <stddef.h>\n#include <signal.h>\n#include \"repoll.h\"\n\n");
    let mut check = |cond: String| {
        c.push_str(&format!(
            "_Static_assert({cond}, \"{}\");\n",
            cond.replace('"', "'")
        ))
    };
    for k in json["constants"].as_array().unwrap() {
        let (name, ty) = (k["name"].as_str().unwrap(), k["type"].as_str().unwrap());
        match &k["value"] {
            Json::String(s) => check(format!("sizeof({name}) == {}", s.len() + 1)),
            v => {
                check(format!("{name} == {v}"));
                check(format!(
                    "__builtin_types_compatible_p(__typeof__({name}), {ty})"
                ));
            }
        }
    }
    for t in json["types"].as_array().unwrap() {
        let name = t["name"].as_str().unwrap();
        if let Some(size) = t["size"].as_u64() {
            check(format!("sizeof({name}) == {size}"));
            check(format!("_Alignof({name}) == {}", t["align"]));
        }
        for f in t["fields"].as_array().into_iter().flatten() {
            let field = f["name"].as_str().unwrap();
            check(format!("offsetof({name}, {field}) == {}", f["offset"]));
            check(format!(
                "__builtin_types_compatible_p(__typeof__((({name} *)0)->{field}), {})",
                f["type"].as_str().unwrap()
            ));
        }
    }
    for f in json["functions"].as_array().unwrap() {
        let params: Vec<&str> = f["params"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["type"].as_str().unwrap())
            .collect();
        let params = if params.is_empty() {
            "void".to_string()
        } else {
            params.join(", ")
        };
        check(format!(
            "__builtin_types_compatible_p(__typeof__(&{}), {} (*)({params}))",
            f["name"].as_str().unwrap(),
            f["returns"].as_str().unwrap()
        ));
    }
    c
}

#[test]
fn json_values_layouts_and_prototypes_agree_with_the_c_compiler() {
    let source = bin_dir().join("generated_static_asserts.c");
    std::fs::write(&source, static_asserts(&json())).unwrap();
    let out = compiler()
        .arg("-fsyntax-only")
        .arg("-I")
        .arg(root().join("include"))
        .arg(&source)
        .output()
        .expect("run the C compiler");
    assert_success("the C compiler's check of repoll.json", &out);
}

/// The library this test run built.
fn library() -> PathBuf {
    lib_dir().join("librepoll.so.0")
}

/// Says on the terminal (past the test harness's capture) that a check did not run.
fn skip(why: &str) {
    let _ = writeln!(std::io::stderr(), "SKIPPED: {why}");
}

fn have(cmd: &str, args: &[&str]) -> bool {
    Command::new(cmd)
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success())
}

/// A Lua script checking `ffi` (with `cdef` in it) against `json`.
fn lua_checks(json: &Json) -> String {
    let mut lua = String::from("local ffi = require'ffi'\n");
    for k in json["constants"].as_array().unwrap() {
        if let Some(v) = k["value"].as_i64() {
            let name = k["name"].as_str().unwrap();
            lua.push_str(&format!(
                "assert(ffi.C.{name} == {v}, '{name} is ' .. tostring(ffi.C.{name}))\n"
            ));
        }
    }
    for t in json["types"].as_array().unwrap() {
        let name = t["name"].as_str().unwrap();
        if let Some(size) = t["size"].as_u64() {
            lua.push_str(&format!(
                "assert(ffi.sizeof('{name}') == {size}, 'sizeof {name}')\n"
            ));
            lua.push_str(&format!(
                "assert(ffi.alignof('{name}') == {}, 'alignof {name}')\n",
                t["align"]
            ));
        }
        for f in t["fields"].as_array().into_iter().flatten() {
            let field = f["name"].as_str().unwrap();
            lua.push_str(&format!(
                "assert(ffi.offsetof('{name}', '{field}') == {}, 'offsetof {name}.{field}')\n",
                f["offset"]
            ));
        }
    }
    lua
}

fn run_lua(script: String, what: &str) {
    let path = bin_dir().join(format!("{what}.lua"));
    std::fs::write(&path, script).unwrap();
    let mut cmd = Command::new("luajit");
    cmd.arg(&path);
    assert_success(what, &run_with_limit(cmd, LIMIT));
}

#[test]
fn luajit_reads_the_ffi_header_as_is_and_calls_the_library() {
    if !have("luajit", &["-e", "require'ffi'"]) {
        return skip(
            "luajit_reads_the_ffi_header_as_is_and_calls_the_library: no `luajit` on PATH",
        );
    }
    let json = json();
    let mut lua = format!(
        "local ffi = require'ffi'\nffi.cdef(io.open('{}'):read'*a')\n",
        root().join("include/repoll_ffi.h").display()
    );
    lua.push_str(&lua_checks(&json));
    lua.push_str(&format!(
        "local lib = ffi.load('{}')\n",
        library().display()
    ));
    for f in json["functions"].as_array().unwrap() {
        let name = f["name"].as_str().unwrap();
        lua.push_str(&format!(
            "assert(pcall(function() return lib.{name} end), '{name} resolves')\n"
        ));
    }
    lua.push_str(&format!(
        "assert(ffi.string(lib.repoll_version()) == '{}')\n\
         local out = ffi.new('repoll_t *[1]')\n\
         assert(lib.repoll_create(out, 0) == 0)\n\
         local ev = ffi.new('repoll_event_t[4]')\n\
         assert(lib.repoll_wake(out[0]) == 0)\n\
         assert(lib.repoll_wait(out[0], ev, 4, -1) == 1 and ev[0].events == ffi.C.REPOLL_WAKE)\n\
         assert(lib.repoll_close(out[0]) == 0)\n",
        json["version"].as_str().unwrap()
    ));
    run_lua(lua, "luajit_ffi_h");
}

#[test]
fn python_cffi_reads_the_ffi_header_as_is_and_calls_the_library() {
    if !have("python3", &["-c", "import cffi"]) {
        return skip(
            "python_cffi_reads_the_ffi_header_as_is_and_calls_the_library: python3 cannot \
             `import cffi` (pip install cffi)",
        );
    }
    let json = json();
    let mut py = format!(
        "import warnings\nwarnings.simplefilter('error')\nimport cffi\nffi = cffi.FFI()\n\
         ffi.cdef(open({:?}).read())\nlib = ffi.dlopen({:?})\n",
        root().join("include/repoll_ffi.h").display().to_string(),
        library().display().to_string()
    );
    for k in json["constants"].as_array().unwrap() {
        if let Some(v) = k["value"].as_i64() {
            let name = k["name"].as_str().unwrap();
            py.push_str(&format!(
                "assert lib.{name} == {v}, ('{name}', lib.{name})\n"
            ));
        }
    }
    for t in json["types"].as_array().unwrap() {
        let name = t["name"].as_str().unwrap();
        if let Some(size) = t["size"].as_u64() {
            py.push_str(&format!("assert ffi.sizeof('{name}') == {size}\n"));
            py.push_str(&format!("assert ffi.alignof('{name}') == {}\n", t["align"]));
        }
        for f in t["fields"].as_array().into_iter().flatten() {
            py.push_str(&format!(
                "assert ffi.offsetof('{name}', '{}') == {}\n",
                f["name"].as_str().unwrap(),
                f["offset"]
            ));
        }
    }
    for f in json["functions"].as_array().unwrap() {
        py.push_str(&format!(
            "getattr(lib, '{}')\n",
            f["name"].as_str().unwrap()
        ));
    }
    py.push_str(&format!(
        "assert ffi.string(lib.repoll_version()).decode() == '{}'\n\
         out = ffi.new('repoll_t **')\n\
         assert lib.repoll_create(out, 0) == 0\n\
         ev = ffi.new('repoll_event_t[4]')\n\
         assert lib.repoll_wake(out[0]) == 0\n\
         assert lib.repoll_wait(out[0], ev, 4, -1) == 1 and ev[0].events == lib.REPOLL_WAKE\n\
         assert lib.repoll_close(out[0]) == 0\n",
        json["version"].as_str().unwrap()
    ));
    let path = bin_dir().join("cffi_ffi_h.py");
    std::fs::write(&path, py).unwrap();
    let mut cmd = Command::new("python3");
    cmd.arg(&path);
    assert_success("cffi reading repoll_ffi.h", &run_with_limit(cmd, LIMIT));
}

// ---- the generator on headers it has not met yet ----

fn host() -> api::Target {
    api::Target {
        pointer_bytes: std::mem::size_of::<usize>() as u64,
        int64_align: if cfg!(target_arch = "x86") { 4 } else { 8 },
        env: if cfg!(target_env = "musl") {
            "musl"
        } else {
            "gnu"
        }
        .to_string(),
    }
}

/// The generated header, with its v0.2 additions `repoll_pwait` (a
/// `sigset_t` from <signal.h>) and `repoll_ctl_batch` (a new struct and an
/// inout array), and `batch_doc` as the latter's "Directions:" sentence.
fn header_with_pwait_and_ctl_batch(batch_doc: &str) -> String {
    const DECLARED: &str = " * Directions: `ops` inout.";
    assert!(
        GENERATED_HEADER.contains("int repoll_pwait(") && GENERATED_HEADER.contains(DECLARED),
        "the generated header lost repoll_pwait or repoll_ctl_batch's directions"
    );
    GENERATED_HEADER.replacen(DECLARED, &format!(" *{batch_doc}"), 1)
}

#[test]
fn generator_describes_pwait_and_ctl_batch_without_changes() {
    let header = header_with_pwait_and_ctl_batch(" Directions: `ops` inout.");
    let api = api::Api::from_header(&header, &host()).unwrap();
    let json: Json = serde_json::from_str(&api.json().unwrap()).unwrap();

    let sigset = json["types"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "sigset_t")
        .unwrap();
    assert_eq!(sigset["kind"], "opaque");
    assert_eq!(sigset["size"], 128);
    assert_eq!(sigset["align"], host().pointer_bytes);

    let op = json["types"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "repoll_ctl_op_t")
        .unwrap();
    assert_eq!(
        (op["size"].as_u64(), op["align"].as_u64()),
        (Some(24), Some(8))
    );
    let offsets: Vec<u64> = op["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["offset"].as_u64().unwrap())
        .collect();
    assert_eq!(offsets, [0, 4, 8, 12, 16]);

    let function = |name: &str| {
        json["functions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == name)
            .unwrap()
            .clone()
    };
    let directions = |f: &Json| -> Vec<String> {
        f["params"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["direction"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        directions(&function("repoll_pwait")),
        ["in", "out", "in", "in", "in"]
    );
    assert_eq!(
        directions(&function("repoll_ctl_batch")),
        ["in", "inout", "in"]
    );
    assert_eq!(
        function("repoll_pwait")["errors"],
        serde_json::json!(["EBADF", "EINTR", "EINVAL"])
    );

    // The C compiler lays the scratch header out as the JSON says.
    let include = bin_dir().join("scratch-include");
    std::fs::create_dir_all(&include).unwrap();
    std::fs::write(include.join("repoll.h"), &header).unwrap();
    let source = include.join("static_asserts.c");
    std::fs::write(&source, static_asserts(&json)).unwrap();
    let out = compiler()
        .arg("-fsyntax-only")
        .arg("-I")
        .arg(&include)
        .arg(&source)
        .output()
        .expect("run the C compiler");
    assert_success("the C compiler's check of the scratch JSON", &out);

    // The FFI parsers accept the result, sigset_t included.
    let cdef = api.cdef();
    assert!(cdef.contains(&format!(
        "typedef struct {{ unsigned long __val[{}]; }} sigset_t;",
        128 / host().pointer_bytes
    )));
    assert!(cdef.contains("int repoll_pwait(repoll_t *ep, repoll_event_t *events, int maxevents, int64_t timeout_ns, const sigset_t *sigmask);"));
    assert!(
        !cdef.lines().any(|l| l.starts_with('#')),
        "no preprocessor line"
    );
    if have("luajit", &["-e", "require'ffi'"]) {
        let path = bin_dir().join("scratch_ffi.h");
        std::fs::write(&path, &cdef).unwrap();
        let mut lua = format!(
            "local ffi = require'ffi'\nffi.cdef(io.open('{}'):read'*a')\n",
            path.display()
        );
        lua.push_str(&lua_checks(&json));
        run_lua(lua, "luajit_scratch_ffi_h");
    } else {
        skip(
            "generator_describes_pwait_and_ctl_batch_without_changes: no `luajit`, cdef not tried",
        );
    }
}

#[test]
fn a_pointer_parameter_without_a_direction_fails_the_build() {
    let err = api::Api::from_header(&header_with_pwait_and_ctl_batch(""), &host())
        .err()
        .expect("an error");
    assert!(
        err.contains("repoll_ctl_batch") && err.contains("`ops` has no derivable direction"),
        "{err}"
    );

    let wrong = header_with_pwait_and_ctl_batch(" Directions: `opz` inout.");
    let err = api::Api::from_header(&wrong, &host())
        .err()
        .expect("an error");
    assert!(err.contains("`opz`, which is no parameter"), "{err}");
}

#[test]
fn a_line_the_generator_does_not_know_fails_the_build() {
    let header = GENERATED_HEADER.replace(
        "struct repoll;\n",
        "struct repoll;\nunion repoll_u { int a; };\n",
    );
    let err = api::Api::from_header(&header, &host())
        .err()
        .expect("an error");
    assert!(err.contains("union repoll_u"), "{err}");
}

#[test]
fn the_header_writes_unsigned_constants_in_hex() {
    assert_eq!(
        api::hex_masks("#define A 2147483648u\n#define B 3\n"),
        "#define A 0x80000000u\n#define B 3\n"
    );
}

#[test]
fn strerror_says_success_for_zero_and_any_count_as_its_doc_says() {
    let json = json();
    let doc = json["functions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "repoll_strerror")
        .unwrap()["doc"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        doc.contains("\"Success\" for 0 and any positive count"),
        "{doc}"
    );
    let message = |code: i32| {
        // SAFETY: repoll_strerror returns a static NUL-terminated string.
        unsafe { std::ffi::CStr::from_ptr(repoll::ffi::repoll_strerror(code)) }
            .to_str()
            .unwrap()
            .to_string()
    };
    for count in [0, 1, 2, libc::EINVAL, repoll::ffi::REPOLL_EPANIC, i32::MAX] {
        assert_eq!(message(count), "Success", "repoll_strerror({count})");
    }
    assert_eq!(message(-libc::EINVAL), "Invalid argument");
    assert!(message(-repoll::ffi::REPOLL_EPANIC).contains("panic"));
    assert_eq!(message(-123456), "Unknown error");
}

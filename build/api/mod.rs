//! The machine-readable descriptions of the C API, derived from the header
//! cbindgen just wrote (so nothing is listed twice by hand):
//! `repoll.json` for binding generators and `repoll_ffi.h`, the declarations
//! without preprocessor lines, for LuaJIT's `ffi.cdef` and Python cffi's
//! `cdef`. Shared by build.rs and tests/generated.rs; every failure is an
//! `Err` naming what the header lacks, which build.rs turns into a failed
//! build.

mod cdef;
mod json;
mod layout;
mod parse;
mod text;

pub use layout::Target;

/// One `#define` of the header.
pub struct Constant {
    pub name: String,
    pub value: Value,
    pub doc: String,
}

pub enum Value {
    /// The value and its C type (`uint32_t` for the `u`-suffixed masks).
    Int(i64, &'static str),
    Str(String),
}

/// A type a binding has to declare: the opaque handle, a struct, or a system
/// type that a prototype uses.
pub struct Type {
    /// The typedef name (`repoll_event_t`).
    pub name: String,
    /// What C calls it (`struct repoll_event`, `sigset_t`).
    pub c: String,
    pub doc: String,
    pub kind: Kind,
}

pub enum Kind {
    /// Only ever used through a pointer.
    Opaque,
    Struct {
        fields: Vec<Field>,
        size: u64,
        align: u64,
    },
    /// Declared by a system header, with the layout of the build target.
    System {
        header: &'static str,
        size: u64,
        align: u64,
        /// Its declaration for FFI parsers, which know no system header.
        cdef: String,
    },
}

pub struct Field {
    pub name: String,
    pub ty: String,
    pub offset: u64,
    pub doc: String,
}

pub struct Function {
    pub name: String,
    pub returns: String,
    pub params: Vec<Param>,
    pub doc: String,
    /// The first sentence of `doc`.
    pub summary: String,
    /// The distinct `-EXXX` codes the doc names (without the minus).
    pub errors: Vec<String>,
}

pub struct Param {
    pub name: String,
    pub ty: String,
    /// "in", "out" or "inout" (see `parse::direction` for the rule).
    pub direction: &'static str,
}

/// Everything the header declares, in the header's order.
pub struct Api {
    pub constants: Vec<Constant>,
    pub types: Vec<Type>,
    pub functions: Vec<Function>,
}

impl Api {
    /// Reads the header cbindgen wrote, laid out for `target`.
    pub fn from_header(header: &str, target: &Target) -> Result<Api, String> {
        parse::parse(header, target)
    }

    /// `repoll.json`.
    pub fn json(&self) -> Result<String, String> {
        json::write(self)
    }

    /// `repoll_ffi.h`.
    pub fn cdef(&self) -> String {
        cdef::write(self)
    }

    pub fn constant(&self, name: &str) -> Option<&Constant> {
        self.constants.iter().find(|c| c.name == name)
    }
}

/// Rewrites cbindgen's unsigned constants (`#define REPOLL_ET 2147483648u`,
/// from a `u32`-suffixed literal) in hex (`0x80000000u`): cbindgen prints
/// every integer in decimal, and bit masks read better in hex.
pub fn hex_masks(header: &str) -> String {
    let mut out = String::with_capacity(header.len());
    for line in header.split_inclusive('\n') {
        out.push_str(&text::hex_mask_define(line).unwrap_or_else(|| line.to_string()));
    }
    out
}

/// build.rs's part: writes `repoll.json` and `repoll_ffi.h` for `header`
/// into `out_dir`, and into `include` too (`make header`). A header the
/// generator cannot describe fails the build, saying why.
pub fn write_files(header: &str, out_dir: &std::path::Path, include: Option<&std::path::Path>) {
    let api = Api::from_header(header, &Target::from_cargo_env())
        .unwrap_or_else(|e| panic!("build/api cannot describe the header: {e}"));
    let json = api.json().unwrap_or_else(|e| panic!("build/api: {e}"));
    let files = [("repoll.json", json), ("repoll_ffi.h", api.cdef())];
    for dir in std::iter::once(out_dir).chain(include) {
        for (name, text) in &files {
            std::fs::write(dir.join(name), text)
                .unwrap_or_else(|e| panic!("writing {}: {e}", dir.join(name).display()));
        }
    }
}

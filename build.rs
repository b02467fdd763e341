//! Generates the C header from src/ffi (into OUT_DIR; `make header` copies it
//! to include/repoll.h, and a test fails while the committed copy differs)
//! and gives the shared library its soname.

use std::env;
use std::path::PathBuf;

#[path = "build/api/mod.rs"]
mod api;

fn main() {
    let crate_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let out = PathBuf::from(env::var("OUT_DIR").unwrap()).join("repoll.h");

    // The ABI only breaks with the major version, so the soname carries it alone.
    let major = env::var("CARGO_PKG_VERSION_MAJOR").unwrap();
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,librepoll.so.{major}");

    let version = format!(
        "\n/* The version of this header; repoll_version() is the library's. */\n\
         #define REPOLL_VERSION_MAJOR {}\n#define REPOLL_VERSION_MINOR {}\n#define REPOLL_VERSION_PATCH {}\n\
         #define REPOLL_VERSION_STRING \"{}\"",
        major,
        env::var("CARGO_PKG_VERSION_MINOR").unwrap(),
        env::var("CARGO_PKG_VERSION_PATCH").unwrap(),
        env::var("CARGO_PKG_VERSION").unwrap(),
    );
    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml"))
        .expect("cbindgen.toml is readable and valid");
    let mut header = Vec::new();
    cbindgen::Builder::new()
        .with_crate(&crate_dir)
        .with_config(config)
        .with_after_include(version)
        .generate()
        .expect("cbindgen could not generate the header")
        .write(&mut header);
    let header = String::from_utf8(header).expect("cbindgen writes UTF-8");
    let header = api::hex_masks(&header);
    std::fs::write(&out, &header).expect("OUT_DIR is writable");

    if env::var_os("REPOLL_WRITE_HEADER").is_some() {
        std::fs::create_dir_all(crate_dir.join("include")).unwrap();
        std::fs::copy(&out, crate_dir.join("include/repoll.h")).unwrap();
    }
    // repoll.json and repoll_ffi.h, beside the header and from it.
    let include = env::var_os("REPOLL_WRITE_HEADER").map(|_| crate_dir.join("include"));
    api::write_files(&header, out.parent().unwrap(), include.as_deref());
    // The C test harness compiles for the same target as the library.
    println!(
        "cargo:rustc-env=REPOLL_TARGET={}",
        env::var("TARGET").unwrap()
    );
    println!("cargo:rustc-env=REPOLL_HOST={}", env::var("HOST").unwrap());
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-changed=build");
    println!("cargo:rerun-if-env-changed=REPOLL_WRITE_HEADER");
}

//! Sizes and alignments by the C rules of the build target (tests/generated.rs
//! checks every figure against the C compiler).

/// What the layout rules need to know of the target.
pub struct Target {
    /// Bytes in a pointer, a `long` and a `size_t` (LP64 or ILP32: Linux).
    pub pointer_bytes: u64,
    /// Alignment of a 64-bit integer inside a struct (4 on 32-bit x86).
    pub int64_align: u64,
    /// The C library (`gnu`, `musl`, …), which defines `sigset_t`.
    pub env: String,
}

impl Target {
    /// The target cargo is building for, from a build script's environment.
    pub fn from_cargo_env() -> Target {
        let var = |name: &str| std::env::var(name).unwrap_or_default();
        let pointer_bytes = var("CARGO_CFG_TARGET_POINTER_WIDTH")
            .parse::<u64>()
            .expect("CARGO_CFG_TARGET_POINTER_WIDTH is a number")
            / 8;
        Target {
            pointer_bytes,
            int64_align: if var("CARGO_CFG_TARGET_ARCH") == "x86" {
                4
            } else {
                8
            },
            env: var("CARGO_CFG_TARGET_ENV"),
        }
    }

    /// Size and alignment of a scalar or pointer type as the header spells it.
    pub fn scalar(&self, ty: &str) -> Option<(u64, u64)> {
        if ty.ends_with('*') {
            return Some((self.pointer_bytes, self.pointer_bytes));
        }
        let ty = ty.strip_prefix("const ").unwrap_or(ty);
        Some(match ty {
            "int8_t" | "uint8_t" | "char" | "bool" => (1, 1),
            "int16_t" | "uint16_t" => (2, 2),
            "int32_t" | "uint32_t" | "int" | "unsigned int" => (4, 4),
            "int64_t" | "uint64_t" => (8, self.int64_align),
            "long" | "unsigned long" | "size_t" | "intptr_t" | "uintptr_t" => {
                (self.pointer_bytes, self.pointer_bytes)
            }
            _ => return None,
        })
    }

    /// A system type a prototype may use: its header, size, alignment and a
    /// declaration of the same layout for FFI parsers.
    pub fn system_type(&self, name: &str) -> Result<(&'static str, u64, u64, String), String> {
        match name {
            // glibc and musl: 1024 bits, as an array of unsigned long.
            "sigset_t" if self.env == "gnu" || self.env == "musl" => {
                let count = 1024 / (8 * self.pointer_bytes);
                let cdef = format!("typedef struct {{ unsigned long __val[{count}]; }} sigset_t;");
                Ok(("signal.h", 128, self.pointer_bytes, cdef))
            }
            _ => Err(format!(
                "the header uses `{name}`, whose layout build/api/layout.rs does not know for \
                 target env `{}`: add it to Target::system_type",
                self.env
            )),
        }
    }
}

/// Lays out fields in order with natural alignment: the offset of each, then
/// the struct's size (padded to its alignment) and alignment.
pub fn lay_out(fields: &[(u64, u64)]) -> (Vec<u64>, u64, u64) {
    let mut offsets = Vec::with_capacity(fields.len());
    let mut end: u64 = 0;
    let mut align: u64 = 1;
    for &(size, a) in fields {
        let offset = end.div_ceil(a) * a;
        offsets.push(offset);
        end = offset + size;
        align = align.max(a);
    }
    (offsets, end.div_ceil(align) * align, align)
}

//! Small text rules: doc comments, C integer literals, first sentences and
//! error names.

/// `#define NAME 2147483648u` -> `#define NAME 0x80000000u` (with the line
/// ending kept); `None` for any other line.
pub fn hex_mask_define(line: &str) -> Option<String> {
    let body = line.trim_end_matches(['\n', '\r']);
    let ending = &line[body.len()..];
    let rest = body.strip_prefix("#define ")?;
    let (name, value) = rest.split_once(' ')?;
    let digits_end = value.find(|c: char| !c.is_ascii_digit())?;
    let (digits, suffix) = value.split_at(digits_end);
    if digits.is_empty() || !suffix.starts_with('u') || !suffix.chars().all(|c| "ulUL".contains(c))
    {
        return None;
    }
    let n: u64 = digits.parse().ok()?;
    Some(format!("#define {name} 0x{n:x}{suffix}{ending}"))
}

/// A C integer literal as cbindgen (and `hex_masks`) write it: decimal or
/// hex, an optional minus, an optional `u`/`ll`/`ull` suffix. Returns the
/// value and the C type the suffix gives (`int32_t` without one).
pub fn int_literal(text: &str) -> Option<(i64, &'static str)> {
    let (negative, t) = match text.strip_prefix('-') {
        Some(t) => (true, t),
        None => (false, text),
    };
    let digits_end = t.find(|c: char| "uUlL".contains(c)).unwrap_or(t.len());
    let (digits, suffix) = t.split_at(digits_end);
    let magnitude = match digits.strip_prefix("0x") {
        Some(hex) => i64::from_str_radix(hex, 16).ok()?,
        None => digits.parse::<i64>().ok()?,
    };
    let value = if negative { -magnitude } else { magnitude };
    let ty = match suffix.to_ascii_lowercase().as_str() {
        "" => "int32_t",
        "u" => "uint32_t",
        "ll" => "int64_t",
        "ull" => "uint64_t",
        _ => return None,
    };
    let fits = match ty {
        "int32_t" => i32::try_from(value).is_ok(),
        "uint32_t" => u32::try_from(value).is_ok(),
        _ => true,
    };
    fits.then_some((value, ty))
}

/// The text of a doc comment's lines (`/**`, ` * text`, ` */`, any
/// indentation): paragraphs joined by a blank line, lines within a paragraph
/// by a space.
pub fn doc_text(lines: &[&str]) -> String {
    let mut paragraphs: Vec<String> = vec![String::new()];
    for line in lines {
        let l = line.trim();
        let l = l.strip_prefix("/**").unwrap_or(l);
        let l = l.strip_suffix("*/").unwrap_or(l).trim_end();
        let l = l.strip_prefix('*').unwrap_or(l).trim();
        if l.is_empty() {
            if !paragraphs.last().unwrap().is_empty() {
                paragraphs.push(String::new());
            }
            continue;
        }
        let p = paragraphs.last_mut().unwrap();
        if !p.is_empty() {
            p.push(' ');
        }
        p.push_str(l);
    }
    paragraphs.retain(|p| !p.is_empty());
    paragraphs.join("\n\n")
}

/// The first sentence of a doc: its first paragraph up to the first full
/// stop followed by a space, outside parentheses and `code` (so
/// "(e.g. a file)" and "`a.b`" do not end it).
pub fn first_sentence(doc: &str) -> String {
    let para = doc.split("\n\n").next().unwrap_or("");
    let mut depth = 0i32;
    let mut code = false;
    let bytes = para.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'`' => code = !code,
            b'(' if !code => depth += 1,
            b')' if !code => depth -= 1,
            b'.' if !code && depth <= 0 && bytes.get(i + 1).map_or(true, |&n| n == b' ') => {
                let before = &para[..i];
                if !(before.ends_with("e.g") || before.ends_with("i.e")) {
                    return para[..=i].to_string();
                }
            }
            _ => {}
        }
    }
    para.to_string()
}

/// The distinct errno names (`-EINVAL`) that a doc's paragraphs beginning
/// with "Returns" give, sorted (other paragraphs may name errors that are
/// not this function's, as `repoll_create` does for its flags).
pub fn error_names(doc: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for para in doc.split("\n\n").filter(|p| p.starts_with("Returns")) {
        for name in errno_names(para) {
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    names.sort();
    names
}

fn errno_names(doc: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let bytes = doc.as_bytes();
    for (i, _) in doc.match_indices("-E") {
        if i > 0 && (bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_') {
            continue;
        }
        let name: String = doc[i + 1..]
            .chars()
            .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
            .collect();
        if name.len() > 2 {
            names.push(name);
        }
    }
    names
}

/// Splits a declaration such as `const repoll_t *ep` or `int repoll_wait(`
/// into its type (`const repoll_t *`) and its name (`ep`).
pub fn split_declarator(decl: &str) -> Option<(String, String)> {
    let decl = decl.trim();
    let name_start = decl
        .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .map_or(0, |i| i + 1);
    let (ty, name) = decl.split_at(name_start);
    let ty = ty.trim();
    if name.is_empty() || ty.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    // `T **`: the stars apart from the base type, together.
    let base = ty.trim_end_matches(['*', ' ']);
    let stars = ty[base.len()..].chars().filter(|&c| c == '*').count();
    let ty = if stars == 0 {
        base.to_string()
    } else {
        format!("{base} {}", "*".repeat(stars))
    };
    Some((ty, name.to_string()))
}

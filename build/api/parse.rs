//! Reads the header in the regular form cbindgen writes it (`#define NAME
//! value`, doxygen `/** … */` comments, `struct` + `typedef`, one prototype
//! per line with `args = "horizontal"`). A line of any other form is an
//! error, so a change of cbindgen's output cannot go unnoticed.

use super::layout::{lay_out, Target};
use super::text::{doc_text, error_names, first_sentence, int_literal, split_declarator};
use super::{Api, Constant, Field, Function, Kind, Param, Type, Value};

pub fn parse(header: &str, target: &Target) -> Result<Api, String> {
    let mut api = Api {
        constants: Vec::new(),
        types: Vec::new(),
        functions: Vec::new(),
    };
    let mut guard: Option<&str> = None;
    // A one-line `/* … */` comment documents the items up to the next blank line.
    let mut group_doc = String::new();
    let mut doc = String::new();
    let mut lines = header.lines().enumerate().peekable();
    while let Some((n, raw)) = lines.next() {
        let line = raw.trim();
        let at = |e: String| format!("header line {}: {e}: {raw}", n + 1);
        if line.is_empty() {
            group_doc.clear();
        } else if line.starts_with("/**") {
            let mut block = vec![line];
            while !block.last().unwrap().ends_with("*/") {
                block.push(
                    lines
                        .next()
                        .ok_or_else(|| at("unterminated comment".into()))?
                        .1,
                );
            }
            doc = doc_text(&block);
        } else if let Some(c) = line.strip_prefix("/*") {
            if let Some(one_line) = c.strip_suffix("*/") {
                group_doc = one_line.trim().to_string();
            } else {
                // The file's opening comment: not about any item.
                while !lines
                    .next()
                    .ok_or_else(|| at("unterminated comment".into()))?
                    .1
                    .contains("*/")
                {}
            }
        } else if let Some(name) = line.strip_prefix("#ifndef ") {
            guard = guard.or(Some(name.trim()));
        } else if let Some(def) = line.strip_prefix("#define ") {
            let (name, value) = def.split_once(' ').unwrap_or((def, ""));
            if Some(name) != guard {
                let value = constant_value(value.trim())
                    .ok_or_else(|| at("a value neither integer nor string".into()))?;
                let doc = if doc.is_empty() {
                    group_doc.clone()
                } else {
                    std::mem::take(&mut doc)
                };
                api.constants.push(Constant {
                    name: name.to_string(),
                    value,
                    doc,
                });
            }
        } else if line.starts_with('#')
            || line == "extern \"C\" {"
            || line.starts_with("}  // extern")
        {
            // #include, #ifdef __cplusplus, #endif and the C++ linkage block.
        } else if let Some(decl) = line.strip_prefix("struct ") {
            let doc = std::mem::take(&mut doc);
            if let Some(tag) = decl.strip_suffix(';') {
                api.types.push(Type {
                    name: String::new(),
                    c: format!("struct {tag}"),
                    doc,
                    kind: Kind::Opaque,
                });
            } else if let Some(tag) = decl.strip_suffix(" {") {
                let mut body = Vec::new();
                loop {
                    let (_, l) = lines
                        .next()
                        .ok_or_else(|| at("unterminated struct".into()))?;
                    if l.trim() == "};" {
                        break;
                    }
                    body.push(l);
                }
                let kind = parse_struct(&body, &api.types, target).map_err(at)?;
                api.types.push(Type {
                    name: String::new(),
                    c: format!("struct {tag}"),
                    doc,
                    kind,
                });
            } else {
                return Err(at("an unknown struct form".into()));
            }
        } else if let Some(decl) = line.strip_prefix("typedef struct ") {
            let (tag, alias) = decl
                .strip_suffix(';')
                .and_then(|d| d.split_once(' '))
                .ok_or_else(|| at("an unknown typedef form".into()))?;
            let c = format!("struct {tag}");
            let ty = api
                .types
                .iter_mut()
                .find(|t| t.c == c && t.name.is_empty())
                .ok_or_else(|| at(format!("a typedef of an undeclared {c}")))?;
            ty.name = alias.to_string();
            // The typedef's doc is the one C users read; the tag's, if longer, stays.
            let doc = std::mem::take(&mut doc);
            if !doc.is_empty() {
                ty.doc = doc;
            }
        } else if line.ends_with(");") && line.contains('(') {
            let f = parse_function(line, std::mem::take(&mut doc), &api).map_err(at)?;
            api.functions.push(f);
        } else {
            return Err(at("a line of a form the generator does not know".into()));
        }
    }
    if let Some(t) = api.types.iter().find(|t| t.name.is_empty()) {
        return Err(format!("{} has no typedef", t.c));
    }
    add_system_types(&mut api, target)?;
    inherit_errors(&mut api);
    for f in &api.functions {
        if f.returns == "int" && f.errors.is_empty() {
            return Err(format!(
                "{}'s doc names no error (-EXXX) and does not say \"same returns\" as another function",
                f.name
            ));
        }
    }
    Ok(api)
}

fn constant_value(text: &str) -> Option<Value> {
    if let Some(s) = text.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
        return (!s.contains(['"', '\\'])).then(|| Value::Str(s.to_string()));
    }
    let (value, ty) = int_literal(text)?;
    Some(Value::Int(value, ty))
}

fn parse_struct(body: &[&str], known: &[Type], target: &Target) -> Result<Kind, String> {
    let mut fields = Vec::new();
    let mut layouts = Vec::new();
    let mut doc = Vec::new();
    for line in body {
        let l = line.trim();
        if l.starts_with("/**") || l.starts_with('*') {
            doc.push(l);
            continue;
        }
        let (ty, name) = l
            .strip_suffix(';')
            .and_then(split_declarator)
            .ok_or_else(|| format!("a struct member of an unknown form: {l}"))?;
        let layout = target
            .scalar(&ty)
            .or_else(|| struct_layout(known, &ty))
            .ok_or_else(|| {
                format!("no layout for the member type `{ty}`: teach build/api/layout.rs")
            })?;
        layouts.push(layout);
        fields.push(Field {
            name,
            ty,
            offset: 0,
            doc: doc_text(&doc),
        });
        doc.clear();
    }
    let (offsets, size, align) = lay_out(&layouts);
    for (f, o) in fields.iter_mut().zip(offsets) {
        f.offset = o;
    }
    Ok(Kind::Struct {
        fields,
        size,
        align,
    })
}

fn struct_layout(known: &[Type], ty: &str) -> Option<(u64, u64)> {
    known.iter().find_map(|t| match t.kind {
        Kind::Struct { size, align, .. } if t.name == ty || t.c == ty => Some((size, align)),
        _ => None,
    })
}

fn parse_function(line: &str, doc: String, api: &Api) -> Result<Function, String> {
    let open = line.find('(').unwrap();
    let (returns, name) =
        split_declarator(&line[..open]).ok_or("a prototype of an unknown form")?;
    let args = &line[open + 1..line.len() - 2];
    let mut params = Vec::new();
    if args != "void" {
        for arg in args.split(", ") {
            let (ty, pname) = split_declarator(arg)
                .ok_or_else(|| format!("a parameter of an unknown form: {arg}"))?;
            params.push(Param {
                name: pname,
                ty,
                direction: "",
            });
        }
    }
    let declared = declared_directions(&doc, &params).map_err(|e| format!("{name}: {e}"))?;
    for p in &mut params {
        p.direction = direction(p, &declared, api).ok_or_else(|| {
            format!(
                "{name}: the pointer parameter `{}` has no derivable direction; say it in the \
                 function's doc comment, e.g. \"Directions: `{}` out.\" (or in / inout)",
                p.name, p.name
            )
        })?;
    }
    Ok(Function {
        summary: first_sentence(&doc),
        errors: error_names(&doc),
        name,
        returns,
        params,
        doc,
    })
}

/// The direction of a parameter, by this rule (docs/bindings.md quotes it):
/// 1. one that the doc declares ("Directions: `events` out.") is as declared;
/// 2. a value, or a pointer to const, is in;
/// 3. a pointer named `out` or `*_out` is out;
/// 4. a pointer to an opaque type (the `repoll_t *` handle) is in;
/// 5. any other pointer has no direction, and the build fails.
fn direction(p: &Param, declared: &[(String, &'static str)], api: &Api) -> Option<&'static str> {
    if let Some((_, d)) = declared.iter().find(|(n, _)| *n == p.name) {
        return Some(d);
    }
    let Some(pointee) = p.ty.strip_suffix(" *").or(p.ty.strip_suffix(" **")) else {
        return Some("in");
    };
    if pointee.starts_with("const ") && !p.ty.ends_with("**") {
        return Some("in");
    }
    if p.name == "out" || p.name.ends_with("_out") {
        return Some("out");
    }
    let opaque = api
        .types
        .iter()
        .any(|t| matches!(t.kind, Kind::Opaque) && t.name == pointee);
    (opaque && !p.ty.ends_with("**")).then_some("in")
}

/// The parameters a doc gives a direction to, in a sentence "Directions:
/// `a` out, `b` inout." (names in backquotes, each followed by in, out or inout).
fn declared_directions(doc: &str, params: &[Param]) -> Result<Vec<(String, &'static str)>, String> {
    let Some(start) = doc.find("Directions:") else {
        return Ok(Vec::new());
    };
    let rest = &doc[start + "Directions:".len()..];
    let sentence = rest
        .split(". ")
        .next()
        .unwrap_or(rest)
        .split("\n\n")
        .next()
        .unwrap_or(rest);
    let sentence = sentence.trim().trim_end_matches('.');
    let mut out = Vec::new();
    for item in sentence.split([',', ';']).flat_map(|s| s.split(" and ")) {
        let item = item.trim();
        let parsed = item
            .strip_prefix('`')
            .and_then(|s| s.split_once('`'))
            .and_then(|(name, d)| {
                let d = match d.trim() {
                    "in" => "in",
                    "out" => "out",
                    "inout" => "inout",
                    _ => return None,
                };
                Some((name.to_string(), d))
            })
            .ok_or_else(|| {
                format!("\"Directions:\" item `{item}` is not \"`name` in|out|inout\"")
            })?;
        if !params.iter().any(|p| p.name == parsed.0) {
            return Err(format!(
                "\"Directions:\" names `{}`, which is no parameter",
                parsed.0
            ));
        }
        out.push(parsed);
    }
    Ok(out)
}

/// Every type a prototype uses that the header does not declare (`sigset_t`
/// from <signal.h>) joins the types, before those of the header.
fn add_system_types(api: &mut Api, target: &Target) -> Result<(), String> {
    let mut system = Vec::new();
    for f in &api.functions {
        for ty in std::iter::once(&f.returns).chain(f.params.iter().map(|p| &p.ty)) {
            let base = ty.trim_end_matches(['*', ' ']);
            let base = base.strip_prefix("const ").unwrap_or(base);
            let declared = target.scalar(base).is_some()
                || base == "void"
                || api.types.iter().any(|t| t.name == base || t.c == base);
            if declared || system.iter().any(|t: &Type| t.name == base) {
                continue;
            }
            let (header, size, align, cdef) = target.system_type(base)?;
            system.push(Type {
                name: base.to_string(),
                c: base.to_string(),
                doc: format!("Declared by <{header}>; opaque to repoll, passed by pointer."),
                kind: Kind::System {
                    header,
                    size,
                    align,
                    cdef,
                },
            });
        }
    }
    system.append(&mut api.types);
    api.types = system;
    Ok(())
}

/// A doc that says "same returns" (as `repoll_add`'s: "`repoll_ctl(…)`: same
/// returns and rules") also returns the errors of the first function it
/// names; repeated until nothing changes, so that chains resolve.
fn inherit_errors(api: &mut Api) {
    let mut changed = true;
    while changed {
        changed = false;
        for i in 0..api.functions.len() {
            let f = &api.functions[i];
            if !f.doc.to_lowercase().contains("same returns") {
                continue;
            }
            let named = api
                .functions
                .iter()
                .filter(|g| g.name != f.name)
                .filter_map(|g| first_mention(&f.doc, &g.name).map(|at| (at, g)))
                .min_by_key(|(at, _)| *at);
            if let Some((_, g)) = named {
                let mut errors = g.errors.clone();
                errors.extend(f.errors.iter().cloned());
                errors.sort();
                errors.dedup();
                if errors != f.errors {
                    api.functions[i].errors = errors;
                    changed = true;
                }
            }
        }
    }
}

/// Where a doc first names `name` as a whole word.
fn first_mention(doc: &str, name: &str) -> Option<usize> {
    let word = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
    doc.match_indices(name).map(|(at, _)| at).find(|&at| {
        !word(doc[..at].chars().next_back()) && !word(doc[at + name.len()..].chars().next())
    })
}

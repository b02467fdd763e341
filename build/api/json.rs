//! `repoll.json`. Its schema is a contract with binding authors (described
//! in docs/bindings.md): keys are only ever added.

use super::{Api, Kind, Value};

/// JSON with keys in the order written. Written by hand: the build script
/// needs nothing more than this.
enum Json {
    Num(i64),
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(&'static str, Json)>),
}

fn s(text: &str) -> Json {
    Json::Str(text.to_string())
}

/// Integers above 2^53 would lose precision in JavaScript and Lua readers.
const EXACT_IN_A_DOUBLE: i64 = 1 << 53;

pub fn write(api: &Api) -> Result<String, String> {
    let text = |name: &str| match api.constant(name).map(|c| &c.value) {
        Some(Value::Str(v)) => Ok(v.clone()),
        Some(Value::Int(v, _)) => Ok(v.to_string()),
        None => Err(format!("the header has no {name}")),
    };
    let mut constants = Vec::new();
    for c in &api.constants {
        let (value, ty) = match &c.value {
            Value::Int(v, _) if v.abs() > EXACT_IN_A_DOUBLE => {
                return Err(format!("{} = {v} is not exact in a double", c.name))
            }
            Value::Int(v, ty) => (Json::Num(*v), *ty),
            Value::Str(v) => (s(v), "string"),
        };
        constants.push(Json::Obj(vec![
            ("name", s(&c.name)),
            ("value", value),
            ("type", s(ty)),
            ("doc", s(&c.doc)),
        ]));
    }
    let types = api.types.iter().map(|t| {
        let mut o = vec![("name", s(&t.name))];
        match &t.kind {
            Kind::Opaque => o.extend([("kind", s("opaque")), ("c", s(&t.c))]),
            Kind::System {
                header,
                size,
                align,
                ..
            } => o.extend([
                ("kind", s("opaque")),
                ("c", s(&t.c)),
                ("header", s(header)),
                ("size", Json::Num(*size as i64)),
                ("align", Json::Num(*align as i64)),
            ]),
            Kind::Struct {
                fields,
                size,
                align,
            } => o.extend([
                ("kind", s("struct")),
                ("c", s(&t.c)),
                ("size", Json::Num(*size as i64)),
                ("align", Json::Num(*align as i64)),
                (
                    "fields",
                    Json::Arr(
                        fields
                            .iter()
                            .map(|f| {
                                Json::Obj(vec![
                                    ("name", s(&f.name)),
                                    ("type", s(&f.ty)),
                                    ("offset", Json::Num(f.offset as i64)),
                                    ("doc", s(&f.doc)),
                                ])
                            })
                            .collect(),
                    ),
                ),
            ]),
        }
        o.push(("doc", s(&t.doc)));
        Json::Obj(o)
    });
    let functions = api.functions.iter().map(|f| {
        Json::Obj(vec![
            ("name", s(&f.name)),
            ("returns", s(&f.returns)),
            ("summary", s(&f.summary)),
            (
                "params",
                Json::Arr(
                    f.params
                        .iter()
                        .map(|p| {
                            Json::Obj(vec![
                                ("name", s(&p.name)),
                                ("type", s(&p.ty)),
                                ("direction", s(p.direction)),
                            ])
                        })
                        .collect(),
                ),
            ),
            ("errors", Json::Arr(f.errors.iter().map(|e| s(e)).collect())),
            ("doc", s(&f.doc)),
        ])
    });
    let root = Json::Obj(vec![
        ("name", s("repoll")),
        ("version", s(&text("REPOLL_VERSION_STRING")?)),
        (
            "soname",
            s(&format!("librepoll.so.{}", text("REPOLL_VERSION_MAJOR")?)),
        ),
        (
            "every_function_may_return",
            Json::Arr(vec![s("REPOLL_EPANIC")]),
        ),
        ("constants", Json::Arr(constants)),
        ("types", Json::Arr(types.collect())),
        ("functions", Json::Arr(functions.collect())),
    ]);
    let mut out = String::new();
    pretty(&root, 0, &mut out);
    out.push('\n');
    Ok(out)
}

/// Indented, except that an object or array holding no object or array
/// stays on one line (one line per constant, parameter, field).
fn pretty(v: &Json, indent: usize, out: &mut String) {
    match v {
        Json::Num(n) => out.push_str(&n.to_string()),
        Json::Str(t) => escape(t, out),
        Json::Arr(items) if items.iter().all(scalar) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                pretty(item, indent, out);
            }
            out.push(']');
        }
        Json::Obj(members) if members.iter().all(|(_, j)| scalar(j)) => {
            out.push('{');
            for (i, (k, item)) in members.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                escape(k, out);
                out.push_str(": ");
                pretty(item, indent, out);
            }
            out.push('}');
        }
        Json::Arr(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                out.push_str(if i > 0 { ",\n" } else { "\n" });
                out.push_str(&"  ".repeat(indent + 1));
                pretty(item, indent + 1, out);
            }
            out.push('\n');
            out.push_str(&"  ".repeat(indent));
            out.push(']');
        }
        Json::Obj(members) => {
            out.push('{');
            for (i, (k, item)) in members.iter().enumerate() {
                out.push_str(if i > 0 { ",\n" } else { "\n" });
                out.push_str(&"  ".repeat(indent + 1));
                escape(k, out);
                out.push_str(": ");
                pretty(item, indent + 1, out);
            }
            out.push('\n');
            out.push_str(&"  ".repeat(indent));
            out.push('}');
        }
    }
}

fn scalar(v: &Json) -> bool {
    matches!(v, Json::Num(_) | Json::Str(_))
}

fn escape(text: &str, out: &mut String) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

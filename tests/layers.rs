//! The layers keep their order: `core` <- `store` <- `projection` <- `ops` <- `views`, and no
//! two modules import each other in a circle. Read from the `crate::` paths in the library's
//! source, so a new upward import or cycle fails here, naming the files.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Module path ("core::money") of every library source file, with its text.
fn modules() -> BTreeMap<String, String> {
    fn walk(dir: &Path, prefix: &str, out: &mut BTreeMap<String, String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_stem().unwrap().to_string_lossy().to_string();
            if path.is_dir() {
                if prefix.is_empty() && name == "cli" {
                    continue; // the binary's front end, not the library
                }
                walk(&path, &join(prefix, &name), out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let module = if name == "mod" || name == "lib" { prefix.to_string() } else { join(prefix, &name) };
                if name != "main" {
                    out.insert(module, std::fs::read_to_string(&path).unwrap());
                }
            }
        }
    }
    fn join(a: &str, b: &str) -> String {
        if a.is_empty() { b.to_string() } else { format!("{a}::{b}") }
    }
    let mut out = BTreeMap::new();
    walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), "", &mut out);
    out
}

/// The modules a source text names through `crate::`, including `use crate::{a::b, c}` groups.
fn imports(text: &str, known: &BTreeSet<String>) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let code: String = text.lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n");
    let mut paths = Vec::new();
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            paths.extend(group[..end].split(',').map(|p| p.trim().to_string()));
        } else {
            let end = rest.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':')).unwrap_or(rest.len());
            paths.push(rest[..end].to_string());
        }
    }
    for p in paths {
        let parts: Vec<&str> = p.split("::").filter(|s| !s.is_empty()).collect();
        // The longest prefix that is a module.
        for n in (1..=parts.len()).rev() {
            let candidate = parts[..n].join("::");
            if known.contains(&candidate) {
                found.insert(candidate);
                break;
            }
        }
    }
    found
}

fn layer(module: &str) -> usize {
    match module.split("::").next().unwrap() {
        "core" | "error" => 0,
        "store" => 1,
        "projection" => 2,
        "ops" => 3,
        "views" => 4,
        _ => 5,
    }
}

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let mods = modules();
    let known: BTreeSet<String> = mods.keys().cloned().collect();
    mods.iter()
        .map(|(m, text)| {
            let mut deps = imports(text, &known);
            deps.remove(m);
            // A parent module importing its own children (mod.rs helpers) is not a dependency edge.
            deps.retain(|d| !(m.is_empty() || d.starts_with(&format!("{m}::"))));
            (m.clone(), deps)
        })
        .collect()
}

#[test]
fn no_module_imports_a_higher_layer() {
    let mut wrong = Vec::new();
    for (m, deps) in graph() {
        for d in deps {
            if layer(&d) > layer(&m) && !m.is_empty() {
                wrong.push(format!("{m} imports {d}"));
            }
        }
    }
    assert!(wrong.is_empty(), "imports that point up the layers:\n{}", wrong.join("\n"));
}

#[test]
fn no_import_cycles() {
    let g = graph();
    // Depth-first search with colours; a grey node reached again closes a cycle.
    fn visit(
        n: &str,
        g: &BTreeMap<String, BTreeSet<String>>,
        colour: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        colour.insert(n.to_string(), 1);
        stack.push(n.to_string());
        for d in g.get(n).into_iter().flatten() {
            match colour.get(d.as_str()).copied().unwrap_or(0) {
                1 => {
                    let start = stack.iter().position(|s| s == d).unwrap();
                    let mut cycle = stack[start..].to_vec();
                    cycle.push(d.clone());
                    return Some(cycle);
                }
                0 => {
                    if let Some(c) = visit(d, g, colour, stack) {
                        return Some(c);
                    }
                }
                _ => {}
            }
        }
        stack.pop();
        colour.insert(n.to_string(), 2);
        None
    }
    let mut colour = BTreeMap::new();
    for n in g.keys() {
        if colour.get(n.as_str()).copied().unwrap_or(0) == 0
            && let Some(cycle) = visit(n, &g, &mut colour, &mut Vec::new())
        {
            panic!("import cycle: {}", cycle.join(" -> "));
        }
    }
}

#[test]
fn the_checks_can_fail() {
    let known: BTreeSet<String> = ["core::money", "store::agency", "ops", "ops::agency"].map(String::from).into();
    let deps =
        imports("use crate::{core::money::parse_cents, store::agency};\nlet x = crate::ops::agency::add();", &known);
    assert_eq!(deps, ["core::money", "ops::agency", "store::agency"].map(String::from).into());
    assert!(layer("core::money") < layer("ops::agency"));
}

#[test]
fn the_library_does_not_export_the_cli() {
    let lib = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/lib.rs")).unwrap();
    assert!(!lib.contains("mod cli"), "the CLI belongs to the binary (src/main.rs), not the library");
}

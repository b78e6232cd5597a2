//! The modules of each crate form layers: no cycle between the top-level modules of the core
//! (core/src) nor between those of the C library (src). A module that uses another may
//! not be used by it, directly or through others (docs/architecture.md draws the graph).
//!
//! The graph is read from the sources: every `crate::name` path (in `use` items, groups
//! included, and in expressions), every `super::name` in a top-level module's own file (there
//! `super` is the crate root), and names the crate root re-exports (`crate::Level`) counted as
//! the module they come from. Comments and the `#[cfg(test)]` module at the end of a file are
//! left out: tests may reach anywhere.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

type Graph = BTreeMap<String, BTreeSet<String>>;

/// The source without comments, string contents and its trailing test module.
fn code(src: &str) -> String {
    let src = match src.find("#[cfg(test)]\nmod ") {
        Some(i) => &src[..i],
        None => src,
    };
    let mut out = String::with_capacity(src.len());
    let b = src.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i..].starts_with(b"//") {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if b[i..].starts_with(b"/*") {
            i += 2;
            while i < b.len() && !b[i..].starts_with(b"*/") {
                i += 1;
            }
            i += 2;
        } else if b[i] == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
        } else {
            out.push(b[i] as char);
            i += 1;
        }
    }
    out
}

fn ident(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// The first segment of each path that follows `prefix` (`crate::`, `super::`): one for a
/// plain path, one per member for a group (`crate::{a::X, b}` gives a and b).
fn first_segments(code: &str, prefix: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find(prefix) {
        let before = rest[..i].chars().next_back();
        rest = &rest[i + prefix.len()..];
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$') {
            continue; // `$crate::`, `logcap_crate::`
        }
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 1;
            let mut member = String::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    _ => {}
                }
                if depth == 0 || (c == ',' && depth == 1) {
                    out.push(ident(member.trim()).to_owned());
                    member.clear();
                    if depth == 0 {
                        break;
                    }
                } else if depth == 1 {
                    member.push(c);
                }
            }
        } else {
            out.push(ident(rest).to_owned());
        }
    }
    out.retain(|s| !s.is_empty());
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The graph between the top-level modules of the crate whose root is `root` in `dir`.
fn graph(dir: &Path, root: &str) -> Graph {
    let root_code = code(&fs::read_to_string(dir.join(root)).unwrap());
    // Names the root re-exports: `pub use module::{A, B};` or `pub use module::A;`.
    let mut reexported = BTreeMap::new();
    for line in root_code.lines() {
        if let Some(rest) = line.trim().strip_prefix("pub use ") {
            let module = ident(rest).to_owned();
            let names = match rest.find('{') {
                Some(i) => rest[i + 1..].to_owned(),
                None => rest.rsplit("::").next().unwrap().to_owned(),
            };
            for n in names.split(',').map(|n| ident(n.trim())) {
                reexported.insert(n.to_owned(), module.clone());
            }
        }
    }
    let mut files = Vec::new();
    rust_files(dir, &mut files);
    let mut g = Graph::new();
    for f in files {
        let rel = f.strip_prefix(dir).unwrap();
        let parts: Vec<_> = rel.iter().map(|p| p.to_str().unwrap()).collect();
        if parts == [root] {
            continue;
        }
        let top = parts[0].trim_end_matches(".rs").to_owned();
        // The module's own file: `super::` there is the crate root.
        let own_file = parts.len() == 1 || (parts.len() == 2 && parts[1] == "mod.rs");
        let c = code(&fs::read_to_string(&f).unwrap());
        let mut used = first_segments(&c, "crate::");
        if own_file {
            used.extend(first_segments(&c, "super::"));
        }
        let deps = g.entry(top.clone()).or_default();
        for u in used {
            let m = reexported.get(&u).cloned().unwrap_or(u);
            if m != top {
                deps.insert(m);
            }
        }
    }
    // Only edges between modules of this crate (not `crate::Foo` of the root itself).
    let modules: BTreeSet<String> = g.keys().cloned().collect();
    for deps in g.values_mut() {
        deps.retain(|d| modules.contains(d));
    }
    g
}

/// A cycle of `g`, if it has one.
fn find_cycle(g: &Graph) -> Option<Vec<String>> {
    fn visit(
        g: &Graph,
        m: &str,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|p| p == m) {
            let mut cycle = path[i..].to_vec();
            cycle.push(m.to_owned());
            return Some(cycle);
        }
        if done.contains(m) {
            return None;
        }
        path.push(m.to_owned());
        for d in g.get(m).into_iter().flatten() {
            if let Some(c) = visit(g, d, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(m.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    g.keys()
        .find_map(|m| visit(g, m, &mut Vec::new(), &mut done))
}

fn edges(g: &Graph) -> String {
    g.iter()
        .map(|(m, deps)| {
            let d: Vec<_> = deps.iter().map(String::as_str).collect();
            format!("{m} -> {}\n", d.join(", "))
        })
        .collect()
}

fn acyclic(dir: &str, root: &str, expect_edges: &[(&str, &str)]) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let g = graph(&dir, root);
    println!("{}", edges(&g));
    // The reading finds the modules and edges that are certainly there.
    for (a, b) in expect_edges {
        assert!(
            g.get(*a).is_some_and(|d| d.contains(*b)),
            "{a} -> {b} is found:\n{}",
            edges(&g)
        );
    }
    if let Some(c) = find_cycle(&g) {
        panic!(
            "the modules of {} form a cycle: {}\n{}",
            dir.display(),
            c.join(" -> "),
            edges(&g)
        );
    }
}

#[test]
fn the_core_modules_form_layers() {
    acyclic(
        "core/src",
        "lib.rs",
        &[
            ("pipeline", "dispatcher"),
            ("dispatcher", "sink"),
            ("sink", "batch"),
            ("batch", "pool"),
            ("pool", "entry"),
            ("encode", "config"),
            ("error", "config"),
        ],
    );
}

#[test]
fn the_c_abi_modules_form_layers() {
    acyclic(
        "src",
        "lib.rs",
        &[
            ("entry", "pipeline"),
            ("entry", "types"),
            ("builder", "batch"),
            ("batch", "pointer"),
            ("pointer", "error"),
        ],
    );
}

#[test]
fn a_cycle_is_found() {
    let mut g = Graph::new();
    g.entry("a".into()).or_default().insert("b".into());
    g.entry("b".into()).or_default().insert("c".into());
    g.entry("c".into()).or_default().insert("a".into());
    assert_eq!(find_cycle(&g).unwrap(), ["a", "b", "c", "a"]);
    g.get_mut("c").unwrap().clear();
    assert_eq!(find_cycle(&g), None);
}

#[test]
fn paths_are_read_from_use_groups_and_expressions() {
    let c = code(
        "use crate::{a::X, b::{Y, Z}, c};\n// crate::commented\nlet s = \"crate::quoted\";\n\
         let n = crate::d::now();\nuse $crate::e;\n",
    );
    assert_eq!(first_segments(&c, "crate::"), ["a", "b", "c", "d"]);
}

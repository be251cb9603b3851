//! The module graph has no cycle, and the library knows nothing of the command line.
//!
//! Edges are read from the source: a file of module `a` that names `crate::b` (or `super::b` from inside
//! `a`'s folder) depends on `b`. Checked at two levels: between the top-level modules, and between the
//! sibling files of each folder (a parent `mod.rs` declaring its children is not an edge).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Identifiers following `prefix` in `text` (`crate::dynamics::md` → `dynamics`).
fn names_after(text: &str, prefix: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (i, _) in text.match_indices(prefix) {
        let rest = &text[i + prefix.len()..];
        let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
        if !name.is_empty() {
            out.insert(name);
        }
        // `use crate::{a, b}` and `use super::{a, b}`.
        if let Some(body) = rest.strip_prefix('{') {
            let inner: String = body.chars().take_while(|c| *c != '}').collect();
            for part in inner.split(',') {
                let n: String = part.trim().chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                if !n.is_empty() {
                    out.insert(n);
                }
            }
        }
    }
    out
}

/// Strips comments so that prose like "see `crate::x`" is not an edge.
fn code_only(text: &str) -> String {
    text.lines().map(|l| l.split("//").next().unwrap_or("")).collect::<Vec<_>>().join("\n")
}

fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        g: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(n.to_string(), 1);
        stack.push(n.to_string());
        for m in g.get(n).into_iter().flatten() {
            match state.get(m).copied().unwrap_or(0) {
                1 => {
                    let at = stack.iter().position(|x| x == m).unwrap();
                    let mut c = stack[at..].to_vec();
                    c.push(m.clone());
                    return Some(c);
                }
                0 if g.contains_key(m) => {
                    if let Some(c) = visit(m, g, state, stack) {
                        return Some(c);
                    }
                }
                _ => {}
            }
        }
        stack.pop();
        state.insert(n.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for n in graph.keys() {
        if state.get(n).copied().unwrap_or(0) == 0 {
            let mut stack = Vec::new();
            if let Some(c) = visit(n, graph, &mut state, &mut stack) {
                return Some(c);
            }
        }
    }
    None
}

#[test]
fn no_module_cycles() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let top_modules: BTreeSet<String> = std::fs::read_to_string(src.join("lib.rs"))
        .unwrap()
        .lines()
        .filter_map(|l| l.trim().strip_prefix("pub mod ").map(|m| m.trim_end_matches(';').to_string()))
        .collect();
    let mut top: BTreeMap<String, BTreeSet<String>> =
        top_modules.iter().map(|m| (m.clone(), BTreeSet::new())).collect();
    let mut siblings: BTreeMap<PathBuf, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for f in &files {
        let rel = f.strip_prefix(&src).unwrap();
        let first = rel.components().next().unwrap().as_os_str().to_string_lossy().trim_end_matches(".rs").to_string();
        if !top_modules.contains(&first) {
            continue; // lib.rs, main.rs and the binary's cli/
        }
        let text = code_only(&std::fs::read_to_string(f).unwrap());
        for m in names_after(&text, "crate::") {
            if m != first && top_modules.contains(&m) {
                top.get_mut(&first).unwrap().insert(m);
            }
        }
        // Sibling edges inside a folder.
        let dir = f.parent().unwrap().to_path_buf();
        let stem = f.file_stem().unwrap().to_string_lossy().to_string();
        if stem != "mod" {
            let peers: BTreeSet<String> = std::fs::read_dir(&dir)
                .unwrap()
                .filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "rs"))
                .map(|p| p.file_stem().unwrap().to_string_lossy().to_string())
                .filter(|s| s != "mod")
                .collect();
            let mut deps: BTreeSet<String> =
                names_after(&text, "super::").into_iter().filter(|m| peers.contains(m) && *m != stem).collect();
            let module_path = rel.parent().unwrap().to_string_lossy().replace('/', "::");
            for m in names_after(&text, &format!("crate::{module_path}::")) {
                if peers.contains(&m) && m != stem {
                    deps.insert(m);
                }
            }
            siblings.entry(dir).or_default().entry(stem).or_default().extend(deps);
        }
    }
    if let Some(c) = find_cycle(&top) {
        panic!("a cycle between top-level modules: {}", c.join(" → "));
    }
    for (dir, g) in &siblings {
        if let Some(c) = find_cycle(g) {
            panic!("a cycle between the files of {}: {}", dir.display(), c.join(" → "));
        }
    }
    // The graph is not trivially empty: the layers depend downwards.
    assert!(top["dynamics"].contains("problem") && top["report"].contains("study") && !top["study"].contains("report"));
}

#[test]
fn the_library_knows_nothing_of_the_command_line() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    for f in files {
        let rel = f.strip_prefix(&src).unwrap().to_string_lossy().to_string();
        if rel == "main.rs" || rel.starts_with("cli") {
            continue;
        }
        let text = code_only(&std::fs::read_to_string(&f).unwrap());
        assert!(!text.contains("clap") && !text.contains("indicatif"), "{rel} uses the CLI's crates");
        // Parameters are named by the library's names (`eta`, `max_iter`); only the command line shows flags.
        // The one exception: a shell command line the sweep engine writes into a batch script (`ibias sweep …`).
        for (i, line) in text.lines().enumerate() {
            if line.contains("\"ibias ") {
                continue;
            }
            let flag = line.match_indices("--").any(|(k, _)| {
                let next = line[k + 2..].chars().next();
                let before = line[..k].chars().last();
                next.is_some_and(|c| c.is_ascii_lowercase()) && before.is_none_or(|c| !c.is_alphanumeric())
            });
            assert!(!flag, "{rel}:{}: a command-line flag in the library: {}", i + 1, line.trim());
        }
    }
    let toml = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml")).unwrap();
    assert!(toml.contains("clap = { version = \"4.5\", features = [\"derive\"], optional = true }"));
}

#[test]
fn every_spec_reference_resolves() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let spec = std::fs::read_to_string(root.join("docs/SPEC.md")).expect("docs/SPEC.md exists");
    let sections: BTreeSet<String> = spec
        .lines()
        .filter_map(|l| l.strip_prefix("## "))
        .filter_map(|h| h.split('.').next().map(|n| n.trim().to_string()))
        .collect();
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    let mut seen = 0;
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for (i, _) in text.match_indices("SPEC §") {
            let n: String = text[i + "SPEC §".len()..].chars().take_while(|c| c.is_ascii_digit()).collect();
            if n.is_empty() {
                continue; // "SPEC §n" in prose about the citations themselves
            }
            assert!(sections.contains(&n), "{}: SPEC §{n} has no section in docs/SPEC.md", f.display());
            seen += 1;
        }
    }
    assert!(seen > 10, "the code cites the spec");
}

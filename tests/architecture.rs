//! The source tree's shape: no module of `src/` depends, directly or through others, on a
//! module that depends on it. Dependencies are read from the source text: every `crate::…`
//! and `super::…` path outside `#[cfg(test)]` code (tests may reach anywhere), including
//! each item of a `{…}` group, resolved to the longest module path it names.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Every library module (by path such as `study::runs_csv`) and its non-test source text.
fn modules() -> BTreeMap<String, String> {
    fn walk(dir: &Path, out: &mut BTreeMap<String, String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
                continue;
            }
            let rel = path.strip_prefix(concat!(env!("CARGO_MANIFEST_DIR"), "/src")).unwrap();
            let mut parts: Vec<String> =
                rel.with_extension("").iter().map(|s| s.to_string_lossy().into_owned()).collect();
            if parts.last().is_some_and(|p| p == "mod") {
                parts.pop();
            }
            let name = parts.join("::");
            if ["main", "lib"].contains(&name.as_str()) || parts.last().is_some_and(|p| p == "tests") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap().to_string();
            out.insert(name, code);
        }
    }
    let mut out = BTreeMap::new();
    walk(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/src")), &mut out);
    out
}

/// The paths written after each occurrence of `prefix`, a `{a, b::c}` group expanded.
fn paths_after(code: &str, prefix: &str) -> Vec<String> {
    let mut paths = Vec::new();
    for (at, _) in code.match_indices(prefix) {
        if code[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let rest = &code[at + prefix.len()..];
        let end = rest.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':')).unwrap_or(rest.len());
        let base = rest[..end].trim_end_matches(':');
        paths.push(base.to_string());
        if rest[end..].starts_with('{') && rest[..end].ends_with("::") {
            let group = &rest[end + 1..rest[end..].find('}').map_or(rest.len(), |k| end + k)];
            for item in group.split(',') {
                let item = item.split_whitespace().next().unwrap_or("");
                if !item.is_empty() {
                    paths.push(format!("{base}::{item}"));
                }
            }
        }
    }
    paths
}

/// Each module's dependencies on other library modules (its own submodules excluded).
fn dependencies(modules: &BTreeMap<String, String>) -> BTreeMap<String, BTreeSet<String>> {
    let resolve = |path: &str| {
        let segs: Vec<&str> = path.split("::").collect();
        (1..=segs.len()).rev().map(|k| segs[..k].join("::")).find(|m| modules.contains_key(m))
    };
    modules
        .iter()
        .map(|(name, code)| {
            let parent = name.rsplit_once("::").map_or("", |(p, _)| p);
            let supers = paths_after(code, "super::")
                .into_iter()
                .map(|p| if parent.is_empty() { p } else { format!("{parent}::{p}") });
            let deps = paths_after(code, "crate::")
                .into_iter()
                .chain(supers)
                .filter_map(|p| resolve(&p).or_else(|| modules.contains_key(parent).then(|| parent.to_string())))
                .filter(|d| d != name && !d.starts_with(&format!("{name}::")))
                .collect();
            (name.clone(), deps)
        })
        .collect()
}

/// A cycle of modules, if the graph has one.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(k) = path.iter().position(|n| n == node) {
            return Some(path[k..].iter().cloned().chain([node.to_string()]).collect());
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph.keys().find_map(|n| visit(n, graph, &mut Vec::new(), &mut done))
}

#[test]
fn no_module_depends_on_itself_through_others() {
    let graph = dependencies(&modules());
    assert!(graph.len() > 20 && graph["study::execute"].contains("study::runs_csv"), "the reader misses modules");
    assert_eq!(find_cycle(&graph), None);
    // The same between top-level modules (study and report, analysis and model, …).
    let mut top: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (name, deps) in &graph {
        let own = name.split("::").next().unwrap();
        let entry = top.entry(own.to_string()).or_default();
        entry.extend(deps.iter().map(|d| d.split("::").next().unwrap().to_string()).filter(|d| d != own));
    }
    assert_eq!(find_cycle(&top), None, "{top:#?}");
}

#[test]
fn the_cycle_finder_finds_cycles() {
    let graph: BTreeMap<String, BTreeSet<String>> = [("a", "b"), ("b", "c"), ("c", "a")]
        .into_iter()
        .map(|(x, y)| (x.to_string(), BTreeSet::from([y.to_string()])))
        .collect();
    assert_eq!(find_cycle(&graph).unwrap().len(), 4);
    let deps = paths_after("use crate::analysis::{exact::predictions, laws};", "crate::");
    assert_eq!(deps, ["analysis", "analysis::exact::predictions", "analysis::laws"]);
}

//! The shape of `src/`, checked so it stays the way README's Layout describes it: the
//! top-level modules import each other in one direction only (no circles), the layers keep
//! their rules (the domain is pure, models know no use cases, the sandbox is a component of
//! its own), no file grows past what can be read in one sitting, and queries keep their row
//! limits in the SQL text.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const MAX_LINES: usize = 420;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The top-level module a file belongs to: `src/services/jobs/mod.rs` → `services`.
fn module_of(path: &Path) -> String {
    let relative = path.strip_prefix(src()).unwrap();
    let first = relative.components().next().unwrap().as_os_str().to_string_lossy().into_owned();
    first.trim_end_matches(".rs").to_owned()
}

/// Top-level modules named through `crate::…` in code (comments stripped).
fn imports(source: &str, modules: &BTreeSet<String>) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for line in source.lines() {
        let code = line.split("//").next().unwrap_or("");
        for (i, _) in code.match_indices("crate::") {
            let rest = &code[i + "crate::".len()..];
            let name: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            if modules.contains(&name) {
                found.insert(name);
            }
        }
    }
    found
}

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let modules: BTreeSet<String> = files.iter().map(|f| module_of(f)).filter(|m| m != "lib" && m != "main").collect();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &files {
        let from = module_of(file);
        if from == "lib" || from == "main" {
            continue;
        }
        let source = std::fs::read_to_string(file).unwrap();
        let edges = graph.entry(from.clone()).or_default();
        edges.extend(imports(&source, &modules).into_iter().filter(|to| *to != from));
    }
    graph
}

/// A circle through `start`, if there is one.
fn circle(graph: &BTreeMap<String, BTreeSet<String>>, start: &str) -> Option<Vec<String>> {
    fn walk(
        graph: &BTreeMap<String, BTreeSet<String>>,
        start: &str,
        at: &str,
        path: &mut Vec<String>,
        seen: &mut BTreeSet<String>,
    ) -> bool {
        for next in graph.get(at).into_iter().flatten() {
            if next == start {
                path.push(next.clone());
                return true;
            }
            if seen.insert(next.clone()) {
                path.push(next.clone());
                if walk(graph, start, next, path, seen) {
                    return true;
                }
                path.pop();
            }
        }
        false
    }
    let mut path = vec![start.to_owned()];
    walk(graph, start, start, &mut path, &mut BTreeSet::new()).then_some(path)
}

#[test]
fn top_level_modules_import_each_other_without_circles() {
    let graph = graph();
    let circles: Vec<String> = graph.keys().filter_map(|m| circle(&graph, m)).map(|c| c.join(" → ")).collect();
    assert!(circles.is_empty(), "import circles among src/ modules:\n{}", circles.join("\n"));
}

#[test]
fn each_layer_keeps_its_rule() {
    let graph = graph();
    let uses = |module: &str| graph.get(module).cloned().unwrap_or_default();
    let forbidden = |module: &str, upper: &[&str]| -> Vec<String> {
        uses(module).into_iter().filter(|m| upper.contains(&m.as_str())).collect()
    };
    let above_models = ["services", "routes", "web", "startup", "state", "sandbox", "billing"];
    assert_eq!(uses("domain"), BTreeSet::new(), "domain/ is pure: it imports nothing of the app");
    assert_eq!(forbidden("models", &above_models), Vec::<String>::new(), "models/ knows rows, not use cases");
    assert_eq!(forbidden("db", &above_models), Vec::<String>::new(), "db/ is the bottom layer");
    assert_eq!(
        forbidden("services", &["routes", "web", "startup"]),
        Vec::<String>::new(),
        "services take ids, not HTTP"
    );
    assert_eq!(forbidden("billing", &["services", "routes", "web", "startup", "models"]), Vec::<String>::new());
    let sandbox: BTreeSet<String> = uses("sandbox").into_iter().filter(|m| m != "db" && m != "signature").collect();
    assert_eq!(sandbox, BTreeSet::new(), "the sandbox depends on db/ and the signature code only");
    assert_eq!(forbidden("state", &["services", "routes", "web", "startup"]), Vec::<String>::new(), "state is a leaf");
}

#[test]
fn no_source_file_is_longer_than_one_sitting() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let long: Vec<String> = files
        .iter()
        .filter_map(|f| {
            // `schema.rs` mirrors the migrations table by table: a map to look things up in,
            // not code to read in one sitting.
            if f.ends_with("schema.rs") && f.parent() == Some(src().as_path()) {
                return None;
            }
            let lines = std::fs::read_to_string(f).unwrap().lines().count();
            (lines > MAX_LINES).then(|| format!("{} ({lines} lines)", f.strip_prefix(src()).unwrap().display()))
        })
        .collect();
    assert!(long.is_empty(), "split these files (over {MAX_LINES} lines): {long:?}");
}

#[test]
fn queries_write_their_row_limits_into_the_sql() {
    // A bound LIMIT makes SQLite plan the statement again every time it runs (see
    // `db::row_limits`): queries use `first_row` and `limit_rows` instead.
    let mut files = Vec::new();
    rust_files(&src().join("models"), &mut files);
    let bound: Vec<String> = files
        .iter()
        .flat_map(|f| {
            let source = std::fs::read_to_string(f).unwrap();
            let name = f.strip_prefix(src()).unwrap().display().to_string();
            source
                .lines()
                .enumerate()
                .filter(|(_, line)| !line.trim_start().starts_with("//"))
                .filter(|(_, line)| {
                    line.contains(".first(conn") || line.contains(".first::<") || line.contains(".limit(limit")
                })
                .map(|(n, _)| format!("{name}:{}", n + 1))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(bound.is_empty(), "bound row limits: {bound:?}");
}

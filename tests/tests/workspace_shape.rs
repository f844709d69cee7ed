//! The shape every later part inherits (DESIGN §2, docs/architecture.md):
//! - the contracts crate stays free of runtime, HTTP, database and cryptography dependencies, so
//!   both sides can speak it;
//! - the coordinator's build links no node code: no case import, synthetic data or DP mechanism;
//! - the web machinery both sides serve pages with (msp-web) links neither side's code, so the
//!   node's local view reuses it without pulling in the coordinator, and the reverse;
//! - no two modules of a crate import each other, and the node's configuration knows no DP engine;
//! - no source file outside tests is longer than a reader can hold.

use std::{
    collections::{BTreeMap, BTreeSet},
    path::{Path, PathBuf},
    process::Command,
};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The package names in `cargo tree -p PACKAGE -e normal`: what its binary links.
fn normal_dependencies(package: &str) -> BTreeSet<String> {
    let out = Command::new(env!("CARGO"))
        .args(["tree", "-p", package, "-e", "normal", "--prefix", "none", "--offline"])
        .current_dir(root())
        .output()
        .expect("cargo runs");
    assert!(out.status.success(), "cargo tree failed: {}", String::from_utf8_lossy(&out.stderr));
    let tree = String::from_utf8(out.stdout).unwrap();
    assert!(tree.contains(package), "{tree}");
    tree.lines().filter_map(|l| l.split_whitespace().next()).map(str::to_owned).collect()
}

/// Fails if `package` links any of `forbidden` (a name, or a name followed by `-` and more when it
/// ends in `-`: `openssl-` is every OpenSSL crate but `openssl-probe`, which only looks for
/// certificate directories, is named in `allowed`).
fn assert_free_of(package: &str, forbidden: &[&str], allowed: &[&str]) {
    for name in normal_dependencies(package) {
        let hit = forbidden.iter().any(|f| match f.strip_suffix('-') {
            Some(prefix) => name == prefix || name.starts_with(*f),
            None => name == *f,
        });
        assert!(!hit || allowed.contains(&name.as_str()), "{package} must not depend on {name}");
    }
}

#[test]
fn the_contracts_crate_depends_on_no_runtime_http_database_or_crypto_crate() {
    let forbidden = ["tokio-", "sqlx-", "axum-", "hyper-", "reqwest", "ring", "rustls-", "openssl-", "opendp-"];
    assert_free_of("msp-schemas", &forbidden, &[]);
}

#[test]
fn the_coordinator_links_no_node_code_no_synthetic_data_and_no_dp_mechanism() {
    let forbidden = ["msp-node", "msp-synth", "msp-demo", "opendp-", "openssl-", "rusqlite", "mimalloc", "indicatif"];
    assert_free_of("msp-coordinator", &forbidden, &["openssl-probe"]);
    // And test plumbing stays out of both binaries.
    for package in ["msp-coordinator", "msp-node"] {
        let deps = normal_dependencies(package);
        assert!(!deps.contains("tempfile") && !deps.contains("proptest"), "{package} links test plumbing: {deps:?}");
    }
}

#[test]
fn the_web_crate_links_neither_side_nor_a_database_or_dp_engine() {
    let forbidden =
        ["msp-node", "msp-coordinator", "msp-synth", "msp-demo", "msp-store", "opendp-", "rusqlite", "sqlx-"];
    assert_free_of("msp-web", &forbidden, &[]);
    let deps = normal_dependencies("msp-web");
    assert!(!deps.contains("tempfile") && !deps.contains("proptest"), "msp-web links test plumbing: {deps:?}");
}

/// The top-level module of `crate` that a source file under `src/` belongs to (`cli` for
/// `src/cli/init.rs`, `dp` for `src/dp.rs`); `None` for `lib.rs` and `main.rs`.
fn top_module(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).ok()?;
    let first = rel.components().next()?.as_os_str().to_str()?;
    let name = first.trim_end_matches(".rs");
    (!matches!(name, "lib" | "main" | "bin")).then(|| name.to_owned())
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return out };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|x| x == "rs") {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// Source without its `#[cfg(test)]` modules (test code may reach anywhere) and comments.
fn shipped_source(text: &str) -> String {
    let text = text.split("#[cfg(test)]\nmod tests").next().unwrap_or(text);
    text.lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n")
}

/// For each top-level module of the crate in `crate_dir`, the other top-level modules it names
/// through `crate::`.
fn module_arrows(crate_dir: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let src = crate_dir.join("src");
    let files = rust_files(&src);
    let modules: BTreeSet<String> = files.iter().filter_map(|f| top_module(&src, f)).collect();
    let mut arrows: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &files {
        let Some(from) = top_module(&src, file) else { continue };
        let text = shipped_source(&std::fs::read_to_string(file).unwrap());
        let mut targets = BTreeSet::new();
        // `crate::a::…` and `use crate::{a, b::{…}}`: every top-level name right after `crate::`
        // or at the first level of a braced list that follows it.
        for (i, _) in text.match_indices("crate::") {
            let rest = &text[i + "crate::".len()..];
            if let Some(list) = rest.strip_prefix('{') {
                let (mut depth, mut item, mut items) = (0usize, String::new(), Vec::new());
                for c in list.chars() {
                    match c {
                        '}' if depth == 0 => break,
                        ',' if depth == 0 => items.push(std::mem::take(&mut item)),
                        '{' => depth += 1,
                        '}' => depth -= 1,
                        _ => {}
                    }
                    if depth == 0 && c != ',' {
                        item.push(c);
                    }
                }
                items.push(item);
                for item in items {
                    let name: String = item.trim().chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                    if !name.is_empty() {
                        targets.insert(name);
                    }
                }
            } else {
                let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                targets.insert(name);
            }
        }
        let entry = arrows.entry(from.clone()).or_default();
        entry.extend(targets.into_iter().filter(|t| modules.contains(t) && *t != from));
    }
    arrows
}

/// A cycle among the arrows, if there is one.
fn cycle(arrows: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        arrows: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|p| p == node) {
            let mut c = path[at..].to_vec();
            c.push(node.to_owned());
            return Some(c);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in arrows.get(node).into_iter().flatten() {
            if let Some(c) = visit(next, arrows, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    arrows.keys().find_map(|k| visit(k, arrows, &mut Vec::new(), &mut done))
}

const CRATES: [&str; 10] =
    ["schemas", "protocol", "estimate", "store", "terminal", "synth", "node", "coordinator", "web", "demo"];

#[test]
fn no_two_modules_of_a_crate_import_each_other_even_through_others() {
    for name in CRATES {
        let arrows = module_arrows(&root().join(name));
        assert_eq!(cycle(&arrows), None, "{name}/src has an import circle; its arrows: {arrows:#?}");
    }
}

#[test]
fn the_nodes_configuration_knows_no_dp_engine_and_its_store_builds_no_dp_types() {
    let arrows = module_arrows(&root().join("node"));
    let from = |m: &str| arrows.get(m).cloned().unwrap_or_default();
    assert!(!from("config").contains("dp"), "config imports the DP engine: {:?}", from("config"));
    assert!(!from("store").contains("dp"), "the store imports the DP engine: {:?}", from("store"));
}

#[test]
fn the_circle_finder_finds_a_circle_and_the_arrow_reader_reads_braced_lists() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir_all(src.join("a")).unwrap();
    std::fs::write(src.join("lib.rs"), "pub mod a; pub mod b; pub mod c;").unwrap();
    std::fs::write(src.join("a/mod.rs"), "use crate::{b::{X, Y}, c::{self, d::e}};").unwrap();
    std::fs::write(src.join("b.rs"), "// use crate::a;\nfn f() { crate::c::g() }").unwrap();
    std::fs::write(src.join("c.rs"), "fn g() {}\n#[cfg(test)]\nmod tests { use crate::a; }").unwrap();
    let arrows = module_arrows(dir.path());
    assert_eq!(arrows["a"], ["b", "c"].map(String::from).into());
    assert_eq!(arrows["b"], ["c"].map(String::from).into());
    assert!(arrows["c"].is_empty(), "test modules and comments are not arrows");
    assert_eq!(cycle(&arrows), None);
    std::fs::write(src.join("c.rs"), "use crate::a::Z;").unwrap();
    assert_eq!(cycle(&module_arrows(dir.path())), Some(["a", "b", "c", "a"].map(String::from).to_vec()));
}

#[test]
fn no_source_file_outside_tests_is_over_700_lines() {
    let mut long = Vec::new();
    for name in CRATES.iter().chain(&["tests"]) {
        for file in rust_files(&root().join(name).join("src")) {
            let lines = shipped_source(&std::fs::read_to_string(&file).unwrap()).lines().count();
            if lines > 700 {
                long.push(format!("{} ({lines} lines)", file.display()));
            }
        }
    }
    assert!(long.is_empty(), "split these by concern: {long:?}");
}

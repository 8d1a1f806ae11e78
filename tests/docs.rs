//! The docs stand alone and stay true to the tree: every relative link and
//! every repository file a doc names exists, and no doc points outside the
//! project.

use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every Markdown file the project ships (not dependencies, not build output).
fn docs() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if path.is_dir() {
                if !matches!(
                    name.as_str(),
                    "target" | ".venv" | ".git" | "dist" | ".demo"
                ) {
                    walk(&path, out);
                }
            } else if name.ends_with(".md") {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(&repo(), &mut out);
    out.sort();
    out
}

/// `](target)` link targets.
fn links(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("](") {
        rest = &rest[i + 2..];
        if let Some(end) = rest.find(')') {
            out.push(rest[..end].trim().to_string());
        }
    }
    out
}

/// Repository paths named in code spans: `src/...`, `infra/...`, ...
fn named_paths(text: &str) -> Vec<String> {
    const ROOTS: [&str; 8] = [
        "src/",
        "tests/",
        "infra/",
        "events/",
        "bench/",
        "tools/",
        "examples/",
        "docs/",
    ];
    text.split('`')
        .skip(1)
        .step_by(2)
        .filter(|span| ROOTS.iter().any(|r| span.starts_with(r)))
        .filter(|span| {
            span.chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-./".contains(c))
        })
        .map(|span| span.trim_end_matches('.').to_string())
        .collect()
}

#[test]
fn every_relative_link_and_named_file_exists_and_nothing_points_outside() {
    let root = repo();
    let docs = docs();
    assert!(docs.len() >= 5, "found {docs:?}");
    let mut missing = Vec::new();
    for doc in &docs {
        let text = std::fs::read_to_string(doc).unwrap();
        let rel = doc.strip_prefix(&root).unwrap().display().to_string();
        for (i, line) in text.lines().enumerate() {
            for banned in ["DESIGN.md", "../shared"] {
                if line.contains(banned) {
                    missing.push(format!(
                        "{rel}:{}: cites {banned}, which the project does not ship",
                        i + 1
                    ));
                }
            }
        }
        for target in links(&text) {
            if target.is_empty()
                || target.starts_with('#')
                || target.contains("://")
                || target.starts_with("mailto:")
            {
                continue;
            }
            let path = target.split('#').next().unwrap();
            if !doc.parent().unwrap().join(path).exists() {
                missing.push(format!("{rel}: link to {target}"));
            }
        }
        for path in named_paths(&text) {
            // From the repository's root, or from the doc's folder
            // (`infra/README.md` names `tests/test_scp.py`).
            if !root.join(&path).exists() && !doc.parent().unwrap().join(&path).exists() {
                missing.push(format!("{rel}: names {path}"));
            }
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

#[test]
fn the_checks_see_what_they_look_for() {
    assert_eq!(
        links("see [a](infra/README.md#x) and [b](https://x.y) [c](#top)"),
        ["infra/README.md#x", "https://x.y", "#top"]
    );
    assert_eq!(
        named_paths("run `tests/fault_proxy.py`, `src/aws/`, `src/*.rs`, `make test`"),
        ["tests/fault_proxy.py", "src/aws/"]
    );
}

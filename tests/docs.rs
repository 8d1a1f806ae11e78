//! The docs stand alone and stay true to the tree: every relative link and
//! every repository file a doc names exists, every `#anchor` a link names
//! (in the same file or in another Markdown file) is a heading there, and no
//! doc points outside the project.

use std::path::{Path, PathBuf};

mod cards;

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

/// A heading's anchor as GitHub makes it: lower case, backticks and every
/// punctuation character but `-` and `_` dropped, each space a `-`. A link
/// in the heading counts by its text.
fn slug(heading: &str) -> String {
    let mut text = String::new();
    let mut rest = heading.trim();
    // `[text](target)` -> `text`
    while let Some(open) = rest.find('[') {
        let after = &rest[open + 1..];
        match after.find("](").and_then(|close| {
            after[close + 2..]
                .find(')')
                .map(|end| (close, close + 2 + end + 1))
        }) {
            Some((close, skip)) => {
                text.push_str(&rest[..open]);
                text.push_str(&after[..close]);
                rest = &after[skip..];
            }
            None => break,
        }
    }
    text.push_str(rest);
    text.to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// Every anchor a Markdown text defines: its headings (outside code
/// fences; a repeated heading gets `-1`, `-2`, ... as on GitHub) and any
/// `<a id="...">` / `<a name="...">`.
fn anchors(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut fence: Option<&str> = None;
    for line in text.lines() {
        let t = line.trim_start();
        for marker in ["```", "~~~"] {
            if t.starts_with(marker) {
                fence = match fence {
                    None => Some(marker),
                    Some(m) if m == marker => None,
                    other => other,
                };
            }
        }
        if fence.is_some() || t.starts_with("```") || t.starts_with("~~~") {
            continue;
        }
        let hashes = line.chars().take_while(|c| *c == '#').count();
        if (1..=6).contains(&hashes) && line[hashes..].starts_with(' ') {
            let heading = line[hashes..].trim().trim_end_matches('#').trim_end();
            let base = slug(heading);
            let mut name = base.clone();
            let mut n = 0;
            while out.contains(&name) {
                n += 1;
                name = format!("{base}-{n}");
            }
            out.push(name);
        }
        for attr in ["<a id=\"", "<a name=\""] {
            let mut rest = line;
            while let Some(i) = rest.find(attr) {
                rest = &rest[i + attr.len()..];
                if let Some(end) = rest.find('"') {
                    out.push(rest[..end].to_string());
                }
            }
        }
    }
    out
}

#[test]
fn every_anchor_a_link_names_is_a_heading_there() {
    let root = repo();
    let mut broken = Vec::new();
    for doc in docs() {
        let text = std::fs::read_to_string(&doc).unwrap();
        let rel = doc.strip_prefix(&root).unwrap().display().to_string();
        for target in links(&text) {
            if target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            let Some((path, anchor)) = target.split_once('#') else {
                continue;
            };
            let file = if path.is_empty() {
                doc.clone()
            } else {
                doc.parent().unwrap().join(path)
            };
            if !path.is_empty() && !path.ends_with(".md") {
                continue; // a line of a source file, say: not a heading
            }
            let Ok(there) = std::fs::read_to_string(&file) else {
                continue; // a missing file is the other test's finding
            };
            if !anchors(&there).iter().any(|a| a == anchor) {
                broken.push(format!("{rel}: link to {target}: no such heading"));
            }
        }
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}

#[test]
fn slugs_follow_githubs_rules() {
    for (heading, want) in [
        ("Operate", "operate"),
        ("Roll out in stages", "roll-out-in-stages"),
        ("Why did a session run as X?", "why-did-a-session-run-as-x"),
        (
            "Session readiness (`[nodes]`): does the Run As user exist?",
            "session-readiness-nodes-does-the-run-as-user-exist",
        ),
        (
            "IAM Identity Center's attribute mapping (`[identity_center]`)",
            "iam-identity-centers-attribute-mapping-identity_center",
        ),
        ("`make bench-scale`", "make-bench-scale"),
        (
            "2b. Policy: upload it before the first invocation",
            "2b-policy-upload-it-before-the-first-invocation",
        ),
        ("From audit to enforce", "from-audit-to-enforce"),
        ("Deploy, in this order", "deploy-in-this-order"),
        (
            "(a) Landing Zone Accelerator 1.15 and later",
            "a-landing-zone-accelerator-115-and-later",
        ),
        ("Opt-in regions", "opt-in-regions"),
        (
            "Back to the values before runas-guard",
            "back-to-the-values-before-runas-guard",
        ),
        (
            "Coexistence: just-in-time node access",
            "coexistence-just-in-time-node-access",
        ),
        ("See [the CLI](docs/cli.md) here", "see-the-cli-here"),
        ("  Trailing spaces  ", "trailing-spaces"),
        ("Ünïcode letters stay", "ünïcode-letters-stay"),
        ("a -> b", "a---b"),
        // A trailing `-` stays: `*` and `)` go, the hyphen before them stays.
        (
            "Per-permission-set documents (`SSMRunAs-*`)",
            "per-permission-set-documents-ssmrunas-",
        ),
        (
            "The member StackSet: customizations-config.yaml",
            "the-member-stackset-customizations-configyaml",
        ),
    ] {
        assert_eq!(slug(heading), want, "{heading}");
    }
}

#[test]
fn repeated_headings_are_numbered_and_fences_hide_headings() {
    let text = "# Page\n## Cost\n### Cost\n```toml\n# not a heading\n```\n## Cost #\n\
                <a id=\"health-vs-findings\"></a>**Health**\n#nospace\n";
    assert_eq!(
        anchors(text),
        ["page", "cost", "cost-1", "cost-2", "health-vs-findings"]
    );
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
            // (a page in `infra/` may name `tests/test_scp.py`).
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
        named_paths("run `tests/fault_proxy.py`, `src/adapters/aws/`, `src/*.rs`, `make test`"),
        ["tests/fault_proxy.py", "src/adapters/aws/"]
    );
}

/// The deployment guide is pages under `infra/docs/`, and `infra/README.md`
/// is their index: it links every page (a page nothing links is a page
/// nobody finds), and each page links back to it. Their relative links and
/// `#anchors` are held by the checks above, which read every page.
#[test]
fn every_infra_page_is_linked_from_the_index() {
    let dir = repo().join("infra").join("docs");
    let mut pages: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".md"))
        .collect();
    pages.sort();
    for page in [
        "deploy.md",
        "parameters.md",
        "permissions.md",
        "threat-model.md",
    ] {
        assert!(
            pages.iter().any(|p| p == page),
            "no infra/docs/{page}: {pages:?}"
        );
    }
    let index = std::fs::read_to_string(repo().join("infra").join("README.md")).unwrap();
    let linked: Vec<String> = links(&index)
        .iter()
        .filter_map(|target| target.strip_prefix("docs/"))
        .map(|target| target.split('#').next().unwrap().to_string())
        .collect();
    let all = docs();
    let mut found = Vec::new();
    for page in &pages {
        if !linked.contains(page) {
            found.push(format!("infra/README.md does not link docs/{page}"));
        }
        if !all.contains(&dir.join(page)) {
            found.push(format!("infra/docs/{page} is not among the docs checked"));
        }
        let text = std::fs::read_to_string(dir.join(page)).unwrap();
        if !links(&text).iter().any(|target| target == "../README.md") {
            found.push(format!(
                "infra/docs/{page} does not link back to ../README.md"
            ));
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}

/// Every `RUNAS_GUARD_*` variable the code names (a string literal in
/// `src/`, as `std::env::var` and clap's `env = "..."` take them).
fn variables_in_src() -> Vec<String> {
    fn walk(dir: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                for (i, _) in text.match_indices("\"RUNAS_GUARD_") {
                    let name: String = text[i + 1..]
                        .chars()
                        .take_while(|c| c.is_ascii_uppercase() || *c == '_')
                        .collect();
                    if text[i + 1 + name.len()..].starts_with('"') && !name.ends_with('_') {
                        out.push(name);
                    }
                }
            }
        }
    }
    let mut out = Vec::new();
    walk(&repo().join("src"), &mut out);
    out.sort();
    out.dedup();
    out
}

#[test]
fn every_variable_the_binary_reads_is_in_the_environment_table() {
    let page = std::fs::read_to_string(repo().join("docs/configuration.md")).unwrap();
    let start = page
        .find("\n## Environment")
        .expect("docs/configuration.md has ## Environment");
    let section = &page[start + 1..];
    let section = &section[..section[1..].find("\n## ").map_or(section.len(), |e| e + 1)];
    let vars = variables_in_src();
    assert!(
        vars.len() >= 20 && vars.iter().any(|v| v == "RUNAS_GUARD_CALL_TIMEOUT_SECONDS"),
        "{vars:?}"
    );
    let missing: Vec<&String> = vars
        .iter()
        .filter(|v| !section.contains(&format!("`{v}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "not in docs/configuration.md's Environment table: {missing:?}"
    );
}

/// Table rows cut off from their table by a blank line: the renderer shows
/// them as a paragraph of pipes. `(line number, row)` of each, 1-based.
fn stray_rows(text: &str) -> Vec<(usize, String)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut fenced = false;
    let mut stray = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        }
        let row = |l: Option<&&str>| l.is_some_and(|l| l.starts_with('|'));
        // A delimiter row: `| --- | ---: |` or `|---|---:|`.
        let header = lines.get(i + 1).is_some_and(|l| {
            l.starts_with('|') && l.contains('-') && l.chars().all(|c| "|-: ".contains(c))
        });
        let after_blank = i >= 2 && lines[i - 1].trim().is_empty() && row(lines.get(i - 2));
        if !fenced && line.starts_with('|') && after_blank && !header {
            stray.push((i + 1, line.chars().take(60).collect()));
        }
    }
    stray
}

#[test]
fn no_table_is_broken_by_a_blank_line() {
    let broken = "| a | b |\n| --- | --- |\n| 1 | 2 |\n\n| 3 | 4 |\n";
    assert_eq!(stray_rows(broken), vec![(5, "| 3 | 4 |".to_string())]);
    let two_tables = "| a |\n| --- |\n| 1 |\n\n| b |\n| --- |\n| 2 |\n";
    assert!(stray_rows(two_tables).is_empty());
    let tight = "| a |\n|---:|\n| 1 |\n\n| b | c |\n|---|:---|\n| 2 | 3 |\n";
    assert!(stray_rows(tight).is_empty());
    let mut found = Vec::new();
    for path in docs() {
        let text = std::fs::read_to_string(&path).unwrap();
        for (line, row) in stray_rows(&text) {
            found.push(format!("{}:{line}: {row}", path.display()));
        }
    }
    assert!(
        found.is_empty(),
        "table rows after a blank line:\n{}",
        found.join("\n")
    );
}

/// The README fits one screen (about 60 lines; 70 at most): what it is,
/// quick start, configure, deploy, operate, troubleshoot, each a few lines
/// with links into docs/, where the rest lives.
#[test]
fn the_readme_fits_one_screen() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let lines = readme.lines().count();
    assert!(lines <= 70, "README.md has {lines} lines, at most 70");
    for section in [
        "## Quick start",
        "## Configure",
        "## Deploy",
        "## Operate",
        "## Troubleshoot",
    ] {
        assert!(
            readme.lines().any(|l| l == section),
            "README.md has no {section}"
        );
    }
    assert!(readme.contains("make test") && readme.contains("make demo"));
}

//! The shape of the source tree, checked from the code itself: module
//! imports only point one way (no cycles), no source file carries more than
//! `FILE_LIMIT` lines of non-test code, and no function is longer than
//! `FN_LIMIT` lines unless it is a table of cases listed in `TABLES` with the
//! reason. Read as text (comments and strings blanked first), so it needs no
//! compiler internals and runs in milliseconds.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const FILE_LIMIT: usize = 400;
const FN_LIMIT: usize = 60;

/// Functions allowed over `FN_LIMIT`: each is one table of cases, where
/// splitting would hide the table. `(file, function, why)`.
const TABLES: &[(&str, &str, &str)] = &[];

/// One source file: its module path (`aws::state`), its text with comments
/// and literals blanked (newlines kept), and where its tests start.
struct Source {
    file: String,
    module: String,
    code: String,
}

#[test]
fn imports_point_one_way() {
    let sources = sources();
    let modules: BTreeSet<String> = sources.iter().map(|s| s.module.clone()).collect();
    let mut edges: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for s in &sources {
        for (path, via) in crate_paths(&s.code, &s.module) {
            let Some(target) = owning_module(&path, &modules) else {
                continue;
            };
            // A parent owns its children (it declares them); only the
            // child's arrow up to its parent counts.
            if target == s.module || is_within(&target, &s.module) {
                continue;
            }
            edges
                .entry(s.module.clone())
                .or_default()
                .entry(target)
                .or_default()
                .insert(via);
        }
    }
    let cycles = cycles(&edges);
    let described: Vec<String> = cycles
        .iter()
        .map(|c| {
            let mut hops = Vec::new();
            for pair in c.windows(2) {
                let names = &edges[&pair[0]][&pair[1]];
                let names: Vec<&str> = names.iter().map(String::as_str).take(3).collect();
                hops.push(format!("{} -> {} ({})", pair[0], pair[1], names.join(", ")));
            }
            hops.join("; ")
        })
        .collect();
    assert!(
        described.is_empty(),
        "import cycles (each arrow: what the first module takes from the second):\n  {}",
        described.join("\n  ")
    );
}

#[test]
fn files_stay_small() {
    let too_big: Vec<String> = sources()
        .iter()
        .filter(|s| !is_test_file(&s.file))
        .filter_map(|s| {
            let lines = code_before_tests(&s.code).lines().count();
            (lines > FILE_LIMIT).then(|| format!("{}: {lines} lines", s.file))
        })
        .collect();
    assert!(
        too_big.is_empty(),
        "source files over {FILE_LIMIT} lines of non-test code:\n  {}",
        too_big.join("\n  ")
    );
}

#[test]
fn functions_stay_short() {
    let mut long = Vec::new();
    for s in sources().iter().filter(|s| !is_test_file(&s.file)) {
        for (name, line, lines) in functions(code_before_tests(&s.code)) {
            let listed = TABLES.iter().any(|(f, n, _)| *f == s.file && *n == name);
            if lines > FN_LIMIT && !listed {
                long.push(format!("{}:{line} fn {name}: {lines} lines", s.file));
            }
        }
    }
    assert!(
        long.is_empty(),
        "functions over {FN_LIMIT} lines (split them, or list a table of cases in TABLES):\n  {}",
        long.join("\n  ")
    );
}

#[test]
fn listed_tables_exist() {
    let sources = sources();
    for (file, name, why) in TABLES {
        assert!(!why.is_empty(), "{file} {name}: say why it is a table");
        let source = sources
            .iter()
            .find(|s| s.file == *file)
            .unwrap_or_else(|| panic!("TABLES names {file}, which does not exist"));
        let found = functions(code_before_tests(&source.code))
            .into_iter()
            .any(|(n, _, lines)| n == *name && lines > FN_LIMIT);
        assert!(
            found,
            "TABLES lists {file} {name}, which is not (or no longer) over {FN_LIMIT} lines"
        );
    }
}

#[test]
fn the_checks_see_what_they_check() {
    // Guards against a reader that silently sees nothing.
    let code = blank(
        "use crate::a::{b::{self, C}, d};\n// crate::e::f\nfn g() {\n let s = \"crate::h::i {\";\n crate::j::k();\n}\nfn t(a: [u8; 2]) -> [u8; 2] {\n a\n}\n#[cfg(test)]\nmod tests {\n use crate::z;\n}\n",
    );
    let paths: Vec<String> = crate_paths(&code, "m")
        .into_iter()
        .map(|(p, _)| p)
        .collect();
    assert_eq!(paths, ["a::b", "a::b::C", "a::d", "j::k"]);
    let fns = functions(code_before_tests(&code));
    assert_eq!(fns, [("g".to_string(), 3, 4), ("t".to_string(), 7, 3)]);
    let edges = BTreeMap::from([
        (
            "a".to_string(),
            BTreeMap::from([("b".to_string(), BTreeSet::new())]),
        ),
        (
            "b".to_string(),
            BTreeMap::from([("a".to_string(), BTreeSet::new())]),
        ),
    ]);
    assert_eq!(cycles(&edges).len(), 1);
    assert!(sources().len() > 20, "the source tree was found");
}

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn sources() -> Vec<Source> {
    let root = src_dir();
    let mut files = Vec::new();
    collect(&root, &mut files);
    files
        .into_iter()
        .filter_map(|path| {
            let rel = path
                .strip_prefix(&root)
                .ok()?
                .to_string_lossy()
                .replace('\\', "/");
            let module = module_of(&rel)?;
            let text = std::fs::read_to_string(&path).ok()?;
            Some(Source {
                file: format!("src/{rel}"),
                module,
                code: blank(&text),
            })
        })
        .collect()
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `lib.rs` is the crate root; `main.rs` is the binary (outside the graph).
fn module_of(rel: &str) -> Option<String> {
    let stem = rel.strip_suffix(".rs")?;
    match stem {
        "main" => None,
        "lib" => Some("crate".into()),
        _ => Some(stem.strip_suffix("/mod").unwrap_or(stem).replace('/', "::")),
    }
}

fn is_test_file(file: &str) -> bool {
    file.ends_with("_tests.rs") || file.ends_with("/tests.rs")
}

fn is_within(inner: &str, outer: &str) -> bool {
    outer == "crate" || inner.starts_with(&format!("{outer}::"))
}

fn parent(module: &str) -> String {
    match module.rsplit_once("::") {
        Some((p, _)) => p.to_string(),
        None => "crate".into(),
    }
}

fn owning_module(path: &str, modules: &BTreeSet<String>) -> Option<String> {
    let parts: Vec<&str> = path.split("::").collect();
    (1..=parts.len())
        .rev()
        .map(|n| parts[..n].join("::"))
        .find(|m| modules.contains(m))
}

/// The text with comments, strings and char literals replaced by spaces
/// (newlines kept, so line numbers hold).
fn blank(text: &str) -> String {
    let c: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let keep = |ch: char| if ch == '\n' { '\n' } else { ' ' };
    while i < c.len() {
        if c[i] == '/' && at(&c, i + 1) == '/' {
            while i < c.len() && c[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if c[i] == '/' && at(&c, i + 1) == '*' {
            let mut depth = 0;
            while i < c.len() {
                if c[i] == '/' && at(&c, i + 1) == '*' {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if c[i] == '*' && at(&c, i + 1) == '/' {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(keep(c[i]));
                    i += 1;
                }
            }
        } else if (c[i] == 'r' || (c[i] == 'b' && at(&c, i + 1) == 'r'))
            && !prev_is_ident(&c, i)
            && raw_string_start(&c, i + usize::from(c[i] == 'b')).is_some()
        {
            let start = i + usize::from(c[i] == 'b');
            let hashes = raw_string_start(&c, start).unwrap_or(0);
            let mut j = start + 2 + hashes;
            loop {
                if j >= c.len() {
                    break;
                }
                if c[j] == '"' && (0..hashes).all(|h| c.get(j + 1 + h) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            out.push_str("\"\"");
            for &ch in &c[i..j.min(c.len())] {
                if ch == '\n' {
                    out.push('\n');
                }
            }
            i = j;
        } else if c[i] == '"' {
            out.push('"');
            i += 1;
            while i < c.len() && c[i] != '"' {
                if c[i] == '\\' {
                    out.push(' ');
                    i += 1;
                }
                if i < c.len() {
                    out.push(keep(c[i]));
                    i += 1;
                }
            }
            out.push('"');
            i += 1;
        } else if c[i] == '\'' && (at(&c, i + 1) == '\\' || at(&c, i + 2) == '\'') {
            // A char literal ('x' or an escape); a lifetime has no closing quote.
            let mut j = i + 1;
            if c[j] == '\\' {
                j += 2;
            } else {
                j += 1;
            }
            while j < c.len() && c[j] != '\'' {
                j += 1;
            }
            out.push_str("' '");
            i = j + 1;
        } else {
            out.push(c[i]);
            i += 1;
        }
    }
    out
}

fn at(c: &[char], i: usize) -> char {
    c.get(i).copied().unwrap_or('\0')
}

fn prev_is_ident(c: &[char], i: usize) -> bool {
    i > 0 && (c[i - 1].is_alphanumeric() || c[i - 1] == '_')
}

/// `r"…"` or `r#"…"#`: the number of hashes.
fn raw_string_start(c: &[char], i: usize) -> Option<usize> {
    if c.get(i) != Some(&'r') {
        return None;
    }
    let mut hashes = 0;
    while c.get(i + 1 + hashes) == Some(&'#') {
        hashes += 1;
    }
    (c.get(i + 1 + hashes) == Some(&'"')).then_some(hashes)
}

/// Code up to the first `#[cfg(test)]` item (tests sit at the end).
fn code_before_tests(code: &str) -> &str {
    match code.find("#[cfg(test)]") {
        Some(at) => &code[..at],
        None => code,
    }
}

/// Every `crate::…` and `super::…` path in the code before its tests, with
/// `use` groups expanded, resolved against `module`; each with the last name.
fn crate_paths(code: &str, module: &str) -> Vec<(String, String)> {
    let code: Vec<char> = code_before_tests(code).chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < code.len() {
        if prev_is_ident(&code, i) || (i > 0 && code[i - 1] == ':') {
            i += 1;
            continue;
        }
        let (base, after) = if starts(&code, i, "crate::") {
            (String::new(), i + "crate::".len())
        } else if starts(&code, i, "super::") {
            let mut base = parent(module);
            let mut j = i + "super::".len();
            while starts(&code, j, "super::") {
                base = parent(&base);
                j += "super::".len();
            }
            (if base == "crate" { String::new() } else { base }, j)
        } else {
            i += 1;
            continue;
        };
        let (paths, end) = use_tree(&code, after);
        for p in paths {
            let full = match (base.is_empty(), p.is_empty()) {
                (true, _) => p,
                (false, true) => base.clone(),
                (false, false) => format!("{base}::{p}"),
            };
            if !full.is_empty() {
                let last = full.rsplit("::").next().unwrap_or("").to_string();
                out.push((full, last));
            }
        }
        i = end.max(i + 1);
    }
    out
}

fn starts(code: &[char], i: usize, word: &str) -> bool {
    word.chars()
        .enumerate()
        .all(|(k, w)| code.get(i + k) == Some(&w))
}

/// Parses `a::b::{c, d::{self, E}}` from `i`: the expanded paths and where it ends.
fn use_tree(code: &[char], mut i: usize) -> (Vec<String>, usize) {
    let mut prefix: Vec<String> = Vec::new();
    loop {
        while code.get(i).is_some_and(|c| c.is_whitespace()) {
            i += 1;
        }
        if code.get(i) == Some(&'{') {
            let mut paths = Vec::new();
            i += 1;
            loop {
                while code.get(i).is_some_and(|c| c.is_whitespace() || *c == ',') {
                    i += 1;
                }
                match code.get(i) {
                    None => break,
                    Some('}') => {
                        i += 1;
                        break;
                    }
                    _ => {}
                }
                let (inner, end) = use_tree(code, i);
                for p in inner {
                    let mut parts = prefix.clone();
                    if !p.is_empty() && p != "self" {
                        parts.push(p);
                    }
                    paths.push(parts.join("::"));
                }
                if end == i {
                    i += 1;
                } else {
                    i = end;
                }
                // Skip `as alias`.
                while code.get(i).is_some_and(|c| !matches!(c, ',' | '}')) {
                    i += 1;
                }
            }
            return (paths, i);
        }
        let start = i;
        while code
            .get(i)
            .is_some_and(|c| c.is_alphanumeric() || *c == '_')
        {
            i += 1;
        }
        if i == start {
            return (vec![prefix.join("::")], i);
        }
        prefix.push(code[start..i].iter().collect());
        if starts(code, i, "::") {
            i += 2;
        } else {
            return (vec![prefix.join("::")], i);
        }
    }
}

/// `(name, first line, lines)` of every function with a body.
fn functions(code: &str) -> Vec<(String, usize, usize)> {
    let c: Vec<char> = code.chars().collect();
    let line_at = |i: usize| c[..i].iter().filter(|&&ch| ch == '\n').count() + 1;
    let mut out = Vec::new();
    let mut i = 0;
    while i < c.len() {
        if starts(&c, i, "fn ") && !prev_is_ident(&c, i) {
            let mut j = i + 3;
            while c.get(j).is_some_and(|ch| ch.is_whitespace()) {
                j += 1;
            }
            let start = j;
            while c
                .get(j)
                .is_some_and(|ch| ch.is_alphanumeric() || *ch == '_')
            {
                j += 1;
            }
            let name: String = c[start..j].iter().collect();
            // The body starts at the first `{` outside brackets: a `;` in
            // `[T; N]` (a parameter or the return type) does not end it.
            let mut nesting = 0i32;
            while let Some(&ch) = c.get(j) {
                match ch {
                    '(' | '[' => nesting += 1,
                    ')' | ']' => nesting -= 1,
                    '{' | ';' if nesting == 0 => break,
                    _ => {}
                }
                j += 1;
            }
            if c.get(j) == Some(&'{') {
                let mut depth = 0;
                let mut k = j;
                while k < c.len() {
                    match c[k] {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                    k += 1;
                }
                let first = line_at(i);
                out.push((name, first, line_at(k.min(c.len() - 1)) - first + 1));
            }
            i = j.max(i + 1);
        } else {
            i += 1;
        }
    }
    out
}

/// Every elementary cycle's shortest representative, as a closed walk.
fn cycles(edges: &BTreeMap<String, BTreeMap<String, BTreeSet<String>>>) -> Vec<Vec<String>> {
    // From each node not yet on a found cycle: the shortest way back to it.
    let nodes: Vec<&String> = edges.keys().collect();
    let mut found = Vec::new();
    let mut seen_in_cycle: BTreeSet<String> = BTreeSet::new();
    for start in nodes {
        if seen_in_cycle.contains(start) {
            continue;
        }
        // Breadth-first from start back to start.
        let mut prev: BTreeMap<String, String> = BTreeMap::new();
        let mut queue = std::collections::VecDeque::from([start.clone()]);
        let mut closed = None;
        while let Some(n) = queue.pop_front() {
            for next in edges.get(&n).into_iter().flat_map(|m| m.keys()) {
                if next == start {
                    closed = Some(n.clone());
                    break;
                }
                if !prev.contains_key(next) {
                    prev.insert(next.clone(), n.clone());
                    queue.push_back(next.clone());
                }
            }
            if closed.is_some() {
                break;
            }
        }
        if let Some(last) = closed {
            let mut back = vec![last];
            while let Some(p) = back.last().and_then(|at| prev.get(at)) {
                if p == start {
                    break;
                }
                back.push(p.clone());
            }
            back.reverse();
            let walk: Vec<String> = std::iter::once(start.clone())
                .chain(back)
                .chain(std::iter::once(start.clone()))
                .collect();
            seen_in_cycle.extend(walk.iter().cloned());
            found.push(walk);
        }
    }
    found
}

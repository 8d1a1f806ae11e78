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

/// One source file: its module path (`store::state`), its text with comments
/// and literals blanked (newlines kept), and where its tests start.
struct Source {
    file: String,
    module: String,
    code: String,
}

type Edges = BTreeMap<String, BTreeMap<String, BTreeSet<String>>>;

#[test]
fn imports_point_one_way() {
    let described = described_cycles(&sources());
    assert!(
        described.is_empty(),
        "import cycles (each arrow: what the first module takes from the second):\n  {}",
        described.join("\n  ")
    );
}

/// Every arrow between modules: `crate::` and `super::` paths, and paths
/// through a name a `use` or a `mod` brought in (`workers::account::f` after
/// `use crate::workers;`), each followed through re-exports (`pub use`,
/// `pub type`) to the module that defines the name. A parent's arrows to its
/// own children count like any other.
fn edges(sources: &[Source]) -> Edges {
    let resolver = Resolver::new(sources);
    let mut edges = Edges::new();
    for s in sources {
        for (path, via) in all_paths(&s.code, &s.module) {
            for target in resolver.targets(&path) {
                if target == s.module || target == "crate" {
                    continue;
                }
                edges
                    .entry(s.module.clone())
                    .or_default()
                    .entry(target)
                    .or_default()
                    .insert(via.clone());
            }
        }
    }
    edges
}

/// Where a path leads: the module that defines its first name, then each
/// module a re-export (`pub use`, `pub type`) hands it on to.
struct Resolver {
    modules: BTreeSet<String>,
    reexports: BTreeMap<String, String>,
}

impl Resolver {
    fn new(sources: &[Source]) -> Resolver {
        Resolver {
            modules: sources.iter().map(|s| s.module.clone()).collect(),
            reexports: sources
                .iter()
                .flat_map(|s| reexports(&s.code, &s.module))
                .collect(),
        }
    }

    fn targets(&self, path: &str) -> Vec<String> {
        let mut targets = Vec::new();
        let mut at = path.to_string();
        // A chain of re-exports ends; a loop in one is not followed twice.
        for _ in 0..8 {
            let Some(owner) = owning_module(&at, &self.modules) else {
                break;
            };
            targets.push(owner);
            match longest_prefix(&at, &self.reexports) {
                Some(next) if next != at => at = next,
                _ => break,
            }
        }
        targets
    }
}

/// The layers, top to bottom, each with the folders (first path names)
/// that form it. A module may import its own layer (without cycles) and the
/// layers below it, never one above: the entries drive the flow, the flow
/// decides in the domain and acts through the adapters, the adapters serve
/// in the domain's words, and the domain imports nothing but itself.
const LAYERS: &[(&str, &[&str])] = &[
    ("entries", &["cli", "lambda"]),
    ("flow", &["flow"]),
    ("adapters", &["adapters"]),
    ("domain", &["domain"]),
];

/// The index in `LAYERS` of a module's layer; `None` outside every layer.
fn layer_of(module: &str) -> Option<usize> {
    let first = module.split("::").next().unwrap_or(module);
    LAYERS
        .iter()
        .position(|(_, folders)| folders.contains(&first))
}

/// Every import that points up a layer (or comes from a file in no layer),
/// with the file, the path as written and resolved, and the rule it breaks.
fn layer_breaches(sources: &[Source]) -> Vec<String> {
    let resolver = Resolver::new(sources);
    let mut found = BTreeSet::new();
    for s in sources.iter().filter(|s| s.module != "crate") {
        let Some(from) = layer_of(&s.module) else {
            found.insert(format!(
                "{}: in no layer (LAYERS names the folders of each)",
                s.file
            ));
            continue;
        };
        for (path, _) in all_paths(&s.code, &s.module) {
            for target in resolver.targets(&path) {
                let Some(to) = layer_of(&target) else {
                    continue;
                };
                if to < from {
                    let below: Vec<&str> = LAYERS[from..].iter().map(|(n, _)| *n).collect();
                    found.insert(format!(
                        "{}: imports crate::{path} (in {target}, {}): {} may import only {}",
                        s.file,
                        LAYERS[to].0,
                        LAYERS[from].0,
                        below.join(", ")
                    ));
                }
            }
        }
    }
    found.into_iter().collect()
}

#[test]
fn imports_point_down_the_layers() {
    let breaches = layer_breaches(&sources());
    assert!(
        breaches.is_empty(),
        "imports that point up a layer:\n  {}",
        breaches.join("\n  ")
    );
}

#[test]
fn every_layer_is_a_folder_of_src() {
    for (name, folders) in LAYERS {
        for folder in *folders {
            let as_dir = src_dir().join(folder);
            let as_file = src_dir().join(format!("{folder}.rs"));
            assert!(
                as_dir.is_dir() || as_file.is_file(),
                "layer {name}: src/{folder} does not exist"
            );
        }
    }
}

/// The cycles, described: those that cross a folder's wall, and those
/// between the files of one folder. A folder and the files inside it may
/// use each other (a `mod.rs` shares its vocabulary with its children), so
/// a loop made only of a folder and its own files is one room; but files
/// side by side in one folder that reach each other are a loop like any
/// other.
fn described_cycles(sources: &[Source]) -> Vec<String> {
    let edges = edges(sources);
    let siblings: Edges = edges
        .iter()
        .map(|(from, tos)| {
            let tos = tos
                .iter()
                .filter(|(to, _)| !is_within(to, from) && !is_within(from, to))
                .map(|(to, via)| (to.clone(), via.clone()))
                .collect();
            (from.clone(), tos)
        })
        .collect();
    let mut described = Vec::new();
    for graph in [&edges, &siblings] {
        for hops in loops(graph, &edges) {
            if !described.contains(&hops) {
                described.push(hops);
            }
        }
    }
    described
}

/// The shortest cycles of each strongly connected set of `graph` that does
/// not lie inside one of its own members, each hop with the names taken.
fn loops(graph: &Edges, names: &Edges) -> Vec<String> {
    let mut described = Vec::new();
    for set in strongly_connected(graph) {
        let one_room = set
            .iter()
            .any(|folder| set.iter().all(|m| m == folder || is_within(m, folder)));
        if set.len() < 2 || one_room {
            continue;
        }
        let inside: Edges = graph
            .iter()
            .filter(|(from, _)| set.contains(*from))
            .map(|(from, tos)| {
                let tos = tos
                    .iter()
                    .filter(|(to, _)| set.contains(*to))
                    .map(|(to, via)| (to.clone(), via.clone()))
                    .collect();
                (from.clone(), tos)
            })
            .collect();
        let before = described.len();
        for c in cycles(&inside) {
            let within_one = c
                .iter()
                .any(|folder| c.iter().all(|m| m == folder || is_within(m, folder)));
            if within_one {
                continue;
            }
            let mut hops = Vec::new();
            for pair in c.windows(2) {
                let taken = &names[&pair[0]][&pair[1]];
                let taken: Vec<&str> = taken.iter().map(String::as_str).take(3).collect();
                hops.push(format!("{} -> {} ({})", pair[0], pair[1], taken.join(", ")));
            }
            described.push(hops.join("; "));
        }
        if described.len() == before {
            let members: Vec<&str> = set.iter().map(String::as_str).collect();
            described.push(format!(
                "modules that reach each other: {}",
                members.join(", ")
            ));
        }
    }
    described
}

/// Tarjan's strongly connected components, each as a set of modules.
fn strongly_connected(edges: &Edges) -> Vec<BTreeSet<String>> {
    struct Walk<'a> {
        edges: &'a Edges,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        out: Vec<BTreeSet<String>>,
    }
    fn visit<'a>(w: &mut Walk<'a>, v: &'a str) {
        let n = w.index.len();
        w.index.insert(v, n);
        w.low.insert(v, n);
        w.stack.push(v);
        w.on_stack.insert(v);
        let edges = w.edges;
        for next in edges.get(v).into_iter().flat_map(|t| t.keys()) {
            let next = next.as_str();
            if !w.index.contains_key(next) {
                visit(w, next);
                let l = w.low[v].min(w.low[next]);
                w.low.insert(v, l);
            } else if w.on_stack.contains(next) {
                let l = w.low[v].min(w.index[next]);
                w.low.insert(v, l);
            }
        }
        if w.low[v] == w.index[v] {
            let mut set = BTreeSet::new();
            while let Some(m) = w.stack.pop() {
                w.on_stack.remove(m);
                set.insert(m.to_string());
                if m == v {
                    break;
                }
            }
            w.out.push(set);
        }
    }
    let mut w = Walk {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in edges.keys() {
        if !w.index.contains_key(v.as_str()) {
            visit(&mut w, v);
        }
    }
    w.out
}

/// The AWS clients know no table key and never reach into the store: what
/// is stored, under which key and with which condition, is `store/`'s.
#[test]
fn aws_clients_know_no_table_key() {
    let mut found = Vec::new();
    for s in sources()
        .iter()
        .filter(|s| s.file.starts_with("src/adapters/aws/"))
    {
        let text =
            std::fs::read_to_string(src_dir().join(&s.file["src/".len()..])).unwrap_or_default();
        if crate_paths(&s.code, &s.module)
            .iter()
            .any(|(p, _)| p == "store" || p.starts_with("store::"))
        {
            found.push(format!("{}: imports store", s.file));
        }
        for key in [
            "\"pk\"", "\"sk\"", "ACCOUNT#", "REGION#", "EVENT#", "STATE#",
        ] {
            if text.contains(key) {
                found.push(format!("{}: names {key}", s.file));
            }
        }
    }
    assert!(
        found.is_empty(),
        "table keys outside store/:\n  {}",
        found.join("\n  ")
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

fn source(file: &str, module: &str, text: &str) -> Source {
    Source {
        file: file.into(),
        module: module.into(),
        code: blank(text),
    }
}

#[test]
fn the_cycle_check_sees_through_folders_aliases_and_reexports() {
    // The router and the account worker as they stood before the house was
    // mended (abridged from src/flow/route.rs and src/flow/workers/account.rs): the
    // router reached the worker through `use crate::workers;` and the worker
    // took the router's alias back.
    let before = [
        source(
            "src/flow/route.rs",
            "route",
            "use crate::account::{self, Ctx, Prepared};\nuse crate::workers;\npub type Prepare = Result<Option<Prepared>, AwsError>;\npub async fn work() { workers::account::converged(svc).await }\n",
        ),
        source("src/flow/workers/mod.rs", "workers", "pub mod account;\npub mod run_as_override;\n"),
        source(
            "src/flow/workers/account.rs",
            "workers::account",
            "use crate::account::{self, Ctx};\nuse crate::route::Prepare;\npub async fn converged(p: Option<Prepare>) {}\n",
        ),
        source("src/flow/account/mod.rs", "account", "pub struct Prepared;\npub struct Ctx;\n"),
    ];
    let found = described_cycles(&before);
    assert_eq!(
        found,
        ["route -> workers::account (converged); workers::account -> route (Prepare)"],
        "the route/workers circle"
    );

    // `as` aliases, `super::` paths and a `pub type` alias are followed.
    let aliased = [
        source(
            "src/a.rs",
            "a",
            "use crate::b as bee;\nfn f() { bee::g() }\n",
        ),
        source(
            "src/b/mod.rs",
            "b",
            "mod inner;\npub type G = inner::H;\npub fn g() {}\n",
        ),
        source(
            "src/b/inner.rs",
            "b::inner",
            "pub struct H;\nfn k() { super::super::a::f() }\n",
        ),
        source("src/c.rs", "c", "use crate::b::G;\n"),
    ];
    let e = edges(&aliased);
    assert!(e["a"].contains_key("b"), "through an `as` alias: {e:?}");
    assert!(
        e["b::inner"].contains_key("a"),
        "through super::super: {e:?}"
    );
    assert!(
        e["c"].contains_key("b::inner"),
        "through a `pub type` alias: {e:?}"
    );
    assert_eq!(
        described_cycles(&aliased),
        ["a -> b (b, g); b -> b::inner (H); b::inner -> a (f)"],
    );

    // A folder and its own files using each other is one room.
    let one_room = [
        source(
            "src/p/mod.rs",
            "p",
            "mod q;\npub struct T;\nfn f() { q::g() }\n",
        ),
        source("src/p/q.rs", "p::q", "use super::T;\npub fn g() {}\n"),
    ];
    assert!(described_cycles(&one_room).is_empty());
}

#[test]
fn siblings_in_one_folder_cannot_loop() {
    // domain/policy before it was mended: raw named `super::user_name::UserRules`
    // inline, user_name took `shorten` from validate, validate took raw's types.
    let policy = [
        source(
            "src/domain/policy/mod.rs",
            "domain::policy",
            "mod raw;\nmod user_name;\nmod validate;\npub struct Policy;\n",
        ),
        source(
            "src/domain/policy/raw.rs",
            "domain::policy::raw",
            "use super::Policy;\npub struct RawNodes;\nfn rules() -> super::user_name::UserRules { todo!() }\n",
        ),
        source(
            "src/domain/policy/user_name.rs",
            "domain::policy::user_name",
            "use super::validate::shorten as shown;\npub struct UserRules;\n",
        ),
        source(
            "src/domain/policy/validate.rs",
            "domain::policy::validate",
            "use super::raw::RawNodes;\npub fn shorten() {}\n",
        ),
    ];
    assert_eq!(
        described_cycles(&policy),
        [
            "domain::policy::raw -> domain::policy::user_name (UserRules); \
          domain::policy::user_name -> domain::policy::validate (shorten); \
          domain::policy::validate -> domain::policy::raw (RawNodes)"
        ],
    );
}

#[test]
fn the_layer_check_sees_every_path_form() {
    let house = [
        // A `use` of an adapter from the domain.
        source(
            "src/domain/job.rs",
            "domain::job",
            "use crate::adapters::store::known::Snapshot;\npub struct Job;\n",
        ),
        // An inline `crate::` path in an expression.
        source(
            "src/domain/policy/validate.rs",
            "domain::policy::validate",
            "fn f() -> usize { crate::adapters::aws::sts::session_policy().len() }\n",
        ),
        // `super::super::` climbing out of the domain.
        source(
            "src/domain/nodes/check.rs",
            "domain::nodes::check",
            "fn g() { super::super::super::flow::sweep::run() }\n",
        ),
        // Through a re-export: the adapter's name is the flow's type.
        source(
            "src/adapters/aws/sts.rs",
            "adapters::aws::sts",
            "pub use crate::adapters::aws::Seat as S;\nfn h(s: &crate::adapters::aws::Seat) {}\n",
        ),
        source(
            "src/adapters/aws/mod.rs",
            "adapters::aws",
            "pub mod sts;\npub use crate::flow::operator::Seat;\n",
        ),
        source(
            "src/flow/operator.rs",
            "flow::operator",
            "pub struct Seat;\n",
        ),
        source("src/flow/sweep.rs", "flow::sweep", "pub fn run() {}\n"),
        source(
            "src/adapters/store/known.rs",
            "adapters::store::known",
            "pub struct Snapshot;\n",
        ),
        source(
            "src/adapters/aws/sts_ok.rs",
            "adapters::aws::sts_ok",
            "use crate::domain::job::Job;\n",
        ),
        source("src/stray.rs", "stray", "pub fn f() {}\n"),
    ];
    let breaches = layer_breaches(&house);
    let has = |file: &str, target: &str| {
        breaches
            .iter()
            .any(|b| b.starts_with(file) && b.contains(&format!("(in {target},")))
    };
    assert!(
        has("src/domain/job.rs", "adapters::store::known"),
        "{breaches:#?}"
    );
    assert!(
        has("src/domain/policy/validate.rs", "adapters::aws::sts"),
        "{breaches:#?}"
    );
    assert!(
        has("src/domain/nodes/check.rs", "flow::sweep"),
        "{breaches:#?}"
    );
    assert!(
        has("src/adapters/aws/sts.rs", "flow::operator"),
        "{breaches:#?}"
    );
    assert!(
        has("src/adapters/aws/mod.rs", "flow::operator"),
        "{breaches:#?}"
    );
    assert!(breaches
        .iter()
        .any(|b| b.starts_with("src/stray.rs: in no layer")));
    assert!(
        !breaches
            .iter()
            .any(|b| b.starts_with("src/adapters/aws/sts_ok.rs")),
        "an adapter may use the domain: {breaches:#?}"
    );
    let one = breaches
        .iter()
        .find(|b| b.starts_with("src/domain/job.rs"))
        .unwrap();
    assert!(
        one.ends_with("domain may import only domain"),
        "the rule is named: {one}"
    );
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

/// Every path this module's code names, resolved to a crate path: the
/// `crate::`/`super::` ones, and those that start with a name a `use` or a
/// `mod` declaration brought in. Each with the last name.
fn all_paths(code: &str, module: &str) -> Vec<(String, String)> {
    let mut out = crate_paths(code, module);
    let aliases = local_names(code, module);
    let c: Vec<char> = code_before_tests(code).chars().collect();
    let mut i = 0;
    while i < c.len() {
        let at_start = !prev_is_ident(&c, i) && !(i > 0 && (c[i - 1] == ':' || c[i - 1] == '.'));
        if !at_start || !(c[i].is_alphabetic() || c[i] == '_') {
            i += 1;
            continue;
        }
        let start = i;
        while c
            .get(i)
            .is_some_and(|ch| ch.is_alphanumeric() || *ch == '_')
        {
            i += 1;
        }
        let first: String = c[start..i].iter().collect();
        // A name alone (`mod x;`, `use …::X;`) is no arrow of its own: the
        // `use` counted already; only a path through it is new.
        let Some(base) = aliases.get(&first).filter(|_| starts(&c, i, "::")) else {
            continue;
        };
        let mut full = base.clone();
        while starts(&c, i, "::") {
            let s = i + 2;
            let mut j = s;
            while c
                .get(j)
                .is_some_and(|ch| ch.is_alphanumeric() || *ch == '_')
            {
                j += 1;
            }
            if j == s {
                break;
            }
            full.push_str("::");
            full.extend(&c[s..j]);
            i = j;
        }
        let last = full.rsplit("::").next().unwrap_or("").to_string();
        out.push((full, last));
    }
    out
}

/// Names a module's `use` items and `mod` declarations bring into scope,
/// each with the crate path it stands for (`as` aliases included).
fn local_names(code: &str, module: &str) -> BTreeMap<String, String> {
    let mut names = BTreeMap::new();
    for (local, path) in use_items(code, module) {
        names.insert(local, path);
    }
    let c: Vec<char> = code_before_tests(code).chars().collect();
    let mut i = 0;
    while i < c.len() {
        if starts(&c, i, "mod ") && !prev_is_ident(&c, i) {
            let mut j = i + 4;
            let s = j;
            while c
                .get(j)
                .is_some_and(|ch| ch.is_alphanumeric() || *ch == '_')
            {
                j += 1;
            }
            let name: String = c[s..j].iter().collect();
            while c.get(j).is_some_and(|ch| ch.is_whitespace()) {
                j += 1;
            }
            if !name.is_empty() && c.get(j) == Some(&';') {
                let full = if module == "crate" {
                    name.clone()
                } else {
                    format!("{module}::{name}")
                };
                names.insert(name, full);
            }
            i = j;
        } else {
            i += 1;
        }
    }
    names
}

/// `(local name, crate path)` of every `use` item of the crate's own
/// (`crate::`, `super::`, `self::`); external crates are left out.
fn use_items(code: &str, module: &str) -> Vec<(String, String)> {
    let c: Vec<char> = code_before_tests(code).chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < c.len() {
        if starts(&c, i, "use ") && !prev_is_ident(&c, i) {
            let s = i + 4;
            let mut j = s;
            while c.get(j).is_some_and(|ch| *ch != ';') {
                j += 1;
            }
            // `x as y` keeps its alias as `x@y` once the spaces are gone.
            let raw: String = c[s..j.min(c.len())].iter().collect();
            let text: String = raw
                .split_whitespace()
                .map(|w| if w == "as" { "@" } else { w })
                .collect();
            for item in expand(&text) {
                let (path, alias) = match item.split_once('@') {
                    Some((p, a)) => (p.to_string(), Some(a.to_string())),
                    None => (item.clone(), None),
                };
                let Some(full) = resolve(&path, module) else {
                    continue;
                };
                if full.is_empty() || full.ends_with('*') {
                    continue;
                }
                let local =
                    alias.unwrap_or_else(|| full.rsplit("::").next().unwrap_or("").to_string());
                out.push((local, full));
            }
            i = j;
        } else {
            i += 1;
        }
    }
    out
}

/// `a::{b,c::{self,D}}` (no spaces) -> `a::b`, `a::c`, `a::c::D`.
fn expand(text: &str) -> Vec<String> {
    let Some(open) = text.find('{') else {
        return vec![text.to_string()];
    };
    let prefix = &text[..open];
    let inner = &text[open + 1..text.rfind('}').unwrap_or(text.len())];
    let mut parts = Vec::new();
    let (mut depth, mut last) = (0, 0);
    for (k, ch) in inner.char_indices() {
        match ch {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[last..k]);
                last = k + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[last..]);
    parts
        .into_iter()
        .filter(|p| !p.is_empty())
        .flat_map(expand)
        .map(|p| {
            let base = prefix.trim_end_matches("::");
            if p == "self" {
                base.to_string()
            } else {
                format!("{prefix}{p}")
            }
        })
        .collect()
}

/// A `use` path as a crate path; `None` for another crate's.
fn resolve(path: &str, module: &str) -> Option<String> {
    if let Some(rest) = path.strip_prefix("crate::") {
        return Some(rest.to_string());
    }
    let mut base = module.to_string();
    let mut rest = path;
    if let Some(r) = rest.strip_prefix("self::") {
        rest = r;
    } else if rest.starts_with("super::") {
        while let Some(r) = rest.strip_prefix("super::") {
            base = parent(&base);
            rest = r;
        }
    } else {
        return None;
    }
    Some(if base == "crate" {
        rest.to_string()
    } else {
        format!("{base}::{rest}")
    })
}

/// What a module re-exports: `pub use` items and `pub type` aliases, as
/// `module::Name` -> the crate path it stands for.
fn reexports(code: &str, module: &str) -> Vec<(String, String)> {
    let blanked = code_before_tests(code);
    let mut out = Vec::new();
    let names = local_names(code, module);
    for (local, full) in use_items(code, module) {
        if is_pub_use(blanked, &local) {
            out.push((qualified(module, &local), full));
        }
    }
    for line in blanked.lines() {
        let line = line.trim();
        let Some(rest) = line.strip_prefix("pub type ") else {
            continue;
        };
        let Some((name, rhs)) = rest.split_once('=') else {
            continue;
        };
        let name = name.trim().split('<').next().unwrap_or("").trim();
        let first: String = rhs
            .trim()
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
            .collect();
        let head = first.split("::").next().unwrap_or("");
        let target = if first.starts_with("crate::") || first.starts_with("super::") {
            resolve(&first, module)
        } else {
            names
                .get(head)
                .map(|base| format!("{base}{}", &first[head.len()..]))
        };
        if let Some(target) = target {
            out.push((qualified(module, name), target));
        }
    }
    out
}

fn is_pub_use(code: &str, local: &str) -> bool {
    code.split(';').any(|stmt| {
        let stmt = stmt.trim();
        stmt.starts_with("pub use")
            && stmt
                .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .any(|w| w == local)
    })
}

fn qualified(module: &str, name: &str) -> String {
    if module == "crate" {
        name.to_string()
    } else {
        format!("{module}::{name}")
    }
}

/// The re-export that the longest prefix of `path` names, with the rest of
/// the path appended.
fn longest_prefix(path: &str, reexports: &BTreeMap<String, String>) -> Option<String> {
    let parts: Vec<&str> = path.split("::").collect();
    (1..=parts.len()).rev().find_map(|n| {
        let head = parts[..n].join("::");
        reexports.get(&head).map(|t| {
            let rest = parts[n..].join("::");
            if rest.is_empty() {
                t.clone()
            } else {
                format!("{t}::{rest}")
            }
        })
    })
}

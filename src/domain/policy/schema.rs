//! The keys each table of the policy may hold, so that every unknown key is
//! reported at once, where it is, with the key it was probably meant to be.
//! serde's `deny_unknown_fields` (raw.rs) still refuses them at load; this
//! list must follow raw.rs (a test holds the two together).

use toml::de::{DeTable, DeValue};

use super::diagnostic::{Diagnostic, Severity};
use super::suggest::closest;

/// The keys a table at `path` may hold (array elements erased: `ou`,
/// `document.ou`); `None` for a table whose keys are free (attributes).
fn allowed(path: &str) -> Option<&'static [&'static str]> {
    Some(match path {
        "" => &[
            "member_role",
            "fallback_roles",
            "operator_role",
            "regions",
            "mode",
            "allow_root",
            "directory_users",
            "default",
            "scope",
            "ou",
            "account",
            "exempt",
            "document",
            "nodes",
            "session_documents",
            "identity_center",
            "run_as_tags",
            "forwarding_canary",
            "security_hub",
        ],
        "default" => &["run_as_user"],
        "scope" => &["ous", "accounts"],
        "ou" | "account" | "document.ou" | "document.account" => &["id", "run_as_user", "mode"],
        "exempt" => &["accounts", "ous", "principals"],
        "document" => &["name", "run_as_user", "inherit", "mode", "ou", "account"],
        "nodes" => &["check_user", "document", "held_alert_after"],
        "session_documents" | "run_as_tags" => &["sweep"],
        "identity_center" => &["region", "instance_arn", "mode", "attributes"],
        "forwarding_canary" => &["enabled", "interval", "grace"],
        "security_hub" => &["findings"],
        _ => return None,
    })
}

/// Every table a key is known in, in the order a file lists them.
const TABLES: &[&str] = &[
    "",
    "default",
    "scope",
    "ou",
    "account",
    "exempt",
    "document",
    "document.ou",
    "document.account",
    "nodes",
    "session_documents",
    "run_as_tags",
    "identity_center",
    "forwarding_canary",
    "security_hub",
];

/// Every key of every table.
fn every_key() -> impl Iterator<Item = &'static str> {
    TABLES.iter().filter_map(|t| allowed(t)).flatten().copied()
}

/// `; `mode` belongs at the top level`: where a key known elsewhere goes
/// (a key after a `[table]` header belongs to that table, a common slip).
fn home(key: &str) -> String {
    let Some(table) = TABLES
        .iter()
        .find(|t| allowed(t).is_some_and(|keys| keys.contains(&key)))
    else {
        return String::new();
    };
    if table.is_empty() {
        format!("; `{key}` belongs at the top level, above the first [table]")
    } else {
        format!("; `{key}` is a key of [{table}]")
    }
}

/// Every key the policy's tables do not know, with the nearest known one.
pub(super) fn unknown_keys(root: &DeTable<'_>) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    walk(root, "", &mut out);
    out
}

fn walk(table: &DeTable<'_>, path: &str, out: &mut Vec<Diagnostic>) {
    let Some(known) = allowed(path) else { return };
    for (key, value) in table.iter() {
        let name: &str = key.get_ref();
        if !known.contains(&name) {
            let shown = super::validate::shorten(name);
            let within = if path.is_empty() {
                "the top level".to_string()
            } else {
                format!("[{path}]")
            };
            // A key near one of this table's, else near one of another
            // table's (then said where it goes).
            let here = closest(name, known.iter().copied(), 2);
            let elsewhere = every_key().any(|k| k == name);
            let near = here.or_else(|| {
                (!elsewhere)
                    .then(|| closest(name, every_key(), 2))
                    .flatten()
            });
            let case = match near {
                Some(k) if k.eq_ignore_ascii_case(name) => " (keys are case-sensitive)",
                _ => "",
            };
            let home = match (here, near) {
                (None, Some(k)) => home(k),
                _ => home(name),
            };
            out.push(
                Diagnostic::new(
                    Severity::Error,
                    "unknown-key",
                    key.span(),
                    format!("unknown key {shown} in {within}{case}{home}"),
                )
                .suggest(near),
            );
            continue;
        }
        let child = if path.is_empty() {
            name.to_string()
        } else {
            format!("{path}.{name}")
        };
        match value.get_ref() {
            DeValue::Table(t) => walk(t, &child, out),
            DeValue::Array(a) => {
                for element in a.iter() {
                    if let DeValue::Table(t) = element.get_ref() {
                        walk(t, &child, out);
                    }
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unknown(text: &str) -> Vec<(String, Option<String>)> {
        let root = DeTable::parse(text).unwrap();
        let mut found: Vec<_> = unknown_keys(root.get_ref())
            .into_iter()
            .map(|d| (text[d.span].to_string(), d.suggestion))
            .collect();
        found.sort();
        found
    }

    #[test]
    fn every_unknown_key_is_found_with_the_nearest_known_one() {
        let text = "Regions = []\nmembr_role = \"x\"\n[default]\nrun_as_usr = \"a\"\n[[document]]\nname = \"d\"\n[[document.ou]]\nidd = \"x\"\n[identity_center.attributes]\nanything = \"goes\"\n[colour]\nred = 1\n";
        let s = |v: &str| Some(v.to_string());
        assert_eq!(
            unknown(text),
            [
                ("Regions".to_string(), s("regions")),
                ("colour".to_string(), None),
                ("idd".to_string(), s("id")),
                ("membr_role".to_string(), s("member_role")),
                ("run_as_usr".to_string(), s("run_as_user")),
            ]
        );
    }

    /// Each key this list allows, serde (raw.rs) accepts: the two agree.
    #[test]
    fn the_list_follows_raw_rs() {
        let text = r#"
member_role = "R"
fallback_roles = []
regions = ["us-east-1"]
mode = "audit"
allow_root = false
directory_users = false
forwarding_canary = { enabled = false, interval = "1h", grace = "1h" }
run_as_tags = { sweep = false }
session_documents = { sweep = false }
security_hub = { findings = false }
nodes = { check_user = false, document = "Check" }
default = { run_as_user = "a" }
scope = { ous = [], accounts = [] }
exempt = { accounts = [], ous = [], principals = [] }
identity_center = { region = "eu-west-1", instance_arn = "x", mode = "alert", attributes = {} }
[[ou]]
id = "x"
run_as_user = "a"
mode = "audit"
[[account]]
id = "x"
[[document]]
name = "d"
run_as_user = "a"
inherit = "x"
mode = "audit"
ou = [{ id = "x", run_as_user = "a", mode = "audit" }]
account = []
"#;
        assert!(unknown(text).is_empty());
        toml::from_str::<super::super::raw::RawPolicy>(text).expect("serde knows the same keys");
    }
}

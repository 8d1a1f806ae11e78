//! `policy check`: every finding in a policy file, each located by the
//! TOML's own spans. The checks are the load's (the same function decides),
//! run on the same text; what this adds is where, every unknown key at
//! once, and the warnings and notes a person should see before deploying.

use std::ops::Range;

use serde::Deserialize;
use toml::de::DeTable;

use super::diagnostic::{locate, Diagnostic, Located, Severity};
use super::load::from_raw;
use super::prune::prune;
use super::raw::RawPolicy;
use super::{findings, schema, spans, Policy};

/// How the load refuses a value where an OU id belongs.
const NOT_AN_OU: &str = "is not an OU id";

/// Longer than any message a person reads in one go: a huge value inside
/// one of toml's messages is cut here.
const LONGEST_MESSAGE: usize = 300;

/// More values of the wrong type than anyone fixes in one go: the check
/// stops taking them out here (each is one more parse of the file).
const MOST_PRUNED: usize = 100;

/// The policy (when it loads) and every finding, in file order.
#[derive(Debug)]
pub struct Checked {
    pub policy: Option<Policy>,
    pub diagnostics: Vec<Diagnostic>,
    /// The text the spans point into (lossy only past the first byte that
    /// is not UTF-8, which is where the only finding then is).
    text: String,
}

impl Checked {
    pub fn count(&self, severity: Severity) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == severity)
            .count()
    }

    /// Each finding with its file, line and column.
    pub fn located(&self, file: &str) -> Vec<Located> {
        self.diagnostics
            .iter()
            .map(|d| locate(file, &self.text, d))
            .collect()
    }

    /// Where `key` (as the checks name keys: `scope`, `ou[1].id`) is.
    pub fn span_of(&self, key: &str) -> Range<usize> {
        match DeTable::parse(&self.text) {
            Ok(root) => spans::span_of(&root, key),
            Err(_) => 0..0,
        }
    }

    /// Whether a finding refuses a value where an OU id belongs (`id =
    /// "Prod"`): what [`Checked::name_ous`] can answer.
    pub fn refuses_ou_names(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.message.contains(NOT_AN_OU))
    }

    /// `--org` on a file naming an OU by its name where its id belongs:
    /// each such error says which OU has that name (and suggests its id).
    /// `ous` is the organization's `(id, name)` of every OU.
    pub fn name_ous(&mut self, ous: &[(String, String)]) {
        for d in &mut self.diagnostics {
            if !d.message.contains(NOT_AN_OU) {
                continue;
            }
            let Some(given) = self.text.get(d.span.clone()) else {
                continue;
            };
            let given = given.trim().trim_matches(|c| c == '"' || c == '\'');
            let named: Vec<&str> = ous
                .iter()
                .filter(|(_, name)| name == given)
                .map(|(id, _)| id.as_str())
                .collect();
            match named.as_slice() {
                [] => {}
                [id] => {
                    d.message = format!("{}; the OU named {given} is {id}", d.message);
                    d.suggestion = Some(id.to_string());
                }
                many => {
                    d.message = format!(
                        "{}; {} OUs are named {given}: {} (write the one meant)",
                        d.message,
                        many.len(),
                        many.join(", ")
                    );
                }
            }
        }
    }

    /// Rules the organization's tree says can never apply (`--org`), as
    /// warnings at their ids. `parents` is child -> parent of every OU and
    /// account.
    pub fn never_applies_in(&mut self, parents: &std::collections::HashMap<String, String>) {
        let (Some(policy), Ok(root)) = (&self.policy, DeTable::parse(&self.text)) else {
            return;
        };
        self.diagnostics
            .extend(super::never_applies::never_applies_in(
                &root, policy, parents,
            ));
        self.diagnostics.sort_by_key(|d| (d.span.start, d.severity));
    }

    /// OU and account ids the organization lacks, located (`--org`).
    pub fn against(&mut self, org: &super::ids::OrgIds) {
        if let Ok(root) = DeTable::parse(&self.text) {
            self.diagnostics
                .extend(super::org_check::unknown_ids(&root, org));
            self.diagnostics.sort_by_key(|d| (d.span.start, d.severity));
        }
    }
}

/// Checks a policy file's bytes: not UTF-8, TOML syntax, unknown keys, the
/// load's checks, then the findings of a policy that loads.
pub fn check_bytes(bytes: &[u8]) -> Checked {
    match std::str::from_utf8(bytes) {
        Ok(text) => check(text),
        Err(e) => {
            let at = e.valid_up_to();
            Checked {
                policy: None,
                diagnostics: vec![Diagnostic::new(
                    Severity::Error,
                    "not-utf8",
                    at..at + 1,
                    "the file is not UTF-8 text (TOML is UTF-8): save it as UTF-8",
                )],
                text: String::from_utf8_lossy(bytes).into_owned(),
            }
        }
    }
}

pub fn check(text: &str) -> Checked {
    // File order, as a reader meets them (toml keeps a table's keys sorted).
    let found = |policy, mut diagnostics: Vec<Diagnostic>| {
        diagnostics.sort_by_key(|d| (d.span.start, d.severity));
        for d in &mut diagnostics {
            d.message = cap(&d.message);
        }
        Checked {
            policy,
            diagnostics,
            text: text.to_string(),
        }
    };
    let (root, syntax) = DeTable::parse_recoverable(text);
    if !syntax.is_empty() {
        // Without a tree there is nothing further to read; toml's
        // recoverable parse already lists every syntax error it met.
        let all = syntax.iter().map(|e| from_toml(e, "syntax")).collect();
        return found(None, all);
    }
    // Every mistake in one run: unknown keys and values of the wrong type
    // are reported and taken out of a copy of the tree, so the load's own
    // checks still run on everything else (a person fixes the file once).
    let mut all = schema::unknown_keys(root.get_ref());
    let problems = match read_on(&root, &mut all).map(from_raw) {
        Some(Ok(policy)) if all.is_empty() => {
            let all = findings::findings(&root, &policy);
            return found(Some(policy), all);
        }
        Some(Err(problems)) => problems,
        Some(Ok(_)) | None => Vec::new(),
    };
    // A table refused for lacking what a misspelt key inside it was meant
    // to give (`run_as_usr` in an [[ou]]) is that key's finding, not another.
    let misspelt: Vec<usize> = all
        .iter()
        .filter(|d| d.code == "unknown-key" && d.suggestion.is_some())
        .map(|d| d.span.start)
        .collect();
    all.extend(
        problems
            .iter()
            .filter(|(key, _)| {
                let inside = spans::key_starts(&root, key);
                !misspelt.iter().any(|at| inside.contains(at))
            })
            .map(|(key, problem)| invalid(&root, key, problem)),
    );
    found(None, all)
}

/// The file's shape with `found`'s keys (the unknown ones) and every value
/// of the wrong type taken out, each of those reported into `found`; `None`
/// where a required key is missing (the read cannot go on without it).
fn read_on(root: &toml::Spanned<DeTable<'_>>, found: &mut Vec<Diagnostic>) -> Option<RawPolicy> {
    let mut pruned = root.clone();
    let mut removed = Vec::new();
    for d in found.iter() {
        removed.extend(prune(pruned.get_mut(), d.span.start));
        // `Member_Role`: the key it was meant to be is missing because of it.
        removed.extend(d.suggestion.clone());
    }
    loop {
        let e = match RawPolicy::deserialize(toml::de::Deserializer::from(pruned.clone())) {
            Ok(raw) => return Some(raw),
            Err(e) => e,
        };
        // A missing field cannot be taken out, so the read stops there; one
        // missing only because its bad value was taken out is reported.
        let missing = e.message().starts_with("missing field");
        let explained = removed
            .iter()
            .any(|k| e.message().contains(&format!("missing field `{k}`")));
        if !explained {
            found.push(from_toml(&e, "invalid"));
        }
        let at = e.span().map_or(usize::MAX, |s| s.start);
        match prune(pruned.get_mut(), at) {
            Some(key) if !missing && removed.len() < MOST_PRUNED => removed.push(key),
            _ => return None,
        }
    }
}

/// A key the load refuses: where it is, named as a person reads it, with
/// the known region a malformed region name was probably meant to be.
fn invalid(root: &toml::Spanned<DeTable<'_>>, key: &str, problem: &str) -> Diagnostic {
    let span = spans::span_of(root, key);
    let suggestion = if key.starts_with("regions[") {
        spans::value_str(root, key).and_then(super::regions::nearest_region)
    } else {
        None
    };
    Diagnostic::new(
        Severity::Error,
        "invalid",
        span,
        format!("`{}`: {problem}", spans::place(root, key)),
    )
    .suggest(suggestion)
}

/// toml's own error (syntax, a wrong type, a missing key, an unknown
/// variant), on one line, with the variant meant when one is close.
fn from_toml(e: &toml::de::Error, code: &'static str) -> Diagnostic {
    let message = cap(&e.message().split_whitespace().collect::<Vec<_>>().join(" "));
    let suggestion = variant_meant(&message);
    Diagnostic::new(Severity::Error, code, e.span().unwrap_or(0..0), message).suggest(suggestion)
}

/// `unknown variant `enfroce`, expected one of `enforce`, `audit``: the
/// closest of the listed variants.
fn variant_meant(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown variant `")?;
    let (given, listed) = rest.split_once('`')?;
    let candidates: Vec<&str> = listed.split('`').skip(1).step_by(2).collect();
    super::suggest::closest(given, candidates, 3).map(str::to_string)
}

fn cap(message: &str) -> String {
    if message.chars().count() <= LONGEST_MESSAGE {
        return message.to_string();
    }
    let head: String = message.chars().take(LONGEST_MESSAGE).collect();
    format!("{head}... (cut)")
}

#[cfg(test)]
#[path = "check_tests.rs"]
mod tests;

//! What a policy that loads should still tell a person, each at its place
//! in the file: a mistyped region (an error), a region this build does not
//! know (a warning), Run As users that cannot work or look mistyped, the
//! load's own warnings, and documents the shipped SCPs do not protect.

use toml::de::DeTable;
use toml::Spanned;

use super::diagnostic::{Diagnostic, Severity};
use super::regions::{region_kind, RegionKind};
use super::spans::{array_len, place, span_of};
use super::Policy;

type Root<'a> = Spanned<DeTable<'a>>;

pub(super) fn findings(root: &Root<'_>, policy: &Policy) -> Vec<Diagnostic> {
    let mut out = regions(root, policy);
    out.extend(load_warnings(root, policy));
    out.extend(users(root));
    out.extend(document_notes(root, policy));
    out.extend(super::never_applies::never_applies(root, policy));
    out
}

fn regions(root: &Root<'_>, policy: &Policy) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (i, region) in policy.regions.iter().enumerate() {
        let span = span_of(root, &format!("regions[{i}]"));
        match region_kind(region) {
            RegionKind::Known => {}
            RegionKind::Typo(near) => out.push(
                Diagnostic::new(
                    Severity::Error,
                    "region-typo",
                    span,
                    format!("`regions`: {region} is not an AWS region, and is close to {near}: as written it would govern a region none of your accounts use"),
                )
                .suggest(Some(near)),
            ),
            RegionKind::New => out.push(Diagnostic::new(
                Severity::Warning,
                "region-unknown",
                span,
                format!("`regions`: {region} is not a region runas-guard knows; new regions are fine (governed as given: check that it is enabled with runas-guard doctor)"),
            )),
        }
    }
    out
}

/// The load's warnings other than regions' (told above with more to say),
/// each at the key it names (`` `identity_center.mode`: ... ``).
fn load_warnings(root: &Root<'_>, policy: &Policy) -> Vec<Diagnostic> {
    policy
        .warnings()
        .into_iter()
        .filter(|w| !w.starts_with("`regions["))
        .map(|w| {
            let key = w
                .strip_prefix('`')
                .and_then(|r| r.split_once('`'))
                .map(|(k, _)| k.to_string());
            let span = key.as_deref().map_or(0..0, |k| span_of(root, k));
            Diagnostic::new(Severity::Warning, "policy-warning", span, w)
        })
        .collect()
}

/// Every `run_as_user` in the file with the user a rule there overrides
/// (the default's, or its document's), for the near-miss check.
fn user_places(root: &Root<'_>) -> Vec<(String, String, Option<String>)> {
    let text = |path: &str| super::spans::value_str(root, path).map(str::to_string);
    let default = text("default.run_as_user");
    let mut out = rules(root, "", &default);
    for i in 0..array_len(root, "document") {
        let own = text(&format!("document[{i}].run_as_user"));
        out.extend(rules(root, &format!("document[{i}]."), &own));
        if let Some(user) = own {
            out.push((format!("document[{i}].run_as_user"), user, None));
        }
    }
    if let Some(user) = default {
        out.push(("default.run_as_user".into(), user, None));
    }
    out
}

/// The users of the `[[ou]]` and `[[account]]` rules under `prefix`.
fn rules(
    root: &Root<'_>,
    prefix: &str,
    over: &Option<String>,
) -> Vec<(String, String, Option<String>)> {
    let mut out = Vec::new();
    for table in ["ou", "account"] {
        for i in 0..array_len(root, &format!("{prefix}{table}")) {
            let path = format!("{prefix}{table}[{i}].run_as_user");
            if let Some(user) = super::spans::value_str(root, &path) {
                out.push((path, user.to_string(), over.clone()));
            }
        }
    }
    out
}

fn users(root: &Root<'_>) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (path, user, over) in user_places(root) {
        let span = span_of(root, &path);
        let shown = place(root, &path);
        if let Some(why) = super::users::user_warning(&user) {
            out.push(Diagnostic::new(
                Severity::Warning,
                "run-as-user",
                span.clone(),
                format!("`{shown}`: {user}: {why}"),
            ));
        }
        if let Some(near) = over.filter(|o| looks_mistyped(&user, o)) {
            out.push(
                Diagnostic::new(
                    Severity::Warning,
                    "user-near-default",
                    span,
                    format!("`{shown}`: {user} is one slip away from {near}, the user this rule overrides; if another user is meant, ignore this"),
                )
                .suggest(Some(near)),
            );
        }
    }
    out
}

/// Close enough to be a typo of `over`, yet not a numbered sibling
/// (`admin1` beside `admin2` is on purpose).
fn looks_mistyped(user: &str, over: &str) -> bool {
    let reach = if over.chars().count() < 6 { 1 } else { 2 };
    let stem = |s: &str| s.trim_end_matches(|c: char| c.is_ascii_digit()).to_string();
    user != over && stem(user) != stem(over) && super::suggest::distance(user, over) <= reach
}

fn document_notes(root: &Root<'_>, policy: &Policy) -> Vec<Diagnostic> {
    policy
        .documents
        .iter()
        .enumerate()
        .filter(|(_, d)| !d.name.starts_with("SSMRunAs-"))
        .map(|(i, d)| {
            Diagnostic::new(
                Severity::Note,
                "document-name",
                span_of(root, &format!("document[{i}].name")),
                format!("{} is not named SSMRunAs-*, the documents the shipped SCPs protect (infra/scp/README.md)", d.name),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_misses_of_the_overridden_user() {
        for (user, over, typo) in [
            ("ssm-opz", "ssm-ops", true),
            ("smm-ops", "ssm-ops", true),
            ("produser", "ssm-ops", false),
            ("admin2", "admin1", false),
            ("ops", "ops", false),
            ("op", "ops", true),
            ("dev", "ops", false),
        ] {
            assert_eq!(looks_mistyped(user, over), typo, "{user} {over}");
        }
    }
}

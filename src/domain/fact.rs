//! A told fact's identity (pure), computed from what AWS says of it and
//! nothing of the run that tells it: the account, the slot (region and
//! document), the version, when AWS says that version was made (a
//! document deleted and made again numbers its versions from 1 again; its
//! versions are made later, so a remade document's version 3 is another
//! fact than the former one's), and the alert's kind (`Kind::as_str`). Any run that tells
//! the same facts, whatever its trigger, gives its alert the same
//! `alert_id`: two such alerts are one telling delivered twice (as SNS
//! itself may), not two. A naming follow-up (the editor known later) is
//! its own fact: the versions and the editor.

use crate::domain::ids::stable_id;

/// One version's fact, as `version_fact` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Version<'a> {
    /// The version number, or what stands for a version not read
    /// (`unjudged:3-5`, `recreated:7`).
    pub version: &'a str,
    /// When AWS says the version was made (`CreatedDate`), where read.
    pub created: Option<&'a str>,
}

/// The identity of one version's fact.
pub fn version_fact(kind: &str, (account, slot): (&str, &str), v: Version<'_>) -> String {
    stable_id(&[
        "fact",
        kind,
        account,
        slot,
        v.version,
        v.created.unwrap_or("-"),
    ])
}

/// The identity of an alert telling `facts` (in any order, any repeats),
/// naming `editor` as a follow-up does.
pub fn told_id(
    kind: &str,
    (account, slot): (&str, &str),
    facts: &[String],
    editor: Option<&str>,
) -> String {
    let mut facts: Vec<&str> = facts.iter().map(String::as_str).collect();
    facts.sort_unstable();
    facts.dedup();
    let mut parts = vec!["told", kind, account, slot];
    parts.extend(facts);
    if let Some(editor) = editor {
        parts.push("named");
        parts.push(editor);
    }
    stable_id(&parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLACE: (&str, &str) = ("111111111111", "eu-west-1");

    fn v(version: &'static str, created: Option<&'static str>) -> Version<'static> {
        Version { version, created }
    }

    #[test]
    fn a_fact_is_named_by_what_aws_says_and_anything_else_makes_another() {
        let base = version_fact("run_as_window", PLACE, v("3", Some("2026-11-28T10:00:00Z")));
        let others = [
            version_fact("run_as_window", PLACE, v("4", Some("2026-11-28T10:00:00Z"))),
            // The remade document's version 3.
            version_fact("run_as_window", PLACE, v("3", Some("2026-11-28T11:00:00Z"))),
            version_fact("run_as_window", PLACE, v("3", None)),
            version_fact(
                "drift_reverted",
                PLACE,
                v("3", Some("2026-11-28T10:00:00Z")),
            ),
            version_fact(
                "run_as_window",
                ("222222222222", "eu-west-1"),
                v("3", Some("2026-11-28T10:00:00Z")),
            ),
            version_fact(
                "run_as_window",
                ("111111111111", "eu-west-1#Doc"),
                v("3", Some("2026-11-28T10:00:00Z")),
            ),
            // Parts do not run into each other.
            version_fact(
                "run_as_window",
                ("111111111111", "eu-west-13"),
                v("", Some("2026-11-28T10:00:00Z")),
            ),
        ];
        for other in &others {
            assert_ne!(&base, other);
        }
        let again = version_fact("run_as_window", PLACE, v("3", Some("2026-11-28T10:00:00Z")));
        assert_eq!(base, again, "the same fact, whoever computes it");
    }

    #[test]
    fn an_alert_of_the_same_facts_has_one_identity_in_any_order() {
        let f = |n: &'static str| version_fact("run_as_window", PLACE, v(n, Some("t")));
        let (a, b, c) = (f("2"), f("3"), f("4"));
        let one = told_id("run_as_window", PLACE, &[a.clone(), b.clone()], None);
        assert_eq!(
            one,
            told_id(
                "run_as_window",
                PLACE,
                &[b.clone(), a.clone(), b.clone()],
                None
            )
        );
        assert_ne!(
            one,
            told_id("run_as_window", PLACE, &[a.clone(), b.clone(), c], None)
        );
        assert_ne!(
            one,
            told_id("run_as_window", PLACE, std::slice::from_ref(&a), None)
        );
        // A follow-up naming the editor is its own fact, one per editor.
        let named = told_id(
            "run_as_window",
            PLACE,
            &[a.clone(), b.clone()],
            Some("arn:aws:iam::1:role/A"),
        );
        assert_ne!(one, named);
        assert_ne!(
            named,
            told_id(
                "run_as_window",
                PLACE,
                &[a, b],
                Some("arn:aws:iam::1:role/B")
            )
        );
    }
}

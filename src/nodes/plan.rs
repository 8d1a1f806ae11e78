//! What to do with the associations SSM holds (pure).

use super::{Association, Readiness, SCHEDULE};

/// The one association to keep and what it needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// Right as it is.
    Keep(Association),
    /// None exists: create it.
    Create,
    /// It exists but runs another user, targets, schedule or document: put
    /// it back (on top of the version read).
    Update(Association),
}

/// Whether `a` runs exactly the lookup of `user` on every node, on our schedule.
pub fn conforms(a: &Association, document: &str, user: &str) -> bool {
    a.document == document
        && a.user.as_deref() == Some(user)
        && a.all_nodes
        && a.schedule.as_deref() == Some(SCHEDULE)
}

/// Which association is ours when several carry our name (a run that died
/// between create and record, or a copy made by hand): the one recorded,
/// else the smallest id, so every run picks the same. The rest are extras,
/// deleted so exactly one runs.
pub fn choose<'a>(
    found: &'a [Association],
    recorded: Option<&str>,
) -> (Option<&'a Association>, Vec<&'a Association>) {
    let kept = recorded
        .and_then(|id| found.iter().find(|a| a.id == id))
        .or_else(|| found.iter().min_by(|a, b| a.id.cmp(&b.id)));
    let extras = found
        .iter()
        .filter(|a| kept.is_none_or(|k| k.id != a.id))
        .collect();
    (kept, extras)
}

pub fn plan(kept: Option<&Association>, document: &str, user: &str) -> Plan {
    match kept {
        None => Plan::Create,
        Some(a) if conforms(a, document, user) => Plan::Keep(a.clone()),
        Some(a) => Plan::Update(a.clone()),
    }
}

/// Whether `now` is news on-call has not had: nodes newly found without the
/// user (ids not seen missing before, or more of them), or the user changed
/// and nodes lack the new one. Nodes that got the user, or the same nodes
/// still lacking it, are not news.
pub fn newly_missing(before: Option<&Readiness>, now: &Readiness) -> bool {
    if now.missing == 0 {
        return false;
    }
    match before {
        None => true,
        Some(b) => {
            b.user != now.user
                || now.missing > b.missing
                || now
                    .missing_nodes
                    .iter()
                    .any(|n| !b.missing_nodes.contains(n))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nodes::{Counts, CHECK_DOCUMENT};

    fn assoc(id: &str, user: Option<&str>) -> Association {
        Association {
            id: id.into(),
            version: "1".into(),
            name: Some(crate::nodes::ASSOCIATION_NAME.into()),
            document: CHECK_DOCUMENT.into(),
            user: user.map(str::to_string),
            all_nodes: true,
            schedule: Some(SCHEDULE.into()),
            counts: Counts::default(),
        }
    }

    #[test]
    fn plans_by_what_the_kept_association_runs() {
        let ok = assoc("a", Some("ssm-ops"));
        let cases: Vec<(&str, Option<Association>, &str)> = vec![
            ("none", None, "create"),
            ("right", Some(ok.clone()), "keep"),
            ("other user", Some(assoc("a", Some("root"))), "update"),
            ("no user", Some(assoc("a", None)), "update"),
            (
                "user with a trailing space",
                Some(assoc("a", Some("ssm-ops "))),
                "update",
            ),
            (
                "some nodes only",
                Some(Association {
                    all_nodes: false,
                    ..ok.clone()
                }),
                "update",
            ),
            (
                "no schedule",
                Some(Association {
                    schedule: None,
                    ..ok.clone()
                }),
                "update",
            ),
            (
                "other schedule",
                Some(Association {
                    schedule: Some("rate(30 days)".into()),
                    ..ok.clone()
                }),
                "update",
            ),
            (
                "other document",
                Some(Association {
                    document: "AWS-RunShellScript".into(),
                    ..ok.clone()
                }),
                "update",
            ),
        ];
        for (what, kept, want) in cases {
            let got = match plan(kept.as_ref(), CHECK_DOCUMENT, "ssm-ops") {
                Plan::Keep(_) => "keep",
                Plan::Create => "create",
                Plan::Update(_) => "update",
            };
            assert_eq!(got, want, "{what}");
        }
    }

    #[test]
    fn every_run_keeps_the_same_one_and_deletes_the_rest() {
        let found = vec![assoc("c", None), assoc("a", None), assoc("b", None)];
        let ids = |v: Vec<&Association>| v.iter().map(|a| a.id.clone()).collect::<Vec<_>>();
        let (kept, extras) = choose(&found, None);
        assert_eq!(kept.unwrap().id, "a");
        assert_eq!(ids(extras), ["c", "b"]);
        let (kept, extras) = choose(&found, Some("b"));
        assert_eq!(kept.unwrap().id, "b");
        assert_eq!(ids(extras), ["c", "a"]);
        // A recorded id that is gone does not keep anything alive.
        let (kept, _) = choose(&found, Some("gone"));
        assert_eq!(kept.unwrap().id, "a");
        let (kept, extras) = choose(&[], Some("gone"));
        assert!(kept.is_none() && extras.is_empty());
    }

    fn ready(user: &str, missing: u64, nodes: &[&str]) -> Readiness {
        Readiness {
            association_id: "a".into(),
            association_version: "1".into(),
            user: user.into(),
            checked: 10,
            missing,
            missing_nodes: nodes.iter().map(|n| n.to_string()).collect(),
            linux_or_macos: None,
        }
    }

    #[test]
    fn only_new_absences_are_news() {
        let cases = [
            ("nothing missing", None, ready("u", 0, &[]), false),
            ("first seen", None, ready("u", 1, &["i-1"]), true),
            (
                "same nodes",
                Some(ready("u", 2, &["i-1", "i-2"])),
                ready("u", 2, &["i-1", "i-2"]),
                false,
            ),
            (
                "one fixed",
                Some(ready("u", 2, &["i-1", "i-2"])),
                ready("u", 1, &["i-1"]),
                false,
            ),
            (
                "all fixed",
                Some(ready("u", 2, &["i-1", "i-2"])),
                ready("u", 0, &[]),
                false,
            ),
            (
                "another node",
                Some(ready("u", 1, &["i-1"])),
                ready("u", 1, &["i-2"]),
                true,
            ),
            (
                "more beyond the bound",
                Some(ready("u", 30, &["i-1"])),
                ready("u", 31, &["i-1"]),
                true,
            ),
            (
                "back after a fix",
                Some(ready("u", 0, &[])),
                ready("u", 1, &["i-1"]),
                true,
            ),
            (
                "user changed",
                Some(ready("u", 1, &["i-1"])),
                ready("v", 1, &["i-1"]),
                true,
            ),
        ];
        for (what, before, now, want) in cases {
            assert_eq!(newly_missing(before.as_ref(), &now), want, "{what}");
        }
    }

    #[test]
    fn readiness_reads_back_and_refuses_what_it_did_not_write() {
        let r = ready("u", 1, &["i-1"]);
        assert_eq!(Readiness::from_json(&r.to_json()), Some(r));
        for bad in ["", "{", "[]", "{\"user\":1}", "null"] {
            assert_eq!(Readiness::from_json(bad), None, "{bad:?}");
        }
        assert_eq!(
            ready("u", 3, &[]).summary(),
            "user u missing on 3 of 10 nodes"
        );
        assert_eq!(
            ready("u", 0, &[]).summary(),
            "user u present on all 10 nodes"
        );
    }
}

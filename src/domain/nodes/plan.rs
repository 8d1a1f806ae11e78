//! What to do with the associations SSM holds (pure).

use super::{Association, Readiness, Rest, MAX_CONCURRENCY, MAX_ERRORS, SCHEDULE};
use crate::domain::outcome::Change;

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

/// Whether `a` runs exactly the lookup of `user` on every node, on our
/// schedule, under our name, with nothing else set that could keep it from
/// running or reporting.
pub fn conforms(a: &Association, document: &str, user: &str) -> bool {
    a.document == document
        && a.name.as_deref() == Some(super::ASSOCIATION_NAME)
        && a.user.as_deref() == Some(user)
        && a.all_nodes
        && a.schedule.as_deref() == Some(SCHEDULE)
        && not_kept(&a.rest).is_empty()
}

/// The fields of `rest` that are not as runas-guard writes them, by their
/// API names. A value SSM may echo as its default is as good as none.
pub fn not_kept(rest: &Rest) -> Vec<&'static str> {
    let is = |v: &Option<String>, ok: &[&str]| v.as_deref().is_none_or(|v| ok.contains(&v));
    [
        (is(&rest.document_version, &["$DEFAULT"]), "DocumentVersion"),
        (is(&rest.max_errors, &[MAX_ERRORS]), "MaxErrors"),
        (
            is(&rest.max_concurrency, &[MAX_CONCURRENCY]),
            "MaxConcurrency",
        ),
        (
            is(&rest.compliance_severity, &["UNSPECIFIED"]),
            "ComplianceSeverity",
        ),
        (is(&rest.sync_compliance, &["AUTO"]), "SyncCompliance"),
        (!rest.apply_only_at_cron_interval, "ApplyOnlyAtCronInterval"),
        (rest.calendar_names.is_empty(), "CalendarNames"),
        (!rest.output_location, "OutputLocation"),
        (!rest.alarm_configuration, "AlarmConfiguration"),
        (!rest.target_locations, "TargetLocations"),
        (!rest.target_maps, "TargetMaps"),
        (rest.schedule_offset.is_none(), "ScheduleOffset"),
        (rest.duration.is_none(), "Duration"),
        (
            is(&rest.automation_target_parameter_name, &[]),
            "AutomationTargetParameterName",
        ),
        (
            is(&rest.association_dispatch_assume_role, &[]),
            "AssociationDispatchAssumeRole",
        ),
        (!rest.other_parameters, "Parameters"),
    ]
    .into_iter()
    .filter(|(ok, _)| !ok)
    .map(|(_, field)| field)
    .collect()
}

/// Which association is ours when several carry our name (a run that died
/// between create and record, or a copy made by hand): the one recorded
/// (runas-guard created it), else the oldest (a copy comes after the
/// original), the smallest id between equals, so every run picks the same.
/// The rest are extras, deleted so exactly one runs.
pub fn choose<'a>(
    found: &'a [Association],
    recorded: Option<&str>,
) -> (Option<&'a Association>, Vec<&'a Association>) {
    let age = |a: &Association| (a.created.unwrap_or(i64::MAX), a.id.clone());
    let kept = recorded
        .and_then(|id| found.iter().find(|a| a.id == id))
        .or_else(|| found.iter().min_by_key(|a| age(a)));
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

/// What a write of the check's association is, against what its row
/// recorded (the check's own rule: the documents' is
/// `crate::flow::account::change::judge`). `kept`: the association found, `None`
/// when it was gone. Nothing recorded: a first look, no change. The policy's
/// change when the row recorded this very association checking another user
/// than the one wanted now and it still runs exactly what runas-guard wrote
/// for that user; anything else someone changed (another user, a field of
/// theirs, the association deleted), whatever the policy did.
pub fn change(
    recorded: Option<&Readiness>,
    kept: Option<&Association>,
    document: &str,
    user: &str,
) -> Option<Change> {
    let r = recorded?;
    let policy = kept.is_some_and(|k| {
        r.association_id == k.id && r.user != user && conforms(k, document, &r.user)
    });
    Some(match policy {
        true => Change::Policy {
            from_user: Some(r.user.clone()),
            to_user: user.to_string(),
            from_mode: None,
            to_mode: None,
        },
        false => Change::Document,
    })
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
    use crate::domain::nodes::{Counts, CHECK_DOCUMENT};

    fn assoc(id: &str, user: Option<&str>) -> Association {
        Association {
            id: id.into(),
            version: "1".into(),
            name: Some(crate::domain::nodes::ASSOCIATION_NAME.into()),
            document: CHECK_DOCUMENT.into(),
            user: user.map(str::to_string),
            all_nodes: true,
            schedule: Some(SCHEDULE.into()),
            counts: Counts::default(),
            created: None,
            last_run: None,
            rest: Rest::default(),
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
            (
                "renamed",
                Some(Association {
                    name: Some("mine-now".into()),
                    ..ok.clone()
                }),
                "update",
            ),
            (
                "a calendar",
                Some(Association {
                    rest: Rest {
                        calendar_names: vec!["freeze".into()],
                        ..Rest::default()
                    },
                    ..ok.clone()
                }),
                "update",
            ),
            (
                "defaults echoed",
                Some(Association {
                    rest: Rest {
                        document_version: Some("$DEFAULT".into()),
                        max_errors: Some(MAX_ERRORS.into()),
                        max_concurrency: Some(MAX_CONCURRENCY.into()),
                        compliance_severity: Some("UNSPECIFIED".into()),
                        sync_compliance: Some("AUTO".into()),
                        ..Rest::default()
                    },
                    ..ok.clone()
                }),
                "keep",
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
    fn every_field_an_editor_can_set_is_named_when_it_is_not_ours() {
        let set = |f: fn(&mut Rest)| {
            let mut r = Rest::default();
            f(&mut r);
            not_kept(&r)
        };
        type Edit = fn(&mut Rest);
        let cases: [(Edit, &str); 16] = [
            (|r| r.document_version = Some("3".into()), "DocumentVersion"),
            (|r| r.max_errors = Some("0".into()), "MaxErrors"),
            (|r| r.max_concurrency = Some("1".into()), "MaxConcurrency"),
            (
                |r| r.compliance_severity = Some("LOW".into()),
                "ComplianceSeverity",
            ),
            (
                |r| r.sync_compliance = Some("MANUAL".into()),
                "SyncCompliance",
            ),
            (
                |r| r.apply_only_at_cron_interval = true,
                "ApplyOnlyAtCronInterval",
            ),
            (|r| r.calendar_names = vec!["c".into()], "CalendarNames"),
            (|r| r.output_location = true, "OutputLocation"),
            (|r| r.alarm_configuration = true, "AlarmConfiguration"),
            (|r| r.target_locations = true, "TargetLocations"),
            (|r| r.target_maps = true, "TargetMaps"),
            (|r| r.schedule_offset = Some(2), "ScheduleOffset"),
            (|r| r.duration = Some(2), "Duration"),
            (
                |r| r.automation_target_parameter_name = Some("x".into()),
                "AutomationTargetParameterName",
            ),
            (
                |r| r.association_dispatch_assume_role = Some("arn".into()),
                "AssociationDispatchAssumeRole",
            ),
            (|r| r.other_parameters = true, "Parameters"),
        ];
        for (f, field) in cases {
            assert_eq!(set(f), [field]);
        }
        assert!(not_kept(&Rest::default()).is_empty());
    }

    #[test]
    fn every_run_keeps_the_same_one_and_deletes_the_rest() {
        let found = vec![assoc("c", None), assoc("a", None), assoc("b", None)];
        let ids = |v: Vec<&Association>| v.iter().map(|a| a.id.clone()).collect::<Vec<_>>();
        let (kept, extras) = choose(&found, None);
        assert_eq!(kept.unwrap().id, "a");
        assert_eq!(ids(extras), ["c", "b"]);
        // Without a record the oldest is ours, whatever its id: a copy made
        // later with a smaller id does not replace it.
        let dated = |id: &str, at: i64| Association {
            created: Some(at),
            ..assoc(id, None)
        };
        let copied = vec![dated("f-ours", 1_000), dated("0-copy", 2_000)];
        let (kept, extras) = choose(&copied, None);
        assert_eq!(kept.unwrap().id, "f-ours");
        assert_eq!(ids(extras), ["0-copy"]);
        let (kept, extras) = choose(&copied, Some("0-copy"));
        assert_eq!(
            (kept.unwrap().id.as_str(), ids(extras)),
            ("0-copy", vec!["f-ours".to_string()])
        );
        let (kept, extras) = choose(&found, Some("b"));
        assert_eq!(kept.unwrap().id, "b");
        assert_eq!(ids(extras), ["c", "a"]);
        // A recorded id that is gone does not keep anything alive.
        let (kept, _) = choose(&found, Some("gone"));
        assert_eq!(kept.unwrap().id, "a");
        let (kept, extras) = choose(&[], Some("gone"));
        assert!(kept.is_none() && extras.is_empty());
    }

    #[test]
    fn a_new_user_in_the_policy_is_not_an_edit() {
        let rec = |id: &str, user: &str| Readiness {
            association_id: id.into(),
            user: user.into(),
            ..Readiness::default()
        };
        let policy = Some(Change::Policy {
            from_user: Some("olduser".into()),
            to_user: "ops".into(),
            from_mode: None,
            to_mode: None,
        });
        let edit = Some(Change::Document);
        let old = rec("a", "olduser");
        type Case = (
            &'static str,
            Option<Readiness>,
            Option<Association>,
            Option<Change>,
        );
        let cases: Vec<Case> = vec![
            (
                "as runas-guard wrote it for the old user",
                Some(old.clone()),
                Some(assoc("a", Some("olduser"))),
                policy,
            ),
            (
                "nothing recorded: a first look",
                None,
                Some(assoc("a", Some("olduser"))),
                None,
            ),
            ("nothing recorded, none found", None, None, None),
            (
                "the same user wanted: someone edited it",
                Some(rec("a", "ops")),
                Some(assoc("a", Some("root"))),
                edit.clone(),
            ),
            (
                "another user than either: an edit",
                Some(old.clone()),
                Some(assoc("a", Some("root"))),
                edit.clone(),
            ),
            (
                "the old user, but someone added a calendar",
                Some(old.clone()),
                Some(Association {
                    rest: Rest {
                        calendar_names: vec!["freeze".into()],
                        ..Rest::default()
                    },
                    ..assoc("a", Some("olduser"))
                }),
                edit.clone(),
            ),
            (
                "the old user on another association than the row's",
                Some(old.clone()),
                Some(assoc("b", Some("olduser"))),
                edit.clone(),
            ),
            (
                "deleted: someone's change, whatever the policy did",
                Some(old.clone()),
                None,
                edit.clone(),
            ),
            (
                "the row recorded no user",
                Some(rec("a", "")),
                Some(assoc("a", None)),
                edit,
            ),
        ];
        for (what, recorded, kept, want) in cases {
            assert_eq!(
                change(recorded.as_ref(), kept.as_ref(), CHECK_DOCUMENT, "ops"),
                want,
                "{what}"
            );
        }
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
            ..Default::default()
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

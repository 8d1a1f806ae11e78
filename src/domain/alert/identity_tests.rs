//! The laws of an alert's identity, table-driven: the same facts give the
//! same id whatever the trigger; another life (`CreatedDate`), another
//! editor, another kind or another version give another.

use serde_json::Value;

use super::super::{account_configured, drift, DriftFacts, Kind};
use super::*;
use crate::domain::outcome::Action;
use crate::domain::ports::Versions;
use crate::domain::preferences::RunAs;
use crate::domain::trigger::{Actor, Context, Trigger, TriggerKind};

const ACCOUNT: &str = "111122223333";
const ADMIN: &str = "arn:aws:iam::111122223333:role/Admin";

fn trigger(kind: TriggerKind, event_id: &str, editor: Option<&str>) -> Trigger {
    Trigger {
        kind,
        account: Some(ACCOUNT.into()),
        region: Some("eu-west-1".into()),
        actor: editor.map(|arn| Actor {
            arn: arn.into(),
            ..Default::default()
        }),
        event_id: event_id.into(),
        source: "aws.ssm".into(),
        event_name: Some("UpdateDocument".into()),
        reason: "test".into(),
        context: Context::default(),
    }
}

/// A put-back of `default` holding Run As as root (`_created`: when AWS
/// made it, which a drift's identity does not read yet: `drift_version`).
fn put_back(default: &str, _created: &str) -> RegionOutcome {
    RegionOutcome {
        before: Some(RunAs {
            enabled: Some(Value::Bool(true)),
            user: Some(Value::String("root".into())),
        }),
        versions_before: Some(Versions {
            default: default.into(),
            latest: default.into(),
        }),
        version_after: Some("9".into()),
        ..RegionOutcome::skipped("eu-west-1", Action::Updated, None)
    }
}

fn reverted(o: &RegionOutcome, t: &Trigger) -> String {
    drift(ACCOUNT, "admin", o, t, "now", DriftFacts::default()).alert_id
}

fn detected(o: &RegionOutcome, t: &Trigger) -> String {
    let facts = DriftFacts {
        audit: true,
        ..DriftFacts::default()
    };
    drift(ACCOUNT, "admin", o, t, "now", facts).alert_id
}

#[test]
fn the_same_fact_has_one_id_whatever_the_trigger_and_anything_else_makes_another() {
    let life = "2026-11-28T10:00:00Z";
    let o = put_back("3", life);
    let edit = trigger(TriggerKind::DocumentChanged, "e-1", Some(ADMIN));
    let base = reverted(&o, &edit);
    // (what differs, its id, whether it is the same fact)
    let table: Vec<(&str, String, bool)> = vec![
        (
            "another event of the same edit",
            reverted(
                &o,
                &trigger(TriggerKind::DocumentChanged, "e-2", Some(ADMIN)),
            ),
            true,
        ),
        (
            "a redelivery at another time",
            drift(ACCOUNT, "admin", &o, &edit, "later", DriftFacts::default()).alert_id,
            true,
        ),
        (
            "another version",
            reverted(&put_back("4", life), &edit),
            false,
        ),
        (
            "another editor",
            reverted(
                &o,
                &trigger(
                    TriggerKind::DocumentChanged,
                    "e-1",
                    Some("arn:aws:iam::111122223333:role/B"),
                ),
            ),
            false,
        ),
        (
            "no editor (a sweep found it)",
            reverted(&o, &trigger(TriggerKind::Sweep, "e-1", None)),
            false,
        ),
        ("another kind (audit)", detected(&o, &edit), false),
        (
            "only the latest held it",
            reverted(
                &RegionOutcome {
                    pending: true,
                    ..o.clone()
                },
                &edit,
            ),
            false,
        ),
        (
            "a retry that put the same version back again",
            reverted(
                &RegionOutcome {
                    version_after: Some("11".into()),
                    ..o.clone()
                },
                &edit,
            ),
            true,
        ),
        (
            "another document",
            reverted(&o.clone().for_document("SSMRunAs-Admin", "admin"), &edit),
            false,
        ),
        (
            "the default again, with a latest of its Run As it tells beside it",
            reverted(&covering(&o, &["5"]), &edit),
            false,
        ),
        (
            "a history that covers nothing",
            reverted(&covering(&o, &[]), &edit),
            true,
        ),
    ];
    for (what, id, same) in table {
        assert_eq!(id == base, same, "{what}");
    }
}

/// `o` whose history tells `latest` beside its default
/// (`version_gap::covered_by_default`).
fn covering(o: &RegionOutcome, latest: &[&str]) -> RegionOutcome {
    RegionOutcome {
        history: Some(crate::domain::version_gap::History {
            covered: latest.iter().map(|v| v.to_string()).collect(),
            ..Default::default()
        }),
        ..o.clone()
    }
}

#[test]
fn a_covered_latest_is_part_of_the_fact_whichever_run_tells_it() {
    let o = covering(&put_back("3", "t"), &["5"]);
    let edit = trigger(TriggerKind::DocumentChanged, "e-1", Some(ADMIN));
    let retry = trigger(TriggerKind::DocumentChanged, "e-2", Some(ADMIN));
    assert_eq!(reverted(&o, &edit), reverted(&o, &retry));
    assert_ne!(reverted(&o, &edit), reverted(&covering(&o, &["6"]), &edit));
    assert_ne!(
        reverted(&o, &edit),
        reverted(&covering(&o, &["5", "6"]), &edit)
    );
}

#[test]
fn a_sweeps_finding_is_one_fact_whichever_sweep_tells_it() {
    let o = put_back("3", "t");
    let one = detected(&o, &trigger(TriggerKind::Sweep, "sweep-1", None));
    let two = detected(&o, &trigger(TriggerKind::Sweep, "sweep-2", None));
    assert_eq!(one, two);
    let multi = |id: &str| {
        let rows = [
            &o,
            &RegionOutcome {
                region: "us-east-1".into(),
                ..o.clone()
            },
        ];
        super::super::audit_findings(
            ACCOUNT,
            "admin",
            &rows,
            &trigger(TriggerKind::AccountVended, id, Some(ADMIN)),
            "now",
        )
        .expect("two findings")
        .alert_id
    };
    assert_eq!(multi("vend"), multi("member-stack"));
    assert_ne!(multi("vend"), one);
}

#[test]
fn a_follow_up_is_the_fact_plus_its_editor() {
    let o = put_back("3", "t");
    let t = Some("2026-11-28T10:00:00Z");
    let id = |editor: &str| drift_id(Kind::DriftReverted, ACCOUNT, &o, ("3", t), Some(editor));
    let unnamed = drift_id(Kind::DriftReverted, ACCOUNT, &o, ("3", t), None);
    // Another life: the same number made later.
    let later = Some("2026-11-28T11:00:00Z");
    assert_ne!(
        id(ADMIN),
        drift_id(Kind::DriftReverted, ACCOUNT, &o, ("3", later), Some(ADMIN))
    );
    assert_ne!(id(ADMIN), unnamed);
    assert_ne!(id(ADMIN), id("arn:aws:iam::111122223333:role/B"));
    assert_eq!(id(ADMIN), id(ADMIN));
}

#[test]
fn a_configuration_is_one_fact_whichever_path_of_the_vend_tells_it() {
    let rows = vec![
        put_back("3", "t"),
        RegionOutcome {
            region: "us-east-1".into(),
            ..put_back("2", "t")
        },
    ];
    let told = |t: &Trigger, rows: &[RegionOutcome]| {
        account_configured(ACCOUNT, "admin", rows, t, "now").alert_id
    };
    let vend = told(
        &trigger(TriggerKind::AccountVended, "vend", Some(ADMIN)),
        &rows,
    );
    let stack = told(
        &trigger(TriggerKind::MemberStackLanded, "stack", None),
        &rows,
    );
    assert_eq!(vend, stack);
    // Another configuration (a move's new versions) is another fact.
    let mut moved = rows.clone();
    moved[0].version_after = Some("10".into());
    assert_ne!(
        vend,
        told(&trigger(TriggerKind::AccountMoved, "move", None), &moved)
    );
    assert_ne!(vend, configured_id("222233334444", &rows));
}

/// A bypass is one fact whatever trigger tells it; another version, role,
/// creation, document, region or editor is another.
#[test]
fn a_bypass_is_its_versions_and_its_editor_whatever_the_trigger() {
    use super::super::{run_as_bypass, Elevated};
    let elevated = |version: &str, role: &'static str, created: Option<&str>| Elevated {
        version: version.into(),
        role,
        platforms: vec!["linux"],
        user: "root".into(),
        setting: "runAsElevated",
        created: created.map(str::to_string),
    };
    let t1 = Some("2026-11-28T10:00:00Z");
    let base = vec![elevated("2", "default and latest", t1)];
    let id = |doc: &str, region: &str, versions: &[Elevated], t: &Trigger| {
        run_as_bypass(ACCOUNT, region, doc, versions, t, "now").alert_id
    };
    let event = |id: &str| trigger(TriggerKind::SessionDocumentChanged, id, Some(ADMIN));
    let first = id("Elevated", "eu-west-1", &base, &event("eb-1"));
    assert_eq!(
        first,
        id("Elevated", "eu-west-1", &base, &event("eb-2")),
        "redelivered"
    );
    let others = [
        id(
            "Elevated",
            "eu-west-1",
            &[elevated("3", "default and latest", t1)],
            &event("eb-1"),
        ),
        id(
            "Elevated",
            "eu-west-1",
            &[elevated("2", "latest", t1)],
            &event("eb-1"),
        ),
        id(
            "Elevated",
            "eu-west-1",
            &[elevated(
                "2",
                "default and latest",
                Some("2026-11-28T11:00:00Z"),
            )],
            &event("eb-1"),
        ),
        id(
            "Elevated",
            "eu-west-1",
            &[elevated("2", "default and latest", None)],
            &event("eb-1"),
        ),
        id("Other", "eu-west-1", &base, &event("eb-1")),
        id("Elevated", "us-east-1", &base, &event("eb-1")),
        id(
            "Elevated",
            "eu-west-1",
            &base,
            &trigger(TriggerKind::Sweep, "sweep-1", None),
        ),
    ];
    for (i, other) in others.iter().enumerate() {
        assert_ne!(*other, first, "case {i}");
    }
    let unique: std::collections::BTreeSet<&String> = others.iter().collect();
    assert_eq!(unique.len(), others.len(), "{others:?}");
}

/// The follow-up `editors_named` tells of `o`, whose mark says a sweep
/// found version 2 (`latest_only`: the latest alone).
fn follow_up_of_sweep(mut o: RegionOutcome, latest_only: bool) -> crate::domain::alert::Alert {
    use crate::domain::outcome::AccountReport;
    use crate::domain::put_back::{Mark, Named};
    let t = trigger(TriggerKind::DocumentChanged, "eb-edit", Some(ADMIN));
    o.named = Some(Named {
        mark: Mark {
            at_ms: 0,
            found_by: "sweep".into(),
            trigger_id: "sweep-1".into(),
            before: put_back("2", "t").before,
            version: Some("2".into()),
            by: None,
            latest_only,
            made: None,
        },
        reverts_last_hour: 0,
    });
    let report = AccountReport {
        desired_user: Some("admin".into()),
        regions: vec![o],
        ..AccountReport::uniform(ACCOUNT, "payments", &[], |_| unreachable!())
    };
    let mut alerts = super::super::named::editors_named(&report, &t, false, "now");
    assert_eq!(alerts.len(), 1, "one follow-up");
    alerts.remove(0)
}

/// Seed 950089 (audit): a sweep found only the latest version out of
/// policy (`latest:2`), and the edit's event named its editor in a
/// follow-up; later the editor made version 2 the default, a window of its
/// own. The follow-up is the finding plus its editor, never the default's
/// fact, which the switch's run tells naming the same editor.
#[test]
fn a_follow_up_of_a_latest_only_finding_is_not_the_same_versions_window_as_the_default() {
    let t = trigger(TriggerKind::DocumentChanged, "eb-edit", Some(ADMIN));
    let follow_up = |latest_only: bool| {
        let mut found = put_back("1", "t");
        found.action = Action::WouldChange;
        follow_up_of_sweep(found, latest_only).alert_id
    };
    let window_as_default = detected(&put_back("2", "t"), &t);
    assert_ne!(follow_up(true), window_as_default);
    let finding = put_back("2", "t");
    let finding_named = drift_id(
        Kind::DriftDetected,
        ACCOUNT,
        &finding,
        ("latest:2", None),
        Some(ADMIN),
    );
    assert_eq!(follow_up(true), finding_named);
    // A mark written before `latest_only` reads as the default's, as then.
    assert_eq!(follow_up(false), window_as_default);
}

/// Seed 500100 (found again once an extra read moved its schedule): a
/// version told as a possible window before it was ever the default, then
/// made the default by a switch, is two facts; the same window told by
/// two runs is one.
#[test]
fn a_window_a_switch_opened_is_another_fact_than_the_same_version_before() {
    use crate::domain::outcome::AccountReport;
    use crate::domain::version_gap::{History, Window};
    let made = "2026-11-26T00:54:31Z";
    let id = |from: &str, event: &str| {
        let mut o = put_back("4", "t");
        o.history = Some(History {
            windows: vec![Window {
                version: "2".into(),
                run_as: put_back("2", "t").before.expect("root"),
                created: Some(made.into()),
                from: Some(from.into()),
                until_known: None,
                until_at_most: Some("2026-11-26T01:07:00Z".into()),
            }],
            ..History::default()
        });
        let report = AccountReport {
            desired_user: Some("admin".into()),
            regions: vec![o],
            ..AccountReport::uniform(ACCOUNT, "payments", &[], |_| unreachable!())
        };
        let t = trigger(TriggerKind::DocumentChanged, event, Some(ADMIN));
        let alerts = super::super::window::run_as_windows(&report, &t, "now");
        assert_eq!(alerts.len(), 1, "one window alert");
        alerts[0].alert_id.clone()
    };
    let before = id(made, "eb-1");
    let switched = id("2026-11-26T01:06:00.000Z", "eb-2");
    assert_ne!(before, switched);
    assert_eq!(before, id(made, "eb-3"));
    assert_eq!(switched, id("2026-11-26T01:06:00.000Z", "eb-4"));
}

/// Seed 900275 (audit): a sweep's finding named by the edit's event after
/// the editor put the document right themselves; nothing was put back, so
/// the follow-up is `drift_detected` (in enforce a `drift_reverted`).
#[test]
fn a_follow_up_in_audit_is_a_finding_even_where_the_document_is_right_again() {
    use crate::domain::policy::Mode;
    let kind = |action: Action, mode: Option<Mode>| {
        let mut right = put_back("3", "t");
        right.action = action;
        right.mode = mode;
        follow_up_of_sweep(right, false).kind
    };
    assert_eq!(kind(Action::None, Some(Mode::Audit)), Kind::DriftDetected);
    assert_eq!(
        kind(Action::WouldChange, Some(Mode::Audit)),
        Kind::DriftDetected
    );
    assert_eq!(kind(Action::None, Some(Mode::Enforce)), Kind::DriftReverted);
    assert_eq!(kind(Action::None, None), Kind::DriftReverted);
}

/// Simulation seed 900300: a document deleted and made again twice, each
/// life's root v1 put back by its own edit's run. The version's
/// `CreatedDate` is part of the put-back's fact; a row that could not read
/// it (none) is the number alone, as before.
#[test]
fn a_put_back_of_a_remade_documents_version_is_another_fact_than_the_former_lifes() {
    let t = trigger(TriggerKind::DocumentChanged, "eb-1", Some(ADMIN));
    let made = |at: Option<&str>| {
        let mut o = put_back("1", "-");
        o.made_before = at.map(str::to_string);
        o
    };
    let first = made(Some("2026-11-26T00:42:20.527Z"));
    let second = made(Some("2026-11-26T02:19:15.527Z"));
    let cases = [
        (
            reverted(&first, &t),
            reverted(&second, &t),
            false,
            "two lives' v1",
        ),
        (
            reverted(&first, &t),
            reverted(&first.clone(), &t),
            true,
            "one life's v1 told twice",
        ),
        (
            detected(&first, &t),
            detected(&second, &t),
            false,
            "audit: two lives' v1",
        ),
        (
            reverted(&made(None), &t),
            reverted(&made(None), &t),
            true,
            "unread: the number alone",
        ),
        (
            reverted(&made(None), &t),
            reverted(&first, &t),
            false,
            "unread is not a life's",
        ),
    ];
    for (a, b, same, what) in cases {
        assert_eq!(a == b, same, "{what}");
    }
    // A latest alone: its own `CreatedDate` (the row's `made_before`).
    let mut latest = made(Some("2026-11-26T00:42:20.527Z"));
    latest.pending = true;
    let mut other = latest.clone();
    other.made_before = Some("2026-11-26T02:19:15.527Z".into());
    assert_ne!(reverted(&latest, &t), reverted(&other, &t));
}

//! Durable before the write: what a run is about to write, recorded with the
//! write lease on the account-region's state item, and removed when the run
//! records its result. A run that dies between its document write and its
//! record leaves the intent behind, its lease running out; the next run that
//! records that account-region (the event's retry, any later event, a sweep)
//! adopts it: when the document shows the announced write, it records the
//! revert (status, tamper count, history row) and sends the alert the dead
//! run would have sent, under the same `alert_id`. Pure: building, judging
//! and turning an intent into records and alerts.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::domain::alert::{self, Alert, Facts, Per};
use crate::domain::outcome::{slot, AccountReport, Action, RegionOutcome};
use crate::domain::ports::Versions;
use crate::domain::preferences::RunAs;
use crate::domain::trigger::{Actor, Context, Trigger, TriggerKind};
use crate::domain::version_gap::Replaced;

/// What a run announces before its first write to one account-region.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Intent {
    /// The run's token: the lease owner that wrote it.
    pub owner: String,
    pub account: String,
    pub region: String,
    /// A `[[document]]` name; `None` for `SSM-SessionManagerRunShell`.
    pub document: Option<String>,
    /// The user the write sets.
    pub user: String,
    /// The account's user (what alerts about the account name).
    pub account_user: String,
    pub trigger_id: String,
    pub trigger_kind: String,
    pub source: String,
    pub event_name: Option<String>,
    pub actor: Option<String>,
    pub actor_type: Option<String>,
    pub event_time: Option<String>,
    /// The trigger is an edit of this document: the write reverts someone.
    pub edited: bool,
    /// The actor matches `exempt.principals`.
    pub expected_editor: bool,
    /// The run was of our own write's event: it names nobody.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub own_write: bool,
    /// What the document said when the run decided to write.
    pub before: Option<RunAs>,
    /// `None`: there was no document (the write creates it).
    pub versions_before: Option<Versions>,
    /// When AWS says the default it found was made (`CreatedDate`), where
    /// it said: the adopting run's alert tells that version of that life,
    /// as the dead run's would have (absent from earlier releases' intents).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub made: Option<String>,
}

/// What the run knows about itself when it takes a lease (the lease adds
/// the owner and what it observed).
#[derive(Debug, Clone)]
pub struct Announce {
    pub account: String,
    pub region: String,
    pub document: Option<String>,
    pub user: String,
    pub account_user: String,
    pub trigger: Trigger,
    pub expected_editor: bool,
}

impl Announce {
    pub fn intent(&self, owner: &str, before: Option<RunAs>, versions: Option<Versions>) -> Intent {
        let t = &self.trigger;
        Intent {
            owner: owner.to_string(),
            account: self.account.clone(),
            region: self.region.clone(),
            document: self.document.clone(),
            user: self.user.clone(),
            account_user: self.account_user.clone(),
            trigger_id: t.event_id.clone(),
            trigger_kind: t.kind.as_str().to_string(),
            source: t.source.clone(),
            event_name: t.event_name.clone(),
            actor: t.actor.as_ref().map(|a| a.arn.clone()),
            actor_type: t.actor.as_ref().map(|a| a.identity_type.clone()),
            event_time: t.context.event_time.clone(),
            // Our own write's event reverts nobody it can name (`Job::edited`).
            edited: t.names_editor()
                && t.edits(
                    self.document
                        .as_deref()
                        .unwrap_or(crate::domain::trigger::DOCUMENT_NAME),
                ),
            expected_editor: self.expected_editor,
            own_write: t.context.own_write,
            before,
            versions_before: versions,
            made: None,
        }
    }
}

fn kind_of(s: &str) -> TriggerKind {
    match s {
        "account_vended" => TriggerKind::AccountVended,
        "document_changed" => TriggerKind::DocumentChanged,
        "account_moved" => TriggerKind::AccountMoved,
        "sweep" => TriggerKind::Sweep,
        "run_as_override" => TriggerKind::RunAsOverride,
        "member_stack_landed" => TriggerKind::MemberStackLanded,
        "baseline_applied" => TriggerKind::BaselineApplied,
        _ => TriggerKind::Ignored,
    }
}

impl Intent {
    /// The slot (state item) it is about.
    pub fn slot(&self) -> String {
        slot(&self.region, self.document.as_deref())
    }

    /// The trigger of the run that announced it, as its alerts name it.
    pub fn trigger(&self) -> Trigger {
        Trigger {
            kind: kind_of(&self.trigger_kind),
            account: Some(self.account.clone()),
            region: Some(self.region.clone()),
            actor: self.actor.as_ref().map(|arn| Actor {
                arn: arn.clone(),
                identity_type: self.actor_type.clone().unwrap_or_default(),
                session_name: None,
            }),
            event_id: self.trigger_id.clone(),
            source: self.source.clone(),
            event_name: self.event_name.clone(),
            reason: "a run that died after its write".into(),
            context: Context {
                event_time: self.event_time.clone(),
                document: self.document.clone(),
                own_write: self.own_write,
                ..Context::default()
            },
        }
    }

    /// Whether the document shows the announced write: compliant, default
    /// is the latest, and newer than what the run saw (or created since).
    /// Anything else means the write did not land, or a later writer's
    /// version is what is there now: nothing to adopt.
    pub fn landed(&self, compliant: bool, default_version: Option<&str>) -> bool {
        let Some(now) = default_version.and_then(|v| v.parse::<u64>().ok()) else {
            return false;
        };
        compliant
            && match &self.versions_before {
                None => true,
                Some(v) => {
                    v.latest.parse::<u64>().is_ok_and(|before| now > before)
                        || self.promoted(&now.to_string())
                }
            }
    }

    /// The default version the write replaced, when its Run As was out of
    /// policy (what the dead run's alert tells, once adopted), as a number.
    pub fn replaced_out_of_policy(&self) -> Option<u64> {
        let bad = self
            .before
            .as_ref()
            .is_some_and(|r| !r.is_compliant(&self.user));
        self.versions_before
            .as_ref()
            .filter(|_| bad)
            .and_then(|v| v.default.parse().ok())
    }

    /// Whether the write was a promote: no new version, the latest (right)
    /// made the default in place of an older one. A dead run that promoted
    /// away a window (an older version switched back to the default) is
    /// adopted like one that wrote, or the window is never told.
    fn promoted(&self, version_after: &str) -> bool {
        self.versions_before
            .as_ref()
            .is_some_and(|v| v.default != v.latest && v.latest == version_after)
    }

    /// What the dead run did, as its outcome would have said.
    pub fn outcome(&self, version_after: &str) -> RegionOutcome {
        let action = if self.versions_before.is_none() {
            Action::Created
        } else if self.promoted(version_after) {
            Action::DefaultSwitched
        } else {
            Action::Updated
        };
        RegionOutcome {
            region: self.region.clone(),
            document: None,
            desired_user: None,
            action,
            before: self.before.clone(),
            after: Some(RunAs::desired(&self.user)),
            versions_before: self.versions_before.clone(),
            version_after: Some(version_after.to_string()),
            error_code: None,
            error: None,
            followed: false,
            nodes: None,
            mode: None,
            held: None,
            held_too_long: false,
            change: None,
            pending: false,
            another_life: false,
            made_before: self.made.clone(),
            kept_switch: None,
            kept_moot: Vec::new(),
            replaced: None,
            history: None,
            window: Default::default(),
            named: None,
            read: None,
            naming_unread: None,
        }
        .for_document(
            self.document
                .as_deref()
                .unwrap_or(crate::domain::trigger::DOCUMENT_NAME),
            &self.user,
        )
    }

    /// `reverted` when the write undid an edit, `remediated` otherwise.
    pub fn status(&self) -> &'static str {
        if self.edited {
            "reverted"
        } else {
            "remediated"
        }
    }

    /// The alerts the dead run would have sent for this account-region:
    /// decided by the same rules ([`alert::decide`]), so the same `alert_id`.
    /// `earlier_reverts`: reverts of this slot already counted in the hour.
    pub fn alerts(&self, version_after: &str, earlier_reverts: usize, at: &str) -> Vec<Alert> {
        let trigger = self.trigger();
        let scope = match trigger.kind {
            TriggerKind::DocumentChanged => Per::Region,
            k if k.configures_account() => Per::Account,
            // By its trigger alone a sweep's write says nothing: whether it
            // put back an edit (told as drift) or applied a policy change
            // (its summary's) is read against the record it replaced
            // (`flow::account::adopted`, since 0.7.12).
            _ => return vec![],
        };
        let report = self.report(version_after);
        let reverts = HashMap::from([(report.regions[0].slot(), earlier_reverts + 1)]);
        let facts = Facts {
            trigger: &trigger,
            expected_editor: self.expected_editor,
            reverts_last_hour: &reverts,
            new_drift: &HashSet::new(),
            new_missing: &HashSet::new(),
            resumed: false,
            at,
        };
        alert::decide(&report, scope, &facts)
    }

    /// The dead run's write as the account report of its one region.
    pub fn report(&self, version_after: &str) -> AccountReport {
        AccountReport {
            account: self.account.clone(),
            name: None,
            ou_path: None,
            desired_user: Some(self.account_user.clone()),
            rule: None,
            role: None,
            packed_policy_size: None,
            mode: None,
            left_governance: None,
            regions: vec![self.outcome(version_after)],
            alerts_lost: 0,
            security_hub: None,
        }
    }

    /// The history row the dead run would have written.
    pub fn history(&self, version_after: &str) -> crate::domain::records::HistoryRow {
        let o = self.outcome(version_after);
        crate::domain::records::HistoryRow {
            account: self.account.clone(),
            region: self.region.clone(),
            document: self.document.clone(),
            status: self.status().to_string(),
            action: o.action.as_str().to_string(),
            before: json!(o.before),
            after: json!(o.after),
            actor: self.actor.clone(),
            trigger_id: self.trigger_id.clone(),
            trigger_kind: self.trigger_kind.clone(),
            versions_before: o
                .versions_before
                .as_ref()
                .map(|v| format!("default {} latest {}", v.default, v.latest)),
            version_after: Some(version_after.to_string()),
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("an intent serialises")
    }

    /// `None` for anything unreadable (logged by the caller).
    pub fn parse(text: &str) -> Result<Intent, String> {
        serde_json::from_str(text).map_err(|e| e.to_string())
    }
}

/// What a run reading a slot's version history makes of a write announced
/// there and not recorded (an intent on the record, since 0.7.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnderIntent {
    /// Its lease still runs: the writer records the slot and tells what it
    /// replaced and found; no history is read beside it.
    Writing,
    /// Its run is gone (the lease ran out): the history is read, or the
    /// versions between the record and the dead run's write are told by
    /// nobody (its retry's run, a sweep). `adopted`: the default the dead
    /// write replaced, which this run's record adopts and tells (the dead
    /// run's alert, its `alert_id`), so it is left out of this run's
    /// windows; `None` when no adoption will tell it (the write does not show
    /// as landed to this run, a sweep's write, an unreadable intent): then
    /// it is this run's to tell.
    Dead { adopted: Option<Replaced> },
}

/// [`UnderIntent`] of the intent `json` on a record whose lease runs until
/// `lease_until_ms`, seen at `now_ms` by a run that found the default
/// `default_now` and changed nothing there (`unwritten`): only such a run's
/// record adopts the dead write (one that writes takes the lease, and its
/// own intent replaces the dead one). `tells`: whether the adoption of
/// that write at that default alerts (the caller's rule: a sweep's depends
/// on the record, `flow::account::adopted`). Pure.
pub fn under_intent(
    json: Option<&str>,
    lease_until_ms: Option<i64>,
    now_ms: i64,
    (unwritten, default_now): (bool, Option<&str>),
    tells: impl Fn(&Intent, &str) -> bool,
) -> UnderIntent {
    // As `orphan_in` judges it: a lease not yet over is a live writer's.
    if lease_until_ms.is_some_and(|t| t >= now_ms) {
        return UnderIntent::Writing;
    }
    let adopted = json
        .and_then(|j| Intent::parse(j).ok())
        .filter(|i| i.landed(unwritten, default_now))
        .filter(|i| default_now.is_some_and(|v| tells(i, v)))
        .and_then(|i| {
            Some(Replaced {
                version: i.versions_before?.default,
                made: i.made,
            })
        });
    UnderIntent::Dead { adopted }
}

/// `Value` form for logs.
pub fn describe(i: &Intent) -> Value {
    json!({"trigger_id": i.trigger_id, "account": i.account, "slot": i.slot(), "owner": i.owner})
}

/// [`sample`] announced by an edit event's run (`eb-1`, no editor named).
#[cfg(test)]
pub(crate) fn sample_edit(before: &str) -> Intent {
    let trigger = Trigger {
        kind: crate::domain::trigger::TriggerKind::DocumentChanged,
        account: None,
        region: None,
        actor: None,
        event_id: "eb-1".into(),
        source: "aws.ssm".into(),
        event_name: None,
        reason: "test".into(),
        context: Default::default(),
    };
    sample(trigger, before)
}

/// A write setting `ops` in 111122223333 eu-west-1 where version 3, the
/// default and latest, said `before`, announced by `trigger`'s run `run-1`.
#[cfg(test)]
pub(crate) fn sample(trigger: Trigger, before: &str) -> Intent {
    Announce {
        account: "111122223333".into(),
        region: "eu-west-1".into(),
        document: None,
        user: "ops".into(),
        account_user: "ops".into(),
        trigger,
        expected_editor: false,
    }
    .intent(
        "run-1",
        Some(RunAs {
            enabled: Some(Value::Bool(true)),
            user: Some(Value::String(before.into())),
        }),
        Some(Versions {
            default: "3".into(),
            latest: "3".into(),
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::alert::Kind;

    fn edit() -> Intent {
        let trigger = Trigger {
            kind: TriggerKind::DocumentChanged,
            account: Some("111122223333".into()),
            region: Some("eu-west-1".into()),
            actor: Some(Actor {
                arn: "arn:aws:iam::111122223333:role/Admin".into(),
                identity_type: "AssumedRole".into(),
                session_name: Some("x".into()),
            }),
            event_id: "e-1".into(),
            source: "aws.ssm".into(),
            event_name: Some("UpdateDocument".into()),
            reason: "test".into(),
            context: Context {
                document: Some(crate::domain::trigger::DOCUMENT_NAME.into()),
                ..Context::default()
            },
        };
        sample(trigger, "mallory")
    }

    #[test]
    fn a_live_writer_keeps_its_gap_and_a_dead_ones_replaced_default_is_the_adoptions() {
        let edit_json = edit().to_json();
        let sweep_json = Intent {
            trigger_kind: "sweep".into(),
            ..edit()
        }
        .to_json();
        let now = 10_000;
        let dead = |v: Option<&str>| UnderIntent::Dead {
            adopted: v.map(|v| Replaced {
                version: v.to_string(),
                made: None,
            }),
        };
        // (intent, lease until, unwritten, default now, want)
        type Case<'a> = (
            Option<&'a str>,
            Option<i64>,
            bool,
            Option<&'a str>,
            UnderIntent,
        );
        let cases: [Case; 10] = [
            // The lease runs (to the millisecond, as `orphan_in` reads it).
            (
                Some(&edit_json),
                Some(now),
                true,
                Some("4"),
                UnderIntent::Writing,
            ),
            (
                Some(&edit_json),
                Some(now + 1),
                true,
                Some("4"),
                UnderIntent::Writing,
            ),
            // Over: the write shows (a newer right default) and this run's
            // record adopts it, telling the default it replaced (3).
            (
                Some(&edit_json),
                Some(now - 1),
                true,
                Some("4"),
                dead(Some("3")),
            ),
            (Some(&edit_json), None, true, Some("7"), dead(Some("3"))),
            // This run writes: its lease's intent replaces the dead one.
            (
                Some(&edit_json),
                Some(now - 1),
                false,
                Some("4"),
                dead(None),
            ),
            // The write does not show: dropped, not adopted.
            (Some(&edit_json), Some(now - 1), true, Some("3"), dead(None)),
            (Some(&edit_json), Some(now - 1), true, None, dead(None)),
            // By the trigger's rules alone a sweep's write tells nothing
            // (the record decides: `flow::account::adopted`).
            (
                Some(&sweep_json),
                Some(now - 1),
                true,
                Some("4"),
                dead(None),
            ),
            // Unreadable: left on the item, never adopted.
            (
                Some("{not json"),
                Some(now - 1),
                true,
                Some("4"),
                dead(None),
            ),
            (None, Some(now - 1), true, Some("4"), dead(None)),
        ];
        for (json, until, unwritten, default_now, want) in cases {
            assert_eq!(
                under_intent(json, until, now, (unwritten, default_now), |i, v| {
                    !i.alerts(v, 0, "").is_empty()
                }),
                want,
                "{json:?} until {until:?} unwritten {unwritten} default {default_now:?}"
            );
        }
    }

    #[test]
    fn the_replaced_default_is_judged_only_when_it_was_out_of_policy() {
        // edit(): mallory in version 3, the write sets ops.
        assert_eq!(edit().replaced_out_of_policy(), Some(3));
        let right = Intent {
            before: Some(RunAs::desired("ops")),
            ..edit()
        };
        assert_eq!(right.replaced_out_of_policy(), None);
        let created = Intent {
            versions_before: None,
            ..edit()
        };
        assert_eq!(created.replaced_out_of_policy(), None);
        let unnumbered = Intent {
            versions_before: Some(Versions {
                default: "x".into(),
                latest: "x".into(),
            }),
            ..edit()
        };
        assert_eq!(unnumbered.replaced_out_of_policy(), None);
    }

    #[test]
    fn round_trips_and_judges_whether_the_write_landed() {
        let i = edit();
        assert_eq!(Intent::parse(&i.to_json()).unwrap(), i);
        // When its default was made goes with it to the adopting run's
        // alert; an earlier release's intent, without it, reads as unknown.
        let made = Intent {
            made: Some("2026-11-26T00:42:20.527Z".into()),
            ..edit()
        };
        let back = Intent::parse(&made.to_json()).unwrap();
        assert_eq!(back.outcome("4").made_before, made.made);
        assert!(!i.to_json().contains("\"made\""), "{}", i.to_json());
        assert_eq!(
            Intent::parse(&i.to_json())
                .unwrap()
                .outcome("4")
                .made_before,
            None
        );
        assert!(Intent::parse("{").is_err());
        assert!(Intent::parse("{\"owner\": 1}").is_err());
        let cases = [
            (true, Some("4"), true),
            (true, Some("3"), false),
            (true, Some("2"), false),
            (false, Some("4"), false),
            (true, None, false),
            (true, Some("x"), false),
        ];
        for (compliant, version, want) in cases {
            assert_eq!(
                i.landed(compliant, version),
                want,
                "{compliant} {version:?}"
            );
        }
        let created = Intent {
            versions_before: None,
            ..edit()
        };
        assert!(created.landed(true, Some("1")));
        assert_eq!(created.outcome("1").action, Action::Created);
        // A promote: an older version was the default, the right latest
        // is made the default again (no new version).
        let promote = Intent {
            versions_before: Some(Versions {
                default: "2".into(),
                latest: "5".into(),
            }),
            ..edit()
        };
        for (compliant, version, want) in [
            (true, Some("5"), true),
            (true, Some("6"), true),
            (true, Some("2"), false),
            (true, Some("4"), false),
            (false, Some("5"), false),
        ] {
            assert_eq!(promote.landed(compliant, version), want, "{version:?}");
        }
        assert_eq!(promote.outcome("5").action, Action::DefaultSwitched);
        assert_eq!(promote.outcome("6").action, Action::Updated);
        // Default and latest the same: nothing to promote, 3 is no write.
        assert!(!i.promoted("3"));
    }

    #[test]
    fn the_adopted_alert_is_the_one_the_dead_run_would_have_sent() {
        let i = edit();
        assert!(i.edited);
        assert_eq!(i.status(), "reverted");
        let alerts = i.alerts("4", 0, "2026-11-22T00:00:00.000Z");
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].kind, Kind::DriftReverted);
        // The identity of the fact, as the dead run would have sent it.
        let o = i.outcome("4");
        let told = crate::domain::alert::drift(
            &i.account,
            &i.user,
            &o,
            &i.trigger(),
            "t",
            Default::default(),
        );
        assert_eq!(alerts[0].alert_id, told.alert_id);
        assert_eq!(alerts[0].body["before"]["runAsDefaultUser"], "mallory");
        let tamper = i.alerts("4", 2, "2026-11-22T00:00:00.000Z");
        assert_eq!(tamper[0].kind, Kind::TamperRepeated);
        let row = i.history("4");
        assert_eq!(
            (row.status.as_str(), row.action.as_str()),
            ("reverted", "updated")
        );
        let sweep = Intent {
            trigger_kind: "sweep".into(),
            edited: false,
            ..edit()
        };
        assert!(sweep.alerts("4", 0, "t").is_empty());
        assert_eq!(sweep.status(), "remediated");
        // Our own write's event's run names nobody, and counts no revert.
        let ours = Intent {
            actor: None,
            own_write: true,
            ..edit()
        };
        assert_eq!(Intent::parse(&ours.to_json()).unwrap(), ours);
        let told = ours.alerts("4", 2, "t");
        assert_eq!(told.len(), 1);
        assert_eq!(told[0].kind, Kind::DriftReverted);
        assert_eq!(told[0].body["actor"], Value::Null);
        assert_eq!(told[0].body["own_write"], true);
        let ours = Announce {
            account: "111122223333".into(),
            region: "eu-west-1".into(),
            document: None,
            user: "ops".into(),
            account_user: "ops".into(),
            trigger: crate::domain::unnamed::as_own_write(ours.trigger()),
            expected_editor: false,
        }
        .intent("run-2", None, None);
        assert!(ours.own_write && ours.actor.is_none());
        assert_eq!(ours.status(), "remediated", "the editor's event counts it");
        assert!(told[0].body["note"].is_string());
    }
}

//! A put-back no edit event brought names no editor: a sweep or a
//! member-stack run read the document after someone's edit and before the
//! edit's own event, and put it back (pure); in audit, the same for the
//! finding such a run told (nothing is put back). Its region's item keeps a
//! [`Mark`]; the edit's event, arriving after and finding the document
//! already right, names the editor in a follow-up ([`names`]), counted
//! toward `tamper_repeated`. Until CloudTrail's delivery had its time
//! ([`DELIVERY_BOUND_SECS`]), no alert blames forwarding.

use crate::domain::outcome::{Action, Change, RegionOutcome};
pub use crate::domain::put_back::{Mark, Named};
use crate::domain::trigger::{Trigger, TriggerKind};

/// How long after an API call its CloudTrail event may still reach
/// EventBridge: CloudTrail delivers management events to EventBridge on a
/// best-effort basis, typically within minutes ("AWS service events
/// delivered via AWS CloudTrail", EventBridge User Guide); fifteen minutes
/// leaves room for a slow delivery. An edit's event later than this after
/// the put-back is not taken as that edit's.
pub const DELIVERY_BOUND_SECS: i64 = 15 * 60;

/// Whether `trigger` is the event of runas-guard's own write: a document
/// event whose caller is a session of `member_role` in the event's own
/// account. That role trusts only the hub's function, so nobody else can
/// write as it (a session name, chosen by the caller, is never looked at).
/// An edit landing between our write and its event is found by that
/// event's run, and the editor is not the event's actor: the run is a
/// look like a sweep's, and the editor's own event names them.
pub fn own_write(trigger: &Trigger, member_role: &str) -> bool {
    let Some(actor) = trigger.actor.as_ref() else {
        return false;
    };
    let Some(account) = trigger.account.as_deref() else {
        return false;
    };
    // `arn:<partition>:iam::<account>:role/<path/>name`, as CloudTrail
    // names an assumed role's session issuer.
    let ours = actor
        .arn
        .strip_prefix("arn:")
        .and_then(|rest| rest.split_once(":iam::"))
        .and_then(|(partition, rest)| {
            (partition == "aws" || partition.starts_with("aws-")).then_some(rest)
        })
        .and_then(|rest| rest.split_once(":role/"))
        .is_some_and(|(acct, path)| {
            acct == account && path.rsplit('/').next() == Some(member_role)
        });
    trigger.kind == TriggerKind::DocumentChanged
        && actor.identity_type == "AssumedRole"
        && !member_role.is_empty()
        && ours
}

/// The event of our own write as its run takes it: no actor to name (its
/// alerts, history and intent name nobody), a look that leaves a mark.
pub fn as_own_write(mut trigger: Trigger) -> Trigger {
    trigger.actor = None;
    trigger.context.own_write = true;
    trigger
}

/// The mark a row leaves: a put-back of a noncompliant Run As by a run
/// with no edit event (it names no editor), our own write's event included;
/// or by an edit event's run, whose alert named its own actor, who may not
/// have made the version it replaced (another editor's edit landed first):
/// its mark says whose run it was (`by`), and only another editor's event
/// takes it (simulation seeds 500039, 500296: the maker's events were
/// answered `coalesced` and never named; since 0.7.2). An edit event with no
/// actor leaves none: its own events could not be told from the maker's.
pub fn leaves_mark(o: &RegionOutcome, user: &str, trigger: &Trigger, now_ms: i64) -> Option<Mark> {
    let by = match trigger.names_editor() {
        true => Some(trigger.actor.as_ref()?.arn.clone()).filter(|a| !a.is_empty()),
        false => None,
    };
    if trigger.names_editor() && by.is_none() {
        return None;
    }
    // In audit nothing is put back: the finding itself (news, told with
    // no editor) is what the edit's event names the editor of.
    let audit = o.action == Action::WouldChange;
    let found = o.change == Some(Change::Document)
        && o.was_noncompliant(user)
        && (o.action.wrote() || audit);
    // An edit event's mark is its put-back's (enforce), whose alert says
    // who changed it; its audit finding is news told as found (since 0.7.2),
    // and marked only where its event made another version than the one
    // found: that version's editor is someone else, whose own event names
    // them (simulation seeds 900079 and 900085: an admin's switch found
    // another editor's version as the default and told it in the admin's
    // name; that editor's events, found right or already told, named nobody).
    let marked = found && (by.is_none() || o.action.wrote() || !made_found(o, trigger));
    marked.then(|| Mark {
        at_ms: now_ms,
        found_by: trigger.kind.as_str().to_string(),
        trigger_id: trigger.event_id.clone(),
        before: o.before.clone(),
        version: replaced_version(o),
        by,
        latest_only: o.pending,
        made: o.made_before.clone(),
    })
}

/// Whether `trigger`'s event made the version `o` found out of policy, or
/// made it the default; an event that names no version (or a row with no
/// version read) is taken at its word, as before.
fn made_found(o: &RegionOutcome, trigger: &Trigger) -> bool {
    let made = crate::domain::version_gap::event_version(trigger, &o.region, o.document_name());
    match (made, replaced_version(o)) {
        (Some(made), Some(found)) => made == found,
        _ => true,
    }
}

/// The version whose Run As a put-back replaced: the default's, or the
/// latest's where only the latest was out of policy (`o.pending`: `before`
/// is its Run As). The editor's follow-up names it (`version_replaced`):
/// the default, right all along, is not the edit it names (simulation seed
/// 115: a sweep put back an editor's latest v2 behind a right v1, and the
/// follow-up that named the editor said v1; unreleased).
fn replaced_version(o: &RegionOutcome) -> Option<String> {
    let v = o.versions_before.as_ref()?;
    Some(match o.pending {
        true => v.latest.clone(),
        false => v.default.clone(),
    })
}

/// Whether this run, an edit event of the row's document that found it
/// already right (it wrote nothing), names the editor of `mark`'s
/// put-back ([`may_name`]).
pub fn names(o: &RegionOutcome, trigger: &Trigger, mark: &Mark) -> bool {
    trigger.edits(o.document_name())
        && may_name(trigger, mark)
        && !o.action.wrote()
        && o.error.is_none()
        // In audit, a finding of its own is news told with this editor.
        && o.change != Some(Change::Document)
}

/// Whether `trigger`, an edit event with an editor, could be the edit
/// `mark`'s put-back undid, whatever its run finds: another editor's, of
/// the version put back, made before the put-back and not longer than
/// CloudTrail's delivery bound before it. The coalescing gate asks it of
/// an event it would answer `coalesced` (seed 900271: the editor's
/// `CreateDocument` of a remade document was covered by a run that read
/// after it, and the mark our own write's event left was never taken).
pub fn may_name(trigger: &Trigger, mark: &Mark) -> bool {
    let Some(edited_ms) = trigger
        .context
        .event_time
        .as_deref()
        .and_then(crate::domain::clock::parse_iso)
    else {
        return false;
    };
    trigger.names_editor()
        && trigger.actor.is_some()
        && another_editors(trigger, mark)
        // CloudTrail's eventTime is cut to the second, never later than
        // the call: an edit before the put-back reads before it.
        && edited_ms <= mark.at_ms
        && mark.at_ms - edited_ms <= DELIVERY_BOUND_SECS * 1000
}

/// Whether `trigger`'s editor is not the one an edit event's put-back
/// (`mark.by`) already named, and, when its event made a version or made
/// one the default, made the one put back: an edit of another version is
/// another edit, whoever's mark it is (simulation seeds 900075 and 900165:
/// a switch to v8, and an edit that made v7, took the mark of a put-back of
/// v10 or v9 and named their editor for it; the editor of the version put
/// back, whose event came next, was never named). A mark with no `by` (a
/// sweep's, our own write's) is any other editor's.
fn another_editors(trigger: &Trigger, mark: &Mark) -> bool {
    let c = &trigger.context;
    let made = c.made_default.as_deref().or(c.made_version.as_deref());
    let its_version = made.is_none() || mark.version.is_none() || made == mark.version.as_deref();
    let Some(by) = mark.by.as_deref() else {
        return its_version;
    };
    let actor = trigger.actor.as_ref().map(|a| a.arn.as_str());
    actor.is_some_and(|a| !a.is_empty() && a != by) && its_version
}

/// Whether an edit event's row that found its document right, with no
/// mark in the rows its run read, looks at the region's item again: the
/// default version is one those rows had not recorded, so another run put
/// it back after that read (under way, or recorded since) and its mark may
/// be there now. A document the rows already knew needs no second look.
pub fn looks_again(o: &RegionOutcome, trigger: &Trigger, recorded_version: Option<&str>) -> bool {
    trigger.names_editor()
        && trigger.edits(o.document_name())
        && trigger.actor.is_some()
        && !o.action.wrote()
        && o.error.is_none()
        && o.version_after.is_some()
        && o.version_after.as_deref() != recorded_version
}

/// What the region's item, read again, says of a put-back's mark.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Again<M> {
    /// The mark to take.
    Mark(M),
    /// No mark, and another run holds the write lease: its put-back may be
    /// written and not marked yet (a put-back keeps its mark before it
    /// records and releases the lease): read again once it is released.
    Wait,
    /// No mark and no other run's write under way: nothing to name.
    Nothing,
}

/// The item read again: its mark, and until when a run other than this one
/// holds its lease (a released lease carries its release time).
pub fn again<M>(mark: Option<M>, others_lease_until_ms: Option<i64>, now_ms: i64) -> Again<M> {
    match (mark, others_lease_until_ms) {
        (Some(m), _) => Again::Mark(m),
        (None, Some(until)) if until > now_ms => Again::Wait,
        (None, _) => Again::Nothing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::preferences::RunAs;
    use crate::domain::trigger::{Actor, Context};
    use serde_json::json;

    const AT: i64 = 1_795_000_000_000; // the put-back

    fn trigger(kind: TriggerKind, event_name: &str, event_time: Option<&str>) -> Trigger {
        Trigger {
            kind,
            account: Some("111122223333".into()),
            region: Some("eu-west-1".into()),
            actor: Some(Actor {
                arn: "arn:aws:iam::111122223333:role/Admin".into(),
                identity_type: "AssumedRole".into(),
                session_name: None,
            }),
            event_id: "e-1".into(),
            source: "test".into(),
            event_name: Some(event_name.into()),
            reason: "test".into(),
            context: Context {
                event_time: event_time.map(str::to_string),
                ..Default::default()
            },
        }
    }

    fn iso(ms: i64) -> String {
        let t = crate::domain::clock::iso(crate::domain::clock::from_millis(ms));
        format!("{}Z", &t[..19])
    }

    fn row(action: Action, before: &str, change: Option<Change>) -> RegionOutcome {
        RegionOutcome {
            region: "eu-west-1".into(),
            action,
            before: Some(RunAs {
                enabled: Some(json!(true)),
                user: Some(json!(before)),
            }),
            change,
            ..Default::default()
        }
    }

    fn mark() -> Mark {
        Mark {
            at_ms: AT,
            found_by: "sweep".into(),
            trigger_id: "sweep-1".into(),
            before: None,
            version: Some("4".into()),
            by: None,
            latest_only: false,
            made: None,
        }
    }

    #[test]
    fn only_a_put_back_no_edit_event_brought_leaves_a_mark() {
        let put_back = row(Action::Updated, "root", Some(Change::Document));
        let cases = [
            (TriggerKind::Sweep, "sweep", &put_back, true),
            (TriggerKind::MemberStackLanded, "x", &put_back, true),
            // An edit event's run names its actor, who may not be the
            // maker: marked with that actor (since 0.7.2).
            (
                TriggerKind::DocumentChanged,
                "UpdateDocument",
                &put_back,
                true,
            ),
            (
                TriggerKind::Sweep,
                "sweep",
                &row(Action::None, "root", Some(Change::Document)),
                false,
            ),
            (
                TriggerKind::Sweep,
                "sweep",
                &row(Action::Updated, "ssm-ops", Some(Change::Document)),
                false,
            ),
            // The policy's change is nobody's edit.
            (
                TriggerKind::Sweep,
                "sweep",
                &row(Action::Updated, "root", None),
                false,
            ),
            // Audit: a sweep's finding (news) is marked; one already told
            // (no change) or the policy's is not; an edit event names its own.
            (
                TriggerKind::Sweep,
                "sweep",
                &row(Action::WouldChange, "root", Some(Change::Document)),
                true,
            ),
            (
                TriggerKind::Sweep,
                "sweep",
                &row(Action::WouldChange, "root", None),
                false,
            ),
            (
                TriggerKind::DocumentChanged,
                "UpdateDocument",
                &row(Action::WouldChange, "root", Some(Change::Document)),
                false,
            ),
            (
                TriggerKind::DocumentChanged,
                "UpdateDocument",
                &row(Action::None, "root", Some(Change::Document)),
                false,
            ),
        ];
        for (kind, name, o, want) in cases {
            let t = trigger(kind, name, None);
            let got = leaves_mark(o, "ssm-ops", &t, AT);
            assert_eq!(got.is_some(), want, "{kind:?} {:?}", o.action);
            if let Some(m) = got {
                // An edit event's mark says whose run it was; no other does.
                let by = (kind == TriggerKind::DocumentChanged)
                    .then(|| "arn:aws:iam::111122223333:role/Admin".to_string());
                assert_eq!(m.by, by, "{kind:?}");
                assert_eq!(Mark::parse(&m.to_json()), Some(m));
            }
        }
        // An edit event without an actor (or an empty one) leaves none: its
        // own events could not be told from the maker's.
        for arn in [None, Some("")] {
            let mut t = trigger(TriggerKind::DocumentChanged, "UpdateDocument", None);
            t.actor = arn.map(|a| Actor {
                arn: a.into(),
                ..Default::default()
            });
            assert_eq!(leaves_mark(&put_back, "ssm-ops", &t, AT), None, "{arn:?}");
        }
        // Our own write's event is no editor's: its mark is anyone's.
        let own = as_own_write(trigger(
            TriggerKind::DocumentChanged,
            "UpdateDocument",
            None,
        ));
        let m = leaves_mark(&put_back, "ssm-ops", &own, AT).expect("own write's mark");
        assert_eq!(m.by, None);
        // A mark stored before `by` existed reads as anyone's.
        let old = r#"{"at_ms":1,"found_by":"sweep","trigger_id":"s","before":null,"version":"4"}"#;
        assert_eq!(Mark::parse(old).map(|m| m.by), Some(None));
    }

    /// An edit event's put-back names its own actor: only another editor's
    /// event takes its mark, and a switch only when it made the version
    /// put back.
    #[test]
    fn an_edit_events_mark_is_taken_only_by_another_editor_of_that_version() {
        let admin = "arn:aws:iam::111122223333:role/Admin";
        let other = "arn:aws:iam::111122223333:role/Pipeline";
        let right = row(Action::None, "ssm-ops", None);
        let edited = iso(AT - 60_000);
        type Case<'a> = (
            Option<&'a str>,
            Option<&'a str>,
            Option<&'a str>,
            Option<&'a str>,
            bool,
        );
        // (mark.by, mark.version, the event's actor, its made_default, named)
        let cases: &[Case] = &[
            (Some(other), Some("4"), Some(admin), None, true),
            (Some(other), Some("4"), Some(admin), Some("4"), true),
            // The put-back's own editor: named already.
            (Some(admin), Some("4"), Some(admin), None, false),
            (Some(admin), Some("4"), Some(admin), Some("4"), false),
            // A switch to another version is another edit.
            (Some(other), Some("4"), Some(admin), Some("3"), false),
            (Some(other), Some("4"), Some(admin), Some(""), false),
            // The mark names no version: a switch cannot be told apart.
            (Some(other), None, Some(admin), Some("3"), true),
            // An event with no actor names nobody; an empty one neither.
            (Some(other), Some("4"), None, None, false),
            (Some(other), Some("4"), Some(""), None, false),
            // A sweep's mark is anyone's who made the version put back:
            // a switch to another is another edit (seed 900075).
            (None, Some("4"), Some(admin), Some("3"), false),
            (None, Some("4"), Some(admin), Some("4"), true),
            (None, Some("4"), Some(admin), None, true),
            (None, None, Some(admin), Some("3"), true),
            // Case differs: another principal as IAM spells it.
            (
                Some("arn:aws:iam::111122223333:role/admin"),
                Some("4"),
                Some(admin),
                None,
                true,
            ),
        ];
        // The version an edit's answer names counts as a switch's does; a
        // switch names the default it made, whatever the answer said.
        let made: &[(Option<&str>, Option<&str>, bool)] = &[
            (Some("4"), None, true),
            (Some("3"), None, false),
            (Some("3"), Some("4"), true),
            (Some("4"), Some("3"), false),
        ];
        for (version, switched, want) in made {
            let mut t = trigger(
                TriggerKind::DocumentChanged,
                "UpdateDocument",
                Some(&edited),
            );
            t.context.made_version = version.map(str::to_string);
            t.context.made_default = switched.map(str::to_string);
            assert_eq!(
                names(&right, &t, &mark()),
                *want,
                "{version:?} {switched:?}"
            );
        }
        for (by, version, actor, made, want) in cases {
            let mut t = trigger(
                TriggerKind::DocumentChanged,
                "UpdateDocument",
                Some(&edited),
            );
            t.actor = actor.map(|a| Actor {
                arn: a.into(),
                identity_type: "AssumedRole".into(),
                session_name: None,
            });
            t.context.made_default = made.map(str::to_string);
            let m = Mark {
                by: by.map(str::to_string),
                version: version.map(str::to_string),
                ..mark()
            };
            assert_eq!(
                names(&right, &t, &m),
                *want,
                "{by:?} {version:?} {actor:?} {made:?}"
            );
        }
    }

    /// (default, latest, only the latest out of policy) -> the version
    /// the mark says was replaced.
    #[test]
    fn the_mark_names_the_version_whose_run_as_was_put_back() {
        type Case<'a> = (Option<(&'a str, &'a str)>, bool, Option<&'a str>);
        let cases: &[Case] = &[
            (Some(("1", "2")), true, Some("2")),
            (Some(("1", "2")), false, Some("1")),
            (Some(("3", "3")), false, Some("3")),
            (Some(("3", "3")), true, Some("3")),
            // An older default behind a wrong one: the default's.
            (Some(("5", "2")), false, Some("5")),
            (None, true, None),
            (None, false, None),
        ];
        let t = trigger(TriggerKind::Sweep, "sweep", None);
        for (versions, pending, want) in cases {
            let mut o = row(Action::Updated, "root", Some(Change::Document));
            o.pending = *pending;
            o.versions_before = versions.map(|(d, l)| crate::domain::ports::Versions {
                default: d.into(),
                latest: l.into(),
            });
            let m = leaves_mark(&o, "ssm-ops", &t, AT).expect("a put-back's mark");
            assert_eq!(m.version.as_deref(), *want, "{versions:?} {pending}");
        }
    }

    /// Audit: an edit event's finding is marked (in its actor's name) only
    /// where its event made or switched to another version than the one
    /// found; the found version's own event, or one that says no version,
    /// tells it as its own (seeds 900079, 900085).
    #[test]
    fn an_edit_events_audit_finding_is_marked_where_its_event_made_another_version() {
        // (the event's made version, its switch, default and latest found,
        // only the latest out of policy, marked)
        type Case<'a> = (
            Option<&'a str>,
            Option<&'a str>,
            (&'a str, &'a str),
            bool,
            bool,
        );
        let cases: &[Case] = &[
            (Some("4"), None, ("4", "4"), false, false),
            (None, Some("4"), ("4", "5"), false, false),
            (None, None, ("4", "4"), false, false),
            // Its event switched to v1; another editor's v4 is the default.
            (None, Some("1"), ("4", "5"), false, true),
            // Its event made v3; the latest v4 alone is out of policy.
            (Some("3"), None, ("3", "4"), true, true),
            (Some("4"), None, ("3", "4"), true, false),
            // A switch wins over the version the same call's answer names.
            (Some("5"), Some("4"), ("4", "5"), false, false),
        ];
        for (made, switched, (default, latest), pending, want) in cases {
            let mut t = trigger(TriggerKind::DocumentChanged, "UpdateDocument", None);
            t.context.made_version = made.map(str::to_string);
            t.context.made_default = switched.map(str::to_string);
            let mut o = row(Action::WouldChange, "root", Some(Change::Document));
            o.pending = *pending;
            o.versions_before = Some(crate::domain::ports::Versions {
                default: (*default).into(),
                latest: (*latest).into(),
            });
            let got = leaves_mark(&o, "ssm-ops", &t, AT);
            assert_eq!(
                got.is_some(),
                *want,
                "{made:?} {switched:?} {default}/{latest} {pending}"
            );
            if let Some(m) = got {
                assert_eq!(
                    m.by.as_deref(),
                    Some("arn:aws:iam::111122223333:role/Admin")
                );
                let found = if *pending { latest } else { default };
                assert_eq!(m.version.as_deref(), Some(*found));
            }
            // Another region's row is no finding of this event's: unchanged.
            o.region = "us-east-1".into();
            assert_eq!(leaves_mark(&o, "ssm-ops", &t, AT), None);
        }
    }

    #[test]
    fn only_our_member_roles_session_in_the_events_account_is_our_own_write() {
        let at = |arn: &str, kind: &str| {
            let mut t = trigger(TriggerKind::DocumentChanged, "UpdateDocument", None);
            t.actor = Some(Actor {
                arn: arn.into(),
                identity_type: kind.into(),
                session_name: Some("runas-guard-eb-1".into()),
            });
            t
        };
        let role = "RunAsGuardExecution";
        let ours = "arn:aws:iam::111122223333:role/RunAsGuardExecution";
        let cases = [
            (at(ours, "AssumedRole"), role, true),
            (
                at(
                    "arn:aws:iam::111122223333:role/ops/RunAsGuardExecution",
                    "AssumedRole",
                ),
                role,
                true,
            ),
            (
                at(
                    "arn:aws-us-gov:iam::111122223333:role/RunAsGuardExecution",
                    "AssumedRole",
                ),
                role,
                true,
            ),
            // Another account's role of that name: not a write of ours here.
            (
                at(
                    "arn:aws:iam::444455556666:role/RunAsGuardExecution",
                    "AssumedRole",
                ),
                role,
                false,
            ),
            // Names that only look like it.
            (
                at(
                    "arn:aws:iam::111122223333:role/RunAsGuardExecutionX",
                    "AssumedRole",
                ),
                role,
                false,
            ),
            (
                at(
                    "arn:aws:iam::111122223333:role/runasguardexecution",
                    "AssumedRole",
                ),
                role,
                false,
            ),
            (
                at(
                    "arn:aws:iam::111122223333:role/RunAsGuardExecution/x",
                    "AssumedRole",
                ),
                role,
                false,
            ),
            (
                at(
                    "arn:aws:iam::111122223333:user/RunAsGuardExecution",
                    "IAMUser",
                ),
                role,
                false,
            ),
            (
                at(
                    "arn:aws:iam::111122223333:user/RunAsGuardExecution",
                    "AssumedRole",
                ),
                role,
                false,
            ),
            (
                at(
                    "arn:aws:iam::111122223333:role/RunAsGuardExecution",
                    "IAMUser",
                ),
                role,
                false,
            ),
            (
                at(
                    "arn:evil:iam::111122223333:role/RunAsGuardExecution",
                    "AssumedRole",
                ),
                role,
                false,
            ),
            (
                at("arn:aws:iam:::role/RunAsGuardExecution", "AssumedRole"),
                role,
                false,
            ),
            // A session name saying runas-guard proves nothing.
            (
                at("arn:aws:iam::111122223333:role/Admin", "AssumedRole"),
                role,
                false,
            ),
            (at("", "AssumedRole"), role, false),
            (at(ours, "AssumedRole"), "", false),
            (
                at("arn:aws:iam::111122223333:role/", "AssumedRole"),
                "",
                false,
            ),
        ];
        for (i, (t, member_role, want)) in cases.iter().enumerate() {
            assert_eq!(own_write(t, member_role), *want, "case {i}: {:?}", t.actor);
        }
        // Only a document event; one with no actor or account is nobody's.
        let mut sweep = at(ours, "AssumedRole");
        sweep.kind = TriggerKind::Sweep;
        assert!(!own_write(&sweep, role));
        let mut anonymous = at(ours, "AssumedRole");
        anonymous.actor = None;
        assert!(!own_write(&anonymous, role));
        let mut nowhere = at(ours, "AssumedRole");
        nowhere.account = None;
        assert!(!own_write(&nowhere, role));
    }

    #[test]
    fn our_own_writes_event_that_puts_back_marks_it_and_never_names() {
        let put_back = row(Action::Updated, "root", Some(Change::Document));
        let right = row(Action::None, "ssm-ops", None);
        let ours = as_own_write(trigger(
            TriggerKind::DocumentChanged,
            "UpdateDocument",
            Some(&iso(AT - 5_000)),
        ));
        assert!(ours.actor.is_none() && !ours.names_editor());
        // What it put back is nobody's it can name: a mark, as a sweep's.
        let m = leaves_mark(&put_back, "ssm-ops", &ours, AT).expect("a mark");
        assert_eq!((m.found_by.as_str(), m.at_ms), ("document_changed", AT));
        assert_eq!(leaves_mark(&right, "ssm-ops", &ours, AT), None);
        // It never takes a mark (it would name itself), even with an actor.
        let mut named = ours.clone();
        named.actor = trigger(TriggerKind::DocumentChanged, "x", None).actor;
        assert!(!names(&right, &named, &mark()));
        let seen = RegionOutcome {
            version_after: Some("7".into()),
            ..right.clone()
        };
        assert!(!looks_again(&seen, &named, Some("5")));
        // The editor's own event, after it, names them.
        let editor = trigger(
            TriggerKind::DocumentChanged,
            "UpdateDocument",
            Some(&iso(AT - 1_000)),
        );
        assert!(names(&right, &editor, &mark()));
    }

    #[test]
    fn an_edit_event_names_the_put_backs_editor_within_the_delivery_bound() {
        let right = row(Action::None, "ssm-ops", None);
        let edit = |ms: i64| {
            trigger(
                TriggerKind::DocumentChanged,
                "UpdateDocument",
                Some(&iso(ms)),
            )
        };
        assert!(names(&right, &edit(AT - 30_000), &mark()));
        assert!(names(&right, &edit(AT), &mark()), "cut to the same instant");
        assert!(names(
            &right,
            &edit(AT - DELIVERY_BOUND_SECS * 1000),
            &mark()
        ));
        // An edit after the put-back is another edit; one long before it
        // is not this put-back's.
        assert!(!names(&right, &edit(AT + 1_000), &mark()));
        assert!(!names(
            &right,
            &edit(AT - DELIVERY_BOUND_SECS * 1000 - 1_000),
            &mark()
        ));
        // This run put something back itself: its own alert names the editor.
        assert!(!names(
            &row(Action::Updated, "root", Some(Change::Document)),
            &edit(AT - 1_000),
            &mark()
        ));
        // Audit: the edit's event finds the finding the sweep told (the same
        // value: no change) and names its editor; a new finding is its own news.
        let seen = row(Action::WouldChange, "root", None);
        assert!(names(&seen, &edit(AT - 1_000), &mark()));
        let new = row(Action::WouldChange, "alice", Some(Change::Document));
        assert!(!names(&new, &edit(AT - 1_000), &mark()));
        // Not an edit event, no time, no actor: nobody to name.
        let sweep = trigger(TriggerKind::Sweep, "sweep", Some(&iso(AT - 1_000)));
        assert!(!names(&right, &sweep, &mark()));
        assert!(!names(
            &right,
            &trigger(TriggerKind::DocumentChanged, "UpdateDocument", None),
            &mark()
        ));
        let mut anonymous = edit(AT - 1_000);
        anonymous.actor = None;
        assert!(!names(&right, &anonymous, &mark()));
        for hostile in ["", "{", "null", "[]", "{\"at_ms\":\"x\"}"] {
            assert_eq!(Mark::parse(hostile), None, "{hostile}");
        }
    }

    #[test]
    fn an_edit_event_looks_again_only_at_a_document_its_rows_did_not_record() {
        let right = |version: Option<&str>| RegionOutcome {
            version_after: version.map(str::to_string),
            ..row(Action::None, "ssm-ops", None)
        };
        let edit = trigger(TriggerKind::DocumentChanged, "UpdateDocument", None);
        let sweep = trigger(TriggerKind::Sweep, "sweep", None);
        let mut anonymous = edit.clone();
        anonymous.actor = None;
        let failed = RegionOutcome {
            error: Some("throttled".into()),
            ..right(Some("7"))
        };
        let wrote = RegionOutcome {
            version_after: Some("7".into()),
            ..row(Action::Updated, "root", Some(Change::Document))
        };
        let cases = [
            // Another run put it back after this run read the rows.
            (&right(Some("7")), &edit, Some("5"), true),
            (&right(Some("7")), &edit, None, true),
            // The rows knew this version: nothing happened since.
            (&right(Some("7")), &edit, Some("7"), false),
            // Not an edit event, no editor, or not a document found right.
            (&right(Some("7")), &sweep, Some("5"), false),
            (&right(Some("7")), &anonymous, Some("5"), false),
            (&failed, &edit, Some("5"), false),
            (&wrote, &edit, Some("5"), false),
            (&right(None), &edit, Some("5"), false),
        ];
        for (i, (o, t, recorded, want)) in cases.into_iter().enumerate() {
            assert_eq!(looks_again(o, t, recorded), want, "case {i}");
        }
    }

    #[test]
    fn a_mark_is_taken_and_an_unmarked_item_waits_only_for_another_runs_lease() {
        let now = AT;
        let cases = [
            (Some("m"), None, Again::Mark("m".into())),
            (Some("m"), Some(now + 1), Again::Mark("m".into())),
            (None, Some(now + 30_000), Again::Wait),
            // Released (stamped with its time) or never taken.
            (None, Some(now - 1), Again::Nothing),
            (None, Some(now), Again::Nothing),
            (None, None, Again::Nothing),
        ];
        for (mark, until, want) in cases {
            assert_eq!(
                again(mark.map(str::to_string), until, now),
                want,
                "{mark:?} {until:?}"
            );
        }
    }
}

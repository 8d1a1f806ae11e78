//! A put-back no edit event brought names no editor: a sweep or a
//! member-stack run read the document after someone's edit and before the
//! edit's own event, and put it back (pure). Its region's item keeps a
//! [`Mark`]; the edit's event, arriving after and finding the document
//! already right, names the editor in a follow-up ([`names`]), counted
//! toward `tamper_repeated`. Until CloudTrail's delivery had its time
//! ([`DELIVERY_BOUND_SECS`]), no alert blames forwarding.

use crate::domain::outcome::{Change, RegionOutcome};
pub use crate::domain::put_back::{Mark, Named};
use crate::domain::trigger::{Trigger, TriggerKind};

/// How long after an API call its CloudTrail event may still reach
/// EventBridge: CloudTrail delivers management events to EventBridge on a
/// best-effort basis, typically within minutes ("AWS service events
/// delivered via AWS CloudTrail", EventBridge User Guide); fifteen minutes
/// leaves room for a slow delivery. An edit's event later than this after
/// the put-back is not taken as that edit's.
pub const DELIVERY_BOUND_SECS: i64 = 15 * 60;

/// The mark a row leaves: a put-back of a noncompliant Run As by a run
/// with no edit event (it names no editor).
pub fn leaves_mark(o: &RegionOutcome, user: &str, trigger: &Trigger, now_ms: i64) -> Option<Mark> {
    // Any edit event's put-back names an actor already (an event of one
    // document puts back its region's others too, told by that run).
    let edit_event = trigger.kind == TriggerKind::DocumentChanged;
    let found = o.change == Some(Change::Document) && o.action.wrote() && o.was_noncompliant(user);
    (found && !edit_event).then(|| Mark {
        at_ms: now_ms,
        found_by: trigger.kind.as_str().to_string(),
        trigger_id: trigger.event_id.clone(),
        before: o.before.clone(),
        version: o.versions_before.as_ref().map(|v| v.default.clone()),
    })
}

/// Whether this run, an edit event of the row's document that found it
/// already right (it wrote nothing), names the editor of `mark`'s
/// put-back: the edit was made before the put-back and not longer than
/// CloudTrail's delivery bound before it.
pub fn names(o: &RegionOutcome, trigger: &Trigger, mark: &Mark) -> bool {
    let Some(edited_ms) = trigger
        .context
        .event_time
        .as_deref()
        .and_then(crate::domain::clock::parse_iso)
    else {
        return false;
    };
    trigger.kind == TriggerKind::DocumentChanged
        && trigger.edits(o.document_name())
        && trigger.actor.is_some()
        && !o.action.wrote()
        && o.error.is_none()
        // CloudTrail's eventTime is cut to the second, never later than
        // the call: an edit before the put-back reads before it.
        && edited_ms <= mark.at_ms
        && mark.at_ms - edited_ms <= DELIVERY_BOUND_SECS * 1000
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::outcome::Action;
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
        }
    }

    #[test]
    fn only_a_put_back_no_edit_event_brought_leaves_a_mark() {
        let put_back = row(Action::Updated, "root", Some(Change::Document));
        let cases = [
            (TriggerKind::Sweep, "sweep", &put_back, true),
            (TriggerKind::MemberStackLanded, "x", &put_back, true),
            // An edit event's run names its actor already.
            (
                TriggerKind::DocumentChanged,
                "UpdateDocument",
                &put_back,
                false,
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
        ];
        for (kind, name, o, want) in cases {
            let t = trigger(kind, name, None);
            let got = leaves_mark(o, "ssm-ops", &t, AT);
            assert_eq!(got.is_some(), want, "{kind:?} {:?}", o.action);
            if let Some(m) = got {
                assert_eq!(Mark::parse(&m.to_json()), Some(m));
            }
        }
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
}

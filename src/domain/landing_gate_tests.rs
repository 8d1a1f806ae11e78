use super::*;
use crate::domain::outcome::{AccountReport, Handled, RegionOutcome};
use crate::domain::trigger::Context;

const T: i64 = 1_790_000_000_000;

fn held(started: Option<i64>, seen: Option<i64>) -> Held {
    Held { started, seen }
}

#[test]
fn an_event_is_covered_claims_waits_or_runs() {
    let w = WINDOW.as_millis() as i64;
    let ms = |n: i64| Duration::from_millis(n as u64);
    for (why, held, ticket, now, tries, want) in [
        (
            "seen at a take after the ticket",
            held(Some(T), Some(9)),
            7,
            T,
            1,
            Step::Covered { take: 9 },
        ),
        (
            "seen at the ticket itself: the run claimed with it",
            held(Some(T), Some(7)),
            7,
            T,
            MAX_TRIES,
            Step::Covered { take: 7 },
        ),
        (
            "seen before the event arrived: no cover",
            held(Some(T), Some(6)),
            7,
            T + 1_000,
            1,
            Step::Wait(ms(w - 1_000)),
        ),
        ("no run ever", held(None, None), 1, T, 0, Step::Claim),
        (
            "window passed",
            held(Some(T - w), Some(3)),
            7,
            T,
            1,
            Step::Claim,
        ),
        (
            "a run within the window",
            held(Some(T - 1), None),
            7,
            T,
            1,
            Step::Wait(ms(w - 1)),
        ),
        (
            "a host clock behind: never more than one window",
            held(Some(T), None),
            7,
            T - 60_000,
            1,
            Step::Wait(WINDOW),
        ),
        (
            "refused too often",
            held(Some(T), Some(6)),
            7,
            T,
            MAX_TRIES,
            Step::Run,
        ),
        (
            "hostile times do not overflow",
            held(Some(i64::MAX), None),
            1,
            i64::MIN,
            1,
            Step::Wait(WINDOW),
        ),
        (
            "hostile times do not overflow",
            held(Some(i64::MIN), None),
            1,
            i64::MAX,
            1,
            Step::Claim,
        ),
    ] {
        assert_eq!(step(held, ticket, now, tries), want, "{why}");
    }
}

#[test]
fn cover_needs_a_take_at_or_after_the_ticket() {
    // The law: whatever the times and tries, an event is covered exactly
    // when its region was seen at a take no older than its ticket.
    for ticket in 0..20 {
        for seen in [
            None,
            Some(0),
            Some(ticket - 1),
            Some(ticket),
            Some(ticket + 3),
        ] {
            for started in [None, Some(T - 10_000), Some(T)] {
                for tries in 0..=MAX_TRIES {
                    let got = step(held(started, seen), ticket, T, tries);
                    let covered = seen.is_some_and(|s| s >= ticket);
                    assert_eq!(
                        matches!(got, Step::Covered { .. }),
                        covered,
                        "{ticket} {seen:?} {started:?} {tries}"
                    );
                    if !covered && tries >= MAX_TRIES {
                        assert_eq!(got, Step::Run);
                    }
                }
            }
        }
    }
}

#[test]
fn a_take_answers_for_its_own_region_first_and_each_once() {
    let waiting = ["eu-west-1", "us-east-1", "eu-west-1", "ap-south-1"].map(String::from);
    let t = Taken::new(4, "us-east-1", waiting.to_vec(), T);
    assert_eq!(t.take, 4);
    assert_eq!(t.regions, ["us-east-1", "eu-west-1", "ap-south-1"]);
    assert_eq!(t.started, T);
    assert_eq!(Taken::new(1, "eu-west-1", vec![], T).regions, ["eu-west-1"]);
}

fn trigger(
    kind: TriggerKind,
    account: Option<&str>,
    region: Option<&str>,
    attempt: u32,
) -> Trigger {
    let context = Context {
        attempt,
        ..Context::default()
    };
    Trigger {
        kind,
        account: account.map(str::to_string),
        region: region.map(str::to_string),
        actor: None,
        event_id: "instance-1".into(),
        source: "aws.cloudformation".into(),
        event_name: None,
        reason: "test".into(),
        context,
    }
}

#[test]
fn only_first_deliveries_of_stack_instance_events_pass_the_gate() {
    let a = Some("111122223333");
    let r = Some("eu-west-1");
    assert_eq!(
        key(&trigger(TriggerKind::MemberStackLanded, a, r, 0)),
        Some(Key {
            account: "111122223333".into(),
            region: "eu-west-1".into()
        })
    );
    for (why, t) in [
        (
            "a re-attempt",
            trigger(TriggerKind::MemberStackLanded, a, r, 1),
        ),
        (
            "no account",
            trigger(TriggerKind::MemberStackLanded, None, r, 0),
        ),
        (
            "an empty account",
            trigger(TriggerKind::MemberStackLanded, Some(""), r, 0),
        ),
        (
            "no region",
            trigger(TriggerKind::MemberStackLanded, a, None, 0),
        ),
        ("a vend", trigger(TriggerKind::AccountVended, a, r, 0)),
        ("an edit", trigger(TriggerKind::DocumentChanged, a, r, 0)),
        ("a baseline", trigger(TriggerKind::BaselineApplied, a, r, 0)),
        ("a sweep", trigger(TriggerKind::Sweep, a, r, 0)),
    ] {
        assert_eq!(key(&t), None, "{why}");
    }
}

fn row(region: &str, document: Option<&str>, action: Action) -> RegionOutcome {
    RegionOutcome {
        region: region.into(),
        document: document.map(str::to_string),
        action,
        ..RegionOutcome::default()
    }
}

fn ran(rows: Vec<RegionOutcome>) -> Outcome {
    let mut o = Outcome::new(serde_json::Value::Null, Handled::Done, "");
    let none = |r: &str| row(r, None, Action::None);
    let mut report = AccountReport::uniform("111122223333", "member", &[], none);
    report.regions = rows;
    o.accounts.push(report);
    o
}

#[test]
fn a_region_is_read_cleanly_only_when_every_document_there_was() {
    let answered: Vec<String> = ["us-east-1", "eu-west-1", "ap-south-1"]
        .map(String::from)
        .to_vec();
    for action in Action::ALL {
        let o = ran(vec![
            row("us-east-1", None, Action::None),
            row("eu-west-1", None, Action::Updated),
            row("eu-west-1", Some("Team-Shell"), action),
        ]);
        let (clean, not) = read_cleanly(&o, &answered);
        let read = !matches!(action, Action::Failed | Action::Pending | Action::Deferred);
        let want_clean: Vec<&str> = match read {
            true => vec!["us-east-1", "eu-west-1"],
            false => vec!["us-east-1"],
        };
        assert_eq!(clean, want_clean, "{action:?}");
        // ap-south-1 was answered for but not reported: not read.
        assert!(not.contains(&"ap-south-1".to_string()), "{action:?}");
        assert_eq!(clean.len() + not.len(), answered.len());
    }
    // A run that reported nothing read nothing, whatever it answered for;
    // one the account gave nothing to look at covers the whole burst.
    for (result, covers) in [
        (Handled::Failed, false),
        (Handled::Done, false),
        (Handled::InFlight, false),
        (Handled::Ignored, true),
    ] {
        let (clean, not) = read_cleanly(
            &Outcome::new(serde_json::Value::Null, result, ""),
            &answered,
        );
        match covers {
            true => assert_eq!((clean, not), (answered.clone(), vec![]), "{result:?}"),
            false => assert_eq!((clean, not), (vec![], answered.clone()), "{result:?}"),
        }
    }
}

#[test]
fn an_event_whose_region_a_run_took_looks_again_soon_else_waits_the_window_out() {
    let poll = POLL;
    for (wait, taken, want) in [
        (WINDOW, false, WINDOW),
        (WINDOW, true, poll),
        (Duration::from_millis(100), true, Duration::from_millis(100)),
        (
            Duration::from_millis(100),
            false,
            Duration::from_millis(100),
        ),
        (Duration::ZERO, true, Duration::ZERO),
    ] {
        assert_eq!(pause(wait, taken), want, "{wait:?} taken {taken}");
    }
    // Never longer than the wait step gave, never longer than a poll once taken.
    for ms in [0u64, 1, 499, 500, 501, 4_999, 5_000, u64::MAX / 2] {
        let wait = Duration::from_millis(ms);
        assert!(pause(wait, false) == wait && pause(wait, true) <= wait.min(poll));
    }
}

use super::*;

const ARN: &str = "arn:aws:sns:us-east-1:123456789012:t";

fn sub(protocol: &str, endpoint: &str, pending: bool, filter: Filter) -> Sub {
    Sub {
        protocol: protocol.into(),
        endpoint: endpoint.into(),
        pending,
        filter,
    }
}

fn email(address: &str, pending: bool) -> Sub {
    sub("email", address, pending, Filter::None)
}

fn queue(name: &str, filter: Filter) -> Sub {
    let arn = format!("arn:aws:sqs:us-east-1:123456789012:{name}");
    sub("sqs", &arn, false, filter)
}

fn attributes(policy: &str) -> Filter {
    Filter::Attributes(policy.into())
}

fn topic(carries: Carries, elsewhere: Option<&'static str>) -> Topic<'static> {
    Topic {
        arn: ARN,
        carries,
        elsewhere,
    }
}

/// One case: the topic, its subscriptions, the verdict, and what the detail
/// and the fix must say (`None`: no fix at all).
struct Case {
    name: &'static str,
    topic: Topic<'static>,
    subs: Vec<Sub>,
    verdict: Verdict,
    detail: &'static [&'static str],
    fix: Option<&'static [&'static str]>,
}

#[test]
fn verdicts_on_who_a_topic_reaches() {
    use Carries::{Alarms, Alerts};
    let severity = r#"{"severity": ["critical", "error"]}"#;
    let cases = vec![
        Case {
            name: "no subscriptions",
            topic: topic(Alerts, None),
            subs: vec![],
            verdict: Verdict::Fail,
            detail: &["no subscription", "nobody is told of its alerts"],
            fix: Some(&[
                "aws sns subscribe --topic-arn arn:aws:sns:us-east-1:123456789012:t",
                "AlertEmail",
            ]),
        },
        Case {
            name: "no subscriptions to the alarm topic",
            topic: topic(Alarms, None),
            subs: vec![],
            verdict: Verdict::Fail,
            detail: &["nobody is told of its alarm messages"],
            fix: Some(&["AlarmEmail"]),
        },
        Case {
            name: "only pending",
            topic: topic(Alerts, None),
            subs: vec![email("ops@example.com", true)],
            verdict: Verdict::Fail,
            detail: &[
                "no confirmed subscription",
                "1 pending confirmation",
                "email ops@example.com",
            ],
            fix: Some(&["confirm the e-mail"]),
        },
        Case {
            name: "confirmed and pending",
            topic: topic(Alerts, None),
            subs: vec![queue("inbox", Filter::None), email("ops@example.com", true)],
            verdict: Verdict::Pass,
            detail: &[
                "1 confirmed subscription(s)",
                "sqs inbox",
                "1 pending confirmation",
                "ops@example.com",
            ],
            fix: None,
        },
        Case {
            name: "a filtered alarm subscription beside an unfiltered one",
            topic: topic(Alarms, None),
            subs: vec![
                email("oncall@example.com", false),
                queue("pager", attributes(severity)),
            ],
            verdict: Verdict::Warn,
            detail: &[
                "1 confirmed subscription(s)",
                "sqs pager (filter on severity)",
                "alarm messages carry no message attributes",
            ],
            fix: Some(&["remove the filter policy of sqs pager"]),
        },
        Case {
            name: "only a filtered alarm subscription",
            topic: topic(Alarms, None),
            subs: vec![queue("pager", attributes(severity))],
            verdict: Verdict::Fail,
            detail: &["no confirmed subscription receives them", "sqs pager"],
            fix: Some(&["never filter a subscription to the alarm topic"]),
        },
        Case {
            name: "the same filter on the alert topic is what it is for",
            topic: topic(Alerts, None),
            subs: vec![queue("pager", attributes(severity))],
            verdict: Verdict::Pass,
            detail: &["1 confirmed subscription(s)", "sqs pager"],
            fix: None,
        },
        Case {
            name: "an alert filter on an attribute alerts never carry",
            topic: topic(Alerts, None),
            subs: vec![queue("pager", attributes(r#"{"level": ["high"]}"#))],
            verdict: Verdict::Fail,
            detail: &[
                "filter on level",
                "alerts carry only alert_id, kind, severity, account",
            ],
            fix: Some(&["alert_id, kind, severity or account only"]),
        },
        Case {
            name: "a body filter on the alarm topic is not judged",
            topic: topic(Alarms, None),
            subs: vec![queue("pager", Filter::Body)],
            verdict: Verdict::Pass,
            detail: &["sqs pager (filters the message body)"],
            fix: None,
        },
        Case {
            name: "no one on the alert topic, but the chat topic reaches people",
            topic: topic(Alerts, Some("the chat topic")),
            subs: vec![],
            verdict: Verdict::Warn,
            detail: &["reach people only through the chat topic"],
            fix: Some(&["subscribe who must be told"]),
        },
    ];
    for case in cases {
        let got = judge(&case.topic, &case.subs);
        assert_eq!(got.verdict, case.verdict, "{}: {got:?}", case.name);
        for part in case.detail {
            assert!(
                got.detail.contains(part),
                "{}: {part:?} in {:?}",
                case.name,
                got.detail
            );
        }
        match (case.fix, &got.fix) {
            (None, None) => {}
            (Some(parts), Some(fix)) => {
                for part in parts {
                    assert!(fix.contains(part), "{}: {part:?} in {fix:?}", case.name);
                }
            }
            (want, got) => panic!("{}: fix {want:?}, got {got:?}", case.name),
        }
    }
}

#[test]
fn filters_that_drop_every_message() {
    use Carries::{Alarms, Alerts};
    let cases: &[(&str, Carries, &[&str])] = &[
        (r#"{"severity": ["critical"]}"#, Alerts, &[]),
        (r#"{"severity": ["critical"]}"#, Alarms, &["severity"]),
        (
            r#"{"severity": ["critical"], "team": ["x"]}"#,
            Alerts,
            &["team"],
        ),
        // Only the absence of an attribute: every message matches.
        (r#"{"team": [{"exists": false}]}"#, Alarms, &[]),
        (
            r#"{"$or": [{"kind": ["drift_reverted"]}, {"team": ["x"]}]}"#,
            Alerts,
            &[],
        ),
        (
            r#"{"$or": [{"level": ["a"]}, {"team": ["x"]}]}"#,
            Alerts,
            &["level", "team"],
        ),
        ("not json", Alarms, &[]),
        ("{}", Alarms, &[]),
    ];
    for (policy, carries, dropped) in cases {
        assert_eq!(
            dropped_by(policy, *carries),
            *dropped,
            "{policy} on {carries:?}"
        );
    }
}

#[test]
fn endpoints_are_named_without_their_secrets() {
    let cases = [
        ("email", "ops@example.com", "email ops@example.com"),
        (
            "https",
            "https://hooks.example.com/services/T0/B0/secret",
            "https hooks.example.com",
        ),
        (
            "sqs",
            "arn:aws:sqs:us-east-1:123456789012:inbox",
            "sqs inbox",
        ),
        (
            "lambda",
            "arn:aws:lambda:us-east-1:123456789012:function:pager",
            "lambda pager",
        ),
        ("sms", "+15555550100", "sms a phone number"),
    ];
    for (protocol, endpoint, shown) in cases {
        assert_eq!(who(&sub(protocol, endpoint, false, Filter::None)), shown);
    }
}

#[test]
fn long_lists_are_cut() {
    let subs: Vec<Sub> = (0..8)
        .map(|i| email(&format!("p{i}@example.com"), true))
        .collect();
    let got = judge(&topic(Carries::Alerts, None), &subs);
    assert!(
        got.detail.contains("8 pending confirmation"),
        "{}",
        got.detail
    );
    assert!(got.detail.contains("and 3 more"), "{}", got.detail);
    assert!(!got.detail.contains("p7@"), "{}", got.detail);
}

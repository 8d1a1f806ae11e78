//! Does a topic reach anyone? Pure: the verdict on a topic's subscriptions
//! (`topics.rs` lists them). A subscription counts when it is confirmed and
//! its filter policy can let the topic's messages through: the alert and
//! chat topics' messages carry the attributes `alert_id`, `kind`,
//! `severity` and `account` (src/adapters/aws/alerts.rs); CloudWatch's alarm
//! messages carry none, so a filter on message attributes drops them all.

use serde_json::Value;

use super::Verdict;

/// What a topic's messages carry as SNS message attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Carries {
    /// runas-guard's alerts (the alert topic, the chat topic).
    Alerts,
    /// CloudWatch alarm state changes (the alarm topic): no attributes.
    Alarms,
}

impl Carries {
    fn attributes(self) -> &'static [&'static str] {
        match self {
            Carries::Alerts => &["alert_id", "kind", "severity", "account"],
            Carries::Alarms => &[],
        }
    }

    fn messages(self) -> &'static str {
        match self {
            Carries::Alerts => "alerts",
            Carries::Alarms => "alarm messages",
        }
    }

    fn message(self) -> &'static str {
        match self {
            Carries::Alerts => "alert",
            Carries::Alarms => "alarm message",
        }
    }
}

/// A subscription's filter policy, as far as it was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Filter {
    None,
    /// On message attributes (`FilterPolicyScope` absent or `MessageAttributes`).
    Attributes(String),
    /// On the message body: not judged here.
    Body,
    /// `GetSubscriptionAttributes` failed (its error code), or was not asked.
    Unread(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Sub {
    pub protocol: String,
    pub endpoint: String,
    /// `PendingConfirmation`: nothing is delivered until the link is followed.
    pub pending: bool,
    pub filter: Filter,
}

/// The topic being judged.
pub(super) struct Topic<'a> {
    pub arn: &'a str,
    pub carries: Carries,
    /// Another topic with the same alerts that reaches someone (the chat
    /// topic for the alert topic): then this one reaching nobody is a warning.
    pub elsewhere: Option<&'a str>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Delivery {
    pub verdict: Verdict,
    pub detail: String,
    pub fix: Option<String>,
}

/// Attribute names a filter policy on message attributes requires that no
/// message carries: non-empty means it drops every message. Unreadable
/// policies are given the benefit of the doubt.
pub(super) fn dropped_by(policy: &str, carries: Carries) -> Vec<String> {
    match serde_json::from_str::<Value>(policy) {
        Ok(v) => missing(&v, carries.attributes()),
        Err(_) => vec![],
    }
}

/// Keys of one policy object (AND) that can never match; `$or` holds
/// alternatives, which drop everything only when each of them does.
fn missing(policy: &Value, carried: &[&str]) -> Vec<String> {
    let Some(keys) = policy.as_object() else {
        return vec![];
    };
    let mut out = Vec::new();
    for (key, condition) in keys {
        if key == "$or" {
            let alternatives: Vec<Vec<String>> = condition
                .as_array()
                .map(|a| a.iter().map(|p| missing(p, carried)).collect())
                .unwrap_or_default();
            if !alternatives.is_empty() && alternatives.iter().all(|m| !m.is_empty()) {
                out.extend(alternatives.into_iter().flatten());
            }
        } else if !carried.contains(&key.as_str()) && !accepts_absent(condition) {
            out.push(key.clone());
        }
    }
    out.sort();
    out.dedup();
    out
}

/// `[{"exists": false}]`: matches a message without the attribute.
fn accepts_absent(condition: &Value) -> bool {
    let absent = |c: &Value| c.get("exists") == Some(&Value::Bool(false));
    match condition {
        Value::Array(items) => items.iter().any(absent),
        other => absent(other),
    }
}

/// The subscription delivers the topic's messages: confirmed, and no filter
/// policy on attributes that none of them carries.
pub(super) fn reaches(s: &Sub, carries: Carries) -> bool {
    !s.pending && !matches!(&s.filter, Filter::Attributes(p) if !dropped_by(p, carries).is_empty())
}

/// Who a subscription reaches, without what an endpoint may hide: an
/// address or a resource name, only the host of a URL (webhook URLs carry
/// tokens).
pub(super) fn who(s: &Sub) -> String {
    let e = s.endpoint.as_str();
    let name = match s.protocol.as_str() {
        "email" | "email-json" => e.to_string(),
        "http" | "https" => e.split('/').nth(2).unwrap_or("?").to_string(),
        "sms" => "a phone number".into(),
        _ => e.rsplit([':', '/']).next().unwrap_or(e).to_string(),
    };
    format!("{} {name}", s.protocol)
}

fn list(names: &[String]) -> String {
    const SHOWN: usize = 5;
    let mut out = names
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > SHOWN {
        out.push_str(&format!(" and {} more", names.len() - SHOWN));
    }
    out
}

/// The subscriptions, sorted by what they do with the topic's messages.
struct Sorted {
    delivering: Vec<String>,
    pending: Vec<String>,
    /// Who, and the attributes its filter asks for that no message carries.
    dropping: Vec<(String, Vec<String>)>,
    /// Delivering, with a filter this check did not judge.
    unjudged: Vec<String>,
}

fn sort(subs: &[Sub], carries: Carries) -> Sorted {
    let mut s = Sorted {
        delivering: vec![],
        pending: vec![],
        dropping: vec![],
        unjudged: vec![],
    };
    for sub in subs {
        let name = who(sub);
        if sub.pending {
            s.pending.push(name);
            continue;
        }
        match &sub.filter {
            Filter::Attributes(p) => {
                let missing = dropped_by(p, carries);
                if !missing.is_empty() {
                    s.dropping.push((name, missing));
                    continue;
                }
            }
            Filter::Body => s
                .unjudged
                .push(format!("{name} (filters the message body)")),
            Filter::Unread(code) => s.unjudged.push(format!("{name} (filter not read: {code})")),
            Filter::None => {}
        }
        s.delivering.push(name);
    }
    s
}

fn dropping_text(dropping: &[(String, Vec<String>)], carries: Carries) -> String {
    let each: Vec<String> = dropping
        .iter()
        .map(|(who, attrs)| format!("{who} (filter on {})", attrs.join(", ")))
        .collect();
    let why = match carries {
        Carries::Alarms => "alarm messages carry no message attributes".to_string(),
        Carries::Alerts => format!(
            "alerts carry only {}",
            Carries::Alerts.attributes().join(", ")
        ),
    };
    let verb = if dropping.len() == 1 { "drops" } else { "drop" };
    format!("{} {verb} every {}: {why}", list(&each), carries.message())
}

/// The verdict on one topic's subscriptions.
pub(super) fn judge(topic: &Topic, subs: &[Sub]) -> Delivery {
    let s = sort(subs, topic.carries);
    let mut notes = Vec::new();
    if !s.pending.is_empty() {
        notes.push(format!(
            "{} pending confirmation, sent nothing until confirmed: {}",
            s.pending.len(),
            list(&s.pending)
        ));
    }
    if !s.dropping.is_empty() {
        notes.push(dropping_text(&s.dropping, topic.carries));
    }
    if !s.unjudged.is_empty() {
        notes.push(list(&s.unjudged));
    }
    let fix = fix_for(topic, &s);
    if !s.delivering.is_empty() {
        let mut detail = format!(
            "{} confirmed subscription(s) that receive its {}: {}",
            s.delivering.len(),
            topic.carries.messages(),
            list(&s.delivering)
        );
        for n in &notes {
            detail.push_str(&format!("; {n}"));
        }
        let verdict = if s.dropping.is_empty() {
            Verdict::Pass
        } else {
            Verdict::Warn
        };
        let fix = (verdict == Verdict::Warn).then_some(fix);
        return Delivery {
            verdict,
            detail,
            fix,
        };
    }
    nobody(topic, &s, notes, fix)
}

/// No subscription receives the topic's messages: nobody is told.
fn nobody(topic: &Topic, s: &Sorted, notes: Vec<String>, fix: String) -> Delivery {
    let messages = topic.carries.messages();
    let (verdict, mut detail) = match topic.elsewhere {
        Some(other) => (
            Verdict::Warn,
            format!("its {messages} reach people only through {other}"),
        ),
        None => (Verdict::Fail, format!("nobody is told of its {messages}")),
    };
    detail.push_str(if s.pending.is_empty() && s.dropping.is_empty() {
        ": no subscription"
    } else {
        ": no confirmed subscription receives them"
    });
    for n in notes {
        detail.push_str(&format!("; {n}"));
    }
    Delivery {
        verdict,
        detail,
        fix: Some(fix),
    }
}

fn fix_for(topic: &Topic, s: &Sorted) -> String {
    let mut fixes = Vec::new();
    if !s.pending.is_empty() {
        fixes.push("confirm the e-mail: follow the link in the \"AWS Notification - Subscription Confirmation\" mail sent to each pending address (lost or expired: subscribe again)".to_string());
    }
    if !s.dropping.is_empty() {
        let names: Vec<String> = s.dropping.iter().map(|(w, _)| w.clone()).collect();
        fixes.push(match topic.carries {
            Carries::Alarms => format!("remove the filter policy of {} (aws sns set-subscription-attributes --subscription-arn ARN --attribute-name FilterPolicy --attribute-value '{{}}'): never filter a subscription to the alarm topic on message attributes", list(&names)),
            Carries::Alerts => format!("make the filter policy of {} ask for alert_id, kind, severity or account only", list(&names)),
        });
    }
    if fixes.is_empty() {
        fixes.push(format!("subscribe who must be told: aws sns subscribe --topic-arn {} --protocol email --notification-endpoint ADDRESS, then confirm the mail AWS sends (or the hub stack's {})", topic.arn, match topic.carries {
            Carries::Alarms => "AlarmEmail",
            Carries::Alerts => "AlertEmail",
        }));
    }
    fixes.join("; ")
}

#[cfg(test)]
#[path = "delivery_tests.rs"]
mod tests;

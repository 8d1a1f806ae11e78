//! The forwarding canary's findings of one sweep, one alert per cause
//! (the grouping is [`crate::domain::canary::Findings`]'s):
//!
//! - `forwarding_missing`: canaries did not arrive, so those account-regions'
//!   edits do not reach the function either: they are found (and, in
//!   enforce, put back) only by sweeps, without their actor;
//! - `canary_unwritable`: SSM refused canaries for a reason a retry does not
//!   meet (one alert per code), so nothing proves those event paths until
//!   one can be written. Each account-region is told once per transition
//!   (see [`crate::domain::canary::unwritable`]).
//!
//! Each alert counts its account-regions per OU and per region and names
//! the first 50. One account-region alone reads as it always did (account,
//! region, its name and OU path); one account alone names the account.

use serde_json::{json, Map, Value};

use super::message::{base, subject_value};
use super::{alert_id, Alert, Kind, Severity};
use crate::domain::canary::{Group, Told};
use crate::domain::trigger::Trigger;

/// What `forwarding_missing` says the cause is.
pub const NO_CANARY: &str = "no canary arrived";

/// One alert per cause the sweep's canaries newly found.
pub fn canary_findings(
    told: &[Told],
    grace_secs: Option<u64>,
    trigger: &Trigger,
    at: &str,
) -> Vec<Alert> {
    told.iter()
        .map(|t| match t.codes.is_empty() {
            true => forwarding_missing(&t.group, grace_secs, trigger, at),
            false => canary_unwritable(t, trigger, at),
        })
        .collect()
}

/// The body both kinds share: where, how many, the first entries.
fn where_found(
    kind: Kind,
    cause: &str,
    g: &Group,
    trigger: &Trigger,
    at: &str,
) -> Map<String, Value> {
    let account = g.one_account().map(|e| e.account.as_str());
    let mut m = base(kind, Severity::Warning, account.unwrap_or("-"), trigger, at);
    m.insert(
        "alert_id".into(),
        json!(alert_id(trigger, kind, "-", Some(cause))),
    );
    m.insert("cause".into(), json!(cause));
    m.insert("account_regions".into(), json!(g.account_regions));
    m.insert("accounts".into(), json!(g.accounts));
    m.insert("by_ou".into(), json!(g.by_ou));
    m.insert("by_region".into(), json!(g.by_region));
    m.insert("entries".into(), json!(g.entries));
    m.insert(
        "more".into(),
        json!(g.account_regions.saturating_sub(g.entries.len())),
    );
    match g.one_account() {
        Some(e) => {
            m.insert("account_name".into(), json!(e.name));
            m.insert("ou_path".into(), json!(e.ou_path));
        }
        None => {
            m.insert("account".into(), Value::Null);
        }
    }
    if let Some(e) = g.one_slot() {
        m.insert("region".into(), json!(e.region));
    }
    m
}

/// `12 account-regions in 3 accounts`, `111122223333 eu-west-1`,
/// `111122223333 (4 regions)`: where, for a subject.
fn place(g: &Group) -> String {
    match (g.one_slot(), g.one_account()) {
        (Some(e), _) => format!("{} {}", e.account, subject_value(&e.region)),
        (None, Some(e)) => format!("{} ({} regions)", e.account, g.account_regions),
        (None, None) => format!(
            "{} account-regions in {} accounts",
            g.account_regions, g.accounts
        ),
    }
}

fn forwarding_missing(g: &Group, grace_secs: Option<u64>, trigger: &Trigger, at: &str) -> Alert {
    let kind = Kind::ForwardingMissing;
    let mut m = where_found(kind, NO_CANARY, g, trigger, at);
    if let Some(e) = g.one_slot() {
        m.insert("canary_written_at".into(), json!(e.detail));
    }
    m.insert("grace_seconds".into(), json!(grace_secs));
    let subject = format!(
        "runas-guard WARNING: no event arrives from {}: edits there are found only by sweeps",
        place(g)
    );
    let account = g.one_account().map_or("-", |e| e.account.as_str());
    Alert::new(kind, Severity::Warning, account, &subject, Value::Object(m))
}

fn canary_unwritable(t: &Told, trigger: &Trigger, at: &str) -> Alert {
    let kind = Kind::CanaryUnwritable;
    let g = &t.group;
    let code = match t.codes.keys().collect::<Vec<_>>().as_slice() {
        [only] => only.to_string(),
        _ => "several".to_string(),
    };
    let cause = format!("SSM refused the canary: {code}");
    let mut m = where_found(kind, &cause, g, trigger, at);
    m.insert(
        "document".into(),
        json!(crate::domain::trigger::DOCUMENT_NAME),
    );
    m.insert("error_code".into(), json!(code));
    m.insert("codes".into(), json!(t.codes));
    // AWS messages are short; an endpoint answering with a page is not.
    let error = g.entries.first().map_or("", |e| e.detail.as_str());
    m.insert(
        "error".into(),
        json!(crate::domain::trigger::bounded(error)),
    );
    let advice: Map<String, Value> = t
        .codes
        .keys()
        .map(|c| (c.clone(), json!(crate::domain::canary::what_to_do(c))))
        .collect();
    m.insert(
        "what_to_do".into(),
        match advice.len() {
            1 => advice
                .into_iter()
                .next()
                .map(|(_, v)| v)
                .unwrap_or_default(),
            _ => Value::Object(advice),
        },
    );
    let subject = format!(
        "runas-guard WARNING: canary not writable in {} ({})",
        place(g),
        subject_value(&code)
    );
    let account = g.one_account().map_or("-", |e| e.account.as_str());
    Alert::new(kind, Severity::Warning, account, &subject, Value::Object(m))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::canary::{Account, Cause, Finding, Findings};

    fn sweep() -> Trigger {
        Trigger {
            kind: crate::domain::trigger::TriggerKind::Sweep,
            account: None,
            region: None,
            actor: None,
            event_id: "sweep-1".into(),
            source: "aws.events".into(),
            event_name: None,
            reason: "scheduled".into(),
            context: Default::default(),
        }
    }

    /// Findings of `accounts` accounts (ids `0000000000NN`) in `regions`.
    fn found(accounts: usize, regions: &[&str], cause: Cause, detail: &str) -> Findings {
        let mut f = Findings::default();
        for i in 0..accounts {
            let id = format!("{i:012}");
            let found: Vec<Finding> = regions
                .iter()
                .map(|r| Finding {
                    region: r.to_string(),
                    cause: cause.clone(),
                    detail: detail.into(),
                    mark: crate::domain::canary::Mark::Missing {
                        token: "t".into(),
                        since_ms: 0,
                    },
                })
                .collect();
            let a = Account {
                id: &id,
                name: Some("payments"),
                ou_path: Some(if i % 2 == 0 { "Root/Prod" } else { "Root/Dev" }),
            };
            f.add(&a, &found);
        }
        f
    }

    fn alerts(f: &Findings) -> Vec<Alert> {
        canary_findings(&f.told(), Some(1800), &sweep(), "2026-11-23T06:00:00.000Z")
    }

    #[test]
    fn a_storm_of_one_cause_is_one_alert_with_counts_and_the_first_fifty() {
        let regions = ["us-east-1", "eu-west-1", "ap-south-1"];
        let all = alerts(&found(
            500,
            &regions,
            Cause::Missing,
            "2026-11-23T05:00:00.000Z",
        ));
        let [a] = all.as_slice() else {
            panic!("{all:#?}")
        };
        assert_eq!(
            (a.kind, a.severity),
            (Kind::ForwardingMissing, Severity::Warning)
        );
        assert_eq!(a.account, "-");
        let b = &a.body;
        assert_eq!(b["cause"], NO_CANARY);
        assert_eq!(
            (b["account_regions"].as_u64(), b["accounts"].as_u64()),
            (Some(1500), Some(500))
        );
        assert_eq!(b["by_ou"]["Root/Prod"], 750);
        assert_eq!(b["by_region"]["eu-west-1"], 500);
        assert_eq!(b["entries"].as_array().unwrap().len(), 50);
        assert_eq!(b["more"], 1450);
        assert_eq!((b["account"].as_str(), b["region"].as_str()), (None, None));
        assert_eq!(b["grace_seconds"], 1800);
        assert!(
            a.subject.contains("1500 account-regions in 500 accounts") && a.subject.len() < 100,
            "{}",
            a.subject
        );
        // One id per sweep and cause.
        assert_eq!(
            a.alert_id,
            alert_id(&sweep(), Kind::ForwardingMissing, "-", Some(NO_CANARY))
        );
    }

    #[test]
    fn one_account_region_reads_as_it_always_did() {
        let all = alerts(&found(
            1,
            &["eu-west-1"],
            Cause::Missing,
            "2026-11-23T05:00:00.000Z",
        ));
        let b = &all[0].body;
        assert_eq!(
            (b["account"].as_str(), b["region"].as_str()),
            (Some("000000000000"), Some("eu-west-1"))
        );
        assert_eq!(b["canary_written_at"], "2026-11-23T05:00:00.000Z");
        assert_eq!(
            (b["account_name"].as_str(), b["ou_path"].as_str()),
            (Some("payments"), Some("Root/Prod"))
        );
        assert!(
            all[0].subject.contains("from 000000000000 eu-west-1:"),
            "{}",
            all[0].subject
        );
        // One account, several regions: the account, no region.
        let all = alerts(&found(1, &["eu-west-1", "us-east-1"], Cause::Missing, "t"));
        let b = &all[0].body;
        assert_eq!(
            (b["account"].as_str(), b["region"].as_str()),
            (Some("000000000000"), None)
        );
        assert_eq!(all[0].account, "000000000000");
        assert!(
            all[0].subject.contains("000000000000 (2 regions)"),
            "{}",
            all[0].subject
        );
    }

    #[test]
    fn each_code_is_its_own_alert_naming_the_code_and_what_to_do() {
        let mut f = found(
            40,
            &["us-east-1", "eu-west-1"],
            Cause::Unwritable("AccessDenied".into()),
            "User is not authorized",
        );
        f.merge(found(
            1,
            &["eu-west-1"],
            Cause::Unwritable("TooManyTagsError".into()),
            "too many tags",
        ));
        let all = alerts(&f);
        let codes: Vec<(&str, u64)> = all
            .iter()
            .map(|a| {
                (
                    a.body["error_code"].as_str().unwrap(),
                    a.body["account_regions"].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(codes, [("AccessDenied", 80), ("TooManyTagsError", 1)]);
        assert!(all.iter().all(|a| a.kind == Kind::CanaryUnwritable));
        assert_ne!(all[0].alert_id, all[1].alert_id);
        let (storm, lone) = (&all[0].body, &all[1].body);
        assert!(storm["what_to_do"]
            .as_str()
            .unwrap()
            .contains("member stack"));
        assert_eq!(storm["error"], "User is not authorized");
        assert!(
            all[0]
                .subject
                .contains("80 account-regions in 40 accounts (AccessDenied)"),
            "{}",
            all[0].subject
        );
        assert!(lone["what_to_do"].as_str().unwrap().contains("50 tags"));
        assert_eq!(lone["region"], "eu-west-1");
        assert_eq!(lone["document"], "SSM-SessionManagerRunShell");
    }

    #[test]
    fn codes_told_together_each_say_what_to_do_and_hostile_ones_stay_inert() {
        let mut f = Findings::default();
        for i in 0..12 {
            let code = match i {
                0 => "X\nSubject: fake\u{202e}".to_string(),
                _ => format!("Code{i:02}"),
            };
            f.merge(found(1, &["us-east-1"], Cause::Unwritable(code), "m"));
        }
        let all = alerts(&f);
        assert_eq!(all.len(), crate::domain::canary::MAX_CAUSES);
        let last = &all.last().unwrap().body;
        assert_eq!(last["error_code"], "several");
        assert_eq!(last["codes"].as_object().unwrap().len(), 3);
        assert!(last["what_to_do"].is_object(), "{last:#}");
        for a in &all {
            assert!(
                !a.subject.contains('\n') && a.subject.is_ascii() && a.subject.len() < 100,
                "{}",
                a.subject
            );
        }
    }
}

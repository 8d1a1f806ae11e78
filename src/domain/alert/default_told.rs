//! The default a drift alert tells (pure): `drift_reverted`,
//! `tamper_repeated` and `drift_detected` say that the default version held
//! Run As out of policy, and which version that was. That version is a told
//! fact like a window's: the keep of the alert marks it on the ledger of
//! told facts (`fact_items::mark_update`), so a run that later reads the
//! same version as a window (its record behind the put-back's, or none
//! read) finds it told. Until 0.19.0 only windows were marked, and such a
//! run told the version again as a `run_as_window` (simulation seed
//! 900217: a put-back's record landed, the next edit's run could not read
//! it and read back to the bound).
//!
//! Marked only where AWS said when the version was made: a mark that does
//! not say it would stand for the same number of a document deleted and
//! made again.

use std::collections::BTreeMap;

use super::{Alert, Kind};
use crate::domain::window_claim::WindowClaim;

/// When each account-region's default was made, as its run read it
/// (`RegionOutcome::made_before`): `(account, slot)` to `CreatedDate`.
pub type Made = BTreeMap<(String, String), String>;

/// One default an alert told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefaultTold {
    pub account: String,
    pub slot: String,
    pub version: String,
    /// When AWS says the version was made.
    pub made: String,
    pub trigger_id: String,
    /// The editor the alert names (empty: none).
    pub actor: String,
    /// The span its alert told it the default: from its sessions' start
    /// to when the alert found it (`version_gap::Reach`).
    pub reach: Option<crate::domain::version_gap::Reach>,
}

/// The defaults `decided` tell, one per account-region and version: each
/// drift alert's `versions_before.default` where its Run As was out of
/// policy. Not a follow-up (it names an editor of a fact told already),
/// nor an edit that reached only the latest (`latest_only`: the default
/// was right), nor an alert of several regions. Nor a version the same
/// keep's window claims hold (`claims`): their keep marks that item, and
/// DynamoDB refuses a transaction that writes one item twice.
pub fn defaults_told(decided: &[Alert], made: &Made, claims: &[WindowClaim]) -> Vec<DefaultTold> {
    let mut out: Vec<DefaultTold> = Vec::new();
    for a in decided {
        let Some(told) = default_of(a, made) else {
            continue;
        };
        let same = |t: &DefaultTold| {
            (&t.account, &t.slot, &t.version) == (&told.account, &told.slot, &told.version)
        };
        let claimed = claims.iter().any(|c| {
            (&c.account, &c.slot) == (&told.account, &told.slot) && c.tokens.contains(&told.version)
        });
        if !claimed && !out.iter().any(same) {
            out.push(told);
        }
    }
    out
}

fn default_of(a: &Alert, made: &Made) -> Option<DefaultTold> {
    let drift = matches!(
        a.kind,
        Kind::DriftReverted | Kind::TamperRepeated | Kind::DriftDetected
    );
    let b = &a.body;
    let aside = |k: &str| b.get(k).is_some_and(|v| !v.is_null() && *v != false);
    if !drift || aside("follow_up_of") || aside("latest_only") || aside("regions") {
        return None;
    }
    let text = |v: &serde_json::Value| v.as_str().filter(|s| !s.is_empty()).map(str::to_string);
    let region = text(&b["region"])?;
    let version = text(&b["versions_before"]["default"])?;
    let slot = crate::domain::outcome::slot(&region, b["document"].as_str());
    let made = made.get(&(a.account.clone(), slot.clone()))?.clone();
    Some(DefaultTold {
        account: a.account.clone(),
        slot,
        version,
        made,
        trigger_id: text(&b["trigger_id"])?,
        actor: text(&b["actor"]).unwrap_or_default(),
        reach: crate::domain::version_gap::Reach::of(b["sessions_from"].as_str(), b["at"].as_str()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::alert::Severity;
    use serde_json::{json, Value};

    const MADE: &str = "2026-11-28T10:00:00Z";

    fn alert(kind: Kind, body: Value) -> Alert {
        Alert {
            alert_id: "a".into(),
            kind,
            severity: Severity::Warning,
            account: "111122223333".into(),
            subject: String::new(),
            body,
        }
    }

    fn drift(extra: Value) -> Value {
        let mut b = json!({
            "region": "eu-west-1",
            "document": "SSM-SessionManagerRunShell",
            "versions_before": {"default": "4", "latest": "4"},
            "trigger_id": "eb-1",
            "actor": "arn:aws:iam::111122223333:role/Admin",
            "at": "1970-01-01T00:00:02.500Z",
            "sessions_from": "1970-01-01T00:00:01Z",
        });
        for (k, v) in extra.as_object().unwrap() {
            b[k] = v.clone();
        }
        b
    }

    fn made() -> Made {
        let mut m = Made::new();
        m.insert(("111122223333".into(), "eu-west-1".into()), MADE.into());
        let named = "eu-west-1#DOCUMENT#SSMRunAs-Admin";
        m.insert(("111122223333".into(), named.into()), MADE.into());
        m
    }

    /// Which alerts mark their default told, and as what.
    #[test]
    fn a_drift_alert_marks_the_default_it_tells() {
        type Case = (Kind, Value, Option<(&'static str, &'static str)>);
        let cases: Vec<Case> = vec![
            (
                Kind::DriftReverted,
                drift(json!({})),
                Some(("eu-west-1", "4")),
            ),
            (
                Kind::TamperRepeated,
                drift(json!({})),
                Some(("eu-west-1", "4")),
            ),
            (
                Kind::DriftDetected,
                drift(json!({})),
                Some(("eu-west-1", "4")),
            ),
            (
                Kind::DriftReverted,
                drift(json!({"document": "SSMRunAs-Admin"})),
                Some(("eu-west-1#DOCUMENT#SSMRunAs-Admin", "4")),
            ),
            // Not a drift: a window's alert marks its own versions.
            (Kind::RunAsWindow, drift(json!({})), None),
            (Kind::RemediationFailed, drift(json!({})), None),
            // A follow-up names an editor; the default was right; several regions.
            (
                Kind::DriftReverted,
                drift(json!({"follow_up_of": {"trigger_id": "x"}})),
                None,
            ),
            (
                Kind::DriftReverted,
                drift(json!({"latest_only": true})),
                None,
            ),
            (Kind::DriftDetected, drift(json!({"regions": []})), None),
            // Explicitly not: still a mark.
            (
                Kind::DriftReverted,
                drift(json!({"latest_only": false, "follow_up_of": null})),
                Some(("eu-west-1", "4")),
            ),
            // Hostile: no version, an empty one, a number, no region.
            (
                Kind::DriftReverted,
                drift(json!({"versions_before": null})),
                None,
            ),
            (
                Kind::DriftReverted,
                drift(json!({"versions_before": {"default": ""}})),
                None,
            ),
            (
                Kind::DriftReverted,
                drift(json!({"versions_before": {"default": 4}})),
                None,
            ),
            (Kind::DriftReverted, drift(json!({"region": null})), None),
            // Made unknown there: not marked.
            (
                Kind::DriftReverted,
                drift(json!({"region": "us-east-1"})),
                None,
            ),
        ];
        for (kind, body, want) in cases {
            let got = defaults_told(&[alert(kind, body.clone())], &made(), &[]);
            let got: Vec<(String, String)> = got.into_iter().map(|t| (t.slot, t.version)).collect();
            let want: Vec<(String, String)> = want
                .into_iter()
                .map(|(s, v)| (s.to_string(), v.to_string()))
                .collect();
            assert_eq!(got, want, "{kind:?} {body}");
        }
    }

    /// One mark per version, with the editor and the trigger that told it.
    #[test]
    fn a_default_is_marked_once() {
        let a = alert(Kind::DriftReverted, drift(json!({})));
        let b = alert(Kind::TamperRepeated, drift(json!({"trigger_id": "eb-2"})));
        let got = defaults_told(&[a.clone(), b], &made(), &[]);
        assert_eq!(
            got,
            vec![DefaultTold {
                account: "111122223333".into(),
                slot: "eu-west-1".into(),
                version: "4".into(),
                made: MADE.into(),
                trigger_id: "eb-1".into(),
                actor: "arn:aws:iam::111122223333:role/Admin".into(),
                reach: Some(crate::domain::version_gap::Reach {
                    opened: 1_000,
                    through: 2_500,
                }),
            }]
        );
        // An alert whose times do not read says no span: its mark never
        // tells a switch's window.
        for odd in [json!({"at": "soon"}), json!({"sessions_from": null})] {
            let got = defaults_told(&[alert(Kind::DriftReverted, drift(odd))], &made(), &[]);
            assert_eq!(got[0].reach, None);
        }
        // A claim of the same keep holds it (another slot's does not).
        let claim = |slot: &str, token: &str| WindowClaim {
            account: "111122223333".into(),
            slot: slot.into(),
            tokens: vec!["2".into(), token.into()],
            reach: Default::default(),
            trigger_id: "eb-1".into(),
            unwritten: None,
        };
        let cases = [
            (claim("eu-west-1", "4"), 0),
            (claim("eu-west-1", "4 default from 2026-11-28T10:00:00Z"), 1),
            (claim("us-east-1", "4"), 1),
        ];
        for (c, want) in cases {
            let got = defaults_told(std::slice::from_ref(&a), &made(), std::slice::from_ref(&c));
            assert_eq!(got.len(), want, "{c:?}");
        }
    }
}

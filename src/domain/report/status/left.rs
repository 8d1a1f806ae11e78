//! Accounts that left governance, under the `status` table: when, how and
//! why, and what runas-guard left in place there (pure). They stay listed
//! until the account is governed again.

use crate::domain::governance::Departure;

/// Two lines per departure: what happened, and what stays.
pub fn render_departures(departures: &[Departure]) -> String {
    let mut out = String::new();
    for d in departures {
        let name = d
            .name
            .as_deref()
            .map(|n| format!(" ({n})"))
            .unwrap_or_default();
        out.push_str(&format!(
            "left governance {}{name} at {}: {} (found by {})\n",
            d.account,
            d.at,
            d.describe(),
            d.found_by
        ));
        let l = &d.left_in_place;
        let mut stays: Vec<String> = l
            .documents
            .iter()
            .map(|doc| format!("{} {} {}", doc.document, doc.region, doc.run_as))
            .collect();
        stays.extend(
            l.check_associations
                .iter()
                .map(|a| format!("check association {} ({})", a.association_id, a.region)),
        );
        stays.extend(l.canary_tags.iter().map(|r| format!("canary tag ({r})")));
        if l.more > 0 {
            stays.push(format!("{} more", l.more));
        }
        if stays.is_empty() {
            stays.push("nothing runas-guard recorded".into());
        }
        out.push_str(&format!("  left in place: {}\n", stays.join(", ")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::governance::{Cause, LeftAssociation, LeftDocument, LeftInPlace, Reason};

    #[test]
    fn says_when_how_why_and_what_stays() {
        let d = Departure {
            account: "111122223333".into(),
            name: Some("payments".into()),
            reason: Reason::OutOfScope,
            cause: Cause::Moved,
            found_by: "sweep".into(),
            trigger_id: "s-1".into(),
            at: "2026-11-22T05:00:00Z".into(),
            from_path: Some("Root/Prod".into()),
            to_path: Some("Root/Sandbox".into()),
            from_ou: None,
            to_ou: None,
            exempt_ou: None,
            actor: None,
            left_in_place: LeftInPlace {
                documents: vec![LeftDocument {
                    region: "eu-west-1".into(),
                    document: "SSM-SessionManagerRunShell".into(),
                    run_as: "on/ops".into(),
                }],
                check_associations: vec![LeftAssociation {
                    region: "eu-west-1".into(),
                    association_id: "a-1".into(),
                }],
                canary_tags: vec![],
                more: 2,
                note: String::new(),
            },
        };
        let text = render_departures(&[d]);
        assert_eq!(
            text,
            "left governance 111122223333 (payments) at 2026-11-22T05:00:00Z: moved from Root/Prod to Root/Sandbox: outside the policy's [scope] (found by sweep)\n  \
             left in place: SSM-SessionManagerRunShell eu-west-1 on/ops, check association a-1 (eu-west-1), 2 more\n"
        );
        assert_eq!(render_departures(&[]), "");
    }
}

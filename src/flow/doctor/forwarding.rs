//! `doctor --account`: what the forwarding canary last said of each of the
//! account's regions (recorded by sweeps and arrivals; doctor writes
//! nothing and sends no canary itself).

use super::List;
use crate::domain::rows::StateRow;

pub(super) fn canary(rows: &[StateRow], member: &mut List) {
    for r in rows
        .iter()
        .filter(|r| r.document == crate::domain::trigger::DOCUMENT_NAME)
    {
        let Some(c) = &r.canary else { continue };
        let item = format!("forwarding {}", r.region);
        if let Some(since) = &c.missing_since {
            member.fail(
                &item,
                format!("no forwarding canary has arrived since one written {since}: edits in {} reach runas-guard only through sweeps", r.region),
                format!("in this account and region, the rule runas-guard-document-changed must exist, be ENABLED and target the hub bus, and its role RunAsGuardForwarder-{} must be allowed events:PutEvents on the hub bus (`aws events describe-rule --name runas-guard-document-changed --region {}`); the member StackSet's instance in {} redeploys them", r.region, r.region, r.region),
            );
        } else if let Some(code) = &c.error_code {
            member.warn(
                &item,
                format!("the last canary could not be written: {code}"),
                crate::domain::canary::what_to_do(code),
            );
        } else if let Some(ms) = c.arrived_after_ms {
            member.pass(
                &item,
                format!(
                    "the canary written {} arrived {:.1}s later",
                    c.written_at.as_deref().unwrap_or("-"),
                    ms as f64 / 1000.0
                ),
            );
        } else {
            member.skip(
                &item,
                format!(
                    "a canary written {} has not arrived yet (the next sweep decides whether it is missing)",
                    c.written_at.as_deref().unwrap_or("-")
                ),
            );
        }
    }
}

//! `[security_hub] findings`: the account-regions the sweeps found without
//! Security Hub CSPM enabled (the ASFF service findings are imported into;
//! AWS's name for it since December 2025), read from the table (what the rows keep of the
//! findings sent), so doctor names them without any permission in the
//! member accounts.

use super::errors::said;
use super::{Given, List};
use crate::adapters::aws::dynamodb::Table;
use crate::adapters::aws::security_hub::FindingsHub;
use crate::adapters::aws::sts::MemberSession;
use crate::adapters::store::state::StateStore;
use crate::domain::policy::Policy;
use crate::domain::security_hub;

const ITEM: &str = "security hub cspm";
/// Named in the line; the rest counted.
const NAMED: usize = 10;

pub(super) async fn hub_off(g: &Given<'_>, hub: &mut List) {
    let Some(policy) = g.policy else {
        return hub.skip(ITEM, "no policy loaded");
    };
    if !policy.security_hub_findings {
        return hub.skip(ITEM, "[security_hub] findings is off");
    }
    let Some(table) = g.inputs.table.as_deref() else {
        return hub.skip(
            ITEM,
            "RUNAS_GUARD_TABLE is not set: the table says where findings wait",
        );
    };
    let rows = match StateStore::new(Table::new(g.config, table))
        .snapshot()
        .await
    {
        Ok(rows) => rows,
        Err(e) => {
            let fix = "give these credentials dynamodb:Query on the table's state index";
            return hub.fail(ITEM, format!("cannot read the table: {}", said(&e)), fix);
        }
    };
    let off = security_hub::hub_off(
        rows.iter()
            .map(|(a, slot, k)| (a, slot, k.hub_findings.as_deref())),
    );
    if off.is_empty() {
        return hub.pass(
            ITEM,
            "no governed account-region was found without Security Hub CSPM (as of the last runs; `doctor --account ID` asks Security Hub itself)",
        );
    }
    let more = off.len().saturating_sub(NAMED);
    let named = off
        .iter()
        .take(NAMED)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    let rest = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    hub.warn(
        ITEM,
        format!("the last runs found Security Hub CSPM not enabled in {} account-region(s): {named}{rest}; their findings wait (`doctor --account ID` asks Security Hub itself)", off.len()),
        "enable Security Hub CSPM there (or through its organization configuration): the next run there sends what waited",
    );
}

/// `doctor --account`: Security Hub CSPM asked in each governed region
/// through the member session (the read its sweeps make), so the line says
/// what the hub answers now, not what the table remembers.
pub(super) async fn member(policy: &Policy, session: &MemberSession, out: &mut List) {
    if !policy.security_hub_findings {
        return out.skip(ITEM, "[security_hub] findings is off");
    }
    let (mut on, mut off, mut unread) = (vec![], vec![], vec![]);
    for region in &policy.regions {
        let hub = FindingsHub::new(session.security_hub(region), &session.account, region);
        match hub.enabled().await {
            Ok(true) => on.push(region.as_str()),
            Ok(false) => off.push(region.as_str()),
            Err(e) => unread.push(format!("{region} ({})", e.code)),
        }
    }
    if !unread.is_empty() {
        let fix = "the member session needs securityhub:GetFindings (the member stack of this release grants it; the operator's seat does not read Security Hub): run doctor --account with credentials that can assume the member role";
        return out.warn(
            ITEM,
            format!("cannot ask Security Hub CSPM in {}", unread.join(", ")),
            fix,
        );
    }
    if off.is_empty() {
        return out.pass(ITEM, format!("enabled in {}", on.join(", ")));
    }
    out.warn(
        ITEM,
        format!("not enabled in {} (enabled in {}): findings there wait", off.join(", "), if on.is_empty() { "none".to_string() } else { on.join(", ") }),
        "enable Security Hub CSPM there (or through its organization configuration): the next run there sends what waited",
    );
}

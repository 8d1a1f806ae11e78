//! The lines under the `status` table: what a row's cells cannot say
//! (why a row waits or is held, the forwarding canary's paths).

use super::super::place;
use crate::domain::rows::StateRow;

/// Under the table: a new account's rows waiting for its member stack
/// (since when, for what), and `enforce-when-ready` rows the check's
/// verdict keeps in audit (why).
pub(super) fn notes(rows: &[&StateRow]) -> String {
    let mut out = String::new();
    for r in rows.iter().filter(|r| r.status == "pending") {
        out.push_str(&format!(
            "pending {} {}: {}\n",
            r.account,
            place(&r.region, Some(&r.document)),
            r.last_error
                .as_deref()
                .unwrap_or("awaiting the member stack")
        ));
    }
    for r in rows {
        if let Some(held) = &r.held {
            let since = r
                .held_since
                .as_deref()
                .map(|s| format!(" (since {s})"))
                .unwrap_or_default();
            let told = r
                .held_told_at
                .as_deref()
                .map(|t| format!("; told {t} (enforcement_held)"))
                .unwrap_or_default();
            out.push_str(&format!(
                "held {} {}{since}: {held}{told}\n",
                r.account,
                place(&r.region, Some(&r.document))
            ));
        }
    }
    out.push_str(&canary_notes(rows));
    out
}

/// `[forwarding_canary]`: one line for the whole table, then one per
/// account-region whose event path is broken or whose canary could not be
/// written.
fn canary_notes(rows: &[&StateRow]) -> String {
    use crate::domain::rows::CanaryState;
    let canaries: Vec<(&StateRow, &CanaryState)> = rows
        .iter()
        .filter_map(|r| r.canary.as_ref().map(|c| (*r, c)))
        .collect();
    if canaries.is_empty() {
        return String::new();
    }
    // A broken path stays missing while its re-probe is in flight.
    let class = |c: &CanaryState| match (c.arrived_after_ms, &c.missing_since, &c.written_at) {
        (Some(_), _, _) => 0,
        (None, Some(_), _) => 2,
        (None, None, Some(_)) => 1,
        (None, None, None) => 3,
    };
    let mut counts = [0usize; 4];
    for (_, c) in &canaries {
        counts[class(c)] += 1;
    }
    let slowest = canaries
        .iter()
        .filter_map(|(_, c)| c.arrived_after_ms)
        .max()
        .map_or(String::new(), |ms| {
            format!(" (slowest {:.1}s)", ms as f64 / 1000.0)
        });
    let mut out = format!(
        "forwarding canary: {} arrived{slowest}, {} awaiting, {} MISSING, {} not written\n",
        counts[0], counts[1], counts[2], counts[3]
    );
    for (r, c) in &canaries {
        if let (2, Some(since)) = (class(c), &c.missing_since) {
            out.push_str(&format!(
                "forwarding MISSING {} {}: no canary has arrived since one written {since}; edits there reach runas-guard only through sweeps\n",
                r.account, r.region
            ));
        }
        if let Some(code) = &c.error_code {
            out.push_str(&format!(
                "forwarding canary not written {} {}: {code} ({})\n",
                r.account,
                r.region,
                crate::domain::canary::what_to_do(code)
            ));
        }
    }
    out
}

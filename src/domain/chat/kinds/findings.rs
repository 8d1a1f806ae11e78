//! Alerts that stand for many account-regions, for chat: the forwarding
//! canary's findings of a sweep (one alert per cause: where, how many per
//! OU and region, the first entries) and an account's audit findings (one
//! alert per account, each region's finding). Every value an editor, an
//! endpoint or the organization chooses goes through `code`; what to do is
//! runas-guard's own text for the code, never the body's.

use serde_json::Value;

use super::super::{account_line, code, console_link, more_line, text};

/// `Root/Prod` `12`, ...: a count per key, in code spans.
fn counts(b: &Value) -> String {
    b.as_object()
        .into_iter()
        .flatten()
        .map(|(k, n)| format!("{} {}", code(k), code(&text(n))))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Where one cause was found: the account (one), the account-regions
/// counted per OU and region, and the first of them.
fn where_found(b: &Value, lines: &mut Vec<String>) {
    if b["account"].is_string() {
        lines.push(account_line(b));
    }
    lines.push(format!(
        "*Account-regions:* {} in {} accounts",
        code(&text(&b["account_regions"])),
        code(&text(&b["accounts"]))
    ));
    lines.push(format!("*Per OU:* {}", counts(&b["by_ou"])));
    lines.extend(more_line(b, "by_ou"));
    lines.push(format!("*Per region:* {}", counts(&b["by_region"])));
    for e in b["entries"].as_array().into_iter().flatten() {
        lines.push(format!(
            "• {} {} {}",
            code(&text(&e["account"])),
            code(&text(&e["region"])),
            code(&text(&e["detail"]))
        ));
    }
    if b["more"].as_u64().unwrap_or(0) > 0 {
        lines.push(format!(
            "…and {} more in `runas-guard status`",
            code(&text(&b["more"]))
        ));
    }
}

/// Canaries that did not arrive: why it matters, and where.
pub(in crate::domain::chat) fn missing_canary_description(b: &Value) -> String {
    let mut lines = vec![format!(
        "*Cause:* {} within {} seconds: edits there are found only by sweeps",
        code(&text(&b["cause"])),
        code(&text(&b["grace_seconds"]))
    )];
    where_found(b, &mut lines);
    lines.join("\n")
}

/// Canaries SSM refused: the code (or codes), what to do for each, where.
pub(in crate::domain::chat) fn canary_description(b: &Value) -> String {
    let mut lines = vec![];
    if let Some(region) = b["region"].as_str() {
        lines.push(format!(
            "*Document:* {}",
            console_link(region, crate::domain::trigger::DOCUMENT_NAME)
        ));
    }
    lines.push(format!(
        "*Refused:* {} {}",
        code(&text(&b["error_code"])),
        code(&text(&b["error"]))
    ));
    let codes: Vec<&String> = b["codes"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(c, _)| c)
        .collect();
    for c in &codes {
        let advice = crate::domain::canary::what_to_do(c);
        match codes.len() {
            1 => lines.push(format!("*What to do:* {advice}")),
            _ => lines.push(format!("*What to do for* {}: {advice}", code(c))),
        }
    }
    where_found(b, &mut lines);
    lines.join("\n")
}

/// An account's audit findings of one run: each region's document, what
/// it held and the user wanted.
pub(in crate::domain::chat) fn findings_description(b: &Value) -> String {
    let mut lines = vec![
        account_line(b),
        format!(
            "*Found:* {} documents wrong (audit: nothing changed)",
            code(&text(&b["findings"]))
        ),
    ];
    for f in b["regions"].as_array().into_iter().flatten() {
        let before = match &f["before"] {
            Value::Null => "no document".to_string(),
            v => super::super::run_as(v),
        };
        lines.push(format!(
            "• {} {}: {} → want {}",
            code(&text(&f["region"])),
            code(&text(&f["document"])),
            code(&before),
            code(&text(&f["desired_user"]))
        ));
    }
    lines.extend(more_line(b, "regions"));
    lines.push(format!("*Actor:* {}", code(&text(&b["actor"]))));
    lines.join("\n")
}

//! Descriptions of the alerts whose body is not one account-region's
//! before and after: a sweep's summary, nodes without the Run As user, a
//! session document that skips Run As, Identity Center's mapping changed,
//! policy ids the organization lacks, a refused policy. Every editor- or
//! event-chosen value goes through `code` (inert in chat).

use super::{code, console_link, more_line, text};

mod findings;
mod window;

pub(super) use findings::{canary_description, findings_description, missing_canary_description};
pub(super) use window::{session_lines, window_description};

/// A sweep's summary: what was checked and each account-region it lists.
pub(super) fn summary_description(b: &serde_json::Value) -> String {
    let mut lines = vec![];
    lines.push(format!(
        "*Checked:* {} account-regions in {} accounts",
        code(&text(&b["account_regions"])),
        code(&text(&b["accounts"]))
    ));
    lines.push(format!("*Counts:* {}", code(&b["counts"].to_string())));
    for e in b["entries"].as_array().into_iter().flatten() {
        let place = match e["document"].as_str() {
            Some(d) => format!("{} {}", code(&text(&e["region"])), code(d)),
            None => code(&text(&e["region"])),
        };
        lines.push(format!(
            "• {} {} {}: {} → {}{}",
            code(&text(&e["account"])),
            place,
            code(&text(&e["action"])),
            code(&text(&e["before"])),
            code(&text(&e["after"])),
            e["error_code"]
                .as_str()
                .map(|c| format!(" ({})", code(c)))
                .unwrap_or_default()
        ));
    }
    if b["more"].as_u64().unwrap_or(0) > 0 {
        lines.push(format!(
            "…and {} more in `runas-guard status`",
            code(&b["more"].to_string())
        ));
    }
    lines.join("\n")
}

/// What a policy change reached: counts per change and per OU, and the
/// first account-regions.
pub(super) fn policy_description(b: &serde_json::Value) -> String {
    let counts = |k: &str| {
        b[k].as_object()
            .into_iter()
            .flatten()
            .map(|(what, n)| format!("{} {}", code(what), code(&text(n))))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut lines = vec![
        format!(
            "*Reached:* {} account-regions ({} documents and associations, {} written)",
            code(&text(&b["account_regions"])),
            code(&text(&b["rows"])),
            code(&text(&b["written"]))
        ),
        format!("*Changes:* {}", counts("changes")),
        format!("*Per OU:* {}", counts("by_ou")),
    ];
    for e in b["entries"].as_array().into_iter().flatten() {
        lines.push(format!(
            "• {} {} {}: {}",
            code(&text(&e["account"])),
            code(&text(&e["region"])),
            code(&text(&e["action"])),
            code(&text(&e["change"]))
        ));
    }
    if b["more"].as_u64().unwrap_or(0) > 0 {
        lines.push(format!(
            "…and {} more in `runas-guard status`",
            code(&b["more"].to_string())
        ));
    }
    lines.join("\n")
}

/// A degraded sweep: what it saw, what it expected, the last sweep's count.
pub(super) fn degraded_description(b: &serde_json::Value) -> String {
    let mut lines = vec![format!("*Seen:* {}", code(&text(&b["said"])))];
    lines.push(format!(
        "*Governed:* {} of {} accounts walked; {} expected; {} unreadable",
        code(&text(&b["governed"])),
        code(&text(&b["accounts"])),
        code(&text(&b["expected"])),
        code(&text(&b["unreadable"]))
    ));
    if !b["last_governed"].is_null() {
        lines.push(format!(
            "*Last sweep:* {} governed at {}",
            code(&text(&b["last_governed"])),
            code(&text(&b["last_at"]))
        ));
    }
    if b["departed"].as_u64().unwrap_or(0) > 0 {
        lines.push(format!(
            "*Left governance since:* {} accounts (exempt or out of scope now)",
            code(&text(&b["departed"]))
        ));
    }
    lines.join("\n")
}

/// A session document that skips Run As: which versions, on what, by whom.
pub(super) fn bypass_description(b: &serde_json::Value) -> String {
    let region = text(&b["region"]);
    let mut lines = vec![
        super::account_line(b),
        format!(
            "*Document:* {}",
            console_link(&region, &text(&b["document"]))
        ),
    ];
    for e in b["elevated"].as_array().into_iter().flatten() {
        let platforms: Vec<String> = e["platforms"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| code(&text(p)))
            .collect();
        let user = e["runs_as"].as_str().unwrap_or("root");
        lines.push(format!(
            "version {} ({}) runs as {} on {}",
            code(&text(&e["version"])),
            code(&text(&e["which"])),
            code(user),
            platforms.join(", ")
        ));
    }
    lines.extend(more_line(b, "elevated"));
    lines.push(format!("*Actor:* {}", code(&text(&b["actor"]))));
    if !b["source_ip"].is_null() {
        lines.push(format!("*Source IP:* {}", code(&text(&b["source_ip"]))));
    }
    lines.join("\n")
}

/// Nodes without the Run As user: per region, how many and which.
pub(super) fn missing_description(b: &serde_json::Value) -> String {
    let mut lines = vec![
        super::account_line(b),
        format!("*User:* {}", code(&text(&b["user"]))),
    ];
    if let Some(said) = b["sessions"].as_str() {
        lines.push(format!(
            "*Sessions:* {}",
            super::inert(said, super::VALUE_MAX)
        ));
    }
    for r in b["regions"].as_array().into_iter().flatten() {
        let region = text(&r["region"]);
        let nodes: Vec<String> = r["missing_nodes"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|n| code(&text(n)))
            .collect();
        lines.push(format!(
            "{}: missing on {} of {} nodes {}{}",
            association_link(&region, &text(&r["association_id"])),
            code(&text(&r["nodes_missing"])),
            code(&text(&r["nodes_checked"])),
            nodes.join(" "),
            refusal_words(r)
        ));
    }
    lines.extend(more_line(b, "regions"));
    lines.push(format!("*Actor:* {}", code(&text(&b["actor"]))));
    lines.join("\n")
}

/// ` — refused`, or ` — would be refused (mode `audit`, held)`: whether the
/// region's sessions are refused now (absent from alerts made before it
/// was said).
fn refusal_words(r: &serde_json::Value) -> String {
    match r["sessions_refused"].as_bool() {
        Some(true) => " — *refused*".into(),
        Some(false) => format!(
            " — would be refused (mode {}{})",
            code(&text(&r["mode"])),
            if r["held"].is_string() { ", held" } else { "" }
        ),
        None => String::new(),
    }
}

/// The association's console page, built only from what AWS allows in a
/// region and an association id; anything else is shown as text.
fn association_link(region: &str, id: &str) -> String {
    let safe = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if !safe(region) || !safe(id) {
        return format!("{} in {}", code(id), code(region));
    }
    format!(
        "<{}|{region}>",
        crate::domain::alert::association_link(region, id)
    )
}

/// Identity Center's mapping: each key that differs, declared and found.
pub(super) fn identity_center_description(b: &serde_json::Value) -> String {
    let mut lines = vec![
        super::account_line(b),
        format!(
            "*Instance:* {} in {}",
            code(&text(&b["instance"])),
            code(&text(&b["region"]))
        ),
    ];
    for c in b["changes"].as_array().into_iter().flatten() {
        let or_none = |v: &serde_json::Value| {
            if v.is_null() {
                "(none)".to_string()
            } else {
                text(v)
            }
        };
        lines.push(format!(
            "{}: declared {}, found {}",
            code(&text(&c["key"])),
            code(&or_none(&c["declared"])),
            code(&or_none(&c["found"]))
        ));
    }
    lines.extend(more_line(b, "changes"));
    lines.push(format!("*Action:* {}", code(&text(&b["action"]))));
    lines.push(format!("*Actor:* {}", code(&text(&b["actor"]))));
    lines.join("\n")
}

/// An `enforce-when-ready` hold told: per document, since when, the
/// verdict, and the nodes that keep Run As off with their reasons.
pub(super) fn held_description(b: &serde_json::Value) -> String {
    let mut lines = vec![
        super::account_line(b),
        format!("*Actor:* {}", code(&text(&b["actor"]))),
        format!(
            "*Held longer than:* {}",
            code(&text(&b["held_alert_after"]))
        ),
    ];
    for h in b["held"].as_array().into_iter().flatten() {
        let region = text(&h["region"]);
        let place = match h["association_id"].as_str() {
            Some(id) => association_link(&region, id),
            None => code(&region),
        };
        lines.push(format!(
            "{} {} since {} ({}): {}",
            place,
            code(&text(&h["document"])),
            code(&text(&h["held_since"])),
            code(&text(&h["held_for"])),
            code(&text(&h["verdict_text"]))
        ));
        for n in h["blocking_nodes"].as_array().into_iter().flatten() {
            lines.push(format!(
                "• {} {}",
                code(&text(&n["node"])),
                code(&text(&n["reason"]))
            ));
        }
        if h["blocking_more"].as_u64().unwrap_or(0) > 0 {
            lines.push(format!(
                "…and {} more nodes",
                code(&text(&h["blocking_more"]))
            ));
        }
    }
    lines.join("\n")
}

/// Ids chat names of those the policy has and the organization lacks.
const IDS_SHOWN: usize = 20;

/// Policy ids the organization does not have: how many, and the first.
pub(super) fn ids_unknown_description(b: &serde_json::Value) -> String {
    let listed = b["unknown_ids"].as_array().cloned().unwrap_or_default();
    let total = listed.len() as u64 + b["unknown_ids_more"].as_u64().unwrap_or(0);
    let mut lines = vec![format!(
        "*Ids the organization does not have:* {}",
        code(&total.to_string())
    )];
    for u in listed.iter().take(IDS_SHOWN) {
        lines.push(format!(
            "{} = {}",
            code(&text(&u["key"])),
            code(&text(&u["id"]))
        ));
    }
    let shown = listed.len().min(IDS_SHOWN) as u64;
    if total > shown {
        lines.push(format!("…and {} more", code(&(total - shown).to_string())));
    }
    lines.join("\n")
}

/// An account that left governance (or a policy change's accounts): how,
/// why, who, and what stays.
pub(super) fn left_description(b: &serde_json::Value) -> String {
    let mut lines = vec![format!("*Actor:* {}", code(&text(&b["actor"])))];
    match b["accounts"].as_array() {
        Some(accounts) => {
            lines.push(format!(
                "*Accounts:* {} left governance by a policy change",
                code(&text(&b["accounts_left"]))
            ));
            for a in accounts {
                lines.push(format!(
                    "• {} {} {}",
                    code(&text(&a["account"])),
                    code(&text(&a["ou_path"])),
                    code(&text(&a["reason"]))
                ));
            }
            if b["more"].as_u64().unwrap_or(0) > 0 {
                lines.push(format!("…and {} more", code(&text(&b["more"]))));
            }
        }
        None => {
            lines.push(super::account_line(b));
            lines.push(format!("*What:* {}", code(&text(&b["why"]))));
        }
    }
    let stays = match &b["left_in_place"] {
        serde_json::Value::String(s) => s.clone(),
        other => text(&other["note"]),
    };
    lines.push(format!("*Left in place:* {}", code(&stays)));
    lines.join("\n")
}

/// A new policy refused: which object and version, and why.
pub(super) fn rejected_description(b: &serde_json::Value) -> String {
    format!(
        "*Policy:* {} (version {})\n*Error:* {}",
        code(&text(&b["source"])),
        code(&text(&b["version"])),
        code(&text(&b["error"]))
    )
}

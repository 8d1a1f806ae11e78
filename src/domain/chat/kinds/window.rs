//! `run_as_window`: the versions that held Run As out of policy between
//! two runs, each with when it was made and replaced.

use crate::domain::chat::{code, console_link, document, run_as, text};

pub(in crate::domain::chat) fn window_description(b: &serde_json::Value) -> String {
    let mut lines = vec![crate::domain::chat::account_line(b)];
    lines.push(format!("*Region:* {}", code(&text(&b["region"]))));
    for w in b["windows"].as_array().into_iter().flatten() {
        let until = match w["until_known"].is_string() {
            true => format!("until {}", code(&text(&w["until_known"]))),
            false => format!("until at most {}", code(&text(&w["until_at_most"]))),
        };
        lines.push(format!(
            "• version {} held {} from {} {until}",
            code(&text(&w["version"])),
            code(&run_as(&w["run_as"])),
            code(&text(&w["from"])),
        ));
    }
    let u = &b["unjudged"];
    if let Some(versions) = u["versions"].as_array().filter(|v| !v.is_empty()) {
        let versions: Vec<String> = versions.iter().map(text).collect();
        lines.push(format!(
            "• version {} could not be read ({} {}): not judged, up to {}",
            code(&versions.join(", ")),
            code(&text(&u["operation"])),
            code(&text(&u["error_code"])),
            code(&text(&u["until_at_most"]))
        ));
    }
    if let Some(former) = b["recreated"]["recorded_version"].as_str() {
        lines.push(format!(
            "• the document was deleted and made again (runas-guard had recorded version {})",
            code(former)
        ));
    }
    if b["versions_unread"].as_u64().unwrap_or(0) > 0 {
        lines.push(format!(
            "…and {} versions not read",
            code(&text(&b["versions_unread"]))
        ));
    }
    lines.push(format!("*Last edit by:* {}", code(&text(&b["actor"]))));
    lines.extend(session_lines(b));
    if let Some(region) = b["region"].as_str() {
        lines.push(format!("*Document:* {}", console_link(region, document(b))));
    }
    lines.join("\n")
}

/// Sessions listed in chat at most; the message body lists them all.
const CHAT_SESSIONS: usize = 5;

/// The sessions started in a told window (`sessions`): who, on which node,
/// when; or that they could not be read. Nothing when the alert lists none.
pub(in crate::domain::chat) fn session_lines(b: &serde_json::Value) -> Vec<String> {
    if !b["sessions_unread"].is_null() {
        let code_ = code(&text(&b["sessions_unread"]));
        return vec![format!("*Sessions then:* could not be read ({code_})")];
    }
    let Some(listed) = b["sessions"].as_array() else {
        return vec![];
    };
    let total = listed.len() + b["sessions_more"].as_u64().unwrap_or(0) as usize;
    let or_more = if b["sessions_truncated"] == true {
        " or more"
    } else {
        ""
    };
    let mut lines = vec![format!("*Sessions started then:* {total}{or_more}")];
    for s in listed.iter().take(CHAT_SESSIONS) {
        lines.push(format!(
            "• {} by {} on {}",
            code(&text(&s["started"])),
            code(&text(&s["owner"])),
            code(&text(&s["target"]))
        ));
    }
    let rest = total.saturating_sub(CHAT_SESSIONS.min(listed.len()));
    if rest > 0 {
        lines.push(format!("…and {rest} more (in the message)"));
    }
    lines
}

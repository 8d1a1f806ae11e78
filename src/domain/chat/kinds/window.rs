//! `run_as_window`: the versions that held Run As out of policy between
//! two runs, each with when it was made and replaced.

use crate::domain::chat::{code, console_link, document, run_as, text};

pub(in crate::domain::chat) fn window_description(b: &serde_json::Value) -> String {
    let mut lines = vec![crate::domain::chat::account_line(b)];
    lines.push(format!("*Region:* {}", code(&text(&b["region"]))));
    for w in b["windows"].as_array().into_iter().flatten() {
        lines.push(format!(
            "• version {} held {} from {} until {}",
            code(&text(&w["version"])),
            code(&run_as(&w["run_as"])),
            code(&text(&w["from"])),
            code(&text(&w["until"]))
        ));
    }
    if b["versions_unread"].as_u64().unwrap_or(0) > 0 {
        lines.push(format!(
            "…and {} versions not read",
            code(&text(&b["versions_unread"]))
        ));
    }
    lines.push(format!("*Last edit by:* {}", code(&text(&b["actor"]))));
    if let Some(region) = b["region"].as_str() {
        lines.push(format!("*Document:* {}", console_link(region, document(b))));
    }
    lines.join("\n")
}

//! Chat's own limits on what grows with an alert: a list the body cut says
//! how many more it had, and the description stops at a whole line within
//! [`super::DESCRIPTION_MAX`], saying how many lines it left out.

use serde_json::Value;

/// The description as it fits [`super::DESCRIPTION_MAX`]: whole lines (a list's
/// items are lines), then one that says how many more there are and where
/// they are; a first line longer than the limit alone is cut.
pub(super) fn cut_lines(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let lines: Vec<&str> = text.lines().collect();
    // Room for the closing line, whatever the count.
    let room = max.saturating_sub(80);
    let (mut kept, mut used) = (Vec::new(), 0);
    for line in &lines {
        let n = line.chars().count() + 1;
        if used + n > room {
            break;
        }
        kept.push(*line);
        used += n;
    }
    if kept.is_empty() {
        return super::cut(text, max);
    }
    let left = lines.len() - kept.len();
    kept.push("");
    let mut out = kept.join("\n");
    out.push_str(&format!(
        "…and {left} more lines in the alert topic's message"
    ));
    out
}

/// `…and N more` for a list the alert body cut (`<key>_more`), if it did.
pub(super) fn more_line(b: &Value, key: &str) -> Option<String> {
    let n = b[format!("{key}_more")].as_u64().filter(|n| *n > 0)?;
    Some(format!("…and {} more", super::code(&n.to_string())))
}

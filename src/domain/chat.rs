//! Alerts as custom notifications of Amazon Q Developer in chat applications
//! (formerly AWS Chatbot), which is all Slack and Teams channels render
//! (pure). Schema: version "1.0", source "custom", `content` (client-markdown
//! title, description, nextSteps, keywords) and `metadata` (eventType,
//! threadId, summary, additionalContext). One thread per account-region, so
//! a channel reads one account-region's story in one place.
//!
//! Editor text is inert here. Users, actors, principals, tag values, document
//! names, error messages and every other value an editor or an event can
//! choose reach the title and description only inside a code span built by
//! [`code`], and the title and summary only through [`inert`]: Slack-style
//! control sequences (`<!channel>`, `<https://x|text>`), markdown (`*`, `_`,
//! `~`, backticks), line breaks and control or bidirectional characters are
//! replaced by look-alikes that render as text, and each value is bounded.
//! A hostile value can neither open a new `*Actor:*` line, mention a
//! channel, nor make a link. The exact values stay in the SNS message body,
//! which is JSON (JSON escaping is its medium) and the only place a program
//! should read them from.

use serde_json::{json, Map, Value};

mod fit;
mod kinds;

use fit::{cut_lines, more_line};

use crate::domain::alert::Alert;

/// Documented limits (characters).
pub const TITLE_MAX: usize = 250;
pub const DESCRIPTION_MAX: usize = 8000;
pub const NEXT_STEP_MAX: usize = 350;
pub const KEYWORD_MAX: usize = 75;

fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Longest value shown inside one code span (characters).
pub const VALUE_MAX: usize = 200;

/// Characters that could change how a chat client reads the text, or what
/// a reader sees, replaced by a look-alike that is only text.
fn look_alike(c: char) -> Option<char> {
    Some(match c {
        '<' => '‹',
        '>' => '›',
        '&' => '＆',
        '`' => 'ˋ',
        '*' => '∗',
        '_' => 'ˍ',
        '~' => '∼',
        '|' => '│',
        '\n' | '\r' => '⏎',
        '\t' => ' ',
        // Bidirectional overrides and isolates, zero-width and other format
        // characters: they reorder or hide what the reader sees.
        '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2069}'
        | '\u{FEFF}' => '�',
        c if c.is_control() => '�',
        _ => return None,
    })
}

/// `s` as plain text for a markdown title or summary: every markup and
/// control character replaced (see [`look_alike`]), at most `max` characters.
pub fn inert(s: &str, max: usize) -> String {
    cut(
        &s.chars()
            .map(|c| look_alike(c).unwrap_or(c))
            .collect::<String>(),
        max,
    )
}

/// `s` inside a code span: nothing in it is markup, it is one line, and it
/// cannot end the span early (a backtick in it is replaced). Bounded to
/// [`VALUE_MAX`] characters.
pub fn code(s: &str) -> String {
    let inner: String = s
        .chars()
        .map(|c| match c {
            // Inside a code span markdown emphasis is already text; keep
            // those characters as they are (role names have underscores).
            '*' | '_' | '~' => c,
            c => look_alike(c).unwrap_or(c),
        })
        .collect();
    let inner = cut(&inner, VALUE_MAX);
    if inner.is_empty() {
        "` `".into()
    } else {
        format!("`{inner}`")
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::Null => "-".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `on/root` from a RunAs object; `no document` for null.
fn run_as(v: &Value) -> String {
    if v.is_null() {
        return "no document".into();
    }
    let enabled = match &v["runAsEnabled"] {
        Value::Bool(true) => "on".to_string(),
        Value::Bool(false) => "off".to_string(),
        Value::Null => "unset".to_string(),
        other => format!("off({other})"),
    };
    format!("{enabled}/{}", text(&v["runAsDefaultUser"]))
}

fn console_link(region: &str, document: &str) -> String {
    // A link is built only from what AWS allows in a region and a document
    // name; anything else is shown as text.
    let safe = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
    };
    if !safe(region) || !safe(document) {
        return format!("{} in {}", code(document), code(region));
    }
    format!(
        "<https://{region}.console.aws.amazon.com/systems-manager/documents/{document}/description?region={region}|{document} in {region}>"
    )
}

/// The alert's document (`SSM-SessionManagerRunShell` unless it names another).
fn document(b: &Value) -> &str {
    b["document"]
        .as_str()
        .unwrap_or(crate::domain::trigger::DOCUMENT_NAME)
}

fn emoji(severity: &str) -> &'static str {
    match severity {
        "critical" => ":rotating_light:",
        "error" => ":x:",
        "warning" => ":warning:",
        _ => ":information_source:",
    }
}

/// The kinds whose body is not one account-region's before and after.
fn own_description(b: &Value) -> Option<String> {
    use kinds::*;
    let describe: fn(&Value) -> String = match b["kind"].as_str()? {
        "sweep_summary" => summary_description,
        "sweep_degraded" => degraded_description,
        "run_as_user_missing" => missing_description,
        "policy_applied" => policy_description,
        "run_as_bypass" => bypass_description,
        "identity_center_drift" => identity_center_description,
        "forwarding_missing" => missing_canary_description,
        "canary_unwritable" => canary_description,
        "drift_detected" if b["regions"].is_array() => findings_description,
        "enforcement_held" => held_description,
        "account_left_governance" => left_description,
        "run_as_window" => window_description,
        "policy_rejected" => rejected_description,
        "policy_ids_unknown" => ids_unknown_description,
        _ => return None,
    };
    Some(describe(b))
}

fn description(alert: &Alert) -> String {
    let b = &alert.body;
    if let Some(own) = own_description(b) {
        return own;
    }
    let mut lines = vec![];
    lines.push(account_line(b));
    if let Some(region) = b["region"].as_str() {
        lines.push(format!("*Region:* {}", code(region)));
        lines.push(format!(
            "*RunAs:* {} → {}",
            code(&run_as(&b["before"])),
            code(&run_as(&b["after"]))
        ));
    }
    if let Some(failed) = b["errors"].as_object() {
        for (region, e) in failed {
            lines.push(format!(
                "{} {} — {}",
                code(region),
                code(&text(&e["code"])),
                code(&text(&e["message"]))
            ));
        }
        lines.extend(more_line(b, "errors"));
    }
    if let Some(replaced) = b["replaced"].as_str() {
        lines.push(format!("*Association:* {}", code(replaced)));
    }
    lines.extend(principal_lines(b));
    lines.extend(kinds::session_lines(b));
    lines.push(format!("*Actor:* {}", code(&text(&b["actor"]))));
    if !b["source_ip"].is_null() {
        lines.push(format!("*Source IP:* {}", code(&text(&b["source_ip"]))));
    }
    if let Some(region) = b["region"].as_str() {
        lines.push(format!("*Document:* {}", console_link(region, document(b))));
    }
    lines.join("\n")
}

/// `run_as_override`: the principal an event names, or those a sweep found.
fn principal_lines(b: &serde_json::Value) -> Vec<String> {
    let mut lines = vec![];
    if let Some(principal) = b["principal"].as_str() {
        lines.push(format!("*Principal:* {}", code(principal)));
        lines.push(format!("*Run As value:* {}", code(&text(&b["value"]))));
    }
    for p in b["principals"].as_array().into_iter().flatten() {
        lines.push(format!(
            "*Principal:* {} runs as {}",
            code(&text(&p["principal"])),
            code(&text(&p["value"]))
        ));
    }
    lines.extend(more_line(b, "principals"));
    lines
}

/// The account-region this alert is about, as a thread id.
fn thread_id(alert: &Alert) -> String {
    match (
        alert.body["account"].as_str(),
        alert.body["region"].as_str(),
    ) {
        (Some(a), Some(r)) => match alert.body["document"].as_str() {
            Some(d) if d != crate::domain::trigger::DOCUMENT_NAME => format!("{a}-{r}-{d}"),
            _ => format!("{a}-{r}"),
        },
        (Some(a), None) => a.to_string(),
        _ if matches!(
            alert.kind,
            crate::domain::alert::Kind::PolicyRejected
                | crate::domain::alert::Kind::PolicyIdsUnknown
        ) =>
        {
            "runas-guard-policy".into()
        }
        _ => "runas-guard-sweeps".into(),
    }
}

/// `*Account:* `1111…` (`payments-prod`, `Root/Prod`)`: name and OU path
/// when the run knew them.
pub(crate) fn account_line(b: &Value) -> String {
    let known: Vec<String> = ["account_name", "ou_path"]
        .iter()
        .filter_map(|k| b[*k].as_str().filter(|v| !v.is_empty()))
        .map(code)
        .collect();
    match known.is_empty() {
        true => format!("*Account:* {}", code(&text(&b["account"]))),
        false => format!(
            "*Account:* {} ({})",
            code(&text(&b["account"])),
            known.join(", ")
        ),
    }
}

/// The runbook, last: a link only when its address is plain URL characters.
fn with_runbook(description: String, b: &Value) -> String {
    let Some(url) = b["runbook"].as_str() else {
        return description;
    };
    let plain = url.len() <= 500
        && url
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || b":/._-#~%?=&+".contains(&c));
    match plain && url.starts_with("https://") {
        true => format!("{description}\n*Runbook:* <{url}|runbook>"),
        false => format!("{description}\n*Runbook:* {}", code(url)),
    }
}

/// The custom notification for one alert.
pub fn message(alert: &Alert) -> Value {
    let kind = alert.kind.as_str();
    let severity = alert.severity.as_str();
    let mut context = Map::new();
    for key in [
        "alert_id",
        "account",
        "account_name",
        "ou_path",
        "region",
        "document",
        "trigger_id",
        "at",
    ] {
        if let Some(v) = alert.body.get(key).filter(|v| !v.is_null()) {
            context.insert(key.into(), Value::String(inert(&text(v), VALUE_MAX)));
        }
    }
    json!({
        "version": "1.0",
        "source": "custom",
        "id": alert.alert_id,
        "content": {
            "textType": "client-markdown",
            "title": format!("{} {}", emoji(severity), inert(&alert.subject, TITLE_MAX - 30)),
            "description": cut_lines(&with_runbook(description(alert), &alert.body), DESCRIPTION_MAX),
            "nextSteps": crate::domain::alert::guidance::steps(alert).iter().map(|s| cut(s, NEXT_STEP_MAX)).collect::<Vec<_>>(),
            "keywords": [cut(kind, KEYWORD_MAX), cut(severity, KEYWORD_MAX)],
        },
        "metadata": {
            "threadId": thread_id(alert),
            "summary": inert(&alert.subject, TITLE_MAX),
            "eventType": kind,
            "additionalContext": context,
        }
    })
}

/// Checks a message against the schema: required fields, fixed values,
/// types and the documented limits. The error names the field.
pub fn validate(m: &Value) -> Result<(), String> {
    let s = |path: &str| -> Result<&str, String> {
        m.pointer(path)
            .and_then(Value::as_str)
            .ok_or(format!("{path} must be a string"))
    };
    if s("/version")? != "1.0" {
        return Err("/version must be \"1.0\"".into());
    }
    if s("/source")? != "custom" {
        return Err("/source must be \"custom\"".into());
    }
    if s("/content/textType")? != "client-markdown" {
        return Err("/content/textType must be \"client-markdown\"".into());
    }
    let limits = [
        ("/content/title", TITLE_MAX),
        ("/content/description", DESCRIPTION_MAX),
    ];
    for (path, max) in limits {
        let n = s(path)?.chars().count();
        if n == 0 || n > max {
            return Err(format!("{path} has {n} characters (1..={max})"));
        }
    }
    for (path, max) in [
        ("/content/nextSteps", NEXT_STEP_MAX),
        ("/content/keywords", KEYWORD_MAX),
    ] {
        for item in m
            .pointer(path)
            .and_then(Value::as_array)
            .ok_or(format!("{path} must be an array"))?
        {
            let n = item
                .as_str()
                .ok_or(format!("{path} items must be strings"))?
                .chars()
                .count();
            if n > max {
                return Err(format!("{path} item has {n} characters (at most {max})"));
            }
        }
    }
    for path in [
        "/metadata/threadId",
        "/metadata/summary",
        "/metadata/eventType",
    ] {
        s(path)?;
    }
    let context = m
        .pointer("/metadata/additionalContext")
        .and_then(Value::as_object)
        .ok_or("/metadata/additionalContext must be an object")?;
    if context.values().any(|v| !v.is_string()) {
        return Err("/metadata/additionalContext values must be strings".into());
    }
    Ok(())
}

#[cfg(test)]
#[path = "chat_tests.rs"]
mod tests;

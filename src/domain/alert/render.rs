//! Each alert rendered for where it goes (pure): the alert topic's JSON
//! message (or plain text for e-mail) with what to do and the runbook, the
//! chat topic's custom notification, both made to fit SNS's limit. The SNS
//! adapter publishes what it is given.

use crate::domain::alert::{bound, Alert};
use crate::domain::config::AlertFormat;
use crate::domain::outcome::AlertSent;

/// Where one copy of an alert goes. Each copy is delivered (and kept in the
/// outbox) on its own, so a broken chat topic never holds up or repeats the
/// alert topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dest {
    /// `RUNAS_GUARD_TOPIC_ARN`: the JSON message.
    Main,
    /// `RUNAS_GUARD_CHAT_TOPIC_ARN`: the chat custom notification.
    Chat,
}

impl Dest {
    pub fn as_str(self) -> &'static str {
        match self {
            Dest::Main => "main",
            Dest::Chat => "chat",
        }
    }

    pub fn parse(s: &str) -> Option<Dest> {
        match s {
            "main" => Some(Dest::Main),
            "chat" => Some(Dest::Chat),
            _ => None,
        }
    }

    /// The copy's outbox key: one item per alert and destination.
    pub fn key(self, alert_id: &str) -> String {
        match self {
            Dest::Main => alert_id.to_string(),
            Dest::Chat => format!("{alert_id}#chat"),
        }
    }
}

/// One copy as SNS takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub subject: String,
    pub body: String,
    /// A JSON message with one text per protocol (`MessageStructure=json`).
    pub structured: bool,
    /// The attributes subscription filters read, sent as strings.
    pub attributes: Vec<(&'static str, String)>,
}

/// How alerts are worded and where copies go: the runbook base and e-mail
/// text (`RUNAS_GUARD_RUNBOOK_URL`, `RUNAS_GUARD_EMAIL_TEXT`), and whether a
/// chat topic takes a second copy.
#[derive(Debug, Clone, Default)]
pub struct Rendering {
    pub format: AlertFormat,
    pub chat: bool,
}

impl Rendering {
    /// The destinations every alert goes to.
    pub fn dests(&self) -> &'static [Dest] {
        if self.chat {
            &[Dest::Main, Dest::Chat]
        } else {
            &[Dest::Main]
        }
    }

    /// The message `dest` gets for `alert`; `None` when there is no such
    /// destination.
    pub fn message(&self, alert: &Alert, dest: Dest) -> Option<Message> {
        let (body, structured) = match dest {
            Dest::Main => main_message(&self.format, alert),
            Dest::Chat if self.chat => (chat_message(&self.format, alert), false),
            Dest::Chat => return None,
        };
        Some(Message {
            subject: alert.subject.clone(),
            body,
            structured,
            attributes: bound::attributes(alert)
                .iter()
                .map(|(n, v)| (*n, v.to_string()))
                .collect(),
        })
    }

    /// The bytes SNS counts for `alert`'s largest copy.
    fn measure(&self, alert: &Alert) -> usize {
        self.dests()
            .iter()
            .filter_map(|d| self.message(alert, *d))
            .map(|m| bound::publish_bytes(&alert.subject, &m.body, &bound::attributes(alert)))
            .max()
            .unwrap_or(0)
    }

    /// `alert` as every copy of it fits SNS's message limit (see
    /// [`bound`]): what is kept in the outbox is what is sent.
    pub fn fit(&self, alert: Alert) -> Alert {
        let fitted = bound::fit(alert, |a| self.measure(a));
        if let Some(before) = fitted.trimmed_from {
            let a = &fitted.alert;
            tracing::warn!(alert = a.kind.as_str(), alert_id = %a.alert_id, account = %a.account, bytes_before = before, bytes = fitted.bytes, limit = bound::SNS_MESSAGE_MAX, "alert trimmed to fit SNS's message limit");
        }
        fitted.alert
    }
}

/// What the outcome lists for a copy the alert topic took.
pub fn sent(alert: &Alert) -> AlertSent {
    AlertSent {
        alert_id: alert.alert_id.clone(),
        kind: alert.kind.as_str(),
        severity: alert.severity.as_str(),
        subject: alert.subject.clone(),
    }
}

/// The main topic's message: the body with what to do and where the
/// runbook is; for e-mail subscribers, plain text.
fn main_message(format: &AlertFormat, alert: &Alert) -> (String, bool) {
    use crate::domain::alert::guidance::{plain_text, runbook, steps};
    let mut body = alert.body.clone();
    body["next_steps"] = serde_json::json!(steps(alert));
    body["runbook"] = serde_json::json!(runbook(&format.runbook_base, alert.kind));
    if !format.email_text {
        return (body.to_string(), false);
    }
    let text = plain_text(&Alert {
        body: body.clone(),
        ..alert.clone()
    });
    let structured = serde_json::json!({"default": body.to_string(), "email": text});
    (structured.to_string(), true)
}

/// The chat topic's message: the custom notification, with the runbook.
fn chat_message(format: &AlertFormat, alert: &Alert) -> String {
    let mut alert = alert.clone();
    let link = crate::domain::alert::guidance::runbook(&format.runbook_base, alert.kind);
    alert.body["runbook"] = serde_json::json!(link);
    crate::domain::chat::message(&alert).to_string()
}

#[cfg(test)]
mod format_tests {
    use super::*;
    use crate::domain::alert::{Kind, Severity};

    fn alert() -> Alert {
        Alert {
            alert_id: "a1".into(),
            kind: Kind::RemediationFailed,
            severity: Severity::Error,
            account: "111122223333".into(),
            subject: "runas-guard: account 111122223333 not fixed".into(),
            body: serde_json::json!({"kind": "remediation_failed", "account": "111122223333",
                "account_name": "payments-prod", "ou_path": "Root/Prod"}),
        }
    }

    #[test]
    fn the_main_message_says_what_to_do_and_where_and_reads_as_text_in_email() {
        let format = AlertFormat {
            runbook_base: "https://git.example.com/runas-guard/blob/v1/README.md".into(),
            email_text: true,
        };
        let (message, structured) = main_message(&format, &alert());
        assert!(structured);
        let m: serde_json::Value = serde_json::from_str(&message).unwrap();
        let body: serde_json::Value = serde_json::from_str(m["default"].as_str().unwrap()).unwrap();
        assert_eq!(body["account_name"], "payments-prod");
        assert_eq!(
            body["runbook"],
            "https://git.example.com/runas-guard/blob/v1/docs/operate.md#remediation_failed"
        );
        assert!(body["next_steps"][0]
            .as_str()
            .unwrap()
            .contains("doctor --account"));
        assert!(body["next_steps"][1]
            .as_str()
            .unwrap()
            .contains("reconcile --account ID --stack"));
        let email = m["email"].as_str().unwrap();
        assert!(
            email.starts_with("runas-guard: account 111122223333 not fixed\n"),
            "{email}"
        );
        assert!(
            email.contains("OU path: Root/Prod") && email.contains("Runbook: https://"),
            "{email}"
        );
        // JSON for e-mail too, when asked: the body alone, unstructured.
        let json_only = AlertFormat {
            email_text: false,
            ..format
        };
        let (message, structured) = main_message(&json_only, &alert());
        assert!(!structured);
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&message).unwrap()["account"],
            "111122223333"
        );
    }
}

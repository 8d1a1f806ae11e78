//! SNS: publish [`Alert`]s with the message attributes subscribers filter on.

use std::sync::Arc;

use aws_sdk_sns::types::MessageAttributeValue;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::AwsError;
use crate::domain::alert::{bound, Alert};
use crate::domain::outcome::AlertSent;

/// Publishes in flight at once: alerts never go out one after another.
const PUBLISH_CONCURRENCY: usize = 16;

#[derive(Clone)]
pub struct Alerts {
    client: aws_sdk_sns::Client,
    topic_arn: String,
    /// Optional second topic: the same alerts as chat custom notifications.
    chat_topic_arn: Option<String>,
    region: String,
    format: crate::domain::config::AlertFormat,
}

fn attr(v: &str) -> MessageAttributeValue {
    MessageAttributeValue::builder()
        .data_type(bound::ATTRIBUTE_TYPE)
        .string_value(v)
        .build()
        .expect("data_type is set")
}

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

/// The main topic's message: the body with what to do and where the
/// runbook is; for e-mail subscribers, plain text.
fn main_message(format: &crate::domain::config::AlertFormat, alert: &Alert) -> (String, bool) {
    use crate::domain::alert::guidance::{next_steps, plain_text, runbook};
    let mut body = alert.body.clone();
    body["next_steps"] = serde_json::json!(next_steps(alert.kind));
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
fn chat_message(format: &crate::domain::config::AlertFormat, alert: &Alert) -> String {
    let mut alert = alert.clone();
    let link = crate::domain::alert::guidance::runbook(&format.runbook_base, alert.kind);
    alert.body["runbook"] = serde_json::json!(link);
    crate::domain::chat::message(&alert).to_string()
}

/// One publish attempt's result.
pub struct Attempt {
    pub alert: Alert,
    pub dest: Dest,
    pub result: Result<(), AwsError>,
}

impl Alerts {
    pub fn new(
        config: &aws_config::SdkConfig,
        topic_arn: &str,
        chat_topic_arn: Option<&str>,
    ) -> Self {
        Alerts {
            client: aws_sdk_sns::Client::new(config),
            topic_arn: topic_arn.to_string(),
            chat_topic_arn: chat_topic_arn.map(str::to_string),
            region: super::home_region(config),
            format: crate::domain::config::AlertFormat {
                runbook_base: String::new(),
                email_text: true,
            },
        }
    }

    pub fn formatted(self, format: crate::domain::config::AlertFormat) -> Self {
        Alerts { format, ..self }
    }

    /// The destinations every alert goes to.
    pub fn dests(&self) -> &'static [Dest] {
        if self.chat_topic_arn.is_some() {
            &[Dest::Main, Dest::Chat]
        } else {
            &[Dest::Main]
        }
    }

    /// The message `dest` gets for `alert` and whether it is structured;
    /// `None` when there is no such destination.
    fn render(&self, alert: &Alert, dest: Dest) -> Option<(String, bool)> {
        match (dest, &self.chat_topic_arn) {
            (Dest::Main, _) => Some(main_message(&self.format, alert)),
            (Dest::Chat, Some(_)) => Some((chat_message(&self.format, alert), false)),
            (Dest::Chat, None) => None,
        }
    }

    /// The bytes SNS counts for `alert`'s largest copy.
    fn measure(&self, alert: &Alert) -> usize {
        self.dests()
            .iter()
            .filter_map(|d| self.render(alert, *d))
            .map(|(message, _)| {
                bound::publish_bytes(&alert.subject, &message, &bound::attributes(alert))
            })
            .max()
            .unwrap_or(0)
    }

    /// `alert` as every copy of it fits SNS's message limit (see
    /// `crate::domain::alert::bound`): what is kept in the outbox is what is sent.
    pub fn fit(&self, alert: Alert) -> Alert {
        let fitted = bound::fit(alert, |a| self.measure(a));
        if let Some(before) = fitted.trimmed_from {
            let a = &fitted.alert;
            tracing::warn!(alert = a.kind.as_str(), alert_id = %a.alert_id, account = %a.account, bytes_before = before, bytes = fitted.bytes, limit = bound::SNS_MESSAGE_MAX, "alert trimmed to fit SNS's message limit");
        }
        fitted.alert
    }

    /// One copy to one destination (a chat copy with no chat topic is
    /// done), made to fit first.
    pub async fn publish(&self, alert: &Alert, dest: Dest) -> Result<(), AwsError> {
        let alert = self.fit(alert.clone());
        let Some((message, structured)) = self.render(&alert, dest) else {
            return Ok(());
        };
        let topic = match (dest, &self.chat_topic_arn) {
            (Dest::Chat, Some(chat)) => chat,
            _ => &self.topic_arn,
        };
        self.publish_to(topic, &alert, message, structured).await
    }

    async fn publish_to(
        &self,
        topic: &str,
        alert: &Alert,
        message: String,
        structured: bool,
    ) -> Result<(), AwsError> {
        let mut publish = self
            .client
            .publish()
            .topic_arn(topic)
            .subject(&alert.subject)
            .message(message)
            .set_message_structure(structured.then(|| "json".to_string()));
        for (name, value) in bound::attributes(alert) {
            publish = publish.message_attributes(name, attr(value));
        }
        publish.send().await.map(|_| ()).map_err(|e| {
            let mut err = AwsError::new("Publish", "hub", &self.region, &e);
            err.message = format!("topic {topic}: {}", err.message);
            err
        })
    }

    /// Publishes every copy, a bounded number at once; one failure does not
    /// stop the others. Results follow the order of `copies`.
    pub async fn publish_copies(&self, copies: Vec<(Alert, Dest)>) -> Vec<Attempt> {
        let limit = Arc::new(Semaphore::new(PUBLISH_CONCURRENCY));
        let mut tasks = JoinSet::new();
        let count = copies.len();
        for (i, (alert, dest)) in copies.into_iter().enumerate() {
            let (me, limit) = (self.clone(), limit.clone());
            tasks.spawn(async move {
                let _permit = limit.acquire_owned().await.expect("semaphore never closes");
                let result = me.publish(&alert, dest).await;
                (
                    i,
                    Attempt {
                        alert,
                        dest,
                        result,
                    },
                )
            });
        }
        let mut done = Vec::with_capacity(count);
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok(r) => done.push(r),
                // A publish task cannot panic short of a bug; say so loudly.
                Err(e) => tracing::error!(outcome = "alert_lost", error = %e, "publish task died"),
            }
        }
        done.sort_by_key(|(i, _)| *i);
        let attempts: Vec<Attempt> = done.into_iter().map(|(_, a)| a).collect();
        for a in &attempts {
            let x = &a.alert;
            match &a.result {
                Ok(()) => {
                    tracing::info!(alert = x.kind.as_str(), alert_id = %x.alert_id, severity = x.severity.as_str(), account = %x.account, subject = %x.subject, dest = a.dest.as_str(), "alert sent")
                }
                Err(e) => {
                    tracing::error!(alert = x.kind.as_str(), alert_id = %x.alert_id, account = %x.account, dest = a.dest.as_str(), error_code = %e.code, error = %e, "alert not published")
                }
            }
        }
        attempts
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
}

#[cfg(test)]
mod format_tests {
    use super::*;
    use crate::domain::alert::{Kind, Severity};
    use crate::domain::config::AlertFormat;

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
            "https://git.example.com/runas-guard/blob/v1/README.md#troubleshoot"
        );
        assert!(body["next_steps"][0]
            .as_str()
            .unwrap()
            .contains("reconcile --account"));
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

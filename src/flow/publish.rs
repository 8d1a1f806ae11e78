//! Alerts out: each one rendered for its destinations
//! (`domain::alert::render`) and handed to the SNS topics
//! (`adapters::aws::topics`); what each copy's publish did comes back as an
//! [`Attempt`], for the outbox to settle.

use crate::adapters::aws::topics::Topics;
use crate::domain::alert::render::{self, Dest, Rendering};
use crate::domain::alert::Alert;
use crate::domain::aws_error::AwsError;
use crate::domain::config::AlertFormat;
use crate::domain::outcome::AlertSent;

/// The topics and how alerts are rendered for them.
#[derive(Clone)]
pub struct Alerts {
    topics: Topics,
    rendering: Rendering,
}

/// One publish attempt's result.
pub struct Attempt {
    pub alert: Alert,
    pub dest: Dest,
    pub result: Result<(), AwsError>,
}

impl Alerts {
    pub fn new(topics: Topics, format: AlertFormat) -> Self {
        let rendering = Rendering {
            format,
            chat: topics.has_chat(),
        };
        Alerts { topics, rendering }
    }

    /// The destinations every alert goes to.
    pub fn dests(&self) -> &'static [Dest] {
        self.rendering.dests()
    }

    /// `alert` as every copy of it fits SNS's message limit.
    pub fn fit(&self, alert: Alert) -> Alert {
        self.rendering.fit(alert)
    }

    /// One copy to one destination (a chat copy with no chat topic is
    /// done), made to fit first.
    pub async fn publish(&self, alert: &Alert, dest: Dest) -> Result<(), AwsError> {
        let alert = self.fit(alert.clone());
        match self.rendering.message(&alert, dest) {
            Some(m) => self.topics.publish(dest, &m).await,
            None => Ok(()),
        }
    }

    /// Publishes every copy, a bounded number at once; one failure does not
    /// stop the others. Results follow the order of `copies`.
    pub async fn publish_copies(&self, copies: Vec<(Alert, Dest)>) -> Vec<Attempt> {
        let mut messages = Vec::with_capacity(copies.len());
        let mut rendered = Vec::with_capacity(copies.len());
        for (alert, dest) in copies {
            let alert = self.fit(alert);
            match self.rendering.message(&alert, dest) {
                Some(m) => {
                    messages.push((dest, m));
                    rendered.push((alert, dest, true));
                }
                None => rendered.push((alert, dest, false)),
            }
        }
        let mut results = self.topics.publish_all(messages).await.into_iter();
        let mut attempts = Vec::with_capacity(rendered.len());
        for (alert, dest, sent) in rendered {
            let result = match sent {
                false => Some(Ok(())),
                true => results.next().flatten(),
            };
            if let Some(result) = result {
                attempts.push(Attempt {
                    alert,
                    dest,
                    result,
                });
            }
        }
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
        render::sent(alert)
    }
}

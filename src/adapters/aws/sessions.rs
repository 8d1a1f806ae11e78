//! Session Manager's session history of one member account-region
//! (`DescribeSessions`): the sessions started between two times, one page
//! of each `State` (`Active`, `History`) read at once, never followed
//! further: a page AWS says is not the last is reported as truncated.

use aws_sdk_ssm::primitives::DateTimeFormat;
use aws_sdk_ssm::types::{SessionFilter, SessionFilterKey, SessionState};

use super::AwsError;
use crate::domain::sessions::{Ask, Read, Session, PAGE};

pub struct SessionHistory {
    client: aws_sdk_ssm::Client,
    pub account: String,
    pub region: String,
}

impl SessionHistory {
    pub fn new(client: aws_sdk_ssm::Client, account: &str, region: &str) -> Self {
        SessionHistory {
            client,
            account: account.into(),
            region: region.into(),
        }
    }

    /// The sessions started in `ask`'s seconds, active and ended (both
    /// pages at once); the first failure is the answer.
    pub async fn started(&self, ask: &Ask) -> Result<Read, AwsError> {
        let (active, history) = tokio::join!(
            self.page(SessionState::Active, ask),
            self.page(SessionState::History, ask)
        );
        let (mut active, history) = (active?, history?);
        active.sessions.extend(history.sessions);
        active.truncated |= history.truncated;
        Ok(active)
    }

    async fn page(&self, state: SessionState, ask: &Ask) -> Result<Read, AwsError> {
        let filter = |key, value: &str| {
            SessionFilter::builder()
                .key(key)
                .value(value)
                .build()
                .expect("key and value are set")
        };
        let out = self
            .client
            .describe_sessions()
            .state(state)
            .max_results(PAGE)
            .filters(filter(SessionFilterKey::InvokedAfter, &ask.after))
            .filters(filter(SessionFilterKey::InvokedBefore, &ask.before))
            .send()
            .await
            .map_err(|e| AwsError::new("DescribeSessions", &self.account, &self.region, &e))?;
        let time = |t: Option<&aws_sdk_ssm::primitives::DateTime>| {
            t.and_then(|t| t.fmt(DateTimeFormat::DateTime).ok())
        };
        let sessions = out
            .sessions()
            .iter()
            .map(|s| Session {
                session_id: s.session_id().unwrap_or_default().to_string(),
                owner: s.owner().unwrap_or_default().to_string(),
                target: s.target().unwrap_or_default().to_string(),
                started: time(s.start_date()).unwrap_or_default(),
                ended: time(s.end_date()),
                status: s
                    .status()
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_default(),
                document: s.document_name().map(str::to_string),
            })
            .collect();
        Ok(Read {
            sessions,
            truncated: out.next_token().is_some_and(|t| !t.is_empty()),
        })
    }
}

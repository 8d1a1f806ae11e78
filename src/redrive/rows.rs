//! One row per message, and the report of a run: table, JSON or CSV.

use std::collections::BTreeMap;

use serde::Serialize;

use super::message::{Got, Identity, Shape};
use crate::report::{self, Format};

/// What became of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Left {
    Deleted,
    /// Still in the queue, visible again.
    Kept,
    /// A dry run: untouched, visible again.
    Untouched,
}

#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub queue: String,
    pub message_id: String,
    pub shape: Option<Shape>,
    #[serde(flatten)]
    pub identity: Identity,
    pub result: Got,
    pub message: Left,
    pub reason: String,
    pub failed_before: Option<String>,
}

impl Row {
    pub fn unreadable(queue: &str, message_id: &str, reason: String, dry_run: bool) -> Row {
        Row {
            queue: queue.to_string(),
            message_id: message_id.to_string(),
            shape: None,
            identity: Identity::default(),
            result: Got::Unreadable,
            message: if dry_run { Left::Untouched } else { Left::Kept },
            reason,
            failed_before: None,
        }
    }

    /// Stays in its queue (a dry run: would stay, whatever a replay does).
    pub fn stays(&self) -> bool {
        match self.message {
            Left::Deleted => false,
            Left::Kept => true,
            Left::Untouched => self.result != Got::WouldReplay,
        }
    }
}

/// One queue read: its URL, how many messages, and what went wrong.
#[derive(Debug, Clone, Serialize)]
pub struct QueueRead {
    pub url: String,
    pub read: usize,
    pub error: Option<String>,
}

/// The queue's name: the last part of its URL.
pub fn queue_name(url: &str) -> &str {
    url.trim_end_matches('/').rsplit('/').next().unwrap_or(url)
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub dry_run: bool,
    pub queues: Vec<QueueRead>,
    pub rows: Vec<Row>,
    pub totals: BTreeMap<&'static str, usize>,
}

impl Report {
    pub fn new(dry_run: bool, queues: Vec<QueueRead>, rows: Vec<Row>) -> Report {
        let mut totals = BTreeMap::from([("read", rows.len()), ("deleted", 0), ("kept", 0)]);
        for r in &rows {
            match r.message {
                Left::Deleted => *totals.entry("deleted").or_default() += 1,
                Left::Kept => *totals.entry("kept").or_default() += 1,
                Left::Untouched => {}
            }
            *totals.entry(r.result.as_str()).or_default() += 1;
        }
        Report {
            dry_run,
            queues,
            rows,
            totals,
        }
    }

    /// Messages this run leaves in their queues (a dry run: that a replay
    /// would leave, as far as reading them tells).
    pub fn staying(&self) -> usize {
        self.rows.iter().filter(|r| r.stays()).count()
    }

    pub fn queue_errors(&self) -> Vec<String> {
        let errors = self.queues.iter().filter_map(|q| {
            let e = q.error.as_ref()?;
            Some(format!("{}: {e}", queue_name(&q.url)))
        });
        errors.collect()
    }

    pub fn render(&self, format: Format) -> String {
        const HEADER: [&str; 10] = [
            "QUEUE", "SHAPE", "TRIGGER", "ACCOUNT", "REGION", "ACTOR", "EVENT ID", "RESULT",
            "MESSAGE", "REASON",
        ];
        let rows: Vec<[String; 10]> = self.rows.iter().map(cells).collect();
        match format {
            Format::Json => {
                serde_json::to_string_pretty(self).expect("plain data serialises") + "\n"
            }
            Format::Csv => report::csv(&HEADER, &rows),
            Format::Table => report::table(&HEADER, &rows) + &self.footer(),
        }
    }

    fn footer(&self) -> String {
        let t = |k: &str| self.totals.get(k).copied().unwrap_or(0);
        let mut out = match self.dry_run {
            true => format!(
                "{} message(s) read from {} queue(s); dry run: nothing replayed, nothing deleted; {} would stay whatever a replay does\n",
                t("read"), self.queues.len(), self.staying()
            ),
            false => format!(
                "{} message(s) read from {} queue(s): {} handled and deleted, {} kept in the queue (the rows say why)\n",
                t("read"), self.queues.len(), t("deleted"), t("kept")
            ),
        };
        for e in self.queue_errors() {
            out.push_str(&format!("queue {e}\n"));
        }
        out
    }
}

fn cells(r: &Row) -> [String; 10] {
    let or_dash = |s: &Option<String>| s.clone().unwrap_or_else(|| "-".into());
    let message = match r.message {
        Left::Deleted => "deleted",
        Left::Kept => "kept",
        Left::Untouched => "untouched",
    };
    [
        queue_name(&r.queue).to_string(),
        r.shape.map_or("-", Shape::as_str).to_string(),
        or_dash(&r.identity.kind),
        or_dash(&r.identity.account),
        or_dash(&r.identity.region),
        r.identity
            .actor
            .as_deref()
            .map_or("-".into(), crate::alert::short_actor),
        or_dash(&r.identity.event_id),
        r.result.as_str().to_string(),
        message.to_string(),
        r.reason.clone(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn the_report_counts_and_says_what_stays() {
        let row = |result: Got, message: Left| Row {
            queue: "https://sqs.us-east-1.amazonaws.com/123456789012/hub-EventsDeadLetterQueue-1"
                .into(),
            message_id: "m".into(),
            shape: Some(Shape::Event),
            identity: Identity {
                kind: Some("document_changed".into()),
                actor: Some("arn:aws:iam::111122223333:role/Admin".into()),
                ..Identity::default()
            },
            result,
            message,
            reason: "a, \"b\"".into(),
            failed_before: None,
        };
        let rows = vec![
            row(Got::Done, Left::Deleted),
            row(Got::Duplicate, Left::Deleted),
            row(Got::Failed, Left::Kept),
            Row::unreadable("q", "m2", "unreadable: body is empty".into(), false),
        ];
        let queues = vec![QueueRead {
            url: "https://x/123/q".into(),
            read: 4,
            error: Some("ReceiveMessage failed: AccessDenied".into()),
        }];
        let r = Report::new(false, queues, rows);
        assert_eq!(r.staying(), 2);
        assert_eq!(
            (r.totals["deleted"], r.totals["kept"], r.totals["read"]),
            (2, 2, 4)
        );
        assert_eq!(r.queue_errors(), ["q: ReceiveMessage failed: AccessDenied"]);
        let table = r.render(Format::Table);
        assert!(table.starts_with("QUEUE"), "{table}");
        assert!(
            table.contains("hub-EventsDeadLetterQueue-1  event"),
            "{table}"
        );
        assert!(table.contains("role/Admin"), "{table}");
        assert!(table.contains("2 handled and deleted, 2 kept"), "{table}");
        let json: Value = serde_json::from_str(&r.render(Format::Json)).unwrap();
        assert_eq!(json["rows"][2]["result"], "failed");
        assert_eq!(json["rows"][2]["message"], "kept");
        assert_eq!(json["rows"][0]["kind"], "document_changed");
        assert_eq!(json["rows"][3]["shape"], Value::Null);
        assert!(r.render(Format::Csv).contains("\"a, \"\"b\"\"\""));

        let dry = Report::new(
            true,
            vec![],
            vec![
                Row {
                    message: Left::Untouched,
                    ..row(Got::WouldReplay, Left::Untouched)
                },
                Row {
                    message: Left::Untouched,
                    ..row(Got::Rejected, Left::Untouched)
                },
            ],
        );
        assert_eq!(dry.staying(), 1, "a rejected event would stay");
        assert!(dry.render(Format::Table).contains("dry run"));
        assert_eq!(
            queue_name("https://sqs.eu-west-1.amazonaws.com/1/dlq/"),
            "dlq"
        );
    }
}

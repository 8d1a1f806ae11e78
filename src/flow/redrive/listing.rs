//! `redrive --list` and `--show`: what the failure queues hold, as the
//! function read it for the seat (ids, age, what each message is about and
//! whether a replay would take it), in a table, JSON or CSV.

use serde::Serialize;

use super::{queue_name, QueueRead, Row, Shape};
use crate::domain::report::{self, Format};

#[derive(Debug, Clone, Serialize)]
pub struct Listing {
    pub queues: Vec<QueueRead>,
    pub rows: Vec<Row>,
    /// The most the listing read: more may wait in the queues.
    pub max: usize,
}

/// `42s`, `17m`, `5h`, `3d`: the largest whole unit.
pub fn age(seconds: Option<u64>) -> String {
    match seconds {
        None => "-".into(),
        Some(s) if s < 120 => format!("{s}s"),
        Some(s) if s < 2 * 3600 => format!("{}m", s / 60),
        Some(s) if s < 2 * 86400 => format!("{}h", s / 3600),
        Some(s) => format!("{}d", s / 86400),
    }
}

impl Listing {
    pub fn render(&self, format: Format) -> String {
        const HEADER: [&str; 10] = [
            "QUEUE",
            "MESSAGE ID",
            "AGE",
            "SHAPE",
            "TRIGGER",
            "ACCOUNT",
            "REGION",
            "ACTOR",
            "REPLAY",
            "WHY",
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
        let mut out = format!(
            "{} message(s) in {} queue(s), read by the function and left in place",
            self.rows.len(),
            self.queues.len()
        );
        if self.rows.len() >= self.max {
            out.push_str(&format!(
                " (at most {}: more may wait; --max raises it)",
                self.max
            ));
        }
        out.push('\n');
        for q in &self.queues {
            if let Some(e) = &q.error {
                out.push_str(&format!("queue {}: {e}\n", queue_name(&q.url)));
            }
        }
        for r in self.rows.iter().filter(|r| r.body.is_some()) {
            let body = r.body.as_deref().unwrap_or_default();
            out.push_str(&format!("\nmessage {}:\n{body}\n", r.message_id));
        }
        out
    }
}

fn cells(r: &Row) -> [String; 10] {
    let or_dash = |s: &Option<String>| s.clone().unwrap_or_else(|| "-".into());
    let why = match (&r.failed_before, r.reason.is_empty()) {
        (Some(f), true) => f.clone(),
        (Some(f), false) => format!("{}; {f}", r.reason),
        (None, _) => r.reason.clone(),
    };
    [
        queue_name(&r.queue).to_string(),
        r.message_id.clone(),
        age(r.age_seconds),
        r.shape.map_or("-", Shape::as_str).to_string(),
        or_dash(&r.identity.kind),
        or_dash(&r.identity.account),
        or_dash(&r.identity.region),
        r.identity
            .actor
            .as_deref()
            .map_or("-".into(), crate::domain::alert::short_actor),
        r.result.as_str().to_string(),
        why,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::redrive::{Got, Identity, Left};

    #[test]
    fn an_age_in_its_largest_whole_unit() {
        let rows = [
            (None, "-"),
            (Some(0), "0s"),
            (Some(119), "119s"),
            (Some(120), "2m"),
            (Some(7199), "119m"),
            (Some(7200), "2h"),
            (Some(172_799), "47h"),
            (Some(172_800), "2d"),
            (Some(14 * 86400), "14d"),
        ];
        for (s, want) in rows {
            assert_eq!(age(s), want, "{s:?}");
        }
    }

    #[test]
    fn a_listing_names_each_message_its_age_and_what_a_replay_would_do() {
        let row = |id: &str, result: Got, body: Option<&str>| Row {
            queue: "https://sqs.us-east-1.amazonaws.com/1/hub-AsyncFailureQueue-X".into(),
            message_id: id.into(),
            shape: Some(Shape::OnFailure),
            identity: Identity {
                kind: Some("account_vended".into()),
                account: Some("210987654321".into()),
                ..Identity::default()
            },
            result,
            message: Left::Untouched,
            reason: String::new(),
            failed_before: Some("RetriesExhausted after 3 attempt(s)".into()),
            age_seconds: Some(3 * 3600),
            body: body.map(str::to_string),
        };
        let listing = Listing {
            queues: vec![QueueRead {
                url: "https://sqs.us-east-1.amazonaws.com/1/hub-EventsDeadLetterQueue-X".into(),
                read: 0,
                error: Some("ReceiveMessage failed: AccessDenied".into()),
            }],
            rows: vec![
                row("m-1", Got::WouldReplay, None),
                row("m-2", Got::Rejected, Some("{\"forged\": true}")),
            ],
            max: 2,
        };
        let table = listing.render(Format::Table);
        assert!(table.starts_with("QUEUE"), "{table}");
        for part in [
            "hub-AsyncFailureQueue-X",
            "m-1",
            "3h",
            "would_replay",
            "rejected",
            "RetriesExhausted after 3",
            "2 message(s) in 1 queue(s)",
            "more may wait",
            "queue hub-EventsDeadLetterQueue-X: ReceiveMessage failed: AccessDenied",
            "message m-2:\n{\"forged\": true}",
        ] {
            assert!(table.contains(part), "{part:?} in {table}");
        }
        let json: serde_json::Value = serde_json::from_str(&listing.render(Format::Json)).unwrap();
        assert_eq!(json["rows"][0]["message_id"], "m-1");
        assert_eq!(json["rows"][0]["age_seconds"], 10800);
        assert!(listing.render(Format::Csv).contains("m-2"));
    }
}

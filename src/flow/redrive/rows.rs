//! One row per message, and the report of a run: table, JSON or CSV.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::message::{Got, Identity, Shape};
use crate::domain::report::{self, Format};

/// What became of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Left {
    /// Handled, and deleted.
    Deleted,
    /// Unreadable or rejected, and deleted as `--drop-unreadable` asked.
    Dropped,
    /// Still in the queue, visible again.
    Kept,
    /// A dry run: untouched, visible again.
    Untouched,
}

impl Left {
    /// What becomes of a message whose replay got `result`: a handled one
    /// leaves its queue; one that no replay can ever handle leaves it only
    /// when the operator asked (`drop_unreadable`); a dry run touches none.
    pub fn of(result: Got, dry_run: bool, drop_unreadable: bool) -> Left {
        match (dry_run, result.handled(), result.unreplayable()) {
            (true, _, _) => Left::Untouched,
            (false, true, _) => Left::Deleted,
            (false, false, true) if drop_unreadable => Left::Dropped,
            (false, _, _) => Left::Kept,
        }
    }

    /// The run deletes the message from its queue.
    pub fn leaves_queue(self) -> bool {
        matches!(self, Left::Deleted | Left::Dropped)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Left::Deleted => "deleted",
            Left::Dropped => "dropped",
            Left::Kept => "kept",
            Left::Untouched => "untouched",
        }
    }
}

/// What a message leaves in its queue after the run (a dry run: would leave).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Remains {
    Nothing,
    /// Something a later run may clear: its replay failed, another run held
    /// its event, or a message to delete could not be deleted.
    Retry,
    /// A message no replay can handle (unreadable, or an event the handler
    /// rejects), kept because `--drop-unreadable` was not given.
    Unreadable,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
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
    /// How long the message has been in its queue (seconds), when read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age_seconds: Option<u64>,
    /// The body of a message no replay can handle (its first
    /// [`BODY_SHOWN`] characters), so that it is seen before it is dropped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

/// At most this much of an unreadable message's body, in its row.
pub const BODY_SHOWN: usize = 2000;

/// The first [`BODY_SHOWN`] characters of a body, `...` after a cut.
pub fn body_shown(body: &str) -> String {
    match body.char_indices().nth(BODY_SHOWN) {
        Some((cut, _)) => format!("{}...", &body[..cut]),
        None => body.to_string(),
    }
}

impl Row {
    /// A message that could not be read: shown, and kept or dropped as `fate` says.
    pub fn unreadable(
        queue: &str,
        message_id: &str,
        reason: String,
        body: &str,
        fate: Left,
    ) -> Row {
        Row {
            queue: queue.to_string(),
            message_id: message_id.to_string(),
            shape: None,
            identity: Identity::default(),
            result: Got::Unreadable,
            message: fate,
            reason,
            failed_before: None,
            age_seconds: None,
            body: Some(body_shown(body)),
        }
    }

    /// What the message leaves in its queue (a dry run: what it would
    /// leave, as far as reading it tells).
    pub fn remains(&self, drop_unreadable: bool) -> Remains {
        let unreplayable = self.result.unreplayable();
        match self.message {
            Left::Deleted | Left::Dropped => Remains::Nothing,
            Left::Kept | Left::Untouched if unreplayable && !drop_unreadable => Remains::Unreadable,
            Left::Kept => Remains::Retry,
            Left::Untouched => Remains::Nothing,
        }
    }
}

/// How a run ends: its exit code and the one line that says why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Exit 0: nothing is left to replay, nothing unreadable stays.
    Clean,
    /// Exit 1: a message a later run may clear is left, or a queue could
    /// not be read.
    Retry(String),
    /// Exit 3: nothing is left to replay, but messages no replay can handle
    /// stay for want of `--drop-unreadable`.
    OnlyUnreadable(String),
}

/// One queue read: its URL, how many messages, and what went wrong.
#[derive(Debug, Clone, Serialize, Deserialize)]
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
    /// `--drop-unreadable`: messages no replay can handle are deleted.
    pub drop_unreadable: bool,
    pub queues: Vec<QueueRead>,
    pub rows: Vec<Row>,
    pub totals: BTreeMap<&'static str, usize>,
}

impl Report {
    pub fn new(
        dry_run: bool,
        drop_unreadable: bool,
        queues: Vec<QueueRead>,
        rows: Vec<Row>,
    ) -> Report {
        let mut totals = BTreeMap::from([
            ("read", rows.len()),
            ("deleted", 0),
            ("dropped", 0),
            ("kept", 0),
        ]);
        for r in &rows {
            if r.message != Left::Untouched {
                *totals.entry(r.message.as_str()).or_default() += 1;
            }
            *totals.entry(r.result.as_str()).or_default() += 1;
        }
        Report {
            dry_run,
            drop_unreadable,
            queues,
            rows,
            totals,
        }
    }

    /// How many messages this run leaves that a later run may clear, and
    /// how many no replay can handle (a dry run: would leave, as far as
    /// reading them tells).
    pub fn remaining(&self) -> (usize, usize) {
        let count = |what: Remains| {
            let rows = self.rows.iter();
            rows.filter(|r| r.remains(self.drop_unreadable) == what)
                .count()
        };
        (count(Remains::Retry), count(Remains::Unreadable))
    }

    /// The exit code's verdict and its line.
    pub fn verdict(&self) -> Verdict {
        let ((retry, unreadable), errors) = (self.remaining(), self.queue_errors());
        if retry == 0 && unreadable == 0 && errors.is_empty() {
            return Verdict::Clean;
        }
        let (head, stay, nothing) = match self.dry_run {
            true => ("redrive --dry-run", "would stay", "nothing would be left"),
            false => ("redrive", "left in the queues", "nothing is left"),
        };
        let mut line = match retry {
            0 => format!("{head}: {nothing} to replay"),
            n => format!("{head}: {n} message(s) to replay again {stay} (the rows say why)"),
        };
        if unreadable > 0 {
            line.push_str(&format!("; {unreadable} message(s) no replay can handle {stay} (unreadable or rejected: the rows show them); drop them with --drop-unreadable"));
        }
        for e in &errors {
            line.push_str(&format!("; queue {e}"));
        }
        match retry == 0 && errors.is_empty() {
            true => Verdict::OnlyUnreadable(line),
            false => Verdict::Retry(line),
        }
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
        let (retry, unreadable) = self.remaining();
        let (read, queues) = (t("read"), self.queues.len());
        let mut out = match self.dry_run {
            true => format!(
                "{read} message(s) read from {queues} queue(s); dry run: nothing replayed, nothing deleted; {unreadable} no replay can handle would stay\n"
            ),
            false => format!(
                "{read} message(s) read from {queues} queue(s): {} handled and deleted, {} unreadable dropped, {} kept in the queue ({retry} to replay again, {unreadable} unreadable; the rows say why)\n",
                t("deleted"), t("dropped"), t("kept")
            ),
        };
        if self.dry_run && self.drop_unreadable {
            let dropped = t(Got::Unreadable.as_str()) + t(Got::Rejected.as_str());
            out.push_str(&format!(
                "--drop-unreadable: {dropped} unreadable or rejected message(s) would be dropped\n"
            ));
        }
        for e in self.queue_errors() {
            out.push_str(&format!("queue {e}\n"));
        }
        out
    }
}

fn cells(r: &Row) -> [String; 10] {
    let or_dash = |s: &Option<String>| s.clone().unwrap_or_else(|| "-".into());
    [
        queue_name(&r.queue).to_string(),
        r.shape.map_or("-", Shape::as_str).to_string(),
        or_dash(&r.identity.kind),
        or_dash(&r.identity.account),
        or_dash(&r.identity.region),
        r.identity
            .actor
            .as_deref()
            .map_or("-".into(), crate::domain::alert::short_actor),
        or_dash(&r.identity.event_id),
        r.result.as_str().to_string(),
        r.message.as_str().to_string(),
        r.reason.clone(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn row(result: Got, message: Left) -> Row {
        Row {
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
            age_seconds: None,
            body: None,
        }
    }

    #[test]
    fn what_becomes_of_a_message() {
        use Got::*;
        // (result, dry run, --drop-unreadable) -> what becomes of it
        let cases = [
            (Done, false, false, Left::Deleted),
            (Duplicate, false, false, Left::Deleted),
            (Coalesced, false, false, Left::Deleted),
            (Ignored, false, false, Left::Deleted),
            (FannedOut, false, true, Left::Deleted),
            (Failed, false, false, Left::Kept),
            (Failed, false, true, Left::Kept),
            (InFlight, false, true, Left::Kept),
            (Unreadable, false, false, Left::Kept),
            (Unreadable, false, true, Left::Dropped),
            (Rejected, false, false, Left::Kept),
            (Rejected, false, true, Left::Dropped),
            (Done, true, true, Left::Untouched),
            (WouldReplay, true, false, Left::Untouched),
            (Unreadable, true, true, Left::Untouched),
        ];
        for (got, dry, drop, want) in cases {
            let left = Left::of(got, dry, drop);
            assert_eq!(left, want, "{got:?} dry {dry} drop {drop}");
            assert_eq!(
                left.leaves_queue(),
                matches!(want, Left::Deleted | Left::Dropped)
            );
        }
    }

    #[test]
    fn what_a_message_leaves_behind() {
        use Got::*;
        // (result, what became of it, --drop-unreadable) -> what it leaves
        let cases = [
            (Done, Left::Deleted, false, Remains::Nothing),
            (Unreadable, Left::Dropped, true, Remains::Nothing),
            (Failed, Left::Kept, false, Remains::Retry),
            (InFlight, Left::Kept, true, Remains::Retry),
            // A handled message whose delete was refused: the next run
            // finds it a duplicate.
            (Duplicate, Left::Kept, false, Remains::Retry),
            (Unreadable, Left::Kept, false, Remains::Unreadable),
            (Rejected, Left::Kept, false, Remains::Unreadable),
            // Asked to drop it, and the delete was refused.
            (Unreadable, Left::Kept, true, Remains::Retry),
            (WouldReplay, Left::Untouched, false, Remains::Nothing),
            (Rejected, Left::Untouched, false, Remains::Unreadable),
            (Unreadable, Left::Untouched, true, Remains::Nothing),
        ];
        for (got, left, drop, want) in cases {
            assert_eq!(
                row(got, left).remains(drop),
                want,
                "{got:?} {left:?} drop {drop}"
            );
        }
    }

    #[test]
    fn the_report_counts_and_says_what_stays() {
        let poison = format!("x\n{}", "y".repeat(3000));
        let rows = vec![
            row(Got::Done, Left::Deleted),
            row(Got::Duplicate, Left::Deleted),
            row(Got::Coalesced, Left::Deleted),
            row(Got::Failed, Left::Kept),
            Row::unreadable(
                "q",
                "m2",
                "unreadable: body is empty".into(),
                "",
                Left::Kept,
            ),
            Row::unreadable(
                "q",
                "m3",
                "unreadable: not valid JSON".into(),
                &poison,
                Left::Kept,
            ),
        ];
        let queues = vec![QueueRead {
            url: "https://x/123/q".into(),
            read: 4,
            error: Some("ReceiveMessage failed: AccessDenied".into()),
        }];
        let r = Report::new(false, false, queues, rows);
        assert_eq!(r.remaining(), (1, 2));
        let Verdict::Retry(line) = r.verdict() else {
            panic!("{:?}", r.verdict())
        };
        assert_eq!(line, "redrive: 1 message(s) to replay again left in the queues (the rows say why); 2 message(s) no replay can handle left in the queues (unreadable or rejected: the rows show them); drop them with --drop-unreadable; queue q: ReceiveMessage failed: AccessDenied");
        assert_eq!(
            (
                r.totals["deleted"],
                r.totals["kept"],
                r.totals["dropped"],
                r.totals["read"]
            ),
            (3, 3, 0, 6)
        );
        assert_eq!(r.queue_errors(), ["q: ReceiveMessage failed: AccessDenied"]);
        let table = r.render(Format::Table);
        assert!(table.starts_with("QUEUE"), "{table}");
        assert!(
            table.contains("hub-EventsDeadLetterQueue-1  event"),
            "{table}"
        );
        assert!(table.contains("role/Admin"), "{table}");
        assert!(table.contains("coalesced"), "{table}");
        assert!(table.contains("3 handled and deleted, 0 unreadable dropped, 3 kept in the queue (1 to replay again, 2 unreadable"), "{table}");
        let json: Value = serde_json::from_str(&r.render(Format::Json)).unwrap();
        assert_eq!(json["rows"][3]["result"], "failed");
        assert_eq!(json["rows"][3]["message"], "kept");
        assert_eq!(json["rows"][0]["kind"], "document_changed");
        assert_eq!(json["rows"][4]["shape"], Value::Null);
        assert_eq!(
            json["rows"][0].get("body"),
            None,
            "only what no replay can handle"
        );
        assert_eq!(json["rows"][4]["body"], "");
        let shown = json["rows"][5]["body"].as_str().unwrap();
        assert!(
            shown.starts_with("x\ny") && shown.ends_with("..."),
            "{shown}"
        );
        assert_eq!(shown.chars().count(), BODY_SHOWN + 3);
        assert!(r.render(Format::Csv).contains("\"a, \"\"b\"\"\""));

        let dropped = vec![
            row(Got::Done, Left::Deleted),
            Row::unreadable("q", "m2", "unreadable".into(), "{", Left::Dropped),
        ];
        let r = Report::new(false, true, vec![], dropped);
        assert_eq!(r.remaining(), (0, 0));
        assert_eq!(r.verdict(), Verdict::Clean);
        assert_eq!((r.totals["dropped"], r.totals["deleted"]), (1, 1));
        assert!(r.render(Format::Table).contains("1 unreadable dropped"));

        let dry_rows = || {
            vec![
                row(Got::WouldReplay, Left::Untouched),
                row(Got::Rejected, Left::Untouched),
            ]
        };
        let dry = Report::new(true, false, vec![], dry_rows());
        assert_eq!(dry.remaining(), (0, 1), "a rejected event would stay");
        assert_eq!(
            dry.verdict(),
            Verdict::OnlyUnreadable("redrive --dry-run: nothing would be left to replay; 1 message(s) no replay can handle would stay (unreadable or rejected: the rows show them); drop them with --drop-unreadable".into())
        );
        assert!(dry.render(Format::Table).contains("dry run"));
        let dry = Report::new(true, true, vec![], dry_rows());
        assert_eq!(dry.remaining(), (0, 0), "... unless dropped");
        assert!(dry
            .render(Format::Table)
            .contains("1 unreadable or rejected message(s) would be dropped"));
        assert_eq!(
            queue_name("https://sqs.eu-west-1.amazonaws.com/1/dlq/"),
            "dlq"
        );
    }
}

//! `runas-guard history`: one account's changes and drift (the 90-day
//! `HISTORY#` rows) as table, JSON or CSV. Pure: the query is in
//! `store::status`.

use std::time::{Duration, SystemTime};

use crate::domain::clock;
use crate::domain::report::{csv, short_time, table, Format};
use crate::domain::rows::{run_as_short, HistoryEntry};

/// `--since`: an ISO date (`2026-03-14`), an ISO time
/// (`2026-03-14T09:30:00Z`, milliseconds optional) or an age (`90m`, `24h`,
/// `7d`). Returns the start as a prefix of the history keys' times.
pub fn parse_since(since: &str, now: SystemTime) -> Result<String, String> {
    let s = since.trim();
    let bad = || {
        format!(
            "--since {since:?} is not a date (2026-03-14), a UTC time (2026-03-14T09:30:00Z) or an age (90m, 24h, 7d)"
        )
    };
    if let Some((number, unit)) = s
        .char_indices()
        .last()
        .filter(|(_, u)| u.is_ascii_alphabetic())
        .map(|(i, u)| (&s[..i], u))
    {
        if !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit()) {
            let n: u64 = number.parse().map_err(|_| bad())?;
            let unit_secs = match unit {
                's' => 1,
                'm' => 60,
                'h' => 3_600,
                'd' => 86_400,
                'w' => 7 * 86_400,
                _ => return Err(bad()),
            };
            let age = n.checked_mul(unit_secs).ok_or_else(bad)?;
            let start = now.checked_sub(Duration::from_secs(age)).ok_or_else(bad)?;
            return Ok(clock::iso(start));
        }
    }
    let is_date = s.len() == 10 && clock::parse_iso(&format!("{s}T00:00:00Z")).is_some();
    if is_date {
        return Ok(s.to_string());
    }
    let millis = clock::parse_iso(s).ok_or_else(bad)?;
    let start = SystemTime::UNIX_EPOCH
        .checked_add(Duration::from_millis(
            u64::try_from(millis).map_err(|_| bad())?,
        ))
        .ok_or_else(bad)?;
    Ok(clock::iso(start))
}

pub fn render(rows: &[HistoryEntry], format: Format) -> String {
    match format {
        Format::Json => serde_json::to_string_pretty(rows).expect("history serialises"),
        Format::Csv => history_csv(rows),
        Format::Table => history_table(rows),
    }
}

fn history_csv(rows: &[HistoryEntry]) -> String {
    let o = |v: &Option<String>| v.clone().unwrap_or_default();
    let header = [
        "at",
        "account",
        "region",
        "status",
        "action",
        "before",
        "after",
        "actor",
        "trigger_kind",
        "trigger_id",
        "versions_before",
        "version_after",
        "document",
    ];
    let body: Vec<[String; 13]> = rows
        .iter()
        .map(|r| {
            [
                r.at.clone(),
                r.account.clone(),
                r.region.clone(),
                r.status.clone(),
                r.action.clone(),
                run_as_short(&r.before),
                run_as_short(&r.after),
                o(&r.actor),
                r.trigger_kind.clone(),
                r.trigger_id.clone(),
                o(&r.versions_before),
                o(&r.version_after),
                r.document.clone(),
            ]
        })
        .collect();
    csv(&header, &body)
}

fn history_table(rows: &[HistoryEntry]) -> String {
    if rows.is_empty() {
        return "no history recorded for this account in that time\n".into();
    }
    let header = [
        "AT", "REGION", "STATUS", "ACTION", "BEFORE", "AFTER", "ACTOR", "TRIGGER",
    ];
    let body: Vec<[String; 8]> = rows
        .iter()
        .map(|r| {
            [
                short_time(&r.at),
                crate::domain::report::place(&r.region, Some(&r.document)),
                r.status.clone(),
                r.action.clone(),
                run_as_short(&r.before),
                run_as_short(&r.after),
                r.actor
                    .as_deref()
                    .map_or("-".into(), crate::domain::alert::short_actor),
                r.trigger_kind.clone(),
            ]
        })
        .collect();
    table(&header, &body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at(iso: &str) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_millis(clock::parse_iso(iso).unwrap() as u64)
    }

    #[test]
    fn since_forms() {
        let now = at("2026-03-14T12:00:00.000Z");
        assert_eq!(parse_since("24h", now).unwrap(), "2026-03-13T12:00:00.000Z");
        assert_eq!(parse_since("7d", now).unwrap(), "2026-03-07T12:00:00.000Z");
        assert_eq!(parse_since("90m", now).unwrap(), "2026-03-14T10:30:00.000Z");
        assert_eq!(parse_since("2026-03-01", now).unwrap(), "2026-03-01");
        assert_eq!(
            parse_since("2026-03-01T08:00:00Z", now).unwrap(),
            "2026-03-01T08:00:00.000Z"
        );
        for bad in [
            "",
            "yesterday",
            "3x",
            "2026-13-01",
            "h",
            "-1d",
            "2026-03-01T08:00",
        ] {
            let err = parse_since(bad, now).unwrap_err();
            assert!(err.starts_with("--since"), "{bad}: {err}");
        }
    }

    #[test]
    fn renders_run_as_short_and_actor_short() {
        let rows = vec![HistoryEntry {
            at: "2026-03-14T12:00:00.123Z".into(),
            account: "111122223333".into(),
            region: "eu-west-1".into(),
            document: "SSM-SessionManagerRunShell".into(),
            status: "reverted".into(),
            action: "updated".into(),
            before: json!({"runAsEnabled": true, "runAsDefaultUser": "drifty"}),
            after: json!({"runAsEnabled": true, "runAsDefaultUser": "ssm-ops"}),
            actor: Some("arn:aws:iam::111122223333:role/Admin".into()),
            trigger_id: "abc".into(),
            trigger_kind: "document_changed".into(),
            versions_before: Some("default 2 latest 2".into()),
            version_after: Some("3".into()),
        }];
        let t = render(&rows, Format::Table);
        assert!(t.contains("2026-03-14 12:00:00Z"), "{t}");
        assert!(t.contains("on/drifty") && t.contains("on/ssm-ops"), "{t}");
        assert!(t.contains("role/Admin"), "{t}");
        let c = render(&rows, Format::Csv);
        assert_eq!(c.lines().count(), 2, "{c}");
        let j: serde_json::Value = serde_json::from_str(&render(&rows, Format::Json)).unwrap();
        assert_eq!(j[0]["before"]["runAsDefaultUser"], "drifty");
    }
}

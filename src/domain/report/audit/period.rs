//! The report's period from `--since` and `--until` (pure): a date
//! (`2026-03-01`, a whole UTC day: `--since` from its start, `--until`
//! through its end) or an RFC 3339 time (`2026-03-01T09:30:00Z`,
//! `2026-03-01T10:30:00.5+01:00`). A bad value, or an end not after the
//! start, is one line naming the flag and what it should be.

use super::Period;
use crate::domain::clock;

const DAY_MS: i64 = 86_400_000;

fn bad(flag: &str, value: &str) -> String {
    format!(
        "{flag} {value:?} is not a date (2026-03-01) or an RFC 3339 time (2026-03-01T09:30:00Z, 2026-03-01T10:30:00+01:00)"
    )
}

/// Epoch milliseconds of `YYYY-MM-DD` at 00:00 UTC.
fn date(s: &str) -> Option<i64> {
    (s.len() == 10)
        .then(|| clock::parse_iso(&format!("{s}T00:00:00Z")))
        .flatten()
        .filter(|ms| clock::iso(clock::from_millis(*ms)).starts_with(s))
}

/// Epoch milliseconds of an RFC 3339 date-time (any offset).
fn rfc3339(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 20 || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let (body, offset_min) = match s.as_bytes()[s.len() - 1] {
        b'Z' | b'z' => (&s[..s.len() - 1], 0),
        _ => {
            let (body, off) = s.split_at(s.len().checked_sub(6)?);
            let o = off.as_bytes();
            let sign = match o[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            if o[3] != b':'
                || !off[1..3]
                    .bytes()
                    .chain(off[4..].bytes())
                    .all(|c| c.is_ascii_digit())
            {
                return None;
            }
            let (h, m): (i64, i64) = (off[1..3].parse().ok()?, off[4..].parse().ok()?);
            if h > 23 || m > 59 {
                return None;
            }
            (body, sign * (h * 60 + m))
        }
    };
    let utc = format!("{}T{}Z", &body[..10], &body[11..]);
    let local = clock::parse_iso(&utc)?;
    // The day must exist (parse_iso accepts 31 in any month).
    date(&body[..10])?;
    Some(local - offset_min * 60_000)
}

/// One bound: a date's start (`end_of_day`: the next day's start), or the
/// time given.
pub fn bound(flag: &str, value: &str, end_of_day: bool) -> Result<i64, String> {
    let v = value.trim();
    if let Some(start) = date(v) {
        return Ok(start + if end_of_day { DAY_MS } else { 0 });
    }
    rfc3339(v).ok_or_else(|| bad(flag, value))
}

/// The period from `--since` to `--until` (absent: `now_ms`).
pub fn period(since: &str, until: Option<&str>, now_ms: i64) -> Result<Period, String> {
    let start = bound("--since", since, false)?;
    let end = match until {
        Some(u) => bound("--until", u, true)?,
        None => now_ms,
    };
    if end <= start {
        let until = until.map_or("now".to_string(), |u| format!("{u:?}"));
        return Err(format!(
            "--until {until} is not after --since {since:?}: the period would be empty"
        ));
    }
    Ok(Period {
        since: start,
        until: end,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(iso: &str) -> i64 {
        clock::parse_iso(iso).unwrap()
    }

    #[test]
    fn bounds_are_dates_or_rfc3339_times() {
        let cases: &[(&str, bool, Option<&str>)] = &[
            ("2026-03-01", false, Some("2026-03-01T00:00:00Z")),
            ("2026-03-31", true, Some("2026-04-01T00:00:00Z")),
            ("2026-03-01T09:30:00Z", false, Some("2026-03-01T09:30:00Z")),
            ("2026-03-01t09:30:00z", true, Some("2026-03-01T09:30:00Z")),
            (
                "2026-03-01T09:30:00.250Z",
                false,
                Some("2026-03-01T09:30:00.250Z"),
            ),
            (
                "2026-03-01T10:30:00+01:00",
                false,
                Some("2026-03-01T09:30:00Z"),
            ),
            (
                "2026-03-01T04:00:00-05:30",
                false,
                Some("2026-03-01T09:30:00Z"),
            ),
            ("2026-03-01 09:30:00Z", false, Some("2026-03-01T09:30:00Z")),
            ("2026-02-30", false, None),
            ("2026-02-30T00:00:00Z", false, None),
            ("2026-13-01", false, None),
            ("2026-3-1", false, None),
            ("yesterday", false, None),
            ("7d", false, None),
            ("", false, None),
            ("2026-03-01T09:30:00", false, None),
            ("2026-03-01T09:30:00+1:00", false, None),
            ("2026-03-01T09:30:00+24:00", false, None),
            ("2026-03-01T25:30:00Z", false, None),
        ];
        for (value, end, want) in cases {
            let got = bound("--since", value, *end);
            match want {
                Some(iso) => assert_eq!(got, Ok(at(iso)), "{value}"),
                None => {
                    let e = got.unwrap_err();
                    assert!(
                        e.starts_with("--since ") && e.contains("RFC 3339"),
                        "{value}: {e}"
                    );
                }
            }
        }
    }

    #[test]
    fn the_end_must_come_after_the_start() {
        let now = at("2026-04-10T00:00:00Z");
        let p = period("2026-03-01", Some("2026-03-31"), now).unwrap();
        assert_eq!(
            (p.since, p.until),
            (at("2026-03-01T00:00:00Z"), at("2026-04-01T00:00:00Z"))
        );
        assert_eq!(period("2026-03-01", None, now).unwrap().until, now);
        // One day: --since and --until the same date is that whole day.
        assert!(period("2026-03-01", Some("2026-03-01"), now).is_ok());
        for (since, until) in [
            ("2026-03-02", Some("2026-03-01")),
            ("2026-03-01T10:00:00Z", Some("2026-03-01T10:00:00Z")),
            ("2026-05-01", None),
        ] {
            let e = period(since, until, now).unwrap_err();
            assert!(
                e.starts_with("--until") && e.contains("not after --since"),
                "{e}"
            );
        }
        let e = period("2026-03-01", Some("soon"), now).unwrap_err();
        assert!(e.starts_with("--until \"soon\""), "{e}");
    }
}

//! Fixed-width UTC timestamps. DynamoDB history keys sort as strings, so every
//! timestamp has the same width (milliseconds, `Z`).
//!
//! The wall clock is the system's, unless the thread's runtime anchored it
//! ([`anchor`]): then it is that instant plus the time tokio's clock has run
//! since, so a runtime whose time is paused (the deterministic simulation,
//! tests) drives every timestamp, lease and TTL the product computes.

use std::cell::Cell;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

thread_local! {
    static ANCHOR: Cell<Option<(SystemTime, tokio::time::Instant)>> = const { Cell::new(None) };
}

pub fn now() -> SystemTime {
    match ANCHOR.with(Cell::get) {
        Some((wall, at)) => wall + tokio::time::Instant::now().saturating_duration_since(at),
        None => SystemTime::now(),
    }
}

/// From now on, on this thread, the wall clock reads `wall` now and runs
/// with tokio's clock (paused time included); `None` gives it back to the
/// system. The Lambda and the CLI never anchor.
pub fn anchor(wall: Option<SystemTime>) {
    ANCHOR.with(|a| a.set(wall.map(|w| (w, tokio::time::Instant::now()))));
}

pub fn epoch_secs(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs() as i64),
    }
}

pub fn epoch_millis(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_millis() as i64,
        Err(e) => -(e.duration().as_millis() as i64),
    }
}

/// The time `ms` milliseconds after the epoch (never before it).
pub fn from_millis(ms: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(u64::try_from(ms).unwrap_or(0))
}

/// `2026-11-21T23:01:02.345Z`
pub fn iso(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
    let secs = d.as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, day) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        d.subsec_millis()
    )
}

/// Epoch milliseconds of `YYYY-MM-DDTHH:MM:SS[.fff]Z` (CloudTrail's
/// `eventTime`); `None` for anything else.
pub fn parse_iso(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 20
        || !s.ends_with('Z')
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = s.get(r)?;
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hh, mm, ss) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    let millis = match &s[19..s.len() - 1] {
        "" => 0,
        frac if frac.starts_with('.') && frac.len() > 1 => {
            let digits: String = frac[1..].chars().chain("00".chars()).take(3).collect();
            digits.parse::<i64>().ok()?
        }
        _ => return None,
    };
    let days = days_from_civil(y, m as u32, d as u32);
    Some(((days * 86_400 + hh * 3600 + mm * 60 + ss) * 1000) + millis)
}

/// Howard Hinnant's civil-to-days algorithm (proleptic Gregorian).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (i64::from(m) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Howard Hinnant's days-to-civil algorithm (proleptic Gregorian).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn an_anchored_clock_runs_with_tokio_time() {
        // 1970-01-12: far from any system clock this runs under.
        let wall = UNIX_EPOCH + Duration::from_secs(1_000_000);
        anchor(Some(wall));
        assert_eq!(now(), wall);
        tokio::time::sleep(Duration::from_secs(90)).await;
        assert_eq!(now(), wall + Duration::from_secs(90));
        anchor(None);
        assert!(
            now() > wall + Duration::from_secs(3600 * 24 * 365),
            "the system's clock again"
        );
    }

    #[test]
    fn formats() {
        assert_eq!(iso(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            iso(UNIX_EPOCH + Duration::from_millis(951_782_400_007)),
            "2000-02-29T00:00:00.007Z"
        );
        assert_eq!(
            iso(UNIX_EPOCH + Duration::from_secs(1_795_302_061)),
            "2026-11-21T23:01:01.000Z"
        );
        assert_eq!(epoch_secs(UNIX_EPOCH + Duration::from_secs(5)), 5);
        assert_eq!(
            epoch_millis(UNIX_EPOCH + Duration::from_millis(5_007)),
            5_007
        );
    }
}

//! `[nodes] held_alert_after`: how long an `enforce-when-ready` document
//! may stay held before a sweep tells it (`enforcement_held`).

use std::time::Duration;

use super::raw::RawNodes;
use super::validate::Problem;
use crate::domain::canary::parse_duration;

/// A day: long enough for a fleet's daily State Manager run (the check's
/// schedule) and a working day's fix, short enough that a hold nobody
/// works on is heard of the next day.
pub const DEFAULT_HELD_ALERT_AFTER: Duration = Duration::from_secs(24 * 3600);

pub(super) fn check_held_alert_after(raw: &RawNodes) -> Result<Duration, Problem> {
    let Some(text) = &raw.held_alert_after else {
        return Ok(DEFAULT_HELD_ALERT_AFTER);
    };
    let key = || "nodes.held_alert_after".to_string();
    let bound = parse_duration(text).map_err(|e| (key(), e))?;
    if bound.is_zero() {
        return Err((
            key(),
            format!("{text:?} is no time: write how long a held region may wait, e.g. \"24h\""),
        ));
    }
    Ok(bound)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::domain::policy::Policy;

    const BASE: &str =
        "member_role = \"R\"\nregions = [\"eu-west-1\"]\n[default]\nrun_as_user = \"ops\"\n";

    #[test]
    fn a_day_unless_set_and_a_bad_value_is_named() {
        let parse = |extra: &str| Policy::parse(&format!("{BASE}{extra}"), "policy.toml");
        assert_eq!(
            parse("").unwrap().held_alert_after,
            Duration::from_secs(86_400)
        );
        let set = parse("[nodes]\ncheck_user = true\nheld_alert_after = \"90m\"\n").unwrap();
        assert_eq!(set.held_alert_after, Duration::from_secs(5_400));
        for (value, says) in [
            ("\"24\"", "unit"),
            ("\"1w\"", "unit"),
            ("\"0h\"", "no time"),
            ("\"45d\"", "longer than 30 days"),
            ("\"-1h\"", "not a duration"),
        ] {
            let e = parse(&format!("[nodes]\nheld_alert_after = {value}\n"))
                .unwrap_err()
                .to_string();
            assert!(
                e.contains("nodes.held_alert_after") && e.contains(says),
                "{value}: {e}"
            );
        }
        let e = parse("[nodes]\nheld_alert_after = 24\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("held_alert_after"), "{e}");
    }
}

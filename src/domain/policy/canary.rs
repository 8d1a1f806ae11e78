//! `[forwarding_canary]`: off unless `enabled`; its durations checked here.

use super::raw::RawCanary;
use super::validate::Problem;
use crate::domain::canary::{parse_duration, Settings};

pub(super) fn check_canary(raw: Option<&RawCanary>) -> Result<Option<Settings>, Problem> {
    let Some(raw) = raw.filter(|r| r.enabled) else {
        return Ok(None);
    };
    let mut settings = Settings::default();
    if let Some(text) = &raw.interval {
        settings.interval = parse_duration(text).map_err(|e| key("interval", e))?;
    }
    if let Some(text) = &raw.grace {
        settings.grace = parse_duration(text).map_err(|e| key("grace", e))?;
    }
    Ok(Some(settings))
}

fn key(name: &str, problem: String) -> Problem {
    (format!("forwarding_canary.{name}"), problem)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::domain::policy::Policy;

    const BASE: &str =
        "member_role = \"R\"\nregions = [\"eu-west-1\"]\n[default]\nrun_as_user = \"ops\"\n";

    #[test]
    fn off_unless_enabled_and_durations_named_when_wrong() {
        let parse = |extra: &str| Policy::parse(&format!("{BASE}{extra}"), "policy.toml");
        assert_eq!(parse("").unwrap().canary, None);
        assert_eq!(
            parse("[forwarding_canary]\ninterval = \"1h\"\n")
                .unwrap()
                .canary,
            None
        );
        let on = parse("[forwarding_canary]\nenabled = true\ngrace = \"10m\"\n").unwrap();
        let s = on.canary.unwrap();
        assert_eq!(
            (s.interval, s.grace),
            (Duration::from_secs(21_600), Duration::from_secs(600))
        );
        for (extra, named) in [
            (
                "[forwarding_canary]\nenabled = true\ngrace = \"10\"\n",
                "forwarding_canary.grace",
            ),
            (
                "[forwarding_canary]\nenabled = true\ninterval = \"1w\"\n",
                "forwarding_canary.interval",
            ),
            (
                "[forwarding_canary]\nenabled = true\nevery = \"1h\"\n",
                "every",
            ),
        ] {
            let e = parse(extra).unwrap_err().to_string();
            assert!(e.contains(named), "{extra}: {e}");
        }
    }
}

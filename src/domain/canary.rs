//! The forwarding canary (pure): whether a sweep writes a new canary in an
//! account-region, and what the last one says about that account-region's
//! event path.
//!
//! A canary is one tag (`runas-guard:canary` = a fresh token) put on the
//! account-region's `SSM-SessionManagerRunShell` by the sweep's member
//! session. CloudTrail records the `AddTagsToResource`; the member stack's
//! document rule forwards it to the hub bus exactly as it forwards an edit,
//! and the function records its arrival. A tag changes nothing a session
//! reads, and the grant for it names one tag key on one document.
//!
//! A canary that has not arrived within `grace` is missing: told once
//! (`forwarding_missing`), then not again until one arrives. A new canary is
//! never written over one still in flight, so a slow arrival is not taken
//! for a lost one. A sweep tells what its canaries newly say once per cause
//! ([`findings`]), not once per account-region.

use std::time::Duration;

mod findings;

pub use findings::{Account, Cause, Finding, Findings, Group, Mark, ToMark, Told, MAX_CAUSES};

/// The tag key; its value is the canary's token.
pub const TAG_KEY: &str = "runas-guard:canary";

/// `[forwarding_canary]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// How old the last canary must be before a sweep writes the next.
    pub interval: Duration,
    /// How long an arrival may take (CloudTrail delivers management events
    /// to EventBridge within minutes, best effort).
    pub grace: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            interval: Duration::from_secs(6 * 3600),
            grace: Duration::from_secs(30 * 60),
        }
    }
}

/// The last canary of an account-region, as the state item records it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Last {
    pub token: String,
    pub written_ms: i64,
    pub arrived_ms: Option<i64>,
    /// Since when the path has been found broken (the written time of the
    /// first canary that never arrived), and so already told.
    pub missing_since_ms: Option<i64>,
}

/// What the last canary says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// No canary yet.
    Never,
    Arrived {
        latency_ms: i64,
    },
    /// In flight, within the grace.
    Awaiting {
        since_ms: i64,
    },
    /// Not arrived within the grace.
    Missing {
        since_ms: i64,
    },
}

/// One sweep's decision for one account-region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    pub verdict: Verdict,
    /// Tell `forwarding_missing` now (first missing since the last arrival).
    pub tell_missing: bool,
    pub write_new: bool,
}

pub fn verdict(last: Option<&Last>, now_ms: i64, s: &Settings) -> Verdict {
    let Some(last) = last else {
        return Verdict::Never;
    };
    if let Some(arrived) = last.arrived_ms {
        return Verdict::Arrived {
            latency_ms: (arrived - last.written_ms).max(0),
        };
    }
    if now_ms - last.written_ms < millis(s.grace) {
        return Verdict::Awaiting {
            since_ms: last.written_ms,
        };
    }
    Verdict::Missing {
        since_ms: last.missing_since_ms.unwrap_or(last.written_ms),
    }
}

pub fn plan(last: Option<&Last>, now_ms: i64, s: &Settings) -> Plan {
    let verdict = verdict(last, now_ms, s);
    let due = |written_ms: i64| now_ms - written_ms >= millis(s.interval);
    match (verdict, last) {
        (Verdict::Never, _) | (_, None) => Plan {
            verdict,
            tell_missing: false,
            write_new: true,
        },
        (Verdict::Awaiting { .. }, Some(_)) => Plan {
            verdict,
            tell_missing: false,
            write_new: false,
        },
        (Verdict::Arrived { .. }, Some(l)) => Plan {
            verdict,
            tell_missing: false,
            write_new: due(l.written_ms),
        },
        // A broken path is probed at every interval, so its repair shows;
        // not before it is marked told: until its alert is kept, the canary
        // that never came is the evidence the next sweep finds it by.
        (Verdict::Missing { .. }, Some(l)) => Plan {
            verdict,
            tell_missing: l.missing_since_ms.is_none(),
            write_new: l.missing_since_ms.is_some() && due(l.written_ms),
        },
    }
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// What a sweep does about a canary it could not write, from the code the
/// account-region's item says was already told (`told`) and how this
/// write ended (`Err`: SSM's refusal, by its AWS code).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unwritable {
    /// Nothing to tell or record: written as before, refused as already
    /// told, or refused for a passing reason (the next sweep tries again).
    Steady,
    /// Newly refused, or refused for another reason than the one told: mark
    /// the item with this code and tell `canary_unwritable` once.
    Tell(String),
    /// Written again after a refusal was told: the mark goes, so a later
    /// refusal is told again.
    Clear,
}

/// The transition a canary write makes. A refusal that a retry may not
/// meet (throttling, a 5xx, a timeout, runas-guard's own session expiring)
/// says nothing about the account-region and changes nothing; every other
/// refusal (`TooManyTagsError`, `AccessDenied`, `InvalidResourceId`, a code
/// this build does not know) leaves the path unproven, so it is told.
pub fn unwritable(told: Option<&str>, write: Result<(), &str>) -> Unwritable {
    let code = match write {
        Ok(()) if told.is_some() => return Unwritable::Clear,
        Ok(()) => return Unwritable::Steady,
        Err(code) if transient(code) => return Unwritable::Steady,
        Err(code) if code.trim().is_empty() => "Unknown",
        Err(code) => code,
    };
    if told == Some(code) {
        Unwritable::Steady
    } else {
        Unwritable::Tell(code.to_string())
    }
}

/// Refusals that say nothing about the account-region: the SDK already
/// retried them, and the next sweep writes again.
pub fn transient(code: &str) -> bool {
    matches!(
        code,
        "Throttling"
            | "ThrottlingException"
            | "ThrottledException"
            | "RequestLimitExceeded"
            | "TooManyRequestsException"
            | "TooManyUpdates"
            | "InternalServerError"
            | "InternalFailure"
            | "InternalError"
            | "ServiceUnavailable"
            | "ServiceUnavailableException"
            | "RequestTimeout"
            | "RequestTimeoutException"
            | "Timeout"
            | "DispatchFailure"
            | "ResponseError"
            | "ExpiredToken"
            | "ExpiredTokenException"
            | "RequestExpired"
    ) || code
        .strip_prefix("HTTP")
        .is_some_and(|s| s.starts_with('5'))
}

/// What to do about a canary SSM refused with `code`: one line for the
/// alert, `status` and `doctor`.
pub fn what_to_do(code: &str) -> &'static str {
    match code {
        "TooManyTagsError" => "the document carries 50 tags, AWS's limit for an SSM document: remove tags that are not runas-guard's from SSM-SessionManagerRunShell in that account-region (aws ssm list-tags-for-resource / remove-tags-from-resource --resource-type Document --resource-id SSM-SessionManagerRunShell); statement 1 of the required SCP keeps anyone but runas-guard's roles from tagging it",
        "AccessDenied" | "AccessDeniedException" => "runas-guard's member role may not tag the document: update the member stack (its runas-guard-forwarding-canary policy grants the canary's tag) and check that no SCP or permissions boundary denies it ssm:AddTagsToResource",
        "InvalidResourceId" | "InvalidDocument" => "the document was gone when the canary was written (deleted after the sweep read it): the next sweep puts it back; CloudTrail's DeleteDocument names who deleted it",
        _ => "SSM refused the canary's tag with this code: runas-guard doctor --account ID checks the member role there; the next sweep writes the canary again",
    }
}

/// `30s`, `15m`, `6h`, `1d`: the policy's durations.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration: write a whole number and a unit, e.g. \"30m\", \"6h\" or \"1d\""))?;
    let secs = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => {
            return Err(format!(
                "{text:?}: the unit must be s, m, h or d (e.g. \"30m\")"
            ))
        }
    };
    n.checked_mul(secs)
        .filter(|s| *s <= 30 * 86_400)
        .map(Duration::from_secs)
        .ok_or_else(|| format!("{text:?} is longer than 30 days"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const M: i64 = 60_000;

    fn s() -> Settings {
        Settings {
            interval: Duration::from_secs(3600),
            grace: Duration::from_secs(30 * 60),
        }
    }

    fn last(written: i64, arrived: Option<i64>, missing_since: Option<i64>) -> Last {
        Last {
            token: "t".into(),
            written_ms: written,
            arrived_ms: arrived,
            missing_since_ms: missing_since,
        }
    }

    #[test]
    fn each_state_and_what_a_sweep_does_with_it() {
        let now = 1_000 * M;
        let cases = [
            ("never written", None, Verdict::Never, false, true),
            (
                "in flight: never overwritten",
                Some(last(now - 5 * M, None, None)),
                Verdict::Awaiting {
                    since_ms: now - 5 * M,
                },
                false,
                false,
            ),
            (
                "arrived, not due",
                Some(last(now - 10 * M, Some(now - 9 * M), None)),
                Verdict::Arrived { latency_ms: M },
                false,
                false,
            ),
            (
                "arrived, due",
                Some(last(now - 61 * M, Some(now - 60 * M), None)),
                Verdict::Arrived { latency_ms: M },
                false,
                true,
            ),
            (
                "missing for the first time: told, not yet re-probed",
                Some(last(now - 31 * M, None, None)),
                Verdict::Missing {
                    since_ms: now - 31 * M,
                },
                true,
                false,
            ),
            (
                "missing for the first time and due: told, its evidence kept until the mark",
                Some(last(now - 61 * M, None, None)),
                Verdict::Missing {
                    since_ms: now - 61 * M,
                },
                true,
                false,
            ),
            (
                "missing again after a re-probe: not told twice",
                Some(last(now - 61 * M, None, Some(now - 200 * M))),
                Verdict::Missing {
                    since_ms: now - 200 * M,
                },
                false,
                true,
            ),
            (
                "a re-probe in flight on a broken path",
                Some(last(now - M, None, Some(now - 200 * M))),
                Verdict::Awaiting { since_ms: now - M },
                false,
                false,
            ),
        ];
        for (why, l, verdict, tell, write) in cases {
            let p = plan(l.as_ref(), now, &s());
            assert_eq!(
                p,
                Plan {
                    verdict,
                    tell_missing: tell,
                    write_new: write
                },
                "{why}"
            );
        }
    }

    #[test]
    fn a_refused_canary_is_told_once_per_transition() {
        use Unwritable::{Clear, Steady, Tell};
        let tell = |c: &str| Tell(c.to_string());
        type Case<'a> = (&'a str, Option<&'a str>, Result<(), &'a str>, Unwritable);
        let cases: [Case; 16] = [
            ("written, nothing told", None, Ok(()), Steady),
            (
                "written again after a refusal told",
                Some("TooManyTagsError"),
                Ok(()),
                Clear,
            ),
            (
                "refused: told",
                None,
                Err("TooManyTagsError"),
                tell("TooManyTagsError"),
            ),
            (
                "still refused: silent",
                Some("TooManyTagsError"),
                Err("TooManyTagsError"),
                Steady,
            ),
            (
                "refused for another reason: told",
                Some("TooManyTagsError"),
                Err("AccessDenied"),
                tell("AccessDenied"),
            ),
            (
                "AccessDeniedException",
                None,
                Err("AccessDeniedException"),
                tell("AccessDeniedException"),
            ),
            (
                "the document gone",
                None,
                Err("InvalidResourceId"),
                tell("InvalidResourceId"),
            ),
            (
                "a code this build does not know",
                None,
                Err("SomethingNew"),
                tell("SomethingNew"),
            ),
            ("no code at all", None, Err(""), tell("Unknown")),
            ("no code, already told", Some("Unknown"), Err("  "), Steady),
            (
                "throttled: the next sweep tries again",
                None,
                Err("ThrottlingException"),
                Steady,
            ),
            (
                "throttled after a refusal: the mark stays",
                Some("TooManyTagsError"),
                Err("ThrottlingException"),
                Steady,
            ),
            ("a 5xx without a code", None, Err("HTTP503"), Steady),
            (
                "a 4xx without a code",
                None,
                Err("HTTP403"),
                tell("HTTP403"),
            ),
            ("our own session expired", None, Err("ExpiredToken"), Steady),
            (
                "codes are exact: case matters",
                Some("accessdenied"),
                Err("AccessDenied"),
                tell("AccessDenied"),
            ),
        ];
        for (why, told, write, want) in cases {
            assert_eq!(unwritable(told, write), want, "{why}");
        }
    }

    #[test]
    fn each_refusal_says_what_to_do() {
        assert!(what_to_do("TooManyTagsError").contains("50 tags"));
        assert!(what_to_do("AccessDenied").contains("member stack"));
        assert_eq!(
            what_to_do("AccessDenied"),
            what_to_do("AccessDeniedException")
        );
        assert!(what_to_do("InvalidResourceId").contains("gone"));
        assert!(what_to_do("Weird").contains("doctor --account"));
    }

    #[test]
    fn a_clock_behind_the_write_never_reads_as_negative_latency() {
        let l = last(10 * M, Some(9 * M), None);
        assert_eq!(
            verdict(Some(&l), 11 * M, &s()),
            Verdict::Arrived { latency_ms: 0 }
        );
    }

    #[test]
    fn durations() {
        for (text, secs) in [
            ("0s", 0),
            ("30s", 30),
            ("15m", 900),
            ("6h", 21_600),
            ("1d", 86_400),
        ] {
            assert_eq!(
                parse_duration(text),
                Ok(Duration::from_secs(secs)),
                "{text}"
            );
        }
        for bad in [
            "",
            "m",
            "6",
            "6 h",
            "-1h",
            "1.5h",
            "6H",
            "31d",
            "99999999999999999999d",
        ] {
            let e = parse_duration(bad).unwrap_err();
            assert!(e.contains(&format!("{bad:?}")), "{bad}: {e}");
        }
    }
}

//! The settings' bounds, both sides of each.

mod bounds {
    use super::super::*;

    /// Both sides of each bound, for the settings that could drop events.
    #[test]
    fn settings_that_could_drop_events_are_refused_outside_their_bounds() {
        let lease = (
            "RUNAS_GUARD_CLAIM_LEASE_SECONDS",
            1,
            MAX_CLAIM_LEASE_SECONDS,
        );
        let call = (
            "RUNAS_GUARD_CALL_TIMEOUT_SECONDS",
            1,
            MAX_CALL_TIMEOUT_SECONDS,
        );
        let cases = [
            (lease, "50", Some(50)),
            (lease, "55", Some(55)),
            (lease, "56", None),
            (lease, "900", None),
            (lease, "0", None),
            (lease, "-1", None),
            (lease, "ten", None),
            (call, "30", Some(30)),
            (call, "300", Some(300)),
            (call, "301", None),
            (call, "900", None),
            (call, "0", None),
            (call, "99999999999999999999999", None),
        ];
        for ((name, min, max), value, want) in cases {
            match (bounded(name, value, min, max), want) {
                (Ok(n), Some(w)) => assert_eq!(n, w, "{name}={value}"),
                (Err(line), None) => assert!(
                    line.contains(name) && line.contains(&format!("from {min} to {max}")),
                    "{line}"
                ),
                (got, want) => panic!("{name}={value}: got {got:?}, want {want:?}"),
            }
        }
    }
}

mod retention {
    use super::super::*;

    #[test]
    fn history_retention_is_bounded_and_named() {
        let day = 86_400;
        let cases: &[(Option<&str>, Option<u64>)] = &[
            (None, Some(90 * day)),
            (Some("1"), Some(day)),
            (Some(" 400 "), Some(400 * day)),
            (Some("3650"), Some(3650 * day)),
            (Some("0"), None),
            (Some("3651"), None),
            (Some("-5"), None),
            (Some("90d"), None),
            (Some(""), None),
        ];
        for (v, want) in cases {
            let got = history_retention_of(*v);
            match want {
                Some(secs) => assert_eq!(got, Ok(Duration::from_secs(*secs)), "{v:?}"),
                None => {
                    let e = got.unwrap_err();
                    assert!(
                        e.contains("RUNAS_GUARD_HISTORY_RETENTION_DAYS") && e.contains("1 to 3650"),
                        "{v:?}: {e}"
                    );
                }
            }
        }
    }
}

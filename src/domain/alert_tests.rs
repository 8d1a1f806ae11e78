//! Alert decisions and messages, table-driven.

use super::*;

#[test]
fn subjects_are_sns_safe() {
    let s = clean_subject(&format!("a\nb\u{e9}{}", "x".repeat(200)));
    assert!(s.len() < 100 && !s.contains('\n') && s.is_ascii());
}

#[test]
fn actors_shorten() {
    assert_eq!(
        short_actor("arn:aws:iam::111122223333:role/Admin"),
        "role/Admin"
    );
    assert_eq!(
        short_actor(
            "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin"
        ),
        "role/AWSReservedSSO_Admin"
    );
    assert_eq!(
        short_actor("arn:aws:iam::111122223333:user/bob"),
        "user/bob"
    );
    assert_eq!(short_actor("arn:aws:iam::111122223333:root"), "root");
    assert_eq!(short_actor("ssm.amazonaws.com"), "ssm.amazonaws.com");
}

#[test]
fn only_a_new_accounts_configuration_is_told_once_per_account() {
    use crate::domain::trigger::TriggerKind as T;
    let of = |kind: Kind| Alert {
        alert_id: "a1".into(),
        kind,
        severity: Severity::Info,
        account: "111122223333".into(),
        subject: "s".into(),
        body: Value::Null,
    };
    // (alert, trigger, told only by the first run to say it)
    let table = [
        (Kind::AccountConfigured, T::AccountVended, true),
        (Kind::AccountConfigured, T::MemberStackLanded, true),
        (Kind::AccountConfigured, T::BaselineApplied, true),
        // A move is news each time: a new OU, perhaps a new user.
        (Kind::AccountConfigured, T::AccountMoved, false),
        // Everything else is told by the run that decides it.
        (Kind::DriftReverted, T::AccountVended, false),
        (Kind::RemediationFailed, T::MemberStackLanded, false),
        (Kind::AccountLeftGovernance, T::AccountMoved, false),
        (Kind::SweepSummary, T::Sweep, false),
    ];
    for (kind, trigger, once) in table {
        assert_eq!(
            told_once(&of(kind), trigger),
            once,
            "{kind:?} by {trigger:?}"
        );
    }
}

/// An account's report as the decision reads it: `user` desired, `mode`
/// as the rule says, `regions` as the run left them; nothing else known.
fn account_report(
    account: &str,
    user: &str,
    mode: Option<crate::domain::policy::Mode>,
    regions: Vec<crate::domain::outcome::RegionOutcome>,
) -> AccountReport {
    AccountReport {
        account: account.into(),
        name: None,
        ou_path: None,
        desired_user: Some(user.into()),
        rule: None,
        role: None,
        packed_policy_size: None,
        mode,
        left_governance: None,
        regions,
        alerts_lost: 0,
        security_hub: None,
    }
}

mod documents {
    use super::*;
    use crate::domain::outcome::RegionOutcome;
    use crate::domain::preferences::RunAs;
    use crate::domain::trigger::{Actor, Context, TriggerKind};

    fn edit_of(document: &str) -> Trigger {
        Trigger {
            kind: TriggerKind::DocumentChanged,
            account: Some("111122223333".into()),
            region: Some("eu-west-1".into()),
            actor: Some(Actor {
                arn: "arn:aws:iam::111122223333:role/Admin".into(),
                ..Default::default()
            }),
            event_id: "e-1".into(),
            source: "aws.ssm".into(),
            event_name: Some("UpdateDocument".into()),
            reason: "test".into(),
            context: Context {
                document: Some(document.into()),
                ..Default::default()
            },
        }
    }

    /// An `updated` outcome of `document` (None: the default one) whose
    /// RunAs before was `before`, with `followed` as given.
    fn updated(document: Option<&str>, before: &str, followed: bool) -> RegionOutcome {
        let user = if document.is_some() { "admin" } else { "ops" };
        RegionOutcome {
            before: Some(RunAs {
                enabled: Some(Value::Bool(true)),
                user: Some(Value::String(before.into())),
            }),
            after: Some(RunAs::desired(user)),
            followed,
            ..RegionOutcome::skipped("eu-west-1", Action::Updated, None)
        }
        .for_document(
            document.unwrap_or(crate::domain::trigger::DOCUMENT_NAME),
            user,
        )
    }

    /// The kinds `decide` gives an edit event's run of the default document
    /// over `regions`, for an account whose user is `ops`.
    fn decided_kinds(regions: Vec<RegionOutcome>, per: Per, resumed: bool) -> Vec<&'static str> {
        decided_alerts(regions, per, resumed)
            .iter()
            .map(|a| a.kind.as_str())
            .collect()
    }

    /// The alerts `decide` gives an edit event's run of the default
    /// document over `regions`, for an account whose user is `ops`.
    fn decided_alerts(regions: Vec<RegionOutcome>, per: Per, resumed: bool) -> Vec<Alert> {
        let t = edit_of(crate::domain::trigger::DOCUMENT_NAME);
        let report = account_report("111122223333", "ops", None, regions);
        let reverts = HashMap::new();
        let facts = Facts {
            trigger: &t,
            expected_editor: false,
            reverts_last_hour: &reverts,
            new_drift: &HashSet::new(),
            new_missing: &HashSet::new(),
            resumed,
            at: "2026-11-22T00:00:00Z",
        };
        decide(&report, per, &facts)
    }

    /// The row as judged when only the policy's user changed since it was
    /// recorded.
    fn policy_applied(o: RegionOutcome) -> RegionOutcome {
        RegionOutcome {
            change: Some(Change::Policy {
                from_user: Some("ssm-ops".into()),
                to_user: "ops".into(),
                from_mode: None,
                to_mode: None,
            }),
            ..o
        }
    }

    #[test]
    fn a_named_document_is_alerted_on_its_own_terms() {
        const ADMIN: &str = "SSMRunAs-Admin";
        const DEFAULT: &str = crate::domain::trigger::DOCUMENT_NAME;
        let cases = [
            // (event on, outcome, alerts wanted: (kind, document) pairs)
            (
                ADMIN,
                updated(Some(ADMIN), "root", false),
                vec!["drift_reverted SSMRunAs-Admin"],
            ),
            // RunAs right, only its inherited settings moved, and the edit was its own
            (
                ADMIN,
                updated(Some(ADMIN), "admin", true),
                vec!["drift_reverted SSMRunAs-Admin"],
            ),
            // it followed an edit of the default document: nobody to blame
            (DEFAULT, updated(Some(ADMIN), "admin", true), vec![]),
            // its RunAs was wrong, whatever the event: always said
            (
                DEFAULT,
                updated(Some(ADMIN), "root", false),
                vec!["drift_reverted SSMRunAs-Admin"],
            ),
            // the default document judged by the account's user, not the named one's
            (
                DEFAULT,
                updated(None, "admin", false),
                vec!["drift_reverted SSM-SessionManagerRunShell"],
            ),
            (DEFAULT, updated(None, "ops", false), vec![]),
            // the editor left Run As as recorded (`ssm-ops`) and the policy
            // now wants `ops`: the put-back is the policy's, told by the
            // sweep's summary, never blamed on the editor
            (
                DEFAULT,
                policy_applied(updated(None, "ssm-ops", false)),
                vec![],
            ),
            (
                ADMIN,
                policy_applied(updated(Some(ADMIN), "admin", false)),
                vec![],
            ),
            // ... but the inheriting document's other settings the editor
            // changed (brought back in line) are theirs, as without a
            // pending policy change
            (
                ADMIN,
                policy_applied(updated(Some(ADMIN), "admin", true)),
                vec!["drift_reverted SSMRunAs-Admin"],
            ),
            (
                ADMIN,
                updated(Some(ADMIN), "admin", true),
                vec!["drift_reverted SSMRunAs-Admin"],
            ),
            // an edit of the default document brings no inheriting one in
            // line of its own: a policy's put-back there stays quiet
            (
                DEFAULT,
                policy_applied(updated(Some(ADMIN), "admin", true)),
                vec![],
            ),
            // the editor moved Run As under a changed policy: theirs
            (
                DEFAULT,
                RegionOutcome {
                    change: Some(Change::Document),
                    ..updated(None, "root", false)
                },
                vec!["drift_reverted SSM-SessionManagerRunShell"],
            ),
        ];
        for (on, outcome, want) in cases {
            let t = edit_of(on);
            let report = account_report("111122223333", "ops", None, vec![outcome.clone()]);
            let reverts = HashMap::from([(outcome.slot(), 1)]);
            let facts = Facts {
                trigger: &t,
                expected_editor: false,
                reverts_last_hour: &reverts,
                new_drift: &HashSet::new(),
                new_missing: &HashSet::new(),
                resumed: false,
                at: "2026-11-22T00:00:00Z",
            };
            let got: Vec<String> = decide(&report, Per::Region, &facts)
                .iter()
                .map(|a| {
                    format!(
                        "{} {}",
                        a.kind.as_str(),
                        a.body["document"].as_str().unwrap()
                    )
                })
                .collect();
            assert_eq!(got, want, "event on {on}: {outcome:?}");
        }
    }

    #[test]
    fn a_failure_adds_to_a_revert_and_never_replaces_it() {
        const ADMIN: &str = "SSMRunAs-Admin";
        let failed = RegionOutcome::failed("eu-west-1", "AccessDeniedException", "denied".into())
            .for_document(ADMIN, "admin");
        let cases: [(Per, Vec<RegionOutcome>, Vec<&str>); 4] = [
            // The named document keeps failing; the default one was put back.
            (
                Per::Region,
                vec![updated(None, "mallory", false), failed.clone()],
                vec!["remediation_failed", "drift_reverted"],
            ),
            (
                Per::Region,
                vec![failed.clone()],
                vec!["remediation_failed"],
            ),
            (
                Per::Region,
                vec![updated(None, "ops", false), failed.clone()],
                vec!["remediation_failed"],
            ),
            // A vend that failed somewhere is configured by its retry.
            (
                Per::Account,
                vec![updated(None, "mallory", false), failed],
                vec!["remediation_failed"],
            ),
        ];
        for (scope, regions, want) in cases {
            let got = decided_kinds(regions.clone(), scope, false);
            assert_eq!(got, want, "{scope:?}: {regions:?}");
        }
    }

    /// A retry whose dead attempt wrote and recorded finds the account
    /// right: it says the account configured (once per trigger and life:
    /// `flow::configured`; simulation seed 630872). Not a retry, an edit
    /// event's retry, an account still awaiting its member stack or in
    /// audit: silent; a failure is told as ever.
    #[test]
    fn a_retry_finding_its_dead_attempts_writes_done_says_the_account_configured() {
        let right = |region: &str| {
            RegionOutcome {
                before: Some(RunAs::desired("ops")),
                after: Some(RunAs::desired("ops")),
                ..RegionOutcome::skipped(region, Action::None, None)
            }
            .for_document(crate::domain::trigger::DOCUMENT_NAME, "ops")
        };
        let audit = RegionOutcome {
            mode: Some(crate::domain::policy::Mode::Audit),
            ..right("eu-west-1")
        };
        let pending = RegionOutcome::skipped("us-east-1", Action::Pending, None);
        let failed = RegionOutcome::failed("us-east-1", "AccessDeniedException", "denied".into());
        let both = || vec![right("eu-west-1"), right("us-east-1")];
        let cases: [(Per, bool, Vec<RegionOutcome>, Vec<&str>); 7] = [
            (Per::Account, true, both(), vec!["account_configured"]),
            (Per::Account, false, both(), vec![]),
            (Per::Region, true, both(), vec![]),
            (
                Per::Account,
                true,
                vec![right("eu-west-1"), pending],
                vec![],
            ),
            (Per::Account, true, vec![audit], vec![]),
            (
                Per::Account,
                true,
                vec![right("eu-west-1"), failed],
                vec!["remediation_failed"],
            ),
            (Per::Account, true, vec![], vec![]),
        ];
        for (per, resumed, regions, want) in cases {
            let got = decided_kinds(regions.clone(), per, resumed);
            assert_eq!(got, want, "{per:?} resumed {resumed}: {regions:?}");
        }
    }

    /// An edit event's put-back of a default made before the account last
    /// joined configures its new life; the editor is not blamed for it
    /// (simulation seed 600483). The control: the same put-back of this
    /// life's default is the editor's drift.
    #[test]
    fn a_put_back_of_the_latest_alone_says_so_and_one_of_the_default_does_not() {
        for (pending, want) in [(true, Some(true)), (false, None)] {
            let o = RegionOutcome {
                pending,
                ..updated(None, "root", false)
            };
            let alerts = decided_alerts(vec![o], Per::Region, false);
            assert_eq!(alerts.len(), 1, "{alerts:?}");
            assert_eq!(alerts[0].kind.as_str(), "drift_reverted");
            assert_eq!(
                alerts[0].body.get("latest_only").and_then(Value::as_bool),
                want,
                "pending {pending}"
            );
            // No session to ask about where none ran with it.
            let steps = crate::domain::alert::guidance::steps(&alerts[0]);
            assert_eq!(
                steps == crate::domain::alert::guidance::LATEST_ONLY_STEPS,
                pending
            );
        }
    }

    #[test]
    fn another_lifes_default_put_back_is_the_lifes_configuration_not_drift() {
        const ADMIN: &str = "SSMRunAs-Admin";
        let another = |o: RegionOutcome| RegionOutcome {
            another_life: true,
            ..o
        };
        let failed = RegionOutcome::failed("eu-west-1", "AccessDeniedException", "denied".into())
            .for_document(ADMIN, "admin");
        let cases: [(Vec<RegionOutcome>, Vec<&str>); 5] = [
            (vec![updated(None, "root", false)], vec!["drift_reverted"]),
            (
                vec![another(updated(None, "root", false))],
                vec!["account_configured"],
            ),
            // An edit event's write of other inputs: no configuration told.
            (vec![updated(None, "ops", false)], vec![]),
            // Beside a failure: the failure is told, the configuration by the
            // run that finishes it, never the editor's drift.
            (
                vec![another(updated(None, "root", false)), failed],
                vec!["remediation_failed"],
            ),
            (
                vec![
                    another(updated(None, "root", false)),
                    updated(None, "mallory", false),
                ],
                vec!["drift_reverted"],
            ),
        ];
        for (regions, want) in cases {
            let got = decided_kinds(regions.clone(), Per::Region, false);
            assert_eq!(got, want, "{regions:?}");
        }
    }

    /// A configuration names the default it put back only where that default
    /// held Run As out of policy: the vend's window, told by its one alert.
    #[test]
    fn a_configuration_names_the_out_of_policy_default_it_put_back_and_nothing_else() {
        use crate::domain::ports::Versions;
        let with = |o: RegionOutcome, pending: bool| RegionOutcome {
            versions_before: Some(Versions {
                default: "3".into(),
                latest: "4".into(),
            }),
            pending,
            ..o
        };
        let created = RegionOutcome {
            before: None,
            ..with(updated(None, "root", false), false)
        };
        let right = RegionOutcome {
            action: Action::None,
            ..with(updated(None, "ops", false), false)
        };
        let failed = RegionOutcome::failed("eu-west-1", "AccessDeniedException", "denied".into());
        // (row, the `versions_before` its region entry carries)
        let cases = [
            (
                with(updated(None, "root", false), false),
                Some(serde_json::json!({"default": "3", "latest": "4"})),
            ),
            (
                with(updated(None, "", false), false),
                Some(serde_json::json!({"default": "3", "latest": "4"})),
            ),
            // The latest alone was out of policy: no default held it.
            (with(updated(None, "root", false), true), None),
            (created, None),
            (right, None),
            (updated(None, "root", false), None),
            (failed, None),
        ];
        let t = edit_of(crate::domain::trigger::DOCUMENT_NAME);
        for (row, want) in cases {
            let a =
                account_configured("111122223333", "ops", std::slice::from_ref(&row), &t, "now");
            assert_eq!(
                a.body["regions"][0].get("versions_before").cloned(),
                want,
                "{row:?}"
            );
            assert_eq!(
                a.severity,
                Severity::Info,
                "a window's sessions, once read, decide"
            );
        }
    }

    #[test]
    fn a_failure_that_persists_across_events_keeps_its_dedup_key_and_a_changed_one_does_not() {
        let denied = |region: &str, code: &str| RegionOutcome::failed(region, code, "no".into());
        let key = |event: &str, account: &str, regions: &[RegionOutcome]| {
            let mut t = edit_of(crate::domain::trigger::DOCUMENT_NAME);
            t.event_id = event.into();
            let a = remediation_failed(account, Some("ops"), regions, &t, "now");
            (a.alert_id, a.body["dedup_key"].as_str().map(str::to_string))
        };
        let one = [denied("eu-west-1", "AccessDenied")];
        let (id1, first) = key("e-1", "111122223333", &one);
        let (id2, again) = key("e-2", "111122223333", &one);
        assert_ne!(id1, id2, "each event is its own alert");
        assert!(first.is_some());
        assert_eq!(first, again, "the same cause, the same key");
        let changed: [(&str, Vec<RegionOutcome>); 4] = [
            ("another code", vec![denied("eu-west-1", "Throttling")]),
            ("another region", vec![denied("us-east-1", "AccessDenied")]),
            ("another account", one.to_vec()),
            (
                "a region more",
                vec![
                    denied("eu-west-1", "AccessDenied"),
                    denied("us-east-1", "AccessDenied"),
                ],
            ),
        ];
        for (what, regions) in changed {
            let account = match what {
                "another account" => "444455556666",
                _ => "111122223333",
            };
            assert_ne!(key("e-3", account, &regions).1, first, "{what}");
        }
        // The key is the sweep summary's for the same failed rows.
        let mut set = crate::domain::outcome::Failing::default();
        set.add_row("111122223333", &one[0]);
        assert_eq!(set.key(), first);
    }

    #[test]
    fn alert_ids_of_two_documents_in_one_region_differ_and_the_default_keeps_its_own() {
        let t = edit_of("SSM-SessionManagerRunShell");
        let admin = updated(Some("SSMRunAs-Admin"), "root", false);
        let plain = updated(None, "root", false);
        let facts = DriftFacts::default();
        let a = drift("111122223333", "admin", &admin, &t, "now", facts);
        let b = drift("111122223333", "ops", &plain, &t, "now", facts);
        assert_ne!(a.alert_id, b.alert_id);
        // The same fact, told by another event of the same edit: one id.
        let again = Trigger {
            event_id: "e-2".into(),
            ..t.clone()
        };
        let c = drift("111122223333", "ops", &plain, &again, "now", facts);
        assert_eq!(b.alert_id, c.alert_id);
        assert!(
            a.subject.contains("eu-west-1 SSMRunAs-Admin"),
            "{}",
            a.subject
        );
    }
}

/// Issue 51: a run about the account (a vend, a move, a member-stack
/// update) tells its audit findings in one `drift_detected` listing them,
/// as a sweep counts them in one summary; an edit event tells its region.
mod audit {
    use super::*;
    use crate::domain::outcome::RegionOutcome;
    use crate::domain::policy::Mode;
    use crate::domain::preferences::RunAs;
    use crate::domain::trigger::{Actor, TriggerKind};

    const ACCOUNT: &str = "111122223333";

    fn trigger(kind: TriggerKind, region: Option<&str>) -> Trigger {
        Trigger {
            kind,
            account: Some(ACCOUNT.into()),
            region: region.map(str::to_string),
            actor: Some(Actor {
                arn: "arn:aws:iam::111122223333:role/Admin".into(),
                ..Default::default()
            }),
            event_id: "e-1".into(),
            source: "aws.organizations".into(),
            event_name: Some("CreateAccountResult".into()),
            reason: "test".into(),
            context: Default::default(),
        }
    }

    /// An audit row: a fresh account's missing document, or one holding `user`.
    fn seen(region: &str, document: Option<&str>, user: Option<&str>) -> RegionOutcome {
        let row = RegionOutcome {
            before: user.map(|u| RunAs {
                enabled: Some(Value::Bool(true)),
                user: Some(Value::String(u.into())),
            }),
            mode: Some(Mode::Audit),
            ..RegionOutcome::skipped(region, Action::WouldChange, None)
        };
        match document {
            Some(d) => row.for_document(d, "admin"),
            None => row,
        }
    }

    fn report(user: &str, regions: Vec<RegionOutcome>) -> AccountReport {
        account_report(ACCOUNT, user, Some(Mode::Audit), regions)
    }

    fn decided(r: &AccountReport, per: Per, t: &Trigger, new: &HashSet<String>) -> Vec<Alert> {
        let reverts = HashMap::new();
        let facts = Facts {
            trigger: t,
            expected_editor: false,
            reverts_last_hour: &reverts,
            new_drift: new,
            new_missing: &HashSet::new(),
            resumed: false,
            at: "2026-11-22T00:00:00Z",
        };
        decide(r, per, &facts)
    }

    fn regions(n: usize) -> Vec<RegionOutcome> {
        (0..n)
            .map(|i| seen(&format!("r-{i:02}"), None, None))
            .collect()
    }

    fn slots(rows: &[RegionOutcome]) -> HashSet<String> {
        rows.iter().map(RegionOutcome::slot).collect()
    }

    /// (why, rows, slots first seen now, per, alerts: kind and region, findings)
    #[test]
    fn one_finding_per_account_for_a_run_about_the_account() {
        let vend = trigger(TriggerKind::AccountVended, None);
        let edit = trigger(TriggerKind::DocumentChanged, Some("r-00"));
        let seventeen = regions(17);
        let two_docs = vec![
            seen("r-00", None, None),
            seen("r-00", Some("SSMRunAs-Admin"), Some("root")),
        ];
        type Case<'a> = (
            &'a str,
            &'a Trigger,
            Vec<RegionOutcome>,
            HashSet<String>,
            Per,
            Vec<(&'a str, Option<&'a str>, u64)>,
        );
        let cases: Vec<Case> = vec![
            (
                "a fresh account's 17 untouched regions: one finding",
                &vend,
                seventeen.clone(),
                slots(&seventeen),
                Per::Account,
                vec![("drift_detected", None, 17)],
            ),
            (
                "already told (a second path of the vend): quiet",
                &vend,
                seventeen.clone(),
                HashSet::new(),
                Per::Account,
                vec![],
            ),
            (
                "only one region is news: that region, as ever",
                &vend,
                seventeen.clone(),
                HashSet::from(["r-03".to_string()]),
                Per::Account,
                vec![("drift_detected", Some("r-03"), 0)],
            ),
            (
                "two documents of one region: one finding there",
                &vend,
                two_docs.clone(),
                slots(&two_docs),
                Per::Account,
                vec![("drift_detected", Some("r-00"), 2)],
            ),
            (
                "an edit event tells its region",
                &edit,
                regions(1),
                slots(&regions(1)),
                Per::Region,
                vec![("drift_detected", Some("r-00"), 0)],
            ),
        ];
        for (why, t, rows, new, per, want) in cases {
            let got: Vec<(String, Option<String>, u64)> =
                decided(&report("ops", rows), per, t, &new)
                    .iter()
                    .map(|a| {
                        (
                            a.kind.as_str().to_string(),
                            a.body["region"].as_str().map(str::to_string),
                            a.body["findings"].as_u64().unwrap_or(0),
                        )
                    })
                    .collect();
            let want: Vec<(String, Option<String>, u64)> = want
                .into_iter()
                .map(|(k, r, n)| (k.to_string(), r.map(str::to_string), n))
                .collect();
            assert_eq!(got, want, "{why}");
        }
    }

    #[test]
    fn the_account_finding_lists_each_region_and_is_its_own_alert() {
        let t = trigger(TriggerKind::AccountVended, None);
        let rows = regions(17);
        let a = decided(
            &report("ops", rows.clone()),
            Per::Account,
            &t,
            &slots(&rows),
        );
        let [a] = a.as_slice() else { panic!("{a:#?}") };
        assert_eq!(
            (a.kind, a.severity),
            (Kind::DriftDetected, Severity::Warning)
        );
        assert_eq!(a.account, ACCOUNT);
        let listed = a.body["regions"].as_array().unwrap();
        assert_eq!(listed.len(), 17);
        assert_eq!(listed[0]["region"], "r-00");
        assert_eq!(listed[0]["before"], Value::Null, "no document yet");
        assert_eq!(listed[0]["desired_user"], "ops");
        assert_eq!(a.body["found_by"], "account_vended");
        assert!(
            a.subject
                .contains("in 111122223333 in 17 regions (want ops)"),
            "{}",
            a.subject
        );
        // One id per set of findings, whichever run tells them; never a
        // region's alone.
        let again = Trigger {
            event_id: "e-2".into(),
            ..t.clone()
        };
        let b = decided(
            &report("ops", rows.clone()),
            Per::Account,
            &again,
            &slots(&rows),
        );
        assert_eq!(a.alert_id, b[0].alert_id);
        let one = drift(ACCOUNT, "ops", &rows[0], &t, "now", DriftFacts::default());
        assert_ne!(a.alert_id, one.alert_id);
        // A failure elsewhere adds to it, never replaces it.
        let mut with_failure = rows.clone();
        with_failure.push(RegionOutcome::failed("r-99", "AccessDenied", "no".into()));
        let kinds: Vec<&str> = decided(
            &report("ops", with_failure),
            Per::Account,
            &t,
            &slots(&rows),
        )
        .iter()
        .map(|a| a.kind.as_str())
        .collect();
        assert_eq!(kinds, ["remediation_failed", "drift_detected"]);
    }

    #[test]
    fn hostile_findings_stay_bounded_and_inert() {
        let t = trigger(TriggerKind::MemberStackLanded, None);
        let rows = regions(300);
        let user = "ops\nSubject: fake\u{202e}";
        let a = decided(&report(user, rows.clone()), Per::Account, &t, &slots(&rows));
        let [a] = a.as_slice() else { panic!("{a:#?}") };
        assert_eq!(a.body["findings"], 300);
        assert_eq!(a.body["regions"].as_array().unwrap().len(), 50);
        assert_eq!(a.body["regions_more"], 250);
        assert!(
            !a.subject.contains('\n') && a.subject.is_ascii() && a.subject.len() < 100,
            "{}",
            a.subject
        );
        assert!(a.subject.contains("member-stack update"), "{}", a.subject);
    }
}

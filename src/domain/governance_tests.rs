use super::*;

const ROOT: &str = "r-ab12";
const PROD: &str = "ou-ab12-prod0001";
const LOCK: &str = "ou-ab12-lock0001";
const SAND: &str = "ou-ab12-sand0001";

fn policy() -> Policy {
    Policy::parse(
        &format!(
            "member_role = \"R\"\nregions = [\"eu-west-1\"]\n[scope]\nous = [\"{PROD}\"]\n\
             [default]\nrun_as_user = \"ops\"\n[exempt]\naccounts = [\"444455556666\"]\nous = [\"{LOCK}\"]\n"
        ),
        "p.toml",
    )
    .unwrap()
}

fn path(ids: &[&str]) -> Vec<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

type Why<'a> = Option<(Reason, Option<&'a str>)>;

#[test]
fn why_an_account_is_not_governed() {
    let p = policy();
    let cases: [(&str, &[&str], Why<'_>); 5] = [
        ("111122223333", &[ROOT, PROD], None),
        (
            "111122223333",
            &[ROOT, PROD, LOCK],
            Some((Reason::ExemptOu, Some(LOCK))),
        ),
        (
            "111122223333",
            &[ROOT, SAND],
            Some((Reason::OutOfScope, None)),
        ),
        ("111122223333", &[ROOT], Some((Reason::OutOfScope, None))),
        // An exempt account is exempt wherever it sits.
        (
            "444455556666",
            &[ROOT, PROD],
            Some((Reason::ExemptAccount, None)),
        ),
    ];
    for (account, ids, want) in cases {
        let got = reason(&p, account, &path(ids));
        let got = got.as_ref().map(|(r, ou)| (*r, ou.as_deref()));
        assert_eq!(got, want, "{account} {ids:?}");
    }
}

#[test]
fn only_a_governed_account_that_is_no_longer_governed_leaves() {
    let now = |standing, names: Option<&'static str>, event| Now {
        standing,
        path_names: names,
        moved_by_event: event,
    };
    let exempt = Standing::Exempt;
    let out = Standing::OutOfScope;
    type Case<'a> = (&'a str, bool, Option<&'a str>, Now<'a>, Option<Cause>);
    let cases: [Case<'_>; 9] = [
        (
            "governed, still governed",
            true,
            Some("Root/Prod"),
            now(Standing::Governed, Some("Root/Prod"), true),
            None,
        ),
        (
            "a move between two governed OUs",
            true,
            Some("Root/Prod"),
            now(Standing::Governed, Some("Root/Other"), true),
            None,
        ),
        (
            "already gone: nothing recorded governed",
            false,
            None,
            now(exempt, Some("Root/Lock"), true),
            None,
        ),
        (
            "already gone, found by a sweep",
            false,
            Some("Root/Lock"),
            now(out, Some("Root/Sand"), false),
            None,
        ),
        (
            "its move event",
            true,
            Some("Root/Prod"),
            now(exempt, Some("Root/Prod/Lock"), true),
            Some(Cause::Moved),
        ),
        (
            "a sweep finds it elsewhere",
            true,
            Some("Root/Prod"),
            now(out, Some("Root/Sand"), false),
            Some(Cause::Moved),
        ),
        (
            "a sweep finds it where it was",
            true,
            Some("Root/Prod"),
            now(out, Some("Root/Prod"), false),
            Some(Cause::PolicyChanged),
        ),
        (
            "no recorded path",
            true,
            None,
            now(exempt, Some("Root/Prod"), false),
            Some(Cause::Unknown),
        ),
        (
            "no path now",
            true,
            Some("Root/Prod"),
            now(exempt, None, false),
            Some(Cause::Unknown),
        ),
    ];
    for (why, was, recorded, now, want) in cases {
        assert_eq!(cause(was, recorded, &now), want, "{why}");
    }
    assert!(in_summary(Cause::PolicyChanged));
    assert!(!in_summary(Cause::Moved) && !in_summary(Cause::Unknown));
}

fn row(region: &str, document: &str, user: Option<&str>) -> RecordedRow {
    RecordedRow {
        region: region.into(),
        document: document.into(),
        run_as: Some("on/ops".into()),
        desired_user: user.map(str::to_string),
        ou_path: Some("Root/Prod".into()),
        ..RecordedRow::default()
    }
}

#[test]
fn what_stays_is_said_from_the_rows() {
    let check = "RunAsGuard-CheckRunAsUser";
    let mut rows = vec![
        row("eu-west-1", "SSM-SessionManagerRunShell", Some("ops")),
        row("eu-west-1", check, Some("ops")),
        row("us-east-1", "SSM-SessionManagerRunShell", Some("ops")),
    ];
    rows[0].canary = true;
    rows[1].association_id = Some("a-1".into());
    rows[1].run_as = None;
    let left = left_in_place(&rows, Some(check), Reason::ExemptOu);
    assert_eq!(left.documents.len(), 2, "{left:?}");
    assert_eq!(left.documents[0].run_as, "on/ops");
    assert_eq!(
        left.check_associations,
        [LeftAssociation {
            region: "eu-west-1".into(),
            association_id: "a-1".into()
        }]
    );
    assert_eq!(left.canary_tags, ["eu-west-1"]);
    assert_eq!(left.more, 0);
    for says in [
        "no longer reads or writes",
        "runas-guard-check-run-as-user",
        "runas-guard:canary",
        "StackSet",
        "say excluded",
    ] {
        assert!(left.note.contains(says), "{says}: {}", left.note);
    }
    // Nothing recorded of a check or a canary: not said.
    let bare = left_in_place(&rows[2..], Some(check), Reason::OutOfScope);
    assert!(!bare.note.contains("runas-guard-check-run-as-user"));
    assert!(!bare.note.contains("canary"));
    assert!(bare.note.contains("go at the next sweep"));
    // A hostile number of rows is listed up to the bound and counted.
    let many: Vec<RecordedRow> = (0..120)
        .map(|i| row(&format!("r-{i}"), "SSM-SessionManagerRunShell", Some("ops")))
        .collect();
    let left = left_in_place(&many, None, Reason::OutOfScope);
    assert_eq!((left.documents.len(), left.more), (MAX_LISTED, 70));
    assert!(was_governed(&many) && !was_governed(&[row("x", "d", None)]));
    assert_eq!(recorded_path(&many), Some("Root/Prod"));
}

#[test]
fn a_departure_says_how_and_why_in_one_line() {
    let d = Departure {
        account: "111122223333".into(),
        name: None,
        reason: Reason::ExemptOu,
        cause: Cause::Moved,
        found_by: "account_moved".into(),
        trigger_id: "e-1".into(),
        at: "2026-11-22T05:00:00Z".into(),
        from_path: Some("Root/Prod".into()),
        to_path: None,
        from_ou: Some(PROD.into()),
        to_ou: Some(LOCK.into()),
        exempt_ou: Some(LOCK.into()),
        actor: Some("arn:aws:iam::1:role/Admin".into()),
        left_in_place: LeftInPlace::default(),
    };
    assert_eq!(
        d.describe(),
        format!("moved from Root/Prod to {LOCK} by arn:aws:iam::1:role/Admin: in an exempt OU ([exempt] ous)")
    );
    let policy = Departure {
        cause: Cause::PolicyChanged,
        reason: Reason::OutOfScope,
        actor: None,
        to_path: Some("Root/Prod".into()),
        ..d.clone()
    };
    assert_eq!(
        policy.describe(),
        "the policy changed (still in Root/Prod): outside the policy's [scope]"
    );
    let back: Departure = serde_json::from_str(&serde_json::to_string(&d).unwrap()).unwrap();
    assert_eq!(back, d);
}

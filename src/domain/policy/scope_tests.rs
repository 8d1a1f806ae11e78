//! Scope, exemption by OU and per-rule modes: which accounts a policy
//! governs, in which mode, and every bad file naming its key.

use super::*;

/// Root r-ab12 > Workloads (ou-ab12-work0001) > Sandbox (ou-ab12-sand0001)
/// > Team (ou-ab12-team0001); Security (ou-ab12-secu0001) beside Workloads.
const STAGED: &str = r#"
member_role = "RunAsGuardExecution"
regions = ["us-east-1"]
mode = "audit"

[nodes]
check_user = true

[scope]
ous = ["ou-ab12-work0001"]
accounts = ["999988887777"]

[[ou]]
id = "ou-ab12-work0001"
run_as_user = "ops"

[[ou]]
id = "ou-ab12-sand0001"
mode = "enforce"

[[ou]]
id = "ou-ab12-team0001"
run_as_user = "team"

[[account]]
id = "111122223333"
mode = "enforce-when-ready"

[[account]]
id = "999988887777"
run_as_user = "solo"

[exempt]
ous = ["ou-ab12-lock0001"]

[[document]]
name = "SSMRunAs-Admin"
run_as_user = "admin"
mode = "audit"
"#;

const ROOT: &str = "r-ab12";
const WORK: &str = "ou-ab12-work0001";
const SAND: &str = "ou-ab12-sand0001";
const TEAM: &str = "ou-ab12-team0001";

fn path(ids: &[&str]) -> Vec<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

fn staged() -> Policy {
    Policy::parse(STAGED, "p.toml").unwrap()
}

#[test]
fn scope_by_nested_ou_and_account_exemption_by_ou_and_what_needs_the_path() {
    let p = staged();
    let cases: [(&str, &[&str], Standing); 7] = [
        ("210987654321", &[ROOT, WORK], Standing::Governed),
        (
            "210987654321",
            &[ROOT, WORK, SAND, TEAM],
            Standing::Governed,
        ),
        ("210987654321", &[ROOT], Standing::OutOfScope),
        (
            "210987654321",
            &[ROOT, "ou-ab12-secu0001"],
            Standing::OutOfScope,
        ),
        // Listed by id: governed wherever it sits.
        (
            "999988887777",
            &[ROOT, "ou-ab12-secu0001"],
            Standing::Governed,
        ),
        (
            "210987654321",
            &[ROOT, WORK, "ou-ab12-lock0001"],
            Standing::Exempt,
        ),
        // A path that does not reach the root (hostile, or a read cut short).
        ("210987654321", &[], Standing::OutOfScope),
    ];
    for (account, ous, want) in cases {
        assert_eq!(p.standing(account, &path(ous)), want, "{account} {ous:?}");
    }
    // `[exempt] ous` makes every account's standing a matter of its path.
    assert_eq!(p.standing_by_id("210987654321"), None);
    let by_id = Policy::parse(&STAGED.replace("ous = [\"ou-ab12-lock0001\"]", ""), "p").unwrap();
    assert_eq!(
        by_id.standing_by_id("999988887777"),
        Some(Standing::Governed)
    );
    assert_eq!(by_id.standing_by_id("210987654321"), None);
    let accounts_only = Policy::parse(
        &STAGED
            .replace("ous = [\"ou-ab12-work0001\"]\n", "")
            .replace("ous = [\"ou-ab12-lock0001\"]", ""),
        "p",
    )
    .unwrap();
    assert_eq!(
        accounts_only.standing_by_id("210987654321"),
        Some(Standing::OutOfScope)
    );
    let whole = Policy::parse(GOOD_WHOLE, "p").unwrap();
    assert_eq!(
        whole.standing_by_id("210987654321"),
        Some(Standing::Governed)
    );
}

const GOOD_WHOLE: &str = r#"
member_role = "RunAsGuardExecution"
regions = ["us-east-1"]
[default]
run_as_user = "ops"
"#;

#[test]
fn user_and_mode_are_each_inherited_from_the_nearest_rule_that_sets_them() {
    let p = staged();
    let want = |account: &str, ous: &[&str]| match p.desired(account, &path(ous)) {
        Desired::User { user, mode, .. } => Some((user, mode)),
        _ => None,
    };
    type Case<'a> = (&'a str, &'a [&'a str], Option<(&'a str, Mode)>);
    let cases: [Case; 6] = [
        ("210987654321", &[ROOT, WORK], Some(("ops", Mode::Audit))),
        (
            "210987654321",
            &[ROOT, WORK, SAND],
            Some(("ops", Mode::Enforce)),
        ),
        // Team names its own user; its mode comes from Sandbox above it.
        (
            "210987654321",
            &[ROOT, WORK, SAND, TEAM],
            Some(("team", Mode::Enforce)),
        ),
        // An account rule's mode beats every OU's; its user is the OU's.
        (
            "111122223333",
            &[ROOT, WORK, SAND],
            Some(("ops", Mode::EnforceWhenReady)),
        ),
        ("999988887777", &[ROOT], Some(("solo", Mode::Audit))),
        ("210987654321", &[ROOT], None),
    ];
    for (account, ous, expected) in cases {
        let expected = expected.map(|(u, m)| (u.to_string(), m));
        assert_eq!(want(account, ous), expected, "{account} {ous:?}");
    }
    // A [[document]]'s own mode beats the account's.
    let targets = p.targets("210987654321", &path(&[ROOT, WORK, SAND]));
    let modes: Vec<(&str, Mode)> = targets.iter().map(|t| (t.name(), t.mode)).collect();
    assert_eq!(
        modes,
        [
            ("SSM-SessionManagerRunShell", Mode::Enforce),
            ("SSMRunAs-Admin", Mode::Audit)
        ]
    );
    assert!(p.targets("210987654321", &path(&[ROOT])).is_empty());
}

#[test]
fn without_default_an_in_scope_account_no_rule_covers_is_uncovered_not_defaulted() {
    let text = STAGED.replace("run_as_user = \"ops\"\n", "mode = \"audit\"\n");
    let p = Policy::parse(&text, "p").unwrap();
    assert_eq!(
        p.desired("210987654321", &path(&[ROOT, WORK])),
        Desired::Uncovered
    );
    assert!(p.targets("210987654321", &path(&[ROOT, WORK])).is_empty());
    let org = [
        ("210987654321", path(&[ROOT, WORK])),
        ("210987654322", path(&[ROOT, WORK, SAND, TEAM])),
        ("210987654323", path(&[ROOT])),
    ];
    let none = ids::uncovered(&p, org.iter().map(|(a, p)| (*a, p.as_slice())));
    assert_eq!(none, ["210987654321"]);
}

#[test]
fn bad_scopes_and_modes_name_the_key() {
    let cases: Vec<(String, &str, &str)> = vec![
        (STAGED.replace("[scope]", "[scopes]"), "scopes", "unknown field"),
        (
            STAGED.replace("ous = [\"ou-ab12-work0001\"]\n", "ous = [\"Workloads\"]\n"),
            "scope.ous[0]",
            "not an OU id",
        ),
        (
            STAGED.replace("accounts = [\"999988887777\"]", "accounts = [\"999988887777\", \"999988887777\"]"),
            "scope.accounts[1]",
            "listed twice",
        ),
        (
            STAGED
                .replace("ous = [\"ou-ab12-work0001\"]\n", "")
                .replace("accounts = [\"999988887777\"]", ""),
            "scope",
            "governs nothing",
        ),
        (
            STAGED.replace("ous = [\"ou-ab12-lock0001\"]", "ous = [\"ou-ab12-work0001\"]"),
            "exempt.ous[0]",
            "either governed or exempt",
        ),
        (
            STAGED.replace("ous = [\"ou-ab12-lock0001\"]", "ous = [\"r-\"]"),
            "exempt.ous[0]",
            "not an OU id",
        ),
        (
            STAGED.replace("mode = \"enforce\"\n", ""),
            "ou[1]",
            "sets neither run_as_user nor mode",
        ),
        (
            STAGED.replace("mode = \"enforce\"\n", "mode = \"enforced\"\n"),
            "unknown variant",
            "enforce-when-ready",
        ),
        (
            STAGED.replace("check_user = true", "check_user = false"),
            "account[0].mode",
            "needs [nodes] check_user = true",
        ),
        (
            GOOD_WHOLE.replace("[default]\nrun_as_user = \"ops\"\n", ""),
            "default",
            "required unless [scope]",
        ),
        (
            format!("{GOOD_WHOLE}\n[[document]]\nname = \"SSMRunAs-X\"\nrun_as_user = \"x\"\nmode = \"enforce-when-ready\"\n"),
            "document[0].mode",
            "needs [nodes] check_user",
        ),
    ];
    for (text, key, problem) in cases {
        let e = Policy::parse(&text, "p.toml").unwrap_err().to_string();
        assert!(
            e.contains(key) && e.contains(problem),
            "want {key}: {problem}; got {e}"
        );
    }
}

#[test]
fn the_organizations_root_id_is_an_ou_to_the_id_check() {
    let text = STAGED.replace("ous = [\"ou-ab12-work0001\"]\n", "ous = [\"r-ab12\"]\n");
    let p = Policy::parse(&text, "p").unwrap();
    let org = ids::OrgIds {
        ous: ["r-ab12", WORK].map(String::from).into(),
        accounts: ["999988887777", "111122223333"].map(String::from).into(),
    };
    let unknown: Vec<String> = ids::unknown_ids(&p, &org)
        .into_iter()
        .map(|u| u.to_string())
        .collect();
    assert!(unknown.iter().all(|u| !u.contains("r-ab12")), "{unknown:?}");
    assert!(
        unknown
            .iter()
            .any(|u| u.contains("exempt.ous") && u.contains("no OU")),
        "{unknown:?}"
    );
}

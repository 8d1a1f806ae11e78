//! Policy files: resolution order, and every bad file naming the offending key.

use super::*;

const GOOD: &str = r#"
member_role = "RunAsGuardExecution"
fallback_roles = ["AWSControlTowerExecution", "OrganizationAccountAccessRole"]
regions = ["us-east-1", "eu-west-1"]
mode = "enforce"

[default]
run_as_user = "ssm-ops"

[[ou]]
id = "ou-ab12-work0001"
run_as_user = "workuser"

[[ou]]
id = "ou-ab12-prod0001"
run_as_user = "produser"

[[account]]
id = "111122223333"
run_as_user = "dbadmin"

[exempt]
accounts = ["444455556666"]
principals = ["arn:aws:iam::*:role/AWSAccelerator*"]
"#;

fn path(ids: &[&str]) -> Vec<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

#[test]
fn resolution_order() {
    let p = Policy::parse(GOOD, "p.toml").unwrap();
    let user = |acct: &str, ous: &[&str]| p.desired(acct, &path(ous)).user().map(str::to_string);
    assert_eq!(
        user("111122223333", &["r-ab12", "ou-ab12-prod0001"]).as_deref(),
        Some("dbadmin")
    );
    // nested: Workloads/Prod -> Prod's rule; Workloads/Dev -> Workloads' rule
    assert_eq!(
        user(
            "210987654321",
            &["r-ab12", "ou-ab12-work0001", "ou-ab12-prod0001"]
        )
        .as_deref(),
        Some("produser")
    );
    assert_eq!(
        user(
            "210987654321",
            &["r-ab12", "ou-ab12-work0001", "ou-ab12-dev00001"]
        )
        .as_deref(),
        Some("workuser")
    );
    assert_eq!(
        user("210987654321", &["r-ab12"]).as_deref(),
        Some("ssm-ops")
    );
    assert_eq!(user("210987654321", &[]).as_deref(), Some("ssm-ops"));
    assert_eq!(
        p.desired("444455556666", &path(&["r-ab12", "ou-ab12-prod0001"])),
        Desired::Exempt
    );
    assert!(
        p.is_expected_editor("arn:aws:iam::111122223333:role/AWSAccelerator-CustomizationsRole")
    );
    assert!(!p.is_expected_editor("arn:aws:iam::111122223333:role/Admin"));
    assert_eq!(
        p.roles().collect::<Vec<_>>(),
        [
            "RunAsGuardExecution",
            "AWSControlTowerExecution",
            "OrganizationAccountAccessRole"
        ]
    );
}

#[test]
fn bad_policies_name_the_key() {
    let cases: Vec<(String, &str)> = vec![
        (
            GOOD.replace("mode = \"enforce\"", "mode = \"enforce\"\ncolour = \"red\""),
            "colour",
        ),
        (GOOD.replace("\"eu-west-1\"", "\"eu-west\""), "regions[1]"),
        (GOOD.replace("\"eu-west-1\"", "\"us-east-1\""), "regions[1]"),
        (
            GOOD.replace("regions = [\"us-east-1\", \"eu-west-1\"]", "regions = []"),
            "regions",
        ),
        (
            GOOD.replace("\"ssm-ops\"", "\"SSM-Ops\""),
            "default.run_as_user",
        ),
        (
            GOOD.replace("\"ssm-ops\"", "\"root\""),
            "default.run_as_user",
        ),
        (
            GOOD.replace("\"ssm-ops\"", "\"1234\""),
            "default.run_as_user",
        ),
        (
            GOOD.replace("\"ssm-ops\"", "\"a;rm -rf\""),
            "default.run_as_user",
        ),
        (
            GOOD.replace("\"ssm-ops\"", &format!("\"{}\"", "a".repeat(33))),
            "default.run_as_user",
        ),
        (GOOD.replace("\"produser\"", "\"\""), "ou[1].run_as_user"),
        (
            GOOD.replace("ou-ab12-prod0001", "ou-ab12-work0001"),
            "ou[1].id",
        ),
        (GOOD.replace("ou-ab12-prod0001", "prod"), "ou[1].id"),
        (
            GOOD.replace("id = \"111122223333\"", "id = \"11112222333\""),
            "account[0].id",
        ),
        (
            GOOD.replace("\"444455556666\"", "\"111122223333\""),
            "exempt.accounts[0]",
        ),
        (
            GOOD.replace(
                "\"arn:aws:iam::*:role/AWSAccelerator*\"",
                "\"AWSAccelerator*\"",
            ),
            "exempt.principals[0]",
        ),
        (
            GOOD.replace("\"RunAsGuardExecution\"", "\"Run As\""),
            "member_role",
        ),
        (
            GOOD.replace("mode = \"enforce\"", "mode = \"yolo\""),
            "mode",
        ),
        (
            GOOD.replace("[default]\nrun_as_user = \"ssm-ops\"", ""),
            "default",
        ),
        ("member_role = ".into(), "p.toml"),
    ];
    for (text, key) in cases {
        let err = Policy::parse(&text, "p.toml").unwrap_err().to_string();
        assert!(err.contains(key), "want {key:?} in: {err}");
        assert!(!err.contains('\n'), "one line: {err}");
    }
    let dup = format!("{GOOD}\n[[account]]\nid = \"111122223333\"\nrun_as_user = \"x\"\n");
    assert!(Policy::parse(&dup, "p")
        .unwrap_err()
        .to_string()
        .contains("account[1].id"));
}

#[test]
fn root_needs_allow_root() {
    let text = GOOD.replace("\"ssm-ops\"", "\"root\"").replace(
        "mode = \"enforce\"",
        "mode = \"enforce\"\nallow_root = true",
    );
    assert_eq!(
        Policy::parse(&text, "p").unwrap().default_user.as_deref(),
        Some("root")
    );
}

#[test]
fn user_names() {
    for ok in [
        "a",
        "_x",
        "ssm-user",
        "ec2-user",
        "svc$",
        "u1",
        &"a".repeat(32),
    ] {
        assert!(check_user(ok, UserRules::default()).is_ok(), "{ok}");
    }
    for bad in [
        "",
        "1",
        "Ab",
        "-a",
        "a b",
        "a;b",
        "a$b",
        "$",
        "ü",
        "a\n",
        &"a".repeat(33),
    ] {
        assert!(check_user(bad, UserRules::default()).is_err(), "{bad:?}");
    }
}

#[test]
fn wildcards() {
    let cases = [
        (
            "arn:aws:iam::*:role/AWSAccelerator*",
            "arn:aws:iam::1:role/AWSAcceleratorX",
            true,
        ),
        (
            "arn:aws:iam::*:role/AWSAccelerator*",
            "arn:aws:iam::1:role/Admin",
            false,
        ),
        ("*", "anything", true),
        ("a*b*c", "abc", true),
        ("a*b*c", "axxbyyc", true),
        ("a*b*c", "acb", false),
        ("ab*ba", "aba", false),
        ("exact", "exact", true),
        ("exact", "exactly", false),
    ];
    for (p, t, want) in cases {
        assert_eq!(wildcard_match(p, t), want, "{p} ~ {t}");
    }
}

#[test]
fn ou_ids() {
    assert!(is_ou_id("ou-ab12-prod0001"));
    assert!(is_ou_id("r-ab12"));
    assert!(!is_ou_id("ou-ab12"));
    assert!(!is_ou_id("ou-AB12-prod0001"));
    assert!(!is_ou_id("ou-ab12-prod"));
}

#[test]
fn a_well_formed_region_this_build_does_not_know_is_accepted_with_a_warning() {
    for new in ["us-east-9", "eu-west-0", "xx-north-1"] {
        let text = GOOD.replace("\"eu-west-1\"", &format!("\"{new}\""));
        let p = Policy::parse(&text, "p.toml").unwrap();
        let warnings = p.warnings();
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0].contains("`regions[1]`") && warnings[0].contains(new),
            "{warnings:?}"
        );
    }
    for bad in ["us-east", "US-EAST-1", "us-east-1a", "us--1", ""] {
        let text = GOOD.replace("\"eu-west-1\"", &format!("\"{bad}\""));
        let err = Policy::parse(&text, "p.toml").unwrap_err().to_string();
        assert!(
            err.contains("`regions[1]`") && err.contains("not a region name"),
            "{bad}: {err}"
        );
    }
    for good in [
        "us-gov-west-1",
        "cn-north-1",
        "ap-southeast-5",
        "il-central-1",
    ] {
        let text = GOOD.replace("\"eu-west-1\"", &format!("\"{good}\""));
        assert!(Policy::parse(&text, "p.toml").is_ok(), "{good}");
    }
    // Every known name has the shape of a region name.
    assert!(KNOWN_REGIONS
        .iter()
        .all(|r| crate::domain::ids::is_region_name(r)));
}

#[test]
fn ou_ids_follow_aws_pattern_and_lengths() {
    assert!(is_ou_id("ou-ab12-prod0001"));
    assert!(is_ou_id(&format!(
        "ou-{}-{}",
        "a".repeat(32),
        "b".repeat(32)
    )));
    assert!(is_ou_id("r-ab12"));
    for bad in [
        format!("ou-{}-prod0001", "a".repeat(33)),
        format!("ou-ab12-{}", "b".repeat(33)),
        "ou-ab1-prod0001".into(),
        "ou-ab12-prod001".into(),
        "ou-AB12-prod0001".into(),
        format!("r-{}", "a".repeat(33)),
    ] {
        assert!(!is_ou_id(&bad), "{bad}");
    }
    let huge = format!("ou-ab12-{}", "x".repeat(5_000));
    let err = Policy::parse(&GOOD.replace("ou-ab12-prod0001", &huge), "p.toml")
        .unwrap_err()
        .to_string();
    assert!(err.contains("`ou[1].id`"), "{err}");
    assert!(
        err.len() < 300,
        "a huge value is cut: {} characters",
        err.len()
    );
}

const DOCUMENTS: &str = r#"
[[document]]
name = "SSMRunAs-Admin"
run_as_user = "admin"
inherit = "SSM-SessionManagerRunShell"

[[document.ou]]
id = "ou-ab12-prod0001"
run_as_user = "prodadmin"

[[document.account]]
id = "210987654321"
run_as_user = "dbadmin"

[[document]]
name = "SSMRunAs-ReadOnly"
run_as_user = "viewer"
"#;

#[test]
fn named_documents_resolve_like_the_default_one() {
    let p = Policy::parse(&format!("{GOOD}{DOCUMENTS}"), "p.toml").unwrap();
    assert_eq!(
        p.document_names(),
        [
            "SSM-SessionManagerRunShell",
            "SSMRunAs-Admin",
            "SSMRunAs-ReadOnly"
        ]
    );
    let targets = |acct: &str, ous: &[&str]| -> Vec<(String, String, bool)> {
        p.targets(acct, &path(ous))
            .into_iter()
            .map(|t| (t.name().to_string(), t.user, t.inherit))
            .collect()
    };
    let t = |n: &str, u: &str, i: bool| (n.to_string(), u.to_string(), i);
    let prod = ["r-ab12", "ou-ab12-work0001", "ou-ab12-prod0001"];
    let cases = [
        // (account, path, want): the default document first, then file order
        (
            "999988887777",
            &prod[..],
            vec![
                t("SSM-SessionManagerRunShell", "produser", false),
                t("SSMRunAs-Admin", "prodadmin", true),
                t("SSMRunAs-ReadOnly", "viewer", false),
            ],
        ),
        (
            "210987654321",
            &prod[..],
            vec![
                t("SSM-SessionManagerRunShell", "produser", false),
                t("SSMRunAs-Admin", "dbadmin", true),
                t("SSMRunAs-ReadOnly", "viewer", false),
            ],
        ),
        (
            "999988887777",
            &["r-ab12"][..],
            vec![
                t("SSM-SessionManagerRunShell", "ssm-ops", false),
                t("SSMRunAs-Admin", "admin", true),
                t("SSMRunAs-ReadOnly", "viewer", false),
            ],
        ),
        // exempt accounts are never written, whatever the document
        ("444455556666", &prod[..], vec![]),
    ];
    for (acct, ous, want) in cases {
        assert_eq!(targets(acct, ous), want, "{acct} {ous:?}");
    }
}

#[test]
fn without_documents_only_the_default_document_is_governed() {
    let p = Policy::parse(GOOD, "p.toml").unwrap();
    assert_eq!(p.document_names(), ["SSM-SessionManagerRunShell"]);
    let targets = p.targets("210987654321", &path(&["r-ab12"]));
    assert_eq!(targets.len(), 1);
    assert_eq!(targets[0].document, None);
    assert_eq!(targets[0].user, "ssm-ops");
}

#[test]
fn bad_documents_name_the_key() {
    let with = |docs: &str| format!("{GOOD}{docs}");
    let one = |name: &str| format!("[[document]]\nname = {name:?}\nrun_as_user = \"admin\"\n");
    let cases: Vec<(String, &str, &str)> = vec![
        (with(&one("SSM-SessionManagerRunShell")), "document[0].name", "always governed"),
        (with(&one("AWS-StartSSHSession")), "document[0].name", "reserves"),
        (with(&one("amazonRunAs")), "document[0].name", "reserves"),
        (with(&one("AmZn-x")), "document[0].name", "reserves"),
        (with(&one("ab")), "document[0].name", "not an SSM document name"),
        (with(&one("Run As")), "document[0].name", "not an SSM document name"),
        (with(&one("SSMRunAs/Admin")), "document[0].name", "not an SSM document name"),
        (with(&one(&"a".repeat(129))), "document[0].name", "129 characters"),
        (
            with(&format!("{}{}", one("SSMRunAs-Admin"), one("SSMRunAs-Admin"))),
            "document[1].name",
            "listed twice",
        ),
        (
            with("[[document]]\nname = \"SSMRunAs-Admin\"\nrun_as_user = \"Admin\"\n"),
            "document[0].run_as_user",
            "case-sensitive (did you mean `admin`?)",
        ),
        (
            with("[[document]]\nname = \"SSMRunAs-Admin\"\nrun_as_user = \"root\"\n"),
            "document[0].run_as_user",
            "allow_root",
        ),
        (
            with("[[document]]\nname = \"SSMRunAs-Admin\"\nrun_as_user = \"admin\"\ninherit = \"SSMRunAs-Base\"\n"),
            "document[0].inherit",
            "cannot be inherited",
        ),
        (
            with("[[document]]\nname = \"SSMRunAs-Admin\"\nrun_as_user = \"admin\"\ncolour = \"red\"\n"),
            "colour",
            "unknown field",
        ),
        (
            with(&format!("{}[[document.ou]]\nid = \"prod\"\nrun_as_user = \"x\"\n", one("SSMRunAs-Admin"))),
            "document[0].ou[0].id",
            "not an OU id",
        ),
        (
            with(&format!("{}[[document.account]]\nid = \"444455556666\"\nrun_as_user = \"x\"\n", one("SSMRunAs-Admin"))),
            "document[0].account[0].id",
            "exempt",
        ),
        (
            with(&format!(
                "{}[[document.account]]\nid = \"111122223333\"\nrun_as_user = \"x\"\n[[document.account]]\nid = \"111122223333\"\nrun_as_user = \"y\"\n",
                one("SSMRunAs-Admin")
            )),
            "document[0].account[1].id",
            "more than one rule",
        ),
        (
            with(&(0..12).map(|i| one(&format!("SSMRunAs-{i}-{}", "x".repeat(100)))).collect::<String>()),
            "`document`",
            "2048",
        ),
    ];
    for (text, key, problem) in cases {
        let err = Policy::parse(&text, "p.toml").unwrap_err().to_string();
        assert!(err.contains(key), "want {key:?} in: {err}");
        assert!(err.contains(problem), "want {problem:?} in: {err}");
        assert!(!err.contains('\n'), "one line: {err}");
    }
}

#[test]
fn the_user_check_is_off_unless_asked_and_its_document_is_its_own() {
    let p = Policy::parse(GOOD, "p.toml").unwrap();
    assert_eq!(p.check_document, None);
    let on = format!("{GOOD}\n[nodes]\ncheck_user = true\n");
    let p = Policy::parse(&on, "p.toml").unwrap();
    assert_eq!(
        p.check_document.as_deref(),
        Some("RunAsGuard-CheckRunAsUser")
    );
    let renamed = format!("{GOOD}\n[nodes]\ncheck_user = true\ndocument = \"Org-CheckUser\"\n");
    let p = Policy::parse(&renamed, "p.toml").unwrap();
    assert_eq!(p.check_document.as_deref(), Some("Org-CheckUser"));
    let off = format!("{GOOD}\n[nodes]\ncheck_user = false\n");
    assert_eq!(Policy::parse(&off, "p.toml").unwrap().check_document, None);
    let bad = [
        ("document = \"a b\"", "nodes.document"),
        (
            "document = \"SSM-SessionManagerRunShell\"",
            "nodes.document",
        ),
        ("document = \"\"", "nodes.document"),
        ("check_user = \"yes\"", "check_user"),
        ("check_users = true", "check_users"),
    ];
    for (line, key) in bad {
        let text = format!("{GOOD}\n[nodes]\ncheck_user = true\n{line}\n");
        let text = text.replace("check_user = true\ncheck_user", "check_user");
        let err = Policy::parse(&text, "p.toml").unwrap_err().to_string();
        assert!(err.contains(key), "{line}: {err}");
    }
}

const IDENTITY_CENTER: &str = r#"
[identity_center]
region = "eu-west-1"
instance_arn = "arn:aws:sso:::instance/ssoins-1234567890abcdef"
mode = "enforce"

[identity_center.attributes]
SSMSessionRunAs = "${path:userName}"
CostCenter = "${path:enterprise.costCenter}"
"#;

#[test]
fn the_identity_center_declaration_is_read_and_checked_against_the_api_model() {
    let text = format!("{GOOD}{IDENTITY_CENTER}");
    let p = Policy::parse(&text, "p.toml").unwrap();
    let ic = p.identity_center.as_ref().unwrap();
    assert_eq!(ic.region, "eu-west-1");
    assert_eq!(ic.mode, crate::domain::identity_center::KeepMode::Enforce);
    assert_eq!(ic.attributes.0.len(), 2);
    assert_eq!(
        p.identity_center_mode(),
        crate::domain::identity_center::KeepMode::Enforce
    );
    assert!(p.warnings().is_empty(), "{:?}", p.warnings());
    assert!(Policy::parse(GOOD, "p.toml")
        .unwrap()
        .identity_center
        .is_none());

    let many: String = (0..51)
        .map(|i| format!("K{i} = \"${{path:title}}\"\n"))
        .collect();
    let bad: Vec<(String, &str)> = vec![
        (
            text.replace("\"eu-west-1\"\ninstance", "\"Europe\"\ninstance"),
            "identity_center.region",
        ),
        (
            text.replace("ssoins-1234567890abcdef", "ssoins-123"),
            "identity_center.instance_arn",
        ),
        (
            text.replace("CostCenter =", "\"Cost;Center\" ="),
            "identity_center.attributes.\"Cost;Center\"",
        ),
        (
            text.replace("\"${path:enterprise.costCenter}\"", "\"a;b\""),
            "identity_center.attributes.CostCenter",
        ),
        (
            text.replace("CostCenter = \"${path:enterprise.costCenter}\"\n", &many),
            "identity_center.attributes",
        ),
    ];
    for (file, key) in bad {
        match Policy::parse(&file, "p.toml") {
            Err(PolicyError::Invalid { key: k, .. }) => assert_eq!(k, key),
            other => panic!("{key}: {other:?}"),
        }
    }
    for (file, what) in [
        (text.replace("mode = \"enforce\"\n\n[identity", "mode = \"revert\"\n\n[identity"), "revert"),
        (text.replace("region = \"eu-west-1\"\ninstance", "regoin = \"eu-west-1\"\ninstance"), "regoin"),
        (text.replace("[identity_center.attributes]\nSSMSessionRunAs = \"${path:userName}\"\nCostCenter = \"${path:enterprise.costCenter}\"\n", ""), "attributes"),
        (text.replace("\"${path:userName}\"", "[\"${path:userName}\"]"), "SSMSessionRunAs"),
    ] {
        match Policy::parse(&file, "p.toml") {
            Err(PolicyError::Syntax { reason, .. }) => assert!(reason.contains(what), "{what}: {reason}"),
            other => panic!("{what}: {other:?}"),
        }
    }
}

#[test]
fn a_run_as_source_that_is_not_one_value_per_user_is_warned_and_audit_mode_never_enforces() {
    let text = format!("{GOOD}{IDENTITY_CENTER}").replace("${path:userName}", "${path:groups}");
    let p = Policy::parse(&text, "p.toml").unwrap();
    let w = p.warnings();
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(
        w[0].contains("identity_center.attributes.SSMSessionRunAs") && w[0].contains("groups"),
        "{w:?}"
    );

    let audit = format!("{GOOD}{IDENTITY_CENTER}").replace(
        "mode = \"enforce\"\n\n[default]",
        "mode = \"audit\"\n\n[default]",
    );
    let p = Policy::parse(&audit, "p.toml").unwrap();
    assert_eq!(p.mode, Mode::Audit);
    assert_eq!(
        p.identity_center_mode(),
        crate::domain::identity_center::KeepMode::Alert
    );
    assert!(
        p.warnings()
            .iter()
            .any(|w| w.contains("identity_center.mode")),
        "{:?}",
        p.warnings()
    );
}

#[test]
fn operator_role_is_a_role_name_that_runas_guard_does_not_write_with() {
    let with = |line: &str| GOOD.replacen("regions", &format!("{line}\nregions"), 1);
    let p = Policy::parse(&with("operator_role = \"RunAsGuardOperatorRead\""), "p").unwrap();
    assert_eq!(p.operator_role.as_deref(), Some("RunAsGuardOperatorRead"));
    assert_eq!(Policy::parse(GOOD, "p").unwrap().operator_role, None);
    for (line, says) in [
        ("operator_role = \"\"", "is not an IAM role name"),
        ("operator_role = \"Run As\"", "is not an IAM role name"),
        ("operator_role = \"a/b\"", "is not an IAM role name"),
        (
            "operator_role = \"arn:aws:iam::111122223333:role/RunAsGuardOperatorRead\"",
            "is not an IAM role name",
        ),
        (
            "operator_role = \"RunAsGuardExecution\"",
            "a role runas-guard writes with",
        ),
        (
            "operator_role = \"OrganizationAccountAccessRole\"",
            "a role runas-guard writes with",
        ),
        ("operator_role = 3", "operator_role"),
    ] {
        let err = Policy::parse(&with(line), "p.toml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("operator_role"), "{line}: {err}");
        assert!(err.contains(says), "{line}: want {says:?} in {err}");
        assert!(!err.contains('\n'), "one line: {err}");
    }
}

use crate::domain::policy::Policy;

const BASE: &str = "member_role = \"R\"\nregions = [\"eu-west-1\", \"us-east-1\"]\n";

fn lines(body: &str) -> Vec<String> {
    let p = Policy::parse(&format!("{BASE}{body}"), "policy.toml").expect("loads");
    p.summary().lines()
}

/// The file of the issue: the top level says audit, yet Sandbox enforces
/// and Prod waits for readiness with its own user; every one is a line.
#[test]
fn every_rule_says_its_mode_and_user_and_inherited_ones_say_so() {
    let file = "mode = \"audit\"\n[default]\nrun_as_user = \"ec2-user\"\n\
        [[ou]]\nid = \"ou-ab12-sand0001\"\nmode = \"enforce\"\n\
        [[ou]]\nid = \"ou-ab12-prod0001\"\nmode = \"enforce-when-ready\"\nrun_as_user = \"app\"\n\
        [[account]]\nid = \"111122223333\"\nrun_as_user = \"ops\"\n\
        [nodes]\ncheck_user = true\n";
    let got = lines(file);
    for want in [
        "top level: mode audit, default user ec2-user",
        "scope: the whole organization, in 2 region(s) (eu-west-1, us-east-1)",
        "exempt: 0 OU(s), 0 account(s), 0 principal pattern(s)",
        "ou ou-ab12-prod0001: mode enforce-when-ready, user app",
        "ou ou-ab12-sand0001: mode enforce, user inherited (ec2-user unless an OU above sets it)",
        "account 111122223333: mode inherited (audit unless an OU above sets it), user ops",
        "sections on: [nodes] check_user (RunAsGuard-CheckRunAsUser)",
    ] {
        assert!(got.iter().any(|l| l == want), "{want:?} not in {got:#?}");
    }
    // OU rules before account rules, each sorted by id.
    let at = |s: &str| got.iter().position(|l| l.starts_with(s)).unwrap();
    assert!(at("ou ou-ab12-prod") < at("ou ou-ab12-sand") && at("ou ou-ab12-sand") < at("account"));
}

#[test]
fn scope_exempt_sections_and_documents_are_counted() {
    let table: &[(&str, &[&str])] = &[
        (
            "[scope]\nous = [\"ou-ab12-prod0001\", \"ou-ab12-dev00001\"]\naccounts = [\"111122223333\"]\n\
             [[ou]]\nid = \"ou-ab12-prod0001\"\nrun_as_user = \"app\"\n",
            &[
                "top level: mode enforce, no default user (only rules name users)",
                "scope: 2 OU(s) and 1 account(s) (with every OU below them), in 2 region(s) (eu-west-1, us-east-1)",
                "ou ou-ab12-prod0001: mode inherited (enforce unless an OU above sets it), user app",
                "sections on: none",
            ],
        ),
        (
            "[default]\nrun_as_user = \"ops\"\n[exempt]\nous = [\"ou-ab12-lab00001\"]\naccounts = [\"111122223333\", \"444455556666\"]\nprincipals = [\"arn:aws:iam::*:role/Break*\"]\n",
            &["exempt: 1 OU(s), 2 account(s), 1 principal pattern(s)"],
        ),
        (
            "[default]\nrun_as_user = \"ops\"\n[forwarding_canary]\nenabled = true\n[run_as_tags]\nsweep = true\n\
             [session_documents]\nsweep = true\n[identity_center]\nregion = \"eu-west-1\"\nmode = \"enforce\"\n[identity_center.attributes]\n",
            &["sections on: [forwarding_canary] (every 21600s, grace 1800s), [run_as_tags] sweep, [session_documents] sweep, [identity_center] (enforce)"],
        ),
        (
            "mode = \"audit\"\n[default]\nrun_as_user = \"ops\"\n[[document]]\nname = \"SSMRunAs-Admin\"\nrun_as_user = \"admin\"\ninherit = \"SSM-SessionManagerRunShell\"\n\
             [[document.account]]\nid = \"111122223333\"\nrun_as_user = \"root2\"\n\
             [[document]]\nname = \"SSMRunAs-Ro\"\nrun_as_user = \"viewer\"\nmode = \"enforce\"\n",
            &[
                "document SSMRunAs-Admin: mode inherited (the account's, audit at the top level), default user admin, inputs from SSM-SessionManagerRunShell, 1 rule(s)",
                "  account 111122223333: mode inherited (audit unless an OU above sets it), user root2",
                "document SSMRunAs-Ro: mode enforce, default user viewer, 0 rule(s)",
            ],
        ),
    ];
    for (file, wants) in table {
        let got = lines(file);
        for want in *wants {
            assert!(
                got.iter().any(|l| l == want),
                "{want:?} not in {got:#?}\nfile:\n{file}"
            );
        }
    }
}

#[test]
fn identity_center_under_audit_is_shown_as_alert_only() {
    let got = lines("mode = \"audit\"\n[default]\nrun_as_user = \"ops\"\n[identity_center]\nregion = \"eu-west-1\"\nmode = \"enforce\"\n[identity_center.attributes]\n");
    assert!(
        got.contains(&"sections on: [identity_center] (alert)".to_string()),
        "{got:#?}"
    );
}

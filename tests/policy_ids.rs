//! Ids the policy names are held against the organization: a typo in an OU
//! or account id, or an OU deleted since, is refused or alerted, never
//! silently re-resolved to another rule's user.

use crate::common;

use common::*;

#[tokio::test(flavor = "multi_thread")]
async fn ids_the_organization_does_not_have_are_refused_by_check_doctor_reconcile_and_alerted_by_sweeps(
) {
    let w = World::new().await;
    let prod = w.create_ou(&w.root, "Prod").await;
    let member = w.create_account("member", Some(&prod)).await;
    w.write_policy(&format!(
        r#"
[[ou]]
id = "{prod}"
run_as_user = "produser"

[[ou]]
id = "ou-1xhx-zzzzzzzz"
run_as_user = "typo"

[exempt]
accounts = ["999999999999"]
"#
    ));
    let policy = path_str(&w.policy).to_string();
    let offline = w.run(&["policy", "check", &policy]);
    assert_eq!(
        offline.code, 0,
        "offline, the ids are well-formed: {}",
        offline.stderr
    );

    let run = w.run(&["policy", "check", &policy, "--org"]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert_one_clean_line(&run.stderr);
    for said in [
        "ou.id = \"ou-1xhx-zzzzzzzz\"",
        "exempt.accounts = \"999999999999\"",
    ] {
        assert!(run.stderr.contains(said), "{}", run.stderr);
    }
    assert!(!run.stderr.contains(&prod), "{}", run.stderr);

    let run = w.run(&["reconcile", "--dry-run"]);
    assert_eq!(
        run.code, 2,
        "reconcile refuses before acting: {}",
        run.stderr
    );
    assert!(run.stderr.contains("ou-1xhx-zzzzzzzz"), "{}", run.stderr);

    let run = w.run(&["doctor"]);
    let line = run
        .stdout
        .lines()
        .find(|l| l.contains("policy ids"))
        .unwrap_or_else(|| panic!("{}", run.stdout));
    assert!(
        line.contains('✗') && line.contains("ou-1xhx-zzzzzzzz"),
        "{line}"
    );

    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "the sweep still runs: {out:#}");
    let alerts = w.alerts().await;
    let unknown = of_kind(&alerts, "policy_ids_unknown");
    assert_eq!(unknown.len(), 1, "{alerts:#?}");
    assert_eq!(
        unknown[0]["message"]["unknown_ids"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // Fixed: the check passes, and a sweep says nothing about ids.
    w.write_policy(&format!(
        "[[ou]]\nid = \"{prod}\"\nrun_as_user = \"produser\"\n"
    ));
    let run = w.run(&["policy", "check", &policy, "--org"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("all 1 OU and account ids"),
        "{}",
        run.stdout
    );
    assert_eq!(w.handle(&sweep_event()).0, 0);
    assert!(w
        .alerts()
        .await
        .iter()
        .all(|a| a["message"]["kind"] != "policy_ids_unknown"));

    // The OU is deleted later: the next sweep says so.
    w.move_account(&member, &prod, &w.root).await;
    w.org()
        .delete_organizational_unit()
        .organizational_unit_id(&prod)
        .send()
        .await
        .unwrap();
    assert_eq!(w.handle(&sweep_event()).0, 0);
    let alerts = w.alerts().await;
    let unknown = of_kind(&alerts, "policy_ids_unknown");
    assert_eq!(unknown.len(), 1, "{alerts:#?}");
    assert_eq!(unknown[0]["message"]["unknown_ids"][0]["id"], prod.as_str());
}

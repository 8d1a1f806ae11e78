//! Directory users (`directory_users = true`): Run As users named as an
//! SSSD/realmd-joined fleet knows them (`alice@corp.example.com`,
//! `CORP\alice`), through every layer a name passes: the policy, the
//! Session document, the check association's parameter (the emulated State
//! Manager holds it to the shipped document's `allowedPattern`), the check
//! script run by each node's emulated agent, readiness and `status`.

use crate::common;

use common::fleet::*;
use common::*;
use serde_json::Value;

const UPN: &str = "alice@corp.example.com";
const NETBIOS: &str = "CORP\\alice";

fn directory_policy(w: &World, account: &str, switch: bool) {
    let switch = if switch {
        "directory_users = true\n"
    } else {
        ""
    };
    w.write_policy_raw(&format!(
        "member_role = \"RunAsGuardExecution\"\nregions = [\"us-east-1\", \"eu-west-1\"]\n{switch}\
         [default]\nrun_as_user = \"{UPN}\"\n[[account]]\nid = \"{account}\"\nrun_as_user = \"CORP\\\\alice\"\n{NODES_ON}"
    ));
}

fn missing_nodes(item: &std::collections::HashMap<String, String>) -> Vec<String> {
    readiness(item)["missing_nodes"]
        .as_array()
        .map(|a| a.iter().map(|n| n.as_str().unwrap().to_string()).collect())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn directory_users_are_governed_and_checked_as_the_agent_looks_them_up() {
    let w = fleet_world().await;
    member_stack(&w, HUB).await;
    let upn_account = w.create_account("directory-upn", None).await;
    let netbios_account = w.create_account("directory-netbios", None).await;
    for a in [&upn_account, &netbios_account] {
        member_stack(&w, a).await;
    }
    directory_policy(&w, &netbios_account, true);
    for region in REGIONS {
        // SSSD answers the UPN on one node and not on the other.
        fleet(
            &w,
            &upn_account,
            region,
            &[
                ("i-0a000000000000001", &[UPN]),
                ("i-0a000000000000002", &["ec2-user"]),
            ],
        );
        // The agent asks for CORPalice (its `sh -c "id <user>"` is unquoted):
        // a node that answers only `CORP\alice` refuses the session.
        fleet(
            &w,
            &netbios_account,
            region,
            &[
                ("i-0b000000000000001", &["CORPalice"]),
                ("i-0b000000000000002", &[NETBIOS]),
            ],
        );
    }
    fleet(&w, HUB, "us-east-1", &[]);
    fleet(&w, HUB, "eu-west-1", &[]);

    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");

    for (account, user, missing) in [
        (&upn_account, UPN, "i-0a000000000000002"),
        (&netbios_account, NETBIOS, "i-0b000000000000002"),
    ] {
        for region in REGIONS {
            let (content, default, latest) = w.document(account, region).await.expect("document");
            assert_eq!(default, latest, "{account} {region}");
            assert_eq!(content["inputs"]["runAsEnabled"], Value::Bool(true));
            assert_eq!(
                content["inputs"]["runAsDefaultUser"], user,
                "{account} {region}"
            );
            let found = associations(&w, account, region).await;
            assert_eq!(found.len(), 1, "{account} {region}");
            assert_eq!(user_of(&found[0]), user, "the pattern admitted it");
            let item = check_state(&w, account, region).await.expect("check row");
            assert_eq!(readiness(&item)["checked"], 2, "{item:?}");
            assert_eq!(
                missing_nodes(&item),
                vec![missing.to_string()],
                "{account} {region}"
            );
        }
    }
    let alerts = w.alerts().await;
    let missing = of_kind(&alerts, "run_as_user_missing");
    assert_eq!(missing.len(), 2, "one per account: {missing:#?}");
    let users: std::collections::BTreeSet<&str> = missing
        .iter()
        .map(|a| a["message"]["user"].as_str().unwrap())
        .collect();
    assert_eq!(users, [NETBIOS, UPN].into_iter().collect());

    // status lists where sessions would be refused, the names as written.
    let run = w.run(&["status", "--status", "would-refuse", "--format", "csv"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let rows: Vec<&str> = run.stdout.lines().skip(1).collect();
    assert_eq!(rows.len(), 4, "{}", run.stdout);
    assert!(rows.iter().any(|r| r.contains(NETBIOS)), "{}", run.stdout);
    assert!(rows.iter().any(|r| r.contains(UPN)), "{}", run.stdout);

    // The next sweep finds the documents right and says nothing new.
    for a in [&upn_account, &netbios_account] {
        run_associations(&w, a);
    }
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    let again = w.alerts().await;
    assert!(
        of_kind(&again, "run_as_user_missing").is_empty()
            && of_kind(&again, "sweep_summary").is_empty(),
        "a steady sweep is silent: {again:#?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn policy_check_names_the_switch_and_warns_of_the_agents_lookup() {
    let w = fleet_world().await;
    directory_policy(&w, "111122223333", true);
    let path = w.policy.display().to_string();
    let run = w.run(&["policy", "check", &path]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("directory_users"), "{}", run.stdout);
    let all = format!("{}{}", run.stdout, run.stderr);
    assert!(
        all.contains("asks the name service for CORPalice"),
        "the DOMAIN\\NAME warning: {all}"
    );

    // Without the switch: refused, naming the switch, at the line.
    directory_policy(&w, "111122223333", false);
    let run = w.run(&["policy", "check", &path]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    let all = format!("{}{}", run.stdout, run.stderr);
    assert!(all.contains("set directory_users = true"), "{all}");
    assert!(all.contains("default.run_as_user"), "{all}");
    assert!(
        all.contains("account[111122223333].run_as_user"),
        "every error at once: {all}"
    );

    // A hostile name is refused with the switch on too, and never echoed raw.
    w.write_policy_raw(
        "member_role = \"RunAsGuardExecution\"\nregions = [\"us-east-1\"]\ndirectory_users = true\n\
         [default]\nrun_as_user = \"CORP\\\\$(touch pwned)\"\n",
    );
    let run = w.run(&["policy", "check", &path]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(
        format!("{}{}", run.stdout, run.stderr).contains("or be a directory name"),
        "{}{}",
        run.stdout,
        run.stderr
    );
}

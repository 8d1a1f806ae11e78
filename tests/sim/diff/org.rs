//! The differential check's Organizations and STS scenarios.

use super::*;

/// Organizations: a root, one OU, two member accounts (one in the OU),
/// answered as the product reads them.
pub(super) async fn organization(side: &mut Side, tape: &mut Tape) -> (String, String) {
    let org = aws_sdk_organizations::Client::new(&side.cfg);
    let (root, ou, alpha, beta, org_id);
    match side.sim.clone() {
        Some(sim) => {
            let mut s = sim.lock().unwrap();
            s.org.management = HUB.into();
            // moto names the management account "master"; a name is setup.
            s.org
                .accounts
                .insert(HUB.into(), account("master", aws::org::ROOT));
            s.org.ous.insert(
                "ou-sim0-prod0001".into(),
                aws::org::Ou {
                    name: "prod".into(),
                    parent: aws::org::ROOT.into(),
                },
            );
            s.org
                .accounts
                .insert("210000000001".into(), account("alpha", "ou-sim0-prod0001"));
            s.org
                .accounts
                .insert("210000000002".into(), account("beta", aws::org::ROOT));
            for a in ["210000000001", "210000000002"] {
                // AWS makes it in an account CreateAccount makes (as moto does).
                s.sts
                    .roles
                    .entry(a.into())
                    .or_default()
                    .insert(ACCESS_ROLE.into());
            }
            (root, ou, alpha, beta, org_id) = (
                aws::org::ROOT.to_string(),
                "ou-sim0-prod0001".to_string(),
                "210000000001".to_string(),
                "210000000002".to_string(),
                aws::org::ORG.to_string(),
            );
        }
        None => {
            use aws_sdk_organizations::types::OrganizationFeatureSet;
            let o = org
                .create_organization()
                .feature_set(OrganizationFeatureSet::All)
                .send()
                .await
                .unwrap();
            org_id = o.organization().unwrap().id().unwrap().to_string();
            root = org.list_roots().send().await.unwrap().roots()[0]
                .id()
                .unwrap()
                .to_string();
            ou = org
                .create_organizational_unit()
                .parent_id(&root)
                .name("prod")
                .send()
                .await
                .unwrap()
                .organizational_unit()
                .unwrap()
                .id()
                .unwrap()
                .to_string();
            let mut made = vec![];
            for name in ["alpha", "beta"] {
                let st = org
                    .create_account()
                    .account_name(name)
                    .email(format!("{name}@example.com"))
                    .send()
                    .await
                    .unwrap();
                made.push(
                    st.create_account_status()
                        .unwrap()
                        .account_id()
                        .unwrap()
                        .to_string(),
                );
            }
            (alpha, beta) = (made[0].clone(), made[1].clone());
            org.move_account()
                .account_id(&alpha)
                .source_parent_id(&root)
                .destination_parent_id(&ou)
                .send()
                .await
                .unwrap();
        }
    }
    side.name(&org_id, "org");
    side.name(&root, "root");
    side.name(&ou, "ou-prod");
    side.name(&alpha, "alpha");
    side.name(&beta, "beta");
    let s = &*side;
    fn acct(a: &aws_sdk_organizations::types::Account) -> Value {
        json!({
            "Id": a.id(),
            "Name": a.name(),
            "State": a.state().map(|t| t.as_str().to_string()),
            "JoinedTimestamp": a.joined_timestamp().is_some(),
            "Paths": a.paths(),
        })
    }
    // By name: ids are drawn differently on each side.
    fn sorted(mut v: Vec<Value>) -> Value {
        v.sort_by_key(|x| x["Name"].to_string());
        Value::Array(v)
    }
    let r = org.list_roots().send().await;
    rec(
        tape,
        s,
        "organization/roots",
        answer(r, |o| {
            json!(o.roots().iter().map(|x| x.id()).collect::<Vec<_>>())
        }),
    );
    let r = org.list_accounts().send().await;
    rec(
        tape,
        s,
        "organization/accounts",
        answer(r, |o| sorted(o.accounts().iter().map(acct).collect())),
    );
    for (step, parent) in [
        ("organization/accounts of the root", root.clone()),
        ("organization/accounts of the OU", ou.clone()),
        (
            "organization/accounts of a missing OU",
            "ou-zzzz-zzzzzzzz".to_string(),
        ),
    ] {
        let r = org
            .list_accounts_for_parent()
            .parent_id(parent)
            .send()
            .await;
        rec(
            tape,
            s,
            step,
            answer(r, |o| sorted(o.accounts().iter().map(acct).collect())),
        );
    }
    let r = org
        .list_organizational_units_for_parent()
        .parent_id(&root)
        .send()
        .await;
    rec(
        tape,
        s,
        "organization/OUs of the root",
        answer(r, |o| {
            sorted(
                o.organizational_units()
                    .iter()
                    .map(|u| json!({"Id": u.id(), "Name": u.name(), "Path": u.path()}))
                    .collect(),
            )
        }),
    );
    for (step, child) in [
        ("organization/parents of alpha", alpha.clone()),
        ("organization/parents of beta", beta.clone()),
        ("organization/parents of the OU", ou.clone()),
        (
            "organization/parents of a missing account",
            "999999999999".to_string(),
        ),
    ] {
        let r = org.list_parents().child_id(child).send().await;
        rec(
            tape,
            s,
            step,
            answer(r, |o| {
                json!(o.parents().iter().map(|p| json!({"Id": p.id(), "Type": p.r#type().map(|t| t.as_str().to_string())})).collect::<Vec<_>>())
            }),
        );
    }
    for (step, id) in [
        ("organization/describe alpha", alpha.clone()),
        (
            "organization/describe a missing account",
            "999999999999".to_string(),
        ),
    ] {
        let r = org.describe_account().account_id(id).send().await;
        rec(tape, s, step, answer(r, |o| acct(o.account().unwrap())));
    }
    (alpha, beta)
}

fn account(name: &str, parent: &str) -> aws::org::Account {
    aws::org::Account {
        name: name.into(),
        parent: parent.into(),
        state: "ACTIVE".into(),
        joined_ms: aws::now_ms() - 86_400_000,
        member: true,
    }
}

/// STS: a member role assumed where it exists and where it does not, and
/// what a member session can and cannot do.
pub(super) async fn sessions_of_sts(side: &mut Side, tape: &mut Tape, beta: &str) {
    let sts = aws_sdk_sts::Client::new(&side.cfg);
    let assume = |role: &str| {
        sts.assume_role()
            .role_arn(format!("arn:aws:iam::{beta}:role/{role}"))
            .role_session_name("runas-guard")
            .send()
    };
    let arn = |o: &aws_sdk_sts::operation::assume_role::AssumeRoleOutput| json!({"Arn": o.assumed_role_user().map(|u| u.arn()), "Credentials": o.credentials().is_some()});
    let r = assume(EXEC_ROLE).await;
    rec(
        tape,
        side,
        "sts/assume a missing role",
        answer(r, |o| arn(&o)),
    );
    let access = assume(ACCESS_ROLE).await;
    let Ok(access) = access else {
        rec(
            tape,
            side,
            "sts/assume the access role",
            answer(access, |o| arn(&o)),
        );
        return;
    };
    rec(
        tape,
        side,
        "sts/assume the access role",
        json!({"ok": arn(&access)}),
    );
    // The member stack lands: its role exists in the account's IAM.
    match side.sim.clone() {
        Some(sim) => {
            sim.lock()
                .unwrap()
                .sts
                .roles
                .entry(beta.into())
                .or_default()
                .insert(EXEC_ROLE.into());
        }
        None => {
            let iam = aws_sdk_iam::Client::new(&side.with_creds(access.credentials().unwrap()));
            iam.create_role()
                .role_name(EXEC_ROLE)
                .assume_role_policy_document(r#"{"Version":"2012-10-17","Statement":[]}"#)
                .send()
                .await
                .expect("CreateRole");
        }
    }
    let r = assume(EXEC_ROLE).await;
    let Ok(member) = r else {
        rec(
            tape,
            side,
            "sts/assume the member role",
            answer(r, |o| arn(&o)),
        );
        return;
    };
    rec(
        tape,
        side,
        "sts/assume the member role",
        json!({"ok": arn(&member)}),
    );
    let cfg = side.with_creds(member.credentials().unwrap());
    let r = aws_sdk_sts::Client::new(&cfg)
        .get_caller_identity()
        .send()
        .await;
    rec(
        tape,
        side,
        "sts/who the member session is",
        answer(r, |o| json!({"Account": o.account(), "Arn": o.arn()})),
    );
    // Organizations answers only the management account (and delegated
    // administrators): a member's session is refused.
    let r = aws_sdk_organizations::Client::new(&cfg)
        .list_accounts()
        .send()
        .await;
    rec(
        tape,
        side,
        "sts/the member session lists the organization's accounts",
        answer(r, |o| json!({"Accounts": o.accounts().len()})),
    );
    let ssm = aws_sdk_ssm::Client::new(&cfg);
    let r = ssm
        .create_document()
        .name(DOC)
        .content(content("member", ""))
        .document_type(aws_sdk_ssm::types::DocumentType::Session)
        .send()
        .await;
    rec(
        tape,
        side,
        "sts/the member session makes its document",
        answer(r, |o| doc_fields(o.document_description().unwrap())),
    );
    let r = ssm.get_document().name(DOC).send().await;
    rec(
        tape,
        side,
        "sts/the member's document",
        answer(
            r,
            |o| json!({"Content": o.content(), "DocumentVersion": o.document_version()}),
        ),
    );
    let r = aws_sdk_ssm::Client::new(&side.cfg)
        .get_document()
        .name(DOC)
        .send()
        .await;
    rec(
        tape,
        side,
        "sts/the hub's document is its own",
        answer(r, |o| json!({"Content": o.content()})),
    );
}

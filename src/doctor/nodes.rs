//! One member account's run-as user check, where the policy turns it on:
//! the member stack's check document is there, and what its association
//! last found on the nodes of each governed region.

use super::errors::said;
use super::List;
use crate::aws::associations::AssociationStore;
use crate::aws::ssm::DocumentStore;
use crate::aws::sts::MemberSession;
use crate::nodes::Associations;
use crate::policy::Policy;
use crate::ports::Documents;
use crate::reconcile::is_region_disabled;

pub(super) async fn check(
    policy: &Policy,
    account: &str,
    session: &MemberSession,
    member: &mut List,
) {
    let Some(document) = policy.check_document.as_deref() else {
        return;
    };
    for region in &policy.regions {
        let item = format!("user check {region}");
        let doc = DocumentStore::named(session.ssm(region), account, region, document);
        match doc.versions().await {
            Ok(Some(_)) => {}
            Ok(None) => {
                member.fail(
                    &item,
                    format!("no {document} document in {region}"),
                    "deploy infra/member.yaml to this account-region with RunAsUserCheck=Enabled (it ships the check document), or turn `[nodes] check_user` off",
                );
                continue;
            }
            Err(e) if is_region_disabled(&e.code) => {
                member.skip(
                    &item,
                    format!("region not enabled in this account ({})", e.code),
                );
                continue;
            }
            Err(e) => {
                member.fail(&item, said(&e), "the member role reads the check document like the session documents: redeploy infra/member.yaml");
                continue;
            }
        }
        let store = AssociationStore::new(session.ssm(region), account, region, document);
        match store.find().await {
            Ok(found) => match found.as_slice() {
                [] => member.pass(&item, "document present; no association yet (runas-guard creates it at the next event or sweep)"),
                [a, ..] => {
                    let user = a.user.as_deref().unwrap_or("-");
                    let c = a.counts;
                    let line = format!("association {} runs `id` for {user}: {} nodes checked, {} without the user", a.id, c.total(), c.failed);
                    if c.failed > 0 {
                        member.fail(&item, line, format!("create user {user} on those nodes (AMI, user data or configuration management); `runas-guard status --account {account}` lists the nodes"));
                    } else {
                        member.pass(&item, line);
                    }
                }
            },
            Err(e) => member.fail(
                &item,
                said(&e),
                "the member role needs the association permissions of infra/member.yaml RunAsUserCheck=Enabled",
            ),
        }
    }
}

//! One member account's run-as user check, where the policy turns it on:
//! what its association last found on the nodes of each governed region.

use super::errors::said;
use super::List;
use crate::adapters::aws::associations::AssociationStore;
use crate::adapters::aws::sts::MemberSession;
use crate::domain::nodes::Associations;
use crate::domain::policy::Policy;
use crate::flow::reconcile::is_region_disabled;

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
        let store = AssociationStore::new(session.ssm(region), account, region, document);
        match store.find().await {
            Ok(found) => match found.as_slice() {
                // The session policy reads associations, not documents: a
                // missing check document shows when runas-guard creates the
                // association (a failed row naming the fix).
                [] => member.pass(&item, "no association yet (runas-guard creates it at the next event or sweep; the member stack needs RunAsUserCheck=Enabled)"),
                [a, ..] => {
                    let user = a.user.as_deref().unwrap_or("-");
                    let c = a.counts;
                    // SSM's "Failed" is not yet "without the user": only the
                    // check script's own line is, read per node by the check.
                    let line = format!("association {} runs `id` for {user}: {} nodes with a result, {} failed, {} where the check could not run (timed out, not delivered)", a.id, c.total(), c.failed, c.not_run());
                    if c.failed > 0 {
                        member.fail(&item, line, format!("`runas-guard status --account {account}` says which failed nodes lack user {user} (create it there: AMI, user data or configuration management) and where the check could not run"));
                    } else if c.not_run() > 0 {
                        member.fail(&item, line, "the check could not run on some nodes: are their agents online and reachable? The next daily run asks them again");
                    } else {
                        member.pass(&item, line);
                    }
                }
            },
            Err(e) if is_region_disabled(&e.code) => {
                member.skip(&item, format!("region not enabled in this account ({})", e.code))
            }
            Err(e) => member.fail(
                &item,
                said(&e),
                "the member role needs the association permissions of infra/member.yaml RunAsUserCheck=Enabled",
            ),
        }
    }
}

//! The declared Identity Center mapping: can these credentials read it in
//! Identity Center's home region, and does it hold what the policy declares.

use super::errors::{denied, otherwise, permission_fix, said};
use super::{Given, List};
use crate::adapters::aws::identity_center::{discover, AttributeMapping, Instance};
use crate::adapters::aws::sts::Sts;
use crate::domain::identity_center::{changes, plan, MappingStore, Plan};

const ITEM: &str = "identity center";

pub(super) async fn mapping(g: &Given<'_>, hub: &mut List) {
    let Some(declared) = g.policy.and_then(|p| p.identity_center.as_ref()) else {
        hub.skip(ITEM, "the policy declares no [identity_center] mapping");
        return;
    };
    let client = Sts::new(g.config).identity_center(&declared.region);
    let Some(instance) = instance(&client, declared, hub).await else {
        return;
    };
    let store = AttributeMapping {
        client,
        region: declared.region.clone(),
        instance: instance.arn.clone(),
        account: instance.owner.clone().unwrap_or_else(|| "-".into()),
    };
    match store.read().await {
        Err(e) => {
            let fix = if denied(&e) {
                permission_fix("sso:DescribeInstanceAccessControlAttributeConfiguration (hub.yaml IdentityCenterAccess)")
            } else {
                otherwise(&e, "the hub must run in the account that administers Identity Center (management or its delegated administrator)")
            };
            hub.fail(ITEM, said(&e), fix);
        }
        Ok(found) => match plan(&declared.attributes, &found, declared.mode) {
            Plan::Keep => hub.pass(
                ITEM,
                format!(
                    "{} in {} holds the declared mapping",
                    instance.arn, declared.region
                ),
            ),
            Plan::Drift(_) => {
                let keys: Vec<String> = changes(&declared.attributes, &found)
                    .into_iter()
                    .map(|c| c.key)
                    .collect();
                hub.warn(
                    ITEM,
                    format!("{} differs from the declaration: {}", instance.arn, keys.join(", ")),
                    "the next event or sweep alerts identity_center_drift (and puts it back in enforce); or change the policy to what Identity Center should hold",
                );
            }
        },
    }
}

/// The declared instance, or the one `ListInstances` names (a failed row otherwise).
async fn instance(
    client: &aws_sdk_ssoadmin::Client,
    declared: &crate::domain::identity_center::Declared,
    hub: &mut List,
) -> Option<Instance> {
    if let Some(arn) = &declared.instance_arn {
        return Some(Instance {
            arn: arn.clone(),
            owner: None,
        });
    }
    match discover(client, &declared.region).await {
        Ok(i) => Some(i),
        Err(e) => {
            let fix = if denied(&e) {
                permission_fix("sso:ListInstances")
            } else {
                otherwise(&e, "set identity_center.instance_arn, and identity_center.region to Identity Center's home region")
            };
            hub.fail(ITEM, said(&e), fix);
            None
        }
    }
}

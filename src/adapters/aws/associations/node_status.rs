//! One node's report of the check (`DescribeInstanceAssociationsStatus`),
//! read only for nodes that failed: SSM's "Failed" covers runs the agent
//! could not make as well as the script's verdict, and only this report
//! carries the script's line.

use aws_sdk_ssm::error::ProvideErrorMetadata;

use super::{AssociationStore, PAGE};
use crate::adapters::aws::AwsError;
use crate::domain::nodes::NodeResult;

impl AssociationStore {
    /// What SSM says of `node`'s run of association `id`
    /// (`DescribeInstanceAssociationsStatus`): its status and the agent's
    /// execution summary, which carries each failed step's stderr (the
    /// check script's line). A node with no entry for it, or whose report
    /// the member role may not read, is reported as failed without a
    /// summary: no verdict on the user.
    pub(super) async fn node_result(&self, id: &str, node: String) -> Result<NodeResult, AwsError> {
        let mut pages = self
            .client
            .describe_instance_associations_status()
            .instance_id(&node)
            .max_results(PAGE)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = match page {
                Ok(page) => page,
                // A member stack older than this read's grant: no verdict
                // on the node (never a missing user), said in the log; the
                // check itself is kept. Any other error fails the check.
                Err(e) if e.code().is_some_and(|c| c.starts_with("AccessDenied")) => {
                    let e = self.err("DescribeInstanceAssociationsStatus", &e);
                    tracing::warn!(account = %self.account, region = %self.region, error_code = %e.code, error = %e, "cannot read a failed node's report: update the member stack (RunAsUserCheck=Enabled)");
                    break;
                }
                Err(e) => return Err(self.err("DescribeInstanceAssociationsStatus", &e)),
            };
            let infos = page.instance_association_status_infos();
            if let Some(i) = infos.iter().find(|i| i.association_id() == Some(id)) {
                return Ok(NodeResult {
                    node,
                    status: i.status().unwrap_or_default().to_string(),
                    detailed: i.detailed_status().map(str::to_string),
                    summary: i.execution_summary().map(str::to_string),
                });
            }
        }
        Ok(NodeResult {
            node,
            status: "Failed".into(),
            ..NodeResult::default()
        })
    }
}

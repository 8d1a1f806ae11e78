//! The nodes the check could not run on, by id: State Manager counts the
//! runs that timed out or were never delivered apart from failures, and the
//! check reads only failed nodes one by one, so those nodes are counted but
//! not named. Read when a hold is told (`enforcement_held` names each node
//! that keeps Run As off), never on a steady sweep.

use aws_sdk_ssm::types::{AssociationExecutionTargetsFilter, AssociationExecutionTargetsFilterKey};

use super::{AssociationStore, PAGE};
use crate::adapters::aws::AwsError;
use crate::domain::nodes::node_result::{classify, NodeVerdict};
use crate::domain::nodes::readiness::NodeReason;
use crate::domain::nodes::NodeResult;

/// The statuses of a run that never gave a verdict, as targets carry them.
const NOT_RUN: [&str; 2] = ["TimedOut", "Undeliverable"];

impl AssociationStore {
    /// Up to `bound` nodes whose run of association `id` in its newest
    /// execution timed out or was not delivered, each with why, sorted.
    pub async fn not_run_nodes(&self, id: &str, bound: usize) -> Result<Vec<NodeReason>, AwsError> {
        let Some(execution) = self.newest_execution(id).await? else {
            return Ok(vec![]);
        };
        let mut out = Vec::new();
        for status in NOT_RUN {
            let filter = AssociationExecutionTargetsFilter::builder()
                .key(AssociationExecutionTargetsFilterKey::Status)
                .value(status)
                .build()
                .expect("key and value are set");
            let mut pages = self
                .client
                .describe_association_execution_targets()
                .association_id(id)
                .execution_id(&execution)
                .filters(filter)
                .max_results(PAGE)
                .into_paginator()
                .send();
            while let Some(page) = pages.next().await {
                let page = page.map_err(|e| self.err("DescribeAssociationExecutionTargets", &e))?;
                for t in page.association_execution_targets() {
                    let result = NodeResult {
                        node: t.resource_id().unwrap_or_default().to_string(),
                        status: t.status().unwrap_or(status).to_string(),
                        detailed: t.detailed_status().map(str::to_string),
                        summary: None,
                    };
                    if let (false, NodeVerdict::CouldNotRun(reason)) =
                        (result.node.is_empty(), classify(&result, ""))
                    {
                        out.push(NodeReason {
                            node: result.node,
                            reason,
                        });
                    }
                }
                if out.len() >= bound {
                    break;
                }
            }
        }
        out.sort_by(|a, b| a.node.cmp(&b.node));
        out.dedup_by(|a, b| a.node == b.node);
        out.truncate(bound);
        Ok(out)
    }
}

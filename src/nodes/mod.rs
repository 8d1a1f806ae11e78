//! Session readiness: with Run As on, the SSM agent refuses a session when
//! `id <user>` fails on the node. Where the policy turns the check on
//! (`[nodes] check_user`), runas-guard keeps one State Manager association of
//! the member stack's check document per account-region (the only thing it
//! runs on nodes is that lookup) and reads its per-node outcome.
//!
//! `plan` decides what to do with what SSM holds (pure); `check` does it
//! over the narrow [`Associations`] port; the adapter is `aws::associations`.

use std::future::Future;

use crate::aws::AwsError;

pub mod check;
pub mod plan;
pub mod readiness;
pub mod verdict;

pub use check::{check, Checked, Want};
pub use readiness::Readiness;
pub use verdict::{gate, Verdict};

/// The member stack's check document (infra/member.yaml `RunAsUserCheck`).
pub use crate::trigger::CHECK_DOCUMENT;
/// The name of the one association runas-guard keeps per account-region.
pub const ASSOCIATION_NAME: &str = "runas-guard-check-run-as-user";
/// How often State Manager runs the lookup on every node (also at creation,
/// at every change, and when a node joins).
pub const SCHEDULE: &str = "rate(1 day)";
/// Node ids kept and alerted per account-region; counts are always whole.
pub const MAX_NODE_IDS: usize = 20;

/// One association as SSM describes it (`DescribeAssociation`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Association {
    pub id: String,
    pub version: String,
    pub name: Option<String>,
    pub document: String,
    /// The `User` parameter when it holds exactly one value.
    pub user: Option<String>,
    /// Targets every managed node (`InstanceIds` = `*`), and nothing else.
    pub all_nodes: bool,
    pub schedule: Option<String>,
    pub counts: Counts,
}

/// `Overview.AssociationStatusAggregatedCount`: the latest outcome per node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    pub success: u64,
    pub failed: u64,
    /// Pending, in progress, timed out, skipped...
    pub other: u64,
}

impl Counts {
    pub fn total(&self) -> u64 {
        self.success + self.failed + self.other
    }
}

/// The narrow port over one account-region's associations of the check document.
pub trait Associations: Sync {
    fn account(&self) -> &str;
    fn region(&self) -> &str;
    /// Every association of the check document named [`ASSOCIATION_NAME`].
    fn find(&self) -> impl Future<Output = Result<Vec<Association>, AwsError>> + Send;
    /// `None` when it no longer exists.
    fn describe(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<Option<Association>, AwsError>> + Send;
    fn create(&self, user: &str) -> impl Future<Output = Result<Association, AwsError>> + Send;
    /// `Ok(None)` when `version` is no longer the latest
    /// (`InvalidAssociationVersion`: someone changed it in between) or the
    /// association is gone.
    fn update(
        &self,
        id: &str,
        version: &str,
        user: &str,
    ) -> impl Future<Output = Result<Option<Association>, AwsError>> + Send;
    /// `false` when it was already gone.
    fn delete(&self, id: &str) -> impl Future<Output = Result<bool, AwsError>> + Send;
    /// Whether a managed Linux or macOS node is there (the check applies to
    /// those only; Run As too).
    fn any_linux_or_macos_node(&self) -> impl Future<Output = Result<bool, AwsError>> + Send;
    /// Up to `bound` nodes whose latest run failed.
    fn failed_nodes(
        &self,
        id: &str,
        bound: usize,
    ) -> impl Future<Output = Result<Vec<String>, AwsError>> + Send;
}

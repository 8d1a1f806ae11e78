//! Session readiness: with Run As on, the SSM agent refuses a session when
//! `id <user>` fails on the node. Where the policy turns the check on
//! (`[nodes] check_user`), runas-guard keeps one State Manager association of
//! the member stack's check document per account-region (the only thing it
//! runs on nodes is that lookup) and reads its per-node outcome.
//!
//! `plan` decides what to do with what SSM holds, `found` what the nodes
//! said, `put_back` how a put-back goes (pure); `flow::user_check` does it
//! over the narrow [`Associations`] and [`CreateClaim`] ports; the adapters
//! are `adapters::aws::associations` and `adapters::store::check_claim`.

use std::future::Future;

use crate::domain::aws_error::AwsError;

pub mod found;
pub mod held;
pub mod managed_tag;
pub mod node_result;
pub mod plan;
pub mod put_back;
pub mod readiness;
pub mod refusal;
pub mod verdict;

pub use node_result::{NodeResult, Reason};
pub use readiness::{NotRun, Readiness};
pub use verdict::{gate, Verdict};

/// The member stack's check document (infra/member.yaml `RunAsUserCheck`).
pub use crate::domain::trigger::CHECK_DOCUMENT;
/// The name of the one association runas-guard keeps per account-region.
pub const ASSOCIATION_NAME: &str = "runas-guard-check-run-as-user";
pub use managed_tag::{KEY as MANAGED_TAG_KEY, VALUE as MANAGED_TAG_VALUE};
/// How often State Manager runs the lookup on every node (also at creation,
/// at every change, and when a node joins).
pub const SCHEDULE: &str = "rate(1 day)";
/// Node ids kept and alerted per account-region; counts are always whole.
pub const MAX_NODE_IDS: usize = 20;

/// Sent on every create and update, so the association says the same
/// whether SSM echoes its defaults or leaves them out: State Manager never
/// stops the lookup for errors (a failing node is the finding) and runs it
/// everywhere at once (the documented default).
pub const MAX_ERRORS: &str = "100%";
pub const MAX_CONCURRENCY: &str = "100%";

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
    /// When it was created (`Date`, epoch milliseconds).
    pub created: Option<i64>,
    /// When it last ran (`LastExecutionDate`, epoch milliseconds): every
    /// run, the schedule's, a change's or one after the check document
    /// changed, moves it, so node reports read before it are of an older run.
    pub last_run: Option<i64>,
    /// Every other field an editor can set (see [`plan::not_kept`]).
    pub rest: Rest,
}

/// The association's fields beyond document, name, user, targets and
/// schedule: each can keep the lookup from running or from reporting
/// (a closed calendar stops every run, `MaxErrors` stops one, an alarm
/// stops it, `ApplyOnlyAtCronInterval` skips the run at a change), so each
/// must be as runas-guard writes it. Lists and structures are kept as
/// "set or not": runas-guard sets none of them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Rest {
    pub document_version: Option<String>,
    pub max_errors: Option<String>,
    pub max_concurrency: Option<String>,
    pub compliance_severity: Option<String>,
    pub sync_compliance: Option<String>,
    pub apply_only_at_cron_interval: bool,
    pub calendar_names: Vec<String>,
    pub output_location: bool,
    pub alarm_configuration: bool,
    pub target_locations: bool,
    pub target_maps: bool,
    pub schedule_offset: Option<i32>,
    pub duration: Option<i32>,
    pub automation_target_parameter_name: Option<String>,
    pub association_dispatch_assume_role: Option<String>,
    /// Parameters besides `User` (the check document declares none).
    pub other_parameters: bool,
}

/// The check document's versions, as `DescribeDocument` gives them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DocumentVersions {
    pub default: String,
    pub latest: String,
}

impl DocumentVersions {
    /// The version an association runs: its `DocumentVersion` resolved
    /// (`$DEFAULT` or none: the default; `$LATEST`: the latest; a number:
    /// that one).
    pub fn run_by(&self, pinned: Option<&str>) -> String {
        match pinned {
            None | Some("$DEFAULT") => self.default.clone(),
            Some("$LATEST") => self.latest.clone(),
            Some(n) => n.to_string(),
        }
    }
}

/// `Overview.AssociationStatusAggregatedCount`: the latest outcome per node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    pub success: u64,
    pub failed: u64,
    /// Nodes whose run is under way (`Pending`, `InProgress`): while there
    /// are any, a run is in progress and the counts are not a verdict.
    pub running: u64,
    /// Timed out: no verdict on the user.
    pub timed_out: u64,
    /// Never reached the node (`Undeliverable`, `DeliveryTimedOut`).
    pub undeliverable: u64,
    /// Skipped, cancelled, or a status this build does not know.
    pub other: u64,
}

impl Counts {
    pub fn total(&self) -> u64 {
        self.success + self.failed + self.running + self.not_run()
    }

    /// Nodes with an outcome that says nothing about the user.
    pub fn not_run(&self) -> u64 {
        self.timed_out + self.undeliverable + self.other
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
    /// `tagged`: with [`MANAGED_TAG_KEY`] in the request (a member stack
    /// older than the tag's grant refuses that; see [`check`]).
    fn create(
        &self,
        user: &str,
        tagged: bool,
    ) -> impl Future<Output = Result<Association, AwsError>> + Send;
    /// Puts [`MANAGED_TAG_KEY`] = [`MANAGED_TAG_VALUE`] on association `id`
    /// (`AddTagsToResource` overwrites; nothing else is touched).
    fn tag(&self, id: &str) -> impl Future<Output = Result<(), AwsError>> + Send;
    /// `Ok(None)` when `version` is no longer the latest
    /// (`InvalidAssociationVersion`: someone changed it in between) or the
    /// association is gone; `AssociationVersionLimitExceeded` is an error
    /// with that code (the caller replaces the association).
    fn update(
        &self,
        id: &str,
        version: &str,
        user: &str,
    ) -> impl Future<Output = Result<Option<Association>, AwsError>> + Send;
    /// `false` when it was already gone.
    fn delete(&self, id: &str) -> impl Future<Output = Result<bool, AwsError>> + Send;
    /// The check document's default and latest versions
    /// (`DescribeDocument`); `None` when it is not there.
    fn document_versions(
        &self,
    ) -> impl Future<Output = Result<Option<DocumentVersions>, AwsError>> + Send;
    /// Whether a managed Linux or macOS node is there (the check applies to
    /// those only; Run As too).
    fn any_linux_or_macos_node(&self) -> impl Future<Output = Result<bool, AwsError>> + Send;
    /// Up to `bound` nodes that failed in the newest execution (by its
    /// `CreatedTime`: SSM lists executions in no promised order), each
    /// with what SSM says of its run of association `id` (status and the
    /// agent's summary, which carries the script's line).
    fn failed_nodes(
        &self,
        id: &str,
        bound: usize,
    ) -> impl Future<Output = Result<Vec<NodeResult>, AwsError>> + Send;
}

/// The check row's hold on the association: the right to create it (two
/// runs that both find none, a delete delivered twice, a sweep beside it,
/// must not both create one) and what the row last recorded.
pub trait CreateClaim: Sync {
    /// False while another run holds it.
    fn claim(&self) -> impl Future<Output = Result<bool, AwsError>> + Send;
    /// Gives it back after a creation failed, so the next attempt creates.
    fn release(&self) -> impl Future<Output = Result<(), AwsError>> + Send;
    /// What the row records of the check (an event run does not know it).
    fn recorded(&self) -> impl Future<Output = Result<Option<Readiness>, AwsError>> + Send;
}

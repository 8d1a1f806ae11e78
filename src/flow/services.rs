//! Every client and setting a run needs, built once per process: what the
//! wrapper, the router and the workers are handed (down), never reach for.

use std::sync::Arc;

use tokio::sync::{OnceCell, Semaphore};

use crate::adapters::aws::dynamodb::Table;
use crate::adapters::aws::organizations::Org;
use crate::adapters::aws::queue::SweepQueue;
use crate::adapters::aws::retry_quota::RetryQuota;
use crate::adapters::aws::sts::Sts;
use crate::adapters::aws::topics::Topics;
use crate::adapters::store::receipts::Receipts;
use crate::adapters::store::state::StateStore;
use crate::adapters::store::sweeps::Sweeps;
use crate::adapters::store::vend::Vends;
use crate::domain::config::Settings;
use crate::domain::policy::Policy;
use crate::domain::seat::Seat;
use crate::domain::trigger::MemberStackSet;
use crate::flow::account::Ctx;
use crate::flow::publish::Alerts;

/// Every client and setting a run needs; built once per process (and
/// copied, sharing its clients, when a new policy comes into force).
#[derive(Clone)]
pub struct Services {
    pub policy: Policy,
    pub settings: Settings,
    pub sts: Sts,
    /// Holds no state between runs: each takes [`Org::fresh`].
    pub org: Org,
    pub table: Table,
    pub state: StateStore,
    pub receipts: Receipts,
    pub sweeps: Sweeps,
    pub vends: Vends,
    pub alerts: Alerts,
    pub queue: Option<SweepQueue>,
    pub region_slots: Arc<Semaphore>,
    /// The member StackSet, its administrator as configured (or unchecked).
    pub stack_set: MemberStackSet,
    /// The management account once Organizations said it (asked only when
    /// no administrator is configured and a stack-instance event arrives).
    pub management: Arc<OnceCell<String>>,
    /// The operator's read-only role, for a dry run from the CLI: a run
    /// that writes never takes it.
    pub seat: Option<Seat>,
}

impl Services {
    /// Where a record keeps the alerts of a dead run it adopts, for `owner`
    /// (`joined`: when the account last joined, as the run knows it).
    pub fn keeper<'a>(
        &'a self,
        owner: &'a str,
        joined: crate::flow::account::adopted::Joined<'a>,
    ) -> crate::flow::commit::Keeper<'a> {
        crate::flow::commit::Keeper {
            receipts: &self.receipts,
            alerts: &self.alerts,
            vends: &self.vends,
            owner,
            joined,
        }
    }

    /// One retry quota for all its clients ([`RetryQuota`]): the
    /// process's, made with it and dropped with it.
    pub fn new(config: &aws_config::SdkConfig, policy: Policy, settings: Settings) -> Self {
        let quota = RetryQuota::default();
        let table = Table::with_quota(config, &settings.table, &quota);
        let queue = settings
            .sweep_queue_url
            .as_deref()
            .filter(|u| !u.is_empty())
            .map(|u| SweepQueue::new(config, u, &quota));
        Services {
            policy,
            sts: Sts::with_quota(config, &quota),
            org: Org::with_quota(config, &quota),
            // Checked with the settings at start.
            state: StateStore::new(table.clone())
                .with_retention(crate::domain::config::history_retention()),
            receipts: Receipts::new(table.clone(), settings.claim_lease)
                .with_history_retention(crate::domain::config::history_retention()),
            sweeps: Sweeps::new(table.clone()),
            vends: Vends::new(table.clone()),
            alerts: Alerts::new(
                Topics::new(
                    config,
                    (&settings.topic_arn, settings.chat_topic_arn.as_deref()),
                    &quota,
                ),
                // Checked with the settings: a bad value never gets this far.
                crate::domain::config::alert_format_checked().unwrap_or_default(),
            ),
            table,
            queue,
            region_slots: Arc::new(Semaphore::new((settings.max_in_flight / 2).max(1))),
            stack_set: crate::domain::config::stack_set(
                &settings.member_stack_set,
                settings.stackset_admin.as_deref(),
            ),
            management: Arc::new(OnceCell::new()),
            seat: None,
            settings,
        }
    }

    pub fn ctx<'a>(&'a self, org: &'a Org) -> Ctx<'a> {
        Ctx {
            policy: &self.policy,
            sts: &self.sts,
            org,
            state: &self.state,
            vends: &self.vends,
            region_slots: &self.region_slots,
            pending_window: self.settings.pending_window,
            member_stack_set: &self.settings.member_stack_set,
            seat: self.seat.as_ref(),
            sessions_read: Default::default(),
        }
    }
}

//! The write lease on one account-region's state item: runs that want to
//! write the same document take turns, so one change gets one corrective
//! version and one alert however its events interleave. Compliant
//! account-regions never touch it (no DynamoDB call on a quiet sweep).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_sdk_dynamodb::types::ReturnValue;

use super::orphan::{orphan_in, Orphan};
use crate::adapters::aws::dynamodb::{get_n, get_s, n, s, Item, Table};
use crate::domain::aws_error::AwsError;
use crate::domain::clock;
use crate::domain::heartbeat::{Heartbeat, Keepalive, Renewal};
use crate::domain::intent::Announce;
use crate::domain::ports::{Lease, Observed, DEFERRED};

/// How long one take (or renewal) of an account-region lasts: short, so a
/// crashed run delays others briefly. A live holder renews it every third
/// of that (see [`Heartbeat`]), however long its calls take.
const REGION_LEASE: Duration = Duration::from_secs(30);
/// A waiter gives up after this long: a holder that renews for longer is
/// stuck, and the waiter's event is retried later.
const WAIT_AT_MOST: Duration = Duration::from_secs(90);
/// A waiter that holds other leases of the account defers after this long:
/// two runs that each hold what the other waits for would otherwise both
/// wait [`WAIT_AT_MOST`] and fail. The holder writes and records the
/// account-region; a holder that is simply slow loses nothing by it.
const DEFER_AFTER: Duration = Duration::from_secs(3);
/// Clocks of two Lambda hosts may disagree by this much.
const CLOCK_SKEW: Duration = Duration::from_secs(1);
pub use super::item::recent_reverts;

/// The right to write one account-region, and what the item said when we
/// took it (reverts in the last hour, for the tamper count).
#[derive(Debug, Clone)]
pub struct RegionGrant {
    pub owner: String,
    /// Epoch seconds of earlier reverts still inside [`TAMPER_WINDOW`].
    pub recent_reverts: Vec<i64>,
    /// Renews the lease until the grant is recorded (its last clone dropped).
    pub keepalive: Keepalive,
    /// The intent of a dead run that the take wrote over (its lease had run
    /// out): the record puts it back, for a run that reads the document to
    /// adopt ([`super::orphan`]).
    pub dead: Option<Orphan>,
}

impl RegionGrant {
    /// A grant with no heartbeat (pure code and tests).
    pub fn new(owner: &str, recent_reverts: Vec<i64>) -> RegionGrant {
        RegionGrant {
            owner: owner.to_string(),
            recent_reverts,
            keepalive: Keepalive::default(),
            dead: None,
        }
    }
}

/// The lease on one account-region item, for one run.
pub struct RegionLease {
    pub table: Table,
    pub account: String,
    /// The region, or `<region>#DOCUMENT#<name>` for a `[[document]]`.
    pub slot: String,
    pub owner: String,
    /// Leases this run holds in the account (shared by its regions): a run
    /// holding some does not wait long for another's.
    pub held: Arc<AtomicUsize>,
    /// Who the run is, for the intent it records with each take.
    pub announce: Option<Announce>,
}

/// What taking the lease means, from the item as it was (pure): the
/// reverts still inside the tamper window, and whether what we observed
/// (from `since`) can be trusted. It cannot when another run held or
/// released the lease after we began observing, or when we had to wait.
pub fn grant_from(
    old: &Item,
    owner: &str,
    since: SystemTime,
    now: SystemTime,
    waited: bool,
) -> (RegionGrant, bool) {
    let ours = get_s(old, "lease_owner").as_deref() == Some(owner);
    // A release stamps `lease_until` with its time, so one attribute says
    // "held until" and "last written at".
    let touched =
        get_n(old, "lease_until").is_some_and(|t| t >= clock::epoch_millis(since - CLOCK_SKEW));
    let mut grant = RegionGrant::new(owner, recent_reverts(old, now));
    // Until 0.7.13 the take wrote its own intent over a dead run's and its
    // record removed it: when the taker could not read the document, the
    // dead run's write was never adopted and the next run told the default
    // it replaced as a window beside the dead run's own alert (simulation
    // seed 700727).
    grant.dead = orphan_in(old, Some(owner), now);
    (grant, ours || !(waited || touched))
}

impl RegionLease {
    /// Renews every third of the lease while the grant lives. Each renewal
    /// names the expiry the previous one set, so a renewal that arrives after
    /// the release (which stamps its own time) or after a takeover changes
    /// nothing and stops the beat.
    fn keepalive(&self, until: i64) -> Keepalive {
        let (table, account, slot, owner) = (
            self.table.clone(),
            self.account.clone(),
            self.slot.clone(),
            self.owner.clone(),
        );
        let last = std::sync::Arc::new(std::sync::atomic::AtomicI64::new(until));
        Keepalive::new(Heartbeat::start(REGION_LEASE / 3, move || {
            let (table, account, slot, owner, last) = (
                table.clone(),
                account.clone(),
                slot.clone(),
                owner.clone(),
                last.clone(),
            );
            async move {
                use std::sync::atomic::Ordering;
                let previous = last.load(Ordering::SeqCst);
                let next = clock::epoch_millis(clock::now() + REGION_LEASE);
                let result = table
                    .update_region(&account, &slot)
                    .update_expression("SET lease_until = :next")
                    .condition_expression("lease_owner = :me AND lease_until = :last")
                    .expression_attribute_values(":me", s(&owner))
                    .expression_attribute_values(":last", n(previous))
                    .expression_attribute_values(":next", n(next))
                    .send()
                    .await;
                match result {
                    Ok(_) => {
                        last.store(next, Ordering::SeqCst);
                        Renewal::Held
                    }
                    Err(e) => {
                        let err = table.err("UpdateItem", &account, &e);
                        if err.is("ConditionalCheckFailedException") {
                            Renewal::Lost
                        } else {
                            tracing::warn!(account, slot, error_code = %err.code, error = %err, "cannot renew the write lease; trying again");
                            Renewal::Unknown
                        }
                    }
                }
            }
        }))
    }

    /// One conditional take; `Ok(None)` when another run holds it.
    /// `intent`: what the run is about to write (JSON), recorded with it.
    async fn try_take(
        &self,
        now: SystemTime,
        intent: Option<&str>,
    ) -> Result<Option<Item>, AwsError> {
        let expression = match intent {
            Some(_) => "SET lease_owner = :me, lease_until = :until, state_shard = :shard, intent = :intent",
            None => "SET lease_owner = :me, lease_until = :until, state_shard = :shard",
        };
        let result = self
            .table
            .update_region(&self.account, &self.slot)
            .update_expression(expression)
            .set_expression_attribute_values(
                intent.map(|i| std::collections::HashMap::from([(":intent".to_string(), s(i))])),
            )
            .condition_expression(
                "attribute_not_exists(lease_until) OR lease_until < :now OR lease_owner = :me",
            )
            .expression_attribute_values(":me", s(&self.owner))
            .expression_attribute_values(
                ":shard",
                s(crate::adapters::store::keys::state_shard(&self.account)),
            )
            .expression_attribute_values(":until", n(clock::epoch_millis(now + REGION_LEASE)))
            .expression_attribute_values(":now", n(clock::epoch_millis(now)))
            .return_values(ReturnValue::AllOld)
            .send()
            .await;
        match result {
            Ok(out) => Ok(Some(out.attributes.unwrap_or_default())),
            Err(e) => {
                let err = self.table.err("UpdateItem", &self.account, &e);
                if err.is("ConditionalCheckFailedException") {
                    Ok(None)
                } else {
                    Err(err)
                }
            }
        }
    }
}

impl Lease for RegionLease {
    type Grant = RegionGrant;

    fn still_held(&self, grant: &RegionGrant) -> bool {
        !grant.keepalive.lost()
    }

    /// Waits for a holder to release (or for its lease to run out: a run
    /// that crashed), then takes the lease.
    async fn acquire(
        &self,
        since: SystemTime,
        seen: &Observed,
    ) -> Result<(RegionGrant, bool), AwsError> {
        let intent = self.announce.as_ref().map(|a| {
            let mut intent = a.intent(&self.owner, seen.run_as(&a.user), seen.versions());
            intent.made = seen.made(false);
            intent.to_json()
        });
        let started = clock::now();
        let give_up = started + WAIT_AT_MOST;
        let mut waited = false;
        let mut pause = Duration::from_millis(100);
        loop {
            let now = clock::now();
            if let Some(old) = self.try_take(now, intent.as_deref()).await? {
                let (mut grant, fresh) = grant_from(&old, &self.owner, since, now, waited);
                grant.keepalive = self.keepalive(clock::epoch_millis(now + REGION_LEASE));
                self.held.fetch_add(1, Ordering::SeqCst);
                return Ok((grant, fresh));
            }
            if defers(self.held.load(Ordering::SeqCst), now, started) {
                return Err(AwsError {
                    operation: "UpdateItem",
                    account: self.account.clone(),
                    region: self.slot.clone(),
                    code: DEFERRED.into(),
                    message: "another run holds this account-region's write lease while this run holds others".into(),
                });
            }
            if now > give_up {
                return Err(AwsError {
                    operation: "UpdateItem",
                    account: self.account.clone(),
                    region: self.slot.clone(),
                    code: "LeaseHeld".into(),
                    message: format!(
                        "another run held the write lease for more than {}s",
                        give_up_secs()
                    ),
                });
            }
            tracing::debug!(account = %self.account, slot = %self.slot, "another run is fixing this account-region; waiting");
            waited = true;
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_secs(1));
        }
    }
}

/// Whether a waiter holding `held` other leases of the account, waiting
/// since `started`, leaves the account-region to its holder.
fn defers(held: usize, now: SystemTime, started: SystemTime) -> bool {
    held > 0 && now.duration_since(started).unwrap_or_default() >= DEFER_AFTER
}

fn give_up_secs() -> u64 {
    WAIT_AT_MOST.as_secs()
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodb::types::AttributeValue;

    fn item(pairs: &[(&str, AttributeValue)]) -> Item {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    #[test]
    fn a_waiter_defers_only_while_holding_others_and_after_a_while() {
        let t0 = std::time::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        for (held, waited, defers_now) in [
            (0, 0, false),
            (0, 60, false),
            (1, 0, false),
            (1, 2, false),
            (1, 3, true),
            (4, 89, true),
        ] {
            let now = t0 + Duration::from_secs(waited);
            assert_eq!(defers(held, now, t0), defers_now, "{held} held, {waited} s");
        }
        // A clock that steps back never defers early.
        assert!(!defers(1, t0, t0 + Duration::from_secs(10)));
    }

    #[test]
    fn freshness_and_recent_reverts() {
        let t0 = std::time::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let ms = |t: SystemTime| n(clock::epoch_millis(t));
        let secs = |t: SystemTime| n(clock::epoch_secs(t));
        let old_release = item(&[
            ("lease_owner", s("other")),
            ("lease_until", ms(t0 - Duration::from_secs(10))),
        ]);
        let new_release = item(&[
            ("lease_owner", s("other")),
            ("lease_until", ms(t0 + Duration::from_millis(300))),
        ]);
        let skewed = item(&[
            ("lease_owner", s("other")),
            ("lease_until", ms(t0 - Duration::from_millis(500))),
        ]);
        let ours = item(&[
            ("lease_owner", s("me")),
            ("lease_until", ms(t0 + REGION_LEASE)),
        ]);
        let now = t0 + Duration::from_secs(2);
        let cases: [(&str, &Item, bool, bool); 6] = [
            ("never leased", &Item::new(), false, true),
            ("released long before we looked", &old_release, false, true),
            (
                "released after we began observing",
                &new_release,
                false,
                false,
            ),
            ("released within the clock skew", &skewed, false, false),
            ("we had to wait", &old_release, true, false),
            ("our own earlier take (a lost answer)", &ours, false, true),
        ];
        for (why, old, waited, fresh) in cases {
            assert_eq!(grant_from(old, "me", t0, now, waited).1, fresh, "{why}");
        }
        let reverts = item(&[(
            "reverts_at",
            AttributeValue::L(vec![
                secs(now - Duration::from_secs(4000)),
                secs(now - Duration::from_secs(100)),
                n(-5),
                s("garbage"),
            ]),
        )]);
        let (grant, _) = grant_from(&reverts, "me", t0, now, false);
        assert_eq!(
            grant.recent_reverts,
            [clock::epoch_secs(now - Duration::from_secs(100))]
        );
        assert_eq!(grant.owner, "me");
    }

    /// What a take wrote over: a dead run's intent (another owner, its lease
    /// over) is carried for the record to put back; our own, a live one
    /// (a take cannot replace it, but the item says so) or an unreadable
    /// one is not.
    #[test]
    fn a_take_carries_the_dead_intent_it_wrote_over() {
        let t0 = std::time::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let ms = |t: SystemTime| n(clock::epoch_millis(t));
        let theirs = crate::domain::intent::sample_edit("root").to_json();
        let mine = theirs.replace("\"run-1\"", "\"me\"");
        assert_ne!(mine, theirs);
        let with = |intent: &str, until: SystemTime| {
            item(&[
                ("intent", s(intent)),
                ("lease_owner", s("run-1")),
                ("lease_until", ms(until)),
            ])
        };
        let over = t0 - Duration::from_secs(1);
        let cases: [(&str, Item, bool); 5] = [
            ("a dead run's", with(&theirs, over), true),
            ("none", Item::new(), false),
            ("our own (a lost answer's retry)", with(&mine, over), false),
            ("a live run's", with(&theirs, t0 + REGION_LEASE), false),
            ("unreadable", with("{not json", over), false),
        ];
        for (why, old, dead) in cases {
            let (grant, _) = grant_from(&old, "me", t0, t0, false);
            assert_eq!(grant.dead.is_some(), dead, "{why}");
            if let Some(d) = grant.dead {
                assert_eq!(d.json, theirs, "{why}: kept exactly as stored");
            }
        }
    }
}

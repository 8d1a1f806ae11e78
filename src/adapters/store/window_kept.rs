//! The keep's side of a window claim: the writes, in the transaction that
//! keeps a Run As window's alert in the outbox (`Receipts::keep`), that
//! mark the claim's tokens kept on their ledger items, or, for a claim
//! whose own write failed (refused past the SDK's retries, its answers
//! lost), make the claim and keep it at once (since 0.7.15). The claim
//! itself and its terms are `window_told`'s.

use aws_sdk_dynamodb::error::BuildError;
use aws_sdk_dynamodb::types::Update;

use crate::adapters::aws::dynamodb::{n, s, Table};
use crate::adapters::store::fact_items::{self, Claiming};
use crate::adapters::store::window_told::{self, Claimed, Claimer};
use crate::adapters::store::window_told::{TOKENS_PER_WRITE, WINDOW_CLAIM_LEASE};
use crate::domain::aws_error::AwsError;
use crate::domain::window_claim::WindowClaim;

/// Whether the keep of an alert can make `claim`: a claim whose write
/// failed is made with the keep only when it fits one write (a longer one
/// stays unmade, told anyway, as before 0.7.15).
pub fn keepable(claim: &WindowClaim) -> bool {
    claim.unwritten.is_none() || claim.tokens.len() <= TOKENS_PER_WRITE
}

/// The writes that mark a claim's tokens kept, one per token, in the
/// transaction that keeps its alert (`Receipts::keep`): only while each is
/// still this trigger's. A claim whose write failed is made there instead,
/// each token claimed and kept at once where no other run holds it. Until
/// 0.7.15 such a claim's keep was cancelled (no claim of this trigger's to
/// mark) and the alert kept without it, so the next run that read the same
/// versions claimed them and told them again (simulation seeds 800355 and
/// 780367). Cancelled now (another run claimed one meanwhile), the keep
/// falls back to the plain one: told anyway, as before. `expires`: epoch
/// seconds the items expire at.
pub fn kept(table: &Table, claim: &WindowClaim, expires: i64) -> Result<Vec<Update>, BuildError> {
    let place = (claim.account.as_str(), claim.slot.as_str());
    let Some(unwritten) = &claim.unwritten else {
        return claim
            .tokens
            .iter()
            .map(|t| {
                let reach = claim.reach.get(t).copied();
                fact_items::kept_update(table, place, (t, reach), &claim.trigger_id)
            })
            .collect();
    };
    let at_ms = crate::domain::clock::epoch_millis(crate::domain::clock::now());
    let claiming = Claiming {
        account: place.0,
        slot: place.1,
        trigger_id: &claim.trigger_id,
        seen: &unwritten.seen,
        actor: &unwritten.actor,
        until_ms: at_ms + WINDOW_CLAIM_LEASE.as_millis() as i64,
        at_ms,
        expires,
        remade: false,
    };
    claim
        .tokens
        .iter()
        // Without when each version was made: a former life's claim of the
        // same number refuses this one, and the alert is kept without it.
        .map(|t| {
            let reach = claim.reach.get(t).copied();
            fact_items::claim_update(table, &claiming, (t, None), Some(reach))
        })
        .collect()
}

/// The written claims of a keep that did not land, given back: each
/// token's lease ends now, while it is still this trigger's and unkept
/// (a keep that landed with its answer lost marked it kept). Their alerts
/// are not sent (`outbox::tells_facts`); held for the lease's 15 minutes,
/// every other run left them to a trigger whose retry may never come (its
/// event coalesced into a run that left them to it: simulation seed
/// 900228), and the sweep after the lease told them naming no one. A give
/// back that fails leaves the lease to run out, as before.
pub async fn give_back(table: &Table, claims: &[WindowClaim]) {
    for claim in claims.iter().filter(|c| c.unwritten.is_none()) {
        for token in &claim.tokens {
            let sent = table
                .update_at(fact_items::key(&claim.account, &claim.slot, token))
                .update_expression("SET #until = :zero")
                .condition_expression("#by = :tid AND attribute_not_exists(#kept)")
                .expression_attribute_names("#until", "until")
                .expression_attribute_names("#by", "by")
                .expression_attribute_names("#kept", "kept")
                .expression_attribute_values(":zero", n(0))
                .expression_attribute_values(":tid", s(&claim.trigger_id))
                .send()
                .await;
            if let Err(e) = sent {
                let e = table.err("UpdateItem", &claim.account, &e);
                tracing::warn!(account = %claim.account, slot = %claim.slot, error_code = %e.code, error = %e, "cannot give back a window claim whose alert was not kept; it runs out with its lease");
            }
        }
    }
}

/// What a claim whose write failed (refused past the SDK's retries, or its
/// answers lost) leaves this run to tell: the slot's item and its facts
/// read once, consistently, and each token sorted as a refusal's are
/// ([`window_told::refused`]): free, or this trigger's, is told by this run (its claim
/// made with the keep of its alert, [`kept`]); another run's is
/// left to it. Until 0.7.15 a run whose claim failed told every token, and
/// under a storm of refused writes each event's run told the versions an
/// earlier one had told and kept (simulation seeds 800355 and 780367).
/// `None`: a read failed too, and every token is told (better twice than
/// never).
pub async fn after_failed_write(
    table: &Table,
    (account, slot): (&str, &str),
    (tokens, seen): (&[String], Option<&str>),
    who: &Claimer<'_>,
) -> Option<Claimed> {
    let key = crate::adapters::store::keys::region_key(account, slot);
    let read = async {
        let mut item = table.item(key, account).await?;
        let at_ms = crate::domain::clock::epoch_millis(crate::domain::clock::now());
        let moved = window_told::row_moved(&item, seen, who.owner, at_ms);
        for (token, fact) in fact_items::of_slot(table, account, slot).await? {
            item.extend(fact_items::flattened(&token, &fact));
        }
        Ok::<_, AwsError>((item, moved, at_ms))
    };
    let (item, moved, at_ms) = match read.await {
        Ok(read) => read,
        Err(e) => {
            tracing::warn!(account, slot, error_code = %e.code, error = %e, "cannot read whose claims these versions are; telling them");
            return None;
        }
    };
    let switches = super::fact_cover::switches(tokens);
    let sorted = window_told::refused(
        &item,
        window_told::first_keys(tokens),
        (who, seen, &switches),
        (at_ms, moved),
    );
    let mut ours = sorted.again;
    ours.extend(sorted.ours);
    Some(Claimed {
        ours,
        pending: sorted.pending,
        theirs: sorted.theirs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::aws::dynamodb::s;
    use crate::domain::window_claim::Unwritten;

    fn claim(tokens: usize, unwritten: bool) -> WindowClaim {
        WindowClaim {
            account: "111122223333".into(),
            slot: "eu-west-1".into(),
            tokens: (1..=tokens).map(|v| v.to_string()).collect(),
            reach: Default::default(),
            trigger_id: "eb-1".into(),
            unwritten: unwritten.then(|| Unwritten {
                seen: "4".into(),
                actor: String::new(),
            }),
        }
    }

    /// A claim whose write failed is made with its keep only while it fits
    /// one write; one that was written is always marked kept.
    #[test]
    fn a_claim_made_with_its_keep_fits_one_write() {
        let cases = [
            (1, false, true),
            (TOKENS_PER_WRITE + 1, false, true),
            (1, true, true),
            (TOKENS_PER_WRITE, true, true),
            (TOKENS_PER_WRITE + 1, true, false),
        ];
        for (tokens, unwritten, want) in cases {
            assert_eq!(
                keepable(&claim(tokens, unwritten)),
                want,
                "{tokens} {unwritten}"
            );
        }
    }

    /// Each token is its own item: a claim made with its keep is claimed on
    /// the claim's terms and kept at once; a written one is only marked,
    /// while still this trigger's. Items expire.
    #[test]
    fn a_keep_writes_each_tokens_own_item() {
        let table = Table {
            client: aws_sdk_dynamodb::Client::from_conf(
                aws_sdk_dynamodb::Config::builder()
                    .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
                    .build(),
            ),
            name: "t".into(),
            region: "eu-west-1".into(),
        };
        let made = kept(&table, &claim(2, true), 77).unwrap();
        assert_eq!(made.len(), 2);
        assert!(made[0].update_expression().ends_with(", #kept = :tid"));
        assert_eq!(
            made[0].condition_expression(),
            Some(fact_items::CLAIMABLE_UNDATED)
        );
        let values = made[1].expression_attribute_values().unwrap();
        assert_eq!(values[":seen_s"], s("4"));
        assert_eq!(values[":token"], s("2"));
        assert_eq!(values[":ttl"], crate::adapters::aws::dynamodb::n(77));
        assert_ne!(
            made[0].key()["sk"],
            made[1].key()["sk"],
            "one item per token"
        );
        let marked = kept(&table, &claim(2, false), 77).unwrap();
        assert_eq!(marked[1].update_expression(), "SET #kept = :tid");
        assert_eq!(marked[1].condition_expression(), Some("#by = :tid"));
        assert_eq!(marked[1].key()["sk"], made[1].key()["sk"]);
    }
}

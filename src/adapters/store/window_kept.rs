//! The keep's side of a window claim: the write, in the transaction that
//! keeps a Run As window's alert in the outbox (`Receipts::keep`), that
//! marks the claim's tokens kept, or, for a claim whose own write failed
//! (refused past the SDK's retries, its answers lost), makes the claim and
//! keeps it at once (since 0.7.15). The claim itself and its terms are
//! `window_told`'s.

use crate::adapters::aws::dynamodb::{n, s, Table};
use crate::adapters::store::keys::account_pk;
use crate::adapters::store::window_told::{
    attribute, claimable, PARTS, TOKENS_PER_WRITE, WINDOW_CLAIM_LEASE,
};
use crate::domain::window_claim::{Unwritten, WindowClaim};

/// The claim of `tokens` tokens made and kept in one write (pure), on
/// `window_told::claim`'s terms for each token; the row's record and writer are not
/// asked: what the claim records (`seen`) says which record it was made
/// under.
pub(super) fn made_good_expressions(tokens: usize) -> (String, String) {
    let (mut sets, mut conds) = (Vec::new(), Vec::new());
    for i in 0..tokens {
        sets.push(format!(
            "#b{i} = :tid, #r{i} = :seen_s, #u{i} = :until, #a{i} = :actor, #k{i} = :tid"
        ));
        conds.push(claimable(i));
    }
    (format!("SET {}", sets.join(", ")), conds.join(" AND "))
}

/// Whether the keep of an alert can make `claim`: a claim whose write
/// failed is made with the keep only when it fits one write (a longer one
/// stays unmade, told anyway, as before 0.7.15).
pub fn keepable(claim: &WindowClaim) -> bool {
    claim.unwritten.is_none() || claim.tokens.len() <= TOKENS_PER_WRITE
}

/// The write that marks a claim's tokens kept, in the transaction that
/// keeps its alert (`Receipts::keep`): only while each is still this
/// trigger's. A claim whose write failed is made there ([`made_good`]).
pub fn kept(
    table: &Table,
    claim: &WindowClaim,
) -> Result<aws_sdk_dynamodb::types::Update, aws_sdk_dynamodb::error::BuildError> {
    let update = aws_sdk_dynamodb::types::Update::builder()
        .table_name(&table.name)
        .key("pk", s(account_pk(&claim.account)))
        .key("sk", s(format!("REGION#{}", claim.slot)))
        .expression_attribute_values(":tid", s(&claim.trigger_id));
    if let Some(unwritten) = &claim.unwritten {
        return made_good(update, claim, unwritten);
    }
    let mut update = update;
    let (mut sets, mut conds) = (Vec::new(), Vec::new());
    for (i, t) in claim.tokens.iter().enumerate() {
        sets.push(format!("#k{i} = :tid"));
        conds.push(format!("#b{i} = :tid"));
        update = update
            .expression_attribute_names(format!("#k{i}"), attribute(t, "kept"))
            .expression_attribute_names(format!("#b{i}"), attribute(t, "by"));
    }
    update
        .update_expression(format!("SET {}", sets.join(", ")))
        .condition_expression(conds.join(" AND "))
        .build()
}

/// A claim whose write failed, made with the keep of its alert: each
/// token claimed and kept at once, where no other run holds it. Until
/// 0.7.15 such a claim's keep was cancelled (no claim of this trigger's to
/// mark) and the alert kept without it, so the next run that read the same
/// versions claimed them and told them again (simulation seeds 800355 and 780367: a
/// version told by the runs of six events under a storm of refused
/// writes). Cancelled now (another run claimed one meanwhile), the keep
/// falls back to the plain one: told anyway, as before.
fn made_good(
    mut update: aws_sdk_dynamodb::types::builders::UpdateBuilder,
    claim: &WindowClaim,
    unwritten: &Unwritten,
) -> Result<aws_sdk_dynamodb::types::Update, aws_sdk_dynamodb::error::BuildError> {
    let at_ms = crate::domain::clock::epoch_millis(crate::domain::clock::now());
    for (i, t) in claim.tokens.iter().enumerate() {
        for (short, what) in PARTS {
            update = update.expression_attribute_names(format!("#{short}{i}"), attribute(t, what));
        }
    }
    let (update_expression, condition) = made_good_expressions(claim.tokens.len());
    update
        .update_expression(update_expression)
        .condition_expression(condition)
        .expression_attribute_values(":seen_s", s(&unwritten.seen))
        .expression_attribute_values(":actor", s(&unwritten.actor))
        .expression_attribute_values(":until", n(at_ms + WINDOW_CLAIM_LEASE.as_millis() as i64))
        .expression_attribute_values(":at", n(at_ms))
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_claim_made_with_its_keep_is_claimed_on_the_claims_terms() {
        let (update, condition) = made_good_expressions(1);
        assert_eq!(
            update,
            "SET #b0 = :tid, #r0 = :seen_s, #u0 = :until, #a0 = :actor, #k0 = :tid"
        );
        assert_eq!(condition, claimable(0), "a claim's terms, token by token");
    }

    /// A claim whose write failed is made with its keep only while it fits
    /// one write; one that was written is always marked kept.
    #[test]
    fn a_claim_made_with_its_keep_fits_one_write() {
        let claim = |tokens: usize, unwritten: bool| WindowClaim {
            account: "111122223333".into(),
            slot: "eu-west-1".into(),
            tokens: (1..=tokens).map(|v| v.to_string()).collect(),
            trigger_id: "eb-1".into(),
            unwritten: unwritten.then(|| Unwritten {
                seen: "4".into(),
                actor: String::new(),
            }),
        };
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
        let table = Table {
            client: aws_sdk_dynamodb::Client::from_conf(
                aws_sdk_dynamodb::Config::builder()
                    .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
                    .build(),
            ),
            name: "t".into(),
            region: "eu-west-1".into(),
        };
        let made = kept(&table, &claim(2, true)).unwrap();
        assert_eq!(
            made.update_expression(),
            "SET #b0 = :tid, #r0 = :seen_s, #u0 = :until, #a0 = :actor, #k0 = :tid, #b1 = :tid, #r1 = :seen_s, #u1 = :until, #a1 = :actor, #k1 = :tid"
        );
        let names = made.expression_attribute_names().unwrap();
        assert_eq!(names["#k1"], "told 2 kept");
        let values = made.expression_attribute_values().unwrap();
        assert_eq!(values[":seen_s"], s("4"));
        let marked = kept(&table, &claim(2, false)).unwrap();
        assert_eq!(marked.update_expression(), "SET #k0 = :tid, #k1 = :tid");
    }
}

//! A Run As window told once per version: each version a run tells (a
//! token, `domain::version_gap::claim_tokens`) is claimed in one
//! transaction, each token on its own item of the ledger of told facts
//! (`FACT#<slot>#<hash of the token>`, expiring with the history), beside a
//! condition on the slot's state item (its record and any live write). Until
//! 0.10.0 the claims were attributes of the state item, which grew with
//! every window the account-region ever had (about 120 bytes each) until
//! DynamoDB's 400 KB item limit stopped every write of it. Until 0.7.14 a
//! run claimed its whole set of versions as one value, and two runs that
//! read different sets both told the versions they shared (simulation seed
//! 780018).
//!
//! A token's item holds `by` (the trigger), `seen` (the default version the
//! row recorded when it was claimed: a document deleted and made again
//! numbers its versions from 1 again), `until` (the claim's lease,
//! [`WINDOW_CLAIM_LEASE`]), `actor` (the editor the claimer's trigger names,
//! or empty) and, once the transaction that keeps its alert in the outbox
//! ran, `kept`. The pure sorting below reads them as `told <t> <what>`
//! ([`attribute`]), one merged item for all tokens.

use std::collections::BTreeMap;

use aws_sdk_dynamodb::types::TransactWriteItem;

use crate::adapters::aws::dynamodb::{get_n, get_s, Item, Table};
use crate::adapters::aws::dynamodb::{Reason, Transacted};
use crate::adapters::store::{fact_cover, fact_items};
use crate::domain::aws_error::AwsError;
use crate::domain::version_gap;
use crate::domain::window_claim::Teller;

/// How long a claim stands without the keep of its alert: longer than any
/// run lasts (Lambda's limit is 15 minutes), so only a dead claimer's
/// claim runs out.
pub const WINDOW_CLAIM_LEASE: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// Tokens per claim's transaction, one action each beside the row's check:
/// a claim made with the keep of its alert must fit beside the alert's
/// copies and rows (`Receipts::keep`, 100 actions in all).
pub(super) const TOKENS_PER_WRITE: usize = 16;
// A chunk and the row's check fit one transaction (100 actions).
const _: () = assert!(TOKENS_PER_WRITE < 100);

/// Writes per chunk of tokens: each refusal leaves out what another run
/// claimed meanwhile, so this is only reached by a storm of racing runs.
const ROUNDS: usize = 4;

/// What a claim of a row's versions came to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Claimed {
    /// The tokens this run tells (its claim, or its own claim from an
    /// earlier attempt of the same trigger).
    pub ours: Vec<String>,
    /// Another run claimed some of them and has not kept its alert yet: it
    /// may be telling them now, or dead; this run's record does not pass
    /// them.
    pub pending: bool,
    /// The versions another run claimed, and who: an edit event's run whose
    /// own version another run tells names its editor in a follow-up.
    pub theirs: Vec<(String, Teller)>,
}

/// Who claims: the run's trigger, its lease owner, and the editor its
/// trigger names (`None`: a sweep, an operator, a stack).
#[derive(Debug, Clone, Copy)]
pub struct Claimer<'a> {
    pub trigger_id: &'a str,
    pub owner: &'a str,
    pub actor: Option<&'a str>,
    /// Epoch seconds the claim's items expire at (the history's retention).
    pub expires: i64,
    /// When AWS says each version was made, where the run read it
    /// (`version_gap::made_by_version`).
    pub made: &'a BTreeMap<String, String>,
    /// The history found the document made again since the record: a
    /// claim that does not say when its version was made is the former
    /// life's (`fact_items::FORMER_LIFE`).
    pub remade: bool,
}

impl Claimer<'_> {
    /// When the version `token` stands for was made, where known.
    pub fn made_of(&self, token: &str) -> Option<&str> {
        self.made
            .get(version_gap::token_version(token))
            .map(String::as_str)
    }
}

/// What a token's attributes on a refused claim's item say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TokenIs {
    /// Never claimed under this record, or a claim that ran out unkept.
    Free,
    /// This trigger's claim, not kept yet (an earlier attempt's).
    Mine,
    /// This trigger's claim, its alert kept: told, not written again.
    MineKept,
    /// Another run's claim, its alert kept (or made before its lease).
    Told,
    /// Another run's claim, not kept, inside its lease.
    Pending,
}

pub use fact_items::{attribute, ledger, UNREAD};

/// Claims `tokens` for this trigger on the slot's item, while the row
/// still records `seen` as its default version (`None`: records none, a
/// life's history) and no other run's write is live there (its intent
/// under an unexpired lease not `owner`'s: that run tells what it read
/// with what it replaced, since 0.7.4). A refusal carries the item
/// (`ReturnValuesOnConditionCheckFailure`): what another run claimed is
/// left out and the rest claimed again.
pub async fn claim(
    table: &Table,
    (account, slot): (&str, &str),
    (tokens, seen): (&[String], Option<&str>),
    who: &Claimer<'_>,
) -> Result<Claimed, AwsError> {
    let mut out = Claimed::default();
    let switches = fact_cover::switches(tokens);
    for chunk in first_keys(tokens).chunks(TOKENS_PER_WRITE) {
        let got = claim_chunk(table, (account, slot), (chunk, seen), (who, &switches)).await?;
        out.ours.extend(got.ours);
        out.pending |= got.pending;
        out.theirs.extend(got.theirs);
    }
    Ok(out)
}

/// The tokens whose items a claim of `tokens` is made on first, as the
/// claim and a run that tells without one write them (`fact_cover`).
pub fn first_keys(tokens: &[String]) -> Vec<String> {
    let first = |t: &String| fact_cover::first_key(t).to_string();
    tokens.iter().map(first).collect()
}

/// [`claim`] of at most [`TOKENS_PER_WRITE`] tokens.
async fn claim_chunk(
    table: &Table,
    (account, slot): (&str, &str),
    (chunk, seen): (&[String], Option<&str>),
    (who, switches): (&Claimer<'_>, &Switches),
) -> Result<Claimed, AwsError> {
    let at_ms = crate::domain::clock::epoch_millis(crate::domain::clock::now());
    let (mut want, mut out) = (chunk.to_vec(), Claimed::default());
    for _ in 0..ROUNDS {
        if want.is_empty() {
            return Ok(out);
        }
        let items =
            write(table, (account, slot), (&want, seen), who, at_ms).map_err(|e| AwsError {
                operation: "TransactWriteItems",
                account: account.to_string(),
                region: table.region.clone(),
                code: "BuildError".into(),
                message: e.to_string(),
            })?;
        let reasons = match table.transact(items, account, "window claim").await? {
            Transacted::Written => {
                out.ours.append(&mut want);
                return Ok(out);
            }
            Transacted::Refused(reasons) => reasons,
        };
        let (item, moved) = merged(&want, &reasons);
        let refusal = refused(&item, want, (who, seen, switches), (at_ms, moved));
        out.ours.extend(refusal.ours);
        out.pending |= refusal.pending;
        out.theirs.extend(refusal.theirs);
        want = refusal.again;
    }
    if !want.is_empty() {
        tracing::warn!(
            account,
            slot,
            tokens = want.len(),
            "claims kept racing; telling these versions anyway"
        );
        out.ours.append(&mut want);
    }
    Ok(out)
}

/// A refused claim's reasons as one item (pure): each refused token's item
/// flattened (`told <t> <what>`), and whether the row's own check failed
/// (it moved on). The row's check is the first action, the tokens follow.
fn merged(want: &[String], reasons: &[Reason]) -> (Item, bool) {
    let failed = |r: &Reason| r.code == "ConditionalCheckFailed";
    let moved = reasons.first().is_some_and(failed);
    let mut item = Item::new();
    for (token, r) in want.iter().zip(reasons.iter().skip(1)) {
        if let (true, Some(fact)) = (failed(r), &r.item) {
            item.extend(fact_items::flattened(token, fact));
        }
    }
    (item, moved)
}

/// What a refused claim's item says of the tokens it wanted (pure).
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Refusal {
    /// To claim again: free, or this trigger's not kept yet.
    pub(super) again: Vec<String>,
    /// This trigger's, not kept, where the row moved on: told, not
    /// claimed again.
    pub(super) ours: Vec<String>,
    /// Another run's claim of some runs unkept.
    pub(super) pending: bool,
    /// Claims told (this trigger's kept ones too) or pending, and whose.
    pub(super) theirs: Vec<(String, Teller)>,
}

/// The switches' windows a claim holds, by the version whose item each is
/// claimed on first (`fact_cover`).
pub(super) type Switches = BTreeMap<String, (String, i64)>;

pub(super) fn refused(
    item: &Item,
    want: Vec<String>,
    (who, seen, switches): (&Claimer<'_>, Option<&str>, &Switches),
    (at_ms, moved): (i64, bool),
) -> Refusal {
    let mut out = Refusal::default();
    for t in want {
        let teller = || Teller {
            trigger_id: get_s(item, &attribute(&t, "by")).unwrap_or_default(),
            actor: get_s(item, &attribute(&t, "actor")).filter(|a| !a.is_empty()),
        };
        let made = who.made_of(&t).map(|m| (m, who.remade));
        let is = token_is(item, &t, (who.trigger_id, seen, made), at_ms);
        // Its version told before the switch: the switch's window is its
        // own fact, claimed on its own item.
        let told = matches!(is, TokenIs::Told | TokenIs::MineKept);
        let before = |(_, end): &&(String, i64)| told && fact_cover::told_before(item, &t, *end);
        if let Some((own, _)) = switches.get(&t).filter(before) {
            match moved {
                true => out.pending = true,
                false => out.again.push(own.clone()),
            }
            continue;
        }
        match is {
            // The row moved on (another run recorded past these versions,
            // or writes now): theirs, but for what this trigger claimed.
            // Whether another run told them is not known: the record keeps
            // the version, and a switch kept to one stays (simulation seed
            // 900030, `aimed`: the run whose claim the row's move refused
            // let go of the switch kept to root's version, told by nobody).
            TokenIs::Mine if moved => out.ours.push(t),
            // Kept: its alert is in the outbox (kept in the transaction
            // that wrote the keep), published by whichever run flushes it.
            // Told again, a retry that now reads the version in the
            // history told it under another kind (`run_as_window` beside
            // its first attempt's `drift_reverted`): one fact, two
            // identities (simulation seed 900149).
            TokenIs::MineKept => out.theirs.push((t.clone(), teller())),
            _ if moved => out.pending = true,
            TokenIs::Free | TokenIs::Mine => out.again.push(t),
            TokenIs::Told => out.theirs.push((t.clone(), teller())),
            TokenIs::Pending => {
                out.pending = true;
                out.theirs.push((t.clone(), teller()));
            }
        }
    }
    out
}

/// The claim of `want` as one transaction: the row's check, then each
/// token's item claimed on [`fact_items::CLAIMABLE`]'s terms.
fn write(
    table: &Table,
    (account, slot): (&str, &str),
    (want, seen): (&[String], Option<&str>),
    who: &Claimer<'_>,
    at_ms: i64,
) -> Result<Vec<TransactWriteItem>, aws_sdk_dynamodb::error::BuildError> {
    let claiming = fact_items::Claiming {
        account,
        slot,
        trigger_id: who.trigger_id,
        seen: seen.unwrap_or(""),
        actor: who.actor.unwrap_or(""),
        until_ms: at_ms + WINDOW_CLAIM_LEASE.as_millis() as i64,
        at_ms,
        expires: who.expires,
        remade: who.remade,
    };
    let mut items = vec![fact_items::row_check(
        table,
        (account, slot),
        seen,
        (who.owner, at_ms),
    )?];
    for t in want {
        let update = fact_items::claim_update(table, &claiming, (t, who.made_of(t)), None)?;
        items.push(TransactWriteItem::builder().update(update).build());
    }
    Ok(items)
}

/// Whether the row moved on from what the claim was made against (pure):
/// it records another default version (or one where it recorded none),
/// or another run's write is live there.
pub(super) fn row_moved(item: &Item, seen: Option<&str>, owner: &str, at_ms: i64) -> bool {
    let recorded = get_s(item, "default_version");
    let writer = item.contains_key("intent")
        && get_n(item, "lease_until").is_some_and(|u| u >= at_ms)
        && get_s(item, "lease_owner").as_deref() != Some(owner);
    let unread = seen == Some(fact_items::UNREAD);
    (recorded.as_deref() != seen && !unread) || writer
}

/// Who asks [`token_is`]: the trigger, the record it read, and when its
/// version was made (where read) with whether its history found the
/// document made again since the record.
type Claimant<'a> = (&'a str, Option<&'a str>, Option<(&'a str, bool)>);

/// What `token`'s attributes on `item` say (pure). A claim of a version
/// made at another time than this run's (`made`; both known) is another
/// life's of the document: free; so is one that does not say when, where
/// this run's history found the document made again (`FORMER_LIFE`).
fn token_is(
    item: &Item,
    token: &str,
    (trigger_id, seen, made): Claimant<'_>,
    at_ms: i64,
) -> TokenIs {
    let Some(by) = get_s(item, &attribute(token, "by")) else {
        return TokenIs::Free;
    };
    let theirs_seen = get_s(item, &attribute(token, "seen"));
    let theirs = get_s(item, &attribute(token, "made"));
    let under = |s: Option<&str>| s == Some(fact_items::UNREAD);
    let (we_unread, they_unread) = (under(seen), under(theirs_seen.as_deref()));
    let dated_alike = matches!((made, theirs.as_deref()), (Some((m, _)), Some(t)) if m == t);
    // Under no record, a claim is this version's only where both say alike
    // when it was made (`fact_items::UNREAD`).
    let unsure = (we_unread || they_unread) && !dated_alike;
    let same_record = theirs_seen.as_deref() == Some(seen.unwrap_or(""));
    // A dated claim this run cannot date its own version against (its read
    // failed) may be this version's, or a former life's of the same number:
    // told only as far as a run that dates it says, under any record
    // (simulation seed 900097: a life's root told, the document made again,
    // its new v4 taken as told and the record moved past it; seed 61: a
    // drift alert's mark under no record taken for another version's, the
    // version told again as not judged).
    let undated = made.is_none() && theirs.is_some();
    // Dated alike, it is this version's under any record.
    if !we_unread && !undated && (unsure || (!they_unread && !same_record && !dated_alike)) {
        return TokenIs::Free;
    }
    let another_life = match (made, theirs.as_deref()) {
        (Some((m, _)), Some(t)) => m != t,
        (Some((_, remade)), None) => remade && !we_unread,
        (None, _) => false,
    };
    if another_life {
        return TokenIs::Free;
    }
    let kept = item.contains_key(&attribute(token, "kept"));
    let running = get_n(item, &attribute(token, "until")).is_none_or(|u| u >= at_ms);
    match (by == trigger_id, kept, running) {
        (true, true, _) => TokenIs::MineKept,
        (true, false, _) => TokenIs::Mine,
        // Perhaps another life's: left to a run that reads the record, or
        // dates the version.
        (false, true, _) if unsure || undated => TokenIs::Pending,
        (false, true, _) => TokenIs::Told,
        (false, false, true) => TokenIs::Pending,
        (false, false, false) => TokenIs::Free,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::aws::dynamodb::{n, s};

    static UNDATED: BTreeMap<String, String> = BTreeMap::new();

    /// This run's claimer, `t-me`, dating no version.
    fn claimer() -> Claimer<'static> {
        Claimer {
            trigger_id: "t-me",
            owner: "me",
            actor: None,
            expires: 0,
            made: &UNDATED,
            remade: false,
        }
    }

    fn item(pairs: &[(&str, &str)]) -> Item {
        pairs
            .iter()
            .map(|(k, v)| {
                let v = match k.ends_with(" until") || *k == "lease_until" {
                    true => n(v.parse::<i64>().unwrap()),
                    false => s(*v),
                };
                (k.to_string(), v)
            })
            .collect()
    }

    /// Each token of a refused claim, as its attributes say: another run's
    /// is pending only while unkept inside its lease; a claim of another
    /// record is free; this trigger's is told again, written again only
    /// while unkept.
    #[test]
    fn a_refused_claims_tokens_are_sorted_by_their_attributes() {
        let me = ("t-me", Some("4"), None);
        let at = 1_000;
        let claimed = |by: &str, seen: &str, until: &str| {
            vec![
                ("told 3 by", by.to_string()),
                ("told 3 seen", seen.to_string()),
                ("told 3 until", until.to_string()),
            ]
        };
        type Attrs<'a> = Vec<(&'a str, String)>;
        let cases: &[(Attrs, bool, TokenIs)] = &[
            (vec![], false, TokenIs::Free),
            (claimed("t-other", "4", "2000"), false, TokenIs::Pending),
            (claimed("t-other", "4", "2000"), true, TokenIs::Told),
            (claimed("t-other", "4", "999"), false, TokenIs::Free),
            (claimed("t-other", "4", "999"), true, TokenIs::Told),
            (claimed("t-other", "4", "1000"), false, TokenIs::Pending),
            // Another record's claim (a document made again): not this one's.
            (claimed("t-other", "2", "2000"), true, TokenIs::Free),
            (claimed("t-me", "4", "2000"), false, TokenIs::Mine),
            (claimed("t-me", "4", "999"), false, TokenIs::Mine),
            (claimed("t-me", "4", "2000"), true, TokenIs::MineKept),
        ];
        for (attrs, kept, want) in cases {
            let mut pairs: Vec<(&str, &str)> =
                attrs.iter().map(|(k, v)| (*k, v.as_str())).collect();
            if *kept {
                pairs.push(("told 3 kept", "t-x"));
            }
            let got = token_is(&item(&pairs), "3", me, at);
            assert_eq!(got, *want, "{pairs:?}");
        }
        // A claim with no lease stands (hostile: not written by this
        // version): another run's, unkept, is pending.
        let no_lease = item(&[("told 3 by", "t-other"), ("told 3 seen", "4")]);
        assert_eq!(token_is(&no_lease, "3", me, at), TokenIs::Pending);
        // No record: the claim was made where none was recorded.
        let none = item(&[
            ("told 3 by", "t-other"),
            ("told 3 seen", ""),
            ("told 3 kept", "x"),
        ]);
        assert_eq!(
            token_is(&none, "3", ("t-me", None, None), at),
            TokenIs::Told
        );
        assert_eq!(token_is(&none, "3", me, at), TokenIs::Free);
        // Under no record (either side), a claim is this version's only
        // where both say alike when it was made: otherwise a run that read
        // no record leaves it (pending: its record keeps the version) and
        // one that read a record claims it.
        const T: &str = "2026-11-28T10:00:00Z";
        let unread = ("t-me", Some(UNREAD), None);
        let unread_dated = ("t-me", Some(UNREAD), Some((T, false)));
        let me_dated = ("t-me", Some("4"), Some((T, false)));
        type Case<'a> = (&'a [(&'a str, &'a str)], Claimant<'a>, TokenIs);
        let cases: &[Case] = &[
            (
                &[("told 3 seen", "2"), ("told 3 kept", "x")],
                unread,
                TokenIs::Pending,
            ),
            (
                &[("told 3 seen", ""), ("told 3 kept", "x")],
                unread,
                TokenIs::Pending,
            ),
            (
                &[("told 3 seen", "?"), ("told 3 kept", "x")],
                unread,
                TokenIs::Pending,
            ),
            (
                &[("told 3 seen", "2"), ("told 3 until", "2000")],
                unread,
                TokenIs::Pending,
            ),
            (
                &[("told 3 seen", "2"), ("told 3 until", "999")],
                unread,
                TokenIs::Free,
            ),
            (
                &[
                    ("told 3 seen", "2"),
                    ("told 3 kept", "x"),
                    ("told 3 made", T),
                ],
                unread_dated,
                TokenIs::Told,
            ),
            (
                &[
                    ("told 3 seen", "?"),
                    ("told 3 kept", "x"),
                    ("told 3 made", T),
                ],
                unread_dated,
                TokenIs::Told,
            ),
            (
                &[
                    ("told 3 seen", "2"),
                    ("told 3 kept", "x"),
                    ("told 3 made", "2026-11-01T10:00:00Z"),
                ],
                unread_dated,
                TokenIs::Free,
            ),
            (
                &[("told 3 seen", "2"), ("told 3 kept", "x")],
                unread_dated,
                TokenIs::Pending,
            ),
            // A record read: a claim under none counts only dated alike.
            (
                &[("told 3 seen", "?"), ("told 3 kept", "x")],
                me,
                TokenIs::Free,
            ),
            (
                &[("told 3 seen", "?"), ("told 3 until", "2000")],
                me,
                TokenIs::Free,
            ),
            (
                &[("told 3 seen", "?"), ("told 3 kept", "x")],
                ("t-me", None, None),
                TokenIs::Free,
            ),
            (
                &[
                    ("told 3 seen", "?"),
                    ("told 3 kept", "x"),
                    ("told 3 made", T),
                ],
                me_dated,
                TokenIs::Told,
            ),
            (
                &[
                    ("told 3 seen", "?"),
                    ("told 3 until", "2000"),
                    ("told 3 made", T),
                ],
                me_dated,
                TokenIs::Pending,
            ),
            (
                &[("told 3 seen", "?"), ("told 3 kept", "x")],
                me_dated,
                TokenIs::Free,
            ),
            (
                &[
                    ("told 3 seen", "?"),
                    ("told 3 kept", "x"),
                    ("told 3 made", "2026-11-01T10:00:00Z"),
                ],
                me_dated,
                TokenIs::Free,
            ),
            // Hostile: a record that reads `??` is another record.
            (
                &[("told 3 seen", "??"), ("told 3 kept", "x")],
                me,
                TokenIs::Free,
            ),
            // Hostile: no record and no lease: another run's claim stands.
            (&[], unread, TokenIs::Pending),
        ];
        for (attrs, who, want) in cases {
            let mut pairs = vec![("told 3 by", "t-other")];
            pairs.extend_from_slice(attrs);
            assert_eq!(
                token_is(&item(&pairs), "3", *who, at),
                *want,
                "{pairs:?} {who:?}"
            );
        }
    }

    /// A claim of a version made at another time (the document deleted
    /// and made again, its numbers from 1 again) is free, told or not;
    /// where the claim does not say when it was made (an item from before
    /// 0.11.0), it stands as it says; where this run does not know (its
    /// read failed), a told claim is pending: the record keeps the version
    /// for a run that dates it.
    #[test]
    fn a_claim_of_a_version_made_at_another_time_is_another_lifes() {
        let told = |made: Option<&str>| {
            let mut pairs = vec![
                ("told 3 by", "t-other"),
                ("told 3 seen", "4"),
                ("told 3 until", "2000"),
                ("told 3 kept", "t-other"),
            ];
            pairs.extend(made.map(|m| ("told 3 made", m)));
            item(&pairs)
        };
        let (t1, t2) = ("2026-11-01T10:00:00Z", "2026-11-28T10:00:00Z");
        let cases = [
            (Some(t1), Some(t2), TokenIs::Free),
            (Some(t1), Some(t1), TokenIs::Told),
            (None, Some(t2), TokenIs::Told),
            // This run could not date its version: left to one that can.
            (Some(t1), None, TokenIs::Pending),
            (None, None, TokenIs::Told),
            // Hostile: an empty time is a time, and not this one.
            (Some(""), Some(t2), TokenIs::Free),
        ];
        for (theirs, ours, want) in cases {
            let got = token_is(
                &told(theirs),
                "3",
                ("t-me", Some("4"), ours.map(|m| (m, false))),
                1_000,
            );
            assert_eq!(got, want, "{theirs:?} against {ours:?}");
        }
        // A history that found the document made again: a claim that does
        // not say when its version was made is the former life's.
        let remade = [
            (None, Some(t2), TokenIs::Free),
            (Some(t2), Some(t2), TokenIs::Told),
            (Some(t1), Some(t2), TokenIs::Free),
            // This run does not know either: the claim stands.
            (None, None, TokenIs::Told),
        ];
        for (theirs, ours, want) in remade {
            let got = token_is(
                &told(theirs),
                "3",
                ("t-me", Some("4"), ours.map(|m| (m, true))),
                1_000,
            );
            assert_eq!(got, want, "remade: {theirs:?} against {ours:?}");
        }
        // An undated run against a dated claim under another record, or
        // under none (a drift alert's mark): pending, never free (seed 61).
        for theirs_seen in ["2", UNREAD, ""] {
            let dated = item(&[
                ("told 3 by", "t-other"),
                ("told 3 seen", theirs_seen),
                ("told 3 kept", "t-other"),
                ("told 3 made", t1),
            ]);
            let got = token_is(&dated, "3", ("t-me", Some("4"), None), 1_000);
            assert_eq!(got, TokenIs::Pending, "under {theirs_seen:?}");
            // Undated under another record too: the claim is another record's.
            let undated = item(&[
                ("told 3 by", "t-other"),
                ("told 3 seen", theirs_seen),
                ("told 3 kept", "t-other"),
            ]);
            let got = token_is(&undated, "3", ("t-me", Some("4"), None), 1_000);
            assert_eq!(got, TokenIs::Free, "undated under {theirs_seen:?}");
        }
        // Dated alike under another record: this version's, told (seed
        // 900340: a retry whose row had moved on told it again); dated
        // otherwise, another life's.
        for (theirs_seen, made, want) in [
            ("2", t1, TokenIs::Told),
            ("", t1, TokenIs::Told),
            ("2", t2, TokenIs::Free),
        ] {
            let dated = item(&[
                ("told 3 by", "t-other"),
                ("told 3 seen", theirs_seen),
                ("told 3 kept", "t-other"),
                ("told 3 made", t1),
            ]);
            let got = token_is(&dated, "3", ("t-me", Some("4"), Some((made, false))), 1_000);
            assert_eq!(got, want, "under {theirs_seen:?} made {made}");
        }
    }

    /// A refused claim's tokens: what is free or this trigger's unkept is
    /// claimed again, this trigger's kept is told as it is, another's is
    /// left (pending while it runs unkept); once the row moved on, only
    /// this trigger's own are told, and the rest are left to the run
    /// after (pending: the record keeps the version).
    #[test]
    fn a_refusal_leaves_out_what_another_run_claimed() {
        let own = |t: &[&str]| t.iter().map(|s| s.to_string()).collect::<Vec<String>>();
        let claim = |t: &str, by: &str, until: &str, kept: bool| {
            let mut out = vec![
                (attribute(t, "by"), by.to_string()),
                (attribute(t, "seen"), "4".to_string()),
                (attribute(t, "until"), until.to_string()),
            ];
            if kept {
                out.push((attribute(t, "kept"), by.to_string()));
            }
            out
        };
        let mut attrs = vec![("default_version".to_string(), "4".to_string())];
        attrs.extend(claim("2", "t-other", "2000", true));
        attrs.extend(claim("3", "t-other", "2000", false));
        attrs.extend(claim("5", "t-me", "2000", true));
        attrs.extend(claim("6", "t-me", "2000", false));
        attrs.extend(claim("7", "t-other", "999", false));
        let pairs: Vec<(&str, &str)> = attrs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let want = own(&["1", "2", "3", "5", "6", "7"]);
        let me = claimer();
        let other = Teller {
            trigger_id: "t-other".into(),
            actor: None,
        };
        let mine = Teller {
            trigger_id: "t-me".into(),
            actor: None,
        };
        let got = refused(
            &item(&pairs),
            want.clone(),
            (&me, Some("4"), &BTreeMap::new()),
            (1_000, false),
        );
        assert_eq!(
            got,
            Refusal {
                again: own(&["1", "6", "7"]),
                pending: true,
                theirs: vec![
                    ("2".into(), other.clone()),
                    ("3".into(), other.clone()),
                    ("5".into(), mine.clone())
                ],
                ..Refusal::default()
            },
            "this trigger's kept claim is told (its alert in the outbox), not told again"
        );
        let got = refused(
            &item(&pairs),
            want,
            (&me, Some("3"), &BTreeMap::new()),
            (1_000, true),
        );
        assert_eq!(
            got,
            Refusal {
                pending: true,
                ..Refusal::default()
            },
            "another record: every claim is of another history, left to the run after it"
        );
        let mut moved = pairs.clone();
        moved[0] = ("default_version", "8");
        let got = refused(
            &item(&moved),
            own(&["1", "2", "5", "6"]),
            (&me, Some("4"), &BTreeMap::new()),
            (1_000, true),
        );
        assert_eq!(
            got,
            Refusal {
                ours: own(&["6"]),
                pending: true,
                theirs: vec![("5".into(), mine)],
                ..Refusal::default()
            },
            "moved on (by this trigger's own record, say, its answer lost): its own claims unkept only, the kept told, the rest left to the run after it"
        );
    }

    /// A switch's window claimed on its version's item: told by a window
    /// that reached past the switch's second; a fact of its own, claimed
    /// on its own item, where its version was told before (or does not say
    /// how far); left pending where the row moved on; claimed again where
    /// its version's claim is free or pending as any.
    #[test]
    fn a_switchs_window_on_its_versions_item_is_told_or_its_own() {
        use crate::adapters::aws::dynamodb::n;
        let switch = "3 default from 1970-01-01T00:00:02Z".to_string();
        let switches: Switches = [("3".into(), (switch.clone(), 2_000))].into();
        let me = claimer();
        let claimed = |by: &str, kept: bool, through: Option<i64>| {
            let mut i: Item = [
                (attribute("3", "by"), s(by)),
                (attribute("3", "seen"), s("4")),
                (attribute("3", "until"), n(5_000)),
            ]
            .into();
            if kept {
                i.insert(attribute("3", "kept"), s(by));
            }
            if let Some(t) = through {
                i.insert(attribute("3", "opened"), n(0));
                i.insert(attribute("3", "through"), n(t));
            }
            i
        };
        let teller = |by: &str| Teller {
            trigger_id: by.into(),
            actor: None,
        };
        let cases = [
            (
                claimed("t-other", true, Some(3_000)),
                false,
                Refusal {
                    theirs: vec![("3".into(), teller("t-other"))],
                    ..Refusal::default()
                },
            ),
            (
                claimed("t-me", true, Some(3_000)),
                false,
                Refusal {
                    theirs: vec![("3".into(), teller("t-me"))],
                    ..Refusal::default()
                },
            ),
            (
                claimed("t-other", true, Some(2_999)),
                false,
                Refusal {
                    again: vec![switch.clone()],
                    ..Refusal::default()
                },
            ),
            (
                claimed("t-me", true, None),
                false,
                Refusal {
                    again: vec![switch.clone()],
                    ..Refusal::default()
                },
            ),
            (
                claimed("t-other", true, Some(1_000)),
                true,
                Refusal {
                    pending: true,
                    ..Refusal::default()
                },
            ),
            (
                claimed("t-other", false, None),
                false,
                Refusal {
                    pending: true,
                    theirs: vec![("3".into(), teller("t-other"))],
                    ..Refusal::default()
                },
            ),
            (
                Item::new(),
                false,
                Refusal {
                    again: vec!["3".into()],
                    ..Refusal::default()
                },
            ),
        ];
        for (item, moved, want) in cases {
            let got = refused(
                &item,
                vec!["3".into()],
                (&me, Some("4"), &switches),
                (1_000, moved),
            );
            assert_eq!(got, want, "{item:?} moved {moved}");
        }
    }

    /// A refusal's reasons, as DynamoDB gives them (the row's check first,
    /// then each token in order; an item only where its condition failed):
    /// the row moved on only when its own check failed, and a token whose
    /// action passed reads as free.
    #[test]
    fn a_refusals_reasons_read_as_one_item() {
        let reason = |code: &str, item: Option<Item>| Reason {
            code: code.into(),
            item,
        };
        let fact = |by: &str| -> Item {
            [
                ("by", s(by)),
                ("seen", s("4")),
                ("until", n(2_000)),
                ("token", s("x")),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect()
        };
        let want = vec!["2".to_string(), "3".to_string()];
        let reasons = [
            reason("None", None),
            reason("ConditionalCheckFailed", Some(fact("t-other"))),
            reason("None", None),
        ];
        let (item, moved) = merged(&want, &reasons);
        assert!(!moved);
        assert_eq!(get_s(&item, "told 2 by").as_deref(), Some("t-other"));
        assert_eq!(get_n(&item, "told 2 until"), Some(2_000));
        assert!(!item.contains_key("told 3 by"), "{item:?}");
        assert!(
            !item.keys().any(|k| k.contains("token")),
            "only the claim's parts"
        );
        let row_failed = [reason("ConditionalCheckFailed", None), reason("None", None)];
        assert!(merged(&want, &row_failed).1);
        // Hostile: fewer reasons than actions (not DynamoDB's shape) reads
        // what there is.
        assert_eq!(merged(&want, &[]), (Item::new(), false));
    }

    #[test]
    fn a_row_moves_on_with_its_record_or_a_live_writer() {
        let at = 1_000;
        type Pairs<'a> = &'a [(&'a str, &'a str)];
        let cases: &[(Pairs, Option<&str>, bool)] = &[
            (&[("default_version", "4")], Some("4"), false),
            (&[("default_version", "5")], Some("4"), true),
            (&[], Some("4"), true),
            (&[], None, false),
            (&[("default_version", "1")], None, true),
            // A run that read no record claims under any: only a live
            // writer moves it on.
            (&[("default_version", "1")], Some(UNREAD), false),
            (&[], Some(UNREAD), false),
            (
                &[
                    ("intent", "{}"),
                    ("lease_until", "2000"),
                    ("lease_owner", "other"),
                ],
                Some(UNREAD),
                true,
            ),
            (
                &[
                    ("default_version", "4"),
                    ("intent", "{}"),
                    ("lease_until", "2000"),
                    ("lease_owner", "other"),
                ],
                Some("4"),
                true,
            ),
            (
                &[
                    ("default_version", "4"),
                    ("intent", "{}"),
                    ("lease_until", "2000"),
                    ("lease_owner", "me"),
                ],
                Some("4"),
                false,
            ),
            (
                &[
                    ("default_version", "4"),
                    ("intent", "{}"),
                    ("lease_until", "999"),
                    ("lease_owner", "other"),
                ],
                Some("4"),
                false,
            ),
            (
                &[
                    ("default_version", "4"),
                    ("lease_until", "2000"),
                    ("lease_owner", "other"),
                ],
                Some("4"),
                false,
            ),
        ];
        for (pairs, seen, moved) in cases {
            assert_eq!(
                row_moved(&item(pairs), *seen, "me", at),
                *moved,
                "{pairs:?} {seen:?}"
            );
        }
    }
}

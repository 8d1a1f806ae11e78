//! A finding told once: what was reported is swapped for what is found now
//! in one conditional write, on the item the finding belongs to.

use crate::adapters::aws::dynamodb::{get_s, n, s, Table};
use crate::adapters::store::keys::account_pk;
use crate::domain::aws_error::AwsError;

/// How long a window claim stands without the keep of its alert: longer
/// than any run lasts (Lambda's limit is 15 minutes), so only a dead
/// claimer's claim runs out.
pub const WINDOW_CLAIM_LEASE: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// What a window claim came to ([`Reported::claim_window`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowClaimed {
    /// This run tells it.
    Ours,
    /// Another run told it (or keeps telling it), or the row moved on.
    Theirs,
    /// Another run claimed it and has not kept its alert yet: it may be
    /// telling it now, or dead; the window is not passed by this run.
    Pending,
}

/// Whether this run is the one to tell on-call about a finding (what the
/// check found in one account-region, which principals of an account carry
/// the Run As tag): what was reported before is swapped for `now` in one
/// conditional write, so of two runs that find the same, one decides; a
/// retry of the same trigger (a lost answer) finds its own report and
/// decides the same again.
pub struct Reported {
    pub(super) table: Table,
    pub account: String,
    /// The item's sort key (`REGION#<slot>`, `RUNAS_TAGS`).
    pub(super) sk: String,
    /// The attributes' prefix (`nodes`, `tags`, `window`): `<field>_reported`,
    /// `<field>_prev`, `<field>_by`.
    pub(super) field: &'static str,
    pub(super) trigger_id: String,
}

impl Reported {
    /// The run-as user check's finding in one account-region (`slot`).
    pub fn nodes(table: Table, account: &str, slot: &str, trigger_id: &str) -> Reported {
        Reported {
            table,
            account: account.to_string(),
            sk: format!("REGION#{slot}"),
            field: "nodes",
            trigger_id: trigger_id.to_string(),
        }
    }

    /// The Run As windows found in one account-region's version history
    /// (`slot`), told once by whichever run reads them first.
    pub fn window(table: Table, account: &str, slot: &str, trigger_id: &str) -> Reported {
        Reported {
            table,
            account: account.to_string(),
            sk: format!("REGION#{slot}"),
            field: "window",
            trigger_id: trigger_id.to_string(),
        }
    }

    fn key(&self) -> [(&'static str, aws_sdk_dynamodb::types::AttributeValue); 2] {
        [("pk", s(account_pk(&self.account))), ("sk", s(&self.sk))]
    }

    /// The write that reports `now` (keeping what was reported before, and
    /// by whom, and `also`: more `SET` clauses), its condition left to the
    /// caller.
    fn report(
        &self,
        now: &str,
        also: &str,
    ) -> aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder {
        let f = self.field;
        self.table
            .update_at(self.key())
            .update_expression(format!(
                "SET {f}_prev = if_not_exists({f}_reported, :none), {f}_reported = :now, {f}_by = :tid{also}"
            ))
            .expression_attribute_values(":none", s(""))
            .expression_attribute_values(":now", s(now))
            .expression_attribute_values(":tid", s(&self.trigger_id))
            .return_values_on_condition_check_failure(
                aws_sdk_dynamodb::types::ReturnValuesOnConditionCheckFailure::AllOld,
            )
    }

    /// What was reported before `now` when this run reported it; `None` when
    /// another run already reported exactly `now`.
    pub async fn swap(&self, now: &str) -> Result<Option<Option<String>>, AwsError> {
        let f = self.field;
        let sent = self
            .report(now, "")
            .condition_expression(format!(
                "attribute_not_exists({f}_reported) OR {f}_reported <> :now"
            ))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::UpdatedNew)
            .send()
            .await;
        let out = match self.table.updated_or_refused(&self.account, sent)? {
            Ok(out) => out,
            Err(item) => return Ok(self.ours_already(&item)),
        };
        let prev = out
            .attributes
            .as_ref()
            .and_then(|a| get_s(a, &format!("{f}_prev")));
        Ok(Some(prev.filter(|p| !p.is_empty())))
    }

    /// [`Reported::swap`] for a Run As window, made only while the slot's
    /// row still records `seen` as its default version: a run that recorded
    /// a newer one since this run read the rows looked at these versions
    /// itself (a put-back tells the version it replaced), so the window is
    /// theirs. `seen` `None`: the row recorded no version (a life's history,
    /// `domain::version_gap::from_life`), and the claim holds while it still
    /// records none.
    ///
    /// Nor while another run's write is live there (its intent under an
    /// unexpired lease not `owner`'s, since 0.7.4): that run read the same
    /// gap and tells it with what it replaced; a run reading beside it
    /// (a switch's run, between the writer's put-back and its record) told
    /// the same version a second time (simulation seed 72). A writer that
    /// dies leaves its intent to expire, and the next run reads the gap.
    ///
    /// A claim stands for [`WINDOW_CLAIM_LEASE`] until the transaction that
    /// keeps its alert marks it kept (`window_kept`, [`Self::kept`]); one
    /// never kept (its claimer died first) may be claimed again after
    /// that. Claims made before 0.7.13 carry no lease and stand.
    pub async fn claim_window(
        &self,
        now: &str,
        seen: Option<&str>,
        owner: &str,
    ) -> Result<WindowClaimed, AwsError> {
        let f = self.field;
        let unclaimed = format!(
            "(attribute_not_exists({f}_reported) OR {f}_reported <> :now OR ({f}_until < :at AND NOT {f}_kept = {f}_reported))"
        );
        let no_writer = "(attribute_not_exists(intent) OR lease_until < :at OR lease_owner = :me)";
        let at = crate::domain::clock::now();
        let until = format!(", {f}_until = :until");
        let sent = match seen {
            Some(seen) => self
                .report(now, &until)
                .condition_expression(format!(
                    "{unclaimed} AND default_version = :seen AND {no_writer}"
                ))
                .expression_attribute_values(":seen", s(seen)),
            None => self.report(now, &until).condition_expression(format!(
                "{unclaimed} AND attribute_not_exists(default_version) AND {no_writer}"
            )),
        }
        .expression_attribute_values(":at", n(crate::domain::clock::epoch_millis(at)))
        .expression_attribute_values(
            ":until",
            n(crate::domain::clock::epoch_millis(at + WINDOW_CLAIM_LEASE)),
        )
        .expression_attribute_values(":me", s(owner))
        .send()
        .await;
        match self.table.updated_or_refused(&self.account, sent)? {
            Ok(_) => Ok(WindowClaimed::Ours),
            Err(item) => Ok(refused_claim(
                &item,
                &self.trigger_id,
                now,
                crate::domain::clock::epoch_millis(at),
            )),
        }
    }

    /// The refused write's item says `now` was reported by this trigger (a
    /// retry after a lost answer: what was reported before it), or by
    /// another run (`None`). The refusal carries the item
    /// ([`Table::updated_or_refused`]): a second read that failed after a
    /// refusal once told a window twice (simulation seed 650037).
    fn ours_already(&self, item: &crate::adapters::aws::dynamodb::Item) -> Option<Option<String>> {
        let f = self.field;
        if get_s(item, &format!("{f}_by")).as_deref() != Some(self.trigger_id.as_str()) {
            return None;
        }
        Some(get_s(item, &format!("{f}_prev")).filter(|p| !p.is_empty()))
    }
}

/// The write that marks a window claim kept, in the transaction that keeps
/// its alert (`Receipts::keep`): only while the claim is still this
/// trigger's, for the same windows.
pub fn kept(
    table: &Table,
    claim: &crate::domain::window_claim::WindowClaim,
) -> Result<aws_sdk_dynamodb::types::Update, aws_sdk_dynamodb::error::BuildError> {
    aws_sdk_dynamodb::types::Update::builder()
        .table_name(&table.name)
        .key("pk", s(account_pk(&claim.account)))
        .key("sk", s(format!("REGION#{}", claim.slot)))
        .update_expression("SET window_kept = :v")
        .condition_expression("window_by = :tid AND window_reported = :v")
        .expression_attribute_values(":v", s(&claim.value))
        .expression_attribute_values(":tid", s(&claim.trigger_id))
        .build()
}

/// Whose a refused window claim is, from the item the refusal carries
/// (pure): this trigger's (a retry after a lost answer), another run's not
/// kept yet and inside its lease (pending), or told (kept, or made before
/// 0.7.13 without a lease, or the row moved on).
fn refused_claim(
    item: &crate::adapters::aws::dynamodb::Item,
    trigger_id: &str,
    now: &str,
    at_ms: i64,
) -> WindowClaimed {
    if get_s(item, "window_by").as_deref() == Some(trigger_id) {
        return WindowClaimed::Ours;
    }
    let same = get_s(item, "window_reported").as_deref() == Some(now);
    let kept = get_s(item, "window_kept").as_deref() == Some(now);
    let running = crate::adapters::aws::dynamodb::get_n(item, "window_until")
        .is_some_and(|until| until >= at_ms);
    if same && running && !kept {
        WindowClaimed::Pending
    } else {
        WindowClaimed::Theirs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A refused claim is pending only while another trigger's claim of the
    /// same windows is unkept and inside its lease.
    #[test]
    fn a_refused_claim_is_pending_only_while_anothers_unkept_claim_runs() {
        let item = |pairs: &[(&str, &str)]| -> crate::adapters::aws::dynamodb::Item {
            pairs
                .iter()
                .map(|(k, v)| {
                    let v = match *k {
                        "window_until" => n(v.parse::<i64>().unwrap()),
                        _ => s(*v),
                    };
                    (k.to_string(), v)
                })
                .collect()
        };
        let at = 1_000;
        type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, WindowClaimed);
        let cases: [Case; 7] = [
            (
                "another's, unkept, running",
                vec![
                    ("window_by", "eb-2"),
                    ("window_reported", "3"),
                    ("window_until", "1000"),
                ],
                WindowClaimed::Pending,
            ),
            (
                "ours (a lost answer's retry)",
                vec![
                    ("window_by", "eb-1"),
                    ("window_reported", "3"),
                    ("window_until", "5000"),
                ],
                WindowClaimed::Ours,
            ),
            (
                "another's, kept",
                vec![
                    ("window_by", "eb-2"),
                    ("window_reported", "3"),
                    ("window_until", "5000"),
                    ("window_kept", "3"),
                ],
                WindowClaimed::Theirs,
            ),
            (
                "another's, run out",
                vec![
                    ("window_by", "eb-2"),
                    ("window_reported", "3"),
                    ("window_until", "999"),
                ],
                WindowClaimed::Theirs,
            ),
            (
                "made before leases (none)",
                vec![("window_by", "eb-2"), ("window_reported", "3")],
                WindowClaimed::Theirs,
            ),
            (
                "other windows kept earlier",
                vec![
                    ("window_by", "eb-2"),
                    ("window_reported", "2"),
                    ("window_until", "5000"),
                    ("window_kept", "3"),
                ],
                WindowClaimed::Theirs,
            ),
            (
                "no claim (the row moved on)",
                vec![("default_version", "4")],
                WindowClaimed::Theirs,
            ),
        ];
        for (why, pairs, want) in cases {
            assert_eq!(refused_claim(&item(&pairs), "eb-1", "3", at), want, "{why}");
        }
    }
}

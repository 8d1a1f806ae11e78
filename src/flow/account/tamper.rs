//! A sweep's read-back of the guard's findings (`domain::security_hub`'s
//! tamper detection): where the account's rows have findings in, each
//! region's are read in the account's own session (the regions at once),
//! judged against what was sent, and those changed by someone else or gone
//! are made due again, so this run sends them as the guard last sent them
//! (past a forged `UpdatedAt`, under the successor `Id` the slot's mark
//! moves to).
//! The guard's event findings (`edit`, `window`, the security alerts') are
//! read in the same call and judged against what the guard always sends
//! for their kind (`security_hub::judge_event`): one changed by someone
//! else is put back (or, past a forged `UpdatedAt`, sent under a successor
//! `Id`) and told. A read that fails is logged and tried again by the next
//! sweep.

use std::collections::{BTreeMap, BTreeSet};

use tokio::task::JoinSet;

use super::Ctx;
use crate::adapters::aws::security_hub::FindingsHub;
use crate::adapters::aws::sts::MemberSession;
use crate::domain::clock;
use crate::domain::outcome::AccountReport;
use crate::domain::security_hub::{self, EventVerdict, Expected, Held, Marks, Place, Send};
use crate::domain::security_hub::{Tampered, Verdict};

/// What the read-back came to: the marks the run's decision uses instead
/// of the rows' (findings made due again), by slot; the findings someone
/// else changed; and the event findings to send again as the guard sends
/// them.
#[derive(Default)]
pub(super) struct ReadBack {
    pub retold: BTreeMap<String, Marks>,
    pub tampered: Vec<Tampered>,
    pub restores: Vec<Send>,
}

pub(super) async fn read_back(
    ctx: &Ctx<'_>,
    session: &MemberSession,
    report: &AccountReport,
    marks: &(dyn Fn(&str) -> Marks + Sync),
    runbook: &str,
) -> ReadBack {
    let mut by_region: BTreeMap<String, Vec<Expected>> = BTreeMap::new();
    for o in &report.regions {
        let slot = o.slot();
        for e in security_hub::expected(&report.account, &slot, o.document_name(), &marks(&slot)) {
            by_region.entry(e.region.clone()).or_default().push(e);
        }
    }
    let mut out = ReadBack::default();
    for (region, expected, held) in read(ctx, session, by_region).await {
        let place = Place {
            partition: ctx.sts.partition(),
            account: &report.account,
            ou_path: None,
            runbook,
        };
        events(place, &region, &held, &mut out);
        let now = clock::epoch_millis(clock::now());
        for e in expected {
            let verdict = security_hub::judge(&e, &held, now);
            match &verdict {
                Verdict::Kept => continue,
                Verdict::Tampered(t) => {
                    tracing::warn!(outcome = "finding_tampered", account = %report.account, region = %t.region, finding = %t.id, updated_at = %t.updated_at, changed = ?t.changed, not_in_place = ?t.not_in_place, successor = ?t.successor, "a finding of runas-guard was changed by someone else: sent again as sent");
                    out.tampered.push(t.clone());
                }
                Verdict::Superseded => {
                    tracing::info!(account = %report.account, region = %e.region, finding = %e.id, "a forged finding of runas-guard already replaced by its successor: the successor is read back from now on");
                }
                Verdict::Missing => {
                    tracing::info!(account = %report.account, region = %e.region, finding = %e.id, "a finding of runas-guard is gone from Security Hub CSPM: sent again");
                }
            }
            let retold = out
                .retold
                .entry(e.slot.clone())
                .or_insert_with(|| marks(&e.slot));
            security_hub::resend(retold, &e, &verdict, now);
        }
    }
    out
}

/// The region's event findings judged: those someone else changed told,
/// and what puts them back (or their successor) to send.
fn events(place: Place<'_>, region: &str, held: &[Held], out: &mut ReadBack) {
    let account = place.account;
    let ids: BTreeSet<&str> = held.iter().map(|h| h.id.as_str()).collect();
    let now = clock::epoch_millis(clock::now());
    for h in held {
        match security_hub::judge_event(place, region, h, &ids, now) {
            EventVerdict::Tampered { told, restore } => {
                tracing::warn!(outcome = "finding_tampered", account, region, finding = %told.id, updated_at = %told.updated_at, changed = ?told.changed, not_in_place = ?told.not_in_place, successor = ?told.successor, "a security event finding of runas-guard was changed by someone else: sent again as runas-guard sends it");
                out.tampered.push(*told);
                out.restores.extend(restore.map(|f| Send {
                    slot: region.to_string(),
                    finding: *f,
                    sent: None,
                }));
            }
            EventVerdict::Superseded => {
                tracing::debug!(account, region, finding = %h.id, "a forged finding already replaced by its successor");
            }
            EventVerdict::Kept | EventVerdict::NotOurs => {}
        }
    }
}

type Region = (String, Vec<Expected>, Vec<Held>);

/// Each region's findings as Security Hub holds them, beside what was
/// expected there; a region whose read failed is left out (logged).
async fn read(
    ctx: &Ctx<'_>,
    session: &MemberSession,
    by_region: BTreeMap<String, Vec<Expected>>,
) -> Vec<Region> {
    let mut calls = JoinSet::new();
    for (region, expected) in by_region {
        let hub = FindingsHub::new(session.security_hub(&region), &session.account, &region);
        let slots = ctx.region_slots.clone();
        let partition = ctx.sts.partition();
        calls.spawn(async move {
            let _slot = slots.acquire_owned().await.expect("semaphore never closes");
            let held = hub.held(partition).await;
            (region, expected, held)
        });
    }
    let mut out = vec![];
    while let Some(joined) = calls.join_next().await {
        match joined {
            Ok((region, expected, Ok(held))) => out.push((region, expected, held)),
            Ok((_, _, Err(e))) => {
                tracing::warn!(account = %e.account, region = %e.region, error_code = %e.code, error = %e, "runas-guard's findings could not be read back: compared next sweep");
            }
            Err(e) => tracing::error!(error = %e, "Security Hub read-back task died"),
        }
    }
    out
}

//! An edit event's own versions that its run did not read: made (or made
//! the default) below the table's record, or judged since by another run,
//! they lie outside every gap. When another run told one as a window in no
//! editor's name or another's (our own write's event reading a document
//! made again, a sweep, another editor's event whose alert said "last edit
//! by" them), only this event knows its editor. Its run reads the ledger
//! of told facts and names the editor in a follow-up, once: the naming is
//! claimed as any follow-up's is (simulation seeds 950014 and 900033, the
//! `aws` profile: the editor's events, late, found the record past their
//! versions and named nobody).

use super::history_start::{Seen, Start};
use super::Ctx;
use crate::adapters::aws::sts::MemberSession;
use crate::adapters::store::window_told::{self, Claimer};
use crate::domain::job::Job;
use crate::domain::known::Snapshot;
use crate::domain::outcome::RegionOutcome;
use crate::domain::preferences::Preferences;
use crate::domain::version_gap::{self, History, Window};
use crate::domain::window_claim::{Claim, Unwritten, WindowClaim};

/// What a row's look needs: the versions the run read there, and the
/// default version the row recorded (what a naming's claim holds to).
pub(super) struct Read {
    pub(super) index: usize,
    pub(super) versions: Vec<u64>,
    pub(super) seen: Option<String>,
}

/// The row's [`Read`], where its run may have own versions to name: an
/// edit event's, with a record to claim against.
pub(super) fn read_of(
    job: &Job,
    (account, index, o): (&str, usize, &RegionOutcome),
    start: Option<&Start>,
    (known, items): (Option<&Snapshot>, &Snapshot),
) -> Option<Read> {
    let slot = o.slot();
    let row = known
        .and_then(|k| k.get(account, &slot))
        .or(items.get(account, &slot));
    let t = &job.trigger;
    if !t.names_editor() || t.actor.is_none() || o.nodes.is_some() {
        return None;
    }
    let number = |s: &String| s.parse::<u64>().ok();
    let now = o.versions_before.as_ref()?;
    let mut versions: Vec<u64> = [&now.default, &now.latest]
        .into_iter()
        .filter_map(number)
        .collect();
    let seen = match start {
        Some(s) => {
            versions.extend(&s.gap.to_read);
            match &s.seen {
                Seen::Version(v) => Some(v.clone()),
                Seen::NoVersion => None,
                Seen::Unread | Seen::FormerLife => return None,
            }
        }
        None => Some(row?.default_version.clone()?),
    };
    Some(Read {
        index,
        versions,
        seen,
    })
}

/// `regions` with each own version another run told in another name
/// named in a follow-up. A read that fails names nobody yet: the row says
/// so (`naming_unread`) and the run fails, so that the event's retry names
/// its editor (simulation seed 18: the `CreateDocument` of a document
/// made again, its ledger Query timing out, ended `done` and its editor
/// was never named).
pub(super) async fn named_late(
    ctx: &Ctx<'_>,
    job: &Job,
    session: &MemberSession,
    (account, user): (&str, &str),
    mut regions: Vec<RegionOutcome>,
    reads: Vec<Read>,
) -> Vec<RegionOutcome> {
    for read in reads {
        let o = &mut regions[read.index];
        let told = o
            .history
            .as_ref()
            .is_some_and(|h| h.is_news() || h.unread > 0);
        if told || o.window.made.is_some() {
            continue;
        }
        match look(ctx, job, session, (account, o.user(user)), o, &read).await {
            Ok(Some((history, claim))) => {
                o.history = Some(history);
                o.window = claim;
            }
            Ok(None) => {}
            Err(code) => o.naming_unread = Some(code),
        }
    }
    regions
}

async fn look(
    ctx: &Ctx<'_>,
    job: &Job,
    session: &MemberSession,
    (account, user): (&str, &str),
    o: &RegionOutcome,
    read: &Read,
) -> Result<Option<(History, Claim)>, String> {
    let Some(actor) = job.trigger.actor.as_ref().map(|a| a.arn.as_str()) else {
        return Ok(None);
    };
    let own: Vec<u64> = own_versions(&job.trigger, o)
        .into_iter()
        .filter(|v| !read.versions.contains(v))
        .collect();
    if own.is_empty() {
        return Ok(None);
    }
    let table = ctx.state.table();
    let ledger = window_told::ledger(table, account, &o.slot())
        .await
        .map_err(|e| {
            tracing::warn!(account, region = %o.region, error_code = %e.code, error = %e, "cannot read who told this event's versions; failing, so the retry names its editor");
            e.code
        })?;
    let docs = session.documents(&o.region, o.document_name());
    let named_by = version_gap::to_name(&own, &ledger, actor);
    let (windows, first) = windows_of(&docs, (account, user), o, named_by).await?;
    let Some(first) = first else {
        return Ok(None);
    };
    let follow = History {
        windows,
        follow_up_of: Some(first),
        ..History::default()
    };
    let made = version_gap::made_by_version(&follow);
    let who = Claimer {
        trigger_id: &job.trigger.event_id,
        owner: &job.owner,
        actor: Some(actor),
        expires: crate::domain::clock::epoch_secs(
            crate::domain::clock::now() + ctx.state.retention(),
        ),
        made: &made,
        remade: false,
    };
    let seen = read.seen.as_deref();
    let (told, tokens, written) = named(ctx, (account, o), (seen, &who), follow).await;
    let Some(told) = told else {
        return Ok(None);
    };
    let claim = claim_of((job, account, o), tokens, (written, seen, actor));
    Ok(Some((told, claim)))
}

/// The claim a follow-up's tokens are kept with (written with the keep of
/// its alert where their write failed).
fn claim_of(
    (job, account, o): (&Job, &str, &RegionOutcome),
    tokens: Vec<String>,
    (written, seen, actor): (bool, Option<&str>, &str),
) -> Claim {
    let made = WindowClaim {
        account: account.to_string(),
        slot: o.slot(),
        tokens,
        reach: Default::default(),
        trigger_id: job.trigger.event_id.clone(),
        unwritten: (!written).then(|| Unwritten {
            seen: seen.unwrap_or_default().to_string(),
            actor: actor.to_string(),
        }),
    };
    Claim {
        made: Some(made),
        ..Claim::default()
    }
}

/// The out-of-policy windows of the versions `to_name` says were told in
/// another name, as this run reads them, and the first one's teller.
async fn windows_of(
    docs: &crate::adapters::aws::ssm::DocumentStore,
    (account, user): (&str, &str),
    o: &RegionOutcome,
    to_name: Vec<(u64, &version_gap::Ledgered)>,
) -> Result<(Vec<Window>, Option<crate::domain::window_claim::Teller>), String> {
    let found = crate::domain::clock::iso(crate::domain::clock::now());
    let (mut windows, mut first) = (Vec::new(), None);
    for (version, told) in to_name {
        let (content, created) = match docs.past(&version.to_string()).await {
            Ok(Some(read)) => read,
            Ok(None) => continue,
            Err(e) => {
                tracing::warn!(account, region = %o.region, version, error_code = %e.code, error = %e, "cannot read this event's version; failing, so the retry names its editor");
                return Err(e.code);
            }
        };
        // Another life's version of the same number: not this event's.
        if told
            .made
            .as_ref()
            .zip(created.as_ref())
            .is_some_and(|(a, b)| a != b)
        {
            continue;
        }
        let Some(run_as) = Preferences::parse(&content).ok().map(|p| p.run_as()) else {
            continue;
        };
        if run_as.is_compliant(user) {
            continue;
        }
        first.get_or_insert_with(|| told.teller.clone());
        windows.push(Window {
            version: version.to_string(),
            run_as,
            from: created.clone(),
            created,
            until_known: None,
            until_at_most: Some(found.clone()),
        });
    }
    Ok((windows, first))
}

/// A follow-up naming this run's editor, when no run of another of its
/// events named it already (each version's naming claimed as a window's
/// is): the follow-up, its claims and whether they were written, or
/// nothing.
pub(super) async fn named(
    ctx: &Ctx<'_>,
    (account, o): (&str, &RegionOutcome),
    (seen, who): (Option<&str>, &Claimer<'_>),
    follow: History,
) -> (Option<History>, Vec<String>, bool) {
    let Some(actor) = who.actor else {
        return (None, vec![], true);
    };
    let tokens = version_gap::naming_tokens(&follow, actor);
    match window_told::claim(
        ctx.state.table(),
        (account, &o.slot()),
        (&tokens, seen),
        who,
    )
    .await
    {
        Ok(c) if c.ours.is_empty() => (None, vec![], true),
        Ok(c) => (Some(follow), c.ours, true),
        Err(e) => {
            tracing::warn!(account, region = %o.region, error_code = %e.code, error = %e, "cannot tell whether this editor was named; naming it, its claim made with the keep of its alert");
            (Some(follow), tokens, false)
        }
    }
}

/// The versions this run's own event made, or made the default, in `o`'s
/// document.
pub(super) fn own_versions(
    trigger: &crate::domain::trigger::Trigger,
    o: &RegionOutcome,
) -> Vec<u64> {
    let made = version_gap::made_by(trigger, &o.region, o.document_name());
    let switched = version_gap::switch_of(trigger, &o.region, o.document_name());
    made.into_iter().chain(switched).map(|(v, _)| v).collect()
}

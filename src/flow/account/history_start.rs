//! Where each row's history starts (`domain::alert::history_from`): the
//! table's record of the slot (its default version, or, recorded in this
//! life without one, the account's join: `domain::version_gap::from_life`),
//! or back to the bound where no record could be read; and what no past
//! version is blamed for.

use std::collections::HashSet;

use super::accepted::Accepted;
use super::life_start::{former_life, kept_life, life_history};
use super::{adopted, change};
use crate::domain::alert::{history_from, HistoryFrom, Read};
use crate::domain::intent::UnderIntent;
use crate::domain::job::Job;
use crate::domain::known::{Known, Snapshot};
use crate::domain::outcome::RegionOutcome;
use crate::domain::ports::Versions;
use crate::domain::version_gap::{self, Gap};

/// Where one row's history starts ([`history_from`]).
pub(super) struct Start {
    pub(super) gap: Gap,
    /// What no past version is blamed for.
    pub(super) accepted: Accepted,
    /// What its window is claimed against.
    pub(super) seen: Seen,
    pub(super) from: HistoryFrom,
    /// A life's history: only the versions made since then are judged
    /// ([`version_gap::of_life`]).
    pub(super) since: Option<i64>,
    /// The default a dead run's write replaced, told by the adoption of
    /// its intent this run's record makes: no window of this run's
    /// ([`crate::domain::intent::under_intent`]).
    pub(super) adopted: Option<crate::domain::version_gap::Replaced>,
    /// The recorded version to read first, and when the record was written:
    /// made since, it is another life's number ([`checked_life`]).
    pub(super) life: Option<(u64, i64)>,
}

/// What a window is claimed against on the slot's item.
pub(super) enum Seen {
    /// The default version the row recorded.
    Version(String),
    /// The row recorded none (a life's history).
    NoVersion,
    /// No record was read: claimed under any (`fact_items::UNREAD`).
    Unread,
    /// Only a former life's record (its item still stands): claimed under
    /// any, as [`Seen::Unread`]; a record that would keep the version keeps
    /// none, never the former life's ([`crate::domain::window_claim::Claim::keeps_none`]).
    FormerLife,
}

/// One row's [`Start`]; `None` when there is nothing to read. `records`:
/// the account's rows (when read), the slots' items read alone and the
/// slots whose item read failed; `rows_failed`: the rows were wanted and
/// their Query failed; `life`: when the account's present life began.
pub(super) fn start_of(
    job: &Job,
    o: &RegionOutcome,
    (account, user): (&str, &str),
    (known, items, unread): (Option<&Snapshot>, &Snapshot, &HashSet<String>),
    (rows_failed, life): (bool, Option<i64>),
) -> Option<Start> {
    let slot = o.slot();
    let in_rows = known.and_then(|k| k.get(account, &slot));
    let item = items.get(account, &slot);
    let from = from_reads(
        in_rows.is_some(),
        item.is_some(),
        rows_failed,
        unread.contains(&slot),
    );
    let start = |gap, accepted, seen, since| {
        Some(Start {
            gap,
            accepted,
            seen,
            from,
            since,
            adopted: None,
            life: None,
        })
    };
    match (from, in_rows.or(item)) {
        // Recorded without a version in this life: the versions made since
        // the life began, claimed while the row still records none.
        (HistoryFrom::Record, Some(row)) if life_history(o, row) => {
            let gap = version_gap::from_life(o.versions_before.as_ref()?)?;
            let since = life.or(row.last_checked_ms);
            start(gap, Accepted::of(o.user(user), row), Seen::NoVersion, since)
        }
        (HistoryFrom::Record, Some(row)) => {
            let (gap, adopted, check) = recorded_gap(job, o, row, o.user(user))?;
            let seen = Seen::Version(row.default_version.clone()?);
            let accepted = Accepted::of(o.user(user), row).of_life(&gap);
            let s = start(gap, accepted, seen, kept_life(o, row, life))?;
            Some(with_adopted(s, adopted, check))
        }
        // Recorded only in a former life: claimed under any record (the
        // former life's item still stands).
        (HistoryFrom::Nothing, None) if former_life(o, known, (account, life)) => {
            let gap = version_gap::from_life(o.versions_before.as_ref()?)?;
            start(gap, Accepted::policy(o.user(user)), Seen::FormerLife, life)
        }
        // No record to start from: back to the bound, judged by the policy
        // alone, told without a claim (none to make it on).
        (HistoryFrom::Bound, _) => {
            let gap = unrecorded_gap(o)?;
            start(gap, Accepted::policy(o.user(user)), Seen::Unread, None)
        }
        _ => None,
    }
}

/// `s` with the default a dead run's write replaced and the recorded
/// version whose life to check (not where the gap already found the
/// document made again).
fn with_adopted(
    mut s: Start,
    adopted: Option<crate::domain::version_gap::Replaced>,
    check: Option<(u64, i64)>,
) -> Start {
    s.adopted = adopted;
    s.life = check.filter(|_| s.gap.recreated.is_none());
    s
}

type RecordedGap = (
    Gap,
    Option<crate::domain::version_gap::Replaced>,
    Option<(u64, i64)>,
);

/// A recorded row's gap, the default a dead run's write replaced (adopted
/// by this run's record), and the recorded version whose life to check;
/// `None` under a live writer's intent, or with nothing to read or check.
fn recorded_gap(job: &Job, o: &RegionOutcome, row: &Known, user: &str) -> Option<RecordedGap> {
    let adopted = match others_intent(job, row).then(|| under_intent(o, row)) {
        Some(UnderIntent::Writing) => return None,
        Some(UnderIntent::Dead { adopted }) => adopted,
        None => None,
    };
    let check = life_check(o, row);
    let gap = gap_of(job, o, Some(row), user);
    if let Some(recorded) = remade_as_read(o, row) {
        let empty = || nothing_between(o, Some((recorded, 0)));
        let gap = version_gap::remade(gap.or_else(empty)?, recorded, o.versions_before.as_ref()?);
        return Some((gap, adopted, None));
    }
    let gap = match gap {
        Some(gap) => gap,
        None => nothing_between(o, check)?,
    };
    Some((gap, adopted, check))
}

/// The recorded version, where this run's own read of it says it was made
/// since the record ([`version_gap::life::remade_as_read`]).
fn remade_as_read(o: &RegionOutcome, row: &Known) -> Option<u64> {
    let now = o.versions_before.as_ref().filter(|_| o.nodes.is_none())?;
    let read = if o.pending { &now.latest } else { &now.default };
    let recorded = version_gap::judged_up_to(
        row.default_version.as_deref(),
        row.latest_version.as_deref(),
    );
    let made = o.made_before.as_deref();
    version_gap::life::remade_as_read(recorded, (Some(read), made), row.version_recorded_ms())
}

/// The recorded version to read for its life ([`version_gap::life_to_check`]),
/// and when the record was written.
fn life_check(o: &RegionOutcome, row: &Known) -> Option<(u64, i64)> {
    // The run-as user check's row: its versions are the check document's,
    // whose history is never read as Run As windows (`gap_of`).
    if o.nodes.is_some() {
        return None;
    }
    let recorded = version_gap::judged_up_to(
        row.default_version.as_deref(),
        row.latest_version.as_deref(),
    );
    let version = version_gap::life_to_check(recorded, o.versions_before.as_ref()?)?;
    Some((version, row.version_recorded_ms()?))
}

/// No version between the record and the latest, yet one to check: a gap
/// that reads nothing unless the check finds the document made again.
fn nothing_between(o: &RegionOutcome, check: Option<(u64, i64)>) -> Option<Gap> {
    check?;
    let now = o.versions_before.as_ref()?;
    let number = |s: &str| s.parse::<u64>().ok();
    Some(Gap {
        current: [number(&now.default)?, number(&now.latest)?],
        ..Gap::default()
    })
}

/// `gap`, or the history of a document made again since the record where
/// the recorded version (`life`) reads as made after the record: its number
/// is another life's (simulation seed 900118, `aws`: a document deleted and
/// made again, its version 1 out of policy for seconds, the put-back's run
/// recorded past it as the former life's version). One `GetDocument`, only
/// where the document moved since the record; a read that fails keeps
/// `gap` (as before: a deletion's own event still says it).
/// `now`: the versions the run found.
pub(super) async fn checked_life(
    docs: &crate::adapters::aws::ssm::DocumentStore,
    gap: Gap,
    (life, now): (Option<(u64, i64)>, Option<&Versions>),
) -> Gap {
    let (Some((version, at_ms)), Some(now)) = (life, now) else {
        return gap;
    };
    match docs.past(&version.to_string()).await {
        Ok(Some((_, created)))
            if version_gap::life::made_since_record(created.as_deref(), at_ms) =>
        {
            version_gap::remade(gap, version, now)
        }
        Ok(_) => gap,
        Err(e) => {
            tracing::warn!(account = %e.account, region = %e.region, version, error_code = %e.code, "the recorded version could not be read; its life is taken as the record's");
            gap
        }
    }
}

/// Where a row's history starts, by what was read of it: its row among the
/// account's, its item alone (read when the rows' Query failed; `unread`:
/// that read failed too).
fn from_reads(in_rows: bool, item: bool, rows_failed: bool, unread: bool) -> HistoryFrom {
    let rows_read = match (in_rows, rows_failed) {
        (true, _) => Read::Recorded,
        (false, true) => Read::Failed,
        (false, false) => Read::Absent,
    };
    let item_read = match item {
        true => Read::Recorded,
        false if rows_failed && !unread => Read::Absent,
        false => Read::Failed,
    };
    history_from(rows_read, item_read)
}

/// Whether a row's history is a live writer's (its intent's lease runs):
/// this run judges none of it, so the switches kept there stay for the
/// run after, its own event's too (simulation seed 900077, `aimed`: a
/// switch's run found another run's write in flight, waited out its
/// lease, wrote, and let go of the switch its own failed try had kept;
/// the writer had failed, and nobody told that version). Its record still
/// moves: keeping the version made the next runs read the writer's gap
/// again and tell what the writer had told (twelve `harsh` schedules).
pub(super) fn leave_to_writer(job: &Job, o: &mut RegionOutcome, row: Option<&Known>) {
    if row.is_some_and(|r| others_intent(job, r) && under_intent(o, r) == UnderIntent::Writing) {
        o.kept_switch = None;
        o.kept_moot.clear();
    }
}

/// Whether the row carries another run's intent. This run's own, read
/// back with the slot's item after its write (the account's rows could not
/// be read before it), is no writer to leave the history to: taken for
/// one, the run judged no version since the record and recorded past them
/// (simulation seed 900155: a root default whose events were lost, never
/// told, the put-back's run of the next edit recording past it).
fn others_intent(job: &Job, row: &Known) -> bool {
    let own = row
        .intent_json
        .as_deref()
        .and_then(|j| crate::domain::intent::Intent::parse(j).ok())
        .is_some_and(|i| i.owner == job.owner);
    row.intent && !own
}

/// What the intent on a row's record means for this run's history: a
/// live writer's gap is its own; a dead one's is read, less what the
/// adoption of its write (by this run's record, when it changed nothing)
/// tells. Until 0.7.4 a dead run's intent stopped every later run from
/// reading the gap ("its run told what it replaced"): a run that died
/// before keeping its alerts left the versions between the record and its
/// write, and those made after, told by nobody (simulation seed 35).
fn under_intent(o: &RegionOutcome, row: &Known) -> UnderIntent {
    crate::domain::intent::under_intent(
        row.intent_json.as_deref(),
        row.lease_until_ms,
        crate::domain::clock::epoch_millis(crate::domain::clock::now()),
        (
            o.action == crate::domain::outcome::Action::None,
            o.version_after.as_deref(),
        ),
        // Judged against the row as it is (no join read here): over
        // another life's row the adoption tells the life's configuration,
        // and what it replaced is that life's, no window of this one.
        |i, v| !adopted::alerts(i, (v, 0), "", adopted::Recorded::ThisLife(row)).is_empty(),
    )
}

/// The versions to read back in a document row whose record could not be
/// read ([`version_gap::gap_unrecorded`]).
fn unrecorded_gap(o: &RegionOutcome) -> Option<Gap> {
    if o.nodes.is_some() {
        return None;
    }
    version_gap::gap_unrecorded(o.versions_before.as_ref()?)
}

/// The versions to read back in one document row: only where the table
/// recorded what it observed there and the document moved since (or was
/// made again: a deletion or creation event of it later than the record).
fn gap_of(job: &Job, o: &RegionOutcome, recorded: Option<&Known>, user: &str) -> Option<Gap> {
    // A write announced and not recorded is read past only when its run
    // is gone ([`under_intent`], decided by the caller).
    if o.nodes.is_some() {
        return None;
    }
    let t = &job.trigger;
    let remade = matches!(
        t.event_name.as_deref(),
        Some("DeleteDocument" | "CreateDocument")
    ) && t.edits(o.document_name())
        && t.region.as_deref() == Some(o.region.as_str());
    let remade_ms = t
        .context
        .event_time
        .as_deref()
        .filter(|_| remade)
        .and_then(crate::domain::clock::parse_iso);
    // A latest found out of policy alone was told as such, not judged as a
    // window: the gap keeps it (seed 900215). Unless the same run told it
    // as a window too (seed 900126, `aimed`: a switch back's run told both,
    // and the first switch's late run told the window again).
    let judged = recorded?.judged_default.as_deref();
    let latest = recorded?
        .latest_version
        .as_deref()
        .and_then(|v| v.parse().ok());
    let alone = recorded?
        .drift_seen
        .as_deref()
        .is_some_and(change::latest_alone)
        && !latest.is_some_and(|v| version_gap::judged_ever(judged, v));
    let record = version_gap::Record {
        version: version_gap::judged_up_to(
            recorded?.default_version.as_deref(),
            recorded?.latest_version.as_deref().filter(|_| !alone),
        ),
        at_ms: recorded?.version_recorded_ms(),
    };
    let now = o.versions_before.as_ref()?;
    let gap = version_gap::gap_since(record, now, remade_ms);
    // `before` is the default's Run As unless only the latest was wrong.
    let default_wrong = !o.pending && o.before.as_ref().is_some_and(|r| !r.is_compliant(user));
    // A default switched back to a version at or below the record: only
    // this event says it, and only this run reads it (or, its every run
    // failed, the run that takes it from the record: `version_gap::kept`).
    let switch = version_gap::kept::run_switch(t, o);
    // The run's own event made the default found the default: just before
    // it another version was, and the latest can have been that one (seed
    // 900397: a version with Run As off made the default, its events lost,
    // then the default switched back; the switch's run took the off version
    // for a latest that never held).
    let switched_to = version_gap::switched_to(switch, now);
    let gap = version_gap::with_latest(gap, record.version, now, default_wrong || switched_to);
    let gap = version_gap::with_switch_back(gap, switch, judged, now);
    let alone = recorded?.latest_version.as_deref().filter(|_| alone);
    version_gap::opened_by_switch(gap, switch, alone.and_then(|v| v.parse().ok()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::nodes::readiness::Readiness;

    /// Only another run's intent is a writer: this run's own (its owner
    /// token), read back after its write, is not; a row with no intent, or
    /// whose intent cannot be read (hostile), is judged as it says.
    #[test]
    fn only_another_runs_intent_is_a_writer() {
        let intent = crate::domain::intent::sample_edit("1");
        let trigger = crate::domain::trigger::Trigger {
            kind: crate::domain::trigger::TriggerKind::Sweep,
            account: None,
            region: None,
            actor: None,
            event_id: "sweep-1".into(),
            source: "test".into(),
            event_name: None,
            reason: "test".into(),
            context: Default::default(),
        };
        let job = |owner: &str| Job {
            owner: owner.into(),
            ..Job::new(trigger.clone(), false)
        };
        let row = |has: bool, json: Option<&str>| Known {
            intent: has,
            intent_json: json.map(str::to_string),
            ..Known::default()
        };
        let ours = intent.to_json();
        let cases = [
            (row(true, Some(&ours)), intent.owner.as_str(), false),
            (row(true, Some(&ours)), "another-run", true),
            (row(false, None), intent.owner.as_str(), false),
            (row(true, None), intent.owner.as_str(), true),
            (row(true, Some("{not json")), intent.owner.as_str(), true),
            // Hostile: an intent item flag off with an intent's text left.
            (row(false, Some(&ours)), "another-run", false),
        ];
        for (r, owner, want) in cases {
            assert_eq!(others_intent(&job(owner), &r), want, "{r:?} {owner}");
        }
    }

    #[test]
    fn only_a_session_documents_moved_row_has_its_life_checked() {
        let versions = |d: &str, l: &str| Versions {
            default: d.into(),
            latest: l.into(),
        };
        let row = Known {
            default_version: Some("2".into()),
            last_checked_ms: Some(1_000),
            ..Known::default()
        };
        let o = |now: Option<Versions>, nodes: bool| RegionOutcome {
            versions_before: now,
            nodes: nodes.then(Readiness::default),
            ..RegionOutcome::default()
        };
        // (versions now, a user check's row, the row's record time) -> checked
        let cases = [
            (
                Some(versions("3", "3")),
                false,
                Some(1_000),
                Some((2, 1_000)),
            ),
            (Some(versions("2", "2")), false, Some(1_000), None),
            // The user check's document moved: never read as Run As.
            (Some(versions("3", "3")), true, Some(1_000), None),
            (None, false, Some(1_000), None),
            // No record time to compare with: not checked.
            (Some(versions("3", "3")), false, None, None),
        ];
        for (now, nodes, at, want) in cases {
            let row = Known {
                last_checked_ms: at,
                ..row.clone()
            };
            assert_eq!(
                life_check(&o(now.clone(), nodes), &row),
                want,
                "{now:?} {nodes} {at:?}"
            );
        }
        // Checked against when the version was recorded, where the row
        // says: a later record that kept it does not move that.
        let kept = Known {
            version_at_ms: Some(400),
            ..row
        };
        let now = Some(versions("3", "3"));
        assert_eq!(life_check(&o(now, false), &kept), Some((2, 400)));
    }
}

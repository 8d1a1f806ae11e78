//! The editors' shapes the editor-side fixes of issue 61 are about, made
//! likely (docs/internals.md "Simulation", "Editors' shapes"): each an
//! episode of an editor's steps in one account-region, with EventBridge
//! holding that account-region's CloudTrail records for its few seconds
//! (CloudTrail delivers within minutes: seconds late is its ordinary
//! behaviour), so that the run which judges it comes when the shape is
//! complete:
//!
//! - **late switch** (item 3): Run As set out of policy and made the
//!   default, then a script makes the right version and makes it the
//!   default seconds later, a session opened in between: the bad version's
//!   window outlives the next version's making, and the session must be
//!   listed.
//! - **made again** (item 4): after a few logging edits (the table records
//!   version 4 or more), the document is deleted and made again with Run As
//!   out of policy as its version 1, and put right as version 2 within
//!   seconds: only a run that reads the new document from version 1 sees
//!   the window.
//! - **raced** (item 6, enforce): Run As set out of policy minutes before a
//!   scheduled sweep, its records held until runas-guard's put-back lands
//!   (the sweep's, which names nobody and keeps a mark), then delivered at
//!   once: the edit's run reads the rows before the sweep's mark exists and
//!   finds the document right; it must read the item again to name the
//!   editor.
//!
//! Drawn from a generator of their own (salted so that the seeds named in
//! tests/sim/known.txt and seeds.txt, and seed 4, draw none: their
//! schedules play as before), in half the worlds; budget seeds 2, 6, 7, 9,
//! 10, 11, 13, 14 and 18 have them.

use crate::rng::Rng;
use crate::world::{Bad, Edit, Editor, Mode, Step, Switch};

/// The salt: found by search so that none of the listed seeds draws
/// episodes (`chance(0.5)` false for each).
const SALT: u64 = 0x6564_6975_0100_b30f;

/// EventBridge holding one account-region's CloudTrail records made from
/// `from_s` (seconds since the schedule began) until `until_s`, then
/// delivering them as it delivers any (their delay drawn from then); with
/// `on_put_back`, released as soon as runas-guard's own put-back there
/// (its `UpdateDocumentDefaultVersion`) is recorded, and delivered at once.
#[derive(Debug, Clone)]
pub struct Hold {
    pub account: String,
    pub region: String,
    pub from_s: u64,
    pub until_s: u64,
    pub on_put_back: bool,
}

impl Hold {
    /// Whether the hold keeps a record of `account` `region` made at
    /// `at_ms` (`t0`: when the schedule began).
    pub fn keeps(&self, account: &str, region: &str, at_ms: i64, t0: i64) -> bool {
        let (from, until) = (self.from_s as i64 * 1000, self.until_s as i64 * 1000);
        account == self.account
            && region == self.region
            && t0 != i64::MAX
            && (t0.saturating_add(from)..t0.saturating_add(until)).contains(&at_ms)
    }
}

/// Whether a CloudTrail record is runas-guard's own write (its member
/// role's): never held, its events are not the episode's.
pub fn own_write(event: &serde_json::Value) -> bool {
    event["detail"]["userIdentity"]["sessionContext"]["sessionIssuer"]["userName"]
        == crate::world::MEMBER_ROLE
}

/// Whether a CloudTrail record is runas-guard's own default switch (its
/// member role's `UpdateDocumentDefaultVersion`): a put-back complete.
pub fn own_put_back(event: &serde_json::Value) -> bool {
    let d = &event["detail"];
    d["eventName"] == "UpdateDocumentDefaultVersion" && own_write(event)
}

/// What the world is drawn from that the episodes depend on.
pub struct Of<'a> {
    pub seed: u64,
    pub accounts: &'a [String],
    pub regions: &'a [String],
    pub mode: Mode,
    pub sweep_every_s: u64,
    pub horizon_s: u64,
}

/// The episodes of one world: its editors' steps and EventBridge's holds.
pub fn editors(w: Of<'_>) -> (Vec<Step>, Vec<Hold>) {
    if crate::aim::PREDATE.contains(&w.seed) {
        return (vec![], vec![]);
    }
    let mut r = Rng::new(w.seed ^ SALT);
    if !r.chance(0.5) {
        return (vec![], vec![]);
    }
    let (mut steps, mut holds) = (vec![], vec![]);
    // Three stretches of the horizon, one episode each, in a drawn order.
    let third = w.horizon_s / 3;
    let mut order = [0u64, 1, 2];
    for i in (1..order.len()).rev() {
        order.swap(i, r.below(i as u64 + 1) as usize);
    }
    let slot = |k: u64| (k * third, (k + 1) * third);
    let place = |r: &mut Rng| (r.pick(w.accounts).clone(), r.pick(w.regions).clone());
    let step = |at_s: u64, (a, reg): &(String, String), editor: Editor, edit: Edit| Step {
        at_s,
        account: a.clone(),
        region: reg.clone(),
        editor,
        edit,
    };
    // Late switch (item 3).
    {
        let (lo, hi) = slot(order[0]);
        // After the logging edit's run recorded the document.
        let at = r.range((lo + 60).max(1000), hi.saturating_sub(120).max(1001));
        let p = place(&mut r);
        // A logging edit first: in audit with no document at the start,
        // the document exists (and is recorded) before the episode.
        steps.push(step(
            r.range(30, 59),
            &p,
            Editor::Admin,
            Edit::Logging(Switch::Now),
        ));
        let bad = *r.pick(&[Bad::Root, Bad::Root, Bad::Off, Bad::Other]);
        let back = at + r.range(1, 5);
        let later = r.range(5, 30);
        steps.push(step(at, &p, Editor::Admin, Edit::RunAs(bad, Switch::Now)));
        steps.push(step(
            back,
            &p,
            Editor::Admin,
            Edit::Restore(Switch::Later(later)),
        ));
        steps.push(step(
            back + r.range(1, later - 1),
            &p,
            Editor::Admin,
            Edit::Session(r.range(1, 30)),
        ));
        holds.push(hold(&p, at, back + later + 1, false));
    }
    // Made again (item 4): the logging edits first, so the table records a
    // version above the new document's 2.
    {
        let (lo, hi) = slot(order[1]);
        let p = place(&mut r);
        let logs = r.range(60, 120);
        for k in 0..3 {
            steps.push(step(
                logs + k * 5,
                &p,
                Editor::Admin,
                Edit::Logging(Switch::Now),
            ));
        }
        let at = r.range(
            (lo + 60).max(logs + 1200),
            hi.saturating_sub(120).max(logs + 1201),
        );
        let bad = *r.pick(&[Bad::Root, Bad::Root, Bad::Off, Bad::Other]);
        // DeleteDocument now, CreateDocument 2 s later (run.rs), put right after.
        let back = at + 3 + r.range(0, 5);
        steps.push(step(at, &p, Editor::Admin, Edit::Recreate(Some(bad))));
        steps.push(step(back, &p, Editor::Admin, Edit::Restore(Switch::Now)));
        holds.push(hold(&p, at, back + 2, false));
    }
    // Raced (item 6): only a put-back by enforce, before a scheduled sweep.
    let (lo, hi) = slot(order[2]);
    let sweeps: Vec<u64> = (1..)
        .map(|k| k * w.sweep_every_s)
        .take_while(|t| *t <= w.horizon_s)
        .collect();
    let sweep = sweeps
        .iter()
        .find(|t| (lo + 400..hi).contains(*t))
        .or(sweeps.last());
    if let (Mode::Enforce, Some(&sweep)) = (w.mode, sweep) {
        let p = place(&mut r);
        let at = sweep - r.range(30, 300);
        steps.push(step(
            at,
            &p,
            Editor::Admin,
            Edit::RunAs(Bad::Root, Switch::Now),
        ));
        // At most 14 minutes: past that the edit's run no longer takes a
        // put-back for its own (CloudTrail's delivery bound is 15).
        holds.push(hold(&p, at, at + 14 * 60, true));
    }
    steps.sort_by_key(|s| s.at_s);
    (steps, holds)
}

fn hold(
    (account, region): &(String, String),
    from_s: u64,
    until_s: u64,
    on_put_back: bool,
) -> Hold {
    Hold {
        account: account.clone(),
        region: region.clone(),
        from_s,
        until_s,
        on_put_back,
    }
}

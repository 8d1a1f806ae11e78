//! Fault storms: a stretch of virtual time in which one operation (in one
//! region, or everywhere) is refused at a high rate, as SSM throttles each
//! API per account and region and a hot DynamoDB partition refuses its
//! reads. The schedule's uniform fault rate almost never fails one chosen
//! call past the SDK's retries (15 % three times is 0.3 %); a storm placed
//! just after an editor's step is what puts a failed read where a run
//! judges that edit (issue 61 items 1 and 2: a past version's read, the
//! account's rows). Set per schedule (its own thread) by the driver.

use std::cell::RefCell;

#[derive(Debug, Clone)]
pub struct Storm {
    pub service: &'static str,
    pub op: &'static str,
    /// `None`: every region.
    pub region: Option<String>,
    /// `None`: every account.
    pub account: Option<String>,
    pub from_ms: i64,
    pub to_ms: i64,
    pub rate: f64,
}

thread_local! {
    static STORMS: RefCell<Vec<Storm>> = const { RefCell::new(Vec::new()) };
}

/// The storms of the schedule played on this thread (none before its
/// schedule part begins).
pub fn set(storms: Vec<Storm>) {
    STORMS.with(|s| *s.borrow_mut() = storms);
}

/// The fault rate a storm puts on this call now, if one blows.
pub fn rate(
    service: &str,
    op: &str,
    (account, region): (Option<&str>, &str),
    now_ms: i64,
) -> Option<f64> {
    STORMS.with(|s| {
        s.borrow()
            .iter()
            .filter(|st| st.service == service && st.op == op)
            .filter(|st| st.region.as_deref().is_none_or(|r| r == region))
            .filter(|st| st.account.is_none() || st.account.as_deref() == account)
            .filter(|st| st.from_ms <= now_ms && now_ms < st.to_ms)
            .map(|st| st.rate)
            .reduce(f64::max)
    })
}

/// Instance -> (the call it freezes at, for how long, since when).
type Pauses = std::collections::BTreeMap<u32, (u64, i64, Option<i64>)>;

thread_local! {
    static PAUSES: RefCell<Pauses> = const { RefCell::new(std::collections::BTreeMap::new()) };
}

/// An invocation's instance freezes (CPU starved, its network cut) at its
/// `at_call`-th AWS call for `for_ms`: no call of it (its lease renewals
/// included) is answered meanwhile, then it goes on. Long enough, its
/// region lease runs out and another run may take it: the holder must
/// not write once it knows it lost the lease. `None` clears it.
pub fn pause(inst: u32, at: Option<(u64, i64)>) {
    PAUSES.with(|p| match at {
        Some((at_call, for_ms)) => {
            p.borrow_mut().insert(inst, (at_call, for_ms, None));
        }
        None => {
            p.borrow_mut().remove(&inst);
        }
    });
}

/// Whether instance `inst`'s `calls`-th call falls in its freeze.
pub fn paused(inst: u32, calls: u64, now_ms: i64) -> bool {
    PAUSES.with(|p| {
        let mut p = p.borrow_mut();
        let Some((at_call, for_ms, since)) = p.get_mut(&inst) else {
            return false;
        };
        if since.is_none() && calls >= *at_call {
            *since = Some(now_ms);
        }
        since.is_some_and(|s| now_ms < s + *for_ms)
    })
}

/// Whether SSM's per-API rate limit bites, and each account-region's
/// recent `GetDocument` calls.
type Bursts = (bool, std::collections::BTreeMap<(String, String), Vec<i64>>);

thread_local! {
    static BURSTS: RefCell<Bursts> = const { RefCell::new((false, std::collections::BTreeMap::new())) };
}

/// SSM's rate limit on `GetDocument` per account and region, switched on
/// for the schedule's part (worlds with shapes): a call within 500 ms of
/// another of the same account-region is throttled at 85 %. A run reads
/// the versions of a gap all at once (bounded), so that burst is what the
/// limit refuses, past the SDK's retries now and then, while a run's lone
/// read of the current version passes (issue 61 item 1).
pub fn bursts(on: bool) {
    BURSTS.with(|b| *b.borrow_mut() = (on, Default::default()));
}

/// The rate the limit puts on this call, if it bites.
pub fn burst(account: &str, region: &str, op: &str, now_ms: i64) -> Option<f64> {
    if op != "GetDocument" {
        return None;
    }
    BURSTS.with(|b| {
        let mut b = b.borrow_mut();
        if !b.0 {
            return None;
        }
        let recent = b.1.entry((account.into(), region.into())).or_default();
        recent.retain(|t| now_ms - *t < 500);
        let busy = !recent.is_empty();
        recent.push(now_ms);
        busy.then_some(0.85)
    })
}

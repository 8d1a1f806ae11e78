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
pub fn rate(service: &str, op: &str, region: &str, now_ms: i64) -> Option<f64> {
    STORMS.with(|s| {
        s.borrow()
            .iter()
            .filter(|st| st.service == service && st.op == op)
            .filter(|st| st.region.as_deref().is_none_or(|r| r == region))
            .filter(|st| st.from_ms <= now_ms && now_ms < st.to_ms)
            .map(|st| st.rate)
            .reduce(f64::max)
    })
}

//! A Run As window's claim on its slot's item, as a run made it: what the
//! transaction that keeps the window's alert marks kept (its alert then
//! stands beside it), so a claim whose claimer died before keeping runs
//! out and the next run that reads the gap tells it. Until 0.7.13 such a
//! claim hid the window for good (docs/internals.md "Open findings").

/// A window this run claimed (`domain::version_gap::claimed_value`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowClaim {
    pub account: String,
    pub slot: String,
    pub value: String,
    pub trigger_id: String,
}

/// What a run's claim of a row's windows came to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Claim {
    /// No claim made (nothing to tell, a dry run, no record to claim on,
    /// or another run told it).
    #[default]
    None,
    /// This run tells it: kept with its alert.
    Made(WindowClaim),
    /// Another run claimed it and has not kept its alert (it may have
    /// died): the record keeps the default version, so the run after that
    /// claim's lease reads the gap again.
    Pending,
}

//! runas-guard: keeps Session Manager Run As settings right in every account
//! and region of an AWS Organization. See DESIGN.md for the contracts.

pub mod alert;
pub mod aws;
pub mod clock;
pub mod dispatch;
pub mod policy;
pub mod preferences;
pub mod reactor;
pub mod reconcile;
pub mod report;
pub mod trigger;

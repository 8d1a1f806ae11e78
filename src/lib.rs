//! runas-guard: keeps Session Manager Run As settings right in every account
//! and region of an AWS Organization. See docs/design.md for the contracts.

pub mod account;
pub mod alert;
pub mod aws;
pub mod chat;
pub mod clock;
pub mod config;
pub mod deadline;
pub mod dispatch;
pub mod doctor;
pub mod heartbeat;
pub mod history;
pub mod ids;
pub mod intent;
pub mod metrics;
pub mod outcome;
pub mod permission_sets;
pub mod policy;
pub mod policy_ids;
pub mod policy_s3;
pub mod policy_source;
pub mod ports;
pub mod preferences;
pub mod reactor;
pub mod receipt;
pub mod reconcile;
pub mod records;
pub mod report;
pub mod settings_check;
pub mod summary;
pub mod sweep;
pub mod trigger;

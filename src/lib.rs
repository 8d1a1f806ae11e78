//! runas-guard: keeps Session Manager Run As settings right in every account
//! and region of an AWS Organization. See docs/design.md for the contracts.

pub mod account;
pub mod alert;
pub mod aws;
pub mod chat;
pub mod clock;
pub mod commit;
pub mod config;
pub mod deadline;
pub mod dispatch;
pub mod doctor;
pub mod heartbeat;
pub mod history;
pub mod ids;
pub mod intent;
pub mod job;
pub mod metrics;
pub mod outbox;
pub mod outcome;
pub mod permission_sets;
pub mod policy;
pub mod policy_source;
pub mod ports;
pub mod preferences;
pub mod reactor;
pub mod receipt;
pub mod reconcile;
pub mod records;
pub mod report;
pub mod route;
pub mod services;
pub mod summary;
pub mod sweep;
pub mod trigger;
pub mod work;
pub mod workers;

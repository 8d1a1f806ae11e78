//! The flow: one input -> claim -> route -> the worker -> an account's run
//! -> record -> tell, the sweep, and the operator commands' work. Decides in
//! the core, acts through the adapters.

pub mod account;
pub mod audit_report;
pub mod commit;
pub mod configured;
pub mod dispatch;
pub mod doctor;
pub mod gates;
pub mod history;
pub mod outbox;
pub mod permission_sets;
pub mod policy_source;
pub mod publish;
pub mod reactor;
pub mod readiness_report;
pub mod receipt;
pub mod reconcile;
pub mod redrive;
pub mod request;
pub mod route;
pub mod services;
pub mod sweep;
pub mod switch_kept;
pub mod user_check;
pub mod why;
pub mod work;
pub mod workers;

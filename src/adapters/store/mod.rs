//! The hub table's items and their rules: one file per kind of item, each
//! the only place that knows its keys, attributes and conditions. Built on
//! the DynamoDB client in `crate::adapters::aws::dynamodb`; nothing in `aws/` imports
//! this room.

pub mod audit;
pub mod audit_read;
pub mod bypass_marks;
pub mod canary;
pub mod check_claim;
pub mod coalesce;
pub mod drift_mark;
mod fact_cover;
mod fact_items;
pub mod governance;
pub mod held;
pub mod identity_center;
pub mod identity_center_look;
pub mod item;
pub mod kept_switch;
pub mod keys;
pub mod known;
pub mod landing_gate;
pub mod lease;
pub mod orphan;
pub mod outbox;
pub mod put_back;
pub mod receipts;
pub mod reported;
pub mod retired;
pub mod state;
pub mod status;
pub mod sweeps;
pub mod tag_inventory;
pub mod update;
pub mod vend;
pub mod window_kept;
pub mod window_told;

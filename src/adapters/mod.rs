//! The adapters: one client per AWS service (`aws`) and one file per kind of
//! hub table item (`store`). They serve the flow with the core's vocabulary
//! and never drive it.

pub mod aws;
pub mod store;

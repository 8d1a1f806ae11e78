//! runas-guard: keeps Session Manager Run As settings right in every account
//! and region of an AWS Organization. See docs/design.md for the contracts.
//!
//! Layers, each importing only those below it: `flow` (dispatch, the reactor,
//! workers, the sweep, an account's run, the operator commands' work) over
//! `adapters` (AWS clients, hub table items) over `domain` (the pure core).
//! The entries (`main.rs`, `lambda.rs`, `cli/`) stand on top, in the binary.

pub mod adapters;
pub mod domain;
pub mod flow;

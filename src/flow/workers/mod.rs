//! The workers the router hands a claimed trigger to. Each works and returns
//! a [`crate::flow::work::Worked`]: its work, or why it stopped; the route
//! says it in the trigger's outcome, and recording and publishing are the
//! wrapper's.
//! (The scheduled sweep's worker is [`crate::flow::sweep::on_schedule`].)

pub mod account;
pub mod baseline;
pub mod canary;
pub mod identity_center;
pub mod pending;
pub mod run_as_override;
pub mod session_document;
mod tell;

//! A Session document as the SSM agent decodes it: the decoder lives in
//! [`crate::domain::agent_doc`], where bypass detection and the merge read keys the
//! same way; `why` keeps its name for it.

pub use crate::domain::agent_doc::*;

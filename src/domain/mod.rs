//! The pure core: the shared vocabulary (outcomes, ids, jobs, work, the
//! ports' shapes), the event shapes, the policy, document content and the
//! decisions of what is told and how it is worded. Imports nothing above it:
//! no adapter, no flow, no entry.

pub mod agent_doc;
pub mod alert;
pub mod aws_error;
pub mod bypass;
pub mod canary;
pub mod chat;
pub mod clock;
pub mod coalesce;
pub mod config;
pub mod deadline;
pub mod degraded;
pub mod fact;
pub mod governance;
pub mod heartbeat;
pub mod identity_center;
pub mod ids;
pub mod intent;
pub mod job;
pub mod kept_switch;
pub mod known;
pub mod landing_gate;
pub mod life;
pub mod metrics;
pub mod nodes;
pub mod org_path;
pub mod org_state;
pub mod outcome;
pub mod policy;
pub mod policy_types;
pub mod ports;
pub mod preferences;
pub mod put_back;
pub mod records;
pub mod release;
pub mod report;
pub mod request;
pub mod retired;
pub mod rows;
pub mod seat;
pub mod security_hub;
pub mod session_policy;
pub mod sessions;
pub mod summary;
pub mod trigger;
pub mod unnamed;
pub mod version_gap;
pub mod window_claim;
pub mod words;

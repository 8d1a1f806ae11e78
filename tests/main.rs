//! The integration tests, one binary with a module per subject (as cargo's
//! own test suite and rust-analyzer lay theirs out): each test file used to
//! be a binary of its own that linked the whole crate and the AWS SDK, and
//! linking them took most of `make test`. `common` holds the helpers: the
//! local AWS (moto on loopback, the fault proxy, the emulated services), the
//! stacks and the fleets the tests deploy.

mod common;

mod activation;
mod alert_size;
mod alerts;
mod association_tag;
mod audit_report;
mod audit_windows;
mod bounded;
mod bounded_state;
mod bypass;
mod canary;
mod canary_loaded;
mod check_association;
mod cli;
mod cli_tables;
mod cost;
mod dead_sweep;
mod dead_vend;
mod degraded;
mod deploy;
mod directory_users;
mod docs;
mod doctor;
mod document_arn;
mod documents;
mod drift;
mod dry_run_held;
mod duplicates;
mod editor_named;
mod failed_sweep_window;
mod fanout;
mod faults;
mod flood;
mod guarantees;
mod held;
mod history;
mod history_read;
mod house;
mod identity_center;
mod lambda_runtime;
mod latest_alone;
mod left_governance;
mod lives;
mod lza_late_create;
mod named_maker;
mod nodes;
mod nodes_agents;
mod operator_seat;
mod org_state;
mod out_of_scope;
mod r#override;
mod own_event;
mod packed_policy;
mod paths;
mod pending;
mod policy_check;
mod policy_ids;
mod policy_types;
mod races;
mod racing_editor;
mod readiness_changed;
mod redrive;
mod rejoin_swept;
mod remade_windows;
mod retired_attributes;
mod reverts;
mod root_window;
mod security_hub;
mod sessions;
mod stack_update_cost;
mod staged;
mod sweep;
mod sweep_round_trips;
mod told;
mod vend;
mod vend_round_trips;
mod vend_timeline;
mod wait_cost;
mod walk_round_trips;
mod why;

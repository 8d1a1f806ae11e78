//! `runas-guard explain`: classify one event offline; touches nothing.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use runas_guard::domain::policy::Policy;
use runas_guard::domain::trigger;

use super::input::parse_event;
use super::output::bad_input;

#[derive(clap::Args)]
pub struct Args {
    /// Event file, or - for standard input.
    event: String,
    /// A local policy file: its `[[document]]` names also count as governed
    /// (without it, only SSM-SessionManagerRunShell does), and `plan` says
    /// what `handle` would do with the event under it (its regions, scope,
    /// exemptions and rules, as far as the account's id decides them).
    #[arg(long)]
    policy: Option<PathBuf>,
}

pub fn exec(args: Args) -> ExitCode {
    explain(&args.event, args.policy.as_deref())
}

fn explain(event: &str, policy: Option<&Path>) -> ExitCode {
    let policy = match policy.map(Policy::load).transpose() {
        Ok(p) => p,
        Err(e) => return bad_input(e.to_string()),
    };
    let documents = policy
        .as_ref()
        .map_or(vec![trigger::DOCUMENT_NAME], Policy::document_names);
    let value = match parse_event(event) {
        Ok(v) => v,
        Err(e) => return bad_input(e),
    };
    // Without a policy, association writes read as if the check were on.
    let check = match &policy {
        Some(p) => p.check_document.as_deref(),
        None => Some(trigger::CHECK_DOCUMENT),
    };
    match trigger::classify_governed(
        &value,
        &documents,
        check,
        &runas_guard::domain::config::explained_stack_set(),
    ) {
        Ok(t) => {
            let mut explained = serde_json::to_value(t.explain()).expect("explanation serialises");
            if let (Some(p), serde_json::Value::Object(o)) = (&policy, &mut explained) {
                o.insert(
                    "plan".into(),
                    runas_guard::flow::route::plan::plan(p, &t).into(),
                );
            }
            outln!("{explained}");
            ExitCode::SUCCESS
        }
        Err(e) => bad_input(format!("{event}: {e}")),
    }
}

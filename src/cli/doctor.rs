//! `runas-guard doctor`: check a deployment without changing anything.

use std::process::ExitCode;

use runas_guard::domain::report::Format;
use runas_guard::domain::trigger;

use super::output::{bad_input, failed};
use super::start::{load_policy_from, policy_source, Resources};

#[derive(clap::Args)]
pub struct Args {
    /// Also check this member account (repeatable): role, document in every governed region.
    #[arg(long = "account", value_name = "ID")]
    accounts: Vec<String>,
    /// The hub CloudFormation stack: compare its MemberRoleName,
    /// NamedSessionDocuments and outputs with the configuration.
    #[arg(long, value_name = "NAME")]
    stack: Option<String>,
    /// The member StackSet: compare its instances' regions with the policy's.
    #[arg(long, value_name = "NAME")]
    stackset: Option<String>,
    #[arg(long, value_enum, ignore_case = true, default_value = "table", help = super::output::FORMAT_HELP)]
    format: Format,
    #[command(flatten)]
    resources: Resources,
    /// SQS queue for fanned-out sweeps.
    #[arg(long, env = "RUNAS_GUARD_SWEEP_QUEUE_URL")]
    sweep_queue_url: Option<String>,
    #[command(flatten)]
    seat: super::seat::SeatArgs,
}

pub async fn exec(a: Args) -> ExitCode {
    if let Err(e) = a.seat.check() {
        return bad_input(e);
    }
    doctor(
        a.accounts,
        a.stack,
        a.stackset,
        a.format,
        &a.resources,
        a.sweep_queue_url,
        &a.seat,
    )
    .await
}

async fn doctor(
    accounts: Vec<String>,
    stack: Option<String>,
    stackset: Option<String>,
    format: Format,
    resources: &Resources,
    sweep_queue_url: Option<String>,
    seat: &super::seat::SeatArgs,
) -> ExitCode {
    if let Some(bad) = accounts.iter().find(|a| !trigger::is_account_id(a)) {
        return bad_input(format!("--account {bad:?} is not a 12-digit account id"));
    }
    let config = match super::target::aws_config().await {
        Ok(c) => c,
        Err(e) => return bad_input(e),
    };
    let policy = match policy_source(resources) {
        Ok(source) => load_policy_from(&source, &config)
            .await
            .map(|p| (source.describe(), p))
            .map_err(|e| e.message()),
        Err(e) => Err(e),
    };
    let nonempty = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
    let mut unique = Vec::new();
    for a in accounts {
        if !unique.contains(&a) {
            unique.push(a);
        }
    }
    let operator_role = policy.as_ref().ok().and_then(|(_, p)| seat.role(p));
    let inputs = runas_guard::flow::doctor::Inputs {
        operator_role,
        policy,
        table: nonempty(resources.table.clone()),
        topic_arn: nonempty(resources.topic_arn.clone()),
        chat_topic_arn: nonempty(std::env::var("RUNAS_GUARD_CHAT_TOPIC_ARN").ok()),
        queue_url: nonempty(sweep_queue_url),
        stack,
        stackset,
        accounts: unique,
    };
    let list = runas_guard::flow::doctor::run(&config, &inputs).await;
    out!("{}", list.render(format));
    if list.ok {
        ExitCode::SUCCESS
    } else {
        failed(format!(
            "doctor: {} check(s) failed; each says how to fix it",
            list.failed
        ))
    }
}

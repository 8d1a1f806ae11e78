//! `runas-guard policy`: check a policy file; render permission-set policies.

use std::process::ExitCode;

use clap::Subcommand;

use super::input::{read_policy_arg, shown_policy};
use super::output::{bad_input, failed};
use super::start::{accounts_without_rule, ids_outside_organization};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: PolicyCommand,
}

#[derive(Subcommand)]
enum PolicyCommand {
    /// Validate a policy file (- for standard input).
    Check {
        file: String,
        /// Also check every OU and account id it names against the
        /// organization (one walk of its tree; needs Organizations read access).
        #[arg(long)]
        org: bool,
    },
    /// For each [[document]]: the inline policy for its IAM Identity Center
    /// permission set (StartSession with that document only).
    PermissionSets {
        /// Policy file (- for standard input).
        file: String,
        /// Output: json or cloudformation (any case).
        #[arg(long, value_enum, ignore_case = true, default_value = "json")]
        format: runas_guard::permission_sets::Format,
        /// ARN partition of the organization.
        #[arg(long, default_value = "aws")]
        partition: String,
    },
}

pub async fn exec(args: Args) -> ExitCode {
    match args.command {
        PolicyCommand::Check { file, org } => policy_check(&file, org).await,
        PolicyCommand::PermissionSets {
            file,
            format,
            partition,
        } => permission_sets(&file, format, &partition),
    }
}

fn permission_sets(
    file: &str,
    format: runas_guard::permission_sets::Format,
    partition: &str,
) -> ExitCode {
    let rendered = read_policy_arg(file).and_then(|p| {
        runas_guard::permission_sets::render(&p, partition, format)
            .map_err(|e| format!("{}: {e}", shown_policy(file)))
    });
    match rendered {
        Ok(text) => {
            out!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => bad_input(e),
    }
}

/// `policy.toml: ok (2 regions, mode audit, default user ops, …)`.
fn ok_line(shown: &str, p: &runas_guard::policy::Policy, org: bool) -> String {
    let documents = match p.documents.len() {
        0 => String::new(),
        n => format!(
            ", {n} more document(s): {}",
            p.document_names()[1..].join(", ")
        ),
    };
    let ids = runas_guard::policy::ids::named_ids(p).len();
    format!(
        "{shown}: ok ({} regions, mode {}, {}{documents}{})",
        p.regions.len(),
        p.mode.as_str(),
        match (&p.default_user, &p.scope) {
            (Some(u), None) => format!("default user {u}"),
            (Some(u), Some(s)) => format!("default user {u}, scope {}", scope_line(s)),
            (None, Some(s)) => format!("no default user, scope {}", scope_line(s)),
            (None, None) => "no default user".into(),
        },
        if org {
            format!("; all {ids} OU and account ids are in the organization")
        } else {
            String::new()
        }
    )
}

fn scope_line(s: &runas_guard::policy::Scope) -> String {
    let mut parts = Vec::new();
    if !s.ous.is_empty() {
        parts.push(format!("{} OU(s)", s.ous.len()));
    }
    if !s.accounts.is_empty() {
        parts.push(format!("{} account(s)", s.accounts.len()));
    }
    parts.join(" and ")
}

/// What `--org` refuses: ids the organization lacks, then in-scope
/// accounts no rule gives a user (one walk of the tree serves both).
async fn against_organization(
    config: &aws_config::SdkConfig,
    p: &runas_guard::policy::Policy,
) -> Result<Option<String>, runas_guard::aws::AwsError> {
    let org = runas_guard::aws::organizations::Org::new(config);
    match ids_outside_organization(&org, p).await? {
        Some(line) => Ok(Some(line)),
        None => accounts_without_rule(&org, p).await,
    }
}

async fn policy_check(file: &str, org: bool) -> ExitCode {
    let shown = shown_policy(file);
    match read_policy_arg(file) {
        Ok(p) => {
            if org {
                let config = match super::target::aws_config().await {
                    Ok(c) => c,
                    Err(e) => return bad_input(e),
                };
                match against_organization(&config, &p).await {
                    Ok(None) => {}
                    Ok(Some(line)) => return bad_input(format!("{shown}: {line}")),
                    Err(e) => {
                        return failed(format!(
                            "cannot check {shown}'s ids against the organization: {e}"
                        ))
                    }
                }
            }
            outln!("{}", ok_line(shown, &p, org));
            for w in p.warnings().into_iter().chain(p.user_warnings()) {
                outln!("warning: {w}");
            }
            for d in p
                .documents
                .iter()
                .filter(|d| !d.name.starts_with("SSMRunAs-"))
            {
                outln!(
                    "note: {} is not named SSMRunAs-*, the documents the shipped SCPs protect (infra/scp/README.md)",
                    d.name
                );
            }
            ExitCode::SUCCESS
        }
        Err(e) => bad_input(e),
    }
}

//! `runas-guard policy`: check a policy file; render permission-set policies.

use std::process::ExitCode;

use clap::Subcommand;

use super::input::{read_policy_arg, shown_policy};
use super::output::bad_input;
use check::{policy_check, CheckFormat, CheckOptions, LONG_ABOUT};
use runas_guard::flow::permission_sets::Format;

mod check;
mod lza;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: PolicyCommand,
}

#[derive(Subcommand)]
enum PolicyCommand {
    /// Validate a policy file (- for standard input): each finding with its
    /// line and column; exit 0 ok, 2 errors (or warnings with --strict).
    #[command(long_about = LONG_ABOUT)]
    Check {
        /// Policy file (- for standard input).
        file: String,
        /// Also check every OU and account id it names against the
        /// organization (one walk of its tree; needs Organizations read access).
        #[arg(long)]
        org: bool,
        /// Warnings fail too (exit 2), as errors do: for CI.
        #[arg(long)]
        strict: bool,
        /// Output: text (default, as a compiler prints) or json (for CI annotations); any case.
        #[arg(long, value_enum, ignore_case = true, default_value = "text")]
        format: CheckFormat,
    },
    /// For each [[document]]: the inline policy for its IAM Identity Center
    /// permission set (StartSession with that document only).
    PermissionSets {
        /// Policy file (- for standard input).
        file: String,
        /// Output: json, cloudformation, or lza (one inline-policy file per
        /// permission set in --out-dir, and the iam-config.yaml lines); any case.
        #[arg(long, value_enum, ignore_case = true, default_value = "json")]
        format: Format,
        /// ARN partition of the organization.
        #[arg(long, default_value = "aws")]
        partition: String,
        /// Where --format lza writes its files (created if missing); paths
        /// in the printed YAML are as given here, so give it relative to the
        /// LZA configuration repository's root.
        #[arg(long, value_name = "DIR")]
        out_dir: Option<std::path::PathBuf>,
        /// Replace files in --out-dir that differ from what would be written.
        #[arg(long)]
        force: bool,
    },
}

pub async fn exec(args: Args) -> ExitCode {
    match args.command {
        PolicyCommand::Check {
            file,
            org,
            strict,
            format,
        } => {
            let options = CheckOptions {
                org,
                strict,
                format,
            };
            policy_check(&file, options).await
        }
        PolicyCommand::PermissionSets {
            file,
            format,
            partition,
            out_dir,
            force,
        } => match (format, out_dir) {
            (Format::Lza, Some(dir)) => lza::write(&file, &partition, &dir, force),
            (Format::Lza, None) => {
                bad_input("--format lza writes one file per permission set: give --out-dir DIR")
            }
            (_, Some(_)) => bad_input(
                "--out-dir is for --format lza; json and cloudformation print to standard output",
            ),
            (format, None) => permission_sets(&file, format, &partition),
        },
    }
}

fn permission_sets(file: &str, format: Format, partition: &str) -> ExitCode {
    let rendered = read_policy_arg(file).and_then(|p| {
        runas_guard::flow::permission_sets::render(&p, partition, format)
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

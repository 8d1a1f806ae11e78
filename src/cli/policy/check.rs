//! `runas-guard policy check FILE`: every finding with its file, line and
//! column, as a compiler reports them (or JSON for CI annotations), and the
//! CLI's exit policy: 0 no errors (with `--strict`, no warnings either);
//! 2 errors, warnings under `--strict`, an unreadable file, bad arguments;
//! 1 the organization could not be read for `--org`.

use std::process::ExitCode;

use runas_guard::domain::policy::check::{check_bytes, Checked};
use runas_guard::domain::policy::diagnostic::{Diagnostic, Located, Severity};
use runas_guard::domain::policy::Policy;

use crate::cli::input::{read_limited, shown_policy, MAX_POLICY_BYTES};
use crate::cli::output::{bad_input, failed};
use crate::cli::start::accounts_without_rule;

/// Shown by `policy check --help`.
pub const LONG_ABOUT: &str = "Validate a policy file (- for standard input). Every error, warning and note names the file, line and column (policy.toml:12:9: error: ...), with a `did you mean` where a known key, region, id or user is close.

Exit status: 0 no errors (with --strict: no warnings either); 2 errors, or warnings under --strict, or the file cannot be read, or bad arguments (one summary line on stderr); 1 the organization could not be read for --org. Notes never fail.";

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CheckFormat {
    /// One line per finding, as a compiler prints them (with `= help:` lines).
    Text,
    /// One JSON object: the counts, each finding with file, line, column,
    /// end_line, end_column, severity, code, message and suggestion, and
    /// the summary of what the file enforces.
    Json,
}

pub struct CheckOptions {
    pub org: bool,
    pub strict: bool,
    pub format: CheckFormat,
}

pub async fn policy_check(file: &str, options: CheckOptions) -> ExitCode {
    let shown = shown_policy(file);
    let bytes = match read_limited(file, MAX_POLICY_BYTES, "policy") {
        Ok(b) if b.len() > MAX_POLICY_BYTES => {
            return bad_input(format!("policy {shown}: larger than 1 MiB"))
        }
        Ok(b) => b,
        Err(e) => return bad_input(e),
    };
    let mut checked = check_bytes(&bytes);
    if options.org && checked.refuses_ou_names() {
        // `id = "Prod"`: the walk --org makes anyway says which OU that is.
        let config = match crate::cli::target::aws_config().await {
            Ok(c) => c,
            Err(e) => return bad_input(e),
        };
        let org = runas_guard::adapters::aws::organizations::Org::new(&config);
        if let Err(e) = org.walk().await {
            return failed(format!(
                "cannot read the organization to name {shown}'s OUs: {e}"
            ));
        }
        checked.name_ous(&org.walked_ou_names());
    }
    if options.org && checked.policy.is_none() {
        checked.diagnostics.push(Diagnostic::new(
            Severity::Note,
            "ids-not-checked",
            0..0,
            "not checked against the organization: the policy does not load, so --org waits for the errors above to be fixed",
        ));
    }
    if let Some(policy) = checked.policy.clone() {
        if options.org {
            let config = match crate::cli::target::aws_config().await {
                Ok(c) => c,
                Err(e) => return bad_input(e),
            };
            if let Err(e) = against_organization(&config, &mut checked, &policy).await {
                return failed(format!(
                    "cannot check {shown}'s ids against the organization: {e}"
                ));
            }
        } else if !runas_guard::domain::policy::ids::named_ids(&policy).is_empty() {
            checked.diagnostics.push(Diagnostic::new(
                Severity::Note,
                "ids-not-checked",
                0..0,
                "OU and account ids were checked for their form only: pass --org to check them against the organization (Organizations read access)",
            ));
        }
    }
    report(shown, &checked, &options)
}

/// The ids the organization lacks, then (when all are there) in-scope
/// accounts no rule gives a user: one walk of the tree serves both.
async fn against_organization(
    config: &aws_config::SdkConfig,
    checked: &mut Checked,
    policy: &Policy,
) -> Result<(), runas_guard::domain::aws_error::AwsError> {
    let org = runas_guard::adapters::aws::organizations::Org::new(config);
    let known = org.ids().await?;
    let before = checked.diagnostics.len();
    checked.against(&known);
    checked.never_applies_in(&org.walked_parents());
    if checked.diagnostics.len() == before {
        if let Some(line) = accounts_without_rule(&org, policy).await? {
            let span = checked.span_of("scope");
            checked.diagnostics.push(Diagnostic::new(
                Severity::Error,
                "uncovered-accounts",
                span,
                line,
            ));
        }
    }
    Ok(())
}

fn report(shown: &str, checked: &Checked, options: &CheckOptions) -> ExitCode {
    let located = checked.located(shown);
    let errors = checked.count(Severity::Error);
    let warnings = checked.count(Severity::Warning);
    let fails = errors > 0 || (options.strict && warnings > 0);
    match options.format {
        CheckFormat::Json => out!("{}", json(shown, checked, &located, !fails)),
        CheckFormat::Text => {
            if let (false, Some(p)) = (fails, &checked.policy) {
                outln!("{}", ok_lines(shown, p, options.org));
            }
            for l in &located {
                outln!("{}", l.human());
            }
        }
    }
    if !fails {
        return ExitCode::SUCCESS;
    }
    bad_input(summary(shown, &located, errors, warnings))
}

fn json(shown: &str, checked: &Checked, located: &[Located], ok: bool) -> String {
    let count = |s: Severity| located.iter().filter(|l| l.severity == s).count();
    let value = serde_json::json!({
        "file": shown,
        "ok": ok,
        "errors": count(Severity::Error),
        "warnings": count(Severity::Warning),
        "notes": count(Severity::Note),
        "diagnostics": located,
        // What the file enforces (null when it does not load).
        "summary": checked.policy.as_ref().map(Policy::summary),
    });
    serde_json::to_string_pretty(&value).expect("JSON serialises") + "\n"
}

/// The one stderr line: the counts and the first few findings that fail.
fn summary(shown: &str, located: &[Located], errors: usize, warnings: usize) -> String {
    let failing = if errors > 0 {
        Severity::Error
    } else {
        Severity::Warning
    };
    let shown_first: Vec<String> = located
        .iter()
        .filter(|l| l.severity == failing)
        .take(3)
        .map(Located::short)
        .collect();
    let total = located.iter().filter(|l| l.severity == failing).count();
    let more = match total.saturating_sub(shown_first.len()) {
        0 => String::new(),
        n => format!("; and {n} more"),
    };
    let strict = if errors == 0 {
        ", and --strict fails on warnings"
    } else {
        ""
    };
    format!(
        "{shown}: {errors} error(s), {warnings} warning(s){strict}: {}{more} (all on standard output)",
        shown_first.join("; ")
    )
}

/// `policy.toml: ok`, then what the file enforces, one fact a line
/// (what `terraform plan` would summarise): a reviewer reads each rule's
/// mode and user, not only the top level's.
fn ok_lines(shown: &str, p: &Policy, org: bool) -> String {
    let org = if org {
        let ids = runas_guard::domain::policy::ids::named_ids(p).len();
        format!(" (all {ids} OU and account ids are in the organization)")
    } else {
        String::new()
    };
    let mut out = format!("{shown}: ok{org}");
    for line in p.summary().lines() {
        out.push_str("\n  ");
        out.push_str(&line);
    }
    out
}

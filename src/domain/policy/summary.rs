//! What a policy that loads enforces, as `policy check` prints it (and
//! carries in its JSON): the top-level mode and default user, then each OU
//! and account rule with its mode and user (inherited ones said to be so),
//! scope and exempt counts, and the optional sections turned on. A reviewer
//! reads what a change enforces without reading the resolver.

use serde::Serialize;

use super::{Mode, Policy, Rule};
use crate::domain::identity_center::KeepMode;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub mode: Mode,
    pub default_user: Option<String>,
    pub regions: Vec<String>,
    /// `None` without `[scope]`: the whole organization.
    pub scope: Option<Counts>,
    pub exempt: Exempt,
    /// OU rules, then account rules, each sorted by id.
    pub rules: Vec<RuleSummary>,
    pub documents: Vec<DocumentSummary>,
    /// The optional sections turned on, as the file names them.
    pub sections: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub ous: usize,
    pub accounts: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Exempt {
    pub ous: usize,
    pub accounts: usize,
    pub principals: usize,
}

/// One `[[ou]]` or `[[account]]` rule. `None` is inherited: from the
/// nearest OU above that sets it, else the top level (or the document's own).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleSummary {
    /// `ou` or `account`.
    pub kind: &'static str,
    pub id: String,
    pub mode: Option<Mode>,
    pub user: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DocumentSummary {
    pub name: String,
    pub user: String,
    /// `None`: the account's mode.
    pub mode: Option<Mode>,
    pub inherit: bool,
    pub rules: Vec<RuleSummary>,
}

impl Policy {
    pub fn summary(&self) -> Summary {
        Summary {
            mode: self.mode,
            default_user: self.default_user.clone(),
            regions: self.regions.clone(),
            scope: self.scope.as_ref().map(|s| Counts {
                ous: s.ous.len(),
                accounts: s.accounts.len(),
            }),
            exempt: Exempt {
                ous: self.exempt_ous.len(),
                accounts: self.exempt_accounts.len(),
                principals: self.exempt_principals.len(),
            },
            rules: rules(&self.ou_users, &self.account_users),
            documents: self
                .documents
                .iter()
                .map(|d| DocumentSummary {
                    name: d.name.clone(),
                    user: d.default_user.clone(),
                    mode: d.mode,
                    inherit: d.inherit,
                    rules: rules(&d.ou_users, &d.account_users),
                })
                .collect(),
            sections: self.sections(),
        }
    }

    fn sections(&self) -> Vec<String> {
        let mut on = Vec::new();
        if self.directory_users {
            on.push("directory_users".into());
        }
        if let Some(document) = &self.check_document {
            on.push(format!("[nodes] check_user ({document})"));
        }
        if let Some(c) = &self.canary {
            on.push(format!(
                "[forwarding_canary] (every {}s, grace {}s)",
                c.interval.as_secs(),
                c.grace.as_secs()
            ));
        }
        if self.sweep_run_as_tags {
            on.push("[run_as_tags] sweep".into());
        }
        if self.sweep_session_documents {
            on.push("[session_documents] sweep".into());
        }
        if self.security_hub_findings {
            on.push("[security_hub] findings".into());
        }
        if self.identity_center.is_some() {
            let keep = match self.identity_center_mode() {
                KeepMode::Alert => "alert",
                KeepMode::Enforce => "enforce",
            };
            on.push(format!("[identity_center] ({keep})"));
        }
        on
    }
}

fn rules(
    ous: &std::collections::HashMap<String, Rule>,
    accounts: &std::collections::HashMap<String, Rule>,
) -> Vec<RuleSummary> {
    let sorted = |kind: &'static str, map: &std::collections::HashMap<String, Rule>| {
        let mut out: Vec<RuleSummary> = map
            .iter()
            .map(|(id, r)| RuleSummary {
                kind,
                id: id.clone(),
                mode: r.mode,
                user: r.user.clone(),
            })
            .collect();
        out.sort_by(|a, b| a.id.cmp(&b.id));
        out
    };
    let mut out = sorted("ou", ous);
    out.extend(sorted("account", accounts));
    out
}

impl Summary {
    /// The lines `policy check` prints under `FILE: ok`, indented by the caller.
    pub fn lines(&self) -> Vec<String> {
        let top_user = self.default_user.as_deref();
        let mut out = vec![format!(
            "top level: mode {}, {}",
            self.mode.as_str(),
            match top_user {
                Some(u) => format!("default user {u}"),
                None => "no default user (only rules name users)".into(),
            }
        )];
        out.push(self.governs());
        out.push(format!(
            "exempt: {} OU(s), {} account(s), {} principal pattern(s)",
            self.exempt.ous, self.exempt.accounts, self.exempt.principals
        ));
        for r in &self.rules {
            out.push(rule_line(r, self.mode, top_user));
        }
        for d in &self.documents {
            out.push(document_line(d, self.mode));
            for r in &d.rules {
                let line = rule_line(r, d.mode.unwrap_or(self.mode), Some(&d.user));
                out.push(format!("  {line}"));
            }
        }
        out.push(match self.sections.is_empty() {
            true => "sections on: none".into(),
            false => format!("sections on: {}", self.sections.join(", ")),
        });
        out
    }

    fn governs(&self) -> String {
        let regions = format!(
            "{} region(s) ({})",
            self.regions.len(),
            self.regions.join(", ")
        );
        match &self.scope {
            None => format!("scope: the whole organization, in {regions}"),
            Some(c) => format!(
                "scope: {} OU(s) and {} account(s) (with every OU below them), in {regions}",
                c.ous, c.accounts
            ),
        }
    }
}

/// `ou ou-ab12-prod0001: mode enforce-when-ready, user app`; an inherited
/// value is shown as such, with what the level above says.
fn rule_line(r: &RuleSummary, above_mode: Mode, above_user: Option<&str>) -> String {
    let mode = match r.mode {
        Some(m) => format!("mode {}", m.as_str()),
        None => format!(
            "mode inherited ({} unless an OU above sets it)",
            above_mode.as_str()
        ),
    };
    let user = match (&r.user, above_user) {
        (Some(u), _) => format!("user {u}"),
        (None, Some(u)) => format!("user inherited ({u} unless an OU above sets it)"),
        (None, None) => "user inherited (from an OU above; no default)".into(),
    };
    format!("{} {}: {mode}, {user}", r.kind, r.id)
}

fn document_line(d: &DocumentSummary, top_mode: Mode) -> String {
    let mode = match d.mode {
        Some(m) => format!("mode {}", m.as_str()),
        None => format!(
            "mode inherited (the account's, {} at the top level)",
            top_mode.as_str()
        ),
    };
    let inherit = if d.inherit {
        ", inputs from SSM-SessionManagerRunShell"
    } else {
        ""
    };
    format!(
        "document {}: {mode}, default user {}{inherit}, {} rule(s)",
        d.name,
        d.user,
        d.rules.len()
    )
}

#[cfg(test)]
#[path = "summary_tests.rs"]
mod tests;

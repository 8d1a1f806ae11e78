//! One sweep's canary findings, gathered per cause (pure). One hub-side
//! cause (the hub bus's policy, the forwarding rule's role, a tag an SCP
//! refuses everywhere) finds every account-region at once: 8,500 of them at
//! 500 accounts x 17 regions. Each account-region's transition is still
//! marked on its own state item (told once: a later sweep with the same
//! findings finds the marks and adds nothing here), but what is told is one
//! alert per cause per sweep: `forwarding_missing` for "no canary arrived",
//! `canary_unwritable` per SSM error code. A genuinely new cause (another
//! code, or a few account-regions newly missing while the rest are fine)
//! is its own alert in the sweep that finds it.
//!
//! No mark is written while an account is run: each finding carries the
//! [`Mark`] that records it told, and the sweep writes the marks only once
//! the alert that tells them is kept in the outbox. A sweep that dies before
//! that leaves them unset, and the next sweep finds and tells them again
//! (at least once, never lost).
//!
//! [`Findings`] merges like the sweep's tally (a fanned-out sweep's accounts
//! each store theirs): counts per OU and per region, and the first
//! [`MAX_ENTRIES`] account-regions by account and region, whatever order
//! the accounts finished in.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Account-regions one cause's alert names; the rest are counted.
pub const MAX_ENTRIES: usize = 50;

/// Codes told apart in one sweep; the rarer ones beyond are told together.
pub const MAX_CAUSES: usize = 10;

/// A code longer than this is not one AWS sends; it is cut.
const CODE_MAX: usize = 64;

/// A detail (an SSM message) longer than this is cut.
const DETAIL_MAX: usize = 512;

/// What an account-region's canary newly says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cause {
    /// No canary arrived within the grace (`forwarding_missing`).
    Missing,
    /// SSM refused the canary with this code (`canary_unwritable`).
    Unwritable(String),
}

/// One account-region's new finding, as the sweep's run of its account
/// made it (its state item not marked yet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub region: String,
    pub cause: Cause,
    /// Missing: when the canary that never came was written (ISO 8601);
    /// unwritable: SSM's message.
    pub detail: String,
    /// What records it told, once its alert is kept.
    pub mark: Mark,
}

/// The conditional write on an account-region's state item that records a
/// finding told: it lands only while the item still says what the finding
/// was made from, so one of two sweeps that found the same marks it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mark {
    /// `canary_missing_since_ms` = `since_ms`, while `token` is the canary
    /// awaited and it has not arrived.
    Missing { token: String, since_ms: i64 },
    /// `canary_unwritable` = `code` (SSM's, uncut), while the item still
    /// says `told` (the refusal told before, or none).
    Unwritable { told: Option<String>, code: String },
}

/// A mark still to write, and where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToMark {
    pub account: String,
    pub region: String,
    pub mark: Mark,
}

/// One account-region an alert names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub account: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ou_path: Option<String>,
    pub region: String,
    /// As in [`Finding::detail`].
    pub detail: String,
}

/// One cause's findings in a sweep.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    pub account_regions: usize,
    /// Accounts with at least one (counted per code when codes are told together).
    pub accounts: usize,
    /// Per OU path (by names; the account id where the path is unknown).
    pub by_ou: BTreeMap<String, usize>,
    pub by_region: BTreeMap<String, usize>,
    /// The first [`MAX_ENTRIES`], by account and region.
    pub entries: Vec<Entry>,
}

impl Group {
    fn merge(&mut self, other: Group) {
        self.account_regions += other.account_regions;
        self.accounts += other.accounts;
        for (k, v) in other.by_ou {
            *self.by_ou.entry(k).or_default() += v;
        }
        for (k, v) in other.by_region {
            *self.by_region.entry(k).or_default() += v;
        }
        self.entries.extend(other.entries);
        self.entries
            .sort_by(|a, b| (&a.account, &a.region).cmp(&(&b.account, &b.region)));
        self.entries.truncate(MAX_ENTRIES);
    }

    /// The only account, when every finding is in one.
    pub fn one_account(&self) -> Option<&Entry> {
        (self.accounts == 1).then(|| self.entries.first()).flatten()
    }

    /// The only account-region, when there is one.
    pub fn one_slot(&self) -> Option<&Entry> {
        (self.account_regions == 1)
            .then(|| self.entries.first())
            .flatten()
    }
}

/// A sweep's findings by cause.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Findings {
    #[serde(default)]
    pub missing: Group,
    /// Per SSM error code.
    #[serde(default)]
    pub unwritable: BTreeMap<String, Group>,
    /// Every finding's mark, not only the first [`MAX_ENTRIES`]' (a
    /// fanned-out sweep's parts store theirs): written once the sweep's
    /// alerts are kept.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub marks: Vec<ToMark>,
}

/// One alert's worth: no canary arrived (`codes` empty), or SSM refused it
/// with these codes (one, or the rarer ones told together), and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Told {
    pub codes: BTreeMap<String, usize>,
    pub group: Group,
}

/// The account an alert is about: its id, name and OU path (by names).
pub struct Account<'a> {
    pub id: &'a str,
    pub name: Option<&'a str>,
    pub ou_path: Option<&'a str>,
}

fn cut(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

impl Findings {
    /// Adds one account's findings (each account once per sweep).
    pub fn add(&mut self, account: &Account<'_>, found: &[Finding]) {
        let mut mine = Findings::default();
        for f in found {
            let group = match &f.cause {
                Cause::Missing => &mut mine.missing,
                Cause::Unwritable(code) => {
                    let code = match cut(code.trim(), CODE_MAX) {
                        c if c.is_empty() => "Unknown".to_string(),
                        c => c,
                    };
                    mine.unwritable.entry(code).or_default()
                }
            };
            group.accounts = 1;
            group.account_regions += 1;
            let ou = account.ou_path.unwrap_or(account.id).to_string();
            *group.by_ou.entry(ou).or_default() += 1;
            *group.by_region.entry(f.region.clone()).or_default() += 1;
            group.entries.push(Entry {
                account: account.id.to_string(),
                name: account.name.map(str::to_string),
                ou_path: account.ou_path.map(str::to_string),
                region: f.region.clone(),
                detail: cut(&f.detail, DETAIL_MAX),
            });
            mine.marks.push(ToMark {
                account: account.id.to_string(),
                region: f.region.clone(),
                mark: f.mark.clone(),
            });
        }
        self.merge(mine);
    }

    pub fn merge(&mut self, other: Findings) {
        self.missing.merge(other.missing);
        for (code, group) in other.unwritable {
            self.unwritable.entry(code).or_default().merge(group);
        }
        self.marks.extend(other.marks);
        self.marks
            .sort_by(|a, b| (&a.account, &a.region).cmp(&(&b.account, &b.region)));
    }

    /// What the sweep tells: one [`Told`] for the missing canaries, one per
    /// code; beyond [`MAX_CAUSES`] codes, the rarer ones (fewest
    /// account-regions, then by code) together in the last.
    pub fn told(&self) -> Vec<Told> {
        let mut out = Vec::new();
        if self.missing.account_regions > 0 {
            out.push(Told {
                codes: BTreeMap::new(),
                group: self.missing.clone(),
            });
        }
        let mut codes: Vec<(&String, &Group)> = self
            .unwritable
            .iter()
            .filter(|(_, g)| g.account_regions > 0)
            .collect();
        codes.sort_by(|a, b| {
            (b.1.account_regions.cmp(&a.1.account_regions)).then_with(|| a.0.cmp(b.0))
        });
        let apart = match codes.len() {
            n if n <= MAX_CAUSES => n,
            _ => MAX_CAUSES - 1,
        };
        let (each, rest) = codes.split_at(apart);
        for (code, group) in each {
            out.push(Told {
                codes: BTreeMap::from([((*code).clone(), group.account_regions)]),
                group: (*group).clone(),
            });
        }
        if !rest.is_empty() {
            let mut together = Told {
                codes: BTreeMap::new(),
                group: Group::default(),
            };
            for (code, group) in rest {
                together
                    .codes
                    .insert((*code).clone(), group.account_regions);
                together.group.merge((*group).clone());
            }
            out.push(together);
        }
        out
    }
}

#[cfg(test)]
#[path = "findings_tests.rs"]
mod tests;

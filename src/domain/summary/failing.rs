//! One page per cause (pure): a sweep's failing set folded into one key
//! that stays while the same misconfiguration persists and changes with it
//! ([`Failing`], beside the outcome it folds, so `remediation_failed` keys
//! an event's failed rows the same way), and what to do about each error
//! code the failed rows carry.

use std::collections::BTreeMap;

use super::{Entry, Tally};
use crate::domain::outcome::Action;

pub use crate::domain::outcome::Failing;

/// A persisting failing set is mailed at most once a day (scheduled sweeps
/// run every six hours).
pub const REMAIL_MS: i64 = 24 * 3600 * 1000;

/// Whether a failing set mailed at `told` (ISO time) was mailed less than
/// [`REMAIL_MS`] before `now_ms`; an unreadable time was not.
fn told_lately(told: Option<&str>, now_ms: i64) -> bool {
    told.and_then(crate::domain::clock::parse_iso)
        .is_some_and(|t| now_ms.saturating_sub(t) < REMAIL_MS)
}

/// What `doctor --account` says to do about each error code the failed
/// entries carry (one line per code, with the accounts to run it for).
pub(super) fn fixes(entries: &[Entry]) -> BTreeMap<String, String> {
    let mut by_code: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for e in entries.iter().filter(|e| e.action == "failed") {
        let code = e.error_code.clone().unwrap_or_else(|| "-".into());
        let accounts = by_code.entry(code).or_default();
        if !accounts.contains(&e.account.as_str()) {
            accounts.push(&e.account);
        }
    }
    by_code
        .into_iter()
        .map(|(code, accounts)| {
            let first = accounts[0];
            let more = match accounts.len() {
                1 => String::new(),
                n => format!(" (and the {} other accounts of its entries)", n - 1),
            };
            let fix = format!(
                "{} Run `runas-guard doctor --account {first}`{more} from on-call's seat: it names the failing check and its fix; then `runas-guard reconcile --account {first} --stack HUB_STACK` retries now.",
                crate::domain::alert::failure_fix(&code)
            );
            (code, fix)
        })
        .collect()
}

impl Tally {
    /// Compares this sweep's failing set with the last whole sweep's:
    /// the same set is a repeat (told below the pager's severity), and a
    /// repeat mailed within [`REMAIL_MS`] before `now_ms` is quiet.
    /// `told` is when the last sweep recorded mailing it.
    pub fn repeat_of(&mut self, last: Option<&str>, told: Option<&str>, now_ms: i64) {
        self.failing_repeat = last.is_some() && last == self.failing.key().as_deref();
        self.failing_told = told.filter(|_| self.failing_repeat).map(str::to_string);
        self.failing_quiet =
            self.failing_repeat && told_lately(self.failing_told.as_deref(), now_ms);
    }

    /// A summary that would only repeat a failing set mailed within the
    /// day: not sent. Anything else that is news (a fix, new drift, a new
    /// failure, a policy type, Security Hub) is told with it.
    pub(super) fn quiet(&self) -> bool {
        let only_failing = self.notable == self.count(Action::Failed);
        self.failing_quiet && only_failing && !self.policy_types.news && !self.security_hub.news()
    }

    /// When the failing set was last mailed, as this sweep records it:
    /// `at` when its summary tells it, the time carried over when quiet,
    /// nothing when nothing fails.
    pub fn failing_told_at(&self, at: &str) -> Option<String> {
        self.failing.key()?;
        match self.quiet() {
            true => self.failing_told.clone(),
            false => Some(at.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(rows: &[(&str, &str, &str)]) -> Failing {
        let mut f = Failing::default();
        for (a, r, code) in rows {
            f.add(a, r, None, Some(code));
        }
        f
    }

    #[test]
    fn the_same_failing_set_keeps_its_key_and_any_change_makes_another() {
        let one = [
            ("111111111111", "eu-west-1", "AccessDenied"),
            ("222222222222", "us-east-1", "AccessDenied"),
        ];
        let key = set(&one).key().unwrap();
        // Whatever order the accounts finished in, however the parts merged.
        let mut merged = set(&one[1..]);
        merged.merge(set(&one[..1]));
        assert_eq!(merged.key().unwrap(), key);
        let reversed: Vec<_> = one.iter().rev().cloned().collect();
        assert_eq!(set(&reversed).key().unwrap(), key);
        for changed in [
            vec![one[0]],
            vec![
                one[0],
                one[1],
                ("333333333333", "eu-west-1", "AccessDenied"),
            ],
            vec![one[0], ("222222222222", "us-east-1", "ThrottlingException")],
            vec![one[0], ("222222222222", "eu-west-1", "AccessDenied")],
        ] {
            assert_ne!(set(&changed).key().unwrap(), key, "{changed:?}");
        }
        let mut doc = Failing::default();
        doc.add(
            "111111111111",
            "eu-west-1",
            Some("SSMRunAs-Dev"),
            Some("AccessDenied"),
        );
        assert_ne!(
            doc.key(),
            set(&one[..1]).key(),
            "another document is another cause"
        );
        assert_eq!(Failing::default().key(), None, "nothing failing: no key");
    }

    #[test]
    fn each_error_code_names_its_fix_and_the_commands_from_the_seat() {
        let entry = |account: &str, code: &str| Entry {
            account: account.into(),
            name: String::new(),
            region: "eu-west-1".into(),
            document: None,
            action: "failed".into(),
            before: String::new(),
            after: "unchanged".into(),
            error_code: Some(code.into()),
            detail: None,
            mode: None,
        };
        let mut fixed = entry("333333333333", "AccessDenied");
        fixed.action = "updated".into();
        let f = fixes(&[
            entry("111111111111", "AccessDenied"),
            entry("222222222222", "AccessDenied"),
            entry("111111111111", "ThrottlingException"),
            fixed,
        ]);
        assert_eq!(f.len(), 2, "{f:?}");
        let denied = &f["AccessDenied"];
        assert!(denied.contains("member role"), "{denied}");
        assert!(
            denied.contains("runas-guard doctor --account 111111111111"),
            "{denied}"
        );
        assert!(denied.contains("and the 1 other accounts"), "{denied}");
        assert!(denied.contains("--stack HUB_STACK"), "{denied}");
        assert!(
            !denied.contains("333333333333"),
            "a row that did not fail names no fix"
        );
        assert!(f["ThrottlingException"].contains("Throttled"));
    }
}

//! Converge one account-region: read, compare, write only if different, read back.
//!
//! Invariant after a successful enforce-mode run: the default version is
//! compliant and is also the latest version. The decision ([`plan`]) is pure;
//! [`reconcile`] executes it against a [`DocumentStore`] and re-observes after
//! every write, so a concurrent editor or a lost race is simply seen on the
//! next round instead of being assumed away.

use serde::Serialize;

use crate::aws::ssm::{DocumentStore, Versions, Written};
use crate::aws::AwsError;
use crate::policy::Mode;
use crate::preferences::{Preferences, PreferencesError, RunAs, MAX_LAYOUTS};

/// Observe-act rounds before we call a region "not converging".
const MAX_ROUNDS: usize = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    None,
    Created,
    Updated,
    DefaultSwitched,
    WouldChange,
    Failed,
    Excluded,
    RegionDisabled,
    AccountSuspended,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::None => "none",
            Action::Created => "created",
            Action::Updated => "updated",
            Action::DefaultSwitched => "default-switched",
            Action::WouldChange => "would-change",
            Action::Failed => "failed",
            Action::Excluded => "excluded",
            Action::RegionDisabled => "region-disabled",
            Action::AccountSuspended => "account-suspended",
        }
    }

    pub fn wrote(self) -> bool {
        matches!(
            self,
            Action::Created | Action::Updated | Action::DefaultSwitched
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReconcileError {
    #[error(transparent)]
    Aws(#[from] AwsError),
    #[error("account {account} region {region}: version {version} of the document cannot be merged: {source}")]
    Content {
        account: String,
        region: String,
        version: String,
        source: PreferencesError,
    },
    #[error("account {account} region {region}: every one of {MAX_LAYOUTS} equivalent layouts of the compliant content already exists as a version")]
    LayoutsExhausted { account: String, region: String },
    #[error("account {account} region {region}: still not compliant after {MAX_ROUNDS} rounds (another writer keeps changing it)")]
    NotConverged { account: String, region: String },
}

impl ReconcileError {
    /// The short code reports and alerts carry.
    pub fn code(&self) -> &str {
        match self {
            ReconcileError::Aws(e) => &e.code,
            ReconcileError::Content { .. } => "UnmergeableDocument",
            ReconcileError::LayoutsExhausted { .. } => "DuplicateDocumentContent",
            ReconcileError::NotConverged { .. } => "NotConverged",
        }
    }
}

/// What one version holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    pub number: String,
    pub prefs: Preferences,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Observed {
    Missing,
    Present { default: Version, latest: Version },
}

impl Observed {
    /// The RunAs a reader would have seen: the wrong one, if any is wrong.
    pub fn run_as(&self, user: &str) -> Option<RunAs> {
        match self {
            Observed::Missing => None,
            Observed::Present { default, latest } => {
                let d = default.prefs.run_as();
                if !d.is_compliant(user) {
                    Some(d)
                } else {
                    Some(latest.prefs.run_as())
                }
            }
        }
    }

    pub fn versions(&self) -> Option<Versions> {
        match self {
            Observed::Missing => None,
            Observed::Present { default, latest } => Some(Versions {
                default: default.number.clone(),
                latest: latest.number.clone(),
            }),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    Nothing,
    Create(Preferences),
    Promote(String),
    Write(Preferences),
}

/// The one place that decides what to do with a document.
pub fn plan(observed: &Observed, user: &str) -> Plan {
    match observed {
        Observed::Missing => Plan::Create(Preferences::aws_default(user)),
        Observed::Present { default, latest } => {
            let latest_ok = latest.prefs.run_as().is_compliant(user);
            if default.number == latest.number && latest_ok {
                Plan::Nothing
            } else if latest_ok {
                // LZA updates without switching the default: adopt its version.
                Plan::Promote(latest.number.clone())
            } else {
                // The latest version is the freshest intent for inputs we do not own.
                Plan::Write(latest.prefs.merged(user))
            }
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct RegionOutcome {
    pub region: String,
    pub action: Action,
    /// `null` when the document did not exist.
    pub before: Option<RunAs>,
    pub after: Option<RunAs>,
    pub versions_before: Option<Versions>,
    /// Default (= latest) version after the run.
    pub version_after: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl RegionOutcome {
    pub fn skipped(region: &str, action: Action, why: Option<String>) -> Self {
        RegionOutcome {
            region: region.into(),
            action,
            before: None,
            after: None,
            versions_before: None,
            version_after: None,
            error_code: None,
            error: why,
        }
    }

    pub fn failed(region: &str, code: &str, error: String) -> Self {
        RegionOutcome {
            error_code: Some(code.into()),
            ..RegionOutcome::skipped(region, Action::Failed, Some(error))
        }
    }

    /// Whether the RunAs a reader saw before this run was wrong.
    pub fn was_noncompliant(&self, user: &str) -> bool {
        self.before.as_ref().is_none_or(|b| !b.is_compliant(user))
    }
}

async fn observe(store: &DocumentStore) -> Result<Observed, ReconcileError> {
    // A document deleted between two calls reads as missing, not as an error.
    let Some(versions) = store.versions().await? else {
        return Ok(Observed::Missing);
    };
    let read = |number: String| async move {
        let Some(content) = store.content(&number).await? else {
            return Ok::<_, ReconcileError>(None);
        };
        let prefs = Preferences::parse(&content).map_err(|source| ReconcileError::Content {
            account: store.account.clone(),
            region: store.region.clone(),
            version: number.clone(),
            source,
        })?;
        Ok(Some(Version { number, prefs }))
    };
    let Some(default) = read(versions.default.clone()).await? else {
        return Ok(Observed::Missing);
    };
    let latest = if versions.latest == versions.default {
        default.clone()
    } else {
        match read(versions.latest).await? {
            Some(v) => v,
            None => return Ok(Observed::Missing),
        }
    };
    Ok(Observed::Present { default, latest })
}

/// Writes `prefs` as a new version and makes it the default. A layout AWS
/// already holds is retried in the next equivalent layout, never changed in meaning.
async fn write_new_version(
    store: &DocumentStore,
    prefs: &Preferences,
) -> Result<(), ReconcileError> {
    for layout in 0..MAX_LAYOUTS {
        match store.update(&prefs.render(layout)).await? {
            Written::Version(v) => {
                store.set_default(&v).await?;
                return Ok(());
            }
            Written::Duplicate => {
                tracing::debug!(account = %store.account, region = %store.region, layout, "layout exists as an older version; trying the next");
            }
            Written::AlreadyExists => unreachable!("update never reports AlreadyExists"),
        }
    }
    Err(ReconcileError::LayoutsExhausted {
        account: store.account.clone(),
        region: store.region.clone(),
    })
}

async fn converge(
    store: &DocumentStore,
    user: &str,
    mode: Mode,
) -> Result<(Observed, Action, Observed), ReconcileError> {
    let first = observe(store).await?;
    let mut action = Action::None;
    let mut current = first.clone();
    for _ in 0..MAX_ROUNDS {
        let step = plan(&current, user);
        if step == Plan::Nothing {
            return Ok((first, action, current));
        }
        if mode == Mode::Audit {
            return Ok((first, Action::WouldChange, current));
        }
        let this = match step {
            Plan::Nothing => unreachable!("handled above"),
            Plan::Create(prefs) => {
                match store.create(&prefs.render(0)).await? {
                    // CreateDocument makes version 1 both latest and default.
                    Written::Version(_) => {}
                    Written::AlreadyExists | Written::Duplicate => {}
                }
                Action::Created
            }
            Plan::Promote(version) => {
                store.set_default(&version).await?;
                Action::DefaultSwitched
            }
            Plan::Write(prefs) => {
                write_new_version(store, &prefs).await?;
                Action::Updated
            }
        };
        // The first write names the run; later rounds only finish the job.
        if action == Action::None {
            action = this;
        }
        current = observe(store).await?;
    }
    Err(ReconcileError::NotConverged {
        account: store.account.clone(),
        region: store.region.clone(),
    })
}

/// Converges one account-region and says what it did. Never panics, never
/// returns early without an outcome: errors become a `failed` outcome.
pub async fn reconcile(store: &DocumentStore, user: &str, mode: Mode) -> RegionOutcome {
    match converge(store, user, mode).await {
        Ok((before, action, after)) => {
            let after_run_as = match (&after, action) {
                // In audit mode "after" is what it would become.
                (_, Action::WouldChange) => Some(RunAs::desired(user)),
                _ => after.run_as(user),
            };
            RegionOutcome {
                region: store.region.clone(),
                action,
                before: before.run_as(user),
                after: after_run_as,
                versions_before: before.versions(),
                version_after: after.versions().map(|v| v.default),
                error_code: None,
                error: None,
            }
        }
        Err(ReconcileError::Aws(e)) if is_region_disabled(&e.code) => RegionOutcome {
            error_code: Some(e.code.clone()),
            ..RegionOutcome::skipped(&store.region, Action::RegionDisabled, Some(e.to_string()))
        },
        Err(e) => RegionOutcome::failed(&store.region, e.code(), e.to_string()),
    }
}

/// Credentials valid elsewhere are refused in a region the account has not
/// opted into; AWS says so with these codes.
pub fn is_region_disabled(code: &str) -> bool {
    matches!(code, "UnrecognizedClientException" | "InvalidClientTokenId")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(n: &str, content: &str) -> Version {
        Version {
            number: n.into(),
            prefs: Preferences::parse(content).unwrap(),
        }
    }

    const GOOD: &str =
        r#"{"inputs":{"s3KeyPrefix":"a","runAsEnabled":true,"runAsDefaultUser":"ops"}}"#;
    const BAD_USER: &str =
        r#"{"inputs":{"s3KeyPrefix":"b","runAsEnabled":true,"runAsDefaultUser":"root"}}"#;
    const STRING_FALSE: &str = r#"{"inputs":{"runAsEnabled":"false","runAsDefaultUser":"ops"}}"#;

    #[test]
    fn plans() {
        let present = |d: Version, l: Version| Observed::Present {
            default: d,
            latest: l,
        };
        assert!(
            matches!(plan(&Observed::Missing, "ops"), Plan::Create(p) if p.run_as().is_compliant("ops"))
        );
        assert_eq!(
            plan(&present(version("1", GOOD), version("1", GOOD)), "ops"),
            Plan::Nothing
        );
        // LZA wrote a compliant latest without switching the default
        assert_eq!(
            plan(&present(version("1", BAD_USER), version("2", GOOD)), "ops"),
            Plan::Promote("2".into())
        );
        assert_eq!(
            plan(
                &present(version("1", STRING_FALSE), version("2", GOOD)),
                "ops"
            ),
            Plan::Promote("2".into())
        );
        // a bad latest that is not the default: write on top of it, keeping its other inputs
        match plan(&present(version("1", GOOD), version("2", BAD_USER)), "ops") {
            Plan::Write(p) => {
                assert!(p.run_as().is_compliant("ops"));
                assert_eq!(p.as_value()["inputs"]["s3KeyPrefix"], "b");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            plan(
                &present(version("3", STRING_FALSE), version("3", STRING_FALSE)),
                "ops"
            ),
            Plan::Write(_)
        ));
        // a different desired user makes a compliant document wrong
        assert!(matches!(
            plan(&present(version("1", GOOD), version("1", GOOD)), "other"),
            Plan::Write(_)
        ));
    }

    #[test]
    fn before_shows_the_wrong_version() {
        let obs = Observed::Present {
            default: version("1", GOOD),
            latest: version("2", BAD_USER),
        };
        assert_eq!(obs.run_as("ops").unwrap().short(), "on/root");
        let obs = Observed::Present {
            default: version("1", STRING_FALSE),
            latest: version("2", GOOD),
        };
        assert_eq!(obs.run_as("ops").unwrap().short(), "off(\"false\")/ops");
        assert_eq!(Observed::Missing.run_as("ops"), None);
    }

    #[test]
    fn action_names() {
        assert_eq!(
            serde_json::to_value(Action::DefaultSwitched).unwrap(),
            "default-switched"
        );
        assert_eq!(Action::AccountSuspended.as_str(), "account-suspended");
        assert!(Action::Created.wrote() && !Action::WouldChange.wrote());
    }
}

//! Where the policy comes from: a file, or an S3 object
//! (`RUNAS_GUARD_POLICY=s3://bucket/key`) re-read at most every refresh
//! interval with a conditional GET, so a policy change needs no rebuild. A
//! new version that does not validate is refused: the last good policy stays
//! in force and the caller alerts `policy_rejected`.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::adapters::aws::policy_object::S3Read;
use crate::domain::policy::Policy;

pub const DEFAULT_REFRESH: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    File(PathBuf),
    S3 { bucket: String, key: String },
}

impl Source {
    /// `s3://bucket/key`, or a file path. The error names what is wrong.
    pub fn parse(s: &str) -> Result<Source, String> {
        let Some(rest) = s.strip_prefix("s3://") else {
            return Ok(Source::File(PathBuf::from(s)));
        };
        let (bucket, key) = rest
            .split_once('/')
            .ok_or_else(|| format!("RUNAS_GUARD_POLICY {s:?}: expected s3://bucket/key"))?;
        let bucket_ok = (3..=63).contains(&bucket.len())
            && bucket
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
        if !bucket_ok {
            return Err(format!(
                "RUNAS_GUARD_POLICY {s:?}: {bucket:?} is not an S3 bucket name"
            ));
        }
        if key.is_empty() || key.len() > 1024 {
            return Err(format!(
                "RUNAS_GUARD_POLICY {s:?}: the object key must be 1 to 1024 characters"
            ));
        }
        Ok(Source::S3 {
            bucket: bucket.into(),
            key: key.into(),
        })
    }

    pub fn describe(&self) -> String {
        match self {
            Source::File(p) => p.display().to_string(),
            Source::S3 { bucket, key } => format!("s3://{bucket}/{key}"),
        }
    }
}

/// What a refresh found.
#[derive(Debug)]
pub enum Refresh {
    /// Not due yet, or the object has not changed (304), or a file source.
    Unchanged,
    /// A new valid policy, now in force; `version` is its ETag (for
    /// [`PolicyStore::refuse`]).
    Updated {
        policy: Arc<Policy>,
        previous: Arc<Policy>,
        version: String,
    },
    /// A new version that does not validate; reported once per version.
    Rejected {
        source: String,
        version: String,
        error: String,
    },
}

struct State {
    current: Arc<Policy>,
    etag: Option<String>,
    checked: Instant,
    /// The ETag of a version already refused (not refused twice).
    refused: Option<String>,
}

pub struct PolicyStore {
    source: Source,
    s3: Option<S3Read>,
    refresh: Duration,
    state: Mutex<State>,
}

/// The newest earlier version of the object that validates, and its id.
async fn newest_valid(
    s3: &S3Read,
    source: &Source,
    bucket: &str,
    key: &str,
) -> Result<(Policy, String), String> {
    let versions = s3.earlier_versions(bucket, key).await?;
    for version in &versions {
        match s3.fetch(bucket, key, None, Some(version)).await {
            Ok(Some((_, text))) => match Policy::parse(&text, &source.describe()) {
                Ok(p) => return Ok((p, version.clone())),
                Err(e) => {
                    tracing::warn!(version, error = %e, "an earlier policy version does not validate either")
                }
            },
            Ok(None) => {}
            Err(e) => tracing::warn!(version, error = %e, "cannot read an earlier policy version"),
        }
    }
    Err(format!(
        "none of its {} earlier version(s) validates",
        versions.len()
    ))
}

/// What a cold start loaded: the store, and the current object it refused
/// when an earlier version had to stand in (to alert `policy_rejected`).
pub struct Loaded {
    pub store: PolicyStore,
    pub refused: Option<Refused>,
}

#[derive(Debug, Clone)]
pub struct Refused {
    pub source: String,
    pub version: String,
    pub error: String,
}

/// What a valid policy still deserves a word about (regions this build does
/// not know, Run As users a node cannot have), in the function's log.
fn log_warnings(policy: &Policy, source: &str) {
    for w in policy.warnings().into_iter().chain(policy.user_warnings()) {
        tracing::warn!(source, warning = %w, "policy accepted with a warning");
    }
}

impl PolicyStore {
    /// Loads the policy (cold start). A broken or missing current object
    /// does not stop the function while an earlier version validates: the
    /// newest valid one is used and the bad one reported. Only no valid
    /// version at all fails, saying what to upload.
    pub async fn load(
        config: &aws_config::SdkConfig,
        source: Source,
        refresh: Duration,
    ) -> Result<Loaded, String> {
        let (policy, s3, etag, refused) = match &source {
            Source::File(path) => (
                Policy::load(path).map_err(|e| e.to_string())?,
                None,
                None,
                None,
            ),
            Source::S3 { bucket, key } => {
                let s3 = S3Read::new(config);
                let current = match s3.fetch(bucket, key, None, None).await {
                    Ok(Some((etag, text))) => match Policy::parse(&text, &source.describe()) {
                        Ok(p) => Ok((p, etag)),
                        Err(e) => Err((Some(etag), e.to_string())),
                    },
                    Ok(None) => Err((None, format!("s3://{bucket}/{key}: no object"))),
                    Err(e) => Err((None, e)),
                };
                match current {
                    Ok((policy, etag)) => (policy, Some(s3), Some(etag), None),
                    Err((etag, error)) => {
                        let (policy, version) = newest_valid(&s3, &source, bucket, key)
                            .await
                            .map_err(|why| {
                                format!("{error}; and {why}: upload a policy that `runas-guard policy check` accepts to s3://{bucket}/{key}")
                            })?;
                        tracing::error!(outcome = "policy_rejected", source = %source.describe(), error = %error, version, "the current policy object is unusable; an earlier version is in force");
                        let refused = Refused {
                            source: source.describe(),
                            version: etag.clone().unwrap_or_else(|| "missing".into()),
                            error,
                        };
                        (policy, Some(s3), etag, Some(refused))
                    }
                }
            }
        };
        log_warnings(&policy, &source.describe());
        let store = PolicyStore {
            source,
            s3,
            refresh,
            state: Mutex::new(State {
                current: Arc::new(policy),
                // The refused object is not refused (and alerted) twice.
                refused: refused.as_ref().and(etag.clone()),
                etag,
                checked: Instant::now(),
            }),
        };
        Ok(Loaded { store, refused })
    }

    /// A new policy that validates but the caller refuses (it names ids the
    /// organization does not have): `previous` is in force again, and this
    /// version is not refused twice.
    pub fn refuse(&self, previous: Arc<Policy>, version: &str) {
        let mut st = self.state.lock().expect("policy lock");
        st.current = previous;
        st.refused = Some(version.to_string());
    }

    /// Where the policy comes from, for messages.
    pub fn describe(&self) -> String {
        self.source.describe()
    }

    pub fn current(&self) -> Arc<Policy> {
        self.state.lock().expect("policy lock").current.clone()
    }

    /// Re-reads an S3 policy when the refresh interval has passed.
    pub async fn refresh(&self) -> Refresh {
        let (Source::S3 { bucket, key }, Some(s3)) = (&self.source, &self.s3) else {
            return Refresh::Unchanged;
        };
        let etag = {
            let mut st = self.state.lock().expect("policy lock");
            if st.checked.elapsed() < self.refresh {
                return Refresh::Unchanged;
            }
            st.checked = Instant::now();
            st.etag.clone()
        };
        let fetched = match s3.fetch(bucket, key, etag.as_deref(), None).await {
            Ok(Some(f)) => f,
            Ok(None) => return Refresh::Unchanged,
            Err(e) => {
                // The policy in force stays; the next refresh tries again.
                tracing::warn!(error = %e, "cannot re-read the policy; the current one stays in force");
                return Refresh::Unchanged;
            }
        };
        let (new_etag, text) = fetched;
        let mut st = self.state.lock().expect("policy lock");
        match Policy::parse(&text, &self.source.describe()) {
            Ok(policy) => {
                log_warnings(&policy, &self.source.describe());
                let policy = Arc::new(policy);
                let previous = std::mem::replace(&mut st.current, policy.clone());
                st.etag = Some(new_etag.clone());
                st.refused = None;
                tracing::info!(source = %self.source.describe(), "new policy in force");
                Refresh::Updated {
                    policy,
                    previous,
                    version: new_etag,
                }
            }
            Err(e) if st.refused.as_deref() != Some(new_etag.as_str()) => {
                st.refused = Some(new_etag.clone());
                tracing::error!(outcome = "policy_rejected", source = %self.source.describe(), error = %e, "new policy refused; the last good one stays in force");
                Refresh::Rejected {
                    source: self.source.describe(),
                    version: new_etag,
                    error: e.to_string(),
                }
            }
            Err(_) => Refresh::Unchanged,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources() {
        assert_eq!(
            Source::parse("/var/task/policy.toml").unwrap(),
            Source::File("/var/task/policy.toml".into())
        );
        assert_eq!(
            Source::parse("s3://runas-guard-policy-1/prod/policy.toml").unwrap(),
            Source::S3 {
                bucket: "runas-guard-policy-1".into(),
                key: "prod/policy.toml".into()
            }
        );
        for bad in [
            "s3://",
            "s3://bucket",
            "s3://Bucket/k",
            "s3://b/k",
            "s3://bucket/",
            "s3://bu_cket/k",
        ] {
            let err = Source::parse(bad).unwrap_err();
            assert!(err.contains("RUNAS_GUARD_POLICY"), "{bad}: {err}");
        }
    }
}

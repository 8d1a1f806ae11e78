//! Where the policy comes from: a file, or an S3 object
//! (`RUNAS_GUARD_POLICY=s3://bucket/key`) re-read at most every refresh
//! interval with a conditional GET, so a policy change needs no rebuild. A
//! new version that does not validate is refused: the last good policy stays
//! in force and the caller alerts `policy_rejected`.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::policy::Policy;

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
    Updated(Arc<Policy>),
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
    s3: Option<aws_sdk_s3::Client>,
    refresh: Duration,
    state: Mutex<State>,
}

/// One fetch: `None` when unchanged since `etag`.
async fn fetch(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    etag: Option<&str>,
) -> Result<Option<(String, String)>, String> {
    let result = s3
        .get_object()
        .bucket(bucket)
        .key(key)
        .set_if_none_match(etag.map(str::to_string))
        .send()
        .await;
    let out = match result {
        Ok(out) => out,
        Err(e) => {
            let not_modified = e.raw_response().is_some_and(|r| r.status().as_u16() == 304);
            if not_modified {
                return Ok(None);
            }
            let err = crate::aws::AwsError::new("GetObject", "hub", "-", &e);
            return Err(format!(
                "s3://{bucket}/{key}: {}: {}",
                err.code, err.message
            ));
        }
    };
    let new_etag = out.e_tag().unwrap_or_default().to_string();
    let bytes = out
        .body
        .collect()
        .await
        .map_err(|e| format!("s3://{bucket}/{key}: cannot read the object: {e}"))?
        .into_bytes();
    let text = String::from_utf8(bytes.to_vec())
        .map_err(|_| format!("s3://{bucket}/{key}: not UTF-8 text"))?;
    Ok(Some((new_etag, text)))
}

/// What a valid policy still deserves a word about (regions this build does
/// not know), in the function's log.
fn log_warnings(policy: &Policy, source: &str) {
    for w in policy.warnings() {
        tracing::warn!(source, warning = %w, "policy accepted with a warning");
    }
}

impl PolicyStore {
    /// Loads the policy (cold start): it must validate.
    pub async fn load(
        config: &aws_config::SdkConfig,
        source: Source,
        refresh: Duration,
    ) -> Result<PolicyStore, String> {
        let (policy, s3, etag) = match &source {
            Source::File(path) => (Policy::load(path).map_err(|e| e.to_string())?, None, None),
            Source::S3 { bucket, key } => {
                // A local endpoint (tests, moto) has no bucket subdomains.
                let s3 = aws_sdk_s3::Client::from_conf(
                    aws_sdk_s3::config::Builder::from(config)
                        .force_path_style(config.endpoint_url().is_some())
                        .build(),
                );
                let (etag, text) = fetch(&s3, bucket, key, None)
                    .await?
                    .ok_or_else(|| format!("s3://{bucket}/{key}: no object"))?;
                let policy = Policy::parse(&text, &source.describe()).map_err(|e| e.to_string())?;
                (policy, Some(s3), Some(etag))
            }
        };
        log_warnings(&policy, &source.describe());
        Ok(PolicyStore {
            source,
            s3,
            refresh,
            state: Mutex::new(State {
                current: Arc::new(policy),
                etag,
                checked: Instant::now(),
                refused: None,
            }),
        })
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
        let fetched = match fetch(s3, bucket, key, etag.as_deref()).await {
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
                st.current = policy.clone();
                st.etag = Some(new_etag);
                st.refused = None;
                tracing::info!(source = %self.source.describe(), "new policy in force");
                Refresh::Updated(policy)
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

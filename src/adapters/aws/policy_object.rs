//! Reading the policy object from S3: the current object (conditional on
//! its ETag), or an earlier version when the current one is unusable. Every
//! read names the account that must own the bucket and refuses objects over
//! a policy's size.

use super::AwsError;

/// A policy object is a few kilobytes; anything this large is not one.
pub const MAX_POLICY_OBJECT_BYTES: i64 = 256 * 1024;

/// How the policy object is read: the client, and the account that must
/// own the bucket (`RUNAS_GUARD_POLICY_BUCKET_OWNER`, which the hub stack
/// sets to its own account): S3 refuses the read if the bucket changed hands.
#[derive(Clone)]
pub struct S3Read {
    client: aws_sdk_s3::Client,
    owner: Option<String>,
}

impl S3Read {
    pub fn new(config: &aws_config::SdkConfig) -> S3Read {
        // A local endpoint (tests, moto) has no bucket subdomains.
        let client = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(config)
                .force_path_style(config.endpoint_url().is_some())
                .build(),
        );
        let owner = std::env::var("RUNAS_GUARD_POLICY_BUCKET_OWNER")
            .ok()
            .filter(|o| !o.trim().is_empty());
        S3Read { client, owner }
    }

    /// One object (the current one, or `version`): `(etag, text)`, or `None`
    /// when unchanged since `etag`.
    pub async fn fetch(
        &self,
        bucket: &str,
        key: &str,
        etag: Option<&str>,
        version: Option<&str>,
    ) -> Result<Option<(String, String)>, String> {
        let shown = match version {
            Some(v) => format!("s3://{bucket}/{key} (version {v})"),
            None => format!("s3://{bucket}/{key}"),
        };
        let result = self
            .client
            .get_object()
            .bucket(bucket)
            .key(key)
            .set_version_id(version.map(str::to_string))
            .set_expected_bucket_owner(self.owner.clone())
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
                let err = AwsError::new("GetObject", "hub", "-", &e);
                return Err(format!("{shown}: {}: {}", err.code, err.message));
            }
        };
        let too_big = |n: i64| {
            format!(
                "{shown}: {n} bytes; a policy object is at most {MAX_POLICY_OBJECT_BYTES} bytes"
            )
        };
        if let Some(n) = out
            .content_length()
            .filter(|n| *n > MAX_POLICY_OBJECT_BYTES)
        {
            return Err(too_big(n));
        }
        let new_etag = out.e_tag().unwrap_or_default().to_string();
        let bytes = out
            .body
            .collect()
            .await
            .map_err(|e| format!("{shown}: cannot read the object: {e}"))?
            .into_bytes();
        if bytes.len() as i64 > MAX_POLICY_OBJECT_BYTES {
            return Err(too_big(bytes.len() as i64));
        }
        let text =
            String::from_utf8(bytes.to_vec()).map_err(|_| format!("{shown}: not UTF-8 text"))?;
        Ok(Some((new_etag, text)))
    }

    /// Earlier versions of the object, newest first (delete markers and the
    /// current version left out).
    pub async fn earlier_versions(&self, bucket: &str, key: &str) -> Result<Vec<String>, String> {
        let mut versions = Vec::new();
        let (mut key_marker, mut version_marker) = (None, None);
        // The SDK has no paginator for this call (two markers); 20 pages of
        // 1,000 versions are far more history than a policy object has.
        for _ in 0..20 {
            let page = self
                .client
                .list_object_versions()
                .bucket(bucket)
                .prefix(key)
                .set_key_marker(key_marker.take())
                .set_version_id_marker(version_marker.take())
                .set_expected_bucket_owner(self.owner.clone())
                .send()
                .await
                .map_err(|e| {
                    let err = AwsError::new("ListObjectVersions", "hub", "-", &e);
                    format!("s3://{bucket}/{key}: {}: {}", err.code, err.message)
                })?;
            for v in page.versions() {
                if v.key() == Some(key) && v.is_latest() != Some(true) {
                    if let (Some(id), Some(at)) = (v.version_id(), v.last_modified()) {
                        versions.push((at.secs(), id.to_string()));
                    }
                }
            }
            if page.is_truncated() != Some(true) {
                break;
            }
            key_marker = page.next_key_marker().map(str::to_string);
            version_marker = page.next_version_id_marker().map(str::to_string);
        }
        versions.sort_by_key(|v| std::cmp::Reverse(v.0));
        Ok(versions.into_iter().map(|(_, id)| id).collect())
    }
}

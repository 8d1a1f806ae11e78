//! The SDK's retry quota, owned by the process's services instead of a
//! static.
//!
//! Each SDK client gates its retries on a token bucket (500 tokens; a retry
//! costs 5, a timeout's 10; a first-try success gives one back), shared by
//! every client of one service and region. By default the SDK keeps those
//! buckets in a process-wide static. A Lambda instance is one process, so in
//! AWS that is one bucket per instance; but two reactors in one process (the
//! simulation's instances, one after another or side by side) shared them,
//! and a storm that drained one instance's quota refused the next one's
//! retries: a schedule depended on what ran before it in the process (an
//! exploration's finding did not replay alone, seed 700088). A quota made
//! with the services keeps the SDK's sharing (per service and region, across
//! the member accounts' clients) and ends with them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use aws_sdk_ssm::config::retry::RetryPartition;

/// One retry bucket per service and region, for every client built with it.
#[derive(Clone, Debug, Default)]
pub struct RetryQuota {
    buckets: Arc<Mutex<HashMap<String, RetryPartition>>>,
}

impl RetryQuota {
    /// The partition (and its bucket) of `service` in `region`, made on
    /// first use; every clone of it draws on the same bucket.
    pub fn partition(&self, service: &str, region: &str) -> RetryPartition {
        let name = format!("{service}-{region}");
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        buckets
            .entry(name.clone())
            .or_insert_with(|| RetryPartition::custom(name).build())
            .clone()
    }

    /// How many buckets this quota holds (its tests count them).
    #[cfg(test)]
    fn len(&self) -> usize {
        self.buckets.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_bucket_per_service_and_region_and_none_shared_between_quotas() {
        let quota = RetryQuota::default();
        assert_eq!(quota.len(), 0);
        let a = quota.partition("ssm", "eu-west-1");
        let b = quota.partition("ssm", "eu-west-1");
        assert_eq!(a, b);
        assert_eq!(quota.len(), 1);
        for (service, region) in [("ssm", "us-east-1"), ("dynamodb", "eu-west-1"), ("", "")] {
            assert_ne!(quota.partition(service, region), a, "{service} {region}");
        }
        assert_eq!(quota.len(), 4);
        // Another process's services (or another simulated instance) start
        // with buckets of their own.
        let other = RetryQuota::default();
        other.partition("ssm", "eu-west-1");
        assert_eq!((other.len(), quota.len()), (1, 4));
    }
}

//! The local Security Hub CSPM (tests/moto_securityhub.py) as the tests
//! drive and read it: a hub enabled or disabled in an account-region, the
//! findings it holds, and the calls it answered.

use serde_json::{json, Value};

use super::{http, World};

/// `BatchImportFindings` and `GetFindings` as a security team's Security
/// Hub holds and counts them.
impl World {
    /// Enables (`enable`) or disables (`disable`) the hub in `account`'s `region`.
    pub fn hub(&self, verb: &str, account: &str, region: &str) {
        let body = json!({"account": account, "region": region}).to_string();
        let (code, out) = http(
            self.moto.port(),
            "POST",
            &format!("/_emulated/securityhub/{verb}"),
            &body,
        );
        assert_eq!(code, 200, "{verb}: {out}");
    }

    /// Every finding the local Security Hub holds in `account`, with its
    /// region. (The organization's management account is swept too.)
    pub fn findings(&self, account: &str) -> Vec<Value> {
        let path = "/_emulated/securityhub/findings";
        let (code, out) = http(self.moto.port(), "GET", path, "");
        assert_eq!(code, 200, "{out}");
        let all = out["findings"].as_array().unwrap();
        all.iter()
            .filter(|f| f["account"] == account)
            .cloned()
            .collect()
    }

    /// `BatchImportFindings` calls so far, in `account`'s regions.
    pub fn imports(&self, account: &str) -> u64 {
        self.hub_calls()["account_regions"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["account"] == account)
            .map(|c| c["BatchImportFindings"].as_u64().unwrap())
            .sum()
    }

    /// `BatchImportFindings` calls so far in one account-region.
    pub fn imports_in(&self, account: &str, region: &str) -> u64 {
        self.hub_calls()["account_regions"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["account"] == account && c["region"] == region)
            .map(|c| c["BatchImportFindings"].as_u64().unwrap())
            .sum()
    }

    pub fn hub_calls(&self) -> Value {
        let (code, out) = http(self.moto.port(), "GET", "/_emulated/securityhub/calls", "");
        assert_eq!(code, 200, "{out}");
        out
    }
}

/// What a security team triages a finding by: its `Compliance.Status`,
/// `RecordState`, `Workflow.Status` and provider severity label.
pub fn triage(f: &Value) -> [Option<&str>; 4] {
    [
        f["Compliance"]["Status"].as_str(),
        f["RecordState"].as_str(),
        f["Workflow"]["Status"].as_str(),
        f["FindingProviderFields"]["Severity"]["Label"].as_str(),
    ]
}

/// [`triage`] of a security event's finding as first sent: `FAILED`,
/// `ACTIVE`, `Workflow` `NEW`, at `severity`.
pub fn open(severity: &str) -> [Option<&str>; 4] {
    [Some("FAILED"), Some("ACTIVE"), Some("NEW"), Some(severity)]
}

//! Reading what the operator gives: an event or policy file (or standard
//! input), bounded in size, and the region flags.

use std::io::Read;

use runas_guard::domain::policy::Policy;
use runas_guard::domain::trigger::{self, EventError, MAX_EVENT_BYTES};

/// Reads at most `limit` bytes + 1, so a huge input is refused without being loaded.
pub(crate) fn read_limited(source: &str, limit: usize, what: &str) -> Result<Vec<u8>, String> {
    let limit = limit as u64 + 1;
    let mut bytes = Vec::new();
    let result = if source == "-" {
        std::io::stdin().lock().take(limit).read_to_end(&mut bytes)
    } else {
        std::fs::File::open(source).and_then(|f| f.take(limit).read_to_end(&mut bytes))
    };
    result.map_err(|e| format!("cannot read {what} {source}: {e}"))?;
    Ok(bytes)
}

pub(crate) fn parse_event(source: &str) -> Result<serde_json::Value, String> {
    let bytes = read_limited(source, MAX_EVENT_BYTES, "event")?;
    trigger::parse_event_bytes(&bytes).map_err(|e: EventError| format!("{source}: {e}"))
}

/// A policy file is small; anything over 1 MiB is not one.
pub(crate) const MAX_POLICY_BYTES: usize = 1024 * 1024;

pub(crate) fn shown_policy(file: &str) -> &str {
    if file == "-" {
        "<stdin>"
    } else {
        file
    }
}

/// A policy file argument, or - for standard input (1 MiB at most).
pub(crate) fn read_policy_arg(file: &str) -> Result<Policy, String> {
    if file == "-" {
        read_limited(file, MAX_POLICY_BYTES, "policy")
            .and_then(|bytes| {
                if bytes.len() > MAX_POLICY_BYTES {
                    return Err("policy <stdin>: larger than 1 MiB".to_string());
                }
                String::from_utf8(bytes).map_err(|_| "policy <stdin>: not UTF-8".to_string())
            })
            .and_then(|text| Policy::parse(&text, "<stdin>").map_err(|e| e.to_string()))
    } else {
        Policy::load(std::path::Path::new(file)).map_err(|e| e.to_string())
    }
}

pub(crate) fn check_regions(regions: &[String]) -> Result<(), String> {
    // A region AWS opened after this build is still a region.
    match regions
        .iter()
        .find(|r| !runas_guard::domain::ids::is_region_name(r))
    {
        Some(bad) => Err(format!("--region {bad:?} is not a region name")),
        None => Ok(()),
    }
}

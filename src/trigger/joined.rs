//! `AccountJoinedOrganization`: AWS documents its `joinedMethod` and
//! `joinedTime` fields but not the whole record, so the account id is read
//! defensively from every place a record can carry it: an `accountId` at any
//! depth of `detail.serviceEventDetails`, and Organizations account ARNs in
//! `resources[]`. None found, or two that disagree, is a rejection that names
//! the fields looked at.

use serde_json::Value;

use super::fields::{field_error, Obj};
use super::{is_account_id, EventError};

/// Where the ids may be, for rejection messages.
const LOOKED_AT: &str = "detail.serviceEventDetails (an accountId at any depth) and resources[] (Organizations account ARNs)";
/// Nesting beyond this is not a CloudTrail record.
const MAX_DEPTH: usize = 8;

/// `(where, account id)` of every account id `value` carries under `path`.
fn in_details(value: &Value, path: &str, depth: usize, out: &mut Vec<(String, String)>) {
    if depth > MAX_DEPTH {
        return;
    }
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                let here = format!("{path}.{key}");
                match v {
                    Value::String(s)
                        if key.eq_ignore_ascii_case("accountId") && is_account_id(s) =>
                    {
                        out.push((here, s.clone()));
                    }
                    _ => in_details(v, &here, depth + 1, out),
                }
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                in_details(v, &format!("{path}[{i}]"), depth + 1, out);
            }
        }
        _ => {}
    }
}

/// The account id of `arn:<partition>:organizations::<management>:account/o-<org>/<id>`.
fn account_of_arn(arn: &str) -> Option<&str> {
    let mut parts = arn.splitn(6, ':');
    let (prefix, _partition, service, region, _owner, resource) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    if prefix != "arn" || service != "organizations" || !region.is_empty() {
        return None;
    }
    let mut segments = resource.split('/');
    match (
        segments.next(),
        segments.next(),
        segments.next(),
        segments.next(),
    ) {
        (Some("account"), Some(org), Some(id), None)
            if org.starts_with("o-") && is_account_id(id) =>
        {
            Some(id)
        }
        _ => None,
    }
}

/// The one account the record names.
pub(super) fn joined_account(root: &Obj<'_>, detail: &Value) -> Result<String, EventError> {
    let mut found = Vec::new();
    if let Some(sed) = detail.get("serviceEventDetails") {
        in_details(sed, "detail.serviceEventDetails", 0, &mut found);
    }
    for (i, r) in root
        .opt_array("resources")?
        .into_iter()
        .flatten()
        .enumerate()
    {
        let arn = match r {
            Value::String(s) => Some(s.as_str()),
            // EventBridge's resources are strings; a CloudTrail-style object
            // names its ARN under `ARN`.
            Value::Object(o) => o.get("ARN").and_then(Value::as_str),
            _ => None,
        };
        if let Some(id) = arn.and_then(account_of_arn) {
            found.push((format!("resources[{i}]"), id.to_string()));
        }
    }
    let mut ids: Vec<&str> = found.iter().map(|(_, id)| id.as_str()).collect();
    ids.sort();
    ids.dedup();
    match ids.as_slice() {
        [one] => Ok(one.to_string()),
        [] => Err(field_error(
            "detail.serviceEventDetails",
            format!("AccountJoinedOrganization names no account: looked in {LOOKED_AT}"),
        )),
        _ => Err(field_error(
            "detail.serviceEventDetails",
            format!(
                "AccountJoinedOrganization names different accounts: {}",
                found
                    .iter()
                    .map(|(at, id)| format!("{at} = {id}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(event: Value) -> Result<String, String> {
        let map = event.as_object().unwrap().clone();
        let root = Obj::root(&map);
        joined_account(&root, &event["detail"]).map_err(|e| e.to_string())
    }

    #[test]
    fn reads_the_account_wherever_a_record_carries_it() {
        let arn = "arn:aws:organizations::123456789012:account/o-abc123defg/210987654399";
        let cases: Vec<(&str, Value, Result<&str, &str>)> = vec![
            ("documented place", json!({"detail": {"serviceEventDetails": {"accountId": "210987654399"}}}), Ok("210987654399")),
            ("nested", json!({"detail": {"serviceEventDetails": {"account": {"accountId": "210987654399"}}}}), Ok("210987654399")),
            ("in a list", json!({"detail": {"serviceEventDetails": {"accounts": [{"AccountId": "210987654399"}]}}}), Ok("210987654399")),
            ("resources only", json!({"resources": [arn], "detail": {}}), Ok("210987654399")),
            ("both agree", json!({"resources": [arn], "detail": {"serviceEventDetails": {"accountId": "210987654399"}}}), Ok("210987654399")),
            ("other account ids are not it", json!({"detail": {"serviceEventDetails": {"managementAccountId": "123456789012", "accountId": "210987654399"}}}), Ok("210987654399")),
            ("none", json!({"resources": ["arn:aws:organizations::123456789012:ou/o-abc123defg/ou-ab12-cd34ef56"], "detail": {"serviceEventDetails": {"joinedMethod": "INVITED"}}}), Err("names no account: looked in detail.serviceEventDetails")),
            ("two disagree", json!({"resources": [arn], "detail": {"serviceEventDetails": {"accountId": "111122223333"}}}), Err("detail.serviceEventDetails.accountId = 111122223333, resources[0] = 210987654399")),
            ("not an id", json!({"detail": {"serviceEventDetails": {"accountId": "21098765439"}}}), Err("names no account")),
            ("hostile arn", json!({"resources": ["arn:aws:organizations::1:account/o-x/210987654399/extra", "arn:aws:iam::210987654399:root"], "detail": {}}), Err("names no account")),
        ];
        for (why, event, want) in cases {
            match (read(event), want) {
                (Ok(got), Ok(w)) => assert_eq!(got, w, "{why}"),
                (Err(e), Err(w)) => assert!(e.contains(w), "{why}: {e}"),
                (got, w) => panic!("{why}: got {got:?}, wanted {w:?}"),
            }
        }
        let mut deep = json!({"accountId": "210987654399"});
        for _ in 0..20 {
            deep = json!({"x": deep});
        }
        assert!(
            read(json!({"detail": {"serviceEventDetails": deep}})).is_err(),
            "depth is bounded"
        );
    }
}

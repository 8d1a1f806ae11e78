//! `AccountJoinedOrganization`: AWS documents its `joinedMethod` and
//! `joinedTime` fields but not the whole record, so the account id is read
//! defensively from every place a record can carry it: an `accountId` at any
//! depth of `detail.serviceEventDetails`, Organizations account ARNs in the
//! CloudTrail record's own `detail.resources[]` (objects with `ARN`,
//! `accountId` and `type`, as CloudTrail writes them: that `accountId` is
//! the resource's owner, the management account, never the joined one) and
//! in the envelope's `resources[]` (strings, as EventBridge writes them).
//! None found, two that disagree, or a place holding something no record
//! holds (another type, an ARN too long or of another partition than the
//! event's) is a rejection that names the fields.

use serde_json::Value;

use super::fields::{field_error, Obj};
use super::{is_account_id, type_name, EventError};

/// Where the ids may be, for rejection messages.
const LOOKED_AT: &str = "detail.serviceEventDetails (an accountId at any depth), detail.resources[].ARN and resources[] (Organizations account ARNs)";
/// Nesting beyond this is not a CloudTrail record.
const MAX_DEPTH: usize = 8;
/// The longest ARN AWS makes (the bound on every ARN an event carries).
const ARN_MAX: usize = 2048;

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

/// `(partition, account id)` of
/// `arn:<partition>:organizations::<management>:account/o-<org>/<id>`.
fn account_of_arn(arn: &str) -> Option<(&str, &str)> {
    let mut parts = arn.splitn(6, ':');
    let (prefix, partition, service, region, _owner, resource) = (
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
            Some((partition, id))
        }
        _ => None,
    }
}

/// The account an ARN at `place` names, if it is an Organizations account
/// ARN; an ARN no record holds is a rejection naming `place`.
fn arn_account(
    place: &str,
    arn: &str,
    partition: Option<&str>,
) -> Result<Option<String>, EventError> {
    let n = arn.chars().count();
    if n > ARN_MAX {
        return Err(field_error(
            place,
            format!("is {n} characters; at most {ARN_MAX} (no real ARN has more)"),
        ));
    }
    match (account_of_arn(arn), partition) {
        (Some((p, _)), Some(want)) if p != want => Err(field_error(
            place,
            format!("is an ARN of partition {p:?}; the event comes from partition {want:?}"),
        )),
        (Some((_, id)), _) => Ok(Some(id.to_string())),
        (None, _) => Ok(None),
    }
}

/// Account ids in a `resources` list at `path`: strings (EventBridge's
/// envelope) or objects whose `ARN` is the resource (CloudTrail's record).
fn in_resources(
    path: &str,
    items: &[Value],
    partition: Option<&str>,
    out: &mut Vec<(String, String)>,
) -> Result<(), EventError> {
    for (i, r) in items.iter().enumerate() {
        let (place, arn) = match r {
            Value::String(s) => (format!("{path}[{i}]"), s.as_str()),
            Value::Object(o) => {
                let place = format!("{path}[{i}].ARN");
                match o.get("ARN") {
                    None | Some(Value::Null) => continue,
                    Some(Value::String(s)) => (place, s.as_str()),
                    Some(other) => {
                        return Err(field_error(
                            &place,
                            format!("expected a string, found {}", type_name(other)),
                        ))
                    }
                }
            }
            other => {
                return Err(field_error(
                    &format!("{path}[{i}]"),
                    format!(
                        "expected an ARN or a resource object, found {}",
                        type_name(other)
                    ),
                ))
            }
        };
        if let Some(id) = arn_account(&place, arn, partition)? {
            out.push((place, id));
        }
    }
    Ok(())
}

/// The one account the record names.
pub(super) fn joined_account(root: &Obj<'_>, detail: &Value) -> Result<String, EventError> {
    // The event's own region says its partition; an ARN of another is no
    // account of this organization.
    let partition = root
        .opt_str("region")?
        .map(crate::domain::ids::partition_for);
    let mut found = Vec::new();
    if let Some(sed) = detail.get("serviceEventDetails") {
        in_details(sed, "detail.serviceEventDetails", 0, &mut found);
    }
    match detail.get("resources") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            in_resources("detail.resources", items, partition, &mut found)?
        }
        Some(other) => {
            return Err(field_error(
                "detail.resources",
                format!("expected an array, found {}", type_name(other)),
            ))
        }
    }
    if let Some(items) = root.opt_array("resources")? {
        in_resources("resources", items, partition, &mut found)?;
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
        let other = "arn:aws:organizations::123456789012:account/o-abc123defg/111122223333";
        let cn = "arn:aws-cn:organizations::123456789012:account/o-abc123defg/210987654399";
        let long = format!(
            "arn:aws:organizations::123456789012:account/o-{}/210987654399",
            "a".repeat(3000)
        );
        // CloudTrail's resource object: its accountId is the owner (the
        // management account), never the account that joined.
        let resource = |arn: &str| json!({"accountId": "123456789012", "type": "AWS::Organizations::Account", "ARN": arn});
        let cases: Vec<(&str, Value, Result<&str, &str>)> = vec![
            ("documented place", json!({"detail": {"serviceEventDetails": {"accountId": "210987654399"}}}), Ok("210987654399")),
            ("nested", json!({"detail": {"serviceEventDetails": {"account": {"accountId": "210987654399"}}}}), Ok("210987654399")),
            ("in a list", json!({"detail": {"serviceEventDetails": {"accounts": [{"AccountId": "210987654399"}]}}}), Ok("210987654399")),
            ("envelope's resources only", json!({"resources": [arn], "detail": {}}), Ok("210987654399")),
            ("the record's own resources only", json!({"region": "us-east-1", "resources": [], "detail": {"resources": [resource(arn)]}}), Ok("210987654399")),
            ("the record's resources beside other kinds", json!({"detail": {"resources": [
                {"accountId": "123456789012", "type": "AWS::Organizations::Organization", "ARN": "arn:aws:organizations::123456789012:organization/o-abc123defg"},
                resource(arn)]}}), Ok("210987654399")),
            ("all three agree", json!({"region": "us-east-1", "resources": [arn], "detail": {"resources": [resource(arn)], "serviceEventDetails": {"accountId": "210987654399"}}}), Ok("210987654399")),
            ("the event's own partition", json!({"region": "cn-north-1", "detail": {"resources": [resource(cn)]}}), Ok("210987654399")),
            ("other account ids are not it", json!({"detail": {"serviceEventDetails": {"managementAccountId": "123456789012", "accountId": "210987654399"}}}), Ok("210987654399")),
            ("a resource's owner is not it", json!({"detail": {"resources": [{"accountId": "210987654399", "type": "AWS::Organizations::Account"}]}}), Err("names no account: looked in detail.serviceEventDetails")),
            ("none", json!({"resources": ["arn:aws:organizations::123456789012:ou/o-abc123defg/ou-ab12-cd34ef56"], "detail": {"serviceEventDetails": {"joinedMethod": "INVITED"}}}), Err("names no account: looked in detail.serviceEventDetails")),
            ("two disagree", json!({"resources": [arn], "detail": {"serviceEventDetails": {"accountId": "111122223333"}}}), Err("detail.serviceEventDetails.accountId = 111122223333, resources[0] = 210987654399")),
            ("the record's resources disagree with its details", json!({"detail": {"resources": [resource(arn)], "serviceEventDetails": {"accountId": "111122223333"}}}), Err("detail.serviceEventDetails.accountId = 111122223333, detail.resources[0].ARN = 210987654399")),
            ("the record and the envelope disagree", json!({"resources": [other], "detail": {"resources": [resource(arn)]}}), Err("detail.resources[0].ARN = 210987654399, resources[0] = 111122223333")),
            ("not an id", json!({"detail": {"serviceEventDetails": {"accountId": "21098765439"}}}), Err("names no account")),
            ("hostile arn", json!({"resources": ["arn:aws:organizations::1:account/o-x/210987654399/extra", "arn:aws:iam::210987654399:root"], "detail": {}}), Err("names no account")),
            ("resources not a list", json!({"detail": {"resources": arn}}), Err("`detail.resources`: expected an array, found a string")),
            ("an item of the wrong type", json!({"detail": {"resources": [42]}}), Err("`detail.resources[0]`: expected an ARN or a resource object, found a number")),
            ("an ARN of the wrong type", json!({"detail": {"resources": [{"ARN": ["x"]}]}}), Err("`detail.resources[0].ARN`: expected a string, found an array")),
            ("an ARN of another partition", json!({"region": "us-east-1", "detail": {"resources": [resource(cn)]}}), Err("`detail.resources[0].ARN`: is an ARN of partition \"aws-cn\"; the event comes from partition \"aws\"")),
            ("the envelope's in another partition", json!({"region": "us-gov-west-1", "resources": [arn], "detail": {}}), Err("`resources[0]`: is an ARN of partition \"aws\"")),
            ("too long", json!({"detail": {"resources": [resource(&long)]}}), Err("`detail.resources[0].ARN`: is 3059 characters; at most 2048")),
            ("envelope's not a list", json!({"resources": {"ARN": arn}, "detail": {}}), Err("`resources`: expected an array")),
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

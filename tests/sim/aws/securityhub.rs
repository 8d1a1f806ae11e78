//! Security Hub CSPM (restJson1), as much as runas-guard calls of it:
//! `BatchImportFindings` (`POST /findings/import`) and `GetFindings`
//! (`POST /findings`), per account and region, each behind the API
//! reference's throttling limits: a token bucket per account, region and
//! operation in virtual time, refused `TooManyRequestsException` (HTTP 429,
//! which the SDK retries) when empty. A hub is off unless enabled
//! (`InvalidAccessException`, as AWS answers). The product never calls
//! `BatchUpdateFindings`: it is not modelled.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};

use super::wire::Answer;

/// `BatchImportFindings`: at most 100 findings a call, 240 KB each
/// (partner guide, "Guidelines for using the BatchImportFindings API").
pub const MAX_PER_CALL: usize = 100;
pub const MAX_FINDING_BYTES: usize = 240 * 1024;
/// `GetFindings` answers at most 100 a page.
pub const MAX_RESULTS: u64 = 100;

/// Requests a second and burst (the API reference's throttling limits,
/// per account per region): `BatchImportFindings` 10 and 30,
/// `GetFindings` 3 and 6.
fn limits(op: &str) -> (f64, f64) {
    match op {
        "BatchImportFindings" => (10.0, 30.0),
        _ => (3.0, 6.0),
    }
}

/// A token bucket in virtual time.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at_ms: i64,
}

#[derive(Default)]
pub struct SecurityHub {
    /// Account-regions where Security Hub CSPM is enabled.
    pub enabled: BTreeSet<(String, String)>,
    /// Each account-region's findings by `Id`, as sent (the JSON text:
    /// 170,000 of them at the largest scale).
    pub findings: BTreeMap<(String, String), BTreeMap<String, String>>,
    buckets: BTreeMap<(String, String, &'static str), Bucket>,
    /// Calls answered by operation, and those refused for the rate.
    pub calls: BTreeMap<String, u64>,
    pub throttled: BTreeMap<String, u64>,
}

/// The operation a restJson1 request names by its path (`None`: not
/// Security Hub's).
pub fn operation(uri: &str) -> Option<&'static str> {
    let path = uri
        .split("://")
        .nth(1)
        .map_or(uri, |rest| rest.find('/').map_or("/", |i| &rest[i..]));
    match path.split('?').next().unwrap_or_default() {
        "/findings/import" => Some("BatchImportFindings"),
        "/findings" => Some("GetFindings"),
        "/findings/batchupdate" => Some("BatchUpdateFindings"),
        _ => None,
    }
}

impl SecurityHub {
    pub fn enable(&mut self, account: &str, region: &str) {
        self.enabled.insert((account.into(), region.into()));
    }

    /// Findings held over every account-region.
    pub fn held(&self) -> usize {
        self.findings.values().map(BTreeMap::len).sum()
    }

    pub fn handle(
        &mut self,
        account: &str,
        region: &str,
        op: &str,
        input: &Value,
        now: i64,
    ) -> Option<Answer> {
        let op = match op {
            "BatchImportFindings" => "BatchImportFindings",
            "GetFindings" => "GetFindings",
            _ => return None,
        };
        *self.calls.entry(op.into()).or_default() += 1;
        if !self.take(account, region, op, now) {
            *self.throttled.entry(op.into()).or_default() += 1;
            return Some(Answer::Error {
                status: 429,
                code: "TooManyRequestsException".into(),
                message: "Rate exceeded".into(),
                body: None,
            });
        }
        let place = (account.to_string(), region.to_string());
        if !self.enabled.contains(&place) {
            return Some(Answer::err(
                "InvalidAccessException",
                &format!("Account {account} is not subscribed to AWS Security Hub"),
            ));
        }
        Some(match op {
            "BatchImportFindings" => self.import(place, input),
            _ => self.get(&place, input),
        })
    }

    /// One token of the account-region's bucket for `op`, if it has one.
    fn take(&mut self, account: &str, region: &str, op: &'static str, now: i64) -> bool {
        let (rate, burst) = limits(op);
        let b = self
            .buckets
            .entry((account.into(), region.into(), op))
            .or_insert(Bucket {
                tokens: burst,
                at_ms: now,
            });
        let elapsed = (now - b.at_ms).max(0) as f64 / 1000.0;
        b.tokens = (b.tokens + elapsed * rate).min(burst);
        b.at_ms = b.at_ms.max(now);
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    fn import(&mut self, place: (String, String), input: &Value) -> Answer {
        let findings = input
            .get("Findings")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if findings.is_empty() || findings.len() > MAX_PER_CALL {
            return Answer::err(
                "InvalidInputException",
                &format!(
                    "Findings: between 1 and {MAX_PER_CALL} findings a call, not {}",
                    findings.len()
                ),
            );
        }
        let mut failed = vec![];
        let held = self.findings.entry(place.clone()).or_default();
        for f in &findings {
            let id = f.get("Id").and_then(Value::as_str).unwrap_or_default();
            let text = f.to_string();
            let refused = if f.get("AwsAccountId").and_then(Value::as_str) != Some(&place.0) {
                // Only the account a finding is about may send it.
                Some((
                    "AccessDeniedException",
                    "The finding's AwsAccountId is not the caller's account",
                ))
            } else if id.is_empty() {
                Some(("InvalidInput", "Id is required"))
            } else if text.len() > MAX_FINDING_BYTES {
                Some(("InvalidInput", "Finding exceeds 240 KB"))
            } else {
                None
            };
            match refused {
                Some((code, message)) => failed.push(json!({
                    "Id": id, "ErrorCode": code, "ErrorMessage": message
                })),
                None => {
                    held.insert(id.to_string(), text);
                }
            }
        }
        Answer::Json(json!({
            "FailedCount": failed.len(),
            "SuccessCount": findings.len() - failed.len(),
            "FailedFindings": failed,
        }))
    }

    fn get(&mut self, place: &(String, String), input: &Value) -> Answer {
        let max = match input.get("MaxResults").map(Value::as_u64) {
            None => MAX_RESULTS,
            Some(Some(n)) if (1..=MAX_RESULTS).contains(&n) => n,
            Some(_) => {
                return Answer::err("InvalidInputException", "MaxResults: between 1 and 100")
            }
        } as usize;
        let start = match input.get("NextToken").and_then(Value::as_str) {
            None | Some("") => 0,
            Some(t) => match t.strip_prefix("from-").and_then(|n| n.parse().ok()) {
                Some(n) => n,
                None => return Answer::err("InvalidInputException", "NextToken is not valid"),
            },
        };
        let filters = input.get("Filters").cloned().unwrap_or(json!({}));
        let empty = BTreeMap::new();
        let held = self.findings.get(place).unwrap_or(&empty);
        let mut matched = held
            .values()
            .filter_map(|text| serde_json::from_str::<Value>(text).ok())
            .filter(|f| matches(&filters, f));
        let page: Vec<Value> = matched.by_ref().skip(start).take(max).collect();
        let mut out = json!({ "Findings": page });
        if matched.next().is_some() {
            out["NextToken"] = json!(format!("from-{}", start + max));
        }
        Answer::Json(out)
    }
}

/// Whether finding `f` passes the string filters runas-guard reads with
/// (`Id`, `ProductArn`, `GeneratorId`, `AwsAccountId`, `Region`): one field's
/// `EQUALS` / `PREFIX` values any of, its `NOT_EQUALS` / `PREFIX_NOT_EQUALS`
/// all of; the fields all of. Another filter matches nothing (a finding,
/// not a pass the product would never get from AWS).
fn matches(filters: &Value, f: &Value) -> bool {
    let Some(fields) = filters.as_object() else {
        return true;
    };
    fields.iter().all(|(field, list)| {
        let value = f.get(field).and_then(Value::as_str).unwrap_or_default();
        let list = list.as_array().cloned().unwrap_or_default();
        let (mut any, mut positive) = (false, false);
        for c in &list {
            let v = c.get("Value").and_then(Value::as_str).unwrap_or_default();
            match c
                .get("Comparison")
                .and_then(Value::as_str)
                .unwrap_or("EQUALS")
            {
                "EQUALS" => (positive, any) = (true, any || value == v),
                "PREFIX" => (positive, any) = (true, any || value.starts_with(v)),
                "NOT_EQUALS" if value == v => return false,
                "PREFIX_NOT_EQUALS" if value.starts_with(v) => return false,
                "NOT_EQUALS" | "PREFIX_NOT_EQUALS" => {}
                _ => return false,
            }
        }
        !positive || any
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(account: &str, id: &str) -> Value {
        json!({"Id": id, "AwsAccountId": account, "ProductArn": format!("arn:aws:securityhub:eu-west-1:{account}:product/{account}/default")})
    }

    #[test]
    fn imports_reads_back_pages_and_throttles() {
        let mut h = SecurityHub::default();
        let (a, r) = ("111111111111", "eu-west-1");
        let url = "GetFindings";
        assert_eq!(
            operation("https://securityhub.eu-west-1.amazonaws.com/findings/import"),
            Some("BatchImportFindings")
        );
        assert_eq!(
            h.handle(a, r, url, &json!({}), 0)
                .and_then(|x| x.code().map(String::from)),
            Some("InvalidAccessException".into())
        );
        h.enable(a, r);
        let fs: Vec<Value> = (0..150)
            .map(|i| finding(a, &format!("runas-guard/{a}/{r}/{i:03}")))
            .chain([finding("222222222222", "theirs")])
            .collect();
        let import = |h: &mut SecurityHub, fs: &[Value], t| {
            h.handle(a, r, "BatchImportFindings", &json!({ "Findings": fs }), t)
        };
        let Some(Answer::Json(v)) = import(&mut h, &fs[100..], 0) else {
            panic!("imported")
        };
        assert_eq!(
            (v["SuccessCount"].as_u64(), v["FailedCount"].as_u64()),
            (Some(50), Some(1))
        );
        assert_eq!(v["FailedFindings"][0]["ErrorCode"], "AccessDeniedException");
        assert!(import(&mut h, &fs[..101], 0)
            .and_then(|x| x.code().map(String::from))
            .is_some());
        import(&mut h, &fs[..100], 0);
        assert_eq!(h.held(), 150);
        let filters =
            json!({"Id": [{"Value": format!("runas-guard/{a}/{r}/"), "Comparison": "PREFIX"}]});
        let (mut token, mut read) = (None::<String>, 0);
        for t in 0.. {
            let mut ask = json!({"Filters": filters, "MaxResults": 100});
            if let Some(tk) = token.take() {
                ask["NextToken"] = json!(tk);
            }
            let Some(Answer::Json(page)) = h.handle(a, r, url, &ask, 1000 * t) else {
                panic!("read")
            };
            read += page["Findings"].as_array().map_or(0, Vec::len);
            token = page["NextToken"].as_str().map(String::from);
            if token.is_none() {
                break;
            }
        }
        assert_eq!(read, 150);
        // GetFindings: a burst of 6, then 429 until a token comes back.
        let at = 100_000;
        let codes: Vec<Option<String>> = (0..7)
            .map(|_| {
                h.handle(a, r, url, &json!({"MaxResults": 1}), at)
                    .and_then(|x| x.code().map(String::from))
            })
            .collect();
        assert!(codes[..6].iter().all(Option::is_none), "{codes:?}");
        assert_eq!(codes[6].as_deref(), Some("TooManyRequestsException"));
        assert!(h
            .handle(a, r, url, &json!({"MaxResults": 1}), at + 334)
            .and_then(|x| x.code().map(String::from))
            .is_none());
        assert_eq!(h.throttled.get("GetFindings"), Some(&1));
    }
}

//! SSM documents and Session Manager's sessions, per account and region,
//! modelled on the API reference (botocore `ssm/2014-11-06`) and the local
//! AWS (moto 5.2.5 with tests/moto_ssm_versions.py, moto_ssm_created_date.py,
//! moto_ssm_sessions.py), never kinder:
//! versions numbered from 1 (a document deleted and made again restarts at
//! 1), default and latest, raw-content `DuplicateDocumentContent` against
//! every version, `UpdateDocument` naming a version that is not the latest
//! refused `InvalidDocumentVersion`, the 1,000-version limit, 50 tags,
//! `CreatedDate` per version, `DescribeSessions` by `State` with
//! `InvokedAfter`/`InvokedBefore` and paging. Every write emits its
//! CloudTrail event (who, when, request and response elements).
//!
//! Beside the model, the ground truth the invariants are checked against:
//! every version ever made (never deleted), its maker and the spans in which
//! it was the default.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::wire::{epoch, iso, Answer};
use super::Who;

pub const VERSION_LIMIT: usize = 1000;
pub const TAG_LIMIT: usize = 50;

#[derive(Debug, Clone)]
pub struct Ver {
    pub content: String,
    pub created_ms: i64,
}

#[derive(Debug, Clone)]
pub struct Doc {
    pub versions: BTreeMap<u32, Ver>,
    pub default: u32,
    pub latest: u32,
    pub created_ms: i64,
    pub tags: BTreeMap<String, String>,
    pub incarnation: u32,
    pub doc_type: String,
}

/// One version as it really was (kept after deletion).
#[derive(Debug, Clone)]
pub struct Truth {
    pub incarnation: u32,
    pub number: u32,
    pub content: String,
    pub maker: String,
    pub made_event: String,
    pub created_ms: i64,
    /// `[from, to)` spans in which it was the default; `to` None: still is.
    pub default_spans: Vec<(i64, Option<i64>)>,
    /// Events that made it the default (id, actor).
    pub defaulted_by: Vec<(String, String)>,
}

#[derive(Debug, Clone)]
pub struct Session {
    pub id: String,
    pub owner: String,
    pub target: String,
    pub start_ms: i64,
    pub end_ms: Option<i64>,
}

/// A CloudTrail record of a write, before EventBridge delivers it.
#[derive(Debug, Clone)]
pub struct Trail {
    pub id: String,
    pub account: String,
    pub region: String,
    pub at_ms: i64,
    pub event: Value,
}

pub type Key = (String, String, String);

#[derive(Default)]
pub struct Ssm {
    pub docs: BTreeMap<Key, Doc>,
    pub truth: BTreeMap<Key, Vec<Truth>>,
    pub sessions: BTreeMap<(String, String), Vec<Session>>,
    pub trail: Vec<Trail>,
    incarnations: u32,
    events: u64,
    /// Calls that may have changed a document (every operation but a read),
    /// from the product or an editor: the checker looks again only then.
    pub writes: u64,
}

fn invalid_document() -> Answer {
    Answer::err("InvalidDocument", "The specified document does not exist.")
}

fn invalid_version() -> Answer {
    Answer::err(
        "InvalidDocumentVersion",
        "The document version is not valid or does not exist.",
    )
}

fn s(v: &Value, k: &str) -> Option<String> {
    v.get(k).and_then(Value::as_str).map(str::to_string)
}

impl Ssm {
    fn doc_key(account: &str, region: &str, name: &str) -> Key {
        (account.into(), region.into(), name.into())
    }

    /// The ground-truth version of `key` now default/latest.
    fn truth_mut(&mut self, key: &Key, incarnation: u32, number: u32) -> Option<&mut Truth> {
        self.truth
            .get_mut(key)?
            .iter_mut()
            .find(|t| t.incarnation == incarnation && t.number == number)
    }

    fn switch_default(&mut self, key: &Key, to: u32, now: i64, event: &str, actor: &str) {
        let Some(doc) = self.docs.get_mut(key) else {
            return;
        };
        let (inc, from) = (doc.incarnation, doc.default);
        doc.default = to;
        if from == to {
            return;
        }
        if let Some(t) = self.truth_mut(key, inc, from) {
            if let Some(span) = t.default_spans.last_mut() {
                span.1.get_or_insert(now);
            }
        }
        if let Some(t) = self.truth_mut(key, inc, to) {
            t.default_spans.push((now, None));
            t.defaulted_by.push((event.into(), actor.into()));
        }
    }

    fn next_event(&mut self) -> String {
        self.events += 1;
        format!("ct-{:08}", self.events)
    }

    #[allow(clippy::too_many_arguments)]
    fn emit(
        &mut self,
        id: String,
        who: &Who,
        account: &str,
        region: &str,
        name: &str,
        now: i64,
        request: Value,
        response: Value,
    ) {
        let event = json!({
            "version": "0",
            "id": format!("eb-{id}"),
            "detail-type": "AWS API Call via CloudTrail",
            "source": "aws.ssm",
            "account": account,
            "time": iso(now).replace(".000Z", "Z"),
            "region": region,
            "resources": [],
            "detail": {
                "eventVersion": "1.09",
                "userIdentity": who.identity(account),
                "eventTime": iso(now).replace(".000Z", "Z"),
                "eventSource": "ssm.amazonaws.com",
                "eventName": name,
                "awsRegion": region,
                "sourceIPAddress": "203.0.113.10",
                "userAgent": "sim",
                "requestParameters": request,
                "responseElements": response,
                "requestID": format!("req-{id}"),
                "eventID": id,
                "readOnly": false,
                "eventType": "AwsApiCall",
                "managementEvent": true,
                "recipientAccountId": account,
                "eventCategory": "Management"
            }
        });
        self.trail.push(Trail {
            id,
            account: account.into(),
            region: region.into(),
            at_ms: now,
            event,
        });
    }

    fn description(doc: &Doc, name: &str, account: &str, version: u32) -> Value {
        json!({
            "Name": name,
            "Owner": account,
            "DocumentVersion": version.to_string(),
            "DefaultVersion": doc.default.to_string(),
            "LatestVersion": doc.latest.to_string(),
            "CreatedDate": epoch(doc.versions.get(&version).map_or(doc.created_ms, |v| v.created_ms)),
            "Status": "Active",
            "DocumentType": doc.doc_type,
            "DocumentFormat": "JSON",
            "SchemaVersion": "1.0",
            "PlatformTypes": ["Windows", "Linux", "MacOS"],
            "HashType": "Sha256",
            "Tags": doc.tags.iter().map(|(k, v)| json!({"Key": k, "Value": v})).collect::<Vec<_>>(),
        })
    }

    /// One SSM operation by `who` (the product through the seam, or an
    /// editor directly). `None`: not modelled.
    pub fn handle(
        &mut self,
        who: &Who,
        account: &str,
        region: &str,
        op: &str,
        input: &Value,
        now: i64,
    ) -> Option<Answer> {
        if !super::read_only(op) {
            self.writes += 1;
        }
        Some(match op {
            "CreateDocument" => self.create(who, account, region, input, now),
            "UpdateDocument" => self.update(who, account, region, input, now),
            "UpdateDocumentDefaultVersion" => self.set_default(who, account, region, input, now),
            "DescribeDocument" => self.describe(account, region, input),
            "GetDocument" => self.get(account, region, input),
            "ListDocumentVersions" => self.list_versions(account, region, input),
            "DeleteDocument" => self.delete(who, account, region, input, now),
            "AddTagsToResource" => self.add_tags(who, account, region, input, now),
            "ListTagsForResource" => {
                let name = s(input, "ResourceId").unwrap_or_default();
                match self.docs.get(&Self::doc_key(account, region, &name)) {
                    None => Answer::err("InvalidResourceId", "The resource ID isn't valid."),
                    Some(d) => Answer::Json(
                        json!({"TagList": d.tags.iter().map(|(k, v)| json!({"Key": k, "Value": v})).collect::<Vec<_>>()}),
                    ),
                }
            }
            "ListDocuments" => self.list_documents(account, region, input),
            "DescribeSessions" => self.describe_sessions(account, region, input, now),
            _ => return None,
        })
    }

    fn create(
        &mut self,
        who: &Who,
        account: &str,
        region: &str,
        input: &Value,
        now: i64,
    ) -> Answer {
        let name = s(input, "Name").unwrap_or_default();
        let content = s(input, "Content").unwrap_or_default();
        let key = Self::doc_key(account, region, &name);
        if self.docs.contains_key(&key) {
            return Answer::err(
                "DocumentAlreadyExists",
                &format!("Document with same name {name} already exists"),
            );
        }
        if serde_json::from_str::<Value>(&content).is_err() {
            return Answer::err(
                "InvalidDocumentContent",
                "The content for the document is not valid.",
            );
        }
        self.incarnations += 1;
        let doc = Doc {
            versions: BTreeMap::from([(
                1,
                Ver {
                    content: content.clone(),
                    created_ms: now,
                },
            )]),
            default: 1,
            latest: 1,
            created_ms: now,
            tags: BTreeMap::new(),
            incarnation: self.incarnations,
            doc_type: s(input, "DocumentType").unwrap_or_else(|| "Command".into()),
        };
        let description = Self::description(&doc, &name, account, 1);
        let id = self.next_event();
        self.truth.entry(key.clone()).or_default().push(Truth {
            incarnation: doc.incarnation,
            number: 1,
            content,
            maker: who.arn.clone(),
            made_event: id.clone(),
            created_ms: now,
            default_spans: vec![(now, None)],
            defaulted_by: vec![(id.clone(), who.arn.clone())],
        });
        self.docs.insert(key, doc);
        self.emit(
            id,
            who,
            account,
            region,
            "CreateDocument",
            now,
            json!({"content": "HIDDEN_DUE_TO_SECURITY_REASONS", "name": name, "documentType": "Session", "documentFormat": "JSON"}),
            json!({"documentDescription": {"name": name, "documentVersion": "1", "latestVersion": "1", "defaultVersion": "1", "documentType": "Session", "status": "Creating"}}),
        );
        Answer::Json(json!({ "DocumentDescription": description }))
    }

    fn update(
        &mut self,
        who: &Who,
        account: &str,
        region: &str,
        input: &Value,
        now: i64,
    ) -> Answer {
        let name = s(input, "Name").unwrap_or_default();
        let content = s(input, "Content").unwrap_or_default();
        let key = Self::doc_key(account, region, &name);
        let Some(doc) = self.docs.get_mut(&key) else {
            return invalid_document();
        };
        match s(input, "DocumentVersion").as_deref() {
            None | Some("$LATEST") => {}
            Some(n) => match n.parse::<u32>() {
                Ok(n) if doc.versions.contains_key(&n) && n == doc.latest => {}
                _ => return invalid_version(),
            },
        }
        if doc.versions.len() >= VERSION_LIMIT {
            return Answer::err(
                "DocumentVersionLimitExceeded",
                "The document has too many versions. Delete one or more document versions and try again.",
            );
        }
        if serde_json::from_str::<Value>(&content).is_err() {
            return Answer::err(
                "InvalidDocumentContent",
                "The content for the document is not valid.",
            );
        }
        if doc.versions.values().any(|v| v.content == content) {
            return Answer::err(
                "DuplicateDocumentContent",
                "The content of the association document matches another document. Change the content of the document and try again.",
            );
        }
        let number = doc
            .versions
            .keys()
            .max()
            .copied()
            .unwrap_or(0)
            .max(doc.latest)
            + 1;
        doc.versions.insert(
            number,
            Ver {
                content: content.clone(),
                created_ms: now,
            },
        );
        doc.latest = number;
        let inc = doc.incarnation;
        let description = Self::description(doc, &name, account, number);
        let default = doc.default;
        let id = self.next_event();
        self.truth.entry(key).or_default().push(Truth {
            incarnation: inc,
            number,
            content,
            maker: who.arn.clone(),
            made_event: id.clone(),
            created_ms: now,
            default_spans: vec![],
            defaulted_by: vec![],
        });
        self.emit(
            id,
            who,
            account,
            region,
            "UpdateDocument",
            now,
            json!({"content": "HIDDEN_DUE_TO_SECURITY_REASONS", "name": name, "documentVersion": s(input, "DocumentVersion").unwrap_or_else(|| "$LATEST".into())}),
            json!({"documentDescription": {"name": name, "documentVersion": number.to_string(), "latestVersion": number.to_string(), "defaultVersion": default.to_string(), "documentType": "Session", "status": "Updating"}}),
        );
        Answer::Json(json!({ "DocumentDescription": description }))
    }

    fn set_default(
        &mut self,
        who: &Who,
        account: &str,
        region: &str,
        input: &Value,
        now: i64,
    ) -> Answer {
        let name = s(input, "Name").unwrap_or_default();
        let key = Self::doc_key(account, region, &name);
        let Some(doc) = self.docs.get(&key) else {
            return invalid_document();
        };
        let Some(n) = s(input, "DocumentVersion")
            .and_then(|v| v.parse::<u32>().ok())
            .filter(|n| doc.versions.contains_key(n))
        else {
            return invalid_version();
        };
        let id = self.next_event();
        self.switch_default(&key, n, now, &id, &who.arn);
        self.emit(
            id,
            who,
            account,
            region,
            "UpdateDocumentDefaultVersion",
            now,
            json!({"name": name, "documentVersion": n.to_string()}),
            json!({"description": {"name": name, "defaultVersion": n.to_string()}}),
        );
        Answer::Json(json!({"Description": {"Name": name, "DefaultVersion": n.to_string()}}))
    }

    fn version_of(doc: &Doc, input: &Value) -> Result<u32, Answer> {
        match s(input, "DocumentVersion").as_deref() {
            None | Some("$DEFAULT") => Ok(doc.default),
            Some("$LATEST") => Ok(doc.latest),
            Some(n) => n
                .parse::<u32>()
                .ok()
                .filter(|n| doc.versions.contains_key(n))
                .ok_or_else(invalid_version),
        }
    }

    fn describe(&self, account: &str, region: &str, input: &Value) -> Answer {
        let name = s(input, "Name").unwrap_or_default();
        let Some(doc) = self.docs.get(&Self::doc_key(account, region, &name)) else {
            return invalid_document();
        };
        match Self::version_of(doc, input) {
            Err(e) => e,
            Ok(n) => Answer::Json(json!({"Document": Self::description(doc, &name, account, n)})),
        }
    }

    fn get(&self, account: &str, region: &str, input: &Value) -> Answer {
        let name = s(input, "Name").unwrap_or_default();
        let Some(doc) = self.docs.get(&Self::doc_key(account, region, &name)) else {
            return invalid_document();
        };
        match Self::version_of(doc, input) {
            Err(e) => e,
            Ok(n) => {
                let v = &doc.versions[&n];
                Answer::Json(json!({
                    "Name": name,
                    "DocumentVersion": n.to_string(),
                    "Content": v.content,
                    "CreatedDate": epoch(v.created_ms),
                    "DocumentType": doc.doc_type,
                    "DocumentFormat": "JSON",
                    "Status": "Active",
                }))
            }
        }
    }

    fn list_versions(&self, account: &str, region: &str, input: &Value) -> Answer {
        let name = s(input, "Name").unwrap_or_default();
        let Some(doc) = self.docs.get(&Self::doc_key(account, region, &name)) else {
            return invalid_document();
        };
        let max = input
            .get("MaxResults")
            .and_then(Value::as_u64)
            .unwrap_or(50);
        if !(1..=50).contains(&max) {
            return Answer::err("ValidationException", "MaxResults must be between 1 and 50");
        }
        // Newest first; the token is the number to continue below.
        let start = match s(input, "NextToken") {
            None => u32::MAX,
            Some(t) => match t.strip_prefix("v").and_then(|n| n.parse::<u32>().ok()) {
                Some(n) => n,
                None => return Answer::err("InvalidNextToken", "The specified token isn't valid."),
            },
        };
        let listed: Vec<u32> = doc
            .versions
            .keys()
            .rev()
            .copied()
            .filter(|n| *n < start)
            .collect();
        let page: Vec<Value> = listed
            .iter()
            .take(max as usize)
            .map(|n| {
                json!({
                    "Name": name,
                    "DocumentVersion": n.to_string(),
                    "CreatedDate": epoch(doc.versions[n].created_ms),
                    "IsDefaultVersion": *n == doc.default,
                    "DocumentFormat": "JSON",
                    "Status": "Active",
                })
            })
            .collect();
        let mut out = json!({"DocumentVersions": page});
        if listed.len() > max as usize {
            out["NextToken"] = json!(format!("v{}", listed[max as usize - 1]));
        }
        Answer::Json(out)
    }

    fn delete(
        &mut self,
        who: &Who,
        account: &str,
        region: &str,
        input: &Value,
        now: i64,
    ) -> Answer {
        let name = s(input, "Name").unwrap_or_default();
        let key = Self::doc_key(account, region, &name);
        let Some(doc) = self.docs.get_mut(&key) else {
            return invalid_document();
        };
        let version = s(input, "DocumentVersion");
        match &version {
            Some(v) => {
                // DeleteDocument's errors (API reference) have no
                // InvalidDocumentVersion: a version it lacks is InvalidDocument.
                let Some(n) = v
                    .parse::<u32>()
                    .ok()
                    .filter(|n| doc.versions.contains_key(n))
                else {
                    return invalid_document();
                };
                if n == doc.default || n == doc.latest {
                    return Answer::err(
                        "InvalidDocumentOperation",
                        "You can't delete the default or latest version of a document.",
                    );
                }
                doc.versions.remove(&n);
            }
            None => {
                let (inc, default) = (doc.incarnation, doc.default);
                self.docs.remove(&key);
                if let Some(t) = self.truth_mut(&key, inc, default) {
                    if let Some(span) = t.default_spans.last_mut() {
                        span.1.get_or_insert(now);
                    }
                }
            }
        }
        let id = self.next_event();
        let mut request = json!({"name": name});
        if let Some(v) = version {
            request["documentVersion"] = json!(v);
        }
        self.emit(
            id,
            who,
            account,
            region,
            "DeleteDocument",
            now,
            request,
            Value::Null,
        );
        Answer::Json(json!({}))
    }

    fn add_tags(
        &mut self,
        who: &Who,
        account: &str,
        region: &str,
        input: &Value,
        now: i64,
    ) -> Answer {
        let name = s(input, "ResourceId").unwrap_or_default();
        if s(input, "ResourceType").as_deref() != Some("Document") {
            return Answer::err("InvalidResourceType", "only documents are modelled");
        }
        let key = Self::doc_key(account, region, &name);
        let Some(doc) = self.docs.get_mut(&key) else {
            return Answer::err("InvalidResourceId", "The resource ID isn't valid. Verify that you entered the correct ID and try again.");
        };
        let tags: Vec<(String, String)> = input
            .get("Tags")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .map(|t| {
                        (
                            s(t, "Key").unwrap_or_default(),
                            s(t, "Value").unwrap_or_default(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        let mut after = doc.tags.clone();
        after.extend(tags.iter().cloned());
        if after.len() > TAG_LIMIT {
            return Answer::err("TooManyTagsError", "The Targets parameter includes too many tags. Remove one or more tags and try the command again.");
        }
        doc.tags = after;
        let id = self.next_event();
        self.emit(
            id,
            who,
            account,
            region,
            "AddTagsToResource",
            now,
            json!({"resourceType": "Document", "resourceId": name, "tags": tags.iter().map(|(k, v)| json!({"key": k, "value": v})).collect::<Vec<_>>()}),
            Value::Null,
        );
        Answer::Json(json!({}))
    }

    fn list_documents(&self, account: &str, region: &str, input: &Value) -> Answer {
        let filters = input
            .get("Filters")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let wants_type = filters
            .iter()
            .find(|f| f.get("Key").and_then(Value::as_str) == Some("DocumentType"))
            .and_then(|f| f["Values"][0].as_str().map(str::to_string));
        let ids: Vec<Value> = self
            .docs
            .iter()
            .filter(|((a, r, _), d)| a == account && r == region && wants_type.as_ref().is_none_or(|t| *t == d.doc_type))
            .map(|((_, _, name), d)| {
                json!({"Name": name, "Owner": account, "DocumentType": d.doc_type, "DocumentVersion": d.default.to_string(), "DocumentFormat": "JSON", "SchemaVersion": "1.0"})
            })
            .collect();
        if input.get("NextToken").is_some() {
            return Answer::err("InvalidNextToken", "The specified token isn't valid.");
        }
        Answer::Json(json!({ "DocumentIdentifiers": ids }))
    }

    fn describe_sessions(&self, account: &str, region: &str, input: &Value, now: i64) -> Answer {
        let state = s(input, "State");
        let active = match state.as_deref() {
            Some("Active") => true,
            Some("History") => false,
            _ => return Answer::err("ValidationException", "State must be Active or History"),
        };
        let max = input
            .get("MaxResults")
            .and_then(Value::as_u64)
            .unwrap_or(20);
        if !(1..=200).contains(&max) {
            return Answer::err(
                "ValidationException",
                "MaxResults must be between 1 and 200",
            );
        }
        let mut after = i64::MIN;
        let mut before = i64::MAX;
        for f in input
            .get("Filters")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
        {
            let value = s(&f, "value")
                .or_else(|| s(&f, "Value"))
                .unwrap_or_default();
            let key = s(&f, "key").or_else(|| s(&f, "Key")).unwrap_or_default();
            let Some(ms) = runas_guard::domain::clock::parse_iso(&value) else {
                return Answer::err(
                    "ValidationException",
                    &format!("filter {key} value {value:?} is not a time"),
                );
            };
            match key.as_str() {
                "InvokedAfter" => after = ms,
                "InvokedBefore" => before = ms,
                other => {
                    return Answer::err("InvalidFilterKey", &format!("{other} is not modelled"))
                }
            }
        }
        let start = match s(input, "NextToken") {
            None => 0usize,
            Some(t) => match t.strip_prefix("s").and_then(|n| n.parse().ok()) {
                Some(n) => n,
                None => return Answer::err("InvalidNextToken", "The specified token isn't valid."),
            },
        };
        let empty = vec![];
        let all: Vec<&Session> = self
            .sessions
            .get(&(account.to_string(), region.to_string()))
            .unwrap_or(&empty)
            .iter()
            .filter(|x| {
                x.end_ms.is_none_or(|e| e > now) == active
                    && x.start_ms <= now
                    && x.start_ms >= after
                    && x.start_ms < before
            })
            .collect();
        let page: Vec<Value> = all
            .iter()
            .skip(start)
            .take(max as usize)
            .map(|x| {
                let mut v = json!({
                    "SessionId": x.id, "Target": x.target, "Owner": x.owner,
                    "Status": if x.end_ms.is_some_and(|e| e <= now) { "Terminated" } else { "Connected" },
                    "StartDate": epoch(x.start_ms), "DocumentName": "SSM-SessionManagerRunShell",
                    "AccessType": "Standard",
                });
                if let Some(e) = x.end_ms.filter(|e| *e <= now) {
                    v["EndDate"] = epoch(e);
                }
                v
            })
            .collect();
        let mut out = json!({"Sessions": page});
        if all.len() > start + max as usize {
            out["NextToken"] = json!(format!("s{}", start + max as usize));
        }
        Answer::Json(out)
    }
}

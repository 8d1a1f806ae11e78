//! What crosses the seam: an SDK request read the way AWS reads it (the
//! SigV4 credential scope names the key, region and service; `X-Amz-Target`
//! or the form's `Action` or the REST path names the operation), and an
//! answer written in the service's own protocol (awsJson, awsQuery XML,
//! restJson1), errors included.

use serde_json::{json, Map, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// awsJson 1.0 / 1.1: SSM, DynamoDB, Organizations, SQS.
    Json,
    /// awsQuery: STS, SNS (form body, XML answer).
    Query,
    /// restJson1: Security Hub.
    Rest,
}

#[derive(Debug, Clone)]
pub struct Call {
    pub access_key: String,
    pub region: String,
    pub service: String,
    pub protocol: Protocol,
    pub op: String,
    /// The JSON body; for awsQuery, the form's fields as an object of strings.
    pub input: Value,
}

/// What a simulated service answers.
#[derive(Debug, Clone)]
pub enum Answer {
    Json(Value),
    Xml(String),
    Error {
        status: u16,
        code: String,
        message: String,
        /// awsJson bodies with more than `__type` and `message`
        /// (DynamoDB's cancellation reasons, the item of a failed condition).
        body: Option<Value>,
    },
}

impl Answer {
    pub fn err(code: &str, message: &str) -> Answer {
        Answer::Error {
            status: 400,
            code: code.into(),
            message: message.into(),
            body: None,
        }
    }

    pub fn server(code: &str) -> Answer {
        Answer::Error {
            status: 500,
            code: code.into(),
            message: "We encountered an internal error. Please try again.".into(),
            body: None,
        }
    }

    pub fn code(&self) -> Option<&str> {
        match self {
            Answer::Error { code, .. } => Some(code),
            _ => None,
        }
    }
}

pub fn parse(headers: &[(String, String)], path: &str, body: &[u8]) -> Result<Call, String> {
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    let auth = header("authorization").ok_or("request is not signed")?;
    let scope = auth
        .split("Credential=")
        .nth(1)
        .and_then(|s| s.split(',').next())
        .ok_or_else(|| format!("no credential scope in {auth:?}"))?;
    let parts: Vec<&str> = scope.split('/').collect();
    if parts.len() != 5 {
        return Err(format!(
            "credential scope {scope:?} is not KEY/DATE/REGION/SERVICE/aws4_request"
        ));
    }
    let (access_key, region, service) = (parts[0], parts[2], parts[3]);
    let text = std::str::from_utf8(body).map_err(|e| e.to_string())?;
    let (protocol, op, input) = if let Some(target) = header("x-amz-target") {
        let op = target.rsplit('.').next().unwrap_or(target).to_string();
        let input = if text.is_empty() {
            json!({})
        } else {
            serde_json::from_str(text).map_err(|e| format!("{op}: body is not JSON: {e}"))?
        };
        (Protocol::Json, op, input)
    } else if header("content-type")
        .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"))
    {
        let form = form_decode(text);
        let op = form
            .get("Action")
            .and_then(Value::as_str)
            .ok_or("form without Action")?
            .to_string();
        (Protocol::Query, op, Value::Object(form))
    } else {
        let input = if text.is_empty() {
            json!({})
        } else {
            serde_json::from_str(text).unwrap_or(json!({}))
        };
        let op = super::securityhub::operation(path).map_or(path.to_string(), String::from);
        (Protocol::Rest, op, input)
    };
    Ok(Call {
        access_key: access_key.into(),
        region: region.into(),
        service: service.into(),
        protocol,
        op,
        input,
    })
}

fn form_decode(text: &str) -> Map<String, Value> {
    let mut out = Map::new();
    for pair in text.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        out.insert(percent_decode(k), Value::String(percent_decode(v)));
    }
    out
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(v) => {
                        out.push(v);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The HTTP answer: status, content type, body.
pub fn encode(protocol: Protocol, service: &str, answer: &Answer) -> (u16, &'static str, String) {
    let json_type = if service == "dynamodb" || service == "sqs" {
        "application/x-amz-json-1.0"
    } else {
        "application/x-amz-json-1.1"
    };
    match (protocol, answer) {
        (Protocol::Json, Answer::Json(v)) => (200, json_type, v.to_string()),
        (Protocol::Rest, Answer::Json(v)) => (200, "application/json", v.to_string()),
        (_, Answer::Xml(x)) => (200, "text/xml", x.clone()),
        (Protocol::Json | Protocol::Rest, Answer::Error { status, code, message, body }) => {
            let mut b = body.clone().unwrap_or_else(|| json!({}));
            if let Some(o) = b.as_object_mut() {
                o.insert("__type".into(), json!(code));
                o.entry("message").or_insert(json!(message));
            }
            let ct = if protocol == Protocol::Rest { "application/json" } else { json_type };
            (*status, ct, b.to_string())
        }
        (Protocol::Query, Answer::Error { status, code, message, .. }) => (
            *status,
            "text/xml",
            format!(
                "<ErrorResponse><Error><Type>{}</Type><Code>{}</Code><Message>{}</Message></Error><RequestId>sim</RequestId></ErrorResponse>",
                if *status >= 500 { "Receiver" } else { "Sender" },
                xml_escape(code),
                xml_escape(message)
            ),
        ),
        (Protocol::Query, Answer::Json(_)) => (500, "text/xml", "<ErrorResponse/>".into()),
    }
}

pub fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Epoch seconds as awsJson writes timestamps.
pub fn epoch(ms: i64) -> Value {
    json!(ms as f64 / 1000.0)
}

/// `2026-11-26T09:00:00Z` as awsQuery writes timestamps.
pub fn iso(ms: i64) -> String {
    runas_guard::domain::clock::iso(runas_guard::domain::clock::from_millis(ms))
}

#[cfg(test)]
mod tests {
    #[test]
    fn decodes_forms() {
        assert_eq!(super::percent_decode("a%20b+c%2B%3D"), "a b c+=");
    }
}

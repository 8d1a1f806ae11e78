//! STS: `AssumeRole` into a role that exists in the account's simulated IAM
//! (the member role exists only once the member stack landed there),
//! `GetCallerIdentity`. Each session's access key encodes its account and
//! a serial, so every later call is attributed to it (its `Who`). awsQuery,
//! XML answers (API reference, `AssumeRoleResponse`).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::wire::{iso, xml_escape, Answer};
use super::Who;

#[derive(Default)]
pub struct Sts {
    /// access key -> (account, who).
    pub keys: BTreeMap<String, (String, Who)>,
    /// account -> role names in its IAM.
    pub roles: BTreeMap<String, BTreeSet<String>>,
    serial: u64,
}

impl Sts {
    pub fn handle(
        &mut self,
        caller: &(String, Who),
        op: &str,
        input: &Value,
        now: i64,
    ) -> Option<Answer> {
        let f = |k: &str| {
            input
                .get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        Some(match op {
            "GetCallerIdentity" => Answer::Xml(format!(
                "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult><Arn>{}</Arn><UserId>AIDASIM:{}</UserId><Account>{}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>sim</RequestId></ResponseMetadata></GetCallerIdentityResponse>",
                xml_escape(&caller.1.arn), caller.0, caller.0
            )),
            "AssumeRole" => {
                let arn = f("RoleArn");
                let session = f("RoleSessionName");
                let Some((account, role)) = arn
                    .strip_prefix("arn:aws:iam::")
                    .and_then(|r| r.split_once(":role/"))
                    .map(|(a, r)| (a.to_string(), r.rsplit('/').next().unwrap_or(r).to_string()))
                else {
                    return Some(Answer::err("ValidationError", "RoleArn is not a role ARN"));
                };
                if session.len() < 2 || session.len() > 64 {
                    return Some(Answer::err("ValidationError", "RoleSessionName must be 2 to 64 characters"));
                }
                if !self.roles.get(&account).is_some_and(|r| r.contains(&role)) {
                    return Some(Answer::err(
                        "AccessDenied",
                        &format!("User: {} is not authorized to perform: sts:AssumeRole on resource: {arn}", caller.1.arn),
                    ));
                }
                self.serial += 1;
                let key = format!("ASIA{account}{:08}", self.serial);
                let who = Who::assumed(&account, &role, &session);
                self.keys.insert(key.clone(), (account.clone(), who.clone()));
                let seconds: i64 = f("DurationSeconds").parse().unwrap_or(3600);
                Answer::Xml(format!(
                    "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><AssumeRoleResult><Credentials><AccessKeyId>{key}</AccessKeyId><SecretAccessKey>sim-secret</SecretAccessKey><SessionToken>sim-token-{key}</SessionToken><Expiration>{}</Expiration></Credentials><AssumedRoleUser><AssumedRoleId>AROASIM:{}</AssumedRoleId><Arn>{}</Arn></AssumedRoleUser><PackedPolicySize>40</PackedPolicySize></AssumeRoleResult><ResponseMetadata><RequestId>sim</RequestId></ResponseMetadata></AssumeRoleResponse>",
                    iso(now + seconds * 1000).replace(".000Z", "Z"),
                    xml_escape(&session),
                    xml_escape(&who.arn)
                ))
            }
            _ => return None,
        })
    }
}

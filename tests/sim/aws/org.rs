//! Organizations: the tree (a root, nested OUs), accounts with `State`,
//! `JoinedTimestamp` (a new one for each life: AWS gives a rejoined account
//! a new one everywhere) and `Paths` (API model of 2026-03-31; no retired
//! `Status`), answered only to the management account. awsJson 1.1.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::wire::{epoch, Answer};

pub const ORG: &str = "o-sim0000001";
pub const ROOT: &str = "r-sim0";

#[derive(Debug, Clone)]
pub struct Ou {
    pub name: String,
    pub parent: String,
}

#[derive(Debug, Clone)]
pub struct Account {
    pub name: String,
    pub parent: String,
    pub state: String,
    pub joined_ms: i64,
    /// In the organization now (a departed account keeps its record here).
    pub member: bool,
}

#[derive(Default)]
pub struct Org {
    pub management: String,
    pub ous: BTreeMap<String, Ou>,
    pub accounts: BTreeMap<String, Account>,
}

impl Org {
    /// `o-…/r-…/ou-…/…/` down to `id` (an OU or an account), itself last.
    pub fn path(&self, id: &str) -> String {
        let mut chain = vec![id.to_string()];
        let mut parent = match self.accounts.get(id) {
            Some(a) => a.parent.clone(),
            None => self
                .ous
                .get(id)
                .map(|o| o.parent.clone())
                .unwrap_or_default(),
        };
        while parent != ROOT && !parent.is_empty() {
            chain.push(parent.clone());
            parent = self
                .ous
                .get(&parent)
                .map(|o| o.parent.clone())
                .unwrap_or_default();
        }
        chain.push(ROOT.into());
        chain.push(ORG.into());
        chain.reverse();
        format!("{}/", chain.join("/"))
    }

    fn account_json(&self, id: &str, a: &Account) -> Value {
        json!({
            "Id": id,
            "Arn": format!("arn:aws:organizations::{}:account/{ORG}/{id}", self.management),
            "Email": format!("{id}@example.com"),
            "Name": a.name,
            "State": a.state,
            "JoinedMethod": if id == self.management { "CREATED" } else { "INVITED" },
            "JoinedTimestamp": epoch(a.joined_ms),
            "Paths": [self.path(id)],
        })
    }

    fn ou_json(&self, id: &str, o: &Ou) -> Value {
        json!({"Id": id, "Arn": format!("arn:aws:organizations::{}:ou/{ORG}/{id}", self.management), "Name": o.name, "Path": self.path(id)})
    }

    pub fn handle(&self, caller: &str, op: &str, input: &Value) -> Option<Answer> {
        if caller != self.management {
            return Some(Answer::err(
                "AccessDeniedException",
                "You don't have permissions to access this resource.",
            ));
        }
        let f = |k: &str| {
            input
                .get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let members = || self.accounts.iter().filter(|(_, a)| a.member);
        Some(match op {
            "DescribeOrganization" => Answer::Json(json!({"Organization": {
                "Id": ORG, "Arn": format!("arn:aws:organizations::{}:organization/{ORG}", self.management),
                "FeatureSet": "ALL", "MasterAccountId": self.management,
                "MasterAccountArn": format!("arn:aws:organizations::{}:account/{ORG}/{}", self.management, self.management),
                "MasterAccountEmail": "management@example.com"}})),
            "ListRoots" => Answer::Json(
                json!({"Roots": [{"Id": ROOT, "Arn": format!("arn:aws:organizations::{}:root/{ORG}/{ROOT}", self.management), "Name": "Root", "PolicyTypes": []}]}),
            ),
            "ListOrganizationalUnitsForParent" => {
                let parent = f("ParentId");
                if parent != ROOT && !self.ous.contains_key(&parent) {
                    return Some(Answer::err(
                        "ParentNotFoundException",
                        "We can't find a root or OU with the ParentId that you specified.",
                    ));
                }
                let ous: Vec<Value> = self
                    .ous
                    .iter()
                    .filter(|(_, o)| o.parent == parent)
                    .map(|(id, o)| self.ou_json(id, o))
                    .collect();
                paged("OrganizationalUnits", ous, input)
            }
            "ListAccountsForParent" => {
                let parent = f("ParentId");
                if parent != ROOT && !self.ous.contains_key(&parent) {
                    return Some(Answer::err(
                        "ParentNotFoundException",
                        "We can't find a root or OU with the ParentId that you specified.",
                    ));
                }
                let accounts: Vec<Value> = members()
                    .filter(|(_, a)| a.parent == parent)
                    .map(|(id, a)| self.account_json(id, a))
                    .collect();
                paged("Accounts", accounts, input)
            }
            "ListAccounts" => Answer::Json(
                json!({"Accounts": members().map(|(id, a)| self.account_json(id, a)).collect::<Vec<_>>()}),
            ),
            "DescribeAccount" => match self.accounts.get(&f("AccountId")).filter(|a| a.member) {
                Some(a) => Answer::Json(json!({"Account": self.account_json(&f("AccountId"), a)})),
                None => Answer::err(
                    "AccountNotFoundException",
                    "You specified an account that doesn't exist.",
                ),
            },
            "DescribeOrganizationalUnit" => match self.ous.get(&f("OrganizationalUnitId")) {
                Some(o) => Answer::Json(
                    json!({"OrganizationalUnit": self.ou_json(&f("OrganizationalUnitId"), o)}),
                ),
                None => Answer::err(
                    "OrganizationalUnitNotFoundException",
                    "We can't find an OU with the OrganizationalUnitId that you specified.",
                ),
            },
            "ListParents" => {
                let child = f("ChildId");
                let parent = match self.accounts.get(&child).filter(|a| a.member) {
                    Some(a) => a.parent.clone(),
                    None => match self.ous.get(&child) {
                        Some(o) => o.parent.clone(),
                        None => return Some(Answer::err("ChildNotFoundException", "We can't find an organizational unit (OU) or AWS account with the ChildId that you specified.")),
                    },
                };
                let kind = if parent == ROOT {
                    "ROOT"
                } else {
                    "ORGANIZATIONAL_UNIT"
                };
                Answer::Json(json!({"Parents": [{"Id": parent, "Type": kind}]}))
            }
            _ => return None,
        })
    }
}

/// Organizations' paging of the children listings: at most 20 a page
/// (`MaxResults` 1-20, 20 when absent, the API reference's maximum), the
/// rest behind `NextToken`, so an organization of thousands of accounts
/// costs its walk a round trip per 20, as AWS's does.
fn paged(field: &str, items: Vec<Value>, input: &Value) -> Answer {
    let size = input
        .get("MaxResults")
        .and_then(Value::as_u64)
        .unwrap_or(20)
        .clamp(1, 20) as usize;
    let from: usize = input
        .get("NextToken")
        .and_then(Value::as_str)
        .and_then(|t| t.strip_prefix("page-"))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let end = (from + size).min(items.len());
    let page: Vec<Value> = items[from.min(end)..end].to_vec();
    let mut out = json!({ field: page });
    if end < items.len() {
        out["NextToken"] = json!(format!("page-{end}"));
    }
    Answer::Json(out)
}

//! The reads behind `runas-guard why`: a member session (the operator's
//! read-only role where one is set, else the policy's roles as every run
//! makes one, with runas-guard's session policy) for the document, the principal's tags and the
//! check's runs; the hub's own credentials for Identity Center's mapping;
//! the state table for what the check recorded. Reads only. A read that
//! fails is kept as [`Unread`] (its AWS error code) for its link to show;
//! it never stops the others.

use aws_config::SdkConfig;
use aws_sdk_ssm::error::ProvideErrorMetadata;
use aws_sdk_ssm::primitives::DateTimeFormat;
use aws_sdk_ssm::types::DocumentFormat;

use super::{
    Caller, CheckRecord, Document, DocumentFacts, Facts, IamTag, NodeFacts, NodeRun, TagFacts,
    Unread, Wanted,
};
use crate::adapters::aws::identity_center::{discover, AttributeMapping};
use crate::adapters::aws::principal_tags::run_as_tag;
use crate::adapters::aws::sts::{MemberSession, Sts};
use crate::adapters::store::state::StateStore;
use crate::domain::alert::TagNow;
use crate::domain::aws_error::AwsError;
use crate::domain::identity_center::{MappingStore, Observed};
use crate::domain::nodes::CHECK_DOCUMENT;
use crate::domain::policy::{Desired, Policy};
use crate::domain::rows::StateRow;
use crate::domain::seat::Seat;
use crate::domain::trigger::DOCUMENT_NAME;

/// What the operator asks about.
#[derive(Debug, Clone)]
pub struct Ask {
    pub account: String,
    pub region: String,
    pub caller: Caller,
    /// `--document`: the document the caller names; `None`: the default.
    pub document: Option<String>,
    pub node: Option<String>,
}

fn unread(e: AwsError) -> Unread {
    Unread::new(e.code, format!("{}: {}", e.operation, e.message))
}

/// Every fact, read at once where they do not depend on each other.
/// `seat`: the operator's read-only role, taken instead of the policy's.
pub async fn gather(
    config: &SdkConfig,
    policy: &Policy,
    seat: Option<&Seat>,
    state: Option<&StateStore>,
    ask: &Ask,
) -> Facts {
    let session = assume(config, policy, seat, &ask.account).await;
    let name = ask.document.clone().unwrap_or_else(|| DOCUMENT_NAME.into());
    let check_document = policy.check_document.as_deref().unwrap_or(CHECK_DOCUMENT);
    let (document, tag, rows, path) = tokio::join!(
        document(&session, ask, &name),
        tag(config, policy, &session, ask),
        rows(state, ask),
        ou_path(config, &ask.account),
    );
    let check = rows
        .as_ref()
        .map_err(Clone::clone)
        .map(|r| check(r, ask, check_document));
    let wanted = path.map(|path| wanted(policy, ask, &name, &path, rows.as_deref().ok()));
    let node = match &ask.node {
        Some(id) => Some(NodeFacts {
            id: id.clone(),
            live: node_run(&session, ask, &check, id).await,
        }),
        None => None,
    };
    Facts {
        account: ask.account.clone(),
        region: ask.region.clone(),
        caller: ask.caller.clone(),
        document: DocumentFacts {
            name,
            named: ask.document.is_some(),
            read: document,
        },
        tag,
        check,
        node,
        policy_documents: policy.documents.iter().map(|d| d.name.clone()).collect(),
        wanted,
    }
}

/// The account's OU path, read from Organizations now (`[]` when the
/// organization does not have the account: only id rules can apply).
async fn ou_path(config: &SdkConfig, account: &str) -> Result<Vec<String>, Unread> {
    let org = crate::adapters::aws::organizations::Org::new(config);
    crate::flow::account::locate(&org, account)
        .await
        .map(Option::unwrap_or_default)
        .map_err(unread)
}

/// What the policy wants for the account (its rule, user and mode), and
/// the hold the account-region's row records.
fn wanted(
    policy: &Policy,
    ask: &Ask,
    document: &str,
    path: &[String],
    rows: Option<&[StateRow]>,
) -> Wanted {
    let desired = policy.desired(&ask.account, path);
    let row = rows
        .into_iter()
        .flatten()
        .find(|r| r.region == ask.region && r.document == document);
    Wanted {
        user: desired.user().map(str::to_string),
        rule: match &desired {
            Desired::Exempt => "exempt".into(),
            Desired::OutOfScope => "out of scope".into(),
            Desired::Uncovered => "no rule".into(),
            Desired::User { source, .. } => source.clone(),
        },
        mode: desired.mode().map(|m| m.as_str()),
        held: row.and_then(|r| r.held.clone()),
        held_since: row.and_then(|r| r.held_since.clone()),
    }
}

/// A session in the account: the operator's seat when there is one, else
/// as every run makes one (the policy's roles in order); either way with
/// runas-guard's session policy.
async fn assume(
    config: &SdkConfig,
    policy: &Policy,
    seat: Option<&Seat>,
    account: &str,
) -> Result<MemberSession, Unread> {
    let sts = Sts::new(config);
    let inline = policy.session_policy(sts.partition(), account);
    if let Some(seat) = seat {
        return sts
            .assume_seat(account, seat, Some(&inline))
            .await
            .map_err(unread);
    }
    let roles: Vec<&str> = policy.roles().collect();
    let name = crate::domain::ids::session_name(&format!("why-{}", crate::domain::ids::token()));
    sts.assume(account, &roles, &name, Some(&inline))
        .await
        .map_err(unread)
}

/// The document's default version (what a session uses), as JSON.
async fn document(
    session: &Result<MemberSession, Unread>,
    ask: &Ask,
    name: &str,
) -> Result<Option<Document>, Unread> {
    let client = session.as_ref().map_err(Clone::clone)?.ssm(&ask.region);
    let sent = client
        .get_document()
        .name(name)
        .document_format(DocumentFormat::Json)
        .send()
        .await;
    match sent {
        Ok(out) => Ok(Some(Document {
            version: out.document_version().unwrap_or("-").to_string(),
            doc_type: out
                .document_type()
                .map_or("unknown", |t| t.as_str())
                .to_string(),
            content: out.content().unwrap_or_default().to_string(),
        })),
        Err(e) => {
            let err = AwsError::new("GetDocument", &ask.account, &ask.region, &e);
            match err.is("InvalidDocument") {
                true => Ok(None),
                false => Err(unread(err)),
            }
        }
    }
}

async fn tag(
    config: &SdkConfig,
    policy: &Policy,
    session: &Result<MemberSession, Unread>,
    ask: &Ask,
) -> TagFacts {
    match &ask.caller {
        Caller::Iam { arn, .. } => TagFacts::Iam(iam_tag(session, &ask.account, arn).await),
        Caller::IdentityCenter { .. } => TagFacts::IdentityCenter {
            declared: policy
                .identity_center
                .as_ref()
                .map(|d| d.attributes.clone()),
            found: mapping(config, policy).await,
        },
    }
}

async fn iam_tag(
    session: &Result<MemberSession, Unread>,
    account: &str,
    arn: &str,
) -> Result<IamTag, Unread> {
    let client = session.as_ref().map_err(Clone::clone)?.iam();
    match run_as_tag(&client, account, arn).await.map_err(unread)? {
        Some(TagNow::Present(v)) => Ok(IamTag::Present(v)),
        Some(TagNow::PrincipalGone) => Ok(IamTag::PrincipalGone),
        Some(TagNow::Removed) => Ok(IamTag::Absent),
        Some(TagNow::Unread(code)) => Err(Unread::new(code, "the tags could not be read")),
        None => Err(Unread::new(
            "InvalidArn",
            format!("{arn} names no role or user"),
        )),
    }
}

/// Identity Center's mapping, with the hub's own credentials, where the
/// policy's `[identity_center]` says it is.
async fn mapping(config: &SdkConfig, policy: &Policy) -> Result<Observed, Unread> {
    let Some(declared) = &policy.identity_center else {
        return Err(Unread::new("NotDeclared", "the policy has no [identity_center] section, so runas-guard does not know Identity Center's region"));
    };
    let client = Sts::new(config).identity_center(&declared.region);
    let (instance, owner) = match &declared.instance_arn {
        Some(arn) => (arn.clone(), None),
        None => {
            let found = discover(&client, &declared.region).await.map_err(unread)?;
            (found.arn, found.owner)
        }
    };
    let store = AttributeMapping {
        client,
        region: declared.region.clone(),
        instance,
        account: owner.unwrap_or_else(|| "-".into()),
    };
    store.read().await.map_err(unread)
}

/// The check's row for the account-region in the state table.
/// The account's rows in the state table.
async fn rows(state: Option<&StateStore>, ask: &Ask) -> Result<Vec<StateRow>, Unread> {
    let Some(store) = state else {
        return Err(Unread::new(
            "NoTable",
            "no state table: set RUNAS_GUARD_TABLE or --table",
        ));
    };
    store.list(Some(&ask.account)).await.map_err(unread)
}

/// The check's row for the account-region, when it has one.
fn check(rows: &[StateRow], ask: &Ask, check_document: &str) -> Option<CheckRecord> {
    rows.iter()
        .filter(|r| r.region == ask.region && r.document == check_document)
        .find_map(|r| {
            r.nodes.clone().map(|readiness| CheckRecord {
                readiness,
                last_checked: r.last_checked.clone(),
            })
        })
}

/// The node's latest run of the check, from its own report (`None`:
/// nothing to read it from).
async fn node_run(
    session: &Result<MemberSession, Unread>,
    ask: &Ask,
    check: &Result<Option<CheckRecord>, Unread>,
    node: &str,
) -> Option<Result<Option<NodeRun>, Unread>> {
    let association = match check {
        Ok(Some(r)) if !r.readiness.association_id.is_empty() => &r.readiness.association_id,
        _ => return None,
    };
    Some(match session {
        Ok(s) => runs(&s.ssm(&ask.region), ask, association, node).await,
        Err(u) => Err(u.clone()),
    })
}

/// The node's own report of the check (`DescribeInstanceAssociationsStatus`):
/// its latest run of the association, with the agent's execution summary
/// that carries the script's line. The same read the sweep makes for a
/// failed node, so `why` and the readiness report judge it alike; AWS
/// lists an association's runs in no promised order, and the node's
/// report needs none.
async fn runs(
    client: &aws_sdk_ssm::Client,
    ask: &Ask,
    association: &str,
    node: &str,
) -> Result<Option<NodeRun>, Unread> {
    let mut pages = client
        .describe_instance_associations_status()
        .instance_id(node)
        .max_results(50)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = match page {
            Ok(page) => page,
            // Not a managed node of this account-region: no result for it.
            Err(e) if e.code() == Some("InvalidInstanceId") => return Ok(None),
            Err(e) => {
                let op = "DescribeInstanceAssociationsStatus";
                return Err(unread(AwsError::new(op, &ask.account, &ask.region, &e)));
            }
        };
        let infos = page.instance_association_status_infos();
        if let Some(i) = infos
            .iter()
            .find(|i| i.association_id() == Some(association))
        {
            return Ok(Some(NodeRun {
                status: i.status().unwrap_or("unknown").to_string(),
                detailed: i.detailed_status().map(str::to_string),
                summary: i.execution_summary().map(str::to_string),
                at: i
                    .execution_date()
                    .and_then(|d| d.fmt(DateTimeFormat::DateTime).ok()),
            }));
        }
    }
    Ok(None)
}

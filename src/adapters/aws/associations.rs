//! The run-as user check's associations in one member account-region: the
//! real [`Associations`] port over State Manager.

use std::collections::HashMap;

use aws_sdk_ssm::error::ProvideErrorMetadata;
use aws_sdk_ssm::types::{
    AssociationExecutionTargetsFilter, AssociationExecutionTargetsFilterKey, AssociationFilter,
    AssociationFilterKey, InstanceInformationStringFilter, ResourceTypeForTagging, Tag, Target,
};

use super::AwsError;
use crate::domain::nodes::{
    Association, Associations, DocumentVersions, NodeResult, Rest, ASSOCIATION_NAME,
    MANAGED_TAG_KEY, MANAGED_TAG_VALUE, MAX_CONCURRENCY, MAX_ERRORS, SCHEDULE,
};

mod document;
mod node_status;
mod not_run;
mod shape;
use shape::{all_nodes, counts, created, last_run, rest, user_of};

pub struct AssociationStore {
    client: aws_sdk_ssm::Client,
    pub account: String,
    pub region: String,
    pub document: String,
}

fn managed_tag() -> Tag {
    Tag::builder()
        .key(MANAGED_TAG_KEY)
        .value(MANAGED_TAG_VALUE)
        .build()
        .expect("key and value are set")
}

/// SSM's page size for the association reads.
const PAGE: i32 = 50;

/// `DescribeInstanceInformation`'s smallest page (the model's 5..50): one
/// node answers the question.
const NODE_PAGE: i32 = 5;

impl AssociationStore {
    pub fn new(client: aws_sdk_ssm::Client, account: &str, region: &str, document: &str) -> Self {
        AssociationStore {
            client,
            account: account.into(),
            region: region.into(),
            document: document.into(),
        }
    }

    fn err<E, R>(&self, op: &'static str, e: &aws_sdk_ssm::error::SdkError<E, R>) -> AwsError
    where
        E: aws_sdk_ssm::error::ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug + 'static,
    {
        let mut err = AwsError::new(op, &self.account, &self.region, e);
        err.message = format!("{ASSOCIATION_NAME}: {}", err.message);
        err
    }

    fn incomplete(&self, op: &'static str, what: &str) -> AwsError {
        AwsError {
            operation: op,
            account: self.account.clone(),
            region: self.region.clone(),
            code: "IncompleteResponse".into(),
            message: format!("{op} answered without {what}"),
        }
    }

    /// What our own create or update made: everything we sent, as SSM answered it.
    fn written(
        &self,
        id: &str,
        version: &str,
        user: &str,
        d: &aws_sdk_ssm::types::AssociationDescription,
    ) -> Association {
        Association {
            id: id.to_string(),
            version: version.to_string(),
            name: Some(ASSOCIATION_NAME.into()),
            document: self.document.clone(),
            user: Some(user.to_string()),
            all_nodes: true,
            schedule: Some(SCHEDULE.into()),
            counts: counts(d.overview()),
            created: created(d),
            last_run: last_run(d),
            rest: Rest {
                max_errors: Some(MAX_ERRORS.into()),
                max_concurrency: Some(MAX_CONCURRENCY.into()),
                ..Rest::default()
            },
        }
    }

    fn all_nodes() -> Target {
        Target::builder().key("InstanceIds").values("*").build()
    }

    fn params(user: &str) -> HashMap<String, Vec<String>> {
        HashMap::from([("User".to_string(), vec![user.to_string()])])
    }

    /// Is there at least one managed Linux or macOS node in this
    /// account-region (the nodes the check runs on)? One
    /// `DescribeInstanceInformation` (`PlatformTypes` Linux, MacOS; 5 a page):
    /// any entry says yes. AWS has answered filtered listings with an empty
    /// page and a `NextToken` while later pages matched, so only the end of
    /// the listing says no; the pages stop at the first node.
    pub async fn any_linux_or_macos_node(&self) -> Result<bool, AwsError> {
        let platforms = InstanceInformationStringFilter::builder()
            .key("PlatformTypes")
            .values("Linux")
            .values("MacOS")
            .build()
            .expect("key and values are set");
        let mut pages = self
            .client
            .describe_instance_information()
            .filters(platforms)
            .max_results(NODE_PAGE)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| self.err("DescribeInstanceInformation", &e))?;
            if !page.instance_information_list().is_empty() {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

impl AssociationStore {
    /// The id of `id`'s execution created last (every page read: executions
    /// come in no promised order).
    async fn newest_execution(&self, id: &str) -> Result<Option<String>, AwsError> {
        let mut newest: Option<(i64, String)> = None;
        let mut pages = self
            .client
            .describe_association_executions()
            .association_id(id)
            .max_results(PAGE)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| self.err("DescribeAssociationExecutions", &e))?;
            for x in page.association_executions() {
                let at = x.created_time().and_then(|t| t.to_millis().ok());
                if let (Some(at), Some(eid)) = (at, x.execution_id()) {
                    if newest.as_ref().is_none_or(|(n, _)| at > *n) {
                        newest = Some((at, eid.to_string()));
                    }
                }
            }
        }
        Ok(newest.map(|(_, eid)| eid))
    }
}

impl Associations for AssociationStore {
    fn account(&self) -> &str {
        &self.account
    }

    fn region(&self) -> &str {
        &self.region
    }

    async fn find(&self) -> Result<Vec<Association>, AwsError> {
        let filter = AssociationFilter::builder()
            .key(AssociationFilterKey::AssociationName)
            .value(ASSOCIATION_NAME)
            .build()
            .expect("key and value are set");
        let mut ids = Vec::new();
        let mut pages = self
            .client
            .list_associations()
            .association_filter_list(filter)
            .max_results(PAGE)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| self.err("ListAssociations", &e))?;
            for a in page.associations() {
                // Another document's association that took our name is not ours.
                if a.name() == Some(self.document.as_str()) {
                    if let Some(id) = a.association_id() {
                        ids.push(id.to_string());
                    }
                }
            }
        }
        // The list leaves the parameters out: the user needs one read each
        // (there is one, unless a run died or someone copied it).
        let mut found = Vec::new();
        for id in ids {
            if let Some(a) = self.describe(&id).await? {
                found.push(a);
            }
        }
        Ok(found)
    }

    async fn describe(&self, id: &str) -> Result<Option<Association>, AwsError> {
        let out = match self
            .client
            .describe_association()
            .association_id(id)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) if e.code() == Some("AssociationDoesNotExist") => return Ok(None),
            Err(e) => return Err(self.err("DescribeAssociation", &e)),
        };
        let d = out
            .association_description()
            .ok_or_else(|| self.incomplete("DescribeAssociation", "AssociationDescription"))?;
        Ok(Some(Association {
            id: d.association_id().unwrap_or(id).to_string(),
            version: d
                .association_version()
                .ok_or_else(|| self.incomplete("DescribeAssociation", "AssociationVersion"))?
                .to_string(),
            name: d.association_name().map(str::to_string),
            document: d.name().unwrap_or_default().to_string(),
            user: user_of(d.parameters()),
            all_nodes: all_nodes(d.targets()),
            schedule: d.schedule_expression().map(str::to_string),
            counts: counts(d.overview()),
            created: created(d),
            last_run: last_run(d),
            rest: rest(d),
        }))
    }

    async fn create(&self, user: &str, tagged: bool) -> Result<Association, AwsError> {
        let out = self
            .client
            .create_association()
            .set_tags(tagged.then(|| vec![managed_tag()]))
            .name(&self.document)
            .association_name(ASSOCIATION_NAME)
            .targets(Self::all_nodes())
            .set_parameters(Some(Self::params(user)))
            .schedule_expression(SCHEDULE)
            .max_errors(MAX_ERRORS)
            .max_concurrency(MAX_CONCURRENCY)
            .send()
            .await
            .map_err(|e| {
                let mut err = self.err("CreateAssociation", &e);
                if err.code == "InvalidDocument" {
                    err.message = format!(
                        "{}: no check document {} here: deploy infra/member.yaml with RunAsUserCheck=Enabled to this account-region",
                        err.message, self.document
                    );
                }
                err
            })?;
        let d = out
            .association_description()
            .ok_or_else(|| self.incomplete("CreateAssociation", "AssociationDescription"))?;
        let id = d
            .association_id()
            .ok_or_else(|| self.incomplete("CreateAssociation", "AssociationId"))?;
        Ok(self.written(id, d.association_version().unwrap_or("1"), user, d))
    }

    async fn update(
        &self,
        id: &str,
        version: &str,
        user: &str,
    ) -> Result<Option<Association>, AwsError> {
        let sent = self
            .client
            .update_association()
            .association_id(id)
            .association_version(version)
            .name(&self.document)
            .association_name(ASSOCIATION_NAME)
            .targets(Self::all_nodes())
            .set_parameters(Some(Self::params(user)))
            // Everything else is left out: UpdateAssociation nulls what a
            // request leaves out, which puts back an editor's calendar,
            // alarm or output location (and if SSM kept one, the check
            // sees it and replaces the association).
            .schedule_expression(SCHEDULE)
            .max_errors(MAX_ERRORS)
            .max_concurrency(MAX_CONCURRENCY)
            .send()
            .await;
        let out = match sent {
            Ok(out) => out,
            Err(e)
                if matches!(
                    e.code(),
                    Some("InvalidAssociationVersion" | "AssociationDoesNotExist")
                ) =>
            {
                return Ok(None)
            }
            Err(e) => return Err(self.err("UpdateAssociation", &e)),
        };
        let d = out
            .association_description()
            .ok_or_else(|| self.incomplete("UpdateAssociation", "AssociationDescription"))?;
        let version = d
            .association_version()
            .ok_or_else(|| self.incomplete("UpdateAssociation", "AssociationVersion"))?;
        Ok(Some(self.written(id, version, user, d)))
    }

    async fn tag(&self, id: &str) -> Result<(), AwsError> {
        self.client
            .add_tags_to_resource()
            .resource_type(ResourceTypeForTagging::Association)
            .resource_id(id)
            .tags(managed_tag())
            .send()
            .await
            .map(|_| ())
            .map_err(|e| self.err("AddTagsToResource", &e))
    }

    async fn delete(&self, id: &str) -> Result<bool, AwsError> {
        match self
            .client
            .delete_association()
            .association_id(id)
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if e.code() == Some("AssociationDoesNotExist") => Ok(false),
            Err(e) => Err(self.err("DeleteAssociation", &e)),
        }
    }

    async fn document_versions(&self) -> Result<Option<DocumentVersions>, AwsError> {
        self.versions().await
    }

    async fn any_linux_or_macos_node(&self) -> Result<bool, AwsError> {
        AssociationStore::any_linux_or_macos_node(self).await
    }

    /// The newest execution's failed targets, first `bound` of them, each
    /// with its own report ([`AssociationStore::node_result`]): pages stop
    /// as soon as the bound is met, so a fleet of thousands costs what the
    /// bound costs. SSM promises no order for executions: the newest is
    /// the one with the latest `CreatedTime`, wherever a page puts it.
    async fn failed_nodes(&self, id: &str, bound: usize) -> Result<Vec<NodeResult>, AwsError> {
        let Some(execution) = self.newest_execution(id).await? else {
            return Ok(vec![]);
        };
        let failed = AssociationExecutionTargetsFilter::builder()
            .key(AssociationExecutionTargetsFilterKey::Status)
            .value("Failed")
            .build()
            .expect("key and value are set");
        let mut nodes = Vec::new();
        let mut pages = self
            .client
            .describe_association_execution_targets()
            .association_id(id)
            .execution_id(execution)
            .filters(failed)
            .max_results(PAGE)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| self.err("DescribeAssociationExecutionTargets", &e))?;
            for t in page.association_execution_targets() {
                if let Some(r) = t.resource_id() {
                    nodes.push(r.to_string());
                }
            }
            if nodes.len() >= bound {
                break;
            }
        }
        nodes.truncate(bound);
        let mut read = Vec::with_capacity(nodes.len());
        for node in nodes {
            read.push(self.node_result(id, node).await?);
        }
        Ok(read)
    }
}

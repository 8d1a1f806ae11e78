//! Security Hub in one member account-region: `BatchImportFindings` of the
//! findings the core decided (`domain::security_hub`), at most 100 a call,
//! in the member's own session (Security Hub takes a custom finding only
//! from the account it is about). It sends what it is given: the finding's
//! provider fields, never the customer's `Workflow`, `Note` or
//! `UserDefinedFields`.

use aws_sdk_securityhub::types::{
    AwsSecurityFinding, AwsSecurityFindingFilters, Compliance, ComplianceStatus,
    FindingProviderFields, FindingProviderSeverity, Recommendation, RecordState, Remediation,
    Resource, ResourceDetails, Severity, SeverityLabel, StringFilter, StringFilterComparison,
};

use super::AwsError;
use crate::domain::security_hub::{self, Finding, Held, Label, MAX_PER_CALL};

/// `GetFindings` answers at most 100 a page.
const READ_PAGE: i32 = 100;
/// Pages read back per account-region at most: the guard's findings there
/// are two per governed document and one per security event that Security
/// Hub CSPM still keeps (90 days), far below this.
const READ_PAGES: usize = 20;

/// What one account-region's import came to.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Imported {
    /// Ids Security Hub took.
    pub taken: Vec<String>,
    /// Ids it refused, with its code and message (`FailedFindings`).
    pub refused: Vec<(String, String, String)>,
}

/// Security Hub is not enabled in the account-region (AWS answers the
/// whole call `InvalidAccessException`).
pub const HUB_OFF: &str = "InvalidAccessException";

/// The same, as the user guide words it for one finding: in
/// `FailedFindings` with this code ("BatchImportFindings for finding
/// providers": "If Security Hub CSPM is disabled ... the findings are
/// returned in the FailedFindings list, with an InvalidAccess error").
pub const FINDING_HUB_OFF: &str = "InvalidAccess";

pub struct FindingsHub {
    client: aws_sdk_securityhub::Client,
    pub account: String,
    pub region: String,
}

impl FindingsHub {
    pub fn new(client: aws_sdk_securityhub::Client, account: &str, region: &str) -> Self {
        FindingsHub {
            client,
            account: account.into(),
            region: region.into(),
        }
    }

    /// Imports `findings`, 100 a call; the first call that fails as a
    /// whole is the answer (nothing after it is sent).
    pub async fn import(&self, findings: &[Finding]) -> Result<Imported, AwsError> {
        let mut imported = Imported::default();
        for batch in findings.chunks(MAX_PER_CALL) {
            let out = self
                .client
                .batch_import_findings()
                .set_findings(Some(batch.iter().map(wire).collect()))
                .send()
                .await
                .map_err(|e| {
                    AwsError::new("BatchImportFindings", &self.account, &self.region, &e)
                })?;
            let refused: Vec<(String, String, String)> = out
                .failed_findings()
                .iter()
                .map(|f| {
                    (
                        f.id().unwrap_or_default().to_string(),
                        f.error_code().unwrap_or("Unknown").to_string(),
                        f.error_message().unwrap_or_default().to_string(),
                    )
                })
                .collect();
            imported.taken.extend(
                batch
                    .iter()
                    .filter(|f| !refused.iter().any(|(id, ..)| *id == f.id))
                    .map(|f| f.id.clone()),
            );
            imported.refused.extend(refused);
        }
        Ok(imported)
    }
}

impl FindingsHub {
    /// The guard's findings of the account's default product in this
    /// region (its checks' and its events'), as Security Hub holds them
    /// now, archived ones too; paged, at most [`READ_PAGES`] pages. Found
    /// by their `Id` (`runas-guard/<account>/<region>/…`), which nobody can
    /// change, not by a `GeneratorId` a forger could.
    pub async fn held(&self, partition: &str) -> Result<Vec<Held>, AwsError> {
        let filter = |comparison: StringFilterComparison, v: String| {
            StringFilter::builder()
                .comparison(comparison)
                .value(v)
                .build()
        };
        let product = format!(
            "arn:{partition}:securityhub:{}:{}:product/{}/default",
            self.region, self.account, self.account
        );
        let ours = format!("runas-guard/{}/{}/", self.account, self.region);
        let filters = AwsSecurityFindingFilters::builder()
            .product_arn(filter(StringFilterComparison::Equals, product))
            .id(filter(StringFilterComparison::Prefix, ours))
            .build();
        let mut out = vec![];
        let mut token: Option<String> = None;
        for _ in 0..READ_PAGES {
            let page = self
                .client
                .get_findings()
                .filters(filters.clone())
                .max_results(READ_PAGE)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| AwsError::new("GetFindings", &self.account, &self.region, &e))?;
            out.extend(page.findings().iter().map(held));
            token = page
                .next_token()
                .filter(|t| !t.is_empty())
                .map(String::from);
            if token.is_none() {
                return Ok(out);
            }
        }
        // Bounded: the rest is read by a later sweep, once Security Hub
        // CSPM has let the oldest go (90 days without an update).
        tracing::warn!(account = %self.account, region = %self.region, read = out.len(), "more of runas-guard's findings than one read-back reads: the rest not compared this sweep");
        Ok(out)
    }
}

impl FindingsHub {
    /// Whether Security Hub CSPM is enabled here, as it answers now: a
    /// one-finding `GetFindings` (refused `InvalidAccessException` where it
    /// is not).
    pub async fn enabled(&self) -> Result<bool, AwsError> {
        let asked = self.client.get_findings().max_results(1).send().await;
        match asked.map_err(|e| AwsError::new("GetFindings", &self.account, &self.region, &e)) {
            Ok(_) => Ok(true),
            Err(e) if e.is(HUB_OFF) => Ok(false),
            Err(e) => Err(e),
        }
    }
}

/// A finding read back, the provider's values first.
fn held(f: &AwsSecurityFinding) -> Held {
    let provider = f.finding_provider_fields();
    let severity = provider
        .and_then(|p| p.severity())
        .and_then(|s| s.label())
        .or_else(|| f.severity().and_then(|s| s.label()))
        .map(|l| l.as_str().to_string());
    let types = match provider.map(|p| p.types()).filter(|t| !t.is_empty()) {
        Some(t) => t.to_vec(),
        None => f.types().to_vec(),
    };
    let details = f
        .resources()
        .first()
        .and_then(|r| r.details())
        .and_then(|d| d.other())
        .map(|o| o.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    Held {
        id: f.id().unwrap_or_default().into(),
        compliance: f
            .compliance()
            .and_then(|c| c.status())
            .map(|s| s.as_str().to_string()),
        severity,
        record_state: f.record_state().map(|r| r.as_str().to_string()),
        title: f.title().unwrap_or_default().into(),
        description: f.description().unwrap_or_default().into(),
        types,
        details,
        updated_at: f.updated_at().unwrap_or_default().into(),
        created_at: f.created_at().unwrap_or_default().into(),
        generator_id: f.generator_id().unwrap_or_default().into(),
        resource_id: f
            .resources()
            .first()
            .and_then(|r| r.id())
            .unwrap_or_default()
            .into(),
    }
}

fn label(l: Label) -> SeverityLabel {
    SeverityLabel::from(l.as_str())
}

/// The ASFF form: severity and types both top-level (required on a new
/// finding) and in `FindingProviderFields` (the provider's own, which a
/// customer's `BatchUpdateFindings` does not overwrite); the controls it
/// evidences, the remediation with the runbook's link, and `ProductFields`
/// saying which runas-guard sent it and the fact's identity.
fn wire(f: &Finding) -> AwsSecurityFinding {
    let details = f
        .details
        .iter()
        .fold(ResourceDetails::builder(), |d, (k, v)| d.other(k, v))
        .build();
    let resource = Resource::builder()
        .r#type(f.check.resource_type())
        .id(&f.resource)
        .partition(f.partition.as_str().into())
        .region(&f.region)
        .details(details)
        .build();
    let record = if f.archived {
        RecordState::Archived
    } else {
        RecordState::Active
    };
    let types: Vec<String> = f.types().iter().map(|t| t.to_string()).collect();
    let fields = f
        .product_fields()
        .into_iter()
        .fold(AwsSecurityFinding::builder(), |b, (k, v)| {
            b.product_fields(k, v)
        });
    fields
        .schema_version(security_hub::SCHEMA_VERSION)
        .id(&f.id)
        .product_arn(f.product_arn())
        .generator_id(f.generator_id())
        .aws_account_id(&f.account)
        .region(&f.region)
        .set_types(Some(types.clone()))
        .created_at(&f.created_at)
        .updated_at(&f.updated_at)
        .severity(Severity::builder().label(label(f.severity)).build())
        .finding_provider_fields(
            FindingProviderFields::builder()
                .severity(
                    FindingProviderSeverity::builder()
                        .label(label(f.severity))
                        .build(),
                )
                .set_types(Some(types))
                .build(),
        )
        .title(&f.title)
        .description(&f.description)
        .resources(resource)
        .compliance(compliance(f))
        .remediation(remediation(f))
        .record_state(record)
        .build()
}

/// The verdict and the controls it evidences.
fn compliance(f: &Finding) -> Compliance {
    let status = match f.compliance {
        security_hub::Compliance::Passed => ComplianceStatus::Passed,
        security_hub::Compliance::Failed => ComplianceStatus::Failed,
        security_hub::Compliance::NotAvailable => ComplianceStatus::NotAvailable,
    };
    let requirements = f.check.requirements().iter().map(|r| r.to_string());
    Compliance::builder()
        .status(status)
        .set_related_requirements(Some(requirements.collect()))
        .build()
}

/// What to do, and the runbook's section.
fn remediation(f: &Finding) -> Remediation {
    Remediation::builder()
        .recommendation(
            Recommendation::builder()
                .text(f.check.remediation())
                .url(&f.runbook)
                .build(),
        )
        .build()
}

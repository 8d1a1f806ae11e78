//! Security Hub in one member account-region: `BatchImportFindings` of the
//! findings the core decided (`domain::security_hub`), at most 100 a call,
//! in the member's own session (Security Hub takes a custom finding only
//! from the account it is about). It sends what it is given: the finding's
//! provider fields, never the customer's `Workflow`, `Note` or
//! `UserDefinedFields`.

use aws_sdk_securityhub::types::{
    AwsSecurityFinding, Compliance, ComplianceStatus, FindingProviderFields,
    FindingProviderSeverity, Recommendation, RecordState, Remediation, Resource, ResourceDetails,
    Severity, SeverityLabel,
};

use super::AwsError;
use crate::domain::security_hub::{self, Finding, Label, MAX_PER_CALL};

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
        .r#type(security_hub::RESOURCE_TYPE)
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

//! The inline session policy every member session carries (pure): exactly
//! the calls runas-guard makes, within AWS's 2,048-character cap, and what
//! to say when AWS refuses its packed size. The policy loader measures it
//! before a deployment can be refused by it; the STS adapter sends it.

/// What the policy turns on beyond the documents and the check, each a
/// grant of its own.
#[derive(Debug, Clone, Copy, Default)]
pub struct Extras {
    /// `[run_as_tags] sweep`: list every role and user.
    pub list_principals: bool,
    /// `[forwarding_canary]`: its tag.
    pub canary: bool,
    /// `[security_hub] findings`: import the account's own findings.
    pub findings: bool,
}

impl Extras {
    pub fn all() -> Extras {
        Extras {
            list_principals: true,
            canary: true,
            findings: true,
        }
    }
}

/// The inline session policy for every member session: exactly the SSM
/// calls runas-guard makes, on the governed document, in the governed
/// regions (`ListDocumentVersions` and `DeleteDocument` of one version only
/// at SSM's per-document version limit). A fallback role (AWSControlTowerExecution,
/// OrganizationAccountAccessRole) is an administrator; through this policy
/// it is no more than runas-guard's own role. The region list goes in a
/// condition, not in one ARN per region: session policies are capped at
/// 2,048 characters, which is also why no statement carries a `Sid` (nothing
/// shows them; the member role's own statements are named).
pub fn session_policy(
    partition: &str,
    account: &str,
    regions: &[String],
    documents: &[&str],
    check_document: Option<&str>,
    extras: Extras,
) -> String {
    let Extras {
        list_principals,
        canary,
        findings,
    } = extras;
    let arns: Vec<String> = documents
        .iter()
        .map(|d| format!("arn:{partition}:ssm:*:{account}:document/{d}"))
        .collect();
    // One ARN stays a string: the policy a single-document deployment has always had.
    let resource = match arns.as_slice() {
        [one] => serde_json::Value::String(one.clone()),
        _ => serde_json::json!(arns),
    };
    let mut actions = vec![
        "ssm:DescribeDocument",
        "ssm:GetDocument",
        "ssm:CreateDocument",
        "ssm:UpdateDocument",
        "ssm:UpdateDocumentDefaultVersion",
        "ssm:ListDocumentVersions",
        "ssm:DeleteDocument",
    ];
    // `[forwarding_canary]`: its tag. One action here, not a statement of its
    // own (which would not fit AWS's cap with every region and check on);
    // the member role's own grant narrows it to the one tag key on
    // SSM-SessionManagerRunShell, a fallback role's does not.
    if canary {
        actions.push("ssm:AddTagsToResource");
    }
    let mut statements = vec![serde_json::json!({
        "Effect": "Allow",
        "Action": actions,
        "Resource": resource,
        "Condition": {"StringEquals": {"aws:RequestedRegion": regions}}
    })];
    let mut reads = session_document_reads(partition, account);
    // `[security_hub] findings`: no statement of its own (it would not fit
    // AWS's cap with every region on); it rides on the calls with no
    // resource type, and the member role narrows it to the account's own
    // default product.
    if let (true, Some(unscoped)) = (findings, reads[1]["Action"].as_array_mut()) {
        unscoped.push(FINDINGS_IMPORT.into());
        unscoped.push(FINDINGS_READ.into());
    }
    statements.extend(reads);
    statements.push(run_as_tag_reads(partition, account, list_principals));
    if let Some(check) = check_document {
        statements.extend(check_statements(partition, account, check));
    }
    serde_json::json!({"Version": "2012-10-17", "Statement": statements}).to_string()
}

/// Security Hub's import, the write `[security_hub] findings` makes.
pub const FINDINGS_IMPORT: &str = "securityhub:BatchImportFindings";
/// Its one read: a sweep reads its own findings back (tamper detection).
pub const FINDINGS_READ: &str = "securityhub:GetFindings";

/// Any of the account's documents may be read (never written): a `Session`
/// document can open sessions that skip Run As (`run_as_bypass`), and
/// CloudTrail never shows content.
fn session_document_reads(partition: &str, account: &str) -> [serde_json::Value; 2] {
    [
        serde_json::json!({
            "Effect": "Allow",
            "Action": ["ssm:DescribeDocument", "ssm:GetDocument"],
            "Resource": format!("arn:{partition}:ssm:*:{account}:document/*")
        }),
        // Neither has a resource type. DescribeSessions: the sessions
        // started in a window an alert tells (who, on which node).
        serde_json::json!({
            "Effect": "Allow",
            "Action": ["ssm:ListDocuments", "ssm:DescribeSessions"],
            "Resource": "*"
        }),
    ]
}

/// `run_as_override`: whether the tag an event says was set is still on
/// the role or user (read only; the tag is not runas-guard's to change).
/// With `[run_as_tags] sweep`, also which roles and users there are:
/// `ListRoles`/`ListUsers` name no role or user, so the statement says `*`,
/// which for IAM reads of a session is this account's principals only (IAM
/// answers for the caller's account), and is shorter than the two ARNs: the
/// policy keeps within AWS's cap with every region and every check on.
fn run_as_tag_reads(partition: &str, account: &str, list_principals: bool) -> serde_json::Value {
    if list_principals {
        return serde_json::json!({
            "Effect": "Allow",
            "Action": ["iam:ListRoleTags", "iam:ListUserTags", "iam:ListRoles", "iam:ListUsers"],
            "Resource": "*"
        });
    }
    serde_json::json!({
        "Effect": "Allow",
        "Action": ["iam:ListRoleTags", "iam:ListUserTags"],
        "Resource": [
            format!("arn:{partition}:iam::{account}:role/*"),
            format!("arn:{partition}:iam::{account}:user/*")
        ]
    })
}

/// The run-as user check: associations of the check document only (SSM
/// authorizes an association write on its document too), tagging an
/// association with [`crate::domain::nodes::managed_tag::KEY`] and no other key, and
/// reading how they ran (a failed node's own report,
/// `DescribeInstanceAssociationsStatus`, carries the check script's line)
/// and whether there are Linux or macOS nodes for them to run on
/// (`DescribeInstanceInformation` has no resource type: `*`). No region
/// condition: the policy must fit AWS's cap with every region governed, and
/// the check document exists in governed regions only. The member role
/// holds the writes to the tag (creation and update only of an association
/// tagged as runas-guard's); here `ssm:*Association` stands for the three
/// writes and `DescribeAssociation`, the only actions of that suffix, in
/// the room the cap leaves.
fn check_statements(partition: &str, account: &str, check: &str) -> [serde_json::Value; 3] {
    let associations = format!("arn:{partition}:ssm:*:{account}:association/*");
    [
        serde_json::json!({
            "Effect": "Allow",
            "Action": "ssm:*Association",
            "Resource": [
                format!("arn:{partition}:ssm:*:{account}:document/{check}"),
                associations,
                format!("arn:{partition}:ec2:*:{account}:instance/*"),
                format!("arn:{partition}:ssm:*:{account}:managed-instance/*")
            ]
        }),
        serde_json::json!({
            "Effect": "Allow",
            "Action": "ssm:AddTagsToResource",
            "Resource": associations,
            "Condition": {"ForAllValues:StringEquals": {"aws:TagKeys": crate::domain::nodes::managed_tag::KEY}}
        }),
        serde_json::json!({
            "Effect": "Allow",
            "Action": [
                // DescribeAssociation, DescribeAssociationExecutions and
                // DescribeAssociationExecutionTargets, the only actions of
                // that prefix: one entry keeps the policy within AWS's cap.
                "ssm:DescribeAssociation*",
                "ssm:ListAssociations",
                "ssm:DescribeInstanceAssociationsStatus",
                "ssm:DescribeInstanceInformation"
            ],
            "Resource": "*"
        }),
    ]
}

/// AWS's cap on an inline session policy's plaintext.
pub const SESSION_POLICY_LIMIT: usize = 2048;

/// AssumeRole's refusal of a session policy whose packed form is over
/// AWS's limit: every role gets the same policy, so no fallback helps.
pub const PACKED_TOO_LARGE: &str = "PackedPolicyTooLarge";

/// The packed size the `<fn>-packed-policy-size` alarm warns at: near the
/// limit, one more document or region may be refused everywhere.
pub const PACKED_WARN_PERCENT: i32 = 90;

/// What to do when AWS refuses the session policy's packed size: the
/// policy is runas-guard's own, made from the policy file, so the fix is
/// in the policy file, not in the member account.
pub fn packed_too_large(aws_message: &str) -> String {
    format!(
        "{aws_message} (a configuration error: the session policy made from the policy file is over AWS's packed size limit; govern fewer [[document]]s or fewer regions per policy file, or turn off a feature that adds statements: [nodes] check_user, [run_as_tags] sweep, [forwarding_canary]; docs/configuration.md gives the budget)"
    )
}

/// Only "this role cannot be assumed" moves on to the next role; throttling,
/// network faults and disabled regions are not a reason to try a broader role.
pub fn falls_back(code: &str) -> bool {
    matches!(
        code,
        "AccessDenied" | "AccessDeniedException" | "NoSuchEntity"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::trigger::DOCUMENT_NAME as DOCUMENT;

    #[test]
    fn the_session_policy_allows_the_document_calls_and_nothing_else() {
        // Every commercial region AWS had at the time of writing.
        let regions: Vec<String> = "us-east-1 us-east-2 us-west-1 us-west-2 af-south-1 ap-east-1 ap-east-2 ap-south-1 ap-south-2 ap-southeast-1 ap-southeast-2 ap-southeast-3 ap-southeast-4 ap-southeast-5 ap-southeast-7 ap-northeast-1 ap-northeast-2 ap-northeast-3 ca-central-1 ca-west-1 eu-central-1 eu-central-2 eu-west-1 eu-west-2 eu-west-3 eu-south-1 eu-south-2 eu-north-1 il-central-1 me-south-1 me-central-1 mx-central-1 sa-east-1"
            .split(' ')
            .map(str::to_string)
            .collect();
        let p = session_policy(
            "aws",
            "111122223333",
            &regions,
            &[DOCUMENT],
            None,
            Extras::default(),
        );
        assert!(
            p.len() <= SESSION_POLICY_LIMIT,
            "{} characters for every region",
            p.len()
        );
        let v: serde_json::Value = serde_json::from_str(&p).unwrap();
        let statements = v["Statement"].as_array().unwrap();
        // The governed documents, reading (never writing) any other, and
        // reading the Run As tag of roles and users.
        assert_eq!(statements.len(), 4);
        assert_eq!(
            statements[3]["Action"],
            serde_json::json!(["iam:ListRoleTags", "iam:ListUserTags"])
        );
        assert_eq!(
            statements[1]["Action"],
            serde_json::json!(["ssm:DescribeDocument", "ssm:GetDocument"])
        );
        assert_eq!(
            statements[1]["Resource"],
            "arn:aws:ssm:*:111122223333:document/*"
        );
        assert_eq!(
            statements[2]["Action"],
            serde_json::json!(["ssm:ListDocuments", "ssm:DescribeSessions"])
        );
        let s = &statements[0];
        assert_eq!(s["Effect"], "Allow");
        assert_eq!(
            s["Resource"],
            "arn:aws:ssm:*:111122223333:document/SSM-SessionManagerRunShell"
        );
        // The five document calls, and at SSM's version limit listing the
        // versions and deleting the oldest.
        assert_eq!(s["Action"].as_array().unwrap().len(), 7);
        assert!(s["Action"].as_array().unwrap().iter().all(|a| a
            .as_str()
            .unwrap()
            .starts_with("ssm:")
            && !a.as_str().unwrap().contains('*')));
        assert_eq!(
            s["Condition"]["StringEquals"]["aws:RequestedRegion"]
                .as_array()
                .unwrap()
                .len(),
            regions.len()
        );
    }

    #[test]
    fn the_tag_inventory_is_asked_for_only_when_the_policy_sweeps_tags() {
        let regions: Vec<String> = crate::domain::policy::KNOWN_REGIONS
            .iter()
            .map(|r| r.to_string())
            .collect();
        let check = Some("RunAsGuard-CheckRunAsUser");
        for on in [false, true] {
            let p = session_policy(
                "aws",
                "111122223333",
                &regions,
                &[DOCUMENT],
                check,
                Extras {
                    list_principals: on,
                    canary: on,
                    findings: false,
                },
            );
            assert!(
                p.len() <= SESSION_POLICY_LIMIT,
                "{on}: {} characters with every region this build knows",
                p.len()
            );
            let v: serde_json::Value = serde_json::from_str(&p).unwrap();
            let tags = v["Statement"]
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["Action"][0] == "iam:ListRoleTags")
                .unwrap();
            let lists = tags["Action"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|a| *a == "iam:ListRoles" || *a == "iam:ListUsers")
                .count();
            assert_eq!(lists, if on { 2 } else { 0 }, "{tags}");
            assert_eq!(tags["Action"][0], "iam:ListRoleTags");
            let tagging = v["Statement"][0]["Action"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a == "ssm:AddTagsToResource");
            assert_eq!(tagging, on, "the canary's tag only when it is on");
        }
    }

    #[test]
    fn named_documents_are_listed_and_nothing_else() {
        let regions = vec!["eu-west-1".to_string()];
        let p = session_policy(
            "aws",
            "111122223333",
            &regions,
            &[DOCUMENT, "SSMRunAs-Admin"],
            None,
            Extras::default(),
        );
        let v: serde_json::Value = serde_json::from_str(&p).unwrap();
        assert_eq!(
            v["Statement"][0]["Resource"],
            serde_json::json!([
                "arn:aws:ssm:*:111122223333:document/SSM-SessionManagerRunShell",
                "arn:aws:ssm:*:111122223333:document/SSMRunAs-Admin"
            ])
        );
    }

    #[test]
    fn the_user_check_adds_its_associations_its_tag_and_reads_and_still_fits() {
        let regions: Vec<String> = crate::domain::policy::KNOWN_REGIONS
            .iter()
            .map(|r| r.to_string())
            .collect();
        // The longest partition name: every partition's policy must fit.
        for (partition, on) in [("aws", false), ("aws-iso-b", true)] {
            let p = session_policy(
                partition,
                "111122223333",
                &regions,
                &[DOCUMENT],
                Some("RunAsGuard-CheckRunAsUser"),
                Extras {
                    list_principals: on,
                    canary: on,
                    findings: false,
                },
            );
            assert!(
                p.len() <= SESSION_POLICY_LIMIT,
                "{} characters with every region this build knows in {partition}",
                p.len()
            );
            let v: serde_json::Value = serde_json::from_str(&p).unwrap();
            let s = v["Statement"].as_array().unwrap();
            assert_eq!(s.len(), 7, "{v:#}");
            assert!(s.iter().all(|s| s.get("Sid").is_none()), "{v:#}");
            // After the document and tag statements: the check's writes, its tag, then its reads.
            let s = &s[4..];
            let arn = |rest: &str| format!("arn:{partition}:ssm:*:111122223333:{rest}");
            assert_eq!(
                s[0]["Resource"][0],
                arn("document/RunAsGuard-CheckRunAsUser")
            );
            // Writes never reach another document: SSM authorizes the document too.
            assert_eq!(s[0]["Action"], "ssm:*Association");
            assert!(s[0].get("Condition").is_none());
            // Tagging: associations only, and no key but runas-guard's.
            assert_eq!(s[1]["Action"], "ssm:AddTagsToResource");
            assert_eq!(s[1]["Resource"], arn("association/*"));
            assert_eq!(
                s[1]["Condition"],
                serde_json::json!({"ForAllValues:StringEquals": {"aws:TagKeys": "runas-guard:managed"}})
            );
            assert!(s[2]["Action"].as_array().unwrap().iter().all(|a| a
                .as_str()
                .unwrap()
                .starts_with("ssm:Describe")
                || a == "ssm:ListAssociations"));
            // Readiness: are there Linux or macOS nodes at all? No resource type.
            assert!(s[2]["Action"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a == "ssm:DescribeInstanceInformation"));
            assert_eq!(s[2]["Resource"], "*");
        }
    }

    #[test]
    fn security_hub_findings_add_the_import_and_nothing_else() {
        let regions = vec!["eu-west-1".to_string()];
        let policy = |findings| {
            let extras = Extras {
                findings,
                ..Extras::default()
            };
            let p = session_policy("aws", "111122223333", &regions, &[DOCUMENT], None, extras);
            serde_json::from_str::<serde_json::Value>(&p).unwrap()
        };
        let (off, on) = (policy(false), policy(true));
        let unscoped = &on["Statement"][2];
        assert_eq!(unscoped["Resource"], "*");
        assert_eq!(
            unscoped["Action"],
            serde_json::json!([
                "ssm:ListDocuments",
                "ssm:DescribeSessions",
                FINDINGS_IMPORT,
                FINDINGS_READ
            ])
        );
        let mut without = on.clone();
        let actions = without["Statement"][2]["Action"].as_array_mut().unwrap();
        actions.truncate(2);
        assert_eq!(without, off, "nothing else changes");
    }

    #[test]
    fn fallback_only_on_denial() {
        assert!(falls_back("AccessDenied"));
        for code in [
            "Throttling",
            "ThrottlingException",
            "RegionDisabledException",
            "DispatchFailure",
            "Timeout",
            "ExpiredToken",
        ] {
            assert!(!falls_back(code), "{code}");
        }
    }
}
#[cfg(test)]
mod budget {
    use super::*;

    /// How many `[[document]]`s (15-character names, beside
    /// SSM-SessionManagerRunShell) fit in `regions` of the 34 commercial
    /// regions with the check, tag inventory and canary on, as the loader
    /// measures it (the longest partition name).
    fn documents_that_fit(regions: usize, extras: Extras) -> usize {
        let all: Vec<String> = "us-east-1 us-east-2 us-west-1 us-west-2 af-south-1 ap-east-1 ap-east-2 ap-south-1 ap-south-2 ap-southeast-1 ap-southeast-2 ap-southeast-3 ap-southeast-4 ap-southeast-5 ap-southeast-6 ap-southeast-7 ap-northeast-1 ap-northeast-2 ap-northeast-3 ca-central-1 ca-west-1 eu-central-1 eu-central-2 eu-west-1 eu-west-2 eu-west-3 eu-south-1 eu-south-2 eu-north-1 il-central-1 me-south-1 me-central-1 mx-central-1 sa-east-1"
            .split(' ')
            .map(str::to_string)
            .collect();
        assert_eq!(all.len(), 34);
        let fits = |n: usize| {
            let names: Vec<String> = (0..n).map(|i| format!("SSMRunAs-Team{i:02}")).collect();
            let docs: Vec<&str> = std::iter::once(crate::domain::trigger::DOCUMENT_NAME)
                .chain(names.iter().map(String::as_str))
                .collect();
            let check = Some(crate::domain::trigger::CHECK_DOCUMENT);
            session_policy(
                "aws-iso-b",
                "000000000000",
                &all[..regions],
                &docs,
                check,
                extras,
            )
            .chars()
            .count()
                <= SESSION_POLICY_LIMIT
        };
        (0..64).take_while(|n| fits(*n)).last().unwrap_or(0)
    }

    /// The budget with `[security_hub] findings` on too: its one action
    /// costs a document at most sizes.
    #[test]
    fn the_documented_budget_with_security_hub_findings_holds() {
        let rows = [(34, 2), (30, 3), (25, 4), (20, 5), (15, 6), (10, 8), (4, 9)];
        let fit: Vec<(usize, usize)> = rows
            .iter()
            .map(|(r, _)| (*r, documents_that_fit(*r, Extras::all())))
            .collect();
        assert_eq!(fit, rows.to_vec());
    }

    /// The budget docs/configuration.md states ("The session policy's budget").
    #[test]
    fn the_documented_documents_by_regions_budget_holds() {
        for (regions, documents) in [
            (34, 3),
            (30, 4),
            (25, 5),
            (20, 6),
            // DescribeSessions (the sessions of a told window) took one.
            (15, 7),
            (10, 9),
            (4, 10),
        ] {
            let without = Extras {
                findings: false,
                ..Extras::all()
            };
            assert_eq!(
                documents_that_fit(regions, without),
                documents,
                "{regions} regions"
            );
        }
    }
}

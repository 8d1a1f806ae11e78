//! `runas-guard policy permission-sets`: for each `[[document]]`, the IAM
//! policy that makes an IAM Identity Center permission set start sessions
//! with that document only (pure).
//!
//! Session Manager checks a named document against the caller's policy; with
//! `ssm:SessionDocumentAccessCheck` it also checks the default one when none
//! is named, and that condition must be on every statement that allows
//! `ssm:StartSession` (AWS Systems Manager User Guide, "Enforce a session
//! document permission check for the AWS CLI"). A Deny refuses every other
//! named session document even where another policy of the permission set
//! allows StartSession broadly (a session naming no document is that other
//! policy's business: the README says to keep such policies off).

use serde_json::{json, Value};

use crate::domain::policy::{NamedDocument, Policy};

/// Partitions a permission set's ARNs may be written for.
pub const PARTITIONS: &[&str] = &[
    "aws",
    "aws-us-gov",
    "aws-cn",
    "aws-iso",
    "aws-iso-b",
    "aws-iso-e",
    "aws-iso-f",
    "aws-eusc",
];

/// AWS-owned Session documents that skip the policy's Run As user, and how.
pub const AWS_DOCUMENTS_THAT_SKIP_RUN_AS: [(&str, &str); 2] = [
    (
        "AWS-PasswordReset",
        "InteractiveCommands with runAsElevated: resets any local user's password as root (root's included)",
    ),
    (
        "AWS-StartInteractiveCommand",
        "InteractiveCommands: runs any command the caller passes; it carries no Run As inputs of its own, so the policy's document does not decide its user",
    ),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One JSON object: each document, its user and its policy.
    Json,
    /// `InlinePolicy` properties to paste into `AWS::SSO::PermissionSet` resources.
    Cloudformation,
    /// Landing Zone Accelerator: one inline-policy JSON file per permission
    /// set (written to `--out-dir`) and the `iam-config.yaml` lines naming them.
    Lza,
}

pub mod lza;

/// The inline policy for the permission set whose sessions use `document`.
pub fn inline_policy(partition: &str, document: &str) -> Value {
    let targets = [
        format!("arn:{partition}:ec2:*:*:instance/*"),
        format!("arn:{partition}:ssm:*:*:managed-instance/*"),
    ];
    let document_arn = format!("arn:{partition}:ssm:*:*:document/{document}");
    let aws_documents: Vec<String> = AWS_DOCUMENTS_THAT_SKIP_RUN_AS
        .iter()
        .map(|(name, _)| format!("arn:{partition}:ssm:*:*:document/{name}"))
        .collect();
    json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "StartSessionWithItsDocument",
                "Effect": "Allow",
                "Action": "ssm:StartSession",
                "Resource": [&targets[0], &targets[1], &document_arn],
                "Condition": {"BoolIfExists": {"ssm:SessionDocumentAccessCheck": "true"}}
            },
            {
                "Sid": "NoOtherSessionDocument",
                "Effect": "Deny",
                "Action": "ssm:StartSession",
                "NotResource": [&targets[0], &targets[1], &document_arn]
            },
            {
                "Sid": "NoAwsDocumentThatSkipsRunAs",
                "Effect": "Deny",
                "Action": "ssm:StartSession",
                "Resource": aws_documents
            },
            {
                // Session ids of a role session start with its session name,
                // never with `aws:userid`, so `session/${aws:userid}-*` matches
                // nothing for Identity Center users; the tag Session Manager
                // puts on every session holds exactly `aws:userid` (AWS
                // Systems Manager User Guide, "Allow a user to end only
                // sessions they started").
                "Sid": "OwnSessions",
                "Effect": "Allow",
                "Action": ["ssm:TerminateSession", "ssm:ResumeSession"],
                "Resource": format!("arn:{partition}:ssm:*:*:session/*"),
                "Condition": {"StringEquals": {"ssm:resourceTag/aws:ssmmessages:session-id": "${aws:userid}"}}
            }
        ]
    })
}

fn users(d: &NamedDocument) -> String {
    let overrides = d.overrides();
    if overrides == 0 {
        d.default_user.clone()
    } else {
        format!("{} ({overrides} OU/account overrides)", d.default_user)
    }
}

/// Whether there is anything to render: a known partition and at least one
/// `[[document]]`; else an error naming the problem.
fn printable(policy: &Policy, partition: &str) -> Result<(), String> {
    if !PARTITIONS.contains(&partition) {
        return Err(format!(
            "--partition {partition:?} is not one of {}",
            PARTITIONS.join(", ")
        ));
    }
    if policy.documents.is_empty() {
        return Err(
            "the policy has no [[document]] entries: no permission set needs a policy".into(),
        );
    }
    Ok(())
}

/// Every `[[document]]`'s policy; an error naming the problem when there is
/// nothing to print or the partition is unknown.
pub fn render(policy: &Policy, partition: &str, format: Format) -> Result<String, String> {
    printable(policy, partition)?;
    Ok(match format {
        Format::Json => {
            let sets: Vec<Value> = policy
                .documents
                .iter()
                .map(|d| {
                    json!({
                        "document": d.name,
                        "run_as_user": d.default_user,
                        "inherit": d.inherit,
                        "start_session": format!("aws ssm start-session --target INSTANCE_ID --document-name {}", d.name),
                        "inline_policy": inline_policy(partition, &d.name),
                    })
                })
                .collect();
            let denied: Vec<Value> = AWS_DOCUMENTS_THAT_SKIP_RUN_AS
                .iter()
                .map(|(name, why)| json!({"document": name, "why": why}))
                .collect();
            let out = json!({ "permission_sets": sets, "denied_aws_documents": denied });
            serde_json::to_string_pretty(&out).expect("JSON serialises") + "\n"
        }
        Format::Cloudformation => {
            let mut out = String::from(
                "# Paste each InlinePolicy into the AWS::SSO::PermissionSet whose users\n# should run as that document's user (YAML accepts the JSON as written).\n",
            );
            out.push_str("# Each also denies AWS's own documents that skip Run As:\n");
            for (name, why) in AWS_DOCUMENTS_THAT_SKIP_RUN_AS {
                out.push_str(&format!("#   {name}: {why}\n"));
            }
            for d in &policy.documents {
                out.push_str(&format!(
                    "\n# {}: sessions run as {}\nInlinePolicy: {}\n",
                    d.name,
                    users(d),
                    inline_policy(partition, &d.name)
                ));
            }
            out
        }
        Format::Lza => {
            return Err(
                "--format lza writes one file per permission set: give --out-dir DIR".into(),
            )
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(documents: &str) -> Policy {
        Policy::parse(
            &format!(
                "member_role = \"R\"\nregions = [\"eu-west-1\"]\n[default]\nrun_as_user = \"ops\"\n{documents}"
            ),
            "p.toml",
        )
        .unwrap()
    }

    const TWO: &str = "[[document]]\nname = \"SSMRunAs-Admin\"\nrun_as_user = \"admin\"\n[[document.ou]]\nid = \"ou-ab12-prod0001\"\nrun_as_user = \"prodadmin\"\n[[document]]\nname = \"SSMRunAs-ReadOnly\"\nrun_as_user = \"viewer\"\n";

    #[test]
    fn every_start_session_allow_carries_the_access_check_and_others_are_denied() {
        let p = inline_policy("aws-us-gov", "SSMRunAs-Admin");
        let statements = p["Statement"].as_array().unwrap();
        for s in statements {
            let starts = s["Action"] == "ssm:StartSession";
            if starts && s["Effect"] == "Allow" {
                assert_eq!(
                    s["Condition"]["BoolIfExists"]["ssm:SessionDocumentAccessCheck"],
                    "true"
                );
                assert!(s["Resource"]
                    .as_array()
                    .unwrap()
                    .contains(&json!("arn:aws-us-gov:ssm:*:*:document/SSMRunAs-Admin")));
            }
            if s["Effect"] == "Deny" {
                assert!(starts);
                // The other Deny names AWS's own documents by Resource.
                let mut not = s["NotResource"].as_array().into_iter().flatten();
                assert!(!not.any(|r| r.as_str().unwrap().contains("SSM-SessionManagerRunShell")));
            }
        }
        assert_eq!(
            statements.iter().filter(|s| s["Effect"] == "Deny").count(),
            2
        );
    }

    #[test]
    fn aws_documents_that_skip_run_as_are_named_and_denied() {
        let p = inline_policy("aws", "SSMRunAs-Admin");
        let deny = p["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["Sid"] == "NoAwsDocumentThatSkipsRunAs")
            .expect("a Deny of its own");
        assert_eq!(deny["Effect"], "Deny");
        assert_eq!(deny["Action"], "ssm:StartSession");
        assert_eq!(
            deny["Resource"],
            json!([
                "arn:aws:ssm:*:*:document/AWS-PasswordReset",
                "arn:aws:ssm:*:*:document/AWS-StartInteractiveCommand"
            ])
        );
        let pol = policy(TWO);
        let out: Value = serde_json::from_str(&render(&pol, "aws", Format::Json).unwrap()).unwrap();
        let named: Vec<&str> = out["denied_aws_documents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["document"].as_str().unwrap())
            .collect();
        assert_eq!(named, ["AWS-PasswordReset", "AWS-StartInteractiveCommand"]);
        let cfn = render(&pol, "aws", Format::Cloudformation).unwrap();
        assert!(cfn.contains("#   AWS-PasswordReset: InteractiveCommands with runAsElevated"));
    }

    #[test]
    fn json_and_cloudformation_name_every_document() {
        let p = policy(TWO);
        let out: Value = serde_json::from_str(&render(&p, "aws", Format::Json).unwrap()).unwrap();
        let sets = out["permission_sets"].as_array().unwrap();
        assert_eq!(sets.len(), 2);
        assert_eq!(sets[0]["document"], "SSMRunAs-Admin");
        assert_eq!(
            sets[1]["inline_policy"],
            inline_policy("aws", "SSMRunAs-ReadOnly")
        );

        let cfn = render(&p, "aws", Format::Cloudformation).unwrap();
        let policies: Vec<Value> = cfn
            .lines()
            .filter_map(|l| l.strip_prefix("InlinePolicy: "))
            .map(|j| serde_json::from_str(j).unwrap())
            .collect();
        assert_eq!(
            policies,
            [
                inline_policy("aws", "SSMRunAs-Admin"),
                inline_policy("aws", "SSMRunAs-ReadOnly")
            ]
        );
        assert!(cfn.contains("# SSMRunAs-Admin: sessions run as admin (1 OU/account overrides)"));
    }

    #[test]
    fn nothing_to_print_and_unknown_partitions_are_errors() {
        let e = render(&policy(""), "aws", Format::Json).unwrap_err();
        assert!(e.contains("[[document]]"), "{e}");
        let e = render(&policy(TWO), "aws-mars", Format::Json).unwrap_err();
        assert!(e.contains("--partition") && e.contains("aws-mars"), "{e}");
    }
}

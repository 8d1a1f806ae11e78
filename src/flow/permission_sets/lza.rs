//! `policy permission-sets --format lza`: what Landing Zone Accelerator
//! needs (pure). LZA's `iam-config.yaml` names an inline policy by path:
//! `identityCenter.identityCenterPermissionSets[].policies.inlinePolicy` is
//! a JSON file, relative to the configuration repository's root, that LZA
//! reads, runs its `${...}` replacements over (ours, `${aws:userid}`, is not
//! one of them) and parses as an IAM policy document. Permission set names
//! are 1 to 32 characters there.

use super::{inline_policy, users};
use crate::domain::policy::Policy;

/// LZA refuses longer permission set names (`validateIdentityCenterPermissionSetName`).
const LONGEST_NAME: usize = 32;

/// One file to write: its name in the output directory and its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyFile {
    pub document: String,
    pub file_name: String,
    pub content: String,
}

/// One inline-policy file per `[[document]]`, named after the document.
pub fn files(policy: &Policy, partition: &str) -> Result<Vec<PolicyFile>, String> {
    super::printable(policy, partition)?;
    let mut out: Vec<PolicyFile> = Vec::new();
    for d in &policy.documents {
        let file_name = format!("runas-guard-{}.json", d.name);
        // Two names that differ only in case are one file on macOS and Windows.
        if let Some(other) = out
            .iter()
            .find(|f| f.file_name.eq_ignore_ascii_case(&file_name))
        {
            return Err(format!(
                "documents {} and {} differ only in case: their policy files would be one file on a case-insensitive disk",
                other.document, d.name
            ));
        }
        let policy = inline_policy(partition, &d.name);
        out.push(PolicyFile {
            document: d.name.clone(),
            file_name,
            content: serde_json::to_string_pretty(&policy).expect("JSON serialises") + "\n",
        });
    }
    Ok(out)
}

/// The `iam-config.yaml` lines to paste: one permission set per document,
/// its `inlinePolicy` the file's path as `dir` shows it.
pub fn snippet(policy: &Policy, files: &[PolicyFile], dir: &str) -> String {
    let absolute = dir.starts_with('/');
    let dir = dir.trim_end_matches('/');
    let mut out = String::from(
        "# iam-config.yaml: add under identityCenter.identityCenterPermissionSets (merge\n# policies.inlinePolicy into a permission set you already have). The paths are\n# relative to the LZA configuration repository's root.\nidentityCenter:\n  identityCenterPermissionSets:\n",
    );
    if absolute {
        // LZA joins inlinePolicy to its configuration directory.
        out.insert_str(0, "# --out-dir was absolute: LZA reads inlinePolicy relative to its configuration\n# directory, so write these paths relative to it (or run from there with a relative --out-dir).\n");
    }
    for (d, f) in policy.documents.iter().zip(files) {
        let path = if dir.is_empty() || dir == "." {
            f.file_name.clone()
        } else {
            format!("{dir}/{}", f.file_name)
        };
        let long = if d.name.chars().count() > LONGEST_NAME {
            format!("  # LZA allows {LONGEST_NAME} characters: choose a shorter name")
        } else {
            String::new()
        };
        out.push_str(&format!(
            "    # sessions with {} run as {}\n    - name: {}{long}\n      policies:\n        inlinePolicy: {}\n",
            d.name,
            users(d),
            yaml_scalar(&d.name),
            yaml_scalar(&path)
        ));
    }
    out
}

/// A plain YAML scalar when it reads as the same string, quoted otherwise.
fn yaml_scalar(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c))
        && !s.starts_with('-');
    if plain {
        s.to_string()
    } else {
        serde_json::to_string(s).expect("a string serialises")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(documents: &str) -> Policy {
        Policy::parse(
            &format!("member_role = \"R\"\nregions = [\"eu-west-1\"]\n[default]\nrun_as_user = \"ops\"\n{documents}"),
            "p.toml",
        )
        .unwrap()
    }

    #[test]
    fn one_file_per_document_and_the_yaml_names_each() {
        let p = policy("[[document]]\nname = \"SSMRunAs-Admin\"\nrun_as_user = \"admin\"\n[[document]]\nname = \"SSMRunAs-ReadOnlyForTheWholeDataPlatformTeam\"\nrun_as_user = \"viewer\"\n");
        let files = files(&p, "aws-us-gov").unwrap();
        assert_eq!(files.len(), 2);
        assert_eq!(files[0].file_name, "runas-guard-SSMRunAs-Admin.json");
        let parsed: serde_json::Value = serde_json::from_str(&files[0].content).unwrap();
        assert_eq!(parsed, inline_policy("aws-us-gov", "SSMRunAs-Admin"));
        let yaml = snippet(&p, &files, "iam-policies/");
        assert!(yaml.contains("    - name: SSMRunAs-Admin\n      policies:\n        inlinePolicy: iam-policies/runas-guard-SSMRunAs-Admin.json\n"), "{yaml}");
        assert!(yaml.contains("choose a shorter name"), "{yaml}");
        assert!(snippet(&p, &files, ".").contains("inlinePolicy: runas-guard-SSMRunAs-Admin.json"));
        assert!(!yaml.contains("was absolute"));
        assert!(snippet(&p, &files, "/cfg/iam").starts_with("# --out-dir was absolute"));
        assert!(snippet(&p, &files, "my dir").contains("inlinePolicy: \"my dir/runas-guard-"));
    }

    #[test]
    fn names_that_differ_only_in_case_and_bad_input_are_refused() {
        let p = policy("[[document]]\nname = \"SSMRunAs-A\"\nrun_as_user = \"a\"\n[[document]]\nname = \"ssmrunas-a\"\nrun_as_user = \"b\"\n");
        assert!(files(&p, "aws")
            .unwrap_err()
            .contains("differ only in case"));
        assert!(files(&policy(""), "aws")
            .unwrap_err()
            .contains("[[document]]"));
        assert!(files(&p, "aws-mars").unwrap_err().contains("--partition"));
    }
}

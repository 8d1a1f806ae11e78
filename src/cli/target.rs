//! Which AWS account and region the CLI talks to, as the AWS CLI decides
//! it: `--profile` over `AWS_PROFILE`, `--hub-region` over `AWS_REGION` and
//! the profile's `region`. (`--region` is taken: on `status`, `reconcile`,
//! `readiness`, `history` and `why` it names the member account-regions
//! asked about, the way an operator means it; the hub's calls go to the
//! hub's region.) A profile that does not exist is refused (the SDK
//! would otherwise fall back to keys in the environment, a different
//! account), and a command that talks to AWS without a region is refused
//! with the fix, before anything is read.

use std::path::PathBuf;

/// `--profile` and `--hub-region`, on every subcommand.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct Target {
    /// A named profile from your AWS config/credentials files (like `aws --profile`).
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,
    /// The hub's region, where its table, topic and queues are (like
    /// `aws --region`); else AWS_REGION, else the profile's.
    #[arg(long = "hub-region", global = true, value_name = "REGION")]
    pub hub_region: Option<String>,
}

/// The profile names a config (`[profile NAME]`, `[default]`) or
/// credentials (`[NAME]`) file defines (pure).
pub fn profiles_in(text: &str, credentials: bool) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.trim().strip_prefix('[')?.strip_suffix(']'))
        .filter_map(|section| {
            let section = section.trim();
            match (credentials, section.strip_prefix("profile ")) {
                (true, _) => Some(section.to_string()),
                (false, Some(name)) => Some(name.trim().to_string()),
                (false, None) if section == "default" => Some("default".into()),
                (false, None) => None,
            }
        })
        .collect()
}

fn home_file(var: &str, default: &str) -> Option<PathBuf> {
    match std::env::var_os(var) {
        Some(p) => Some(PathBuf::from(p)),
        None => std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".aws").join(default)),
    }
}

impl Target {
    /// The profile in force: the flag, else `AWS_PROFILE`.
    fn profile(&self) -> Option<String> {
        self.profile
            .clone()
            .or_else(|| std::env::var("AWS_PROFILE").ok())
            .filter(|p| !p.trim().is_empty())
    }

    /// Refuses a profile no file defines, as `aws` does; then makes the
    /// choice the one every AWS client of this process is built with.
    pub fn apply(&self) -> Result<(), String> {
        if let Some(region) = &self.hub_region {
            if !runas_guard::domain::ids::is_region_name(region) {
                return Err(format!(
                    "--hub-region {region:?} is not a region name (like us-east-1)"
                ));
            }
        }
        if let Some(name) = self.profile() {
            let files = [
                (home_file("AWS_CONFIG_FILE", "config"), false),
                (
                    home_file("AWS_SHARED_CREDENTIALS_FILE", "credentials"),
                    true,
                ),
            ];
            let known = files.iter().any(|(path, credentials)| {
                path.as_ref()
                    .and_then(|p| std::fs::read_to_string(p).ok())
                    .is_some_and(|text| profiles_in(&text, *credentials).contains(&name))
            });
            if !known {
                return Err(format!(
                    "The config profile ({name}) could not be found in your AWS config or credentials file: check the name, or `aws configure --profile {name}`"
                ));
            }
        }
        runas_guard::adapters::aws::choose(self.profile.clone(), self.hub_region.clone());
        Ok(())
    }
}

/// The AWS configuration a command calls with, once its own inputs are
/// checked; refused when no region comes from the flag, the environment
/// or the profile (every call would fail, far less clearly).
pub async fn aws_config() -> Result<aws_config::SdkConfig, String> {
    let config = runas_guard::adapters::aws::load_config().await;
    match config.region() {
        Some(_) => Ok(config),
        None => Err("You must specify a region: pass --hub-region REGION (the hub's), set AWS_REGION, or set `region` in your profile (`aws configure`)".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_names_as_each_file_writes_them() {
        let config = "[default]\nregion = eu-west-1\n[profile ops]\nregion=us-east-1\n  [profile  spaced ]\n[sso-session corp]\n[ops-creds]\n# [profile commented]\n";
        assert_eq!(profiles_in(config, false), ["default", "ops", "spaced"]);
        let credentials = "[default]\naws_access_key_id=x\n[ops]\n[profile literal]\n";
        assert_eq!(
            profiles_in(credentials, true),
            ["default", "ops", "profile literal"]
        );
        assert!(profiles_in("", false).is_empty());
        assert!(profiles_in("[unclosed\nname]\n[]", true) == [""]);
    }
}

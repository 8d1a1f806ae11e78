//! One seed, one schedule: the organization, the policy, the faults, and
//! what the editors do when. Everything here is drawn from the seed's
//! generator before the run starts; what happens at run time (latencies,
//! which call faults, deliveries) is drawn from forks of it.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::aws::Who;
use crate::rng::Rng;

pub const DOC: &str = "SSM-SessionManagerRunShell";
pub const HUB: &str = "100000000000";
pub const HUB_REGION: &str = "us-east-1";
pub const MEMBER_ROLE: &str = "RunAsGuardExecution";
pub const TABLE: &str = "runas-guard";
pub const OU_PROD: &str = "ou-sim0-prod0001";
pub const OU_DEV: &str = "ou-sim0-devl0001";
pub const EXEMPT_ROLE: &str = "AWSAccelerator-CustomizationsRole";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Enforce,
    Audit,
}

/// Run As as an editor sets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bad {
    Root,
    Off,
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Switch {
    /// The console's way: update, then make it the default at once.
    Now,
    /// A script: the default switched this many seconds later.
    Later(u64),
    /// LZA's way: `$LATEST` only, the default never switched.
    Never,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    RunAs(Bad, Switch),
    /// Only logging inputs; Run As copied from the latest version.
    Logging(Switch),
    /// Make an older version (this many back from the latest) the default.
    Back(u32),
    /// Delete the document and make it again (Run As bad, or right).
    Recreate(Option<Bad>),
    /// A session opened, lasting this many minutes.
    Session(u64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Editor {
    Admin,
    Exempt,
    Management,
    Root,
}

impl Editor {
    pub fn who(self, account: &str) -> Who {
        match self {
            Editor::Admin => Who::assumed(account, "Admin", "jane.doe"),
            Editor::Exempt => Who::assumed(
                account,
                EXEMPT_ROLE,
                "AWSAccelerator-SessionManagerSettings",
            ),
            Editor::Management => {
                Who::assumed(account, "OrganizationAccountAccessRole", "mgmt-admin")
            }
            Editor::Root => Who::root(account),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Step {
    pub at_s: u64,
    pub account: String,
    pub region: String,
    pub editor: Editor,
    pub edit: Edit,
}

#[derive(Debug, Clone)]
pub struct World {
    pub seed: u64,
    pub accounts: Vec<String>,
    pub regions: Vec<String>,
    /// account -> parent (the root or an OU).
    pub parents: BTreeMap<String, String>,
    pub mode: Mode,
    pub docs_at_start: bool,
    pub fault_rate: f64,
    pub crash_rate: f64,
    pub event_loss: f64,
    pub event_dup: f64,
    /// EventBridge's delay, most events: up to this many seconds.
    pub max_delay_s: u64,
    pub fanout_threshold: usize,
    pub sweep_every_s: u64,
    pub operator_at: Vec<u64>,
    pub steps: Vec<Step>,
    pub horizon_s: u64,
    /// Lambda instances at once, at most (reserved concurrency).
    pub concurrency: usize,
}

pub fn desired_user(parent: &str) -> &'static str {
    if parent == OU_PROD {
        "produser"
    } else {
        "ssm-ops"
    }
}

impl World {
    pub fn new(seed: u64) -> World {
        let mut r = Rng::new(seed);
        let n = r.range(1, 4) as usize;
        let accounts: Vec<String> = (1..=n).map(|i| format!("2000000000{i:02}")).collect();
        let regions: Vec<String> = match r.below(3) {
            0 => vec!["us-east-1".into()],
            1 => vec!["eu-west-1".into()],
            _ => vec!["us-east-1".into(), "eu-west-1".into()],
        };
        let parents = accounts
            .iter()
            .map(|a| {
                let p = *r.pick(&[OU_PROD, OU_DEV, crate::aws::org::ROOT]);
                (a.clone(), p.to_string())
            })
            .collect();
        let mode = if r.chance(0.7) {
            Mode::Enforce
        } else {
            Mode::Audit
        };
        let docs_at_start = r.chance(0.7);
        let fault_rate = *r.pick(&[0.0, 0.01, 0.03, 0.08, 0.15]);
        let crash_rate = *r.pick(&[0.0, 0.0, 0.1, 0.25]);
        let event_loss = *r.pick(&[0.0, 0.0, 0.02, 0.1]);
        let event_dup = *r.pick(&[0.0, 0.05, 0.2]);
        let max_delay_s = *r.pick(&[5, 60, 300, 600]);
        let fanout_threshold = if r.chance(0.4) { 1 } else { 200 };
        let sweep_every_s = *r.pick(&[1800, 3600, 7200]);
        let horizon_s = r.range(3600, 4 * 3600);
        let quiet = r.chance(0.25);
        let nsteps = if quiet { r.below(3) } else { r.range(1, 8) };
        let mut steps = Vec::new();
        for _ in 0..nsteps {
            let account = r.pick(&accounts).clone();
            let region = r.pick(&regions).clone();
            let editor = *r.pick(&[
                Editor::Admin,
                Editor::Admin,
                Editor::Exempt,
                Editor::Management,
                Editor::Root,
            ]);
            let switch = |r: &mut Rng| match r.below(5) {
                0 | 1 => Switch::Now,
                2 => Switch::Later(r.range(1, 1800)),
                3 => Switch::Later(r.range(1, 60)),
                _ => Switch::Never,
            };
            let bad = |r: &mut Rng| *r.pick(&[Bad::Root, Bad::Root, Bad::Off, Bad::Other]);
            let edit = if quiet {
                match r.below(2) {
                    0 => Edit::Session(r.range(1, 120)),
                    _ => Edit::Logging(switch(&mut r)),
                }
            } else {
                match r.below(12) {
                    0..=4 => Edit::RunAs(bad(&mut r), switch(&mut r)),
                    5 | 6 => Edit::Logging(switch(&mut r)),
                    7 => Edit::Back(r.range(1, 3) as u32),
                    8 => Edit::Recreate(if r.chance(0.6) {
                        Some(bad(&mut r))
                    } else {
                        None
                    }),
                    _ => Edit::Session(r.range(1, 120)),
                }
            };
            let at_s = r.range(60, horizon_s);
            // Someone opens a session soon after a Run As edit: the window's sessions.
            if matches!(edit, Edit::RunAs(..)) && r.chance(0.5) {
                let later = at_s + r.range(1, 600);
                steps.push(Step {
                    at_s: later,
                    account: account.clone(),
                    region: region.clone(),
                    editor: Editor::Admin,
                    edit: Edit::Session(r.range(1, 60)),
                });
            }
            steps.push(Step {
                at_s,
                account,
                region,
                editor,
                edit,
            });
        }
        steps.sort_by_key(|s| s.at_s);
        let operator_at = if r.chance(0.3) {
            vec![r.range(60, horizon_s)]
        } else {
            vec![]
        };
        let concurrency = r.range(1, 4) as usize;
        World {
            seed,
            accounts,
            regions,
            parents,
            mode,
            docs_at_start,
            fault_rate,
            crash_rate,
            event_loss,
            event_dup,
            max_delay_s,
            fanout_threshold,
            sweep_every_s,
            operator_at,
            steps,
            horizon_s,
            concurrency,
        }
    }

    pub fn desired(&self, account: &str) -> &'static str {
        desired_user(&self.parents[account])
    }

    pub fn policy_toml(&self) -> String {
        let regions: Vec<String> = self.regions.iter().map(|r| format!("{r:?}")).collect();
        format!(
            r#"member_role = "{MEMBER_ROLE}"
regions = [{}]
mode = "{}"

[default]
run_as_user = "ssm-ops"

[[ou]]
id = "{OU_PROD}"
run_as_user = "produser"

[exempt]
accounts = ["{HUB}"]
principals = ["arn:aws:iam::*:role/AWSAccelerator*"]
"#,
            regions.join(", "),
            if self.mode == Mode::Enforce {
                "enforce"
            } else {
                "audit"
            }
        )
    }

    /// The schedule in a few lines, for the trace's head.
    pub fn describe(&self) -> String {
        let mut out = format!(
            "seed {}: {} account(s) {:?} x {:?}, {:?}, docs at start {}, faults {:.0}%, crashes {:.0}%, events lost {:.0}% dup {:.0}% delay <= {}s, fan-out {}, sweep every {}s, {} instance(s), horizon {}s\n",
            self.seed, self.accounts.len(), self.parents, self.regions, self.mode, self.docs_at_start,
            self.fault_rate * 100.0, self.crash_rate * 100.0, self.event_loss * 100.0, self.event_dup * 100.0,
            self.max_delay_s, self.fanout_threshold, self.sweep_every_s, self.concurrency, self.horizon_s
        );
        for s in &self.steps {
            out.push_str(&format!(
                "  step at +{}s: {:?} in {} {}: {:?}\n",
                s.at_s, s.editor, s.account, s.region, s.edit
            ));
        }
        for t in &self.operator_at {
            out.push_str(&format!("  operator reconcile at +{t}s\n"));
        }
        out
    }
}

/// A Session document as the console writes it.
pub fn content(run_as: Option<&str>, prefix: &str) -> String {
    let (enabled, user) = match run_as {
        Some(u) => (true, u),
        None => (false, ""),
    };
    json!({
        "schemaVersion": "1.0",
        "description": "Document to hold regional settings for Session Manager",
        "sessionType": "Standard_Stream",
        "inputs": {
            "s3BucketName": "",
            "s3KeyPrefix": prefix,
            "s3EncryptionEnabled": true,
            "cloudWatchLogGroupName": "",
            "cloudWatchEncryptionEnabled": true,
            "cloudWatchStreamingEnabled": true,
            "kmsKeyId": "",
            "runAsEnabled": enabled,
            "runAsDefaultUser": user,
            "idleSessionTimeout": "20",
            "maxSessionDuration": "",
            "shellProfile": {"windows": "", "linux": ""}
        }
    })
    .to_string()
}

/// What a document's content says of Run As, read as the SSM agent reads
/// it (keys without regard to case, a later duplicate wins; string
/// booleans accepted): `Some(user)` when on, `None` when off.
pub fn run_as(content: &str) -> Option<String> {
    let v: Value = serde_json::from_str(content).ok()?;
    let inputs = v.get("inputs")?.as_object()?;
    let mut enabled = false;
    let mut user = String::new();
    for (k, val) in inputs {
        if k.eq_ignore_ascii_case("runAsEnabled") {
            enabled = val.as_bool().unwrap_or(false) || val.as_str() == Some("true");
        } else if k.eq_ignore_ascii_case("runAsDefaultUser") {
            user = val.as_str().unwrap_or_default().to_string();
        }
    }
    enabled.then_some(user)
}

/// A content with the same inputs but Run As set as `bad` says, and the
/// logging prefix `prefix` (each editor write is new content).
pub fn edited(base: &str, run_as: Option<Option<&str>>, prefix: &str) -> String {
    let mut v: Value = serde_json::from_str(base)
        .unwrap_or_else(|_| serde_json::from_str(&content(None, "")).unwrap());
    let inputs = v["inputs"].as_object_mut().expect("inputs");
    if let Some(r) = run_as {
        inputs.insert("runAsEnabled".into(), json!(r.is_some()));
        inputs.insert("runAsDefaultUser".into(), json!(r.unwrap_or("")));
    }
    inputs.insert("s3KeyPrefix".into(), json!(prefix));
    v.to_string()
}

pub fn bad_user(b: Bad) -> Option<&'static str> {
    match b {
        Bad::Root => Some("root"),
        Bad::Off => None,
        Bad::Other => Some("alice"),
    }
}

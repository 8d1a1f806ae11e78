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
/// An OU the policy exempts (out of scope): made only in worlds with lives.
pub const OU_SBOX: &str = "ou-sim0-sbox0001";

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
    /// Run As set back as the policy wants (the root window's second half:
    /// someone who knows puts it back before any run looks).
    Restore(Switch),
    /// Run As set out of policy and made the default at once, both events
    /// lost by EventBridge: only a run with no edit event of its own (a
    /// move's, a sweep) can find it.
    Unseen(Bad),
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

/// What Organizations does to an account (its lives): the management
/// account's calls and what AWS does on its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Life {
    /// `MoveAccount` to this parent (the root, the dev OU, or the exempt
    /// sandbox OU: in and out of scope).
    Move(String),
    /// `RemoveAccountFromOrganization`: it leaves (the member StackSet's
    /// automatic deployment deletes its stack, and the member role with
    /// it), and joins again this many seconds later (a new
    /// `JoinedTimestamp`, `AccountJoinedOrganization`), its member stack
    /// landing (the role back) this many seconds after that; `None`: gone
    /// for good.
    Depart(Option<(u64, u64)>),
}

#[derive(Debug, Clone)]
pub struct LifeStep {
    pub at_s: u64,
    pub account: String,
    pub life: Life,
    /// Its Organizations event is lost by EventBridge (a rejoin's join
    /// event: the sweep alone finds the new life).
    pub lost: bool,
}

/// A fault storm (tests/sim/storm.rs), in seconds since the schedule began.
#[derive(Debug, Clone)]
pub struct StormAt {
    pub service: &'static str,
    pub op: &'static str,
    pub region: Option<String>,
    /// `None`: every account (an outage); `Some`: one account's calls (its
    /// own admin spending SSM's per-account-and-region rate: `FAULTS=aimed`).
    pub account: Option<String>,
    pub from_s: u64,
    pub to_s: u64,
    pub rate: f64,
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
    /// Moves, departures and rejoins (drawn apart: a world without them
    /// plays as before they were modelled).
    pub lives: Vec<LifeStep>,
    /// Fault storms placed after editors' steps.
    pub storms: Vec<StormAt>,
    /// How often an invocation's instance freezes for a while (its lease
    /// lapses meanwhile): only in worlds with shapes.
    pub pause_rate: f64,
    /// Aimed faults (tests/sim/aim.rs): `None` for most seeds found before them.
    pub aim: Option<crate::aim::Aim>,
    /// EventBridge holding an account-region's records for an editors'
    /// episode (tests/sim/editors.rs): only in worlds with episodes.
    pub holds: Vec<crate::editors::Hold>,
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
        let (lives, absent, mut storms) = lives(seed, (&accounts, &regions), &parents, horizon_s);
        let (restores, shaped) = shapes(seed, &steps, horizon_s);
        let pause_rate = if restores.is_empty() { 0.0 } else { 0.15 };
        storms.extend(shaped);
        steps.extend(restores);
        if !absent.is_empty() || !storms.is_empty() {
            steps.extend(absent);
            steps.sort_by_key(|s| s.at_s);
        }
        // Aimed faults (tests/sim/aim.rs), drawn apart: an unaimed world is unchanged.
        let (aim, aimed, moved) = crate::aim::draw(
            seed,
            (&accounts, &regions),
            &parents,
            (&steps, &lives),
            horizon_s,
        );
        let mut lives = lives;
        if !aimed.is_empty() || !moved.is_empty() {
            steps.extend(aimed);
            steps.sort_by_key(|s| s.at_s);
            lives.extend(moved);
        }
        let (episodes, holds) = crate::editors::editors(crate::editors::Of {
            seed,
            accounts: &accounts,
            regions: &regions,
            mode,
            sweep_every_s,
            horizon_s,
        });
        if !episodes.is_empty() {
            steps.extend(episodes);
            steps.sort_by_key(|s| s.at_s);
        }
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
            lives,
            storms,
            pause_rate,
            aim,
            holds,
        }
    }

    /// Whether `account` is in scope at `t_s` (seconds since the schedule
    /// began): a member, outside the exempt OU.
    pub fn in_scope(&self, account: &str, t_s: i64) -> bool {
        let mut member = true;
        let mut parent = self.parents.get(account).cloned().unwrap_or_default();
        for l in self.lives.iter().filter(|l| l.account == account) {
            let at = l.at_s as i64;
            match &l.life {
                Life::Move(to) if at <= t_s => parent = to.clone(),
                Life::Depart(back) if at <= t_s => {
                    member = back.is_some_and(|(after, _)| at + after as i64 <= t_s)
                }
                _ => {}
            }
        }
        member && parent != OU_SBOX
    }

    /// Whether `account` was out of the organization at `t_s` (seconds
    /// since the schedule began).
    pub fn departed_at(&self, account: &str, t_s: i64) -> bool {
        self.lives.iter().any(|l| {
            l.account == account
                && match l.life {
                    Life::Depart(back) => {
                        let at = l.at_s as i64;
                        at <= t_s && back.is_none_or(|(after, _)| t_s < at + after as i64)
                    }
                    Life::Move(_) => false,
                }
        })
    }

    /// The moments (seconds since the start) `account` joined again.
    pub fn rejoins(&self, account: &str) -> Vec<i64> {
        self.lives
            .iter()
            .filter(|l| l.account == account)
            .filter_map(|l| match l.life {
                Life::Depart(Some((after, _))) => Some(l.at_s as i64 + after as i64),
                _ => None,
            })
            .collect()
    }

    /// The last moment (seconds since the start) `account` entered scope
    /// again after leaving it, if it ever left.
    pub fn reentered(&self, account: &str) -> Option<i64> {
        let mut out = None;
        let mut parent = self.parents.get(account).cloned().unwrap_or_default();
        for l in self.lives.iter().filter(|l| l.account == account) {
            let at = l.at_s as i64;
            match &l.life {
                // Moved within scope under the same Run As (the root and the
                // dev OU): the same scope, its history this scope's (a move's
                // run judges it from the account's rows).
                Life::Move(to)
                    if parent != OU_SBOX
                        && *to != OU_SBOX
                        && desired_user(&parent) == desired_user(to) =>
                {
                    parent = to.clone();
                }
                // Moved out of scope, back, or to another Run As: judged
                // anew from then.
                Life::Move(to) => {
                    parent = to.clone();
                    out = Some(out.unwrap_or(at).max(at));
                }
                Life::Depart(Some((after, _))) => out = Some(at + *after as i64),
                Life::Depart(None) => out = Some(i64::MAX),
            }
        }
        out
    }

    pub fn desired(&self, account: &str) -> &'static str {
        desired_user(&self.parents[account])
    }

    pub fn policy_toml(&self) -> String {
        let regions: Vec<String> = self.regions.iter().map(|r| format!("{r:?}")).collect();
        let exempt_ous = if self.lives.is_empty() {
            String::new()
        } else {
            format!("ous = [\"{OU_SBOX}\"]\n")
        };
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
{exempt_ous}"#,
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
        for l in &self.lives {
            out.push_str(&format!(
                "  life at +{}s: {} {:?}{}\n",
                l.at_s,
                l.account,
                l.life,
                if l.lost { " (its event lost)" } else { "" }
            ));
        }
        for st in &self.storms {
            out.push_str(&format!(
                "  storm +{}s..+{}s: {} {} in {}{} refused {:.0}%\n",
                st.from_s,
                st.to_s,
                st.service,
                st.op,
                st.region.as_deref().unwrap_or("every region"),
                st.account
                    .as_deref()
                    .map(|a| format!(" for {a}"))
                    .unwrap_or_default(),
                st.rate * 100.0
            ));
        }
        if let Some(a) = &self.aim {
            out.push_str(&format!(
                "  aimed: {:?} at {:?}, {:.0}% of invocations\n",
                a.act,
                a.focus,
                a.armed * 100.0
            ));
        }
        for h in &self.holds {
            out.push_str(&format!(
                "  EventBridge holds {} {} from +{}s until {}\n",
                h.account,
                h.region,
                h.from_s,
                if h.on_put_back {
                    format!("runas-guard's put-back there (at most +{}s)", h.until_s)
                } else {
                    format!("+{}s", h.until_s)
                }
            ));
        }
        if self.pause_rate > 0.0 {
            out.push_str(&format!(
                "  instances freeze {:.0}% of invocations\n",
                self.pause_rate * 100.0
            ));
        }
        for t in &self.operator_at {
            out.push_str(&format!("  operator reconcile at +{t}s\n"));
        }
        out
    }
}

/// The accounts' lives, from a generator of their own (a world drawn
/// without lives is the world drawn before lives were modelled): in one
/// world in three, one or two accounts move in or out of scope, or leave
/// and join again. A prod account only leaves (its policy is another's).
/// Also the edits made while an account was away (an admin sets Run As
/// to root in a departed account: another life's, no window of this one),
/// and before a move an edit no event tells, with the account's rows' reads
/// refused while the move's run judges it (a run with no edit event of its
/// own that cannot read the rows must not take the edit for a first look).
fn lives(
    seed: u64,
    (accounts, regions): (&[String], &[String]),
    parents: &BTreeMap<String, String>,
    horizon_s: u64,
) -> (Vec<LifeStep>, Vec<Step>, Vec<StormAt>) {
    // The salt keeps the seeds named in tests/sim/known.txt and seeds.txt
    // (drawn before lives were modelled) without lives: their schedules
    // play as they did; seeds 2, 4, 9, 12, 13, 14, 20 of the budget have some.
    let mut r = Rng::new(seed ^ 0x6c69_7665_7321_04a1);
    if !r.chance(0.35) {
        return (vec![], vec![], vec![]);
    }
    let mut out = vec![];
    let mut absent = vec![];
    let mut storms = vec![];
    let mut used = std::collections::BTreeSet::new();
    for _ in 0..r.range(1, 2) {
        let account = r.pick(accounts).clone();
        // One episode per account: a move is never made on a departed one.
        if !used.insert(account.clone()) {
            continue;
        }
        let at_s = r.range(60, horizon_s.saturating_sub(600).max(61));
        // Each life's own event, lost one time in three (the shape only a
        // sweep can see: a rejoin with both its events lost).
        let lost = r.chance(0.35);
        let prod = parents[&account] == OU_PROD;
        let life = if prod || r.chance(0.5) {
            Life::Depart(r.chance(0.85).then(|| (r.range(60, 5400), r.range(0, 900))))
        } else {
            let to = match r.below(4) {
                0 if parents[&account] == OU_DEV => crate::aws::org::ROOT,
                0 => OU_DEV,
                _ => OU_SBOX,
            };
            Life::Move(to.to_string())
        };
        if let Life::Depart(Some((after, _))) = life {
            if after > 2 && r.chance(0.7) {
                absent.push(Step {
                    at_s: at_s + r.range(1, after - 1),
                    account: account.clone(),
                    region: r.pick(regions).clone(),
                    editor: Editor::Admin,
                    edit: Edit::RunAs(Bad::Root, Switch::Now),
                });
            }
        }
        if matches!(life, Life::Move(_)) && r.chance(0.6) {
            let region = r.pick(regions).clone();
            absent.push(Step {
                at_s: at_s.saturating_sub(r.range(5, 50)).max(1),
                account: account.clone(),
                region: region.clone(),
                editor: Editor::Admin,
                edit: Edit::Unseen(Bad::Root),
            });
            storms.push(StormAt {
                account: None,
                service: "dynamodb",
                op: "Query",
                region: None,
                from_s: at_s,
                to_s: at_s + r.range(60, 700),
                rate: 0.8,
            });
        }
        out.push(LifeStep {
            at_s,
            account: account.clone(),
            life: life.clone(),
            lost,
        });
        // Out of scope for a while, then back.
        if life == Life::Move(OU_SBOX.into()) && r.chance(0.7) {
            let back = parents[&account].clone();
            out.push(LifeStep {
                at_s: at_s + r.range(60, 3600),
                account,
                life: Life::Move(back),
                lost: r.chance(0.35),
            });
        }
    }
    out.sort_by_key(|l| l.at_s);
    (out, absent, storms)
}

/// The shapes the reviews found windows lost in, made likely (from a
/// generator of their own; a world drawn without them plays as before):
/// the root window (Run As set out of policy and put back before any run
/// looked: only the history holds it), and a storm on the reads that
/// judge it (a past version's `GetDocument` in its region, the account's
/// rows' `Query`) just after.
fn shapes(seed: u64, steps: &[Step], horizon_s: u64) -> (Vec<Step>, Vec<StormAt>) {
    // The salt keeps the seeds named in known.txt and seeds.txt unchanged.
    let mut r = Rng::new(seed ^ 0x7368_6170_6573_1f07);
    if !r.chance(0.5) {
        return (vec![], vec![]);
    }
    let (mut restores, mut storms) = (vec![], vec![]);
    // One root window at least, by an admin, where the world's steps are.
    let own = steps.first().map(|first| Step {
        at_s: r.range(60, horizon_s),
        account: first.account.clone(),
        region: first.region.clone(),
        editor: Editor::Admin,
        edit: Edit::RunAs(Bad::Root, Switch::Now),
    });
    for st in steps.iter().chain(own.iter()) {
        if !matches!(st.edit, Edit::RunAs(_, Switch::Now | Switch::Later(_))) {
            continue;
        }
        let switched = match st.edit {
            Edit::RunAs(_, Switch::Later(s)) => s,
            _ => 1,
        };
        // Put back within seconds: before the edit's events reach a run.
        let back = st.at_s + switched + r.range(1, 20);
        if r.chance(0.7) {
            // Put back by a script: the right version made, made the
            // default a little later, a session opened in between (the
            // bad version's window outlives the next version's making:
            // issue 61 item 3).
            let later = r.chance(0.5).then(|| r.range(5, 60));
            restores.push(Step {
                at_s: back,
                account: st.account.clone(),
                region: st.region.clone(),
                editor: st.editor,
                edit: Edit::Restore(later.map_or(Switch::Now, Switch::Later)),
            });
            if let Some(later) = later.filter(|_| r.chance(0.8)) {
                restores.push(Step {
                    at_s: back + r.range(1, later - 1),
                    account: st.account.clone(),
                    region: st.region.clone(),
                    editor: Editor::Admin,
                    edit: Edit::Session(r.range(1, 30)),
                });
            }
        }
        if r.chance(0.6) {
            let from_s = back + r.range(0, 30);
            storms.push(StormAt {
                account: None,
                service: "ssm",
                op: "GetDocument",
                region: Some(st.region.clone()),
                from_s,
                to_s: from_s + r.range(60, 900),
                rate: 0.9,
            });
        }
        if r.chance(0.5) {
            let from_s = back + r.range(0, 60);
            storms.push(StormAt {
                account: None,
                service: "dynamodb",
                op: "Query",
                region: None,
                from_s,
                to_s: from_s + r.range(20, 300),
                rate: 0.8,
            });
        }
    }
    restores.extend(own);
    (restores, storms)
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

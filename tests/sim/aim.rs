//! Aimed faults (unreleased): the moments the reviews found windows and
//! alerts lost in, made likely, in the spirit of FoundationDB's BUGGIFY and
//! of swarm testing. The schedule's uniform faults and its storms are drawn
//! at times chosen before the run, so a failed read rarely lands exactly
//! where a run judges an edit, a crash rarely lands between a sweep's record
//! and its keep, and a freeze rarely lands right before a holder's write.
//! Here a world picks one *focus* (an operation, by service, name and, where
//! it matters, shape: a past version's `GetDocument`, the account's rows'
//! `Query`, the slot's `GetItem`, the outbox's `BatchWriteItem`, a record's
//! `UpdateItem`, a lease's take, `UpdateDocument`, the default's switch,
//! SNS `Publish`) and one thing that happens at it; each invocation, drawn
//! from a generator of its own, is armed with it or not. Armed, its calls of
//! that shape are refused on every attempt (past the SDK's retries: a
//! throttle, a 5xx, a timeout or AccessDenied, drawn once per invocation),
//! or its instance crashes just before or just after the k-th such call, or
//! freezes just before it for longer than the region lease (nothing it
//! sends answered meanwhile, tests/sim/storm.rs `pause`). The product does
//! not know: the simulated AWS decides each call (tests/sim/aws/mod.rs).
//!
//! A world may also get the shape its focus needs to matter: a root window
//! put back within seconds (only the history holds it) for the reads that
//! judge it, an edit whose events are all lost (only a sweep finds it) for
//! the writes and the publish of a sweep, a move within scope after such an
//! edit for the rows of a run with no edit event of its own.
//!
//! Gated: aiming came after the seeds of tests/sim/seeds.txt and known.txt
//! were found; those seeds ([`PREDATE`]) are never aimed and play exactly as
//! before, and a world not aimed draws nothing here.

use std::cell::RefCell;
use std::collections::BTreeMap;

use serde_json::Value;

use crate::aws::wire::Call;
use crate::aws::Fault;
use crate::rng::Rng;
use crate::world::{Bad, Edit, Editor, Life, LifeStep, Step, Switch, OU_DEV, OU_PROD};

/// Seeds found before the aimed faults and the editors' episodes (their
/// `seeds.txt`/`known.txt` lines, and the hour's exploration's checker seeds
/// drawn on that generator): neither draws anything for them, so they play
/// exactly as when they were found.
pub const PREDATE: &[u64] = &[
    1, 3, 5, 8, 12, 15, 16, 17, 21, 23, 28, 33, 37, 39, 45, 61, 76, 80, 92, 93, 94, 98, 106, 113,
    115, 128, 129, 500001, 500008, 500023, 500033, 500039, 500043, 500059, 500076, 500100, 500111,
    500116, 500143, 500163, 500178, 500194, 500200, 500260, 500275, 500376,
];

/// The calls a world aims at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    /// SSM `GetDocument` naming a version by number (a past version's read).
    PastVersion,
    /// The account's rows: a `Query` of `ACCOUNT#…`.
    Rows,
    /// One slot's item: a `GetItem` of `ACCOUNT#…|REGION#…`.
    Item,
    /// The outbox's keep: `BatchWriteItem` (outbox copies).
    Outbox,
    /// A record (or any write of a slot's item but the lease's own).
    Record,
    /// A region lease's take (`SET lease_owner = …`).
    LeaseTake,
    /// `UpdateDocument`.
    Update,
    /// `UpdateDocumentDefaultVersion`.
    Default,
    /// SNS `Publish`.
    Publish,
}

/// What happens at an aimed call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Act {
    /// Every such call of the invocation refused, every attempt.
    Refuse,
    /// The instance killed at the k-th such call, before it lands.
    CrashBefore,
    /// The instance killed at the k-th such call, after it lands.
    CrashAfter,
    /// The instance frozen at the k-th such call (before it is sent) for
    /// longer than the region lease.
    Freeze,
}

#[derive(Debug, Clone)]
pub struct Aim {
    pub focus: Focus,
    pub act: Act,
    /// Chance that an invocation is armed.
    pub armed: f64,
}

impl Focus {
    /// Whether `call` is one of this focus's calls.
    pub fn matches(self, call: &Call) -> bool {
        let i = &call.input;
        let key = |n: &str| {
            i.get("Key")
                .or_else(|| i.get("Item"))
                .and_then(|k| k.get(n))
                .and_then(|v| v.get("S"))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let slot = || key("pk").starts_with("ACCOUNT#") && key("sk").starts_with("REGION#");
        let expr = i
            .get("UpdateExpression")
            .and_then(Value::as_str)
            .unwrap_or_default();
        match (self, call.service.as_str(), call.op.as_str()) {
            (Focus::PastVersion, "ssm", "GetDocument") => i
                .get("DocumentVersion")
                .and_then(Value::as_str)
                .is_some_and(|v| v.bytes().all(|b| b.is_ascii_digit()) && !v.is_empty()),
            (Focus::Rows, "dynamodb", "Query") => i
                .get("ExpressionAttributeValues")
                .and_then(|v| v.get(":pk"))
                .and_then(|v| v.get("S"))
                .and_then(Value::as_str)
                .is_some_and(|pk| pk.starts_with("ACCOUNT#")),
            (Focus::Item, "dynamodb", "GetItem") => slot(),
            (Focus::Outbox, "dynamodb", "BatchWriteItem") => i
                .get("RequestItems")
                .map(|r| r.to_string().contains("\"OUTBOX\""))
                .unwrap_or(false),
            (Focus::Record, "dynamodb", "UpdateItem" | "PutItem") => {
                slot()
                    && !expr.starts_with("SET lease_owner")
                    && !expr.starts_with("SET lease_until")
            }
            (Focus::LeaseTake, "dynamodb", "UpdateItem") => {
                slot() && expr.starts_with("SET lease_owner")
            }
            (Focus::Update, "ssm", "UpdateDocument") => true,
            (Focus::Default, "ssm", "UpdateDocumentDefaultVersion") => true,
            (Focus::Publish, "sns", "Publish") => true,
            _ => false,
        }
    }
}

/// Whether `seed`'s world is aimed, and how, with the steps and lives its
/// focus needs (from a generator of its own: the rest of the world is
/// drawn as before).
pub fn draw(
    seed: u64,
    (accounts, regions): (&[String], &[String]),
    parents: &BTreeMap<String, String>,
    (steps, lives): (&[Step], &[LifeStep]),
    horizon_s: u64,
) -> (Option<Aim>, Vec<Step>, Vec<LifeStep>) {
    if PREDATE.contains(&seed) {
        return (None, vec![], vec![]);
    }
    let mut r = Rng::new(seed ^ 0x6169_6d65_6421_5b33);
    if !r.chance(0.75) {
        return (None, vec![], vec![]);
    }
    // Weighted toward the shapes the reviews found windows lost in, and
    // spread by the seed itself, so that any run of consecutive seeds (the
    // budget) covers every focus about as often as its weight says.
    let focus = [
        Focus::PastVersion,
        Focus::Publish,
        Focus::Rows,
        Focus::Record,
        Focus::PastVersion,
        Focus::Item,
        Focus::Rows,
        Focus::Publish,
        Focus::Outbox,
        Focus::PastVersion,
        Focus::Update,
        Focus::Rows,
        Focus::LeaseTake,
        Focus::Publish,
        Focus::Default,
        Focus::Record,
    ][(seed % 16) as usize];
    let act = match focus {
        Focus::PastVersion | Focus::Rows | Focus::Item => Act::Refuse,
        Focus::LeaseTake => *r.pick(&[Act::CrashAfter, Act::Freeze]),
        Focus::Update | Focus::Default => {
            *r.pick(&[Act::Refuse, Act::CrashBefore, Act::CrashAfter, Act::Freeze])
        }
        Focus::Outbox | Focus::Record | Focus::Publish => {
            *r.pick(&[Act::Refuse, Act::CrashBefore, Act::CrashAfter])
        }
    };
    let armed = *r.pick(&[0.3, 0.6, 1.0]);
    let (mut more, mut moved) = (vec![], vec![]);
    let account = r.pick(accounts).clone();
    let region = r.pick(regions).clone();
    let at_s = r.range(120, horizon_s.saturating_sub(600).max(121));
    match focus {
        // A root window put back within seconds: only the history (the
        // rows' record, the past versions) holds it.
        Focus::PastVersion | Focus::Item | Focus::Rows
            if r.chance(if focus == Focus::Rows { 0.5 } else { 0.7 }) =>
        {
            more.push(Step {
                at_s,
                account: account.clone(),
                region: region.clone(),
                editor: Editor::Admin,
                edit: Edit::RunAs(Bad::Root, Switch::Now),
            });
            more.push(Step {
                at_s: at_s + r.range(1, 20),
                account: account.clone(),
                region: region.clone(),
                editor: Editor::Admin,
                edit: Edit::Restore(Switch::Now),
            });
        }
        // A move within scope just after an edit no event told: the move's
        // run (no edit event of its own) must not take it for a first look.
        Focus::Rows if lives.is_empty() && parents[&account] != OU_PROD => {
            more.push(Step {
                at_s: at_s - r.range(5, 50),
                account: account.clone(),
                region: region.clone(),
                editor: Editor::Admin,
                edit: Edit::Unseen(Bad::Root),
            });
            let to = if parents[&account] == OU_DEV {
                crate::aws::org::ROOT
            } else {
                OU_DEV
            };
            moved.push(LifeStep {
                at_s,
                account: account.clone(),
                life: Life::Move(to.to_string()),
                lost: false,
            });
        }
        // An edit no event tells: the sweep finds it, decides its alert,
        // keeps it, records and publishes.
        Focus::Outbox | Focus::Record | Focus::Publish | Focus::Update | Focus::Default
            if r.chance(0.7) =>
        {
            more.push(Step {
                at_s,
                account,
                region,
                editor: Editor::Admin,
                edit: Edit::Unseen(*r.pick(&[Bad::Root, Bad::Off, Bad::Other])),
            });
        }
        _ => {}
    }
    let _ = steps;
    (Some(Aim { focus, act, armed }), more, moved)
}

/// One invocation's arming: the focus and act, which such call (the k-th)
/// a crash or freeze waits for, how many it has seen, the fault a refusal
/// answers with, and how long a freeze lasts.
#[derive(Debug, Clone)]
struct Armed {
    focus: Focus,
    act: Act,
    k: u64,
    seen: u64,
    fault: Fault,
    freeze_ms: i64,
}

thread_local! {
    /// The schedule's aim and its generator (`None`: not aimed).
    static AIM: RefCell<Option<(Aim, Rng)>> = const { RefCell::new(None) };
    /// Instance -> its invocation's arming.
    static ARMED: RefCell<BTreeMap<u32, Armed>> = const { RefCell::new(BTreeMap::new()) };
}

/// The schedule played on this thread: its aim (or none), with its
/// generator salted apart from every other.
pub fn set(seed: u64, aim: Option<Aim>) {
    AIM.with(|a| *a.borrow_mut() = aim.map(|aim| (aim, Rng::new(seed ^ 0x6172_6d65_6421_0071))));
    ARMED.with(|a| a.borrow_mut().clear());
}

/// A new invocation on instance `inst`: armed or not (`on`: the schedule's
/// part, not the warm-up or the final). What the trace says of it.
pub fn arm(inst: u32, on: bool) -> Option<String> {
    ARMED.with(|a| a.borrow_mut().remove(&inst));
    if !on {
        return None;
    }
    let armed = AIM.with(|a| {
        let mut a = a.borrow_mut();
        let (aim, r) = a.as_mut()?;
        if !r.chance(aim.armed) {
            return None;
        }
        Some(Armed {
            focus: aim.focus,
            act: aim.act,
            k: r.range(1, 2),
            seen: 0,
            fault: *r.pick(&[
                Fault::Throttle,
                Fault::Server,
                Fault::Timeout,
                Fault::Denied,
            ]),
            freeze_ms: r.range(35_000, 70_000) as i64,
        })
    })?;
    let line = match armed.act {
        Act::Refuse => format!("aimed: every {:?} refused ({:?})", armed.focus, armed.fault),
        act => format!("aimed: {act:?} at {:?} #{}", armed.focus, armed.k),
    };
    ARMED.with(|a| a.borrow_mut().insert(inst, armed));
    Some(line)
}

/// What the aim does to this call of instance `inst`.
pub enum Hit {
    Refuse(Fault),
    CrashBefore,
    CrashAfter,
    /// Freeze the instance from this call on for so long.
    Freeze(i64),
}

pub fn hit(inst: u32, call: &Call) -> Option<Hit> {
    ARMED.with(|a| {
        let mut a = a.borrow_mut();
        let armed = a.get_mut(&inst)?;
        if !armed.focus.matches(call) {
            return None;
        }
        armed.seen += 1;
        match armed.act {
            Act::Refuse => Some(Hit::Refuse(armed.fault)),
            _ if armed.seen != armed.k => None,
            Act::CrashBefore => Some(Hit::CrashBefore),
            Act::CrashAfter => Some(Hit::CrashAfter),
            Act::Freeze => Some(Hit::Freeze(armed.freeze_ms)),
        }
    })
}

//! The invariants of docs/design.md "Guarantees", checked against the
//! simulated AWS's ground truth: at every step (safety) and at quiescence.
//! A finding is reported under the number of the guarantee it breaks, 1 to
//! 5; design.md's 6, 7 and 8 were parts of its 2 and are still reported
//! under 2, told apart by their shapes (`shape`: `2 told twice ...`, `2
//! editor never named`, `2 session not listed`; docs/internals.md
//! "Guarantees: how the simulation checks them and the history of fixes").
//!
//! 1. Convergence: in enforce, every governed account-region ends with the
//!    desired Run As as its default and latest version; nothing written in
//!    audit or outside scope.
//! 2. No window untold (design.md 2, every fact told at least once; 6, one
//!    identity per fact; 7, the editor named; 8, sessions listed): every
//!    version that held Run As out of policy and was the default for any
//!    time is told exactly once, counted by alert id (`run_as_window`, a
//!    window or a version named `unjudged` because its read failed,
//!    `drift_reverted`/`tamper_repeated` or `drift_detected`); when the event
//!    of the edit that made it the default was delivered, a drift alert for
//!    it (or its follow-up) names that editor (7); a window's alert lists the
//!    sessions started in it, or says their read failed (8). A telling
//!    decided before the version was ever the default (a possible window the
//!    run could not rule out) does not count: only a telling after a window
//!    opened tells it.
//! 3. No lost alert (design.md 3, delivered at least once): every alert a
//!    run decided (kept in the outbox) reaches the topic at least once;
//!    nothing is left in the outbox.
//! 4. Never cries wolf: with no out-of-policy version ever made (in an
//!    account then in scope, or governed at the end), no drift,
//!    window or forwarding alert (forwarding only where every canary's event
//!    was delivered in time). A governed document deleted had Run As off
//!    while it was gone: its `run_as_window` with `recreated` is no wolf.
//! 5. Nothing recorded that was not judged (design.md 5, nothing forgotten
//!    on a crash; every step): the table never records a default version
//!    past an out-of-policy default version that is neither told nor kept in
//!    the outbox (in audit, nor of a finding told: versions in a row with the
//!    same value, as invariant 2 groups). Only a record that moves past the
//!    version after its window opened: a default switched back below what
//!    the table already recorded opens a window no record hides (no gap
//!    reads below the record whatever it records next; the switch's own
//!    event tells it, and invariant 2 finds it untold), so a record already
//!    past it when it opened moves past nothing (seeds 900046, 500100).

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::Value;

use crate::aws::State;
use crate::world::{self, Mode, World, DOC, HUB, MEMBER_ROLE, TABLE};

#[derive(Debug, Clone)]
pub struct Violation {
    pub invariant: &'static str,
    pub detail: String,
    /// The virtual time it could first be seen.
    pub first_seen: String,
}

/// What a finding is, in the words the exploration's summary sorts by
/// (docs/internals.md "Open findings"): the invariant's shape, and for a
/// version told twice, who its tellers were.
pub fn shape(v: &Violation) -> &'static str {
    let d = v.detail.as_str();
    match v.invariant.split(' ').next().unwrap_or_default() {
        "1" if d.contains("runas-guard wrote") => "1 written in audit or out of scope",
        "1" => "1 not converged",
        "2" if d.contains("told more than once") => told_twice_shape(d),
        "2" if d.contains("never told") => "2 never told",
        "2" if d.contains("never named") => "2 editor never named",
        "2" if d.contains("is not listed") => "2 session not listed",
        "2" if d.contains("account_configured") => "2 a life told configured never or twice",
        "2" => "2 other",
        "3" => "3 alert lost",
        "4" => "4 wolf",
        "5" => "5 recorded past",
        _ => "expression not modelled",
    }
}

/// Told twice, by who told it: one trigger's runs twice (its retry did not
/// see its own telling), a sweep and an event, or two events.
fn told_twice_shape(detail: &str) -> &'static str {
    let Some((_, by)) = detail.split_once(", by ") else {
        return "2 told twice";
    };
    let triggers: BTreeSet<&str> = by
        .split(", ")
        .filter_map(|t| t.rsplit(' ').next())
        .collect();
    if triggers.len() == 1 {
        "2 told twice by one trigger's runs"
    } else if by.contains("(sweep ") {
        "2 told twice by a sweep and another run"
    } else {
        "2 told twice by two triggers' runs"
    }
}

/// One telling's teller, as a told-twice finding names it:
/// `kind (trigger_kind trigger_id)`.
fn teller(body: &Value) -> String {
    format!(
        "{} ({} {})",
        body["kind"].as_str().unwrap_or("?"),
        body["trigger_kind"].as_str().unwrap_or("?"),
        body["trigger_id"].as_str().unwrap_or("?")
    )
}

/// A version that was a window: (incarnation, number, Run As, when it first
/// became the default, the (event id, actor) pairs that made it or made it
/// the default).
type Window = (u32, u32, Option<String>, i64, Vec<(String, String)>);
/// Per told version (account, region, incarnation, number): how many alerts
/// told it (follow-ups aside), and the actors they named.
type Counts = BTreeMap<(String, String, u32, u32), (usize, Vec<String>)>;
/// Per version (account, region, incarnation, number): its tellings that
/// count, in time (when, named `unjudged` because its read failed).
type Tellings = BTreeMap<(String, String, u32, u32), Vec<(i64, bool)>>;

/// A record a slot held before its present one: (since, version,
/// incarnation).
type Recorded = (i64, u32, u32);

pub struct Checker {
    w: World,
    t0: i64,
    pub violations: Vec<Violation>,
    /// alert ids ever kept in the outbox (alert id -> kind).
    kept: BTreeMap<String, String>,
    seen5: BTreeSet<String>,
    /// Each slot's recorded default version, and the document's
    /// incarnation when the checker first saw that record.
    records: BTreeMap<(String, String), (u32, u32, i64)>,
    /// Each slot's records before the present one: (since, version,
    /// incarnation), oldest first.
    recorded_before: BTreeMap<(String, String), Vec<Recorded>>,
    /// Run As of each content seen (a document's versions are read again at
    /// every step: parsed once).
    run_as: RefCell<HashMap<String, Option<String>>>,
    /// What the last safety pass saw changed (see [`Checker::each_step`]).
    last_pass: Option<(u64, u64, usize, usize, i64)>,
}

/// (account, region, version, follow-up, actor, when it was decided).
pub type Told = (String, String, u32, bool, Option<String>, i64);

/// What one alert tells: (account, region, version, follow-up, actor,
/// when it was decided). A drift alert tells the version it found as the
/// default (a bad latest that was never the default is no window).
pub fn told(alert: &Value) -> Vec<Told> {
    let kind = alert["kind"].as_str().unwrap_or_default();
    let account = alert["account"].as_str().unwrap_or_default().to_string();
    let actor = alert["actor"].as_str().map(str::to_string);
    let at = alert["at"]
        .as_str()
        .and_then(runas_guard::domain::clock::parse_iso)
        .unwrap_or(i64::MAX);
    let num = |v: &Value| {
        v.as_str()
            .and_then(|s| s.parse::<u32>().ok())
            .or(v.as_u64().map(|n| n as u32))
    };
    // The version the run found as the default: the one whose window it tells.
    let both = |vb: &Value| -> Vec<u32> { num(&vb["default"]).into_iter().collect() };
    // A put-back of the latest version alone (`latest_only`): the default
    // held the desired Run As, so the alert tells no default's window.
    if alert["latest_only"] == true {
        return vec![];
    }
    let mut out = vec![];
    match kind {
        "drift_reverted" | "tamper_repeated" | "drift_detected" => {
            if let Some(regions) = alert["regions"].as_array() {
                for r in regions {
                    for v in both(&r["versions_before"]) {
                        out.push((
                            account.clone(),
                            r["region"].as_str().unwrap_or_default().to_string(),
                            v,
                            false,
                            actor.clone(),
                            at,
                        ));
                    }
                }
            } else {
                let region = alert["region"].as_str().unwrap_or_default().to_string();
                let follow = alert.get("follow_up_of").is_some_and(|f| !f.is_null());
                let versions = match num(&alert["follow_up_of"]["version_replaced"]) {
                    Some(v) if follow => vec![v],
                    _ => both(&alert["versions_before"]),
                };
                for v in versions {
                    out.push((
                        account.clone(),
                        region.clone(),
                        v,
                        follow,
                        actor.clone(),
                        at,
                    ));
                }
            }
        }
        // A vend's configuration tells the out-of-policy default it put
        // back in each region (`versions_before`), with its sessions.
        "account_configured" => {
            for r in alert["regions"].as_array().into_iter().flatten() {
                for v in both(&r["versions_before"]) {
                    let region = r["region"].as_str().unwrap_or_default().to_string();
                    out.push((account.clone(), region, v, false, None, at));
                }
            }
        }
        "run_as_window" => {
            let region = alert["region"].as_str().unwrap_or_default().to_string();
            // A follow-up names the editor of versions another run told
            // (docs/design.md "Guarantees", 6 and 7): a naming, not a telling.
            let follow = alert.get("follow_up_of").is_some_and(|f| !f.is_null());
            for w in alert["windows"].as_array().cloned().unwrap_or_default() {
                if let Some(v) = num(&w["version"]) {
                    out.push((
                        account.clone(),
                        region.clone(),
                        v,
                        follow,
                        actor.clone(),
                        at,
                    ));
                }
            }
            // A version whose read failed is told as such (`unjudged`, docs/design.md
            // "what is told": never recorded past silently): named, so told.
            let unjudged = alert["unjudged"]["versions"].as_array().cloned();
            for item in unjudged.unwrap_or_default() {
                let Some(text) = item.as_str() else { continue };
                let (a, b) = text.split_once('-').unwrap_or((text, text));
                let (Ok(a), Ok(b)) = (a.parse::<u32>(), b.parse::<u32>()) else {
                    continue;
                };
                for v in a..=b {
                    out.push((
                        account.clone(),
                        region.clone(),
                        v,
                        follow,
                        actor.clone(),
                        at,
                    ));
                }
            }
        }
        _ => {}
    }
    out
}

/// Whether the event that started `alert`'s run made version `n` of
/// incarnation `inc` of the slot's document.
fn made_by_trigger(
    s: &State,
    alert: &Value,
    (account, region): (&str, &str),
    (inc, n): (u32, u32),
) -> bool {
    let Some(trigger) = alert["trigger_id"].as_str() else {
        return false;
    };
    s.ssm
        .truth
        .get(&(account.to_string(), region.to_string(), DOC.to_string()))
        .and_then(|t| t.iter().find(|t| t.incarnation == inc && t.number == n))
        .is_some_and(|t| trigger == format!("eb-{}", t.made_event))
}

/// Whether `alert` names version `v` `unjudged` (its read failed), rather
/// than telling it judged (a window, a drift alert).
/// A `run_as_window` that judged nothing: no window, no re-creation, only
/// versions whose read failed (`unjudged`).
fn only_unjudged(alert: &Value) -> bool {
    alert["kind"] == "run_as_window"
        && alert["windows"].as_array().is_none_or(|w| w.is_empty())
        && alert.get("recreated").is_none_or(Value::is_null)
        && alert["unjudged"]["versions"]
            .as_array()
            .is_some_and(|v| !v.is_empty())
}

fn named_unjudged(alert: &Value, v: u32) -> bool {
    alert["kind"] == "run_as_window"
        && alert["unjudged"]["versions"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .any(|text| {
                let (a, b) = text.split_once('-').unwrap_or((text, text));
                matches!((a.parse::<u32>(), b.parse::<u32>()), (Ok(a), Ok(b)) if (a..=b).contains(&v))
            })
        && !alert["windows"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|w| w["version"].as_str() == Some(v.to_string().as_str()))
}

/// How many of a version's tellings (when, `unjudged`) are the one judged
/// telling the design allows after an `unjudged` one: a judged telling
/// that directly follows an `unjudged` one in time resolves it (the read
/// that failed, done later, found it out of policy). Nothing more: a
/// second judged telling, an `unjudged` one after a judged one, or two
/// `unjudged` ones each still count.
pub fn resolved_after_unjudged(tellings: &[(i64, bool)]) -> usize {
    let mut t = tellings.to_vec();
    // At the same moment, the `unjudged` one first (either order is one
    // read failing and another succeeding).
    t.sort_by_key(|&(at, unjudged)| (at, !unjudged));
    t.windows(2).filter(|p| p[0].1 && !p[1].1).count()
}

/// The incarnation of the document whose version `n` an alert decided at
/// `at` meant: the latest one whose version `n` existed by then.
fn incarnation(s: &State, account: &str, region: &str, n: u32, at: i64) -> u32 {
    s.ssm
        .truth
        .get(&(account.to_string(), region.to_string(), DOC.to_string()))
        .and_then(|t| {
            t.iter()
                .filter(|v| v.number == n && v.created_ms <= at)
                .max_by_key(|v| v.created_ms)
        })
        .map_or(0, |v| v.incarnation)
}

/// When version `n` of incarnation `inc` first became the default.
fn first_default(s: &State, account: &str, region: &str, inc: u32, n: u32) -> Option<i64> {
    s.ssm
        .truth
        .get(&(account.to_string(), region.to_string(), DOC.to_string()))
        .and_then(|t| t.iter().find(|t| t.incarnation == inc && t.number == n))
        .and_then(|t| t.default_spans.first().map(|s| s.0))
}

/// The `recreated` alerts among `bodies`, per slot: when each was decided
/// (a document deleted and made again, its former versions gone).
fn remade<'a>(bodies: impl Iterator<Item = &'a Value>) -> BTreeMap<(String, String), Vec<i64>> {
    let mut out: BTreeMap<(String, String), Vec<i64>> = BTreeMap::new();
    for body in bodies {
        if body["kind"] == "run_as_window" && body.get("recreated").is_some_and(|r| !r.is_null()) {
            let at = body["at"]
                .as_str()
                .and_then(runas_guard::domain::clock::parse_iso)
                .unwrap_or(i64::MAX);
            let slot = (
                body["account"].as_str().unwrap_or_default().to_string(),
                body["region"].as_str().unwrap_or_default().to_string(),
            );
            out.entry(slot).or_default().push(at);
        }
    }
    out
}

/// Whether incarnation `inc` of the slot's document was made again (its
/// successor's first version) and a `recreated` alert told it since.
fn told_remade(
    s: &State,
    remade: &BTreeMap<(String, String), Vec<i64>>,
    account: &str,
    region: &str,
    inc: u32,
) -> bool {
    let gone = s
        .ssm
        .truth
        .get(&(account.to_string(), region.to_string(), DOC.to_string()))
        .and_then(|t| {
            t.iter()
                .filter(|t| t.incarnation > inc)
                .map(|t| t.created_ms)
                .min()
        });
    gone.is_some_and(|at| {
        remade
            .get(&(account.to_string(), region.to_string()))
            .is_some_and(|l| l.iter().any(|t| *t >= at))
    })
}

/// A slot's windows (by first default) grouped into findings: in audit a
/// run of versions with the same out-of-policy value is one finding (a new
/// observed value is news, the same is not), also across a deletion told as
/// `recreated` (the table recorded it; the re-creation was told). A run is
/// what was in effect in a row: a window joins the finding of the version
/// that was the default just before it opened (`before`: incarnation and
/// number), which may be an older version made the default again, not the
/// window before it in the list. In enforce each window is a finding of its
/// own.
fn findings(
    audit: bool,
    list: &[Window],
    told_remade: impl Fn(u32) -> bool,
    before: impl Fn(&Window) -> Option<(u32, u32)>,
) -> Vec<Vec<&Window>> {
    let mut groups: Vec<Vec<&Window>> = vec![];
    let same = |p: &Window, w: &Window| p.2 == w.2 && (p.0 == w.0 || told_remade(p.0));
    for w in list {
        let by_time = before(w).and_then(|(inc, number)| {
            groups
                .iter()
                .position(|g| g.iter().any(|p| p.0 == inc && p.1 == number && same(p, w)))
        });
        let by_list = groups
            .last()
            .and_then(|g| g.last())
            .is_some_and(|p| same(p, w))
            .then(|| groups.len() - 1);
        match by_time.or(by_list).filter(|_| audit) {
            Some(i) => groups[i].push(w),
            None => groups.push(vec![w]),
        }
    }
    groups
}

/// The version (incarnation, number) that was the default just before `at`
/// in a slot: the one whose span as the default ended then.
fn default_before(s: &State, account: &str, region: &str, at: i64) -> Option<(u32, u32)> {
    s.ssm
        .truth
        .get(&(account.to_string(), region.to_string(), DOC.to_string()))?
        .iter()
        .find(|t| t.default_spans.iter().any(|sp| sp.1 == Some(at)))
        .map(|t| (t.incarnation, t.number))
}

fn product(maker: &str) -> bool {
    maker.contains(&format!(":assumed-role/{MEMBER_ROLE}/"))
}

/// Published alert bodies, one per alert id (the first copy).
fn published(s: &State) -> BTreeMap<String, &Value> {
    let mut out = BTreeMap::new();
    for p in &s.sns.published {
        let id = p
            .alert_id
            .clone()
            .or_else(|| p.message["alert_id"].as_str().map(str::to_string))
            .unwrap_or_default();
        out.entry(id).or_insert(&p.message);
    }
    out
}

impl Checker {
    pub fn new(w: &World) -> Checker {
        Checker {
            w: w.clone(),
            t0: i64::MAX,
            violations: vec![],
            kept: BTreeMap::new(),
            seen5: BTreeSet::new(),
            records: BTreeMap::new(),
            recorded_before: BTreeMap::new(),
            run_as: RefCell::default(),
            last_pass: None,
        }
    }

    pub fn watch_from(&mut self, t0: i64) {
        self.t0 = t0;
    }

    pub fn note(&mut self, invariant: &'static str, detail: String, at: String) {
        self.violations.push(Violation {
            invariant,
            detail,
            first_seen: at,
        });
    }

    /// The account-regions in scope at the end (a member, outside the
    /// exempt OU).
    fn governed(&self) -> Vec<(String, String)> {
        let mut out = vec![];
        for a in self
            .w
            .accounts
            .iter()
            .filter(|a| self.w.in_scope(a, i64::MAX))
        {
            for r in &self.w.regions {
                out.push((a.clone(), r.clone()));
            }
        }
        out
    }

    /// Out of policy for `account` (Run As other than on for its user).
    fn bad(&self, account: &str, content: &str) -> bool {
        self.run_as_of(content).as_deref() != Some(self.w.desired(account))
    }

    /// What `body` tells ([`told`]), and the latest version a drift alert
    /// names beside its default where that latest held the default's own
    /// Run As: the product tells them as one window (its alert's sessions
    /// span both, `version_gap::covered_by_default`), so the latest is told
    /// by it, under the alert's identity.
    fn told_in(&self, s: &State, body: &Value) -> Vec<Told> {
        let mut out = told(body);
        let drift = matches!(
            body["kind"].as_str(),
            Some("drift_reverted" | "tamper_repeated" | "drift_detected")
        );
        let follow = body.get("follow_up_of").is_some_and(|f| !f.is_null());
        if !drift || follow || body["regions"].is_array() || body["latest_only"] == true {
            return out;
        }
        let num = |v: &Value| v.as_str().and_then(|s| s.parse::<u32>().ok());
        let vb = &body["versions_before"];
        let (Some(default), Some(latest)) = (num(&vb["default"]), num(&vb["latest"])) else {
            return out;
        };
        let Some(&(ref a, ref r, _, _, ref actor, at)) = out.first() else {
            return out;
        };
        let content = |n: u32| {
            let inc = incarnation(s, a, r, n, at);
            s.ssm
                .truth
                .get(&(a.clone(), r.clone(), DOC.to_string()))
                .and_then(|t| t.iter().find(|t| t.incarnation == inc && t.number == n))
                .map(|t| self.run_as_of(&t.content))
        };
        if latest > default && content(latest).is_some() && content(latest) == content(default) {
            out.push((a.clone(), r.clone(), latest, false, actor.clone(), at));
        }
        out
    }

    /// `world::run_as`, remembered per content.
    fn run_as_of(&self, content: &str) -> Option<String> {
        if let Some(r) = self.run_as.borrow().get(content) {
            return r.clone();
        }
        let r = world::run_as(content);
        self.run_as
            .borrow_mut()
            .insert(content.to_string(), r.clone());
        r
    }

    /// Versions made while watching that held Run As out of policy and
    /// were the default for some time: (account, region) -> [(incarnation,
    /// number, run as, first default, editors that made it default)].
    fn windows(&self, s: &State) -> BTreeMap<(String, String), Vec<Window>> {
        let mut out: BTreeMap<_, Vec<_>> = BTreeMap::new();
        for (a, r) in self.governed() {
            let Some(truth) = s.ssm.truth.get(&(a.clone(), r.clone(), DOC.to_string())) else {
                continue;
            };
            // An account that left scope (or moved) is judged anew from
            // when it came back: what was made before is another scope's.
            let from = self
                .t0
                .saturating_add(self.w.reentered(&a).unwrap_or(0).saturating_mul(1000));
            for t in truth {
                if t.created_ms < from || !self.bad(&a, &t.content) {
                    continue;
                }
                let Some(first) = t.default_spans.first().map(|s| s.0) else {
                    continue;
                };
                let mut editors: Vec<(String, String)> = t.defaulted_by.clone();
                if !product(&t.maker) {
                    editors.push((t.made_event.clone(), t.maker.clone()));
                }
                out.entry((a.clone(), r.clone())).or_default().push((
                    t.incarnation,
                    t.number,
                    self.run_as_of(&t.content),
                    first,
                    editors,
                ));
            }
        }
        for v in out.values_mut() {
            v.sort_by_key(|w| w.3);
        }
        out
    }

    /// Safety, at every step: invariant 5, and what the outbox holds.
    pub fn each_step(&mut self, s: &State, at: &str) {
        // The pass reads only the table, what was published and the
        // documents: when none moved since the last pass (a step of reads
        // only), it would find exactly what it found then.
        let pass = (
            s.mutations,
            s.ssm.writes,
            s.sns.published.len(),
            s.ddb.len(HUB, crate::world::HUB_REGION, TABLE),
            self.t0,
        );
        if self.last_pass == Some(pass) {
            return;
        }
        self.last_pass = Some(pass);
        let items = s.ddb.items(HUB, crate::world::HUB_REGION, TABLE);
        for i in &items {
            if i["pk"]["S"].as_str() == Some("OUTBOX") {
                if let Some(alert) = i["alert"]["S"]
                    .as_str()
                    .and_then(|a| serde_json::from_str::<Value>(a).ok())
                {
                    let id = alert["alert_id"].as_str().unwrap_or_default().to_string();
                    let kind = alert["kind"].as_str().unwrap_or_default().to_string();
                    let body = alert["body"].clone();
                    self.kept.entry(id).or_insert(kind);
                    let _ = body;
                }
            }
        }
        if self.t0 == i64::MAX {
            return;
        }
        // Told so far: published or kept in the outbox now.
        let mut told_now: BTreeSet<(String, String, u32, u32)> = BTreeSet::new();
        let mut bodies: Vec<&Value> = published(s).into_values().collect();
        let kept: Vec<Value> = items
            .iter()
            .filter(|i| i["pk"]["S"].as_str() == Some("OUTBOX"))
            .filter_map(|i| i["alert"]["S"].as_str())
            .filter_map(|a| serde_json::from_str::<Value>(a).ok())
            .map(|mut alert| alert.get_mut("body").map_or(Value::Null, Value::take))
            .collect();
        bodies.extend(kept.iter());
        for body in &bodies {
            for (a, r, v, _, _, at) in self.told_in(s, body) {
                let inc = incarnation(s, &a, &r, v, at);
                told_now.insert((a, r, inc, v));
            }
        }
        let windows = self.windows(s);
        let remade = remade(bodies.iter().copied());
        for i in &items {
            let (Some(pk), Some(sk)) = (i["pk"]["S"].as_str(), i["sk"]["S"].as_str()) else {
                continue;
            };
            let (Some(account), Some(region)) =
                (pk.strip_prefix("ACCOUNT#"), sk.strip_prefix("REGION#"))
            else {
                continue;
            };
            let Some(recorded) = i["default_version"]["S"]
                .as_str()
                .and_then(|v| v.parse::<u32>().ok())
            else {
                continue;
            };
            let Some(doc) =
                s.ssm
                    .docs
                    .get(&(account.to_string(), region.to_string(), DOC.to_string()))
            else {
                continue;
            };
            // A record names a version of the document as it was when written.
            let slot = (account.to_string(), region.to_string());
            let (of, since) = match self.records.get(&slot) {
                Some((v, inc, since)) if *v == recorded => (*inc, *since),
                Some((v, inc, since)) => {
                    let before = self.recorded_before.entry(slot.clone()).or_default();
                    before.push((*since, *v, *inc));
                    (doc.incarnation, crate::aws::now_ms())
                }
                None => (doc.incarnation, crate::aws::now_ms()),
            };
            self.records.insert(slot.clone(), (recorded, of, since));
            let before = self
                .recorded_before
                .get(&slot)
                .map_or(&[][..], Vec::as_slice);
            // The record when a window opened: already past its version, it
            // hid nothing (the module's note on invariant 5).
            let past_at = |number: u32, opened: i64| {
                before
                    .iter()
                    .rev()
                    .find(|(at, ..)| *at <= opened)
                    .is_some_and(|(_, v, inc)| *inc == of && *v > number)
            };
            let list = windows
                .get(&(account.to_string(), region.to_string()))
                .map_or(&[][..], Vec::as_slice);
            // In audit a version of a finding told (versions in a row with
            // the same out-of-policy value, as invariant 2 groups them) is
            // judged: the same value is no news.
            let findings = findings(
                self.w.mode == Mode::Audit,
                list,
                |inc| told_remade(s, &remade, account, region, inc),
                |w| default_before(s, account, region, w.3),
            );
            let told_finding = |w: &Window| {
                findings.iter().any(|g| {
                    g.iter().any(|x| std::ptr::eq(*x, w))
                        && g.iter().any(|x| {
                            told_now.contains(&(account.to_string(), region.to_string(), x.0, x.1))
                        })
                })
            };
            // Past a version that was the default before the record was made.
            for w in list {
                let (inc, number, run_as, first_default, _) = w;
                if *inc != of
                    || *number >= recorded
                    || *first_default >= since
                    || past_at(*number, *first_default)
                {
                    continue;
                }
                if told_finding(w) {
                    continue;
                }
                let key = format!("{account} {region} v{number}");
                if self.seen5.insert(key.clone()) {
                    self.violations.push(Violation {
                        invariant: "5 nothing recorded that was not judged",
                        detail: format!("the table records {account} {region} at v{recorded}, past v{number} (Run As {run_as:?}, the default for a time), which is neither told nor kept in the outbox"),
                        first_seen: at.to_string() });
                }
            }
        }
    }

    pub fn at_end(
        &mut self,
        s: &State,
        trails: &BTreeMap<String, (i64, Option<i64>, String)>,
        lost: &BTreeSet<String>,
        at: String,
    ) {
        let alerts = published(s);
        // 1. Convergence.
        for (a, r) in self.governed() {
            let doc = s.ssm.docs.get(&(a.clone(), r.clone(), DOC.to_string()));
            if self.w.mode == Mode::Enforce {
                match doc {
                    None => self.note(
                        "1 convergence",
                        format!("{a} {r}: no document at the end"),
                        at.clone(),
                    ),
                    Some(d) => {
                        let c = &d.versions[&d.default].content;
                        if d.default != d.latest || self.bad(&a, c) {
                            self.note(
                                "1 convergence",
                                format!(
                                    "{a} {r}: default v{} latest v{}, Run As {:?} (want {})",
                                    d.default,
                                    d.latest,
                                    world::run_as(c),
                                    self.w.desired(&a)
                                ),
                                at.clone(),
                            );
                        }
                    }
                }
            }
        }
        for ((a, r, _), truth) in &s.ssm.truth {
            let audit = self.w.mode == Mode::Audit
                && self.w.accounts.contains(a)
                && self.w.regions.contains(r);
            let outside = a == HUB || !self.w.regions.contains(r);
            // Out of scope when written, and for the 15 minutes before (a
            // run that began before the account left may finish its write).
            let (t0, w) = (self.t0, &self.w);
            let left = |t: &crate::aws::ssm::Truth| {
                let s_ = (t.created_ms - t0).div_euclid(1000);
                t0 != i64::MAX
                    && t.created_ms >= t0
                    && w.accounts.contains(a)
                    && !w.in_scope(a, s_)
                    && !w.in_scope(a, s_ - 900)
            };
            let written: Vec<u32> = truth
                .iter()
                .filter(|t| product(&t.maker) && (audit || outside || left(t)))
                .map(|t| t.number)
                .collect();
            {
                for number in written {
                    self.note(
                        "1 convergence",
                        format!(
                            "{a} {r}: runas-guard wrote v{} in {}",
                            number,
                            if audit {
                                "audit mode"
                            } else {
                                "an account-region out of scope"
                            }
                        ),
                        at.clone(),
                    );
                }
            }
        }
        // 3. No lost alert.
        for (id, kind) in &self.kept {
            if !alerts.contains_key(id) {
                self.violations.push(Violation {
                    invariant: "3 no lost alert",
                    detail: format!(
                        "alert {id} ({kind}) was kept in the outbox and never published"
                    ),
                    first_seen: at.clone(),
                });
            }
        }
        let left = s
            .ddb
            .items(HUB, crate::world::HUB_REGION, TABLE)
            .iter()
            .filter(|i| i["pk"]["S"].as_str() == Some("OUTBOX"))
            .count();
        if left > 0 {
            self.note(
                "3 no lost alert",
                format!("{left} alert copies still in the outbox at quiescence"),
                at.clone(),
            );
        }
        // 2. No window untold (and editors named).
        let windows = self.windows(s);
        let mut counts: Counts = BTreeMap::new();
        let mut texts: BTreeMap<(String, String, u32, u32), String> = BTreeMap::new();
        let mut last_told: BTreeMap<(String, String, u32, u32), i64> = BTreeMap::new();
        // Versions told by an alert that says its sessions could not be read.
        let mut sessions_unread: BTreeSet<(String, String, u32, u32)> = BTreeSet::new();
        // Each version's tellings that count, in time: (when, named
        // `unjudged` because its read failed).
        let mut tellings: Tellings = BTreeMap::new();
        // Who told each version (kind, trigger): a told-twice finding names
        // its tellers, so an exploration's summary can sort it by them.
        let mut tellers: BTreeMap<(String, String, u32, u32), Vec<String>> = BTreeMap::new();
        for (id, body) in &alerts {
            for (a, r, v, follow, actor, at) in self.told_in(s, body) {
                let inc = incarnation(s, &a, &r, v, at);
                // Except where the run's own event made the version: its
                // window opens at that event's time, known without any
                // read (an `unjudged` version's too; unreleased).
                // An alert of several regions says so per region.
                let entry = body["regions"]
                    .as_array()
                    .and_then(|e| e.iter().find(|e| e["region"].as_str() == Some(r.as_str())))
                    .unwrap_or(body);
                let opening_unknown = entry["sessions_unread"] == "WindowOpeningUnknown";
                if entry.get("sessions_unread").is_some_and(|u| !u.is_null())
                    && !(opening_unknown && made_by_trigger(s, body, (&a, &r), (inc, v)))
                {
                    sessions_unread.insert((a.clone(), r.clone(), inc, v));
                }
                texts
                    .entry((a.clone(), r.clone(), inc, v))
                    .or_default()
                    .push_str(&body.to_string());
                let last = last_told
                    .entry((a.clone(), r.clone(), inc, v))
                    .or_insert(at);
                *last = (*last).max(at);
                // A telling decided before the version was ever the default
                // told a window the run could not rule out (a version made
                // between two reads may have been the default meanwhile): it
                // is no telling of a window that opens later.
                let early = first_default(s, &a, &r, inc, v).is_none_or(|first| at < first);
                if !follow && !early {
                    tellings
                        .entry((a.clone(), r.clone(), inc, v))
                        .or_default()
                        .push((at, named_unjudged(body, v)));
                    tellers
                        .entry((a.clone(), r.clone(), inc, v))
                        .or_default()
                        .push(teller(body));
                }
                let e = counts.entry((a, r, inc, v)).or_default();
                if !follow && !early {
                    e.0 += 1;
                }
                if let Some(actor) = actor {
                    e.1.push(actor);
                }
                let _ = id;
            }
        }
        // A drift alert about an out-of-policy latest behind a right default
        // tells the default (no window yet), yet names the latest's maker:
        // when that version later becomes the default by a switch whose
        // event was lost, no run can know who switched, and that alert is
        // where its delivered editor was named (docs/design.md "Guarantees",
        // 7; seed 37).
        for body in alerts.values() {
            for (a, r, latest, actor, at) in latest_named(body) {
                let inc = incarnation(s, &a, &r, latest, at);
                counts.entry((a, r, inc, latest)).or_default().1.push(actor);
            }
        }
        let any_bad = !windows.is_empty();
        // The `recreated` alerts told per slot (when decided): a document
        // deleted and made again, its former versions gone.
        let remade = remade(alerts.values().copied());
        for ((a, r), list) in &windows {
            let truth = s.ssm.truth.get(&(a.clone(), r.clone(), DOC.to_string()));
            // When incarnation `inc` of the document was made again (its
            // successor's first version): its versions are gone from then.
            let gone = |inc: u32| -> Option<i64> {
                truth?
                    .iter()
                    .filter(|t| t.incarnation > inc)
                    .map(|t| t.created_ms)
                    .min()
            };
            let told_remade = |inc: u32| told_remade(s, &remade, a, r, inc);
            // In audit, the default the account came back with (another
            // life's version, no window of this one) told after the return
            // heads the finding of the same value that follows it: its
            // tellings in this life count for the group, it is judged no
            // further itself.
            let head = self.came_back_with(s, &alerts, a, r);
            let with_head: Vec<Window> = head.iter().cloned().chain(list.iter().cloned()).collect();
            let is_head = |w: &Window| head.is_some() && std::ptr::eq(w, &with_head[0]);
            let groups = findings(self.w.mode == Mode::Audit, &with_head, told_remade, |w| {
                default_before(s, a, r, w.3)
            });
            for g in groups {
                let n: usize = g
                    .iter()
                    .map(|w| {
                        if is_head(w) {
                            return 1;
                        }
                        counts
                            .get(&(a.clone(), r.clone(), w.0, w.1))
                            .map_or(0, |c| c.0)
                    })
                    .sum();
                let headed = g.iter().any(|w| is_head(w));
                let g: Vec<&Window> = g.into_iter().filter(|w| !is_head(w)).collect();
                if g.is_empty() {
                    continue;
                }
                let versions: Vec<String> =
                    g.iter().map(|w| format!("v{} ({:?})", w.1, w.2)).collect();
                // A window of a document deleted before any run read it as
                // the default: its versions are gone, and the run that
                // finds it made again tells that (`recreated`), not them.
                let unreadable = g.iter().all(|w| {
                    gone(w.0).is_some_and(|at| {
                        truth.is_some_and(|t| {
                            t.iter()
                                .find(|t| t.incarnation == w.0 && t.number == w.1)
                                .is_some_and(|t| {
                                    t.default_spans
                                        .iter()
                                        .all(|sp| sp.1.is_some_and(|e| e <= at))
                                })
                        })
                    }) && told_remade(w.0)
                });
                if n == 0 && unreadable {
                    continue;
                }
                if n == 0 {
                    self.note("2 no window untold", format!("{a} {r}: {} held Run As out of policy as the default and was never told", versions.join(", ")), at.clone());
                    continue;
                }
                for (k, w) in g.iter().enumerate() {
                    // Each time it became the default again is a window of its own.
                    let spans_n = s
                        .ssm
                        .truth
                        .get(&(a.clone(), r.clone(), DOC.to_string()))
                        .and_then(|t| t.iter().find(|t| t.incarnation == w.0 && t.number == w.1))
                        .map_or(1, |t| t.default_spans.len());
                    // A telling that said the version's read failed
                    // (`unjudged`) may be followed by one judged telling of
                    // it (docs/design.md "Guarantees", 2): that one does not
                    // count again.
                    let resolved = tellings
                        .get(&(a.clone(), r.clone(), w.0, w.1))
                        .map_or(0, |t| resolved_after_unjudged(t));
                    if counts
                        .get(&(a.clone(), r.clone(), w.0, w.1))
                        .map_or(0, |c| c.0)
                        .saturating_sub(resolved)
                        > spans_n
                    {
                        self.note(
                            "2 no window untold",
                            format!(
                                "{a} {r}: v{} ({:?}) told more than once, by {}",
                                w.1,
                                w.2,
                                tellers
                                    .get(&(a.clone(), r.clone(), w.0, w.1))
                                    .map_or(String::new(), |t| t.join(", "))
                            ),
                            at.clone(),
                        );
                    }
                    // The sessions started while it was the default, listed.
                    let spans: Vec<(i64, Option<i64>)> = s
                        .ssm
                        .truth
                        .get(&(a.clone(), r.clone(), DOC.to_string()))
                        .and_then(|t| t.iter().find(|t| t.incarnation == w.0 && t.number == w.1))
                        .map(|t| t.default_spans.clone())
                        .unwrap_or_default();
                    let text = texts
                        .get(&(a.clone(), r.clone(), w.0, w.1))
                        .cloned()
                        .unwrap_or_default();
                    for session in s
                        .ssm
                        .sessions
                        .get(&(a.clone(), r.clone()))
                        .into_iter()
                        .flatten()
                    {
                        let inside = spans.iter().any(|(from, to)| {
                            session.start_ms >= *from && to.is_none_or(|t| session.start_ms < t)
                        });
                        // An alert lists what had started when it was decided.
                        let told_by = last_told
                            .get(&(a.clone(), r.clone(), w.0, w.1))
                            .copied()
                            .unwrap_or(i64::MIN);
                        // A read of the sessions that failed is said in the
                        // alert (`sessions_unread`), never the alert lost.
                        let unread = sessions_unread.contains(&(a.clone(), r.clone(), w.0, w.1));
                        if inside
                            && n > 0
                            && session.start_ms < told_by
                            && !unread
                            && !text.contains(&session.id)
                        {
                            self.note("2 no window untold", format!("{a} {r}: v{} ({:?}): session {} started while it was the default and is not listed", w.1, w.2, session.id), at.clone());
                        }
                    }
                    // Its editor named, when the event that made it the default was delivered.
                    let delivered: Vec<String> =
                        w.4.iter()
                            .filter(|(ev, _)| trails.get(ev).is_some_and(|t| t.1.is_some()))
                            .map(|(_, who)| actor_of(who, a))
                            .collect();
                    // In audit, a run of the same value was news once: its first editor.
                    if !delivered.is_empty()
                        && ((k == 0 && !headed) || self.w.mode == Mode::Enforce)
                    {
                        let named = counts
                            .get(&(a.clone(), r.clone(), w.0, w.1))
                            .is_some_and(|c| c.1.iter().any(|x| delivered.contains(x)));
                        if !named {
                            self.note("2 no window untold", format!("{a} {r}: v{} ({:?}): its editor {:?} was delivered but never named", w.1, w.2, delivered), at.clone());
                        }
                    }
                }
            }
        }
        self.lives(s, &alerts, &at);
        // 4. Never cries wolf.
        if !any_bad {
            // Made in an account governed at the end, or while its account
            // was in scope (an edit put back and told before the account
            // left for good was an edit all the same).
            let governed = self.governed();
            let made_bad = self.w.accounts.iter().any(|a| {
                self.w.regions.iter().any(|r| {
                    s.ssm
                        .truth
                        .get(&(a.clone(), r.clone(), DOC.to_string()))
                        .is_some_and(|t| {
                            t.iter().any(|v| {
                                v.created_ms >= self.t0
                                    && (governed.contains(&(a.clone(), r.clone()))
                                        || self
                                            .w
                                            .in_scope(a, (v.created_ms - self.t0).div_euclid(1000)))
                                    && self.bad(a, &v.content)
                            })
                        })
                })
            });
            let canaries_in_time = trails
                .iter()
                .filter(|(_, t)| t.2 == "AddTagsToResource")
                .all(|(id, t)| !lost.contains(id) && t.1.is_some_and(|d| d - t.0 < 15 * 60_000));
            // A governed document deleted (and made again, by its editor or
            // by runas-guard's put-back): while it was gone Session Manager
            // had no preferences there, Run As off (sessions as ssm-user);
            // the run that finds it made again tells that as a
            // `run_as_window` with `recreated`, one that finds it gone as
            // drift (`created`).
            // As for an edit (above): a deletion while the account was in
            // scope is one, whether or not the account is governed at the
            // end (seed 720997: deleted and made again, then the account
            // left the organization for good, and its `recreated` alert
            // was called a wolf).
            let deleted = self.w.accounts.iter().any(|a| {
                self.w.regions.iter().any(|r| {
                    s.ssm
                        .truth
                        .get(&(a.clone(), r.clone(), DOC.to_string()))
                        .is_some_and(|t| {
                            let first = t.iter().map(|v| v.incarnation).min();
                            t.iter().any(|v| {
                                Some(v.incarnation) != first
                                    && v.created_ms >= self.t0
                                    && (governed.contains(&(a.clone(), r.clone()))
                                        || self
                                            .w
                                            .in_scope(a, (v.created_ms - self.t0).div_euclid(1000)))
                            })
                        })
                })
            });
            for body in alerts.values() {
                let kind = body["kind"].as_str().unwrap_or_default();
                let recreated = body.get("recreated").is_some_and(|r| !r.is_null());
                let wolf = match kind {
                    "run_as_window" if recreated => !made_bad && !deleted,
                    // Versions named only as not judged (their read failed)
                    // are no claim about their Run As: the alert says a read
                    // failed, never that Run As was out of policy.
                    "run_as_window" if only_unjudged(body) => false,
                    // A document deleted and not made again by its editor
                    // is Run As off too: its put-back (`created`, 632394) is
                    // drift, not a wolf.
                    "drift_reverted" | "tamper_repeated" | "drift_detected" | "run_as_window" => {
                        !made_bad && !deleted
                    }
                    "forwarding_missing" => !made_bad && canaries_in_time,
                    _ => false,
                };
                if wolf {
                    self.note(
                        "4 never cries wolf",
                        format!(
                            "{kind} with no Run As edit: {}",
                            body["subject"]
                                .as_str()
                                .unwrap_or_else(|| body["alert_id"].as_str().unwrap_or_default())
                        ),
                        at.clone(),
                    );
                }
            }
        }
    }
}

impl Checker {
    /// In audit, for an account that came back into scope: the version
    /// that was its default then, made before (another life's), held Run As
    /// out of policy, and told by an alert decided after the return (as a
    /// window whose first default is the return).
    fn came_back_with(
        &self,
        s: &State,
        alerts: &BTreeMap<String, &Value>,
        a: &str,
        r: &str,
    ) -> Option<Window> {
        if self.w.mode != Mode::Audit || self.t0 == i64::MAX {
            return None;
        }
        let back = self
            .t0
            .saturating_add(self.w.reentered(a)?.saturating_mul(1000));
        let t = s
            .ssm
            .truth
            .get(&(a.to_string(), r.to_string(), DOC.to_string()))?
            .iter()
            .find(|t| {
                t.created_ms < back
                    && t.default_spans
                        .iter()
                        .any(|sp| sp.0 <= back && sp.1.is_none_or(|e| e > back))
            })?;
        if !self.bad(a, &t.content) {
            return None;
        }
        let told = alerts.values().any(|body| {
            self.told_in(s, body)
                .into_iter()
                .any(|(a2, r2, v, follow, _, at)| {
                    a2 == a
                        && r2 == r
                        && v == t.number
                        && !follow
                        && at >= back
                        && incarnation(s, a, r, v, at) == t.incarnation
                })
        });
        told.then(|| {
            (
                t.incarnation,
                t.number,
                self.run_as_of(&t.content),
                back,
                vec![],
            )
        })
    }

    /// The accounts' lives: a rejoined account (in scope at the end) is
    /// told `account_configured` exactly once for its new life (whichever
    /// path found it: its join event, a sweep), and no drift alert tells a
    /// version made while it was out of the organization (another life's
    /// edit is no window of this one's).
    fn lives(&mut self, s: &State, alerts: &BTreeMap<String, &Value>, at: &str) {
        if self.t0 == i64::MAX {
            return;
        }
        for a in self.w.accounts.clone() {
            for r in self.w.rejoins(&a) {
                let joined = self.t0 + r * 1000;
                if !self.w.in_scope(&a, i64::MAX)
                    || joined > self.t0 + self.w.horizon_s as i64 * 1000
                {
                    continue;
                }
                let n = alerts
                    .values()
                    .filter(|b| {
                        b["kind"].as_str() == Some("account_configured")
                            && b["account"].as_str() == Some(a.as_str())
                            && b["at"]
                                .as_str()
                                .and_then(runas_guard::domain::clock::parse_iso)
                                .is_some_and(|t| t >= joined)
                    })
                    .count();
                // Told when runas-guard configured the new life: it wrote
                // there in enforce before any editor touched it again.
                let next_edit = self
                    .w
                    .steps
                    .iter()
                    .filter(|st| st.account == a && self.t0 + st.at_s as i64 * 1000 >= joined)
                    .map(|st| self.t0 + st.at_s as i64 * 1000)
                    .min()
                    .unwrap_or(i64::MAX);
                let configured = self.w.mode == Mode::Enforce
                    && s.ssm.truth.iter().any(|((acc, _, _), vs)| {
                        *acc == a
                            && vs.iter().any(|v| {
                                product(&v.maker)
                                    && v.created_ms >= joined
                                    && v.created_ms < next_edit
                            })
                    });
                if n > 1 || (configured && n == 0) {
                    self.note(
                        "2 no window untold",
                        format!("{a} joined the organization again at +{r}s and was told account_configured {n} times for that life (want {})", if configured { "once" } else { "at most once" }),
                        at.to_string(),
                    );
                }
            }
        }
        // In audit a first look reports what it finds (drift_detected):
        // only a put-back's alert says someone changed it.
        let enforce = self.w.mode == Mode::Enforce;
        for body in alerts.values().filter(|_| enforce) {
            let kind = body["kind"].as_str().unwrap_or_default();
            if !matches!(
                kind,
                "drift_reverted" | "tamper_repeated" | "drift_detected" | "run_as_window"
            ) {
                continue;
            }
            for (a, r, v, _, _, t) in self.told_in(s, body) {
                if named_unjudged(body, v) {
                    continue;
                }
                let inc = incarnation(s, &a, &r, v, t);
                // When the window told opened: the version's last span as the
                // default begun by the alert. A version made while the account
                // was out but made the default after it came back (610002) is
                // this life's window, its editor rightly told.
                let opened = s
                    .ssm
                    .truth
                    .get(&(a.clone(), r.clone(), DOC.to_string()))
                    .and_then(|vs| vs.iter().find(|x| x.incarnation == inc && x.number == v))
                    .and_then(|x| {
                        x.default_spans
                            .iter()
                            .map(|s| s.0)
                            .filter(|s| *s <= t)
                            .max()
                    });
                if let Some(opened) = opened.filter(|m| *m >= self.t0) {
                    if self.w.departed_at(&a, (opened - self.t0).div_euclid(1000)) {
                        self.note(
                            "4 never cries wolf",
                            format!("{kind} tells {a} {r} v{v}, made the default while the account was out of the organization (another life's)"),
                            at.to_string(),
                        );
                    }
                }
            }
        }
    }
}

/// The latest version a drift alert names the maker of where it differs
/// from the default the alert tells: (account, region, latest, actor, when
/// it was decided).
fn latest_named(body: &Value) -> Vec<(String, String, u32, String, i64)> {
    let kind = body["kind"].as_str().unwrap_or_default();
    if !matches!(
        kind,
        "drift_reverted" | "tamper_repeated" | "drift_detected"
    ) {
        return vec![];
    }
    let (Some(actor), Some(region)) = (body["actor"].as_str(), body["region"].as_str()) else {
        return vec![];
    };
    let num = |v: &Value| v.as_str().and_then(|s| s.parse::<u32>().ok());
    let vb = &body["versions_before"];
    let (Some(default), Some(latest)) = (num(&vb["default"]), num(&vb["latest"])) else {
        return vec![];
    };
    let at = body["at"]
        .as_str()
        .and_then(runas_guard::domain::clock::parse_iso)
        .unwrap_or(i64::MAX);
    let account = body["account"].as_str().unwrap_or_default().to_string();
    match latest != default {
        true => vec![(account, region.to_string(), latest, actor.to_string(), at)],
        false => vec![],
    }
}

fn actor_of(arn: &str, account: &str) -> String {
    // arn:aws:sts::A:assumed-role/ROLE/SESSION -> arn:aws:iam::A:role/ROLE
    match arn.split_once(":assumed-role/") {
        Some((_, rest)) => format!(
            "arn:aws:iam::{account}:role/{}",
            rest.split('/').next().unwrap_or_default()
        ),
        None => arn.to_string(),
    }
}

/// The checker's own rule for a version told more than once (invariant 2):
/// one judged telling after an `unjudged` one, nothing further.
#[test]
fn one_judged_telling_follows_an_unjudged_one_and_nothing_more() {
    const U: bool = true;
    const J: bool = false;
    let cases: &[(&[(i64, bool)], usize)] = &[
        (&[], 0),
        (&[(1, J)], 0),
        (&[(1, U)], 0),
        // The later read found it out of policy: the one follow-up.
        (&[(1, U), (2, J)], 1),
        // Decided at the same moment: still the one follow-up.
        (&[(2, J), (2, U)], 1),
        // Listed out of order: time decides.
        (&[(5, J), (1, U)], 1),
        // Judged first: an `unjudged` telling after it is a repeat.
        (&[(1, J), (2, U)], 0),
        (&[(1, J), (2, J)], 0),
        (&[(1, U), (2, U)], 0),
        // Nothing after the judged one.
        (&[(1, U), (2, J), (3, J)], 1),
        (&[(1, U), (2, U), (3, J)], 1),
        // Each window of its own (it became the default again).
        (&[(1, U), (2, J), (3, U), (4, J)], 2),
    ];
    for (tellings, want) in cases {
        assert_eq!(
            resolved_after_unjudged(tellings),
            *want,
            "tellings {tellings:?}"
        );
    }
}

/// The exploration's summary sorts findings by these shapes; a detail the
/// checker words differently falls to the invariant's "other", never to
/// another shape.
#[test]
fn findings_sort_by_shape_and_tellers() {
    let v = |invariant: &'static str, detail: &str| Violation {
        invariant,
        detail: detail.to_string(),
        first_seen: String::new(),
    };
    let cases = [
        (v("1 convergence", "a r: runas-guard wrote v3 in audit mode"), "1 written in audit or out of scope"),
        (v("1 convergence", "a r: default v2 latest v3, Run As None (want x)"), "1 not converged"),
        (v("2 no window untold", "a r: v1 (None) told more than once, by run_as_window (document_changed eb-1), run_as_window (document_changed eb-1)"), "2 told twice by one trigger's runs"),
        (v("2 no window untold", "a r: v1 (None) told more than once, by drift_reverted (sweep sweep-0001), run_as_window (document_changed eb-2)"), "2 told twice by a sweep and another run"),
        (v("2 no window untold", "a r: v1 (None) told more than once, by run_as_window (document_changed eb-1), drift_reverted (document_changed eb-2)"), "2 told twice by two triggers' runs"),
        (v("2 no window untold", "a r: v1 (None) told more than once"), "2 told twice"),
        (v("2 no window untold", "a r: v1 (None), v2 (None) held Run As out of policy as the default and was never told"), "2 never told"),
        (v("2 no window untold", "a r: v1 (None): its editor [\"x\"] was delivered but never named"), "2 editor never named"),
        (v("2 no window untold", "a r: v1 (None): session s-1 started while it was the default and is not listed"), "2 session not listed"),
        (v("2 no window untold", "a joined the organization again at +5s and was told account_configured 2 times for that life (want once)"), "2 a life told configured never or twice"),
        (v("2 no window untold", "something new"), "2 other"),
        (v("3 no lost alert", "alert x (drift_reverted) was kept in the outbox and never published"), "3 alert lost"),
        (v("4 never cries wolf", "anything"), "4 wolf"),
        (v("5 nothing recorded that was not judged", "anything"), "5 recorded past"),
        (v("modelled", "an expression"), "expression not modelled"),
    ];
    for (violation, want) in cases {
        assert_eq!(shape(&violation), want, "{}", violation.detail);
    }
}

//! One schedule, played: the product's own entry (`dispatch`, what the
//! Lambda handler calls, under the invocation's deadline) in simulated
//! Lambda instances, fed by simulated EventBridge (CloudTrail events of
//! every document write, delayed, duplicated or lost; the scheduled sweep),
//! Lambda's asynchronous retries (twice, about 1 and 2 minutes later), the
//! sweep queue's event source mapping (visibility timeout, dead-letter
//! queue), the operator's `reconcile`, and the editors. One current-thread
//! tokio runtime with paused time; every choice from the seed.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use tokio::sync::mpsc;

use runas_guard::domain::config::Settings;
use runas_guard::domain::policy::Policy;
use runas_guard::flow::dispatch::dispatch;
use runas_guard::flow::reactor::Reactor;

use crate::aws::{self, messaging, now_ms, stamp, Instance, Sim, State, Who};
use crate::check::{self, Checker, Violation};
use crate::http::{sdk_config, SimHttp};
use crate::rng::Rng;
use crate::world::{self, Edit, Mode, Switch, World, DOC, HUB, HUB_REGION, MEMBER_ROLE, TABLE};

/// The organization-scale run in virtual time (`SIM_SCALE`, `make bench-scale`).
pub mod scale;

/// Lambda's timeout for the function (infra/hub.yaml `Timeout: 900`).
const LAMBDA_TIMEOUT: Duration = Duration::from_secs(900);
/// The virtual instant every schedule starts at (2026-11-26T00:00:00Z).
const EPOCH_S: u64 = 1_795_651_200;
const TOPIC: &str = "arn:aws:sns:us-east-1:100000000000:runas-guard-alerts";
const QUEUE: &str = "https://sqs.us-east-1.amazonaws.com/100000000000/runas-guard-sweep";

pub struct Report {
    pub seed: u64,
    pub trace: Vec<String>,
    pub violations: Vec<Violation>,
    pub calls: u64,
    pub invocations: u64,
}

#[derive(Debug, Clone)]
enum Kind {
    /// An asynchronous invocation (EventBridge): attempt 0, then retries.
    Async {
        attempt: u32,
        trail: Option<String>,
    },
    Sqs {
        ids: Vec<String>,
    },
    Operator,
}

enum Ended {
    Answered { failed: bool, body: Value },
    Killed,
    TimedOut,
}

struct Done {
    inst: u32,
    kind: Kind,
    payload: Value,
    ended: Ended,
}

enum Action {
    Step(usize),
    /// An account's life step (`World::lives`).
    Life(usize),
    /// A departed account joins again (a new `JoinedTimestamp`).
    Rejoin(usize),
    /// The member stack lands in a rejoined account: its role is back.
    RoleBack(String),
    SwitchDefault {
        account: String,
        region: String,
        incarnation: u32,
        version: u32,
        who: Who,
    },
    Create {
        account: String,
        region: String,
        content: String,
        who: Who,
    },
    Deliver {
        event: Value,
        trail: String,
    },
    Retry {
        payload: Value,
        attempt: u32,
        trail: Option<String>,
    },
    Sweep,
    Operator,
}

struct Slot {
    id: u32,
    reactor: Reactor,
    busy: bool,
}

/// Schedules run one at a time in a process: the product keeps the
/// invocation's deadline process-wide (src/domain/deadline.rs).
static SERIAL: Mutex<()> = Mutex::new(());

pub fn run(seed: u64, verbose: bool) -> Report {
    run_with(seed, verbose, verbose)
}

/// `trace`: keep the trace in the report (a replay or the determinism
/// check); the budget and the exploration play without it.
pub fn run_with(seed: u64, verbose: bool, trace: bool) -> Report {
    run_in(seed, crate::profile::from_env(), verbose, trace)
}

/// A seed's schedule under `profile`, whatever `SIM_FAULTS` says: a
/// regression seed found in another profile than the budget's replays the
/// schedule it was found in (tests/sim/seeds.txt names it).
pub fn run_in(seed: u64, profile: crate::profile::Profile, verbose: bool, trace: bool) -> Report {
    let _one = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    // The product's futures nest deep (an unoptimised build's are large):
    // a thread of its own with room for them.
    std::thread::Builder::new()
        .name(format!("sim-{seed}"))
        .stack_size(256 << 20)
        .spawn(move || play(seed, profile, verbose, trace))
        .expect("thread")
        .join()
        .unwrap_or_else(|p| std::panic::resume_unwind(p))
}

fn play(seed: u64, profile: crate::profile::Profile, verbose: bool, trace: bool) -> Report {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("runtime");
    let report = rt.block_on(async move {
        runas_guard::domain::clock::anchor(Some(
            std::time::UNIX_EPOCH + Duration::from_secs(EPOCH_S),
        ));
        // The SDK's retry jitter and invocation ids draw from fastrand's
        // thread-local generator: seeded, the schedule replays exactly.
        fastrand::seed(seed);
        // Every id a run makes (its owner token, an operator run's id) too.
        runas_guard::domain::ids::draw_from(Some(seed));
        let mut d = Driver::with_world(profile.apply(World::new(seed)), verbose, trace);
        d.play().await;
        d.report()
    });
    drop(rt);
    runas_guard::domain::clock::anchor(None);
    runas_guard::domain::ids::draw_from(None);
    report
}

struct Driver {
    w: World,
    sim: Sim,
    rng: Rng,
    start_ms: i64,
    policy: Policy,
    settings: Settings,
    pool: Vec<Slot>,
    next_instance: u32,
    actions: BTreeMap<(i64, u64), Action>,
    seq: u64,
    tx: mpsc::UnboundedSender<Done>,
    rx: mpsc::UnboundedReceiver<Done>,
    in_flight: usize,
    /// CloudTrail event id -> (written at, first answered at).
    trails: BTreeMap<String, (i64, Option<i64>, String)>,
    lost_trails: BTreeSet<String>,
    crashes_on: bool,
    invocations: u64,
    checker: Checker,
    seen_calls: u64,
    nonce: u64,
    /// CloudTrail records EventBridge loses whatever its rate (a life's
    /// event drawn lost).
    lose: BTreeSet<String>,
    /// Account-regions whose CloudTrail records EventBridge loses until
    /// then (an unseen edit's update and default switch).
    unseen: Vec<(String, String, i64)>,
    /// Freezes are drawn apart (a world without them draws as before).
    pauses: Rng,
    /// Records EventBridge holds for an editors' episode (the hold's index
    /// in `World::holds`), and the holds released.
    held: Vec<(usize, aws::ssm::Trail)>,
    released: BTreeSet<usize>,
    /// When the schedule began (the holds count from it).
    t0: i64,
}

impl Driver {
    fn with_world(w: World, verbose: bool, trace: bool) -> Driver {
        let seed = w.seed;
        let mut rng = Rng::new(seed);
        let aws_rng = rng.fork();
        let _ = rng.fork();
        let policy =
            Policy::parse(&w.policy_toml(), "sim-policy.toml").expect("the world's policy parses");
        let settings = Settings {
            table: TABLE.into(),
            topic_arn: TOPIC.into(),
            chat_topic_arn: None,
            sweep_queue_url: Some(QUEUE.into()),
            fanout_threshold: w.fanout_threshold,
            concurrency: 16,
            max_in_flight: runas_guard::domain::config::DEFAULT_MAX_IN_FLIGHT,
            claim_lease: runas_guard::domain::config::DEFAULT_CLAIM_LEASE,
            member_stack_set: runas_guard::domain::trigger::MEMBER_STACK_SET.into(),
            stackset_admin: Some(HUB.into()),
            pending_window: runas_guard::domain::config::DEFAULT_PENDING_WINDOW,
            pending_delays: runas_guard::domain::config::DEFAULT_PENDING_DELAYS.to_vec(),
        };
        let start_ms = now_ms();
        let mut state = State::new(aws_rng, HUB, verbose, trace);
        for line in w.describe().lines() {
            state.log(line.to_string());
        }
        build_world(&w, &mut state, start_ms);
        let (tx, rx) = mpsc::unbounded_channel();
        let checker = Checker::new(&w);
        Driver {
            sim: Arc::new(Mutex::new(state)),
            rng,
            start_ms,
            policy,
            settings,
            pool: vec![],
            next_instance: 0,
            actions: BTreeMap::new(),
            seq: 0,
            tx,
            rx,
            in_flight: 0,
            trails: BTreeMap::new(),
            lost_trails: BTreeSet::new(),
            crashes_on: false,
            invocations: 0,
            checker,
            seen_calls: 0,
            nonce: 0,
            lose: BTreeSet::new(),
            unseen: vec![],
            pauses: Rng::new(seed ^ 0x7061_7573_6573_0001),
            held: vec![],
            released: BTreeSet::new(),
            t0: i64::MAX,
            w,
        }
    }

    fn log(&self, line: String) {
        let at = stamp(self.start_ms);
        self.sim.lock().unwrap().log(format!("{at} {line}"));
    }

    fn at(&mut self, when_ms: i64, action: Action) {
        self.seq += 1;
        self.actions.insert((when_ms, self.seq), action);
    }

    async fn play(&mut self) {
        // Warm-up: one sweep without faults records the organization.
        self.log("== warm-up sweep (no faults)".into());
        self.at(now_ms(), Action::Sweep);
        self.until_quiet(now_ms() + 6 * 3600 * 1000).await;
        let t0 = now_ms();
        self.t0 = t0;
        self.checker.watch_from(t0);
        self.log("== schedule".into());
        {
            let mut s = self.sim.lock().unwrap();
            s.fault_rate = self.w.fault_rate;
        }
        self.crashes_on = true;
        crate::aim::set(self.w.seed, self.w.aim.clone());
        crate::storm::bursts(self.w.pause_rate > 0.0);
        crate::storm::set(
            self.w
                .storms
                .iter()
                .map(|st| crate::storm::Storm {
                    account: st.account.clone(),
                    service: st.service,
                    op: st.op,
                    region: st.region.clone(),
                    from_ms: t0 + st.from_s as i64 * 1000,
                    to_ms: t0 + st.to_s as i64 * 1000,
                    rate: st.rate,
                })
                .collect(),
        );
        for i in 0..self.w.steps.len() {
            let at = t0 + self.w.steps[i].at_s as i64 * 1000;
            self.at(at, Action::Step(i));
        }
        for i in 0..self.w.lives.len() {
            let at = t0 + self.w.lives[i].at_s as i64 * 1000;
            self.at(at, Action::Life(i));
        }
        let mut t = self.w.sweep_every_s;
        while t <= self.w.horizon_s {
            self.at(t0 + t as i64 * 1000, Action::Sweep);
            t += self.w.sweep_every_s;
        }
        for t in self.w.operator_at.clone() {
            self.at(t0 + t as i64 * 1000, Action::Operator);
        }
        let end = t0 + self.w.horizon_s as i64 * 1000;
        self.until(end).await;
        // Final: no more faults or crashes; everything in flight lands,
        // then a fault-free sweep, then quiet.
        self.log("== final (no faults): deliveries, retries, then one sweep".into());
        {
            let mut s = self.sim.lock().unwrap();
            s.fault_rate = 0.0;
        }
        self.crashes_on = false;
        crate::storm::set(vec![]);
        crate::storm::bursts(false);
        self.until_quiet(now_ms() + 8 * 3600 * 1000).await;
        self.at(now_ms(), Action::Sweep);
        self.until_quiet(now_ms() + 8 * 3600 * 1000).await;
        // Forwarding is blamed 15 minutes after a change: let that pass, and
        // one more sweep look.
        tokio::time::sleep(Duration::from_secs(16 * 60)).await;
        self.at(now_ms(), Action::Sweep);
        self.until_quiet(now_ms() + 8 * 3600 * 1000).await;
        self.log("== quiescent: checking".into());
        let published: Vec<String> = self
            .sim
            .lock()
            .unwrap()
            .sns
            .published
            .iter()
            .map(|p| {
                format!(
                    "published at {} ({}): {}",
                    aws::wire::iso(p.at_ms),
                    p.subject,
                    p.message
                )
            })
            .collect();
        for p in published {
            self.log(p);
        }
        let s = self.sim.lock().unwrap();
        let ok_trails: BTreeMap<String, (i64, Option<i64>, String)> = self.trails.clone();
        self.checker
            .at_end(&s, &ok_trails, &self.lost_trails, stamp(self.start_ms));
    }

    /// Run until virtual time `end`.
    async fn until(&mut self, end: i64) {
        while now_ms() < end {
            self.tick().await;
        }
    }

    /// Run until nothing is pending, in flight or queued (or `limit`).
    async fn until_quiet(&mut self, limit: i64) {
        loop {
            self.tick().await;
            let queued = {
                let s = self.sim.lock().unwrap();
                s.sqs
                    .queues
                    .get(QUEUE)
                    .is_some_and(|q| !q.messages.is_empty())
            };
            if self.in_flight == 0
                && self.actions.is_empty()
                && !queued
                && self.pending_trail() == 0
                && self.held.is_empty()
            {
                return;
            }
            if now_ms() > limit {
                self.log("!! not quiet by the limit".into());
                self.checker.note(
                    "quiescence",
                    "the schedule did not become quiet within 8 hours of virtual time".into(),
                    stamp(self.start_ms),
                );
                return;
            }
        }
    }

    fn pending_trail(&self) -> usize {
        self.sim.lock().unwrap().ssm.trail.len()
    }

    async fn tick(&mut self) {
        while let Ok(done) = self.rx.try_recv() {
            self.finished(done);
        }
        self.route_trail();
        let now = now_ms();
        while let Some((&(t, seq), _)) = self.actions.first_key_value() {
            if t > now {
                break;
            }
            let action = self.actions.remove(&(t, seq)).expect("first");
            self.act(action);
        }
        self.poll_queue();
        let calls = self.sim.lock().unwrap().calls;
        if calls != self.seen_calls {
            self.seen_calls = calls;
            let s = self.sim.lock().unwrap();
            self.checker.each_step(&s, &stamp(self.start_ms));
        }
        let next = self
            .actions
            .first_key_value()
            .map(|(k, _)| k.0)
            .unwrap_or(i64::MAX);
        // A hold released by a put-back is released the moment it lands.
        let cap = if self.in_flight > 0 && self.racing() {
            5
        } else {
            1000
        };
        let wait = (next - now_ms()).clamp(1, cap);
        tokio::time::sleep(Duration::from_millis(wait as u64)).await;
    }

    /// CloudTrail records reach EventBridge: delayed, duplicated, lost.
    fn route_trail(&mut self) {
        let trail: Vec<aws::ssm::Trail> = std::mem::take(&mut self.sim.lock().unwrap().ssm.trail);
        if !self.w.holds.is_empty() {
            self.release(&trail);
        }
        for t in trail {
            let name = t.event["detail"]["eventName"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            self.trails
                .insert(t.id.clone(), (t.at_ms, None, name.clone()));
            // The member stack forwards a member account's events: one
            // that left the organization lost it (the StackSet deleted it).
            let forwarded = t.account == HUB
                || self
                    .sim
                    .lock()
                    .unwrap()
                    .sts
                    .roles
                    .get(&t.account)
                    .is_some_and(|r| r.contains(MEMBER_ROLE));
            if !forwarded {
                self.log(format!(
                    "event {} {name} {} {} not forwarded (no member stack)",
                    t.id, t.account, t.region
                ));
                continue;
            }
            if let Some(h) = self.holding(&t) {
                self.log(format!(
                    "event {} {name} {} {} held by EventBridge (episode)",
                    t.id, t.account, t.region
                ));
                self.held.push((h, t));
                continue;
            }
            let forced = self.lose.remove(&t.id)
                | self
                    .unseen
                    .iter()
                    .any(|(a, r, until)| *a == t.account && *r == t.region && t.at_ms <= *until);
            if self.crashes_on && (self.rng.chance(self.w.event_loss) | forced) {
                self.lost_trails.insert(t.id.clone());
                self.log(format!(
                    "event {} {name} {} {} LOST by EventBridge",
                    t.id, t.account, t.region
                ));
                continue;
            }
            let copies = if self.crashes_on && self.rng.chance(self.w.event_dup) {
                2
            } else {
                1
            };
            for _ in 0..copies {
                let delay = if self.rng.chance(0.05) {
                    self.rng.range(1000, 14 * 60 * 1000)
                } else {
                    self.rng.range(500, self.w.max_delay_s * 1000)
                } as i64;
                self.log(format!(
                    "event {} {name} {} {} delivered in {}ms",
                    t.id, t.account, t.region, delay
                ));
                self.at(
                    t.at_ms.max(now_ms()) + delay,
                    Action::Deliver {
                        event: t.event.clone(),
                        trail: t.id.clone(),
                    },
                );
            }
        }
    }

    /// The unreleased hold that keeps `t` back, if any (runas-guard's own
    /// writes are never held: a put-back's releases its hold).
    fn holding(&self, t: &aws::ssm::Trail) -> Option<usize> {
        (0..self.w.holds.len()).find(|i| {
            let h = &self.w.holds[*i];
            !self.released.contains(i)
                && h.keeps(&t.account, &t.region, t.at_ms, self.t0)
                && !crate::editors::own_write(&t.event)
        })
    }

    /// Whether a hold waits for runas-guard's put-back now.
    fn racing(&self) -> bool {
        let now = now_ms();
        self.w.holds.iter().enumerate().any(|(i, h)| {
            h.on_put_back
                && !self.released.contains(&i)
                && h.keeps(&h.account, &h.region, now, self.t0)
        })
    }

    /// Holds due (their time is up, or runas-guard's put-back in `trail`
    /// landed in their account-region): their records delivered, at once
    /// after a put-back, else with EventBridge's delay from now.
    fn release(&mut self, trail: &[aws::ssm::Trail]) {
        let now = now_ms();
        for i in 0..self.w.holds.len() {
            let h = &self.w.holds[i];
            if self.released.contains(&i) || self.t0 == i64::MAX {
                continue;
            }
            let put_back = h.on_put_back
                && trail.iter().any(|t| {
                    h.keeps(&t.account, &t.region, t.at_ms, self.t0)
                        && crate::editors::own_put_back(&t.event)
                });
            if !put_back && now < self.t0.saturating_add(h.until_s as i64 * 1000) {
                continue;
            }
            self.released.insert(i);
            let (mine, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut self.held)
                .into_iter()
                .partition(|(k, _)| *k == i);
            self.held = rest;
            for (_, t) in mine {
                let delay = if put_back {
                    self.rng.range(0, 100)
                } else {
                    self.rng.range(500, self.w.max_delay_s * 1000)
                } as i64;
                self.log(format!(
                    "event {} {} {} {} released by EventBridge{}: delivered in {delay}ms",
                    t.id,
                    t.event["detail"]["eventName"].as_str().unwrap_or_default(),
                    t.account,
                    t.region,
                    if put_back {
                        " at runas-guard's put-back"
                    } else {
                        ""
                    }
                ));
                self.at(
                    now + delay,
                    Action::Deliver {
                        event: t.event.clone(),
                        trail: t.id.clone(),
                    },
                );
            }
        }
    }

    fn act(&mut self, action: Action) {
        match action {
            Action::Step(i) => self.step(i),
            Action::Life(i) => self.life(i),
            Action::Rejoin(i) => self.rejoin(i),
            Action::RoleBack(account) => {
                self.sim
                    .lock()
                    .unwrap()
                    .sts
                    .roles
                    .entry(account.clone())
                    .or_default()
                    .insert(MEMBER_ROLE.to_string());
                self.log(format!(
                    "member stack lands in {account}: {MEMBER_ROLE} is back"
                ));
            }
            Action::SwitchDefault {
                account,
                region,
                incarnation,
                version,
                who,
            } => {
                let mut s = self.sim.lock().unwrap();
                let key = (account.clone(), region.clone(), DOC.to_string());
                let current = s.ssm.docs.get(&key).map(|d| d.incarnation);
                if current == Some(incarnation) {
                    let a = s.ssm.handle(
                        &who,
                        &account,
                        &region,
                        "UpdateDocumentDefaultVersion",
                        &json!({"Name": DOC, "DocumentVersion": version.to_string()}),
                        now_ms(),
                    );
                    drop(s);
                    self.log(format!(
                        "editor {} makes v{version} the default in {account} {region}: {:?}",
                        who.arn,
                        a.and_then(|a| a.code().map(str::to_string))
                    ));
                }
            }
            Action::Create {
                account,
                region,
                content,
                who,
            } => {
                let a = self.sim.lock().unwrap().ssm.handle(&who, &account, &region, "CreateDocument", &json!({"Name": DOC, "Content": content, "DocumentType": "Session", "DocumentFormat": "JSON"}), now_ms());
                self.log(format!(
                    "editor {} creates the document in {account} {region}: {:?}",
                    who.arn,
                    a.and_then(|a| a.code().map(str::to_string))
                ));
            }
            Action::Deliver { event, trail } => {
                if !self.invoke(
                    event.clone(),
                    Kind::Async {
                        attempt: 0,
                        trail: Some(trail.clone()),
                    },
                ) {
                    // Lambda throttles; EventBridge retries the delivery.
                    self.at(now_ms() + 1000, Action::Deliver { event, trail });
                }
            }
            Action::Retry {
                payload,
                attempt,
                trail,
            } => {
                if !self.invoke(
                    payload.clone(),
                    Kind::Async {
                        attempt,
                        trail: trail.clone(),
                    },
                ) {
                    self.at(
                        now_ms() + 1000,
                        Action::Retry {
                            payload,
                            attempt,
                            trail,
                        },
                    );
                }
            }
            Action::Sweep => {
                self.nonce += 1;
                let event = json!({
                    "version": "0", "id": format!("sweep-{:04}", self.nonce), "detail-type": "Scheduled Event",
                    "source": "aws.events", "account": HUB, "time": aws::wire::iso(now_ms()).replace(".000Z", "Z"),
                    "region": HUB_REGION, "resources": [format!("arn:aws:events:{HUB_REGION}:{HUB}:rule/runas-guard-sweep")], "detail": {}
                });
                if !self.invoke(
                    event,
                    Kind::Async {
                        attempt: 0,
                        trail: None,
                    },
                ) {
                    self.at(now_ms() + 1000, Action::Sweep);
                }
            }
            Action::Operator => self.operator(),
        }
    }

    fn new_instance(&mut self, label: String) -> u32 {
        self.next_instance += 1;
        let id = self.next_instance;
        self.sim.lock().unwrap().instances.insert(
            id,
            Instance {
                label,
                dead: false,
                calls: 0,
                crash_at: None,
                kill: Arc::new(tokio::sync::Notify::new()),
            },
        );
        id
    }

    /// A free warm instance, or a cold start; `None` at the concurrency limit.
    fn instance(&mut self) -> Option<usize> {
        if let Some(i) = self.pool.iter().position(|s| !s.busy) {
            return Some(i);
        }
        if self.pool.len() >= self.w.concurrency {
            return None;
        }
        let id = self.new_instance(format!("λ{}", self.next_instance + 1));
        let http = SimHttp {
            sim: self.sim.clone(),
            instance: id,
            start_ms: self.start_ms,
        };
        let config = sdk_config(http, HUB_REGION);
        let reactor = Reactor::new(&config, self.policy.clone(), self.settings.clone());
        self.pool.push(Slot {
            id,
            reactor,
            busy: false,
        });
        Some(self.pool.len() - 1)
    }

    fn invoke(&mut self, payload: Value, kind: Kind) -> bool {
        let Some(i) = self.instance() else {
            return false;
        };
        self.pool[i].busy = true;
        let (id, reactor) = (self.pool[i].id, self.pool[i].reactor.clone());
        let crash = (self.crashes_on && self.rng.chance(self.w.crash_rate))
            .then(|| (self.rng.range(1, 40), self.rng.chance(0.5)))
            // Triage: the same schedule with its crashes drawn but not done.
            .filter(|_| std::env::var_os("SIM_NO_CRASH").is_none());
        let kill = {
            let mut s = self.sim.lock().unwrap();
            let inst = s.instances.get_mut(&id).expect("instance");
            inst.calls = 0;
            inst.crash_at = crash;
            inst.kill.clone()
        };
        let pause =
            (self.crashes_on && self.w.pause_rate > 0.0 && self.pauses.chance(self.w.pause_rate))
                .then(|| {
                    (
                        self.pauses.range(1, 30),
                        self.pauses.range(35_000, 120_000) as i64,
                    )
                });
        crate::storm::pause(id, pause);
        let aimed = crate::aim::arm(id, self.crashes_on);
        self.invocations += 1;
        let request_id = format!("req-{:05}", self.invocations);
        self.log(format!(
            "invoke λ{id} {request_id} {} {}{}{}",
            kind_name(&kind),
            summary(&payload),
            pause
                .map(|(n, ms)| format!(" (will freeze at call {n} for {}s)", ms / 1000))
                .unwrap_or_default(),
            crash
                .map(|(n, a)| format!(
                    " (will crash at call {n}{})",
                    if a { ", after it lands" } else { "" }
                ))
                .unwrap_or_default()
        ));
        if let Some(line) = aimed {
            self.log(format!("  λ{id} {line}"));
        }
        self.in_flight += 1;
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let deadline = tokio::time::Instant::now() + LAMBDA_TIMEOUT;
            let ended = tokio::select! {
                biased;
                _ = kill.notified() => Ended::Killed,
                _ = tokio::time::sleep_until(deadline) => Ended::TimedOut,
                a = runas_guard::domain::deadline::within(deadline, dispatch(&reactor, &payload, &request_id)) => Ended::Answered { failed: a.failed, body: a.body },
            };
            let _ = tx.send(Done {
                inst: id,
                kind,
                payload,
                ended,
            });
        });
        true
    }

    fn operator(&mut self) {
        let id = self.new_instance("op".into());
        let http = SimHttp {
            sim: self.sim.clone(),
            instance: id,
            start_ms: self.start_ms,
        };
        let reactor = Reactor::new(
            &sdk_config(http, HUB_REGION),
            self.policy.clone(),
            self.settings.clone(),
        );
        self.log(format!("operator runs `runas-guard reconcile` (op{id})"));
        self.in_flight += 1;
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let ahead = reactor.read_ahead(false).await;
            let selection = runas_guard::flow::sweep::Selection {
                accounts: vec![],
                regions: vec![],
            };
            let out = reactor
                .reconcile_org(&reactor.org(), &selection, false, None, ahead)
                .await;
            let body = match &out {
                Ok(r) => {
                    json!({"reports": r.reports.len(), "alerts_sent": r.alerts_sent, "alerts_kept": r.alerts_kept})
                }
                Err(e) => json!({"error": e.to_string()}),
            };
            let _ = tx.send(Done {
                inst: id,
                kind: Kind::Operator,
                payload: Value::Null,
                ended: Ended::Answered {
                    failed: out.is_err(),
                    body,
                },
            });
        });
    }

    fn finished(&mut self, done: Done) {
        self.in_flight -= 1;
        let killed = !matches!(done.ended, Ended::Answered { .. });
        if let Some(i) = self.pool.iter().position(|s| s.id == done.inst) {
            if killed {
                self.pool.remove(i);
            } else {
                self.pool[i].busy = false;
            }
        }
        if matches!(done.ended, Ended::TimedOut) {
            self.sim.lock().unwrap().kill(done.inst);
        }
        let (failed, body) = match &done.ended {
            Ended::Answered { failed, body } => (*failed, body.clone()),
            Ended::Killed => (true, json!("killed")),
            Ended::TimedOut => (true, json!("timed out")),
        };
        let result = body
            .get("result")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| short(&body));
        self.log(format!(
            "λ{} {} ended: {}{}",
            done.inst,
            kind_name(&done.kind),
            if failed { "FAILED " } else { "" },
            result
        ));
        match done.kind {
            Kind::Async { attempt, trail } => {
                if !failed {
                    if let Some(t) = &trail {
                        if let Some(e) = self.trails.get_mut(t) {
                            e.1.get_or_insert(now_ms());
                        }
                    }
                } else if attempt < 2 {
                    let wait = if attempt == 0 { 60_000 } else { 120_000 }
                        + self.rng.range(0, 10_000) as i64;
                    self.at(
                        now_ms() + wait,
                        Action::Retry {
                            payload: done.payload,
                            attempt: attempt + 1,
                            trail,
                        },
                    );
                } else {
                    self.log("  retries exhausted: to the on-failure destination".into());
                }
            }
            Kind::Sqs { ids } => {
                if killed || failed {
                    return;
                }
                let failures: BTreeSet<String> = body["batchItemFailures"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|f| f["itemIdentifier"].as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default();
                let mut s = self.sim.lock().unwrap();
                for id in ids.iter().filter(|id| !failures.contains(*id)) {
                    s.sqs.delete(QUEUE, id);
                }
            }
            Kind::Operator => {}
        }
    }

    /// The event source mapping: visible messages, in batches of 10.
    fn poll_queue(&mut self) {
        loop {
            let any = {
                let s = self.sim.lock().unwrap();
                s.sqs.next_visible(QUEUE).is_some_and(|t| t <= now_ms())
            };
            if !any || self.pool.iter().all(|s| s.busy) && self.pool.len() >= self.w.concurrency {
                return;
            }
            let batch: Vec<messaging::Message> = {
                let mut s = self.sim.lock().unwrap();
                let n = self.invocations + 1;
                s.sqs.receive(QUEUE, 10, now_ms(), n)
            };
            if batch.is_empty() {
                return;
            }
            let records: Vec<Value> = batch
                .iter()
                .map(|m| json!({
                    "messageId": m.id, "receiptHandle": format!("rh-{}-{}", m.id, m.receives), "body": m.body,
                    "attributes": {"ApproximateReceiveCount": m.receives.to_string(), "SentTimestamp": "0", "SenderId": HUB, "ApproximateFirstReceiveTimestamp": "0"},
                    "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
                    "eventSourceARN": format!("arn:aws:sqs:{HUB_REGION}:{HUB}:runas-guard-sweep"), "awsRegion": HUB_REGION
                }))
                .collect();
            let ids = batch.iter().map(|m| m.id.clone()).collect();
            if !self.invoke(json!({"Records": records}), Kind::Sqs { ids }) {
                return;
            }
        }
    }

    /// An editor's step, straight on the simulated AWS (not through the
    /// product's seam): what a person or a pipeline does in the console.
    fn step(&mut self, i: usize) {
        let mut st = self.w.steps[i].clone();
        // An unseen edit is an edit made at once whose events are lost.
        if let Edit::Unseen(b) = st.edit {
            self.unseen
                .push((st.account.clone(), st.region.clone(), now_ms() + 2000));
            st.edit = Edit::RunAs(b, Switch::Now);
        }
        let who = st.editor.who(&st.account);
        let key = (st.account.clone(), st.region.clone(), DOC.to_string());
        self.nonce += 1;
        let prefix = format!("logs/{}-{}", self.w.seed % 1000, self.nonce);
        let now = now_ms();
        let mut s = self.sim.lock().unwrap();
        let doc = s.ssm.docs.get(&key).cloned();
        let mut lines = vec![format!(
            "step {i}: {:?} by {} in {} {}",
            st.edit, who.arn, st.account, st.region
        )];
        let mut later = vec![];
        match (&st.edit, doc) {
            (Edit::Session(minutes), _) => {
                let n = s
                    .ssm
                    .sessions
                    .entry((st.account.clone(), st.region.clone()))
                    .or_default()
                    .len();
                let session = aws::ssm::Session {
                    id: format!("jane.doe-{:017x}", self.nonce * 7919 + n as u64),
                    owner: who.arn.clone(),
                    target: "i-0123456789abcdef0".into(),
                    start_ms: now,
                    end_ms: Some(now + *minutes as i64 * 60_000),
                };
                s.ssm
                    .sessions
                    .entry((st.account.clone(), st.region.clone()))
                    .or_default()
                    .push(session);
            }
            (Edit::RunAs(..) | Edit::Logging(_) | Edit::Restore(_), None) => {
                let run_as = match &st.edit {
                    Edit::RunAs(b, _) => world::bad_user(*b),
                    _ => Some(self.w.desired(&st.account)),
                };
                let a = s.ssm.handle(&who, &st.account, &st.region, "CreateDocument", &json!({"Name": DOC, "Content": world::content(run_as, &prefix), "DocumentType": "Session", "DocumentFormat": "JSON"}), now);
                lines.push(format!(
                    "  no document: creates it: {:?}",
                    a.and_then(|a| a.code().map(str::to_string))
                ));
            }
            (Edit::RunAs(_, switch) | Edit::Logging(switch) | Edit::Restore(switch), Some(doc)) => {
                let latest = doc.versions[&doc.latest].content.clone();
                let run_as: Option<Option<String>> = match &st.edit {
                    Edit::RunAs(b, _) => Some(world::bad_user(*b).map(str::to_string)),
                    Edit::Restore(_) => Some(Some(self.w.desired(&st.account).to_string())),
                    // LZA copies Run As from the default version; a person keeps the latest's.
                    _ if st.editor == world::Editor::Exempt => {
                        Some(world::run_as(&doc.versions[&doc.default].content))
                    }
                    _ => None,
                };
                let content =
                    world::edited(&latest, run_as.as_ref().map(|r| r.as_deref()), &prefix);
                let a = s.ssm.handle(
                    &who,
                    &st.account,
                    &st.region,
                    "UpdateDocument",
                    &json!({"Name": DOC, "Content": content, "DocumentVersion": "$LATEST"}),
                    now,
                );
                match a {
                    Some(aws::wire::Answer::Json(v)) => {
                        let version: u32 = v["DocumentDescription"]["DocumentVersion"]
                            .as_str()
                            .unwrap_or("0")
                            .parse()
                            .unwrap_or(0);
                        lines.push(format!("  made v{version}"));
                        let wait = match switch {
                            Switch::Now => Some(400),
                            Switch::Later(secs) => Some(*secs as i64 * 1000),
                            Switch::Never => None,
                        };
                        if let Some(wait) = wait {
                            later.push((
                                now + wait,
                                Action::SwitchDefault {
                                    account: st.account.clone(),
                                    region: st.region.clone(),
                                    incarnation: doc.incarnation,
                                    version,
                                    who: who.clone(),
                                },
                            ));
                        }
                    }
                    other => lines.push(format!(
                        "  refused: {:?}",
                        other.and_then(|a| a.code().map(str::to_string))
                    )),
                }
            }
            (Edit::Back(k), Some(doc)) => {
                let target = doc.latest.saturating_sub(*k);
                if doc.versions.contains_key(&target) && target != doc.default {
                    let a = s.ssm.handle(
                        &who,
                        &st.account,
                        &st.region,
                        "UpdateDocumentDefaultVersion",
                        &json!({"Name": DOC, "DocumentVersion": target.to_string()}),
                        now,
                    );
                    lines.push(format!(
                        "  v{target} made the default: {:?}",
                        a.and_then(|a| a.code().map(str::to_string))
                    ));
                } else {
                    lines.push("  nothing to switch back to".into());
                }
            }
            (Edit::Recreate(bad), Some(_)) => {
                let a = s.ssm.handle(
                    &who,
                    &st.account,
                    &st.region,
                    "DeleteDocument",
                    &json!({"Name": DOC}),
                    now,
                );
                lines.push(format!(
                    "  deleted: {:?}",
                    a.and_then(|a| a.code().map(str::to_string))
                ));
                let run_as = match bad {
                    Some(b) => world::bad_user(*b),
                    None => Some(self.w.desired(&st.account)),
                };
                later.push((
                    now + 2000,
                    Action::Create {
                        account: st.account.clone(),
                        region: st.region.clone(),
                        content: world::content(run_as, &prefix),
                        who: who.clone(),
                    },
                ));
            }
            (Edit::Back(_) | Edit::Recreate(_), None) => lines.push("  no document".into()),
            // Made a Run As edit above.
            (Edit::Unseen(_), _) => {}
        }
        drop(s);
        for l in lines {
            self.log(l);
        }
        for (t, a) in later {
            self.at(t, a);
        }
    }

    /// An Organizations record (management account, us-east-1) on its way
    /// to EventBridge, lost when the life says so.
    fn org_event(&mut self, name: &str, api_call: bool, detail: Value, lost: bool) {
        self.nonce += 1;
        let id = format!("org-{:06}", self.nonce);
        let now = now_ms();
        let time = aws::wire::iso(now - now.rem_euclid(1000)).replace(".000Z", "Z");
        let mut d = json!({
            "eventVersion": "1.11", "eventTime": time, "eventSource": "organizations.amazonaws.com",
            "eventName": name, "awsRegion": HUB_REGION, "eventID": id, "readOnly": false,
            "eventType": if api_call { "AwsApiCall" } else { "AwsServiceEvent" },
            "managementEvent": true, "recipientAccountId": HUB, "eventCategory": "Management",
        });
        if let (Some(d), Some(extra)) = (d.as_object_mut(), detail.as_object()) {
            for (k, v) in extra {
                d.insert(k.clone(), v.clone());
            }
        }
        let event = json!({
            "version": "0", "id": format!("{id}-env"),
            "detail-type": if api_call { "AWS API Call via CloudTrail" } else { "AWS Service Event via CloudTrail" },
            "source": "aws.organizations", "account": HUB, "time": time, "region": HUB_REGION,
            "resources": [], "detail": d,
        });
        if lost {
            self.lose.insert(id.clone());
        }
        self.sim.lock().unwrap().ssm.trail.push(aws::ssm::Trail {
            id,
            account: HUB.into(),
            region: HUB_REGION.into(),
            at_ms: now,
            event,
        });
    }

    /// The management account's identity in an Organizations API record.
    fn management() -> Value {
        json!({"type": "AssumedRole", "arn": format!("arn:aws:sts::{HUB}:assumed-role/Admin/mgmt-admin"),
               "accountId": HUB, "principalId": "AROASIMMANAGEMENT:mgmt-admin",
               "sessionContext": {"sessionIssuer": {"type": "Role", "arn": format!("arn:aws:iam::{HUB}:role/Admin"), "accountId": HUB, "userName": "Admin"}}})
    }

    /// An account's life step: moved (in or out of scope), or gone from
    /// the organization (its member role deleted by the StackSet), maybe
    /// to join again.
    fn life(&mut self, i: usize) {
        let l = self.w.lives[i].clone();
        match &l.life {
            world::Life::Move(to) => {
                let from = {
                    let mut s = self.sim.lock().unwrap();
                    let Some(a) = s.org.accounts.get_mut(&l.account) else {
                        return;
                    };
                    std::mem::replace(&mut a.parent, to.clone())
                };
                self.log(format!(
                    "life: {} moved from {from} to {to}{}",
                    l.account,
                    if l.lost { " (event lost)" } else { "" }
                ));
                let detail = json!({"userIdentity": Self::management(),
                    "requestParameters": {"accountId": l.account, "sourceParentId": from, "destinationParentId": to},
                    "responseElements": null});
                self.org_event("MoveAccount", true, detail, l.lost);
            }
            world::Life::Depart(back) => {
                {
                    let mut s = self.sim.lock().unwrap();
                    if let Some(a) = s.org.accounts.get_mut(&l.account) {
                        a.member = false;
                    }
                    if let Some(roles) = s.sts.roles.get_mut(&l.account) {
                        roles.retain(|r| r != MEMBER_ROLE);
                    }
                }
                self.log(format!(
                    "life: {} leaves the organization (its member role deleted){}",
                    l.account,
                    if l.lost { " (event lost)" } else { "" }
                ));
                let detail = json!({"userIdentity": Self::management(),
                    "requestParameters": {"accountId": l.account}, "responseElements": null});
                self.org_event("RemoveAccountFromOrganization", true, detail, l.lost);
                if let Some((after, _)) = back {
                    self.at(now_ms() + *after as i64 * 1000, Action::Rejoin(i));
                }
            }
        }
    }

    fn rejoin(&mut self, i: usize) {
        let l = self.w.lives[i].clone();
        let world::Life::Depart(Some((_, land))) = l.life else {
            return;
        };
        let now = now_ms();
        if let Some(a) = self.sim.lock().unwrap().org.accounts.get_mut(&l.account) {
            a.member = true;
            a.joined_ms = now;
        }
        self.log(format!(
            "life: {} joins the organization again{}; its member stack lands in {land}s",
            l.account,
            if l.lost { " (event lost)" } else { "" }
        ));
        let time = aws::wire::iso(now - now.rem_euclid(1000)).replace(".000Z", "Z");
        let detail = json!({"userIdentity": {"accountId": HUB, "invokedBy": "AWS Internal"},
            "sourceIPAddress": "AWS Internal", "userAgent": "AWS Internal",
            "requestParameters": null, "responseElements": null,
            "serviceEventDetails": {"accountId": l.account, "joinedMethod": "INVITED", "joinedTime": time}});
        self.org_event("AccountJoinedOrganization", false, detail, l.lost);
        self.at(
            now + land as i64 * 1000,
            Action::RoleBack(l.account.clone()),
        );
    }

    fn report(&mut self) -> Report {
        let s = self.sim.lock().unwrap();
        let mut violations = self.checker.violations.clone();
        for u in &s.unsupported {
            violations.push(Violation {
                invariant: "modelled",
                detail: format!("the simulator does not model {u}"),
                first_seen: String::new(),
            });
        }
        Report {
            seed: self.w.seed,
            trace: s.trace.clone(),
            violations,
            calls: s.calls,
            invocations: self.invocations,
        }
    }
}

fn kind_name(k: &Kind) -> String {
    match k {
        Kind::Async { attempt: 0, .. } => "event".into(),
        Kind::Async { attempt, .. } => format!("event (retry {attempt})"),
        Kind::Sqs { ids } => format!("sqs batch of {}", ids.len()),
        Kind::Operator => "operator".into(),
    }
}

fn summary(payload: &Value) -> String {
    if payload.get("Records").is_some() {
        return String::new();
    }
    format!(
        "{} {} {}",
        payload["detail-type"].as_str().unwrap_or_default(),
        payload["detail"]["eventName"].as_str().unwrap_or_default(),
        payload["detail"]["eventID"]
            .as_str()
            .or(payload["id"].as_str())
            .unwrap_or_default()
    )
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    s.chars().take(160).collect()
}

/// The organization, IAM, documents, table, topic and queue at the start.
fn build_world(w: &World, s: &mut State, now: i64) {
    s.org.management = HUB.into();
    s.org.ous.insert(
        world::OU_PROD.into(),
        aws::org::Ou {
            name: "prod".into(),
            parent: aws::org::ROOT.into(),
        },
    );
    s.org.ous.insert(
        world::OU_DEV.into(),
        aws::org::Ou {
            name: "dev".into(),
            parent: aws::org::ROOT.into(),
        },
    );
    if !w.lives.is_empty() {
        s.org.ous.insert(
            world::OU_SBOX.into(),
            aws::org::Ou {
                name: "sandbox".into(),
                parent: aws::org::ROOT.into(),
            },
        );
    }
    s.org.accounts.insert(
        HUB.into(),
        aws::org::Account {
            name: "management".into(),
            parent: aws::org::ROOT.into(),
            state: "ACTIVE".into(),
            joined_ms: now - 400 * 86_400_000,
            member: true,
        },
    );
    for a in &w.accounts {
        s.org.accounts.insert(
            a.clone(),
            aws::org::Account {
                name: format!("acct-{a}"),
                parent: w.parents[a].clone(),
                state: "ACTIVE".into(),
                joined_ms: now - 30 * 86_400_000,
                member: true,
            },
        );
        s.sts.roles.entry(a.clone()).or_default().extend([
            MEMBER_ROLE.to_string(),
            "OrganizationAccountAccessRole".to_string(),
        ]);
        if w.docs_at_start {
            for r in &w.regions {
                let who = Who::assumed(a, "StackSetSetup", "setup");
                s.ssm.handle(&who, a, r, "CreateDocument", &json!({"Name": DOC, "Content": world::content(Some(w.desired(a)), ""), "DocumentType": "Session", "DocumentFormat": "JSON"}), now - 86_400_000);
            }
        }
    }
    // Their creation is history: no event for them.
    s.ssm.trail.clear();
    s.sns.topics.push(TOPIC.into());
    s.sqs.queues.insert(QUEUE.into(), Default::default());
    s.ddb.create_table(HUB, HUB_REGION, TABLE, "pk", Some("sk"));
    let _ = Mode::Enforce;
    let _ = check::told;
}

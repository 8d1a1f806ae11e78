//! The organization-scale run (issue 62, "Scale past one machine, in
//! virtual time"): the same simulated AWS and the product's own `dispatch`,
//! with a fixed latency per call and no faults, crashes, edits or event
//! losses, sweeping an organization of N accounts x R regions fanned out as
//! the deployed function fans out (more accounts than the fan-out threshold,
//! 200: one sweep-queue message per account, batches of 10 per invocation,
//! at most `SweepMaxConcurrency` (5) invocations at once, as infra/hub.yaml).
//! Two sweeps: the first (nothing recorded yet) and a steady one. With
//! `findings` (`SIM_SCALE_FINDINGS=1`, issue 81) the policy asks for
//! Security Hub CSPM findings and every account-region has it enabled: the
//! first sweep sends the baseline (a PASSED finding per account-region),
//! each sweep reads them back.

use std::collections::BTreeMap;
use std::time::Duration;

use super::{Action, Driver, Kind, LAMBDA_TIMEOUT};
use crate::aws::now_ms;
use crate::world::{Mode, World};

/// The 17 regions an organization governs at most here (the commercial
/// regions every account has enabled by default).
const REGIONS: [&str; 17] = [
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "ca-central-1",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-central-1",
    "eu-north-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-south-1",
    "sa-east-1",
];

const PARENTS: [&str; 3] = [
    crate::aws::org::ROOT,
    crate::world::OU_PROD,
    crate::world::OU_DEV,
];

/// The round trips of the organization's walk at the least: `ListRoots`,
/// then the root's listings (20 accounts a page, one after another), and
/// beside them each OU's, one round trip later.
pub fn walk_floor(accounts: usize) -> u64 {
    let pages = |n: usize| n.div_ceil(20).max(1) as u64;
    let on = |k: usize| (0..accounts).filter(|i| i % 3 == k).count();
    1 + pages(on(0)).max(1 + pages(on(1)).max(pages(on(2))))
}

/// `SweepMaxConcurrency`'s default (infra/hub.yaml): the sweep queue's
/// event source mapping drives at most this many invocations.
pub const SWEEP_MAX_CONCURRENCY: usize = 5;

/// One sweep, measured in virtual time.
pub struct Sweep {
    /// From the scheduled event's invocation to the last worker's end.
    pub elapsed_ms: i64,
    pub calls: u64,
    /// Invocations (the scheduled one and the sweep queue's batches).
    pub invocations: u64,
    /// The longest invocation, and which kind it was.
    pub longest_ms: i64,
    pub longest_kind: String,
    /// Sweep-queue invocations.
    pub batches: u64,
    pub operator: bool,
    /// Security Hub calls answered by operation, those refused for the
    /// rate (429) by operation, and the findings held at the sweep's end.
    pub hub_calls: BTreeMap<String, u64>,
    pub hub_throttled: BTreeMap<String, u64>,
    pub hub_held: usize,
}

pub struct Scale {
    pub sweeps: Vec<Sweep>,
    pub findings: Vec<String>,
}

fn world(accounts: usize, regions: usize) -> World {
    let ids: Vec<String> = (1..=accounts).map(|i| format!("3{i:011}")).collect();
    World {
        seed: 0,
        // Spread over the root and the two OUs, round robin.
        parents: ids
            .iter()
            .enumerate()
            .map(|(i, a)| (a.clone(), PARENTS[i % 3].to_string()))
            .collect(),
        accounts: ids,
        regions: REGIONS[..regions].iter().map(|r| r.to_string()).collect(),
        mode: Mode::Enforce,
        docs_at_start: true,
        fault_rate: 0.0,
        crash_rate: 0.0,
        event_loss: 0.0,
        event_dup: 0.0,
        max_delay_s: 5,
        // The deployed default (RUNAS_GUARD_FANOUT_THRESHOLD, src/domain/config.rs).
        fanout_threshold: 200,
        sweep_every_s: 24 * 3600,
        operator_at: vec![],
        steps: vec![],
        horizon_s: 0,
        concurrency: SWEEP_MAX_CONCURRENCY,
        // No lives, storms or freezes: a steady organization, no faults.
        lives: vec![],
        storms: vec![],
        pause_rate: 0.0,
        aim: None,
        holds: vec![],
    }
}

/// The world's policy asking for Security Hub CSPM findings.
fn with_findings(d: &mut Driver) {
    let toml = format!("{}\n[security_hub]\nfindings = true\n", d.w.policy_toml());
    d.policy = runas_guard::domain::policy::Policy::parse(&toml, "sim-policy.toml")
        .expect("the policy with findings parses");
    let mut s = d.sim.lock().unwrap();
    for a in &d.w.accounts {
        for r in &d.w.regions {
            s.securityhub.enable(a, r);
        }
    }
}

/// Plays the scale run on a thread of its own (the product's futures are
/// deep), one at a time in the process as every schedule.
pub fn run(
    accounts: usize,
    regions: usize,
    latency_ms: u64,
    sweeps: usize,
    findings: bool,
) -> Scale {
    let _one = super::SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    std::thread::Builder::new()
        .name("sim-scale".into())
        .stack_size(256 << 20)
        .spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .start_paused(true)
                .build()
                .expect("runtime");
            let out = rt.block_on(async move {
                runas_guard::domain::clock::anchor(Some(
                    std::time::UNIX_EPOCH + Duration::from_secs(super::EPOCH_S),
                ));
                fastrand::seed(0);
                let mut d = Driver::with_world(world(accounts, regions), false, false);
                d.sim.lock().unwrap().latency_ms = Some(latency_ms);
                if findings {
                    with_findings(&mut d);
                }
                let mut out = vec![];
                for _ in 0..sweeps {
                    out.push(d.measured_sweep(false).await);
                }
                // The operator's `reconcile` (one process, the product's
                // concurrency), steady: the floor the issue names.
                out.push(d.measured_sweep(true).await);
                let findings = d
                    .report()
                    .violations
                    .iter()
                    .map(|v| format!("{}: {}", v.invariant, v.detail))
                    .collect();
                (out, findings)
            });
            drop(rt);
            runas_guard::domain::clock::anchor(None);
            Scale {
                sweeps: out.0,
                findings: out.1,
            }
        })
        .expect("thread")
        .join()
        .unwrap_or_else(|p| std::panic::resume_unwind(p))
}

impl Driver {
    /// One scheduled sweep until nothing is in flight or queued: the
    /// driver's own loop (`tick`) with each invocation's start and end
    /// taken, and the per-step checker left out (its pass reads the whole
    /// table, 170,000 items at the largest scale).
    async fn measured_sweep(&mut self, operator: bool) -> Sweep {
        let started = now_ms();
        let (calls0, invocations0) = (self.sim.lock().unwrap().calls, self.invocations);
        let (hub0, throttled0) = {
            let s = self.sim.lock().unwrap();
            (s.securityhub.calls.clone(), s.securityhub.throttled.clone())
        };
        self.at(
            started,
            if operator {
                Action::Operator
            } else {
                Action::Sweep
            },
        );
        let mut begun: BTreeMap<u32, i64> = BTreeMap::new();
        let (mut longest_ms, mut longest_kind, mut batches) = (0i64, String::new(), 0u64);
        loop {
            while let Ok(done) = self.rx.try_recv() {
                let took = now_ms() - begun.remove(&done.inst).unwrap_or(started);
                if matches!(done.kind, Kind::Sqs { .. }) {
                    batches += 1;
                }
                if took > longest_ms {
                    longest_ms = took;
                    longest_kind = super::kind_name(&done.kind);
                }
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
            for slot in self.pool.iter().filter(|s| s.busy) {
                begun.entry(slot.id).or_insert(now);
            }
            // The operator's instance is not in the pool: it begins with the run.
            if operator {
                let last = self.next_instance;
                begun.entry(last).or_insert(started);
            }
            let queued = {
                let s = self.sim.lock().unwrap();
                s.sqs
                    .queues
                    .get(super::QUEUE)
                    .is_some_and(|q| !q.messages.is_empty())
            };
            if self.in_flight == 0 && self.actions.is_empty() && !queued {
                break;
            }
            let next = self
                .actions
                .first_key_value()
                .map(|(k, _)| k.0)
                .unwrap_or(i64::MAX);
            // A tenth of a second at most between looks (the schedules'
            // loop looks every second): each invocation's start and end,
            // and the queue's next batch, within 100 ms.
            let wait = (next - now_ms()).clamp(1, 100);
            tokio::time::sleep(Duration::from_millis(wait as u64)).await;
        }
        let elapsed_ms = now_ms() - started;
        let (calls, hub_calls, hub_throttled, hub_held) = {
            let s = self.sim.lock().unwrap();
            let since = |now: &BTreeMap<String, u64>, then: &BTreeMap<String, u64>| {
                now.iter()
                    .map(|(k, n)| (k.clone(), n - then.get(k).copied().unwrap_or(0)))
                    .filter(|(_, n)| *n > 0)
                    .collect::<BTreeMap<_, _>>()
            };
            (
                s.calls - calls0,
                since(&s.securityhub.calls, &hub0),
                since(&s.securityhub.throttled, &throttled0),
                s.securityhub.held(),
            )
        };
        // The next sweep starts a while later, as the schedule's would.
        tokio::time::sleep(Duration::from_secs(3600)).await;
        Sweep {
            elapsed_ms,
            calls,
            invocations: self.invocations - invocations0,
            longest_ms,
            longest_kind,
            batches,
            operator,
            hub_calls,
            hub_throttled,
            hub_held,
        }
    }
}

/// Peak resident memory of this process (the simulated AWS and the
/// product together), from /proc.
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Lambda's limit an invocation is measured against.
pub fn lambda_limit_ms() -> i64 {
    LAMBDA_TIMEOUT.as_millis() as i64
}

//! The deterministic simulation (docs/internals.md "Simulation"): the
//! product's real code against a simulated AWS behind the SDK's HTTP
//! client, in virtual time, one seed per schedule; the invariants of
//! docs/design.md "Guarantees" checked on every schedule.
//!
//! - `SIM_SEED=n`: replay one schedule, printing its trace (`make simulate SEED=n`).
//! - `SIM_SECONDS=s` (default 180): run fresh seeds for that long, from
//!   `SIM_FROM` (default: derived from the clock, printed), and print
//!   schedules per minute (`make simulate`).
//! - `SIM_SEEDS=a,b,…`: play those seeds without traces (an earlier
//!   exploration's findings, sorted again by today's checker).
//! - With either, `SIM_LEDGER=path` writes each finding's seed and shapes.
//! - `SIM_FAULTS=aws|harsh|aimed` (`make simulate FAULTS=…`): the fault
//!   profile (tests/sim/profile.rs); `harsh`, the default, is what the
//!   budget and the regression seeds play.
//! - `SIM_STREAMS=slot`: draw each call's latency and faults from a stream per
//!   operation and account-region (or table item), to compare two builds on
//!   the same seeds; off, the schedules `seeds.txt` and `known.txt` name.
//! - `SIM_BUDGET=n`: the fixed budget `make test` runs (seeds 1..=n), failing on
//!   any finding not listed in tests/sim/known.txt.
//! - `SIM_SCALE=AxR` (`make bench-scale`): A accounts x R regions swept in
//!   virtual time, fanned out as deployed, at `SIM_SCALE_RTT_MS` (default 50)
//!   per round trip; prints the sweep against its limits.

#![recursion_limit = "256"]
// The simulated DynamoDB (from h-simddb) uses `is_multiple_of` (1.87); the
// crate's rust-version speaks for the product, not for this test binary.
#![allow(clippy::incompatible_msrv)]

mod aim;
mod aws;
mod check;
mod diff;
mod editors;
mod http;
mod profile;
mod rng;
mod run;
mod storm;
mod world;

use std::collections::BTreeMap;
use std::time::Instant;

/// A known open finding: its item (the cause its shape points to) and the
/// shapes it is tolerated for ([`shapes`]).
struct Known {
    item: String,
    shapes: std::collections::BTreeSet<String>,
}

/// `item seed | shape; shape` lines (tests/sim/known.txt): a seed's
/// findings are tolerated only in the shapes its line names, so a fixed
/// cause found again by a known seed in another shape still fails.
fn known() -> BTreeMap<u64, Known> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/sim/known.txt"))
        .unwrap_or_default();
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (head, shapes) = l.split_once('|').unwrap_or((l, ""));
            let mut parts = head.split_whitespace();
            let item = parts.next().unwrap_or_default().to_string();
            let seed = parts
                .next()
                .and_then(|s| s.parse().ok())
                .unwrap_or_else(|| panic!("known.txt: `{l}` names no seed"));
            let shapes: std::collections::BTreeSet<String> = shapes
                .split(';')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect();
            assert!(
                !shapes.is_empty(),
                "known.txt: `{l}` names no shape after `|`"
            );
            (seed, Known { item, shapes })
        })
        .collect()
}

/// The shapes a schedule's findings show ([`check::shape`]; recorded past
/// split by whether invariant 2 says that version was never told).
fn shapes(violations: &[check::Violation]) -> std::collections::BTreeSet<&'static str> {
    violations
        .iter()
        .map(|v| match check::shape(v) {
            "5 recorded past" if never_told(violations, v) => "5 recorded past, never told",
            "5 recorded past" => profile::TOLD_LATE,
            other => other,
        })
        .collect()
}

/// Seeds kept as regression cases (tests/sim/seeds.txt): each replayed on
/// every `make test`, in the profile it was found in (`seed profile`; the
/// budget's, `harsh`, where a line names none).
fn regressions() -> Vec<(u64, profile::Profile)> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/sim/seeds.txt"))
        .unwrap_or_default();
    text.lines()
        .filter_map(|l| {
            let mut words = l.split('#').next()?.split_whitespace();
            let seed = words.next()?;
            let seed: u64 = seed
                .parse()
                .unwrap_or_else(|_| panic!("seeds.txt: `{l}` names no seed"));
            Some((seed, profile::parse(words.next())))
        })
        .collect()
}

fn print_findings(r: &run::Report) {
    for v in &r.violations {
        println!(
            "FINDING seed {} invariant {}: {} (first seen {})",
            r.seed, v.invariant, v.detail, v.first_seen
        );
    }
}

/// `make simulate`: replay one seed, or explore for a while.
#[test]
fn simulate() {
    if let Ok(seed) = std::env::var("SIM_SEED") {
        let seed: u64 = seed.trim().parse().expect("SIM_SEED is a number");
        let r = run::run(seed, true);
        println!("--- {} calls, {} invocations", r.calls, r.invocations);
        print_findings(&r);
        assert!(
            r.violations.is_empty(),
            "seed {seed} broke {} invariant(s): see above",
            r.violations.len()
        );
        return;
    }
    let seconds = std::env::var("SIM_SECONDS").ok();
    if seconds.is_none() && std::env::var("SIM_SEEDS").is_err() {
        return;
    }
    let seconds: u64 = seconds.map_or(0, |s| s.trim().parse().expect("SIM_SECONDS is a number"));
    let from: u64 = std::env::var("SIM_FROM")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs()
                % 1_000_000
                * 1000
        });
    // Seeds listed (`SIM_SEEDS=a,b,…`): an earlier exploration's findings
    // played again, without traces, to sort them by the checker of now.
    let listed: Option<Vec<u64>> = std::env::var("SIM_SEEDS")
        .ok()
        .map(|s| s.split(',').filter_map(|x| x.trim().parse().ok()).collect());
    match &listed {
        Some(seeds) => println!("playing {} listed seed(s)", seeds.len()),
        None => println!(
            "exploring from seed {from} for {seconds}s, faults {}",
            profile::from_env().name()
        ),
    }
    let started = Instant::now();
    let known = known();
    let mut listed = listed.map(|s| s.into_iter());
    let (mut n, mut found) = (0u64, Found::default());
    let mut seed = from;
    loop {
        let next = match listed.as_mut() {
            Some(list) => list.next(),
            None => (started.elapsed().as_secs() < seconds).then_some(seed),
        };
        let Some(s) = next else { break };
        let r = run::run(s, false);
        n += 1;
        if !r.violations.is_empty() {
            print_findings(&r);
            found.add(s, &r.violations);
            if let Some(k) = known.get(&s) {
                println!("  (known: {})", k.item);
            }
        }
        seed += 1;
    }
    let minutes = started.elapsed().as_secs_f64() / 60.0;
    println!(
        "{n} schedules in {:.1} min: {:.0} schedules per minute",
        minutes,
        n as f64 / minutes
    );
    found.print(n);
    if let Ok(path) = std::env::var("SIM_LEDGER") {
        std::fs::write(&path, found.ledger()).expect("SIM_LEDGER is writable");
        println!("each finding's seed and shapes: {path}");
    }
    assert!(
        found.by_seed.is_empty(),
        "findings: replay one with `make simulate SEED=n`"
    );
}

/// An exploration's findings sorted by shape ([`check::shape`]), each
/// schedule once per shape.
#[derive(Default)]
struct Found {
    by_seed: BTreeMap<u64, std::collections::BTreeSet<&'static str>>,
}

impl Found {
    fn add(&mut self, seed: u64, violations: &[check::Violation]) {
        self.by_seed
            .entry(seed)
            .or_default()
            .extend(shapes(violations));
    }

    fn print(&self, n: u64) {
        println!(
            "{} schedule(s) of {n} with a finding ({:.0} %)",
            self.by_seed.len(),
            100.0 * self.by_seed.len() as f64 / n.max(1) as f64
        );
        let mut by_shape = BTreeMap::<&str, Vec<u64>>::new();
        for (seed, shapes) in &self.by_seed {
            for s in shapes {
                by_shape.entry(s).or_default().push(*seed);
            }
        }
        for (shape, seeds) in &by_shape {
            println!(
                "{shape}: {} schedule(s), first seeds {:?}",
                seeds.len(),
                &seeds[..seeds.len().min(10)]
            );
        }
    }

    /// `seed shape; shape` per line.
    fn ledger(&self) -> String {
        self.by_seed
            .iter()
            .map(|(seed, shapes)| {
                let shapes: Vec<&str> = shapes.iter().copied().collect();
                format!("{seed} {}\n", shapes.join("; "))
            })
            .collect()
    }
}

/// Whether invariant 2 says the version an invariant-5 finding names was
/// never told (`A R at vN, past vM` against `A R: …vM (…) held … never told`).
fn never_told(all: &[check::Violation], v: &check::Violation) -> bool {
    let Some((slot, rest)) = v
        .detail
        .strip_prefix("the table records ")
        .and_then(|d| d.split_once(" at v"))
    else {
        return false;
    };
    let Some(version) = rest
        .split(", past ")
        .nth(1)
        .and_then(|p| p.split(' ').next())
    else {
        return false;
    };
    all.iter().any(|o| {
        o.detail.starts_with(&format!("{slot}: "))
            && o.detail.contains("never told")
            && o.detail.contains(&format!("{version} ("))
    })
}

/// `make test`: a fixed budget of seeds and the regression seeds; a
/// finding fails unless tests/sim/known.txt names it for that seed.
#[test]
fn budget() {
    let n: u64 = std::env::var("SIM_BUDGET")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let known = known();
    let started = Instant::now();
    let mut unknown = vec![];
    let budget = profile::from_env();
    let seeds: Vec<(u64, profile::Profile)> =
        (1..=n).map(|s| (s, budget)).chain(regressions()).collect();
    for &(seed, profile) in &seeds {
        let r = run::run_in(seed, profile, false, false);
        if r.violations.is_empty() {
            continue;
        }
        let found: std::collections::BTreeSet<&str> = shapes(&r.violations)
            .into_iter()
            .filter(|s| !profile.tolerates(s))
            .collect();
        if found.is_empty() {
            println!(
                "seed {seed}: told late only, tolerated in {} ({} finding(s))",
                profile.name(),
                r.violations.len()
            );
            continue;
        }
        match known.get(&seed) {
            Some(k) if found.iter().all(|s| k.shapes.contains(*s)) => println!(
                "seed {seed}: known ({}), {} finding(s)",
                k.item,
                r.violations.len()
            ),
            k => {
                print_findings(&r);
                if let Some(k) = k {
                    println!(
                        "  known ({}) only as: {:?}; found: {found:?}",
                        k.item, k.shapes
                    );
                }
                unknown.push(format!("{seed} (FAULTS={})", profile.name()));
            }
        }
    }
    if !seeds.is_empty() {
        let minutes = started.elapsed().as_secs_f64() / 60.0;
        println!(
            "{} schedules in {:.1} min ({:.0} per minute)",
            seeds.len(),
            minutes,
            seeds.len() as f64 / minutes
        );
    }
    assert!(
        unknown.is_empty(),
        "new findings in seeds {unknown:?}: replay with `make simulate SEED=n FAULTS=…`"
    );
}

/// A seed plays the same schedule whatever ran before it in the process.
/// The SDK kept its retry quota (a token bucket per service and region) in
/// a process-wide static; the 21 schedules an exploration played before
/// seed 700088 drained it, that seed's retries were refused, and its finding
/// (a version told twice) did not replay alone. Since 0.7.11 the quota is
/// the services' own (`adapters::aws::retry_quota`), one per instance as in
/// AWS. Played first, then after those 21, the same trace.
#[test]
fn a_seed_plays_the_same_after_others() {
    const BEFORE: [u64; 21] = [
        700003, 700006, 700007, 700009, 700011, 700015, 700021, 700023, 700024, 700040, 700042,
        700043, 700050, 700057, 700062, 700067, 700072, 700073, 700079, 700082, 700083,
    ];
    let first = run::run_with(700088, false, true);
    for seed in BEFORE {
        run::run(seed, false);
    }
    let after = run::run_with(700088, false, true);
    let at = first
        .trace
        .iter()
        .zip(&after.trace)
        .position(|(x, y)| x != y);
    assert!(
        at.is_none() && first.trace.len() == after.trace.len(),
        "seed 700088 played after 21 others differs at line {at:?}:\n{:?}\n{:?}",
        at.map(|i| &first.trace[i]),
        at.map(|i| &after.trace[i])
    );
    // What the drained quota changed was the seed's retries: it must still
    // have some (its finding, a version told twice, is gone since 0.7.13's
    // window claims kept with their alerts; on 0.7.11, with the static
    // quota back, the traces differed at line 125, a refused retry).
    assert!(
        first.trace.iter().filter(|l| l.contains("(FAULT)")).count() > 5,
        "seed 700088 no longer retries: pick another seed"
    );
}

/// One seed is one schedule: played twice, the same trace.
#[test]
fn same_seed_same_trace() {
    let seeds: Vec<u64> = std::env::var("SIM_DET_SEEDS")
        .ok()
        .map(|s| s.split(',').filter_map(|x| x.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![3, 15, 106]);
    for seed in seeds {
        let a = run::run_with(seed, false, true);
        let b = run::run_with(seed, false, true);
        let first = a.trace.iter().zip(&b.trace).position(|(x, y)| x != y);
        assert!(
            first.is_none() && a.trace.len() == b.trace.len(),
            "seed {seed} played twice differs at line {first:?}:\n{:?}\n{:?}",
            first.map(|i| &a.trace[i]),
            first.map(|i| &b.trace[i])
        );
        assert!(a.calls > 0, "seed {seed} made no AWS call");
        assert!(!a.trace.is_empty(), "seed {seed} kept no trace");
    }
}

/// `make bench-scale`: the organization-scale sweep in virtual time
/// (run/scale.rs); only when `SIM_SCALE=AxR` is set.
#[test]
fn scale() {
    let Ok(spec) = std::env::var("SIM_SCALE") else {
        return;
    };
    let (a, r) = spec
        .split_once('x')
        .and_then(|(a, r)| {
            Some((
                a.trim().parse::<usize>().ok()?,
                r.trim().parse::<usize>().ok()?,
            ))
        })
        .expect("SIM_SCALE is ACCOUNTSxREGIONS, e.g. 10000x17");
    assert!((1..=17).contains(&r), "at most 17 regions");
    let rtt: u64 = std::env::var("SIM_SCALE_RTT_MS")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(50);
    // `SIM_SCALE_FINDINGS=1` (issue 81): the policy asks for Security Hub
    // CSPM findings, enabled in every account-region.
    let findings = std::env::var("SIM_SCALE_FINDINGS").is_ok_and(|v| v.trim() == "1");
    let started = Instant::now();
    // Latency each way: half the round trip.
    let out = run::scale::run(a, r, rtt / 2, 2, findings);
    let bound = |s: &run::scale::Sweep| !s.operator;
    let limit_ms = run::scale::lambda_limit_ms();
    println!(
        "scale {a} accounts x {r} regions, RTT {rtt} ms, fan-out threshold 200, batches of 10, {} invocations at once",
        run::scale::SWEEP_MAX_CONCURRENCY
    );
    if findings {
        println!("  Security Hub CSPM findings on ([security_hub] findings = true), enabled in every account-region; its limits per account per region: BatchImportFindings 10 a second, burst 30; GetFindings 3 a second, burst 6");
    }
    for (i, s) in out.sweeps.iter().enumerate() {
        if findings {
            print_hub(i, s, a * r);
        }
        let round_trips = s.elapsed_ms as f64 / (rtt.max(1) as f64);
        if s.operator {
            let walk = run::scale::walk_floor(a);
            // One document read per account per slot of 16, unless the
            // process's in-flight cap (half of it for region work) allows
            // fewer reads at once than 16 accounts' regions: 17 regions x 16
            // accounts is 272 reads, 64 at a time.
            let slots = runas_guard::domain::config::DEFAULT_MAX_IN_FLIGHT / 2;
            let reads = a.div_ceil(16).max((a * r).div_ceil(slots));
            let floor = walk + reads as u64;
            println!(
                "  operator reconcile (steady, one process, concurrency 16): {:.1} s virtual = {:.0} sequential round trips against the floor's {floor} (the walk {walk} + {reads} rounds of reads: one per account per slot, {a}/16, or as many as {slots} region reads in flight allow, {a} x {r} / {slots}); {} calls = {:.2} per account-region",
                s.elapsed_ms as f64 / 1000.0,
                round_trips,
                s.calls,
                s.calls as f64 / (a * r) as f64
            );
            continue;
        }
        println!(
            "  sweep {} ({}): {:.1} s virtual = {:.0} sequential round trips at {rtt} ms; {} calls = {:.2} per account-region; {} invocations ({} sweep-queue batches); longest {:.1} s ({}) against Lambda's {} s ({:.1} %)",
            i + 1,
            if i == 0 { "first" } else { "steady" },
            s.elapsed_ms as f64 / 1000.0,
            round_trips,
            s.calls,
            s.calls as f64 / (a * r) as f64,
            s.invocations,
            s.batches,
            s.longest_ms as f64 / 1000.0,
            s.longest_kind,
            limit_ms / 1000,
            s.longest_ms as f64 * 100.0 / limit_ms as f64
        );
    }
    println!(
        "  peak memory (this process: the simulated AWS and every instance) {} MiB; {:.1} s wall",
        run::scale::peak_rss_kib().unwrap_or(0) / 1024,
        started.elapsed().as_secs_f64()
    );
    for f in &out.findings {
        println!("  FINDING {f}");
    }
    assert!(
        out.findings.is_empty(),
        "the scale run met an unmodelled call"
    );
    for s in out.sweeps.iter().filter(|s| bound(s)) {
        assert!(
            s.longest_ms < limit_ms,
            "an invocation ran past Lambda's 15 minutes"
        );
    }
    if findings {
        for s in &out.sweeps {
            assert_eq!(
                s.hub_held,
                a * r,
                "Security Hub holds one finding per governed account-region"
            );
        }
    }
}

/// One sweep's Security Hub CSPM calls, as `SIM_SCALE_FINDINGS=1` reports them.
fn print_hub(i: usize, s: &run::scale::Sweep, places: usize) {
    let name = if s.operator {
        "operator reconcile".to_string()
    } else {
        format!(
            "sweep {} ({})",
            i + 1,
            if i == 0 { "first" } else { "steady" }
        )
    };
    let total: u64 = s.hub_calls.values().sum();
    let by_op = |m: &std::collections::BTreeMap<String, u64>| {
        let each: Vec<String> = m
            .iter()
            .map(|(op, n)| {
                format!(
                    "{op} {n} = {:.2} per account-region",
                    *n as f64 / places as f64
                )
            })
            .collect();
        if each.is_empty() {
            "none".to_string()
        } else {
            each.join(", ")
        }
    };
    println!(
        "  {name} Security Hub CSPM: {total} calls ({}); throttled (429): {}; findings held at its end {} of {places} governed account-regions",
        by_op(&s.hub_calls),
        by_op(&s.hub_throttled),
        s.hub_held
    );
}

/// Invariant 5's finding splits by whether invariant 2 says its version was
/// never told, in the same slot only.
#[test]
fn recorded_past_splits_by_never_told() {
    let v = |invariant: &'static str, detail: &str| check::Violation {
        invariant,
        detail: detail.to_string(),
        first_seen: String::new(),
    };
    let five = v(
        "5 nothing recorded that was not judged",
        "the table records 2 us-east-1 at v5, past v4 (Run As None, the default for a time), which is neither told nor kept in the outbox",
    );
    let untold = |d: &str| v("2 no window untold", d);
    let cases = [
        (vec![], false),
        (vec![untold("2 us-east-1: v4 (None) held Run As out of policy as the default and was never told")], true),
        (vec![untold("2 us-east-1: v3 (None), v4 (None) held Run As out of policy as the default and was never told")], true),
        // Another version, another slot, another shape: told later.
        (vec![untold("2 us-east-1: v14 (None) held Run As out of policy as the default and was never told")], false),
        (vec![untold("2 eu-west-1: v4 (None) held Run As out of policy as the default and was never told")], false),
        (vec![untold("2 us-east-1: v4 (None) told more than once, by x (sweep s)")], false),
    ];
    for (others, want) in cases {
        let all: Vec<check::Violation> = others.into_iter().chain([five.clone()]).collect();
        assert_eq!(
            never_told(&all, &five),
            want,
            "{:?}",
            all.iter().map(|x| &x.detail).collect::<Vec<_>>()
        );
    }
}

"""`make bench-scale`: runas-guard at organization scale, against moto behind RTT.

Runs, each on a freshly started and seeded moto (bench/moto_fast.py) behind
the latency proxy (bench/latency_proxy.py), with the proxy's counters reset
before each phase:

  first sweep      `runas-guard reconcile --format json --concurrency C` on the seeded mix
  steady state     the same command again (everything compliant now)
  proxy overhead   the steady sweep at RTT 0, straight to moto and through a proxy
  boto3 peer       bench/boto3_sweep.py, first and steady, on an identically seeded moto
  vend             `runas-guard handle` a CreateAccountResult, 17 regions, VEND_RTT_MS, on a
                   moto whose Organizations answers carry `Account.Paths` as AWS's do
                   today (tests/moto_org_paths.py, as every phase's), then again on one
                   without them (`RUNAS_GUARD_ORG_PATHS=off`: the path walked with
                   ListParents); limits 7 and 9 sequential round trips
  vend before the member stack (VEND_PENDING=0 skips it), the vend's world plus the
                   sweep queue (RUNAS_GUARD_SWEEP_QUEUE_URL), the proxy refusing AssumeRole
                   of `role/RunAsGuardExecution` (403 AccessDenied, as AWS while the role
                   does not exist): the vend event (every region `pending`, exit 0, the
                   refusal fired), then the refusal lifted and the member stack's
                   stack-instance event handled and measured like the vend (every region
                   `created`), with Paths and without as the vend. Then, on a fresh such
                   world (with Paths) with the refusal kept and RUNAS_GUARD_PENDING_DELAYS_SECONDS=1, the vend and REATTEMPTS re-attempts,
                   each received from the sweep queue and handled as an SQS batch: the
                   calls of each re-attempt, and from them the calls per waiting account
                   per hour under the default schedule, against one steady sweep of the
                   account's regions (an excess is marked **over**, as the calls' excesses
                   are, not a failed check).
  member StackSet update of one settled account: the vend's world, the account vended,
                   then one stack-instance event per region and every fourth twice,
                   reordered, each delivery its own `runas-guard handle` process, all at
                   once: results by kind, runs, sessions, document reads, calls against one
                   steady sweep of the account (target 1.10x), DynamoDB writes, wall. A
                   delivery that does not exit 0 fails the run.
  concurrency      (SWEEP_CONCURRENCY=1) first + steady for each of CONCURRENCIES
  run-as user check (NODES>0; NODES=0 skips it) on a moto_fast that also loads the
                   tests' State Manager emulation (MOTO_FAST_ASSOCIATIONS=1): the same
                   organization, plus the check document and a fleet of NODES nodes
                   with the user in every account-region; a first sweep with the check
                   off (fixes the documents), one with `[nodes] check_user = true`
                   (creates the associations), then NODES_PAIRS pairs of steady sweeps,
                   off then on. Each pair's calls, on minus off, must be exactly one
                   ssm:DescribeAssociation per account-region and nothing else (the
                   proxy's counts, and the emulation's own count of association calls);
                   anything more fails the run. Reported: calls per account-region on
                   and off, the steady wall and CPU ratios on/off. Then, in a world of
                   one account-region, the sweep that reads a fleet of BIG_FLEET nodes
                   all lacking the user against the same sweep with 3 such nodes
                   (NODES_REPEAT times each, alternating): runas-guard's peak RSS, the
                   node ids kept (at most 20) and the association reads they cost.

For each phase: wall time, the critical-path limit from sequential round
trips and the sequential round trips actually seen at the proxy, the child's
CPU and peak RSS (os.wait4 in a bare launcher), moto's and the proxy's CPU
(/proc/<pid>/stat), and calls by operation per account-region against the
minimum docs/design.md "Cost at organization scale" allows. Sweeps and vends are
recorded at RTT 0 against moto, then replayed from the proxy at their RTT without
moto (`replayed`): their walls are runas-guard's structure, not moto's speed. The
report is printed and written to bench/results.md, in its section (the 1000 x 4
run's or the smoke run's; the other kind's section is kept). Exit code 1 if a check failed (exit codes,
totals against the seeded mix, desired users, moto_fast verification and self-check).

Before the phases, bench/moto_fast_check.py compares moto_fast's answers with
plain moto's (MOTO_FAST_CHECK=0 skips it); a difference fails the run.

Parameters (environment): ACCOUNTS=1000 REGIONS=4 RTT_MS=50 CONCURRENCY=16
VEND_REGIONS=17 VEND_RTT_MS=30 CONCURRENCIES=16,32,64 SWEEP_CONCURRENCY=0
MOTO_FAST_VERIFY (default: on when ACCOUNTS <= 100), MOTO_FAST (moto_fast's
patches, default all), UPSTREAM_MAX=8 (requests the proxy lets into moto at once;
0: no limit), MOTO_FAST_CHECK=1, NODES=3 (0: no run-as user check phase),
NODES_PAIRS=2, BIG_FLEET=5000 (0: no fleet memory measure), NODES_REPEAT=3,
VEND_PENDING=1 (0: no vend before the member stack), REATTEMPTS=3 (0: no re-attempt cost).
"""

import heapq
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(BENCH))
import seed  # noqa: E402

PY = sys.executable
sys.path.append(str(REPO / "tools"))
import local_aws  # noqa: E402 - where cargo puts what it builds (CARGO_TARGET_DIR honoured)

BIN = local_aws.target_dir() / "release" / "runas-guard"
TICK = os.sysconf("SC_CLK_TCK")
DDB_WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}
DDB_READS = {"GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems"}


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


P = {
    "accounts": env_int("ACCOUNTS", 1000),
    "regions": env_int("REGIONS", 4),
    "rtt_ms": env_int("RTT_MS", 50),
    "concurrency": env_int("CONCURRENCY", 16),
    "vend_regions": env_int("VEND_REGIONS", 17),
    "vend_rtt_ms": env_int("VEND_RTT_MS", 30),
    "concurrencies": [int(c) for c in (os.environ.get("CONCURRENCIES") or "16,32,64").split(",")],
    "sweep_concurrency": os.environ.get("SWEEP_CONCURRENCY", "0") not in ("", "0"),
    "nodes": env_int("NODES", 3),
    "nodes_pairs": max(1, env_int("NODES_PAIRS", 2)),
    "big_fleet": env_int("BIG_FLEET", 5000),
    "nodes_repeat": max(1, env_int("NODES_REPEAT", 3)),
    "vend_pending": os.environ.get("VEND_PENDING", "1") not in ("", "0"),
    "reattempts": env_int("REATTEMPTS", 3),
}
VERIFY = os.environ.get("MOTO_FAST_VERIFY") or ("1" if P["accounts"] <= 100 else "0")
# moto answers one request at a time (GIL) on a thread per connection; with hundreds
# of requests in flight its threads mostly contend for the GIL (~6-10% more moto CPU
# at 1,000 accounts, more at C=64). The proxy lets this many into moto at once and
# holds the rest (their wait is part of their latency, as it was inside moto).
UPSTREAM_MAX = env_int("UPSTREAM_MAX", 8)


# -- processes ------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """utime + stime of a running process, from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


@dataclass
class Server:
    proc: subprocess.Popen
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cpu(self) -> float:
        return cpu_seconds(self.proc.pid)


@contextmanager
def server(args: list[str], port: int, log: Path, env=None):
    """A loopback server child, stopped (SIGTERM, then SIGKILL) however we leave."""
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            [PY, *args], stdout=out, stderr=out, env=env, start_new_session=True
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{args[0]} exited at start; see {log}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{args[0]} did not start; see {log}")
                time.sleep(0.05)
        yield Server(proc, port, log)
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def moto(stack: ExitStack, workdir: Path, associations: bool = False, paths: bool = True) -> Server:
    """moto_fast on a free port; `paths` False: Organizations answers without `Account.Paths`."""
    port = free_port()
    env = dict(os.environ, MOTO_FAST_VERIFY=VERIFY, MOTO_FAST_ASSOCIATIONS="1" if associations else "0",
               RUNAS_GUARD_ORG_PATHS="on" if paths else "off")
    s = stack.enter_context(
        server([str(BENCH / "moto_fast.py"), str(port)], port, workdir / "moto.log", env)
    )
    urllib.request.urlopen(f"{s.url}/moto-api/").read()  # first answer = ready
    return s


def proxy(stack: ExitStack, upstream: Server, rtt_ms: int, workdir: Path) -> Server:
    port = free_port()
    args = [str(BENCH / "latency_proxy.py"), str(port), str(upstream.port), str(rtt_ms), str(UPSTREAM_MAX)]
    return stack.enter_context(server(args, port, workdir / f"proxy-{port}.log"))


def proxy_call(p: Server, method: str, path: str) -> dict:
    req = urllib.request.Request(p.url + path, method=method, data=b"" if method == "POST" else None)
    return json.loads(urllib.request.urlopen(req).read())


CURRENT: list[subprocess.Popen] = []  # the measured child's session, killed if we are interrupted


@dataclass
class Measured:
    code: int
    wall: float
    cpu: float
    rss_mib: float
    stdout: str
    stderr: str
    moto_cpu: float = 0.0
    proxy_cpu: float = 0.0
    counts: Counter = field(default_factory=Counter)
    detail: Counter = field(default_factory=Counter)  # DynamoDB calls by item kind
    upstream: Counter = field(default_factory=Counter)  # seconds moto took, by operation
    log: list = field(default_factory=list)  # [arrived, answered, op] per request
    recorded: "Measured | None" = None  # replayed runs: the run at RTT 0 whose answers were replayed
    replay: dict = field(default_factory=dict)  # replayed runs: the proxy's /__replay counters

    def sequential_round_trips(self) -> int:
        """Longest chain of requests each sent after the previous one was answered."""
        return len(self.critical_chain())

    def critical_chain(self) -> list:
        """The operations of one longest chain of requests, each sent after the previous one was answered."""
        done, best, longest = [], (0, None), (0, None)  # heap of (answered, n, depth, node); node = (op, prev)
        n = 0
        for arrived, answered, op in sorted(self.log):
            while done and done[0][0] <= arrived:
                _, _, depth, node = heapq.heappop(done)
                best = max(best, (depth, node), key=lambda b: b[0])
            mine = (best[0] + 1, (op, best[1]))
            n += 1
            heapq.heappush(done, (answered, n, *mine))
            longest = max(longest, mine, key=lambda b: b[0])
        chain, node = [], longest[1]
        while node:
            chain.append(node[0])
            node = node[1]
        return chain[::-1]


# Runs the command as the child of a bare interpreter: Linux reports as a child's
# peak RSS the larger of its own and that of the process it was forked from, and
# this benchmark's own process holds far more than runas-guard does.
# The wall time is taken here too, from the fork to the child's end, so that the
# launcher's own interpreter start (~10-20 ms) is not billed to runas-guard.
LAUNCHER = """
import os, sys, time
t0 = time.monotonic()
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
_, status, ru = os.wait4(pid, 0)
wall = time.monotonic() - t0
with open(sys.argv[1], "w") as f:
    f.write(f"{ru.ru_utime + ru.ru_stime} {ru.ru_maxrss} {os.waitstatus_to_exitcode(status)} {wall}")
"""


def measure(cmd: list[str], env: dict, workdir: Path, moto_s: Server, proxy_s: Server | None) -> Measured:
    """Run `cmd` to completion; wall, its rusage, and moto's and the proxy's CPU meanwhile."""
    if proxy_s:
        proxy_call(proxy_s, "POST", "/__reset")
    out_path, err_path, usage = workdir / "child.out", workdir / "child.err", workdir / "child.rusage"
    m0, p0 = moto_s.cpu(), proxy_s.cpu() if proxy_s else 0.0
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        t0 = time.monotonic()
        proc = subprocess.Popen([PY, "-S", "-c", LAUNCHER, str(usage), *cmd], stdout=out, stderr=err,
                                env=env, start_new_session=True)
        CURRENT.append(proc)
        proc.wait()
        outer_wall = time.monotonic() - t0
        CURRENT.remove(proc)
    cpu, maxrss_kib, code, wall = (usage.read_text().split() + [str(outer_wall)])[:4]
    m = Measured(
        code=int(code),
        wall=float(wall),
        cpu=float(cpu),
        rss_mib=int(maxrss_kib) / 1024,
        stdout=out_path.read_text(),
        stderr=err_path.read_text(),
        moto_cpu=moto_s.cpu() - m0,
        proxy_cpu=(proxy_s.cpu() - p0) if proxy_s else 0.0,
    )
    if proxy_s:
        m.counts = Counter(proxy_call(proxy_s, "GET", "/__counts"))
        m.detail = Counter(proxy_call(proxy_s, "GET", "/__detail"))
        m.upstream = Counter(proxy_call(proxy_s, "GET", "/__timing"))
        m.log = proxy_call(proxy_s, "GET", "/__log")
    return m


def set_mode(p: Server, mode: str, rtt_ms: int) -> None:
    """The proxy's mode (bench/latency_proxy.py PUT /__mode): live, record or replay, at rtt_ms."""
    req = urllib.request.Request(p.url + "/__mode", method="PUT",
                                 data=json.dumps({"mode": mode, "rtt_ms": rtt_ms}).encode())
    urllib.request.urlopen(req).read()


def replayed(cmd: list[str], env: dict, workdir: Path, moto_s: Server, proxy_s: Server, rtt_ms: int) -> Measured:
    """`cmd` run against moto at RTT 0 with every answer recorded, then run again with those answers
    replayed from the proxy's memory at rtt_ms, moto untouched: the replayed run, its recording in
    `.recorded`. moto's state is the recorded run's afterwards. The replayed run's wall is the
    run's own structure at the RTT (its ordering, its concurrency, its CPU), not moto's speed."""
    set_mode(proxy_s, "record", 0)
    rec = measure(cmd, env, workdir, moto_s, proxy_s)
    set_mode(proxy_s, "replay", rtt_ms)
    run = measure(cmd, env, workdir, moto_s, proxy_s)
    run.replay = proxy_call(proxy_s, "GET", "/__replay")
    set_mode(proxy_s, "live", rtt_ms)
    run.recorded = rec
    run.moto_cpu = rec.moto_cpu  # what moto spent answering the run, once
    return run


def replay_problems(run: Measured) -> list[str]:
    """A replayed run that asked what its recording did not hold, or exited otherwise, measured
    something else than the recorded run."""
    rec, r = run.recorded, run.replay
    problems = []
    if rec is None:
        return problems
    if r.get("unmatched"):
        problems.append(f"replay: {r['unmatched']} requests had no recorded answer ({r.get('unmatched_ops')}, "
                        f"first: {r.get('unmatched_keys')}); the replayed run asked what the recorded one did not")
    if rec.code != run.code:
        problems.append(f"replay: exit {run.code}, recorded run exit {rec.code}")
    elif outcome(rec) != outcome(run):
        problems.append(f"replay: outcome {outcome(run)}, recorded run's {outcome(rec)}")
    return problems


def outcome(run: Measured) -> dict | None:
    """What a run says it did: a sweep's totals, or a handled event's actions by region."""
    out = report_json(run)
    if not isinstance(out, dict):
        return None
    if "totals" in out:
        return {k: v for k, v in out["totals"].items() if v}
    actions, _ = region_actions(run)
    return dict(actions) if actions is not None else {"result": out.get("result")}


def guard_env(endpoint: str, world: seed.World, policy: str | None = None) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "RUNAS_GUARD_", "RUST_LOG"))}
    env.update(
        AWS_ENDPOINT_URL=endpoint,
        AWS_REGION="us-east-1",
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_EC2_METADATA_DISABLED="true",
        RUNAS_GUARD_POLICY=policy or world.policy,
        RUNAS_GUARD_TABLE=world.table,
        # as the hub stack sets it (ManagementAccountId; moto's is 123456789012): without it each
        # `handle` process would ask DescribeOrganization before its first stack-instance event
        RUNAS_GUARD_STACKSET_ADMIN_ACCOUNT="123456789012",
        RUNAS_GUARD_TOPIC_ARN=world.topic_arn,
    )
    return env


# -- expectations -----------------------------------------------------------------
def tree_calls(world: seed.World) -> int:
    """Organizations calls of one walk: ListRoots + per parent its OU and account pages."""
    per_parent = Counter(world.accounts.values())
    parents = [""] + list(world.ou_ids)
    return 1 + sum(1 + max(1, -(-per_parent.get(p, 0) // 20)) for p in parents)


def chain(kinds: list[str]) -> int:
    """One account's sequential round trips: AssumeRole, observe, longest fix."""
    fix = {"compliant": 0, "missing": 3, "wrong": 4}
    return 2 + max((fix[k] for k in kinds), default=0)


def sweep_expectations(world: seed.World, first: bool, c: int, rtt_ms: int):
    """(limit seconds, minimum calls by operation) of a sweep over `world`."""
    n, m = len(world.accounts), len(world.regions)
    kinds = Counter(world.mix.values()) if first else Counter(compliant=n * m)
    per_account: dict[str, list[str]] = {}
    for (a, _), k in world.mix.items():
        per_account.setdefault(a, []).append(k if first else "compliant")
    setup = 1 + sum(world.tree_pages())
    limit = rtt_ms / 1000 * (setup + sum(chain(ks) for ks in per_account.values()) / c + 1)
    changed = kinds["missing"] + kinds["wrong"]
    minimum = Counter({
        "organizations:(tree walk)": tree_calls(world),
        "sts:AssumeRole": n,
        "ssm:DescribeDocument": n * m,
        "ssm:GetDocument": n * m,
        "ssm:CreateDocument": kinds["missing"],
        "ssm:UpdateDocument": kinds["wrong"],
        "ssm:UpdateDocumentDefaultVersion": kinds["wrong"],
        "dynamodb:(writes)": 2 * changed + 1,  # lease + record per fix; the sweep's time once
        "sns:Publish": 1 if changed else 0,
    })
    return limit, minimum


# The vend's critical path in sequential round trips. With Paths: the claim beside DescribeAccount
# (the path and the name) and AssumeRole; the document read; the lease; the write; record; publish;
# receipt. Without: DescribeAccount then 3 ListParents (the document read beside the first): two more.
VEND_ROUND_TRIPS = {True: 7, False: 9}


def paths_label(paths: bool) -> str:
    return "with Paths" if paths else "without Paths"


def vend_expectations(world: seed.World, rtt_ms: int, paths: bool):
    m = len(world.regions)
    walk = {} if paths else {"organizations:ListParents": 3}  # account -> Workloads/Prod -> Workloads -> root
    minimum = Counter({
        "organizations:DescribeAccount": 1,  # the name; with Paths, the path too
        **walk,
        "sts:AssumeRole": 1,
        "ssm:DescribeDocument": m,
        "ssm:GetDocument": m,
        "ssm:CreateDocument": m,
        "dynamodb:(writes)": 2 * m + 2,  # event claim, lease + record per region, completion
        "sns:Publish": 1,  # account_configured
    })
    return rtt_ms / 1000 * VEND_ROUND_TRIPS[paths], minimum


TREE_WALK = {"ListRoots", "ListOrganizationalUnitsForParent", "ListAccountsForParent"}
GROUPS = {
    **{f"organizations:{a}": "organizations:(tree walk)" for a in TREE_WALK},
    **{f"dynamodb:{a}": "dynamodb:(writes)" for a in DDB_WRITES},
    **{f"dynamodb:{a}": "dynamodb:(reads)" for a in DDB_READS},
}
ROLLED_UP = set(GROUPS)


def grouped(counts: Counter) -> Counter:
    """Counts plus group totals: the tree walk's listings, DynamoDB writes, DynamoDB reads."""
    out = Counter(counts)
    for op, n in counts.items():
        if op in GROUPS:
            out[GROUPS[op]] += n
    return out


def check_sweep(run: Measured, world: seed.World, first: bool) -> list[str]:
    """Problems with a reconcile run: exit code, totals against the seeded mix, users."""
    problems = []
    if run.code != 0:
        problems.append(f"exit code {run.code}: {run.stderr.strip()[-500:]}")
    try:
        report = json.loads(run.stdout)
    except json.JSONDecodeError:
        return problems + [f"stdout is not JSON: {run.stdout[:300]!r}"]
    want = {k: v for k, v in world.expected_totals().items() if v} if first else {"none": len(world.mix)}
    got = {k: v for k, v in report["totals"].items() if v}
    if got != want:
        problems.append(f"totals {got}, expected {want}")
    wrong_user = [r for r in report["rows"] if r["desired_user"] != world.desired.get(r["account"])]
    if wrong_user:
        problems.append(f"{len(wrong_user)} rows with an unexpected desired user, e.g. {wrong_user[0]}")
    return problems


# -- phases -------------------------------------------------------------------------
@dataclass
class Phase:
    name: str
    run: Measured
    limit: float
    minimum: Counter
    account_regions: int
    rtt_ms: int
    peer: Measured | None = None
    problems: list[str] = field(default_factory=list)
    # A single event's peer: bench/boto3_sweep.py doing the same account's work (--account),
    # live on a world of its own, for its peak RSS alone.
    single_peer: Measured | None = None
    # Sweeps: the limit's setup (ListRoots + the largest listing's pages at each tree level), in RTTs.
    setup: int = 0


def seeded(stack: ExitStack, workdir: Path, log) -> tuple[Server, seed.World]:
    m = moto(stack, workdir)
    t = time.monotonic()
    world = seed.seed_org(m.url, P["accounts"], P["regions"], workdir)
    log(f"seeded {len(world.accounts)} accounts x {len(world.regions)} regions in "
        f"{time.monotonic() - t:.1f} s (moto CPU so far {m.cpu():.1f} s); expected {world.expected_totals()}")
    return m, world


def guard_sweeps(workdir: Path, c: int, log, overhead: bool) -> tuple[list[Phase], dict]:
    """First and steady sweep of runas-guard at concurrency c (and the proxy overhead check)."""
    with ExitStack() as stack:
        m, world = seeded(stack, workdir, log)
        px = proxy(stack, m, P["rtt_ms"], workdir)
        cmd = [str(BIN), "reconcile", "--format", "json", "--concurrency", str(c)]
        phases = []
        for first in (True, False):
            name = f"{'first sweep' if first else 'steady state'} (C={c})"
            run = replayed(cmd, guard_env(px.url, world), workdir, m, px, P["rtt_ms"])
            limit, minimum = sweep_expectations(world, first, c, P["rtt_ms"])
            ph = Phase(name, run, limit, minimum, len(world.mix), P["rtt_ms"],
                       problems=check_sweep(run, world, first) + replay_problems(run),
                       setup=1 + sum(world.tree_pages()))
            log(f"{name}: replayed {run.wall:.1f} s (limit {limit:.1f} s, {run.wall / limit:.2f}x), "
                f"{run.sequential_round_trips()} sequential round trips ({' > '.join(run.critical_chain())}), "
                f"CPU {run.cpu:.2f} s; recorded at RTT 0 "
                f"{run.recorded.wall:.1f} s, moto CPU {run.moto_cpu:.1f} s; replay {run.replay}; "
                f"problems: {ph.problems or 'none'}")
            phases.append(ph)
        extra = {}
        if overhead:
            px0 = proxy(stack, m, 0, workdir)
            direct = measure(cmd, guard_env(m.url, world), workdir, m, None)
            via = measure(cmd, guard_env(px0.url, world), workdir, m, px0)
            extra = {"direct": direct, "via": via, "requests": sum(via.counts.values())}
            log(f"RTT 0 steady: direct {direct.wall:.2f} s, via proxy {via.wall:.2f} s, "
                f"proxy CPU {via.proxy_cpu:.2f} s")
        return phases, {"world": world, **extra}


def peer_sweeps(workdir: Path, c: int, log) -> list[Measured]:
    with ExitStack() as stack:
        m, world = seeded(stack, workdir, log)
        px = proxy(stack, m, P["rtt_ms"], workdir)
        cmd = [PY, str(BENCH / "boto3_sweep.py"), "--endpoint", px.url, "--policy", world.policy,
               "--table", world.table, "--topic-arn", world.topic_arn, "--concurrency", str(c)]
        runs = []
        for first in (True, False):
            run = replayed(cmd, guard_env(px.url, world), workdir, m, px, P["rtt_ms"])
            got = json.loads(run.stdout or "{}").get("totals", {})
            want = {k: v for k, v in world.expected_totals().items() if v} if first else {"none": len(world.mix)}
            ok = run.code == 0 and {k: v for k, v in got.items() if v} == want
            ok = ok and not replay_problems(run)
            log(f"boto3 {'first' if first else 'steady'}: replayed {run.wall:.1f} s, CPU {run.cpu:.2f} s, "
                f"totals {got} {'ok' if ok else f'UNEXPECTED (want {want}, exit {run.code})'}; "
                f"replay {run.replay} {replay_problems(run) or ''}")
            if not ok:
                log(run.stderr[-1000:])
            runs.append(run)
        return runs


def vend(workdir: Path, log, paths: bool) -> Phase:
    with ExitStack() as stack:
        m = moto(stack, workdir, paths=paths)
        world = seed.seed_vend(m.url, P["vend_regions"], workdir)
        px = proxy(stack, m, P["vend_rtt_ms"], workdir)
        event = json.loads((REPO / "events/account_vended.organizations-create-account-result.json").read_text())
        event["id"] = f"bench-vend-{os.getpid()}-{int(time.time())}"
        event["detail"]["serviceEventDetails"]["createAccountStatus"]["accountId"] = world.vend_account
        path = workdir / "vend-event.json"
        path.write_text(json.dumps(event, indent=2))
        run = replayed([str(BIN), "handle", str(path)], guard_env(px.url, world), workdir, m, px, P["vend_rtt_ms"])
        limit, minimum = vend_expectations(world, P["vend_rtt_ms"], paths)
        ph = Phase(f"vend ({len(world.regions)} regions, RTT {P['vend_rtt_ms']} ms, {paths_label(paths)})", run,
                   limit, minimum,
                   len(world.regions), P["vend_rtt_ms"], problems=replay_problems(run))
        try:
            outcome = json.loads(run.stdout)
            actions = Counter(r["action"] for a in outcome["accounts"] for r in a["regions"])
            if run.code != 0 or actions != Counter(created=len(world.regions)):
                ph.problems.append(f"exit {run.code}, actions {dict(actions)}")
        except (json.JSONDecodeError, KeyError) as e:
            ph.problems.append(f"exit {run.code}, output not understood ({e}): {run.stdout[:300]!r}")
        log(f"{ph.name}: {run.wall:.2f} s (limit {limit:.2f} s), {run.sequential_round_trips()} sequential "
            f"round trips ({' > '.join(run.critical_chain())}), replay {run.replay}, problems: {ph.problems or 'none'}")
    if paths:
        ph.single_peer = single_event_peer(workdir, log)
    return ph


def single_event_peer(workdir: Path, log) -> Measured:
    """The boto3 peer doing one vended account's work (the vend's world, fresh), measured live:
    what a single event costs in memory against a plain Python handler of it."""
    with ExitStack() as stack:
        m = moto(stack, workdir)
        world = seed.seed_vend(m.url, P["vend_regions"], workdir)
        cmd = [PY, str(BENCH / "boto3_sweep.py"), "--endpoint", m.url, "--policy", world.policy,
               "--table", world.table, "--topic-arn", world.topic_arn, "--concurrency", "1",
               "--account", world.vend_account]
        run = measure(cmd, guard_env(m.url, world), workdir, m, None)
        got = json.loads(run.stdout or "{}").get("totals", {})
        log(f"boto3 single event (one account, {len(world.regions)} regions): exit {run.code}, "
            f"peak RSS {run.rss_mib:.1f} MiB, totals {got}")
        if run.code != 0 or got.get("created") != len(world.regions):
            log(run.stderr[-1000:])
        return run


# -- vend before the member stack ---------------------------------------------------------
MEMBER_ROLE = "RunAsGuardExecution"
NO_ROLE = [{"name": "no-role", "service": "sts", "action": "AssumeRole", "contains": f"role/{MEMBER_ROLE}",
            "status": 403, "code": "AccessDenied",
            "message": "User is not authorized to perform: sts:AssumeRole"}]  # as tests/pending.rs
HOUR = 3600


def default_pending_delays() -> list[int]:
    """The re-attempts' default delays in seconds, the last repeating (src/domain/config.rs DEFAULT_PENDING_DELAYS)."""
    m = re.search(r"DEFAULT_PENDING_DELAYS\s*:[^=]*=\s*\[([\d,\s_]+)\]", (REPO / "src/domain/config.rs").read_text())
    return [int(x) for x in m.group(1).replace("_", "").split(",") if x.strip()] if m else [30, 60, 120, 240, 480, 900]


def refuse(p: Server, rules: list[dict]) -> None:
    """The proxy's refusal rules (bench/latency_proxy.py PUT /__refuse); [] lifts them."""
    req = urllib.request.Request(p.url + "/__refuse", method="PUT", data=json.dumps(rules).encode())
    urllib.request.urlopen(req).read()


def reattempts_within(delays: list[int], seconds: int) -> int:
    """Re-attempts whose cumulative delay is <= seconds (the last delay repeats)."""
    n, t = 0, 0
    while True:
        t += delays[min(n, len(delays) - 1)]
        if t > seconds:
            return n
        n += 1


def pending_world(stack: ExitStack, workdir: Path, refused: bool,
                  paths: bool = True) -> tuple[Server, seed.World, Server, dict]:
    """The vend's world with the sweep queue, behind VEND_RTT_MS, the member role refused or not."""
    m = moto(stack, workdir, paths=paths)
    world = seed.seed_vend(m.url, P["vend_regions"], workdir)
    seed.sweep_queue(world)
    px = proxy(stack, m, P["vend_rtt_ms"], workdir)
    if refused:
        refuse(px, NO_ROLE)
    env = guard_env(px.url, world)
    env["RUNAS_GUARD_SWEEP_QUEUE_URL"] = world.queue_url
    return m, world, px, env


def event_file(workdir: Path, name: str, event: dict) -> Path:
    path = workdir / f"{name}.json"
    path.write_text(json.dumps(event, indent=2))
    return path


def vend_event_file(world: seed.World, workdir: Path) -> Path:
    event = json.loads((REPO / "events/account_vended.organizations-create-account-result.json").read_text())
    event["id"] = f"bench-vend-pending-{os.getpid()}-{time.monotonic_ns()}"
    event["detail"]["serviceEventDetails"]["createAccountStatus"]["accountId"] = world.vend_account
    return event_file(workdir, "vend-pending-event", event)


def stack_landed_file(world: seed.World, region: str, workdir: Path, name: str = "stack-landed-event",
                      event_id: str | None = None) -> Path:
    """The member StackSet's instance SUCCEEDED in the vend account's `region` (tests' `stack_landed`)."""
    event = json.loads((REPO / "events/member_stack_landed.cloudformation-stack-instance-succeeded.json").read_text())
    event["id"] = event_id or f"bench-stack-landed-{os.getpid()}-{time.monotonic_ns()}"
    event["detail"]["stack-id"] = (f"arn:aws:cloudformation:{region}:{world.vend_account}:stack/"
                                   f"StackSet-runas-guard-member-0a1b/0c2d")
    return event_file(workdir, name, event)


def region_actions(run: Measured) -> tuple[Counter | None, str]:
    """The actions of the outcome's rows, or None and why not."""
    try:
        outcome = json.loads(run.stdout)
        return Counter(r["action"] for a in outcome["accounts"] for r in a["regions"]), ""
    except (json.JSONDecodeError, KeyError, TypeError) as e:
        return None, f"output not understood ({e}): {run.stdout[:300]!r}"


def handle_refused_vend(world: seed.World, env: dict, workdir: Path, m: Server, px: Server) -> tuple[Measured, int, list[str]]:
    """The vend event with the member role refused: (run, refusals, problems). Every
    governed region must be `pending`, exit 0, and the refusal must have fired."""
    run = measure([str(BIN), "handle", str(vend_event_file(world, workdir))], env, workdir, m, px)
    refused = proxy_call(px, "GET", "/__refused").get("no-role", 0)
    actions, why = region_actions(run)
    problems = []
    if run.code != 0 or actions != Counter(pending=len(world.regions)):
        problems.append(f"vend with the member role refused: exit {run.code}, actions "
                        f"{dict(actions) if actions is not None else why}, expected exit 0 and every region pending")
    if refused < 1:
        problems.append("vend with the member role refused: the refusal never fired (no AssumeRole of the member role)")
    return run, refused, problems


@dataclass
class StackLanded:
    refused_vend: Measured
    refusals: int
    role_region: str
    phase: Phase


def vend_from_stack_event(workdir: Path, log, paths: bool) -> StackLanded:
    """The vend before its member stack (pending), then the stack-instance event, measured."""
    with ExitStack() as stack:
        m, world, px, env = pending_world(stack, workdir, refused=True, paths=paths)
        first, refusals, problems = handle_refused_vend(world, env, workdir, m, px)
        log(f"vend with the member role refused: exit {first.code}, {first.wall:.2f} s, "
            f"{sum(first.counts.values())} calls, refusal fired {refusals} time(s), problems: {problems or 'none'}")
        refuse(px, [])  # the member stack lands, its role with it
        role_region = world.regions[0]
        cmd = [str(BIN), "handle", str(stack_landed_file(world, role_region, workdir))]
        run = replayed(cmd, env, workdir, m, px, P["vend_rtt_ms"])
        limit, minimum = vend_expectations(world, P["vend_rtt_ms"], paths)
        ph = Phase(f"vend from the stack-instance event ({len(world.regions)} regions, RTT {P['vend_rtt_ms']} ms, "
                   f"{paths_label(paths)})",
                   run, limit, minimum, len(world.regions), P["vend_rtt_ms"], problems=problems + replay_problems(run))
        actions, why = region_actions(run)
        trigger = (report_json(run) or {}).get("trigger", {}).get("trigger")
        if run.code != 0 or actions != Counter(created=len(world.regions)) or trigger != "member_stack_landed":
            ph.problems.append(f"stack-instance event: exit {run.code}, trigger {trigger}, actions "
                               f"{dict(actions) if actions is not None else why}, expected exit 0, "
                               f"member_stack_landed and every region created")
        log(f"{ph.name}: {run.wall:.2f} s (limit {limit:.2f} s), {run.sequential_round_trips()} sequential "
            f"round trips ({' > '.join(run.critical_chain())}), replay {run.replay}, problems: {ph.problems or 'none'}")
        return StackLanded(first, refusals, role_region, ph)


@dataclass
class Reattempts:
    regions: int
    vend: Measured | None = None  # the vend event itself, pending
    runs: list[Measured] = field(default_factory=list)  # one per re-attempt, in order
    refusals: list[int] = field(default_factory=list)  # the member role refused, per re-attempt
    attempts: list[int] = field(default_factory=list)  # the `attempt` of each message handled
    problems: list[str] = field(default_factory=list)


def receive_reattempt(sqs, url: str, within: float) -> list[dict]:
    """The messages on the sweep queue (straight to moto: not counted), waiting up to `within`
    seconds for the first; each deleted once received, as Lambda's event source mapping does."""
    deadline, got = time.monotonic() + within, []
    while True:
        msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
        for msg in msgs:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=msg["ReceiptHandle"])
        got += msgs
        if (got and not msgs) or time.monotonic() > deadline:
            return got


def sqs_batch(msgs: list[dict]) -> dict:
    """Lambda's SQS event for `msgs` (tests/common/mod.rs `sqs_batch`)."""
    return {"Records": [{"messageId": msg["MessageId"], "receiptHandle": msg["ReceiptHandle"], "body": msg["Body"],
                         "attributes": {}, "messageAttributes": {}, "md5OfBody": msg.get("MD5OfBody", ""),
                         "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:sweep",
                         "awsRegion": "us-east-1"} for msg in msgs]}


def reattempt_cost(workdir: Path, log) -> Reattempts:
    """A vend awaiting its member stack, re-attempted REATTEMPTS times with the role still refused."""
    with ExitStack() as stack:
        m, world, px, env = pending_world(stack, workdir, refused=True)
        env["RUNAS_GUARD_PENDING_DELAYS_SECONDS"] = "1"  # the calls per attempt do not depend on the delay
        ra = Reattempts(regions=len(world.regions))
        ra.vend, _, ra.problems = handle_refused_vend(world, env, workdir, m, px)
        sqs = seed.hub_client(m.url, "sqs")
        for i in range(1, P["reattempts"] + 1):
            msgs = receive_reattempt(sqs, world.queue_url, within=30)
            bodies = [json.loads(msg["Body"]).get("reattempt", {}) for msg in msgs]
            if len(msgs) != 1 or bodies[0].get("account") != world.vend_account or bodies[0].get("attempt") != i:
                ra.problems.append(f"re-attempt {i}: the sweep queue held {bodies}, expected one re-attempt of "
                                   f"{world.vend_account} with attempt {i}")
                if not msgs:
                    break
            ra.attempts.append(bodies[0].get("attempt"))
            path = event_file(workdir, f"reattempt-{i}", sqs_batch(msgs))
            run = measure([str(BIN), "handle", str(path)], env, workdir, m, px)
            refused = proxy_call(px, "GET", "/__refused").get("no-role", 0)
            ra.runs.append(run)
            ra.refusals.append(refused)
            answer = report_json(run)
            if run.code != 0 or answer != {"batchItemFailures": []}:
                ra.problems.append(f"re-attempt {i}: exit {run.code}, answer {run.stdout[:300]!r}, expected exit 0 "
                                   f"and no batch item failures")
            if refused < 1:
                ra.problems.append(f"re-attempt {i}: the refusal never fired (the member role was not tried)")
            log(f"re-attempt {i}: exit {run.code}, {run.wall:.2f} s, {sum(run.counts.values())} calls "
                f"({', '.join(f'{op} {k}' for op, k in sorted(run.counts.items()))}), refusal fired {refused}")
        rows = [r for r in status_rows(guard_env(m.url, world), workdir, world.vend_account)
                if r.get("document", seed.DOC) == seed.DOC]
        statuses = Counter(r.get("status") for r in rows)
        if statuses != Counter(pending=len(world.regions)):
            ra.problems.append(f"after {len(ra.runs)} re-attempts: `status` rows {dict(statuses)}, "
                               f"expected every region pending")
        for p in ra.problems:
            log(f"re-attempts: {p}")
        return ra


def pending_report(sl: StackLanded | None, ra: Reattempts | None) -> list[str]:
    lines = ["", "### Vend before the member stack", ""]
    if sl:
        v, ph = sl.refused_vend, sl.phase
        actions, _ = region_actions(v)
        lines += [
            f"The vend's world ({ph.account_regions} regions, RTT {ph.rtt_ms} ms) with the sweep queue "
            f"(`RUNAS_GUARD_SWEEP_QUEUE_URL`) and the proxy refusing AssumeRole of `role/{MEMBER_ROLE}` "
            f"(403 AccessDenied, query protocol, as AWS answers while the role does not exist). "
            f"The vend event: exit {v.code}, rows {dict(actions) if actions is not None else '?'}, refusal fired "
            f"{sl.refusals} time(s), {fmt(v.wall)} s, {sum(v.counts.values())} calls "
            f"({', '.join(f'{op} {k}' for op, k in sorted(v.counts.items()))}). Then the refusal lifted and the "
            f"member stack's stack-instance event (its role region {sl.role_region}) handled: row "
            f"\"{ph.name}\" above, {fmt(ph.run.wall)} s against a limit of {fmt(ph.limit)} s "
            f"(wall/limit {fmt(ph.run.wall / ph.limit, 1)}, the vend's {ph.limit * 1000 / ph.rtt_ms:.0f} round trips), "
            f"{ph.run.sequential_round_trips()} sequential round trips "
            f"(limit's {ph.limit * 1000 / ph.rtt_ms:.0f}): {' > '.join(ph.run.critical_chain())}.",
        ]
    if ra and ra.runs:
        m = ra.regions
        totals = [sum(r.counts.values()) for r in ra.runs]
        per = max(totals)
        delays = default_pending_delays()
        first_hour = reattempts_within(delays, HOUR)
        steady = HOUR // delays[-1]
        sweep = 1 + 2 * m  # one steady sweep of the account: AssumeRole + Describe + Get per region
        ops = sorted({op for r in ra.runs for op in r.counts})
        lines += [
            "",
            f"Re-attempts with the member role still refused (`RUNAS_GUARD_PENDING_DELAYS_SECONDS=1`; the calls of "
            f"an attempt do not depend on its delay), each message received from the sweep queue and handled as an "
            f"SQS batch (`runas-guard handle`); the vend event before them cost {sum(ra.vend.counts.values())} calls.",
            "",
            "| operation | " + " | ".join(f"re-attempt {a}" for a in ra.attempts) + " |",
            "|---|" + "---:|" * len(ra.runs),
        ]
        for op in ops:
            lines.append(f"| {op} | " + " | ".join(str(r.counts[op]) for r in ra.runs) + " |")
        limit = reattempt_limit()
        at17 = m == 17
        target = f"target ≤ {limit} calls per re-attempt at 17 regions" + ("" if at17 else f"; measured at {m}")
        lines += [
            f"| **all calls** ({target}) | "
            + " | ".join(f"**{t}**{' **over**' if at17 and t > limit else ''}" for t in totals) + " |",
            "| member role refused | " + " | ".join(str(k) for k in ra.refusals) + " |",
            "| wall s | " + " | ".join(fmt(r.wall) for r in ra.runs) + " |",
            "",
            f"runas-guard's DynamoDB calls by item (pk/sk prefix), re-attempt {ra.attempts[0]}: " + ", ".join(
                f"{k.split(':', 1)[1]} {v}" for k, v in sorted(ra.runs[0].detail.items())) + ".",
        ]
        hour1, hourn = first_hour * per, steady * per
        lines += [
            "",
            f"**Calls per waiting account per hour** (default delays {','.join(map(str, delays))} s, "
            f"the last repeating; {per} calls per re-attempt{'' if len(set(totals)) == 1 else ', the most of ' + str(len(totals))}, "
            f"{target}{' **over**' if at17 and per > limit else ''}): "
            f"first hour {first_hour} re-attempts (cumulative delays <= {HOUR} s) = **{hour1} calls**; after it "
            f"{steady} re-attempts per hour = **{hourn} calls per hour**, until the pending window "
            f"(`RUNAS_GUARD_PENDING_WINDOW_SECONDS`, default 7200 s from the account's JoinedTimestamp) closes. "
            f"Limit: one steady sweep of the same {m} account-regions, {sweep} calls (1 AssumeRole + DescribeDocument + "
            f"GetDocument per region; the hub sweeps every account every 6 hours by default): the first hour costs "
            f"{hour1 / sweep:.2f} such sweeps{' **over**' if hour1 > sweep else ''}, each later hour "
            f"{hourn / sweep:.2f}{' **over**' if hourn > sweep else ''}; one re-attempt costs "
            f"{per / sweep:.2f} of one.",
        ]
    return lines


# -- member StackSet update of one settled account ------------------------------------------
UPDATE_TARGET = 1.10  # calls against one steady sweep of the account (tests/stack_update_cost.rs)
UPDATE_WRITES_PER_DELIVERY = 6  # UpdateItem per delivery at most (tests/stack_update_cost.rs)
RESULT_KINDS = ("done", "coalesced", "duplicate", "in_flight")
SSM_WRITES = ("ssm:CreateDocument", "ssm:UpdateDocument", "ssm:UpdateDocumentDefaultVersion", "sns:Publish")


def coalesce_window() -> int:
    """The gate's window in seconds (src/domain/coalesce.rs WINDOW)."""
    m = re.search(r"WINDOW\s*:\s*Duration\s*=\s*Duration::from_secs\((\d+)\)", (REPO / "src/domain/coalesce.rs").read_text())
    return int(m.group(1)) if m else 5


def reattempt_limit() -> int:
    """tests/wait_cost.rs REATTEMPT_LIMIT: the most calls a re-attempt may cost at 17 regions."""
    m = re.search(r"REATTEMPT_LIMIT\s*:\s*u64\s*=\s*(\d+)", (REPO / "tests/wait_cost.rs").read_text())
    return int(m.group(1)) if m else 12


def update_deliveries(regions: list[str]) -> list[tuple[str, str]]:
    """(event id, region) of the update's deliveries: one event per region, every fourth delivered
    twice, reordered as tests/stack_update_cost.rs `update_events` does (reversed, the twins
    appended, rotated left by 5: every twin far from its first delivery)."""
    events = [(f"bench-update-{os.getpid()}-{i}", r) for i, r in enumerate(regions)][::-1]
    events += events[::4]
    k = 5 % len(events)
    return events[k:] + events[:k]


@dataclass
class Update:
    regions: int
    rtt_ms: int
    window: int
    vend: Measured | None = None
    deliveries: list[tuple[str, str]] = field(default_factory=list)  # (event id, region), in delivery order
    runs: list[Measured] = field(default_factory=list)  # one per delivery, same order
    wall: float = 0.0  # from the first start to the last exit
    moto_cpu: float = 0.0
    counts: Counter = field(default_factory=Counter)
    detail: Counter = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)

    def results(self) -> Counter:
        return Counter((report_json(r) or {}).get("result", "?") for r in self.runs)

    def looked(self) -> Counter:
        """Regions looked at, over the runs (`done` answers' rows)."""
        got = Counter()
        for r in self.runs:
            out = report_json(r) or {}
            if out.get("result") == "done":
                for a in out.get("accounts") or []:
                    got.update(row["region"] for row in a.get("regions") or [])
        return got

    def figures(self) -> dict:
        sessions = self.counts["sts:AssumeRole"]
        reads = self.counts["ssm:DescribeDocument"] + self.counts["ssm:GetDocument"]
        sweep = 1 + 2 * self.regions
        return {"runs": self.results()["done"], "sessions": sessions, "reads": reads, "calls": sessions + reads,
                "sweep": sweep, "ratio": (sessions + reads) / sweep,
                "writes": grouped(self.counts)["dynamodb:(writes)"], "updates": self.counts["dynamodb:UpdateItem"]}


def deliver_at_once(paths: list[Path], env: dict, workdir: Path, m: Server, px: Server) -> tuple[list[Measured], float, float]:
    """`runas-guard handle <path>` for every path, each its own process, all started before any is
    waited for (as EventBridge invokes the function for a burst): (runs, wall, moto CPU)."""
    proxy_call(px, "POST", "/__reset")
    m0 = m.cpu()
    started = []
    t0 = time.monotonic()
    for i, path in enumerate(paths):
        out, err, usage = (workdir / f"burst-{i}.{x}" for x in ("out", "err", "rusage"))
        with open(out, "wb") as o, open(err, "wb") as e:
            proc = subprocess.Popen([PY, "-S", "-c", LAUNCHER, str(usage), str(BIN), "handle", str(path)],
                                    stdout=o, stderr=e, env=env, start_new_session=True)
        CURRENT.append(proc)
        started.append((proc, out, err, usage))
    runs = []
    for proc, out, err, usage in started:
        proc.wait()
        CURRENT.remove(proc)
    wall = time.monotonic() - t0
    moto_cpu = m.cpu() - m0
    for proc, out, err, usage in started:
        fields = usage.read_text().split() if usage.exists() else []
        if len(fields) == 4:
            cpu, maxrss_kib, code, own_wall = fields
        else:  # the launcher itself failed
            cpu, maxrss_kib, code, own_wall = 0, 0, proc.returncode or -1, 0
        runs.append(Measured(code=int(code), wall=float(own_wall), cpu=float(cpu), rss_mib=int(maxrss_kib) / 1024,
                             stdout=out.read_text(), stderr=err.read_text()))
    return runs, wall, moto_cpu


def stack_update(workdir: Path, log) -> Update:
    """The vend's world; the account vended (settled), then the member StackSet's update delivered
    as a burst of stack-instance events, one per region plus duplicates, all at once."""
    with ExitStack() as stack:
        m = moto(stack, workdir)
        world = seed.seed_vend(m.url, P["vend_regions"], workdir)
        px = proxy(stack, m, P["vend_rtt_ms"], workdir)
        env = guard_env(px.url, world)
        up = Update(regions=len(world.regions), rtt_ms=P["vend_rtt_ms"], window=coalesce_window())
        up.vend = measure([str(BIN), "handle", str(vend_event_file(world, workdir))], env, workdir, m, px)
        actions, why = region_actions(up.vend)
        if up.vend.code != 0 or actions != Counter(created=len(world.regions)):
            up.problems.append(f"the vend before the update: exit {up.vend.code}, actions "
                               f"{dict(actions) if actions is not None else why}, expected exit 0 and every "
                               f"region created")
            return up
        up.deliveries = update_deliveries(world.regions)
        paths = [stack_landed_file(world, region, workdir, name=f"update-{i}", event_id=eid)
                 for i, (eid, region) in enumerate(up.deliveries)]
        up.runs, up.wall, up.moto_cpu = deliver_at_once(paths, env, workdir, m, px)
        up.counts = Counter(proxy_call(px, "GET", "/__counts"))
        up.detail = Counter(proxy_call(px, "GET", "/__detail"))
        for i, ((eid, region), r) in enumerate(zip(up.deliveries, up.runs)):
            result = (report_json(r) or {}).get("result")
            if r.code != 0:
                up.problems.append(f"**DELIVERY FAILED** delivery {i + 1} ({region}, {eid}): exit {r.code}: "
                                   f"{(r.stderr.strip() or r.stdout.strip())[-400:]}")
            elif result not in RESULT_KINDS:
                up.problems.append(f"delivery {i + 1} ({region}, {eid}): answered {r.stdout[:300]!r}, expected "
                                   f"a result among {', '.join(RESULT_KINDS)}")
        unlooked = sorted(set(world.regions) - set(up.looked()))
        if unlooked:
            up.problems.append(f"no run looked at {', '.join(unlooked)}")
        f = up.figures()
        log(f"member StackSet update ({up.regions} regions, {len(up.runs)} deliveries at once): {up.wall:.2f} s, "
            f"exits {dict(Counter(r.code for r in up.runs))}, results {dict(up.results())}, {f['runs']} runs, "
            f"{f['sessions']} sessions, {f['reads']} reads = {f['calls']} calls against a steady sweep's "
            f"{f['sweep']} ({f['ratio']:.2f}x, target {UPDATE_TARGET:.2f}x), {f['writes']} DynamoDB writes; "
            f"problems: {up.problems or 'none'}")
        return up


def update_report(up: Update) -> list[str]:
    m = up.regions
    lines = ["", f"### Member StackSet update of one settled account ({m} regions)", ""]
    if not up.runs:
        return lines + ["Not measured: the vend before it failed (see the checks that failed below)."]
    f = up.figures()
    n = len(up.runs)
    events = len({eid for eid, _ in up.deliveries})
    results = up.results()
    exits = Counter(r.code for r in up.runs)
    looked = up.looked()
    twice = sorted(r for r, k in looked.items() if k > 1)
    ssm_writes = {op: up.counts[op] for op in SSM_WRITES if up.counts[op]}
    over = lambda bad: " **over**" if bad else ""  # noqa: E731
    max_updates = UPDATE_WRITES_PER_DELIVERY * n
    slowest = max(up.runs, key=lambda r: r.wall)
    ddb_writes = ", ".join(f"{op.split(':', 1)[1]} {k}" for op, k in sorted(up.counts.items())
                           if op.startswith("dynamodb:") and op.split(":", 1)[1] in DDB_WRITES)
    lines += [
        f"The vend's world ({m} regions, RTT {up.rtt_ms} ms); the account vended first (every region created, "
        f"so it no longer waits for its member stack), then the member StackSet's update: one stack-instance "
        f"event per region (`events/member_stack_landed.cloudformation-stack-instance-succeeded.json`, "
        f"the region in its stack-id) and every fourth delivered twice, {n} deliveries of {events} events, "
        f"reordered (reversed, the twins appended, rotated left by 5, as tests/stack_update_cost.rs), each its own "
        f"`runas-guard handle` process, all started before any was waited for. A settled account's run looks only "
        f"at the regions its events name; an event arriving while a run of the account started within the last "
        f"{up.window} s (src/domain/coalesce.rs WINDOW) waits, and the next run takes every waiting region. Targets from "
        f"tests/stack_update_cost.rs; an excess is marked **over**.",
        "",
        "| figure | measured | target |",
        "|---|---:|---|",
        f"| deliveries (events + duplicates) | {n} ({events} + {n - events}) | every one exits 0 |",
        f"| exit codes | {', '.join(f'{k} x{c}' for c, k in sorted(exits.items()))}"
        f"{'' if set(exits) == {0} else ' **FAILED**'} | 0 x{n} |",
        f"| results | {', '.join(f'{k} {results[k]}' for k in RESULT_KINDS)}"
        + "".join(f", **{k} {c}**" for k, c in sorted(results.items()) if k not in RESULT_KINDS)
        + f" | done 2, the rest coalesced / duplicate / in_flight |",
        f"| runs (`done`) | {f['runs']}{over(f['runs'] > 2)} | 2: the first event's, then the burst's |",
        f"| regions looked at (over the runs) | {len(looked)} of {m}"
        f"{'; twice: ' + ', '.join(twice) + ' **over**' if twice else ''} | each once |",
        f"| sessions (sts:AssumeRole) | {f['sessions']}{over(f['sessions'] > max(f['runs'], 2))} | one a run (2) |",
        f"| document reads (ssm:DescribeDocument + ssm:GetDocument) | {f['reads']}{over(f['reads'] > 2 * m)} "
        f"| {2 * m}: each region read once |",
        f"| **calls** (sessions + reads) | **{f['calls']}** | at most {UPDATE_TARGET:.2f} x the steady sweep "
        f"({int(UPDATE_TARGET * f['sweep'])}) |",
        f"| steady sweep of the account (1 AssumeRole + 2 reads x {m} regions) | {f['sweep']} | - |",
        f"| **calls / steady sweep** | **{f['ratio']:.2f}x**{over(f['ratio'] > UPDATE_TARGET)} "
        f"| {UPDATE_TARGET:.2f}x |",
        f"| SSM writes and SNS publishes | {', '.join(f'{op} {k}' for op, k in ssm_writes.items()) or 0}"
        f"{over(bool(ssm_writes))} | 0: nothing to change |",
        f"| DynamoDB writes | {f['writes']} ({ddb_writes or '-'}) "
        f"| UpdateItem at most {UPDATE_WRITES_PER_DELIVERY} a delivery ({max_updates}): "
        f"{f['updates']}{over(f['updates'] > max_updates)} |",
        f"| wall s (first start to last exit) | {fmt(up.wall)} | none; the waiting events wait out the "
        f"{up.window} s window, then the burst's run, and are answered once it has read their regions |",
        f"| delivery-seconds (the deliveries' walls summed: a Lambda holds a slot of the function's "
        f"reserved concurrency that long) | {fmt(sum(r.wall for r in up.runs), 1)} | none; about "
        f"{up.window} s a waiting delivery |",
        "",
        f"All calls at the proxy: " + ", ".join(f"{op} {k}" for op, k in sorted(up.counts.items())) + ". "
        f"runas-guard's DynamoDB calls by item (pk/sk prefix): " + ", ".join(
            f"{k.split(':', 1)[1]} {v}" for k, v in sorted(up.detail.items())) + ". "
        f"runas-guard CPU {fmt(sum(r.cpu for r in up.runs))} s over the {n} processes, peak RSS "
        f"{fmt(max(r.rss_mib for r in up.runs), 1)} MiB (the largest), the slowest delivery {fmt(slowest.wall)} s; "
        f"moto CPU {fmt(up.moto_cpu, 1)} s. The vend before it: {fmt(up.vend.wall)} s, "
        f"{sum(up.vend.counts.values())} calls (not counted above).",
    ]
    return lines


# -- run-as user check ------------------------------------------------------------------
NODES_ON = "\n[nodes]\ncheck_user = true\n"
MAX_NODE_IDS = 20  # src/domain/nodes MAX_NODE_IDS
SSM_ASSOCIATION_OPS = {"CreateAssociation", "UpdateAssociation", "DeleteAssociation", "DescribeAssociation",
                       "ListAssociations", "DescribeAssociationExecutions", "DescribeAssociationExecutionTargets"}


@dataclass
class NodesCheck:
    account_regions: int
    nodes: int
    first_off: Measured | None = None
    first_on: Measured | None = None
    pairs: list[tuple[Measured, Measured]] = field(default_factory=list)  # (steady off, steady on)
    emulated: list[dict] = field(default_factory=list)  # the emulation's association calls, per steady on
    readiness: Counter = field(default_factory=Counter)  # over the check's state rows after the first on
    big: list[Measured] = field(default_factory=list)
    small: list[Measured] = field(default_factory=list)
    fleet_found: dict = field(default_factory=dict)  # size -> [(checked, missing, ids kept)]
    fleet_calls: dict = field(default_factory=dict)  # size -> [emulated association calls of that sweep]
    steady_phase: Phase | None = None
    problems: list[str] = field(default_factory=list)


def policy_with_check(world: seed.World, workdir: Path) -> str:
    path = workdir / f"policy-{len(world.regions)}-{len(world.accounts)}-nodes.toml"
    path.write_text(Path(world.policy).read_text() + NODES_ON)
    return str(path)


def report_json(run: Measured) -> dict | None:
    try:
        return json.loads(run.stdout)
    except json.JSONDecodeError:
        return None


def check_on_sweep(run: Measured, world: seed.World, first: bool) -> list[str]:
    """Problems with a reconcile run with the check on: every document compliant, and one
    check row per account-region, created on the first sweep, unchanged after."""
    if run.code != 0:
        return [f"exit code {run.code}: {run.stderr.strip()[-500:]}"]
    report = report_json(run)
    if report is None:
        return [f"stdout is not JSON: {run.stdout[:300]!r}"]
    rows = report["rows"]
    docs = Counter(r["action"] for r in rows if r.get("document") != seed.CHECK_DOC)
    checks = Counter(r["action"] for r in rows if r.get("document") == seed.CHECK_DOC)
    n = len(world.mix)
    problems = []
    if docs != Counter(none=n):
        problems.append(f"document rows {dict(docs)}, expected {{'none': {n}}}")
    want = Counter(created=n) if first else Counter(none=n)
    if checks != want:
        problems.append(f"check rows {dict(checks)}, expected {dict(want)}")
    return problems


def status_rows(env: dict, workdir: Path, account: str | None = None) -> list[dict]:
    """`runas-guard status --format json`: the table's state rows (not measured)."""
    cmd = [str(BIN), "status", "--format", "json"] + (["--account", account] if account else [])
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600, cwd=workdir)
    if r.returncode != 0:
        raise RuntimeError(f"status exited {r.returncode}: {r.stderr[-500:]}")
    return json.loads(r.stdout)


def check_readiness(rows: list[dict]) -> dict[tuple[str, str], dict]:
    """(account, region) -> the check's readiness, from `status` rows."""
    return {(r["account"], r["region"]): r.get("nodes") or {}
            for r in rows if r.get("document") == seed.CHECK_DOC}


def emulated_calls(m: Server) -> dict:
    return proxy_call(m, "GET", "/_emulated/ssm/calls")


def ssm_calls(counts: Counter) -> Counter:
    return Counter({op: n for op, n in counts.items() if op.startswith("ssm:")})


def nodes_check(workdir: Path, c: int, log) -> NodesCheck:
    """The run-as user check's steady cost at organization scale, and its memory on a big fleet."""
    nc = NodesCheck(account_regions=0, nodes=P["nodes"])
    with ExitStack() as stack:
        m = moto(stack, workdir, associations=True)
        t = time.monotonic()
        world = seed.seed_org(m.url, P["accounts"], P["regions"], workdir, with_check=True)
        made = seed.seed_fleets(world, P["nodes"], users=lambda a: [world.desired[a], "ec2-user"])
        n = nc.account_regions = len(world.mix)
        log(f"run-as user check: seeded {len(world.accounts)} accounts x {len(world.regions)} regions with the "
            f"check document and {made} nodes in {time.monotonic() - t:.1f} s")
        px = proxy(stack, m, P["rtt_ms"], workdir)
        cmd = [str(BIN), "reconcile", "--format", "json", "--concurrency", str(c)]
        on_policy = policy_with_check(world, workdir)
        off_env, on_env = guard_env(px.url, world), guard_env(px.url, world, on_policy)

        nc.first_off = measure(cmd, off_env, workdir, m, px)
        nc.problems += [f"first sweep, check off: {p}" for p in check_sweep(nc.first_off, world, True)]
        nc.first_on = measure(cmd, on_env, workdir, m, px)
        nc.problems += [f"first sweep, check on: {p}" for p in check_on_sweep(nc.first_on, world, True)]
        created = nc.first_on.counts["ssm:CreateAssociation"]
        if created != n:
            nc.problems.append(f"first sweep, check on: {created} CreateAssociation for {n} account-regions")
        found = check_readiness(status_rows(on_env, workdir))
        for r in found.values():
            nc.readiness["checked"] += r.get("checked", 0)
            nc.readiness["missing"] += r.get("missing", 0)
        nc.readiness["rows"] = len(found)
        if len(found) != n or nc.readiness["checked"] != made or nc.readiness["missing"]:
            nc.problems.append(f"after the first sweep with the check on: {len(found)} check rows, nodes checked "
                               f"{nc.readiness['checked']} of {made}, missing {nc.readiness['missing']} (expected 0)")
        log(f"run-as user check: first sweep off {nc.first_off.wall:.1f} s, on {nc.first_on.wall:.1f} s "
            f"({created} associations created); readiness {dict(nc.readiness)}")

        for i in range(P["nodes_pairs"]):
            off = measure(cmd, off_env, workdir, m, px)
            nc.problems += [f"steady sweep {i + 1}, check off: {p}" for p in check_sweep(off, world, False)]
            proxy_call(m, "POST", "/_emulated/ssm/calls/reset")
            on = measure(cmd, on_env, workdir, m, px)
            nc.emulated.append(emulated_calls(m)["operations"])
            nc.problems += [f"steady sweep {i + 1}, check on: {p}" for p in check_on_sweep(on, world, False)]
            nc.pairs.append((off, on))
            extra = Counter(on.counts)
            extra.subtract(off.counts)
            extra = {op: d for op, d in extra.items() if d}
            if extra != {"ssm:DescribeAssociation": n}:
                nc.problems.append(
                    f"**COST CHECK FAILED** steady sweep {i + 1}: calls with the check on minus off are {extra}, "
                    f"expected exactly {{'ssm:DescribeAssociation': {n}}} (one per account-region)")
            if nc.emulated[-1] != {"DescribeAssociation": n}:
                nc.problems.append(f"**COST CHECK FAILED** steady sweep {i + 1}: the emulation counted association "
                                   f"calls {nc.emulated[-1]}, expected {{'DescribeAssociation': {n}}}")
            log(f"run-as user check: steady pair {i + 1}: off {off.wall:.2f} s ({sum(off.counts.values())} calls), "
                f"on {on.wall:.2f} s ({sum(on.counts.values())} calls); on - off {extra}")
        limit, minimum = sweep_expectations(world, False, c, P["rtt_ms"])
        minimum["ssm:DescribeAssociation"] = n
        on = nc.pairs[0][1]
        nc.steady_phase = Phase(f"steady state, run-as user check on, {P['nodes']} nodes (C={c})", on, limit,
                                minimum, n, P["rtt_ms"])
    if P["big_fleet"]:
        fleet_memory(nc, workdir, log)
    return nc


def fleet_memory(nc: NodesCheck, workdir: Path, log) -> None:
    """One account-region, every node lacking the user: the sweep reading BIG_FLEET nodes
    against the same sweep reading 3, alternating, each after a State Manager run."""
    with ExitStack() as stack:
        m = moto(stack, workdir, associations=True)
        world = seed.seed_org(m.url, 1, 1, workdir, with_check=True)
        [(account, region)] = list(world.mix)
        px = proxy(stack, m, P["rtt_ms"], workdir)
        env = guard_env(px.url, world, policy_with_check(world, workdir))
        cmd = [str(BIN), "reconcile", "--format", "json"]
        lacking = lambda a: ["ec2-user"]  # noqa: E731 - the policy wants ssm-ops
        seed.seed_fleets(world, 3, users=lacking)
        warm = measure(cmd, env, workdir, m, px)  # creates the association
        if warm.code != 0:
            nc.problems.append(f"fleet: first sweep exit {warm.code}: {warm.stderr[-500:]}")
            return
        for i in range(P["nodes_repeat"]):
            for size in (P["big_fleet"], 3):
                seed.seed_fleets(world, size, users=lacking)
                proxy_call(m, "POST", "/_emulated/ssm/run")
                proxy_call(m, "POST", "/_emulated/ssm/calls/reset")
                run = measure(cmd, env, workdir, m, px)
                calls = emulated_calls(m)["operations"]
                (nc.big if size == P["big_fleet"] else nc.small).append(run)
                nc.fleet_calls.setdefault(size, []).append(calls)
                r = check_readiness(status_rows(env, workdir, account)).get((account, region), {})
                got = (r.get("checked"), r.get("missing"), len(r.get("missing_nodes") or []))
                nc.fleet_found.setdefault(size, []).append(got)
                # Every node is checked; a failed node counts as missing
                # only on its own report's script line, and at most
                # MAX_NODE_IDS reports are read per account-region.
                want = (size, min(size, MAX_NODE_IDS), min(size, MAX_NODE_IDS))
                if run.code != 0 or got != want:
                    nc.problems.append(f"fleet of {size}: exit {run.code}, (checked, missing, ids kept) {got}, "
                                       f"expected {want}")
                if calls.get("DescribeInstanceAssociationsStatus", 0) > MAX_NODE_IDS:
                    nc.problems.append(f"fleet of {size}: {calls['DescribeInstanceAssociationsStatus']} node reports "
                                       f"read, more than {MAX_NODE_IDS}")
                if calls.get("DescribeAssociationExecutionTargets", 0) > 1:
                    nc.problems.append(f"fleet of {size}: {calls['DescribeAssociationExecutionTargets']} pages of "
                                       f"targets read for {MAX_NODE_IDS} ids")
                log(f"fleet of {size} nodes lacking the user: {run.wall:.2f} s, peak RSS {run.rss_mib:.1f} MiB, "
                    f"CPU {run.cpu:.3f} s, readiness {got}, association calls {calls}")
    big, small = max(r.rss_mib for r in nc.big), max(r.rss_mib for r in nc.small)
    if big > small * 1.1 + 2:
        nc.problems.append(f"fleet: peak RSS {big:.1f} MiB with {P['big_fleet']} nodes against {small:.1f} MiB "
                           f"with 3: memory grows with the fleet")


def nodes_report(nc: NodesCheck) -> list[str]:
    n = nc.account_regions
    pa = lambda counts: sum(counts.values()) / n  # noqa: E731
    lines = [
        "",
        "### Run-as user check (`[nodes] check_user = true`)",
        "",
        f"The same organization on a moto_fast that also loads the tests' State Manager emulation "
        f"(`MOTO_FAST_ASSOCIATIONS=1`: tests/moto_ssm_associations.py), with the check document "
        f"`{seed.CHECK_DOC}` and a fleet of {nc.nodes} Linux nodes that have the account's user in each of the "
        f"{n} account-regions; `runas-guard reconcile --format json --concurrency {P['concurrency']}`, RTT "
        f"{P['rtt_ms']} ms. In order: a first sweep with the check off (fixes the documents), a first sweep with it "
        f"on (creates one association per account-region), then {len(nc.pairs)} pair(s) of steady sweeps, off then on. "
        f"The check's one association read per account-region could overlap the documents' observation, so the "
        f"main table's limit for the steady sweep with the check on is the one without it.",
        "",
        "| sweep | wall s | sequential round trips | runas-guard CPU s | peak RSS MiB | moto CPU s "
        "| SSM calls per account-region | all calls per account-region | association calls |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]

    def row(name, r):
        assoc = {op.split(":", 1)[1]: k for op, k in sorted(r.counts.items())
                 if op.split(":", 1)[1] in SSM_ASSOCIATION_OPS}
        lines.append(f"| {name} | {fmt(r.wall)} | {r.sequential_round_trips()} | {fmt(r.cpu)} | {fmt(r.rss_mib, 1)} | "
                     f"{fmt(r.moto_cpu, 1)} | "
                     f"{fmt(pa(ssm_calls(r.counts)), 3)} | {fmt(pa(r.counts), 3)} | "
                     f"{', '.join(f'{op} {k}' for op, k in assoc.items()) or '-'} |")

    if nc.first_off:
        row("first, check off", nc.first_off)
    if nc.first_on:
        row("first, check on", nc.first_on)
    for i, (off, on) in enumerate(nc.pairs):
        row(f"steady {i + 1}, check off", off)
        row(f"steady {i + 1}, check on", on)
    if nc.pairs:
        offs, ons = [p[0] for p in nc.pairs], [p[1] for p in nc.pairs]
        diffs = []
        for off, on in nc.pairs:
            d = Counter(on.counts)
            d.subtract(off.counts)
            diffs.append({op: k for op, k in d.items() if k})
        exact = all(d == {"ssm:DescribeAssociation": n} for d in diffs) \
            and all(e == {"DescribeAssociation": n} for e in nc.emulated)
        off_ssm, on_ssm = pa(ssm_calls(offs[0].counts)), pa(ssm_calls(ons[0].counts))
        wall_off, wall_on = min(r.wall for r in offs), min(r.wall for r in ons)
        cpu_off, cpu_on = min(r.cpu for r in offs), min(r.cpu for r in ons)
        lines += [
            "",
            f"Steady sweep, check on against off: SSM calls per account-region {off_ssm:.3f} -> {on_ssm:.3f} "
            f"(x{on_ssm / off_ssm:.2f}); all calls per account-region {pa(offs[0].counts):.3f} -> "
            f"{pa(ons[0].counts):.3f}. Calls on minus off, per pair: "
            + "; ".join(", ".join(f"{op} {k:+d} ({k / n:+.3f} per account-region)" for op, k in sorted(d.items()))
                        or "none" for d in diffs)
            + f"; the emulation's own count of association calls per steady sweep with the check on: "
            + "; ".join(", ".join(f"{op} {k}" for op, k in sorted(e.items())) or "none" for e in nc.emulated)
            + f". **Exactly +1 DescribeAssociation per account-region: {'yes' if exact else 'NO'}.** "
            f"Steady wall on/off {wall_on / wall_off:.2f} ({fmt(wall_on)} s / {fmt(wall_off)} s, the faster of "
            f"{len(nc.pairs)} each), runas-guard CPU on/off {cpu_on / cpu_off:.2f} "
            f"({fmt(cpu_on)} s / {fmt(cpu_off)} s); "
            f"sequential round trips {offs[0].sequential_round_trips()} off, {ons[0].sequential_round_trips()} on.",
        ]
        if nc.readiness:
            lines[-1] += (f" After the first sweep with the check on, `status` shows "
                          f"{nc.readiness['rows']} check rows, "
                          f"{nc.readiness['checked']} nodes checked, {nc.readiness['missing']} missing the user.")
    if nc.big and nc.small:
        def span(runs, attr, digits=1):
            vals = [getattr(r, attr) for r in runs]
            return f"{fmt(min(vals), digits)}-{fmt(max(vals), digits)}" if len(vals) > 1 else fmt(vals[0], digits)

        big_calls = nc.fleet_calls.get(P["big_fleet"], [{}])
        found = nc.fleet_found.get(P["big_fleet"], [])
        lines += [
            "",
            f"Fleet memory (1 account x 1 region, every node lacking the user, each sweep after a State Manager run "
            f"over a new fleet, so the node ids are read again; {len(nc.big)} sweeps each, alternating): "
            f"peak RSS with {P['big_fleet']:,} nodes {span(nc.big, 'rss_mib')} MiB against "
            f"{span(nc.small, 'rss_mib')} MiB "
            f"with 3 (max {max(r.rss_mib for r in nc.big) - max(r.rss_mib for r in nc.small):+.1f} MiB); "
            f"runas-guard CPU {span(nc.big, 'cpu', 3)} s against {span(nc.small, 'cpu', 3)} s; "
            f"(checked, missing, node ids kept) {found[0] if found else '-'}; association calls per sweep "
            f"{', '.join(f'{op} {k}' for op, k in sorted(big_calls[0].items())) or '-'} with {P['big_fleet']:,} nodes, "
            f"{', '.join(f'{op} {k}' for op, k in sorted(nc.fleet_calls.get(3, [{}])[0].items())) or '-'} with 3.",
        ]
    return lines


# -- report ---------------------------------------------------------------------------
def machine() -> str:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    import moto

    return (f"{os.cpu_count()} CPUs (`nproc` {os.sysconf('SC_NPROCESSORS_ONLN')}), {model}; "
            f"Linux {platform.release()}; Python {platform.python_version()}, moto {moto.__version__}")


def fmt(x, digits=2):
    return "-" if x is None else f"{x:.{digits}f}"


SWEEP_TARGETS = {"first sweep": 1.10, "steady state": 1.10}  # replayed wall / limit at organization scale (#53)


# A single event's peak RSS against the boto3 peer's doing the same account's work.
SINGLE_RSS_TARGET = 0.45


def targets(phases: list[Phase], landed: "StackLanded | None", reattempts: "Reattempts | None",
            update: "Update | None") -> list[str]:
    """Each headline figure beside its target, an excess marked **over**."""
    over = lambda bad: " **over**" if bad else ""  # noqa: E731
    lines = ["| figure | measured | target |", "|---|---:|---|"]
    for ph in phases:
        kind = ph.name.split(" (")[0]
        r = ph.run
        if kind.startswith("vend"):
            trips, limit = r.sequential_round_trips(), round(ph.limit * 1000 / ph.rtt_ms)
            lines.append(f"| {ph.name}: sequential round trips | {trips}{over(trips > limit)} "
                         f"| <= {limit} |")
            lines.append(f"| {ph.name}: replayed wall / limit | {fmt(r.wall / ph.limit)} | "
                         f"near 1 ({fmt(ph.limit)} s = {limit} x RTT) |")
            if ph.single_peer:
                ratio = r.rss_mib / ph.single_peer.rss_mib
                lines.append(f"| single event ({ph.name}): peak RSS runas-guard / boto3 peer of the same "
                             f"account | {fmt(r.rss_mib, 1)} / {fmt(ph.single_peer.rss_mib, 1)} MiB = "
                             f"{fmt(ratio)}{over(ratio > SINGLE_RSS_TARGET)} | <= {SINGLE_RSS_TARGET} |")
        elif kind in SWEEP_TARGETS and ph.name.endswith(f"(C={P['concurrency']})"):
            # The targets are the organization's (1000 x 4): in a smoke run the walk and the last
            # accounts' chains weigh far more of the limit, so its ratio is shown, not judged.
            t, at_scale = SWEEP_TARGETS[kind], P["accounts"] >= 1000 and P["regions"] >= 4
            lines.append(f"| {ph.name}: replayed wall / limit | {fmt(r.wall / ph.limit)}"
                         f"{over(at_scale and r.wall / ph.limit > t)} | <= {t:.2f}"
                         f"{'' if at_scale else ' at 1000 x 4 (not judged at this scale)'} |")
    if update and update.runs:
        f = update.figures()
        lines.append(f"| member StackSet update of one account ({update.regions} regions, {len(update.runs)} "
                     f"deliveries): calls / steady sweep of the account | {f['calls']} / {f['sweep']} = "
                     f"{f['ratio']:.2f}x{over(f['ratio'] > UPDATE_TARGET)} ({f['runs']} runs) "
                     f"| <= {UPDATE_TARGET:.2f}x |")
    if reattempts and reattempts.runs:
        per = max(sum(r.counts.values()) for r in reattempts.runs)
        limit = reattempt_limit()
        at = reattempts.regions
        lines.append(f"| calls per re-attempt ({at} regions, the most of {len(reattempts.runs)}) | "
                     f"{per}{over(at == 17 and per > limit)} | <= {limit} at 17 regions |")
    return lines + [""]


def per_ar(ph: Phase, counts: Counter) -> float:
    return sum(counts.values()) / ph.account_regions


SETUP_OPS = ("organizations:", "dynamodb:Query", "dynamodb:GetItem")


def wall_breakdown(phases: list[Phase]) -> list[str]:
    """Where each sweep's replayed wall goes, in RTTs: its chain's opening (the walk and the table's reads
    beside it) against the limit's setup, its accounts against the limit's chains / C, and what is left,
    the time between an answer and the next request (runas-guard's CPU, the proxy's) per sequential step."""
    lines = []
    for ph in phases:
        if not ph.setup:
            continue
        chain, rtt = ph.run.critical_chain(), ph.rtt_ms / 1000
        opening = next((i for i, op in enumerate(chain) if not op.startswith(SETUP_OPS)), len(chain))
        accounts = len(chain) - opening - 1
        limit_rtts = round(ph.limit / rtt)
        left = ph.run.wall / rtt - len(chain)
        lines.append(
            f"- {ph.name}: replayed wall {fmt(ph.run.wall)} s = {ph.run.wall / rtt:.0f} RTT against the limit's "
            f"{limit_rtts}; its chain {len(chain)} = opening {opening} (the walk, the table's reads beside it; the "
            f"limit's setup {ph.setup}) + accounts {accounts} (the limit's {limit_rtts - ph.setup - 1}) + the last "
            f"write 1; the rest, {left:.0f} RTT ({left * rtt / max(len(chain), 1) * 1000:.1f} ms a sequential step), "
            f"is the time between an answer and the next request (runas-guard's CPU, {fmt(ph.run.cpu)} s, and the "
            f"proxy's).")
    return lines


def report(phases: list[Phase], overhead: dict, sweep_rows: list[tuple[int, Phase, Phase]], started: float,
           nodes: NodesCheck | None = None, landed: StackLanded | None = None,
           reattempts: Reattempts | None = None, update: Update | None = None) -> str:
    n, m = P["accounts"], P["regions"]
    lines = [
        f"## runas-guard at organization scale ({n} accounts x {m} regions = {n * m} account-regions)",
        "",
    ]
    if n < 1000 or m < 4:
        knobs = " ".join(f"{k}={os.environ[k]}" for k in ("ACCOUNTS", "REGIONS", "NODES", "SWEEP_CONCURRENCY",
                                                          "VEND_PENDING", "REATTEMPTS") if k in os.environ)
        lines += [
            f"**Smoke numbers** ({knobs}): not the organization-scale run (`make bench-scale`, 1000 accounts x 4 "
            f"regions); the vend, vend-before-the-member-stack and member StackSet update phases take "
            f"VEND_REGIONS={P['vend_regions']} and VEND_RTT_MS={P['vend_rtt_ms']} whatever ACCOUNTS and REGIONS are.",
            "",
        ]
    lines += [
        f"Machine: {machine()}. moto (one process; `bench/moto_fast.py`: moto's own server with exact "
        f"shortcuts for its avoidable per-request costs, answers identical to plain moto's), the latency proxy, "
        f"and the client share these CPUs. {CHECK['summary']}",
        f"RTT {P['rtt_ms']} ms per request (vend: {P['vend_rtt_ms']} ms), injected by an asyncio keep-alive proxy "
        f"({'at most ' + str(UPSTREAM_MAX) if UPSTREAM_MAX else 'no limit on the'} requests at moto at once); "
        f"seeded mix per account-region: 70% compliant, 20% no document, 10% wrong user; "
        f"`runas-guard reconcile --format json --concurrency C`; boto3 peer: `bench/boto3_sweep.py`, "
        f"ThreadPoolExecutor(max_workers=C). Total bench time {(time.monotonic() - started) / 60:.1f} min.",
        "",
        "Walls are replayed: each phase ran once against moto at RTT 0 with every answer recorded at the proxy, "
        "then again with those answers replayed from the proxy's memory at the phase's RTT, moto untouched "
        "(bench/latency_proxy.py record/replay: answers matched by operation, caller and what names the resource, "
        "in recorded order). A replayed wall is runas-guard's own structure at the RTT (what it does one after "
        "another, its concurrency, its CPU), not moto's speed; the recorded run's wall and moto's CPU are beside it. "
        "Replay misses: requests the replayed run made that its recording did not hold (0: it asked exactly what the "
        "recorded run asked; any other number is a failed check); by item kind: DynamoDB requests matched by the kind "
        "of item rather than its id (alert and history ids carry clocks); repeated: a recorded answer given again.",
        "",
        *targets(phases, landed, reattempts, update),
        "| phase | replayed wall s | limit s | wall/limit | sequential round trips seen (limit's) "
        "| calls per account-region (min) | runas-guard CPU s | peak RSS MiB "
        "| recorded at RTT 0: wall s, moto CPU s | replay misses (by item kind, repeated) | boto3 replayed wall s | boto3 CPU s "
        "| wall rg/boto3 | CPU rg/boto3 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for ph in phases:
        r, b = ph.run, ph.peer
        rec = f"{fmt(r.recorded.wall)}, {fmt(r.moto_cpu, 1)}" if r.recorded else f"(live) -, {fmt(r.moto_cpu, 1)}"
        misses = (f"{r.replay.get('unmatched', 0)} ({r.replay.get('shape', 0)}, {r.replay.get('repeated', 0)})"
                  if r.recorded else "-")
        lines.append(
            f"| {ph.name}{' **CHECK FAILED**' if ph.problems else ''} | {fmt(r.wall)} | {fmt(ph.limit)} | "
            f"{fmt(r.wall / ph.limit)} | {r.sequential_round_trips()} ({ph.limit * 1000 / ph.rtt_ms:.0f}) | "
            f"{fmt(per_ar(ph, r.counts))} ({fmt(per_ar(ph, ph.minimum))}) | "
            f"{fmt(r.cpu)} | {fmt(r.rss_mib, 1)} | {rec} | {misses} | "
            f"{fmt(b.wall) if b else '-'} | {fmt(b.cpu) if b else '-'} | "
            f"{fmt(r.wall / b.wall) if b else '-'} | {fmt(r.cpu / b.cpu) if b else '-'} |"
        )
    lines += [
        "",
        "limit = RTT x (setup + sum over accounts of the account's chain / C + 1): setup = ListRoots + one round "
        "trip per page of the largest listing at each tree level; chain = AssumeRole 1 + observe 1 (Describe and Get "
        "in parallel) + longest region fix (create 3: lease, CreateDocument, record; update 4: lease, UpdateDocument, "
        "UpdateDocumentDefaultVersion, record); + 1 for the final publish / sweep record. Vend (from the account's "
        "event or the member stack's stack-instance event): 7 round trips with `Account.Paths` in Organizations' "
        "answers, as AWS gives them today (the event's claim beside DescribeAccount, which carries the path and the "
        "name, and AssumeRole; the document read; the lease; the write; record; publish; receipt), 9 without (older "
        "answers: after DescribeAccount the path is walked with one ListParents per level, account -> "
        "Workloads/Prod -> Workloads -> root, the document read beside the first; the lease waits for the user). The stack-instance event pays one round trip more today: its coalescing gate's "
        "claim is answered before the account is entered (a coalesced event takes no session), where the account's "
        "event enters it beside its claim (tests/vend_round_trips.rs, GATE_FIRST). "
        "Sequential round trips seen: the longest chain of requests at the proxy each sent after the previous one "
        "was answered (what the run's own ordering cost in RTTs, whatever moto's speed).",
        "Minimum calls (docs/design.md \"Cost at organization scale\"): one tree walk per sweep; one AssumeRole per account; "
        "DescribeDocument + GetDocument per account-region; a fix adds CreateDocument, or UpdateDocument + "
        "UpdateDocumentDefaultVersion, and 2 DynamoDB writes (lease, record); the sweep's time once; one SNS publish "
        "when something changed. Vend: 1 DescribeAccount (+ 3 ListParents without Paths), 1 AssumeRole, per region "
        "Describe + Get + Create + 2 writes, "
        "an event claim and its completion, one alert.",
        "",
        "Where a sweep's wall goes (from the chain seen, not timed):",
        *wall_breakdown(phases),
        "",
        "The accounts' part can be shorter than the limit's: the limit counts AssumeRole and the record in each "
        "account's chain, where runas-guard makes an account's session while the account waits for its slot (at "
        "most as many wait as work) and writes its records beside its last member calls, so a slot holds the "
        "account's reads and fixes alone (tests/sweep_round_trips.rs).",
        "",
        "An independent replay of the steady sweep (its own proxy; limit: the organization walk + each account's "
        "chain / concurrency) measured 1.28x on an earlier build where this bench said 1.15x. Two things in series "
        "showed there and were loose here, both fixed since: `reconcile` walked the organization for its policy id "
        "check before it read the table and the outbox (one round trip after the walk: the reads now run beside "
        "it), and the walk went level by level, four parents at a time, 17 round trips on this tree against the "
        "12 of the limit's setup (each parent is now listed as soon as it is known, eight listings at once: "
        "tests/walk_round_trips.rs). What is left beside the chain is per step, not in series: 8 reads an account "
        "and 16 accounts in step make bursts of up to 128 requests, and a proxy with a higher cost per request "
        "than this one's (about 0.2 ms) stretches every step by its burst.",
        "",
        "moto's CPU is what it spent answering the recorded run (one core, Python); the replayed run does not "
        "touch moto. While the boto3 peer was recorded: " + ", ".join(
            f"{ph.name.split(' (')[0]}: moto CPU {fmt(ph.peer.moto_cpu, 1)} s, peak RSS {fmt(ph.peer.rss_mib, 1)} MiB"
            for ph in phases if ph.peer) + ".",
    ]
    if overhead:
        d, v = overhead["direct"], overhead["via"]
        lines += [
            "",
            f"Proxy overhead (steady sweep, RTT 0, C={P['concurrency']}): straight to moto {fmt(d.wall)} s, "
            f"through the proxy {fmt(v.wall)} s ({(v.wall / d.wall - 1) * 100:+.0f}%); the proxy used "
            f"{fmt(v.proxy_cpu)} s CPU for {overhead['requests']} requests "
            f"({v.proxy_cpu / max(overhead['requests'], 1) * 1e6:.0f} µs each, {v.proxy_cpu / v.wall * 100:.0f}% of one core "
            f"over the run); moto used {fmt(v.moto_cpu, 1)} s.",
        ]
    if sweep_rows:
        lines += [
            "",
            "### Concurrency sweep",
            "",
            "| C | first wall s | first limit s | first wall/limit | steady wall s | steady limit s | steady wall/limit "
            "| runas-guard CPU s (first, steady) | moto CPU s (first, steady) |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for c, f, s in sweep_rows:
            lines.append(
                f"| {c} | {fmt(f.run.wall)} | {fmt(f.limit)} | {fmt(f.run.wall / f.limit, 1)} | {fmt(s.run.wall)} | "
                f"{fmt(s.limit)} | {fmt(s.run.wall / s.limit, 1)} | {fmt(f.run.cpu)}, {fmt(s.run.cpu)} | "
                f"{fmt(f.run.moto_cpu, 1)}, {fmt(s.run.moto_cpu, 1)} |"
            )
    if landed or reattempts:
        lines += pending_report(landed, reattempts)
    if update:
        lines += update_report(update)
    if nodes:
        lines += nodes_report(nodes)
    lines += ["", "### Calls per account-region by operation (runas-guard; boto3 peer; minimum)", ""]
    for ph in phases:
        mine, peer = grouped(ph.run.counts), grouped(ph.peer.counts) if ph.peer else Counter()
        ops = sorted(set(mine) | set(peer) | set(ph.minimum), key=lambda o: (o.split(":")[0], "(" not in o, o))
        lines += [f"**{ph.name}**", "", "| operation | runas-guard | boto3 | minimum | excess |",
                  "|---|---:|---:|---:|---|"]
        for op in ops:
            a, b = mine[op] / ph.account_regions, peer[op] / ph.account_regions
            if op in ROLLED_UP:  # its minimum is stated on its group's line
                mn, flag = "", ""
            else:
                mn = f"{ph.minimum[op] / ph.account_regions:.3f}"
                flag = "**over**" if mine[op] > ph.minimum[op] else ""
            lines.append(f"| {op} | {a:.3f} | {fmt(b, 3) if ph.peer else '-'} | {mn} | {flag} |")
        if ph.run.detail:
            lines += ["", "runas-guard's DynamoDB calls by item (pk/sk prefix): " + ", ".join(
                f"{k.split(':', 1)[1]} {v}" for k, v in sorted(ph.run.detail.items()))]
        top = ph.run.upstream.most_common(4)
        lines += ["", "Time moto took to answer (summed over concurrent requests), largest: " + ", ".join(
            f"{op} {s:.1f} s ({ph.run.counts[op]} calls)" for op, s in top)]
        lines.append("")
    problems = [f"- {ph.name}: {p}" for ph in phases for p in ph.problems]
    if nodes:
        problems += [f"- run-as user check: {p}" for p in nodes.problems]
    if reattempts:
        problems += [f"- re-attempts: {p}" for p in reattempts.problems]
    if update:
        problems += [f"- member StackSet update: {p}" for p in update.problems]
    if problems:
        lines += ["### Checks that failed", "", *problems, ""]
    return "\n".join(lines)


RESULTS_SECTION = re.compile(r"<!-- results: (\w+) -->\n(.*?)<!-- end of results: \1 -->\n", re.S)


def write_results(text: str, smoke: bool) -> None:
    """bench/results.md holds the last organization-scale run and the last smoke run: this run
    replaces its own kind's section and keeps the other's (and bench/sim_scale.py's simulation)."""
    path = BENCH / "results.md"
    sections = dict(RESULTS_SECTION.findall(path.read_text())) if path.exists() else {}
    sections["smoke" if smoke else "organization"] = text + "\n"
    path.write_text("".join(f"<!-- results: {k} -->\n{sections[k]}<!-- end of results: {k} -->\n"
                            for k in ("organization", "smoke", "simulation") if k in sections))


CHECK = {"ok": True, "summary": ""}


def self_check(log) -> None:
    """bench/moto_fast_check.py: plain moto and moto_fast must answer a scripted sequence identically."""
    if os.environ.get("MOTO_FAST_CHECK", "1") == "0":
        CHECK["summary"] = "moto_fast self-check skipped (MOTO_FAST_CHECK=0)."
        return
    r = subprocess.run([PY, str(BENCH / "moto_fast_check.py")], capture_output=True, text=True, timeout=900)
    lines = r.stdout.splitlines()
    CHECK["ok"] = r.returncode == 0
    first = lines[0] if lines else r.stderr.strip()[-300:]
    CHECK["summary"] = (f"moto_fast self-check (`bench/moto_fast_check.py`): "
                        f"{'passed' if CHECK['ok'] else '**FAILED**'}, {first.rstrip('.')}.")
    log(CHECK["summary"])
    if not CHECK["ok"]:
        log(r.stdout[-3000:] + r.stderr[-2000:])


def main() -> int:
    if not BIN.exists():
        print(f"{BIN} is missing: run `cargo build --release`", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = time.monotonic()
    log = lambda msg: print(f"[{time.monotonic() - started:7.1f}s] {msg}", file=sys.stderr, flush=True)  # noqa: E731
    workdir = Path(tempfile.mkdtemp(prefix="runas-guard-bench-"))
    log(f"parameters {P}; work dir {workdir}; moto verify {VERIFY}")
    try:
        self_check(log)
        c = P["concurrency"]
        phases, extra = guard_sweeps(workdir, c, log, overhead=True)
        overhead = {k: extra[k] for k in ("direct", "via", "requests")}
        for ph, peer in zip(phases, peer_sweeps(workdir, c, log)):
            ph.peer = peer
        phases += [vend(workdir, log, paths=True), vend(workdir, log, paths=False)]
        landed = reattempts = None
        if P["vend_pending"]:
            landed = vend_from_stack_event(workdir, log, paths=True)
            phases += [landed.phase, vend_from_stack_event(workdir, log, paths=False).phase]
            if P["reattempts"] > 0:
                reattempts = reattempt_cost(workdir, log)
        update = stack_update(workdir, log)
        sweep_rows = []
        if P["sweep_concurrency"]:
            for cc in P["concurrencies"]:
                ps = phases[:2] if cc == c else guard_sweeps(workdir, cc, log, overhead=False)[0]
                sweep_rows.append((cc, ps[0], ps[1]))
                if cc != c:
                    phases += ps
        nodes = None
        if P["nodes"] > 0:
            nodes = nodes_check(workdir, c, log)
            if nodes.steady_phase:
                phases.append(nodes.steady_phase)
            for p in nodes.problems:
                log(f"run-as user check: {p}")
        text = report(phases, overhead, sweep_rows, started, nodes, landed, reattempts, update)
        print(text)
        write_results(text, smoke=P["accounts"] < 1000 or P["regions"] < 4)
        mismatches = [line for line in (workdir / "moto.log").read_text().splitlines() if "moto_fast" in line]
        log("moto_fast: " + "; ".join(mismatches[-3:]))
        failed = any(ph.problems for ph in phases) or not CHECK["ok"] or \
            any("'mismatches': 0" not in x for x in mismatches if "stats" in x) or bool(nodes and nodes.problems) or \
            bool(reattempts and reattempts.problems) or bool(update.problems)
        if update.problems:
            log("MEMBER STACKSET UPDATE FAILED: " + "; ".join(update.problems))
        return 1 if failed else 0
    except KeyboardInterrupt:
        log("interrupted; every server this run started has been stopped")
        return 130
    finally:
        for proc in CURRENT:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if os.environ.get("KEEP_BENCH_DIR") != "1":
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

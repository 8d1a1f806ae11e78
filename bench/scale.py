"""`make bench-scale`: runas-guard at organization scale, against moto behind RTT.

Runs, each on a freshly started and seeded moto (bench/moto_fast.py) behind
the latency proxy (bench/latency_proxy.py), with the proxy's counters reset
before each phase:

  first sweep      `runas-guard reconcile --format json --concurrency C` on the seeded mix
  steady state     the same command again (everything compliant now)
  proxy overhead   the steady sweep at RTT 0, straight to moto and through a proxy
  boto3 peer       bench/boto3_sweep.py, first and steady, on an identically seeded moto
  vend             `runas-guard handle` a CreateAccountResult, 17 regions, VEND_RTT_MS
  concurrency      (SWEEP_CONCURRENCY=1) first + steady for each of CONCURRENCIES

For each phase: wall time, the critical-path limit from sequential round
trips and the sequential round trips actually seen at the proxy, the child's
CPU and peak RSS (os.wait4 in a bare launcher), moto's and the proxy's CPU
(/proc/<pid>/stat), and calls by operation per account-region against the
minimum docs/design.md "Cost at organization scale" allows. The report is printed
and written to bench/results.md. Exit code 1 if a check failed (exit codes,
totals against the seeded mix, desired users, moto_fast verification and self-check).

Before the phases, bench/moto_fast_check.py compares moto_fast's answers with
plain moto's (MOTO_FAST_CHECK=0 skips it); a difference fails the run.

Parameters (environment): ACCOUNTS=1000 REGIONS=4 RTT_MS=50 CONCURRENCY=16
VEND_REGIONS=17 VEND_RTT_MS=30 CONCURRENCIES=16,32,64 SWEEP_CONCURRENCY=0
MOTO_FAST_VERIFY (default: on when ACCOUNTS <= 100), MOTO_FAST (moto_fast's
patches, default all), UPSTREAM_MAX=8 (requests the proxy lets into moto at once;
0: no limit), MOTO_FAST_CHECK=1.
"""

import heapq
import json
import os
import platform
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
BIN = REPO / "target/release/runas-guard"
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


def moto(stack: ExitStack, workdir: Path) -> Server:
    port = free_port()
    env = dict(os.environ, MOTO_FAST_VERIFY=VERIFY)
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

    def sequential_round_trips(self) -> int:
        """Longest chain of requests each sent after the previous one was answered."""
        done, best, longest = [], 0, 0  # heap of (answered, depth); best depth answered so far
        for arrived, answered, _ in sorted(self.log):
            while done and done[0][0] <= arrived:
                best = max(best, heapq.heappop(done)[1])
            heapq.heappush(done, (answered, best + 1))
            longest = max(longest, best + 1)
        return longest


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


def guard_env(endpoint: str, world: seed.World) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "RUNAS_GUARD_", "RUST_LOG"))}
    env.update(
        AWS_ENDPOINT_URL=endpoint,
        AWS_REGION="us-east-1",
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_EC2_METADATA_DISABLED="true",
        RUNAS_GUARD_POLICY=world.policy,
        RUNAS_GUARD_TABLE=world.table,
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


def vend_expectations(world: seed.World, rtt_ms: int):
    m = len(world.regions)
    minimum = Counter({
        "organizations:ListParents": 3,  # account -> Workloads/Prod -> Workloads -> root
        "sts:AssumeRole": 1,
        "ssm:DescribeDocument": m,
        "ssm:GetDocument": m,
        "ssm:CreateDocument": m,
        "dynamodb:(writes)": 2 * m + 2,  # event claim, lease + record per region, completion
        "sns:Publish": 1,  # account_configured
    })
    return rtt_ms / 1000 * 9, minimum


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
    want = world.expected_totals() if first else {"none": len(world.mix)}
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
            run = measure(cmd, guard_env(px.url, world), workdir, m, px)
            limit, minimum = sweep_expectations(world, first, c, P["rtt_ms"])
            ph = Phase(name, run, limit, minimum, len(world.mix), P["rtt_ms"],
                       problems=check_sweep(run, world, first))
            log(f"{name}: {run.wall:.1f} s (limit {limit:.1f} s), {run.sequential_round_trips()} sequential "
                f"round trips, CPU {run.cpu:.2f} s, "
                f"moto CPU {run.moto_cpu:.1f} s, problems: {ph.problems or 'none'}")
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
            run = measure(cmd, guard_env(px.url, world), workdir, m, px)
            got = json.loads(run.stdout or "{}").get("totals", {})
            want = world.expected_totals() if first else {"none": len(world.mix)}
            ok = run.code == 0 and {k: v for k, v in got.items() if v} == want
            log(f"boto3 {'first' if first else 'steady'}: {run.wall:.1f} s, CPU {run.cpu:.2f} s, "
                f"totals {got} {'ok' if ok else f'UNEXPECTED (want {want}, exit {run.code})'}")
            if not ok:
                log(run.stderr[-1000:])
            runs.append(run)
        return runs


def vend(workdir: Path, log) -> Phase:
    with ExitStack() as stack:
        m = moto(stack, workdir)
        world = seed.seed_vend(m.url, P["vend_regions"], workdir)
        px = proxy(stack, m, P["vend_rtt_ms"], workdir)
        event = json.loads((REPO / "events/account_vended.organizations-create-account-result.json").read_text())
        event["id"] = f"bench-vend-{os.getpid()}-{int(time.time())}"
        event["detail"]["serviceEventDetails"]["createAccountStatus"]["accountId"] = world.vend_account
        path = workdir / "vend-event.json"
        path.write_text(json.dumps(event, indent=2))
        run = measure([str(BIN), "handle", str(path)], guard_env(px.url, world), workdir, m, px)
        limit, minimum = vend_expectations(world, P["vend_rtt_ms"])
        ph = Phase(f"vend ({len(world.regions)} regions, RTT {P['vend_rtt_ms']} ms)", run, limit, minimum,
                   len(world.regions), P["vend_rtt_ms"])
        try:
            outcome = json.loads(run.stdout)
            actions = Counter(r["action"] for a in outcome["accounts"] for r in a["regions"])
            if run.code != 0 or actions != Counter(created=len(world.regions)):
                ph.problems.append(f"exit {run.code}, actions {dict(actions)}")
        except (json.JSONDecodeError, KeyError) as e:
            ph.problems.append(f"exit {run.code}, output not understood ({e}): {run.stdout[:300]!r}")
        log(f"{ph.name}: {run.wall:.2f} s (limit {limit:.2f} s), {run.sequential_round_trips()} sequential "
            f"round trips, problems: {ph.problems or 'none'}")
        return ph


# -- report ---------------------------------------------------------------------------
def machine() -> str:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    import moto

    return (f"{os.cpu_count()} CPUs (`nproc` {os.sysconf('SC_NPROCESSORS_ONLN')}), {model}; "
            f"Linux {platform.release()}; Python {platform.python_version()}, moto {moto.__version__}")


def fmt(x, digits=2):
    return "-" if x is None else f"{x:.{digits}f}"


def per_ar(ph: Phase, counts: Counter) -> float:
    return sum(counts.values()) / ph.account_regions


def report(phases: list[Phase], overhead: dict, sweep_rows: list[tuple[int, Phase, Phase]], started: float) -> str:
    n, m = P["accounts"], P["regions"]
    lines = [
        f"## runas-guard at organization scale ({n} accounts x {m} regions = {n * m} account-regions)",
        "",
        f"Machine: {machine()}. moto (one process; `bench/moto_fast.py`: moto's own server with exact "
        f"shortcuts for its avoidable per-request costs, answers identical to plain moto's), the latency proxy, "
        f"and the client share these CPUs. {CHECK['summary']}",
        f"RTT {P['rtt_ms']} ms per request (vend: {P['vend_rtt_ms']} ms), injected by an asyncio keep-alive proxy "
        f"({'at most ' + str(UPSTREAM_MAX) if UPSTREAM_MAX else 'no limit on the'} requests at moto at once); "
        f"seeded mix per account-region: 70% compliant, 20% no document, 10% wrong user; "
        f"`runas-guard reconcile --format json --concurrency C`; boto3 peer: `bench/boto3_sweep.py`, "
        f"ThreadPoolExecutor(max_workers=C). Total bench time {(time.monotonic() - started) / 60:.1f} min.",
        "",
        "| phase | wall s | limit s | wall/limit | sequential round trips seen (limit's) "
        "| calls per account-region (min) | runas-guard CPU s | peak RSS MiB "
        "| moto CPU s | wall/max(limit, moto CPU) | boto3 wall s | boto3 CPU s | wall rg/boto3 | CPU rg/boto3 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for ph in phases:
        r, b = ph.run, ph.peer
        lines.append(
            f"| {ph.name}{' **CHECK FAILED**' if ph.problems else ''} | {fmt(r.wall)} | {fmt(ph.limit)} | "
            f"{fmt(r.wall / ph.limit, 1)} | {r.sequential_round_trips()} ({ph.limit * 1000 / ph.rtt_ms:.0f}) | "
            f"{fmt(per_ar(ph, r.counts))} ({fmt(per_ar(ph, ph.minimum))}) | "
            f"{fmt(r.cpu)} | {fmt(r.rss_mib, 1)} | {fmt(r.moto_cpu, 1)} | {fmt(r.wall / max(ph.limit, r.moto_cpu), 1)} | "
            f"{fmt(b.wall) if b else '-'} | {fmt(b.cpu) if b else '-'} | "
            f"{fmt(r.wall / b.wall) if b else '-'} | {fmt(r.cpu / b.cpu) if b else '-'} |"
        )
    lines += [
        "",
        "limit = RTT x (setup + sum over accounts of the account's chain / C + 1): setup = ListRoots + one round "
        "trip per page of the largest listing at each tree level; chain = AssumeRole 1 + observe 1 (Describe and Get "
        "in parallel) + longest region fix (create 3: lease, CreateDocument, record; update 4: lease, UpdateDocument, "
        "UpdateDocumentDefaultVersion, record); + 1 for the final publish / sweep record. Vend: 9 round trips. "
        "Sequential round trips seen: the longest chain of requests at the proxy each sent after the previous one "
        "was answered (what the run's own ordering cost in RTTs, whatever moto's speed).",
        "Minimum calls (docs/design.md \"Cost at organization scale\"): one tree walk per sweep; one AssumeRole per account; "
        "DescribeDocument + GetDocument per account-region; a fix adds CreateDocument, or UpdateDocument + "
        "UpdateDocumentDefaultVersion, and 2 DynamoDB writes (lease, record); the sweep's time once; one SNS publish "
        "when something changed. Vend: 3 ListParents, 1 AssumeRole, per region Describe + Get + Create + 2 writes, "
        "an event claim and its completion, one alert.",
        "moto answers on one core (Python, GIL), so its CPU time is a second floor under the wall time: "
        "wall/max(limit, moto CPU) near 1 means the run went as fast as the slower of the network and moto allowed. "
        "While the boto3 peer ran: " + ", ".join(
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
    if problems:
        lines += ["### Checks that failed", "", *problems, ""]
    return "\n".join(lines)


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
        phases.append(vend(workdir, log))
        sweep_rows = []
        if P["sweep_concurrency"]:
            for cc in P["concurrencies"]:
                ps = phases[:2] if cc == c else guard_sweeps(workdir, cc, log, overhead=False)[0]
                sweep_rows.append((cc, ps[0], ps[1]))
                if cc != c:
                    phases += ps
        text = report(phases, overhead, sweep_rows, started)
        print(text)
        (BENCH / "results.md").write_text(text + "\n")
        mismatches = [line for line in (workdir / "moto.log").read_text().splitlines() if "moto_fast" in line]
        log("moto_fast: " + "; ".join(mismatches[-3:]))
        failed = any(ph.problems for ph in phases) or not CHECK["ok"] or \
            any("'mismatches': 0" not in x for x in mismatches if "stats" in x)
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

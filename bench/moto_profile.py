"""Where moto's CPU goes during a runas-guard sweep, at a small scale.

Seeds moto (bench/moto_fast.py) like `make bench-scale` does, puts the latency
proxy in front, runs the first and the steady sweep and, with py-spy
(`pip install py-spy` into .venv) sampling moto meanwhile, prints per phase:
wall, moto CPU, requests, moto CPU per request, and the functions moto spent
its samples in (self and inclusive; py-spy --gil: only the thread holding the
GIL is sampled, i.e. moto's Python CPU), from the collapsed stacks py-spy writes.

    ACCOUNTS=200 REGIONS=4 RTT_MS=50 nice -n 10 .venv/bin/python bench/moto_profile.py [--no-spy]

MOTO_FAST=none (or a list of patches, see moto_fast.py) measures plain moto
or some of the patches, for a before/after comparison. KEEP_BENCH_DIR=1 keeps the
py-spy output (<workdir>/spy-*.txt).
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
os.environ.setdefault("ACCOUNTS", "200")
import scale  # noqa: E402

SPY = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")


def user_system(pid: int) -> tuple[float, float]:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) / scale.TICK, int(fields[12]) / scale.TICK


def top(path: Path, n: int = 25) -> str:
    """Self and inclusive sample counts per function from py-spy's raw (collapsed) output."""
    own, incl, total = Counter(), Counter(), 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        c = int(count)
        total += c
        # "func (path/file.py:line)" -> "func file.py"
        frames = [f.split(" (")[0] + " " + f.rsplit("/", 1)[-1].split(":")[0].lstrip("(")
                  for f in stack.split(";")]
        if frames:
            own[frames[-1]] += c
        for f in set(frames):
            incl[f] += c
    out = [f"{total} samples"]
    out += ["self:"] + [f"  {v / total * 100:5.1f}%  {k}" for k, v in own.most_common(n)]
    out += ["inclusive:"] + [f"  {v / total * 100:5.1f}%  {k}" for k, v in incl.most_common(2 * n)]
    return "\n".join(out)


def main() -> int:
    spy = "--no-spy" not in sys.argv
    workdir = Path(tempfile.mkdtemp(prefix="runas-guard-prof-"))
    started = time.monotonic()
    log = lambda msg: print(f"[{time.monotonic() - started:6.1f}s] {msg}", file=sys.stderr, flush=True)  # noqa: E731
    log(f"{scale.P['accounts']} x {scale.P['regions']}, RTT {scale.P['rtt_ms']} ms, "
        f"MOTO_FAST={os.environ.get('MOTO_FAST', 'all')}, workdir {workdir}")
    cmd = [str(scale.BIN), "reconcile", "--format", "json", "--concurrency", str(scale.P["concurrency"])]
    try:
        with ExitStack() as stack:
            m, world = scale.seeded(stack, workdir, log)
            px = scale.proxy(stack, m, scale.P["rtt_ms"], workdir)
            for first in (True, False):
                name = "first" if first else "steady"
                sp = None
                if spy:
                    out = workdir / f"spy-{name}.txt"
                    sp = subprocess.Popen([SPY, "record", "--gil", "--nonblocking", "-r", "200", "--format", "raw",
                                           "-o", str(out), "-p", str(m.proc.pid)],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                    time.sleep(1)
                u0, s0 = user_system(m.proc.pid)
                run = scale.measure(cmd, scale.guard_env(px.url, world), workdir, m, px)
                u1, s1 = user_system(m.proc.pid)
                if sp:
                    sp.send_signal(2)
                    sp.wait(60)
                n = sum(run.counts.values())
                upstream = scale.proxy_call(px, "GET", "/__upstream")
                problems = scale.check_sweep(run, world, first)
                print(f"== {name} sweep: wall {run.wall:.2f} s, moto CPU {run.moto_cpu:.2f} s, {n} requests, "
                      f"{run.moto_cpu / n * 1000:.2f} ms moto CPU per request (user {u1 - u0:.2f} s, system {s1 - s0:.2f} s), "
                      f"runas-guard CPU {run.cpu:.2f} s, "
                      f"proxy CPU {run.proxy_cpu:.2f} s, {run.sequential_round_trips()} sequential round trips, "
                      f"upstream connections opened so far {upstream['opened']}, "
                      f"problems: {problems or 'none'}", flush=True)
                per_op = sorted(((s / run.counts[op] * 1000, op, run.counts[op]) for op, s in run.upstream.items()),
                                reverse=True)
                print("   moto answer time per call (ms, includes waiting for the GIL): " + ", ".join(
                    f"{op} {ms:.1f} x{c}" for ms, op, c in per_op[:8]))
                if spy and out.exists():
                    print(top(out), flush=True)
        log_text = (workdir / "moto.log").read_text()
        print("\n".join(x for x in log_text.splitlines() if "moto_fast" in x))
        return 0
    finally:
        if os.environ.get("KEEP_BENCH_DIR") != "1":
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

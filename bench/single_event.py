#!/usr/bin/env python3
"""`make bench`'s single event: one vended account in 17 regions, handled by the release
binary (`runas-guard handle`) behind the replaying latency proxy, against the boto3 peer
(bench/boto3_sweep.py --account) doing the same account's work on a world of its own.

Prints each figure beside its target (an excess marked **over**); never asserts a timing.
The same measure is a row of `make bench-scale` (bench/scale.py: vend, single_event_peer),
which this reuses so the two cannot drift apart. Exit 1 only when a run failed (an exit
code, a vend that did not create every region), never for a figure over its target.
"""

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import scale  # noqa: E402


def main() -> int:
    if not scale.BIN.exists():
        print(f"no release binary at {scale.BIN}: run cargo build --release first", file=sys.stderr)
        return 1
    started = time.monotonic()
    quiet = os.environ.get("BENCH_VERBOSE") != "1"
    log = (lambda _line: None) if quiet else (lambda line: print(line, file=sys.stderr, flush=True))
    with tempfile.TemporaryDirectory(prefix="runas-guard-single-") as tmp:
        ph = scale.vend(Path(tmp), log, paths=True)
    run, peer = ph.run, ph.single_peer
    trips, limit = run.sequential_round_trips(), round(ph.limit * 1000 / ph.rtt_ms)
    over = lambda bad: " **over**" if bad else ""  # noqa: E731
    width = 64
    print(f"\nsingle event: {ph.name}")
    print(f"{'peak RSS runas-guard':<{width}} {run.rss_mib:>10.1f} MiB")
    if peer is not None and peer.rss_mib > 0:
        ratio = run.rss_mib / peer.rss_mib
        print(f"{'peak RSS boto3 peer (same account, same regions)':<{width}} {peer.rss_mib:>10.1f} MiB")
        print(f"{'peak RSS runas-guard / boto3 peer':<{width}} {ratio:>10.2f}{over(ratio > scale.SINGLE_RSS_TARGET)}"
              f"   target <= {scale.SINGLE_RSS_TARGET}")
    print(f"{'sequential round trips':<{width}} {trips:>10}{over(trips > limit)}   target <= {limit}")
    print(f"{'replayed wall / limit':<{width}} {run.wall / ph.limit:>10.2f}   near 1 "
          f"({ph.limit:.2f} s = {limit} x RTT {ph.rtt_ms} ms)")
    print(f"{'runas-guard CPU':<{width}} {run.cpu:>10.3f} s")
    print(f"({time.monotonic() - started:.0f} s)")
    problems = list(ph.problems)
    if peer is None or peer.code != 0:
        problems.append(f"boto3 peer exit {None if peer is None else peer.code}")
    for p in problems:
        print(f"problem: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""The simulation's mutation demo (docs/internals.md "Simulation", "What it
finds"): each fix of issue 61 and two of earlier rounds switched off in turn,
and the budgeted simulation run against it, to show the simulation finds it.

It never touches the working tree it is run from: it copies the tracked files
(as they are in the working tree, uncommitted edits included) to a throwaway
directory, applies every mutation there at once, each behind its own switch
(`SIM_MUTANT=name`, read at run time, so one build serves them all), builds the
simulation once and plays the budget (seeds 1..N) with no mutant (the
baseline) and with each mutant. A mutant is found at the first seed whose
findings differ from the baseline's (a new invariant broken, or the same one
on another version); known.txt is emptied in the copy so every finding prints.

    python3 tools/sim_mutations.py [--budget N] [--only item1,lease] [--keep]

Slow (one build, then N schedules per mutant plus the baseline); not part of
make test. It builds in <target>/sim-mutants (the dependencies once; or
--shared-target), and copies the test binary out at once, so a build in the
checkout meanwhile cannot change what is played.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

# The switch, as product code reads it in the copy.
M = 'std::env::var("SIM_MUTANT").is_ok_and(|m| m == "{}")'

# name -> (what is switched off, [(file, exact text, replacement)])
MUTANTS = {
    "item1": (
        "issue 61 item 1: a past version whose GetDocument failed is told (unread versions)",
        [(
            "src/domain/alert/rows_unread.rs",
            "Unread::Version => OnRowsUnread::Tell,",
            "Unread::Version if " + M.format("item1") + " => OnRowsUnread::Proceed,\n"
            "        Unread::Version => OnRowsUnread::Tell,",
        )],
    ),
    "item2": (
        "issue 61 item 2: an edit event's run whose rows' Query failed reads back and tells (unread rows)",
        [(
            "src/domain/alert/rows_unread.rs",
            "TriggerKind::DocumentChanged | TriggerKind::Sweep => OnRowsUnread::Tell,",
            "TriggerKind::DocumentChanged if " + M.format("item2") + " => OnRowsUnread::Proceed,\n"
            "        TriggerKind::DocumentChanged | TriggerKind::Sweep => OnRowsUnread::Tell,",
        )],
    ),
    "item3": (
        "issue 61 item 3: a window ends when the version stopped being the default (until_known/until_at_most), "
        "not at the next version's making",
        [(
            "src/domain/version_gap.rs",
            "    bound(&mut out.windows, gap, ends);\n    out\n}",
            "    bound(&mut out.windows, gap, ends);\n"
            "    if " + M.format("item3") + " {\n"
            "        for w in out.windows.iter_mut() {\n"
            "            let v: u64 = w.version.parse().unwrap_or(u64::MAX);\n"
            "            let next = read.iter().find(|n| n.number == v.saturating_add(1));\n"
            "            if let Some(c) = next.and_then(|n| n.created.clone()) {\n"
            "                w.until_known = None;\n"
            "                w.until_at_most = Some(c);\n"
            "            }\n"
            "        }\n"
            "    }\n"
            "    out\n}",
        )],
    ),
    "item4": (
        "issue 61 item 4: a document deleted and made again is a new history (read from version 1)",
        [(
            "src/domain/version_gap.rs",
            "if !below && !remade {",
            "if " + M.format("item4") + " || (!below && !remade) {",
        )],
    ),
    "item5": (
        "issue 61 item 5: a sweep keeps an account's alerts in the outbox before its records (keep_first)",
        [(
            "src/flow/sweep/accounts.rs",
            "|| keep_first(&svc.receipts",
            "|| " + M.format("item5") + " || keep_first(&svc.receipts",
        )],
    ),
    "item6": (
        "issue 61 item 6: an edit event that finds its document right at an unrecorded version reads the item again "
        "(the racing editor named)",
        [(
            "src/flow/account/unnamed.rs",
            "if !unnamed::looks_again(o, &job.trigger, version) {",
            "if " + M.format("item6") + " || !unnamed::looks_again(o, &job.trigger, version) {",
        )],
    ),
    "item7": (
        "issue 61 item 7: sweeps judge the rows of the present life only (the walk's JoinedTimestamp)",
        [(
            "src/flow/sweep/lives.rs",
            "pub(super) fn this_life(job: &Job, info: &AccountInfo) -> Option<Job> {",
            "pub(super) fn this_life(job: &Job, info: &AccountInfo) -> Option<Job> {\n"
            "    if " + M.format("item7") + " {\n        return None;\n    }",
        )],
    ),
    "rows": (
        "earlier round: a run with no edit event of its own (move, member stack, baseline, vend's re-attempt) "
        "fails when the account's rows cannot be read (fail toward telling), not a silent first look",
        [(
            "src/domain/alert/rows_unread.rs",
            "        | TriggerKind::BaselineApplied => OnRowsUnread::Fail,",
            "        | TriggerKind::BaselineApplied\n"
            "            if " + M.format("rows") + " =>\n        {\n            OnRowsUnread::Proceed\n        }\n"
            "        TriggerKind::AccountVended\n"
            "        | TriggerKind::AccountMoved\n"
            "        | TriggerKind::MemberStackLanded\n"
            "        | TriggerKind::BaselineApplied => OnRowsUnread::Fail,",
        )],
    ),
    "outbox": (
        "earlier round: alerts a dead run kept in the outbox are published by the next run that claims work",
        [(
            "src/flow/outbox.rs",
            "    let waiting = match read {\n        Ok(w) => w,",
            "    if " + M.format("outbox") + " {\n        return 0;\n    }\n"
            "    let waiting = match read {\n        Ok(w) => w,",
        )],
    ),
    "take": (
        "0.7.13: a run taking a dead run's write lease puts that run's intent back with its record (seed 700727)",
        [(
            "src/adapters/store/lease.rs",
            "    grant.dead = orphan_in(old, Some(owner), now);",
            "    grant.dead = orphan_in(old, Some(owner), now).filter(|_| !" + M.format("take") + ");",
        )],
    ),
    "claim": (
        "0.7.13: a run finding another's window claim not kept yet records no version past it (seed 89)",
        [(
            "src/adapters/store/window_told.rs",
            "                out.pending = true;\n                out.theirs.push((t.clone(), teller()));",
            "                out.pending = !" + M.format("claim") + ";\n                out.theirs.push((t.clone(), teller()));",
        )],
    ),
    "version": (
        "0.7.14: each version of a Run As window is claimed alone, so two runs that read different sets of "
        "versions tell each once (seed 780018)",
        [(
            "src/domain/version_gap/tokens.rs",
            "    out.retain(|t| seen.insert(t.clone()));\n    out\n}",
            "    out.retain(|t| seen.insert(t.clone()));\n    if " + M.format("version")
            + " && !out.is_empty() {\n        return vec![out.join(\",\")];\n    }\n    out\n}",
        ), (
            "src/domain/version_gap/tokens.rs",
            "    let ours: BTreeSet<&str> = ours.iter().map(String::as_str).collect();",
            "    if " + M.format("version") + " {\n        return (!ours.is_empty()).then_some(history);\n    }\n"
            "    let ours: BTreeSet<&str> = ours.iter().map(String::as_str).collect();",
        )],
    ),
    "named": (
        "0.7.14: the run of an edit event whose version another run told names its editor in a follow-up "
        "(seed 96)",
        [(
            "src/flow/account/history.rs",
            "        None => match version_gap::follow_up(history, &claimed.theirs, &own, who.actor) {",
            "        None => match version_gap::follow_up(history, &claimed.theirs, &own, who.actor)\n"
            "            .filter(|_| !" + M.format("named") + ")\n        {",
        )],
    ),
    "made": (
        "0.7.15: a window told past a claim whose write failed is claimed with the keep of its alert "
        "(seed 780367)",
        [(
            "src/flow/account/history.rs",
            "        unwritten: (!written).then(|| Unwritten {",
            "        unwritten: (!written && !" + M.format("made") + ").then(|| Unwritten {",
        )],
    ),
    "sorted": (
        "0.7.15: a run whose claim could not be written reads the item and tells only what no other run claimed "
        "(seed 780367)",
        [(
            "src/flow/account/history.rs",
            "    (sorted.unwrap_or_else(all), false)",
            "    (sorted.filter(|_| !" + M.format("sorted") + ").unwrap_or_else(all), false)",
        )],
    ),
    "rejoin": (
        "0.7.16: a dead sweep's write adopted over a record from before the account last joined is the rejoin's "
        "configuration, not drift (seeds 826817, 822526)",
        [(
            "src/flow/account/adopted.rs",
            "    if !judged || recorded.last_checked_ms.is_none() {",
            "    if !judged || recorded.last_checked_ms.is_none() || " + M.format("rejoin") + " {",
        )],
    ),
    "adopt": (
        "0.7.13: the default a dead run's adopted write replaced leaves the adopting run's unjudged versions too "
        "(seed 720052)",
        [(
            "src/domain/version_gap/adopted.rs",
            "    if let Some(u) = history.unjudged.as_mut() {",
            "    if let Some(u) = history.unjudged.as_mut().filter(|_| !" + M.format("adopt") + ") {",
        )],
    ),
    "absent": (
        "0.10.0: a told window's item is written only where no other run told that version (its condition)",
        [(
            "src/adapters/store/fact_items.rs",
            "    .to_string();\n    if dated {",
            "    .to_string();\n    if " + M.format("absent")
            + " {\n        condition = format!(\"({condition}) OR attribute_not_exists(#by) OR attribute_exists(#by)\");\n    }"
            + "\n    if dated {",
        )],
    ),
    "identity": (
        "0.10.0: an alert's identity is computed from the facts it tells, nothing of the run telling them "
        "(switched off: a fresh id each time one is computed, as an identity naming the run would be)",
        [(
            "src/domain/fact.rs",
            "    let mut parts = vec![\"told\", kind, account, slot];",
            "    let run = match " + M.format("identity") + " {\n"
            "        true => crate::domain::ids::unpredictable().to_string(),\n"
            "        false => String::new(),\n    };\n"
            "    let mut parts = vec![\"told\", kind, account, slot];\n"
            "    if !run.is_empty() {\n        parts.push(&run);\n    }",
        )],
    ),
    "lease": (
        "earlier round: a region lease's holder checks the fence before each write (never writes after losing it)",
        [(
            "src/adapters/store/lease.rs",
            "    fn still_held(&self, grant: &RegionGrant) -> bool {\n        !grant.keepalive.lost()",
            "    fn still_held(&self, grant: &RegionGrant) -> bool {\n        " + M.format("lease")
            + " || !grant.keepalive.lost()",
        )],
    ),
}

FINDING = re.compile(r"^FINDING seed (\d+) invariant ([^:]+): (.*) \(first seen [^)]*\)$")


def copy_tree(repo, dest):
    files = subprocess.run(["git", "-C", repo, "ls-files", "-z"], check=True,
                           capture_output=True).stdout.split(b"\0")
    for f in filter(None, files):
        f = f.decode()
        src = os.path.join(repo, f)
        if not os.path.isfile(src):
            continue
        os.makedirs(os.path.dirname(os.path.join(dest, f)) or dest, exist_ok=True)
        shutil.copy2(src, os.path.join(dest, f))


def mutate(dest, names):
    for name in names:
        for path, old, new in MUTANTS[name][1]:
            p = os.path.join(dest, path)
            text = open(p).read()
            if text.count(old) != 1:
                sys.exit(f"mutant {name}: {path} holds {text.count(old)} copies of its text, not one: "
                         "the fix moved; update tools/sim_mutations.py")
            open(p, "w").write(text.replace(old, new))


def findings(out):
    """seed -> set of (invariant, detail with versions kept) for every FINDING line."""
    by_seed = {}
    for line in out.splitlines():
        m = FINDING.match(line.strip())
        if m:
            by_seed.setdefault(int(m.group(1)), set()).add((m.group(2), m.group(3)))
    return by_seed


def build(dest, env):
    """The mutated simulation's test binary, copied into the throwaway copy
    (a later build in the shared target directory cannot change it)."""
    r = subprocess.run(["cargo", "test", "--test", "simulation", "--no-run", "--message-format=json"],
                       cwd=dest, env=env, stdout=subprocess.PIPE, text=True)
    if r.returncode != 0:
        sys.exit("the mutated copy does not build")
    exe = None
    for line in r.stdout.splitlines():
        try:
            m = json.loads(line)
        except ValueError:
            continue
        if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["name"] == "simulation":
            exe = m["executable"]
    if not exe:
        sys.exit("no simulation test binary in cargo's output")
    mine = os.path.join(dest, "simulation-mutants")
    shutil.copy2(exe, mine)
    return mine


def play(exe, dest, budget, mutant):
    e = dict(os.environ, SIM_BUDGET=str(budget))
    e.pop("SIM_MUTANT", None)
    if mutant:
        e["SIM_MUTANT"] = mutant
    started = time.time()
    r = subprocess.run([exe, "budget", "--nocapture", "--test-threads=1"], cwd=dest, env=e,
                       capture_output=True, text=True)
    return findings(r.stdout), time.time() - started, r.stdout


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--budget", type=int, default=int(os.environ.get("SIM_BUDGET", "20")))
    ap.add_argument("--only", default="", help="comma-separated mutants (default: all)")
    ap.add_argument("--keep", action="store_true", help="keep the throwaway copy and print its path")
    ap.add_argument("--shared-target", action="store_true",
                    help="build in the checkout's target directory (no second build of the dependencies; "
                         "the mutants are switched off unless SIM_MUTANT is set, but the checkout's next "
                         "build may reuse the mutated library: rebuild it, e.g. touch src/lib.rs)")
    args = ap.parse_args()
    repo = subprocess.run(["git", "rev-parse", "--show-toplevel"], check=True, capture_output=True,
                          text=True).stdout.strip()
    names = [n for n in args.only.split(",") if n] or list(MUTANTS)
    for n in names:
        if n not in MUTANTS:
            sys.exit(f"no mutant {n}: {', '.join(MUTANTS)}")
    target = subprocess.run(["python3", os.path.join(repo, "tools/local_aws.py"), "target-dir"], cwd=repo,
                            capture_output=True, text=True).stdout.strip() or os.path.join(repo, "target")
    dest = tempfile.mkdtemp(prefix="sim-mutants-")
    try:
        copy_tree(repo, dest)
        mutate(dest, list(MUTANTS))
        # Every finding printed: the baseline's are subtracted below.
        open(os.path.join(dest, "tests/sim/known.txt"), "w").write("")
        open(os.path.join(dest, "tests/sim/seeds.txt"), "w").write("")
        # A target directory of its own by default: the copy's crate has the
        # checkout's name, and cargo would otherwise let the checkout's next
        # build reuse the mutated library.
        env = dict(os.environ, CARGO_TARGET_DIR=target if args.shared_target
                   else os.path.join(target, "sim-mutants"))
        env.pop("SIM_MUTANT", None)
        exe = build(dest, env)
        base, secs, _ = play(exe, dest, args.budget, None)
        print(f"baseline: {args.budget} schedules in {secs:.0f}s; findings on seeds {sorted(base)}", flush=True)
        rows = []
        for n in names:
            got, secs, _ = play(exe, dest, args.budget, n)
            new = {s: f - base.get(s, set()) for s, f in got.items()}
            new = {s: f for s, f in new.items() if f}
            if new:
                seed = min(new)
                inv = sorted({i for i, _ in new[seed]})
                detail = sorted(new[seed])[0][1]
                rows.append((n, f"seed {seed}", str(seed), "; ".join(inv), detail))
            else:
                rows.append((n, "not found", "-", "-", ""))
            print(f"{n}: {rows[-1][1]} (invariant {rows[-1][3]}) {rows[-1][4]} [{secs:.0f}s]", flush=True)
            if new:
                print(f"  {n}: every seed with a new finding: {sorted(new)}", flush=True)
        print("\n| fix switched off | found | schedules | invariant broken |")
        print("|---|---|---|---|")
        for n, found, k, inv, _ in rows:
            print(f"| {n}: {MUTANTS[n][0]} | {found} | {k} | {inv} |")
    finally:
        if args.keep:
            print(f"copy kept: {dest}")
        else:
            shutil.rmtree(dest, ignore_errors=True)


if __name__ == "__main__":
    main()

"""The checks and the tag command of `make release VERSION=x.y.z` (see Makefile).

  release.py check VERSION        VERSION is x.y.z and is Cargo.toml's version;
                                  CHANGELOG.md has `## [VERSION] - YYYY-MM-DD`
                                  with something under it and a line
                                  `Commit: `hash`` naming the release commit,
                                  which is in this history, HEAD or before it,
                                  and says VERSION in its Cargo.toml; the git
                                  tree is clean (no change, no untracked file);
                                  tag vVERSION does not exist yet; docs/upgrade.md's
                                  table has a row for VERSION; no CHANGELOG
                                  section newer than 0.7.16 names a development
                                  internal (DEVELOPER_WORDS)
  release.py tag VERSION NOTE     the same checks, then prints the command that
                                  tags the named commit vVERSION (annotated);
                                  nothing is tagged or pushed
  release.py message VERSION NOTE the tag's message: the CHANGELOG section (and
                                  NOTE, when not empty)

The commit is named in the CHANGELOG, not taken from a tag, because tags do
not travel with every clone; build.rs reads the same line for `--version`
(src/domain/release.rs holds its rules: this is the same rule, in Python).
"""

import datetime
import re
import shlex
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

UPGRADE_PAGE = "docs/upgrade.md"

# The CHANGELOG speaks to operators from the release after 0.7.16 on: what
# changes for the person running the service, in plain words. Sections up to
# 0.7.16 were written for developers and are kept as released.
PLAIN_AFTER = (0, 7, 16)

# The words the project uses for its development tooling and the function's
# internal mechanisms (docs/internals.md's vocabulary), which an operator
# neither sees nor acts on: they go to docs/internals.md. Whole words, any
# case, so a setting or error code that merely contains one
# (`RUNAS_GUARD_CLAIM_LEASE_SECONDS`, `LeaseHeld`) is not caught.
DEVELOPER_WORDS = {
    "seed": r"seeds?",
    "simulation": r"simulat\w*",
    "SIM_ variable": r"SIM_\w*",
    "tests/sim": r"tests/sim",
    "known.txt": r"known\.txt",
    "regression case": r"regression cases?",
    "exploration": r"exploration|explored",
    "wolf": r"wol(?:f|ves)",
    "mutant": r"mutants?|mutations?",
    "BUGGIFY": r"buggify",
    "differential check": r"differential",
    "virtual time": r"virtual time",
    "fault proxy": r"fault proxy",
    "opt-level": r"opt-levels?",
    "claim": r"claim(?:s|ed|ing)?",
    "lease": r"leases?",
    "outbox": r"outbox(?:es)?",
    "ledger": r"ledgers?",
    "intent": r"intents?",
    "adoption": r"adopt(?:s|ed|ing|ion|ions)?",
    "life": r"life|lives",
    "mark": r"(?:drift|departure|put-back's) marks?",
}
_DEVELOPER_WORDS = re.compile(
    "|".join(rf"(?P<w{i}>(?<!\w)(?:{pattern})(?!\w))" for i, pattern in enumerate(DEVELOPER_WORDS.values())),
    re.IGNORECASE)


def fail(message):
    sys.exit(f"release: {message}")


def git(*args):
    run = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True)
    if run.returncode != 0:
        fail(f"git {' '.join(args)}: {run.stderr.strip()}")
    return run.stdout


def cargo_version():
    text = (REPO / "Cargo.toml").read_text()
    package = text.split("[package]", 1)[1].split("\n[", 1)[0]
    found = re.search(r'^version\s*=\s*"([^"]+)"', package, re.M)
    if not found:
        fail("Cargo.toml's [package] has no version")
    return found.group(1)


def changelog_section(version):
    """The text of `## [version] - date`, up to the next `## `; exits when
    there is none, it is not dated, or it is empty."""
    text = (REPO / "CHANGELOG.md").read_text()
    heading = re.search(rf"^## \[{re.escape(version)}\](.*)$", text, re.M)
    if not heading:
        fail(f"CHANGELOG.md has no `## [{version}] - YYYY-MM-DD` section "
             "(turn `## [Unreleased]` into it and keep an empty `## [Unreleased]` above)")
    dated = re.fullmatch(r" - (\d{4}-\d{2}-\d{2})", heading.group(1))
    if not dated:
        fail(f"CHANGELOG.md's `{heading.group(0)}` is not dated: write `## [{version}] - YYYY-MM-DD`")
    try:
        datetime.date.fromisoformat(dated.group(1))
    except ValueError:
        fail(f"CHANGELOG.md's `{heading.group(0)}`: {dated.group(1)} is not a date")
    rest = text[heading.end():]
    following = re.search(r"^## ", rest, re.M)
    body = rest[:following.start()] if following else rest
    if not body.strip():
        fail(f"CHANGELOG.md's `{heading.group(0)}` section is empty")
    return heading.group(0).removeprefix("## "), body.strip()


def version_tuple(text):
    return tuple(int(n) for n in text.split("."))


def sections(text):
    """(title, first line number, body lines) of each `## ` section."""
    found, lines = [], text.splitlines()
    starts = [n for n, line in enumerate(lines) if line.startswith("## ")]
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(lines)
        found.append((lines[start].removeprefix("## ").strip(), start + 1, lines[start + 1:end]))
    return found


def developer_words(text):
    """[(title, line number, word, line)] for every development word in a
    section that must speak to operators: a released `## [x.y.z]` newer than
    0.7.16, or a summary (a `## ` heading that names no release). Sections
    up to 0.7.16 and `## [Unreleased]` (work under way) are not read."""
    hits = []
    names = list(DEVELOPER_WORDS)
    for title, start, body in sections(text):
        released = re.match(r"\[(\d+\.\d+\.\d+)\]", title)
        if released and version_tuple(released.group(1)) <= PLAIN_AFTER:
            continue
        if not released and title.startswith("["):
            continue  # [Unreleased]
        for offset, line in enumerate([title] + body):
            for found in _DEVELOPER_WORDS.finditer(line):
                word = names[int(found.lastgroup[1:])]
                hits.append((title, start + offset, word, line.strip()))
    return hits


def check_plain_words():
    hits = developer_words((REPO / "CHANGELOG.md").read_text())
    if hits:
        lines = "\n".join(f"  CHANGELOG.md:{n} ({title}): {word!r} in: {line}" for title, n, word, line in hits)
        fail("CHANGELOG.md's sections after 0.7.16 speak to operators, but these lines name development "
             "internals (seeds, the simulation, internal mechanisms): say what changes for the operator "
             f"instead, and put development notes in docs/internals.md:\n{lines}")


def upgrade_row(version):
    """The cells of docs/upgrade.md's table row for `version` (its first cell
    the version, bold or in a code span allowed); exits when there is none."""
    page = REPO / UPGRADE_PAGE
    if not page.is_file():
        fail(f"{UPGRADE_PAGE} does not exist: release {version} needs its row there "
             "(what upgrading to it needs, whether it can be skipped and rolled back to)")
    for line in page.read_text().splitlines():
        if not line.lstrip().startswith("|"):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        first = cells[0].strip("*` ")
        if re.match(rf"{re.escape(version)}(?![\w.])", first):
            if not any(cell.strip("-* ") for cell in cells[1:]):
                fail(f"{UPGRADE_PAGE}'s row for {version} is empty: say what upgrading to {version} needs "
                     "(the steps, in the page's order), whether it can be skipped and rolled back to")
            return cells
    fail(f"{UPGRADE_PAGE} has no row for {version}: add `| {version} | ... |` to its table of releases "
         f"(what upgrading to {version} needs, whether it can be skipped and rolled back to)")


def named_commit(version, body):
    """The commit the section's `Commit: `hash`` line names, as src/domain/release.rs
    reads it (7 to 40 lowercase hex digits, the line alone, one commit)."""
    named = set(re.findall(r"^Commit: `([0-9a-f]{7,40})`[ \t]*$", body, re.M))
    head = git("rev-parse", "--short=12", "HEAD").strip()
    if not named:
        fail(f"CHANGELOG.md's [{version}] section names no commit: write `Commit: `<hash>`` under its "
             f"heading, the commit that set version {version} and dated the section (HEAD is {head}), "
             "commit that, and run again")
    if len(named) > 1:
        fail(f"CHANGELOG.md's [{version}] section names more than one commit: {', '.join(sorted(named))}")
    short = named.pop()
    found = subprocess.run(["git", "rev-parse", "--verify", "--quiet", f"{short}^{{commit}}"], cwd=REPO,
                           capture_output=True, text=True)
    if found.returncode != 0:
        fail(f"CHANGELOG.md's [{version}] section names commit {short}, which this history does not hold "
             "(a shallow clone? `git fetch --unshallow`)")
    commit = found.stdout.strip()
    ancestor = subprocess.run(["git", "merge-base", "--is-ancestor", commit, "HEAD"], cwd=REPO)
    if ancestor.returncode != 0:
        fail(f"CHANGELOG.md's [{version}] section names commit {short}, which is not HEAD or before it")
    at = git("show", f"{commit}:Cargo.toml")
    package = at.split("[package]", 1)[-1].split("\n[", 1)[0]
    said = re.search(r'^version\s*=\s*"([^"]+)"', package, re.M)
    if not said or said.group(1) != version:
        fail(f"commit {short}, which CHANGELOG.md's [{version}] section names, has version "
             f"{said.group(1) if said else 'none'} in its Cargo.toml, not {version}: name the release commit")
    return commit


def check(version):
    if not re.fullmatch(r"\d+\.\d+\.\d+", version):
        fail(f"VERSION={version!r}: give x.y.z, as `make release VERSION=0.3.0`")
    if cargo_version() != version:
        fail(f"Cargo.toml says version {cargo_version()}, not {version}: bump it (and Cargo.lock) first")
    title, body = changelog_section(version)
    upgrade_row(version)
    check_plain_words()
    dirty = git("status", "--porcelain", "--untracked-files=all").rstrip("\n")
    if dirty.strip():
        fail("the tree is not clean (commit or remove these first):\n" + dirty)
    if git("tag", "--list", f"v{version}").strip():
        fail(f"tag v{version} exists already")
    commit = named_commit(version, body)
    return title, body, commit


def message(version, note=""):
    title, body = changelog_section(version)
    text = f"runas-guard {title}\n\n{body}\n"
    return text + (f"\n{note}\n" if note else "")


def tag_command(version, note=""):
    """The one line that tags the named commit, its message made by `message`."""
    _, _, commit = check(version)
    make = ["python3", "tools/release.py", "message", version] + ([note] if note else [])
    # --cleanup=whitespace: keep the section's `### Added` headings (the default strips `#` lines).
    tag = ["git", "tag", "--annotate", "--cleanup=whitespace", f"v{version}", commit, "--file", "-"]
    return commit, f"{shlex.join(make)} | {shlex.join(tag)}"


def tag(version, note=""):
    commit, command = tag_command(version, note)
    short = commit[:12]
    head = git("rev-parse", "HEAD").strip()
    print(f"release: {version} is commit {short}, as CHANGELOG.md's [{version}] section names it; tag it with:")
    print(f"  {command}")
    if head != commit:
        past = git("rev-list", "--count", f"{commit}..HEAD").strip()
        print(f"release: HEAD is {past} commit(s) past {short}: what was tested and put in dist/ "
              f"is HEAD's (its --version says {version}+{past}); to publish the release's own build, "
              f"`git checkout v{version} && make dist` after tagging (--version: {version} ({short}))")
    print(f"release: then publish with `git push origin v{version}` and the files in dist/ (SHA256SUMS lists them)")


if __name__ == "__main__":
    command, *args = sys.argv[1:] or ["help"]
    if command == "check" and len(args) == 1:
        title, _, commit = check(args[0])
        print(f"release: {title}: Cargo.toml, CHANGELOG.md (commit {commit[:12]}) and a clean tree agree")
    elif command == "tag" and len(args) in (1, 2):
        tag(*args)
    elif command == "message" and len(args) in (1, 2):
        sys.stdout.write(message(*args))
    else:
        sys.exit(__doc__)

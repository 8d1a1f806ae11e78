"""The checks and the tag of `make release VERSION=x.y.z` (see Makefile).

  release.py check VERSION     VERSION is x.y.z and is Cargo.toml's version;
                               CHANGELOG.md has `## [VERSION] - YYYY-MM-DD`
                               with something under it; the git tree is clean
                               (no change, no untracked file); tag vVERSION
                               does not exist yet
  release.py tag VERSION NOTE  the same checks, then the annotated tag
                               vVERSION on HEAD; its message is the CHANGELOG
                               section (and NOTE, when not empty)
"""

import datetime
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


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


def check(version):
    if not re.fullmatch(r"\d+\.\d+\.\d+", version):
        fail(f"VERSION={version!r}: give x.y.z, as `make release VERSION=0.3.0`")
    if cargo_version() != version:
        fail(f"Cargo.toml says version {cargo_version()}, not {version}: bump it (and Cargo.lock) first")
    title, body = changelog_section(version)
    dirty = git("status", "--porcelain", "--untracked-files=all").rstrip("\n")
    if dirty.strip():
        fail("the tree is not clean (commit or remove these first):\n" + dirty)
    if git("tag", "--list", f"v{version}").strip():
        fail(f"tag v{version} exists already")
    return title, body


def tag(version, note=""):
    title, body = check(version)
    message = f"runas-guard {title}\n\n{body}\n"
    if note:
        message += f"\n{note}\n"
    # --cleanup=whitespace: keep the section's `### Added` headings (the default strips `#` lines).
    run = subprocess.run(["git", "tag", "--annotate", "--cleanup=whitespace", f"v{version}", "--file", "-", "HEAD"],
                         cwd=REPO, input=message, capture_output=True, text=True)
    if run.returncode != 0:
        fail(f"git tag: {run.stderr.strip()}")
    rev = git("rev-parse", "--short=12", "HEAD").strip()
    print(f"release: tagged v{version} at {rev} ({title})")
    print(f"release: publish with `git push origin v{version}` and the files in dist/ (SHA256SUMS lists them)")


if __name__ == "__main__":
    command, *args = sys.argv[1:] or ["help"]
    if command == "check" and len(args) == 1:
        title, _ = check(args[0])
        print(f"release: {title}: Cargo.toml, CHANGELOG.md and a clean tree agree")
    elif command == "tag" and len(args) in (1, 2):
        tag(*args)
    else:
        sys.exit(__doc__)

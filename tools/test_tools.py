"""Tests of the tools `make` runs (`make tools-test`, part of `make test`):
the binary found through cargo's target directory (CARGO_TARGET_DIR
honoured), a kept local AWS recorded, stopped by the next KEEP=1 run and by
`make demo-stop`, `make release`'s checks, and `rust-version` (with
README's "Needs Rust") against Cargo.lock's crates. Needs cargo and git; the
local AWS tests need .venv (moto).
"""

import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent))

import local_aws  # noqa: E402
import release  # noqa: E402
import rust_version  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
VENV_PYTHON = REPO / ".venv" / "bin" / "python"


class TargetDir(unittest.TestCase):
    def setUp(self):
        local_aws._TARGET_DIR = None

    def tearDown(self):
        local_aws._TARGET_DIR = None

    def test_cargo_target_dir_is_honoured(self):
        with tempfile.TemporaryDirectory() as d, mock.patch.dict(os.environ, CARGO_TARGET_DIR=d):
            self.assertEqual(local_aws.target_dir(), Path(d))

    def test_without_it_the_package_target(self):
        env = {k: v for k, v in os.environ.items() if k != "CARGO_TARGET_DIR"}
        with mock.patch.dict(os.environ, env, clear=True):
            self.assertEqual(local_aws.target_dir().name, "target")

    def test_a_missing_binary_names_its_path_and_the_build(self):
        with tempfile.TemporaryDirectory() as d, mock.patch.dict(os.environ, CARGO_TARGET_DIR=d):
            with self.assertRaises(SystemExit) as e:
                local_aws.binary("demo")
            self.assertIn(str(Path(d) / "debug" / "runas-guard"), str(e.exception))
            self.assertIn("make demo", str(e.exception))


@unittest.skipUnless(VENV_PYTHON.exists(), "needs .venv (make venv)")
class KeptLocalAws(unittest.TestCase):
    COMMAND = [str(VENV_PYTHON), str(REPO / "tests" / "moto_ssm_associations.py")]

    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.records = tempfile.TemporaryDirectory()
        local_aws._TARGET_DIR = Path(self.dir.name)
        self.env = mock.patch.dict(os.environ, RUNAS_GUARD_LOCAL_RECORDS=self.records.name)
        self.env.start()
        self.started = []

    def tearDown(self):
        for proc in self.started:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        self.env.stop()
        local_aws._TARGET_DIR = None
        self.dir.cleanup()
        self.records.cleanup()

    def keep_one(self):
        proc, url = local_aws.start(self.COMMAND, keep=True)
        self.started.append(proc)
        local_aws.keep("demo", proc, url, self.COMMAND)
        return proc

    def test_the_next_keep_run_stops_the_first_and_demo_stop_the_second(self):
        first = self.keep_one()
        self.assertEqual(local_aws.running("demo")["pid"], first.pid)
        self.assertTrue(local_aws.stop("demo"))  # what the next KEEP=1 run does first
        first.wait(timeout=10)
        second = self.keep_one()
        self.assertEqual(local_aws.running("demo")["pid"], second.pid)
        out = subprocess.run([sys.executable, str(REPO / "tools" / "local_aws.py"), "stop"],
                             env=dict(os.environ, CARGO_TARGET_DIR=self.dir.name),
                             capture_output=True, text=True, check=True).stdout
        self.assertIn(f"pid {second.pid}", out)
        second.wait(timeout=10)
        self.assertIsNone(local_aws.running("demo"))

    def test_demo_stop_finds_it_under_another_cargo_target_dir(self):
        # Kept by a run whose CARGO_TARGET_DIR was one directory; stopped
        # from a shell with another (or none): the record is the checkout's.
        kept = self.keep_one()
        self.assertEqual(list(Path(self.dir.name).iterdir()), [], "nothing under the target dir")
        with tempfile.TemporaryDirectory() as other:
            envs = (dict(os.environ, CARGO_TARGET_DIR=other),
                    {k: v for k, v in os.environ.items() if k != "CARGO_TARGET_DIR"})
            for n, env in enumerate(envs):
                out = subprocess.run([sys.executable, str(REPO / "tools" / "local_aws.py"), "stop"],
                                     env=env, capture_output=True, text=True, check=True).stdout
                if n == 0:
                    self.assertIn(f"pid {kept.pid}", out)
                    kept.wait(timeout=10)
                else:
                    self.assertIn("no local AWS left running", out)  # the second: nothing left
        self.assertIsNone(local_aws.running("demo"))

    def test_records_live_in_the_checkout_by_default(self):
        env = {k: v for k, v in os.environ.items() if k != "RUNAS_GUARD_LOCAL_RECORDS"}
        with mock.patch.dict(os.environ, env, clear=True):
            self.assertEqual(local_aws.records_dir(), REPO / ".runas-guard-local")

    def test_a_record_whose_process_ended_is_not_stopped(self):
        proc = self.keep_one()
        proc.kill()
        proc.wait()
        self.assertIsNone(local_aws.running("demo"))
        self.assertFalse(local_aws.stop("demo"))


class DeployLocalDoctor(unittest.TestCase):
    """make deploy-local fails on a doctor warning its happy path could avoid."""

    def setUp(self):
        try:
            import deploy_local
        except ImportError as e:  # boto3 lives in .venv
            self.skipTest(f"needs .venv (make venv): {e}")
        self.warnings = deploy_local.warnings

    def test_only_warn_verdicts_are_warnings(self):
        checklist = {"ok": True, "failed": 0, "checks": [
            {"scope": "hub", "item": "table", "verdict": "pass", "detail": "ok"},
            {"scope": "account 111122223333", "item": "regions enabled", "verdict": "warn",
             "detail": "cannot read its regions: AccessDeniedException", "fix": "enable trusted access"},
            {"scope": "hub", "item": "chat", "verdict": "skip", "detail": "not configured"},
            {"scope": "hub", "item": "alarms", "verdict": "fail", "detail": "no subscriber"},
        ]}
        self.assertEqual(self.warnings(json.dumps(checklist)), [
            "account 111122223333: regions enabled: cannot read its regions: AccessDeniedException"])
        self.assertEqual(self.warnings(json.dumps(dict(checklist, checks=checklist["checks"][:1]))), [])

    def test_a_checklist_that_cannot_be_read_is_a_warning_not_a_pass(self):
        for text in ("", "not json", "{}", "[]", '{"checks": 3}'):
            got = self.warnings(text)
            self.assertEqual(len(got), 1, text)
            self.assertIn("could not be read", got[0])


class ReleaseChecks(unittest.TestCase):
    """tools/release.py against a scratch repository laid out like this one."""

    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.repo = Path(self.dir.name)
        (self.repo / "tools").mkdir()
        shutil.copy(REPO / "tools" / "release.py", self.repo / "tools" / "release.py")
        (self.repo / "Cargo.toml").write_text('[package]\nname = "x"\nversion = "1.2.0"\n\n[dependencies]\n')
        self.changelog("## [Unreleased]\n\n## [1.2.0] - 2026-11-23\n\n### Added\n\n- a thing\n\n## [1.1.0] - 2026-11-01\n")
        (self.repo / "docs").mkdir()
        self.upgrade_page("| 1.2.0 | steps 3 and 5 | yes | yes |\n| 1.1.0 | steps 3 and 5 | yes | yes |\n")
        self.git("init", "-q")
        self.git("add", ".")
        self.git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "one")

    def tearDown(self):
        self.dir.cleanup()

    def changelog(self, text):
        (self.repo / "CHANGELOG.md").write_text("# Changelog\n\n" + text)

    def upgrade_page(self, rows):
        (self.repo / "docs" / "upgrade.md").write_text(
            "# Upgrade\n\n| release | what you must do | skip it? | roll back to it? |\n"
            "| --- | --- | --- | --- |\n" + rows)

    def git(self, *args):
        subprocess.run(["git", *args], cwd=self.repo, check=True, capture_output=True)

    def release(self, *args):
        env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com",
                   GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.com")
        return subprocess.run([sys.executable, "tools/release.py", *args], cwd=self.repo,
                              capture_output=True, text=True, env=env)

    def commit(self, message):
        self.git("add", ".")
        self.git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", message)

    def head(self):
        return subprocess.run(["git", "rev-parse", "HEAD"], cwd=self.repo, capture_output=True,
                              text=True).stdout.strip()

    def name_release(self, commit):
        """The CHANGELOG names the release commit, in the commit after it."""
        self.changelog(f"## [Unreleased]\n\n## [1.2.0] - 2026-11-23\n\nCommit: `{commit[:12]}`\n\n"
                       "### Added\n\n- a thing\n\n## [1.1.0] - 2026-11-01\n")
        self.commit("name 1.2.0's commit")

    def test_the_printed_command_tags_the_commit_the_changelog_names(self):
        release_commit = self.head()
        self.name_release(release_commit)
        run = self.release("tag", "1.2.0", "Tagged with SKIP_CHECKS=1")
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertFalse(subprocess.run(["git", "tag"], cwd=self.repo, capture_output=True, text=True).stdout,
                         "release.py tags nothing itself")
        self.assertIn(f"1.2.0 is commit {release_commit[:12]}", run.stdout)
        self.assertIn("HEAD is 1 commit(s) past", run.stdout)
        command = [line.strip() for line in run.stdout.splitlines() if "git tag" in line]
        self.assertEqual(len(command), 1, run.stdout)
        self.assertIn(f"v1.2.0 {release_commit} ", command[0])
        # The command runs as printed, from the repository's top.
        env = dict(os.environ, GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.com")
        ran = subprocess.run(["bash", "-o", "pipefail", "-c", command[0].replace("python3", shlex.quote(sys.executable), 1)],
                             cwd=self.repo, capture_output=True, text=True, env=env)
        self.assertEqual(ran.returncode, 0, ran.stderr)
        tagged = subprocess.run(["git", "rev-list", "-n", "1", "v1.2.0"], cwd=self.repo, capture_output=True,
                                text=True).stdout.strip()
        self.assertEqual(tagged, release_commit)
        message = subprocess.run(["git", "tag", "-l", "--format=%(contents)", "v1.2.0"], cwd=self.repo,
                                 capture_output=True, text=True).stdout
        self.assertIn("runas-guard [1.2.0] - 2026-11-23", message)
        self.assertIn("### Added\n\n- a thing", message)
        self.assertIn("SKIP_CHECKS=1", message)
        kind = subprocess.run(["git", "cat-file", "-t", "v1.2.0"], cwd=self.repo, capture_output=True, text=True)
        self.assertEqual(kind.stdout.strip(), "tag")  # annotated
        again = self.release("check", "1.2.0")
        self.assertNotEqual(again.returncode, 0)
        self.assertIn("tag v1.2.0 exists already", again.stderr)

    def test_the_release_commit_must_be_named_and_be_the_release(self):
        first = self.head()
        (self.repo / "Cargo.toml").write_text('[package]\nname = "x"\nversion = "1.1.0"\n')
        self.commit("back to 1.1.0")
        wrong_version = self.head()
        cases = [
            ("## [1.2.0] - 2026-11-23\n\n- a thing\n", "names no commit"),
            ("## [1.2.0] - 2026-11-23\n\nCommit: `1234567`\n", "which this history does not hold"),
            (f"## [1.2.0] - 2026-11-23\n\nCommit: `{first[:12]}`\nCommit: `{wrong_version[:12]}`\n",
             "names more than one commit"),
            (f"## [1.2.0] - 2026-11-23\n\nCommit: `{wrong_version[:12]}`\n", "has version 1.1.0 in its Cargo.toml"),
            ("## [1.2.0] - 2026-11-23\n\nCommit: `HEAD`\n", "names no commit"),
            ("## [1.2.0] - 2026-11-23\n\nsee Commit: `1234567`\n", "names no commit"),
        ]
        for changelog, said in cases:
            with self.subTest(said=said):
                self.git("checkout", "-q", "-B", "main", wrong_version)
                (self.repo / "Cargo.toml").write_text('[package]\nname = "x"\nversion = "1.2.0"\n')
                self.changelog(changelog)
                self.commit(said)
                run = self.release("check", "1.2.0")
                self.assertNotEqual(run.returncode, 0)
                self.assertIn(said, run.stderr)
        # A commit on another branch, not before HEAD, is not this release's.
        self.git("checkout", "-q", "-B", "side", first)
        (self.repo / "side.txt").write_text("x")
        self.commit("side")
        side = self.head()
        self.git("checkout", "-q", "main")
        self.changelog(f"## [1.2.0] - 2026-11-23\n\nCommit: `{side[:12]}`\n\n- a thing\n")
        self.commit("names the side commit")
        run = self.release("check", "1.2.0")
        self.assertIn("which is not HEAD or before it", run.stderr)

    def test_each_refusal_names_what_to_fix(self):
        cases = [
            ("1.3.0", None, "Cargo.toml says version 1.2.0, not 1.3.0"),
            ("1.2", None, "give x.y.z"),
            ("1.2.0", "## [Unreleased]\n\n- a thing\n", "has no `## [1.2.0] - YYYY-MM-DD` section"),
            ("1.2.0", "## [1.2.0]\n\n- a thing\n", "is not dated"),
            ("1.2.0", "## [1.2.0] - 2026-13-40\n\n- a thing\n", "is not a date"),
            ("1.2.0", "## [1.2.0] - 2026-11-23\n\n## [1.1.0] - 2026-11-01\n", "section is empty"),
        ]
        for version, changelog, said in cases:
            with self.subTest(said=said):
                if changelog:
                    self.changelog(changelog)
                    self.git("add", "CHANGELOG.md")
                    self.git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", said)
                run = self.release("check", version)
                self.assertNotEqual(run.returncode, 0)
                self.assertIn(said, run.stderr)

    def test_a_tree_with_a_change_or_an_untracked_file_is_refused(self):
        self.name_release(self.head())
        (self.repo / "new.txt").write_text("x")
        run = self.release("tag", "1.2.0")
        self.assertNotEqual(run.returncode, 0)
        self.assertIn("the tree is not clean", run.stderr)
        self.assertIn("new.txt", run.stderr)
        (self.repo / "new.txt").unlink()
        (self.repo / "Cargo.toml").write_text((self.repo / "Cargo.toml").read_text() + "# edited\n")
        run = self.release("check", "1.2.0")
        self.assertIn("Cargo.toml", run.stderr)
        self.assertFalse(subprocess.run(["git", "tag"], cwd=self.repo, capture_output=True, text=True).stdout)


    def test_a_release_without_its_row_on_the_upgrade_page_is_refused(self):
        self.name_release(self.head())
        page = self.repo / "docs" / "upgrade.md"
        cases = [
            (None, "docs/upgrade.md does not exist: release 1.2.0 needs its row there"),
            ("| 1.1.0 | steps 3 and 5 | yes | yes |\n", "docs/upgrade.md has no row for 1.2.0"),
            # Neither a longer version, nor one that only ends in it, nor the version in prose.
            ("| 1.2.0.1 | x | x | x |\n| 11.2.0 | x | x | x |\n| 1.2.01 | x | x | x |\n"
             "Upgrading to 1.2.0 needs steps 3 and 5.\n", "docs/upgrade.md has no row for 1.2.0"),
            ("| 1.2.0 |  | - | |\n", "docs/upgrade.md's row for 1.2.0 is empty"),
        ]
        for rows, said in cases:
            with self.subTest(said=said):
                if rows is None:
                    page.unlink()
                else:
                    self.upgrade_page(rows)
                self.commit(said)
                run = self.release("check", "1.2.0")
                self.assertNotEqual(run.returncode, 0)
                self.assertIn(said, run.stderr)
        for row in ("| 1.2.0 | steps 3 and 5 | yes | yes |", "| **1.2.0** (coming) | steps 1 to 5 | yes | yes |",
                    "| `1.2.0` | steps 3 and 5 | yes | yes |"):
            with self.subTest(row=row):
                self.upgrade_page(row + "\n")
                self.commit(row)
                run = self.release("check", "1.2.0")
                self.assertEqual(run.returncode, 0, run.stderr)

    def test_a_section_after_0_7_16_that_names_a_development_internal_is_refused(self):
        release_commit = self.head()

        def changelog(newer, older, unreleased=""):
            return (f"## [Unreleased]\n\n{unreleased}\n\n## [1.2.0] - 2026-11-23\n\nCommit: `{release_commit[:12]}`\n\n"
                    f"### Fixed\n\n- a thing\n\n## [1.1.0] - 2026-11-01\n\n{newer}\n\n"
                    f"## [0.7.16] - 2026-10-01\n\n{older}\n")

        said = "(simulation seed 826817)"
        cases = [
            # (the [1.1.0] section's line, the [0.7.16] section's line, refused?)
            ("- A rejoin is told configured " + said, "- plain", True),
            ("- plain", "- A rejoin is told configured " + said, False),
            ("- A window is told once: each version is claimed alone", "- plain", True),
            ("- `RUNAS_GUARD_CLAIM_LEASE_SECONDS` is bounded; a `LeaseHeld` failure says who holds it", "- plain",
             False),
        ]
        for newer, older, refused in cases:
            with self.subTest(newer=newer, older=older):
                self.changelog(changelog(newer, older, unreleased="- work under way, simulation seed 5"))
                self.commit(newer)
                run = self.release("check", "1.2.0")
                if refused:
                    self.assertNotEqual(run.returncode, 0)
                    self.assertIn("name development internals", run.stderr)
                    self.assertIn("([1.1.0] - 2026-11-01)", run.stderr)
                    self.assertIn(newer, run.stderr)
                    self.assertIn("docs/internals.md", run.stderr)
                else:
                    self.assertEqual(run.returncode, 0, run.stderr)


class DeveloperWords(unittest.TestCase):
    """The words tools/release.py refuses in a CHANGELOG section meant for operators."""

    def test_each_line_is_told_by_the_word_it_names(self):
        cases = [
            ("found by the simulation (seed 611287)", ["simulation", "seed"]),
            ("`SIM_STREAMS=slot` on 8,000 seeds", ["SIM_ variable", "seed"]),
            ("tests/sim/known.txt names it", ["tests/sim", "known.txt"]),
            ("the fault proxy can hold one account", ["fault proxy"]),
            ("compiled at opt-level 1", ["opt-level"]),
            ("its claim carries a lease", ["claim", "lease"]),
            ("kept in the outbox, then adopted", ["outbox", "adoption"]),
            ("a dead run's intent", ["intent"]),
            ("once per life; accounts' lives", ["life", "life"]),
            ("a drift mark names the editor", ["mark"]),
            ("the mutants of the demo; no wolves", ["mutant", "wolf"]),
            # Plain words, and names that only contain a listed word.
            ("`RUNAS_GUARD_CLAIM_LEASE_SECONDS` at most 300; `LeaseHeld`", []),
            ("the alarm watches the oldest message's age; lifecycle rules; `reconcile --stack`", []),
            ("since 0.7.16 the docs mark what is new", []),
        ]
        for line, words in cases:
            with self.subTest(line=line):
                found = release.developer_words(f"## [0.8.0] - 2026-12-01\n\n- {line}\n")
                self.assertEqual([w for _, _, w, _ in found], words)

    def test_which_sections_are_read(self):
        text = ("# Changelog\n\n## [Unreleased]\n\n- seed 1\n\n## 0.5.0 to 0.7.16 in short\n\n- seed 2\n\n"
                "## [0.8.0] - 2026-12-01\n\n- seed 3\n\n## [0.7.16] - 2026-11-28\n\n- seed 4\n\n"
                "## [0.5.0] - 2026-11-26\n\n- seed 5\n")
        found = release.developer_words(text)
        self.assertEqual([(title, line) for title, _, _, line in found],
                         [("0.5.0 to 0.7.16 in short", "- seed 2"), ("[0.8.0] - 2026-12-01", "- seed 3")])
        self.assertEqual([n for _, n, _, _ in found], [9, 13], "line numbers in the file")

    def test_this_changelog_speaks_to_operators_after_0_7_16(self):
        text = (REPO / "CHANGELOG.md").read_text()
        self.assertTrue("\n## 0.5.0 to 0.7.16 in short\n" in text, "CHANGELOG.md has no operator's summary")
        self.assertEqual(release.developer_words(text), [])

    def test_the_upgrade_page_has_a_row_for_every_release_since_0_4_0(self):
        import re
        text = (REPO / "CHANGELOG.md").read_text()
        released = [v for v in re.findall(r"^## \[(\d+\.\d+\.\d+)\]", text, re.M)
                    if release.version_tuple(v) >= (0, 4, 0)]
        self.assertIn("0.7.16", released)
        for version in released:
            with self.subTest(version=version):
                cells = release.upgrade_row(version)
                self.assertTrue(any(cell.strip("-* ") for cell in cells[1:]))


try:
    import demo  # noqa: E402 - needs boto3 (.venv)
except ImportError:
    demo = None

HEADER = ("account,ou_path,region,mode,user,checked,missing,missing_nodes,verdict,verdict_text,note,held,"
          "could_not_run,could_not_run_reasons\n")
PROD, DEV = "382754083246", "149603973952"
NAMES = {PROD: "payments-prod", DEV: "build-tools"}


def readiness_row(account, region, verdict, text, nodes=""):
    missing = len(nodes.split())
    return f"{account},Root/Prod,{region},audit,ssm-ops,2,{missing},{nodes},{verdict},{text},,,,\n"


@unittest.skipUnless(demo, "needs .venv (make venv)")
class DemoReadinessStory(unittest.TestCase):
    """`make demo` Act 4 narrates readiness from what readiness printed, and
    stops when that output does not say what the demo's fleet implies."""

    def test_the_narration_says_what_readiness_says(self):
        cases = [
            ("one node lacking", [readiness_row(PROD, "us-east-1", "would_refuse", "would refuse sessions on 1 node",
                                                "i-01")],
             {(PROD, "us-east-1"): ["i-01"]},
             ["payments-prod us-east-1 (Root/Prod): would refuse sessions on 1 node (i-01 lacks ssm-ops)"]),
            ("two nodes lacking", [readiness_row(PROD, "us-east-1", "would_refuse", "would refuse sessions on 2 nodes",
                                                 "i-01 i-02")],
             {(PROD, "us-east-1"): ["i-02", "i-01"]},
             ["payments-prod us-east-1 (Root/Prod): would refuse sessions on 2 nodes (i-01, i-02 lack ssm-ops)"]),
            ("all ready", [readiness_row(PROD, "us-east-1", "ready", "ready"),
                           readiness_row(DEV, "eu-west-1", "no_linux_or_macos_nodes", "no managed Linux or macOS nodes")],
             {(PROD, "us-east-1"): [], (DEV, "eu-west-1"): []}, []),
        ]
        for name, rows, lacking, said in cases:
            with self.subTest(name):
                self.assertEqual(demo.readiness_story(HEADER + "".join(rows), lacking, NAMES), said)

    def test_readiness_that_contradicts_the_fleet_stops_the_demo(self):
        cases = [
            # What an out-of-date copy of the check document made readiness say.
            ("check could not run", [readiness_row(PROD, "us-east-1", "check_could_not_run",
                                                   "check could not run on 1 node")],
             {(PROD, "us-east-1"): ["i-01"]}, "check could not run on 1 node"),
            ("refuses where every node has the user", [readiness_row(PROD, "us-east-1", "would_refuse",
                                                                     "would refuse sessions on 1 node", "i-01")],
             {(PROD, "us-east-1"): []}, "would refuse sessions at"),
            ("names another node", [readiness_row(PROD, "us-east-1", "would_refuse",
                                                  "would refuse sessions on 1 node", "i-09")],
             {(PROD, "us-east-1"): ["i-01"]}, "i-09"),
            ("misses a lacking node", [readiness_row(PROD, "us-east-1", "ready", "ready")],
             {(PROD, "us-east-1"): ["i-01"]}, "i-01"),
            ("no result yet", [readiness_row(PROD, "us-east-1", "no_result_yet", "no result yet")],
             {}, "no result yet"),
        ]
        for name, rows, lacking, said in cases:
            with self.subTest(name):
                with self.assertRaises(SystemExit) as e:
                    demo.readiness_story(HEADER + "".join(rows), lacking, NAMES)
                self.assertIn("readiness does not tell the demo's story", str(e.exception))
                self.assertIn(said, str(e.exception))


class RustVersion(unittest.TestCase):
    """Cargo.toml's rust-version is the highest of Cargo.lock's crates.io
    packages, read from cargo's extracted sources; README says the same (this
    test keeps README's figure equal to Cargo.toml's)."""

    CRATES_IO = rust_version.CRATES_IO

    def test_the_repository_declares_its_true_minimum(self):
        # A failure names the crate that needs more, or the locked crates whose
        # sources are not extracted (`cargo fetch --locked`).
        said = rust_version.check()
        self.assertIn("README.md says the same", said)

    def tree(self, ours="1.80", readme="1.80", crates=(("a", "1.0.0", "1.70"), ("b", "2.1.0", None)),
             extracted=None, edition="2021"):
        """A repository and a registry src beside it; `extracted` the crates
        whose sources are there (all by default)."""
        d = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, d)
        repo, src = d / "repo", d / "registry" / "src" / "index.crates.io-0"
        repo.mkdir()
        src.mkdir(parents=True)
        (repo / "Cargo.toml").write_text(
            f'[package]\nname = "x"\nversion = "0.1.0"\nedition = "{edition}"\nrust-version = "{ours}"\n')
        (repo / "README.md").write_text(f"Needs Rust ({readme} or later) and Python 3.11.\n")
        lock = '[[package]]\nname = "x"\nversion = "0.1.0"\n'
        for name, version, needs in crates:
            lock += f'\n[[package]]\nname = "{name}"\nversion = "{version}"\nsource = "{self.CRATES_IO}"\n'
            if extracted is None or name in extracted:
                (src / f"{name}-{version}").mkdir()
                field = f'rust-version = "{needs}"\n' if needs else ""
                (src / f"{name}-{version}" / "Cargo.toml").write_text(
                    f'[package]\nname = "{name}"\nversion = "{version}"\n{field}')
        # A git package has no registry sources: it is not looked for.
        (repo / "Cargo.lock").write_text(lock + '\n[[package]]\nname = "g"\nversion = "0.1.0"\n'
                                         'source = "git+https://example.com/g#abc"\n')
        return repo, d / "registry" / "src"

    def refusal(self, repo, src):
        with self.assertRaises(SystemExit) as e:
            rust_version.check(repo, src)
        return str(e.exception)

    def test_agreeing_passes_naming_the_crate_that_sets_it(self):
        repo, src = self.tree(ours="1.70", readme="1.70")
        self.assertIn("a 1.0.0", rust_version.check(repo, src))
        repo, src = self.tree(ours="1.70.0", readme="1.70")  # 1.70 is 1.70.0
        self.assertIn("a 1.0.0", rust_version.check(repo, src))

    def test_a_crate_that_needs_more_is_named(self):
        repo, src = self.tree(ours="1.85", readme="1.85",
                              crates=(("a", "1.0.0", "1.70"), ("sdk", "1.2.0", "1.94.1"), ("c", "0.3.0", "1.86")))
        said = self.refusal(repo, src)
        self.assertIn("sdk 1.2.0 needs 1.94.1", said)
        self.assertIn("c 0.3.0 needs 1.86", said)
        self.assertNotIn("a 1.0.0", said)
        self.assertIn('rust-version = "1.94.1"', said)
        # 1.9 is less than 1.10: versions compare as numbers, not text.
        repo, src = self.tree(ours="1.9", readme="1.9", crates=(("a", "1.0.0", "1.10"),))
        self.assertIn("a 1.0.0 needs 1.10", self.refusal(repo, src))

    def test_a_locked_crate_not_extracted_is_named_never_passed(self):
        repo, src = self.tree(ours="1.70", readme="1.70", extracted={"a"})
        said = self.refusal(repo, src)
        self.assertIn("b 2.1.0", said)
        self.assertIn("cargo fetch --locked", said)
        # No registry at all (cargo never fetched): every crate named.
        said = self.refusal(repo, src.parent / "nowhere")
        self.assertIn("a 1.0.0", said)
        self.assertIn("b 2.1.0", said)

    def test_a_figure_above_the_true_minimum_is_refused(self):
        repo, src = self.tree(ours="1.85", readme="1.85")
        self.assertIn("no locked crate needs more than 1.70", self.refusal(repo, src))
        # ... unless the crate's own edition needs it.
        repo, src = self.tree(ours="1.85", readme="1.85", edition="2024")
        self.assertIn("edition 2024", rust_version.check(repo, src))

    def test_readme_must_say_the_same(self):
        repo, src = self.tree(ours="1.70", readme="1.85")
        self.assertIn('README.md says "Needs Rust (1.85 or later)"', self.refusal(repo, src))
        repo, src = self.tree(ours="1.70", readme="1.70")
        (repo / "README.md").write_text("Needs a recent Rust.\n")
        self.assertIn("does not say", self.refusal(repo, src))



class SimMutants(unittest.TestCase):
    """Each mutant of tools/sim_mutations.py finds its text exactly once in
    the product: a refactor that moves it would otherwise only show when
    the (slow, manual) demo runs."""

    def test_every_mutant_text_is_in_the_product_once(self):
        import sim_mutations
        repo = Path(__file__).resolve().parent.parent
        for name, (_, edits) in sim_mutations.MUTANTS.items():
            for path, old, _ in edits:
                text = (repo / path).read_text()
                self.assertEqual(text.count(old), 1, f"mutant {name}: {path} holds {text.count(old)} copies of {old!r}")

if __name__ == "__main__":
    unittest.main()

"""releases.py agrees with the commits the CHANGELOG names.

Each release's lists were read once from its commit; here they are read
again where the history is there (a normal clone has it), and each commit
is the one the CHANGELOG's section of that release names. In a checkout
without the history (a shallow clone, an exported tree) the comparison with
the commits is skipped; the rest of the tests use the lists as they are.
"""

import os
import re
import subprocess
import unittest

from . import cfn, policy_schema
from .releases import RELEASES

CHANGELOG = os.path.join(cfn.REPO_ROOT, "CHANGELOG.md")


def git_show(commit, path):
    """The file at ``commit``, or None where this checkout has no such commit."""
    try:
        result = subprocess.run(["git", "-C", cfn.REPO_ROOT, "show", f"{commit}:{path}"],
                                capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout if result.returncode == 0 else None


def template_parameters_at(commit, path):
    text = git_show(commit, path)
    if text is None:
        return None
    return list(cfn.yaml.load(text, Loader=cfn.CfnLoader)["Parameters"])


class ReleaseTests(unittest.TestCase):

    def test_each_release_is_the_commit_its_changelog_section_names(self):
        with open(CHANGELOG, encoding="utf-8") as handle:
            changelog = handle.read()
        for release, shipped in RELEASES.items():
            with self.subTest(release=release):
                section = re.search(rf"^## \[{re.escape(release)}\][^\n]*\n(.*?)(?=^## )", changelog, re.M | re.S)
                self.assertIsNotNone(section, f"CHANGELOG has no section for {release}")
                self.assertIn(f"Commit: `{shipped['commit']}`", section.group(1))

    def test_release_history_agrees(self):
        compared = 0
        for release, shipped in RELEASES.items():
            for which in ("hub", "member"):
                found = template_parameters_at(shipped["commit"], f"infra/{which}.yaml")
                if found is None:
                    continue
                with self.subTest(release=release, template=which):
                    self.assertEqual(found, shipped[f"{which}_parameters"])
                compared += 1
        if not compared:
            self.skipTest("no release commit in this checkout's history")

    def test_release_policy_keys_agree(self):
        compared = 0
        for release, shipped in RELEASES.items():
            if "policy_keys" not in shipped:
                continue
            raw = git_show(shipped["commit"], shipped.get("raw_rs", "src/policy/raw.rs"))
            if raw is None:
                continue
            with self.subTest(release=release):
                self.assertEqual(policy_schema.raw_struct_keys(raw), shipped["policy_keys"])
            compared += 1
        if not compared:
            self.skipTest("no release commit in this checkout's history")


if __name__ == "__main__":
    unittest.main()

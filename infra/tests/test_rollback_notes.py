"""Each "Back to X" note names every policy key and parameter X refuses.

A release refuses a policy key it does not know (its policy structs are
``deny_unknown_fields``), so a function rolled back to it fails every event
until the policy drops the keys added since; its templates lack the
parameters added since, which a rollback of the stacks leaves out. The
CHANGELOG's "Back to X" note (in the section of the release after X, or
``[Unreleased]``) must name each of them in a code span: the keys this
checkout accepts (its schema under src/, policy_schema.py) that X did not
(releases.py, held to X's commit by test_releases.py), and the parameters
of this checkout's templates X's lacked.
"""

import os
import re
import unittest

from . import cfn, policy_schema
from .releases import RELEASES

CHANGELOG = os.path.join(cfn.REPO_ROOT, "CHANGELOG.md")


def back_to_note(changelog, release):
    """The text of the ``- **Back to <release>**`` item of the section
    above ``release``'s (the next release's, or [Unreleased]), or None."""
    heading = re.search(rf"^## \[{re.escape(release)}\]", changelog, re.M)
    if heading is None:
        return None
    sections = list(re.finditer(r"^## \[", changelog[:heading.start()], re.M))
    if not sections:
        return None
    above = changelog[sections[-1].start():heading.start()]
    match = re.search(rf"^- \*\*Back to {re.escape(release)}\*\*.*?(?=^- |^#|\Z)", above, re.M | re.S)
    return match.group(0) if match else None


def code_spans(text):
    return re.findall(r"`([^`]+)`", text)


def names(note, table, key):
    """Whether ``note`` names ``key`` of ``table`` in a code span: the key
    itself (a top-level key), or with its table (``[nodes] held_alert_after``
    or ``nodes.held_alert_after``)."""
    accepted = {key} if not table else {f"[{table}] {key}", f"{table}.{key}"}
    return any(span in accepted for span in code_spans(note))


def template_parameters(path):
    return list(cfn.load_template(path)["Parameters"])


class RollbackNoteTests(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        with open(CHANGELOG, encoding="utf-8") as handle:
            cls.changelog = handle.read()
        cls.keys = policy_schema.current_keys()

    def test_each_back_to_note_names_the_policy_keys_the_release_refuses(self):
        checked = 0
        for release, shipped in RELEASES.items():
            if "policy_keys" not in shipped:
                continue
            note = back_to_note(self.changelog, release)
            self.assertIsNotNone(note, f"CHANGELOG has no **Back to {release}** note above [{release}]")
            added = policy_schema.added_since(shipped["policy_keys"], self.keys)
            for table, key in added:
                with self.subTest(release=release, key=f"{table}.{key}" if table else key):
                    self.assertTrue(names(note, table, key),
                                    f"the Back to {release} note does not name "
                                    f"`{f'[{table}] {key}' if table else key}`, which {release} refuses")
                checked += 1
        self.assertGreaterEqual(checked, 3, "operator_role, directory_users, [nodes] held_alert_after at least")

    def test_each_back_to_note_names_the_parameters_the_release_lacks(self):
        for release, shipped in RELEASES.items():
            if "policy_keys" not in shipped:
                continue
            note = back_to_note(self.changelog, release)
            self.assertIsNotNone(note)
            spans = set(code_spans(note))
            for which, path in (("hub", cfn.HUB_TEMPLATE), ("member", cfn.MEMBER_TEMPLATE)):
                for parameter in template_parameters(path):
                    if parameter in shipped[f"{which}_parameters"]:
                        continue
                    with self.subTest(release=release, template=which, parameter=parameter):
                        self.assertIn(parameter, spans,
                                      f"the Back to {release} note does not name {which}.yaml's `{parameter}`")

    def test_the_reader_sees_a_missing_name(self):
        note = back_to_note(self.changelog, "0.3.0")
        self.assertTrue(names(note, "", "directory_users"))
        self.assertFalse(names(note.replace("`directory_users`", "directory users"), "", "directory_users"))
        self.assertTrue(names("`[nodes] held_alert_after`", "nodes", "held_alert_after"))
        self.assertFalse(names("`held_alert_after`", "nodes", "held_alert_after"))
        self.assertFalse(names("`nodes`", "", "directory_users"))
        self.assertIn(("", "operator_role"), policy_schema.added_since(RELEASES["0.3.0"]["policy_keys"], self.keys))
        self.assertIsNone(back_to_note("## [Unreleased]\n\n## [9.9.9] - x\n", "9.9.9"))


if __name__ == "__main__":
    unittest.main()

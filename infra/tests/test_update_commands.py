"""The documented updates keep what is deployed.

A parameter left out of ``update-stack-set`` or ``update-stack`` takes its
template default, not its current value: an update of the member StackSet
without ``OperatorPrincipals`` removes on-call's seat from every account.
So every documented ``update-stack-set`` of the member StackSet and
``update-stack`` of the hub stack (on any page, inline ``ParameterKey=``
items or the JSON file the same block writes) names every parameter of its
template, and the Update page's own commands keep each one
(``UsePreviousValue=true``; the hub's new ``CodeS3Key`` excepted). Adding a
parameter to a template without adding it to the commands fails here.

The Update page's table of the parameters an older release's templates lack
(they cannot take ``UsePreviousValue`` on the first update from it) is
held to what those releases shipped (releases.py).
"""

import json
import os
import re
import unittest

from . import cfn, doc_commands
from .releases import RELEASES

PAGE = os.path.join(cfn.INFRA_DIR, "docs", "update-and-uninstall.md")
TEMPLATES = {"member": cfn.MEMBER_TEMPLATE, "hub": cfn.HUB_TEMPLATE}
# The hub update's one new value: the code (step 1 uploads it under a new key).
HUB_CHANGES = {"CodeS3Key"}


def template_parameters(which):
    return list(cfn.load_template(TEMPLATES[which])["Parameters"])


def parameters_of(command):
    """{key: "previous" or the value} of a command's --parameters: inline
    ``ParameterKey=K,UsePreviousValue=true`` / ``ParameterKey=K,ParameterValue=V``
    items, or ``file://F`` naming a JSON file the same block wrote."""
    words = command.words
    start = words.index("--parameters") + 1
    found = {}
    if words[start].startswith("file://"):
        name = words[start][len("file://"):]
        if name not in command.files:
            raise AssertionError(f"{command}: {name} is not written in the same block")
        items = json.loads(command.files[name])
        for item in items:
            key = item["ParameterKey"]
            if key in found:
                raise AssertionError(f"{command}: {key} twice")
            found[key] = "previous" if item.get("UsePreviousValue") is True else item["ParameterValue"]
        return found
    for word in words[start:]:
        if not word.startswith("ParameterKey="):
            break
        fields = dict(part.split("=", 1) for part in word.split(","))
        key = fields["ParameterKey"]
        if key in found:
            raise AssertionError(f"{command}: {key} twice")
        if fields.get("UsePreviousValue") == "true":
            found[key] = "previous"
        else:
            found[key] = fields["ParameterValue"]
    return found


def update_commands(commands):
    """(which template, command) of every update of the member StackSet and the hub stack."""
    found = []
    for command in commands:
        if command.is_aws("cloudformation", "update-stack-set") and \
                command.option("--stack-set-name") == "runas-guard-member":
            found.append(("member", command))
        elif command.is_aws("cloudformation", "update-stack") and \
                command.option("--stack-name") == "runas-guard-hub":
            found.append(("hub", command))
    return found


def names_in(cell):
    return [name for name in re.findall(r"`([A-Za-z0-9]+)`", cell)]


def first_update_table(text):
    """{release: (member parameters, hub parameters)} of the page's table."""
    rows = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and re.fullmatch(r"[0-9]+\.[0-9]+\.[0-9]+", cells[0]):
            rows[cells[0]] = (names_in(cells[1]), names_in(cells[2]))
    return rows


class UpdateCommandTests(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.commands = doc_commands.commands()
        cls.updates = update_commands(cls.commands)
        with open(PAGE, encoding="utf-8") as handle:
            cls.page = handle.read()

    def test_every_documented_update_names_every_parameter(self):
        pages = set()
        for which, command in self.updates:
            with self.subTest(command=command):
                named = parameters_of(command)
                expected = template_parameters(which)
                self.assertEqual(sorted(set(expected) - set(named)), [],
                                 f"left out, these would take their defaults: {command}")
                self.assertEqual(sorted(set(named) - set(expected)), [],
                                 f"{which}.yaml has no such parameter: {command}")
                pages.add(command.path)
        for page in ("infra/docs/update-and-uninstall.md", "infra/docs/per-permission-set-documents.md",
                     "infra/docs/run-as-user-check.md", "infra/docs/run-as-tag-inventory.md"):
            self.assertIn(page, pages, f"{page}'s update command was not found")

    def test_the_update_page_keeps_every_value(self):
        on_page = [(w, c) for w, c in self.updates if c.path == "infra/docs/update-and-uninstall.md"]
        self.assertEqual(sorted(w for w, _ in on_page), ["hub", "member"])
        for which, command in on_page:
            named = parameters_of(command)
            changed = {key for key, value in named.items() if value != "previous"}
            self.assertEqual(changed, HUB_CHANGES if which == "hub" else set(), command)
            self.assertEqual(list(named), template_parameters(which),
                             f"{which}: in the template's order, so a missing one is easy to see")
        hub = next(c for w, c in on_page if w == "hub")
        self.assertEqual(hub.option("--template-url"),
                         "https://$BUCKET.s3.$AWS_REGION.amazonaws.com/runas-guard/hub.yaml")

    def test_the_update_page_updates_the_hub_with_deploy_too(self):
        deploys = [c for c in self.commands if c.path == "infra/docs/update-and-uninstall.md"
                   and c.is_aws("cloudformation", "deploy")]
        self.assertEqual(len(deploys), 1)
        (deploy,) = deploys
        self.assertEqual(deploy.option("--template-file"), "infra/hub.yaml")
        self.assertEqual(deploy.words[deploy.words.index("--parameter-overrides") + 1:], ["CodeS3Key=$KEY"])

    def test_the_first_update_table_names_what_each_release_lacks(self):
        table = first_update_table(self.page)
        self.assertEqual(sorted(table), sorted(RELEASES))
        for release, shipped in RELEASES.items():
            member, hub = table[release]
            with self.subTest(release=release):
                self.assertEqual(member, [p for p in template_parameters("member")
                                          if p not in shipped["member_parameters"]])
                self.assertEqual(hub, [p for p in template_parameters("hub") if p not in shipped["hub_parameters"]])

    def test_the_reader_sees_a_missing_parameter(self):
        (command,) = [c for w, c in self.updates if w == "member" and c.path.endswith("update-and-uninstall.md")]
        text = command.text.replace("ParameterKey=OperatorPrincipals,UsePreviousValue=true", "")
        cut = doc_commands.Command(PAGE, text, {})
        self.assertNotIn("OperatorPrincipals", parameters_of(cut))
        self.assertIn("OperatorPrincipals", parameters_of(command))
        json_command = doc_commands.Command(PAGE, "aws cloudformation update-stack-set --stack-set-name "
                                                  "runas-guard-member --parameters file://p.json",
                                            {"p.json": '[{"ParameterKey": "A", "UsePreviousValue": true},'
                                                       ' {"ParameterKey": "B", "ParameterValue": "x,y"}]'})
        self.assertEqual(parameters_of(json_command), {"A": "previous", "B": "x,y"})


if __name__ == "__main__":
    unittest.main()

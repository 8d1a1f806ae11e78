"""infra/docs/parameters.md lists every parameter of both templates.

Each template's Parameters section is the source: every parameter has a row
in its template's table (named in the first cell, in backticks), with the
default the template gives (`-` for a required one, `empty` for ""), and no
row names a parameter the template does not have.
"""

import os
import re
import unittest

from . import cfn

PAGE = os.path.join(cfn.INFRA_DIR, "docs", "parameters.md")
SECTIONS = {"## Hub stack (`hub.yaml`)": cfn.HUB_TEMPLATE, "## Member stack (`member.yaml`)": cfn.MEMBER_TEMPLATE}


def rows(page, heading):
    """{parameter: default cell} of the table under `heading` (up to the next heading)."""
    start = page.index("\n" + heading + "\n")
    section = page[start + len(heading) + 2:]
    end = section.find("\n## ")
    section = section if end < 0 else section[:end]
    found = {}
    for line in section.splitlines():
        if not line.startswith("| `"):
            continue
        cells = [cell.strip() for cell in line.strip("|").split(" | ")]
        for name in re.findall(r"`([A-Za-z0-9]+)`", cells[0]):
            found[name] = cells[1]
    return found


def default_cell(parameter):
    if "Default" not in parameter:
        return "-"
    if parameter["Default"] == "":
        return "empty"
    return f"`{parameter['Default']}`"


class ParametersPageTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(PAGE, encoding="utf-8") as handle:
            cls.page = handle.read()

    def test_every_parameter_has_its_row_and_default(self):
        for heading, path in SECTIONS.items():
            parameters = cfn.load_template(path)["Parameters"]
            documented = rows(self.page, heading)
            self.assertGreaterEqual(len(parameters), 10, path)
            for name, parameter in parameters.items():
                with self.subTest(template=os.path.basename(path), parameter=name):
                    self.assertIn(name, documented, f"{heading} has no row for `{name}`")
                    self.assertTrue(documented[name].startswith(default_cell(parameter)),
                                    f"`{name}`: default {documented[name]!r}, the template says "
                                    f"{default_cell(parameter)}")
            self.assertEqual(set(), set(documented) - set(parameters),
                             f"{heading} names parameters {os.path.basename(path)} does not have")

    def test_the_reader_sees_a_missing_row(self):
        page = self.page.replace("| `HubBusName` |", "| HubBusName |")
        self.assertNotIn("HubBusName", rows(page, "## Member stack (`member.yaml`)"))
        self.assertIn("HubBusName", rows(self.page, "## Member stack (`member.yaml`)"))
        self.assertEqual(rows(self.page, "## Hub stack (`hub.yaml`)")["CodeS3Key"], "-")


if __name__ == "__main__":
    unittest.main()

"""One source for the run-as user check's document: infra/member.yaml.

The demo (tools/demo.py), the bench (bench/moto_fast_check.py, bench/seed.py)
and the tests' emulations run the check's script as the nodes' agents would,
so each must run the document that ships. Each reads it through
cfn.check_document(); these tests fail if one of them differs from the
template, or if any Python or Rust file in the repository embeds a copy of
the document's `allowedPattern` or of a line of its script (a copy drifts:
the demo's once said "check could not run" where the shipped script says a
node would refuse sessions).
"""

import importlib
import json
import os
import sys
import unittest

from . import cfn

# Files that may quote the document's text: the tests of the document itself,
# which assert what it says.
QUOTING_IT = {os.path.join("infra", "tests", "test_check_document.py")}
# Not the repository's own sources: build output, virtualenvs, the demo's files.
SKIPPED_DIRS = {".git", "target", ".venv", "venv", "node_modules", "__pycache__", ".demo"}


def import_from(directory, module):
    path = os.path.join(cfn.REPO_ROOT, directory)
    if path not in sys.path:
        sys.path.insert(0, path)
    return importlib.import_module(module)


def needles(document):
    """The document's own text as a source file would hold it: the parameter's
    pattern, and each script line raw or in a string literal's escaping."""
    texts = [document["parameters"]["User"]["allowedPattern"]]
    for step in document["mainSteps"]:
        texts.extend(step["inputs"]["runCommand"])
    found = set()
    for text in texts:
        found.add(text)
        found.add(json.dumps(text)[1:-1])  # "..." in Rust or Python: \" and \\ escaped
    return found


def sources():
    for root, dirs, files in os.walk(cfn.REPO_ROOT):
        dirs[:] = [d for d in dirs if d not in SKIPPED_DIRS]
        for name in files:
            if name.endswith((".py", ".rs")):
                path = os.path.join(root, name)
                yield os.path.relpath(path, cfn.REPO_ROOT), path


class OneCheckDocument(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.document = cfn.check_document()

    def test_the_template_has_the_document_the_others_read(self):
        self.assertEqual(self.document["schemaVersion"], "2.2")
        self.assertEqual(self.document["parameters"]["User"]["interpolationType"], "ENV_VAR")
        self.assertTrue(all(step["inputs"]["runCommand"] for step in self.document["mainSteps"]))

    def test_the_demo_creates_the_shipped_document(self):
        demo = import_from("tools", "demo")
        self.assertEqual(demo.check_document(), self.document)
        self.assertEqual(demo.CHECK, cfn.load_template(cfn.MEMBER_TEMPLATE)
                         ["Resources"]["RunAsUserCheckDocument"]["Properties"]["Name"])

    def test_the_bench_creates_the_shipped_document(self):
        self.assertEqual(json.loads(import_from("bench", "moto_fast_check").CHECK_CONTENT), self.document)
        self.assertEqual(import_from("bench", "seed").check_document(), self.document)

    def test_the_rust_tests_read_the_template(self):
        with open(os.path.join(cfn.REPO_ROOT, "tests", "common", "fleet.rs"), encoding="utf-8") as f:
            self.assertIn("cfn.check_document()", f.read())

    def test_no_other_file_embeds_a_copy(self):
        texts = needles(self.document)
        copies = []
        for relative, path in sources():
            if relative in QUOTING_IT:
                continue
            with open(path, encoding="utf-8", errors="replace") as f:
                source = f.read()
            copies.extend(f"{relative}: {text}" for text in sorted(texts) if text in source)
        self.assertEqual(copies, [], "read the check document with infra/tests/cfn.py's check_document()")

    def test_the_guide_shows_the_script_that_ships(self):
        """infra/docs/run-as-user-check.md shows the script to reviewers: it is
        the template's, line for line, and names the template's pattern."""
        with open(os.path.join(cfn.REPO_ROOT, "infra", "docs", "run-as-user-check.md"), encoding="utf-8") as f:
            guide = f.read()
        block = guide.split("```sh\n", 1)[1].split("```", 1)[0]
        for step in self.document["mainSteps"]:
            self.assertEqual(block.splitlines(), step["inputs"]["runCommand"])
        self.assertIn(f"`{self.document['parameters']['User']['allowedPattern']}`", guide)

    def test_the_copy_finder_finds_a_copy(self):
        """The finder is not blind: the text the demo once embedded, in the
        form it was written in, is found."""
        pattern = self.document["parameters"]["User"]["allowedPattern"]
        line = self.document["mainSteps"][0]["inputs"]["runCommand"][-1]
        written = json.dumps({"parameters": {"User": {"allowedPattern": pattern}},
                              "mainSteps": [{"inputs": {"runCommand": [line]}}]})
        # In JSON both are escaped (the pattern's [@\\] and the line's quotes).
        self.assertEqual({t for t in needles(self.document) if t in written},
                         {json.dumps(pattern)[1:-1], json.dumps(line)[1:-1]})


if __name__ == "__main__":
    unittest.main()

"""The documented commands can send the templates as they are.

CloudFormation takes a template inline (``TemplateBody``: ``--template-body``
of create-stack / update-stack / create-stack-set / update-stack-set) only
up to 51,200 bytes (AWS CloudFormation API Reference, CreateStack and
CreateStackSet, ``TemplateBody`` length constraints), and ``aws
cloudformation deploy`` stops before it starts when a ``--template-file``
is larger and no ``--s3-bucket`` is given to upload it to. hub.yaml is
larger: every documented ``deploy`` of it passes ``--s3-bucket``.
member.yaml must stay within the limit: the member StackSet commands pass it
inline.
"""

import os
import unittest

from . import cfn, doc_commands

TEMPLATE_BODY_LIMIT = 51200
INLINE = ("create-stack", "update-stack", "create-stack-set", "update-stack-set", "create-change-set")


def template_size(path):
    return os.path.getsize(os.path.join(cfn.REPO_ROOT, path))


class TemplateSizeTests(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.commands = doc_commands.commands()

    def test_member_template_fits_inline(self):
        self.assertLessEqual(template_size("infra/member.yaml"), TEMPLATE_BODY_LIMIT,
                             "the member StackSet commands pass infra/member.yaml as --template-body")

    def test_every_documented_command_can_send_its_template(self):
        checked = 0
        for command in self.commands:
            if command.is_aws("cloudformation", "deploy"):
                template = command.option("--template-file")
                if template and template_size(template) > TEMPLATE_BODY_LIMIT:
                    with self.subTest(command=command):
                        self.assertTrue(command.has("--s3-bucket"),
                                        f"{template} is over {TEMPLATE_BODY_LIMIT} bytes: deploy needs --s3-bucket")
                checked += 1
            for operation in INLINE:
                if command.is_aws("cloudformation", operation) and command.has("--template-body"):
                    body = command.option("--template-body")
                    self.assertTrue(body.startswith("file://"), command)
                    with self.subTest(command=command):
                        self.assertLessEqual(template_size(body[len("file://"):]), TEMPLATE_BODY_LIMIT)
                    checked += 1
        self.assertGreaterEqual(checked, 8, "the docs' deploy and StackSet commands were found")

    def test_the_reader_finds_the_commands(self):
        hub = [c for c in self.commands if c.is_aws("cloudformation", "deploy")
               and c.option("--template-file") == "infra/hub.yaml"]
        self.assertTrue(hub)
        self.assertTrue(all(c.option("--s3-bucket") == "$BUCKET" for c in hub), hub)


if __name__ == "__main__":
    unittest.main()

"""One table of Run As user names, driven through the three places that
judge them: the policy (the product's own `runas-guard policy check`, with
`allow_root` and `directory_users` on, the widest a policy can be), the check
document's `allowedPattern` (infra/member.yaml RunAsUserCheckDocument) and
the document's script (run with sh as the agent runs it). Each name is
admitted by all three or refused by all three: a name the policy refuses
never reaches an association, and a name the document refuses would fail
there as "check could not run" for a policy that wrote it.
"""

import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest

from . import cfn

# (name, admitted). Valid names, capitalised ones (a case slip is refused;
# a directory name with a domain, a dot or more than 32 characters keeps its
# capitals), lengths at each bound, @ and \ domains, and hostile ones.
NAMES = [
    # Linux names
    ("ssm-ops", True), ("ec2-user", True), ("_apt", True), ("a", True), ("svc_backup$", True),
    ("a$", True), ("root", True), ("user-", True), ("x" * 32, True), ("x" * 31 + "$", True),
    # capitalised: a case slip without a domain, a directory's otherwise
    ("Alice", False), ("ALICE", False), ("Root", False), ("Ec2-User", False), ("_A", False),
    ("X" * 32, False), ("X" * 33, True), ("Alice.Smith", True), ("A.", True),
    ("Alice@corp.example.com", True), ("CORP\\Alice", True),
    # too long
    ("x" * 33 + "$", False), ("x" * 127, True), ("x" * 128, False),
    ("a" * 127 + "@" + "b" * 127, True), ("a" * 128 + "@corp", False), ("alice@" + "b" * 128, False),
    ("CORP\\" + "b" * 128, False),
    # directory names with @ or \
    ("alice@corp.example.com", True), ("CORP\\alice", True), ("corp.example.com\\alice", True),
    ("1234@corp", True), ("CORP\\1234", True), ("1corp\\svc", True), ("r\\oot", True),
    # asked of the node without the backslash: could be a uid
    ("1\\000", False), ("0\\0", False), ("1corp\\0day", False),
    # two domains, empty parts, a leading dash or dot
    ("alice@corp@example", False), ("CORP\\alice@corp", False), ("CORP\\\\alice", False),
    ("\\alice", False), ("alice\\", False), ("@corp", False), ("alice@", False), (".alice", False),
    ("-alice@corp", False), ("alice@-corp", False), ("CORP\\-alice", False),
    # hostile
    ("", False), (" ", False), ("a b", False), ("ssm ops", False), ("\tuser", False), ("user\t", False),
    ("a\nb", False), ("ssm-ops\n", False), ("a;b", False), ("root;rm -rf /", False), ("ssm-ops;", False),
    ("$(id)", False), ("`id`", False), ("${SSM_User}", False), ("{{User}}", False),
    ("$", False), ("a$b", False), ("a$$", False), ("$a", False), ("Alice$", False), ("alice$@corp", False),
    ("CORP\\alice$", False), ("-rf", False), ("--help", False), ("-a", False),
    ("\u00e5lice", False), ("ops\u00e9", False), ("alice@corp.example.com\u202e", False), ("a\u007fb", False),
    ("a'b", False), ('a"b', False), ("a/b", False), ("../etc", False), ("*", False), ("a*", False),
    ("?", False), ("alice,bob", False), ("a|b", False), ("a&b", False), ("a>b", False), ("1234", False),
    ("1abc", False),
]

POLICY = """member_role = "RunAsGuardExecution"
regions = ["us-east-1"]
mode = "audit"
allow_root = true
directory_users = true

[default]
run_as_user = "{user}"
"""


def toml_escaped(text):
    """A TOML basic string's body: quotes, backslashes and every character
    outside printable ASCII escaped, so the file holds exactly `text`."""
    out = []
    for c in text:
        if c in '"\\':
            out.append("\\" + c)
        elif " " <= c <= "~":
            out.append(c)
        else:
            out.append(f"\\u{ord(c):04x}")
    return "".join(out)


def binary():
    """The product's CLI as the source stands now (cargo rebuilds only what
    changed)."""
    subprocess.run(["cargo", "build", "--quiet", "--bin", "runas-guard"], cwd=cfn.REPO_ROOT, check=True)
    target = os.environ.get("CARGO_TARGET_DIR") or os.path.join(cfn.REPO_ROOT, "target")
    return os.path.join(target, "debug", "runas-guard")


@unittest.skipUnless(shutil.which("cargo") and shutil.which("sh"), "needs cargo and sh")
class OneTableOfUserNames(cfn.TemplateTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        content = cls.member["Resources"]["RunAsUserCheckDocument"]["Properties"]["Content"]
        cls.pattern = re.compile(content["parameters"]["User"]["allowedPattern"])
        cls.script = "\n".join(content["mainSteps"][0]["inputs"]["runCommand"]) + "\n"
        cls.bin = binary()
        cls.tmp = tempfile.mkdtemp()
        # The only command on the script's PATH: an `id` that knows everyone,
        # so the script's own check of the name is all that can refuse it.
        id_path = os.path.join(cls.tmp, "id")
        with open(id_path, "w", encoding="utf-8") as handle:
            handle.write("#!/bin/sh\nexit 0\n")
        os.chmod(id_path, 0o755)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)
        super().tearDownClass()

    def policy_admits(self, user):
        policy = POLICY.format(user=toml_escaped(user))
        done = subprocess.run([self.bin, "policy", "check", "--format", "json", "-"], input=policy.encode(),
                              capture_output=True, timeout=60, check=False)
        report = json.loads(done.stdout)
        errors = [d for d in report["diagnostics"] if d["severity"] == "error"]
        if done.returncode == 0:
            self.assertEqual(errors, [])
            return True
        self.assertEqual(done.returncode, 2, done.stderr)
        # Refused for the name, not for anything else in the file.
        self.assertTrue(errors, report)
        for e in errors:
            self.assertTrue(e["message"].startswith("`default.run_as_user`"), e)
        return False

    def script_admits(self, user):
        env = {"PATH": self.tmp, "SSM_User": user}
        done = subprocess.run([shutil.which("sh"), "-c", self.script], env=env, capture_output=True, timeout=30, check=False)
        # 0: `id` found the user; 2: "check could not run", nothing run.
        self.assertIn(done.returncode, (0, 2), done.stderr)
        if done.returncode == 2:
            self.assertTrue(done.stderr.startswith(b"runas-guard: check could not run"), done.stderr)
        return done.returncode == 0

    def test_the_policy_the_pattern_and_the_script_admit_the_same_names(self):
        self.assertEqual(len({n for n, _ in NAMES}), len(NAMES), "each name once")
        self.assertTrue(any(ok for _, ok in NAMES) and not all(ok for _, ok in NAMES))
        for user, admitted in NAMES:
            with self.subTest(user=user):
                said = {
                    "policy": self.policy_admits(user),
                    "allowedPattern": self.pattern.fullmatch(user) is not None,
                    "script": self.script_admits(user),
                }
                self.assertEqual(said, dict.fromkeys(said, admitted))


if __name__ == "__main__":
    unittest.main()

"""The run-as user check's Command document (infra/member.yaml
RunAsUserCheckDocument, RunAsUserCheck=Enabled).

What it may run on every managed node is the point of these tests: its one
parameter admits only the user names the policy admits (and never shell
text), and the value reaches the script ONLY as the environment variable
SSM_User (interpolationType ENV_VAR, agents 3.3.2746.0 and later): the
script's text never holds ``{{User}}``, so no agent pastes the name into it.
Older agents, which ignore interpolationType and substitute ``{{ }}`` in the
text instead, find nothing to substitute and the check fails closed (exit 2,
"check could not run: agent too old to pass the user safely"). The script,
run here with dash (sh where there is no dash) and bash as either agent
runs it, executes nothing but ``id`` for a user name, says in one line on
stderr when the user is missing (exit 1), and refuses anything that is not
a user name without running anything (exit 2, "check could not run");
hostile names, in the environment or substituted into the text, run
nothing (a marker file they would create never appears).
"""

import json
import os
import random
import re
import shutil
import subprocess
import tempfile
import unittest

from . import cfn

CHECK_DOCUMENT = "RunAsGuard-CheckRunAsUser"
# The first agent that sets SSM_<Name> for interpolationType ENV_VAR.
ENV_VAR_AGENT = "3.3.2746.0"
# The one stderr line of a run without SSM_User (an older agent).
TOO_OLD = "runas-guard: check could not run: agent too old to pass the user safely"
# The first line earlier releases shipped (AWS's documented fallback for
# older agents): the name pasted into the text inside single quotes. Kept
# here only to show that the hostile-name tests catch what it let through.
OLD_FALLBACK = "if [ -z \"${SSM_User:-}\" ]; then SSM_User='{{User}}'; fi"
# Names the policy admits (src/domain/policy/user_name.rs check_user: Linux names
# always, directory names with directory_users = true), so the
# association's User may be any of them. infra/tests/test_user_names.py holds
# the policy itself, the pattern and the script to one table.
ADMITTED = ["ssm-ops", "svc_backup$", "ec2-user", "ubuntu", "_apt", "a", "a$", "_", "x" * 32, "x" * 31 + "$",
            "a1-b2_c3", "root", "nobody", "www-data", "user-", "u_-$",
            # directory names
            "alice@corp.example.com", "Alice.Smith@Corp.Example.COM", "CORP\\alice", "corp.example.com\\alice",
            "Alice.Smith", "ssm.ops", "ssm@ops", "1234@corp", "CORP\\1234", "1corp\\svc", "x" * 33, "X" * 33,
            "x" * 127,
            "a" * 127 + "@" + "b" * 127, "A" * 127 + "\\" + "b" * 127]
# Refused by the policy, the pattern and the script alike: shell text,
# control characters, quotes, $ (but a Linux name's last), backticks, ;, /,
# spaces, a leading -, two domains, a part too long. The same names are in
# src/domain/policy/user_name_tests.rs HOSTILE.
REFUSED = ["root;rm -rf /", "$(id)", "`id`", "", "x" * 32 + "$", "ssm ops", "1abc", "1234", "-rf", "--help",
           "a$$", "$", "a$b", "../etc", "a/b", "a\nb", "a\n", "ssm-ops\n", "ssm-ops;", "ssm'ops", 'ssm"ops',
           "ssm:ops", "ops\u00e9", "a b", "\tuser", "user\t", "{{User}}", "${SSM_User}", "*", "a*", "?",
           "Alice$", "alice$@corp", "CORP\\alice$", "-alice@corp", "alice@-corp", "CORP\\-alice", "alice@corp@example",
           "CORP\\alice@corp", "CORP\\\\alice", "\\alice", "alice\\", "@corp", "alice@", ".alice", "alice@.corp",
           "x" * 128, "a" * 128 + "@corp", "alice@" + "b" * 128, "a\x7fb", "a\x00b", "alice,bob", "a|b", "a&b",
           "a>b", "a(b)", "a#b", "a=b", "a%b", "a+b", "a~b", "a!b", "alice@corp.example.com\u202e",
           # case slips (since 0.7.0 the policy's; the document's too since
           # the unreleased change) and a DOMAIN\NAME that could be a uid
           "Alice", "ALICE", "Root", "Ec2-User", "X" * 32, "1\\000", "1corp\\0day"]


def _part(text, first):
    return (1 <= len(text) <= 127 and first(text[0])
            and all((c.isascii() and c.isalnum()) or c in "._-" for c in text))


def policy_admits(user):
    """src/domain/policy/user_name.rs check_user with directory_users = true (the
    document cannot know the switch; the policy applies it, the root rule, the
    case-slip rule (`Ec2-User`, `Alice`: a name without a domain whose lowercase
    is a Linux name, here and in the document alike) and the rules on the name
    the agent asks for (`r\\oot` asked as root, and a DOMAIN\\NAME with a digit
    first on both sides, `1\\000`, refused here and in the document)."""
    if not user:
        return False
    body = user[:-1] if user.endswith("$") else user
    linux = (len(user) <= 32 and bool(body) and body[0].isascii() and (body[0].islower() or body[0] == "_")
             and all((c.isascii() and (c.islower() or c.isdigit())) or c in "_-" for c in body[1:]))
    if linux:
        return True
    starts_part = lambda c: (c.isascii() and c.isalnum()) or c == "_"
    starts_name = lambda c: (c.isascii() and c.isalpha()) or c == "_"
    cut = min((i for i in (user.find("@"), user.find("\\")) if i >= 0), default=-1)
    if cut < 0:
        slip = any("A" <= c <= "Z" for c in user) and "." not in user and len(user) <= 32
        return _part(user, starts_name) and not slip
    head, tail = user[:cut], user[cut + 1:]
    uid = user[cut] == "\\" and head[:1].isdigit() and tail[:1].isdigit()
    return _part(head, starts_part) and _part(tail, starts_part) and not uid


class CheckDocumentTests(cfn.TemplateTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.resource = cls.member["Resources"]["RunAsUserCheckDocument"]
        cls.properties = cls.resource["Properties"]
        cls.content = cls.properties["Content"]
        cls.parameter = cls.content["parameters"]["User"]
        cls.pattern = re.compile(cls.parameter["allowedPattern"])

    def test_a_command_document_of_the_policys_default_name(self):
        self.assertEqual(self.resource["Condition"], "RunAsUserCheckEnabled")
        self.assertEqual(self.properties["Name"], CHECK_DOCUMENT)
        self.assertEqual(self.properties["DocumentType"], "Command")
        self.assertEqual(self.properties["DocumentFormat"], "JSON")
        # A fixed name cannot be replaced by CloudFormation: a change is a new
        # default version (the association runs $DEFAULT).
        self.assertEqual(self.properties["UpdateMethod"], "NewVersion")
        self.assertEqual(set(self.properties), {"Name", "DocumentType", "DocumentFormat", "UpdateMethod", "Content"})
        self.assertEqual(self.content["schemaVersion"], "2.2")
        self.assertEqual(set(self.content), {"schemaVersion", "description", "parameters", "mainSteps"})
        # The name the function keeps associations of (src/domain/trigger.rs CHECK_DOCUMENT).
        with open(os.path.join(cfn.REPO_ROOT, "src", "domain", "trigger.rs"), encoding="utf-8") as handle:
            self.assertIn(f'pub const CHECK_DOCUMENT: &str = "{CHECK_DOCUMENT}";', handle.read())

    def test_one_string_parameter_passed_as_an_environment_variable(self):
        self.assertEqual(list(self.content["parameters"]), ["User"])
        self.assertEqual(set(self.parameter), {"type", "description", "allowedPattern", "interpolationType"})
        self.assertEqual(self.parameter["type"], "String")
        self.assertEqual(self.parameter["interpolationType"], "ENV_VAR")
        self.assertTrue(self.parameter["description"].strip())
        self.assertNotIn("default", self.parameter)  # the association always passes the user

    def test_the_value_never_becomes_script_text(self):
        # Older agents substitute {{ }} into the text (they ignore
        # interpolationType): there is nothing to substitute, anywhere in the
        # steps, so the name reaches the script only through SSM_User, and
        # only double-quoted.
        steps = json.dumps(self.content["mainSteps"])
        self.assertNotIn("{{", steps)
        self.assertNotIn("{{", json.dumps(self.content))
        for step in self.content["mainSteps"]:
            lines = step["inputs"]["runCommand"]
            # Without SSM_User the first line fails closed, naming the agent
            # that passes the user safely.
            self.assertEqual(lines[0], 'if [ -z "${SSM_User:-}" ]; then echo "' + TOO_OLD
                             + f' (SSM_User is not set; SSM Agent {ENV_VAR_AGENT} or later sets it)" >&2; exit 2; fi')
            for line in lines:
                unquoted = re.sub(r'"[^"]*"', '""', line)
                self.assertNotIn("SSM_User", unquoted, line)
        # The pattern, a further layer, admits no character that could leave
        # a quoted string either.
        for bad in ("'", "\n", '"', "`", "$("):
            self.assertNotIn(bad, self.parameter["allowedPattern"].replace("^", "").replace("$", ""))

    def test_pattern_admits_the_policys_user_names_and_nothing_else(self):
        for user in ADMITTED:
            with self.subTest(user=user):
                self.assertTrue(policy_admits(user))
                self.assertIsNotNone(self.pattern.fullmatch(user))
        for user in REFUSED:
            with self.subTest(user=user):
                self.assertFalse(policy_admits(user))
                self.assertIsNone(self.pattern.fullmatch(user))
        # Anchored around one group: SSM (Java), the agent (Go's RE2) and
        # Python agree on ^(?:a|b)$ because the alternation is inside the
        # anchors and there is no lookaround, backreference or class
        # shorthand (\\ appears only as the escaped backslash of [@\\]).
        pattern = self.parameter["allowedPattern"]
        self.assertTrue(pattern.startswith("^(?:"))
        self.assertTrue(pattern.endswith(")$"))
        self.assertNotIn("|", pattern[:4] + pattern[-2:])
        self.assertNotRegex(pattern, r"\(\?[=!<]|\\[dswDSWbB0-9]")
        self.assertEqual(pattern.count("("), 1)
        # And on many more: the pattern and the policy's rule agree.
        rng = random.Random(20)
        alphabet = "abz09_-$ AZ;`'\"()/.@\\\n*"
        for _ in range(20000):
            user = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 34)))
            self.assertEqual(self.pattern.fullmatch(user) is not None, policy_admits(user), repr(user))
        for _ in range(2000):
            head = "".join(rng.choice("aZ0_.-") for _ in range(rng.randint(0, 130)))
            user = head + rng.choice(["", "@", "\\", "$"]) + "".join(rng.choice("aZ0_.-") for _ in range(rng.randint(0, 130)))
            self.assertEqual(self.pattern.fullmatch(user) is not None, policy_admits(user), repr(user))

    def test_two_steps_linux_and_macos_with_the_same_script(self):
        steps = self.content["mainSteps"]
        self.assertEqual([s["precondition"] for s in steps],
                         [{"StringEquals": ["platformType", "Linux"]}, {"StringEquals": ["platformType", "MacOS"]}])
        for step in steps:
            self.assertEqual(set(step), {"action", "name", "precondition", "inputs"})
            self.assertEqual(step["action"], "aws:runShellScript")
            self.assertEqual(set(step["inputs"]), {"runCommand", "timeoutSeconds"})
            self.assertLessEqual(step["inputs"]["timeoutSeconds"], 60)
        self.assertEqual(steps[0]["inputs"]["runCommand"], steps[1]["inputs"]["runCommand"])
        self.assertEqual(len({s["name"] for s in steps}), 2)


@unittest.skipUnless(shutil.which("id") and shutil.which("sh"), "needs sh and id")
class ScriptRunner(cfn.TemplateTestCase):
    """The script itself, run as the agent runs it (one shell script), with
    a PATH that holds nothing but a logging ``id``: any other external
    command would fail as not found and show on stderr."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        content = cls.member["Resources"]["RunAsUserCheckDocument"]["Properties"]["Content"]
        cls.script = "\n".join(content["mainSteps"][0]["inputs"]["runCommand"]) + "\n"
        # dash is what sh is on Debian and Ubuntu (the strictest POSIX shell
        # at hand); bash is what sh is on Amazon Linux and macOS.
        first = shutil.which("dash") or shutil.which("sh")
        cls.shells = [s for s in (first, shutil.which("bash")) if s]
        cls.real_id = shutil.which("id")
        cls.existing = subprocess.run([cls.real_id, "-un"], capture_output=True, text=True, check=True).stdout.strip()

    def run_script(self, shell, user, substituted=None, known=None, script=None, tools=()):
        """``user``: SSM_User as an agent of 3.3.2746.0 or later sets it
        (None: unset, as older agents leave it); ``substituted``: the value
        an agent puts for {{User}} in the text (older agents: the value;
        None leaves the text as written); ``known``: the names the node's
        name service answers (None: the machine's own, through the real id);
        ``script``: another text than the shipped one; ``tools``: real
        commands put on the PATH beside the logging id (``touch``, so that
        an injected command would work)."""
        script = self.script if script is None else script
        if substituted is not None:
            script = script.replace("{{User}}", substituted)
        with tempfile.TemporaryDirectory() as tmp:
            bin_dir = os.path.join(tmp, "bin")
            os.mkdir(bin_dir)
            for tool in tools:
                os.symlink(shutil.which(tool), os.path.join(bin_dir, tool))
            log = os.path.join(tmp, "id.log")
            shim = os.path.join(bin_dir, "id")
            with open(shim, "w", encoding="utf-8") as handle:
                handle.write(f"#!{shutil.which('sh')}\nprintf '%s\\n' \"$#\" \"$@\" >> '{log}'\n")
                if known is None:
                    handle.write(f"exec '{self.real_id}' \"$@\"\n")
                else:
                    names = os.path.join(tmp, "names")
                    with open(names, "w", encoding="utf-8") as listed:
                        listed.write("".join(f"{n}\n" for n in known))
                    handle.write(f"while IFS= read -r n; do [ \"$n\" = \"$2\" ] && exit 0; done < '{names}'\n"
                                 "echo \"id: '$2': no such user\" >&2; exit 1\n")
            os.chmod(shim, 0o755)
            path = os.path.join(tmp, "_script.sh")
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(script)
            env = {"PATH": bin_dir, "HOME": tmp}
            if user is not None:
                env["SSM_User"] = user
            done = subprocess.run([shell, path], capture_output=True, text=True, env=env, cwd=tmp, timeout=30)
            calls = []
            if os.path.exists(log):
                with open(log, encoding="utf-8") as handle:
                    lines = handle.read().split("\n")[:-1]
                while lines:
                    count = int(lines[0])
                    calls.append(lines[1:1 + count])
                    lines = lines[1 + count:]
            created = sorted(set(os.listdir(tmp)) - {"bin", "id.log", "_script.sh", "names"})
            return done, calls, created



@unittest.skipUnless(shutil.which("id") and shutil.which("sh"), "needs sh and id")
class CheckScriptTests(ScriptRunner):

    def test_an_existing_user_passes_silently(self):
        for shell in self.shells:
            with self.subTest(shell=shell):
                done, calls, created = self.run_script(shell, self.existing)
                self.assertEqual((done.returncode, done.stdout, done.stderr), (0, "", ""))
                self.assertEqual(calls, [["--", self.existing]])
                self.assertEqual(created, [])

    def test_a_missing_user_fails_with_one_line_naming_it(self):
        for shell in self.shells:
            for user in ("runas-guard-no-such-user", "svc_none$", "x" * 32):
                with self.subTest(shell=shell, user=user):
                    done, calls, created = self.run_script(shell, user)
                    self.assertEqual(done.returncode, 1)
                    self.assertEqual(done.stdout, "")
                    self.assertEqual(len(done.stderr.splitlines()), 1, done.stderr)
                    self.assertIn(f"Run As user {user} does not exist on this node", done.stderr)
                    self.assertEqual(calls, [["--", user]])
                    self.assertEqual(created, [])

    def assert_too_old(self, done, calls, created):
        """The fail-closed answer of a run without SSM_User: exit 2, one
        stderr line naming the agent that passes the user safely, nothing
        run."""
        self.assertEqual(done.returncode, 2, done.stderr)
        self.assertEqual(done.stdout, "")
        self.assertEqual(len(done.stderr.splitlines()), 1, done.stderr)
        self.assertTrue(done.stderr.startswith(TOO_OLD), done.stderr)
        self.assertIn(f"{ENV_VAR_AGENT} or later", done.stderr)
        self.assertNotIn("does not exist", done.stderr)
        self.assertEqual(calls, [])
        self.assertEqual(created, [])

    def test_an_older_agent_fails_closed_whatever_it_substitutes(self):
        # Agents before 3.3.2746.0 set no SSM_User and put the value into
        # the text for {{User}}: there is none, so nothing of the name reaches
        # the script, and the check says it could not run, never a verdict.
        for shell in self.shells:
            for user in (self.existing, "runas-guard-no-such-user", "svc_none$", "CORP\\alice"):
                with self.subTest(shell=shell, user=user):
                    self.assert_too_old(*self.run_script(shell, None, substituted=user))

    def test_a_newer_agent_sets_ssm_user_and_the_text_holds_nothing_to_substitute(self):
        # Whether or not a newer agent also substitutes {{ }} in the text,
        # the name comes from SSM_User alone.
        for shell in self.shells:
            for substituted in (None, "nobody-else", "' ; exit 0 ; '"):
                with self.subTest(shell=shell, substituted=substituted):
                    done, calls, _ = self.run_script(shell, self.existing, substituted=substituted)
                    self.assertEqual(done.returncode, 0, done.stderr)
                    self.assertEqual(calls, [["--", self.existing]])
                    done, calls, _ = self.run_script(shell, "runas-guard-no-such-user", substituted=substituted)
                    self.assertEqual(done.returncode, 1, done.stderr)
                    self.assertEqual(calls, [["--", "runas-guard-no-such-user"]])

    def test_no_user_at_all_fails_closed(self):
        # SSM_User unset or empty, the text left as written.
        for shell in self.shells:
            for user in (None, ""):
                with self.subTest(shell=shell, user=user):
                    self.assert_too_old(*self.run_script(shell, user))

    def test_hostile_values_are_refused_not_run(self):
        # The pattern refuses these before SSM runs anything; the script
        # alone refuses them too: nothing runs, not even id, and the answer
        # is "could not run", never a missing user.
        for shell in self.shells:
            for user in ("$(touch pwned)", "`touch pwned`", "root; touch pwned", "-a", "--help", "a b",
                         "$(id)", "' ; touch pwned ; '", '" ; touch pwned ; "', "{{User}}", "a\nb",
                         "alice@$(touch pwned)", "CORP\\$(touch pwned)", "CORP\\`touch pwned`", "alice@corp;touch pwned",
                         "CORP\\\\alice", "alice\\", "-alice@corp", "alice@corp/..", "Alice$", "a" * 128):
                for how in ("env", "text"):
                    with self.subTest(shell=shell, user=user, how=how):
                        if how == "env":
                            done, calls, created = self.run_script(shell, user, tools=("touch",))
                            self.assertEqual(done.returncode, 2, done.stderr)
                            self.assertEqual(len(done.stderr.splitlines()), 1, done.stderr)
                            self.assertIn("check could not run", done.stderr)
                            self.assertEqual(calls, [])
                            self.assertEqual(created, [])
                        else:
                            self.assert_too_old(*self.run_script(shell, None, substituted=user, tools=("touch",)))


def hostile_names(marker):
    """Names that run a command creating ``marker`` (an absolute path) if a
    shell ever reads them as code: out of single quotes (what a name pasted
    inside the old fallback's quotes could do), out of double quotes, by
    command substitution, backticks, a newline, ``;``; with ``touch`` and
    with the shell's own redirection (no command needed)."""
    m = marker
    return [
        f"x'; touch {m}; '", f"x'$(touch {m})'", f"x'`touch {m}`'", f"x'\ntouch {m}\n'",
        f"x'; : > {m}; '", f"'$(touch {m})'", f"x' || touch {m} || '",
        f'x"; touch {m}; "', f"$(touch {m})", f"`touch {m}`", f"x;touch {m}", f"x\ntouch {m}",
        f"x && touch {m}", f"x | touch {m}", f"$(: > {m})", f"${{x:-$(touch {m})}}",
        f"CORP\\$(touch {m})", f"alice@`touch {m}`", f"x'\\''; touch {m}; '",
    ]


@unittest.skipUnless(shutil.which("id") and shutil.which("sh") and shutil.which("touch"), "needs sh, id and touch")
class HostileNameTests(ScriptRunner):
    """The name never becomes code, in dash (or sh) and bash, whichever way
    an agent delivers it: in SSM_User (3.3.2746.0 and later) or substituted
    for {{User}} in the text (older agents; the text holds none, so the run
    fails closed). ``touch`` is on the PATH, so an injected command would
    work; the marker it would create must never exist."""

    def run_hostile(self, shell, how, script=None):
        """Each hostile name delivered ``how`` ("env" or "text"); yields
        (name, done, calls, created, marker existed)."""
        with tempfile.TemporaryDirectory() as where:
            marker = os.path.join(where, "pwned")
            for user in hostile_names(marker):
                if how == "env":
                    done, calls, created = self.run_script(shell, user, script=script, tools=("touch",))
                else:
                    done, calls, created = self.run_script(shell, None, substituted=user, script=script,
                                                           tools=("touch",))
                existed = os.path.exists(marker)
                if existed:
                    os.remove(marker)
                yield user, done, calls, created, existed

    def test_the_text_holds_nothing_an_older_agent_could_substitute(self):
        for user in hostile_names("/tmp/m"):
            self.assertEqual(self.script.replace("{{User}}", user), self.script)

    def test_a_hostile_name_in_the_environment_runs_nothing(self):
        for shell in self.shells:
            for user, done, calls, created, existed in self.run_hostile(shell, "env"):
                with self.subTest(shell=shell, user=user):
                    self.assertFalse(existed, f"{user!r} ran a command: {done.stderr}")
                    self.assertEqual(done.returncode, 2, done.stderr)
                    self.assertEqual(len(done.stderr.splitlines()), 1, done.stderr)
                    self.assertTrue(done.stderr.startswith("runas-guard: check could not run:"), done.stderr)
                    self.assertNotIn("not found", done.stderr)
                    self.assertEqual(calls, [])
                    self.assertEqual(created, [])

    def test_a_hostile_name_substituted_into_the_text_runs_nothing_and_fails_closed(self):
        for shell in self.shells:
            for user, done, calls, created, existed in self.run_hostile(shell, "text"):
                with self.subTest(shell=shell, user=user):
                    self.assertFalse(existed, f"{user!r} ran a command: {done.stderr}")
                    self.assertEqual(done.returncode, 2, done.stderr)
                    self.assertEqual(len(done.stderr.splitlines()), 1, done.stderr)
                    self.assertTrue(done.stderr.startswith(TOO_OLD), done.stderr)
                    self.assertEqual(calls, [])
                    self.assertEqual(created, [])

    def test_these_tests_catch_the_old_fallback(self):
        """Not blind: the first line earlier releases shipped (the name pasted
        inside single quotes, for older agents) in front of today's checks
        runs a hostile name's command before the script's own check, in
        every shell; the tests above would fail on it."""
        old = "\n".join([OLD_FALLBACK] + self.script.split("\n")[1:])
        for shell in self.shells:
            with self.subTest(shell=shell):
                ran = [user for user, _, _, _, existed in self.run_hostile(shell, "text", script=old) if existed]
                self.assertIn(True, [u.startswith("x'; touch ") for u in ran], ran)
                self.assertGreaterEqual(len(ran), 5, ran)
                # Through the environment the old text ran nothing either.
                self.assertEqual([u for u, *_, existed in self.run_hostile(shell, "env", script=old) if existed], [])


@unittest.skipUnless(shutil.which("sh"), "needs sh")
class DirectoryUserScriptTests(ScriptRunner):
    """Directory users (directory_users = true): the name reaches ``id`` as
    one argument, never evaluated; ``DOMAIN\\NAME`` is asked as the SSM agent
    asks it (its ``sh -c "id <user>"`` is unquoted, so the shell drops the
    backslash), and a missing user's line names the policy's user."""

    def test_a_directory_user_the_name_service_knows_passes(self):
        for shell in self.shells:
            for user, asked in (("alice@corp.example.com", "alice@corp.example.com"),
                                ("Alice.Smith", "Alice.Smith"),
                                ("CORP\\alice", "CORPalice")):
                with self.subTest(shell=shell, user=user):
                    done, calls, created = self.run_script(shell, user, known=[asked])
                    self.assertEqual((done.returncode, done.stderr), (0, ""))
                    self.assertEqual(calls, [["--", asked]])
                    self.assertEqual(created, [])
                with self.subTest(shell=shell, user=user, how="an older agent"):
                    done, calls, created = self.run_script(shell, None, substituted=user, known=[asked])
                    self.assertEqual(done.returncode, 2, done.stderr)
                    self.assertTrue(done.stderr.startswith(TOO_OLD), done.stderr)
                    self.assertEqual((calls, created), ([], []))

    def test_a_missing_directory_user_names_the_policys_user(self):
        for shell in self.shells:
            with self.subTest(shell=shell, user="upn"):
                done, calls, _ = self.run_script(shell, "alice@corp.example.com", known=["Alice@corp.example.com"])
                self.assertEqual(done.returncode, 1)
                self.assertEqual(done.stderr, "runas-guard: Run As user alice@corp.example.com does not exist on this "
                                 "node (id failed); Session Manager refuses Run As sessions for it here\n")
                self.assertEqual(calls, [["--", "alice@corp.example.com"]])
            with self.subTest(shell=shell, user="netbios"):
                # The node knows CORP\\alice (as SSSD would), not CORPalice:
                # the agent would refuse the session, and the check says so.
                done, calls, _ = self.run_script(shell, "CORP\\alice", known=["CORP\\alice"])
                self.assertEqual(done.returncode, 1)
                self.assertEqual(len(done.stderr.splitlines()), 1, done.stderr)
                self.assertIn("Run As user CORP\\alice does not exist on this node (id failed for CORPalice", done.stderr)
                self.assertEqual(calls, [["--", "CORPalice"]])

    def test_the_script_refuses_exactly_what_the_policy_refuses(self):
        # The third gate agrees with the other two on names near the rule's
        # edges (the pattern's agreement is tested above on many more).
        rng = random.Random(45)
        names = list(ADMITTED) + list(REFUSED)
        for _ in range(150):
            names.append("".join(rng.choice("aZ0_.-@\\$ ;") for _ in range(rng.randint(0, 8))))
        shell = self.shells[0]
        for user in names:
            if "\x00" in user:
                continue  # no environment variable holds a NUL
            with self.subTest(user=user):
                done, calls, created = self.run_script(shell, user, known=[])
                self.assertEqual(done.returncode != 2, policy_admits(user), done.stderr)
                self.assertEqual(created, [])
                self.assertEqual(len(calls), 1 if policy_admits(user) else 0)


if __name__ == "__main__":
    unittest.main()

"""The SSM agent on one emulated managed node, as far as State Manager's
runs of a Command document need it (tests/moto_ssm_associations.py imports
it). EMULATED, for the tests only; modelled on the agent's source
(aws/amazon-ssm-agent) and AWS's documentation:

- Parameters. Every agent substitutes ``{{ Name }}`` in the document's text
  with the parameter's value (agent/framework/docparser/parameters
  ``ReplaceParameters``; a ``$$`` in a value becomes ``$``). Agents
  3.3.2746.0 and later also set the environment variable ``SSM_<Name>`` for
  a parameter whose ``interpolationType`` is ``ENV_VAR`` ("When set to
  ENV_VAR, the system creates an environment variable SSM_parameter-name",
  AWS: Data elements and parameters). Older agents ignore
  ``interpolationType`` (it is not a field of their ``Parameter`` struct,
  agent/contracts/model.go at 3.3.987.0, and Go's JSON decoding drops
  unknown keys): no ``SSM_<Name>``, so a script that reads only the
  variable runs without the value. AWS's parameter troubleshooting names
  3.3.2746.0 and a fallback ``{{ }}`` form for older agents. Whether a
  newer agent also substitutes ``{{ }}`` for an ``ENV_VAR`` parameter is
  not modelled apart: here it does. The shipped check script holds no
  ``{{ }}`` at all (it never takes the name from its text), so on an older
  agent it gets no name and fails closed: exit 2, ``runas-guard: check
  could not run: agent too old to pass the user safely ...``
  (tests/moto_ssm_associations_selftest.py shows it).
- ``aws:runShellScript``: the step's ``runCommand`` lines, joined by
  newlines, run as one script with ``sh``; exit 0 is ``Success``, anything
  else ``Failed``. The emulation runs the real script, with a ``PATH``
  holding only a stand-in ``id`` that answers for the node's users (exit 0
  when its last argument is one of them, else exit 1 with ``id: 'USER': no
  such user``), in an empty scratch directory. Results are cached per
  (script, environment, the node's users), so a fleet of thousands runs the
  shell a handful of times.
- The node's report of an association run (``UpdateInstanceAssociationStatus``,
  read back with ``DescribeInstanceAssociationsStatus``): ``Status``
  ``Success`` / ``Failed`` / ``TimedOut`` and an ``ExecutionSummary`` built
  as agent/association/processor ``buildOutput`` builds it, ``"{done} out
  of {n} plugin(s) processed, {s} success, {f} failed, {t} timedout, {k}
  skipped. "`` and, per failed step, ``"\\nThe operation {step} failed
  because {stderr}."``, cut to 510 characters ending in
  ``--output truncated--`` (pluginutil ``ReadPrefix``). A step whose
  precondition does not match the node is skipped; ``ErrorCode`` is
  ``ExecutionError`` for a failed run, else empty.
- Nodes a test marks ``"outcome": "timeout"`` run past the step's timeout:
  ``TimedOut`` (the summary counts one timed-out step); ``"outcome":
  "undeliverable"`` never get the run: ``Undeliverable``, with no summary
  (Run Command's documented status for a node that "might not exist or
  might not be responding"; no step ran, so nothing is reported by the
  agent).
"""

import functools
import os
import re
import shutil
import subprocess
import tempfile

# The first agent that sets SSM_<Name> for interpolationType ENV_VAR.
ENV_VAR_AGENT = (3, 3, 2746, 0)
SUMMARY_LIMIT = 510
TRUNCATED = "--output truncated--"
OUTCOMES = (None, "timeout", "undeliverable")
SHELL = shutil.which("sh") or "/bin/sh"


def version_tuple(version):
    return tuple(int(p) for p in version.split("."))


def substitute(text, values):
    """``{{ Name }}`` replaced by each value (one pass, as the agent does)."""
    def value(m):
        name = m.group(1)
        return values[name].replace("$$", "$") if name in values else m.group(0)
    return re.sub(r"{{\s*([A-Za-z0-9_]+)\s*}}", value, text)


def environment(declared, values, agent_version):
    """The SSM_<Name> variables this agent sets."""
    if version_tuple(agent_version) < ENV_VAR_AGENT:
        return ()
    return tuple(sorted((f"SSM_{name}", values[name]) for name, spec in declared.items()
                        if name in values and (spec or {}).get("interpolationType") == "ENV_VAR"))


def _stand_in_id(users):
    """An ``id`` that knows only ``users``: its last argument is the user
    asked about (``id -- USER``). Directory names (``alice@corp.example.com``,
    ``CORP\\alice``) are known as written: a backslash is literal inside the
    single quotes."""
    known = " ".join(f"'{u}'" for u in users if re.fullmatch(r"[A-Za-z0-9_.$@\\-]+", u))
    return (f"#!{SHELL}\nfor a; do asked=$a; done\n"
            f"for u in {known}; do [ \"$u\" = \"${{asked-}}\" ] && exit 0; done\n"
            "printf \"id: '%s': no such user\\n\" \"${asked-}\" >&2\nexit 1\n")


@functools.lru_cache(maxsize=512)
def _run_script(script, env, users):
    """(exit code, stderr) of ``script`` run by sh with the stand-in id."""
    with tempfile.TemporaryDirectory() as tmp:
        bin_dir = os.path.join(tmp, "bin")
        os.mkdir(bin_dir)
        shim = os.path.join(bin_dir, "id")
        with open(shim, "w", encoding="utf-8") as handle:
            handle.write(_stand_in_id(users))
        os.chmod(shim, 0o755)
        work = os.path.join(tmp, "work")
        os.mkdir(work)
        path = os.path.join(tmp, "_script.sh")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(script)
        done = subprocess.run([SHELL, path], capture_output=True, text=True, cwd=work, timeout=30,
                              env={"PATH": bin_dir, "HOME": "/", **dict(env)})
        return done.returncode, done.stderr


def run_step(step, declared, values, agent_version, users):
    """(status, stderr) of one applicable aws:runShellScript step."""
    lines = (step.get("inputs") or {}).get("runCommand") or []
    script = substitute("\n".join(lines) + "\n", values)
    env = environment(declared, values, agent_version)
    code, stderr = _run_script(script, env, tuple(sorted(users)))
    return ("Success", "") if code == 0 else ("Failed", stderr)


def report(steps, results, outcome):
    """The node's ``(Status, ExecutionSummary, ErrorCode)``; ``results``:
    per step, None (skipped) or (status, stderr)."""
    if outcome == "undeliverable":
        return "Undeliverable", None, ""
    n = len(steps)
    skipped = sum(r is None for r in results)
    ran = [(s, r) for s, r in zip(steps, results) if r is not None]
    if outcome == "timeout":
        timed_out, failed, success, lines = len(ran), [], 0, ""
    else:
        timed_out = 0
        failed = [(s, r) for s, r in ran if r[0] == "Failed"]
        success = len(ran) - len(failed)
        lines = "".join(f"\nThe operation {s.get('name')} failed because {r[1]}." for s, r in failed)
    summary = (f"{n} out of {n} plugin{'s' if n > 1 else ''} processed, {success} success, "
               f"{len(failed)} failed, {timed_out} timedout, {skipped} skipped. {lines}")
    if len(summary) > SUMMARY_LIMIT:
        summary = summary[:SUMMARY_LIMIT - len(TRUNCATED)] + TRUNCATED
    if outcome == "timeout":
        return "TimedOut", summary, ""
    if failed:
        return "Failed", summary, "ExecutionError"
    return "Success", summary, ""

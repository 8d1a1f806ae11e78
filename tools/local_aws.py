"""What `make demo` and `make deploy-local` share: where cargo put the
binary, and the local AWS each starts (a moto server on loopback, through a
launcher that adds what moto lacks: tools/demo_aws.py, tests/moto_cfn.py; both
answer Organizations with `Account.Paths` as AWS does today, unless
`RUNAS_GUARD_ORG_PATHS=off` is set).

The binary is found through cargo (`cargo metadata`'s target directory, so
`CARGO_TARGET_DIR` and `build.target-dir` are honoured), never assumed at
`target/debug`. A local AWS left running by `KEEP=1` is recorded at a fixed
place in the checkout, `.runas-guard-local/<name>.json` (pid, URL, command;
`RUNAS_GUARD_LOCAL_RECORDS` names another directory, for the tools' tests),
never under the target directory: the next `KEEP=1` run of the same tool
stops it before starting its own, and `make demo-stop` stops every one
recorded, whatever `CARGO_TARGET_DIR` either was run with.

  python3 tools/local_aws.py stop [NAME...]   stops what KEEP=1 left running
                                              (every recorded one by default)
  python3 tools/local_aws.py target-dir       prints cargo's target directory
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NAMES = ("demo", "deploy-local")
_TARGET_DIR = None


def target_dir():
    """cargo's target directory for this package, as `cargo metadata` says."""
    global _TARGET_DIR
    if _TARGET_DIR is None:
        run = subprocess.run(["cargo", "metadata", "--format-version", "1", "--no-deps"],
                             cwd=REPO, capture_output=True, text=True)
        if run.returncode != 0:
            sys.exit(f"cargo metadata failed: {run.stderr.strip()}")
        _TARGET_DIR = Path(json.loads(run.stdout)["target_directory"])
    return _TARGET_DIR


def binary(tool):
    """The debug `runas-guard` that `cargo build` made; exits naming it when missing."""
    path = target_dir() / "debug" / "runas-guard"
    if not path.exists():
        sys.exit(f"{path} is missing: run `cargo build` first (make {tool} does)")
    return path


def records_dir():
    """Where kept local AWS are recorded: the checkout's, not cargo's target
    directory (which `CARGO_TARGET_DIR` moves between a `KEEP=1` run and
    `make demo-stop`)."""
    return Path(os.environ.get("RUNAS_GUARD_LOCAL_RECORDS") or REPO / ".runas-guard-local")


def _record_path(name):
    return records_dir() / f"{name}.json"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(command, keep):
    """`command` (a server taking moto_server's arguments) on a free loopback
    port; returns the process and its URL. With `keep`, the server has a
    session of its own, so it outlives make and the calling script."""
    port = free_port()
    proc = subprocess.Popen([*command, "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=keep)
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            sys.exit(f"the local AWS ({' '.join(command)}) exited {proc.returncode} at start")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return proc, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.2)
    proc.kill()
    sys.exit("the local AWS did not start within 60 s")


def keep(name, proc, url, command):
    """Records a local AWS left running, for the next run and `make demo-stop`."""
    path = _record_path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"pid": proc.pid, "url": url, "command": command}) + "\n")


def _command_line(pid):
    run = subprocess.run(["ps", "-o", "command=", "-p", str(pid)], capture_output=True, text=True)
    return run.stdout.strip() if run.returncode == 0 else ""


def running(name):
    """The record of `name`'s kept local AWS while that process still runs
    (the same pid running the same server script), else None."""
    path = _record_path(name)
    try:
        rec = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    script, port = Path(rec["command"][-1]).name, rec["url"].rsplit(":", 1)[-1]
    line = _command_line(rec["pid"])
    if script in line and f"-p {port}" in line and not line.startswith("["):
        return rec
    path.unlink(missing_ok=True)  # it ended (or its pid is another process now)
    return None


def stop(name, why=""):
    """Stops `name`'s kept local AWS, if one runs; True when it stopped one."""
    rec = running(name)
    if rec is None:
        return False
    pid = rec["pid"]
    print(f"stopping the local AWS `make {name} KEEP=1` left running (pid {pid}, {rec['url']}){why}", flush=True)
    for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            break
        deadline = time.time() + wait
        while time.time() < deadline and running(name):
            time.sleep(0.1)
        if not running(name):
            break
    _record_path(name).unlink(missing_ok=True)
    return True


def main(args):
    if args[:1] == ["target-dir"]:
        print(target_dir())
        return
    if args[:1] != ["stop"] or any(n not in NAMES for n in args[1:]):
        sys.exit(__doc__)
    stopped = [n for n in (args[1:] or NAMES) if stop(n)]
    if not stopped:
        print("no local AWS left running by `make demo KEEP=1` or `make deploy-local KEEP=1`")


if __name__ == "__main__":
    main(sys.argv[1:])

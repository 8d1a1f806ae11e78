"""Fork server for the tests' local AWS (tests/common/mod.rs starts one per
test binary): moto, boto3, botocore, Flask and werkzeug are imported once
here, and each server is forked from this process instead of importing
them again (about 2 s of CPU a server).

    python tests/moto_zygote.py SOCKET

It listens on the Unix socket SOCKET, prints ``ready`` on stdout, and serves
one JSON request a connection:

- ``{"script": path, "args": [...], "env": {...}}``: forks a child that sets
  ``env``, ``sys.argv`` and ``sys.path[0]`` and runs the script as
  ``__main__``, as ``python path args...`` would. The connection becomes the
  child's stderr (its stdin and stdout are /dev/null); its first line is the
  child's pid. A request with a variable other than ``RUNAS_GUARD_*`` is
  refused (one line that is not a pid), as a preloaded module may have read
  it already.
- ``{"kill": pid}``: kills that child and reaps it, then answers ``ok``.
  Children are only ever reaped here, so a pid named is never another
  process's.

When stdin closes (the tests ended, however) it kills its children and
exits; a child dies with it (``PR_SET_PDEATHSIG``).

Only third-party modules are preloaded, and botocore's endpoint and API
model files read into moto's caches: the tests' own modules read
``RUNAS_GUARD_*`` variables and draw per-process keys at import, so each
child imports them itself. moto builds its backends on first use, in the
child; preloading starts no thread (checked) and opens no socket. What the
child shares with this process: Python's string hash seed (one per test run
instead of one per server); ``random`` reseeds itself after a fork and
moto's own generator is reseeded here.
"""

import ctypes
import gc
import importlib
import json
import os
import runpy
import select
import signal
import socket
import sys
import threading
import traceback

# The services the tests call: moto's module, the API's name.
SERVICES = {"account": "account", "awslambda": "lambda", "cloudformation": "cloudformation",
            "cloudwatch": "cloudwatch", "dynamodb": "dynamodb", "events": "events", "iam": "iam",
            "organizations": "organizations", "s3": "s3", "securityhub": "securityhub", "sns": "sns",
            "sqs": "sqs", "ssm": "ssm", "ssoadmin": "sso-admin", "sts": "sts"}
PRELOAD = ("boto3", "botocore.session", "flask", "werkzeug.serving", "regex", "xmltodict",
           "moto.server", "moto.iam.access_control", *(f"moto.{m}.urls" for m in SERVICES))
PR_SET_PDEATHSIG = 1


def main():
    path = sys.argv[1]
    for name in PRELOAD:
        importlib.import_module(name)
    read_models()
    if threading.active_count() != 1:
        sys.exit("moto_zygote: a preloaded module started a thread, which a fork would not copy")
    # Left out of collections, the preloaded objects' pages stay shared
    # with the children instead of being copied when a collection visits them.
    gc.freeze()
    if os.path.exists(path):
        os.unlink(path)
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(path)
    listener.listen(64)
    print("ready", flush=True)
    children = set()
    while True:
        readable, _, _ = select.select([listener, sys.stdin], [], [], 1.0)
        reap(children)
        if sys.stdin in readable and not os.read(0, 1024):
            break
        if listener in readable:
            conn, _ = listener.accept()
            with conn:
                serve(conn, listener, children)
    for pid in list(children):
        kill(pid, children)
    os.unlink(path)


def read_models():
    """What each server's first requests read from botocore's data files
    into moto's caches: the endpoints (in the one boto3 session moto keeps)
    and each service's API model."""
    from moto.core.base_backend import AccountSpecificBackend
    from moto.core.utils import get_service_model

    session = AccountSpecificBackend.get_session()
    session.get_available_partitions()
    for api in SERVICES.values():
        session.get_available_regions(api)
        get_service_model(api)


def serve(conn, listener, children):
    # Whatever a request does wrong is answered, never the end of the zygote
    # (its children die with it).
    try:
        conn.settimeout(10)
        request = json.loads(conn.makefile("rb").readline())
        if "kill" in request:
            kill(request["kill"], children)
            conn.sendall(b"ok\n")
            return
        foreign = [k for k in request["env"] if not k.startswith("RUNAS_GUARD_")]
        if foreign:
            raise ValueError(f"{foreign} refused: a preloaded module may have read them already")
        zygote = os.getpid()
        pid = os.fork()
        if pid == 0:
            child(conn, listener, zygote, request)
        children.add(pid)
    except Exception as e:
        try:
            conn.sendall(f"moto_zygote: {e!r}\n".encode())
        except OSError:
            pass


def child(conn, listener, zygote, request):
    """Runs the request's script as ``__main__``; never returns."""
    code = 1
    try:
        listener.close()
        conn.settimeout(None)  # blocking: it is about to be stderr
        null = os.open(os.devnull, os.O_RDWR)
        os.dup2(null, 0)
        os.dup2(null, 1)
        os.dup2(conn.fileno(), 2)
        os.close(null)
        conn.close()
        if sys.platform == "linux":
            ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != zygote:  # it died before prctl
            os._exit(1)
        os.write(2, f"{os.getpid()}\n".encode())
        from moto.moto_api._internal import mock_random

        mock_random.seed()
        os.environ.update(request["env"])
        script = request["script"]
        sys.argv = [script, *request["args"]]
        sys.path[0] = os.path.dirname(os.path.abspath(script))
        runpy.run_path(script, run_name="__main__")
        code = 0
    except SystemExit as e:
        if e.code is None or isinstance(e.code, int):
            code = e.code or 0
        else:
            print(e.code, file=sys.stderr)
    except BaseException:
        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
        os._exit(code)


def kill(pid, children):
    if pid in children:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        children.discard(pid)


def reap(children):
    while children:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        children.discard(pid)


if __name__ == "__main__":
    main()

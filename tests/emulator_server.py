"""Starts a moto server (or one of the tests' emulators) for the Python
self-tests, as tests/common/mod.rs does for the Rust ones.

The server is taken as started when werkzeug says it runs on its port, not
when the port answers: between choosing a free port and binding it another
process may take it, and a check on the port would then talk to that one.
"""

import socket
import subprocess
import threading


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(command, env=None, attempts=5, timeout=30):
    """(process, url) of `command -H 127.0.0.1 -p PORT` once it runs."""
    for _ in range(attempts):
        port = free_port()
        proc = subprocess.Popen(
            [*command, "-H", "127.0.0.1", "-p", str(port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, text=True,
        )
        running = threading.Event()
        threading.Thread(target=_watch, args=(proc, port, running), daemon=True).start()
        if running.wait(timeout):
            return proc, f"http://127.0.0.1:{port}"
        proc.kill()
        proc.wait()
    raise RuntimeError(f"{command[-1]} did not start on a free port in {attempts} attempts")


def stop(proc):
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _watch(proc, port, running):
    # Reads stderr to its end so the request log never fills the pipe.
    needle = f"Running on http://127.0.0.1:{port}"
    for line in proc.stderr:
        if needle in line:
            running.set()

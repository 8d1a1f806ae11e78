"""Lambda ``Invoke``, EMULATED for the tests' local AWS (imported by
moto_cfn.py; inert unless ``RUNAS_GUARD_LOCAL_FUNCTION_BINARY`` is set for
the server). Never used by product code.

moto 5.2.5 runs a function only inside Docker, which the test machines do
not have. Here the Lambda API's ``Invoke`` operation (``POST
/2015-03-31/functions/{FunctionName}/invocations``, RequestResponse) of any
function runs the binary ``RUNAS_GUARD_LOCAL_FUNCTION_BINARY`` names (the
runas-guard built by the tests) as that function, the way Lambda runs a
``provided.al2023`` function:

- as a custom runtime: the binary is started with ``AWS_LAMBDA_RUNTIME_API``
  pointing at a Runtime API served here for this one invocation (``GET
  /2018-06-01/runtime/invocation/next`` hands it the payload with the
  ``Lambda-Runtime-Aws-Request-Id``, ``Lambda-Runtime-Deadline-Ms`` and
  ``Lambda-Runtime-Invoked-Function-Arn`` headers, the ARN as invoked, with
  the alias or version the caller named; it posts its ``response``
  or its ``error``; Lambda Developer Guide, "Using the Lambda runtime API for
  custom runtimes"), so the function's own code decides success or failure;
- with the function's environment variables, ``AWS_REGION``, the
  ``AWS_LAMBDA_FUNCTION_*`` variables, this server as its endpoint, and the
  credentials of the function's execution role as the Lambda service gets
  them (an ``AssumeRole`` of ``Role`` made for the service): the function
  runs with its own roles, never with the caller's;
- answered as Lambda answers: 200 and the handler's response; a handler
  error with ``X-Amz-Function-Error: Unhandled`` and its
  ``{"errorType", "errorMessage"}``; no answer within the function's
  ``Timeout`` as ``Unhandled`` "Task timed out after N seconds"; a runtime
  process that exits without answering (a failed init) at once, as
  ``Runtime.ExitError``, as Lambda does.

- within the function's reserved concurrency (``ReservedConcurrentExecutions``,
  ``PutFunctionConcurrency``): an invocation while that many of the same
  function run is refused at once, as Lambda refuses it (API reference,
  Invoke, ``TooManyRequestsException``: HTTP 429, ``Reason``
  ``ReservedFunctionConcurrentInvocationLimitExceeded``, "Rate Exceeded.");
  each refusal is listed by ``GET /_emulated/lambda/throttles``.

Only ``RequestResponse`` is emulated (``Event`` and ``DryRun`` keep moto's
behaviour). Whether the caller may invoke is decided before this runs, by
moto's IAM enforcement (``lambda:InvokeFunction`` on the function's ARN,
completed in moto_iam.py).

``GET /_emulated/lambda/invocations`` lists every invocation emulated so far
(function, caller's access key, payload, request id, the function error if
any, the answer, and the runtime's log), for tests to assert on.
"""

import json
import os
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from moto.awslambda.models import LambdaBackend, LambdaFunction
from moto.core.exceptions import JsonRESTError
from moto.awslambda.responses import LambdaResponse
from moto.moto_server.werkzeug_app import DomainDispatcherApplication
from moto.sts.models import sts_backends

BINARY = "RUNAS_GUARD_LOCAL_FUNCTION_BINARY"
INVOCATIONS = []
THROTTLES = []
RUNNING = {}
LOCK = threading.Lock()


class _Throttled(JsonRESTError):
    """Lambda's refusal of an invocation over the function's reserved concurrency."""
    code = 429

    def __init__(self):
        super().__init__("TooManyRequestsException", "Rate Exceeded.")
        body = json.loads(self.description)
        body.update({"Reason": "ReservedFunctionConcurrentInvocationLimitExceeded", "Type": "User"})
        self.description = json.dumps(body)
_original_invoke = LambdaFunction.invoke
_original_backend_invoke = LambdaBackend.invoke
_original_response_invoke = LambdaResponse.invoke
# The ARN the caller invoked (with its qualifier), per request thread: Lambda
# hands it to the runtime as ``Lambda-Runtime-Invoked-Function-Arn``; moto
# resolves an alias to its function and forgets it.
_INVOKED = threading.local()


def _own_url():
    """This server's URL, from its ``-p PORT`` argument."""
    args = sys.argv
    port = args[args.index("-p") + 1] if "-p" in args else "5000"
    return f"http://127.0.0.1:{port}"


class _Invocation:
    """One invocation's Runtime API state: the event handed out once, then
    the function's answer."""

    def __init__(self, payload, request_id, function_arn, deadline_ms):
        self.payload, self.request_id = payload, request_id
        self.function_arn, self.deadline_ms = function_arn, deadline_ms
        self.handed = False
        self.answer = None  # ("response" | "error" | "init_error", bytes)
        self.done = threading.Event()


def _runtime_api(invocation):
    class RuntimeApi(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def _reply(self, status, body=b"", headers=()):
            self.send_response(status)
            for k, v in headers:
                self.send_header(k, v)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            if not self.path.endswith("/runtime/invocation/next"):
                return self._reply(404, b"{}")
            if invocation.handed:
                # One invocation per process: the next one never comes.
                invocation.done.wait()
                time.sleep(3600)
            invocation.handed = True
            self._reply(200, invocation.payload, [
                ("Lambda-Runtime-Aws-Request-Id", invocation.request_id),
                ("Lambda-Runtime-Deadline-Ms", str(invocation.deadline_ms)),
                ("Lambda-Runtime-Invoked-Function-Arn", invocation.function_arn),
                ("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000"),
            ])

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            for suffix, kind in (("/response", "response"), ("/error", "error")):
                if self.path.endswith(suffix):
                    kind = "init_error" if "/runtime/init/" in self.path else kind
                    invocation.answer = (kind, body)
                    self._reply(202, b'{"status":"OK"}')
                    invocation.done.set()
                    return
            self._reply(404, b"{}")

    return RuntimeApi


def _role_credentials(fn):
    """The execution role's credentials, as the Lambda service gets them."""
    backend = sts_backends[fn.account_id]["aws"]
    role = backend.assume_role(
        region_name=fn.region, role_session_name=fn.function_name, role_arn=fn.role,
        policy=None, duration=900, external_id=None,
    )
    return role.access_key_id, role.secret_access_key, role.session_token


def _run(fn, payload):
    """(function error or None, answer bytes, the runtime's log)."""
    request_id = str(uuid.uuid4())
    timeout = int(fn.timeout or 3)
    qualifier = getattr(_INVOKED, "qualifier", None)
    invoked = f"{fn.function_arn}:{qualifier}" if qualifier else fn.function_arn
    invocation = _Invocation(payload, request_id, invoked, int((time.time() + timeout) * 1000))
    server = ThreadingHTTPServer(("127.0.0.1", 0), _runtime_api(invocation))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    key, secret, token = _role_credentials(fn)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "RUNAS_GUARD_"))}
    env.update({str(k): str(v) for k, v in (fn.environment_vars or {}).items()})
    env.update({
        "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{server.server_address[1]}",
        "AWS_LAMBDA_FUNCTION_NAME": fn.function_name,
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(fn.memory_size or 128),
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{fn.function_name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": request_id,
        "AWS_REGION": fn.region, "AWS_DEFAULT_REGION": fn.region,
        "AWS_ENDPOINT_URL": _own_url(), "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_ACCESS_KEY_ID": key, "AWS_SECRET_ACCESS_KEY": secret, "AWS_SESSION_TOKEN": token,
    })
    process = subprocess.Popen([os.environ[BINARY]], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
    log = []
    reader = threading.Thread(target=lambda: log.extend(process.stdout), daemon=True)
    reader.start()
    # Lambda answers as soon as the runtime process exits (an init failure
    # included): waiting out the timeout is only for a process still running.
    give_up = time.monotonic() + timeout
    answered = False
    while not answered and time.monotonic() < give_up:
        answered = invocation.done.wait(min(0.2, max(0.0, give_up - time.monotonic())))
        if not answered and process.poll() is not None:
            answered = invocation.done.wait(1)
            break
    process.kill()
    process.wait()
    reader.join(5)
    server.shutdown()
    text = b"".join(log).decode("utf-8", "replace")
    if not answered:
        if process.returncode not in (None, -9):
            error = {"errorType": "Runtime.ExitError",
                     "errorMessage": f"RequestId: {request_id} Error: Runtime exited with error: exit status {process.returncode}"}
        else:
            error = {"errorType": "Sandbox.Timedout", "errorMessage": f"Task timed out after {timeout}.00 seconds"}
        return "Unhandled", json.dumps(error).encode(), text, request_id
    kind, body = invocation.answer
    if kind == "response":
        return None, body, text, request_id
    return "Unhandled", body, text, request_id


def _invoke(self, body, request_headers, response_headers):
    kind = request_headers.get("x-amz-invocation-type", "RequestResponse")
    if not os.environ.get(BINARY) or kind != "RequestResponse":
        return _original_invoke(self, body, request_headers, response_headers)
    payload = body.encode() if isinstance(body, str) else (body or b"{}")
    limit = self.reserved_concurrency
    with LOCK:
        running = RUNNING.get(self.function_arn, 0)
        if limit is not None and running >= int(limit):
            THROTTLES.append({"function": self.function_name, "running": running, "limit": int(limit)})
            raise _Throttled()
        RUNNING[self.function_arn] = running + 1
    try:
        error, answer, log, request_id = _run(self, payload)
    finally:
        with LOCK:
            RUNNING[self.function_arn] -= 1
    if error:
        response_headers["x-amz-function-error"] = error
    response_headers["x-amz-executed-version"] = "$LATEST"
    authorization = request_headers.get("Authorization", "")
    caller = authorization.split("Credential=", 1)[-1].split("/", 1)[0] if "Credential=" in authorization else None
    with LOCK:
        INVOCATIONS.append({
            "function": self.function_name, "function_arn": self.function_arn, "caller_access_key": caller,
            "qualifier": getattr(_INVOKED, "qualifier", None),
            "request_id": request_id, "payload": payload.decode("utf-8", "replace"), "function_error": error,
            "answer": answer.decode("utf-8", "replace"), "log": log[-20000:],
        })
    return answer


def _backend_invoke(self, function_name, qualifier, body, headers, response_headers):
    name = function_name.split(":function:", 1)[-1] if function_name.startswith("arn:") else function_name
    named = name.split(":", 1)[1] if ":" in name else None
    # moto reads the query's ``qualifier`` in lower case; Lambda's is
    # ``Qualifier`` (what the SDKs send), kept by _response_invoke.
    _INVOKED.qualifier = named or qualifier or getattr(_INVOKED, "query_qualifier", None)
    try:
        return _original_backend_invoke(self, function_name, _INVOKED.qualifier, body, headers, response_headers)
    finally:
        _INVOKED.qualifier = None


def _response_invoke(self):
    _INVOKED.query_qualifier = (self.querystring.get("Qualifier") or [None])[0]
    try:
        return _original_response_invoke(self)
    finally:
        _INVOKED.query_qualifier = None


LambdaFunction.invoke = _invoke
LambdaBackend.invoke = _backend_invoke
LambdaResponse.invoke = _response_invoke

_dispatch = DomainDispatcherApplication.__call__


def _with_invocations(self, environ, start_response):
    listed = {"/_emulated/lambda/invocations": INVOCATIONS, "/_emulated/lambda/throttles": THROTTLES}
    if environ.get("PATH_INFO") in listed:
        with LOCK:
            body = json.dumps(listed[environ["PATH_INFO"]]).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]
    return _dispatch(self, environ, start_response)


DomainDispatcherApplication.__call__ = _with_invocations

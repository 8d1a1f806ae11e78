"""The tests' local AWS: the one handler of the emulators' control
endpoints (``/_emulated/...``: test-only requests that set up or read an
emulation, never AWS's API). ``routes`` maps (method, path) to a function
of the request's JSON object; a ``ControlError`` it raises is a 400 with
its reason, an unknown path a 404.
"""

import base64
import binascii
import hashlib
import hmac
import json
import os

from moto.moto_server import werkzeug_app
from werkzeug.wrappers import Request, Response


class ControlError(Exception):
    """A control request the emulator refuses, and why."""


def control(routes, environ, start_response):
    request = Request(environ)
    route = routes.get((request.method, request.path.rstrip("/")))
    status, answer = 200, None
    if route is None:
        status, answer = 404, {"error": f"no control endpoint {request.method} {request.path}"}
    else:
        try:
            raw = request.get_data(as_text=True)
            body = json.loads(raw) if raw.strip() else {}
            if not isinstance(body, dict):
                raise ControlError("the body must be a JSON object")
            answer = route(body)
        except (ControlError, json.JSONDecodeError) as e:
            status, answer = 400, {"error": str(e)}
    return Response(json.dumps(answer, default=str), status=status,
                    mimetype="application/json")(environ, start_response)


def serve(prefix, routes):
    """Answers requests whose path starts with ``prefix`` from ``routes``,
    ahead of moto's routing (which would take an unsigned request for S3)
    and of any other emulator's control paths."""
    dispatch = werkzeug_app.DomainDispatcherApplication.__call__

    def with_control(self, environ, start_response):
        if environ.get("PATH_INFO", "").startswith(prefix):
            return control(routes, environ, start_response)
        return dispatch(self, environ, start_response)

    werkzeug_app.DomainDispatcherApplication.__call__ = with_control


# Paging tokens the emulators give: a position in one listing, signed so
# that a token is good only for the listing (its ``scope``: the caller's
# account, region and the request's filters) it was given for, as AWS's are.
_TOKEN_KEY = os.urandom(16)


def _mac(scope, position):
    return hmac.new(_TOKEN_KEY, f"{scope}\n{position}".encode(), hashlib.sha256).hexdigest()[:32]


def page_token(scope, position):
    """The token of the page that starts at ``position`` of ``scope``."""
    position = str(position)
    return base64.urlsafe_b64encode(f"{position}.{_mac(scope, position)}".encode()).decode()


def page_start(token, scope):
    """Where the page ``token`` asks for starts (0 without one); ``None``
    for a token this server did not give for ``scope``: the emulator
    answers that with its service's own error."""
    if token is None:
        return 0
    try:
        position, mac = base64.urlsafe_b64decode(token.encode()).decode().split(".")
        if hmac.compare_digest(mac, _mac(scope, position)):
            return int(position)
    except (ValueError, binascii.Error, UnicodeError, AttributeError):
        pass
    return None

"""Session Manager's sessions, which moto 5.2.5 lacks entirely (no
``StartSession``, ``TerminateSession`` or ``DescribeSessions``), EMULATED for
the tests' local AWS: imported by every launcher beside
moto_ssm_created_date, never by product code, which talks to it as to AWS.

Modelled on the API model (botocore ``ssm/2014-11-06``, JSON 1.1,
``X-Amz-Target: AmazonSSM.<Op>``), per account (the caller's, as moto
derives it from the credentials) and region, kept on moto's SSM backend of
that account-region (so moto's ``/moto-api/reset`` clears them too):

- ``StartSession``: ``Target`` required (``SessionTarget``, 1..400
  characters); a target that is not a node id (``i-`` + 8 or 17 word
  characters, ``mi-`` + 17) is ``TargetNotConnected``, any node id is taken
  as connected. ``DocumentName`` (optional) must be a document of the
  account-region (``InvalidDocument`` otherwise); left out, the session is
  a shell and its ``DocumentName`` is ``SSM-SessionManagerRunShell``, as
  AWS records it. ``Reason`` (``^.{1,256}$``) is kept; ``Parameters`` are
  accepted and not kept. The session's ``Owner`` is the caller: the
  assumed-role session ARN moto issued for the request's access key
  (``arn:aws:sts::<account>:assumed-role/<role>/<session>``), else the
  account's root ARN. ``StartDate`` is the call's time (to the
  millisecond), ``Status`` ``Connected``; ``MaxSessionDuration`` is the
  ``maxSessionDuration`` input of the account-region's
  ``SSM-SessionManagerRunShell`` default version, when it sets one.
  Answers ``SessionId`` (``<caller's session name or "root">-<17 hex>``,
  as AWS names sessions after their owner), ``TokenValue`` and
  ``StreamUrl`` (``wss://ssmmessages.<region>.amazonaws.com/v1/data-channel/<id>?role=publish_subscribe``);
  nothing listens there.
- ``TerminateSession``: ``SessionId`` required; ends a session of the
  account-region (``Status`` ``Terminated``, ``EndDate`` now). A session
  already ended, or one that does not exist, answers its id and changes
  nothing (AWS answers so too).
- ``DescribeSessions``: ``State`` required, ``Active`` (sessions not ended:
  ``Connected``, ``Connecting``, ``Disconnected``) or ``History`` (ended:
  ``Terminated``, ``Terminating``, ``Failed``); anything else, or none, is
  ``ValidationException``. ``MaxResults`` 1..200 (the model's
  ``SessionMaxResults``; AWS documents no default: here 20), else
  ``ValidationException``. ``Filters``: 1..6 ``{key, value}``, values 1..400
  characters (``ValidationException`` otherwise); keys ``InvokedAfter``
  (started at or after), ``InvokedBefore`` (started before; both take ISO
  8601 times, ``2024-08-29T00:00:00Z``, fractions and offsets allowed, or a
  bare date; anything else is ``ValidationException``), ``Target``,
  ``Owner``, ``SessionId``, ``Status`` (one of the model's six),
  ``AccessType`` (``Standard``: every session here), exact matches ANDed;
  another key is ``InvalidFilterKey``. ``NextToken``: a token this server
  gave for this very listing (same account-region, ``State`` and
  ``Filters``), else ``InvalidNextToken``. Each entry is the model's
  ``Session``: ``SessionId``, ``Target``, ``Status``, ``StartDate``,
  ``EndDate`` (ended sessions), ``DocumentName``, ``Owner``, ``Reason``
  (when given), ``MaxSessionDuration`` (when set), ``AccessType``
  ``Standard``; ``Details`` and ``OutputUrl`` ("Reserved for future use")
  are never answered.

Order. AWS promises none: each listing is in a fixed scramble of the
sessions' start order (the same on every server), so the newest or oldest
is first only by chance; ``StartDate`` says which is which. Paging: a page
is the next ``MaxResults`` matches, a ``NextToken`` only when another match
exists (tokens are signed, opaque, valid for the server's life).

Test-only control endpoints (NOT part of the SSM API; plain JSON over HTTP
on the server's port, unsigned; errors are HTTP 400 ``{"error": "..."}``):

- ``POST /_emulated/sessions`` ``{"account", "region", "sessions":
  [{"target", "owner", "start", "end", "status", "document", "reason"}]}``
  adds sessions as if started (and, with ``end``, ended) at those times:
  ``start`` required (ISO 8601), ``end`` optional (then ``status``
  ``Terminated`` unless given), ``status`` optional (``Connected`` when
  not ended), ``document`` default ``SSM-SessionManagerRunShell``,
  ``owner`` default the account's root ARN. For sessions a test needs in
  the past (the history AWS keeps). Answers ``{"sessions": [ids]}``.
- ``GET /_emulated/sessions/calls``: ``{"DescribeSessions": n,
  "StartSession": n, "TerminateSession": n}`` since start or the last reset,
  errors included; ``POST /_emulated/sessions/calls/reset`` clears them.

How it differs from AWS: no data channel (nothing runs on a node, no
session ever disconnects, times out or fails by itself: ``Failed``,
``Disconnected`` and ``Terminating`` come only from the seeding endpoint);
``History`` keeps every ended session (AWS keeps 30 days); no IAM checks
beyond moto's own; ``AccessType`` is always ``Standard`` (no just-in-time
node access); ``ResumeSession`` and ``GetConnectionStatus`` are not
emulated.

Usage: imported (its patches apply on import); as a launcher, the same
arguments as ``moto_server``.
"""

import hashlib
import json
import re
import secrets
import sys
import threading
from datetime import datetime, timezone

from emulator_control import ControlError, page_start, page_token, serve
from moto.core.responses import ActionResult
from moto.ssm import responses as ssm_responses
from moto.ssm.exceptions import SSMException
from moto.ssm.models import ssm_backends
from moto.sts.models import sts_backends
from moto.utilities.utils import get_partition

LOCK = threading.RLock()
ACTIVE = ("Connected", "Connecting", "Disconnected")
ENDED = ("Terminated", "Terminating", "Failed")
STATUSES = ACTIVE + ENDED
KEYS = ("InvokedAfter", "InvokedBefore", "Target", "Owner", "Status", "SessionId", "AccessType")
PAGE_MAX, PAGE_DEFAULT = 200, 20
NODE = re.compile(r"i-(\w{8}|\w{17})|mi-\w{17}")
SHELL = "SSM-SessionManagerRunShell"
CALLS = {}


def _error(code, message):
    return SSMException(code, message)


def _invalid(field, value, constraint):
    name = field[:1].lower() + field[1:]
    return _error(
        "ValidationException",
        f"1 validation error detected: Value '{value}' at '{name}' failed to satisfy constraint: {constraint}",
    )


def _now():
    now = datetime.now(timezone.utc)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def _time(value, field):
    """ISO 8601 (``Z`` or an offset; a bare date is its midnight UTC)."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        raise _invalid(field, value, "Member must be a valid ISO 8601 timestamp")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


class Session:
    __slots__ = ("id", "target", "owner", "start", "end", "status", "document", "reason", "max_duration", "seq")

    def listed(self):
        out = {"SessionId": self.id, "Target": self.target, "Status": self.status,
               "StartDate": self.start, "DocumentName": self.document, "Owner": self.owner,
               "AccessType": "Standard"}
        if self.end is not None:
            out["EndDate"] = self.end
        if self.reason:
            out["Reason"] = self.reason
        if self.max_duration:
            out["MaxSessionDuration"] = self.max_duration
        return out


def _sessions(backend):
    found = backend.__dict__.get("_emulated_sessions")
    if found is None:
        found = backend._emulated_sessions = {}
    return found


def _counted(op):
    with LOCK:
        CALLS[op] = CALLS.get(op, 0) + 1


def _caller(self):
    """The assumed-role session ARN moto issued for the request's key, and
    its session name; else the account's root."""
    backend = (sts_backends.get(self.current_account) or {}).get(get_partition(self.region))
    role = backend.get_assumed_role_from_access_key(self.get_access_key()) if backend else None
    if role is not None:
        return role.arn, role.session_name
    return f"arn:{get_partition(self.region)}:iam::{self.current_account}:root", "root"


def _max_duration(backend):
    """``maxSessionDuration`` of the preferences document's default version."""
    try:
        doc = backend._get_documents(SHELL).get_default_version()
        value = json.loads(doc.content).get("inputs", {}).get("maxSessionDuration")
    except Exception:  # no document, not JSON: no value, as AWS answers none
        return None
    return str(value) if value not in (None, "") else None


def _new_session(sessions, *, prefix, target, owner, start, document, reason, max_duration,
                 end=None, status=None):
    s = Session()
    s.id = f"{prefix[:64]}-{secrets.token_hex(9)[:17]}"
    s.target, s.owner, s.start, s.end = target, owner, start, end
    s.status = status or ("Terminated" if end is not None else "Connected")
    s.document, s.reason, s.max_duration = document, reason, max_duration
    s.seq = len(sessions)
    sessions[s.id] = s
    return s


def start_session(self):
    _counted("StartSession")
    target = self._get_param("Target")
    if not isinstance(target, str) or not 1 <= len(target) <= 400:
        raise _invalid("Target", target, "Member must have length between 1 and 400")
    reason = self._get_param("Reason")
    if reason is not None and not re.fullmatch(r".{1,256}", reason):
        raise _invalid("Reason", reason, "Member must satisfy regular expression pattern: ^.{1,256}$")
    document = self._get_param("DocumentName")
    backend = self.ssm_backend
    if document is not None:
        backend._get_documents(document)  # InvalidDocument when there is none
    if not NODE.fullmatch(target):
        raise _error("TargetNotConnected", f"{target} is not connected.")
    owner, name = _caller(self)
    with LOCK:
        s = _new_session(_sessions(backend), prefix=name, target=target, owner=owner, start=_now(),
                         document=document or SHELL, reason=reason, max_duration=_max_duration(backend))
    url = f"wss://ssmmessages.{self.region}.amazonaws.com/v1/data-channel/{s.id}?role=publish_subscribe"
    return ActionResult({"SessionId": s.id, "TokenValue": secrets.token_urlsafe(32), "StreamUrl": url})


def terminate_session(self):
    _counted("TerminateSession")
    session_id = self._get_param("SessionId")
    if not isinstance(session_id, str) or not 1 <= len(session_id) <= 96:
        raise _invalid("SessionId", session_id, "Member must have length between 1 and 96")
    with LOCK:
        s = _sessions(self.ssm_backend).get(session_id)
        if s is not None and s.end is None:
            s.end, s.status = _now(), "Terminated"
    return ActionResult({"SessionId": session_id})


def _filters(raw):
    """Each filter a test on a session; checked as AWS checks them."""
    if raw is None:
        return []
    if not isinstance(raw, list) or not 1 <= len(raw) <= 6:
        raise _invalid("Filters", raw, "Member must have length between 1 and 6")
    tests = []
    for f in raw:
        key, value = (f or {}).get("key"), (f or {}).get("value")
        if not isinstance(value, str) or not 1 <= len(value) <= 400:
            raise _invalid("Filters.member.value", value, "Member must have length between 1 and 400")
        if key not in KEYS:
            raise _error("InvalidFilterKey", f"The filter key {key} is not valid.")
        if key == "InvokedAfter":
            after = _time(value, key)
            tests.append(lambda s, t=after: s.start >= t)
        elif key == "InvokedBefore":
            before = _time(value, key)
            tests.append(lambda s, t=before: s.start < t)
        elif key == "Status":
            if value not in STATUSES:
                raise _invalid("Filters.member.value", value, f"Status must be one of [{', '.join(STATUSES)}]")
            tests.append(lambda s, v=value: s.status == v)
        elif key == "AccessType":
            tests.append(lambda s, v=value: v == "Standard")
        else:
            attr = {"Target": "target", "Owner": "owner", "SessionId": "id"}[key]
            tests.append(lambda s, a=attr, v=value: getattr(s, a) == v)
    return tests


def _position(token, scope):
    start = page_start(token, scope)
    if start is None:
        raise _error("InvalidNextToken", "The specified token isn't valid.")
    return start


def _scrambled(sessions):
    """A fixed scramble of start order: AWS promises no order."""
    return sorted(sessions, key=lambda s: hashlib.sha256(str(s.seq).encode()).hexdigest())


def describe_sessions(self):
    _counted("DescribeSessions")
    state = self._get_param("State")
    if state not in ("Active", "History"):
        raise _invalid("State", state, "Member must satisfy enum value set: [Active, History]")
    size = self._get_param("MaxResults")
    if size is None:
        size = PAGE_DEFAULT
    if not isinstance(size, int) or not 1 <= size <= PAGE_MAX:
        raise _invalid("MaxResults", size, f"Member must have value between 1 and {PAGE_MAX}")
    raw = self._get_param("Filters")
    tests = _filters(raw)
    scope = "|".join([self.current_account, self.region, state, json.dumps(raw, sort_keys=True)])
    start = _position(self._get_param("NextToken"), scope)
    wanted = ACTIVE if state == "Active" else ENDED
    with LOCK:
        matches = [s for s in _scrambled(_sessions(self.ssm_backend).values())
                   if s.status in wanted and all(t(s) for t in tests)]
        page = [s.listed() for s in matches[start:start + size]]
    result = {"Sessions": page}
    if start + size < len(matches):
        result["NextToken"] = page_token(scope, start + size)
    return ActionResult(result)


def _seed(body):
    account, region = body.get("account"), body.get("region")
    if not isinstance(account, str) or not isinstance(region, str):
        raise ControlError("account and region are required")
    backend = ssm_backends[account][region]
    ids = []
    with LOCK:
        sessions = _sessions(backend)
        for entry in body.get("sessions") or []:
            try:
                start = _time(entry["start"], "start")
                end = _time(entry["end"], "end") if entry.get("end") else None
            except (KeyError, SSMException) as e:
                raise ControlError(f"each session needs an ISO 8601 start (and end, if any): {e}")
            status = entry.get("status")
            if status is not None and status not in STATUSES:
                raise ControlError(f"status must be one of {STATUSES}")
            owner = entry.get("owner") or f"arn:{get_partition(region)}:iam::{account}:root"
            s = _new_session(sessions, prefix=owner.rsplit("/", 1)[-1], target=entry.get("target", "i-0123456789abcdef0"),
                             owner=owner, start=start, end=end, status=status,
                             document=entry.get("document") or SHELL, reason=entry.get("reason"),
                             max_duration=None)
            ids.append(s.id)
    return {"sessions": ids}


def _calls(body):
    with LOCK:
        return {op: CALLS.get(op, 0) for op in ("DescribeSessions", "StartSession", "TerminateSession")}


def _reset(body):
    with LOCK:
        CALLS.clear()
    return _calls(body)


ROUTES = {
    ("POST", "/_emulated/sessions"): _seed,
    ("GET", "/_emulated/sessions/calls"): _calls,
    ("POST", "/_emulated/sessions/calls/reset"): _reset,
}


if not getattr(ssm_responses.SimpleSystemManagerResponse, "_runas_guard_sessions", False):
    ssm_responses.SimpleSystemManagerResponse.start_session = start_session
    ssm_responses.SimpleSystemManagerResponse.terminate_session = terminate_session
    ssm_responses.SimpleSystemManagerResponse.describe_sessions = describe_sessions
    ssm_responses.SimpleSystemManagerResponse._runas_guard_sessions = True
    serve("/_emulated/sessions", ROUTES)

if __name__ == "__main__":
    from moto.server import main

    sys.exit(main(sys.argv[1:]))

r"""moto server with IAM Identity Center's attributes for access control (ABAC),
which moto 5.2.5 lacks, EMULATED for the integration tests. Never used by
product code, which talks to it as to AWS. It also carries the patches of
``moto_ssm_versions.py`` (imported below), so a test can use both.

Exactly four operations, modelled on the AWS API model (botocore
``sso-admin/2020-07-20``: JSON 1.1, ``X-Amz-Target:
SWBExternalService.<Op>``, signing name ``sso``). Their state is one
attribute list per account, region and instance, kept on moto's sso-admin
backend of that account-region (``ssoadmin_backends[account][region]``, the
caller's account as moto derives it from the credentials), so moto's reset
(``POST /moto-api/reset``) clears it with everything else:

- ``CreateInstanceAccessControlAttributeConfiguration`` (``InstanceArn``,
  ``InstanceAccessControlAttributeConfiguration.AccessControlAttributes``
  ``[{Key, Value: {Source: [str]}}]``) enables ABAC with that list and answers
  ``{}``; ``ConflictException`` when the instance already has a
  configuration.
- ``DescribeInstanceAccessControlAttributeConfiguration`` (``InstanceArn``)
  answers ``{"Status": "ENABLED", "InstanceAccessControlAttributeConfiguration":
  {"AccessControlAttributes": [...]}}``, the list as last written, in the
  order written; ``ResourceNotFoundException`` when there is none (never
  created, or deleted).
- ``UpdateInstanceAccessControlAttributeConfiguration`` (as create) replaces
  the whole list and answers ``{}``; ``ResourceNotFoundException`` when there
  is no configuration to update.
- ``DeleteInstanceAccessControlAttributeConfiguration`` (``InstanceArn``)
  disables ABAC and answers ``{}``; ``ResourceNotFoundException`` when there
  is none.

Checks, in this order, as the model states them (all model violations of one
request are reported together, Coral style: "N validation error(s)
detected: Value '...' at 'instanceArn' failed to satisfy constraint: ..."):

1. ``ValidationException`` for the model's constraints: a required member
   missing (``InstanceArn``, ``InstanceAccessControlAttributeConfiguration``,
   ``AccessControlAttributes``, ``Key``, ``Value``, ``Source``: "Value null at
   '<path>' failed to satisfy constraint: Member must not be null");
   ``InstanceArn`` of length 10..1224 matching
   ``arn:aws(-[a-z]{1,5}){0,3}:sso:::instance/(sso)?ins-[a-zA-Z0-9-.]{16}``;
   ``AccessControlAttributes`` 0..50 items; ``Key`` 1..128 characters
   matching ``[\p{L}\p{Z}\p{N}_.:\/=+\-@]+``; ``Source`` exactly 1 item, each
   0..256 characters matching ``[\p{L}\p{Z}\p{N}_.:\/=+\-@\[\]\{\}\$\\\"]*``.
   Patterns are matched whole (the model's patterns carry no anchors; AWS's
   API reference shows them as ``^...$``) with the ``regex`` module, which
   reads ``\p{L}``, ``\p{Z}``, ``\p{N}`` as Java does (it is in .venv as a
   dependency of the pinned cfn-lint). Lengths count Unicode code points.
   Paths name members as Coral does, 1-based:
   ``instanceAccessControlAttributeConfiguration.accessControlAttributes.2.member.value.source``.
   A member of the wrong JSON type (only a hand-made request can send one)
   is a ``ValidationException`` naming it, too.
2. ``ValidationException`` when two attributes share a ``Key`` (exact,
   case-sensitive comparison).
3. ``ResourceNotFoundException`` when ``InstanceArn`` is not an instance that
   ``ListInstances`` lists to the caller, i.e. one of moto's sso-admin backend
   of the caller's account and the request's region: another account's
   instance, another region's, or a made-up one.
4. ``ConflictException`` / ``ResourceNotFoundException`` as above.

Errors are moto's own sso-admin errors (``moto.ssoadmin.exceptions``), so they
look exactly like every other sso-admin error of this server: HTTP 400,
header ``X-Amzn-ErrorType: <Code>``, body ``{"__type": "<Code>",
"message": "..."}``. Note the lowercase ``message``: that is how moto's
``JsonRESTError`` writes every sso-admin error (the model's shapes name the
member ``Message``); boto3 and the Rust SDK read either.

Test-only control endpoints (NOT part of the sso-admin API; plain JSON over
HTTP on the server's port, unsigned), following ``moto_ssm_associations.py``:

- ``GET /_emulated/sso/calls``: the calls of the four operations since start
  (or the last reset), errors included: ``{"total": N, "operations":
  {"<Op>": n}, "by_account": {"<account>": {"<Op>": n}}}``; an operation
  never called is absent. Counted as the request reaches the operation
  (after moto has routed and authenticated it).
- ``POST /_emulated/sso/calls/reset`` clears those counts (moto's own reset
  does not) and answers ``{"total": 0}``.
- anything else under ``/_emulated/sso/`` is HTTP 404 ``{"error": "..."}``.

How it differs from AWS:

- the configuration is in force when the call returns: ``Status`` is always
  ``ENABLED``, never ``CREATION_IN_PROGRESS`` or ``CREATION_FAILED``, and no
  ``StatusReason`` is given; there is no propagation delay and no eventual
  consistency (a describe right after create, update or delete sees it), so
  ``ConflictException`` only ever means "already exists", never "a previous
  write is still propagating".
- no CloudTrail events, no EventBridge events, no IAM authorization
  (``AccessDeniedException``), no throttling (``ThrottlingException``); the
  attributes are stored, never used (no session tags are ever produced).
- the ``Source`` values are checked against the model only, not against the
  identity store's attribute paths (``${path:...}``); keys are not checked
  against IAM's session-tag rules beyond the model's pattern.
- every moto instance can take a configuration; AWS supports ABAC on
  organization instances of IAM Identity Center, not on account instances.
- moto keeps one instance per account and region, so an instance is only
  found from its own region; AWS has one instance, in one region.
- what AWS answers when ABAC was never enabled could not be confirmed from
  AWS's documentation, which lists ``ResourceNotFoundException`` for describe
  but does not say when. ``ResourceNotFoundException`` is what this emulation
  answers (AWS's own CloudFormation handler for
  ``AWS::SSO::InstanceAccessControlAttributeConfiguration`` takes that error
  from describe as "no configuration", e.g. after delete). Terraform's
  provider additionally treats a successful answer with an empty
  ``AccessControlAttributes`` as "none"; here an empty list answers only when
  one was written (the model allows 0 items). Error messages and the
  duplicate-key check's wording are this emulation's own.

Usage: the same arguments as ``moto_server`` (``-H 127.0.0.1 -p PORT``).
"""

import functools
import json
import os
import sys
import threading

import regex
from moto.core.exceptions import JsonRESTError
from moto.moto_server import werkzeug_app
import moto_dynamodb_atomic  # noqa: F401 - DynamoDB requests atomic, as AWS's are
import moto_ssm_created_date  # noqa: F401 - GetDocument answers CreatedDate, as AWS's does
import moto_ssm_sessions  # noqa: F401 - Session Manager's sessions (DescribeSessions), as AWS's
import moto_securityhub  # noqa: F401 - Security Hub's findings (BatchImportFindings, GetFindings), as AWS's
import moto_org_paths  # noqa: F401 - Organizations answers carry Account.Paths, as AWS's do
from moto.server import main
from moto.ssoadmin import responses as ssoadmin_responses
from moto.ssoadmin.exceptions import ConflictException, ResourceNotFoundException
from werkzeug.wrappers import Request, Response

# Run as a script, tests/ is already first on sys.path (as for moto_cfn.py);
# imported from elsewhere, the sibling emulator must still be found.
HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import moto_ssm_versions  # noqa: E402 - its patches apply on import

# (moto_ssm_versions also marks its errors as SSM's, so they are found when imported.)


class ValidationException(JsonRESTError):
    """Shaped as moto's sso-admin errors (which have no ValidationException)."""

    code = 400

    def __init__(self, message):
        super().__init__(error_type="ValidationException", message=message)


# A JsonRESTError is serialized as it is, without the module lookup above;
# named as an sso-admin error all the same, should moto ever look.
ValidationException.__module__ = "moto.ssoadmin.exceptions"

# Every read or write of the configurations and of the counts holds it: moto's
# server is threaded, and create must see "none yet" and write in one step.
LOCK = threading.RLock()

# The model's constraints (botocore sso-admin/2020-07-20), checked in full.
INSTANCE_ARN = regex.compile(r"arn:aws(-[a-z]{1,5}){0,3}:sso:::instance/(sso)?ins-[a-zA-Z0-9-.]{16}")
INSTANCE_ARN_LENGTH = (10, 1224)
KEY = regex.compile(r"[\p{L}\p{Z}\p{N}_.:\/=+\-@]+")
KEY_LENGTH = (1, 128)
SOURCE = regex.compile(r"[\p{L}\p{Z}\p{N}_.:\/=+\-@\[\]\{\}\$\\\"]*")
SOURCE_LENGTH = (0, 256)
ATTRIBUTES_COUNT = (0, 50)
SOURCES_COUNT = (1, 1)

STATE = "_emulated_access_control_attributes"  # on moto's SSOAdminBackend: {instance arn: [attribute]}
CALLS = {}  # (operation, account) -> count


def _shown(value):
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"))


class Violations:
    """The model violations of one request, reported together as Coral does."""

    def __init__(self):
        self.found = []

    def add(self, path, value, constraint):
        shown = "null" if value is None else f"'{_shown(value)}'"
        self.found.append(f"Value {shown} at '{path}' failed to satisfy constraint: {constraint}")

    def required(self, path, value):
        if value is None:
            self.add(path, None, "Member must not be null")
            return False
        return True

    def typed(self, path, value, kind, noun):
        if not isinstance(value, kind) or isinstance(value, bool):
            self.add(path, value, f"Member must be {noun}")
            return False
        return True

    def length(self, path, value, bounds):
        low, high = bounds
        if len(value) < low:
            self.add(path, value, f"Member must have length greater than or equal to {low}")
        elif len(value) > high:
            self.add(path, value, f"Member must have length less than or equal to {high}")

    def pattern(self, path, value, compiled):
        if not compiled.fullmatch(value):
            self.add(path, value, f"Member must satisfy regular expression pattern: {compiled.pattern}")

    def raise_any(self):
        if self.found:
            n = len(self.found)
            raise ValidationException(
                f"{n} validation error{'s' if n > 1 else ''} detected: " + "; ".join(self.found))


def _body(self):
    try:
        body = json.loads(self.body or "{}")
    except (TypeError, ValueError):
        body = None
    if not isinstance(body, dict):
        raise ValidationException("The request body must be a JSON object.")
    return body


def _check_instance_arn(v, body):
    arn = body.get("InstanceArn")
    if v.required("instanceArn", arn) and v.typed("instanceArn", arn, str, "a string"):
        v.length("instanceArn", arn, INSTANCE_ARN_LENGTH)
        v.pattern("instanceArn", arn, INSTANCE_ARN)
    return arn


def _check_configuration(v, body):
    """The attribute list as stored: only the model's members, in order."""
    path = "instanceAccessControlAttributeConfiguration"
    config = body.get("InstanceAccessControlAttributeConfiguration")
    if not (v.required(path, config) and v.typed(path, config, dict, "a structure")):
        return None
    path += ".accessControlAttributes"
    attributes = config.get("AccessControlAttributes")
    if not (v.required(path, attributes) and v.typed(path, attributes, list, "a list")):
        return None
    v.length(path, attributes, ATTRIBUTES_COUNT)
    stored = []
    for i, attribute in enumerate(attributes, 1):
        at = f"{path}.{i}.member"
        if not (v.required(at, attribute) and v.typed(at, attribute, dict, "a structure")):
            continue
        key, value = attribute.get("Key"), attribute.get("Value")
        if v.required(f"{at}.key", key) and v.typed(f"{at}.key", key, str, "a string"):
            v.length(f"{at}.key", key, KEY_LENGTH)
            v.pattern(f"{at}.key", key, KEY)
        sources = None
        if v.required(f"{at}.value", value) and v.typed(f"{at}.value", value, dict, "a structure"):
            sources = value.get("Source")
            where = f"{at}.value.source"
            if v.required(where, sources) and v.typed(where, sources, list, "a list"):
                v.length(where, sources, SOURCES_COUNT)
                for j, source in enumerate(sources, 1):
                    each = f"{where}.{j}.member"
                    if v.required(each, source) and v.typed(each, source, str, "a string"):
                        v.length(each, source, SOURCE_LENGTH)
                        v.pattern(each, source, SOURCE)
        stored.append({"Key": key, "Value": {"Source": list(sources or [])}})
    return stored


def _check_duplicates(attributes):
    seen = set()
    for attribute in attributes:
        key = attribute["Key"]
        if key in seen:
            raise ValidationException(
                f"Duplicate key '{key}' in AccessControlAttributes: each attribute key can be used only once.")
        seen.add(key)


def _configurations(self, arn):
    """The caller's configurations ({instance arn: attributes}), once the
    instance is known to be one ListInstances lists to the caller."""
    backend = self.ssoadmin_backend  # the caller's account, the request's region
    if not any(i.instance_arn == arn for i in backend.list_instances()):
        raise ResourceNotFoundException(f"Could not find Instance with arn {arn}")
    configurations = backend.__dict__.get(STATE)
    if configurations is None:
        configurations = backend.__dict__[STATE] = {}
    return configurations


def _missing(arn):
    return ResourceNotFoundException(
        f"No access control attribute configuration exists for instance {arn}; "
        "enable it with CreateInstanceAccessControlAttributeConfiguration first.")


def _operation(method):
    """Counts the call, then runs it under the lock."""
    op = "".join(w.capitalize() for w in method.__name__.split("_"))

    @functools.wraps(method)
    def handler(self):
        with LOCK:
            key = (op, self.current_account)
            CALLS[key] = CALLS.get(key, 0) + 1
            return method(self, _body(self))
    return handler


def _request(body, with_configuration):
    v = Violations()
    arn = _check_instance_arn(v, body)
    attributes = _check_configuration(v, body) if with_configuration else None
    v.raise_any()
    if attributes is not None:
        _check_duplicates(attributes)
    return arn, attributes


@_operation
def create_instance_access_control_attribute_configuration(self, body):
    arn, attributes = _request(body, with_configuration=True)
    configurations = _configurations(self, arn)
    if arn in configurations:
        raise ConflictException(
            f"An access control attribute configuration already exists for instance {arn}; "
            "change it with UpdateInstanceAccessControlAttributeConfiguration.")
    configurations[arn] = attributes
    return "{}"


@_operation
def describe_instance_access_control_attribute_configuration(self, body):
    arn, _ = _request(body, with_configuration=False)
    attributes = _configurations(self, arn).get(arn)
    if attributes is None:
        raise _missing(arn)
    return json.dumps({
        "Status": "ENABLED",
        "InstanceAccessControlAttributeConfiguration": {"AccessControlAttributes": attributes},
    })


@_operation
def update_instance_access_control_attribute_configuration(self, body):
    arn, attributes = _request(body, with_configuration=True)
    configurations = _configurations(self, arn)
    if arn not in configurations:
        raise _missing(arn)
    configurations[arn] = attributes
    return "{}"


@_operation
def delete_instance_access_control_attribute_configuration(self, body):
    arn, _ = _request(body, with_configuration=False)
    configurations = _configurations(self, arn)
    if configurations.pop(arn, None) is None:
        raise _missing(arn)
    return "{}"


for _handler in (create_instance_access_control_attribute_configuration,
                 describe_instance_access_control_attribute_configuration,
                 update_instance_access_control_attribute_configuration,
                 delete_instance_access_control_attribute_configuration):
    setattr(ssoadmin_responses.SSOAdminResponse, _handler.__name__, _handler)


# --- control endpoints (emulation only) --------------------------------------

def _calls():
    with LOCK:
        operations, by_account = {}, {}
        for (op, account), n in sorted(CALLS.items()):
            operations[op] = operations.get(op, 0) + n
            by_account.setdefault(account, {})[op] = n
        return {"total": sum(operations.values()), "operations": operations, "by_account": by_account}


def _reset_calls():
    with LOCK:
        CALLS.clear()
    return {"total": 0}


ROUTES = {
    ("GET", "/_emulated/sso/calls"): _calls,
    ("POST", "/_emulated/sso/calls/reset"): _reset_calls,
}


def _control(environ, start_response):
    request = Request(environ)
    route = ROUTES.get((request.method, request.path.rstrip("/")))
    if route is None:
        status, answer = 404, {"error": f"no control endpoint {request.method} {request.path}"}
    else:
        status, answer = 200, route()
    return Response(json.dumps(answer), status=status, mimetype="application/json")(environ, start_response)


_dispatch = werkzeug_app.DomainDispatcherApplication.__call__


def _dispatch_with_control(self, environ, start_response):
    # Ahead of moto's routing, which would take an unsigned request for S3.
    if environ.get("PATH_INFO", "").startswith("/_emulated/sso/"):
        return _control(environ, start_response)
    return _dispatch(self, environ, start_response)


werkzeug_app.DomainDispatcherApplication.__call__ = _dispatch_with_control

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

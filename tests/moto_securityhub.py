"""Security Hub CSPM's findings, which moto 5.2.5 keeps thinly (its
``BatchImportFindings`` refuses a finding only when ``Id`` or ``Resources``
is missing and checks neither the caller's account, nor that the hub is
enabled, nor ``UpdatedAt``'s order, the required fields or the sizes; its
``GetFindings`` ignores ``Filters``; it has no ``BatchUpdateFindings``),
EMULATED for the tests' local AWS: imported by every launcher beside
moto_ssm_sessions, never by product code, which talks to it as to AWS.

Modelled on the API model (botocore ``securityhub/2018-10-26``, REST-JSON),
the API reference
(https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_BatchImportFindings.html,
``API_GetFindings.html``, ``API_BatchUpdateFindings.html``,
``API_EnableSecurityHub.html``, ``API_AwsSecurityFinding.html``,
``API_StringFilter.html``, ``API_Workflow.html``) and the user guide's
"Required top-level ASFF attributes"
(https://docs.aws.amazon.com/securityhub/latest/userguide/asff-required-attributes.html),
"BatchImportFindings for finding providers"
(https://docs.aws.amazon.com/securityhub/latest/userguide/finding-update-batchimportfindings.html)
and "BatchUpdateFindings for customers"
(https://docs.aws.amazon.com/securityhub/latest/userguide/finding-update-batchupdatefindings.html).
State is per account (the caller's, as moto derives it from the
credentials: an assumed role's keys are the role's account) and region,
kept on moto's Security Hub backend of that account-region (so moto's
``/moto-api/reset`` clears it, the pending injected failures too):

- The hub. ``EnableSecurityHub`` (``POST /accounts``) subscribes the
  account-region (moto's own backend flag and ``SubscribedAt``); again is
  ``ResourceConflictException`` (409, "Account is already subscribed to
  Security Hub", as AWS answers). ``DisableSecurityHub`` and
  ``DescribeHub`` of a hub not enabled, and every findings operation
  below there, are ``InvalidAccessException`` (401, "Account <id> is not
  subscribed to AWS Security Hub", AWS's words). Disabling keeps the
  findings (AWS deletes them 90 days later): enabled again, they are back.
- ``BatchImportFindings`` (``POST /findings/import``), in this order:
  ``Findings`` must be a list of 1..100 and the request at most 6 MB (the
  guide's batch limit), else ``InvalidInputException`` (400). Then the
  caller may import only its own findings through its own default
  product: a finding whose ``ProductArn`` is not
  ``arn:aws:securityhub:<region>:<caller>:product/<caller>/default`` (no
  partner integration is emulated), or whose ``AwsAccountId`` is not the
  caller's account, refuses the WHOLE request with ``AccessDeniedException``
  (403, "User: <caller's ARN> is not authorized to perform:
  securityhub:BatchImportFindings on resource: <ProductArn>"). AWS
  documents only that the caller's account "must match the value of the
  AwsAccountId attribute", not how a mismatch is answered; this is how it
  answers in the field: AWS Support's reply quoted in
  https://github.com/prowler-cloud/prowler/issues/867 (a finding of
  another account: that ``AccessDeniedException`` for the call), and a
  finding of another Region in
  https://github.com/prowler-cloud/prowler/issues/618. Then a hub not
  enabled is ``InvalidAccessException``. The call then answers
  ``{FailedCount, SuccessCount, FailedFindings: [{Id, ErrorCode,
  ErrorMessage}]}``; each finding fails alone:
  - its JSON over 240 KB (245,760 bytes): ``FindingSizeExceeded``,
    "Finding size exceeded 240 KB" (AWS documents the limit for the import
    but names the code only for BatchUpdateFindings; the same used here);
  - not the ASFF: ``InvalidInput``, "Finding does not adhere to Amazon
    Finding Format. <reason>", the reason worded as AWS's schema check
    words it (``data should have required property 'Title'``,
    ``data.Title should NOT be longer than 256 characters``, as reported in
    aws-samples/aws-securityhub-config-integration#3 and
    aquasecurity/kube-bench#903). Required: ``AwsAccountId`` (12 digits),
    ``CreatedAt``, ``UpdatedAt`` (RFC 3339 as Security Hub validates
    timestamps: ``Z`` or an offset up to 18:00, at most 9 fraction digits,
    the pattern given in
    https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-securityhub-automationrule-datefilter.html;
    so too ``FirstObservedAt``, ``LastObservedAt``, ``Note.UpdatedAt``
    when given), ``Description`` (1..1024), ``GeneratorId`` (1..512),
    ``Id`` (1..512), ``ProductArn`` (12..2048), ``Resources`` (1..32, each
    with ``Type`` 1..256 and ``Id``; a resource's ``Details.Other`` is a
    ``FieldMap`` of ``NonEmptyString`` values, 1,024 characters at most),
    ``SchemaVersion`` ``2018-10-08``, ``Title`` (1..256); every string is
    a ``NonEmptyString`` (the API reference's pattern ``.*\\S.*``), so an
    empty or blank title, description or ``Details.Other`` value fails
    ``data.<path> should match pattern ".*\\S.*"``; and Severity and
    Types: the top-level ``Severity`` (``Label`` or ``Normalized``) with
    ``Types``, or else
    ``FindingProviderFields`` with its ``Severity`` (``Label`` or
    ``Normalized``) and ``Types`` (the guide's FindingProviderFields page,
    https://docs.aws.amazon.com/securityhub/latest/userguide/asff-findingproviderfields.html,
    marks both required there, and AWS's answer to a finding with neither
    is "data should have required property 'FindingProviderFields', data
    should match some schema in anyOf"): so FindingProviderFields.Severity
    and .Types suffice, one of each place does not. ``Types`` are at most
    50 of ``namespace[/category[/classifier]]``; enums (``Severity.Label``,
    ``Workflow.Status``, ``RecordState``, ``VerificationState``,
    ``Compliance.Status``) and ``Normalized``/``Confidence``/
    ``Criticality`` 0..100 as the model has them; ``UserDefinedFields`` and
    ``ProductFields`` at most 50 pairs (keys 128, values 1024 / 2048).
  - A finding is new, or an update of the stored one with the same
    ``ProductArn`` and ``Id``. An update whose ``UpdatedAt`` is not later
    than the stored one is ignored, as the guide says ("If UpdatedAt on the
    update occurs before UpdatedAt on the existing finding, then the update
    is ignored"; equal is taken as not later, since "the value of this
    field must be more recent than all of the previous values"): it counts
    in ``SuccessCount`` (AWS reports nothing else) and changes nothing. An
    applied update replaces the provider's fields but never the customer's
    ``Note``, ``UserDefinedFields``, ``VerificationState`` and ``Workflow``
    ("Any content in those fields and objects is ignored"): the stored ones
    stay. Each finding that carried any of them for an existing finding is
    counted (``/_emulated/securityhub/calls``), applied or not.
  - New findings: ``Workflow.Status`` ``NEW`` and ``RecordState``
    ``ACTIVE`` unless given; ``Region`` the call's (AWS fills it; a given
    one is overwritten); ``ProcessedAt`` the time Security Hub took it (set
    on every applied import). ``FindingProviderFields`` and the top-level
    ``Severity``, ``Types``, ``Confidence``, ``Criticality``,
    ``RelatedFindings`` fill each other where one is missing; a
    ``Severity`` with only ``Label`` gets ``Normalized`` (INFORMATIONAL 0,
    LOW 1, MEDIUM 40, HIGH 70, CRITICAL 90) and only ``Normalized`` gets
    ``Label`` (0, 1-39, 40-69, 70-89, 90-100), as the model's ``Severity``
    says. An update without ``RecordState`` keeps the stored one (AWS does
    not say). On an update the provider's values (``FindingProviderFields``
    first, else the top-level ones) go to ``FindingProviderFields`` and to
    the top level, except a top-level field a customer set with
    ``BatchUpdateFindings``, which stays (``BatchImportFindings`` "can be
    used to update [them] only if they have not been updated using
    BatchUpdateFindings").
  - ``Workflow.Status`` changes by itself only as ``API_Workflow.html``
    says: ``NOTIFIED`` or ``RESOLVED`` back to ``NEW`` when an applied
    update moves ``RecordState`` from ``ARCHIVED`` to ``ACTIVE`` or
    ``Compliance.Status`` from ``PASSED`` to ``WARNING``, ``FAILED`` or
    ``NOT_AVAILABLE``; ``SUPPRESSED`` and ``NEW`` stay. "if
    Compliance.Status is PASSED, then Security Hub CSPM automatically sets
    the workflow status to RESOLVED" is for findings from Security Hub's
    own controls, which no caller imports: not applied to imported
    findings, nor is any change on archiving (none is documented).
- ``GetFindings`` (``POST /findings``): the caller's account's findings of
  that region, ``ARCHIVED`` ones too when no filter says otherwise.
  ``MaxResults`` 1..100 (default 100), else ``InvalidInputException``.
  ``Filters``: at most 10 attributes of at most 20 ``StringFilter``
  ``{Value, Comparison}`` each (``InvalidInputException`` otherwise), on
  ``Id``, ``AwsAccountId``, ``AwsAccountName``, ``Region``, ``ProductArn``,
  ``ProductName``, ``CompanyName``, ``GeneratorId``, ``Title``,
  ``Description``, ``SourceUrl``, ``Type``, ``SeverityLabel``,
  ``RecordState``, ``ComplianceStatus``, ``ComplianceSecurityControlId``,
  ``WorkflowStatus``, ``WorkflowState``, ``VerificationState``,
  ``ResourceType``, ``ResourceId``, ``ResourcePartition``,
  ``ResourceRegion``. As ``API_StringFilter.html`` says: values are case
  sensitive; ``EQUALS``, ``PREFIX`` and ``CONTAINS`` on one attribute are
  ORed, ``NOT_EQUALS``, ``PREFIX_NOT_EQUALS`` and ``NOT_CONTAINS`` ANDed
  (and applied after the others); attributes are ANDed; ``EQUALS`` with
  ``NOT_EQUALS`` or ``PREFIX_NOT_EQUALS`` on one attribute, ``CONTAINS`` or
  ``NOT_CONTAINS`` with any other comparison, and ``CONTAINS_WORD`` (only
  the V2 APIs) are ``InvalidInputException``. A list attribute (``Type``,
  ``Resource*``) matches when one of its values does, and fails a negative
  comparison when one does; a finding without the attribute fails the
  positive comparisons and passes the negative ones. Any other filter
  attribute (the date, number, map and IP filters among them) is refused
  with ``InvalidInputException`` naming it as not emulated, never ignored.
  ``SortCriteria`` ``[{Field, SortOrder}]`` on those same attributes.
  ``NextToken``: a token this server gave for the same account-region,
  ``Filters`` and ``SortCriteria``, else ``InvalidInputException``.
  Order: AWS promises none; without ``SortCriteria`` a listing is a fixed
  scramble of the import order, so the newest or oldest is first only by
  chance.
- ``BatchUpdateFindings`` (``PATCH /findings/batchupdate``; moto has no
  route for it, added here), the customer's update:
  ``FindingIdentifiers`` ``[{Id, ProductArn}]`` 1..100, and ``Workflow``
  ``{Status}``, ``Note`` ``{Text (1..512), UpdatedBy}`` (stored with
  ``UpdatedAt`` now), ``UserDefinedFields`` (replace the stored map),
  ``VerificationState``, ``Severity`` ``{Label | Normalized}``,
  ``Confidence``, ``Criticality``, ``Types``, ``RelatedFindings``; a value
  outside the model's is ``InvalidInputException``. Each identifier that is
  no finding of the caller's account-region is in ``UnprocessedFindings``
  ``{FindingIdentifier, ErrorCode: FindingNotFound, ErrorMessage: Finding
  Not Found}``, one given twice is ``DuplicatedFindingIdentifier`` /
  "Finding Identifier is duplicated" (both copies), the rest in
  ``ProcessedFindings``. ``UpdatedAt`` is not changed (the guide).

Test-only control endpoints (NOT part of the Security Hub API; plain JSON
over HTTP on the server's port, unsigned; errors are HTTP 400
``{"error": "..."}``):

- ``POST /_emulated/securityhub/enable`` and ``.../disable``
  ``{"account", "region"}``: set up (or take down) the hub of an
  account-region without its credentials (no conflict if it already is).
  Answer ``{"account", "region", "enabled"}``.
- ``GET /_emulated/securityhub/findings``: ``{"findings": [{"account",
  "region", "finding"}]}``, every stored finding of every account-region
  as ``GetFindings`` would answer it.
- ``GET /_emulated/securityhub/calls``: ``{"account_regions": [{"account",
  "region", "BatchImportFindings", "findings_received",
  "customer_fields_carried", "customer_fields", "stale_updates",
  "injected_failures", "refused", "GetFindings", "BatchUpdateFindings"}],
  "injected_failures_fired", "injected_failures_pending"}``:
  ``BatchImportFindings`` counts calls (refused ones too),
  ``findings_received`` the findings they carried, ``customer_fields_carried``
  the findings that carried ``Note``, ``UserDefinedFields``,
  ``VerificationState`` or ``Workflow`` for an existing finding (and
  ``customer_fields`` ``{field: n}`` which), ``stale_updates`` the updates
  ignored for their ``UpdatedAt``, ``injected_failures`` the
  ``fail_next`` failures that fired there, ``refused`` ``[{"code",
  "message", "findings"}]`` each import refused as a whole.
- ``POST /_emulated/securityhub/hub_off_form`` ``{"form"}``: how an
  import where the hub is not enabled is answered: ``"call"`` (the
  default: the whole call ``InvalidAccessException``, as the API reference
  lists it and as AWS answers in the field) or ``"findings"`` (HTTP 200,
  each finding in ``FailedFindings`` with ``ErrorCode`` ``InvalidAccess``,
  as the user guide's "BatchImportFindings for finding providers" words
  it). moto's reset sets it back to ``"call"``.
- ``POST /_emulated/securityhub/fail_next`` ``{"code", "message",
  "count"}`` (defaults ``InternalFailure``, "Internal service failure",
  1): the next ``count`` findings that reach the per-finding step of an
  import (any account-region) go to ``FailedFindings`` with that code and
  message and are not stored. Answers ``{"injected_failures_pending": n}``.

How it differs from AWS: synchronous (AWS may take minutes to show an
import or an update); no EventBridge events, insights, automation rules,
standards or controls (no control findings), cross-Region aggregation,
administrator/member views (an administrator's ``GetFindings`` sees only
its own account here) or partner products (``EnableImportFindingsForProduct``);
findings never expire (AWS deletes them 90 days after their last update);
``CompanyName``, ``ProductName`` and ``WorkflowState`` are only what the
provider sent; ``SUPPRESSED`` findings still take the provider's updates
(AWS's "The finding is no longer updated" says no more); no throttling
(AWS: 10 TPS, burst 30); the 240 KB and 6 MB limits are taken on the
request's compact JSON.

Usage: imported (its patches apply on import); as a launcher, the same
arguments as ``moto_server``.
"""

import copy
import hashlib
import json
import re
import sys
import threading
from datetime import datetime, timedelta, timezone

from emulator_control import ControlError, page_start, page_token, serve
from moto.moto_api._internal.models import MotoAPIBackend
from moto.securityhub import responses as securityhub_responses
from moto.securityhub import urls as securityhub_urls
from moto.securityhub.exceptions import SecurityHubClientError
from moto.securityhub.models import securityhub_backends
from moto.sts.models import sts_backends
from moto.utilities.utils import get_partition

LOCK = threading.RLock()
BATCH_MAX, FILTER_FIELDS_MAX, FILTER_VALUES_MAX, PAGE_MAX = 100, 10, 20, 100
FINDING_BYTES, BATCH_BYTES = 240 * 1024, 6 * 1024 * 1024
SCHEMA_VERSION = "2018-10-08"
CUSTOMER_FIELDS = ("Note", "UserDefinedFields", "VerificationState", "Workflow")
PROVIDER_FIELDS = ("Severity", "Types", "Confidence", "Criticality", "RelatedFindings")
LABELS = {"INFORMATIONAL": 0, "LOW": 1, "MEDIUM": 40, "HIGH": 70, "CRITICAL": 90}
WORKFLOW = ("NEW", "NOTIFIED", "RESOLVED", "SUPPRESSED")
RECORD = ("ACTIVE", "ARCHIVED")
VERIFICATION = ("UNKNOWN", "TRUE_POSITIVE", "FALSE_POSITIVE", "BENIGN_POSITIVE")
COMPLIANCE = ("PASSED", "WARNING", "FAILED", "NOT_AVAILABLE")
POSITIVE, NEGATIVE = ("EQUALS", "PREFIX", "CONTAINS"), ("NOT_EQUALS", "PREFIX_NOT_EQUALS", "NOT_CONTAINS")
TYPE = re.compile(r"[^/]+(/[^/]+){0,2}")
TIMESTAMP = re.compile(
    r"(\d{4})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):([0-5]\d):([0-5]\d)"
    r"(?:\.(\d{1,9}))?(Z|[+-]\d\d(?::?\d\d)?)")
FAIL_NEXT = {"code": "InternalFailure", "message": "Internal service failure", "pending": 0, "fired": 0}
# How a hub not enabled answers an import: the whole call (the API
# reference's InvalidAccessException), or each finding in FailedFindings
# with InvalidAccess (the user guide's words); ``hub_off_form`` sets it.
HUB_OFF_FORM = {"form": "call"}


def _error(code, message):
    return SecurityHubClientError(code, message)


def _not_subscribed(account):
    return _error("InvalidAccessException", f"Account {account} is not subscribed to AWS Security Hub")


def _invalid(message):
    return _error("InvalidInputException", message)


def _iso(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _parse_time(value):
    """An RFC 3339 timestamp as Security Hub takes it, or None."""
    m = TIMESTAMP.fullmatch(value) if isinstance(value, str) else None
    if m is None:
        return None
    year, month, day, hour, minute, second, fraction, zone = m.groups()
    offset = timedelta(0)
    if zone != "Z":
        digits = zone[1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:] or 0))
        if offset > timedelta(hours=18):
            return None
        offset = -offset if zone[0] == "-" else offset
    try:
        moment = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second),
                          tzinfo=timezone(offset))
    except ValueError:
        return None
    nanos = int((fraction or "0").ljust(9, "0"))
    return moment.astimezone(timezone.utc), nanos


class Hub:
    """One account-region's findings and what its callers did."""

    def __init__(self):
        self.findings = {}  # (ProductArn, Id) -> Stored
        self.seq = 0
        self.calls = {"BatchImportFindings": 0, "findings_received": 0, "customer_fields_carried": 0,
                      "customer_fields": {}, "stale_updates": 0, "injected_failures": 0, "refused": [],
                      "GetFindings": 0, "BatchUpdateFindings": 0}


class Stored:
    __slots__ = ("data", "customer_set", "seq")


def _hub(backend):
    found = backend.__dict__.get("_emulated_hub")
    if found is None:
        found = backend._emulated_hub = Hub()
    return found


def _caller_arn(self):
    """The assumed-role session ARN moto issued for the request's key, else
    the account's root."""
    backend = (sts_backends.get(self.current_account) or {}).get(get_partition(self.region))
    role = backend.get_assumed_role_from_access_key(self.get_access_key()) if backend else None
    if role is not None:
        return role.arn
    return f"arn:{get_partition(self.region)}:iam::{self.current_account}:root"


def _default_product(partition, region, account):
    return f"arn:{partition}:securityhub:{region}:{account}:product/{account}/default"


def _body(self):
    raw = self.body.decode() if isinstance(self.body, bytes) else (self.body or "")
    try:
        body = json.loads(raw) if raw.strip() else {}
    except json.JSONDecodeError:
        raise _invalid("The request body is not valid JSON.")
    if not isinstance(body, dict):
        raise _invalid("The request body must be a JSON object.")
    return body


def _answer(result):
    """A 200 with a JSON body, as AWS's REST-JSON answers (moto's own
    Security Hub answers ``text/html``)."""
    return 200, {"Content-Type": "application/json"}, json.dumps(result)


def _require_hub(self):
    if not self.securityhub_backend.enabled:
        raise _not_subscribed(self.current_account)


# ---- the ASFF check, worded as AWS's schema check words it --------------

class _Bad(Exception):
    pass


def _string(value, path, low=1, high=None):
    if not isinstance(value, str):
        raise _Bad(f"{path} should be string")
    if len(value) < low:
        raise _Bad(f"{path} should NOT be shorter than {low} characters")
    if high is not None and len(value) > high:
        raise _Bad(f"{path} should NOT be longer than {high} characters")
    if not value.strip():
        raise _Bad(f'{path} should match pattern ".*\\S.*"')


def _enum(value, path, allowed):
    if value not in allowed:
        raise _Bad(f"{path} should be equal to one of the allowed values")


def _ratio(value, path):
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Bad(f"{path} should be integer")
    if value < 0:
        raise _Bad(f"{path} should be >= 0")
    if value > 100:
        raise _Bad(f"{path} should be <= 100")


def _timestamp(value, path):
    _string(value, path)
    if _parse_time(value) is None:
        raise _Bad(f'{path} should match format "date-time"')


def _object(value, path):
    if not isinstance(value, dict):
        raise _Bad(f"{path} should be object")


def _array(value, path, low=0, high=None):
    if not isinstance(value, list):
        raise _Bad(f"{path} should be array")
    if len(value) < low:
        raise _Bad(f"{path} should NOT have fewer than {low} items")
    if high is not None and len(value) > high:
        raise _Bad(f"{path} should NOT have more than {high} items")


def _field_map(value, path, value_max):
    _object(value, path)
    if len(value) > 50:
        raise _Bad(f"{path} should NOT have more than 50 properties")
    for key, item in value.items():
        if len(key) > 128:
            raise _Bad(f"{path} property name '{key}' is invalid")
        _string(item, f"{path}['{key}']", high=value_max)


def _other(value, path):
    """``Resources[].Details.Other``: a ``FieldMap`` whose keys and values
    are ``NonEmptyString`` (``.*\\S.*``) as every ASFF string; an empty or
    blank value fails the pattern (values at most 1,024 characters)."""
    _object(value, path)
    for key, item in value.items():
        if not key.strip():
            raise _Bad(f"{path} property name '{key}' is invalid")
        _string(item, f"{path}['{key}']", low=0, high=1024)


def _severity(value, path):
    _object(value, path)
    if "Label" not in value and "Normalized" not in value:
        raise _Bad(f"{path} should have required property 'Label'")
    if "Label" in value:
        _enum(value["Label"], f"{path}.Label", LABELS)
    if "Normalized" in value:
        _ratio(value["Normalized"], f"{path}.Normalized")
    if "Original" in value:
        _string(value["Original"], f"{path}.Original", high=64)


def _types(value, path):
    _array(value, path, high=50)
    for i, t in enumerate(value):
        if not isinstance(t, str) or not TYPE.fullmatch(t):
            raise _Bad(f'{path}[{i}] should match pattern "^([^/]+)(/[^/]+){{0,2}}$"')


def _related(value, path):
    _array(value, path, high=10)
    for i, r in enumerate(value):
        _object(r, f"{path}[{i}]")
        for key in ("ProductArn", "Id"):
            if key not in r:
                raise _Bad(f"{path}[{i}] should have required property '{key}'")
            _string(r[key], f"{path}[{i}].{key}")


def _check_finding(f):
    """Raises _Bad with the first way ``f`` breaks the ASFF."""
    if not isinstance(f, dict):
        raise _Bad("data should be object")
    for key in ("AwsAccountId", "CreatedAt", "Description", "GeneratorId", "Id", "ProductArn",
                "Resources", "SchemaVersion", "Title", "UpdatedAt"):
        if key not in f:
            raise _Bad(f"data should have required property '{key}'")
    top = "Severity" in f and "Types" in f
    fpf = f.get("FindingProviderFields")
    provided = isinstance(fpf, dict) and "Severity" in fpf and "Types" in fpf
    if not top and not provided:
        if not isinstance(fpf, dict):
            reason = "data should have required property 'FindingProviderFields'"
        else:
            missing = "Severity" if "Severity" not in fpf else "Types"
            reason = f"data.FindingProviderFields should have required property '{missing}'"
        raise _Bad(f"{reason}, data should match some schema in anyOf")
    _enum(f["SchemaVersion"], "data.SchemaVersion", (SCHEMA_VERSION,))
    _string(f["Id"], "data.Id", high=512)
    _string(f["ProductArn"], "data.ProductArn", low=12, high=2048)
    _string(f["GeneratorId"], "data.GeneratorId", high=512)
    _string(f["AwsAccountId"], "data.AwsAccountId", low=12, high=12)
    if not f["AwsAccountId"].isdigit():
        raise _Bad('data.AwsAccountId should match pattern "^\\d{12}$"')
    for key in ("CreatedAt", "UpdatedAt", "FirstObservedAt", "LastObservedAt"):
        if key in f:
            _timestamp(f[key], f"data.{key}")
    _string(f["Title"], "data.Title", high=256)
    _string(f["Description"], "data.Description", high=1024)
    _array(f["Resources"], "data.Resources", low=1, high=32)
    for i, r in enumerate(f["Resources"]):
        path = f"data.Resources[{i}]"
        _object(r, path)
        for key in ("Type", "Id"):
            if key not in r:
                raise _Bad(f"{path} should have required property '{key}'")
        _string(r["Type"], f"{path}.Type", high=256)
        _string(r["Id"], f"{path}.Id")
        if "Details" in r:
            _object(r["Details"], f"{path}.Details")
            if "Other" in r["Details"]:
                _other(r["Details"]["Other"], f"{path}.Details.Other")
    for where, obj in (("data", f), ("data.FindingProviderFields", fpf if isinstance(fpf, dict) else None)):
        if obj is None:
            if fpf is not None:
                _object(fpf, "data.FindingProviderFields")
            continue
        if "Severity" in obj:
            _severity(obj["Severity"], f"{where}.Severity")
        if "Types" in obj:
            _types(obj["Types"], f"{where}.Types")
        for key in ("Confidence", "Criticality"):
            if key in obj:
                _ratio(obj[key], f"{where}.{key}")
        if "RelatedFindings" in obj:
            _related(obj["RelatedFindings"], f"{where}.RelatedFindings")
    if "Workflow" in f:
        _object(f["Workflow"], "data.Workflow")
        if "Status" in f["Workflow"]:
            _enum(f["Workflow"]["Status"], "data.Workflow.Status", WORKFLOW)
    if "RecordState" in f:
        _enum(f["RecordState"], "data.RecordState", RECORD)
    if "VerificationState" in f:
        _enum(f["VerificationState"], "data.VerificationState", VERIFICATION)
    if "Compliance" in f:
        _object(f["Compliance"], "data.Compliance")
        if "Status" in f["Compliance"]:
            _enum(f["Compliance"]["Status"], "data.Compliance.Status", COMPLIANCE)
    if "Note" in f:
        _object(f["Note"], "data.Note")
        for key in ("Text", "UpdatedBy", "UpdatedAt"):
            if key not in f["Note"]:
                raise _Bad(f"data.Note should have required property '{key}'")
        _string(f["Note"]["Text"], "data.Note.Text", high=512)
        _string(f["Note"]["UpdatedBy"], "data.Note.UpdatedBy")
        _timestamp(f["Note"]["UpdatedAt"], "data.Note.UpdatedAt")
    if "UserDefinedFields" in f:
        _field_map(f["UserDefinedFields"], "data.UserDefinedFields", 1024)
    if "ProductFields" in f:
        _field_map(f["ProductFields"], "data.ProductFields", 2048)


def _size(value):
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())


# ---- storing -------------------------------------------------------------

def _filled_severity(severity):
    """``Severity`` with its ``Label`` or ``Normalized`` filled from the other."""
    out = dict(severity)
    if "Label" in out and "Normalized" not in out:
        out["Normalized"] = LABELS[out["Label"]]
    elif "Normalized" in out and "Label" not in out:
        n = out["Normalized"]
        out["Label"] = ("INFORMATIONAL" if n == 0 else "LOW" if n < 40 else "MEDIUM" if n < 70
                        else "HIGH" if n < 90 else "CRITICAL")
    return out


def _provider_fields(finding, stored_fpf, customer_set, stored_top):
    """``FindingProviderFields`` and the top-level analogues after an import:
    the provider's values (its FindingProviderFields first, else its
    top-level ones, else what was stored) in both places, but a top-level
    field a customer set stays as the customer left it."""
    given = finding.get("FindingProviderFields") or {}
    fpf = {}
    for key in PROVIDER_FIELDS:
        if key in given:
            value = given[key]
        elif key in finding:
            value = finding[key]
        elif key in stored_fpf:
            value = stored_fpf[key]
        else:
            continue
        fpf[key] = _filled_severity(value) if key == "Severity" else copy.deepcopy(value)
    top = {}
    for key in PROVIDER_FIELDS:
        if key in customer_set and key in stored_top:
            top[key] = copy.deepcopy(stored_top[key])
        elif key in fpf:
            top[key] = copy.deepcopy(fpf[key])
    return fpf, top


def _reopened(old, new):
    """Whether ``new`` reopens ``old`` as API_Workflow.html says."""
    if old.get("RecordState") == "ARCHIVED" and new.get("RecordState") == "ACTIVE":
        return True
    before = (old.get("Compliance") or {}).get("Status")
    after = (new.get("Compliance") or {}).get("Status")
    return before == "PASSED" and after in ("WARNING", "FAILED", "NOT_AVAILABLE")


def _apply(hub, finding, region, now):
    """Stores ``finding``; False when it is an update not later than the stored one."""
    key = (finding["ProductArn"], finding["Id"])
    old = hub.findings.get(key)
    data = copy.deepcopy(finding)
    if old is None:
        fpf, top = _provider_fields(finding, {}, set(), {})
        for field, value in top.items():
            data.setdefault(field, value)
        if "Severity" in data:
            data["Severity"] = _filled_severity(data["Severity"])
        data["FindingProviderFields"] = {**(finding.get("FindingProviderFields") or {}), **fpf}
        data.setdefault("Workflow", {})
        data["Workflow"].setdefault("Status", "NEW")
        data.setdefault("RecordState", "ACTIVE")
        s = Stored()
        s.customer_set, s.seq = set(), hub.seq
        hub.seq += 1
    else:
        s = old
        if _parse_time(finding["UpdatedAt"]) <= _parse_time(s.data["UpdatedAt"]):
            return False
        for field in CUSTOMER_FIELDS:
            data.pop(field, None)
            if field in s.data:
                data[field] = copy.deepcopy(s.data[field])
        for field in PROVIDER_FIELDS:
            data.pop(field, None)
        data.setdefault("RecordState", s.data.get("RecordState", "ACTIVE"))
        fpf, top = _provider_fields(finding, s.data.get("FindingProviderFields") or {}, s.customer_set, s.data)
        data.update(top)
        data["FindingProviderFields"] = {**(finding.get("FindingProviderFields") or {}), **fpf}
        workflow = data.setdefault("Workflow", {"Status": "NEW"})
        if workflow.get("Status") in ("NOTIFIED", "RESOLVED") and _reopened(s.data, data):
            workflow["Status"] = "NEW"
    data["Region"] = region
    data["ProcessedAt"] = now
    s.data = data
    hub.findings[key] = s
    return True


# ---- the operations ------------------------------------------------------

def enable_security_hub(self):
    body = _body(self)
    backend = self.securityhub_backend
    with LOCK:
        if backend.enabled:
            raise _error("ResourceConflictException", "Account is already subscribed to Security Hub")
        backend.enable_security_hub(enable_default_standards=body.get("EnableDefaultStandards", True),
                                    tags=body.get("Tags") or {})
    return _answer({})


def disable_security_hub(self):
    backend = self.securityhub_backend
    with LOCK:
        _require_hub(self)
        backend.enabled, backend.enabled_at = False, None
    return _answer({})


_describe_hub = securityhub_responses.SecurityHubResponse.describe_hub


def describe_hub(self):
    _require_hub(self)
    return _answer(json.loads(_describe_hub(self)))


def _refuse(hub, error, findings):
    hub.calls["refused"].append({"code": error.code, "message": error.message, "findings": findings})
    return error


def batch_import_findings(self):
    account, region = self.current_account, self.region
    with LOCK:
        hub = _hub(self.securityhub_backend)
        hub.calls["BatchImportFindings"] += 1
        try:
            body = _body(self)
        except SecurityHubClientError as e:
            raise _refuse(hub, e, 0)
        findings = body.get("Findings")
        count = len(findings) if isinstance(findings, list) else 0
        hub.calls["findings_received"] += count
        if not isinstance(findings, list) or not 1 <= count <= BATCH_MAX:
            raise _refuse(hub, _invalid(
                "1 validation error detected: Value at 'findings' failed to satisfy constraint: "
                f"Member must have length between 1 and {BATCH_MAX}"), count)
        if _size(body) > BATCH_BYTES:
            raise _refuse(hub, _invalid("The request is larger than 6 MB."), count)
        product = _default_product(get_partition(region), region, account)
        for f in findings:
            if not isinstance(f, dict):
                continue
            arn, owner = f.get("ProductArn"), f.get("AwsAccountId")
            if (isinstance(arn, str) and arn != product) or (isinstance(owner, str) and owner != account):
                resource = arn if isinstance(arn, str) else product
                raise _refuse(hub, _error(
                    "AccessDeniedException",
                    f"User: {_caller_arn(self)} is not authorized to perform: "
                    f"securityhub:BatchImportFindings on resource: {resource}"), count)
        if not self.securityhub_backend.enabled:
            if HUB_OFF_FORM["form"] == "findings":
                said = f"Account {account} is not subscribed to AWS Security Hub"
                failed = [{"Id": f.get("Id") if isinstance(f, dict) else "", "ErrorCode": "InvalidAccess",
                           "ErrorMessage": said} for f in findings]
                return _answer({"FailedCount": len(failed), "SuccessCount": 0, "FailedFindings": failed})
            raise _refuse(hub, _not_subscribed(account), count)
        failed, succeeded, now = [], 0, _iso(datetime.now(timezone.utc))
        for f in findings:
            fid = f.get("Id") if isinstance(f, dict) and isinstance(f.get("Id"), str) else ""
            if isinstance(f, dict) and (f.get("ProductArn"), fid) in hub.findings:
                carried = [k for k in CUSTOMER_FIELDS if k in f]
                if carried:
                    hub.calls["customer_fields_carried"] += 1
                    for k in carried:
                        hub.calls["customer_fields"][k] = hub.calls["customer_fields"].get(k, 0) + 1
            if FAIL_NEXT["pending"] > 0:
                FAIL_NEXT["pending"] -= 1
                FAIL_NEXT["fired"] += 1
                hub.calls["injected_failures"] += 1
                failed.append({"Id": fid, "ErrorCode": FAIL_NEXT["code"], "ErrorMessage": FAIL_NEXT["message"]})
                continue
            if _size(f) > FINDING_BYTES:
                failed.append({"Id": fid, "ErrorCode": "FindingSizeExceeded",
                               "ErrorMessage": "Finding size exceeded 240 KB"})
                continue
            try:
                _check_finding(f)
            except _Bad as e:
                failed.append({"Id": fid, "ErrorCode": "InvalidInput",
                               "ErrorMessage": f"Finding does not adhere to Amazon Finding Format. {e}."})
                continue
            if not _apply(hub, f, region, now):
                hub.calls["stale_updates"] += 1
            succeeded += 1
    return _answer({"FailedCount": len(failed), "SuccessCount": succeeded, "FailedFindings": failed})


def _values(data, name):
    """The values of filter attribute ``name`` in a stored finding (a list)."""
    resources = data.get("Resources") or []
    simple = {
        "Id": "Id", "AwsAccountId": "AwsAccountId", "AwsAccountName": "AwsAccountName", "Region": "Region",
        "ProductArn": "ProductArn", "ProductName": "ProductName", "CompanyName": "CompanyName",
        "GeneratorId": "GeneratorId", "Title": "Title", "Description": "Description", "SourceUrl": "SourceUrl",
        "RecordState": "RecordState", "VerificationState": "VerificationState", "WorkflowState": "WorkflowState",
    }
    if name in simple:
        value = data.get(simple[name])
        return [value] if isinstance(value, str) else []
    nested = {"SeverityLabel": ("Severity", "Label"), "ComplianceStatus": ("Compliance", "Status"),
              "ComplianceSecurityControlId": ("Compliance", "SecurityControlId"),
              "WorkflowStatus": ("Workflow", "Status")}
    if name in nested:
        outer, inner = nested[name]
        value = (data.get(outer) or {}).get(inner)
        return [value] if isinstance(value, str) else []
    if name == "Type":
        return [t for t in data.get("Types") or [] if isinstance(t, str)]
    field = {"ResourceType": "Type", "ResourceId": "Id", "ResourcePartition": "Partition",
             "ResourceRegion": "Region"}[name]
    return [r[field] for r in resources if isinstance(r, dict) and isinstance(r.get(field), str)]


FILTERABLE = ("Id", "AwsAccountId", "AwsAccountName", "Region", "ProductArn", "ProductName", "CompanyName",
              "GeneratorId", "Title", "Description", "SourceUrl", "Type", "SeverityLabel", "RecordState",
              "ComplianceStatus", "ComplianceSecurityControlId", "WorkflowStatus", "WorkflowState",
              "VerificationState", "ResourceType", "ResourceId", "ResourcePartition", "ResourceRegion")


def _compare(comparison, value, wanted):
    if comparison in ("EQUALS", "NOT_EQUALS"):
        return value == wanted
    if comparison in ("PREFIX", "PREFIX_NOT_EQUALS"):
        return value.startswith(wanted)
    return wanted in value


def _filters(raw):
    """Each filter attribute a test on a stored finding's data."""
    if raw is None:
        return []
    if not isinstance(raw, dict):
        raise _invalid("Filters must be an object.")
    if len(raw) > FILTER_FIELDS_MAX:
        raise _invalid(f"You can filter by up to {FILTER_FIELDS_MAX} finding attributes.")
    tests = []
    for name, conditions in raw.items():
        if name not in FILTERABLE:
            raise _invalid(f"The filter {name} is not emulated by the tests' local Security Hub.")
        if not isinstance(conditions, list) or len(conditions) > FILTER_VALUES_MAX:
            raise _invalid(f"You can provide up to {FILTER_VALUES_MAX} filter values for {name}.")
        kinds = set()
        for c in conditions:
            comparison, value = (c or {}).get("Comparison"), (c or {}).get("Value")
            if comparison not in POSITIVE + NEGATIVE:
                raise _invalid(f"Invalid Comparison {comparison} for filter {name}.")
            if not isinstance(value, str) or not value.strip():
                raise _invalid(f"Invalid Value for filter {name}.")
            kinds.add(comparison)
        if "EQUALS" in kinds and kinds & {"NOT_EQUALS", "PREFIX_NOT_EQUALS"}:
            raise _invalid(f"You can't provide both an EQUALS filter and a NOT_EQUALS or PREFIX_NOT_EQUALS "
                           f"filter on the same field: {name}.")
        for lone in ("CONTAINS", "NOT_CONTAINS"):
            if lone in kinds and len(kinds) > 1:
                raise _invalid(f"{lone} filters can only be used with other {lone} filters: {name}.")
        positive = [(c["Comparison"], c["Value"]) for c in conditions if c["Comparison"] in POSITIVE]
        negative = [(c["Comparison"], c["Value"]) for c in conditions if c["Comparison"] in NEGATIVE]

        def test(data, name=name, positive=positive, negative=negative):
            values = _values(data, name)
            if positive and not any(_compare(k, v, w) for k, w in positive for v in values):
                return False
            return not any(_compare(k, v, w) for k, w in negative for v in values)
        tests.append(test)
    return tests


def _sorted(stored, criteria):
    order = sorted(stored, key=lambda s: hashlib.sha256(str(s.seq).encode()).hexdigest())
    if criteria is None:
        return order
    if not isinstance(criteria, list):
        raise _invalid("SortCriteria must be a list.")
    for c in reversed(criteria):
        field, direction = (c or {}).get("Field"), (c or {}).get("SortOrder", "asc")
        if field not in FILTERABLE:
            raise _invalid(f"Sorting by {field} is not emulated by the tests' local Security Hub.")
        if direction not in ("asc", "desc"):
            raise _invalid(f"Invalid SortOrder {direction}.")
        order.sort(key=lambda s, f=field: (_values(s.data, f) or [""])[0], reverse=direction == "desc")
    return order


def _position(token, scope):
    start = page_start(token, scope)
    if start is None:
        raise _invalid("The NextToken provided is not valid.")
    return start


def get_findings(self):
    body = _body(self)
    with LOCK:
        hub = _hub(self.securityhub_backend)
        hub.calls["GetFindings"] += 1
        _require_hub(self)
        size = body.get("MaxResults", PAGE_MAX)
        if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= PAGE_MAX:
            raise _invalid("1 validation error detected: Value at 'maxResults' failed to satisfy constraint: "
                           f"Member must have value between 1 and {PAGE_MAX}")
        tests = _filters(body.get("Filters"))
        scope = "|".join([self.current_account, self.region, json.dumps(body.get("Filters"), sort_keys=True),
                          json.dumps(body.get("SortCriteria"), sort_keys=True)])
        start = _position(body.get("NextToken"), scope)
        matches = [s for s in _sorted(hub.findings.values(), body.get("SortCriteria"))
                   if all(t(s.data) for t in tests)]
        page = [copy.deepcopy(s.data) for s in matches[start:start + size]]
    result = {"Findings": page}
    if start + size < len(matches):
        result["NextToken"] = page_token(scope, start + size)
    return _answer(result)


def _check_update(body):
    """The customer's fields of a BatchUpdateFindings request, as the model
    constrains them; InvalidInputException otherwise."""
    ids = body.get("FindingIdentifiers")
    if not isinstance(ids, list) or not 1 <= len(ids) <= BATCH_MAX:
        raise _invalid("1 validation error detected: Value at 'findingIdentifiers' failed to satisfy "
                       f"constraint: Member must have length between 1 and {BATCH_MAX}")
    for i in ids:
        if not isinstance(i, dict) or not all(isinstance(i.get(k), str) and i[k].strip() for k in ("Id", "ProductArn")):
            raise _invalid("Each FindingIdentifier needs an Id and a ProductArn.")
    try:
        if "Workflow" in body:
            _object(body["Workflow"], "Workflow")
            if "Status" in body["Workflow"]:
                _enum(body["Workflow"]["Status"], "Workflow.Status", WORKFLOW)
        if "VerificationState" in body:
            _enum(body["VerificationState"], "VerificationState", VERIFICATION)
        if "Note" in body:
            _object(body["Note"], "Note")
            for key in ("Text", "UpdatedBy"):
                if key not in body["Note"]:
                    raise _Bad(f"Note should have required property '{key}'")
            _string(body["Note"]["Text"], "Note.Text", high=512)
            _string(body["Note"]["UpdatedBy"], "Note.UpdatedBy")
        if "UserDefinedFields" in body:
            _field_map(body["UserDefinedFields"], "UserDefinedFields", 1024)
        if "Severity" in body:
            _severity(body["Severity"], "Severity")
        for key in ("Confidence", "Criticality"):
            if key in body:
                _ratio(body[key], key)
        if "Types" in body:
            _types(body["Types"], "Types")
        if "RelatedFindings" in body:
            _related(body["RelatedFindings"], "RelatedFindings")
    except _Bad as e:
        raise _invalid(f"Invalid input: {e}.")
    return ids


def batch_update_findings(self):
    body = _body(self)
    with LOCK:
        hub = _hub(self.securityhub_backend)
        hub.calls["BatchUpdateFindings"] += 1
        _require_hub(self)
        ids = _check_update(body)
        keys = [(i["ProductArn"], i["Id"]) for i in ids]
        now = _iso(datetime.now(timezone.utc))
        processed, unprocessed = [], []
        for ident, key in zip(ids, keys):
            identifier = {"Id": ident["Id"], "ProductArn": ident["ProductArn"]}
            if keys.count(key) > 1:
                unprocessed.append({"FindingIdentifier": identifier, "ErrorCode": "DuplicatedFindingIdentifier",
                                    "ErrorMessage": "Finding Identifier is duplicated"})
                continue
            s = hub.findings.get(key)
            if s is None:
                unprocessed.append({"FindingIdentifier": identifier, "ErrorCode": "FindingNotFound",
                                    "ErrorMessage": "Finding Not Found"})
                continue
            if "Workflow" in body and "Status" in body["Workflow"]:
                s.data.setdefault("Workflow", {})["Status"] = body["Workflow"]["Status"]
            if "Note" in body:
                s.data["Note"] = {"Text": body["Note"]["Text"], "UpdatedBy": body["Note"]["UpdatedBy"],
                                  "UpdatedAt": now}
            for key_ in ("UserDefinedFields", "VerificationState"):
                if key_ in body:
                    s.data[key_] = copy.deepcopy(body[key_])
            for key_ in PROVIDER_FIELDS:
                if key_ in body:
                    value = body[key_]
                    s.data[key_] = _filled_severity(value) if key_ == "Severity" else copy.deepcopy(value)
                    s.customer_set.add(key_)
            processed.append(identifier)
    return _answer({"ProcessedFindings": processed, "UnprocessedFindings": unprocessed})


# ---- control endpoints ---------------------------------------------------

def _where(body):
    account, region = body.get("account"), body.get("region")
    if not isinstance(account, str) or not re.fullmatch(r"\d{12}", account) or not isinstance(region, str) \
            or not region:
        raise ControlError("account (12 digits) and region are required")
    if region not in securityhub_backends[account]:
        raise ControlError(f"Security Hub has no region {region}")
    return account, region


def _enable(body):
    account, region = _where(body)
    backend = securityhub_backends[account][region]
    with LOCK:
        if not backend.enabled:
            backend.enable_security_hub()
    return {"account": account, "region": region, "enabled": True}


def _disable(body):
    account, region = _where(body)
    backend = securityhub_backends[account][region]
    with LOCK:
        backend.enabled, backend.enabled_at = False, None
    return {"account": account, "region": region, "enabled": False}


def _hubs():
    """(account, region, Hub) of every account-region the emulation has seen."""
    out = []
    for account, regions in list(securityhub_backends.items()):
        for region, backend in list(regions.items()):
            hub = backend.__dict__.get("_emulated_hub")
            if hub is not None:
                out.append((account, region, hub))
    return out


def _findings(body):
    with LOCK:
        return {"findings": [{"account": a, "region": r, "finding": copy.deepcopy(s.data)}
                             for a, r, hub in _hubs() for s in sorted(hub.findings.values(), key=lambda s: s.seq)]}


def _calls(body):
    with LOCK:
        return {"account_regions": [{"account": a, "region": r, **copy.deepcopy(hub.calls)} for a, r, hub in _hubs()],
                "injected_failures_fired": FAIL_NEXT["fired"],
                "injected_failures_pending": FAIL_NEXT["pending"]}


def _fail_next(body):
    count = body.get("count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise ControlError("count must be a whole number")
    code, message = body.get("code", "InternalFailure"), body.get("message", "Internal service failure")
    if not isinstance(code, str) or not code or not isinstance(message, str) or not message:
        raise ControlError("code and message must be non-empty strings")
    with LOCK:
        FAIL_NEXT.update(code=code, message=message, pending=count)
        return {"injected_failures_pending": count}


def _hub_off_form(body):
    form = body.get("form")
    if form not in ("call", "findings"):
        raise ControlError('form must be "call" or "findings"')
    with LOCK:
        HUB_OFF_FORM["form"] = form
        return {"form": form}


ROUTES = {
    ("POST", "/_emulated/securityhub/enable"): _enable,
    ("POST", "/_emulated/securityhub/disable"): _disable,
    ("GET", "/_emulated/securityhub/findings"): _findings,
    ("GET", "/_emulated/securityhub/calls"): _calls,
    ("POST", "/_emulated/securityhub/fail_next"): _fail_next,
    ("POST", "/_emulated/securityhub/hub_off_form"): _hub_off_form,
}

_moto_api_reset = MotoAPIBackend.reset


def _reset(self):
    """moto's reset, which drops the backends (and so every hub), and the
    injected failures still pending."""
    _moto_api_reset(self)
    with LOCK:
        FAIL_NEXT.update(code="InternalFailure", message="Internal service failure", pending=0, fired=0)
        HUB_OFF_FORM["form"] = "call"


if not getattr(securityhub_responses.SecurityHubResponse, "_runas_guard_securityhub", False):
    response = securityhub_responses.SecurityHubResponse
    response.enable_security_hub = enable_security_hub
    response.disable_security_hub = disable_security_hub
    response.describe_hub = describe_hub
    response.batch_import_findings = batch_import_findings
    response.get_findings = get_findings
    response.batch_update_findings = batch_update_findings
    response._runas_guard_securityhub = True
    # moto routes no PATCH /findings/batchupdate; its app is built on the
    # first Security Hub request, after this.
    securityhub_urls.url_paths["{0}/findings/batchupdate$"] = response.dispatch
    MotoAPIBackend.reset = _reset
    serve("/_emulated/securityhub", ROUTES)

if __name__ == "__main__":
    from moto.server import main

    sys.exit(main(sys.argv[1:]))

"""moto server with SSM State Manager associations, which moto 5.2.5 lacks
entirely, and a small fleet of managed nodes for them to run on (and for
``DescribeInstanceInformation`` to list), EMULATED for the integration tests
(tests/nodes.rs). Never used by product code, which talks to it as to AWS.
It also carries the patches of ``moto_ssm_versions.py`` (imported below), so
a test can use both.

Operations, modelled on the AWS API model (botocore ``ssm/2014-11-06``, JSON
1.1, ``X-Amz-Target: AmazonSSM.<Op>``), per account (the caller's, as moto
derives it from the credentials) and region, stored on moto's SSM backend of
that account-region (so moto's reset clears them too):

- ``CreateAssociation``: ``Name`` (a document name, or its ARN: another
  account's document only when shared with the caller, as
  ``ModifyDocumentPermission`` records it), ``DocumentVersion`` (default
  ``$DEFAULT``), ``Parameters``, ``Targets``, ``InstanceId`` (legacy),
  ``ScheduleExpression``, ``AssociationName``, ``ComplianceSeverity``,
  ``MaxConcurrency``, ``MaxErrors``, ``ApplyOnlyAtCronInterval``,
  ``SyncCompliance`` (checked against the model's patterns and enums);
  ``MaxErrors`` stops a run (below), ``CalendarNames`` keep it from running
  while a calendar is closed (below); ``OutputLocation``,
  ``TargetLocations``, ``ScheduleOffset``, ``Duration``,
  ``TargetMaps``, ``AlarmConfiguration``, ``AutomationTargetParameterName`` and
  ``AssociationDispatchAssumeRole`` are stored and echoed, not acted on;
  ``Tags`` are stored as the association's tags (below; never echoed: the
  model's ``AssociationDescription`` has no tags). Answers
  ``AssociationDescription`` with a
  new uuid ``AssociationId``, ``AssociationVersion`` "1", ``Date``,
  ``LastUpdateAssociationDate`` and ``Overview`` ``{Status: Pending,
  DetailedStatus: Creating}``.
- ``DescribeAssociation``: by ``AssociationId``, or ``Name`` + ``InstanceId``
  (legacy associations only, as AWS documents); ``AssociationVersion`` picks
  an older version's fields. ``Overview`` is computed from the newest run:
  ``Status`` ``Pending`` before any node has run it, ``Failed`` when any node
  failed, else ``Success``; ``DetailedStatus`` the same;
  ``AssociationStatusAggregatedCount`` e.g. ``{"Success": 3, "Failed": 1}``.
  ``LastExecutionDate`` / ``LastSuccessfulExecutionDate`` follow the runs.
- ``UpdateAssociation``: ``AssociationId`` required; ``AssociationVersion`` is
  concurrency control (given and not ``$LATEST``, it must be the latest
  version); every accepted update adds a version. As AWS documents, every
  optional field the request leaves out is overwritten with null (so a
  required ``User`` left out is ``InvalidParameters``); only ``Name``,
  ``Targets`` (and a legacy ``InstanceId``) are kept, and ``DocumentVersion``
  left out is ``$DEFAULT``. Parameters are validated against the (possibly
  new) document as on create. An association at its version limit (1,000,
  "Each association has a limit of 1,000 versions"; the environment variable
  ``RUNAS_GUARD_TEST_ASSOCIATION_VERSION_LIMIT`` lowers it for tests) refuses
  the update with ``AssociationVersionLimitExceeded``.
- ``DeleteAssociation``: by ``AssociationId``, or ``Name`` + ``InstanceId``;
  its tags go with it.
- ``ListAssociations``: ``AssociationFilterList`` keys ``Name``,
  ``AssociationId``, ``AssociationName``, ``InstanceId`` (legacy associations
  only), ``AssociationStatusName``, ``LastExecutedBefore`` /
  ``LastExecutedAfter`` (ISO 8601 or epoch seconds), all exact matches ANDed;
  ``ResourceGroupName`` and ``CloudConnectorId`` match nothing (no
  association here can target a resource group); ``MaxResults`` 1..50
  (default 50), ``NextToken``. Entries are the model's ``Association`` shape,
  which has no ``Parameters``; oldest association first.
- ``DescribeAssociationExecutions``: ``Filters`` ``ExecutionId`` / ``Status``
  (``EQUAL``), ``CreatedTime`` (``EQUAL``, ``LESS_THAN``, ``GREATER_THAN``;
  ISO 8601 or epoch seconds; times are kept to the millisecond, as they are
  serialized, so a time read back compares exactly); in no meaningful order
  (AWS promises none: here a fixed scramble of the runs' sequence, the same
  on every server, so the newest is first only by chance; ``CreatedTime``
  says which is newest); a run held in
  progress is ``InProgress``;
  ``ResourceCountByStatus`` rendered as AWS does, e.g.
  ``"{Failed=1, Success=3}"``.
- ``DescribeAssociationExecutionTargets``: ``Filters`` ``Status``,
  ``ResourceId``, ``ResourceType`` (``ManagedInstance``); nodes in fleet order.
  Status and ResourceId filters are indexed, so paging through 5,000 targets
  costs what the pages cost.
- ``DescribeInstanceInformation``: the fleet's nodes of the caller's
  account-region, in fleet order. ``Filters``
  (``InstanceInformationStringFilter``: ``InstanceIds``, ``AgentVersion``,
  ``PingStatus``, ``PlatformTypes``, ``ResourceType``, ``AssociationStatus``,
  ``ActivationIds``, ``IamRole``, ``SourceIds``, ``SourceTypes``,
  ``tag:<key>``, ``tag-key``) or the legacy
  ``InstanceInformationFilterList`` (``key`` / ``valueSet``, the model's
  eight-key enum, no tags): values of one filter ORed, filters ANDed.
  ``MaxResults`` 5..50 (default 10), ``NextToken``. Each entry:
  ``InstanceId``, ``PingStatus`` ``Online``, ``LastPingDateTime`` (the time of
  the call), ``AgentVersion`` (the node's ``agent_version``, default
  ``3.3.3572.0``), ``PlatformType``, ``PlatformName`` / ``PlatformVersion``
  (``Amazon Linux`` 2023, ``macOS`` 14.5, ``Microsoft Windows Server 2022
  Datacenter`` 10.0.20348), ``ResourceType`` (``EC2Instance`` for ``i-``,
  ``ManagedInstance`` for ``mi-``, which also get ``RegistrationDate``: when
  the fleet was set), ``SourceId`` / ``SourceType``; for a node an
  association has run on, ``AssociationStatus`` (``Failed`` if its newest
  outcome under any association failed, timed out or was undeliverable,
  else ``Success``),
  ``AssociationOverview``, ``LastAssociationExecutionDate`` and
  ``LastSuccessfulAssociationExecutionDate``.
- ``DescribeInstanceAssociationsStatus``: ``InstanceId`` (required; a node
  of the account-region, else ``InvalidInstanceId``), ``MaxResults`` 1..50,
  ``NextToken``. Per association whose newest run reached the node and has
  its report: ``AssociationId``, ``Name``, ``DocumentVersion``,
  ``AssociationVersion``, ``InstanceId``, ``ExecutionDate``, ``Status`` and
  ``DetailedStatus`` (``Success``, ``Failed``, ``TimedOut``,
  ``Undeliverable``), ``ErrorCode``, ``ExecutionSummary`` (the agent's, see
  moto_ssm_agent.py; none for an undeliverable run), ``AssociationName``.
- Tags of associations: ``AddTagsToResource``, ``RemoveTagsFromResource`` and
  ``ListTagsForResource`` with ``ResourceType`` ``Association`` and
  ``ResourceId`` the association id (of the caller's account-region, else
  ``InvalidResourceId``); every other ``ResourceType`` (``Document``,
  ``Parameter``, ...) is moto's own handling, unchanged and not counted
  below. A tag is the model's ``Tag``: ``Key`` 1..128 and ``Value`` 0..256
  characters of ``^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$`` (letters, separators,
  numbers by Unicode category, and ``_.:/=+-@``), both required; a
  ``TagList`` holds at most 1,000. ``AddTagsToResource`` adds the tags and
  overwrites the value of a key already there; ``RemoveTagsFromResource``
  removes the ``TagKeys`` (a key the association does not carry is no
  error); ``ListTagsForResource`` answers ``TagList`` ``[{Key, Value}]``
  sorted by key (AWS promises no order). An association carries at most 50
  tags (``TooManyTagsError``, on ``CreateAssociation`` and on an
  ``AddTagsToResource`` that would pass 50 counting the keys it already has;
  nothing is changed). Tags are not versioned: ``UpdateAssociation`` leaves
  them as they are.

Errors as the model names them, shaped like moto's other SSM errors (JSON
``__type`` + ``Message``, HTTP 400): ``InvalidDocument`` (no such document in
the account-region, not shared with the caller, or not of type ``Command``),
``InvalidDocumentVersion``, ``InvalidParameters`` (a parameter the document's
``parameters`` does not declare, a required one (no ``default``) missing, a
value outside its ``allowedPattern`` / ``allowedValues``, several values for
a ``String``), ``InvalidTarget`` (target keys ``InstanceIds`` with ``["*"]``
or instance ids, ``tag:<key>``, ``tag-key``; anything else, an empty value
list, or ``*`` mixed with ids), ``InvalidInstanceId`` (legacy ``InstanceId``
not in the fleet), ``InvalidSchedule`` (``rate(N minutes|hours|days)`` of at
least 30 minutes, or ``cron(...)``), ``AssociationAlreadyExists`` (legacy
form only: same document and ``InstanceId``), ``AssociationDoesNotExist``,
``InvalidAssociationVersion``, ``AssociationExecutionDoesNotExist``,
``InvalidNextToken`` (a token this server did not give for this very
listing), ``ValidationException`` (a missing required field, a value outside
the model's pattern, enum or range, an unknown filter key where the model
enumerates the keys). ``DescribeInstanceInformation`` adds
``InvalidFilterKey`` (a ``Filters`` key that is not one of those above; a tag
filter beside another kind, which AWS documents as refused; both
``Filters`` and ``InstanceInformationFilterList`` non-empty),
``InvalidInstanceInformationFilterValue`` (a value outside what AWS documents
for ``PingStatus``, ``PlatformTypes``, ``ResourceType``, ``AssociationStatus``,
``SourceTypes``; more than one ``ResourceType``, as AWS answers) and
``InvalidInstanceId`` (an ``InstanceIds`` value that is not an instance id).
Tags add ``InvalidTag`` (``CreateAssociation``, the one operation whose
errors the model gives it: a key starting with ``aws:`` in any case, which
AWS reserves), ``TooManyTagsError`` (above; the model lists it for
``AddTagsToResource`` only and documents no other for too many tags on
create, so it is the answer there too) and ``InvalidResourceId``;
``ValidationException`` for a length or pattern outside the model's, a
missing ``Key``, ``Value``, ``ResourceId``, ``Tags`` or ``TagKeys``, a key
given twice in one request (AWS documents no answer for that), and an
``aws:`` key in ``AddTagsToResource`` or ``RemoveTagsFromResource`` (the
model gives them no ``InvalidTag``; AWS's answer is undocumented).

Runs. An association runs at once when created, and when an update changes
``Parameters``, ``Targets``, ``Name`` or ``DocumentVersion`` (as AWS does),
unless ``ApplyOnlyAtCronInterval`` is true; and whenever a test calls
``/_emulated/ssm/run`` (State Manager's schedule, now). A run is one new
execution over the association's current targets: ``InstanceIds ["*"]`` =
every node of the account-region, else the listed ids that are nodes;
``tag:K`` = nodes whose tag K is one of the values; ``tag-key`` = nodes
carrying one of the keys; several targets are ANDed. On each node:

- steps apply whose ``precondition`` (``{"StringEquals": ["platformType",
  P]}``) names the node's platform, and whose action runs on it
  (``aws:runShellScript`` on Linux and MacOS, ``aws:runPowerShellScript`` on
  Windows); a node no step applies to skips: ``Success``. So a Linux/MacOS
  check document succeeds on every Windows node.
- the node's agent runs each applicable ``aws:runShellScript`` step of a
  document that declares a ``User`` parameter as its version would
  (moto_ssm_agent.py, whose header says what is modelled): ``{{User}}``
  substituted into the text by every agent, ``SSM_User`` set only by agents
  3.3.2746.0 and later for ``interpolationType: ENV_VAR``, the script run by
  ``sh`` with a stand-in ``id`` that knows the node's ``users``. So a script
  that reads only ``$SSM_User`` (the shipped check does) fails on an older
  agent whatever users the node has, and exit codes and stderr are the
  script's own. The outcome is
  ``Success`` / ``Failed`` (a step exited non-zero), or ``TimedOut`` /
  ``Undeliverable`` for nodes the fleet marks so; each node's report (with
  the agent's execution summary) is read with
  ``DescribeInstanceAssociationsStatus``. Steps of other documents (no
  ``User`` parameter), and other actions, succeed without running.
- a document deleted since the association was made fails on every node.
- ``MaxErrors`` (N, or N% of the targets): once more nodes failed than it
  allows, no further node is sent the run (AWS: "the stop command is sent
  when the fourth error is returned" for 3); those nodes have no outcome in
  that execution.
- ``CalendarNames``: while any named calendar is ``CLOSED`` (set through
  ``/_emulated/ssm/calendar``; a calendar never set is open) the association
  does not run at all: no execution, the last outcomes stand.

Test-only control endpoints (NOT part of the SSM API; plain JSON over HTTP
on the server's port, unsigned; errors are HTTP 400 ``{"error": "..."}``):

- ``POST /_emulated/ssm/fleet`` ``{"account": "123456789012", "region":
  "eu-west-1", "nodes": [{"id": "i-0123456789abcdef0", "platform":
  "Linux"|"MacOS"|"Windows", "users": ["ec2-user", "ssm-ops"], "tags":
  {"Role": "web"}, "agent_version": "3.3.987.0", "outcome": "timeout"}]}``
  replaces that account-region's managed nodes (``platform`` defaults to
  Linux, ``users`` and ``tags`` to none, ``agent_version`` to 3.3.3572.0,
  ``outcome`` to none: the run goes as the agent makes it; ``timeout`` or
  ``undeliverable`` make every run on that node so). Add ``"count": N``
  (with optional ``"users"``, ``"platform"``, ``"tags"``, ``"agent_version"``
  and ``"prefix"``, default ``"i-0"``) to generate N more nodes, ids the prefix
  then a hex counter to ``i-`` + 17 hex. ``"sparse_pages": true`` makes
  ``DescribeInstanceInformation`` there filter each page after taking it (a
  page is the next ``MaxResults`` nodes, those that match answered), as AWS
  was seen answering a tag-filtered listing: pages shorter than
  ``MaxResults``, even empty, with a ``NextToken`` (aws/aws-cli#2626).
  Answers ``{"account", "region", "nodes": <how many>}``. Node ids: ``i-``
  + 8 or 17 word characters, or ``mi-`` + 17 (the model's ``InstanceId``).
- ``POST /_emulated/ssm/run`` ``{"account": ..., "region": ...}`` (both
  optional: no region = every region of the account, no account = every
  account) runs every association there once (not one a closed calendar
  holds). Add ``"in_progress": K`` to leave each run in progress: its first K
  nodes (fleet order) have reported, the others are ``Pending``, the
  execution is ``InProgress`` and the association's ``Overview`` is
  ``{Status: Pending, DetailedStatus: InProgress,
  AssociationStatusAggregatedCount: {"Pending": .., ...}}`` (AWS counts each
  node's latest status, which is Pending while its run is under way). Answers
  ``{"executions": [{"account", "region", "AssociationId", "ExecutionId",
  "Status", "ResourceCountByStatus"}]}``.
- ``POST /_emulated/ssm/run/finish`` ``{"account": ..., "region": ...}``
  (both optional): every run held in progress there reports its remaining
  nodes. Answers ``{"finished": <runs finished>}``.
- ``POST /_emulated/ssm/calendar`` ``{"account", "region", "name", "state":
  "OPEN"|"CLOSED"}``: a change calendar's state as State Manager sees it
  (the calendar document itself is not needed here).
- ``GET /_emulated/ssm/calls``: the emulated API calls (the operations above,
  ``DescribeInstanceInformation`` and the tag operations on ``Association``
  included) since start (or the last reset), errors and denials included:
  ``{"total": N, "operations": {"<Op>": n},
  "by_account_region": {"<account>/<region>": {"<Op>": n}}, "denied":
  {"<Op>": n}}``; ``denied`` counts the requests the tag guard (below)
  refused, an operation never refused absent.
- ``POST /_emulated/ssm/calls/reset`` clears those counts, denials too, and
  answers ``{"total": 0}``.
- ``POST /_emulated/ssm/tag_guard`` ``{"role": "RunAsGuardExecution", "key":
  "runas-guard:managed", "value": "true"}`` turns the tag guard on (all three
  required: an IAM role name, a tag key as the model takes it and not
  ``aws:``, a value) for every account-region, replacing any guard before;
  answers the same three. ``{"role": null}`` turns it off and answers
  ``{"role": null}``. It is off at start; moto's ``/moto-api/reset`` does
  not touch it (this module has no hook there).

EMULATED IAM: the member role's tag guard (test-only, never
product-visible; moto enforces no IAM here). While on, a request signed by
an assumed-role session of the guarded role is held to the member role's
(infra/member.yaml, ``RunAsGuardExecution``) tag conditions on
``association/*``. The caller is identified as moto identifies it: the
``Credential=<access key id>/...`` of the request's ``Authorization`` header
is looked up among the sessions moto's STS ``AssumeRole`` made (kept on the
STS backend of the role's account, the account moto maps the key to); the
role name is the role ARN's last part. Any other credentials (a user's keys,
a key moto does not know, a session of another role) are never guarded.
Guarded:

- ``CreateAssociation`` whose ``Tags`` are not exactly ``[{key: value}]``
  (no tag, another value, or any other key): ``aws:RequestTag/<key>`` =
  value and ``ForAllValues:StringEquals`` ``aws:TagKeys`` = [key];
- ``AddTagsToResource`` on an ``Association`` with the same condition: any
  other key, the key with another value, or no tags at all;
- ``UpdateAssociation`` of an association that does not carry key = value
  (``aws:ResourceTag``; one that does not exist carries none);
- ``RemoveTagsFromResource`` on an ``Association``: always (not granted);
- ``DeleteAssociation``, the reads and every other ``ResourceType``: never.

A refusal is checked before anything else (after the id that names the
resource: ``AssociationId``, ``ResourceId``) and changes nothing: HTTP 400,
``__type`` ``AccessDeniedException``, ``Message`` ``User:
arn:aws:sts::<account>:assumed-role/<role>/<session> is not authorized to
perform: ssm:<Op> on resource:
arn:aws:ssm:<region>:<account>:association/<id> because no identity-based
policy allows the ssm:<Op> action`` (``association/*`` for a create, as IAM
names a resource not made yet). It is counted in ``calls`` and in
``denied``.

How it differs from AWS:

- runs are synchronous: an association has run on every targeted node when
  the call that started it returns, unless a test holds it in progress
  (``in_progress``). Nodes added to the fleet are only run at the next ``/run``
  (AWS applies an association to a new node of its targets when the node
  comes online). ``MaxConcurrency`` and alarms never stop a run; a
  calendar's state comes from the control endpoint, not a ChangeCalendar
  document. ``ScheduleExpression`` is validated, never followed.
- the shell runs only the steps of documents with a ``User`` parameter, with a
  ``PATH`` of the stand-in ``id`` alone (above); ``{{ssm:...}}`` parameter
  references are not resolved, so they must match ``allowedPattern`` as
  written. Agent versions matter only for ``ENV_VAR``; no node ever updates
  its agent.
- ``Overview`` counts the nodes of the newest execution; a run over no nodes
  leaves it ``Pending`` (an execution over no nodes is ``Success``,
  ``ResourceCountByStatus`` ``"{}"``). Create answers ``Pending`` /
  ``Creating``; an update that starts a run answers ``Pending`` /
  ``Associated`` (the description before that run); describe afterwards.
- AWS refuses the legacy ``InstanceId`` form with documents of schema 2.0 and
  later; here it is accepted with any. ``ApplyOnlyAtCronInterval`` is accepted
  with ``rate()`` schedules (AWS documents it as unsupported there).
- only ``Command`` documents can be associated (AWS also takes Automation
  runbooks and Policy documents); resource-group targets are refused with
  ``InvalidTarget``; no limit on the number of associations.
- execution ids are uuids and ``NextToken`` values are opaque, signed and
  valid for the server's life. ``ListAssociationVersions``,
  ``UpdateAssociationStatus`` and ``StartAssociationsOnce`` are not emulated.
- ``DescribeInstanceInformation``: every fleet node is ``Online`` (none is
  ever ``ConnectionLost``; stopped or terminated nodes, which AWS leaves out,
  do not exist here); no node has an ``ActivationId``, ``IamRole``,
  ``IPAddress``, ``ComputerName``, ``Name`` or ``IsLatestVersion``, so
  ``ActivationIds`` and ``IamRole`` filters match nothing; a well-formed
  ``InstanceIds`` value that is not a node of the account-region is simply
  not listed (AWS documents an error for a node the caller does not own).
  The fleet order is the only order (AWS promises none). A ``NextToken``
  comes only when another match exists, unless the fleet asks for
  ``sparse_pages`` (AWS may answer short or empty pages with a token). AWS
  documents that using both filter lists "leads to an exception error"
  without naming it: here it is ``InvalidFilterKey``.

Usage: the same arguments as ``moto_server`` (``-H 127.0.0.1 -p PORT``).
"""

import base64
import binascii
import functools
import hashlib
import hmac
import itertools
import json
import os
import re
import sys
import threading
import unicodedata
import uuid
from datetime import datetime, timezone

from emulator_control import ControlError, serve
from moto.core.responses import ActionResult, EmptyResult
import moto_dynamodb_atomic  # noqa: F401 - DynamoDB requests atomic, as AWS's are
import moto_ssm_created_date  # noqa: F401 - GetDocument answers CreatedDate, as AWS's does
import moto_ssm_sessions  # noqa: F401 - Session Manager's sessions (DescribeSessions), as AWS's
import moto_securityhub  # noqa: F401 - Security Hub's findings (BatchImportFindings, GetFindings), as AWS's
import moto_org_paths  # noqa: F401 - Organizations answers carry Account.Paths, as AWS's do
from moto.server import main
from moto.ssm import responses as ssm_responses
from moto.ssm.exceptions import SSMException
from moto.ssm.models import ssm_backends
from moto.sts.models import sts_backends
from moto.utilities.utils import get_partition

# Run as a script, tests/ is already first on sys.path (as for moto_cfn.py);
# imported from elsewhere, the sibling emulator must still be found.
HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import moto_ssm_agent  # noqa: E402 - the agent on each node
import moto_ssm_versions  # noqa: E402 - its patches apply on import

# (moto_ssm_versions also marks its errors as SSM's, so they are found when imported.)

# Every association and fleet read or write holds it: moto's server is
# threaded, and a run must see one fleet and one association version.
LOCK = threading.RLock()

# Model patterns and enums (botocore ssm/2014-11-06), checked in full.
UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
PATTERNS = {
    "AssociationId": UUID,
    "ExecutionId": UUID,
    "Name": r"[a-zA-Z0-9_\-.:/]{3,128}",
    "DocumentVersion": r"[$]LATEST|[$]DEFAULT|[1-9][0-9]*",
    "InstanceId": r"i-(\w{8}|\w{17})|mi-\w{17}",
    "AssociationName": r"[a-zA-Z0-9_\-.]{3,128}",
    "AssociationVersion": r"[$]LATEST|[1-9][0-9]*",
    "MaxErrors": r"[1-9][0-9]*|[0]|[1-9][0-9]%|[0-9]%|100%",
    "MaxConcurrency": r"[1-9][0-9]*|[1-9][0-9]%|[1-9]%|100%",
}
ENUMS = {
    "ComplianceSeverity": ("CRITICAL", "HIGH", "MEDIUM", "LOW", "UNSPECIFIED"),
    "SyncCompliance": ("AUTO", "MANUAL"),
}
# The request fields an association keeps (AssociationDescription members).
FIELDS = (
    "Name", "InstanceId", "DocumentVersion", "Parameters", "Targets", "ScheduleExpression",
    "OutputLocation", "AssociationName", "AutomationTargetParameterName", "MaxErrors",
    "MaxConcurrency", "ComplianceSeverity", "SyncCompliance", "ApplyOnlyAtCronInterval",
    "CalendarNames", "TargetLocations", "ScheduleOffset", "Duration", "TargetMaps",
    "AlarmConfiguration", "AssociationDispatchAssumeRole",
)
RERUN_ON = ("Parameters", "Targets", "Name", "DocumentVersion")
# What UpdateAssociation keeps when a request leaves it out: the document and
# what it runs on. AWS documents that every other optional field a request
# leaves out is overwritten with null.
KEPT_ON_UPDATE = ("Name", "InstanceId", "Targets")
# "Each association has a limit of 1,000 versions" (AssociationVersionLimitExceeded);
# a test may lower it to reach it quickly.
VERSION_LIMIT = int(os.environ.get("RUNAS_GUARD_TEST_ASSOCIATION_VERSION_LIMIT", "1000"))
LIST_FIELDS = (
    "Name", "InstanceId", "DocumentVersion", "Targets", "ScheduleExpression", "AssociationName",
    "ScheduleOffset", "Duration", "TargetMaps",
)
PLATFORMS = ("Linux", "MacOS", "Windows")
# Where each action can run; an action not listed runs anywhere.
ACTION_PLATFORMS = {
    "aws:runShellScript": ("Linux", "MacOS"),
    "aws:runPowerShellScript": ("Windows",),
}
RESOURCE_TYPE = "ManagedInstance"
ASSOCIATION_FILTERS = (
    "InstanceId", "Name", "AssociationId", "AssociationStatusName", "LastExecutedBefore",
    "LastExecutedAfter", "AssociationName", "ResourceGroupName", "CloudConnectorId",
)
PAGE_DEFAULT = 50
# DescribeInstanceInformation (MaxResultsEC2Compatible: 5..50; AWS documents 10 as the default).
INFO_PAGE_MIN, INFO_PAGE_DEFAULT = 5, 10
# A current agent (Release 3.3.3572.0, 2025-12-10); a node may name an older one.
AGENT_VERSION = "3.3.3572.0"
VERSION = r"[0-9]{1,6}(\.[0-9]{1,6}){2,3}"  # the model's Version
# PlatformName and PlatformVersion of each platform's nodes (one typical OS each).
PLATFORM_OS = {
    "Linux": ("Amazon Linux", "2023"),
    "MacOS": ("macOS", "14.5"),
    "Windows": ("Microsoft Windows Server 2022 Datacenter", "10.0.20348"),
}
# The legacy InstanceInformationFilterList's keys (an enum in the model);
# Filters (InstanceInformationStringFilter) takes these, SourceIds,
# SourceTypes, tag:<key> and tag-key (a free string in the model).
INFO_KEYS = ("InstanceIds", "AgentVersion", "PingStatus", "PlatformTypes", "ActivationIds", "IamRole",
             "ResourceType", "AssociationStatus")
INFO_STRING_KEYS = INFO_KEYS + ("SourceIds", "SourceTypes")
# The values AWS documents for the enumerated filter keys.
INFO_VALUES = {
    "PingStatus": ("Online", "ConnectionLost", "Inactive"),
    "PlatformTypes": PLATFORMS,
    "ResourceType": ("EC2Instance", "ManagedInstance"),
    "AssociationStatus": ("Success", "Pending", "Failed"),
    "SourceTypes": ("AWS::EC2::Instance", "AWS::SSM::ManagedInstance", "AWS::IoT::Thing",
                    "Microsoft.Compute/virtualMachines", "compute.googleapis.com/Instance"),
}


def _error(code, message):
    return SSMException(code, message)


def _invalid(field, value, constraint):
    """ValidationException worded as AWS words its model checks."""
    name = field[:1].lower() + field[1:]
    return _error(
        "ValidationException",
        f"1 validation error detected: Value '{value}' at '{name}' failed to satisfy constraint: {constraint}",
    )


def _check(field, value, required=False):
    if value is None:
        if required:
            raise _invalid(field, "null", "Member must not be null")
        return
    pattern = PATTERNS.get(field)
    if pattern and (not isinstance(value, str) or not re.fullmatch(pattern, value)):
        raise _invalid(field, value, f"Member must satisfy regular expression pattern: {pattern}")
    allowed = ENUMS.get(field)
    if allowed and value not in allowed:
        raise _invalid(field, value, f"Member must satisfy enum value set: [{', '.join(allowed)}]")


def _max_results(value, low=1, default=PAGE_DEFAULT):
    if value is None:
        return default
    if not isinstance(value, int) or value < low:
        raise _invalid("MaxResults", value, f"Member must have value greater than or equal to {low}")
    if value > 50:
        raise _invalid("MaxResults", value, "Member must have value less than or equal to 50")
    return value


def _now():
    # To the millisecond, as the time is serialized: a time a caller read back
    # filters exactly (GREATER_THAN it excludes its own execution).
    now = datetime.now(timezone.utc)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def _instant(value, field):
    """A filter's time: ISO 8601 (Z allowed) or epoch seconds."""
    try:
        epoch = re.fullmatch(r"(\d+)(?:\.(\d+))?", value)
        if epoch:
            # Digits, not a float: 1700000000.123 must not become .122999.
            micro = int(((epoch.group(2) or "") + "000000")[:6])
            return datetime.fromtimestamp(int(epoch.group(1)), timezone.utc).replace(microsecond=micro)
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (ValueError, OverflowError):
        raise _error("ValidationException", f"The {field} filter value {value!r} is not a valid time.")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


# Paging. A token names a position in one listing (operation, account-region,
# association, execution, filters) and is signed, so a token this server did
# not give for that listing is refused as AWS refuses it.
_TOKEN_KEY = os.urandom(16)


def _mac(scope, position):
    return hmac.new(_TOKEN_KEY, f"{scope}\n{position}".encode(), hashlib.sha256).hexdigest()[:32]


def _token(scope, position):
    return base64.urlsafe_b64encode(f"{position}.{_mac(scope, position)}".encode()).decode()


def _position(token, scope):
    if token is None:
        return None
    try:
        position, mac = base64.urlsafe_b64decode(token.encode()).decode().split(".")
        if hmac.compare_digest(mac, _mac(scope, position)):
            return int(position)
    except (ValueError, binascii.Error, UnicodeError):
        pass
    raise moto_ssm_versions.InvalidNextToken()


def _scope(self, *parts):
    return "|".join([self._get_action(), self.current_account, self.region] +
                    [json.dumps(p, sort_keys=True) for p in parts])


# --- state -------------------------------------------------------------------

class Node:
    __slots__ = ("id", "platform", "users", "tags", "agent_version", "registered", "outcome")

    def __init__(self, node_id, platform, users, tags, agent_version=None, outcome=None):
        self.id = node_id
        self.platform = platform
        self.users = frozenset(users)
        self.tags = dict(tags)
        self.agent_version = agent_version or AGENT_VERSION
        self.registered = _now()
        self.outcome = outcome  # None, "timeout" or "undeliverable" (moto_ssm_agent)


class Execution:
    """One run: its per-node outcomes, indexed for the filtered reads. A run
    held in progress shows its first ``done`` nodes' outcomes and the rest
    ``Pending`` until it is finished."""

    def __init__(self, seq, version, results, done=None, reports=None):
        self.id = str(uuid.uuid4())
        self.seq = seq
        self.version = version
        self.created = _now()
        self.final = results  # [(node id, status)] in fleet order, once finished
        self.reports = reports or {}  # node id -> (Status, ExecutionSummary, ErrorCode)
        shown = results if done is None else \
            [(n, s if i < done else "Pending") for i, (n, s) in enumerate(results)]
        self._show(shown)

    def _show(self, results):
        self.targets = results
        self.by_status = {}
        self.by_id = {}
        for i, (node_id, status) in enumerate(results):
            self.by_status.setdefault(status, []).append(i)
            self.by_id[node_id] = i
        self.counts = {s: len(ix) for s, ix in self.by_status.items()}
        if self.counts.get("Pending"):
            self.status = "InProgress"
        else:
            self.status = "Success" if set(self.counts) <= {"Success"} else "Failed"

    def finish(self):
        """The held run's remaining nodes report; True if it was held."""
        held = self.status == "InProgress"
        self._show(self.final)
        return held

    def count_text(self):
        # AWS renders the map as Java's toString: {Failed=2, Success=3}.
        return "{" + ", ".join(f"{s}={n}" for s, n in sorted(self.counts.items())) + "}"

    def describe(self, association_id):
        return {
            "AssociationId": association_id,
            "AssociationVersion": str(self.version),
            "ExecutionId": self.id,
            "Status": self.status,
            "DetailedStatus": self.status,
            "CreatedTime": self.created,
            "LastExecutionDate": self.created,
            "ResourceCountByStatus": self.count_text(),
        }


class Association:
    def __init__(self, seq, fields, tags=None):
        self.id = str(uuid.uuid4())
        self.tags = dict(tags or {})  # key -> value; not versioned: UpdateAssociation takes no Tags
        self.seq = seq
        self.created = _now()
        self.versions = [(self.created, fields)]  # [(when, fields)], version n at n-1
        self.executions = []  # oldest first; seq increasing

    @property
    def version(self):
        return len(self.versions)

    @property
    def fields(self):
        return self.versions[-1][1]

    def overview(self):
        latest = self.executions[-1] if self.executions else None
        if latest is None or not latest.counts:
            return {"Status": "Pending", "DetailedStatus": "Pending"}
        if latest.status == "InProgress":
            return {"Status": "Pending", "DetailedStatus": "InProgress",
                    "AssociationStatusAggregatedCount": dict(latest.counts)}
        return {
            "Status": latest.status,
            "DetailedStatus": latest.status,
            "AssociationStatusAggregatedCount": dict(latest.counts),
        }

    def last_execution(self, success=False):
        for e in reversed(self.executions):
            if not success or e.status == "Success":
                return e.created
        return None

    def describe(self, version=None, overview=None):
        version = version or self.version
        updated, fields = self.versions[version - 1]
        d = {k: v for k, v in fields.items() if v is not None}
        d.update(
            AssociationId=self.id,
            AssociationVersion=str(version),
            Date=self.created,
            LastUpdateAssociationDate=updated,
            Overview=overview or self.overview(),
        )
        for key, when in (("LastExecutionDate", self.last_execution()),
                          ("LastSuccessfulExecutionDate", self.last_execution(success=True))):
            if when:
                d[key] = when
        return d

    def listed(self):
        d = {k: self.fields[k] for k in LIST_FIELDS if self.fields.get(k) is not None}
        d.update(AssociationId=self.id, AssociationVersion=str(self.version), Overview=self.overview())
        if self.last_execution():
            d["LastExecutionDate"] = self.last_execution()
        return d


class RegionState:
    """One account-region's associations and nodes, kept on moto's backend."""

    def __init__(self, account, region):
        self.account = account
        self.region = region
        self.nodes = {}  # id -> Node, fleet order
        self.sparse_pages = False  # DescribeInstanceInformation filters each page after taking it
        self.associations = {}  # id -> Association, creation order
        self.calendars = {}  # change calendar name -> "OPEN" | "CLOSED" (absent: open)
        self.seq = itertools.count(1)


def _state(backend):
    state = backend.__dict__.get("_emulated_associations")
    if state is None:
        state = backend._emulated_associations = RegionState(backend.account_id, backend.region_name)
    return state


def _existing_states(account=None, region=None):
    """States already made; never creates a backend (that is moto's to do)."""
    for acct_id, per_region in list(ssm_backends.items()):
        if account and acct_id != account:
            continue
        for region_name, backend in list(per_region.items()):
            state = backend.__dict__.get("_emulated_associations")
            if state is not None and (not region or region_name == region):
                yield state


# --- documents and parameters ------------------------------------------------

def _document_ref(account, region, name):
    """(owner, region, document name) that Name refers to."""
    arn = re.fullmatch(r"arn:aws[a-z-]*:ssm:([a-z0-9-]+):(\d{12}):document/(.+)", name)
    if arn:
        return arn.group(2), arn.group(1), arn.group(3)
    return account, region, name


def _documents(state, name):
    owner, region, doc_name = _document_ref(state.account, state.region, name)
    missing = _error("InvalidDocument", f"Document {name} does not exist or is not shared with this account.")
    if region != state.region or owner not in ssm_backends.keys():
        raise missing
    per_region = ssm_backends[owner]
    if region not in per_region.keys():
        raise missing
    documents = per_region[region]._documents.get(doc_name)
    if documents is None:
        raise missing
    if owner != state.account and not {"all", "All", state.account} & set(documents.permissions):
        raise missing
    return documents


def _document(state, fields):
    documents = _documents(state, fields["Name"])
    version = fields.get("DocumentVersion") or "$DEFAULT"
    if version == "$DEFAULT":
        doc = documents.get_default_version()
    elif version == "$LATEST":
        doc = documents.get_latest_version()
    else:
        doc = documents.versions.get(version)
        if doc is None:
            raise _error("InvalidDocumentVersion", f"Document version {version} of {fields['Name']} does not exist.")
    if doc.document_type != "Command":
        raise _error("InvalidDocument",
                     f"Document {fields['Name']} is of type {doc.document_type}; associations need a Command document.")
    return doc


def _declared(doc):
    return (doc.content_json or {}).get("parameters") or {}


def _check_parameters(doc, parameters):
    declared = _declared(doc)
    parameters = parameters or {}
    for name, values in parameters.items():
        spec = declared.get(name)
        if spec is None:
            raise _error("InvalidParameters", f"Parameter \"{name}\" is not declared by document {doc.name}.")
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise _error("InvalidParameters", f"Parameter \"{name}\" must be a list of strings.")
        if spec.get("type", "String") in ("String", "Integer", "Boolean") and len(values) != 1:
            raise _error("InvalidParameters", f"Parameter \"{name}\" takes exactly one value.")
        pattern = spec.get("allowedPattern")
        allowed = spec.get("allowedValues")
        for value in values:
            if pattern is not None and not _matches(pattern, value):
                raise _error("InvalidParameters",
                             f"Parameter \"{name}\" value \"{value}\" does not match its allowed pattern {pattern}.")
            if allowed is not None and value not in [str(a) for a in allowed]:
                raise _error("InvalidParameters", f"Parameter \"{name}\" value \"{value}\" is not an allowed value.")
    for name, spec in declared.items():
        if "default" not in spec and name not in parameters:
            raise _error("InvalidParameters", f"Parameter \"{name}\" is required by document {doc.name}.")


@functools.lru_cache(maxsize=256)
def _compiled(pattern):
    try:
        return re.compile(pattern)
    except re.error:
        return None  # a Java-only construct: not checked here


def _matches(pattern, value):
    compiled = _compiled(pattern)
    return compiled is None or compiled.search(value) is not None


# --- targets and schedules ---------------------------------------------------

def _check_targets(targets):
    if not isinstance(targets, list):
        raise _invalid("Targets", targets, "Member must be a list")
    if len(targets) > 5:
        raise _invalid("Targets", targets, "Member must have length less than or equal to 5")
    if not targets:
        raise _error("InvalidTarget", "Targets must name at least one target.")
    for t in targets:
        key, values = t.get("Key"), t.get("Values") or []
        if not key or len(key) > 163:
            raise _invalid("Targets.member.Key", key, "Member must have length between 1 and 163")
        if len(values) > 50:
            raise _invalid("Targets.member.Values", values, "Member must have length less than or equal to 50")
        if not values:
            raise _error("InvalidTarget", f"Target {key} has no values.")
        if key == "InstanceIds":
            if "*" in values and len(values) > 1:
                raise _error("InvalidTarget", "InstanceIds * cannot be combined with instance ids.")
            bad = [v for v in values if v != "*" and not re.fullmatch(PATTERNS["InstanceId"], v)]
            if bad:
                raise _error("InvalidTarget", f"Invalid instance id(s): {', '.join(bad)}.")
        elif not ((key.startswith("tag:") and len(key) > 4) or key == "tag-key"):
            raise _error("InvalidTarget", f"Target key {key} is not supported.")


def _targeted(state, targets):
    nodes = list(state.nodes.values())
    for t in targets or []:
        key, values = t["Key"], t["Values"]
        if key == "InstanceIds":
            if values != ["*"]:
                wanted = set(values)
                nodes = [n for n in nodes if n.id in wanted]
        elif key == "tag-key":
            nodes = [n for n in nodes if any(k in n.tags for k in values)]
        else:
            tag = key[len("tag:"):]
            nodes = [n for n in nodes if n.tags.get(tag) in values]
    return nodes


RATE = re.compile(r"rate\((\d+) (minute|minutes|hour|hours|day|days)\)")


def _check_schedule(expression):
    if expression is None:
        return
    if not 1 <= len(expression) <= 256:
        raise _invalid("ScheduleExpression", expression, "Member must have length between 1 and 256")
    rate = RATE.fullmatch(expression)
    if rate:
        minutes = int(rate.group(1)) * {"m": 1, "h": 60, "d": 1440}[rate.group(2)[0]]
        if minutes >= 30:
            return
    elif re.fullmatch(r"cron\(\S+( \S+){4,6}\)", expression):
        return
    raise _error("InvalidSchedule", f"Schedule expression {expression} is not valid.")


def _check_fields(fields):
    """Model checks of what one create or update request holds."""
    for field in ("Name", "DocumentVersion", "InstanceId", "AssociationName", "MaxErrors", "MaxConcurrency",
                  "ComplianceSeverity", "SyncCompliance"):
        _check(field, fields.get(field))
    _check_schedule(fields.get("ScheduleExpression"))
    if fields.get("Targets") is not None:
        _check_targets(fields["Targets"])
    calendars = fields.get("CalendarNames")
    if calendars is not None and (not isinstance(calendars, list) or
                                  not all(isinstance(c, str) and c for c in calendars)):
        raise _invalid("CalendarNames", calendars, "Member must be a list of calendar names or ARNs")
    parameters = fields.get("Parameters")
    if parameters is not None and not isinstance(parameters, dict):
        raise _invalid("Parameters", parameters, "Member must be a map")


# --- runs ------------------------------------------------------------------

def _applies(step, platform):
    action_platforms = ACTION_PLATFORMS.get(step.get("action"), PLATFORMS)
    if platform not in action_platforms:
        return False
    precondition = step.get("precondition")
    if not precondition:
        return True
    equals = precondition.get("StringEquals") or []
    return len(equals) == 2 and equals[0] == "platformType" and equals[1] == platform


def _node_report(doc, steps, values, node):
    """(Status, ExecutionSummary, ErrorCode) of one node's run: the agent
    model (moto_ssm_agent) runs each applicable aws:runShellScript step of a
    document that declares a User parameter; other steps succeed."""
    if node.outcome == "undeliverable":
        return moto_ssm_agent.report(steps, [], node.outcome)
    results = []
    for step in steps:
        if not _applies(step, node.platform):
            results.append(None)
        elif step.get("action") == "aws:runShellScript" and "User" in values:
            results.append(moto_ssm_agent.run_step(step, _declared(doc), values, node.agent_version,
                                                   node.users))
        else:
            results.append(("Success", ""))
    return moto_ssm_agent.report(steps, results, node.outcome)


def _closed(state, fields):
    """A calendar the association names that is closed now: State Manager
    does not run it (change calendars: "associations don't run while the
    calendar is CLOSED")."""
    return next((c for c in fields.get("CalendarNames") or [] if state.calendars.get(c) == "CLOSED"), None)


def _allowed_errors(max_errors, targets):
    """Failures a run absorbs before it stops: N, or N% of the targets
    (AWS: with 3 the stop comes at the fourth error; 10% of 50 at the sixth)."""
    if max_errors is None:
        return None
    if max_errors.endswith("%"):
        return targets * int(max_errors[:-1]) // 100
    return int(max_errors)


def _run(state, association, done=None):
    """One execution over the association's targets, or None when a closed
    calendar keeps it from running. ``done``: hold it in progress with that
    many nodes reported."""
    fields = association.fields
    if _closed(state, fields):
        return None
    try:
        doc = _document(state, fields)
    except SSMException:
        doc = None  # deleted (or unshared) since: every node fails
    values = {}
    if doc is not None:
        given = fields.get("Parameters") or {}
        for name, spec in _declared(doc).items():
            chosen = given.get(name) or ([spec["default"]] if "default" in (spec or {}) else [])
            if chosen:
                values[name] = str(chosen[0])
    steps = [] if doc is None else (doc.content_json or {}).get("mainSteps") or []
    targeted = _targeted(state, fields.get("Targets"))
    allowed = _allowed_errors(fields.get("MaxErrors"), len(targeted))
    results, reports, failed = [], {}, 0
    for node in targeted:
        if allowed is not None and failed > allowed:
            break  # MaxErrors reached: no further node is sent the run
        if doc is None:
            report = ("Failed", None, "InvalidAssoc")
        else:
            report = _node_report(doc, steps, values, node)
        # Execution timeouts count against MaxErrors; undeliverable runs do not.
        failed += report[0] in ("Failed", "TimedOut")
        results.append((node.id, report[0]))
        reports[node.id] = report
    execution = Execution(next(state.seq), association.version, results, done, reports)
    association.executions.append(execution)
    return execution


# --- tags and the emulated tag guard -----------------------------------------

# "Most resources can have a maximum of 50 tags" (AddTagsToResource); AWS's
# own aws: tags, which would not count, cannot exist here.
TAG_LIMIT = 50
TAG_LIST_MAX = 1000  # the model's TagList
# The model's TagKey / TagValue pattern, quoted as AWS quotes it; Python's re
# has no \p{..}, so _tag_text_ok checks it by Unicode category.
TAG_PATTERN = r"^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$"


def _tag_text_ok(text):
    return all(unicodedata.category(c)[0] in "LZN" or c in "_.:/=+-@" for c in text)


def _check_tag_text(field, text, low, high):
    if text is None:
        raise _invalid(field, "null", "Member must not be null")
    if not isinstance(text, str) or not low <= len(text) <= high:
        raise _invalid(field, text, f"Member must have length between {low} and {high}")
    if not _tag_text_ok(text):
        raise _invalid(field, text, f"Member must satisfy regular expression pattern: {TAG_PATTERN}")


def _check_tag_key(field, key, reserved):
    """A TagKey; ``reserved``: the error for AWS's aws: prefix (any case)."""
    _check_tag_text(field, key, 1, 128)
    if key.lower().startswith("aws:"):
        raise _error(reserved, f"Tag key {key} is not valid: keys starting with aws: are reserved for AWS use.")


def _tags(field, tags, reserved):
    """A request's TagList as a dict, checked against the model's Tag shape."""
    if tags is None:
        raise _invalid(field, "null", "Member must not be null")
    if not isinstance(tags, list):
        raise _invalid(field, tags, "Member must be a list")
    if len(tags) > TAG_LIST_MAX:
        raise _invalid(field, tags, f"Member must have length less than or equal to {TAG_LIST_MAX}")
    given = {}
    for tag in tags:
        if not isinstance(tag, dict):
            raise _invalid(field + ".member", tag, "Member must be a structure of Key and Value")
        _check_tag_key(field + ".member.key", tag.get("Key"), reserved)
        _check_tag_text(field + ".member.value", tag.get("Value"), 0, 256)
        # AWS documents no answer for a key given twice; one key, one value.
        if tag["Key"] in given:
            raise _error("ValidationException", f"Tag key {tag['Key']} is given more than once.")
        given[tag["Key"]] = tag["Value"]
    return given


def _check_tag_count(tags):
    if len(tags) > TAG_LIMIT:
        raise _error("TooManyTagsError",
                     f"The association would have {len(tags)} tags; it can have at most {TAG_LIMIT}.")


# EMULATED IAM (test-only): the member role's tag conditions, as
# (role name, tag key, tag value), or None when off. moto enforces no IAM
# here, so without it a product that updates an untagged association would
# pass every test and be refused on AWS.
TAG_GUARD = None
DENIED = {}  # operation -> requests the guard refused


def _assumed_role(self):
    """moto's STS session whose temporary key signed the request, or None
    (a user's or an unknown key). moto keeps each session on the STS backend
    of the role's account, which is the account it maps that key to."""
    # dict.get, not [...]: moto's [...] would make a backend for any account asked.
    backend = (sts_backends.get(self.current_account) or {}).get(get_partition(self.region))
    return backend.get_assumed_role_from_access_key(self.get_access_key()) if backend else None


def _guarded(self):
    """The caller's session when the guard is on and it is a session of the
    guarded role (the role name is the ARN's last part, past any path)."""
    if TAG_GUARD is None:
        return None
    session = _assumed_role(self)
    if session is None or session.role_arn.split("/")[-1] != TAG_GUARD[0]:
        return None
    return session


def _deny(self, session, resource):
    """AccessDeniedException worded as IAM words an implicit deny; counted."""
    op = self._get_action()
    DENIED[op] = DENIED.get(op, 0) + 1
    arn = f"arn:{get_partition(self.region)}:ssm:{self.region}:{self.current_account}:association/{resource}"
    return _error("AccessDeniedException",
                  f"User: {session.arn} is not authorized to perform: ssm:{op} on resource: {arn} "
                  f"because no identity-based policy allows the ssm:{op} action")


def _guard_request_tags(self, resource, tags):
    """CreateAssociation / AddTagsToResource: aws:RequestTag/<key> = <value>
    and ForAllValues:StringEquals aws:TagKeys = [<key>], so exactly that tag."""
    session = _guarded(self)
    if session is None:
        return
    _, key, value = TAG_GUARD
    exact = isinstance(tags, list) and tags and \
        all(isinstance(t, dict) and t.get("Key") == key and t.get("Value") == value for t in tags)
    if not exact:
        raise _deny(self, session, resource)


def _guard_resource_tag(self, state, association_id):
    """UpdateAssociation: aws:ResourceTag/<key> = <value> (an association
    that does not exist carries no tag)."""
    session = _guarded(self)
    if session is None:
        return
    _, key, value = TAG_GUARD
    association = state.associations.get(association_id)
    if association is None or association.tags.get(key) != value:
        raise _deny(self, session, association_id)


# --- API ---------------------------------------------------------------------

CALLS = {}  # (operation, "account/region") -> count


def _operation(method):
    """Counts the call, then runs it under the lock on the caller's state."""
    op = "".join(w.capitalize() for w in method.__name__.split("_"))

    @functools.wraps(method)
    def handler(self):
        with LOCK:
            key = (op, f"{self.current_account}/{self.region}")
            CALLS[key] = CALLS.get(key, 0) + 1
            return method(self, _state(self.ssm_backend))
    return handler


def _association(state, association_id):
    _check("AssociationId", association_id, required=True)
    association = state.associations.get(association_id)
    if association is None:
        raise _error("AssociationDoesNotExist", f"Association {association_id} does not exist.")
    return association


def _legacy(state, name, instance_id):
    """The legacy association of document Name on InstanceId, or None."""
    ref = _document_ref(state.account, state.region, name)
    for a in state.associations.values():
        if a.fields.get("InstanceId") == instance_id and \
                _document_ref(state.account, state.region, a.fields["Name"]) == ref:
            return a
    return None


def _find(self, state):
    """DescribeAssociation / DeleteAssociation: by id, or Name + InstanceId."""
    association_id = self._get_param("AssociationId")
    if association_id is not None:
        return _association(state, association_id)
    name, instance_id = self._get_param("Name"), self._get_param("InstanceId")
    if name is None or instance_id is None:
        raise _error("ValidationException", "Specify AssociationId, or Name and InstanceId.")
    _check("Name", name)
    _check("InstanceId", instance_id)
    association = _legacy(state, name, instance_id)
    if association is None:
        raise _error("AssociationDoesNotExist", f"No association of {name} with {instance_id} exists.")
    return association


@_operation
def create_association(self, state):
    given_tags = self._get_param("Tags")
    _guard_request_tags(self, "*", given_tags)  # no id yet: IAM names association/*
    fields = {f: self._get_param(f) for f in FIELDS}
    _check("Name", fields["Name"], required=True)
    _check_fields(fields)
    tags = {} if given_tags is None else _tags("Tags", given_tags, "InvalidTag")
    _check_tag_count(tags)
    instance_id = fields["InstanceId"]
    if instance_id is not None:
        if fields["Targets"] is not None:
            raise _error("ValidationException", "Specify InstanceId or Targets, not both.")
        for f in ("AssociationName", "DocumentVersion", "MaxErrors", "MaxConcurrency", "OutputLocation",
                  "ScheduleExpression"):
            if fields[f] is not None:
                raise _error("ValidationException", f"{f} cannot be used with InstanceId; use Targets.")
        if instance_id not in state.nodes:
            raise _error("InvalidInstanceId", f"Instance {instance_id} is not a managed node.")
        fields["Targets"] = [{"Key": "InstanceIds", "Values": [instance_id]}]
    elif fields["Targets"] is None:
        raise _error("ValidationException", "Specify Targets (or the legacy InstanceId).")
    fields["DocumentVersion"] = fields["DocumentVersion"] or "$DEFAULT"
    doc = _document(state, fields)
    _check_parameters(doc, fields["Parameters"])
    if instance_id is not None and _legacy(state, fields["Name"], instance_id):
        raise _error("AssociationAlreadyExists", "The specified association already exists.")
    association = Association(next(state.seq), fields, tags)
    state.associations[association.id] = association
    answer = association.describe(overview={"Status": "Pending", "DetailedStatus": "Creating"})
    if not fields.get("ApplyOnlyAtCronInterval"):
        _run(state, association)
    return ActionResult({"AssociationDescription": answer})


@_operation
def describe_association(self, state):
    version = self._get_param("AssociationVersion")
    _check("AssociationVersion", version)
    association = _find(self, state)
    number = None
    if version not in (None, "$LATEST"):
        number = int(version)
        if number > association.version:
            raise _error("InvalidAssociationVersion",
                         f"Association {association.id} has no version {version} (latest {association.version}).")
    return ActionResult({"AssociationDescription": association.describe(number)})


@_operation
def update_association(self, state):
    association_id = self._get_param("AssociationId")
    _check("AssociationId", association_id, required=True)
    _guard_resource_tag(self, state, association_id)
    given = {f: self._get_param(f) for f in FIELDS if f != "InstanceId"}
    given = {f: v for f, v in given.items() if v is not None}
    _check_fields(given)
    version = self._get_param("AssociationVersion")
    _check("AssociationVersion", version)
    association = _association(state, association_id)
    if version not in (None, "$LATEST") and int(version) != association.version:
        raise _error("InvalidAssociationVersion",
                     f"Association version {version} is not the latest version ({association.version}) "
                     f"of association {association.id}.")
    # AWS: "the system removes all optional parameters from the request and
    # overwrites the association with null values for those parameters".
    fields = {f: association.fields.get(f) for f in KEPT_ON_UPDATE}
    fields.update(given)
    fields["DocumentVersion"] = fields.get("DocumentVersion") or "$DEFAULT"
    doc = _document(state, fields)
    _check_parameters(doc, fields.get("Parameters"))
    if association.version >= VERSION_LIMIT:
        raise _error("AssociationVersionLimitExceeded",
                     "You have reached the maximum number versions allowed for an association. "
                     f"Each association has a limit of {VERSION_LIMIT:,} versions.")
    rerun = any(fields.get(f) != association.fields.get(f) for f in RERUN_ON)
    association.versions.append((_now(), fields))
    if rerun and not fields.get("ApplyOnlyAtCronInterval"):
        answer = association.describe(overview={"Status": "Pending", "DetailedStatus": "Associated"})
        _run(state, association)
    else:
        answer = association.describe()
    return ActionResult({"AssociationDescription": answer})


@_operation
def delete_association(self, state):
    association = _find(self, state)
    del state.associations[association.id]
    return EmptyResult()


def _association_filter(key, value):
    if key == "AssociationId":
        return lambda a: a.id == value
    if key in ("Name", "AssociationName", "InstanceId"):
        return lambda a: a.fields.get(key) == value
    if key == "AssociationStatusName":
        return lambda a: a.overview()["Status"] == value
    if key in ("LastExecutedBefore", "LastExecutedAfter"):
        when = _instant(value, key)
        before = key == "LastExecutedBefore"
        return lambda a: (a.last_execution() is not None and
                          (a.last_execution() < when if before else a.last_execution() > when))
    return lambda a: False  # ResourceGroupName, CloudConnectorId: nothing here targets those


@_operation
def list_associations(self, state):
    filters = self._get_param("AssociationFilterList") or []
    tests = []
    for f in filters:
        key, value = f.get("key"), f.get("value")
        if key not in ASSOCIATION_FILTERS:
            raise _invalid("AssociationFilterList.member.key", key,
                           f"Member must satisfy enum value set: [{', '.join(ASSOCIATION_FILTERS)}]")
        if not value:
            raise _invalid("AssociationFilterList.member.value", value,
                           "Member must have length greater than or equal to 1")
        tests.append(_association_filter(key, value))
    page = _max_results(self._get_param("MaxResults"))
    scope = _scope(self, filters)
    after = _position(self._get_param("NextToken"), scope) or 0
    listed, more = [], False
    for a in state.associations.values():
        if a.seq <= after or not all(t(a) for t in tests):
            continue
        if len(listed) == page:
            more = True
            break
        listed.append(a)
    result = {"Associations": [a.listed() for a in listed]}
    if more:
        result["NextToken"] = _token(scope, listed[-1].seq)
    return ActionResult(result)


def _unordered(execution):
    """AWS promises no order for executions: here a fixed scramble of the
    runs' sequence, stable for paging and the same on every server (so
    answers compare across servers), so a reader that takes the first as the
    newest is wrong about as often as it would be on AWS."""
    return hashlib.sha256(str(execution.seq).encode()).hexdigest()


@_operation
def describe_association_executions(self, state):
    association = _association(state, self._get_param("AssociationId"))
    filters = self._get_param("Filters") or []
    tests = []
    for f in filters:
        key, value, kind = f.get("Key"), f.get("Value"), f.get("Type")
        if kind not in ("EQUAL", "LESS_THAN", "GREATER_THAN"):
            raise _invalid("Filters.member.type", kind,
                           "Member must satisfy enum value set: [EQUAL, LESS_THAN, GREATER_THAN]")
        if not value:
            raise _invalid("Filters.member.value", value, "Member must have length greater than or equal to 1")
        if key in ("ExecutionId", "Status"):
            if kind != "EQUAL":
                raise _error("ValidationException", f"The {key} filter takes only the EQUAL type.")
            attr = "id" if key == "ExecutionId" else "status"
            tests.append(lambda e, attr=attr, value=value: getattr(e, attr) == value)
        elif key == "CreatedTime":
            when = _instant(value, key)
            tests.append({
                "EQUAL": lambda e, w=when: e.created == w,
                "LESS_THAN": lambda e, w=when: e.created < w,
                "GREATER_THAN": lambda e, w=when: e.created > w,
            }[kind])
        else:
            raise _invalid("Filters.member.key", key,
                           "Member must satisfy enum value set: [ExecutionId, Status, CreatedTime]")
    page = _max_results(self._get_param("MaxResults"))
    scope = _scope(self, association.id, filters)
    start = _position(self._get_param("NextToken"), scope) or 0
    matching = sorted((e for e in association.executions if all(t(e) for t in tests)), key=_unordered)
    listed = matching[start:start + page]
    result = {"AssociationExecutions": [e.describe(association.id) for e in listed]}
    if start + page < len(matching):
        result["NextToken"] = _token(scope, start + page)
    return ActionResult(result)


@_operation
def describe_association_execution_targets(self, state):
    association = _association(state, self._get_param("AssociationId"))
    execution_id = self._get_param("ExecutionId")
    _check("ExecutionId", execution_id, required=True)
    execution = next((e for e in association.executions if e.id == execution_id), None)
    if execution is None:
        raise _error("AssociationExecutionDoesNotExist",
                     f"Execution {execution_id} of association {association.id} does not exist.")
    filters = self._get_param("Filters") or []
    # Candidates come from the narrowest index; the other filters are checked
    # one candidate at a time, and the token is a candidate position, so a
    # whole paging is linear in the candidates.
    candidates = range(len(execution.targets))
    wanted = {}
    for f in filters:
        key, value = f.get("Key"), f.get("Value")
        if key not in ("Status", "ResourceId", "ResourceType"):
            raise _invalid("Filters.member.key", key,
                           "Member must satisfy enum value set: [Status, ResourceId, ResourceType]")
        if not value:
            raise _invalid("Filters.member.value", value, "Member must have length greater than or equal to 1")
        if key in wanted and wanted[key] != value:
            candidates = []
        wanted[key] = value
    if "ResourceType" in wanted and wanted["ResourceType"] != RESOURCE_TYPE:
        candidates = []
    if "ResourceId" in wanted and candidates:
        i = execution.by_id.get(wanted["ResourceId"])
        candidates = [] if i is None else [i]
    elif "Status" in wanted and candidates:
        candidates = execution.by_status.get(wanted["Status"], [])
    status = wanted.get("Status")
    page = _max_results(self._get_param("MaxResults"))
    scope = _scope(self, association.id, execution.id, filters)
    start = _position(self._get_param("NextToken"), scope) or 0
    listed, position = [], start
    while position < len(candidates) and len(listed) < page:
        node_id, node_status = execution.targets[candidates[position]]
        position += 1
        if status is None or node_status == status:
            listed.append({
                "AssociationId": association.id,
                "AssociationVersion": str(execution.version),
                "ExecutionId": execution.id,
                "ResourceId": node_id,
                "ResourceType": RESOURCE_TYPE,
                "Status": node_status,
                "DetailedStatus": node_status,
                "LastExecutionDate": execution.created,
            })
    result = {"AssociationExecutionTargets": listed}
    if position < len(candidates):
        result["NextToken"] = _token(scope, position)
    return ActionResult(result)


# --- managed-node information ------------------------------------------------

def _resource_type(node):
    return "EC2Instance" if node.id.startswith("i-") else "ManagedInstance"


def _source_type(node):
    return "AWS::EC2::Instance" if node.id.startswith("i-") else "AWS::SSM::ManagedInstance"


def _node_associations(state, node):
    """Per association, the node's outcome in the newest run that reached it:
    (counts by status, newest such run's time, newest successful one's)."""
    counts, last, last_ok = {}, None, None
    for association in state.associations.values():
        for e in reversed(association.executions):
            i = e.by_id.get(node.id)
            if i is None:
                continue
            status = e.targets[i][1]
            counts[status] = counts.get(status, 0) + 1
            last = max(last or e.created, e.created)
            if status == "Success":
                last_ok = max(last_ok or e.created, e.created)
            break
    return counts, last, last_ok


def _association_status(counts):
    if not counts:
        return None
    return "Failed" if set(counts) & {"Failed", "TimedOut", "Undeliverable"} else "Success"


def _node_information(state, node, now):
    name, version = PLATFORM_OS[node.platform]
    info = {
        "InstanceId": node.id,
        "PingStatus": "Online",
        "LastPingDateTime": now,
        "AgentVersion": node.agent_version,
        "PlatformType": node.platform,
        "PlatformName": name,
        "PlatformVersion": version,
        "ResourceType": _resource_type(node),
        "SourceId": node.id,
        "SourceType": _source_type(node),
    }
    if not node.id.startswith("i-"):
        info["RegistrationDate"] = node.registered
    counts, last, last_ok = _node_associations(state, node)
    if counts:
        status = _association_status(counts)
        info.update(AssociationStatus=status, LastAssociationExecutionDate=last,
                    AssociationOverview={"DetailedStatus": status,
                                         "InstanceAssociationStatusAggregatedCount": counts})
        if last_ok:
            info["LastSuccessfulAssociationExecutionDate"] = last_ok
    return info


def _info_test(state, key, values):
    """A node predicate for one filter (values ORed)."""
    wanted = set(values)
    if key in ("InstanceIds", "SourceIds"):
        return lambda n: n.id in wanted
    if key == "AgentVersion":
        return lambda n: n.agent_version in wanted
    if key == "PingStatus":
        return lambda n: "Online" in wanted
    if key == "PlatformTypes":
        return lambda n: n.platform in wanted
    if key == "ResourceType":
        return lambda n: _resource_type(n) in wanted
    if key == "SourceTypes":
        return lambda n: _source_type(n) in wanted
    if key == "AssociationStatus":
        return lambda n: _association_status(_node_associations(state, n)[0]) in wanted
    if key == "tag-key":
        return lambda n: any(k in n.tags for k in wanted)
    if key.startswith("tag:"):
        return lambda n: n.tags.get(key[len("tag:"):]) in wanted
    return lambda n: False  # ActivationIds, IamRole: no emulated node carries either


def _check_info_values(field, key, values):
    if not isinstance(values, list) or not values:
        raise _invalid(field, values, "Member must have length greater than or equal to 1")
    if len(values) > 100:
        raise _invalid(field, values, "Member must have length less than or equal to 100")
    for v in values:
        if not isinstance(v, str) or not v:
            raise _invalid(field + ".member", v, "Member must have length greater than or equal to 1")
    allowed = INFO_VALUES.get(key)
    if allowed and any(v not in allowed for v in values):
        raise _error("InvalidInstanceInformationFilterValue",
                     f"{key} filter is invalid, valid values are {', '.join(allowed)}")
    if key == "ResourceType" and len(values) > 1:
        raise _error("InvalidInstanceInformationFilterValue", "ResourceType filter may contain only one value.")
    if key == "InstanceIds":
        bad = [v for v in values if not re.fullmatch(PATTERNS["InstanceId"], v)]
        if bad:
            raise _error("InvalidInstanceId", f"Invalid instance id(s): {', '.join(bad)}.")


def _info_filters(state, legacy, filters):
    """Node predicates of the request's filters (ANDed), checked as AWS does."""
    if legacy and filters:
        raise _error("InvalidFilterKey", "InstanceInformationFilterList and Filters cannot be used together; "
                                         "use Filters.")
    tests = []
    for f in legacy or []:
        key = f.get("key") if isinstance(f, dict) else None
        if key not in INFO_KEYS:
            raise _invalid("InstanceInformationFilterList.member.key", key,
                           f"Member must satisfy enum value set: [{', '.join(INFO_KEYS)}]")
        _check_info_values("InstanceInformationFilterList.member.valueSet", key, f.get("valueSet"))
        tests.append(_info_test(state, key, f["valueSet"]))
    tagged = untagged = False
    for f in filters or []:
        key = f.get("Key") if isinstance(f, dict) else None
        if not isinstance(key, str) or not key:
            raise _invalid("Filters.member.key", key, "Member must have length greater than or equal to 1")
        tag = key == "tag-key" or (key.startswith("tag:") and len(key) > len("tag:"))
        if not tag and key not in INFO_STRING_KEYS:
            raise _error("InvalidFilterKey", f"The filter key {key} is not valid.")
        tagged, untagged = tagged or tag, untagged or not tag
        if tagged and untagged:
            raise _error("InvalidFilterKey", "Tag filters can't be combined with other filter types.")
        _check_info_values("Filters.member.values", key, f.get("Values"))
        tests.append(_info_test(state, key, f["Values"]))
    return tests


@_operation
def describe_instance_information(self, state):
    legacy, filters = self._get_param("InstanceInformationFilterList"), self._get_param("Filters")
    tests = _info_filters(state, legacy, filters)
    page = _max_results(self._get_param("MaxResults"), INFO_PAGE_MIN, INFO_PAGE_DEFAULT)
    scope = _scope(self, legacy or [], filters or [])
    start = _position(self._get_param("NextToken"), scope) or 0
    nodes = list(state.nodes.values())
    listed, position, more = [], start, None
    # The token is the position of the next match, so no page comes back
    # empty with a token, and a whole paging is linear in the fleet. With
    # sparse pages, a page is the next MaxResults nodes, filtered.
    while position < len(nodes):
        if state.sparse_pages and position - start == page:
            more = position
            break
        node = nodes[position]
        if all(t(node) for t in tests):
            if len(listed) == page:
                more = position
                break
            listed.append(node)
        position += 1
    now = _now()
    result = {"InstanceInformationList": [_node_information(state, n, now) for n in listed]}
    if more is not None:
        result["NextToken"] = _token(scope, more)
    return ActionResult(result)


def _node_statuses(state, node):
    """Per association, the node's report in the newest run that has one."""
    infos = []
    for association in state.associations.values():
        for e in reversed(association.executions):
            i = e.by_id.get(node.id)
            if i is None or e.targets[i][1] == "Pending":
                continue
            status, summary, code = e.reports.get(node.id, (e.targets[i][1], None, ""))
            info = {
                "AssociationId": association.id,
                "Name": association.fields["Name"],
                "DocumentVersion": association.fields.get("DocumentVersion") or "$DEFAULT",
                "AssociationVersion": str(e.version),
                "InstanceId": node.id,
                "ExecutionDate": e.created,
                "Status": status,
                "DetailedStatus": status,
                "ErrorCode": code,
            }
            if summary is not None:
                info["ExecutionSummary"] = summary
            if association.fields.get("AssociationName"):
                info["AssociationName"] = association.fields["AssociationName"]
            infos.append(info)
            break
    return infos


@_operation
def describe_instance_associations_status(self, state):
    instance_id = self._get_param("InstanceId")
    _check("InstanceId", instance_id, required=True)
    node = state.nodes.get(instance_id)
    if node is None:
        raise _error("InvalidInstanceId", f"Instance {instance_id} is not a managed node of this account-region.")
    page = _max_results(self._get_param("MaxResults"))
    scope = _scope(self, instance_id)
    start = _position(self._get_param("NextToken"), scope) or 0
    infos = _node_statuses(state, node)
    result = {"InstanceAssociationStatusInfos": infos[start:start + page]}
    if start + page < len(infos):
        result["NextToken"] = _token(scope, start + page)
    return ActionResult(result)


# --- tags of associations ---------------------------------------------------

def _for_associations(emulated):
    """ResourceType Association here; every other type goes to moto's own
    handler unchanged (and is not counted: moto answers it)."""
    moto_handler = getattr(ssm_responses.SimpleSystemManagerResponse, emulated.__name__)

    @functools.wraps(emulated)
    def handler(self):
        if self._get_param("ResourceType") == "Association":
            return emulated(self)
        return moto_handler(self)
    return handler


def _resource_id(self):
    resource_id = self._get_param("ResourceId")
    if resource_id is None:
        raise _invalid("ResourceId", "null", "Member must not be null")
    return resource_id


def _tagged(state, resource_id):
    association = state.associations.get(resource_id) if isinstance(resource_id, str) else None
    if association is None:
        raise _error("InvalidResourceId", f"Association {resource_id} does not exist.")
    return association


@_for_associations
@_operation
def add_tags_to_resource(self, state):
    resource_id = _resource_id(self)
    _guard_request_tags(self, resource_id, self._get_param("Tags"))
    # The model lists no InvalidTag for this operation: a reserved key is a ValidationException.
    given = _tags("Tags", self._get_param("Tags"), "ValidationException")
    association = _tagged(state, resource_id)
    tags = {**association.tags, **given}  # a key already there takes the new value
    _check_tag_count(tags)
    association.tags = tags
    return EmptyResult()


@_for_associations
@_operation
def remove_tags_from_resource(self, state):
    resource_id = _resource_id(self)
    session = _guarded(self)
    if session is not None:
        raise _deny(self, session, resource_id)  # the member role is not granted it at all
    keys = self._get_param("TagKeys")
    if keys is None:
        raise _invalid("TagKeys", "null", "Member must not be null")
    if not isinstance(keys, list):
        raise _invalid("TagKeys", keys, "Member must be a list")
    for key in keys:
        _check_tag_key("TagKeys.member", key, "ValidationException")
    association = _tagged(state, resource_id)
    for key in keys:
        association.tags.pop(key, None)  # a key it does not carry is no error
    return EmptyResult()


@_for_associations
@_operation
def list_tags_for_resource(self, state):
    association = _tagged(state, _resource_id(self))
    # AWS promises no order: here by key.
    return ActionResult({"TagList": [{"Key": k, "Value": v} for k, v in sorted(association.tags.items())]})


for _handler in (create_association, describe_association, update_association, delete_association,
                 list_associations, describe_association_executions, describe_association_execution_targets,
                 describe_instance_information, describe_instance_associations_status,
                 add_tags_to_resource, remove_tags_from_resource, list_tags_for_resource):
    setattr(ssm_responses.SimpleSystemManagerResponse, _handler.__name__, _handler)


# --- control endpoints (emulation only) --------------------------------------

def _fleet(body):
    account, region = body.get("account"), body.get("region")
    if not isinstance(account, str) or not re.fullmatch(r"\d{12}", account):
        raise ControlError("account: a 12-digit account id is required")
    if not isinstance(region, str) or not re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d", region):
        raise ControlError("region: a region name is required")
    nodes = {}

    def add(node_id, platform, users, tags, agent_version, outcome=None):
        if not isinstance(node_id, str) or not re.fullmatch(PATTERNS["InstanceId"], node_id):
            raise ControlError(f"node id {node_id!r} is not an instance id (i- + 8 or 17, or mi- + 17)")
        if platform not in PLATFORMS:
            raise ControlError(f"platform {platform!r} is not one of {', '.join(PLATFORMS)}")
        if not isinstance(users, list) or not all(isinstance(u, str) for u in users):
            raise ControlError("users: a list of user names")
        if not isinstance(tags, dict):
            raise ControlError("tags: a map of tag key to value")
        if agent_version is not None and (not isinstance(agent_version, str) or
                                          not re.fullmatch(VERSION, agent_version)):
            raise ControlError(f"agent_version {agent_version!r} is not a version (e.g. {AGENT_VERSION})")
        if outcome not in moto_ssm_agent.OUTCOMES:
            raise ControlError(f"outcome {outcome!r}: timeout or undeliverable (or none)")
        if node_id in nodes:
            raise ControlError(f"node {node_id} is listed twice")
        nodes[node_id] = Node(node_id, platform, users, tags, agent_version, outcome)

    for n in body.get("nodes") or []:
        if not isinstance(n, dict):
            raise ControlError("nodes: a list of objects")
        add(n.get("id"), n.get("platform", "Linux"), n.get("users", []), n.get("tags", {}), n.get("agent_version"),
            n.get("outcome"))
    count = body.get("count", 0)
    if not isinstance(count, int) or count < 0:
        raise ControlError("count: a number of nodes")
    if count:
        prefix = body.get("prefix", "i-0")
        if not isinstance(prefix, str) or not re.fullmatch(r"i-[0-9a-f]{0,16}", prefix):
            raise ControlError("prefix: i- and at most 16 hex digits")
        width = 19 - len(prefix)
        if count > 16 ** width:
            raise ControlError(f"count: prefix {prefix} leaves room for {16 ** width} ids")
        platform, users, tags = body.get("platform", "Linux"), body.get("users", []), body.get("tags", {})
        for i in range(count):
            add(f"{prefix}{i:0{width}x}", platform, users, tags, body.get("agent_version"))
    sparse = body.get("sparse_pages", False)
    if not isinstance(sparse, bool):
        raise ControlError("sparse_pages: true or false")
    with LOCK:
        state = _state(ssm_backends[account][region])
        state.nodes, state.sparse_pages = nodes, sparse
    return {"account": account, "region": region, "nodes": len(nodes)}


def _run_now(body):
    account, region = body.get("account"), body.get("region")
    done = body.get("in_progress")
    if done is not None and (not isinstance(done, int) or isinstance(done, bool) or done < 0):
        raise ControlError("in_progress: how many nodes have reported (0 or more)")
    executions = []
    with LOCK:
        for state in _existing_states(account, region):
            for association in list(state.associations.values()):
                e = _run(state, association, done)
                if e is None:
                    continue  # a closed calendar: nothing ran
                executions.append({
                    "account": state.account,
                    "region": state.region,
                    "AssociationId": association.id,
                    "ExecutionId": e.id,
                    "Status": e.status,
                    "ResourceCountByStatus": e.count_text(),
                })
    return {"executions": executions}


def _finish(body):
    account, region = body.get("account"), body.get("region")
    finished = 0
    with LOCK:
        for state in _existing_states(account, region):
            for association in state.associations.values():
                finished += sum(e.finish() for e in association.executions)
    return {"finished": finished}


def _calendar(body):
    account, region, name, value = (body.get(k) for k in ("account", "region", "name", "state"))
    if not isinstance(account, str) or not re.fullmatch(r"\d{12}", account):
        raise ControlError("account: a 12-digit account id is required")
    if not isinstance(region, str) or not re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d", region):
        raise ControlError("region: a region name is required")
    if not isinstance(name, str) or not re.fullmatch(PATTERNS["Name"], name):
        raise ControlError("name: a calendar (document) name is required")
    if value not in ("OPEN", "CLOSED"):
        raise ControlError("state: OPEN or CLOSED")
    with LOCK:
        _state(ssm_backends[account][region]).calendars[name] = value
    return {"account": account, "region": region, "name": name, "state": value}


def _calls():
    with LOCK:
        operations, by_place = {}, {}
        for (op, place), n in sorted(CALLS.items()):
            operations[op] = operations.get(op, 0) + n
            by_place.setdefault(place, {})[op] = n
        return {"total": sum(operations.values()), "operations": operations, "by_account_region": by_place,
                "denied": dict(sorted(DENIED.items()))}


def _reset_calls():
    with LOCK:
        CALLS.clear()
        DENIED.clear()
    return {"total": 0}


def _tag_guard(body):
    global TAG_GUARD
    role = body.get("role")
    if role is None:
        with LOCK:
            TAG_GUARD = None
        return {"role": None}
    if not isinstance(role, str) or not re.fullmatch(r"[\w+=,.@-]{1,64}", role):
        raise ControlError("role: an IAM role name, or null to turn the guard off")
    key, value = body.get("key"), body.get("value")
    try:
        _check_tag_key("key", key, "ValidationException")
        _check_tag_text("value", value, 0, 256)
    except SSMException:
        raise ControlError("key and value: a tag key (not aws:) and its value, as the model's Tag takes them")
    with LOCK:
        TAG_GUARD = (role, key, value)
    return {"role": role, "key": key, "value": value}


ROUTES = {
    ("POST", "/_emulated/ssm/fleet"): _fleet,
    ("POST", "/_emulated/ssm/run"): _run_now,
    ("POST", "/_emulated/ssm/run/finish"): _finish,
    ("POST", "/_emulated/ssm/calendar"): _calendar,
    ("GET", "/_emulated/ssm/calls"): lambda body: _calls(),
    ("POST", "/_emulated/ssm/calls/reset"): lambda body: _reset_calls(),
    ("POST", "/_emulated/ssm/tag_guard"): _tag_guard,
}


serve("/_emulated/ssm/", ROUTES)

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

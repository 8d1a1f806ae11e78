"""IAM enforcement in moto, completed where runas-guard's roles need it,
EMULATED for tests/deploy.rs (imported by moto_cfn.py; inert until a test
turns enforcement on through moto's ``/moto-api/reset-auth``). Never used by
product code.

moto 5.2.5 enforces identity policies (``INITIAL_NO_AUTH_ACTION_COUNT``) but,
except for S3, SQS and STS, checks every request against the resource
``*``: a statement scoped to a table, topic, document or organization ARN
never matches, so a correctly scoped role is denied everything. Here each
request the roles make is given the resource ARN the Service Authorization
Reference names for it:

- DynamoDB: ``arn:aws:dynamodb:<region>:<account>:table/<TableName>`` (and
  ``…/index/<IndexName>`` for a query of an index; ``BatchWriteItem``: its
  table). ``TransactWriteItems`` is authorized item by item, as the
  underlying ``PutItem``/``UpdateItem``/``DeleteItem``/``ConditionCheckItem``
  on that item's table (AWS has no IAM action of that name).
- SNS ``Publish``: the topic ARN.
- SSM document operations: ``arn:aws:ssm:<region>:<account>:document/<Name>``
  (or the ARN given as ``Name``); association operations naming only
  ``AssociationId``: ``arn:aws:ssm:<region>:<account>:association/<id>``.
- Organizations: the account, OU or root ARN
  (``arn:aws:organizations::<management>:account/<org>/<id>``, ``…:ou/<org>/<id>``,
  ``…:root/<org>/<id>``) of ``AccountId``, ``ChildId``,
  ``OrganizationalUnitId`` or ``ParentId``; ``ListRoots`` and
  ``DescribeOrganization`` ``*``.

- Lambda ``Invoke``: the function's ARN
  (``arn:aws:lambda:<region>:<account>:function:<name>``, with
  ``:<qualifier>`` when an alias or version is invoked), authorised as
  ``lambda:InvokeFunction`` (the IAM action of the ``Invoke`` operation).
- CloudFormation operations naming ``StackName``: the stack's ARN
  (``arn:aws:cloudformation:<region>:<account>:stack/<name>/<id>``).
- Security Hub CSPM ``BatchImportFindings``: the ``product`` its findings
  name (``ProductArn``, ``arn:aws:securityhub:<region>:<account>:product/
  <company>/<product>``), the resource type the Service Authorization
  Reference gives the action (``list_awssecurityhub.html``), which the
  member role's ``runas-guard-security-hub-findings`` policy is scoped to.

``sts:AssumeRole`` as AWS decides it: the role is looked up in its own
account, and a role that does not exist there is refused with
``AccessDenied`` (moto looked in the caller's account only, so a member
role that did not exist yet was assumable, and no member role's trust
policy was ever read); the trust policy must name the caller (its ARN, its
role's ARN for a role session, its account as ``arn:…:root`` or the bare
id, or ``*``) and the caller's identity policies must allow the action.
moto counted a statement's ``Condition`` out entirely; here a trust
statement applies only when its conditions hold, for the keys the shipped
roles use (the operator role: infra/member.yaml ``OperatorRole``), with
IAM's meaning (IAM User Guide, "AWS global condition context keys" and
"IAM JSON policy elements: Condition operators"):

- ``aws:PrincipalArn``: for an IAM user its ARN, for a role session the
  role's ARN *with its path* (not the ``sts`` session ARN), compared with
  ``ArnLike`` / ``ArnEquals`` (``*`` and ``?`` within each of the ARN's six
  colon-separated parts) and ``ArnNotLike`` / ``ArnNotEquals``;
- ``aws:PrincipalOrgID``: the organization of the caller's account (absent
  outside one), compared with ``StringEquals`` / ``StringNotEquals``;
- ``aws:SourceAccount`` with ``StringEquals``: the service's caller account
  (the forwarder role's trust; a service principal only).

A condition on any other key or with any other operator makes the statement
not apply (refused, never guessed). A refusal is AWS's: ``AccessDenied``,
"User: <caller> is not authorized to perform: sts:AssumeRole on resource:
<role>".

And as AWS authorises them: ``sqs:SendMessageBatch`` and
``sqs:DeleteMessageBatch`` as ``sqs:SendMessage`` / ``sqs:DeleteMessage``; a
trust policy's ``Principal: {"Service": …}``; and the Lambda service assuming
a function's execution role, which a test asks for with the request header
``x-local-aws-service-principal: lambda.amazonaws.com`` on ``AssumeRole``
(the caller must still be allowed ``sts:AssumeRole``).

A refusal is answered in the protocol of the service asked, as AWS does:
JSON for DynamoDB, SSM and Organizations and for Security Hub CSPM's
REST-JSON (``{"__type": "AccessDeniedException", ...}``; moto answered
XML, which the SDK read as a bare HTTP 403 with no code), and
``<ErrorResponse><Error>`` for the query services, STS, SNS and IAM (moto
answered EC2's ``<Response><Errors>`` shape, which their SDKs read as a bare
HTTP 403).

Request signatures are not verified: moto rebuilds the signed request from
what it parsed and, for some bodies the Rust SDK sends (an SNS ``Publish``
with message attributes), computes another signature than AWS would. The
access key still decides who the caller is, and so which policies apply.

Not evaluated (infra/tests cover them): session policies, permission
boundaries, SCPs, KMS key policies, conditions other than ``StringEquals``
and ``Bool``.
"""

import fnmatch
import json

from urllib.parse import unquote

from moto.awslambda.responses import LambdaResponse
from moto.cloudformation.models import cloudformation_backends
from moto.cloudformation.responses import CloudFormationResponse
from moto.core.exceptions import JsonRESTError, _RESTError
from xmltodict import unparse
from moto.dynamodb.responses import DynamoHandler
from moto.iam import access_control
from moto.iam.exceptions import NotFoundException
from moto.iam.models import iam_backends
from moto.organizations.models import organizations_backends
from moto.iam.policy_conditions import CONDITION_OPERATIONS  # noqa: F401 - moto's own, for reference
from moto.organizations.responses import OrganizationsResponse
from moto.securityhub.responses import SecurityHubResponse
from moto.sns.responses import SNSResponse
from moto.ssm.responses import SimpleSystemManagerResponse

SERVICE_HEADER = "x-local-aws-service-principal"
ACTION_AS = {"sqs:SendMessageBatch": "sqs:SendMessage", "sqs:DeleteMessageBatch": "sqs:DeleteMessage",
             "sqs:ChangeMessageVisibilityBatch": "sqs:ChangeMessageVisibility",
             "lambda:Invoke": "lambda:InvokeFunction"}


def _dynamodb_resource(self):
    table = self._get_param("TableName")
    if not table:
        items = self._get_param("RequestItems") or {}
        table = next(iter(items), None)
    if not table:
        return "*"
    arn = f"arn:aws:dynamodb:{self.region}:{self.current_account}:table/{table}"
    index = self._get_param("IndexName")
    return f"{arn}/index/{index}" if index else arn


def _sns_resource(self):
    return self._get_param("TopicArn") or "*"


def _ssm_resource(self):
    name = self._get_param("Name")
    association = self._get_param("AssociationId")
    if not name and association:
        # By id alone AWS authorizes the association, whatever its document.
        return f"arn:aws:ssm:{self.region}:{self.current_account}:association/{association}"
    if not name:
        return "*"
    if name.startswith("arn:"):
        return name
    return f"arn:aws:ssm:{self.region}:{self.current_account}:document/{name}"


def _organizations_resource(self):
    backend = organizations_backends[self.current_account][self.partition]
    org = backend.org
    if org is None:
        return "*"
    base = f"arn:aws:organizations::{org.master_account_id}"

    def arn_of(node_id):
        if node_id.startswith("ou-"):
            return f"{base}:ou/{org.id}/{node_id}"
        if node_id.startswith("r-"):
            return f"{base}:root/{org.id}/{node_id}"
        return f"{base}:account/{org.id}/{node_id}"

    for param in ("AccountId", "ChildId", "OrganizationalUnitId", "ParentId"):
        value = self._get_param(param)
        if value:
            return arn_of(value)
    return "*"


def _lambda_resource(self):
    # .../functions/<name or ARN>/invocations (and the other function paths)
    parts = [p for p in self.path.split("?")[0].split("/") if p]
    if "functions" not in parts or parts.index("functions") + 1 >= len(parts):
        return "*"
    name = unquote(parts[parts.index("functions") + 1])
    # A qualifier (``?Qualifier=ALIAS`` or ``NAME:ALIAS``) is part of the
    # resource, as in AWS: a grant on the unqualified ARN does not reach an
    # alias, nor a grant on an alias the function itself.
    qualifier = (self.querystring.get("Qualifier") or [None])[0]
    arn = name if name.startswith("arn:") else f"arn:aws:lambda:{self.region}:{self.current_account}:function:{name}"
    if qualifier and arn.count(":") == 6:
        arn = f"{arn}:{qualifier}"
    return arn


def _cloudformation_resource(self):
    name = self._get_param("StackName")
    if not name:
        return "*"
    if name.startswith("arn:"):
        return name
    backend = cloudformation_backends[self.current_account][self.region]
    stack = next((s for s in backend.stacks.values() if s.name == name), None)
    return stack.stack_id if stack else f"arn:aws:cloudformation:{self.region}:{self.current_account}:stack/{name}/*"


def _securityhub_resource(self):
    try:
        findings = json.loads(self.body or "{}").get("Findings") or []
    except (ValueError, AttributeError):
        return "*"
    arns = [f.get("ProductArn") for f in findings if isinstance(f, dict)]
    return next((a for a in arns if isinstance(a, str) and a), "*")


LambdaResponse._determine_resource = _lambda_resource
SecurityHubResponse._determine_resource = _securityhub_resource
CloudFormationResponse._determine_resource = _cloudformation_resource
DynamoHandler._determine_resource = _dynamodb_resource
SNSResponse._determine_resource = _sns_resource
SimpleSystemManagerResponse._determine_resource = _ssm_resource
OrganizationsResponse._determine_resource = _organizations_resource

_request_init = access_control.IAMRequestBase.__init__


def _request_with_aliases(self, *args, **kwargs):
    _request_init(self, *args, **kwargs)
    self._action = ACTION_AS.get(self._action, self._action)
    # The Lambda service assuming a function's role, for a test that asks.
    self._service_principal = {k.lower(): v for k, v in self._headers.items()}.get(SERVICE_HEADER)


access_control.IAMRequestBase.__init__ = _request_with_aliases
_permitted = access_control.IAMRequestBase.check_action_permitted


def _assume_role_as_aws_does(self, resource):
    """``sts:AssumeRole`` as AWS decides it: the role must exist in its own
    account (moto looked only in the caller's, so another account's role,
    and a role that does not exist at all, was assumable by anyone allowed
    ``sts:AssumeRole``), the caller's identity policies must allow it, and
    the role's trust policy must name the caller."""
    if self._action != "sts:AssumeRole" or ":role/" not in resource:
        return _permitted(self, resource)
    partition = resource.split(":")[1]
    owner = resource.split(":")[4]
    try:
        role = iam_backends[owner][partition].get_role_by_arn(resource)
    except NotFoundException:
        # AWS answers a missing role as it answers one that does not trust
        # the caller: AccessDenied, naming neither reason.
        _refuse_assume(self, resource)
    allowed = False
    for policy in self._access_key.collect_policies():
        result = access_control.IAMPolicy(policy).is_action_permitted(self._action, resource)
        if result == access_control.PermissionResult.DENIED:
            _refuse_assume(self, resource)
        allowed = allowed or result == access_control.PermissionResult.PERMITTED
    if not (allowed and _trusted(self, role)):
        _refuse_assume(self, resource)


def _refuse_assume(self, resource):
    raise QueryAccessDenied(
        f"User: {self._access_key.arn} is not authorized to perform: sts:AssumeRole on resource: {resource}"
    )


def _trusted(self, role):
    document = role.assume_role_policy_document
    document = json.loads(document) if isinstance(document, str) else document
    statements = document.get("Statement", [])
    statements = statements if isinstance(statements, list) else [statements]
    service = getattr(self, "_service_principal", None)
    caller = _caller_names(self._access_key.arn)
    for statement in statements:
        actions = statement.get("Action", [])
        actions = [actions] if isinstance(actions, str) else actions
        if statement.get("Effect") != "Allow" or not {"sts:AssumeRole", "sts:*", "*"} & set(actions):
            continue
        if not _conditions_hold(self, statement.get("Condition") or {}, service):
            continue
        principal = statement.get("Principal") or {}
        if principal == "*":
            return not service
        names = principal.get("Service") if service else principal.get("AWS")
        names = [names] if isinstance(names, str) else (names or [])
        if service and service in names:
            return True
        if not service and ("*" in names or caller & set(names)):
            return True
    return False


def _arn_like(pattern, arn):
    """IAM's ArnLike: the six colon-separated parts matched one by one, ``*``
    and ``?`` as wildcards within a part."""
    pattern_parts, arn_parts = pattern.split(":", 5), arn.split(":", 5)
    return (len(pattern_parts) == 6 and len(arn_parts) == 6
            and all(fnmatch.fnmatchcase(a, p.replace("[", "[[]")) for p, a in zip(pattern_parts, arn_parts)))


def _principal_arn(self):
    """``aws:PrincipalArn``: an IAM user's ARN, or a role session's role ARN with its path."""
    key = self._access_key
    backend = iam_backends[key.account_id][key.partition]
    try:
        if isinstance(key, access_control.AssumedRoleAccessKey):
            return backend.get_role(key._owner_role_name).arn
        return backend.get_user(key._owner_user_name).arn
    except NotFoundException:
        return key.arn


def _principal_org_id(account):
    """``aws:PrincipalOrgID``: the organization of ``account``, or None."""
    for partition in ("aws",):
        own = organizations_backends[account][partition].org
        if own is not None:
            return own.id
        if account in organizations_backends.master_accounts:
            master, partition = organizations_backends.master_accounts[account]
            org = organizations_backends[master][partition].org
            return org.id if org is not None else None
    return None


CONDITIONS = {
    ("ArnLike", "aws:principalarn"): lambda v, a: any(_arn_like(p, a) for p in v),
    ("ArnEquals", "aws:principalarn"): lambda v, a: any(_arn_like(p, a) for p in v),
    ("ArnNotLike", "aws:principalarn"): lambda v, a: not any(_arn_like(p, a) for p in v),
    ("ArnNotEquals", "aws:principalarn"): lambda v, a: not any(_arn_like(p, a) for p in v),
    ("StringEquals", "aws:principalorgid"): lambda v, a: a is not None and a in v,
    ("StringNotEquals", "aws:principalorgid"): lambda v, a: a is None or a not in v,
    ("StringEquals", "aws:sourceaccount"): lambda v, a: a is not None and a in v,
}


def _conditions_hold(self, condition, service):
    """Every operator and every key of a trust statement's Condition holds
    for this caller; an operator or key not implemented never holds."""
    context = {
        "aws:principalarn": None if service else _principal_arn(self),
        "aws:principalorgid": None if service else _principal_org_id(self._access_key.account_id),
        "aws:sourceaccount": self._access_key.account_id if service else None,
    }
    for operator, keys in condition.items():
        for key, values in (keys or {}).items():
            test = CONDITIONS.get((operator, key.lower()))
            values = [values] if isinstance(values, str) else list(values)
            if test is None or not test(values, context.get(key.lower())):
                return False
    return True


def _caller_names(arn):
    """The names a trust policy may use for the caller: its ARN, for a role
    session the role's ARN, and its account (``arn:…:root`` or the bare id)."""
    parts = arn.split(":")
    partition, account = parts[1], parts[4]
    names = {arn, account, f"arn:{partition}:iam::{account}:root"}
    resource = parts[5]
    if resource.startswith("assumed-role/"):
        names.add(f"arn:{partition}:iam::{account}:role/{resource.split('/')[1]}")
    return names


# TransactWriteItems is no IAM action of its own: AWS authorizes each of its
# items as the underlying operation on that item's table (the developer
# guide's "Using IAM with DynamoDB transactions": Put, Update and Delete as
# PutItem, UpdateItem and DeleteItem, ConditionCheck as ConditionCheckItem).
TRANSACT_ACTIONS = {"Put": "dynamodb:PutItem", "Update": "dynamodb:UpdateItem",
                    "Delete": "dynamodb:DeleteItem", "ConditionCheck": "dynamodb:ConditionCheckItem"}


def _transact_items(self):
    try:
        body = self._body.decode() if isinstance(self._body, bytes) else (self._body or "{}")
        items = json.loads(body or "{}").get("TransactItems") or []
    except (ValueError, AttributeError):
        return []
    out = []
    for item in items if isinstance(items, list) else []:
        for verb, spec in (item.items() if isinstance(item, dict) else []):
            table = spec.get("TableName") if isinstance(spec, dict) else None
            if verb in TRANSACT_ACTIONS and isinstance(table, str):
                out.append((TRANSACT_ACTIONS[verb], f"arn:aws:dynamodb:{self._region}:{self.account_id}:table/{table}"))
    return out


def _check_action_permitted(self, resource):
    if self._action != "dynamodb:TransactWriteItems":
        return _assume_role_as_aws_does(self, resource)
    items = _transact_items(self)
    if not items:
        return _permitted(self, resource)
    action = self._action
    try:
        for item_action, table_arn in items:
            self._action = item_action
            _permitted(self, table_arn)
    finally:
        self._action = action


access_control.IAMRequestBase.check_action_permitted = _check_action_permitted
_check_principal = access_control.IAMPolicyStatement._check_principal


def _principal_of_any_kind(self, principal):
    expected = self._statement.get("Principal")
    if isinstance(expected, dict) and "AWS" not in expected:
        return False
    return _check_principal(self, principal)


access_control.IAMPolicyStatement._check_principal = _principal_of_any_kind
access_control.IAMRequestBase.check_signature = lambda self: None


def _denied_in_the_callers_protocol(self):
    # A JSON-protocol service (DynamoDB, SSM, Organizations) answers a refusal
    # in JSON, as AWS does; moto answered every refusal in XML, which an SDK
    # of a JSON service cannot read (it saw only HTTP 403).
    if self._headers.get("X-Amz-Target") or self._service == "securityhub":
        raise JsonRESTError(
            "AccessDeniedException",
            f"User: {self._access_key.arn} is not authorized to perform: {self._action}",
        )
    raise QueryAccessDenied(f"User: {self._access_key.arn} is not authorized to perform: {self._action}")


class QueryAccessDenied(_RESTError):
    """A refusal as a query-protocol service (STS, SNS, IAM) answers it:
    ``<ErrorResponse><Error>…</Error><RequestId/></ErrorResponse>``. moto
    wrapped the error in ``<Errors>``, the EC2 shape, which an SDK of those
    services cannot read: it saw only HTTP 403, not ``AccessDenied``."""

    code = 403

    def __init__(self, message):
        super().__init__("AccessDenied", message)
        self.description = unparse(
            {
                "ErrorResponse": {
                    "Error": {"Type": "Sender", "Code": "AccessDenied", "Message": message},
                    "RequestId": "c6104cbe-af31-11e0-8154-cbc7ccf896c7",
                }
            },
            full_document=True,
        )


access_control.IAMRequest._raise_access_denied = _denied_in_the_callers_protocol

_policy_init = access_control.IAMPolicy.__init__


def _policy_of_any_shape(self, policy):
    # A role made by CloudFormation keeps each inline policy as the
    # template gave it (a document, or {PolicyName, PolicyDocument}).
    if isinstance(policy, dict) and "policy_document" not in policy:
        document = policy.get("PolicyDocument", policy)
        policy = document if isinstance(document, str) else json.dumps(_without_no_value(document))
    _policy_init(self, policy)


def _without_no_value(document):
    """`AWS::NoValue` (an `Fn::If` branch not taken) removes the element, as
    CloudFormation does; moto's template resolver leaves a null."""
    if isinstance(document, dict):
        return {k: _without_no_value(v) for k, v in document.items() if v is not None}
    if isinstance(document, list):
        return [_without_no_value(v) for v in document if v is not None]
    return document


access_control.IAMPolicy.__init__ = _policy_of_any_shape

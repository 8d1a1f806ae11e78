"""Sample EventBridge events for the routing tests that events/ does not hold yet.

events/ is the contract with the Rust side (``runas-guard explain`` must
classify each file as its name says). The triggers added for the issue
"Run As decided outside the document / invited accounts" are classified by
the Rust side later; until its samples land in events/, the routing tests use
the events below. Each entry is ``(name, expected trigger, event)``, named the
way events/ names its files (``<trigger>.<what>``), and test_routing.py runs
them through exactly the same prefix-based tests as the files in events/. When
``events/run_as_override.*.json`` and
``events/account_vended.organizations-account-joined.json`` exist, those tests
cover them too, with no change here.

Conventions are events/README.md's: one EventBridge event exactly as a target
receives it (envelope ``version``, ``id``, ``detail-type``, ``source``,
``account``, ``time``, ``region``, ``resources``, ``detail``), documentation
account ids (``123456789012`` management, ``111122223333`` member,
``2109876543xx`` new accounts), documentation IP ranges, unique UUIDv4 ids.

Where the shapes come from:

* IAM (``TagRole``, ``TagUser``, ``CreateRole``, ``CreateUser``,
  ``UntagRole``): *Logging IAM and AWS STS API calls with AWS CloudTrail*
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/cloudtrail-integration.html):
  ``eventSource`` ``iam.amazonaws.com``, ``awsRegion`` ``us-east-1`` (IAM is
  global; its events are delivered in us-east-1), ``requestParameters`` in
  the API's lower-camel-cased request fields: ``roleName`` / ``userName``,
  ``tags`` as a list of ``{"key", "value"}`` objects, ``tagKeys`` for
  Untag*. ``TagRole``'s response is empty, so ``responseElements`` is
  ``null``; ``CreateRole`` / ``CreateUser`` return the role / user. EventBridge
  source ``aws.iam`` (*AWS Identity and Access Management events*,
  https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-iam.html).
* IAM Identity Center (``Create``/``Update``/``Delete`` ``InstanceAccess``
  ``ControlAttributeConfiguration``): *Logging IAM Identity Center API calls
  with AWS CloudTrail* (event source ``sso.amazonaws.com``, EventBridge source
  ``aws.sso``); request fields from the SSO Admin API
  (``InstanceArn``, ``InstanceAccessControlAttributeConfiguration.``
  ``AccessControlAttributes[].{Key, Value.Source[]}``), lower-camel-cased.
  Logged in the account and region of the Identity Center instance (here the
  management account, eu-west-1).
* Organizations ``AccountJoinedOrganization``: the Organizations API
  reference (``AcceptHandshake``, ``CreateAccount``) says the event is logged
  only in the management account's event history, with ``joinedMethod``
  (``Invited`` / ``Created``) and ``joinedTime``. No AWS page shows a whole
  record: the envelope and ``userIdentity`` below follow the other
  Organizations service event (``CreateAccountResult``), and where the two
  fields sit (``serviceEventDetails``) is an assumption. The routing pattern
  therefore matches on ``source`` and ``eventName`` only.
* Systems Manager State Manager (``CreateAssociation``, ``UpdateAssociation``,
  ``DeleteAssociation``, ``DescribeAssociation``): *Logging AWS Systems
  Manager API calls with AWS CloudTrail* (event source ``ssm.amazonaws.com``,
  EventBridge source ``aws.ssm``), request fields from the SSM API
  (*CreateAssociation*, *UpdateAssociation*, *DeleteAssociation*) lower-camel-
  cased, the answer's ``associationDescription`` as in
  events/document_changed.ssm-update-association.json (the association's
  ``parameters`` hidden by CloudTrail, as that file has them). The run-as user
  check's writes are ``document_changed`` samples (the function classifies
  them as a change of the check in that account-region); events/ holds the
  by-id update and delete, these add the creation, the ARN form, an update
  naming the document, and the calls that must not be routed.
* Systems Manager tags on the check's association (``RemoveTagsFromResource``,
  ``AddTagsToResource``): the SSM CloudTrail page, request fields from the
  SSM API (*RemoveTagsFromResource*: ``ResourceType``, ``ResourceId``,
  ``TagKeys``; *AddTagsToResource*: ``ResourceType``, ``ResourceId``,
  ``Tags`` of ``Key`` / ``Value``) lower-camel-cased as in
  events/forwarding_canary.ssm-add-tags-to-resource.json, an association
  named by its id; both answers are empty (``responseElements`` ``null``).
  runas-guard's tag ``runas-guard:managed`` taken off or given another value
  is a ``document_changed`` sample (the function looks at the check and tags
  its association again); runas-guard's own tag (``true``), another key, a
  refused call and the key on a document are not routed.
* Systems Manager documents (``CreateDocument``, ``UpdateDocument``,
  ``UpdateDocumentDefaultVersion``, ``DeleteDocument``) of a document
  runas-guard does not govern: the shapes of events/document_changed.ssm-*.json
  (SSM CloudTrail page; request fields from *CreateDocument*, *UpdateDocument*,
  *UpdateDocumentDefaultVersion*, the answer's ``documentDescription``
  lower-camel-cased from the API's ``DocumentDescription``, content hidden by
  CloudTrail), for ``Elevated-Shell``, a Session document an administrator
  wrote (``session_document_changed``: the function reads it, since one of
  sessionType ``InteractiveCommands`` / ``NonInteractiveCommands`` with
  ``properties.linux.runAsElevated`` true skips Run As), and the look-alikes
  that are not routed: a Command document (by type, and by no type: SSM's
  default), a refused creation, a deletion.
* CloudFormation ``CloudFormation StackSet StackInstance Status Change``
  (``member_stack_landed``): *StackSet Stack Instance Status Change event
  detail*
  (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/event-detail-stackset-stack-instance-status-change.html):
  source ``aws.cloudformation``, ``detail`` with ``stack-set-arn``,
  ``stack-id``, ``action`` (``CREATE`` | ``UPDATE`` | ``DELETE`` |
  ``DETECT_DRIFT``) and ``status-details`` (``status``, ``detailed-status``);
  the envelope ``account`` and ``region`` are the StackSet administrator's
  and the StackSet's, ``resources`` the StackSet ARN. The ``stack-id`` of a
  StackSet's instance names the target account and region
  (``stack/StackSet-<name>-<uuid>/<uuid>``). These add a StackSet
  administered by a delegated administrator in another region than
  events/'s, and the look-alikes that are not routed: a running instance,
  drift detection, another StackSet whose name starts or ends like ours, a
  StackSet operation (another detail-type).
* Control Tower baseline lifecycle events (``EnableBaseline``,
  ``ResetEnabledBaseline``, ``UpdateEnabledBaseline``; ``baseline_applied``):
  *Lifecycle events in AWS Control Tower*
  (https://docs.aws.amazon.com/controltower/latest/userguide/lifecycle-events.html)
  and the shape of events/baseline_applied.*.json: the status object named
  after the operation (``enableBaselineStatus``, as ``CreateManagedAccount``
  has ``createManagedAccountStatus``) holds ``enabledBaselineDetails``, the
  Control Tower API's *EnabledBaselineDetails* (``arn``,
  ``baselineIdentifier``, ``baselineVersion``, ``targetIdentifier``: the
  account or OU ARN, ``statusSummary.status``). These add a reset of one
  account's baseline and the failed ones, which are not routed.
* ``AccountDepartedOrganization``, ``AssumeRole`` with session tags: not
  routed; here to show that.

Synthesised rather than copied: the user agents, ids (the envelope ``id`` is
the ``eventID`` with its last digit changed), role names, the ``instanceArn``,
the ``joinedTime`` format.
"""

import copy

MANAGEMENT = "123456789012"
MEMBER = "111122223333"


def _assumed_role(account, role, session, principal_suffix="01"):
    return {
        "type": "AssumedRole",
        "principalId": f"AROA3XFRBF23EXAMPLE{principal_suffix}:{session}",
        "arn": f"arn:aws:sts::{account}:assumed-role/{role.rsplit('/', 1)[-1]}/{session}",
        "accountId": account,
        "accessKeyId": "ASIAIOSFODNN7EXAMPLE",
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "principalId": f"AROA3XFRBF23EXAMPLE{principal_suffix}",
                "arn": f"arn:aws:iam::{account}:role/{role}",
                "accountId": account,
                "userName": role.rsplit("/", 1)[-1],
            },
            "webIdFederationData": {},
            "attributes": {"creationDate": "2025-03-14T09:58:40Z", "mfaAuthenticated": "false"},
        },
    }


def _iam_user(account, name):
    return {
        "type": "IAMUser",
        "principalId": "AIDACKCEVSQ6C2EXAMPLE",
        "arn": f"arn:aws:iam::{account}:user/{name}",
        "accountId": account,
        "accessKeyId": "AKIAIOSFODNN7EXAMPLE",
        "userName": name,
    }


def _root_console(account):
    return {
        "type": "Root",
        "principalId": account,
        "arn": f"arn:aws:iam::{account}:root",
        "accountId": account,
        "accessKeyId": "ASIAI44QH8DHBEXAMPLE",
        "sessionContext": {
            "sessionIssuer": {},
            "webIdFederationData": {},
            "attributes": {"creationDate": "2025-03-14T09:40:02Z", "mfaAuthenticated": "true"},
        },
    }


def _envelope_id(event_id):
    """The EventBridge envelope id: another UUIDv4 than the CloudTrail eventID (last digit changed)."""
    return event_id[:-1] + ("0" if event_id[-1] != "0" else "1")


CLI_AGENT = ("aws-cli/2.24.10 md/awscrt#0.23.8 ua/2.1 os/linux#6.8.0-1021-aws md/arch#x86_64 lang/python#3.12.9 "
             "md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/prompt#off")
CONSOLE_AGENT = "AWS Internal"


def _api_call(*, event_id, request_id, time, source, event_source, account, region, event_name, user_identity,
              request_parameters, response_elements=None, read_only=False, agent=CLI_AGENT, error=None):
    detail = {
        "eventVersion": "1.09",
        "userIdentity": user_identity,
        "eventTime": time,
        "eventSource": event_source,
        "eventName": event_name,
        "awsRegion": region,
        "sourceIPAddress": "203.0.113.10",
        "userAgent": agent,
    }
    if error:
        detail["errorCode"], detail["errorMessage"] = error
    detail.update({
        "requestParameters": request_parameters,
        "responseElements": response_elements,
        "requestID": request_id,
        "eventID": event_id,
        "readOnly": read_only,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": account,
        "eventCategory": "Management",
        "tlsDetails": {
            "tlsVersion": "TLSv1.3",
            "cipherSuite": "TLS_AES_128_GCM_SHA256",
            # IAM has one global endpoint; the others are regional.
            "clientProvidedHostHeader": event_source if event_source == "iam.amazonaws.com"
            else event_source.replace(".amazonaws.com", f".{region}.amazonaws.com"),
        },
    })
    return {
        "version": "0",
        "id": _envelope_id(event_id),
        "detail-type": "AWS API Call via CloudTrail",
        "source": source,
        "account": account,
        "time": time,
        "region": region,
        "resources": [],
        "detail": detail,
    }


def _iam(event_name, user_identity, request_parameters, *, event_id, request_id, time,
         response_elements=None, error=None, account=MEMBER):
    return _api_call(event_id=event_id, request_id=request_id, time=time, source="aws.iam",
                     event_source="iam.amazonaws.com", account=account, region="us-east-1", event_name=event_name,
                     user_identity=user_identity, request_parameters=request_parameters,
                     response_elements=response_elements, error=error)


def _sso(event_name, request_parameters, *, event_id, request_id, time, read_only=False):
    return _api_call(event_id=event_id, request_id=request_id, time=time, source="aws.sso",
                     event_source="sso.amazonaws.com", account=MANAGEMENT, region="eu-west-1",
                     event_name=event_name,
                     user_identity=_assumed_role(
                         MANAGEMENT,
                         "aws-reserved/sso.amazonaws.com/eu-west-1/"
                         "AWSReservedSSO_AdministratorAccess_0a1b2c3d4e5f6a7b",
                         "jane.doe@example.com", "07"),
                     request_parameters=request_parameters, read_only=read_only, agent=CONSOLE_AGENT)


def _organizations_service_event(event_name, details, *, event_id, time):
    return {
        "version": "0",
        "id": _envelope_id(event_id),
        "detail-type": "AWS Service Event via CloudTrail",
        "source": "aws.organizations",
        "account": MANAGEMENT,
        "time": time,
        "region": "us-east-1",
        "resources": [],
        "detail": {
            "eventVersion": "1.11",
            "userIdentity": {"accountId": MANAGEMENT, "invokedBy": "AWS Internal"},
            "eventTime": time,
            "eventSource": "organizations.amazonaws.com",
            "eventName": event_name,
            "awsRegion": "us-east-1",
            "sourceIPAddress": "AWS Internal",
            "userAgent": "AWS Internal",
            "requestParameters": None,
            "responseElements": None,
            "eventID": event_id,
            "readOnly": False,
            "eventType": "AwsServiceEvent",
            "managementEvent": True,
            "recipientAccountId": MANAGEMENT,
            "serviceEventDetails": details,
            "eventCategory": "Management",
        },
    }


def _ssm(event_name, request_parameters, *, event_id, request_id, time, response_elements=None, error=None,
         read_only=False, user_identity=None):
    return _api_call(event_id=event_id, request_id=request_id, time=time, source="aws.ssm",
                     event_source="ssm.amazonaws.com", account=MEMBER, region="eu-west-1", event_name=event_name,
                     user_identity=user_identity or _assumed_role(MEMBER, "Admin", "jane.doe"),
                     request_parameters=request_parameters, response_elements=response_elements, error=error,
                     read_only=read_only)


DELEGATED_ADMIN = "444455556666"
MEMBER_STACK_SET = "runas-guard-member"


def _stack_instance(*, stack_set, stack_set_id, account, region, target_account, target_region, action,
                    detailed_status, event_id, time, stack_id, status="CURRENT",
                    detail_type="CloudFormation StackSet StackInstance Status Change"):
    """A CloudFormation stack-instance status change, on the StackSet administrator's default bus."""
    stack_set_arn = f"arn:aws:cloudformation:{region}:{account}:stackset/{stack_set}:{stack_set_id}"
    return {
        "version": "0",
        "id": event_id,
        "detail-type": detail_type,
        "source": "aws.cloudformation",
        "account": account,
        "time": time,
        "region": region,
        "resources": [stack_set_arn],
        "detail": {
            "stack-set-arn": stack_set_arn,
            "stack-id": (f"arn:aws:cloudformation:{target_region}:{target_account}:stack/"
                         f"StackSet-{stack_set}-{stack_id}"),
            "action": action,
            "status-details": {"status": status, "detailed-status": detailed_status},
        },
    }


def _controltower_baseline(event_name, target, status, *, event_id, operation_id, time,
                           enabled_baseline="XOB3N6C8D1F4G7H2J", status_object=None):
    """A Control Tower baseline lifecycle event (management account, Control Tower's home region).
    `status_object` overrides the object named after the operation (a malformed event)."""
    status_object = status_object or event_name[0].lower() + event_name[1:] + "Status"
    return {
        "version": "0",
        "id": _envelope_id(event_id),
        "detail-type": "AWS Service Event via CloudTrail",
        "source": "aws.controltower",
        "account": MANAGEMENT,
        "time": time,
        "region": "us-east-1",
        "resources": [],
        "detail": {
            "eventVersion": "1.08",
            "userIdentity": {"accountId": MANAGEMENT, "invokedBy": "AWS Internal"},
            "eventTime": time,
            "eventSource": "controltower.amazonaws.com",
            "eventName": event_name,
            "awsRegion": "us-east-1",
            "sourceIPAddress": "AWS Internal",
            "userAgent": "AWS Internal",
            "requestParameters": None,
            "responseElements": None,
            "eventID": event_id,
            "readOnly": False,
            "eventType": "AwsServiceEvent",
            "managementEvent": True,
            "recipientAccountId": MANAGEMENT,
            "serviceEventDetails": {status_object: {"enabledBaselineDetails": {
                "arn": f"arn:aws:controltower:us-east-1:{MANAGEMENT}:enabledbaseline/{enabled_baseline}",
                "baselineIdentifier": "arn:aws:controltower:us-east-1::baseline/17BSJV3IGJ2QSGA2",
                "baselineVersion": "4.0",
                "targetIdentifier": target,
                "statusSummary": {"status": status, "lastOperationIdentifier": operation_id},
            }}},
            "eventCategory": "Management",
        },
    }


CHECK_DOCUMENT = "RunAsGuard-CheckRunAsUser"
CHECK_ASSOCIATION = "runas-guard-check-run-as-user"
# runas-guard's tag on the association it keeps (src/domain/nodes/managed_tag.rs).
MANAGED_TAG_KEY = "runas-guard:managed"
MANAGED_TAG_VALUE = "true"
CHECK_ASSOCIATION_ID = "8dfe3659-4309-493a-8755-0123456789ab"
ALL_NODES = [{"key": "InstanceIds", "values": ["*"]}]


def _association(name, association_id, version, association_name, schedule="rate(1 day)"):
    """An ``associationDescription`` as CloudTrail records SSM's answer (parameters hidden)."""
    return {"associationDescription": {
        "name": name,
        "associationVersion": version,
        "date": "Nov 22, 2026 9:14:03 AM",
        "lastUpdateAssociationDate": "Nov 22, 2026 9:40:12 AM",
        "overview": {"status": "Pending", "detailedStatus": "Associated", "associationStatusAggregatedCount": {}},
        "documentVersion": "$DEFAULT",
        "parameters": "HIDDEN_DUE_TO_SECURITY_REASONS",
        "associationId": association_id,
        "targets": ALL_NODES,
        "scheduleExpression": schedule,
        "associationName": association_name,
        "applyOnlyAtCronInterval": False,
        "calendarNames": [],
        "targetMaps": [],
    }}


def _document_description(name, *, document_type, version, default, status, created, description="",
                          fmt="JSON", platforms=("Linux", "MacOS")):
    """A ``documentDescription`` as CloudTrail records SSM's answer to CreateDocument / UpdateDocument."""
    return {"documentDescription": {
        "hash": "4c1d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d",
        "hashType": "Sha256",
        "name": name,
        "owner": MEMBER,
        "createdDate": created,
        "status": status,
        "documentVersion": version,
        "description": description,
        "platformTypes": list(platforms),
        "documentType": document_type,
        "schemaVersion": "1.0" if document_type == "Session" else "2.2",
        "latestVersion": version,
        "defaultVersion": default,
        "documentFormat": fmt,
        "tags": [],
    }}


ELEVATED_SHELL = "Elevated-Shell"
INSTANCE_ARN = "arn:aws:sso:::instance/ssoins-6987a1b2c3d4e5f6"
RUN_AS_ATTRIBUTES = {
    "accessControlAttributes": [
        {"key": "CostCenter", "value": {"source": ["${path:enterprise.costCenter}"]}},
        {"key": "SSMSessionRunAs", "value": {"source": ["${path:userName}"]}},
    ]
}
TRUST_EC2 = ('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},'
             '"Action":"sts:AssumeRole"}]}')

_SAMPLES = [
    # ----------------------------------------------------------------- acted on
    ("run_as_override.iam-tag-role", _iam(
        "TagRole", _assumed_role(MEMBER, "Admin", "jane.doe"),
        {"roleName": "Admin", "tags": [{"key": "SSMSessionRunAs", "value": "root"}]},
        event_id="4f9b6a7e-2c1d-4e8a-9b3f-5a6c7d8e9f01", request_id="0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e41",
        time="2025-03-14T10:02:11Z")),
    # Another key first, the key in lower case: any element, any case.
    ("run_as_override.iam-tag-user-lower-case-key", _iam(
        "TagUser", _iam_user(MEMBER, "ops-bob"),
        {"userName": "ops-bob", "tags": [{"key": "Team", "value": "ops"}, {"key": "ssmsessionrunas", "value": "root"}]},
        event_id="5a0c7b8f-3d2e-4f9a-8c4a-6b7d8e9f0a12", request_id="1d2e3f4a-5b6c-4d7e-9f8a-0b1c2d3e4f52",
        time="2025-03-14T10:03:27Z")),
    ("run_as_override.iam-create-role-with-tag", _iam(
        "CreateRole", _assumed_role(MEMBER, "Admin", "jane.doe"),
        {"roleName": "BreakGlassShell", "assumeRolePolicyDocument": TRUST_EC2,
         "tags": [{"key": "SSMSessionRunAs", "value": "ec2-user"}]},
        response_elements={"role": {
            "path": "/", "roleName": "BreakGlassShell", "roleId": "AROA3XFRBF23EXAMPLE09",
            "arn": f"arn:aws:iam::{MEMBER}:role/BreakGlassShell", "createDate": "Mar 14, 2025 10:05:00 AM",
            "assumeRolePolicyDocument": "%7B%22Version%22%3A%222012-10-17%22%7D",
            "tags": [{"key": "SSMSessionRunAs", "value": "ec2-user"}]}},
        event_id="6b1d8c9a-4e3f-4a0b-9d5b-7c8e9f0a1b23", request_id="2e3f4a5b-6c7d-4e8f-8a9b-1c2d3e4f5a63",
        time="2025-03-14T10:05:00Z")),
    ("run_as_override.iam-create-user-with-tag", _iam(
        "CreateUser", _root_console(MEMBER),
        {"userName": "night-shift", "tags": [{"key": "SSMSessionRunAs", "value": "root"}]},
        response_elements={"user": {
            "path": "/", "userName": "night-shift", "userId": "AIDACKCEVSQ6C2EXAMPLF",
            "arn": f"arn:aws:iam::{MEMBER}:user/night-shift", "createDate": "Mar 14, 2025 10:06:12 AM",
            "tags": [{"key": "SSMSessionRunAs", "value": "root"}]}},
        event_id="7c2e9dab-5f4a-4b1c-8e6c-8d9f0a1b2c34", request_id="3f4a5b6c-7d8e-4f9a-9b0c-2d3e4f5a6b74",
        time="2025-03-14T10:06:12Z")),
    ("run_as_override.sso-create-access-control-attributes", _sso(
        "CreateInstanceAccessControlAttributeConfiguration",
        {"instanceArn": INSTANCE_ARN, "instanceAccessControlAttributeConfiguration": RUN_AS_ATTRIBUTES},
        event_id="8d3faebc-6a5b-4c2d-9f7d-9e0a1b2c3d45", request_id="4a5b6c7d-8e9f-4a0b-8c1d-3e4f5a6b7c85",
        time="2025-03-14T11:00:00Z")),
    ("run_as_override.sso-update-access-control-attributes", _sso(
        "UpdateInstanceAccessControlAttributeConfiguration",
        {"instanceArn": INSTANCE_ARN, "instanceAccessControlAttributeConfiguration": RUN_AS_ATTRIBUTES},
        event_id="9e4abfcd-7b6c-4d3e-8a8e-0f1b2c3d4e56", request_id="5b6c7d8e-9f0a-4b1c-9d2e-4f5a6b7c8d96",
        time="2025-03-14T11:10:00Z")),
    ("run_as_override.sso-delete-access-control-attributes", _sso(
        "DeleteInstanceAccessControlAttributeConfiguration", {"instanceArn": INSTANCE_ARN},
        event_id="af5bcade-8c7d-4e4f-9b9f-1a2c3d4e5f67", request_id="6c7d8e9f-0a1b-4c2d-8e3f-5a6b7c8d9ea7",
        time="2025-03-14T11:20:00Z")),
    ("account_vended.organizations-account-joined", _organizations_service_event(
        "AccountJoinedOrganization",
        {"accountId": "210987654399", "joinedMethod": "INVITED", "joinedTime": "2025-03-14T12:00:03Z"},
        event_id="b06cdbef-9d8e-4f5a-8cab-2b3d4e5f6a78", time="2025-03-14T12:00:03Z")),
    # A created account is announced twice (CreateAccountResult, then this):
    # routed on purpose, the second run finds the account right and is silent.
    ("account_vended.organizations-account-joined-created", _organizations_service_event(
        "AccountJoinedOrganization",
        {"accountId": "210987654321", "joinedMethod": "CREATED", "joinedTime": "2025-03-10T09:14:27Z"},
        event_id="c17dec0a-ae9f-4a6b-9dbc-3c4e5f6a7b89", time="2025-03-10T09:14:28Z")),
    # The run-as user check's association ([nodes] check_user): created (a
    # second copy), created naming the document by ARN, updated naming it.
    ("document_changed.ssm-create-association-check", _ssm(
        "CreateAssociation",
        {"name": CHECK_DOCUMENT, "targets": ALL_NODES, "scheduleExpression": "rate(1 day)",
         "associationName": CHECK_ASSOCIATION, "parameters": "HIDDEN_DUE_TO_SECURITY_REASONS"},
        response_elements=_association(CHECK_DOCUMENT, "5c2d1e8f-7a3b-4c6d-9e0f-a1b2c3d4e5f6", "1",
                                       CHECK_ASSOCIATION),
        event_id="d0ae0bc4-eb7c-4c2f-a115-cc480a503bf5", request_id="759afd1e-e649-412c-be1b-017e44faf048",
        time="2026-11-22T09:40:12Z")),
    ("document_changed.ssm-create-association-check-by-arn", _ssm(
        "CreateAssociation",
        {"name": f"arn:aws:ssm:eu-west-1:{MEMBER}:document/{CHECK_DOCUMENT}", "targets": ALL_NODES,
         "scheduleExpression": "rate(30 minutes)", "associationName": "mine",
         "parameters": "HIDDEN_DUE_TO_SECURITY_REASONS"},
        response_elements=_association(f"arn:aws:ssm:eu-west-1:{MEMBER}:document/{CHECK_DOCUMENT}",
                                       "6d3e2f9a-8b4c-4d7e-8f1a-b2c3d4e5f6a7", "1", "mine",
                                       schedule="rate(30 minutes)"),
        event_id="f343e42d-7373-4b30-b40d-27673660a0f6", request_id="d9bdd5c9-9d5f-4984-b752-da6c06ad74c7",
        time="2026-11-22T09:41:30Z")),
    ("document_changed.ssm-update-association-by-name", _ssm(
        "UpdateAssociation",
        {"associationId": "8dfe3659-4309-493a-8755-0123456789ab", "associationVersion": "3",
         "name": CHECK_DOCUMENT, "associationName": CHECK_ASSOCIATION, "targets": ALL_NODES,
         "scheduleExpression": "rate(1 day)", "parameters": "HIDDEN_DUE_TO_SECURITY_REASONS"},
        response_elements=_association(CHECK_DOCUMENT, "8dfe3659-4309-493a-8755-0123456789ab", "4",
                                       CHECK_ASSOCIATION),
        event_id="0f2994ab-87d7-42e5-b392-5673355d7112", request_id="3e89984c-fd40-40c0-9529-af475b9c1433",
        time="2026-11-22T09:44:51Z")),
    # runas-guard's tag on the association taken off, or given another value
    # (possible without SCP 11): the function tags it again. CloudTrail names
    # the association by id (resourceId) and the tag keys it removes
    # (tagKeys) or the tags it writes (tags, a list of {"key", "value"}).
    ("document_changed.ssm-remove-tags-association-check", _ssm(
        "RemoveTagsFromResource",
        {"resourceType": "Association", "resourceId": CHECK_ASSOCIATION_ID, "tagKeys": [MANAGED_TAG_KEY]},
        event_id="7c1e5a93-2d4b-4f68-9a07-3b5c8e1d6f24", request_id="e2a9c4f1-6b3d-4a85-8c17-5d0f9b2e7a63",
        time="2026-11-22T09:46:05Z")),
    ("document_changed.ssm-add-tags-association-check-overwritten", _ssm(
        "AddTagsToResource",
        {"resourceType": "Association", "resourceId": CHECK_ASSOCIATION_ID,
         "tags": [{"key": "Team", "value": "ops"}, {"key": MANAGED_TAG_KEY, "value": "false"}]},
        event_id="a4d82f6e-1c9b-4e37-b5a0-6e2d7c4f9b18", request_id="3f7b1d5a-8e2c-4c96-a0d4-9b6e1f3a5c27",
        time="2026-11-22T09:47:12Z")),
    # Another Session document written (InteractiveCommands with
    # properties.linux.runAsElevated true, say: CloudTrail hides the content,
    # so the function reads it): created, updated, a version made default.
    ("session_document_changed.ssm-create-session-document", _ssm(
        "CreateDocument",
        {"content": "HIDDEN_DUE_TO_SECURITY_REASONS", "name": ELEVATED_SHELL, "documentType": "Session",
         "documentFormat": "JSON"},
        response_elements=_document_description(ELEVATED_SHELL, document_type="Session", version="1", default="1",
                                                 status="Creating", created="Nov 23, 2026 8:02:11 AM",
                                                 description="Interactive shell"),
        event_id="6a1f0c2e-93b4-4d57-8e21-3f5a7c9b0d41", request_id="b7e2d4a9-1c3f-4e68-9a05-72d1c8e3f6a2",
        time="2026-11-23T08:02:11Z")),
    ("session_document_changed.ssm-update-session-document", _ssm(
        "UpdateDocument",
        {"content": "HIDDEN_DUE_TO_SECURITY_REASONS", "name": ELEVATED_SHELL, "documentVersion": "$LATEST"},
        response_elements=_document_description(ELEVATED_SHELL, document_type="Session", version="2", default="1",
                                                 status="Updating", created="Nov 23, 2026 8:02:11 AM",
                                                 description="Interactive shell"),
        event_id="0d8b3e5f-27a1-4c96-b4e0-9a6f1d2c8e73", request_id="5c9e1a7b-3d2f-4b80-8e64-a1f0d3b7c2e9",
        time="2026-11-23T08:05:40Z")),
    ("session_document_changed.ssm-update-document-default-version-other", _ssm(
        "UpdateDocumentDefaultVersion", {"name": ELEVATED_SHELL, "documentVersion": "2"},
        response_elements={"description": {"name": ELEVATED_SHELL, "defaultVersion": "2"}},
        event_id="e4c7a2d9-5b18-4f3e-a6c0-2d9b8f1e7a35", request_id="8f2b6d1c-4e9a-4a37-b5d8-0c3e7a9f1b64",
        time="2026-11-23T08:06:02Z")),
    # -------------------------------------------------------------------- ignored
    ("ignored.iam-tag-role-other-key", _iam(
        "TagRole", _assumed_role(MEMBER, "Admin", "jane.doe"),
        {"roleName": "Admin", "tags": [{"key": "CostCenter", "value": "1234"}]},
        event_id="d28efd1b-bfa0-4b7c-8ecd-4d5f6a7b8c9a", request_id="7d8e9f0a-1b2c-4d3e-9f4a-6b7c8d9eafb8",
        time="2025-03-14T10:10:00Z")),
    # The name in a tag's value is not a tag key.
    ("ignored.iam-tag-role-name-in-value", _iam(
        "TagRole", _assumed_role(MEMBER, "Admin", "jane.doe"),
        {"roleName": "Admin", "tags": [{"key": "Note", "value": "SSMSessionRunAs"}]},
        event_id="e39f0e2c-c0b1-4c8d-9fde-5e6a7b8c9dab", request_id="8e9f0a1b-2c3d-4e4f-8a5b-7c8d9eafb0c9",
        time="2025-03-14T10:11:00Z")),
    ("ignored.iam-tag-role-denied-by-scp", _iam(
        "TagRole", _assumed_role(MEMBER, "Admin", "jane.doe"),
        {"roleName": "Admin", "tags": [{"key": "SSMSessionRunAs", "value": "root"}]},
        error=("AccessDenied",
               f"User: arn:aws:sts::{MEMBER}:assumed-role/Admin/jane.doe is not authorized to perform: "
               f"iam:TagRole on resource: arn:aws:iam::{MEMBER}:role/Admin with an explicit deny in a service "
               "control policy"),
        event_id="f4a01f3d-d1c2-4d9e-8aef-6f7b8c9daebc", request_id="9f0a1b2c-3d4e-4f5a-9b6c-8d9eafb0c1da",
        time="2025-03-14T10:12:00Z")),
    ("ignored.iam-untag-role", _iam(
        "UntagRole", _assumed_role(MEMBER, "Admin", "jane.doe"),
        {"roleName": "Admin", "tagKeys": ["SSMSessionRunAs"]},
        event_id="05b1203e-e2d3-4eaf-9bf0-7a8c9daebfcd", request_id="a0b1c2d3-4e5f-4a6b-8c7d-9eafb0c1d2eb",
        time="2025-03-14T10:13:00Z")),
    ("ignored.iam-create-role-without-tags", _iam(
        "CreateRole", _assumed_role(MEMBER, "Admin", "jane.doe"),
        {"roleName": "AppRole", "assumeRolePolicyDocument": TRUST_EC2},
        response_elements={"role": {
            "path": "/", "roleName": "AppRole", "roleId": "AROA3XFRBF23EXAMPLE10",
            "arn": f"arn:aws:iam::{MEMBER}:role/AppRole", "createDate": "Mar 14, 2025 10:14:00 AM",
            "assumeRolePolicyDocument": "%7B%22Version%22%3A%222012-10-17%22%7D"}},
        event_id="16c2314f-f3e4-4fb0-8c01-8b9daebfc0de", request_id="b1c2d3e4-5f6a-4b7c-9d8e-0fa0b1c2d3fc",
        time="2025-03-14T10:14:00Z")),
    ("ignored.sso-describe-access-control-attributes", _sso(
        "DescribeInstanceAccessControlAttributeConfiguration", {"instanceArn": INSTANCE_ARN},
        event_id="27d34250-04f5-40c1-9d12-9caebfc0d1ef", request_id="c2d3e4f5-6a7b-4c8d-8e9f-1ab1c2d3e40d",
        time="2025-03-14T11:30:00Z", read_only=True)),
    ("ignored.sso-create-permission-set", _sso(
        "CreatePermissionSet",
        {"instanceArn": INSTANCE_ARN, "name": "ReadOnly", "sessionDuration": "PT4H"},
        event_id="38e45361-1506-41d2-8e23-0dbfc0d1e2f0", request_id="d3e4f5a6-7b8c-4d9e-9fa0-2bc2d3e4f51e",
        time="2025-03-14T11:31:00Z")),
    ("ignored.organizations-account-departed", _organizations_service_event(
        "AccountDepartedOrganization",
        {"accountId": "210987654398", "departedMethod": "REMOVED", "departedTime": "2025-03-14T12:30:00Z"},
        event_id="49f56472-2617-42e3-9f34-1ec0d1e2f301", time="2025-03-14T12:30:01Z")),
    # Association calls that change nothing of the check: another document's
    # association updated by id (the answer names it), a failed creation
    # (here refused by the guardrail SCP), a failed delete, a read.
    ("ignored.ssm-update-association-other-document", _ssm(
        "UpdateAssociation",
        {"associationId": "0b2a4c7e-1f3d-4e5a-9b6c-fedcba987654", "scheduleExpression": "rate(1 hour)",
         "parameters": "HIDDEN_DUE_TO_SECURITY_REASONS"},
        response_elements=_association("AWS-GatherSoftwareInventory", "0b2a4c7e-1f3d-4e5a-9b6c-fedcba987654", "2",
                                       "inventory", schedule="rate(1 hour)"),
        event_id="28b9e013-5814-476a-a1e5-da16f05cdbe4", request_id="f304d9a7-e6e2-454d-804e-888c05aefd1e",
        time="2026-11-22T09:50:00Z")),
    ("ignored.ssm-create-association-check-denied-by-scp", _ssm(
        "CreateAssociation",
        {"name": CHECK_DOCUMENT, "targets": ALL_NODES, "scheduleExpression": "rate(1 day)",
         "associationName": "mine", "parameters": "HIDDEN_DUE_TO_SECURITY_REASONS"},
        error=("AccessDenied",
               f"User: arn:aws:sts::{MEMBER}:assumed-role/Admin/jane.doe is not authorized to perform: "
               f"ssm:CreateAssociation on resource: arn:aws:ssm:eu-west-1:{MEMBER}:document/{CHECK_DOCUMENT} "
               "with an explicit deny in a service control policy"),
        event_id="b258f927-51f5-4c9f-809b-1c88c0d10455", request_id="31a8bb6f-5f02-4987-992d-850bc6e79974",
        time="2026-11-22T09:51:00Z")),
    ("ignored.ssm-delete-association-does-not-exist", _ssm(
        "DeleteAssociation", {"associationId": "8dfe3659-4309-493a-8755-0123456789ab"},
        error=("AssociationDoesNotExist", "The specified association does not exist."),
        event_id="22a88b02-823d-43aa-bbf7-5aa8681fa5e6", request_id="dd6a811f-a74a-4234-9749-dd512684b66a",
        time="2026-11-22T09:52:00Z")),
    ("ignored.ssm-describe-association-read-only", _ssm(
        "DescribeAssociation", {"associationId": "8dfe3659-4309-493a-8755-0123456789ab"},
        response_elements=None, read_only=True,
        user_identity=_assumed_role(MEMBER, "RunAsGuardExecution", "runas-guard", "03"),
        event_id="216e07c0-ba40-4905-99cb-08be9b625f28", request_id="474db387-f6a6-46d4-b91b-59ebda4f840a",
        time="2026-11-22T09:53:00Z")),
    # Tag calls on associations that leave runas-guard's tag as it was:
    # runas-guard's own tag (the value true: routing it would loop), another
    # key taken off, the tag's removal refused (here by SCP 11); and the key
    # on a document, not an association.
    ("ignored.ssm-add-tags-association-check-runas-guard", _ssm(
        "AddTagsToResource",
        {"resourceType": "Association", "resourceId": CHECK_ASSOCIATION_ID,
         "tags": [{"key": MANAGED_TAG_KEY, "value": MANAGED_TAG_VALUE}]},
        user_identity=_assumed_role(MEMBER, "RunAsGuardExecution", "runas-guard", "03"),
        event_id="c93e6b27-4a1f-4d58-9e0c-7f2a8d3b1e65", request_id="5d2f8a1c-7e4b-4b39-9c06-1a8e3f7d2b94",
        time="2026-11-22T09:47:40Z")),
    ("ignored.ssm-remove-tags-association-other-key", _ssm(
        "RemoveTagsFromResource",
        {"resourceType": "Association", "resourceId": CHECK_ASSOCIATION_ID, "tagKeys": ["Team"]},
        event_id="1e6a9d40-5b2c-4f73-8d19-2c7e4a8f6b03", request_id="9a4c2e7f-1d6b-4e58-b3a0-8f5d1c9e2a76",
        time="2026-11-22T09:48:02Z")),
    ("ignored.ssm-remove-tags-association-check-denied-by-scp", _ssm(
        "RemoveTagsFromResource",
        {"resourceType": "Association", "resourceId": CHECK_ASSOCIATION_ID, "tagKeys": [MANAGED_TAG_KEY]},
        error=("AccessDeniedException",
               f"User: arn:aws:sts::{MEMBER}:assumed-role/Admin/jane.doe is not authorized to perform: "
               f"ssm:RemoveTagsFromResource on resource: "
               f"arn:aws:ssm:eu-west-1:{MEMBER}:association/{CHECK_ASSOCIATION_ID} "
               "with an explicit deny in a service control policy"),
        event_id="4b8f2c61-9d3e-4a07-a6e5-0d9c3b7f1a82", request_id="6e1a3f9c-2b7d-4d84-9e50-c4a2f8b6d139",
        time="2026-11-22T09:48:30Z")),
    ("ignored.ssm-add-tags-document-managed-key", _ssm(
        "AddTagsToResource",
        {"resourceType": "Document", "resourceId": CHECK_DOCUMENT,
         "tags": [{"key": MANAGED_TAG_KEY, "value": "false"}]},
        event_id="f05d7b38-6e1a-4c92-8b4f-5a3e9d2c7b10", request_id="b8e4d1a6-3c9f-4f27-a1d5-7e0b2c6f9a48",
        time="2026-11-22T09:49:15Z")),
    # Documents runas-guard does not govern, that cannot open sessions: a
    # Command document (named as such, or with no type: SSM's default is
    # Command), updated as one; a Session document refused by the optional
    # SCP (scp/README.md, statement 9) or deleted.
    ("ignored.ssm-create-command-document", _ssm(
        "CreateDocument",
        {"content": "HIDDEN_DUE_TO_SECURITY_REASONS", "name": "Patch-Now", "documentType": "Command",
         "documentFormat": "YAML"},
        response_elements=_document_description("Patch-Now", document_type="Command", version="1", default="1",
                                                 status="Creating", created="Nov 23, 2026 8:10:00 AM", fmt="YAML"),
        event_id="2b9d4f1a-6c3e-4a85-9d72-e1f0b8c5a634", request_id="c3a8e2f7-9b1d-4c60-a4e5-6f2d0b9e8a17",
        time="2026-11-23T08:10:00Z")),
    ("ignored.ssm-create-document-default-type", _ssm(
        "CreateDocument",
        {"content": "HIDDEN_DUE_TO_SECURITY_REASONS", "name": "Patch-Later"},
        response_elements=_document_description("Patch-Later", document_type="Command", version="1", default="1",
                                                 status="Creating", created="Nov 23, 2026 8:11:00 AM"),
        event_id="9e5c1b7d-3a2f-4e08-b6d4-1c8a7f2e9d50", request_id="4d7f0a3c-8e6b-4b19-9c25-e3a1d6b8f0c2",
        time="2026-11-23T08:11:00Z")),
    ("ignored.ssm-update-command-document", _ssm(
        "UpdateDocument",
        {"content": "HIDDEN_DUE_TO_SECURITY_REASONS", "name": "Patch-Now", "documentVersion": "$LATEST"},
        response_elements=_document_description("Patch-Now", document_type="Command", version="2", default="1",
                                                 status="Updating", created="Nov 23, 2026 8:10:00 AM", fmt="YAML"),
        event_id="7a3e9c5b-1d4f-4b62-8e07-f9c2a6d1b3e8", request_id="e0b5d8a2-6f3c-4d91-a7e4-2c9f1b0d6a35",
        time="2026-11-23T08:12:00Z")),
    ("ignored.ssm-create-session-document-denied-by-scp", _ssm(
        "CreateDocument",
        {"content": "HIDDEN_DUE_TO_SECURITY_REASONS", "name": ELEVATED_SHELL, "documentType": "Session",
         "documentFormat": "JSON"},
        error=("AccessDenied",
               f"User: arn:aws:sts::{MEMBER}:assumed-role/Admin/jane.doe is not authorized to perform: "
               f"ssm:CreateDocument on resource: arn:aws:ssm:eu-west-1:{MEMBER}:document/{ELEVATED_SHELL} "
               "with an explicit deny in a service control policy"),
        event_id="f1d6b2a8-4c9e-4e37-8b50-a3e7c1d9f264", request_id="6b0e3f9d-2a7c-4f58-bd16-8e4a2c7f0d93",
        time="2026-11-23T08:13:00Z")),
    ("ignored.ssm-delete-session-document", _ssm(
        "DeleteDocument", {"name": ELEVATED_SHELL},
        event_id="3c8f1e6a-9d2b-4a74-a0e5-b7d4c2f8e196", request_id="a9d2c7e4-5f1b-4e83-8c60-d1b6f3a0e7c2",
        time="2026-11-23T08:14:00Z")),
    # The member stack landed: a StackSet administered by a delegated
    # administrator (not the management account), living in eu-west-1, its
    # instance in ap-southeast-2.
    ("member_stack_landed.cloudformation-stack-instance-delegated-admin", _stack_instance(
        stack_set=MEMBER_STACK_SET, stack_set_id="0d6f2a9c-4b1e-4c87-9e35-a7f1c3b8d602", account=DELEGATED_ADMIN,
        region="eu-west-1", target_account="210987654330", target_region="ap-southeast-2", action="CREATE",
        detailed_status="SUCCEEDED", event_id="e8c1f4a7-2b9d-4e63-8a05-c7d3b1f9e246",
        stack_id="5b2e8d1f-9c3a-4f07-b6e4-2a8d7c1f0e93/9f4a6c2e-1d8b-4e35-a7c0-3b5d9e2f1a68",
        time="2025-03-12T10:31:05Z")),
    # A baseline reset for one account (the target an account, not an OU).
    ("baseline_applied.controltower-reset-enabled-baseline-account", _controltower_baseline(
        "ResetEnabledBaseline", f"arn:aws:organizations::{MANAGEMENT}:account/o-a1b2c3d4e5/210987654331",
        "SUCCEEDED", event_id="b4d9e2a6-7c1f-4e83-9a50-d2f6c8b1e375",
        operation_id="5e0b3c9a-7d41-4f26-a8e3-1b6c9d2f4a70", time="2025-03-12T11:40:12Z",
        enabled_baseline="XQ5R8T2V6W9Y3Z1B4")),
    # Stack instances that are not a landed member stack: one still running,
    # a drift detection, StackSets whose names look like ours, a StackSet
    # operation (another detail-type).
    ("ignored.cloudformation-stack-instance-running", _stack_instance(
        stack_set=MEMBER_STACK_SET, stack_set_id="849f27dd-b976-435d-882f-46def452cf89", account=MANAGEMENT,
        region="us-east-1", target_account="210987654321", target_region="eu-west-1", action="CREATE",
        detailed_status="RUNNING", status="OUTDATED", event_id="1f7b3d9e-5a2c-4e68-b041-8c6e2a9f3d57",
        stack_id="cbb3f81b-02fb-4f32-9f6d-f8f390e8bc05/3c71f755-34fb-44fa-994a-4113a2690b36",
        time="2025-03-12T10:14:02Z")),
    ("ignored.cloudformation-stack-instance-detect-drift", _stack_instance(
        stack_set=MEMBER_STACK_SET, stack_set_id="849f27dd-b976-435d-882f-46def452cf89", account=MANAGEMENT,
        region="us-east-1", target_account="210987654321", target_region="eu-west-1", action="DETECT_DRIFT",
        detailed_status="SUCCEEDED", event_id="6a0d8c4f-3e7b-4f19-8d26-b5c1e9a7f308",
        stack_id="cbb3f81b-02fb-4f32-9f6d-f8f390e8bc05/3c71f755-34fb-44fa-994a-4113a2690b36",
        time="2025-03-13T08:00:41Z")),
    ("ignored.cloudformation-stack-instance-name-extended", _stack_instance(
        stack_set=f"{MEMBER_STACK_SET}-old", stack_set_id="3e9a5c1d-7f2b-4d84-a6e0-9c4b8d2f1a73",
        account=MANAGEMENT, region="us-east-1", target_account="210987654321", target_region="eu-west-1",
        action="CREATE", detailed_status="SUCCEEDED", event_id="9c5e1a7d-4b3f-4a26-8e90-f2d6b8c4a139",
        stack_id="4d8f2b6a-1c9e-4f53-b7a0-6e3c9d1f5b28/2a7c5e9f-3b1d-4e86-9f40-c8d2a6e1b397",
        time="2025-03-12T10:16:10Z")),
    ("ignored.cloudformation-stack-instance-name-prefixed", _stack_instance(
        stack_set=f"x{MEMBER_STACK_SET}", stack_set_id="7b1d9f3a-5e2c-4b68-9a04-d6f8c2e1b735",
        account=MANAGEMENT, region="us-east-1", target_account="210987654321", target_region="eu-west-1",
        action="CREATE", detailed_status="SUCCEEDED", event_id="2e8a4c6f-9d1b-4f37-a5c0-8b3e7d9f1a46",
        stack_id="8f3b7d1e-6a2c-4e95-b0d4-1c9f5a3e7b62/5c1e9a3f-7d2b-4a68-8e04-b6d2f8a4c179",
        time="2025-03-12T10:16:40Z")),
    ("ignored.cloudformation-stackset-operation-status-change", {
        "version": "0", "id": "4f2c8e6a-1b9d-4a73-9e05-c3a7d1f8b264",
        "detail-type": "CloudFormation StackSet Operation Status Change", "source": "aws.cloudformation",
        "account": MANAGEMENT, "time": "2025-03-12T10:20:03Z", "region": "us-east-1",
        "resources": [f"arn:aws:cloudformation:us-east-1:{MANAGEMENT}:stackset/{MEMBER_STACK_SET}:"
                      "849f27dd-b976-435d-882f-46def452cf89"],
        "detail": {
            "stack-set-arn": f"arn:aws:cloudformation:us-east-1:{MANAGEMENT}:stackset/{MEMBER_STACK_SET}:"
                             "849f27dd-b976-435d-882f-46def452cf89",
            "stack-set-operation-id": "b7e3a9c1-5d2f-4e84-8a06-f1c9d3b7e528",
            "action": "CREATE",
            "status-details": {"status": "SUCCEEDED"},
        },
    }),
    # Baselines that did not apply.
    ("ignored.controltower-enable-baseline-failed", _controltower_baseline(
        "EnableBaseline", f"arn:aws:organizations::{MANAGEMENT}:ou/o-a1b2c3d4e5/ou-ab12-prod0001", "FAILED",
        event_id="c6a2e8d4-9f1b-4c37-8e50-a4d8f2b6c913", operation_id="a3f7c1e9-6b2d-4a58-9c04-e8b2d6f1a357",
        time="2025-03-12T11:50:31Z",
        enabled_baseline="XR7T1V4W8Y2Z5B9C3")),
    ("ignored.controltower-update-enabled-baseline-failed", _controltower_baseline(
        "UpdateEnabledBaseline", f"arn:aws:organizations::{MANAGEMENT}:ou/o-a1b2c3d4e5/ou-ab12-dev00001", "FAILED",
        event_id="d7b3f9e5-0a2c-4d48-9f61-b5e9a3c7d024", operation_id="f1b5d9a3-8c4e-4f26-b7a0-2d6e8c4a9f13",
        time="2025-03-12T11:55:47Z",
        enabled_baseline="XS8V2W5Y9Z3B6C1D4")),
    # Session tags are a way around the document that nothing routes today
    # (infra/docs/threat-model.md): this pins that down.
    ("ignored.sts-assume-role-with-session-tag", _api_call(
        event_id="5a067583-3728-43f4-8a45-2fd1e2f30412", request_id="e4f5a6b7-8c9d-4eaf-8ab1-3cd3e4f5a62f",
        time="2025-03-14T10:20:00Z", source="aws.sts", event_source="sts.amazonaws.com", account=MEMBER,
        region="eu-west-1", event_name="AssumeRole", user_identity=_assumed_role(MEMBER, "Admin", "jane.doe"),
        request_parameters={"roleArn": f"arn:aws:iam::{MEMBER}:role/Ops", "roleSessionName": "jane",
                            "tags": [{"key": "SSMSessionRunAs", "value": "root"}]},
        response_elements={"credentials": {"accessKeyId": "ASIAIOSFODNN7EXAMPLF",
                                           "sessionToken": "HIDDEN_DUE_TO_SECURITY_REASONS",
                                           "expiration": "Mar 14, 2025 11:20:00 AM"},
                           "assumedRoleUser": {"assumedRoleId": "AROA3XFRBF23EXAMPLE11:jane",
                                               "arn": f"arn:aws:sts::{MEMBER}:assumed-role/Ops/jane"},
                           "packedPolicySize": 4})),
]


def inline_samples():
    """Every sample above as (name, expected trigger, event), like cfn.load_events()."""
    return [(f"{name} (infra/tests/samples.py)", name.split(".", 1)[0], copy.deepcopy(event))
            for name, event in _SAMPLES]

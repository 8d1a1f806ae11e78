"""What infra/hub.yaml grants its function, and the settings operators rely on."""

import json
import re
import unittest

from . import cfn

# The member role always; each fallback only when FallbackRoles chooses it.
ASSUMABLE_ROLES = [
    {"Fn::Sub": "arn:${AWS::Partition}:iam::*:role/${MemberRoleName}"},
    {"Fn::If": ["FallbackControlTower",
                {"Fn::Sub": "arn:${AWS::Partition}:iam::*:role/AWSControlTowerExecution"},
                {"Ref": "AWS::NoValue"}]},
    {"Fn::If": ["FallbackOrganizationAccess",
                {"Fn::Sub": "arn:${AWS::Partition}:iam::*:role/OrganizationAccountAccessRole"},
                {"Ref": "AWS::NoValue"}]},
]
# What src/adapters/aws/organizations.rs calls. Per the Service Authorization Reference
# (Organizations), each supports resource-level permissions on the
# organization's account / OU / root ARNs, except ListRoots ("*" only).
ORGANIZATIONS_TREE_READ = {
    "organizations:DescribeAccount",
    "organizations:DescribeOrganizationalUnit",
    "organizations:ListParents",
    "organizations:ListOrganizationalUnitsForParent",
    "organizations:ListAccountsForParent",
}
ORGANIZATION_ARNS = [
    {"Fn::Sub": "arn:${AWS::Partition}:organizations::${ManagementAccountId}:account/${OrganizationId}/*"},
    {"Fn::Sub": "arn:${AWS::Partition}:organizations::${ManagementAccountId}:ou/${OrganizationId}/ou-*"},
    {"Fn::Sub": "arn:${AWS::Partition}:organizations::${ManagementAccountId}:root/${OrganizationId}/r-*"},
]
STATE_KEY_ACTIONS = {"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*", "kms:DescribeKey"}
# The one object the function reads its policy from (RUNAS_GUARD_POLICY).
POLICY_OBJECT_ARN = {"Fn::Sub": "arn:${AWS::Partition}:s3:::${PolicyBucket}/${PolicyKey}"}
POLICY_URL = {"Fn::Sub": "s3://${PolicyBucket}/${PolicyKey}"}
# Every statement of the hub role, by Sid -> (actions, resources).
EXPECTED_GRANTS = {
    "AssumeMemberRolesInsideTheOrganization": ({"sts:AssumeRole"}, ASSUMABLE_ROLES),
    "ReadPolicyObject": ({"s3:GetObject", "s3:GetObjectVersion"}, [POLICY_OBJECT_ARN]),
    "ListPolicyObjectVersions": ({"s3:ListBucketVersions"}, [{"Fn::Sub": "arn:${AWS::Partition}:s3:::${PolicyBucket}"}]),
    "StateTable": (
        {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Query",
         "dynamodb:BatchWriteItem"},
        [{"Fn::GetAtt": ["StateTable", "Arn"]}],
    ),
    "StateIndex": ({"dynamodb:Query"}, [{"Fn::Sub": "${StateTable.Arn}/index/state"}]),
    "PublishAlerts": (
        {"sns:Publish"},
        [{"Ref": "AlertTopic"}, {"Fn::If": ["HasChatTopic", {"Ref": "ChatTopic"}, {"Ref": "AWS::NoValue"}]}],
    ),
    "UseAlertTopicKey": ({"kms:GenerateDataKey", "kms:Decrypt"}, [{"Fn::GetAtt": ["AlertKey", "Arn"]}]),
    "SweepQueue": (
        {"sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes",
         "sqs:ChangeMessageVisibility"},
        [{"Fn::GetAtt": ["SweepQueue", "Arn"]}],
    ),
    "AsyncFailureDestination": ({"sqs:SendMessage"}, [{"Fn::GetAtt": ["AsyncFailureQueue", "Arn"]}]),
    # An operator's redrive request: the function reads the named messages
    # from its own failure queues, never from the caller.
    "RedriveFailureQueues": (
        {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility"},
        [{"Fn::GetAtt": [q, "Arn"]} for q in ("EventsDeadLetterQueue", "AsyncFailureQueue", "SweepDeadLetterQueue")],
    ),
    "ReadOrganizationTree": (ORGANIZATIONS_TREE_READ, ORGANIZATION_ARNS),
    "ListOrganizationRoots": ({"organizations:ListRoots"}, ["*"]),
    "OwnLogs": (
        {"logs:CreateLogStream", "logs:PutLogEvents"},
        [{"Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/lambda/${FunctionName}:*"}],
    ),
}
# The Identity Center instance the [identity_center] grants name: the one
# IdentityCenterInstanceArn names, else any instance of the account.
IDENTITY_CENTER_INSTANCE = {"Fn::If": ["HasIdentityCenterInstanceArn", {"Ref": "IdentityCenterInstanceArn"},
                                       {"Fn::Sub": "arn:${AWS::Partition}:sso:::instance/*"}]}
# Only with a customer managed key (HasKmsKey): the key, through DynamoDB for
# the state table, and through S3 (decrypt only) for the policy object. Only
# with IdentityCenterAccess Read or Enforce: the declared mapping's reads
# (test_identity_center.py evaluates them per parameter value).
CONDITIONAL_GRANTS = {
    "UseStateTableKeyThroughDynamoDB": ("HasKmsKey", STATE_KEY_ACTIONS, [{"Ref": "KmsKeyArn"}]),
    "DecryptPolicyObjectThroughS3": ("HasKmsKey", {"kms:Decrypt"}, [{"Ref": "KmsKeyArn"}]),
    "IdentityCenterListInstances": ("IdentityCenterDiscover", {"sso:ListInstances"}, ["*"]),
    "IdentityCenterReadMapping": ("IdentityCenterRead", {"sso:DescribeInstanceAccessControlAttributeConfiguration"},
                                  [IDENTITY_CENTER_INSTANCE]),
    "IdentityCenterRestoreMapping": ("IdentityCenterEnforce",
                                     {"sso:UpdateInstanceAccessControlAttributeConfiguration",
                                      "sso:CreateInstanceAccessControlAttributeConfiguration"},
                                     [IDENTITY_CENTER_INSTANCE]),
}
# Each conditional KMS grant -> the only service it may be used through.
KEY_VIA_SERVICE = {
    "UseStateTableKeyThroughDynamoDB": {"Fn::Sub": "dynamodb.${AWS::Region}.amazonaws.com"},
    "DecryptPolicyObjectThroughS3": {"Fn::Sub": "s3.${AWS::Region}.amazonaws.com"},
}
# The function publishes to the chat topic only when the stack creates it.
CHAT_TOPIC_ARN_OR_EMPTY = {"Fn::If": ["HasChatTopic", {"Ref": "ChatTopic"}, ""]}

# The contract with src/domain/metrics.rs: the function's Embedded Metric Format lines
# publish these metrics in namespace RunAsGuard, each with dimension Trigger
# (only for the triggers listed) and with no dimension (the totals).
# Name -> (unit, triggers that emit it).
METRICS_NAMESPACE = "RunAsGuard"
TRIGGERS = {"account_vended", "account_moved", "document_changed", "sweep"}
RUNAS_GUARD_METRICS = {
    "RemediationFailures": ("Count", TRIGGERS),
    "Reverts": ("Count", {"document_changed"}),
    "SecondsToFix": ("Seconds", {"document_changed"}),
    "AccountsConfigured": ("Count", {"account_vended", "account_moved"}),
    "AccountRegionsChecked": ("Count", {"sweep"}),
    "AccountRegionsFixed": ("Count", {"sweep"}),
    "NoncompliantAccountRegions": ("Count", {"sweep"}),
    # ... of those, where the policy enforces Run As now (not audit, not held): an alarm watches them.
    "NoncompliantEnforcedAccountRegions": ("Count", {"sweep"}),
    "SweepDurationSeconds": ("Seconds", {"sweep"}),
    # A whole sweep that governed none or far fewer accounts than it should.
    "SweepDegraded": ("Count", {"sweep"}),
    # With the run-as user check on ([nodes] check_user).
    "NodesMissingRunAsUser": ("Count", {"sweep"}),
    "AccountRegionsMissingRunAsUser": ("Count", {"sweep"}),
    # enforce-when-ready regions the check's verdict kept in audit (the rollout's progress) ...
    "AccountRegionsHeld": ("Count", {"sweep"}),
    # ... and those held at least [nodes] held_alert_after (an alarm watches them).
    "AccountRegionsHeldTooLong": ("Count", {"sweep"}),
    "RunAsBypasses": ("Count", {"session_document_changed"}),
    # The declared Identity Center mapping ([identity_center]): drifts told,
    # on an aws.sso event (trigger run_as_override) and on a sweep.
    "IdentityCenterDrifts": ("Count", {"run_as_override", "sweep"}),
    # ... and looks that could not run (an alarm watches them).
    "IdentityCenterLookFailures": ("Count", {"run_as_override", "sweep"}),
    # [security_hub] findings: imported, and not taken (an alarm watches
    # them), by every run that reconciles an account.
    "FindingsImported": ("Count", TRIGGERS | {"member_stack_landed", "baseline_applied"}),
    "FindingsFailed": ("Count", TRIGGERS | {"member_stack_landed", "baseline_applied"}),
    # A flood's later events, answered before any AssumeRole (src/domain/coalesce.rs),
    # and a member StackSet burst's (src/domain/landing_gate.rs).
    "EventsCoalesced": ("Count", {"document_changed", "session_document_changed", "member_stack_landed"}),
    # [forwarding_canary]: each canary's write-to-arrival time.
    "ForwardingCanarySeconds": ("Seconds", {"forwarding_canary"}),
    # The fullest session policy's packed size AWS answered in the run (any
    # input that assumed a member role; moto answers it too); an alarm
    # watches it near AWS's limit.
    "PackedPolicySize": ("Percent", TRIGGERS | {"member_stack_landed", "baseline_applied", "run_as_override",
                                                "session_document_changed"}),
    # Alerts neither published nor kept in the outbox (any input, and a
    # refused policy's alert), only when there are any; an alarm watches them.
    "AlertsLost": ("Count", TRIGGERS | {"account_moved", "member_stack_landed", "baseline_applied",
                                        "run_as_override", "session_document_changed",
                                        "forwarding_canary", "ignored", "policy_rejected"}),
}
# Where every alarm notifies: the stack's alarm topic, or the one AlarmTopicArn
# names (test_alarm_topic.py evaluates both), never the alert topic.
ALARM_TOPIC = {"Fn::If": ["CreateAlarmTopic", {"Ref": "AlarmTopic"}, {"Ref": "AlarmTopicArn"}]}
# Alarm on a RunAsGuard metric -> (metric, dimensions, statistic, period, comparison, threshold, missing data).
# The sweep-missing alarm's period follows SweepSchedule (test_alarm_topic.py).
# Periods in a row that must breach, where it is not 1 (none now: the held
# alarm's metric counts only holds already past [nodes] held_alert_after).
EVALUATION_PERIODS = {}
RUNAS_GUARD_ALARMS = {
    "RemediationFailuresAlarm": ("RemediationFailures", None, "Sum", 300, "GreaterThanThreshold", 0, "notBreaching"),
    "RevertsAlarm": ("Reverts", None, "Sum", 3600, "GreaterThanOrEqualToThreshold", {"Ref": "RevertsAlarmThreshold"},
                     "notBreaching"),
    "SlowFixAlarm": ("SecondsToFix", None, "Maximum", 300, "GreaterThanThreshold", 300, "notBreaching"),
    "IdentityCenterLookFailedAlarm": ("IdentityCenterLookFailures", None, "Sum", 300, "GreaterThanThreshold", 0,
                                      "notBreaching"),
    "AlertsLostAlarm": ("AlertsLost", None, "Sum", 300, "GreaterThanThreshold", 0, "notBreaching"),
    "FindingsFailedAlarm": ("FindingsFailed", None, "Sum", 300, "GreaterThanThreshold", 0, "notBreaching"),
    "PackedPolicySizeAlarm": ("PackedPolicySize", None, "Maximum", 21600, "GreaterThanThreshold", 90, "notBreaching"),
    # The unexpected only: a rollout (audit findings, regions held) keeps both OK.
    "NoncompliantAlarm": ("NoncompliantEnforcedAccountRegions", None, "Maximum", 21600, "GreaterThanThreshold", 0,
                          "notBreaching"),
    "SweepDegradedAlarm": ("SweepDegraded", None, "Maximum", 21600, "GreaterThanThreshold", 0, "notBreaching"),
    "HeldAlarm": ("AccountRegionsHeldTooLong", None, "Maximum", 21600, "GreaterThanThreshold", 0, "ignore"),
    "SweepMissingAlarm": ("AccountRegionsChecked", [{"Name": "Trigger", "Value": "sweep"}], "Sum",
                          {"Fn::If": ["SweepInMinutes", 120, 7200]}, "LessThanThreshold", 1, "breaching"),
}
OTHER_ALARMS = {"FunctionErrorsAlarm", "EventsDeadLetterQueueAlarm", "AsyncFailureQueueAlarm",
                "SweepDeadLetterQueueAlarm"}
DEAD_LETTER_QUEUES = {"SweepDeadLetterQueue", "AsyncFailureQueue", "EventsDeadLetterQueue"}
PSEUDO_PARAMETERS = {"AWS::AccountId", "AWS::Region", "AWS::Partition", "AWS::StackName", "AWS::StackId",
                     "AWS::URLSuffix"}
SUB_VARIABLE = re.compile(r"\$\{([^}!]+)\}")


def metric_entries(dashboard):
    """Every metric line of every metric widget, as (namespace, name, dimensions, options, widget)."""
    entries = []
    for widget in dashboard["widgets"]:
        if widget["type"] != "metric":
            continue
        for entry in widget["properties"]["metrics"]:
            names = [item for item in entry if isinstance(item, str)]
            options = next((item for item in entry if isinstance(item, dict)), {})
            namespace, name, *pairs = names
            dimensions = dict(zip(pairs[0::2], pairs[1::2]))
            entries.append((namespace, name, dimensions, options, widget))
    return entries


class HubPolicyTests(cfn.TemplateTestCase):

    def resource(self, logical_id):
        return self.hub["Resources"][logical_id]

    def props(self, logical_id):
        return self.resource(logical_id)["Properties"]

    def test_role_name_is_predictable(self):
        role = self.props("HubRole")
        self.assertEqual(role["RoleName"], {"Ref": "HubRoleName"})
        self.assertEqual(self.hub["Parameters"]["HubRoleName"]["Default"], "RunAsGuardHub")
        (trust,) = cfn.statements(role["AssumeRolePolicyDocument"])
        self.assertEqual(trust["Principal"], {"Service": "lambda.amazonaws.com"})

    def role_statements(self):
        """(condition or None, statement) for every statement of the hub role."""
        found = []
        for policy in self.props("HubRole")["Policies"]:
            for statement in cfn.statements(policy["PolicyDocument"]):
                if "Fn::If" in statement:
                    condition, then, otherwise = statement["Fn::If"]
                    self.assertEqual(otherwise, {"Ref": "AWS::NoValue"})
                    found.append((condition, then))
                else:
                    found.append((None, statement))
        return found

    def test_role_grants_exactly_the_expected_actions_and_resources(self):
        role = self.props("HubRole")
        self.assertNotIn("ManagedPolicyArns", role)
        iam = {k for k, r in self.hub["Resources"].items() if r["Type"].startswith("AWS::IAM::")}
        self.assertEqual(iam, {"HubRole"})
        found, conditional = {}, {}
        for condition, statement in self.role_statements():
            self.assertEqual(statement["Effect"], "Allow")
            self.assertNotIn("NotAction", statement)
            self.assertNotIn("NotResource", statement)
            grant = (set(cfn.as_list(statement["Action"])), cfn.as_list(statement["Resource"]))
            if condition:
                conditional[statement["Sid"]] = (condition, *grant)
            else:
                found[statement["Sid"]] = grant
        self.assertEqual(found, EXPECTED_GRANTS)
        self.assertEqual(conditional, CONDITIONAL_GRANTS)

    def test_organizations_reads_are_scoped_to_the_organization(self):
        parameter = self.hub["Parameters"]["ManagementAccountId"]
        self.assertEqual((parameter["Type"], parameter["AllowedPattern"]), ("String", "^[0-9]{12}$"))
        self.assertNotIn("Default", parameter)
        self.assertEqual(self.hub["Parameters"]["OrganizationId"]["AllowedPattern"], "^o-[a-z0-9]{10,32}$")
        # "*" only for the two actions that support no resource-level
        # permission: ListRoots always, ListInstances only when the function
        # must find the Identity Center instance itself.
        star = [(c, s) for c, s in self.role_statements() if "*" in cfn.as_list(s["Resource"])]
        self.assertEqual([(c, set(cfn.as_list(s["Action"]))) for c, s in star],
                         [(None, {"organizations:ListRoots"}), ("IdentityCenterDiscover", {"sso:ListInstances"})])
        # The ARN formats of the Service Authorization Reference, with the
        # organization id parameter carrying its "o-" prefix.
        parameters = {"AWS::Partition": "aws", "ManagementAccountId": "123456789012",
                      "OrganizationId": "o-a1b2c3d4e5"}
        rendered = [arn["Fn::Sub"] for arn in ORGANIZATION_ARNS]
        for name, value in parameters.items():
            rendered = [arn.replace("${" + name + "}", value) for arn in rendered]
        self.assertEqual(rendered, [
            "arn:aws:organizations::123456789012:account/o-a1b2c3d4e5/*",
            "arn:aws:organizations::123456789012:ou/o-a1b2c3d4e5/ou-*",
            "arn:aws:organizations::123456789012:root/o-a1b2c3d4e5/r-*",
        ])

    def test_customer_managed_key_is_optional_and_used_by_table_and_logs(self):
        parameter = self.hub["Parameters"]["KmsKeyArn"]
        self.assertEqual((parameter["Type"], parameter["Default"]), ("String", ""))
        pattern = re.compile(parameter["AllowedPattern"])
        self.assertTrue(pattern.match(""))
        self.assertTrue(pattern.match("arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"))
        self.assertFalse(pattern.match("alias/runas-guard"))
        self.assertFalse(pattern.match("1234abcd-12ab-34cd-56ef-1234567890ab"))
        key_or_nothing = {"Fn::If": ["HasKmsKey", {"Ref": "KmsKeyArn"}, {"Ref": "AWS::NoValue"}]}
        sse = self.props("StateTable")["SSESpecification"]
        self.assertEqual(sse, {"SSEEnabled": True, "SSEType": {"Fn::If": ["HasKmsKey", "KMS", {"Ref": "AWS::NoValue"}]},
                               "KMSMasterKeyId": key_or_nothing})
        self.assertEqual(self.props("LogGroup")["KmsKeyId"], key_or_nothing)
        for value, used in (("", False), ("arn:aws:kms:us-east-1:123456789012:key/k", True)):
            with self.subTest(KmsKeyArn=value):
                conditions = cfn.evaluate_conditions(self.hub, {"KmsKeyArn": value}, "123456789012", "us-east-1")
                self.assertEqual(conditions["HasKmsKey"], used)
        through = {s["Sid"]: s["Condition"] for c, s in self.role_statements() if c == "HasKmsKey"}
        self.assertEqual(through, {sid: {"StringEquals": {"kms:ViaService": service}}
                                   for sid, service in KEY_VIA_SERVICE.items()})

    def test_fallback_roles_are_off_unless_chosen(self):
        cases = {
            "": (False, False),
            "AWSControlTowerExecution": (True, False),
            "OrganizationAccountAccessRole": (False, True),
            "AWSControlTowerExecution,OrganizationAccountAccessRole": (True, True),
        }
        self.assertEqual(self.hub["Parameters"]["FallbackRoles"]["Default"], "")
        self.assertEqual(sorted(self.hub["Parameters"]["FallbackRoles"]["AllowedValues"]), sorted(cases))
        for value, (control_tower, organization_access) in cases.items():
            with self.subTest(FallbackRoles=value):
                conditions = cfn.evaluate_conditions(self.hub, {"FallbackRoles": value}, "123456789012", "us-east-1")
                self.assertEqual(conditions["FallbackControlTower"], control_tower)
                self.assertEqual(conditions["FallbackOrganizationAccess"], organization_access)

    def test_assume_role_is_limited_to_the_organization(self):
        (statement,) = [s for _, s in self.role_statements() if s["Sid"] == "AssumeMemberRolesInsideTheOrganization"]
        self.assertEqual(statement["Condition"], {"StringEquals": {"aws:ResourceOrgID": {"Ref": "OrganizationId"}}})

    def test_bus_policy_admits_the_organization_only(self):
        bus = self.props("EventBus")
        self.assertEqual(bus["Name"], {"Ref": "EventBusName"})
        (statement,) = cfn.statements(bus["Policy"])
        self.assertEqual(statement["Effect"], "Allow")
        self.assertEqual(statement["Principal"], "*")
        self.assertEqual(statement["Action"], "events:PutEvents")
        self.assertEqual(statement["Condition"], {"StringEquals": {"aws:PrincipalOrgID": {"Ref": "OrganizationId"}}})

    def test_function(self):
        function = self.props("Function")
        self.assertEqual(function["Runtime"], "provided.al2023")
        self.assertEqual(function["Architectures"], ["arm64"])
        self.assertEqual(function["Handler"], "bootstrap")
        self.assertEqual(function["MemorySize"], 256)
        self.assertEqual(function["Timeout"], 900)
        self.assertEqual(function["Role"], {"Fn::GetAtt": ["HubRole", "Arn"]})
        variables = function["Environment"]["Variables"]
        self.assertEqual(variables["RUNAS_GUARD_POLICY"], POLICY_URL)
        self.assertEqual(variables["RUNAS_GUARD_POLICY_REFRESH_SECONDS"], "60")
        self.assertEqual(variables["RUNAS_GUARD_TABLE"], {"Ref": "StateTable"})
        self.assertEqual(variables["RUNAS_GUARD_TOPIC_ARN"], {"Ref": "AlertTopic"})
        self.assertEqual(variables["RUNAS_GUARD_CHAT_TOPIC_ARN"], CHAT_TOPIC_ARN_OR_EMPTY)
        self.assertEqual(variables["RUNAS_GUARD_SWEEP_QUEUE_URL"], {"Ref": "SweepQueue"})
        self.assertEqual(variables["RUST_LOG"], {"Ref": "LogLevel"})
        self.assertEqual(variables["RUNAS_GUARD_POLICY_BUCKET_OWNER"], {"Ref": "AWS::AccountId"})
        # A new account not reachable yet: pending for the window, re-attempted
        # with these delays (test_member_stack.py checks their bounds).
        self.assertEqual(variables["RUNAS_GUARD_PENDING_WINDOW_SECONDS"], {"Fn::Sub": "${PendingWindowSeconds}"})
        self.assertEqual(variables["RUNAS_GUARD_PENDING_DELAYS_SECONDS"], "30,60,120,240,480,900")
        self.assertEqual(variables["RUNAS_GUARD_MEMBER_STACK_SET"], {"Ref": "MemberStackSetName"})
        self.assertEqual(variables["RUNAS_GUARD_STACKSET_ADMIN_ACCOUNT"],
                         {"Fn::If": ["HasStackSetAdminAccountId", {"Ref": "StackSetAdminAccountId"},
                                     {"Ref": "ManagementAccountId"}]})
        self.assertEqual(set(variables), {"RUNAS_GUARD_POLICY", "RUNAS_GUARD_POLICY_REFRESH_SECONDS",
                                          "RUNAS_GUARD_POLICY_BUCKET_OWNER",
                                          "RUNAS_GUARD_TABLE", "RUNAS_GUARD_TOPIC_ARN", "RUNAS_GUARD_CHAT_TOPIC_ARN",
                                          "RUNAS_GUARD_SWEEP_QUEUE_URL",
                                          "RUNAS_GUARD_PENDING_WINDOW_SECONDS",
                                          "RUNAS_GUARD_PENDING_DELAYS_SECONDS", "RUNAS_GUARD_MEMBER_STACK_SET",
                                          "RUNAS_GUARD_STACKSET_ADMIN_ACCOUNT", "RUNAS_GUARD_RUNBOOK_URL",
                                          "RUNAS_GUARD_HISTORY_RETENTION_DAYS", "RUST_LOG"})
        self.assertEqual(self.hub["Parameters"]["LogLevel"]["Default"], "info")
        log_group = self.props("LogGroup")
        self.assertEqual(log_group["LogGroupName"], {"Fn::Sub": "/aws/lambda/${FunctionName}"})
        self.assertEqual(self.hub["Parameters"]["LogRetentionInDays"]["Default"], 90)

    def test_the_runbook_url_is_a_parameter_the_function_gets(self):
        # Every alert's runbook link is its kind's card beside this README
        # URL: set on the stack, so a stack update keeps it.
        parameter = self.hub["Parameters"]["RunbookUrl"]
        self.assertEqual((parameter["Type"], parameter["Default"]), ("String", ""))
        pattern = re.compile(parameter["AllowedPattern"])
        for url in ("", "https://git.example.com/platform/runas-guard/blob/v0.4.0/README.md",
                    "https://git.example.com/README.md#old-anchor", "http://wiki:8080/runas-guard?page=README"):
            self.assertTrue(pattern.fullmatch(url), url)
        for url in ("README.md", "ftp://x/README.md", "javascript:alert(1)", "https://x/README.md\n",
                    "https://x y", "https://x/<b>", 'https://x/"q"', "https://x/\u2028"):
            self.assertFalse(pattern.fullmatch(url), repr(url))
        self.assertLessEqual(parameter["MaxLength"], 2048)
        variable = self.props("Function")["Environment"]["Variables"]["RUNAS_GUARD_RUNBOOK_URL"]
        self.assertEqual(variable, {"Ref": "RunbookUrl"})
        url = "https://git.example.com/platform/runas-guard/blob/v0.4.0/README.md"
        for given in ("", url):
            stack = cfn.Stack(self.hub, {"RunbookUrl": given}, "123456789012", "us-east-1")
            self.assertEqual(stack.resolve(variable), given)

    def test_async_invocations_retry_twice_then_go_to_a_queue(self):
        config = self.props("FunctionEventInvokeConfig")
        self.assertEqual(config["MaximumRetryAttempts"], 2)
        self.assertEqual(config["DestinationConfig"]["OnFailure"]["Destination"],
                         {"Fn::GetAtt": ["AsyncFailureQueue", "Arn"]})

    def test_sweep_queue(self):
        queue = self.props("SweepQueue")
        self.assertGreaterEqual(queue["VisibilityTimeout"], 6 * self.props("Function")["Timeout"])
        self.assertEqual(queue["RedrivePolicy"]["maxReceiveCount"], 3)
        self.assertEqual(queue["RedrivePolicy"]["deadLetterTargetArn"], {"Fn::GetAtt": ["SweepDeadLetterQueue", "Arn"]})
        mapping = self.props("SweepEventSourceMapping")
        self.assertEqual(mapping["EventSourceArn"], {"Fn::GetAtt": ["SweepQueue", "Arn"]})
        self.assertEqual(mapping["BatchSize"], 10)
        self.assertEqual(mapping["FunctionResponseTypes"], ["ReportBatchItemFailures"])

    def test_table(self):
        table = self.resource("StateTable")
        self.assertEqual(table["DeletionPolicy"], "Retain")
        self.assertEqual(table["UpdateReplacePolicy"], "Retain")
        props = table["Properties"]
        self.assertEqual(props["BillingMode"], "PAY_PER_REQUEST")
        self.assertEqual(props["KeySchema"], [{"AttributeName": "pk", "KeyType": "HASH"},
                                              {"AttributeName": "sk", "KeyType": "RANGE"}])
        self.assertEqual(props["TimeToLiveSpecification"], {"AttributeName": "ttl", "Enabled": True})
        self.assertTrue(props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"])
        self.assertTrue(props["SSESpecification"]["SSEEnabled"])  # aws/dynamodb unless KmsKeyArn is set

    def test_every_queue_is_encrypted_and_every_dead_letter_queue_alarms(self):
        queues = cfn.resources_of_type(self.hub, "AWS::SQS::Queue")
        for logical_id, queue in queues.items():
            with self.subTest(queue=logical_id):
                self.assertTrue(queue["Properties"].get("SqsManagedSseEnabled"))
        alarmed = {}
        for alarm in cfn.resources_of_type(self.hub, "AWS::CloudWatch::Alarm").values():
            for m in alarm["Properties"].get("Metrics", []):
                metric = m.get("MetricStat", {}).get("Metric", {})
                if metric.get("Namespace") == "AWS/SQS":
                    queue = metric["Dimensions"][0]["Value"]["Fn::GetAtt"][0]
                    alarmed.setdefault(queue, set()).add(metric["MetricName"])
        self.assertEqual(set(alarmed), {"SweepDeadLetterQueue", "AsyncFailureQueue", "EventsDeadLetterQueue"})
        # A message received and kept hidden still alarms: in flight, and
        # the oldest's age, beside the visible ones.
        for queue, metrics in alarmed.items():
            with self.subTest(queue=queue):
                self.assertEqual(metrics, {"ApproximateNumberOfMessagesVisible",
                                           "ApproximateNumberOfMessagesNotVisible",
                                           "ApproximateAgeOfOldestMessage"})
                alarm = self.hub["Resources"][f"{queue}Alarm"]["Properties"]
                (shown,) = [m for m in alarm["Metrics"] if m.get("ReturnData")]
                self.assertEqual(shown["Expression"], "MAX([FILL(visible, 0), FILL(hidden, 0), FILL(age, 0)])")
                self.assertEqual((alarm["Threshold"], alarm["ComparisonOperator"]), (0, "GreaterThanThreshold"))
        for alarm in cfn.resources_of_type(self.hub, "AWS::CloudWatch::Alarm").values():
            self.assertEqual(alarm["Properties"]["AlarmActions"], [ALARM_TOPIC])

    def test_metrics_come_from_the_function_not_from_a_log_filter(self):
        self.assertEqual(cfn.resources_of_type(self.hub, "AWS::Logs::MetricFilter"), {})

    def test_alarms_on_runas_guard_metrics(self):
        for logical_id, (metric, dimensions, statistic, period, comparison, threshold, missing) in \
                RUNAS_GUARD_ALARMS.items():
            with self.subTest(alarm=logical_id):
                alarm = self.props(logical_id)
                self.assertEqual((alarm["Namespace"], alarm["MetricName"]), (METRICS_NAMESPACE, metric))
                self.assertEqual(alarm.get("Dimensions"), dimensions)
                self.assertEqual(alarm["Statistic"], statistic)
                self.assertEqual(alarm["Period"], period)
                if logical_id != "SweepMissingAlarm":
                    periods = EVALUATION_PERIODS.get(logical_id, 1)
                    self.assertEqual(alarm["EvaluationPeriods"], periods)
                    self.assertEqual(alarm.get("DatapointsToAlarm", 1), periods)
                self.assertEqual((alarm["ComparisonOperator"], alarm["Threshold"]), (comparison, threshold))
                self.assertEqual(alarm["TreatMissingData"], missing)
                self.assertEqual(alarm["AlarmActions"], [ALARM_TOPIC])
                self.assertEqual(alarm["OKActions"], [ALARM_TOPIC])
        threshold = self.hub["Parameters"]["RevertsAlarmThreshold"]
        self.assertEqual((threshold["Type"], threshold["Default"], threshold["MinValue"]), ("Number", 10, 1))
        errors = self.props("FunctionErrorsAlarm")
        self.assertEqual((errors["Namespace"], errors["MetricName"]), ("AWS/Lambda", "Errors"))

    def test_every_alarm_is_accounted_for_and_named_after_the_function(self):
        alarms = cfn.resources_of_type(self.hub, "AWS::CloudWatch::Alarm")
        self.assertEqual(set(alarms), set(RUNAS_GUARD_ALARMS) | OTHER_ALARMS)
        for logical_id, alarm in alarms.items():
            with self.subTest(alarm=logical_id):
                self.assertTrue(alarm["Properties"]["AlarmName"]["Fn::Sub"].startswith("${FunctionName}-"))
        # CloudWatch: an alarm evaluates at most 7 days of data, and at most
        # one day when its period is under an hour; the sweep-missing alarm's
        # window follows SweepSchedule, so its extremes are checked too.
        for schedule in ("rate(6 hours)", "rate(1 minute)", "rate(720 minutes)", "rate(1 hour)", "rate(84 hours)"):
            stack = cfn.Stack(self.hub, {"SweepSchedule": schedule}, "111111111111", "us-east-1")
            for logical_id, alarm in alarms.items():
                with self.subTest(alarm=logical_id, SweepSchedule=schedule):
                    props = stack.resolve(alarm["Properties"])
                    stats = [m["MetricStat"] for m in props.get("Metrics", []) if "MetricStat" in m]
                    period = int(props["Period"]) if "Period" in props else max(int(st["Period"]) for st in stats)
                    periods = int(props["EvaluationPeriods"])
                    self.assertLessEqual(period * periods, 86400 if period < 3600 else 604800)

    def test_operator_requests_run_in_a_function_of_their_own(self):
        events, operator = self.props("Function"), self.props("OperatorFunction")
        # The same code, role and log group; the events function's
        # environment, plus the failure queues a redrive may name and the
        # events function whose on-failure records it replays.
        for key in ("Code", "Role", "Runtime", "Handler", "Timeout", "LoggingConfig", "Architectures"):
            self.assertEqual(operator[key], events[key], key)
        variables = operator["Environment"]["Variables"]
        self.assertEqual(set(variables) - set(events["Environment"]["Variables"]),
                         {"RUNAS_GUARD_FAILURE_QUEUES", "RUNAS_GUARD_EVENTS_FUNCTION"})
        self.assertEqual(variables["RUNAS_GUARD_FAILURE_QUEUES"],
                         {"Fn::Sub": "${EventsDeadLetterQueue},${AsyncFailureQueue},${SweepDeadLetterQueue}"})
        self.assertEqual(variables["RUNAS_GUARD_EVENTS_FUNCTION"], {"Fn::GetAtt": ["Function", "Arn"]})
        # Its own reserved concurrency: requests never take an events slot.
        self.assertEqual(operator["ReservedConcurrentExecutions"],
                         {"Fn::If": ["HasOperatorConcurrency", {"Ref": "OperatorConcurrency"}, {"Ref": "AWS::NoValue"}]})
        parameter = self.hub["Parameters"]["OperatorConcurrency"]
        self.assertEqual((parameter["Default"], parameter["MinValue"], parameter["MaxValue"]), (3, 0, 10))
        self.assertEqual(operator["FunctionName"], {"Fn::Sub": "${FunctionName}-operator"})
        # The seat's alias is the operator function's; no event source,
        # rule or destination invokes it.
        self.assertEqual(self.props("OperatorEntry")["FunctionName"], {"Ref": "OperatorFunction"})
        text = json.dumps({k: v for k, v in self.hub["Resources"].items() if k not in ("OperatorEntry",)})
        self.assertNotIn('{"Ref": "OperatorFunction"}', text)

    def test_reserved_concurrency_is_on_by_default_and_above_the_sweep(self):
        # A flooding member account is bounded by it; the sweep queue's
        # maximum concurrency must fit under it with room for events.
        reserved = self.hub["Parameters"]["ReservedConcurrency"]
        sweep = self.hub["Parameters"]["SweepMaxConcurrency"]
        self.assertEqual((reserved["Type"], reserved["Default"], reserved["MinValue"]), ("Number", 20, 0))
        self.assertGreaterEqual(reserved["Default"] - sweep["Default"], 10)
        self.assertEqual(self.props("Function")["ReservedConcurrentExecutions"],
                         {"Fn::If": ["HasReservedConcurrency", {"Ref": "ReservedConcurrency"}, {"Ref": "AWS::NoValue"}]})
        invoke = self.props("FunctionEventInvokeConfig")
        # Throttled events wait in Lambda's asynchronous queue this long.
        self.assertEqual(invoke["MaximumEventAgeInSeconds"], 21600)

    def test_every_runas_guard_metric_referenced_is_published(self):
        referenced = []
        for logical_id, alarm in cfn.resources_of_type(self.hub, "AWS::CloudWatch::Alarm").items():
            props = alarm["Properties"]
            if props.get("Namespace") == METRICS_NAMESPACE:
                dimensions = {d["Name"]: d["Value"] for d in props.get("Dimensions", [])}
                referenced.append((logical_id, props["MetricName"], dimensions))
        for namespace, name, dimensions, _, widget in metric_entries(self.dashboard()):
            if namespace == METRICS_NAMESPACE:
                referenced.append((widget["properties"]["title"], name, dimensions))
        self.assertTrue(referenced)
        for where, name, dimensions in referenced:
            with self.subTest(where=where, metric=name):
                self.assertIn(name, RUNAS_GUARD_METRICS)
                self.assertLessEqual(set(dimensions), {"Trigger"})
                if dimensions:
                    self.assertIn(dimensions["Trigger"], RUNAS_GUARD_METRICS[name][1])

    def dashboard_text(self):
        dashboard = self.props("Dashboard")
        self.assertEqual(dashboard["DashboardName"], {"Fn::Sub": "${FunctionName}"})
        return dashboard["DashboardBody"]["Fn::Sub"]

    def dashboard(self):
        """The body with each ${X} replaced by X (a Number parameter by its Default)."""
        parameters = self.hub["Parameters"]

        def value(match):
            name = match.group(1)
            if parameters.get(name, {}).get("Type") == "Number":
                return str(parameters[name]["Default"])
            return name

        return json.loads(SUB_VARIABLE.sub(value, self.dashboard_text()))

    def test_dashboard_body_is_json_and_its_variables_resolve(self):
        text = self.dashboard_text()
        self.assertNotIn("${!", text)
        known = set(self.hub["Parameters"]) | set(self.hub["Resources"]) | PSEUDO_PARAMETERS
        for name in SUB_VARIABLE.findall(text):
            with self.subTest(variable=name):
                self.assertIn(name.split(".", 1)[0], known)
        dashboard = self.dashboard()
        for widget in dashboard["widgets"]:
            if widget["type"] == "metric":
                self.assertEqual(widget["properties"]["region"], "AWS::Region")

    def test_dashboard_shows_the_metrics_the_function_and_the_queues(self):
        entries = metric_entries(self.dashboard())
        self.assertEqual({name for namespace, name, *_ in entries if namespace == METRICS_NAMESPACE},
                         set(RUNAS_GUARD_METRICS))
        lambda_metrics = {(name, dimensions["FunctionName"]) for namespace, name, dimensions, *_ in entries
                          if namespace == "AWS/Lambda"}
        self.assertEqual(lambda_metrics, {("Errors", "Function"), ("Duration", "Function")})
        queues = {dimensions["QueueName"] for namespace, name, dimensions, *_ in entries
                  if (namespace, name) == ("AWS/SQS", "ApproximateNumberOfMessagesVisible")}
        self.assertEqual(queues, {f"{queue}.QueueName" for queue in DEAD_LETTER_QUEUES | {"SweepQueue"}})
        # The sweep queue's delayed messages: pending accounts' re-attempts.
        delayed = {dimensions["QueueName"] for namespace, name, dimensions, *_ in entries
                   if (namespace, name) == ("AWS/SQS", "ApproximateNumberOfMessagesDelayed")}
        self.assertEqual(delayed, {"SweepQueue.QueueName"})
        percentiles = {options.get("stat") for _, name, _, options, _ in entries if name == "SecondsToFix"}
        self.assertEqual(percentiles, {"p50", "Maximum"})
        (alarm_widget,) = [w for w in self.dashboard()["widgets"] if w["type"] == "alarm"]
        self.assertEqual(set(alarm_widget["properties"]["alarms"]),
                         {f"{alarm}.Arn" for alarm in set(RUNAS_GUARD_ALARMS) | OTHER_ALARMS})
        self.assertEqual(self.hub["Outputs"]["DashboardUrl"]["Value"], {"Fn::Sub": (
            "https://${AWS::Region}.console.aws.amazon.com/cloudwatch/home?region=${AWS::Region}"
            "#dashboards:name=${FunctionName}")})

    def test_chat_topic_is_optional(self):
        parameter = self.hub["Parameters"]["ChatNotifications"]
        self.assertEqual((parameter["Type"], parameter["Default"], parameter["AllowedValues"]),
                         ("String", "false", ["false", "true"]))
        groups = self.hub["Metadata"]["AWS::CloudFormation::Interface"]["ParameterGroups"]
        (operations,) = [g for g in groups if g["Label"]["default"] == "Operations"]
        self.assertIn("ChatNotifications", operations["Parameters"])
        self.assertIn("RevertsAlarmThreshold", operations["Parameters"])
        self.assertEqual(self.resource("ChatTopic")["Condition"], "HasChatTopic")
        output = self.hub["Outputs"]["ChatTopicArn"]
        self.assertEqual((output["Condition"], output["Value"]), ("HasChatTopic", {"Ref": "ChatTopic"}))
        for value, created in (("false", False), ("true", True)):
            with self.subTest(ChatNotifications=value):
                conditions = cfn.evaluate_conditions(self.hub, {"ChatNotifications": value}, "111111111111",
                                                     "us-east-1")
                self.assertEqual(conditions["HasChatTopic"], created)
                self.assertEqual("ChatTopic" in cfn.created_resources(self.hub, conditions), created)
        self.assertFalse(cfn.evaluate_conditions(self.hub, {}, "111111111111", "us-east-1")["HasChatTopic"])

    def test_chat_topic_is_encrypted_passed_to_the_function_and_publishable(self):
        topic = self.props("ChatTopic")
        self.assertEqual(topic["KmsMasterKeyId"], {"Ref": "AlertKey"})
        self.assertEqual(topic["DisplayName"], "runas-guard chat")
        variables = self.props("Function")["Environment"]["Variables"]
        self.assertEqual(variables["RUNAS_GUARD_CHAT_TOPIC_ARN"], CHAT_TOPIC_ARN_OR_EMPTY)
        publish = [s for _, s in self.role_statements() if "sns:Publish" in cfn.as_list(s["Action"])]
        (statement,) = publish
        self.assertIn({"Fn::If": ["HasChatTopic", {"Ref": "ChatTopic"}, {"Ref": "AWS::NoValue"}]},
                      cfn.as_list(statement["Resource"]))
        # Same key as the alert topic, so publishing needs no other KMS grant.
        (key,) = [s for _, s in self.role_statements() if s["Sid"] == "UseAlertTopicKey"]
        self.assertEqual(key["Resource"], {"Fn::GetAtt": ["AlertKey", "Arn"]})

    def test_topic_uses_a_key_alarms_may_use(self):
        topic = self.props("AlertTopic")
        self.assertEqual(topic["KmsMasterKeyId"], {"Ref": "AlertKey"})
        services = set()
        for statement in cfn.statements(self.props("AlertKey")["KeyPolicy"]):
            services |= set(cfn.as_list(statement["Principal"].get("Service", [])))
        self.assertIn("cloudwatch.amazonaws.com", services)

    def test_outputs(self):
        self.assertLessEqual({"FunctionArn", "HubRoleArn", "EventBusArn", "TableName", "TopicArn", "SweepQueueUrl",
                              "ChatTopicArn", "AlarmTopicArn", "DashboardUrl", "PolicyBucketName", "PolicyUrl"},
                             set(self.hub["Outputs"]))


if __name__ == "__main__":
    unittest.main()

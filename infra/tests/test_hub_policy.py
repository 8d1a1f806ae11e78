"""What infra/hub.yaml grants its function, and the settings operators rely on."""

import unittest

from . import cfn

ASSUMABLE_ROLES = [
    {"Fn::Sub": "arn:${AWS::Partition}:iam::*:role/${MemberRoleName}"},
    {"Fn::Sub": "arn:${AWS::Partition}:iam::*:role/AWSControlTowerExecution"},
    {"Fn::Sub": "arn:${AWS::Partition}:iam::*:role/OrganizationAccountAccessRole"},
]
ORGANIZATIONS_READ = {
    "organizations:ListAccounts",
    "organizations:ListParents",
    "organizations:DescribeAccount",
    "organizations:DescribeOrganizationalUnit",
    "organizations:ListOrganizationalUnitsForParent",
    "organizations:ListRoots",
}
# Every statement of the hub role, by Sid -> (actions, resources).
EXPECTED_GRANTS = {
    "AssumeMemberRolesInsideTheOrganization": ({"sts:AssumeRole"}, ASSUMABLE_ROLES),
    "StateTable": (
        {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Query",
         "dynamodb:Scan"},
        [{"Fn::GetAtt": ["StateTable", "Arn"]}],
    ),
    "PublishAlerts": ({"sns:Publish"}, [{"Ref": "AlertTopic"}]),
    "UseAlertTopicKey": ({"kms:GenerateDataKey", "kms:Decrypt"}, [{"Fn::GetAtt": ["AlertKey", "Arn"]}]),
    "SweepQueue": (
        {"sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes",
         "sqs:ChangeMessageVisibility"},
        [{"Fn::GetAtt": ["SweepQueue", "Arn"]}],
    ),
    "AsyncFailureDestination": ({"sqs:SendMessage"}, [{"Fn::GetAtt": ["AsyncFailureQueue", "Arn"]}]),
    "ReadOrganization": (ORGANIZATIONS_READ, ["*"]),
    "OwnLogs": (
        {"logs:CreateLogStream", "logs:PutLogEvents"},
        [{"Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/lambda/${FunctionName}:*"}],
    ),
}


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

    def test_role_grants_exactly_the_expected_actions_and_resources(self):
        role = self.props("HubRole")
        self.assertNotIn("ManagedPolicyArns", role)
        iam = {k for k, r in self.hub["Resources"].items() if r["Type"].startswith("AWS::IAM::")}
        self.assertEqual(iam, {"HubRole"})
        found = {}
        for policy in role["Policies"]:
            for statement in cfn.statements(policy["PolicyDocument"]):
                self.assertEqual(statement["Effect"], "Allow")
                self.assertNotIn("NotAction", statement)
                self.assertNotIn("NotResource", statement)
                found[statement["Sid"]] = (set(cfn.as_list(statement["Action"])), cfn.as_list(statement["Resource"]))
        self.assertEqual(found, EXPECTED_GRANTS)

    def test_assume_role_is_limited_to_the_organization(self):
        role = self.props("HubRole")
        (statement,) = [s for p in role["Policies"] for s in cfn.statements(p["PolicyDocument"])
                        if s["Sid"] == "AssumeMemberRolesInsideTheOrganization"]
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
        self.assertEqual(variables["RUNAS_GUARD_POLICY"], "/var/task/policy.toml")
        self.assertEqual(variables["RUNAS_GUARD_TABLE"], {"Ref": "StateTable"})
        self.assertEqual(variables["RUNAS_GUARD_TOPIC_ARN"], {"Ref": "AlertTopic"})
        self.assertEqual(variables["RUNAS_GUARD_SWEEP_QUEUE_URL"], {"Ref": "SweepQueue"})
        self.assertEqual(variables["RUST_LOG"], {"Ref": "LogLevel"})
        self.assertEqual(self.hub["Parameters"]["LogLevel"]["Default"], "info")
        log_group = self.props("LogGroup")
        self.assertEqual(log_group["LogGroupName"], {"Fn::Sub": "/aws/lambda/${FunctionName}"})
        self.assertEqual(self.hub["Parameters"]["LogRetentionInDays"]["Default"], 90)

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
        self.assertTrue(props["SSESpecification"]["SSEEnabled"])

    def test_every_queue_is_encrypted_and_every_dead_letter_queue_alarms(self):
        queues = cfn.resources_of_type(self.hub, "AWS::SQS::Queue")
        for logical_id, queue in queues.items():
            with self.subTest(queue=logical_id):
                self.assertTrue(queue["Properties"].get("SqsManagedSseEnabled"))
        alarmed = {
            alarm["Properties"]["Dimensions"][0]["Value"]["Fn::GetAtt"][0]
            for alarm in cfn.resources_of_type(self.hub, "AWS::CloudWatch::Alarm").values()
            if alarm["Properties"].get("Namespace") == "AWS/SQS"
        }
        self.assertEqual(alarmed, {"SweepDeadLetterQueue", "AsyncFailureQueue", "EventsDeadLetterQueue"})
        for alarm in cfn.resources_of_type(self.hub, "AWS::CloudWatch::Alarm").values():
            self.assertEqual(alarm["Properties"]["AlarmActions"], [{"Ref": "AlertTopic"}])

    def test_remediation_failures_metric_and_alarm(self):
        metric_filter = self.props("RemediationFailuresMetricFilter")
        self.assertEqual(metric_filter["FilterPattern"], '{ $.outcome = "remediation_failed" }')
        self.assertEqual(metric_filter["LogGroupName"], {"Ref": "LogGroup"})
        (transformation,) = metric_filter["MetricTransformations"]
        self.assertEqual((transformation["MetricNamespace"], transformation["MetricName"]),
                         ("RunAsGuard", "RemediationFailures"))
        alarm = self.props("RemediationFailuresAlarm")
        self.assertEqual((alarm["Namespace"], alarm["MetricName"]), ("RunAsGuard", "RemediationFailures"))
        self.assertEqual((alarm["ComparisonOperator"], alarm["Threshold"]), ("GreaterThanThreshold", 0))
        errors = self.props("FunctionErrorsAlarm")
        self.assertEqual((errors["Namespace"], errors["MetricName"]), ("AWS/Lambda", "Errors"))

    def test_topic_uses_a_key_alarms_may_use(self):
        topic = self.props("AlertTopic")
        self.assertEqual(topic["KmsMasterKeyId"], {"Ref": "AlertKey"})
        services = set()
        for statement in cfn.statements(self.props("AlertKey")["KeyPolicy"]):
            services |= set(cfn.as_list(statement["Principal"].get("Service", [])))
        self.assertIn("cloudwatch.amazonaws.com", services)

    def test_outputs(self):
        self.assertLessEqual({"FunctionArn", "HubRoleArn", "EventBusArn", "TableName", "TopicArn", "SweepQueueUrl"},
                             set(self.hub["Outputs"]))


if __name__ == "__main__":
    unittest.main()

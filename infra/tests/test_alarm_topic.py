"""The guard's health apart from its findings (infra/hub.yaml).

Every CloudWatch alarm notifies the alarm topic (the stack's own AlarmTopic,
or the topic AlarmTopicArn names), never the alert topic, whose subscribers
may filter on the findings' message attributes (severity, kind, account):
CloudWatch alarm messages carry no message attributes, so such a filter
would drop "runas-guard is down". The sweep-missing alarm looks at twice
SweepSchedule, whatever the schedule.
"""

import os
import re
import unittest

from . import cfn

ACCOUNT = "111111111111"
REGION = "us-east-1"
OWN_TOPIC = "arn:aws:sns:us-east-1:111111111111:on-call"
SECONDS = {"minute": 60, "minutes": 60, "hour": 3600, "hours": 3600}


def schedule_seconds(expression):
    number, unit = re.fullmatch(r"rate\((\d+) (\w+)\)", expression).groups()
    return int(number) * SECONDS[unit]


class AlarmTopicTests(cfn.TemplateTestCase):
    def stack(self, **parameters):
        return cfn.Stack(self.hub, parameters, ACCOUNT, REGION)

    def alarms(self):
        return cfn.resources_of_type(self.hub, "AWS::CloudWatch::Alarm")

    def test_every_alarm_notifies_the_alarm_topic_and_never_the_alert_topic(self):
        self.assertEqual(len(self.alarms()), 15)
        for parameters, topic in (({}, {"Ref": "AlarmTopic"}), ({"AlarmTopicArn": OWN_TOPIC}, OWN_TOPIC)):
            stack = self.stack(**parameters)
            for logical_id, alarm in self.alarms().items():
                with self.subTest(alarm=logical_id, **parameters):
                    props = stack.resolve(alarm["Properties"])
                    # ALARM, and OK: "it recovered" is news to on-call too.
                    self.assertEqual(props["AlarmActions"], [topic])
                    self.assertEqual(props["OKActions"], [topic])
                    self.assertNotIn("InsufficientDataActions", props)
                    self.assertNotIn("AlertTopic", repr(alarm))

    def test_the_stack_creates_an_encrypted_alarm_topic_unless_one_is_named(self):
        created = cfn.created_resources(self.hub, self.stack().conditions())
        self.assertIn("AlarmTopic", created)
        self.assertNotIn("AlarmEmailSubscription", created)
        topic = self.hub["Resources"]["AlarmTopic"]["Properties"]
        self.assertEqual(topic["KmsMasterKeyId"], {"Ref": "AlertKey"})
        self.assertEqual(self.stack().resolve(self.hub["Outputs"]["AlarmTopicArn"]["Value"]),
                         {"Ref": "AlarmTopic"})

        stack = self.stack(AlarmTopicArn=OWN_TOPIC, AlarmEmail="oncall@example.com")
        created = cfn.created_resources(self.hub, stack.conditions())
        self.assertNotIn("AlarmTopic", created)
        # That topic's owner subscribes to it, not this stack.
        self.assertNotIn("AlarmEmailSubscription", created)
        self.assertEqual(stack.resolve(self.hub["Outputs"]["AlarmTopicArn"]["Value"]), OWN_TOPIC)

    def test_alarm_email_subscribes_to_the_stacks_alarm_topic(self):
        stack = self.stack(AlarmEmail="oncall@example.com")
        self.assertIn("AlarmEmailSubscription", cfn.created_resources(self.hub, stack.conditions()))
        subscription = stack.resolve(self.hub["Resources"]["AlarmEmailSubscription"]["Properties"])
        self.assertEqual(subscription, {"TopicArn": {"Ref": "AlarmTopic"}, "Protocol": "email",
                                        "Endpoint": "oncall@example.com"})

    def test_no_subscription_to_the_alarm_topic_filters(self):
        subscriptions = cfn.resources_of_type(self.hub, "AWS::SNS::Subscription")
        to_alarms = {k: s["Properties"] for k, s in subscriptions.items()
                     if s["Properties"]["TopicArn"] == {"Ref": "AlarmTopic"}}
        self.assertEqual(set(to_alarms), {"AlarmEmailSubscription"})
        for logical_id, props in to_alarms.items():
            with self.subTest(subscription=logical_id):
                self.assertNotIn("FilterPolicy", props)
                self.assertNotIn("FilterPolicyScope", props)

    def test_cloudwatch_may_publish_to_the_alarm_topic_through_its_key(self):
        # No topic policy: SNS's default one lets this account's alarms
        # publish. The key must let CloudWatch encrypt what it publishes.
        self.assertEqual(cfn.resources_of_type(self.hub, "AWS::SNS::TopicPolicy"), {})
        key = self.hub["Resources"]["AlertKey"]["Properties"]["KeyPolicy"]
        (statement,) = [s for s in cfn.statements(key) if s.get("Sid") == "AlarmsAndEventBridgePublishToTheTopic"]
        self.assertIn("cloudwatch.amazonaws.com", cfn.as_list(statement["Principal"]["Service"]))
        self.assertEqual(set(cfn.as_list(statement["Action"])), {"kms:Decrypt", "kms:GenerateDataKey*"})
        self.assertEqual(statement["Condition"], {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}})

    def test_the_alarm_topic_parameters(self):
        parameters = self.hub["Parameters"]
        self.assertEqual(parameters["AlarmTopicArn"]["Default"], "")
        self.assertEqual(parameters["AlarmEmail"]["Default"], "")
        pattern = re.compile(parameters["AlarmTopicArn"]["AllowedPattern"])
        for value in ("", OWN_TOPIC, "arn:aws-us-gov:sns:us-gov-west-1:111111111111:runas_guard-alarms"):
            self.assertTrue(pattern.fullmatch(value), value)
        for value in ("on-call", "arn:aws:sqs:us-east-1:111111111111:q", OWN_TOPIC + ":sub-id", OWN_TOPIC + ".fifo"):
            self.assertFalse(pattern.fullmatch(value), value)
        groups = self.hub["Metadata"]["AWS::CloudFormation::Interface"]["ParameterGroups"]
        (operations,) = [g for g in groups if g["Label"]["default"] == "Operations"]
        self.assertLessEqual({"AlarmTopicArn", "AlarmEmail"}, set(operations["Parameters"]))


class FilterAdviceTests(unittest.TestCase):
    """The operator's pages say where alarms go and that a subscription to the alarm topic never filters."""

    def read(self, *path):
        with open(os.path.join(cfn.REPO_ROOT, *path), encoding="utf-8") as handle:
            return handle.read()

    def test_the_parameters_are_documented(self):
        page = self.read("infra", "docs", "parameters.md")
        for name in ("AlarmTopicArn", "AlarmEmail"):
            self.assertIn(f"| `{name}` | empty |", page)

    def test_each_readme_says_alarm_messages_carry_no_attributes(self):
        # The operator's page (docs/operate.md, where the README sends
        # on-call) and the deployment guide's alarms page.
        for path in (("docs", "operate.md"), ("infra", "docs", "monitoring.md")):
            with self.subTest(readme=os.path.join(*path)):
                text = " ".join(self.read(*path).split())
                self.assertIn("no message attributes", text)
                self.assertIn("never put a filter policy", text)
                self.assertNotIn("All alarms notify the alert topic", text)


class SweepMissingWindowTests(cfn.TemplateTestCase):
    """No sweep finished in twice SweepSchedule: the alarm's window is exactly that."""

    def window(self, schedule):
        stack = cfn.Stack(self.hub, {"SweepSchedule": schedule}, ACCOUNT, REGION)
        props = stack.resolve(self.hub["Resources"]["SweepMissingAlarm"]["Properties"])
        return int(props["Period"]), int(props["EvaluationPeriods"]), int(props["DatapointsToAlarm"]), props

    def test_the_window_is_twice_the_schedule(self):
        default = self.hub["Parameters"]["SweepSchedule"]["Default"]
        self.assertEqual(default, "rate(6 hours)")
        for schedule in (default, "rate(1 minute)", "rate(5 minutes)", "rate(30 minutes)", "rate(720 minutes)",
                         "rate(1 hour)", "rate(12 hours)", "rate(24 hours)", "rate(84 hours)"):
            with self.subTest(SweepSchedule=schedule):
                period, periods, datapoints, props = self.window(schedule)
                self.assertEqual(period * periods, 2 * schedule_seconds(schedule))
                # Every period of the window must be empty (M of N = N of N).
                self.assertEqual(datapoints, periods)
                self.assertIn(period, (120, 7200))
                self.assertLessEqual(period * periods, 86400 if period < 3600 else 604800)
                self.assertIn(schedule, props["AlarmDescription"])
        self.assertEqual(self.window(default)[:2], (7200, 6))  # 12 hours

    def test_it_counts_finished_sweeps_and_no_data_breaches(self):
        _, _, _, props = self.window("rate(6 hours)")
        self.assertEqual((props["Namespace"], props["MetricName"]), ("RunAsGuard", "AccountRegionsChecked"))
        self.assertEqual(props["Dimensions"], [{"Name": "Trigger", "Value": "sweep"}])
        self.assertEqual((props["Statistic"], props["ComparisonOperator"], props["Threshold"]),
                         ("Sum", "LessThanThreshold", 1))
        self.assertEqual(props["TreatMissingData"], "breaching")

    def test_the_schedule_is_a_rate_the_window_can_be_computed_for(self):
        pattern = re.compile(self.hub["Parameters"]["SweepSchedule"]["AllowedPattern"])
        accepted = {f"rate({n} minutes)" for n in range(2, 721)} | {f"rate({n} hours)" for n in range(2, 85)}
        accepted |= {"rate(1 minute)", "rate(1 hour)"}
        tried = {f"rate({n} {unit})" for n in range(0, 1000) for unit in ("minute", "minutes", "hour", "hours")}
        tried |= {"cron(0 */6 * * ? *)", "rate(1 day)", "rate(2 days)", "rate(06 hours)", "rate(6 hours) ",
                  "rate(6  hours)", "rate(6 Hours)", ""}
        for value in sorted(tried | accepted):
            with self.subTest(SweepSchedule=value):
                self.assertEqual(bool(pattern.fullmatch(value)), value in accepted)
        for value in sorted(accepted):
            with self.subTest(window=value):
                period, periods, _, _ = self.window(value)
                self.assertEqual(period * periods, 2 * schedule_seconds(value))


if __name__ == "__main__":
    unittest.main()

"""From vend to configured: the member stack lands after the vend event.

A vend (Organizations CreateAccountResult, Control Tower CreateManagedAccount
or, since LZA 1.15, a baseline applied to the account's OU) arrives before the
member StackSet has put RunAsGuardExecution (and the check document) into the
new account. The function then records the account-region ``pending`` and
re-attempts it through the sweep queue for PendingWindowSeconds; what ends
the wait at once is the member StackSet's stack-instance event. This file
holds the templates to that:

- the stack-instance rules route a CREATE or UPDATE that SUCCEEDED of the
  member StackSet (MemberStackSetName), by its ARN in any region and
  administrator account, and nothing else (another StackSet, a failed,
  running or deleted instance, drift detection, a StackSet operation), on
  both buses and in the forwarder, and agree with an independent reading of
  the wildcard;
- in every layout infra/docs/vend.md describes (who administers the StackSet,
  in which region, where the hub runs), each such event reaches the function
  exactly once: the hub's default-bus rule or one forwarder;
- the Control Tower rules route the baseline events (EnableBaseline,
  ResetEnabledBaseline, UpdateEnabledBaseline) that SUCCEEDED, and not the
  failed ones, DisableBaseline or another operation's status object;
- the function's pending settings come from the stack's parameters, within
  what SQS and the sweep queue allow.

The sample events are built here, in the shape of events/ and
infra/tests/samples.py (which the generic routing tests run), so that each
case differs from the real shape in one field only.
"""

import copy
import os
import re
import unittest

import yaml

from . import cfn, samples
from .test_routing import (CONTROL_TOWER_RULES, HUB, MEMBER, STACK_INSTANCE_RULES, matches, matching,
                           resolved_patterns, routes)

MANAGEMENT = "123456789012"
DELEGATED = "444455556666"
OTHER = "777788889999"
STACK_SET = "runas-guard-member"
LZA_CUSTOMIZATIONS = os.path.join(cfn.INFRA_DIR, "lza", "customizations-config.yaml")
SQS_MAX_DELAY_SECONDS = 900


def stack_instance(stack_set=STACK_SET, *, admin=MANAGEMENT, region="us-east-1", partition="aws",
                   target="210987654321", target_region="eu-west-1", action="CREATE", detailed="SUCCEEDED",
                   status="CURRENT"):
    """A stack-instance status change as CloudFormation sends it to the StackSet administrator's default bus."""
    arn = f"arn:{partition}:cloudformation:{region}:{admin}:stackset/{stack_set}:849f27dd-b976-435d-882f-46def452cf89"
    return {
        "version": "0",
        "id": "a275f56e-0ab7-4b6a-bc95-e80b970462de",
        "detail-type": "CloudFormation StackSet StackInstance Status Change",
        "source": "aws.cloudformation",
        "account": admin,
        "time": "2025-03-12T10:15:42Z",
        "region": region,
        "resources": [arn],
        "detail": {
            "stack-set-arn": arn,
            "stack-id": (f"arn:{partition}:cloudformation:{target_region}:{target}:stack/StackSet-{stack_set}-"
                         "cbb3f81b-02fb-4f32-9f6d-f8f390e8bc05/3c71f755-34fb-44fa-994a-4113a2690b36"),
            "action": action,
            "status-details": {"status": status, "detailed-status": detailed},
        },
    }


def baseline(event_name="ResetEnabledBaseline", status="SUCCEEDED", *, status_object=None,
             target=f"arn:aws:organizations::{MANAGEMENT}:ou/o-a1b2c3d4e5/ou-ab12-sand0001"):
    """A Control Tower baseline lifecycle event, as samples.py builds them."""
    return samples._controltower_baseline(
        event_name, target, status, event_id="0b0e5c47-51d3-4a4c-9f2e-6b7c8d9e0f13",
        operation_id="d5844a13-c6a1-4604-9930-edbc88c10468", time="2025-03-12T11:02:17Z",
        status_object=status_object)


def stack_instance_cases():
    """(name, event, routed) for the stack-instance rules of stacks with the default MemberStackSetName."""
    cases = [
        ("CREATE SUCCEEDED", stack_instance(), True),
        ("UPDATE SUCCEEDED", stack_instance(action="UPDATE"), True),
        ("a StackSet in another region, administered by a delegated administrator",
         stack_instance(admin=DELEGATED, region="eu-west-1", target_region="ap-southeast-2"), True),
        ("another StackSet", stack_instance("some-other-stackset"), False),
        ("a StackSet whose name extends ours", stack_instance(f"{STACK_SET}-old"), False),
        ("a StackSet whose name ends like ours", stack_instance(f"x{STACK_SET}"), False),
        ("the name in another case", stack_instance(STACK_SET.upper()), False),
        ("FAILED", stack_instance(detailed="FAILED", status="OUTDATED"), False),
        ("DELETE SUCCEEDED", stack_instance(action="DELETE"), False),
        ("DETECT_DRIFT SUCCEEDED", stack_instance(action="DETECT_DRIFT"), False),
        ("another partition", stack_instance(partition="aws-us-gov", region="us-gov-west-1"), False),
    ]
    for detailed in ("CANCELLED", "FAILED_IMPORT", "INOPERABLE", "PENDING", "RUNNING", "SKIPPED_SUSPENDED_ACCOUNT"):
        cases.append((f"CREATE {detailed}", stack_instance(detailed=detailed, status="OUTDATED"), False))
    operation = stack_instance()
    operation["detail-type"] = "CloudFormation StackSet Operation Status Change"
    cases.append(("a StackSet operation", operation, False))
    api_call = stack_instance()
    api_call["detail-type"] = "AWS API Call via CloudTrail"
    cases.append(("another detail-type", api_call, False))
    other_source = stack_instance()
    other_source["source"] = "aws.cloudformation.fake"
    cases.append(("another source", other_source, False))
    no_status = stack_instance()
    del no_status["detail"]["status-details"]
    cases.append(("no status details", no_status, False))
    return cases


def baseline_cases():
    """(name, event, routed) for the Control Tower rules."""
    account = f"arn:aws:organizations::{MANAGEMENT}:account/o-a1b2c3d4e5/210987654321"
    cases = []
    for name in ("EnableBaseline", "ResetEnabledBaseline", "UpdateEnabledBaseline"):
        cases += [
            (f"{name} SUCCEEDED on an OU", baseline(name), True),
            (f"{name} SUCCEEDED on an account", baseline(name, target=account), True),
            (f"{name} FAILED", baseline(name, "FAILED"), False),
            (f"{name} IN_PROGRESS", baseline(name, "IN_PROGRESS"), False),
            (f"{name} SUCCEEDED under another operation's status object",
             baseline(name, status_object="disableBaselineStatus"), False),
        ]
    cases.append(("DisableBaseline SUCCEEDED", baseline("DisableBaseline"), False))
    cases.append(("ResetEnabledControl SUCCEEDED", baseline("ResetEnabledControl"), False))
    flat = baseline()
    details = flat["detail"]["serviceEventDetails"].pop("resetEnabledBaselineStatus")
    flat["detail"]["serviceEventDetails"] = details
    cases.append(("the details not below the operation's status object", flat, False))
    api_call = baseline()
    api_call["detail-type"] = "AWS API Call via CloudTrail"
    cases.append(("the API call, not the lifecycle event", api_call, False))
    return cases


def wildcard_regex(pattern):
    """EventBridge's wildcard as a regular expression: each * any run of characters, the rest literal."""
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")), re.DOTALL)


class MemberStackSetNameTests(cfn.TemplateTestCase):

    def test_both_stacks_take_the_same_parameter(self):
        hub = self.hub["Parameters"]["MemberStackSetName"]
        member = self.member["Parameters"]["MemberStackSetName"]
        self.assertEqual((hub["Type"], hub["Default"]), ("String", STACK_SET))
        for field in ("Type", "Default", "AllowedPattern"):
            self.assertEqual(hub[field], member[field], field)

    def test_only_stack_set_names_are_admitted(self):
        # CloudFormation's own rule for a StackSet name: a letter, then
        # letters, digits and hyphens, at most 128. Nothing that would be a
        # wildcard, a policy variable or an ARN separator in the pattern.
        pattern = re.compile(self.hub["Parameters"]["MemberStackSetName"]["AllowedPattern"])
        for name in (STACK_SET, "RunAsGuardMember", "a", "a" * 128, "Runas-Guard-2"):
            with self.subTest(admitted=name):
                self.assertTrue(pattern.fullmatch(name))
        for name in ("", "*", "runas-guard-*", "runas-guard-member:x", "stackset/x", "a" * 129, "1runas", "-x",
                     "runas_guard", "runas guard", "${AWS::Region}", "runas-guard-member\n", "r?n"):
            with self.subTest(refused=name):
                self.assertFalse(pattern.fullmatch(name))

    def test_hub_passes_it_to_the_function(self):
        variables = self.hub["Resources"]["Function"]["Properties"]["Environment"]["Variables"]
        self.assertEqual(variables["RUNAS_GUARD_MEMBER_STACK_SET"], {"Ref": "MemberStackSetName"})

    def test_the_stack_set_administrator_is_the_member_stacks_and_defaults_to_the_management_account(self):
        # Only that account's member StackSet's instance events count: the
        # hub takes the same parameter as the member stack (which forwards
        # the events from that account), with the same default.
        hub = self.hub["Parameters"]["StackSetAdminAccountId"]
        member = self.member["Parameters"]["StackSetAdminAccountId"]
        for field in ("Type", "Default", "AllowedPattern"):
            self.assertEqual(hub[field], member[field], field)
        pattern = re.compile(hub["AllowedPattern"])
        for value in ("", "210987654321"):
            self.assertTrue(pattern.fullmatch(value), value)
        for value in ("1", "2109876543210", "21098765432a", "*", "210987654321\n"):
            self.assertFalse(pattern.fullmatch(value), value)
        variable = self.hub["Resources"]["Function"]["Properties"]["Environment"]["Variables"][
            "RUNAS_GUARD_STACKSET_ADMIN_ACCOUNT"]
        hub_account = "210987654399"
        for given, admin in (("", MANAGEMENT), ("210987654321", "210987654321")):
            parameters = {"StackSetAdminAccountId": given, "ManagementAccountId": MANAGEMENT}
            stack = cfn.Stack(self.hub, parameters, hub_account, "us-east-1")
            self.assertEqual(stack.resolve(variable), admin, given)

    def test_the_lza_snippet_deploys_the_stack_set_the_defaults_name(self):
        with open(LZA_CUSTOMIZATIONS, encoding="utf-8") as handle:
            (stack_set,) = yaml.safe_load(handle)["customizations"]["cloudFormationStackSets"]
        parameters = {item["name"]: item["value"] for item in stack_set["parameters"]}
        self.assertEqual(stack_set["name"], self.hub["Parameters"]["MemberStackSetName"]["Default"])
        self.assertEqual(parameters["MemberStackSetName"], stack_set["name"])
        # LZA's StackSets are administered by the management account.
        self.assertEqual(parameters["StackSetAdminAccountId"], parameters["ManagementAccountId"])

    def test_another_name_routes_that_stack_sets_events_only(self):
        templates = {HUB: self.hub, MEMBER: self.member}
        patterns = resolved_patterns(templates, MemberStackSetName="RunAsGuardMember")
        self.assertEqual(matching(patterns, stack_instance("RunAsGuardMember")), STACK_INSTANCE_RULES)
        self.assertEqual(matching(patterns, stack_instance()), set())


class StackInstanceRoutingTests(cfn.TemplateTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.patterns = resolved_patterns({HUB: cls.hub, MEMBER: cls.member})

    def test_a_landed_member_stack_is_routed_and_nothing_else(self):
        for name, event, routed in stack_instance_cases():
            with self.subTest(case=name):
                self.assertEqual(matching(self.patterns, event), STACK_INSTANCE_RULES if routed else set())

    def test_the_rules_route_member_stack_landed(self):
        for key in STACK_INSTANCE_RULES:
            with self.subTest(rule=key):
                self.assertEqual(routes(key), {"member_stack_landed"})

    def test_the_wildcard_names_the_stack_set_in_any_region_and_administrator(self):
        (wildcard,) = [item["wildcard"] for item in self.patterns[(HUB, "MemberStackInstanceRule")]
                       ["detail"]["stack-set-arn"]]
        self.assertEqual(wildcard, f"arn:aws:cloudformation:*:*:stackset/{STACK_SET}:*")
        regex = wildcard_regex(wildcard)
        for name, event, routed in stack_instance_cases():
            with self.subTest(case=name):
                arn = event["detail"]["stack-set-arn"]
                # The ARN alone: the other cases differ in another field.
                expected = ":stackset/" + STACK_SET + ":" in arn and arn.startswith("arn:aws:")
                self.assertEqual(bool(regex.fullmatch(arn)), expected)

    def test_the_partition_is_the_stacks(self):
        for template in (self.hub, self.member):
            stack = cfn.Stack(template, {"HubAccountId": MANAGEMENT, "HubRegion": "us-gov-west-1"}
                              if template is self.member else {}, MANAGEMENT, "us-gov-west-1", "aws-us-gov")
            rules = cfn.resources_of_type(template, "AWS::Events::Rule")
            for logical_id in ("MemberStackInstanceRule", "MemberStackInstanceForwardRule"):
                if logical_id in rules:
                    pattern = stack.resolve(rules[logical_id]["Properties"]["EventPattern"])
                    gov = stack_instance(partition="aws-us-gov", region="us-gov-west-1")
                    self.assertTrue(matches(pattern, gov), logical_id)
                    self.assertFalse(matches(pattern, stack_instance()), logical_id)


# Where the member StackSet's stack-instance events reach the function, in the
# layouts infra/docs/vend.md describes ("A vend, step by step"). CloudFormation
# sends them to the default bus of the StackSet's administrator account, in
# the region the StackSet lives in.
GOVERNED = ["us-east-1", "eu-west-1"]
CT_HOME = "us-east-1"


def layouts():
    """(name, hub account, hub region, administrator, StackSet region, StackSetAdminAccountId)."""
    return [
        ("management hub in us-east-1, StackSet created there", MANAGEMENT, "us-east-1", MANAGEMENT, "us-east-1", ""),
        ("management hub in eu-central-1, LZA's StackSet in its home region us-east-1", MANAGEMENT, "eu-central-1",
         MANAGEMENT, "us-east-1", MANAGEMENT),
        ("management hub, StackSet in another governed region", MANAGEMENT, "us-east-1", MANAGEMENT, "eu-west-1",
         ""),
        ("delegated hub, StackSet administered by the management account in the hub region", DELEGATED,
         "eu-west-1", MANAGEMENT, "eu-west-1", ""),
        ("delegated hub that is the StackSets delegated administrator, StackSet in the hub region", DELEGATED,
         "eu-west-1", DELEGATED, "eu-west-1", DELEGATED),
        ("delegated hub that is the StackSets delegated administrator, StackSet in another region", DELEGATED,
         "eu-west-1", DELEGATED, "us-east-1", DELEGATED),
        ("delegated hub, a third account administers the StackSet", DELEGATED, "us-east-1", OTHER, "eu-west-1",
         OTHER),
    ]


def member_stack_regions(account, stack_set_region):
    """Where infra/docs/deploy.md puts member.yaml: the StackSet in every governed region plus us-east-1;
    the management account's own stacks (step 3b) there plus Control Tower's home region and the
    StackSet's region."""
    regions = set(GOVERNED) | {"us-east-1"}
    if account == MANAGEMENT:
        regions |= {CT_HOME, stack_set_region}
    return regions


class StackInstanceDeliveryTests(cfn.TemplateTestCase):

    def forwards(self, account, region, hub_account, hub_region, admin_parameter):
        parameters = {"HubAccountId": hub_account, "HubRegion": hub_region, "RoleRegion": "us-east-1",
                      "ManagementAccountId": MANAGEMENT, "StackSetAdminAccountId": admin_parameter}
        conditions = cfn.evaluate_conditions(self.member, parameters, account, region)
        return "MemberStackInstanceForwardRule" in cfn.created_resources(self.member, conditions)

    def deliveries(self, hub_account, hub_region, admin, region, admin_parameter, stack_regions=None):
        """How many times a stack-instance event reaches the function: the hub's default-bus rule when
        the hub is the administrator in the StackSet's region, a member stack's forwarder to the
        custom bus."""
        stack_regions = member_stack_regions(admin, region) if stack_regions is None else stack_regions
        count = 0
        if (admin, region) == (hub_account, hub_region):
            count += 1  # MemberStackInstanceRule
        if region in stack_regions and self.forwards(admin, region, hub_account, hub_region, admin_parameter):
            count += 1  # MemberStackInstanceForwardRule -> MemberStackInstanceForwardedRule
        return count

    def test_every_landed_stack_reaches_the_function_once_in_every_layout(self):
        for name, hub_account, hub_region, admin, region, admin_parameter in layouts():
            with self.subTest(layout=name):
                self.assertEqual(self.deliveries(hub_account, hub_region, admin, region, admin_parameter), 1)

    def test_nobody_else_forwards_them(self):
        # Only the administrator's default bus receives the events; a
        # forwarder anywhere else would be idle, but none is made either.
        for name, hub_account, hub_region, admin, _, admin_parameter in layouts():
            for account in {MANAGEMENT, DELEGATED, OTHER, "111122223333"} - {admin}:
                for region in GOVERNED + ["eu-central-1"]:
                    with self.subTest(layout=name, account=account, region=region):
                        self.assertFalse(self.forwards(account, region, hub_account, hub_region, admin_parameter))

    def test_a_delegated_administrator_must_be_named(self):
        # StackSetAdminAccountId left empty names the management account: a
        # StackSet administered elsewhere is then not forwarded, and a new
        # account waits for its re-attempts (30 s to 15 min apart).
        self.assertEqual(self.deliveries(DELEGATED, "us-east-1", OTHER, "eu-west-1", ""), 0)
        self.assertEqual(self.deliveries(MANAGEMENT, "us-east-1", DELEGATED, "eu-west-1", ""), 0)

    def test_the_administrator_needs_a_stack_in_the_stack_sets_region(self):
        self.assertEqual(self.deliveries(DELEGATED, "eu-west-1", MANAGEMENT, "ap-south-1", "",
                                         stack_regions=set(GOVERNED)), 0)
        self.assertEqual(self.deliveries(DELEGATED, "eu-west-1", MANAGEMENT, "ap-south-1", ""), 1)

    def test_without_management_account_nobody_forwards(self):
        for region in GOVERNED:
            parameters = {"HubAccountId": DELEGATED, "HubRegion": "eu-west-1"}
            conditions = cfn.evaluate_conditions(self.member, parameters, MANAGEMENT, region)
            self.assertNotIn("MemberStackInstanceForwardRule", cfn.created_resources(self.member, conditions))


class BaselineRoutingTests(cfn.TemplateTestCase):

    def test_a_baseline_applied_is_routed_by_the_control_tower_rules_only(self):
        patterns = resolved_patterns({HUB: self.hub, MEMBER: self.member})
        for name, event, routed in baseline_cases():
            with self.subTest(case=name):
                self.assertEqual(matching(patterns, event), CONTROL_TOWER_RULES if routed else set())
        for key in CONTROL_TOWER_RULES:
            self.assertEqual(routes(key), {"account_vended", "baseline_applied"})

    def test_the_account_lifecycle_events_are_still_routed(self):
        patterns = resolved_patterns({HUB: self.hub, MEMBER: self.member})
        vends = [e for name, kind, e in cfn.load_events() if kind == "account_vended"
                 and e["source"] == "aws.controltower"]
        self.assertEqual({e["detail"]["eventName"] for e in vends}, {"CreateManagedAccount", "UpdateManagedAccount"})
        for event in vends:
            self.assertEqual(matching(patterns, event), CONTROL_TOWER_RULES)
            failed = copy.deepcopy(event)
            (status,) = failed["detail"]["serviceEventDetails"].values()
            status["state"] = "FAILED"
            self.assertEqual(matching(patterns, failed), set())


class PendingSettingsTests(cfn.TemplateTestCase):
    """The function's pending window and re-attempt delays, as the hub stack sets them."""

    def variables(self):
        return self.hub["Resources"]["Function"]["Properties"]["Environment"]["Variables"]

    def test_the_window_is_a_bounded_parameter(self):
        window = self.hub["Parameters"]["PendingWindowSeconds"]
        self.assertEqual((window["Type"], window["Default"], window["MinValue"], window["MaxValue"]),
                         ("Number", 7200, 300, 86400))
        self.assertEqual(self.variables()["RUNAS_GUARD_PENDING_WINDOW_SECONDS"],
                         {"Fn::Sub": "${PendingWindowSeconds}"})
        # The function gets the number as a string, as every variable.
        for value in ("300", "7200", "86400"):
            stack = cfn.Stack(self.hub, {"PendingWindowSeconds": value}, MANAGEMENT, "us-east-1")
            self.assertEqual(stack.resolve(self.variables()["RUNAS_GUARD_PENDING_WINDOW_SECONDS"]), value)
        stack = cfn.Stack(self.hub, {}, MANAGEMENT, "us-east-1")
        self.assertEqual(stack.resolve(self.variables()["RUNAS_GUARD_PENDING_WINDOW_SECONDS"]), "7200")

    def test_the_delays_are_fixed_and_within_what_sqs_allows(self):
        value = self.variables()["RUNAS_GUARD_PENDING_DELAYS_SECONDS"]
        self.assertEqual(value, "30,60,120,240,480,900")
        delays = [int(item) for item in value.split(",")]
        self.assertEqual(delays, sorted(delays))
        self.assertTrue(all(0 < delay <= SQS_MAX_DELAY_SECONDS for delay in delays))
        # The last one repeats: the window is re-checked at least every 15
        # minutes until it closes, and the first re-attempt is soon.
        self.assertEqual(delays[-1], SQS_MAX_DELAY_SECONDS)
        window = self.hub["Parameters"]["PendingWindowSeconds"]
        self.assertGreater(window["MinValue"], delays[0])

    def test_the_sweep_queue_carries_the_re_attempts(self):
        queue = self.hub["Resources"]["SweepQueue"]["Properties"]
        # Every delay is the message's own: the queue delays nothing itself.
        self.assertNotIn("DelaySeconds", queue)
        # A re-attempt sent at the end of the longest window is still
        # retained when it becomes visible.
        window = self.hub["Parameters"]["PendingWindowSeconds"]["MaxValue"]
        self.assertGreater(queue["MessageRetentionPeriod"], window + SQS_MAX_DELAY_SECONDS)
        # Its event source mapping, dead-letter queue and alarm are the sweep's.
        mapping = self.hub["Resources"]["SweepEventSourceMapping"]["Properties"]
        self.assertEqual(mapping["EventSourceArn"], {"Fn::GetAtt": ["SweepQueue", "Arn"]})
        self.assertEqual(queue["RedrivePolicy"]["deadLetterTargetArn"], {"Fn::GetAtt": ["SweepDeadLetterQueue", "Arn"]})
        alarm = self.hub["Resources"]["SweepDeadLetterQueueAlarm"]["Properties"]
        watched = {m["MetricStat"]["Metric"]["Dimensions"][0]["Value"]["Fn::GetAtt"][0]
                   for m in alarm["Metrics"] if "MetricStat" in m}
        self.assertEqual(watched, {"SweepDeadLetterQueue"})

    def test_sending_a_re_attempt_needs_no_new_grant(self):
        # A delayed message is an sqs:SendMessage like a sweep's (DelaySeconds
        # is a request field, not an action); "when did the account join" is
        # organizations:DescribeAccount, granted for vends already.
        statements = [s for p in self.hub["Resources"]["HubRole"]["Properties"]["Policies"]
                      for s in cfn.statements(p["PolicyDocument"]) if "Fn::If" not in s]
        senders = {s["Sid"]: s["Resource"] for s in statements if "sqs:SendMessage" in cfn.as_list(s["Action"])}
        self.assertEqual(senders, {"SweepQueue": {"Fn::GetAtt": ["SweepQueue", "Arn"]},
                                   "AsyncFailureDestination": {"Fn::GetAtt": ["AsyncFailureQueue", "Arn"]}})
        (tree,) = [s for s in statements if s["Sid"] == "ReadOrganizationTree"]
        self.assertIn("organizations:DescribeAccount", tree["Action"])
        self.assertFalse([a for s in statements for a in cfn.as_list(s["Action"]) if a.startswith("cloudformation:")])

    def test_every_hub_parameter_is_grouped(self):
        groups = self.hub["Metadata"]["AWS::CloudFormation::Interface"]["ParameterGroups"]
        grouped = [name for group in groups for name in group["Parameters"]]
        self.assertEqual(sorted(grouped), sorted(self.hub["Parameters"]))
        (new_accounts,) = [g for g in groups if g["Label"]["default"] == "New accounts"]
        self.assertEqual(new_accounts["Parameters"],
                         ["MemberStackSetName", "StackSetAdminAccountId", "PendingWindowSeconds"])


if __name__ == "__main__":
    unittest.main()

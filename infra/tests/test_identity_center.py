"""The declared Identity Center mapping ([identity_center]): the hub role's sso
grants per IdentityCenterAccess / IdentityCenterInstanceArn, and where the
aws.sso access-control events come from in each layout infra/docs/identity-center.md describes.

Per the Service Authorization Reference for AWS IAM Identity Center (service
prefix sso): ListInstances has no resource type; Describe-, Update- and
CreateInstanceAccessControlAttributeConfiguration require the Instance
resource, arn:${Partition}:sso:::instance/${InstanceId}, and list no
dependent actions.
"""

import os
import re
import unittest

from . import cfn, samples
from .test_routing import HUB, MEMBER, matching, resolved_patterns

MANAGEMENT = "123456789012"
DELEGATED = "444455556666"  # a member account: Identity Center's delegated administrator
INSTANCE = "arn:aws:sso:::instance/ssoins-1234567890abcdef"
LIST = "sso:ListInstances"
DESCRIBE = "sso:DescribeInstanceAccessControlAttributeConfiguration"
UPDATE = "sso:UpdateInstanceAccessControlAttributeConfiguration"
CREATE = "sso:CreateInstanceAccessControlAttributeConfiguration"
ACCESS_CONTROL_EVENTS = ("CreateInstanceAccessControlAttributeConfiguration",
                         "UpdateInstanceAccessControlAttributeConfiguration",
                         "DeleteInstanceAccessControlAttributeConfiguration")
SIDS = ("IdentityCenterListInstances", "IdentityCenterReadMapping", "IdentityCenterRestoreMapping")
# The SAR's Instance ARN format, with the SSO Admin API's instance id.
INSTANCE_ARN_FORMAT = re.compile(r"arn:aws(-[a-z]{1,5}){0,3}:sso:::instance/(\*|(sso)?ins-[A-Za-z0-9.-]{16})")


def expected_grants(access, instance_arn, partition="aws"):
    """(Sid, action, resource) the hub role holds for these parameter values."""
    if access == "None":
        return set()
    instance = instance_arn or f"arn:{partition}:sso:::instance/*"
    grants = {("IdentityCenterReadMapping", DESCRIBE, instance)}
    if not instance_arn:
        grants.add(("IdentityCenterListInstances", LIST, "*"))
    if access == "Enforce":
        grants |= {("IdentityCenterRestoreMapping", UPDATE, instance),
                   ("IdentityCenterRestoreMapping", CREATE, instance)}
    return grants


class IdentityCenterGrantTests(cfn.TemplateTestCase):

    def sso_grants(self, partition="aws", **parameters):
        """Every sso (Sid, action, resource) of the hub role as a stack with ``parameters`` deploys it."""
        stack = cfn.Stack(self.hub, parameters, MANAGEMENT, "eu-west-1", partition)
        grants = set()
        for policy in self.hub["Resources"]["HubRole"]["Properties"]["Policies"]:
            for item in cfn.statements(policy["PolicyDocument"]):
                if "Fn::If" in item:
                    condition, statement, otherwise = item["Fn::If"]
                    self.assertEqual(otherwise, {"Ref": "AWS::NoValue"})
                    if not stack.condition(condition):
                        continue
                else:
                    statement = item
                actions = cfn.as_list(statement["Action"])
                if not any(action.startswith("sso") for action in actions):
                    continue
                self.assertTrue(all(action.startswith("sso:") for action in actions), actions)
                self.assertEqual(statement["Effect"], "Allow")
                self.assertNotIn("Condition", statement)
                for resource in cfn.as_list(stack.resolve(statement["Resource"])):
                    grants |= {(statement["Sid"], action, resource) for action in actions}
        return grants

    def test_parameters(self):
        access = self.hub["Parameters"]["IdentityCenterAccess"]
        self.assertEqual((access["Type"], access["Default"], access["AllowedValues"]),
                         ("String", "None", ["None", "Read", "Enforce"]))
        arn = self.hub["Parameters"]["IdentityCenterInstanceArn"]
        self.assertEqual((arn["Type"], arn["Default"]), ("String", ""))
        pattern = re.compile(arn["AllowedPattern"])
        for value in ("", INSTANCE, "arn:aws-us-gov:sso:::instance/ssoins-79071a2b3c4d5e6f",
                      "arn:aws-cn:sso:::instance/ssoins-8259c0d1e2f3a4b5", "arn:aws:sso:::instance/ins-1234567890abcdef"):
            with self.subTest(accepted=value):
                self.assertTrue(pattern.fullmatch(value))
        for value in ("*", "arn:aws:sso:::instance/*", "arn:aws:sso:::instance/ssoins-*",
                      "arn:aws:sso:::instance/ssoins-123", "arn:aws:sso:::instance/ssoins-1234567890abcdef0",
                      "arn:aws:sso:::instance/ssoins-1234567890abcde?", "arn:aws:sso:::instance/ssoins-${aws:userid}",
                      f"{INSTANCE},{INSTANCE}", f" {INSTANCE}", "arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-1",
                      "arn:aws:sso:eu-west-1:123456789012:instance/ssoins-1234567890abcdef", "ssoins-1234567890abcdef"):
            with self.subTest(refused=value):
                self.assertFalse(pattern.fullmatch(value))
        groups = self.hub["Metadata"]["AWS::CloudFormation::Interface"]["ParameterGroups"]
        (group,) = [g for g in groups if g["Label"]["default"] == "Identity Center"]
        self.assertEqual(group["Parameters"], ["IdentityCenterAccess", "IdentityCenterInstanceArn"])

    def test_off_by_default(self):
        self.assertEqual(self.sso_grants(), set())
        self.assertEqual(self.sso_grants(IdentityCenterInstanceArn=INSTANCE), set())

    def test_each_level_grants_exactly_its_actions_on_the_instance(self):
        for access in ("None", "Read", "Enforce"):
            for instance_arn in ("", INSTANCE):
                for partition in ("aws", "aws-us-gov"):
                    if instance_arn and partition != "aws":
                        continue
                    with self.subTest(access=access, instance_arn=instance_arn, partition=partition):
                        self.assertEqual(
                            self.sso_grants(partition, IdentityCenterAccess=access,
                                            IdentityCenterInstanceArn=instance_arn),
                            expected_grants(access, instance_arn, partition))

    def test_resources_are_instances_and_only_list_instances_is_on_star(self):
        for access in ("Read", "Enforce"):
            for instance_arn in ("", INSTANCE):
                with self.subTest(access=access, instance_arn=instance_arn):
                    for sid, action, resource in self.sso_grants(IdentityCenterAccess=access,
                                                                 IdentityCenterInstanceArn=instance_arn):
                        if action == LIST:
                            self.assertEqual(resource, "*")
                        else:
                            self.assertTrue(INSTANCE_ARN_FORMAT.fullmatch(resource), resource)

    def test_never_deletes_nor_uses_wildcard_actions(self):
        for policy in self.hub["Resources"]["HubRole"]["Properties"]["Policies"]:
            text = repr(policy)
            self.assertNotIn("sso:Delete", text)
            self.assertNotIn("sso:*", text)
            self.assertNotIn("sso-directory", text)
            self.assertNotIn("identitystore", text)

    def test_sids_are_unique_and_documented(self):
        sids = [statement["Sid"] for policy in self.hub["Resources"]["HubRole"]["Properties"]["Policies"]
                for statement in _flatten(policy["PolicyDocument"]["Statement"])]
        self.assertEqual(len(sids), len(set(sids)))
        self.assertLessEqual(set(SIDS), set(sids))
        with open(os.path.join(cfn.INFRA_DIR, "docs", "identity-center.md"), encoding="utf-8") as handle:
            page = handle.read()
        for name in SIDS + ("IdentityCenterAccess", "IdentityCenterInstanceArn"):
            with self.subTest(name=name):
                self.assertTrue(f"`{name}`" in page, f"infra/docs/identity-center.md does not name `{name}`")

    def test_the_hub_stack_is_unchanged_by_default(self):
        conditions = cfn.evaluate_conditions(self.hub, {}, MANAGEMENT, "us-east-1")
        self.assertFalse(conditions["IdentityCenterRead"])
        self.assertFalse(conditions["IdentityCenterEnforce"])
        self.assertFalse(conditions["IdentityCenterDiscover"])
        # No environment variable: the function reads [identity_center] from the policy.
        variables = self.hub["Resources"]["Function"]["Properties"]["Environment"]["Variables"]
        self.assertFalse([name for name in variables if "IDENTITY" in name])


def _flatten(statements):
    for item in statements:
        if "Fn::If" in item:
            yield item["Fn::If"][1]
        else:
            yield item


# Where Identity Center's access-control events reach the function, in the
# layouts infra/docs/identity-center.md describes. The hub runs in the account that
# administers Identity Center (its own credentials call sso-admin there); an
# edit is recorded by CloudTrail in the account the call was made in, in
# Identity Center's home region, and goes to that account's default bus
# there. Either account may make one: the management account always, the
# delegated administrator when there is one.
STACK_PARAMETERS = {"RoleRegion": "us-east-1", "ManagementAccountId": MANAGEMENT}
GOVERNED = ["us-east-1", "eu-central-1"]


def layouts():
    """(name, hub account, hub region, Identity Center region, accounts that can edit the mapping)."""
    return [
        ("management hub, Identity Center in the hub region", MANAGEMENT, "us-east-1", "us-east-1", [MANAGEMENT]),
        ("management hub, Identity Center elsewhere", MANAGEMENT, "us-east-1", "eu-west-1", [MANAGEMENT]),
        ("management hub outside us-east-1, Identity Center in us-east-1", MANAGEMENT, "eu-central-1", "us-east-1",
         [MANAGEMENT]),
        ("delegated hub, Identity Center in the hub region", DELEGATED, "eu-west-1", "eu-west-1",
         [MANAGEMENT, DELEGATED]),
        ("delegated hub, Identity Center elsewhere", DELEGATED, "us-east-1", "eu-west-1", [MANAGEMENT, DELEGATED]),
    ]


def member_stack_regions(account, ic_region, ic_admin, stackset_in_ic_region=True):
    """Where infra/docs/deploy.md puts member.yaml: the StackSet in every governed region plus
    us-east-1 (and Identity Center's region for its delegated administrator, "Identity Center
    mapping"); the management account's own stacks (step 3b) there plus Identity Center's region."""
    regions = set(GOVERNED) | {"us-east-1"}
    if account == MANAGEMENT or (account == ic_admin and stackset_in_ic_region):
        regions.add(ic_region)
    return regions


class IdentityCenterRoutingTests(cfn.TemplateTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.patterns = resolved_patterns({HUB: cls.hub, MEMBER: cls.member})
        cls.events = [event for name, kind, event in samples.inline_samples()
                      if event.get("source") == "aws.sso" and kind == "run_as_override"]

    def forwards(self, account, region, hub_account, hub_region):
        parameters = dict(STACK_PARAMETERS, HubAccountId=hub_account, HubRegion=hub_region)
        conditions = cfn.evaluate_conditions(self.member, parameters, account, region)
        return "RunAsOverrideForwardRule" in cfn.created_resources(self.member, conditions)

    def deliveries(self, caller, ic_region, hub_account, hub_region, stack_regions):
        """How many times an edit made in ``caller`` reaches the function: the hub's default-bus
        rule when it is made where the hub runs, a member stack's forwarder to the custom bus."""
        count = 0
        if (caller, ic_region) == (hub_account, hub_region):
            count += 1  # RunAsOverrideLocalRule
        if ic_region in stack_regions and self.forwards(caller, ic_region, hub_account, hub_region):
            count += 1  # RunAsOverrideForwardRule -> RunAsOverrideRule
        return count

    def test_the_samples_match_every_run_as_override_rule(self):
        self.assertEqual({e["detail"]["eventName"] for e in self.events}, set(ACCESS_CONTROL_EVENTS))
        rules = {(HUB, "RunAsOverrideRule"), (HUB, "RunAsOverrideLocalRule"), (MEMBER, "RunAsOverrideForwardRule")}
        for event in self.events:
            with self.subTest(event=event["detail"]["eventName"]):
                self.assertEqual(matching(self.patterns, event), rules)

    def test_every_edit_reaches_the_function_once_in_every_layout(self):
        for name, hub_account, hub_region, ic_region, callers in layouts():
            for caller in callers:
                with self.subTest(layout=name, caller=caller):
                    regions = member_stack_regions(caller, ic_region, hub_account)
                    self.assertEqual(self.deliveries(caller, ic_region, hub_account, hub_region, regions), 1)

    def test_a_delegated_hub_needs_a_stack_instance_in_identity_centers_region(self):
        # Identity Center's region not governed: without the extra StackSet
        # instance (infra/docs/identity-center.md), the delegated
        # administrator's own edits are never forwarded; the sweep still sees them.
        regions = member_stack_regions(DELEGATED, "eu-west-1", DELEGATED, stackset_in_ic_region=False)
        self.assertNotIn("eu-west-1", regions)
        self.assertEqual(self.deliveries(DELEGATED, "eu-west-1", DELEGATED, "us-east-1", regions), 0)


if __name__ == "__main__":
    unittest.main()

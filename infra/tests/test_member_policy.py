"""What infra/member.yaml grants in every member account, and where it creates it.

The member role may do exactly five things to exactly one document, and only
the hub role may assume it; the forwarder role may only put events on the hub
bus. The Conditions decide which stack instance creates what: the (global) IAM
role in RoleRegion only, the document and Run As override forwarders
everywhere except the hub account's hub region, the Organizations forwarders
only in the management account.
"""

import unittest

from . import cfn

MEMBER_ACTIONS = {
    "ssm:GetDocument",
    "ssm:DescribeDocument",
    "ssm:CreateDocument",
    "ssm:UpdateDocument",
    "ssm:UpdateDocumentDefaultVersion",
}
DOCUMENT_ARN = {"Fn::Sub": "arn:${AWS::Partition}:ssm:*:${AWS::AccountId}:document/SSM-SessionManagerRunShell"}
HUB_ROLE_ARN = {"Fn::Sub": "arn:${AWS::Partition}:iam::${HubAccountId}:role/${HubRoleName}"}
HUB_BUS_ARN = {"Fn::Sub": "arn:${AWS::Partition}:events:${HubRegion}:${HubAccountId}:event-bus/${HubBusName}"}

HUB_ACCOUNT = "999999999999"
MANAGEMENT_ACCOUNT = "123456789012"
MEMBER_ACCOUNT = "111122223333"
PARAMETERS = {"HubAccountId": HUB_ACCOUNT, "HubRegion": "us-east-1", "RoleRegion": "us-east-1",
              "ManagementAccountId": MANAGEMENT_ACCOUNT}
ORG_FORWARDERS = {"VendOrganizationsForwardRule", "VendControlTowerForwardRule", "MoveAccountForwardRule",
                  "AccountJoinedForwardRule"}
EVERYWHERE_FORWARDERS = {"DocumentChangedForwardRule", "RunAsOverrideForwardRule"}


class MemberPolicyTests(cfn.TemplateTestCase):

    def role(self, logical_id):
        return cfn.resources_of_type(self.member, "AWS::IAM::Role")[logical_id]["Properties"]

    def inline_statements(self, role):
        found = []
        for policy in role.get("Policies", []):
            found.extend(cfn.statements(policy["PolicyDocument"]))
        return found

    def test_only_two_iam_resources(self):
        iam = {logical_id for logical_id, resource in self.member["Resources"].items()
               if resource["Type"].startswith("AWS::IAM::")}
        self.assertEqual(iam, {"ExecutionRole", "ForwarderRole"})

    def test_execution_role_grants_only_the_five_actions_on_the_document(self):
        role = self.role("ExecutionRole")
        self.assertEqual(role["RoleName"], {"Ref": "MemberRoleName"})
        self.assertEqual(self.member["Parameters"]["MemberRoleName"]["Default"], "RunAsGuardExecution")
        self.assertNotIn("ManagedPolicyArns", role)
        self.assertNotIn("PermissionsBoundary", role)
        granted = set()
        for statement in self.inline_statements(role):
            with self.subTest(statement=statement.get("Sid")):
                self.assertEqual(statement["Effect"], "Allow")
                self.assertNotIn("NotAction", statement)
                self.assertNotIn("NotResource", statement)
                actions = set(cfn.as_list(statement["Action"]))
                self.assertLessEqual(actions, MEMBER_ACTIONS)
                self.assertEqual(cfn.as_list(statement["Resource"]), [DOCUMENT_ARN])
                granted |= actions
        self.assertEqual(granted, MEMBER_ACTIONS)

    def test_execution_role_trusts_only_the_hub_role(self):
        trust = self.role("ExecutionRole")["AssumeRolePolicyDocument"]
        (statement,) = cfn.statements(trust)
        self.assertEqual(statement["Effect"], "Allow")
        self.assertEqual(statement["Principal"], {"AWS": HUB_ROLE_ARN})
        self.assertEqual(cfn.as_list(statement["Action"]), ["sts:AssumeRole"])
        self.assertEqual(self.member["Parameters"]["HubRoleName"]["Default"], "RunAsGuardHub")

    def test_forwarder_role_only_puts_events_on_the_hub_bus(self):
        role = self.role("ForwarderRole")
        self.assertNotIn("ManagedPolicyArns", role)
        (trust,) = cfn.statements(role["AssumeRolePolicyDocument"])
        self.assertEqual(trust["Principal"], {"Service": "events.amazonaws.com"})
        self.assertEqual(cfn.as_list(trust["Action"]), ["sts:AssumeRole"])
        (statement,) = self.inline_statements(role)
        self.assertEqual(statement["Effect"], "Allow")
        self.assertEqual(cfn.as_list(statement["Action"]), ["events:PutEvents"])
        self.assertEqual(cfn.as_list(statement["Resource"]), [HUB_BUS_ARN])

    def test_hub_and_member_agree_on_names(self):
        hub_parameters = self.hub["Parameters"]
        member_parameters = self.member["Parameters"]
        self.assertEqual(member_parameters["HubRoleName"]["Default"], hub_parameters["HubRoleName"]["Default"])
        self.assertEqual(member_parameters["HubBusName"]["Default"], hub_parameters["EventBusName"]["Default"])
        self.assertEqual(member_parameters["MemberRoleName"]["Default"], hub_parameters["MemberRoleName"]["Default"])

    def created(self, account, region, **overrides):
        parameters = dict(PARAMETERS, **overrides)
        conditions = cfn.evaluate_conditions(self.member, parameters, account, region)
        return cfn.created_resources(self.member, conditions)

    def test_execution_role_is_created_in_role_region_only(self):
        self.assertIn("ExecutionRole", self.created(MEMBER_ACCOUNT, "us-east-1"))
        self.assertNotIn("ExecutionRole", self.created(MEMBER_ACCOUNT, "eu-west-1"))
        self.assertIn("ExecutionRole", self.created(MEMBER_ACCOUNT, "eu-west-1", RoleRegion="eu-west-1"))
        self.assertNotIn("ExecutionRole", self.created(MEMBER_ACCOUNT, "us-east-1", RoleRegion="eu-west-1"))

    def test_member_accounts_forward_document_edits_and_overrides_in_every_region(self):
        # IAM events reach EventBridge in us-east-1 only, Identity Center events
        # in the instance's region: the override forwarder is in every region,
        # so both are covered wherever the StackSet has an instance there.
        for region in ("us-east-1", "eu-west-1", "ap-southeast-2"):
            with self.subTest(region=region):
                created = self.created(MEMBER_ACCOUNT, region)
                self.assertLessEqual(EVERYWHERE_FORWARDERS | {"ForwarderRole"}, created)
                self.assertFalse(created & ORG_FORWARDERS)

    def test_hub_account_forwards_its_iam_events_unless_the_hub_is_in_us_east_1(self):
        self.assertIn("RunAsOverrideForwardRule", self.created(HUB_ACCOUNT, "us-east-1", HubRegion="eu-west-1"))
        self.assertNotIn("RunAsOverrideForwardRule", self.created(HUB_ACCOUNT, "us-east-1"))

    def test_hub_home_region_does_not_forward_to_itself(self):
        created = self.created(HUB_ACCOUNT, "us-east-1")
        self.assertEqual(created, {"ExecutionRole"})
        elsewhere = self.created(HUB_ACCOUNT, "eu-west-1")
        self.assertIn("DocumentChangedForwardRule", elsewhere)

    def test_management_account_forwards_organization_events(self):
        created = self.created(MANAGEMENT_ACCOUNT, "us-east-1")
        self.assertLessEqual(ORG_FORWARDERS | EVERYWHERE_FORWARDERS | {"ForwarderRole"}, created)
        # Unless it is the hub itself in the hub region: then the hub's own
        # default-bus rules see the events.
        created = self.created(MANAGEMENT_ACCOUNT, "us-east-1", HubAccountId=MANAGEMENT_ACCOUNT)
        self.assertFalse(created & (ORG_FORWARDERS | EVERYWHERE_FORWARDERS | {"ForwarderRole"}))
        # Without ManagementAccountId nobody forwards Organizations events.
        created = self.created(MANAGEMENT_ACCOUNT, "us-east-1", ManagementAccountId="")
        self.assertFalse(created & ORG_FORWARDERS)

    def test_forwarder_role_name_is_per_region(self):
        self.assertEqual(self.role("ForwarderRole")["RoleName"], {"Fn::Sub": "RunAsGuardForwarder-${AWS::Region}"})


if __name__ == "__main__":
    unittest.main()

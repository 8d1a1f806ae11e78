"""What infra/member.yaml grants in every member account, and where it creates it.

The member role may do exactly seven things to exactly the governed documents
of its own account (SSM-SessionManagerRunShell, plus the per-permission-set
documents of NamedSessionDocuments), read (never write) any other document of
its own account and list them (another Session document may skip Run As), and
only the hub role may assume it; the forwarder role may only put events on
the hub bus. Its document tag write is the forwarding canary's (the policy's
[forwarding_canary]): the tag key runas-guard:canary on
SSM-SessionManagerRunShell of its own account, and no other key or resource,
in a second inline policy (the hub's session policy adds only the action to
its governed-document statement: this grant narrows it to the one key).
Its Security Hub import is the policy's [security_hub] findings: the action
securityhub:BatchImportFindings on its own account's default product
(product/<account>/default) in any region, and no other product or action,
in a third inline policy, granted whatever the parameters (the hub's session
policy adds only the action, on "*", to its statement of calls without a
resource type: this grant narrows it to the account's own product).
With RunAsUserCheck=Enabled it writes associations of the check document of
its own account only, and of an association's own ARN (which does not say its
document) only with runas-guard's tag: created and tagged with
runas-guard:managed = true and no other key, updated only when tagged so,
deleted by id (copies made by hand are untagged). The hub's session policy
(src/domain/session_policy.rs) is wider, without the tag conditions (AWS's cap), and must
cover it: a session is the intersection. The Conditions decide which stack instance creates what: the (global) IAM
role in RoleRegion only, the document and Run As override forwarders
everywhere except the hub account's hub region, the Organizations forwarders
only in the management account (the stack-instance forwarder only in the
StackSet's administrator account: test_member_stack.py).
"""

import fnmatch
import json
import os
import re
import unittest

from . import cfn

MEMBER_ACTIONS = {
    "ssm:GetDocument",
    "ssm:DescribeDocument",
    "ssm:CreateDocument",
    "ssm:UpdateDocument",
    "ssm:UpdateDocumentDefaultVersion",
    "ssm:ListDocumentVersions",
    "ssm:DeleteDocument",
}
DOCUMENT_ARN = {"Fn::Sub": "arn:${AWS::Partition}:ssm:*:${AWS::AccountId}:document/SSM-SessionManagerRunShell"}
PREFERENCES_DOCUMENT = "SSM-SessionManagerRunShell"
# The run-as user check's document (member.yaml RunAsUserCheckDocument), and
# the tag runas-guard puts on the association of it that it keeps
# (src/domain/nodes/mod.rs MANAGED_TAG_KEY / MANAGED_TAG_VALUE: the tests hold them
# equal), which the member role's association grants read.
CHECK_DOCUMENT = "RunAsGuard-CheckRunAsUser"
MANAGED_TAG_KEY = "runas-guard:managed"
MANAGED_TAG_VALUE = "true"
CHECK_SIDS = ["RunAsUserCheck", "RunAsUserCheckCreateTagged", "RunAsUserCheckUpdateTagged",
              "RunAsUserCheckDeleteCopies", "RunAsUserCheckResults"]
NAMED_PREFIX = "arn:*:ssm:*:${aws:PrincipalAccount}:document/"
# Values of NamedSessionDocuments CloudFormation must accept (and pass on as
# written), and values it must refuse: anything that could widen the grant
# (wildcards, policy variables, ARN separators), empty items, spaces.
ADMITTED = ["", "SSMRunAs-Admin", "SSMRunAs-Admin,SSMRunAs-ReadOnly", "abc", "a" * 128, "Shell.db_2,x-y",
            ",".join(f"SSMRunAs-{i}" for i in range(20))]
REFUSED = ["*", "SSMRunAs-*", "SSMRunAs-Admin?", "ab", "a" * 129, "SSMRunAs-Admin,", ",SSMRunAs-Admin", ",",
           "SSMRunAs-Admin,,SSMRunAs-ReadOnly", "SSMRunAs-Admin, SSMRunAs-ReadOnly", " SSMRunAs-Admin",
           "SSMRunAs-Admin ", "document/SSMRunAs-Admin", "SSMRunAs-Admin/*", "arn:aws:ssm:*:*:document/X",
           "${aws:username}", "SSMRunAs-${aws:PrincipalTag/team}", "$LATEST", "SSMRunAs-Admin\nSSMRunAs-Root",
           "SSMRunAs-Admin\n", "\u00c4dmin", "a;b", "a|b", '"SSMRunAs-Admin"', "SSMRunAs Admin", "SSMRunAs-Admin:1"]
HUB_ROLE_ARN = {"Fn::Sub": "arn:${AWS::Partition}:iam::${HubAccountId}:role/${HubRoleName}"}
HUB_BUS_ARN = {"Fn::Sub": "arn:${AWS::Partition}:events:${HubRegion}:${HubAccountId}:event-bus/${HubBusName}"}

HUB_ACCOUNT = "999999999999"
OTHER_ACCOUNT = "444455556666"
MANAGEMENT_ACCOUNT = "123456789012"
MEMBER_ACCOUNT = "111122223333"
PARAMETERS = {"HubAccountId": HUB_ACCOUNT, "HubRegion": "us-east-1", "RoleRegion": "us-east-1",
              "ManagementAccountId": MANAGEMENT_ACCOUNT}
ORG_FORWARDERS = {"VendOrganizationsForwardRule", "VendControlTowerForwardRule", "MoveAccountForwardRule",
                  "AccountJoinedForwardRule"}
EVERYWHERE_FORWARDERS = {"DocumentChangedForwardRule", "RunAsOverrideForwardRule", "SessionDocumentChangedForwardRule"}
# Any document of the role's own account may be read, never written.
DOCUMENT_READS = {"ssm:GetDocument", "ssm:DescribeDocument"}
SESSION_DOCUMENT_SIDS = ["SessionDocumentsRead", "SessionDocumentsList"]
# RunAsTagInventory=Enabled: which roles and users there are (no resource type).
INVENTORY_ACTIONS = {"iam:ListRoles", "iam:ListUsers"}
INVENTORY_STATEMENT = {"Sid": "RunAsTagInventory", "Effect": "Allow", "Action": ["iam:ListRoles", "iam:ListUsers"],
                       "Resource": "*"}
# The forwarding canary ([forwarding_canary]): its inline policy, as written.
CANARY_POLICY_NAME = "runas-guard-forwarding-canary"
CANARY_TAG_KEY = "runas-guard:canary"
CANARY_STATEMENT = {
    "Sid": "ForwardingCanary", "Effect": "Allow", "Action": "ssm:AddTagsToResource", "Resource": DOCUMENT_ARN,
    "Condition": {"ForAllValues:StringEquals": {"aws:TagKeys": [CANARY_TAG_KEY]}},
}
# Security Hub findings ([security_hub] findings): its inline policy, as
# written. execution_statements leaves it out unless asked (security_hub=True):
# test_security_hub_findings_... hold that it is all that is left out.
SECURITY_HUB_POLICY_NAME = "runas-guard-security-hub-findings"
FINDINGS_ACTION = "securityhub:BatchImportFindings"
SECURITY_HUB_STATEMENT = {
    "Sid": "SecurityHubFindings", "Effect": "Allow", "Action": FINDINGS_ACTION,
    "Resource": {"Fn::Sub": "arn:${AWS::Partition}:securityhub:*:${AWS::AccountId}:product/${AWS::AccountId}/default"},
}
# A sweep's read-back of its own findings (tamper detection): GetFindings,
# whose resource type is the account's hub (hub/default).
READ_ACTION = "securityhub:GetFindings"
SECURITY_HUB_READ_STATEMENT = {
    "Sid": "SecurityHubFindingsReadBack", "Effect": "Allow", "Action": READ_ACTION,
    "Resource": {"Fn::Sub": "arn:${AWS::Partition}:securityhub:*:${AWS::AccountId}:hub/default"},
}
# A partner's product (product/<company>/<product>, in the partner's account),
# as Security Hub lists them (DescribeProducts); illustrative names.
PARTNER_ACCOUNT = "777788889999"


class MemberPolicyTests(cfn.TemplateTestCase):

    def role(self, logical_id):
        return cfn.resources_of_type(self.member, "AWS::IAM::Role")[logical_id]["Properties"]

    def inline_statements(self, role, leave_out=()):
        found = []
        for policy in role.get("Policies", []):
            if policy["PolicyName"] not in leave_out:
                found.extend(cfn.statements(policy["PolicyDocument"]))
        return found

    def test_only_two_iam_resources(self):
        iam = {logical_id for logical_id, resource in self.member["Resources"].items()
               if resource["Type"].startswith("AWS::IAM::")}
        # OperatorRole: the read-only operator's seat (test_operator_role.py).
        self.assertEqual(iam, {"ExecutionRole", "ForwarderRole", "OperatorRole"})

    def execution_statements(self, account=MEMBER_ACCOUNT, region="us-east-1", partition="aws", security_hub=False,
                             **overrides):
        """The ExecutionRole's inline statements as the stack instance in RoleRegion deploys them; the Security
        Hub policy's (SecurityHubFindings, last) only with ``security_hub``: it grants nothing but its own action,
        and the tests of the other grants count statements without it."""
        parameters = dict(PARAMETERS, RoleRegion=region, **overrides)
        stack = cfn.Stack(self.member, parameters, account, region, partition)
        self.assertTrue(stack.condition("CreateExecutionRole"))
        leave_out = () if security_hub else (SECURITY_HUB_POLICY_NAME,)
        return self.inline_statements(stack.resolve(self.role("ExecutionRole")), leave_out)

    def test_execution_role_grants_the_seven_actions_on_the_document_and_reads_the_others(self):
        role = self.role("ExecutionRole")
        self.assertEqual(role["RoleName"], {"Ref": "MemberRoleName"})
        self.assertEqual(self.member["Parameters"]["MemberRoleName"]["Default"], "RunAsGuardExecution")
        self.assertNotIn("ManagedPolicyArns", role)
        self.assertNotIn("PermissionsBoundary", role)
        # As written: the preferences document's statement, the named
        # documents' statement only when the list is not empty, the reads of
        # any document always, the run-as user check's only when it is on.
        # The canary's grant is a policy of its own, granted whatever the
        # parameters (test_forwarding_canary_...), and so is Security Hub's
        # (test_security_hub_findings_...).
        policy, canary, security_hub = role["Policies"]
        self.assertEqual(canary["PolicyName"], CANARY_POLICY_NAME)
        self.assertEqual(cfn.statements(canary["PolicyDocument"]), [CANARY_STATEMENT])
        self.assertEqual(security_hub["PolicyName"], SECURITY_HUB_POLICY_NAME)
        self.assertEqual(cfn.statements(security_hub["PolicyDocument"]),
                         [SECURITY_HUB_STATEMENT, SECURITY_HUB_READ_STATEMENT])
        (preferences, named, read, listing, tags, inventory,
         check, create, update, delete, results) = cfn.statements(policy["PolicyDocument"])
        self.assertEqual(cfn.as_list(preferences["Resource"]), [DOCUMENT_ARN])
        self.assertEqual([read["Sid"], listing["Sid"]], SESSION_DOCUMENT_SIDS)
        self.assertEqual(tags["Sid"], "RunAsTagRead")
        self.assertEqual(sorted(tags["Action"]), ["iam:ListRoleTags", "iam:ListUserTags"])
        for conditional, condition in ((named, "HasNamedSessionDocuments"), (inventory, "RunAsTagInventoryEnabled"),
                                       (check, "RunAsUserCheckEnabled"), (create, "RunAsUserCheckEnabled"),
                                       (update, "RunAsUserCheckEnabled"), (delete, "RunAsUserCheckEnabled"),
                                       (results, "RunAsUserCheckEnabled")):
            self.assertEqual(set(conditional), {"Fn::If"})
            self.assertEqual(conditional["Fn::If"][0], condition)
            self.assertEqual(conditional["Fn::If"][2], cfn.NO_VALUE)
        for overrides in ({}, {"NamedSessionDocuments": ""}, {"RunAsUserCheck": "Disabled"},
                          {"RunAsTagInventory": "Disabled"}):
            with self.subTest(**overrides):
                # Deployed with the default (empty) list: the grant of a stack
                # deployed before the parameter existed, and the reads.
                statement, *reads, tags, canary = self.execution_statements(**overrides)
                self.assertEqual(reads, session_document_reads("aws", MEMBER_ACCOUNT))
                self.assertEqual(tags["Sid"], "RunAsTagRead")
                self.assertEqual(canary, canary_statement("aws", MEMBER_ACCOUNT))
                self.assertEqual(statement, {
                    "Sid": "SessionManagerPreferencesDocumentOnly",
                    "Effect": "Allow",
                    "Action": ["ssm:GetDocument", "ssm:DescribeDocument", "ssm:CreateDocument", "ssm:UpdateDocument",
                               "ssm:UpdateDocumentDefaultVersion", "ssm:ListDocumentVersions",
                               "ssm:DeleteDocument"],
                    "Resource": f"arn:aws:ssm:*:{MEMBER_ACCOUNT}:document/SSM-SessionManagerRunShell",
                })

    def test_execution_role_grants_the_same_seven_actions_on_each_named_document(self):
        statements = self.execution_statements(NamedSessionDocuments="SSMRunAs-Admin,SSMRunAs-ReadOnly")
        self.assertEqual(len(statements), 6)
        preferences, named = statements[:2]
        self.assertEqual(statements[5], canary_statement("aws", MEMBER_ACCOUNT))
        self.assertEqual(statements[2:4], session_document_reads("aws", MEMBER_ACCOUNT))
        self.assertEqual(preferences, self.execution_statements()[0])
        self.assertEqual(named["Sid"], "NamedSessionDocumentsOnly")
        self.assertEqual(named["Effect"], "Allow")
        self.assertEqual(set(named), {"Sid", "Effect", "Action", "Resource"})
        self.assertEqual(named["Action"], preferences["Action"])
        self.assertEqual(named["Resource"], [NAMED_PREFIX + "SSMRunAs-Admin", NAMED_PREFIX + "SSMRunAs-ReadOnly"])
        (single,) = self.execution_statements(NamedSessionDocuments="SSMRunAs-Admin")[1:2]
        self.assertEqual(single["Resource"], [NAMED_PREFIX + "SSMRunAs-Admin"])

    def test_execution_role_may_write_exactly_the_governed_documents_of_its_account(self):
        # What the inline policy allows, evaluated: every governed document
        # of this account in every region, under the ARN the hub's session
        # policy names (arn:<partition>:ssm:*:<account>:document/<name>), and
        # nothing else: no other account, action or AWS-owned document, and
        # of another name of its account only the two reads
        # (test_execution_role_reads_any_document_of_its_account).
        # (The named documents' partition is "*": a role only ever reaches
        # resources of its own partition, so that is the only one it matches.)
        names = ["SSMRunAs-Admin", "SSMRunAs-ReadOnly", "Shell.db_2"]
        for partition, regions in (("aws", ("us-east-1", "eu-west-1", "ap-southeast-2")),
                                   ("aws-us-gov", ("us-gov-west-1",)), ("aws-cn", ("cn-north-1",))):
            statements = self.execution_statements(region=regions[0], partition=partition,
                                                   NamedSessionDocuments=",".join(names))
            for region in regions:
                def arn(name, account=MEMBER_ACCOUNT, region=region, partition=partition):
                    return f"arn:{partition}:ssm:{region}:{account}:document/{name}"

                for action in sorted(MEMBER_ACTIONS):
                    for name in [PREFERENCES_DOCUMENT] + names:
                        with self.subTest(partition=partition, region=region, action=action, document=name):
                            self.assertTrue(allows(statements, MEMBER_ACCOUNT, action, arn(name)))
                    for other in (arn("SSMRunAs-Admin2"), arn("SSMRunAs-Admi"), arn("ssmrunas-admin"),
                                  arn("XSSMRunAs-Admin"), arn("SSMRunAs-Admin/x"), arn("Shell.db_2x"),
                                  arn("AWS-StartInteractiveCommand", account=""), arn("SSMRunAs-Admin", account=""),
                                  arn("SSMRunAs-Admin", account=OTHER_ACCOUNT),
                                  arn(PREFERENCES_DOCUMENT, account=OTHER_ACCOUNT),
                                  f"arn:{partition}:ssm:{region}:{MEMBER_ACCOUNT}:parameter/SSMRunAs-Admin",
                                  f"arn:{partition}:ec2:{region}:{MEMBER_ACCOUNT}:document/SSMRunAs-Admin"):
                        own = other.startswith(f"arn:{partition}:ssm:{region}:{MEMBER_ACCOUNT}:document/")
                        with self.subTest(partition=partition, region=region, action=action, resource=other):
                            self.assertEqual(allows(statements, MEMBER_ACCOUNT, action, other),
                                             own and action in DOCUMENT_READS)
                # (ssm:DeleteDocument is granted since reverts delete the
                # oldest version at SSM's version limit: MEMBER_ACTIONS.)
                for action in ("ssm:UpdateDocumentMetadata", "ssm:ModifyDocumentPermission", "ssm:StartSession",
                               "ssm:SendCommand", "ssm:DescribeDocumentPermission", "ssm:GetParameter"):
                    with self.subTest(partition=partition, region=region, action=action):
                        self.assertFalse(allows(statements, MEMBER_ACCOUNT, action, arn("SSMRunAs-Admin")))

    def test_execution_role_reads_any_document_of_its_account(self):
        # Always, whatever the parameters: the two reads on every document of
        # this account in every region (another Session document may skip
        # Run As, and CloudTrail never shows content), ListDocuments (no
        # resource type), and no write of anything but the governed ones.
        for partition, region in (("aws", "eu-west-1"), ("aws-us-gov", "us-gov-west-1"), ("aws-cn", "cn-north-1")):
            for overrides in ({}, {"NamedSessionDocuments": "SSMRunAs-Admin"}, {"RunAsUserCheck": "Enabled"}):
                statements = self.execution_statements(region=region, partition=partition, **overrides)
                reads = [st for st in statements if st.get("Sid") in SESSION_DOCUMENT_SIDS]
                with self.subTest(partition=partition, **overrides):
                    self.assertEqual(reads, session_document_reads(partition, MEMBER_ACCOUNT))

                def arn(name, account=MEMBER_ACCOUNT, where=region):
                    return f"arn:{partition}:ssm:{where}:{account}:document/{name}"

                for document in ("Elevated-Shell", "SSM-SessionManagerRunShellCustom", "RunAsGuard-CheckRunAsUser",
                                 "Patch-Now", PREFERENCES_DOCUMENT):
                    for where in (region, "us-east-1" if partition == "aws" else region):
                        for action in DOCUMENT_READS:
                            with self.subTest(partition=partition, document=document, where=where, action=action):
                                self.assertTrue(allows(statements, MEMBER_ACCOUNT, action, arn(document, where=where)))
                        if document == PREFERENCES_DOCUMENT:
                            continue
                        for action in sorted(MEMBER_ACTIONS - DOCUMENT_READS) + ["ssm:UpdateDocumentMetadata",
                                                                                 "ssm:ModifyDocumentPermission"]:
                            with self.subTest(partition=partition, document=document, where=where, action=action):
                                self.assertFalse(allows(statements, MEMBER_ACCOUNT, action,
                                                        arn(document, where=where)))
                # Not another account's document (shared or not), nor AWS's own.
                for other in (arn("Elevated-Shell", account=OTHER_ACCOUNT), arn("AWS-StartInteractiveCommand", account=""),
                              f"arn:{partition}:ssm:{region}:{MEMBER_ACCOUNT}:parameter/Elevated-Shell"):
                    for action in DOCUMENT_READS:
                        with self.subTest(partition=partition, resource=other, action=action):
                            self.assertFalse(allows(statements, MEMBER_ACCOUNT, action, other))
                with self.subTest(partition=partition, action="ssm:ListDocuments"):
                    self.assertTrue(allows(statements, MEMBER_ACCOUNT, "ssm:ListDocuments", "*"))

    def test_session_document_reads_equal_the_session_policys(self):
        # The member role's two statements are the hub's session policy
        # (src/domain/session_policy.rs session_document_reads) with the partition and
        # account filled in, and a Sid (the session policy names none, for
        # AWS's cap); a fallback role's session carries the same.
        for partition, account in (("aws", MEMBER_ACCOUNT), ("aws-us-gov", OTHER_ACCOUNT)):
            with self.subTest(partition=partition):
                self.assertEqual([without_sid(st) for st in session_document_reads(partition, account)],
                                 session_policy_document_reads(partition, account))
                self.assertEqual(self.execution_statements(partition=partition, account=account)[1:3],
                                 session_document_reads(partition, account))

    def test_run_as_user_check_is_off_by_default(self):
        spec = self.member["Parameters"]["RunAsUserCheck"]
        self.assertEqual((spec["Type"], spec["Default"], sorted(spec["AllowedValues"])),
                         ("String", "Disabled", ["Disabled", "Enabled"]))
        for overrides in ({}, {"RunAsUserCheck": "Disabled"}):
            with self.subTest(**overrides):
                for statement in self.execution_statements(NamedSessionDocuments="SSMRunAs-Admin", **overrides):
                    self.assertFalse(any("Association" in action or action == "ssm:DescribeInstanceInformation"
                                         for action in cfn.as_list(statement["Action"])))

    def test_run_as_user_check_grants_the_tagged_association_statements(self):
        # RunAsUserCheck=Enabled: five statements after RunAsTagRead, as
        # check_statements writes them (the partition and account filled in),
        # alongside the named documents' statement, unchanged.
        for partition in ("aws", "aws-us-gov", "aws-cn"):
            with self.subTest(partition=partition):
                statements = self.execution_statements(partition=partition, RunAsUserCheck="Enabled")
                self.assertEqual(len(statements), 10)
                self.assertEqual(statements[4:9], check_statements(partition, MEMBER_ACCOUNT))
                self.assertEqual(statements[9], canary_statement(partition, MEMBER_ACCOUNT))
        with_named = self.execution_statements(NamedSessionDocuments="SSMRunAs-Admin", RunAsUserCheck="Enabled")
        self.assertEqual([s["Sid"] for s in with_named],
                         ["SessionManagerPreferencesDocumentOnly", "NamedSessionDocumentsOnly",
                          *SESSION_DOCUMENT_SIDS, "RunAsTagRead", *CHECK_SIDS, "ForwardingCanary"])
        # The tag is the one runas-guard puts (src/domain/nodes/mod.rs) and the one
        # the session policy lets it put (src/domain/session_policy.rs check_statements).
        self.assertEqual(rust_str_constant("crate::domain::nodes::MANAGED_TAG_KEY"), MANAGED_TAG_KEY)
        self.assertEqual(rust_str_constant("crate::domain::nodes::MANAGED_TAG_VALUE"), MANAGED_TAG_VALUE)
        self.assertEqual(rust_str_constant("crate::domain::nodes::CHECK_DOCUMENT"), CHECK_DOCUMENT)
        # Every write of an association (association/*) but the delete is
        # held to runas-guard's tag: on the request (creation, tagging) or on
        # the association (update).
        for statement in check_statements("aws", MEMBER_ACCOUNT):
            if not any(":association/" in r for r in cfn.as_list(statement["Resource"])):
                continue
            with self.subTest(sid=statement["Sid"]):
                if statement["Sid"] == "RunAsUserCheckDeleteCopies":
                    self.assertEqual(cfn.as_list(statement["Action"]), ["ssm:DeleteAssociation"])
                    self.assertNotIn("Condition", statement)
                    continue
                tags = {key for keys in statement["Condition"].values() for key in keys}
                self.assertTrue(tags & {f"aws:RequestTag/{MANAGED_TAG_KEY}", f"aws:ResourceTag/{MANAGED_TAG_KEY}"})

    def test_run_as_user_check_is_covered_by_the_session_policy(self):
        # A session's permissions are the intersection of the member role's
        # and the session policy's, so the session policy must allow all
        # the role allows for the check, or runas-guard is denied what its
        # role grants. As written: each action of each statement is matched
        # by an action of a session policy statement ("ssm:*Association"
        # stands for Create, Update, Delete and DescribeAssociation) that
        # names the same resource, with no condition the role's statement
        # does not carry too (the session policy carries no ResourceTag or
        # RequestTag condition: no room under AWS's cap; fallback roles
        # serve only the vend gap).
        for partition, account in (("aws", MEMBER_ACCOUNT), ("aws-us-gov", OTHER_ACCOUNT), ("aws-cn", MEMBER_ACCOUNT)):
            session = session_policy_check_statements(partition, account)
            for statement in check_statements(partition, account):
                conditions = condition_values_as_lists(statement).get("Condition", {})
                for action in cfn.as_list(statement["Action"]):
                    for resource in cfn.as_list(statement["Resource"]):
                        with self.subTest(partition=partition, sid=statement["Sid"], action=action,
                                          resource=resource):
                            covering = [
                                st for st in session
                                if any(fnmatch.fnmatchcase(action, a) for a in cfn.as_list(st["Action"]))
                                and (resource in cfn.as_list(st["Resource"]) or st["Resource"] == "*")
                                and all(conditions.get(operator, {}).get(key) == values
                                        for operator, keys in condition_values_as_lists(st).get("Condition",
                                                                                           {}).items()
                                        for key, values in keys.items())]
                            self.assertTrue(covering, "the session policy does not allow it")
        # The wildcard stands for exactly the four it is meant to (the
        # Service Authorization Reference for Systems Manager has no other
        # action ending in "Association").
        (writes,) = [st for st in session_policy_check_statements() if "ssm:*Association" in cfn.as_list(st["Action"])]
        for action in ("ssm:CreateAssociation", "ssm:UpdateAssociation", "ssm:DeleteAssociation",
                       "ssm:DescribeAssociation"):
            self.assertTrue(fnmatch.fnmatchcase(action, "ssm:*Association"))
        for action in ("ssm:CreateAssociationBatch", "ssm:ListAssociations", "ssm:StartAssociationsOnce",
                       "ssm:UpdateAssociationStatus", "ssm:DescribeAssociationExecutions"):
            self.assertFalse(fnmatch.fnmatchcase(action, "ssm:*Association"))
        self.assertEqual(sorted(cfn.as_list(writes["Resource"])), sorted(
            [f"arn:aws:ssm:*:{MEMBER_ACCOUNT}:document/{CHECK_DOCUMENT}",
             f"arn:aws:ssm:*:{MEMBER_ACCOUNT}:association/*", f"arn:aws:ec2:*:{MEMBER_ACCOUNT}:instance/*",
             f"arn:aws:ssm:*:{MEMBER_ACCOUNT}:managed-instance/*"]))

    def test_run_as_user_check_on_concrete_requests(self):
        # Evaluated on concrete requests, with the member role (its check
        # statements as deployed) and the session policy (src/domain/session_policy.rs
        # check_statements, as written): whatever the role allows, the
        # session policy allows too; the role is the narrower of the two,
        # which makes it what holds for runas-guard's own role. (A fallback
        # role's session has only the session policy; it serves the vend
        # gap, before there is an association to protect.) SSM authorizes an
        # association write on every resource the request names, so a
        # request is allowed only if each of them is.
        tag = {f"aws:RequestTag/{MANAGED_TAG_KEY}": MANAGED_TAG_VALUE, "aws:TagKeys": [MANAGED_TAG_KEY]}
        other_key = {"aws:RequestTag/Team": "ops", "aws:TagKeys": ["Team"]}
        both_keys = dict(tag, **{"aws:RequestTag/Team": "ops", "aws:TagKeys": [MANAGED_TAG_KEY, "Team"]})
        false = {f"aws:RequestTag/{MANAGED_TAG_KEY}": "false", "aws:TagKeys": [MANAGED_TAG_KEY]}
        cased = {"aws:RequestTag/Runas-Guard:Managed": MANAGED_TAG_VALUE, "aws:TagKeys": ["Runas-Guard:Managed"]}
        tagged = {f"aws:ResourceTag/{MANAGED_TAG_KEY}": MANAGED_TAG_VALUE}
        for partition, region in (("aws", "eu-west-1"), ("aws-us-gov", "us-gov-west-1"), ("aws-cn", "cn-north-1")):
            role = self.execution_statements(partition=partition, RunAsUserCheck="Enabled")
            session = session_policy_check_statements(partition, MEMBER_ACCOUNT)

            def arn(service, resource, account=MEMBER_ACCOUNT):
                return f"arn:{partition}:{service}:{region}:{account}:{resource}"

            association = arn("ssm", "association/8dfe3659-4309-493a-8755-0123456789ab")
            others = arn("ssm", "association/8dfe3659-4309-493a-8755-0123456789ab", account=OTHER_ACCOUNT)
            check = arn("ssm", f"document/{CHECK_DOCUMENT}")
            # (description, action, resources, context, role allows, session policy allows)
            requests = [
                ("create with runas-guard's tag", "ssm:CreateAssociation", [association, check], tag, True, True),
                ("... its tag, authorized as a tagging", "ssm:AddTagsToResource", [association], tag, True, True),
                ("create with the tag, one node named", "ssm:CreateAssociation",
                 [association, check, arn("ec2", "instance/i-02573cafcfEXAMPLE")], tag, True, True),
                ("create without tags", "ssm:CreateAssociation", [association, check], {}, False, True),
                ("create with another key", "ssm:CreateAssociation", [association, check], other_key, False, True),
                ("... that key's tagging", "ssm:AddTagsToResource", [association], other_key, False, False),
                ("create with the tag and another key", "ssm:CreateAssociation", [association, check], both_keys,
                 False, True),
                ("... that tagging", "ssm:AddTagsToResource", [association], both_keys, False, False),
                ("create with the key, valued false", "ssm:CreateAssociation", [association, check], false,
                 False, True),
                ("create with the key in another case", "ssm:CreateAssociation", [association, check], cased,
                 False, True),
                ("create, tagged, of another document", "ssm:CreateAssociation",
                 [association, arn("ssm", "document/AWS-RunShellScript", account="")], tag, False, False),
                ("create, tagged, of a look-alike document", "ssm:CreateAssociation",
                 [association, arn("ssm", f"document/{CHECK_DOCUMENT}2")], tag, False, False),
                ("create, tagged, in another account", "ssm:CreateAssociation",
                 [others, arn("ssm", f"document/{CHECK_DOCUMENT}", account=OTHER_ACCOUNT)], tag, False, False),
                ("update of the tagged association by id", "ssm:UpdateAssociation", [association], tagged,
                 True, True),
                ("update of the tagged association naming the check document", "ssm:UpdateAssociation",
                 [association, check], tagged, True, True),
                ("update of the tagged association to another document", "ssm:UpdateAssociation",
                 [association, arn("ssm", "document/MyRootShell")], tagged, False, False),
                ("update of an untagged association", "ssm:UpdateAssociation", [association], {}, False, True),
                ("update of an untagged association naming the check document", "ssm:UpdateAssociation",
                 [association, check], {}, False, True),
                ("update of an association tagged false", "ssm:UpdateAssociation", [association],
                 {f"aws:ResourceTag/{MANAGED_TAG_KEY}": "false"}, False, True),
                ("update of an association tagged otherwise", "ssm:UpdateAssociation", [association],
                 {"aws:ResourceTag/Team": MANAGED_TAG_VALUE}, False, True),
                ("update of another account's tagged association", "ssm:UpdateAssociation", [others], tagged,
                 False, False),
                ("tag an untagged association (one 0.3.0 made)", "ssm:AddTagsToResource", [association], tag,
                 True, True),
                ("tag the tagged association again", "ssm:AddTagsToResource", [association], dict(tag, **tagged),
                 True, True),
                ("tag with another key", "ssm:AddTagsToResource", [association], other_key, False, False),
                ("tag the tagged association with another key", "ssm:AddTagsToResource", [association],
                 dict(other_key, **tagged), False, False),
                ("tag with the key valued false", "ssm:AddTagsToResource", [association],
                 dict(false, **tagged), False, True),
                ("tag another account's association", "ssm:AddTagsToResource", [others], tag, False, False),
                ("tag the check document with the key", "ssm:AddTagsToResource", [check], tag, False, False),
                ("untag the association", "ssm:RemoveTagsFromResource", [association],
                 dict(tagged, **{"aws:TagKeys": [MANAGED_TAG_KEY]}), False, False),
                ("delete the tagged association by id (at SSM's version limit)", "ssm:DeleteAssociation",
                 [association], tagged, True, True),
                ("delete an untagged association by id (a copy made by hand)", "ssm:DeleteAssociation",
                 [association], {}, True, True),
                ("delete naming the check document", "ssm:DeleteAssociation", [association, check], {}, True, True),
                ("delete naming another document", "ssm:DeleteAssociation",
                 [association, arn("ssm", "document/MyRootShell")], {}, False, False),
                ("delete another account's association", "ssm:DeleteAssociation", [others], tagged, False, False),
                ("describe an association", "ssm:DescribeAssociation", [association], {}, True, True),
                ("run an association once", "ssm:StartAssociationsOnce", [association], tagged, False, False),
                ("create associations in a batch", "ssm:CreateAssociationBatch", [association, check], tag,
                 False, False),
            ]
            for description, action, resources, context, by_role, by_session in requests:
                with self.subTest(description, partition=partition, action=action):
                    self.assertEqual(permits(role, MEMBER_ACCOUNT, action, resources, context), by_role)
                    self.assertEqual(permits(session, MEMBER_ACCOUNT, action, resources, context), by_session)
                    self.assertTrue(by_session or not by_role, "the session policy must cover the role")

    def test_run_as_user_check_writes_naming_a_document_only_for_the_check_document_of_its_account(self):
        # Evaluated resource by resource: SSM authorizes an association write
        # on every resource the request names (the association; the document
        # by Name; a node by the deprecated InstanceId), so a write is allowed
        # only if each of them is. Of a document, only the check's of this
        # account; of an association, one of this account, with runas-guard's
        # tag as test_run_as_user_check_on_concrete_requests details (its
        # ARN does not say its document: infra/docs/run-as-user-check.md).
        contexts = {"ssm:CreateAssociation": {f"aws:RequestTag/{MANAGED_TAG_KEY}": MANAGED_TAG_VALUE,
                                              "aws:TagKeys": [MANAGED_TAG_KEY]},
                    "ssm:UpdateAssociation": {f"aws:ResourceTag/{MANAGED_TAG_KEY}": MANAGED_TAG_VALUE},
                    "ssm:DeleteAssociation": {}}
        for partition, region in (("aws", "eu-west-1"), ("aws-us-gov", "us-gov-west-1"), ("aws-cn", "cn-north-1")):
            statements = self.execution_statements(partition=partition, RunAsUserCheck="Enabled")

            def arn(service, resource, account=MEMBER_ACCOUNT):
                return f"arn:{partition}:{service}:{region}:{account}:{resource}"

            check = arn("ssm", f"document/{CHECK_DOCUMENT}")
            association = arn("ssm", "association/8dfe3659-4309-493a-8755-0123456789ab")
            for action, context in contexts.items():
                for resource in (check, association, arn("ec2", "instance/i-02573cafcfEXAMPLE"),
                                 arn("ssm", "managed-instance/mi-0123456789abcdef0")):
                    with self.subTest(partition=partition, action=action, resource=resource):
                        self.assertTrue(allows(statements, MEMBER_ACCOUNT, action, resource, context))
                for other in (arn("ssm", "document/AWS-RunShellScript", account=""),
                              arn("ssm", "document/AWS-GatherSoftwareInventory", account=""),
                              arn("ssm", "document/SSM-SessionManagerRunShell"),
                              arn("ssm", f"document/{CHECK_DOCUMENT}2"),
                              arn("ssm", "document/MyRootShell"),
                              arn("ssm", f"document/{CHECK_DOCUMENT}", account=OTHER_ACCOUNT),
                              arn("ssm", "association/8dfe3659-4309-493a-8755-0123456789ab", account=OTHER_ACCOUNT),
                              arn("ec2", "instance/i-02573cafcfEXAMPLE", account=OTHER_ACCOUNT),
                              arn("ssm", "parameter/RunAsGuard-CheckRunAsUser")):
                    with self.subTest(partition=partition, action=action, resource=other):
                        self.assertFalse(allows(statements, MEMBER_ACCOUNT, action, other, context))
            # Nothing else runs anything, writes the document, reads
            # parameters, or tags the document: no SendCommand, no batch
            # creation, no StartAssociationsOnce. (Reading it, like any
            # document of the account, is SessionDocumentsRead's.)
            for action in ("ssm:SendCommand", "ssm:CreateAssociationBatch", "ssm:StartAssociationsOnce",
                           "ssm:AddTagsToResource", "ssm:RemoveTagsFromResource", "ssm:UpdateDocument",
                           "ssm:UpdateDocumentDefaultVersion", "ssm:DeleteDocument", "ssm:GetParameter",
                           "iam:PassRole"):
                with self.subTest(partition=partition, action=action):
                    self.assertFalse(allows(statements, MEMBER_ACCOUNT, action, check,
                                            contexts["ssm:CreateAssociation"]))
            # The reads: any association of the account (SSM has no condition
            # key for an association's document; ListAssociations has no
            # resource type).
            for action in ("ssm:DescribeAssociation", "ssm:ListAssociations", "ssm:DescribeAssociationExecutions",
                           "ssm:DescribeAssociationExecutionTargets", "ssm:DescribeInstanceAssociationsStatus"):
                with self.subTest(partition=partition, action=action):
                    self.assertTrue(allows(statements, MEMBER_ACCOUNT, action, association))
                    self.assertTrue(allows(statements, MEMBER_ACCOUNT, action, "*"))
            # Readiness: are there Linux or macOS nodes? DescribeInstanceInformation
            # has no resource type, so only "*" can allow it.
            with self.subTest(partition=partition, action="ssm:DescribeInstanceInformation"):
                self.assertTrue(allows(statements, MEMBER_ACCOUNT, "ssm:DescribeInstanceInformation", "*"))

    def test_run_as_tag_inventory_is_off_by_default(self):
        spec = self.member["Parameters"]["RunAsTagInventory"]
        self.assertEqual((spec["Type"], spec["Default"], sorted(spec["AllowedValues"])),
                         ("String", "Disabled", ["Disabled", "Enabled"]))
        self.assertEqual(self.member["Conditions"]["RunAsTagInventoryEnabled"],
                         {"Fn::Equals": [{"Ref": "RunAsTagInventory"}, "Enabled"]})
        for overrides in ({}, {"RunAsTagInventory": "Disabled"},
                          {"RunAsTagInventory": "Disabled", "RunAsUserCheck": "Enabled",
                           "NamedSessionDocuments": "SSMRunAs-Admin"}):
            with self.subTest(**overrides):
                statements = self.execution_statements(**overrides)
                self.assertNotIn("RunAsTagInventory", [st["Sid"] for st in statements])
                for action in INVENTORY_ACTIONS:
                    self.assertFalse(allows(statements, MEMBER_ACCOUNT, action, "*"))
        # Off, a stack creates exactly what it did before the parameter existed,
        # and the option adds no resource anywhere.
        for account, region in ((MEMBER_ACCOUNT, "us-east-1"), (MEMBER_ACCOUNT, "eu-west-1"),
                                (HUB_ACCOUNT, "us-east-1"), (MANAGEMENT_ACCOUNT, "us-east-1")):
            with self.subTest(account=account, region=region):
                self.assertEqual(self.created(account, region, RunAsTagInventory="Enabled"),
                                 self.created(account, region))

    def test_run_as_tag_inventory_grants_exactly_list_roles_and_users(self):
        # Enabled: one more statement, right after RunAsTagRead, granting the
        # two list calls on "*" (they have no resource type: Service
        # Authorization Reference for IAM) and nothing else; every other
        # statement as without it.
        for partition in ("aws", "aws-us-gov", "aws-cn"):
            for overrides in ({}, {"RunAsUserCheck": "Enabled", "NamedSessionDocuments": "SSMRunAs-Admin"}):
                with self.subTest(partition=partition, **overrides):
                    off = self.execution_statements(partition=partition, **overrides)
                    on = self.execution_statements(partition=partition, RunAsTagInventory="Enabled", **overrides)
                    sids = [st["Sid"] for st in on]
                    self.assertEqual(sids.index("RunAsTagInventory"), sids.index("RunAsTagRead") + 1)
                    (inventory,) = [st for st in on if st["Sid"] == "RunAsTagInventory"]
                    self.assertEqual(inventory, INVENTORY_STATEMENT)
                    self.assertEqual([st for st in on if st["Sid"] != "RunAsTagInventory"], off)
                    for action in INVENTORY_ACTIONS:
                        self.assertTrue(allows(on, MEMBER_ACCOUNT, action, "*"))
        statements = self.execution_statements(RunAsTagInventory="Enabled")
        self.assertEqual([st["Sid"] for st in statements],
                         ["SessionManagerPreferencesDocumentOnly", *SESSION_DOCUMENT_SIDS, "RunAsTagRead",
                          "RunAsTagInventory", "ForwardingCanary"])
        # Reads of names (and the tags RunAsTagRead already allowed): no
        # policy, no credential, no account-wide dump, no write.
        for action in ("iam:GetRole", "iam:GetUser", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies",
                       "iam:GetRolePolicy", "iam:ListGroups", "iam:ListPolicies", "iam:ListAccessKeys",
                       "iam:GetAccountAuthorizationDetails", "iam:GenerateCredentialReport",
                       "iam:TagRole", "iam:UntagRole", "iam:TagUser", "iam:UntagUser", "iam:CreateRole",
                       "iam:UpdateAssumeRolePolicy", "iam:PassRole"):
            with self.subTest(action=action):
                self.assertFalse(allows(statements, MEMBER_ACCOUNT, action, "*"))
                self.assertFalse(allows(statements, MEMBER_ACCOUNT, action,
                                        f"arn:aws:iam::{MEMBER_ACCOUNT}:role/Admin"))
        # The tag reads stay on this account's roles and users.
        for action, resource in (("iam:ListRoleTags", "role/Admin"), ("iam:ListUserTags", "user/alice")):
            with self.subTest(action=action):
                self.assertTrue(allows(statements, MEMBER_ACCOUNT, action,
                                       f"arn:aws:iam::{MEMBER_ACCOUNT}:{resource}"))
                self.assertFalse(allows(statements, MEMBER_ACCOUNT, action,
                                        f"arn:aws:iam::{OTHER_ACCOUNT}:{resource}"))

    def test_run_as_tag_inventory_covers_what_the_session_policy_asks(self):
        # The hub's session policy (src/domain/session_policy.rs) asks for ListRoles and
        # ListUsers only when the policy sweeps tags (its own test,
        # the_tag_inventory_is_asked_for_only_when_the_policy_sweeps_tags,
        # holds that). Whatever statement carries them there must ask for
        # both on "*" (no resource type: a narrower resource would never
        # match), and the member role grants exactly that only when enabled.
        asked = session_policy_inventory_statements()
        self.assertTrue(asked, "src/domain/session_policy.rs asks for no iam:ListRoles / iam:ListUsers")
        enabled = self.execution_statements(RunAsTagInventory="Enabled")
        disabled = self.execution_statements()
        for statement in asked:
            with self.subTest(sid=statement.get("Sid")):
                self.assertEqual(statement["Effect"], "Allow")
                self.assertLessEqual(INVENTORY_ACTIONS, set(cfn.as_list(statement["Action"])))
                self.assertEqual(cfn.as_list(statement["Resource"]), ["*"])
                self.assertNotIn("Condition", statement)
                for action in INVENTORY_ACTIONS:
                    self.assertTrue(allows(enabled, MEMBER_ACCOUNT, action, "*"))
                    self.assertFalse(allows(disabled, MEMBER_ACCOUNT, action, "*"))
                # Nothing else of IAM's but the tag reads RunAsTagRead grants.
                others = {a for a in cfn.as_list(statement["Action"]) if a.startswith("iam:")} - INVENTORY_ACTIONS
                self.assertLessEqual(others, {"iam:ListRoleTags", "iam:ListUserTags"})

    def test_forwarding_canary_tags_one_key_on_the_preferences_document_of_its_account_only(self):
        # A policy of its own, granted whatever the parameters (used only
        # while the policy's [forwarding_canary] is on: the hub's session
        # policy carries the statement then only): ssm:AddTagsToResource on
        # SSM-SessionManagerRunShell of this account in every region, with
        # the tag key runas-guard:canary and no other.
        role = self.role("ExecutionRole")
        (canary,) = [p for p in role["Policies"] if p["PolicyName"] == CANARY_POLICY_NAME]
        self.assertEqual(canary["PolicyDocument"]["Version"], "2012-10-17")
        self.assertEqual(cfn.statements(canary["PolicyDocument"]), [CANARY_STATEMENT])
        # Nothing else of the role tags or untags anything but the run-as
        # user check's association (RunAsUserCheckCreateTagged, with its own
        # key: test_run_as_user_check_on_concrete_requests).
        for policy in role["Policies"]:
            if policy is canary:
                continue
            for statement in cfn.statements(policy["PolicyDocument"]):
                for branch in (statement["Fn::If"][1:] if "Fn::If" in statement else [statement]):
                    if branch == cfn.NO_VALUE:
                        continue
                    with self.subTest(policy=policy["PolicyName"], sid=branch.get("Sid")):
                        tagging = [a for a in cfn.as_list(branch["Action"])
                                   if "tag" in a.lower() and a.startswith("ssm:")]
                        if branch.get("Sid") == "RunAsUserCheckCreateTagged":
                            self.assertEqual(tagging, ["ssm:AddTagsToResource"])
                            self.assertEqual(branch["Resource"], {"Fn::Sub": "arn:${AWS::Partition}:ssm:*:"
                                                                             "${AWS::AccountId}:association/*"})
                        else:
                            self.assertFalse(tagging)
        for partition, regions in (("aws", ("us-east-1", "eu-west-1", "ap-southeast-2")),
                                   ("aws-us-gov", ("us-gov-west-1",)), ("aws-cn", ("cn-north-1",))):
            for overrides in ({}, {"NamedSessionDocuments": "SSMRunAs-Admin,SSMRunAs-ReadOnly",
                                   "RunAsUserCheck": "Enabled", "RunAsTagInventory": "Enabled"}):
                statements = self.execution_statements(region=regions[0], partition=partition, **overrides)
                with self.subTest(partition=partition, **overrides):
                    (granted,) = [st for st in statements if st["Sid"] == "ForwardingCanary"]
                    self.assertEqual(granted, canary_statement(partition, MEMBER_ACCOUNT))
                    self.assertEqual(statements[-1], granted)
                for region in regions:
                    def arn(name, account=MEMBER_ACCOUNT, kind="document", service="ssm"):
                        return f"arn:{partition}:{service}:{region}:{account}:{kind}/{name}"

                    def tagging(resource, *keys, action="ssm:AddTagsToResource"):
                        return allows(statements, MEMBER_ACCOUNT, action, resource, {"aws:TagKeys": list(keys)})

                    document = arn(PREFERENCES_DOCUMENT)
                    with self.subTest(partition=partition, region=region, **overrides):
                        self.assertTrue(tagging(document, CANARY_TAG_KEY))
                    # No other tag key, alone or beside the canary's; the
                    # key compared exactly.
                    for keys in (["CostCenter"], [CANARY_TAG_KEY, "CostCenter"], ["Runas-Guard:Canary"],
                                 ["runas-guard:canary "], ["runas-guard:canary2"], ["runas-guard:*"],
                                 ["SSMSessionRunAs"], ["aws:cloudformation:stack-name"]):
                        with self.subTest(partition=partition, region=region, keys=keys, **overrides):
                            self.assertFalse(tagging(document, *keys))
                    # No other resource: another document of the account
                    # (a named one, the check's, a look-alike), another
                    # account's or AWS's, another resource type of the name.
                    for other in (arn("SSMRunAs-Admin"), arn("SSMRunAs-ReadOnly"), arn("RunAsGuard-CheckRunAsUser"),
                                  arn("SSM-SessionManagerRunShellX"), arn("ssm-sessionmanagerrunshell"),
                                  arn("Elevated-Shell"), arn(PREFERENCES_DOCUMENT, account=OTHER_ACCOUNT),
                                  arn(PREFERENCES_DOCUMENT, account=""), arn("AWS-StartInteractiveCommand", account=""),
                                  arn(PREFERENCES_DOCUMENT, kind="parameter"),
                                  arn("mi-0123456789abcdef0", kind="managed-instance"),
                                  arn("i-02573cafcfEXAMPLE", kind="instance", service="ec2"),
                                  arn("8dfe3659-4309-493a-8755-0123456789ab", kind="association"),
                                  arn(PREFERENCES_DOCUMENT, kind="opsmetadata"), "*"):
                        with self.subTest(partition=partition, region=region, resource=other, **overrides):
                            self.assertFalse(tagging(other, CANARY_TAG_KEY))
                    # Tags are only added: never removed, and no other call
                    # comes with the grant.
                    for action in ("ssm:RemoveTagsFromResource", "ssm:ListTagsForResource", "ssm:UpdateDocumentMetadata",
                                   "ssm:ModifyDocumentPermission", "ssm:StartSession", "ssm:SendCommand"):
                        with self.subTest(partition=partition, region=region, action=action, **overrides):
                            self.assertFalse(tagging(document, CANARY_TAG_KEY, action=action))
        # The hub's session policy (src/domain/session_policy.rs session_policy) adds only
        # the action to its governed-document statement while the canary is
        # on; this grant is what narrows it to the one tag key.
        self.assertIn('actions.push("ssm:AddTagsToResource")', rust_session_policy_source())

    def test_security_hub_findings_import_into_the_default_product_of_its_account_only(self):
        # A policy of its own, granted whatever the parameters (used only
        # while the policy's [security_hub] findings is on: the hub's session
        # policy carries the action then only, on "*"): securityhub:
        # BatchImportFindings on this account's own default product
        # (product/<account>/default: Security Hub takes a custom finding only
        # from the account it is about, as that account's default product) in
        # every region, and no other product, account or action.
        role = self.role("ExecutionRole")
        (policy,) = [p for p in role["Policies"] if p["PolicyName"] == SECURITY_HUB_POLICY_NAME]
        self.assertEqual(policy["PolicyDocument"]["Version"], "2012-10-17")
        self.assertEqual(cfn.statements(policy["PolicyDocument"]),
                         [SECURITY_HUB_STATEMENT, SECURITY_HUB_READ_STATEMENT])
        # Nothing else of the role, nor anything of the operator's read-only
        # role, names Security Hub.
        for owner, policies in (("ExecutionRole", [p for p in role["Policies"] if p is not policy]),
                                ("OperatorRole", self.role("OperatorRole")["Policies"])):
            for other in policies:
                for statement in cfn.statements(other["PolicyDocument"]):
                    for branch in (statement["Fn::If"][1:] if "Fn::If" in statement else [statement]):
                        if branch == cfn.NO_VALUE:
                            continue
                        with self.subTest(role=owner, policy=other["PolicyName"], sid=branch.get("Sid")):
                            self.assertFalse([a for a in cfn.as_list(branch["Action"])
                                              if a.lower().startswith("securityhub:")])
        for partition, regions in (("aws", ("us-east-1", "eu-west-1", "ap-southeast-2")),
                                   ("aws-us-gov", ("us-gov-west-1",)), ("aws-cn", ("cn-north-1",))):
            for overrides in ({}, {"NamedSessionDocuments": "SSMRunAs-Admin,SSMRunAs-ReadOnly",
                                   "RunAsUserCheck": "Enabled", "RunAsTagInventory": "Enabled"}):
                statements = self.execution_statements(region=regions[0], partition=partition, security_hub=True,
                                                       **overrides)
                # All that execution_statements leaves out by default is
                # these two statements, last.
                with self.subTest(partition=partition, **overrides):
                    self.assertEqual(statements, self.execution_statements(region=regions[0], partition=partition,
                                                                           **overrides)
                                     + security_hub_statements(partition, MEMBER_ACCOUNT))
                for region in regions:
                    def product(company, name, account=MEMBER_ACCOUNT, where=region):
                        return f"arn:{partition}:securityhub:{where}:{account}:product/{company}/{name}"

                    def importing(resource, action=FINDINGS_ACTION):
                        return allows(statements, MEMBER_ACCOUNT, action, resource)

                    own = product(MEMBER_ACCOUNT, "default")
                    with self.subTest(partition=partition, region=region, **overrides):
                        self.assertTrue(importing(own))
                    # Another account's default product (in its account, or
                    # named in this one's), a partner's product (in the
                    # partner's account, or subscribed to in this one), a
                    # look-alike of the default, another resource type.
                    for other in (product(OTHER_ACCOUNT, "default", account=OTHER_ACCOUNT),
                                  product(OTHER_ACCOUNT, "default"),
                                  product(MEMBER_ACCOUNT, "default", account=OTHER_ACCOUNT),
                                  product(MEMBER_ACCOUNT, "default", account=""),
                                  product("example-partner", "example-product", account=PARTNER_ACCOUNT),
                                  product("example-partner", "example-product"),
                                  product(MEMBER_ACCOUNT, "default2"), product(MEMBER_ACCOUNT, "Default"),
                                  product(MEMBER_ACCOUNT, "default/x"), product(f"{MEMBER_ACCOUNT}x", "default"),
                                  f"arn:{partition}:securityhub:{region}:{MEMBER_ACCOUNT}:hub/default",
                                  f"arn:{partition}:securityhub:{region}:{MEMBER_ACCOUNT}:"
                                  f"product-subscription/{MEMBER_ACCOUNT}/default",
                                  f"arn:{partition}:ssm:{region}:{MEMBER_ACCOUNT}:document/{PREFERENCES_DOCUMENT}",
                                  "*"):
                        with self.subTest(partition=partition, region=region, resource=other, **overrides):
                            self.assertFalse(importing(other))
                    # The read-back: GetFindings on this account's hub only.
                    hub = f"arn:{partition}:securityhub:{region}:{MEMBER_ACCOUNT}:hub/default"
                    with self.subTest(partition=partition, region=region, read=True, **overrides):
                        self.assertTrue(importing(hub, action=READ_ACTION))
                        for other in (f"arn:{partition}:securityhub:{region}:{OTHER_ACCOUNT}:hub/default",
                                      f"arn:{partition}:securityhub:{region}:{MEMBER_ACCOUNT}:hub/default2",
                                      own, "*"):
                            self.assertFalse(importing(other, action=READ_ACTION))
                        self.assertFalse(importing(hub))
                    # Only the import and that read: no update of a finding (the
                    # customer's workflow fields), no other read, no change to
                    # Security Hub.
                    for action in ("securityhub:BatchUpdateFindings", "securityhub:BatchUpdateFindingsV2",
                                   "securityhub:GetFindingsV2", "securityhub:UpdateFindings",
                                   "securityhub:EnableImportFindingsForProduct",
                                   "securityhub:DisableImportFindingsForProduct", "securityhub:DisableSecurityHub",
                                   "securityhub:DescribeProducts", "securityhub:*"):
                        for resource in (own, "*"):
                            with self.subTest(partition=partition, region=region, action=action, resource=resource,
                                              **overrides):
                                self.assertFalse(importing(resource, action=action))

    def test_security_hub_findings_cover_what_the_session_policy_asks(self):
        # The hub's session policy (src/domain/session_policy.rs) adds
        # FINDINGS_IMPORT, and nothing else, while [security_hub] findings is
        # on, to its statement on "*" (the calls without a resource type: no
        # room under AWS's cap for a statement of its own). A session's
        # permissions are the intersection, so the member role must allow
        # the action on the product runas-guard imports as
        # (src/domain/security_hub/asff.rs product_arn: this account's default
        # product, in the region imported into), and is what narrows "*" to
        # it. (A fallback role's session has only the session policy.)
        action = rust_str_constant("crate::domain::session_policy::FINDINGS_IMPORT")
        self.assertEqual(action, FINDINGS_ACTION)
        source = rust_session_policy_source()
        self.assertIn('reads[1]["Action"].as_array_mut()', source)
        self.assertIn("unscoped.push(FINDINGS_IMPORT.into())", source)
        self.assertEqual(rust_str_constant("crate::domain::session_policy::FINDINGS_READ"), READ_ACTION)
        self.assertIn("unscoped.push(FINDINGS_READ.into())", source)
        with open(os.path.join(cfn.REPO_ROOT, "src", "domain", "security_hub", "asff.rs"), encoding="utf-8") as handle:
            findings = handle.read().split("#[cfg(test)]", 1)[0]
        self.assertRegex(findings, r'format!\(\s*"arn:\{\}:securityhub:\{\}:\{\}:product/\{\}/default",\s*'
                                   r'self\.partition,\s*self\.region,\s*self\.account,\s*self\.account,?\s*\)')
        for partition, region in (("aws", "eu-west-1"), ("aws-us-gov", "us-gov-west-1"), ("aws-cn", "cn-north-1")):
            reads = session_policy_document_reads(partition, MEMBER_ACCOUNT)
            self.assertEqual(reads[1]["Resource"], "*")
            session = [reads[0], dict(reads[1], Action=cfn.as_list(reads[1]["Action"]) + [action, READ_ACTION])]
            role = self.execution_statements(region=region, partition=partition, security_hub=True)

            def product(company, name, account=MEMBER_ACCOUNT, where=region):
                return f"arn:{partition}:securityhub:{where}:{account}:product/{company}/{name}"

            # (description, action, resource, role allows, session policy allows)
            requests = [
                ("import as its own default product", action, product(MEMBER_ACCOUNT, "default"), True, True),
                ("... in another region", action, product(MEMBER_ACCOUNT, "default",
                                                          where="us-east-1" if partition == "aws" else region),
                 True, True),
                ("import as another account's default product", action,
                 product(OTHER_ACCOUNT, "default", account=OTHER_ACCOUNT), False, True),
                ("import as a partner's product", action,
                 product("example-partner", "example-product", account=PARTNER_ACCOUNT), False, True),
                ("import as a partner's product subscribed to here", action,
                 product("example-partner", "example-product"), False, True),
                ("update findings", "securityhub:BatchUpdateFindings", product(MEMBER_ACCOUNT, "default"),
                 False, False),
                ("read its own hub's findings", READ_ACTION,
                 f"arn:{partition}:securityhub:{region}:{MEMBER_ACCOUNT}:hub/default", True, True),
                ("read another account's hub", READ_ACTION,
                 f"arn:{partition}:securityhub:{region}:{OTHER_ACCOUNT}:hub/default", False, True),
                ("read findings V2", "securityhub:GetFindingsV2", "*", False, False),
            ]
            for description, requested, resource, by_role, by_session in requests:
                with self.subTest(description, partition=partition, resource=resource):
                    self.assertEqual(allows(role, MEMBER_ACCOUNT, requested, resource), by_role)
                    self.assertEqual(allows(session, MEMBER_ACCOUNT, requested, resource), by_session)
                    self.assertTrue(by_session or not by_role, "the session policy must cover the role")

    def test_member_parameters_are_grouped(self):
        groups = self.member["Metadata"]["AWS::CloudFormation::Interface"]["ParameterGroups"]
        grouped = [name for group in groups for name in group["Parameters"]]
        self.assertEqual(sorted(grouped), sorted(self.member["Parameters"]))
        self.assertEqual(len(grouped), len(set(grouped)))
        (options,) = [g for g in groups if "RunAsTagInventory" in g["Parameters"]]
        self.assertIn("RunAsUserCheck", options["Parameters"])

    def test_check_document_is_created_where_the_check_is_on_in_every_region(self):
        document = self.member["Resources"]["RunAsUserCheckDocument"]
        self.assertEqual(document["Type"], "AWS::SSM::Document")
        self.assertEqual(document["Condition"], "RunAsUserCheckEnabled")
        for account, region in ((MEMBER_ACCOUNT, "us-east-1"), (MEMBER_ACCOUNT, "eu-west-1"),
                                (HUB_ACCOUNT, "us-east-1"), (MANAGEMENT_ACCOUNT, "ap-southeast-2")):
            with self.subTest(account=account, region=region):
                self.assertIn("RunAsUserCheckDocument", self.created(account, region, RunAsUserCheck="Enabled"))
                self.assertNotIn("RunAsUserCheckDocument", self.created(account, region))
                self.assertNotIn("RunAsUserCheckDocument", self.created(account, region, RunAsUserCheck="Disabled"))
        # Off, a stack creates exactly what it created before the parameter existed.
        self.assertEqual(self.created(HUB_ACCOUNT, "us-east-1"), {"ExecutionRole"})
        self.assertEqual(self.created(HUB_ACCOUNT, "us-east-1", RunAsUserCheck="Enabled"),
                         {"ExecutionRole", "RunAsUserCheckDocument"})
        self.assertIn("RunAsUserCheckForwardRule", self.created(MEMBER_ACCOUNT, "eu-west-1", RunAsUserCheck="Enabled"))
        self.assertNotIn("RunAsUserCheckForwardRule", self.created(MEMBER_ACCOUNT, "eu-west-1"))

    def test_named_documents_parameter_admits_document_names_only(self):
        # CloudFormation checks a String parameter's AllowedPattern against
        # the whole value (Java's regex dialect and Python's agree on this
        # one). What it admits reaches the grant as written: nothing trimmed,
        # dropped or widened.
        spec = self.member["Parameters"]["NamedSessionDocuments"]
        self.assertEqual((spec["Type"], spec["Default"]), ("String", ""))
        self.assertEqual(self.hub["Parameters"]["NamedSessionDocuments"]["AllowedPattern"], spec["AllowedPattern"])
        for value in ADMITTED:
            with self.subTest(value=value):
                self.assertIsNotNone(re.fullmatch(spec["AllowedPattern"], value))
                self.assertLessEqual(len(value), spec["MaxLength"])
                statements = self.execution_statements(NamedSessionDocuments=value)
                if value:
                    self.assertEqual(statements[1]["Resource"], [NAMED_PREFIX + name for name in value.split(",")])
                else:
                    self.assertEqual([st["Sid"] for st in statements],
                                     ["SessionManagerPreferencesDocumentOnly", *SESSION_DOCUMENT_SIDS, "RunAsTagRead",
                                      "ForwardingCanary"])
        for value in REFUSED:
            with self.subTest(value=value):
                self.assertIsNone(re.fullmatch(spec["AllowedPattern"], value))

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


def check_statements(partition, account):
    """The member role's run-as user check statements as deployed (RunAsUserCheck=Enabled): the check
    document's associations, created only with runas-guard's tag, updated only when they carry it, deleted
    by id (copies made by hand are untagged), and read."""
    associations = f"arn:{partition}:ssm:*:{account}:association/*"
    return [
        {"Sid": "RunAsUserCheck", "Effect": "Allow",
         "Action": ["ssm:CreateAssociation", "ssm:UpdateAssociation", "ssm:DeleteAssociation"],
         "Resource": [f"arn:{partition}:ssm:*:{account}:document/{CHECK_DOCUMENT}",
                      f"arn:{partition}:ec2:*:{account}:instance/*",
                      f"arn:{partition}:ssm:*:{account}:managed-instance/*"]},
        {"Sid": "RunAsUserCheckCreateTagged", "Effect": "Allow",
         "Action": ["ssm:CreateAssociation", "ssm:AddTagsToResource"],
         "Resource": associations,
         "Condition": {"StringEquals": {f"aws:RequestTag/{MANAGED_TAG_KEY}": MANAGED_TAG_VALUE},
                       "ForAllValues:StringEquals": {"aws:TagKeys": [MANAGED_TAG_KEY]}}},
        {"Sid": "RunAsUserCheckUpdateTagged", "Effect": "Allow", "Action": "ssm:UpdateAssociation",
         "Resource": associations,
         "Condition": {"StringEquals": {f"aws:ResourceTag/{MANAGED_TAG_KEY}": MANAGED_TAG_VALUE}}},
        {"Sid": "RunAsUserCheckDeleteCopies", "Effect": "Allow", "Action": "ssm:DeleteAssociation",
         "Resource": associations},
        {"Sid": "RunAsUserCheckResults", "Effect": "Allow",
         "Action": ["ssm:DescribeAssociation", "ssm:ListAssociations", "ssm:DescribeAssociationExecutions",
                    "ssm:DescribeAssociationExecutionTargets", "ssm:DescribeInstanceAssociationsStatus",
                    "ssm:DescribeInstanceInformation"],
         "Resource": "*"},
    ]


def canary_statement(partition, account):
    """The member role's ForwardingCanary statement as deployed."""
    return {"Sid": "ForwardingCanary", "Effect": "Allow", "Action": "ssm:AddTagsToResource",
            "Resource": f"arn:{partition}:ssm:*:{account}:document/{PREFERENCES_DOCUMENT}",
            "Condition": {"ForAllValues:StringEquals": {"aws:TagKeys": [CANARY_TAG_KEY]}}}


def security_hub_statement(partition, account):
    """The member role's SecurityHubFindings statement as deployed."""
    return {"Sid": "SecurityHubFindings", "Effect": "Allow", "Action": FINDINGS_ACTION,
            "Resource": f"arn:{partition}:securityhub:*:{account}:product/{account}/default"}


def security_hub_statements(partition, account):
    """The member role's Security Hub statements as deployed: the import and the read-back."""
    return [security_hub_statement(partition, account),
            {"Sid": "SecurityHubFindingsReadBack", "Effect": "Allow", "Action": READ_ACTION,
             "Resource": f"arn:{partition}:securityhub:*:{account}:hub/default"}]


def condition_values_as_lists(statement):
    """``statement`` with each Condition value a list (IAM reads a single string as a one-element list)."""
    statement = dict(statement)
    if "Condition" in statement:
        statement["Condition"] = {operator: {key: cfn.as_list(values) for key, values in keys.items()}
                                  for operator, keys in statement["Condition"].items()}
    return statement


def without_sid(statement):
    """``statement`` as the session policy writes it: no ``Sid`` (src/domain/session_policy.rs: AWS's 2,048-character cap)."""
    return {key: value for key, value in statement.items() if key != "Sid"}


def session_document_reads(partition, account):
    """The member role's SessionDocumentsRead and SessionDocumentsList as deployed: any document of the
    account read, never written, and listed (src/domain/session_policy.rs session_document_reads, with Sids)."""
    return [
        {"Sid": "SessionDocumentsRead", "Effect": "Allow", "Action": ["ssm:DescribeDocument", "ssm:GetDocument"],
         "Resource": f"arn:{partition}:ssm:*:{account}:document/*"},
        {"Sid": "SessionDocumentsList", "Effect": "Allow", "Action": ["ssm:ListDocuments", "ssm:DescribeSessions"],
         "Resource": "*"},
    ]


def rust_json_statements(function, partition="aws", account=MEMBER_ACCOUNT, check=CHECK_DOCUMENT):
    """The statements a function of src/domain/session_policy.rs (tests excluded) writes, read from its source: each
    ``json!({...})`` block as JSON, with full-line ``//`` comments dropped, ``format!("...")`` as its
    string, a ``let name = format!("...");`` of the function as that string where ``name`` is used,
    ``crate::...::NAME`` as the string constant it names (``rust_str_constant``), and ``{partition}``,
    ``{account}`` and ``{check}`` filled in. Anything else outside a string (another variable, a call)
    fails: the session policy moved on, and this reading with it must."""
    with open(os.path.join(cfn.REPO_ROOT, "src", "domain", "session_policy.rs"), encoding="utf-8") as handle:
        source = handle.read().split("#[cfg(test)]", 1)[0]
    marker = f"fn {function}("
    if marker not in source:
        raise AssertionError(f"src/domain/session_policy.rs has no {marker}...)")
    body = source.split(marker, 1)[1].split("\n}\n", 1)[0]
    body = re.sub(r"(?m)^\s*//.*$", "", body)
    body = re.sub(r'format!\(\s*("[^"\\]*")\s*\)', r"\1", body)
    bindings = dict(re.findall(r'\blet (\w+) = ("[^"\\]*");', body))
    string = re.compile(r'"(?:[^"\\]|\\.)*"')
    found = []
    for start in (m.end() for m in re.finditer(r"json!\(\s*(?=\{)", body)):
        depth, end, quoted = 0, start, False
        for end in range(start, len(body)):
            if body[end] == '"' and body[end - 1] != "\\":
                quoted = not quoted
            if not quoted:
                depth += {"{": 1, "}": -1}.get(body[end], 0)
                if depth == 0:
                    break
        block, pieces, at = body[start:end + 1], [], 0
        for literal in list(string.finditer(block)) + [None]:
            code = block[at:literal.start() if literal else len(block)]
            leftover = set()

            def value(match):
                name = match.group(0)
                if name.startswith("crate::"):
                    return json.dumps(rust_str_constant(name))
                if name in bindings:
                    return bindings[name]
                if name not in ("true", "false", "null"):
                    leftover.add(name)
                return name

            code = re.sub(r"\bcrate(?:::\w+)+|\b[A-Za-z_]\w*\b", value, code)
            if leftover:
                raise AssertionError(f"src/domain/session_policy.rs {function}: cannot read {sorted(leftover)} in {block}")
            pieces.append(code)
            if literal:
                pieces.append(literal.group(0))
                at = literal.end()
        text = re.sub(r",(\s*[\]}])", r"\1", "".join(pieces))
        text = text.replace("{partition}", partition).replace("{account}", account).replace("{check}", check)
        found.append(json.loads(text))
    if not found:
        raise AssertionError(f"src/domain/session_policy.rs {function} writes no json!({{...}}) statement")
    return found


def session_policy_document_reads(partition="aws", account=MEMBER_ACCOUNT):
    """The statements src/domain/session_policy.rs writes in session_document_reads, read from the source."""
    return rust_json_statements("session_document_reads", partition, account)


def session_policy_check_statements(partition="aws", account=MEMBER_ACCOUNT):
    """The statements src/domain/session_policy.rs writes in check_statements, read from the source."""
    return rust_json_statements("check_statements", partition, account)


def session_policy_inventory_statements(partition="aws", account=MEMBER_ACCOUNT):
    """Every statement src/domain/session_policy.rs writes (outside its tests) that names iam:ListRoles or
    iam:ListUsers, read from the source: each ``json!({...})`` block that names one, as JSON, with
    ``format!("...")`` as its string and the partition and account filled in. Whether it is a statement
    of its own or the tag reads' statement widened, the member role's grant must cover it."""
    with open(os.path.join(cfn.REPO_ROOT, "src", "domain", "session_policy.rs"), encoding="utf-8") as handle:
        source = handle.read().split("#[cfg(test)]", 1)[0]
    found = []
    for start in (m.end() for m in re.finditer(r"json!\(\s*(?=\{)", source)):
        depth, end = 0, start
        for end in range(start, len(source)):
            depth += {"{": 1, "}": -1}.get(source[end], 0)
            if depth == 0:
                break
        block = source[start:end + 1]
        if not any(f'"{action}"' in block for action in INVENTORY_ACTIONS):
            continue
        block = re.sub(r'format!\(("[^"]*")\)', r"\1", block)
        block = block.replace("{partition}", partition).replace("{account}", account)
        found.append(json.loads(block))
    return found


def rust_str_constant(path):
    """The value of ``crate::a::b::NAME``: a ``const NAME: &str = "...";`` of src/a/b.rs or src/a/b/mod.rs,
    or what that module re-exports under the name (``pub use c::{KEY as NAME};``, ``pub use crate::d::NAME;``)."""
    *modules, name = path.split("::")[1:]
    for candidate in (os.path.join(cfn.REPO_ROOT, "src", *modules) + ".rs",
                      os.path.join(cfn.REPO_ROOT, "src", *modules, "mod.rs")):
        if not os.path.exists(candidate):
            continue
        with open(candidate, encoding="utf-8") as handle:
            text = handle.read()
        found = re.findall(rf'\bconst {name}: &(?:\'static )?str = "([^"\\]*)";', text)
        if len(found) == 1:
            return found[0]
        uses = re.findall(r"\bpub use ([\w:]+)::\{([^}]*)\};", text)
        uses += re.findall(r"\bpub use ([\w:]+)::(\w+(?:\s+as\s+\w+)?);", text)
        for base, items in uses:
            for item in items.split(","):
                original, _, alias = (part.strip() for part in item.partition(" as "))
                if (alias or original) != name:
                    continue
                first, *rest = base.split("::")
                within = {"crate": [], "super": modules[:-1], "self": modules}.get(first)
                target = (["crate"] + within + rest) if within is not None else (["crate"] + modules + [first] + rest)
                return rust_str_constant("::".join(target + [original]))
    raise AssertionError(f"no string constant {path} in src/")


def rust_session_policy_source():
    """src/domain/session_policy.rs session_policy's body (tests excluded)."""
    with open(os.path.join(cfn.REPO_ROOT, "src", "domain", "session_policy.rs"), encoding="utf-8") as handle:
        source = handle.read().split("#[cfg(test)]", 1)[0]
    return source.split("fn session_policy(", 1)[1].split("\n}\n", 1)[0]


# ---------------------------------------------------------------------------
# A small evaluator of the Allow statements of an identity policy, for exactly
# the language the member role's policy uses: Effect Allow, Action and
# Resource lists (no NotAction or NotResource: those raise), and the
# ${aws:PrincipalAccount} policy variable (a global condition key, which IAM
# resolves to the calling principal's account). The Conditions implemented
# are the ones the role uses, with IAM's semantics (every operator of a
# Condition, and every key of an operator, must hold; a list of values is
# "any of them"; context key names compare case-insensitively, values as the
# operator says):
#
# - ``ForAllValues:StringEquals`` on ``aws:TagKeys`` (the forwarding canary's
#   and the check's tagging): every tag key of the request is one of the
#   listed ones, compared case-sensitively; a request without tag keys
#   satisfies it, as IAM documents for ForAllValues (true when the key is
#   absent or empty), which is why a tag is required by another condition;
# - ``StringEquals`` on ``aws:RequestTag/<key>`` (the value of a tag the
#   request sets) and ``aws:ResourceTag/<key>`` (the value of a tag the
#   resource has): the key's single value equals one of the listed ones,
#   case-sensitively; false when the key is absent (an Allow that does not
#   apply).
#
# Any other condition operator or key raises. A statement
# with a Condition that applies to the action and resource needs the
# request's context (``context``, e.g. ``{"aws:TagKeys": [...]}``): without
# one the verdict is refused (ValueError) rather than guessed. A request that
# names several resources (an association write naming the association and
# its document) is allowed only if each one is (``permits``); its context
# holds the association's tags, the only resource a tag condition here names.
# An ARN pattern is matched the
# way IAM documents it, with "*" and "?" inside a segment; because a "*" at the
# end of a segment may also match beyond a colon, a resource counts as allowed
# only if it matches both segment by segment and as one string, and as not
# allowed only if it matches neither.
# ---------------------------------------------------------------------------
POLICY_VARIABLE = re.compile(r"\$\{([^}]*)\}")


def _resolve_variables(pattern, account):
    def value(match):
        if match.group(1) != "aws:PrincipalAccount":
            raise ValueError(f"policy variable {match.group(0)} is not implemented")
        return account
    return POLICY_VARIABLE.sub(value, pattern)


def _glob(pattern, text):
    return fnmatch.fnmatchcase(text, pattern.replace("[", "[[]"))


def _resource_matches(pattern, arn):
    if pattern == "*":
        return True
    whole = _glob(pattern, arn)
    pattern_parts, arn_parts = pattern.split(":", 5), arn.split(":", 5)
    by_segment = (len(pattern_parts) == 6 and len(arn_parts) == 6
                  and all(_glob(p, a) for p, a in zip(pattern_parts, arn_parts)))
    if whole != by_segment:
        raise AssertionError(f"{pattern} and {arn}: a wildcard crosses a colon; the verdict depends on it")
    return whole


def _implemented(operator, key):
    key = key.lower()
    if operator == "ForAllValues:StringEquals":
        return key == "aws:tagkeys"
    if operator == "StringEquals":
        return any(key.startswith(prefix) and len(key) > len(prefix)
                   for prefix in ("aws:requesttag/", "aws:resourcetag/"))
    return False


def _validate_condition(statement):
    condition = statement.get("Condition")
    if condition is None:
        return
    if not isinstance(condition, dict) or not condition:
        raise ValueError(f"not implemented: {statement}")
    for operator, keys in condition.items():
        if not isinstance(keys, dict) or not keys:
            raise ValueError(f"not implemented: {statement}")
        for key, values in keys.items():
            if not _implemented(operator, key) or not all(isinstance(v, str) for v in cfn.as_list(values)):
                raise ValueError(f"condition {operator} {key} is not implemented: {statement}")


def _condition_holds(condition, context):
    context = {name.lower(): value for name, value in context.items()}
    for operator, keys in condition.items():
        for key, values in keys.items():
            expected = cfn.as_list(values)
            actual = context.get(key.lower())
            if operator == "ForAllValues:StringEquals":
                # Each value of the request's key is one of ``values`` (exact,
                # case-sensitive); none at all satisfies it.
                if not isinstance(actual, (list, type(None))):
                    raise ValueError(f"{key} is multivalued: give a list, not {actual!r}")
                if not all(value in expected for value in actual or []):
                    return False
            elif operator == "StringEquals":
                # The key's one value equals one of ``values`` (exact,
                # case-sensitive); an absent key never does.
                if not isinstance(actual, (str, type(None))):
                    raise ValueError(f"{key} is single-valued: give a string, not {actual!r}")
                if actual is None or actual not in expected:
                    return False
            else:
                raise ValueError(f"condition {operator} is not implemented")
    return True


def allows(statements, account, action, arn, context=None):
    """True when one of ``statements`` (a principal in ``account``) allows ``action`` on ``arn``, in a request
    whose condition keys are ``context`` (needed only where a statement with a Condition applies)."""
    for statement in statements:
        if (set(statement) - {"Sid", "Effect", "Action", "Resource", "Condition"}
                or statement["Effect"] != "Allow"):
            raise ValueError(f"not implemented: {statement}")
        _validate_condition(statement)
        if not any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in cfn.as_list(statement["Action"])):
            continue
        if not any(_resource_matches(_resolve_variables(r, account), arn) for r in cfn.as_list(statement["Resource"])):
            continue
        if "Condition" in statement:
            if context is None:
                raise ValueError(f"{action} on {arn}: {statement.get('Sid')} has a Condition; give the request's "
                                 f"context")
            if not _condition_holds(statement["Condition"], context):
                continue
        return True
    return False


def permits(statements, account, action, resources, context=None):
    """True when ``statements`` allow ``action`` on every one of ``resources`` (SSM authorizes an association
    write on each resource the request names: the association, the document, a node)."""
    return all(allows(statements, account, action, resource, context) for resource in resources)


class EvaluatorTests(unittest.TestCase):

    def test_variables_wildcards_and_segments(self):
        statements = [{"Effect": "Allow", "Action": ["ssm:GetDocument"],
                       "Resource": ["arn:*:ssm:*:${aws:PrincipalAccount}:document/A"]}]
        self.assertTrue(allows(statements, "111122223333", "ssm:GetDocument",
                               "arn:aws:ssm:eu-west-1:111122223333:document/A"))
        self.assertTrue(allows(statements, "111122223333", "SSM:getdocument",
                               "arn:aws-cn:ssm:cn-north-1:111122223333:document/A"))
        self.assertFalse(allows(statements, "111122223333", "ssm:GetDocument",
                                "arn:aws:ssm:eu-west-1:444455556666:document/A"))
        self.assertFalse(allows(statements, "111122223333", "ssm:GetDocument",
                                "arn:aws:ssm:eu-west-1:111122223333:document/AB"))
        self.assertFalse(allows(statements, "111122223333", "ssm:UpdateDocument",
                                "arn:aws:ssm:eu-west-1:111122223333:document/A"))
        with self.assertRaises(ValueError):
            allows([{"Effect": "Allow", "Action": ["ssm:GetDocument"], "Resource": ["arn:aws:ssm:*:${aws:username}:x"]}],
                   "111122223333", "ssm:GetDocument", "arn:aws:ssm:eu-west-1:111122223333:x")
        with self.assertRaises(ValueError):
            allows([{"Effect": "Allow", "Action": ["ssm:GetDocument"], "Resource": ["*"], "Condition": {}}],
                   "111122223333", "ssm:GetDocument", "arn:aws:ssm:eu-west-1:111122223333:x")
        # Other condition operators and keys are not implemented, even on a
        # statement that does not apply.
        for condition in ({"StringEquals": {"aws:TagKeys": ["K"]}},
                          {"ForAnyValue:StringEquals": {"aws:TagKeys": ["K"]}},
                          {"ForAllValues:StringLike": {"aws:TagKeys": ["K*"]}},
                          {"ForAllValues:StringEquals": {"aws:RequestTag/K": ["V"]}},
                          {"ForAllValues:StringEquals": {"aws:TagKeys": ["K"]}, "Null": {"aws:TagKeys": "false"}},
                          {"StringLike": {"aws:ResourceTag/K": "V*"}},
                          {"StringEqualsIgnoreCase": {"aws:RequestTag/K": "V"}},
                          {"StringEquals": {"aws:RequestTag/": "V"}},
                          {"StringEquals": {"aws:PrincipalTag/K": "V"}},
                          {"StringNotEquals": {"aws:ResourceTag/K": "V"}},
                          {"Null": {"aws:ResourceTag/K": "false"}}):
            with self.subTest(condition=condition), self.assertRaises(ValueError):
                allows([{"Effect": "Allow", "Action": ["ssm:GetDocument"], "Resource": ["*"],
                         "Condition": condition}], "111122223333", "ssm:UpdateDocument", "*", {})

    def test_for_all_values_string_equals_on_tag_keys(self):
        statements = [{"Effect": "Allow", "Action": "ssm:AddTagsToResource", "Resource": "*",
                       "Condition": {"ForAllValues:StringEquals": {"aws:TagKeys": ["K", "L"]}}}]

        def tagging(*keys):
            return allows(statements, "111122223333", "ssm:AddTagsToResource", "*", {"aws:TagKeys": list(keys)})

        self.assertTrue(tagging("K"))
        self.assertTrue(tagging("K", "L"))
        self.assertFalse(tagging("K", "M"))
        self.assertFalse(tagging("k"))  # StringEquals: case-sensitive
        self.assertFalse(tagging("K "))
        # IAM: ForAllValues of a key the request lacks (or an empty set) is true.
        self.assertTrue(tagging())
        self.assertTrue(allows(statements, "111122223333", "ssm:AddTagsToResource", "*", {}))
        # A single string is a one-element list.
        statements[0]["Condition"]["ForAllValues:StringEquals"]["aws:TagKeys"] = "K"
        self.assertTrue(tagging("K"))
        self.assertFalse(tagging("L"))
        # Where the statement applies, the request's context must be given.
        with self.assertRaises(ValueError):
            allows(statements, "111122223333", "ssm:AddTagsToResource", "*")
        # Where it does not, it need not.
        self.assertFalse(allows(statements, "111122223333", "ssm:RemoveTagsFromResource", "*"))
        # A multivalued key is a list.
        with self.assertRaises(ValueError):
            allows(statements, "111122223333", "ssm:AddTagsToResource", "*", {"aws:TagKeys": "K"})
        # A wildcard that would need to cross a colon to match is refused as ambiguous.
        with self.assertRaises(AssertionError):
            allows([{"Effect": "Allow", "Action": ["ssm:GetDocument"], "Resource": ["arn:aws:ssm:*"]}],
                   "111122223333", "ssm:GetDocument", "arn:aws:ssm:eu-west-1:111122223333:document/A")

    def test_string_equals_on_request_and_resource_tags(self):
        statements = [
            {"Effect": "Allow", "Action": "ssm:CreateAssociation", "Resource": "*",
             "Condition": {"StringEquals": {"aws:RequestTag/a:b": "true"},
                           "ForAllValues:StringEquals": {"aws:TagKeys": ["a:b"]}}},
            {"Effect": "Allow", "Action": "ssm:UpdateAssociation", "Resource": "*",
             "Condition": {"StringEquals": {"aws:ResourceTag/a:b": ["true", "yes"]}}},
        ]

        def creating(**context):
            return allows(statements, "111122223333", "ssm:CreateAssociation", "*", context)

        def updating(**context):
            return allows(statements, "111122223333", "ssm:UpdateAssociation", "*", context)

        request_tag, resource_tag = "aws:RequestTag/a:b", "aws:ResourceTag/a:b"
        self.assertTrue(creating(**{request_tag: "true", "aws:TagKeys": ["a:b"]}))
        # Both operators must hold: the tag, and no other key beside it.
        self.assertFalse(creating(**{request_tag: "true", "aws:TagKeys": ["a:b", "c"]}))
        # ForAllValues alone would hold without tags: the StringEquals does not.
        self.assertFalse(creating())
        self.assertFalse(creating(**{"aws:TagKeys": []}))
        # Values are case-sensitive; the key names are not (IAM: context key
        # names are not case-sensitive).
        self.assertFalse(creating(**{request_tag: "True", "aws:TagKeys": ["a:b"]}))
        self.assertTrue(creating(**{"AWS:requesttag/a:b": "true", "aws:tagkeys": ["a:b"]}))
        # Another tag of the request is not this one.
        self.assertFalse(creating(**{"aws:RequestTag/a:c": "true", "aws:TagKeys": ["a:c"]}))
        # The resource's tag is not the request's, and the reverse.
        self.assertFalse(creating(**{resource_tag: "true", "aws:TagKeys": ["a:b"]}))
        self.assertFalse(updating(**{request_tag: "true"}))
        # A list of values is "any of them"; an absent key never equals.
        self.assertTrue(updating(**{resource_tag: "true"}))
        self.assertTrue(updating(**{resource_tag: "yes"}))
        self.assertFalse(updating(**{resource_tag: "false"}))
        self.assertFalse(updating())
        # A tag is single-valued.
        with self.assertRaises(ValueError):
            updating(**{resource_tag: ["true"]})
        # A request naming several resources needs each one allowed.
        self.assertTrue(permits(statements, "111122223333", "ssm:UpdateAssociation", ["*", "*"],
                                {resource_tag: "true"}))
        self.assertFalse(permits([{"Effect": "Allow", "Action": "ssm:UpdateAssociation",
                                   "Resource": "arn:aws:ssm:*:111122223333:association/*"}],
                                 "111122223333", "ssm:UpdateAssociation",
                                 ["arn:aws:ssm:eu-west-1:111122223333:association/x",
                                  "arn:aws:ssm:eu-west-1:111122223333:document/D"]))


if __name__ == "__main__":
    unittest.main()

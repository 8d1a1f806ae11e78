"""The SCPs and the Landing Zone Accelerator snippets agree with the templates.

What each SCP statement denies to whom is tested on concrete requests in
test_scp.py; this file checks their shape, size and agreement with the
templates and the LZA snippets.
"""

import json
import os
import re
import unittest

import yaml

from . import cfn
from .test_member_policy import rust_str_constant
from .test_operator_role import _arn_like as arn_like

SCP_DIR = os.path.join(cfn.INFRA_DIR, "scp")
SCP_PATH = os.path.join(SCP_DIR, "runas-guard-document-guardrail.json")
OPTIONAL_SCPS = ("runas-guard-runas-tag-guardrail.json", "runas-guard-session-document-guardrail.json",
                 "runas-guard-session-document-write-guardrail.json",
                 "runas-guard-check-association-tag-guardrail.json")
CHECK_ASSOCIATION_TAG_SCP = os.path.join(SCP_DIR, "runas-guard-check-association-tag-guardrail.json")
LZA_CUSTOMIZATIONS = os.path.join(cfn.INFRA_DIR, "lza", "customizations-config.yaml")
LZA_ORGANIZATION = os.path.join(cfn.INFRA_DIR, "lza", "organization-config.yaml")
LZA_IAM = os.path.join(cfn.INFRA_DIR, "lza", "iam-config.yaml")
LZA_OPERATOR_POLICY = os.path.join(cfn.INFRA_DIR, "lza", "runas-guard-operator-policy.json")
OPERATE_PAGE = os.path.join(cfn.REPO_ROOT, "docs", "operate.md")
LZA_PAGE = os.path.join(cfn.REPO_ROOT, "docs", "deploy-lza.md")

# The preferences document and the per-permission-set documents (scp/README.md:
# named SSMRunAs-<something> by convention).
GUARDED_DOCUMENTS = ["arn:aws:ssm:*:*:document/SSM-SessionManagerRunShell", "arn:aws:ssm:*:*:document/SSMRunAs-*"]
DENIED_ACTIONS = {"ssm:UpdateDocument", "ssm:UpdateDocumentDefaultVersion", "ssm:DeleteDocument", "ssm:CreateDocument"}
# Statement 1 also denies tagging the governed documents: 50 tags of an
# editor's own would leave no room for the forwarding canary's.
DOCUMENT_TAGGING = {"ssm:AddTagsToResource", "ssm:RemoveTagsFromResource"}
EXEMPT_PRINCIPALS = [
    "arn:aws:iam::*:role/RunAsGuardExecution",
    "arn:aws:iam::*:role/AWSControlTowerExecution",
    "arn:aws:iam::*:role/OrganizationAccountAccessRole",
    "arn:aws:iam::*:role/AWSAccelerator*",
]
MEMBER_ROLE_CHANGES = {"iam:CreateRole", "iam:DeleteRole", "iam:UpdateAssumeRolePolicy", "iam:PutRolePolicy",
                       "iam:DeleteRolePolicy", "iam:AttachRolePolicy", "iam:DetachRolePolicy", "iam:UpdateRole",
                       "iam:PutRolePermissionsBoundary", "iam:DeleteRolePermissionsBoundary"}
STACKSET_EXECUTION_ROLES = ["arn:aws:iam::*:role/stacksets-exec-*",
                            "arn:aws:iam::*:role/AWSCloudFormationStackSetExecutionRole"]
# Fields of LZA's ICloudFormationStackSet / IServiceControlPolicyConfig.
STACKSET_FIELDS = {"administrationRoleArn", "capabilities", "dependsOn", "deploymentTargets", "description",
                   "executionRoleName", "name", "operationPreferences", "parameters", "regions", "template"}
OPERATION_PREFERENCE_FIELDS = {"failureToleranceCount", "failureTolerancePercentage", "maxConcurrentCount",
                               "maxConcurrentPercentage", "regionConcurrencyType", "regionOrder"}
SCP_FIELDS = {"name", "description", "policy", "type", "strategy", "deploymentTargets"}
# Fields of LZA's IIdentityCenterConfig, IIdentityCenterPermissionSetConfig,
# IIdentityCenterPoliciesConfig, IIdentityCenterAssignmentConfig and
# IIdentityCenterAssignmentPrincipalConfig.
IDENTITY_CENTER_FIELDS = {"name", "delegatedAdminAccount", "identityCenterPermissionSets", "identityCenterAssignments"}
PERMISSION_SET_FIELDS = {"name", "policies", "sessionDuration", "description"}
PERMISSION_SET_POLICY_FIELDS = {"awsManaged", "customerManaged", "acceleratorManaged", "inlinePolicy",
                                "permissionsBoundary"}
ASSIGNMENT_FIELDS = {"name", "permissionSetName", "principals", "principalId", "principalType", "deploymentTargets"}


class ScpTests(cfn.TemplateTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with open(SCP_PATH, encoding="utf-8") as handle:
            cls.text = handle.read()
        cls.scp = json.loads(cls.text)  # strict JSON: no comments
        cls.statements = {s["Sid"]: s for s in cls.scp["Statement"]}

    def test_denies_the_four_writes_and_tagging_on_the_governed_documents_only(self):
        self.assertEqual(self.scp["Version"], "2012-10-17")
        statement = self.statements["RunAsGuardProtectSessionManagerPreferences"]
        self.assertEqual(statement["Effect"], "Deny")
        self.assertEqual(set(statement["Action"]), DENIED_ACTIONS | DOCUMENT_TAGGING)
        self.assertEqual(statement["Resource"], GUARDED_DOCUMENTS)

    def test_the_forwarding_canary_is_never_denied(self):
        # The member role tags SSM-SessionManagerRunShell with the canary
        # (member.yaml ForwardingCanary): a document statement 1 guards, by
        # a role statement 1 exempts.
        (policy,) = [p for p in self.member["Resources"]["ExecutionRole"]["Properties"]["Policies"]
                     if p["PolicyName"] == "runas-guard-forwarding-canary"]
        (grant,) = cfn.statements(policy["PolicyDocument"])
        self.assertEqual(grant["Action"], "ssm:AddTagsToResource")
        document = grant["Resource"]["Fn::Sub"].rsplit("/", 1)[1]
        self.assertIn(f"arn:aws:ssm:*:*:document/{document}", GUARDED_DOCUMENTS)
        member_role = self.member["Parameters"]["MemberRoleName"]["Default"]
        self.assertIn(f"arn:aws:iam::*:role/{member_role}", EXEMPT_PRINCIPALS)

    def test_session_guardrail_admits_the_governed_documents(self):
        with open(os.path.join(SCP_DIR, "runas-guard-session-document-guardrail.json"), encoding="utf-8") as handle:
            (statement,) = json.load(handle)["Statement"]
        for document in GUARDED_DOCUMENTS:
            self.assertIn(document, statement["NotResource"])

    def test_session_document_write_guardrail_lets_the_writers_of_governed_documents_write(self):
        # Optional statement 9: no Session document written but by those who
        # write the governed ones (statement 1's exemptions: runas-guard, the
        # fallbacks, LZA) and the StackSet execution roles that deploy the
        # member stack; the type as SSM gives it (ssm:DocumentType).
        with open(os.path.join(SCP_DIR, "runas-guard-session-document-write-guardrail.json"),
                  encoding="utf-8") as handle:
            statements = {s["Sid"]: s for s in json.load(handle)["Statement"]}
        statement = statements["RunAsGuardNoSessionDocumentWrites"]
        self.assertEqual(statement["Effect"], "Deny")
        self.assertEqual(set(statement["Action"]), DENIED_ACTIONS - {"ssm:DeleteDocument"})
        self.assertEqual(statement["Condition"]["StringEquals"], {"ssm:DocumentType": "Session"})
        self.assertEqual(statement["Condition"]["ArnNotLike"]["aws:PrincipalArn"],
                         EXEMPT_PRINCIPALS + STACKSET_EXECUTION_ROLES)
        # The member role writes the governed documents, which are Session documents.
        member_role = self.member["Parameters"]["MemberRoleName"]["Default"]
        self.assertIn(f"arn:aws:iam::*:role/{member_role}", EXEMPT_PRINCIPALS)

    def test_exceptions(self):
        statement = self.statements["RunAsGuardProtectSessionManagerPreferences"]
        self.assertEqual(list(statement["Condition"]), ["ArnNotLike"])
        self.assertEqual(statement["Condition"]["ArnNotLike"]["aws:PrincipalArn"], EXEMPT_PRINCIPALS)

    def test_exceptions_cover_the_roles_the_hub_assumes(self):
        member_role = self.member["Parameters"]["MemberRoleName"]["Default"]
        self.assertIn(f"arn:aws:iam::*:role/{member_role}", EXEMPT_PRINCIPALS)
        (statement,) = [s for p in self.hub["Resources"]["HubRole"]["Properties"]["Policies"]
                        for s in cfn.statements(p["PolicyDocument"]) if s.get("Action") == "sts:AssumeRole"]
        for resource in statement["Resource"]:
            # A fallback is {"Fn::If": [condition, {"Fn::Sub": ...}, NoValue]}.
            resource = resource["Fn::If"][1] if "Fn::If" in resource else resource
            role_name = resource["Fn::Sub"].rsplit("/", 1)[1].replace("${MemberRoleName}", member_role)
            self.assertIn(f"arn:aws:iam::*:role/{role_name}", EXEMPT_PRINCIPALS)

    def test_member_role_is_changed_only_by_the_stackset_and_the_bootstrap_roles(self):
        statement = self.statements["RunAsGuardProtectExemptRoles"]
        self.assertEqual(set(statement["Action"]), MEMBER_ROLE_CHANGES)
        member_role = self.member["Parameters"]["MemberRoleName"]["Default"]
        # Any path: "role/*Name" matches "role/Name" and "role/some/path/Name".
        self.assertIn(f"arn:aws:iam::*:role/*{member_role}", statement["Resource"])
        exempt = statement["Condition"]["ArnNotLike"]["aws:PrincipalArn"]
        self.assertEqual(exempt[:2], STACKSET_EXECUTION_ROLES)
        # The other two are the account bootstrap roles the hub falls back to.
        hub_fallbacks = [f"arn:aws:iam::*:role/{name}" for name in ("AWSControlTowerExecution",
                                                                    "OrganizationAccountAccessRole")]
        self.assertEqual(sorted(exempt[2:]), sorted(hub_fallbacks))

    def test_run_as_user_check_document_is_written_only_by_its_deployers(self):
        statement = self.statements["RunAsGuardProtectRunAsUserCheckDocument"]
        document = self.member["Resources"]["RunAsUserCheckDocument"]["Properties"]["Name"]
        self.assertEqual(statement["Effect"], "Deny")
        self.assertEqual(statement["Resource"], f"arn:aws:ssm:*:*:document/{document}")
        self.assertEqual(set(statement["Action"]), DENIED_ACTIONS)
        # The same deployers as may change RunAsGuardExecution (statement 2).
        self.assertEqual(statement["Condition"], self.statements["RunAsGuardProtectExemptRoles"]["Condition"])

    def test_run_as_user_check_associations_are_written_only_by_the_roles_the_hub_assumes(self):
        statement = self.statements["RunAsGuardProtectRunAsUserCheckAssociations"]
        document = self.member["Resources"]["RunAsUserCheckDocument"]["Properties"]["Name"]
        self.assertEqual(statement["Effect"], "Deny")
        self.assertEqual(statement["Resource"], f"arn:aws:ssm:*:*:document/{document}")
        self.assertEqual(set(statement["Action"]), {"ssm:CreateAssociation", "ssm:CreateAssociationBatch",
                                                    "ssm:UpdateAssociation", "ssm:DeleteAssociation"})
        self.assertEqual(list(statement["Condition"]), ["ArnNotLike"])
        # The member role and the fallbacks, exactly: LZA and the StackSets
        # never write associations.
        self.assertEqual(statement["Condition"]["ArnNotLike"]["aws:PrincipalArn"],
                         [p for p in EXEMPT_PRINCIPALS if "AWSAccelerator" not in p])
        # Every association write the member role may make is one of them
        # (its other write, the tag on the association, is statement 11's).
        writes = {a for a in self.check_grants() if "Describe" not in a and "List" not in a}
        self.assertLessEqual(writes - {"ssm:AddTagsToResource"}, set(statement["Action"]))

    def check_grants(self):
        """Every action of the member role's run-as user check statements."""
        grants = [s for s in cfn.statements(
            self.member["Resources"]["ExecutionRole"]["Properties"]["Policies"][0]["PolicyDocument"])
            if "Fn::If" in s and s["Fn::If"][0] == "RunAsUserCheckEnabled"]
        return {a for g in grants for a in cfn.as_list(g["Fn::If"][1]["Action"])}

    def test_tagged_check_association_is_written_only_by_the_roles_the_hub_assumes(self):
        # Optional statement 11: the association runas-guard keeps, once it
        # carries runas-guard's tag, is updated, deleted, untagged or retagged
        # only by the roles statement 8 exempts; the tag is the one the member
        # role's grants read (member.yaml) and runas-guard writes
        # (src/domain/nodes/mod.rs).
        with open(CHECK_ASSOCIATION_TAG_SCP, encoding="utf-8") as handle:
            (statement,) = json.load(handle)["Statement"]
        self.assertEqual(statement["Sid"], "RunAsGuardProtectTaggedCheckAssociations")
        self.assertEqual(statement["Effect"], "Deny")
        self.assertEqual(statement["Resource"], "arn:aws:ssm:*:*:association/*")
        self.assertEqual(statement["Action"], ["ssm:UpdateAssociation", "ssm:DeleteAssociation",
                                               "ssm:AddTagsToResource", "ssm:RemoveTagsFromResource"])
        self.assertEqual(set(statement["Condition"]), {"StringEquals", "ArnNotLike"})
        self.assertEqual(statement["Condition"]["ArnNotLike"],
                         self.statements["RunAsGuardProtectRunAsUserCheckAssociations"]["Condition"]["ArnNotLike"])
        key = rust_str_constant("crate::domain::nodes::MANAGED_TAG_KEY")
        value = rust_str_constant("crate::domain::nodes::MANAGED_TAG_VALUE")
        self.assertEqual(statement["Condition"]["StringEquals"], {f"aws:ResourceTag/{key}": value})
        # The member role updates only an association with that tag.
        grants = {s["Fn::If"][1]["Sid"]: s["Fn::If"][1] for s in cfn.statements(
            self.member["Resources"]["ExecutionRole"]["Properties"]["Policies"][0]["PolicyDocument"])
            if "Fn::If" in s and s["Fn::If"][0] == "RunAsUserCheckEnabled"}
        self.assertEqual(grants["RunAsUserCheckUpdateTagged"]["Condition"],
                         {"StringEquals": statement["Condition"]["StringEquals"]})
        # Every write of the member role on an existing association is one it
        # denies to everyone else (creation is not: a new association has no
        # tag yet).
        writes = {a for a in self.check_grants() if "Describe" not in a and "List" not in a}
        self.assertLessEqual(writes - {"ssm:CreateAssociation"}, set(statement["Action"]))

    def test_every_scp_fits_the_size_limit(self):
        # Organizations counts every character of the policy it is given (the
        # file as it is); whitespace outside strings could be dropped if needed.
        for name in (os.path.basename(SCP_PATH),) + OPTIONAL_SCPS:
            with self.subTest(scp=name):
                with open(os.path.join(SCP_DIR, name), encoding="utf-8") as handle:
                    text = handle.read()
                json.loads(text)
                self.assertLess(len(text), 5120)
        self.assertEqual(sorted(os.listdir(SCP_DIR)),
                         sorted(["README.md", os.path.basename(SCP_PATH), *OPTIONAL_SCPS]))

    def test_readme_states_the_sizes_and_explains_every_statement(self):
        with open(os.path.join(SCP_DIR, "README.md"), encoding="utf-8") as handle:
            readme = handle.read()
        for name in (os.path.basename(SCP_PATH),) + OPTIONAL_SCPS:
            with self.subTest(scp=name):
                with open(os.path.join(SCP_DIR, name), encoding="utf-8") as handle:
                    text = handle.read()
                sizes = f"{len(text):,} / {len(''.join(text.split())):,}"
                (row,) = [line for line in readme.splitlines() if line.startswith(f"| `{name}` |")]
                self.assertTrue(row.endswith(f"| {sizes} |"), (row, sizes))
                for statement in json.loads(text)["Statement"]:
                    self.assertRegex(readme, rf"\n## \d+ `{statement['Sid']}`")


class LzaSnippetTests(cfn.TemplateTestCase):

    def load(self, path):
        with open(path, encoding="utf-8") as handle:
            return yaml.safe_load(handle)

    def test_customizations_stackset_entry(self):
        config = self.load(LZA_CUSTOMIZATIONS)
        (stackset,) = config["customizations"]["cloudFormationStackSets"]
        self.assertLessEqual(set(stackset), STACKSET_FIELDS)
        self.assertLessEqual({"name", "template", "regions", "deploymentTargets"}, set(stackset))
        self.assertNotIn(" ", stackset["name"])
        self.assertIn("CAPABILITY_NAMED_IAM", stackset["capabilities"])
        self.assertEqual(stackset["deploymentTargets"], {"organizationalUnits": ["Root"]})
        self.assertLessEqual(set(stackset["operationPreferences"]), OPERATION_PREFERENCE_FIELDS)
        parameters = {item["name"]: item["value"] for item in stackset["parameters"]}
        for item in stackset["parameters"]:
            self.assertEqual(set(item), {"name", "value"})
            self.assertIsInstance(item["value"], str)
        template_parameters = self.member["Parameters"]
        self.assertLessEqual(set(parameters), set(template_parameters))
        required = {name for name, spec in template_parameters.items() if "Default" not in spec}
        self.assertLessEqual(required, set(parameters))
        self.assertIn(parameters["RoleRegion"], stackset["regions"])
        # Passed, even when empty, so the snippet shows where the names go;
        # the placeholder is a value the template accepts.
        named = parameters["NamedSessionDocuments"]
        self.assertRegex(named, template_parameters["NamedSessionDocuments"]["AllowedPattern"])
        # LZA passes exactly the listed parameters at each run: one left out
        # would take its default (OperatorPrincipals: the seat would go).
        self.assertEqual(set(parameters), set(template_parameters))

    def test_customizations_give_the_seat_to_the_permission_set(self):
        (stackset,) = self.load(LZA_CUSTOMIZATIONS)["customizations"]["cloudFormationStackSets"]
        parameters = {item["name"]: item["value"] for item in stackset["parameters"]}
        template_parameters = self.member["Parameters"]
        principals = parameters["OperatorPrincipals"]
        self.assertRegex(principals, template_parameters["OperatorPrincipals"]["AllowedPattern"])
        self.assertEqual(parameters["OrganizationId"], "<ORGANIZATION_ID>")
        self.assertEqual(parameters["OperatorRoleName"], template_parameters["OperatorRoleName"]["Default"])
        self.assertEqual(parameters["OperatorAccountIds"], "", "the hub account, where the permission set is assigned")
        (permission_set,) = self.load(LZA_IAM)["identityCenter"]["identityCenterPermissionSets"]
        for path in ("sso.amazonaws.com/eu-west-1/", "sso.amazonaws.com/"):
            role = f"arn:aws:iam::111122223333:role/aws-reserved/{path}AWSReservedSSO_{permission_set['name']}_0a1b2c3d"
            with self.subTest(role=role):
                self.assertTrue(any(arn_like(p, role) for p in principals.split(",")))
        other = "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Developer_0a1b2c3d"
        self.assertFalse(any(arn_like(p, other) for p in principals.split(",")))

    def test_iam_config_permission_set_and_assignment(self):
        identity_center = self.load(LZA_IAM)["identityCenter"]
        self.assertLessEqual(set(identity_center), IDENTITY_CENTER_FIELDS)
        self.assertNotIn("delegatedAdminAccount", identity_center, "merged into the repository's own")
        (permission_set,) = identity_center["identityCenterPermissionSets"]
        self.assertLessEqual(set(permission_set), PERMISSION_SET_FIELDS)
        self.assertLessEqual(set(permission_set["policies"]), PERMISSION_SET_POLICY_FIELDS)
        self.assertEqual(permission_set["name"], "RunAsGuardOperator")
        self.assertLessEqual(len(permission_set["name"]), 32, "LZA's limit on permission set names")
        self.assertEqual(os.path.basename(permission_set["policies"]["inlinePolicy"]),
                         os.path.basename(LZA_OPERATOR_POLICY))
        self.assertIsInstance(permission_set["sessionDuration"], int)
        (assignment,) = identity_center["identityCenterAssignments"]
        self.assertLessEqual(set(assignment), ASSIGNMENT_FIELDS)
        self.assertEqual(assignment["permissionSetName"], permission_set["name"])
        self.assertEqual([p["type"] for p in assignment["principals"]], ["GROUP"])
        self.assertEqual(assignment["deploymentTargets"], {"accounts": ["<HUB_ACCOUNT_NAME>"]})

    def test_the_operator_policy_file_is_the_documented_one(self):
        with open(OPERATE_PAGE, encoding="utf-8") as handle:
            page = handle.read()
        block = page.split("<!-- operator-policy:begin -->")[1].split("<!-- operator-policy:end -->")[0].strip()
        self.assertTrue(block.startswith("```json") and block.endswith("```"))
        with open(LZA_OPERATOR_POLICY, encoding="utf-8") as handle:
            shipped = json.load(handle)
        self.assertEqual(shipped, json.loads(block[len("```json"):-3]),
                         "infra/lza/runas-guard-operator-policy.json differs from docs/operate.md's operator "
                         "policy: copy the block between the operator-policy markers into it")
        seat = next(s for s in shipped["Statement"] if s["Action"] == "sts:AssumeRole")
        self.assertEqual(seat["Resource"],
                         f"arn:aws:iam::*:role/{self.member['Parameters']['OperatorRoleName']['Default']}")

    def test_the_lza_page_shows_the_snippets_as_shipped(self):
        with open(LZA_PAGE, encoding="utf-8") as handle:
            page = handle.read()
        blocks = [yaml.safe_load(b) for b in re.findall(r"```yaml\n(.*?)```", page, re.S)]
        shown = next(b for b in blocks if isinstance(b, dict) and "customizations" in b)
        (shown_stackset,) = shown["customizations"]["cloudFormationStackSets"]
        (stackset,) = self.load(LZA_CUSTOMIZATIONS)["customizations"]["cloudFormationStackSets"]
        self.assertEqual(shown_stackset["parameters"], stackset["parameters"])
        indented = re.findall(r"\n( +)```yaml\n(.*?)\n\1```", page, re.S)
        iam = [yaml.safe_load("\n".join(line[len(indent):] for line in body.splitlines()))
               for indent, body in indented]
        self.assertIn(self.load(LZA_IAM), iam)

    def test_organization_scp_entry(self):
        config = self.load(LZA_ORGANIZATION)
        (policy,) = config["serviceControlPolicies"]
        self.assertLessEqual(set(policy), SCP_FIELDS)
        self.assertLessEqual({"name", "description", "policy", "type", "deploymentTargets"}, set(policy))
        self.assertEqual(policy["type"], "customerManaged")
        self.assertEqual(os.path.basename(policy["policy"]), os.path.basename(SCP_PATH))
        self.assertEqual(policy["deploymentTargets"], {"organizationalUnits": ["Root"]})


if __name__ == "__main__":
    unittest.main()

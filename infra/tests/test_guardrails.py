"""The SCP and the Landing Zone Accelerator snippets agree with the templates."""

import json
import os
import unittest

import yaml

from . import cfn

SCP_PATH = os.path.join(cfn.INFRA_DIR, "scp", "runas-guard-document-guardrail.json")
LZA_CUSTOMIZATIONS = os.path.join(cfn.INFRA_DIR, "lza", "customizations-config.yaml")
LZA_ORGANIZATION = os.path.join(cfn.INFRA_DIR, "lza", "organization-config.yaml")

DENIED_ACTIONS = {"ssm:UpdateDocument", "ssm:UpdateDocumentDefaultVersion", "ssm:DeleteDocument", "ssm:CreateDocument"}
EXEMPT_PRINCIPALS = [
    "arn:aws:iam::*:role/RunAsGuardExecution",
    "arn:aws:iam::*:role/AWSControlTowerExecution",
    "arn:aws:iam::*:role/OrganizationAccountAccessRole",
    "arn:aws:iam::*:role/AWSAccelerator*",
]
# Fields of LZA's ICloudFormationStackSet / IServiceControlPolicyConfig.
STACKSET_FIELDS = {"administrationRoleArn", "capabilities", "dependsOn", "deploymentTargets", "description",
                   "executionRoleName", "name", "operationPreferences", "parameters", "regions", "template"}
OPERATION_PREFERENCE_FIELDS = {"failureToleranceCount", "failureTolerancePercentage", "maxConcurrentCount",
                               "maxConcurrentPercentage", "regionConcurrencyType", "regionOrder"}
SCP_FIELDS = {"name", "description", "policy", "type", "strategy", "deploymentTargets"}


class ScpTests(cfn.TemplateTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with open(SCP_PATH, encoding="utf-8") as handle:
            cls.text = handle.read()
        cls.scp = json.loads(cls.text)  # strict JSON: no comments

    def test_denies_the_four_writes_on_the_document_only(self):
        self.assertEqual(self.scp["Version"], "2012-10-17")
        (statement,) = self.scp["Statement"]
        self.assertEqual(statement["Effect"], "Deny")
        self.assertEqual(set(statement["Action"]), DENIED_ACTIONS)
        self.assertEqual(statement["Resource"], "arn:aws:ssm:*:*:document/SSM-SessionManagerRunShell")

    def test_exceptions(self):
        (statement,) = self.scp["Statement"]
        self.assertEqual(list(statement["Condition"]), ["ArnNotLike"])
        self.assertEqual(statement["Condition"]["ArnNotLike"]["aws:PrincipalArn"], EXEMPT_PRINCIPALS)

    def test_exceptions_cover_the_roles_the_hub_assumes(self):
        member_role = self.member["Parameters"]["MemberRoleName"]["Default"]
        self.assertIn(f"arn:aws:iam::*:role/{member_role}", EXEMPT_PRINCIPALS)
        (statement,) = [s for p in self.hub["Resources"]["HubRole"]["Properties"]["Policies"]
                        for s in cfn.statements(p["PolicyDocument"]) if s["Action"] == "sts:AssumeRole"]
        for resource in statement["Resource"]:
            role_name = resource["Fn::Sub"].rsplit("/", 1)[1].replace("${MemberRoleName}", member_role)
            self.assertIn(f"arn:aws:iam::*:role/{role_name}", EXEMPT_PRINCIPALS)

    def test_fits_the_scp_size_limit(self):
        self.assertLess(len(self.text), 5120)


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

"""The operator's seat: infra/member.yaml's optional read-only role.

`runas-guard why`, `doctor --account` and `reconcile --dry-run` run with
on-call's own credentials, and the member role trusts only the hub role. With
OperatorPrincipals set, the member stack's RoleRegion instance creates
OperatorRoleName (default RunAsGuardOperatorRead), which:

- trusts exactly the principals OperatorPrincipals names (``aws:PrincipalArn``
  with ArnLike: role ARNs, or an IAM Identity Center permission set's role
  pattern, which must admit the role's path with the home region's segment
  and without one, as Identity Center makes it for an instance whose home
  region is us-east-1) that are in the organization OrganizationId names
  (``aws:PrincipalOrgID``): both must hold, evaluated here on concrete callers
  with IAM's semantics for those two keys (IAM User Guide, "AWS global
  condition context keys": for a role session ``aws:PrincipalArn`` is the
  role's ARN, path included; ``aws:PrincipalOrgID`` is the caller's
  organization, absent outside one);
- grants only reads, and only those the three commands make
  (test_necessity.py, role ``operator``): any write is refused, and it reads
  nothing the member role cannot;
- is not created without OperatorPrincipals, and the stack refuses
  OperatorPrincipals without OrganizationId (a Rule), or an OperatorRoleName
  equal to MemberRoleName.
"""

import fnmatch
import os
import re
import unittest

from . import cfn
from .test_member_policy import HUB_ACCOUNT, MEMBER_ACCOUNT, PARAMETERS, allows

ORG = "o-a1b2c3d4e5"
SSO_PATTERN = "arn:aws:iam::*:role/aws-reserved/sso.amazonaws.com/*AWSReservedSSO_RunAsGuardOperator_*"
# Identity Center's two role paths (IAM Identity Center User Guide,
# "Referencing permission sets in resource policies"): with the home
# region's segment, and, for an instance whose home region is us-east-1,
# without one. On-call signs in to the hub account (where the operator
# policy gives it the hub's reads) and assumes the seat from there.
REGIONAL = f"arn:aws:iam::{HUB_ACCOUNT}:role/aws-reserved/sso.amazonaws.com/eu-west-1/"
US_EAST_1 = f"arn:aws:iam::{HUB_ACCOUNT}:role/aws-reserved/sso.amazonaws.com/"
OPERATOR_SET = "AWSReservedSSO_RunAsGuardOperator_0a1b2c3d4e5f6789"
# The files that show an OperatorPrincipals value to copy.
DOCUMENTED = ["docs/deploy.md", "docs/operate.md", "docs/deploy-lza.md", "infra/docs/deploy.md",
              "infra/docs/parameters.md", "infra/member.yaml", "infra/lza/customizations-config.yaml",
              "infra/lza/README.md"]
# A permission set's role pattern as the docs write it: an ARN naming
# AWSReservedSSO_ with a wildcard (a concrete role ARN is no pattern).
DOCUMENTED_PATTERN = re.compile(r"arn:aws[a-z-]*:iam::[0-9*]+:role/[A-Za-z0-9+=.@_/*?-]*AWSReservedSSO_[A-Za-z0-9+=.@_/*?-]*")
ONCALL = "arn:aws:iam::222233334444:role/oncall"
SEATED = dict(PARAMETERS, OperatorPrincipals=f"{SSO_PATTERN},{ONCALL}", OrganizationId=ORG)
READ_PREFIXES = ("Describe", "Get", "List")

# Values OperatorPrincipals must accept, and refuse (anything that is not a
# list of IAM role or user ARNs: spaces, quotes, empty items, STS session
# ARNs, which are never a role's aws:PrincipalArn, a bare "*").
ADMITTED = ["", SSO_PATTERN, ONCALL, f"{SSO_PATTERN},{ONCALL}", "arn:aws:iam::123456789012:user/ops/alice",
            "arn:aws-us-gov:iam::*:role/aws-reserved/sso.amazonaws.com/*AWSReservedSSO_Ops_*",
            "arn:aws:iam::*:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Ops_*",
            "arn:aws:iam::123456789012:role/on-call?"]
REFUSED = ["*", "arn:aws:iam::*:*", f"{SSO_PATTERN},", f",{ONCALL}", f"{SSO_PATTERN}, {ONCALL}", f" {ONCALL}",
           f'"{ONCALL}"', "arn:aws:sts::123456789012:assumed-role/oncall/alice", "arn:aws:iam::12345:role/x",
           "arn:aws:iam::123456789012:group/ops", "arn:aws:iam::123456789012:role/", "oncall",
           f"{ONCALL}\n", "arn:aws:iam::123456789012:role/a b", "arn:aws:iam::123456789012:role/${aws:username}",
           "arn:aws:iam::123456789012:root"]


def _arn_like(pattern, arn):
    """IAM's ArnLike: each of the six colon-separated parts matched alone,
    ``*`` and ``?`` as wildcards within it (IAM User Guide, "ARN condition
    operators")."""
    pattern_parts, arn_parts = pattern.split(":", 5), arn.split(":", 5)
    return (len(pattern_parts) == 6 and len(arn_parts) == 6
            and all(fnmatch.fnmatchcase(a, p.replace("[", "[[]")) for p, a in zip(pattern_parts, arn_parts)))


def _principal_accounts(principal):
    """The accounts a trust statement's ``Principal`` names: ``{"AWS": ...}``
    with 12-digit account ids or ``arn:<partition>:iam::<id>:root`` (IAM
    User Guide, "AWS JSON policy elements: Principal": both stand for the
    account's principals). Anything else raises."""
    if not isinstance(principal, dict) or set(principal) != {"AWS"}:
        raise ValueError(f"not implemented: Principal {principal!r}")
    accounts = set()
    for name in cfn.as_list(principal["AWS"]):
        match = re.fullmatch(r"([0-9]{12})|arn:aws[a-z-]*:iam::([0-9]{12}):root", name)
        if not match:
            raise ValueError(f"not implemented: principal {name!r}")
        accounts.add(match.group(1) or match.group(2))
    return accounts


def trusts(trust, principal_arn, org_id, action="sts:AssumeRole"):
    """Whether ``trust`` lets a caller whose aws:PrincipalArn is
    ``principal_arn`` (a role or user ARN: its account is the caller's) in
    organization ``org_id`` (``None``: none) do ``action``. Only what the
    operator role's trust uses is implemented (Principal AWS naming
    accounts, ArnLike on aws:PrincipalArn, StringEquals on
    aws:PrincipalOrgID); anything else raises. The caller's own policies
    are taken to allow the action."""
    context = {"aws:principalarn": principal_arn, "aws:principalorgid": org_id}
    account = principal_arn.split(":")[4]
    for statement in cfn.statements(trust):
        if statement["Effect"] != "Allow":
            raise ValueError(f"not implemented: {statement}")
        if account not in _principal_accounts(statement["Principal"]):
            continue
        if action not in cfn.as_list(statement["Action"]):
            continue
        holds = True
        for operator, keys in statement["Condition"].items():
            for key, values in keys.items():
                actual = context.get(key.lower())
                if operator == "ArnLike" and key == "aws:PrincipalArn":
                    holds &= any(_arn_like(v, actual) for v in cfn.as_list(values))
                elif operator == "StringEquals" and key == "aws:PrincipalOrgID":
                    holds &= actual is not None and actual in cfn.as_list(values)
                else:
                    raise ValueError(f"condition {operator} {key} is not implemented")
        if holds:
            return True
    return False


class OperatorRoleTests(cfn.TemplateTestCase):

    def operator(self, account=MEMBER_ACCOUNT, region="us-east-1", **overrides):
        stack = cfn.Stack(self.member, dict(SEATED, **overrides), account, region)
        self.assertTrue(stack.condition("CreateOperatorRole"))
        return stack.resolve(self.member["Resources"]["OperatorRole"]["Properties"])

    def statements(self, **overrides):
        found = []
        for policy in self.operator(**overrides)["Policies"]:
            found.extend(cfn.statements(policy["PolicyDocument"]))
        return found

    def test_made_only_with_principals_and_only_in_role_region(self):
        def created(region, **parameters):
            conditions = cfn.evaluate_conditions(self.member, parameters, MEMBER_ACCOUNT, region)
            return "OperatorRole" in cfn.created_resources(self.member, conditions)

        self.assertFalse(created("us-east-1", **PARAMETERS), "off by default")
        self.assertTrue(created("us-east-1", **SEATED))
        self.assertFalse(created("eu-west-1", **SEATED), "IAM is global: RoleRegion's instance only")
        self.assertTrue(created("eu-west-1", **dict(SEATED, RoleRegion="eu-west-1")))
        output = self.member["Outputs"]["OperatorRoleArn"]
        self.assertEqual(output["Condition"], "CreateOperatorRole")
        self.assertEqual(self.member["Parameters"]["OperatorRoleName"]["Default"], "RunAsGuardOperatorRead")

    def test_the_stack_refuses_principals_without_the_organization_and_the_member_roles_name(self):
        rules = self.member["Rules"]
        needs = rules["OperatorRoleNeedsOrganization"]
        self.assertEqual(needs["RuleCondition"], {"Fn::Not": [{"Fn::Equals": [{"Ref": "OperatorPrincipals"}, ""]}]})
        self.assertEqual(needs["Assertions"][0]["Assert"],
                         {"Fn::Not": [{"Fn::Equals": [{"Ref": "OrganizationId"}, ""]}]})
        other = rules["OperatorRoleIsNotTheMemberRole"]["Assertions"][0]["Assert"]
        self.assertEqual(other, {"Fn::Not": [{"Fn::Equals": [{"Ref": "OperatorRoleName"},
                                                             {"Ref": "MemberRoleName"}]}]})
        pattern = self.member["Parameters"]["OrganizationId"]["AllowedPattern"]
        for good in ["", ORG, "o-" + "a" * 32]:
            self.assertIsNotNone(re.fullmatch(pattern, good), good)
        for bad in ["o-", "o-ABCDEFGHIJ", "o-a1b2c3d4e5,o-b", "*", " o-a1b2c3d4e5"]:
            self.assertIsNone(re.fullmatch(pattern, bad), bad)

    def test_principals_are_role_or_user_arns_only(self):
        pattern = self.member["Parameters"]["OperatorPrincipals"]["AllowedPattern"]
        for value in ADMITTED:
            with self.subTest(value=value):
                self.assertIsNotNone(re.fullmatch(pattern, value))
        for value in REFUSED:
            with self.subTest(value=value):
                self.assertIsNone(re.fullmatch(pattern, value))

    def test_trust_names_accounts_never_everyone(self):
        # The hub account by default: where on-call signs in.
        (statement,) = cfn.statements(self.operator()["AssumeRolePolicyDocument"])
        self.assertEqual(statement["Principal"], {"AWS": f"arn:aws:iam::{HUB_ACCOUNT}:root"})
        self.assertEqual(set(statement["Condition"]), {"ArnLike", "StringEquals"})
        # OperatorAccountIds: exactly those accounts, the hub's only if named.
        (statement,) = cfn.statements(self.operator(OperatorAccountIds="222233334444,555566667777")[
            "AssumeRolePolicyDocument"])
        self.assertEqual(statement["Principal"], {"AWS": ["222233334444", "555566667777"]})
        # In another partition the default names that partition's account.
        stack = cfn.Stack(self.member, SEATED, MEMBER_ACCOUNT, "us-gov-west-1", partition="aws-us-gov")
        trust = stack.resolve(self.member["Resources"]["OperatorRole"]["Properties"])["AssumeRolePolicyDocument"]
        self.assertEqual(cfn.statements(trust)[0]["Principal"], {"AWS": f"arn:aws-us-gov:iam::{HUB_ACCOUNT}:root"})

    def test_operator_account_ids_are_account_ids_only(self):
        pattern = self.member["Parameters"]["OperatorAccountIds"]["AllowedPattern"]
        max_length = self.member["Parameters"]["OperatorAccountIds"]["MaxLength"]
        twenty = ",".join(f"{n:012d}" for n in range(1, 21))
        for value in ["", HUB_ACCOUNT, f"{HUB_ACCOUNT},222233334444", twenty]:
            with self.subTest(value=value):
                self.assertIsNotNone(re.fullmatch(pattern, value))
                self.assertLessEqual(len(value), max_length)
        self.assertGreater(len(twenty + ",000000000021"), max_length, "at most 20 accounts")
        for value in ["*", f"{HUB_ACCOUNT},", f",{HUB_ACCOUNT}", f"{HUB_ACCOUNT}, 222233334444",
                      f"arn:aws:iam::{HUB_ACCOUNT}:root", "12345678901", "1234567890123", f"{HUB_ACCOUNT}\n",
                      f'"{HUB_ACCOUNT}"']:
            with self.subTest(value=value):
                self.assertIsNone(re.fullmatch(pattern, value))

    def test_trust_admits_the_named_principals_of_the_organization_and_nobody_else(self):
        member_set = f"arn:aws:iam::{MEMBER_ACCOUNT}:role/aws-reserved/sso.amazonaws.com/" + OPERATOR_SET
        # (caller, organization, admitted with the default (the hub
        # account), admitted with OperatorAccountIds naming the hub and
        # on-call's own account 222233334444)
        rows = [
            # The permission set's role in the hub, in both of Identity Center's forms.
            (REGIONAL + OPERATOR_SET, ORG, True, True),
            (US_EAST_1 + OPERATOR_SET, ORG, True, True),
            # The same permission set's role in an account the Principal
            # does not name: a member account of the organization.
            (member_set, ORG, False, False),
            # A named role of an account OperatorAccountIds names.
            (ONCALL, ORG, False, True),
            # Named, but not of this organization, or of none, in either form.
            (REGIONAL + OPERATOR_SET, "o-zzzzzzzzzz", False, False),
            (US_EAST_1 + OPERATOR_SET, "o-zzzzzzzzzz", False, False),
            (US_EAST_1 + OPERATOR_SET, None, False, False),
            (ONCALL, None, False, False),
            # Of the organization, not named, in either form.
            (REGIONAL + "AWSReservedSSO_Developer_0a1b2c3d4e5f6789", ORG, False, False),
            (US_EAST_1 + "AWSReservedSSO_Developer_0a1b2c3d4e5f6789", ORG, False, False),
            (US_EAST_1 + "AWSReservedSSO_RunAsGuardOperatorX_0a1b2c3d4e5f6789", ORG, False, False),
            ("arn:aws:iam::222233334444:role/oncall-2", ORG, False, False),
            ("arn:aws:iam::999988887777:role/oncall", ORG, False, False),
            # Outside Identity Center's reserved path.
            (f"arn:aws:iam::{HUB_ACCOUNT}:role/aws-reserved/AWSReservedSSO_RunAsGuardOperator_0a1b", ORG, False, False),
            # The permission set's name without the reserved path is another role.
            (f"arn:aws:iam::{HUB_ACCOUNT}:role/AWSReservedSSO_RunAsGuardOperator_0a1b", ORG, False, False),
            (f"arn:aws:iam::{HUB_ACCOUNT}:user/AWSReservedSSO_RunAsGuardOperator_0a1b", ORG, False, False),
            (f"arn:aws:iam::{HUB_ACCOUNT}:role/RunAsGuardHub", ORG, False, False),
        ]
        hub_only = self.operator()["AssumeRolePolicyDocument"]
        named = self.operator(OperatorAccountIds=f"{HUB_ACCOUNT},222233334444")["AssumeRolePolicyDocument"]
        for arn, org, by_default, with_accounts in rows:
            with self.subTest(arn=arn, org=org):
                self.assertEqual(trusts(hub_only, arn, org), by_default)
                self.assertEqual(trusts(named, arn, org), with_accounts)
        # A source identity set at sign-in is kept through this role.
        self.assertTrue(trusts(hub_only, US_EAST_1 + OPERATOR_SET, ORG, "sts:SetSourceIdentity"))
        self.assertFalse(trusts(hub_only, US_EAST_1 + OPERATOR_SET, ORG, "sts:TagSession"))

    def test_trust_evaluator_reads_principals_as_iam_does(self):
        self.assertEqual(_principal_accounts({"AWS": ["111122223333", "arn:aws-cn:iam::444455556666:root"]}),
                         {"111122223333", "444455556666"})
        for principal in ("*", {"AWS": "*"}, {"AWS": ["111122223333", "*"]}, {"Service": "lambda.amazonaws.com"},
                          {"AWS": "arn:aws:iam::111122223333:role/x"}):
            with self.subTest(principal=principal), self.assertRaises(ValueError):
                _principal_accounts(principal)

    def test_it_only_reads(self):
        for check in ("Disabled", "Enabled"):
            statements = self.statements(RunAsUserCheck=check)
            actions = {a for s in statements for a in cfn.as_list(s["Action"])}
            for action in actions:
                with self.subTest(check=check, action=action):
                    self.assertNotIn("*", action)
                    self.assertTrue(action.split(":", 1)[1].startswith(READ_PREFIXES), action)
            self.assertTrue(all(s["Effect"] == "Allow" and "Condition" not in s for s in statements))
            self.assertEqual(any(a.startswith("ssm:DescribeAssociation") for a in actions), check == "Enabled")

    def test_writes_are_refused_and_nothing_is_read_that_the_member_role_cannot(self):
        statements = self.statements(RunAsUserCheck="Enabled")
        stack = cfn.Stack(self.member, dict(SEATED, RunAsUserCheck="Enabled"), MEMBER_ACCOUNT, "us-east-1")
        member = []
        for policy in stack.resolve(self.member["Resources"]["ExecutionRole"]["Properties"])["Policies"]:
            member.extend(cfn.statements(policy["PolicyDocument"]))

        def arn(service, resource, account=MEMBER_ACCOUNT, region="eu-west-1"):
            return f"arn:aws:{service}:{'' if service == 'iam' else region}:{account}:{resource}"

        document = arn("ssm", "document/SSM-SessionManagerRunShell")
        association = arn("ssm", "association/0a1b2c3d-1111-2222-3333-444455556666")
        reads = [
            ("ssm:GetDocument", document), ("ssm:DescribeDocument", document),
            ("ssm:GetDocument", arn("ssm", "document/SSMRunAs-Admin")),
            ("iam:ListRoleTags", arn("iam", "role/ops")), ("iam:ListUserTags", arn("iam", "user/alice")),
            ("ssm:DescribeAssociation", association), ("ssm:ListAssociations", "*"),
            ("ssm:DescribeInstanceAssociationsStatus", "*"), ("ssm:DescribeInstanceInformation", "*"),
        ]
        for action, resource in reads:
            with self.subTest(action=action, resource=resource):
                self.assertTrue(allows(statements, MEMBER_ACCOUNT, action, resource))
                context = {"aws:ResourceTag/runas-guard:managed": "true", "aws:TagKeys": []}
                self.assertTrue(allows(member, MEMBER_ACCOUNT, action, resource, context),
                                "the member role reads it too")
        writes = [
            ("ssm:UpdateDocument", document), ("ssm:CreateDocument", document),
            ("ssm:UpdateDocumentDefaultVersion", document), ("ssm:DeleteDocument", document),
            ("ssm:AddTagsToResource", document), ("ssm:CreateAssociation", association),
            ("ssm:UpdateAssociation", association), ("ssm:DeleteAssociation", association),
            ("iam:TagRole", arn("iam", "role/ops")), ("ssm:ListDocumentVersions", document),
            ("ssm:ListDocuments", "*"), ("iam:ListRoles", "*"),
            # Another account's document: its own account only.
            ("ssm:GetDocument", arn("ssm", "document/SSM-SessionManagerRunShell", account="444455556666")),
        ]
        for action, resource in writes:
            with self.subTest(action=action, resource=resource):
                self.assertFalse(allows(statements, MEMBER_ACCOUNT, action, resource))

    def test_the_documented_pattern_admits_both_role_forms(self):
        for prefix in (REGIONAL, US_EAST_1):
            with self.subTest(role=prefix + OPERATOR_SET):
                self.assertTrue(_arn_like(SSO_PATTERN, prefix + OPERATOR_SET))
        # A pattern that needs the region segment refuses every role of a
        # us-east-1 instance: what the documented pattern used to be.
        needs_region = "arn:aws:iam::*:role/aws-reserved/sso.amazonaws.com/*/AWSReservedSSO_RunAsGuardOperator_*"
        self.assertTrue(_arn_like(needs_region, REGIONAL + OPERATOR_SET))
        self.assertFalse(_arn_like(needs_region, US_EAST_1 + OPERATOR_SET))
        # Listing both forms explicitly admits the same two roles.
        both = ["arn:aws:iam::*:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_RunAsGuardOperator_*",
                "arn:aws:iam::*:role/aws-reserved/sso.amazonaws.com/*/AWSReservedSSO_RunAsGuardOperator_*"]
        for prefix in (REGIONAL, US_EAST_1):
            self.assertTrue(any(_arn_like(p, prefix + OPERATOR_SET) for p in both))

    def test_every_documented_permission_set_pattern_admits_both_role_forms(self):
        found = []
        for path in DOCUMENTED:
            full = os.path.join(cfn.REPO_ROOT, path)
            if not os.path.exists(full):
                continue
            with open(full, encoding="utf-8") as handle:
                text = handle.read()
            for pattern in DOCUMENTED_PATTERN.findall(text):
                if "*" not in pattern.split(":", 5)[5]:
                    continue
                found.append((path, pattern))
                partition = pattern.split(":")[1]
                for prefix in (REGIONAL, US_EAST_1):
                    role = prefix.replace("arn:aws:", f"arn:{partition}:") + "AWSReservedSSO_" + \
                        pattern.rsplit("AWSReservedSSO_", 1)[1].replace("*", "0a1b2c3d")
                    with self.subTest(path=path, pattern=pattern, role=role):
                        self.assertTrue(_arn_like(pattern, role), f"{path}: {pattern} refuses {role}")
        documented = {path for path, _ in found}
        for path in ("docs/deploy.md", "docs/operate.md", "infra/docs/deploy.md", "infra/docs/parameters.md",
                     "infra/member.yaml"):
            self.assertIn(path, documented, f"{path} shows no permission set pattern")

    def test_trust_evaluator_follows_arn_like(self):
        self.assertTrue(_arn_like("arn:aws:iam::*:role/a/*/B_*", "arn:aws:iam::1:role/a/x/y/B_c"))
        self.assertFalse(_arn_like("arn:aws:iam::*:role/B_*", "arn:aws:iam::1:role/a/B_c"))
        self.assertFalse(_arn_like("arn:aws:iam::1:role/x", "arn:aws:iam::1:role/x2"))
        self.assertFalse(_arn_like("arn:aws:iam::1:role/x", "arn:aws:sts::1:assumed-role/x/s"))
        self.assertTrue(_arn_like("arn:aws:iam::1:role/x?", "arn:aws:iam::1:role/xy"))


if __name__ == "__main__":
    unittest.main()

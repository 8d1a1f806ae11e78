"""Evaluate every statement of the SCPs in infra/scp/ on concrete requests.

Each scenario is one request a principal in a member account could make (who,
which action, on which resources, with which request context) and the exact
set of statements (by Sid) that must deny it; an empty set means the SCPs let
it through. The scenarios are every way around runas-guard that the SCPs are
meant to stop (infra/docs/threat-model.md), made by a member account's
administrators, and the calls runas-guard's own roles, the StackSet execution
roles, Landing Zone Accelerator and Control Tower must still be able to make.

The evaluator below is deliberately small. It implements IAM's evaluation of
Deny statements for exactly the policy language these SCPs use:

* **Effect** ``Deny`` only. (An SCP ``Allow`` is an allow-list: modelling it
  would need the rest of the organization's SCPs; none is used here.)
* **Action** / **NotAction** - action names, matched case-insensitively, with
  ``*`` (any characters) and ``?`` (one character).
* **Resource** / **NotResource** - ``"*"``, or ARNs matched the way IAM does:
  split into their six colon-separated parts (``arn``, partition, service,
  region, account, resource), each part compared separately and
  case-sensitively, with ``*`` and ``?`` wildcards that never cross a colon
  but do cross a ``/`` (so ``role/AWSAccelerator*`` also matches
  ``role/AWSAcceleratorX/Evil``, a role named ``Evil`` at path
  ``/AWSAcceleratorX/``: the reason the SCPs anchor their wildcard
  exemptions). An empty part (the account of an AWS-owned document,
  ``arn:aws:ssm:us-east-1::document/AWS-...``) is matched by ``*``. A request
  names every resource it touches (``ssm:StartSession``: the node, and the
  session document when one is named); a statement denies the request when it
  applies to any of them.
* **Condition** - all operators must hold (and, within one operator, all
  keys); for one key, a list of values is "any of them". Operators:

  - ``ArnLike`` - the key's value matches one of the patterns (ARN part by
    part, as above); false when the key is absent.
  - ``ArnNotLike`` - the key's value matches none of the patterns; true when
    the key is absent (IAM's rule for negated operators).
  - ``ForAnyValue:StringEqualsIgnoreCase`` - at least one of the key's values
    (a multivalued key such as ``aws:TagKeys``) equals one of the patterns,
    ignoring case; false when the key is absent or empty.
  - ``StringEquals`` - the key's (single) value equals one of the patterns,
    case-sensitively; false when the key is absent (so a Deny on it does not
    apply to a request that lacks the key).

  Condition key names are case-insensitive, as in IAM. A tag of the resource
  (``aws:ResourceTag/<key>``) is one more key of the request's context: the
  scenarios give it for the association they name, the only resource type the
  statement that reads it (11) applies to, so one context per request is
  enough.

Any other element, operator, effect or value type raises
``UnsupportedPolicy``, and every policy is validated whole before it is
evaluated, so an SCP change that uses other syntax fails here loudly instead
of being judged by an evaluator that does not understand it.
"""

import glob
import json
import os
import re
import unittest

from . import cfn

SCP_DIR = os.path.join(cfn.INFRA_DIR, "scp")

OPERATORS = ("ArnLike", "ArnNotLike", "ForAnyValue:StringEqualsIgnoreCase", "StringEquals")
STATEMENT_KEYS = {"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition"}


class UnsupportedPolicy(ValueError):
    """The policy uses language this evaluator does not implement."""


def _strings(value, where):
    values = value if isinstance(value, list) else [value]
    if not values or not all(isinstance(v, str) for v in values):
        raise UnsupportedPolicy(f"{where}: expected a string or a non-empty list of strings, got {value!r}")
    return values


def validate(policy):
    if not isinstance(policy, dict) or set(policy) != {"Version", "Statement"}:
        raise UnsupportedPolicy(f"a policy has exactly Version and Statement, got {policy!r}")
    if policy["Version"] != "2012-10-17":
        raise UnsupportedPolicy(f"Version must be 2012-10-17, got {policy['Version']!r}")
    statements = policy["Statement"]
    if not isinstance(statements, list) or not statements:
        raise UnsupportedPolicy("Statement must be a non-empty list")
    for statement in statements:
        where = statement.get("Sid", "<no Sid>") if isinstance(statement, dict) else repr(statement)
        if not isinstance(statement, dict) or not set(statement) <= STATEMENT_KEYS:
            raise UnsupportedPolicy(f"{where}: unsupported statement elements {statement!r}")
        if statement.get("Effect") != "Deny":
            raise UnsupportedPolicy(f"{where}: only Deny statements are implemented")
        if ("Action" in statement) == ("NotAction" in statement):
            raise UnsupportedPolicy(f"{where}: exactly one of Action / NotAction")
        if ("Resource" in statement) == ("NotResource" in statement):
            raise UnsupportedPolicy(f"{where}: exactly one of Resource / NotResource")
        _strings(statement.get("Action", statement.get("NotAction")), where)
        for pattern in _strings(statement.get("Resource", statement.get("NotResource")), where):
            if pattern != "*" and len(pattern.split(":", 5)) != 6:
                raise UnsupportedPolicy(f"{where}: {pattern!r} is neither '*' nor an ARN")
        condition = statement.get("Condition", {})
        if not isinstance(condition, dict):
            raise UnsupportedPolicy(f"{where}: Condition must be an object")
        for operator, keys in condition.items():
            if operator not in OPERATORS:
                raise UnsupportedPolicy(f"{where}: condition operator {operator!r} is not implemented "
                                        f"(implemented: {', '.join(OPERATORS)})")
            if not isinstance(keys, dict) or not keys:
                raise UnsupportedPolicy(f"{where}: {operator} needs an object of condition keys")
            for key, values in keys.items():
                _strings(values, f"{where}: {operator} {key}")


def _glob(pattern, text, ignore_case=False):
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, text, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL) is not None


def action_matches(pattern, action):
    return _glob(pattern, action, ignore_case=True)


def arn_matches(pattern, arn):
    if pattern == "*":
        return True
    pattern_parts, arn_parts = pattern.split(":", 5), arn.split(":", 5)
    if len(pattern_parts) != 6 or len(arn_parts) != 6:
        return False
    return all(_glob(p, a) for p, a in zip(pattern_parts, arn_parts))


def _condition_holds(operator, key, patterns, context):
    context = {name.lower(): value for name, value in context.items()}
    present = key.lower() in context
    actual = context.get(key.lower())
    actual = actual if isinstance(actual, list) else [actual]
    patterns = patterns if isinstance(patterns, list) else [patterns]
    if operator == "ArnLike":
        return present and any(arn_matches(p, a) for p in patterns for a in actual)
    if operator == "ArnNotLike":
        return not present or not any(arn_matches(p, a) for p in patterns for a in actual)
    if operator == "ForAnyValue:StringEqualsIgnoreCase":
        return present and any(a.casefold() == p.casefold() for p in patterns for a in actual)
    if operator == "StringEquals":
        return present and any(a == p for p in patterns for a in actual)
    raise UnsupportedPolicy(operator)


def _applies(statement, action, resource, context):
    if "Action" in statement:
        if not any(action_matches(p, action) for p in _strings(statement["Action"], "Action")):
            return False
    elif any(action_matches(p, action) for p in _strings(statement["NotAction"], "NotAction")):
        return False
    if "Resource" in statement:
        if not any(arn_matches(p, resource) for p in _strings(statement["Resource"], "Resource")):
            return False
    elif any(arn_matches(p, resource) for p in _strings(statement["NotResource"], "NotResource")):
        return False
    return all(_condition_holds(operator, key, values, context)
               for operator, keys in statement.get("Condition", {}).items()
               for key, values in keys.items())


def denying_statements(policies, action, resources, context):
    """Sids of every statement of ``policies`` that denies ``action`` on any of ``resources``."""
    for policy in policies:
        validate(policy)
    return {statement["Sid"]
            for policy in policies for statement in policy["Statement"]
            for resource in resources if _applies(statement, action, resource, context)}


def load_scps():
    """Every infra/scp/*.json as (file name, raw text, parsed policy)."""
    found = []
    for path in sorted(glob.glob(os.path.join(SCP_DIR, "*.json"))):
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        found.append((os.path.basename(path), text, json.loads(text)))
    return found


class EvaluatorTests(unittest.TestCase):
    """The evaluator itself, on hand-made statements."""

    @staticmethod
    def deny(**statement):
        return {"Version": "2012-10-17", "Statement": [dict({"Sid": "S", "Effect": "Deny"}, **statement)]}

    def check(self, policy, action, resources, context=None):
        return denying_statements([policy], action, resources, context or {}) == {"S"}

    def test_actions_are_case_insensitive_globs(self):
        policy = self.deny(Action=["iam:Tag*"], Resource="*")
        self.assertTrue(self.check(policy, "iam:TagRole", ["*"]))
        self.assertTrue(self.check(policy, "IAM:tagrole", ["*"]))
        self.assertFalse(self.check(policy, "iam:UntagRole", ["*"]))
        not_action = self.deny(NotAction="ssm:Get*", Resource="*")
        self.assertTrue(self.check(not_action, "ssm:UpdateDocument", ["*"]))
        self.assertFalse(self.check(not_action, "ssm:GetDocument", ["*"]))

    def test_arns_match_part_by_part(self):
        self.assertTrue(arn_matches("arn:aws:iam::*:role/A*", "arn:aws:iam::111122223333:role/AB"))
        # Within a part a wildcard crosses "/" (a role path) ...
        self.assertTrue(arn_matches("arn:aws:iam::*:role/A*", "arn:aws:iam::111122223333:role/AX/Evil"))
        self.assertTrue(arn_matches("arn:aws:iam::*:role/*Name", "arn:aws:iam::111122223333:role/p/q/Name"))
        # ... but never ":" and never into another part.
        self.assertFalse(arn_matches("arn:aws:iam::*:role/A", "arn:aws:iam::111122223333:role/A:x"))
        self.assertFalse(arn_matches("arn:aws:iam::1*:role/A", "arn:aws:iam::211122223333:role/A"))
        self.assertFalse(arn_matches("arn:aws:iam::*:role/A", "arn:aws:iam::111122223333:user/A"))
        # Exact names are anchored: no path, no suffix.
        self.assertFalse(arn_matches("arn:aws:iam::*:role/A", "arn:aws:iam::111122223333:role/p/A"))
        self.assertFalse(arn_matches("arn:aws:iam::*:role/A", "arn:aws:iam::111122223333:role/AB"))
        # Case-sensitive; "*" matches an empty part; "?" one character.
        self.assertFalse(arn_matches("arn:aws:iam::*:role/a", "arn:aws:iam::111122223333:role/A"))
        self.assertTrue(arn_matches("arn:aws:ssm:*:*:document/AWS-X", "arn:aws:ssm:us-east-1::document/AWS-X"))
        self.assertTrue(arn_matches("arn:aws:iam::*:role/A?", "arn:aws:iam::111122223333:role/AB"))
        self.assertFalse(arn_matches("arn:aws:iam::*:role/A?", "arn:aws:iam::111122223333:role/ABC"))
        self.assertTrue(arn_matches("*", "anything"))
        self.assertFalse(arn_matches("arn:aws:iam::*:role/*", "not-an-arn"))

    def test_resource_and_not_resource(self):
        policy = self.deny(Action="ssm:StartSession", NotResource=["arn:aws:ec2:*:*:instance/*"])
        instance = "arn:aws:ec2:us-east-1:111122223333:instance/i-1"
        document = "arn:aws:ssm:us-east-1:111122223333:document/D"
        self.assertFalse(self.check(policy, "ssm:StartSession", [instance]))
        # Any one resource of the request is enough.
        self.assertTrue(self.check(policy, "ssm:StartSession", [instance, document]))
        only = self.deny(Action="ssm:StartSession", Resource=[document])
        self.assertTrue(self.check(only, "ssm:StartSession", [instance, document]))
        self.assertFalse(self.check(only, "ssm:StartSession", [instance]))

    def test_arn_like_and_not_like(self):
        like = self.deny(Action="*", Resource="*",
                         Condition={"ArnLike": {"aws:PrincipalArn": ["arn:aws:iam::*:role/A*/*", "arn:aws:iam::*:role/B"]}})
        self.assertTrue(self.check(like, "x:Y", ["*"], {"aws:PrincipalArn": "arn:aws:iam::1:role/A1/p"}))
        self.assertTrue(self.check(like, "x:Y", ["*"], {"aws:PrincipalArn": "arn:aws:iam::1:role/B"}))
        self.assertFalse(self.check(like, "x:Y", ["*"], {"aws:PrincipalArn": "arn:aws:iam::1:role/A1"}))
        self.assertFalse(self.check(like, "x:Y", ["*"], {}))
        not_like = self.deny(Action="*", Resource="*",
                             Condition={"ArnNotLike": {"aws:PrincipalArn": ["arn:aws:iam::*:role/A*", "arn:aws:iam::*:role/B"]}})
        self.assertFalse(self.check(not_like, "x:Y", ["*"], {"aws:PrincipalArn": "arn:aws:iam::1:role/A1"}))
        self.assertFalse(self.check(not_like, "x:Y", ["*"], {"aws:PrincipalArn": "arn:aws:iam::1:role/B"}))
        self.assertTrue(self.check(not_like, "x:Y", ["*"], {"aws:PrincipalArn": "arn:aws:iam::1:role/C"}))
        self.assertTrue(self.check(not_like, "x:Y", ["*"], {"aws:PrincipalArn": "arn:aws:iam::1:root"}))
        self.assertTrue(self.check(not_like, "x:Y", ["*"], {}))  # negated operator, absent key
        # Condition key names are case-insensitive.
        self.assertFalse(self.check(not_like, "x:Y", ["*"], {"AWS:principalarn": "arn:aws:iam::1:role/B"}))

    def test_for_any_value_string_equals_ignore_case(self):
        policy = self.deny(Action="*", Resource="*",
                           Condition={"ForAnyValue:StringEqualsIgnoreCase": {"aws:TagKeys": ["K"]}})
        self.assertTrue(self.check(policy, "x:Y", ["*"], {"aws:TagKeys": ["a", "k"]}))
        self.assertFalse(self.check(policy, "x:Y", ["*"], {"aws:TagKeys": ["a", "kk"]}))
        self.assertFalse(self.check(policy, "x:Y", ["*"], {"aws:TagKeys": []}))
        self.assertFalse(self.check(policy, "x:Y", ["*"], {}))

    def test_string_equals(self):
        policy = self.deny(Action="*", Resource="*", Condition={"StringEquals": {"ssm:DocumentType": "Session"}})
        self.assertTrue(self.check(policy, "x:Y", ["*"], {"ssm:DocumentType": "Session"}))
        self.assertFalse(self.check(policy, "x:Y", ["*"], {"ssm:DocumentType": "session"}))  # case-sensitive
        self.assertFalse(self.check(policy, "x:Y", ["*"], {"ssm:DocumentType": "Command"}))
        self.assertFalse(self.check(policy, "x:Y", ["*"], {}))  # absent key: the Deny does not apply
        self.assertTrue(self.check(policy, "x:Y", ["*"], {"SSM:documenttype": "Session"}))  # key names: any case
        listed = self.deny(Action="*", Resource="*", Condition={"StringEquals": {"k": ["A", "B"]}})
        self.assertTrue(self.check(listed, "x:Y", ["*"], {"k": "B"}))

    def test_string_equals_on_a_resource_tag(self):
        # aws:ResourceTag/<key> is a key like any other; the tag key may hold
        # ":" and the value is compared case-sensitively.
        policy = self.deny(Action="ssm:UpdateAssociation", Resource="arn:aws:ssm:*:*:association/*",
                           Condition={"StringEquals": {"aws:ResourceTag/a:b": "true"}})
        association = "arn:aws:ssm:eu-west-1:111122223333:association/x"
        self.assertTrue(self.check(policy, "ssm:UpdateAssociation", [association], {"aws:ResourceTag/a:b": "true"}))
        self.assertFalse(self.check(policy, "ssm:UpdateAssociation", [association], {"aws:ResourceTag/a:b": "True"}))
        self.assertFalse(self.check(policy, "ssm:UpdateAssociation", [association], {"aws:ResourceTag/a:c": "true"}))
        self.assertFalse(self.check(policy, "ssm:UpdateAssociation", [association], {}))  # untagged: not denied
        self.assertFalse(self.check(policy, "ssm:UpdateAssociation",
                                    ["arn:aws:ssm:eu-west-1:111122223333:document/x"], {"aws:ResourceTag/a:b": "true"}))

    def test_all_operators_must_hold(self):
        policy = self.deny(Action="*", Resource="*", Condition={
            "ForAnyValue:StringEqualsIgnoreCase": {"aws:TagKeys": ["K"]},
            "ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/Ok"},
        })
        self.assertTrue(self.check(policy, "x:Y", ["*"], {"aws:TagKeys": ["K"], "aws:PrincipalArn": "arn:aws:iam::1:role/No"}))
        self.assertFalse(self.check(policy, "x:Y", ["*"], {"aws:TagKeys": ["K"], "aws:PrincipalArn": "arn:aws:iam::1:role/Ok"}))
        self.assertFalse(self.check(policy, "x:Y", ["*"], {"aws:TagKeys": ["J"], "aws:PrincipalArn": "arn:aws:iam::1:role/No"}))

    def test_unsupported_language_raises(self):
        for statement in (
            {"Sid": "S", "Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Sid": "S", "Effect": "Deny", "Action": "*"},
            {"Sid": "S", "Effect": "Deny", "Action": "*", "NotAction": "x:Y", "Resource": "*"},
            {"Sid": "S", "Effect": "Deny", "Action": "*", "Resource": "*", "NotResource": "*"},
            {"Sid": "S", "Effect": "Deny", "Action": "*", "Resource": "*", "Principal": "*"},
            {"Sid": "S", "Effect": "Deny", "Action": [], "Resource": "*"},
            {"Sid": "S", "Effect": "Deny", "Action": "*", "Resource": "bucket/key"},
            {"Sid": "S", "Effect": "Deny", "Action": "*", "Resource": "*",
             "Condition": {"StringNotLike": {"aws:PrincipalArn": "x"}}},
            {"Sid": "S", "Effect": "Deny", "Action": "*", "Resource": "*",
             "Condition": {"ForAllValues:StringEquals": {"aws:TagKeys": "x"}}},
            {"Sid": "S", "Effect": "Deny", "Action": "*", "Resource": "*",
             "Condition": {"StringLike": {"ssm:DocumentType": "Sess*"}}},
            {"Sid": "S", "Effect": "Deny", "Action": "*", "Resource": "*",
             "Condition": {"StringEquals": {"ssm:DocumentType": ["Session", 1]}}},
            {"Sid": "S", "Effect": "Deny", "Action": "*", "Resource": "*",
             "Condition": {"ArnLike": {"aws:PrincipalArn": True}}},
            {"Sid": "S", "Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"ArnLike": {}}},
        ):
            with self.subTest(statement=statement), self.assertRaises(UnsupportedPolicy):
                denying_statements([{"Version": "2012-10-17", "Statement": [statement]}], "x:Y", ["*"], {})
        with self.assertRaises(UnsupportedPolicy):
            denying_statements([{"Version": "2008-10-17", "Statement": [{"Sid": "S", "Effect": "Deny",
                                                                          "Action": "*", "Resource": "*"}]}],
                               "x:Y", ["*"], {})


# ---------------------------------------------------------------------------
# Scenarios
# ---------------------------------------------------------------------------
MEMBER = "111122223333"
OTHER_ACCOUNT = "444455556666"


def role(name):
    return f"arn:aws:iam::{MEMBER}:role/{name}"


# Who asks.
ADMIN = role("Admin")
SSO_ADMIN = role("aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_AdministratorAccess_0a1b2c3d4e5f6a7b")
IAM_USER = f"arn:aws:iam::{MEMBER}:user/ops-bob"
ROOT = f"arn:aws:iam::{MEMBER}:root"
ADMINISTRATORS = {"an administrator role": ADMIN, "an Identity Center administrator": SSO_ADMIN,
                  "an IAM user": IAM_USER, "the root user": ROOT}
RUN_AS_GUARD = role("RunAsGuardExecution")
CONTROL_TOWER = role("AWSControlTowerExecution")
ORG_ACCESS = role("OrganizationAccountAccessRole")
LZA = role("AWSAccelerator-CustomizationsRole")
LZA_LOGGING = role("AWSAccelerator-LoggingStack-SessionManagerCustomRe-1A2B3C4D5E6F")
STACKSETS = role("stacksets-exec-9f86d081884c7d659a2feaa0c55ad015")
LZA_STACKSETS = role("AWSCloudFormationStackSetExecutionRole")
# Roles a member administrator made, at a path that starts like an exemption.
PATH_LZA = role("AWSAcceleratorX/Evil")
PATH_STACKSETS = role("stacksets-exec-x/Evil")

# What is asked for.
DOCUMENT = f"arn:aws:ssm:eu-west-1:{MEMBER}:document/SSM-SessionManagerRunShell"
# A per-permission-set document (policy [[document]], member.yaml
# NamedSessionDocuments) named by the SCPs' convention, SSMRunAs-<name>.
NAMED_PREFIX = "SSMRunAs-"
NAMED_DOCUMENT = f"arn:aws:ssm:eu-west-1:{MEMBER}:document/SSMRunAs-Admin"


def own_document(name):
    return f"arn:aws:ssm:eu-west-1:{MEMBER}:document/{name}"


# The run-as user check's Command document (member.yaml RunAsUserCheck) and
# one association (of it, or of another document: the ARN does not say).
CHECK_DOCUMENT = own_document("RunAsGuard-CheckRunAsUser")
ASSOCIATION = f"arn:aws:ssm:eu-west-1:{MEMBER}:association/8dfe3659-4309-493a-8755-0123456789ab"
ASSOCIATION_WRITES = ("ssm:CreateAssociation", "ssm:CreateAssociationBatch", "ssm:UpdateAssociation",
                      "ssm:DeleteAssociation")
# The tag runas-guard puts on the association it keeps (src/domain/nodes/mod.rs
# MANAGED_TAG_KEY / MANAGED_TAG_VALUE), as the association's own tag in a
# request's context, and what the optional SCP 11 denies on one that has it.
MANAGED_TAG_KEY = "runas-guard:managed"
TAGGED = {f"aws:ResourceTag/{MANAGED_TAG_KEY}": "true"}
TAGGED_ASSOCIATION_WRITES = ("ssm:UpdateAssociation", "ssm:DeleteAssociation", "ssm:AddTagsToResource",
                             "ssm:RemoveTagsFromResource")

DOCUMENT_WRITES = ("ssm:CreateDocument", "ssm:UpdateDocument", "ssm:UpdateDocumentDefaultVersion",
                   "ssm:DeleteDocument")
ROLE_CHANGES = ("iam:UpdateAssumeRolePolicy", "iam:DeleteRole", "iam:PutRolePolicy", "iam:DeleteRolePolicy",
                "iam:AttachRolePolicy", "iam:DetachRolePolicy", "iam:UpdateRole", "iam:PutRolePermissionsBoundary",
                "iam:DeleteRolePermissionsBoundary", "iam:CreateRole")
TAGGING = (("iam:TagRole", role("Admin")), ("iam:TagUser", f"arn:aws:iam::{MEMBER}:user/ops-bob"),
           ("iam:UntagRole", role("Admin")), ("iam:UntagUser", f"arn:aws:iam::{MEMBER}:user/ops-bob"),
           ("iam:CreateRole", role("NightShift")), ("iam:CreateUser", f"arn:aws:iam::{MEMBER}:user/night-shift"))
INSTANCE = f"arn:aws:ec2:eu-west-1:{MEMBER}:instance/i-02573cafcfEXAMPLE"
MANAGED_INSTANCE = f"arn:aws:ssm:eu-west-1:{MEMBER}:managed-instance/mi-0123456789abcdef0"
ECS_TASK = f"arn:aws:ecs:eu-west-1:{MEMBER}:task/cluster-1/0123456789abcdef0123456789abcdef"


def aws_document(name):
    return f"arn:aws:ssm:eu-west-1::document/{name}"


# Which statement denies (by Sid).
DOC = "RunAsGuardProtectSessionManagerPreferences"
ROLES = "RunAsGuardProtectExemptRoles"
PATHS = "RunAsGuardNoPathBehindAnExemptPrefix"
TAGS = "RunAsGuardNoSSMSessionRunAsTags"
TAG_PATHS = "RunAsGuardNoSSMSessionRunAsTagsBehindAPath"
SESSIONS = "RunAsGuardGovernedSessionDocumentsOnly"
CHECK_DOC = "RunAsGuardProtectRunAsUserCheckDocument"
CHECK_ASSOCIATIONS = "RunAsGuardProtectRunAsUserCheckAssociations"
TAGGED_ASSOCIATIONS = "RunAsGuardProtectTaggedCheckAssociations"
SESSION_WRITES = "RunAsGuardNoSessionDocumentWrites"
SESSION_WRITE_PATHS = "RunAsGuardNoSessionDocumentWritesBehindAPath"
# The type SSM gives the request (ssm:DocumentType, per the Service
# Authorization Reference on CreateDocument, UpdateDocument and
# UpdateDocumentDefaultVersion).
SESSION = {"ssm:DocumentType": "Session"}
# Writes of a document: the three the optional SCP 9 denies for Session
# documents (DeleteDocument cannot make one skip Run As).
SESSION_DOCUMENT_WRITES = ("ssm:CreateDocument", "ssm:UpdateDocument", "ssm:UpdateDocumentDefaultVersion")


def scenarios():
    """(description, principal, action, resources, extra context, Sids that must deny)."""
    found = []

    def add(description, principal, action, resources, denied, **context):
        found.append((description, principal, action, resources, context, set(denied)))

    # Editing the document.
    for who, principal in ADMINISTRATORS.items():
        for action in DOCUMENT_WRITES:
            add(f"{who} edits the document", principal, action, [DOCUMENT], {DOC})
    for who, principal in (("runas-guard", RUN_AS_GUARD), ("Control Tower", CONTROL_TOWER),
                           ("the Organizations access role", ORG_ACCESS), ("LZA", LZA),
                           ("LZA's logging stack", LZA_LOGGING)):
        for action in DOCUMENT_WRITES:
            add(f"{who} edits the document", principal, action, [DOCUMENT], set())
    add("a StackSet edits the document", STACKSETS, "ssm:UpdateDocument", [DOCUMENT], {DOC})
    add("a document of another name is not guarded", ADMIN, "ssm:UpdateDocument",
        [f"arn:aws:ssm:eu-west-1:{MEMBER}:document/SSM-SessionManagerRunShellCustom"], set())

    # Tagging the governed documents (statement 1): 50 tags of an editor's
    # own leave no room for the forwarding canary's (TooManyTagsError), so
    # nobody but the exempt principals adds or removes a tag there, whatever
    # the key. SSM authorizes a tag call on a document on the document's ARN.
    for who, principal in ADMINISTRATORS.items():
        for document in (DOCUMENT, NAMED_DOCUMENT):
            for keys in (["team-00"], ["runas-guard:canary"], [f"team-{i:02d}" for i in range(50)]):
                add(f"{who} tags a governed document with {len(keys)} key(s)", principal,
                    "ssm:AddTagsToResource", [document], {DOC}, **{"aws:TagKeys": keys})
            add(f"{who} takes a tag off a governed document", principal, "ssm:RemoveTagsFromResource",
                [document], {DOC}, **{"aws:TagKeys": ["runas-guard:canary"]})
        add(f"{who} tags a document of its own", principal, "ssm:AddTagsToResource",
            [own_document("Patch-Now")], set(), **{"aws:TagKeys": ["team-00"]})
        add(f"{who} tags a document of another name", principal, "ssm:AddTagsToResource",
            [own_document("SSM-SessionManagerRunShellCustom")], set(), **{"aws:TagKeys": ["team-00"]})
    for who, principal in (("runas-guard (the canary)", RUN_AS_GUARD), ("Control Tower", CONTROL_TOWER),
                           ("the Organizations access role", ORG_ACCESS), ("LZA", LZA)):
        add(f"{who} tags the document", principal, "ssm:AddTagsToResource", [DOCUMENT], set(),
            **{"aws:TagKeys": ["runas-guard:canary"]})
        add(f"{who} takes a tag off the document", principal, "ssm:RemoveTagsFromResource", [DOCUMENT], set(),
            **{"aws:TagKeys": ["team-00"]})
    add("a StackSet tags the document", STACKSETS, "ssm:AddTagsToResource", [DOCUMENT], {DOC},
        **{"aws:TagKeys": ["team-00"]})
    for who, principal in (("a role at path /AWSAcceleratorX/", PATH_LZA),
                           ("a role at path /stacksets-exec-x/", PATH_STACKSETS)):
        denied = {PATHS} if principal == PATH_LZA else {DOC, PATHS}
        for action in ("ssm:AddTagsToResource", "ssm:RemoveTagsFromResource"):
            add(f"{who}: {action} on the document", principal, action, [DOCUMENT], denied,
                **{"aws:TagKeys": ["team-00"]})

    # Editing a per-permission-set document (SSMRunAs-*): guarded like the
    # preferences document, and nobody else may create one under that prefix
    # (before runas-guard does, with a Run As of their choosing).
    for who, principal in ADMINISTRATORS.items():
        for action in DOCUMENT_WRITES:
            add(f"{who} edits a named document", principal, action, [NAMED_DOCUMENT], {DOC})
        add(f"{who} creates a document under the named prefix", principal, "ssm:CreateDocument",
            [own_document("SSMRunAs-Root")], {DOC})
    for who, principal in (("runas-guard", RUN_AS_GUARD), ("Control Tower", CONTROL_TOWER),
                           ("the Organizations access role", ORG_ACCESS), ("LZA", LZA)):
        for action in DOCUMENT_WRITES:
            add(f"{who} edits a named document", principal, action, [NAMED_DOCUMENT], set())
    add("a StackSet edits a named document", STACKSETS, "ssm:UpdateDocument", [NAMED_DOCUMENT], {DOC})
    # The convention is case-sensitive and includes the hyphen: other names are
    # not guarded (and, with SCP 6, not usable for sessions either).
    for name in ("SSMRunAsAdmin", "ssmrunas-admin", "MySSMRunAs-Admin"):
        add(f"{name} is not a named document", ADMIN, "ssm:UpdateDocument", [own_document(name)], set())

    # The run-as user check's document: only the deployers of member.yaml
    # (the StackSet execution roles and the bootstrap roles, as for
    # RunAsGuardExecution) create, change or delete it. Nobody else may
    # squat the name first with a script of their choosing, which
    # runas-guard would then associate with every node.
    for who, principal in dict(ADMINISTRATORS, **{"runas-guard": RUN_AS_GUARD, "LZA": LZA}).items():
        for action in DOCUMENT_WRITES:
            add(f"{who} writes the check document ({action})", principal, action, [CHECK_DOCUMENT], {CHECK_DOC})
    for who, principal in (("a StackSet (service-managed)", STACKSETS), ("a StackSet (LZA)", LZA_STACKSETS),
                           ("Control Tower", CONTROL_TOWER), ("the Organizations access role", ORG_ACCESS)):
        for action in DOCUMENT_WRITES:
            add(f"{who} deploys the check document ({action})", principal, action, [CHECK_DOCUMENT], set())
    add("a role at path /stacksets-exec-x/ writes the check document", PATH_STACKSETS, "ssm:UpdateDocument",
        [CHECK_DOCUMENT], {PATHS})
    add("a role at path /AWSAcceleratorX/ writes the check document", PATH_LZA, "ssm:UpdateDocument",
        [CHECK_DOCUMENT], {CHECK_DOC, PATHS})
    for name in ("RunAsGuard-CheckRunAsUser2", "runasguard-checkrunasuser", "MyRunAsGuard-CheckRunAsUser"):
        add(f"{name} is not the check document", ADMIN, "ssm:UpdateDocument", [own_document(name)], set())

    # Its associations: only the roles the hub assumes (RunAsGuardExecution,
    # and the fallbacks, under runas-guard's session policy) create or
    # change one. SSM authorizes an association write on the document only
    # when the request names it (Name): creations always do; an update or a
    # delete by AssociationId alone is authorized on the association's ARN,
    # which does not say its document, so no SCP can single those out
    # (scp/README.md, statement 8): runas-guard puts them back.
    for who, principal in dict(ADMINISTRATORS, **{"LZA": LZA, "a StackSet": STACKSETS,
                                                  "a role at path /stacksets-exec-x/": PATH_STACKSETS}).items():
        for action in ASSOCIATION_WRITES:
            add(f"{who}: {action} naming the check document", principal, action,
                [ASSOCIATION, CHECK_DOCUMENT], {CHECK_ASSOCIATIONS})
        for action in ("ssm:UpdateAssociation", "ssm:DeleteAssociation"):
            add(f"{who}: {action} by id alone, untagged (known gap: runas-guard puts it back)", principal, action,
                [ASSOCIATION], set())
        add(f"{who}: an association of another document", principal, "ssm:CreateAssociation",
            [ASSOCIATION, aws_document("AWS-GatherSoftwareInventory"), INSTANCE], set())
        add(f"{who}: Run Command with the check document (it runs only id)", principal, "ssm:SendCommand",
            [CHECK_DOCUMENT, INSTANCE], set())
    for who, principal in (("runas-guard", RUN_AS_GUARD), ("Control Tower", CONTROL_TOWER),
                           ("the Organizations access role", ORG_ACCESS)):
        for action in ASSOCIATION_WRITES:
            add(f"{who}: {action} of the check document", principal, action,
                [ASSOCIATION, CHECK_DOCUMENT], set())
    # The deprecated form names a node too: still the check document's.
    add("an administrator associates the check document with one node", ADMIN, "ssm:CreateAssociation",
        [ASSOCIATION, CHECK_DOCUMENT, INSTANCE], {CHECK_ASSOCIATIONS})

    # The association runas-guard keeps, once tagged runas-guard:managed =
    # true (optional statement 11): closes statement 8's gap for it. Nobody
    # but the roles the hub assumes updates, deletes, untags or retags it,
    # by id alone or naming the document. A role merely named like one at a
    # path is not one of them (exact names match at path "/" only).
    for who, principal in dict(ADMINISTRATORS, **{"LZA": LZA, "a StackSet": STACKSETS,
                                                  "a role at path /stacksets-exec-x/": PATH_STACKSETS,
                                                  "a role named RunAsGuardExecution at a path":
                                                      role("team/RunAsGuardExecution")}).items():
        # Statement 3 (required) denies a role behind an exempt prefix's path
        # every tag call, on anything.
        behind_a_path = {PATHS} if principal == PATH_STACKSETS else set()
        for action in TAGGED_ASSOCIATION_WRITES:
            tagging = behind_a_path if "Tags" in action else set()
            add(f"{who}: {action} of the tagged association by id", principal, action, [ASSOCIATION],
                {TAGGED_ASSOCIATIONS} | tagging, **TAGGED)
        for action in ("ssm:UpdateAssociation", "ssm:DeleteAssociation"):
            add(f"{who}: {action} of the tagged association naming the check document", principal, action,
                [ASSOCIATION, CHECK_DOCUMENT], {CHECK_ASSOCIATIONS, TAGGED_ASSOCIATIONS}, **TAGGED)
        # Retagging with another value (to make it untagged as far as the
        # grants go), or with the key and another one, is a tag write too.
        add(f"{who}: retags the tagged association false", principal, "ssm:AddTagsToResource", [ASSOCIATION],
            {TAGGED_ASSOCIATIONS} | behind_a_path, **TAGGED, **{f"aws:RequestTag/{MANAGED_TAG_KEY}": "false",
                                                                 "aws:TagKeys": [MANAGED_TAG_KEY]})
    for who, principal in ADMINISTRATORS.items():
        # Not runas-guard's (untagged: an association of another document, a
        # copy of the check made by hand, one 0.3.0 made before the first
        # check after upgrading tagged it): statement 11 says nothing.
        for action in TAGGED_ASSOCIATION_WRITES:
            add(f"{who}: {action} of an untagged association", principal, action, [ASSOCIATION], set())
            add(f"{who}: {action} of an association tagged false", principal, action, [ASSOCIATION], set(),
                **{f"aws:ResourceTag/{MANAGED_TAG_KEY}": "false"})
            add(f"{who}: {action} of an association tagged otherwise", principal, action, [ASSOCIATION], set(),
                **{"aws:ResourceTag/team": "true"})
        # Forging the tag onto one's own association is not denied: it only
        # protects that association from its own team (scp/README.md, 11).
        add(f"{who}: tags an untagged association runas-guard:managed", principal, "ssm:AddTagsToResource",
            [ASSOCIATION], set(), **{f"aws:RequestTag/{MANAGED_TAG_KEY}": "true", "aws:TagKeys": [MANAGED_TAG_KEY]})
        # An association of another document, or a document, with that tag:
        # only associations are guarded.
        add(f"{who}: edits a document tagged runas-guard:managed", principal, "ssm:AddTagsToResource",
            [own_document("Patch-Now")], set(), **TAGGED)
    for who, principal in (("runas-guard", RUN_AS_GUARD), ("Control Tower", CONTROL_TOWER),
                           ("the Organizations access role", ORG_ACCESS)):
        for action in TAGGED_ASSOCIATION_WRITES:
            add(f"{who}: {action} of the tagged association by id", principal, action, [ASSOCIATION], set(),
                **TAGGED)
        for action in ("ssm:UpdateAssociation", "ssm:DeleteAssociation"):
            add(f"{who}: {action} of the tagged association naming the check document", principal, action,
                [ASSOCIATION, CHECK_DOCUMENT], set(), **TAGGED)

    # Rewriting the roles the exemptions name (trust, policies, boundary, delete, re-create).
    protected = {"RunAsGuardExecution": RUN_AS_GUARD, "OrganizationAccountAccessRole": ORG_ACCESS,
                 "AWSControlTowerExecution": CONTROL_TOWER, "AWSCloudFormationStackSetExecutionRole": LZA_STACKSETS,
                 "a stacksets-exec role": STACKSETS}
    for who, principal in ADMINISTRATORS.items():
        for action in ROLE_CHANGES:
            add(f"{who} changes RunAsGuardExecution ({action})", principal, action, [RUN_AS_GUARD], {ROLES})
        for name, arn in protected.items():
            add(f"{who} rewrites the trust of {name}", principal, "iam:UpdateAssumeRolePolicy", [arn], {ROLES})
            add(f"{who} creates a role named {name}", principal, "iam:CreateRole", [arn], {ROLES})
        add(f"{who} creates RunAsGuardExecution at a path", principal, "iam:CreateRole",
            [role("p/RunAsGuardExecution")], {ROLES})
        add(f"{who} manages an ordinary role", principal, "iam:UpdateAssumeRolePolicy", [role("AppRole")], set())
    for who, principal in (("a StackSet (service-managed)", STACKSETS), ("a StackSet (LZA)", LZA_STACKSETS),
                           ("Control Tower", CONTROL_TOWER), ("the Organizations access role", ORG_ACCESS)):
        for action in ROLE_CHANGES:
            add(f"{who} manages RunAsGuardExecution ({action})", principal, action, [RUN_AS_GUARD], set())
    add("runas-guard widens its own role", RUN_AS_GUARD, "iam:PutRolePolicy", [RUN_AS_GUARD], {ROLES})
    add("LZA changes RunAsGuardExecution", LZA, "iam:UpdateAssumeRolePolicy", [RUN_AS_GUARD], {ROLES})

    # A path behind an exempt prefix never makes a principal exempt.
    add("a role at path /AWSAcceleratorX/ edits the document", PATH_LZA, "ssm:UpdateDocument", [DOCUMENT], {PATHS})
    add("a role at path /stacksets-exec-x/ edits the document", PATH_STACKSETS, "ssm:UpdateDocument", [DOCUMENT],
        {DOC, PATHS})
    add("a role at path /AWSAcceleratorX/ edits a named document", PATH_LZA, "ssm:UpdateDocument",
        [NAMED_DOCUMENT], {PATHS})
    add("a role at path /stacksets-exec-x/ rewrites RunAsGuardExecution's trust", PATH_STACKSETS,
        "iam:UpdateAssumeRolePolicy", [RUN_AS_GUARD], {PATHS})
    add("a role at path /AWSAcceleratorX/ tags with SSMSessionRunAs", PATH_LZA, "iam:TagRole", [role("Admin")],
        {TAG_PATHS}, **{"aws:TagKeys": ["SSMSessionRunAs"]})
    add("a role at path /stacksets-exec-x/ tags with SSMSessionRunAs", PATH_STACKSETS, "iam:TagRole",
        [role("Admin")], {TAG_PATHS}, **{"aws:TagKeys": ["SSMSessionRunAs"]})
    add("creating a role at such a path is not itself denied", ADMIN, "iam:CreateRole", [PATH_LZA], set())

    # SSMSessionRunAs tags.
    for who, principal in dict(ADMINISTRATORS, **{"runas-guard": RUN_AS_GUARD,
                                                  "the Organizations access role": ORG_ACCESS}).items():
        for action, resource in TAGGING:
            for keys in (["SSMSessionRunAs"], ["ssmsessionrunas"], ["Team", "SSMSESSIONRUNAS"]):
                add(f"{who}: {action} with {keys}", principal, action, [resource], {TAGS}, **{"aws:TagKeys": keys})
    for action, resource in TAGGING:
        add(f"{action} with other keys", ADMIN, action, [resource], set(), **{"aws:TagKeys": ["Team"]})
    add("CreateRole without tags", ADMIN, "iam:CreateRole", [role("AppRole")], set())
    for who, principal in (("a StackSet (service-managed)", STACKSETS), ("a StackSet (LZA)", LZA_STACKSETS),
                           ("Control Tower", CONTROL_TOWER), ("LZA", LZA)):
        for action, resource in TAGGING:
            add(f"{who}: {action} with SSMSessionRunAs", principal, action, [resource], set(),
                **{"aws:TagKeys": ["SSMSessionRunAs"]})

    # Writing any other Session document (optional statements 9 and 10): one
    # of sessionType InteractiveCommands / NonInteractiveCommands with
    # properties.linux.runAsElevated true skips Run As, and an SCP cannot see
    # content, so only the deployers and runas-guard write Session documents.
    elevated = own_document("Elevated-Shell")
    for who, principal in ADMINISTRATORS.items():
        for action in SESSION_DOCUMENT_WRITES:
            add(f"{who} writes a Session document ({action})", principal, action, [elevated], {SESSION_WRITES},
                **SESSION)
            add(f"{who} writes the preferences document as a Session document ({action})", principal, action,
                [DOCUMENT], {DOC, SESSION_WRITES}, **SESSION)
            for kind in ("Command", "Automation", "Policy"):
                add(f"{who} writes a {kind} document ({action})", principal, action, [own_document("Patch-Now")],
                    set(), **{"ssm:DocumentType": kind})
        add(f"{who} deletes a Session document", principal, "ssm:DeleteDocument", [elevated], set(), **SESSION)
        add(f"{who} reads a Session document", principal, "ssm:GetDocument", [elevated], set(), **SESSION)
        # A request SSM gives no type: StringEquals does not hold, nothing denied.
        add(f"{who} writes a document of no stated type", principal, "ssm:CreateDocument", [elevated], set())
    for who, principal in (("runas-guard", RUN_AS_GUARD), ("Control Tower", CONTROL_TOWER),
                           ("the Organizations access role", ORG_ACCESS), ("LZA", LZA),
                           ("LZA's logging stack", LZA_LOGGING), ("a StackSet (service-managed)", STACKSETS),
                           ("a StackSet (LZA)", LZA_STACKSETS)):
        for action in SESSION_DOCUMENT_WRITES:
            add(f"{who} writes a Session document ({action})", principal, action, [elevated], set(), **SESSION)
    add("runas-guard writes the preferences document", RUN_AS_GUARD, "ssm:UpdateDocument", [DOCUMENT], set(),
        **SESSION)
    add("runas-guard writes a named document", RUN_AS_GUARD, "ssm:CreateDocument", [NAMED_DOCUMENT], set(),
        **SESSION)
    for who, principal in (("a role at path /AWSAcceleratorX/", PATH_LZA),
                           ("a role at path /stacksets-exec-x/", PATH_STACKSETS)):
        for action in SESSION_DOCUMENT_WRITES:
            # Statement 3 (required) denies them any document write already;
            # statement 10 anchors statement 9 within its own file.
            add(f"{who} writes a Session document ({action})", principal, action, [elevated],
                {PATHS, SESSION_WRITE_PATHS}, **SESSION)

    # Which session documents a session may use (the node is always a resource).
    for who, principal in dict(ADMINISTRATORS, **{"Control Tower": CONTROL_TOWER}).items():
        for node in (INSTANCE, MANAGED_INSTANCE, ECS_TASK):
            add(f"{who}: default shell", principal, "ssm:StartSession", [node], set())
        add(f"{who}: the preferences document named", principal, "ssm:StartSession", [INSTANCE, DOCUMENT], set())
        for node in (INSTANCE, MANAGED_INSTANCE, ECS_TASK):
            add(f"{who}: a named document", principal, "ssm:StartSession", [node, NAMED_DOCUMENT], set())
        for name in ("SSMRunAsAdmin", "ssmrunas-admin", "MySSMRunAs-Admin"):
            add(f"{who}: {name}, not a named document", principal, "ssm:StartSession",
                [INSTANCE, own_document(name)], {SESSIONS})
        for name in ("AWS-StartPortForwardingSession", "AWS-StartPortForwardingSessionToRemoteHost",
                     "AWS-StartSSHSession"):
            add(f"{who}: {name}", principal, "ssm:StartSession", [INSTANCE, aws_document(name)], set())
        add(f"{who}: a self-made Session document", principal, "ssm:StartSession",
            [INSTANCE, f"arn:aws:ssm:eu-west-1:{MEMBER}:document/MyRootShell"], {SESSIONS})
        add(f"{who}: another account's shared document", principal, "ssm:StartSession",
            [INSTANCE, f"arn:aws:ssm:eu-west-1:{OTHER_ACCOUNT}:document/MyRootShell"], {SESSIONS})
        add(f"{who}: AWS-StartInteractiveCommand", principal, "ssm:StartSession",
            [INSTANCE, aws_document("AWS-StartInteractiveCommand")], {SESSIONS})
        # Known gap (scp/README.md): an SCP cannot say "this account", so a
        # document shared from another account under the governed name passes.
        add(f"{who}: another account's document of the governed name", principal, "ssm:StartSession",
            [INSTANCE, f"arn:aws:ssm:eu-west-1:{OTHER_ACCOUNT}:document/SSM-SessionManagerRunShell"], set())
        add(f"{who}: another account's document under the named prefix", principal, "ssm:StartSession",
            [INSTANCE, f"arn:aws:ssm:eu-west-1:{OTHER_ACCOUNT}:document/SSMRunAs-Root"], set())
    return found


class ScpTests(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.files = load_scps()
        cls.policies = [policy for _, _, policy in cls.files]

    def test_every_file_is_valid_for_this_evaluator(self):
        self.assertEqual([name for name, _, _ in self.files], [
            "runas-guard-check-association-tag-guardrail.json",
            "runas-guard-document-guardrail.json",
            "runas-guard-runas-tag-guardrail.json",
            "runas-guard-session-document-guardrail.json",
            "runas-guard-session-document-write-guardrail.json",
        ])
        for name, _, policy in self.files:
            with self.subTest(scp=name):
                validate(policy)
                sids = [s["Sid"] for s in policy["Statement"]]
                self.assertEqual(len(sids), len(set(sids)))

    def test_scenarios(self):
        for description, principal, action, resources, context, denied in scenarios():
            with self.subTest(description, principal=principal, action=action, resources=resources):
                request = dict(context, **{"aws:PrincipalArn": principal})
                self.assertEqual(denying_statements(self.policies, action, resources, request), denied)

    def test_every_statement_is_exercised(self):
        sids = {s["Sid"] for policy in self.policies for s in policy["Statement"]}
        exercised = set().union(*(denied for *_, denied in scenarios()))
        self.assertEqual(exercised, sids)

    def test_every_wildcard_exemption_is_anchored(self):
        # Each statement that exempts principals by a pattern ending in "*"
        # has a companion that denies the same actions (under the same other
        # conditions) to a principal at a path behind that prefix.
        for _, _, policy in self.files:
            statements = policy["Statement"]
            for statement in statements:
                exempt = statement.get("Condition", {}).get("ArnNotLike", {}).get("aws:PrincipalArn", [])
                for pattern in cfn.as_list(exempt):
                    if not pattern.endswith("*"):
                        continue
                    with self.subTest(statement=statement["Sid"], pattern=pattern):
                        anchors = [s for s in statements
                                   if pattern + "/*" in cfn.as_list(
                                       s.get("Condition", {}).get("ArnLike", {}).get("aws:PrincipalArn", []))]
                        self.assertTrue(anchors, f"nothing denies {pattern}/*")
                        for anchor in anchors:
                            self.assertLessEqual(set(cfn.as_list(statement["Action"])),
                                                 set(cfn.as_list(anchor["Action"])))
                            self.assertEqual(anchor.get("Resource"), "*")
                            others = {k: v for k, v in statement.get("Condition", {}).items() if k != "ArnNotLike"}
                            self.assertEqual({k: v for k, v in anchor["Condition"].items() if k != "ArnLike"},
                                             others)

    def test_named_documents_follow_one_convention_in_both_scps(self):
        # Statement 1 guards, and statement 6 admits, the same documents:
        # the preferences document and SSMRunAs-*.
        statements = {s["Sid"]: s for p in self.policies for s in p["Statement"]}
        guarded = cfn.as_list(statements[DOC]["Resource"])
        self.assertEqual(guarded, ["arn:aws:ssm:*:*:document/SSM-SessionManagerRunShell",
                                   f"arn:aws:ssm:*:*:document/{NAMED_PREFIX}*"])
        admitted = [r for r in statements[SESSIONS]["NotResource"] if ":document/" in r]
        self.assertEqual([r for r in admitted if "/AWS-" not in r], guarded)

    def test_exact_names_instead_of_the_convention(self):
        # scp/README.md: documents named otherwise are guarded and admitted by
        # adding their exact ARN to statement 1's Resource and statement 6's
        # NotResource (here replacing the convention by two exact names).
        exact = ["arn:aws:ssm:*:*:document/Admin-Shell", "arn:aws:ssm:*:*:document/ReadOnly-Shell"]
        policies = json.loads(json.dumps(self.policies))
        for policy in policies:
            for statement in policy["Statement"]:
                for element in ("Resource", "NotResource"):
                    values = cfn.as_list(statement.get(element, []))
                    if f"arn:aws:ssm:*:*:document/{NAMED_PREFIX}*" in values:
                        statement[element] = [v for v in values if NAMED_PREFIX not in v] + exact
        for name, denied_edit, denied_session in (("Admin-Shell", {DOC}, set()), ("ReadOnly-Shell", {DOC}, set()),
                                                  ("Admin-Shell2", set(), {SESSIONS}),
                                                  ("SSMRunAs-Admin", set(), {SESSIONS})):
            with self.subTest(document=name):
                arn = own_document(name)
                self.assertEqual(denying_statements(policies, "ssm:UpdateDocument", [arn],
                                                    {"aws:PrincipalArn": ADMIN}), denied_edit)
                self.assertEqual(denying_statements(policies, "ssm:UpdateDocument", [arn],
                                                    {"aws:PrincipalArn": RUN_AS_GUARD}), set())
                self.assertEqual(denying_statements(policies, "ssm:StartSession", [INSTANCE, arn],
                                                    {"aws:PrincipalArn": ADMIN}), denied_session)

    def test_exempt_role_names_are_protected(self):
        # A principal is exempt by name; so nobody but the exempt deployers may
        # create or rewrite a role of such a name (AWSAccelerator* excepted:
        # Landing Zone Accelerator's own guardrails protect its roles).
        (policy,) = [p for name, _, p in self.files if name == "runas-guard-document-guardrail.json"]
        statements = {s["Sid"]: s for s in policy["Statement"]}
        protected = cfn.as_list(statements[ROLES]["Resource"])
        exempt = set()
        for _, _, p in self.files:
            for s in p["Statement"]:
                exempt |= set(cfn.as_list(s.get("Condition", {}).get("ArnNotLike", {}).get("aws:PrincipalArn", [])))
        for pattern in sorted(exempt - {"arn:aws:iam::*:role/AWSAccelerator*"}):
            with self.subTest(exempt=pattern):
                name = pattern.rsplit("/", 1)[1]
                self.assertIn(f"arn:aws:iam::*:role/*{name}", protected)


if __name__ == "__main__":
    unittest.main()

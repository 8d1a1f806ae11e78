"""No role the templates ship trusts everyone: every IAM role's trust policy
in hub.yaml and member.yaml names its principals.

This models checkov's CKV_AWS_60 ("Ensure IAM role allows only specific
services or principals to assume it", severity high), which platform teams
gate templates on: an ``AWS::IAM::Role`` fails it when an Allow statement of
its ``AssumeRolePolicyDocument`` has ``Principal: {"AWS": "*"}`` or ``"*"``
in a ``Principal.AWS`` list, whatever its conditions. checkov itself is not
installed here: it pins its own boto3 (1.35), older than the one moto and
the emulators need, so it cannot share the tools' environment. The model is
stricter than the check: it also refuses a bare ``Principal: "*"``, a
``"*"`` under any principal type, and a ``"*"`` in either branch of an
``Fn::If`` (checkov reads only the value it can resolve), and it looks at
the templates as written, so no parameter value can bring a ``"*"`` in
(a parameter may stand in a Principal, through ``Ref``, ``Fn::Split`` or
``Fn::Sub``, only where its AllowedPattern cannot admit a ``*``, as
member.yaml's OperatorAccountIds, digits and commas, and HubRoleName).
"""

import re
import unittest

from . import cfn

TEMPLATES = {"hub.yaml": cfn.HUB_TEMPLATE, "member.yaml": cfn.MEMBER_TEMPLATE}
PSEUDO_PARAMETERS = {"AWS::Partition", "AWS::AccountId", "AWS::Region", "AWS::URLSuffix"}


def may_hold_star(pattern):
    """Whether a parameter's AllowedPattern (None: none) admits a value with
    a "*": an escaped ``\\*``, a character class holding ``*``, or a ``.``
    outside a class."""
    if pattern is None:
        return True
    outside = re.sub(r"\\.", "", pattern)
    classes = re.findall(r"\[[^\]]*\]", outside)
    outside = re.sub(r"\[[^\]]*\]", "", outside)
    return "\\*" in pattern or any("*" in c for c in classes) or "." in outside


def principal_leaves(node):
    """Every value a Principal (or a part of one) can take, through lists,
    principal types and both branches of an ``Fn::If``; intrinsic functions
    other than ``Fn::If`` are returned as they are, to be judged whole."""
    if isinstance(node, list):
        return [leaf for item in node for leaf in principal_leaves(item)]
    if isinstance(node, dict) and len(node) == 1 and "Fn::If" in node:
        _, when_true, when_false = node["Fn::If"]
        return principal_leaves(when_true) + principal_leaves(when_false)
    if isinstance(node, dict) and not any(key.startswith("Fn::") or key == "Ref" for key in node):
        return [leaf for value in node.values() for leaf in principal_leaves(value)]
    return [node]


def wildcard_principals(template):
    """(role, statement index, leaf) of each leaf that is, or may become, "*"."""
    parameters = template.get("Parameters", {})
    found = []
    for name, role in cfn.resources_of_type(template, "AWS::IAM::Role").items():
        document = role["Properties"]["AssumeRolePolicyDocument"]
        for index, statement in enumerate(cfn.statements(document)):
            if statement.get("Effect") == "Deny":
                continue
            for leaf in principal_leaves(statement.get("Principal")):
                if not judged_safe(leaf, parameters):
                    found.append((name, index, leaf))
    return found


def judged_safe(leaf, parameters):
    """A literal without "*" (a wildcard inside a name is no principal IAM
    accepts either), a Fn::Sub whose text has none and whose variables are
    pseudo parameters or parameters that cannot hold one, or a Ref /
    Fn::Split (on ",") of such a parameter."""
    if isinstance(leaf, str):
        return "*" not in leaf
    if isinstance(leaf, dict) and set(leaf) == {"Fn::Sub"} and isinstance(leaf["Fn::Sub"], str):
        text = leaf["Fn::Sub"]
        return "*" not in text and all(
            name in PSEUDO_PARAMETERS or parameter_is_safe(name, parameters) for name in cfn.SUB_VARIABLE.findall(text))
    if isinstance(leaf, dict) and set(leaf) == {"Fn::Split"}:
        delimiter, source = leaf["Fn::Split"]
        return delimiter == "," and isinstance(source, dict) and set(source) == {"Ref"} and \
            parameter_is_safe(source["Ref"], parameters)
    if isinstance(leaf, dict) and set(leaf) == {"Ref"}:
        return parameter_is_safe(leaf["Ref"], parameters)
    return False


def parameter_is_safe(name, parameters):
    parameter = parameters.get(name)
    return parameter is not None and not may_hold_star(parameter.get("AllowedPattern"))


class TrustPrincipalTests(unittest.TestCase):

    def test_no_role_trusts_everyone(self):
        for name, path in TEMPLATES.items():
            template = cfn.load_template(path)
            roles = cfn.resources_of_type(template, "AWS::IAM::Role")
            with self.subTest(template=name):
                self.assertTrue(roles, f"{name} has no role to look at")
                self.assertEqual(wildcard_principals(template), [])

    def test_the_operator_role_names_accounts(self):
        member = cfn.load_template(cfn.MEMBER_TEMPLATE)
        (statement,) = cfn.statements(member["Resources"]["OperatorRole"]["Properties"]["AssumeRolePolicyDocument"])
        leaves = principal_leaves(statement["Principal"])
        self.assertEqual(leaves, [{"Fn::Split": [",", {"Ref": "OperatorAccountIds"}]},
                                  {"Fn::Sub": "arn:${AWS::Partition}:iam::${HubAccountId}:root"}])

    def test_the_model_sees_what_checkov_flags_and_more(self):
        def role(principal, effect="Allow"):
            return {"Resources": {"R": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [{"Effect": effect, "Principal": principal, "Action": "sts:AssumeRole"}]}}}}}

        parameters = {"Parameters": {"Ids": {"Type": "String", "AllowedPattern": "^([0-9]{12}(,[0-9]{12})*)?$"},
                                     "Any": {"Type": "String"},
                                     "Wide": {"Type": "String", "AllowedPattern": "^[A-Za-z0-9*]+$"}}}
        flagged = [
            {"AWS": "*"},                                      # CKV_AWS_60
            {"AWS": ["arn:aws:iam::111122223333:root", "*"]},  # CKV_AWS_60
            "*",
            {"Service": "*"},
            {"AWS": {"Fn::If": ["C", "111122223333", "*"]}},
            {"AWS": "arn:aws:iam::*:root"},
            {"AWS": {"Ref": "Any"}},
            {"AWS": {"Fn::Split": [",", {"Ref": "Any"}]}},
            {"AWS": {"Fn::Sub": "${Any}"}},
            {"AWS": {"Fn::Sub": "arn:aws:iam::${AWS::AccountId}:role/${Wide}"}},
            {"AWS": {"Fn::Join": ["", ["arn:aws:iam::", {"Ref": "Ids"}, ":root"]]}},
        ]
        for principal in flagged:
            with self.subTest(principal=principal):
                self.assertTrue(wildcard_principals(dict(role(principal), **parameters)))
        accepted = [
            {"AWS": "arn:aws:iam::111122223333:root"},
            {"AWS": ["111122223333", {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}]},
            {"Service": "lambda.amazonaws.com"},
            {"AWS": {"Fn::If": ["C", {"Fn::Split": [",", {"Ref": "Ids"}]}, {"Ref": "Ids"}]}},
            {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${Ids}:role/x"}},
        ]
        for principal in accepted:
            with self.subTest(principal=principal):
                self.assertEqual(wildcard_principals(dict(role(principal), **parameters)), [])
        self.assertEqual(wildcard_principals(dict(role({"AWS": "*"}, effect="Deny"), **parameters)), [])
        for pattern, holds in [(None, True), ("^[0-9]{12}$", False), ("^[A-Za-z0-9+=,.@_-]{1,64}$", False),
                               ("^[A-Za-z0-9+=.@_/*?-]+$", True), ("^a\\*$", True), ("^.+$", True),
                               ("^([0-9]{12}(,[0-9]{12})*)?$", False)]:
            with self.subTest(pattern=pattern):
                self.assertEqual(may_hold_star(pattern), holds)


if __name__ == "__main__":
    unittest.main()

"""The operator's seat as a local AWS decides it: infra/member.yaml deployed
as shipped into moto's CloudFormation (tests/moto_cfn.py), then IAM
enforced, trust conditions included (tests/moto_iam.py: ``Principal``, and
``aws:PrincipalArn`` with ArnLike and ``aws:PrincipalOrgID`` as IAM
evaluates them), and concrete callers asking for ``RunAsGuardOperatorRead``.

On-call signs in to the hub account with an IAM Identity Center permission
set (its role there, as Identity Center makes it) and the CLI assumes the
seat in a member account. Both of Identity Center's role paths take the
seat: ``aws-reserved/sso.amazonaws.com/<region>/`` and, for an instance
whose home region is us-east-1, ``aws-reserved/sso.amazonaws.com/`` with no
region. Refused: another permission set of the hub account, the same
permission set's role in an account the trust does not name (a member
account of the organization; an account outside it), unless
``OperatorAccountIds`` names that account. This complements
test_operator_role.py, which evaluates the same trust with its own small
evaluator: here moto's CloudFormation resolves the template (the
``Principal``'s ``Fn::If`` and ``Fn::Split`` included) and moto's IAM,
completed by tests/moto_iam.py, decides.
"""

import http.client
import json
import os
import sys
import unittest

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from . import cfn

sys.path.insert(0, os.path.join(cfn.REPO_ROOT, "tests"))
import emulator_server  # noqa: E402 - tests/emulator_server.py, found through the path above

HUB = "123456789012"
OUTSIDE = "999988887777"
REGION = "us-east-1"
ROLE = "RunAsGuardOperatorRead"
PATTERN = "arn:aws:iam::*:role/aws-reserved/sso.amazonaws.com/*AWSReservedSSO_RunAsGuardOperator_*"
REGIONAL_PATH = "/aws-reserved/sso.amazonaws.com/eu-west-1/"
US_EAST_1_PATH = "/aws-reserved/sso.amazonaws.com/"
EVERYTHING = json.dumps({"Version": "2012-10-17",
                         "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
SERVER = {}


def client(service, credentials=None, region=REGION):
    credentials = credentials or {}
    return boto3.client(service, endpoint_url=SERVER["url"], region_name=region,
                        aws_access_key_id=credentials.get("key", "testing"),
                        aws_secret_access_key=credentials.get("secret", "testing"),
                        aws_session_token=credentials.get("token"),
                        config=Config(retries={"max_attempts": 1}))


def session(role_arn, credentials=None, name="oncall"):
    c = client("sts", credentials).assume_role(RoleArn=role_arn, RoleSessionName=name)["Credentials"]
    return {"key": c["AccessKeyId"], "secret": c["SecretAccessKey"], "token": c["SessionToken"]}


def permission_set_role(credentials, account, name, path):
    """A permission set's role in ``account`` as Identity Center makes it
    (its trust here: the hub's administrator user signs in through it)."""
    iam = client("iam", credentials)
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{HUB}:root"}, "Action": "sts:AssumeRole"}]})
    iam.create_role(RoleName=name, Path=path, AssumeRolePolicyDocument=trust)
    iam.put_role_policy(RoleName=name, PolicyName="operator", PolicyDocument=EVERYTHING)
    return f"arn:aws:iam::{account}:role{path}{name}"


def deploy_member(credentials, stack, parameters):
    """member.yaml, as shipped, into the account ``credentials`` act in."""
    with open(cfn.MEMBER_TEMPLATE, encoding="utf-8") as handle:
        body = handle.read()
    cloudformation = client("cloudformation", credentials)
    cloudformation.create_stack(
        StackName=stack, TemplateBody=body, Capabilities=["CAPABILITY_NAMED_IAM"],
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()])
    description = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]
    assert description["StackStatus"] == "CREATE_COMPLETE", description
    return {o["OutputKey"]: o["OutputValue"] for o in description.get("Outputs", [])}


def setUpModule():
    proc, url = emulator_server.start([sys.executable, os.path.join(cfn.REPO_ROOT, "tests", "moto_cfn.py")])
    SERVER.update(proc=proc, url=url, port=int(url.rsplit(":", 1)[1]))
    org = client("organizations")
    org.create_organization(FeatureSet="ALL")
    org_id = org.describe_organization()["Organization"]["Id"]
    members = []
    for name in ("member", "ops"):
        status = org.create_account(AccountName=name, Email=f"{name}@example.com")["CreateAccountStatus"]
        members.append(status["AccountId"])
    member, ops = members
    # The hub's administrator (the test's own, made before IAM is enforced).
    iam = client("iam")
    iam.create_user(UserName="admin")
    iam.put_user_policy(UserName="admin", PolicyName="all", PolicyDocument=EVERYTHING)
    key = iam.create_access_key(UserName="admin")["AccessKey"]
    admin = {"key": key["AccessKeyId"], "secret": key["SecretAccessKey"]}
    roles = {
        "regional": permission_set_role(admin, HUB, "AWSReservedSSO_RunAsGuardOperator_0a1b2c3d4e5f6789",
                                        REGIONAL_PATH),
        "us-east-1": permission_set_role(admin, HUB, "AWSReservedSSO_RunAsGuardOperator_1b2c3d4e5f6789ab",
                                         US_EAST_1_PATH),
        "other set": permission_set_role(admin, HUB, "AWSReservedSSO_Developer_2c3d4e5f6789abcd", US_EAST_1_PATH),
    }
    # The same permission set's role in an account of the organization the
    # trust does not name, and in an account outside the organization.
    in_ops = session(f"arn:aws:iam::{ops}:role/OrganizationAccountAccessRole", admin)
    roles["ops account"] = permission_set_role(in_ops, ops, "AWSReservedSSO_RunAsGuardOperator_3d4e5f6789abcdef",
                                               US_EAST_1_PATH)
    outside = session(f"arn:aws:iam::{OUTSIDE}:role/OrganizationAccountAccessRole", admin)
    roles["outside"] = permission_set_role(outside, OUTSIDE, "AWSReservedSSO_RunAsGuardOperator_4e5f6789abcdef01",
                                           US_EAST_1_PATH)
    # The member stack with the seat: trusting the hub account (the
    # default), and a second one in the ops account trusting the ops
    # account and the account outside the organization too
    # (OperatorAccountIds), so that only aws:PrincipalOrgID refuses that one.
    seat = {"HubAccountId": HUB, "HubRegion": REGION, "OperatorPrincipals": PATTERN, "OrganizationId": org_id}
    in_member = session(f"arn:aws:iam::{member}:role/OrganizationAccountAccessRole", admin)
    outputs = deploy_member(in_member, "runas-guard-member", seat)
    assert outputs["OperatorRoleArn"] == f"arn:aws:iam::{member}:role/{ROLE}", outputs
    deploy_member(in_ops, "runas-guard-member", dict(seat, OperatorAccountIds=f"{HUB},{ops},{OUTSIDE}"))
    SERVER.update(admin=admin, roles=roles, member=member, ops=ops,
                  trust=client("iam", in_member).get_role(RoleName=ROLE)["Role"]["AssumeRolePolicyDocument"])
    # From here on IAM decides.
    conn = http.client.HTTPConnection("127.0.0.1", SERVER["port"], timeout=30)
    conn.request("POST", "/moto-api/reset-auth", body=b"0")
    response = conn.getresponse()
    assert response.status == 200, response.read()


def tearDownModule():
    if "proc" in SERVER:
        emulator_server.stop(SERVER["proc"])


class OperatorSeatTests(unittest.TestCase):

    def take_seat(self, who, account):
        signed_in = session(SERVER["roles"][who], SERVER["admin"], name="alice@example.com")
        seat = session(f"arn:aws:iam::{account}:role/{ROLE}", signed_in, name=f"runas-guard-why-{who}")
        return client("sts", seat).get_caller_identity()["Arn"]

    def assert_refused(self, who, account):
        with self.assertRaises(ClientError) as refused:
            self.take_seat(who, account)
        error = refused.exception.response["Error"]
        self.assertEqual(error["Code"], "AccessDenied")
        self.assertIn(f"is not authorized to perform: sts:AssumeRole on resource: "
                      f"arn:aws:iam::{account}:role/{ROLE}", error["Message"])

    def test_the_trust_names_accounts_not_everyone(self):
        (statement,) = SERVER["trust"]["Statement"]
        principal = statement["Principal"]["AWS"]
        principals = principal if isinstance(principal, list) else [principal]
        self.assertEqual(principals, [f"arn:aws:iam::{HUB}:root"])

    def test_both_role_forms_of_the_named_permission_set_take_the_seat(self):
        for who in ("regional", "us-east-1"):
            with self.subTest(who=who):
                arn = self.take_seat(who, SERVER["member"])
                self.assertEqual(arn, f"arn:aws:sts::{SERVER['member']}:assumed-role/{ROLE}/runas-guard-why-{who}")

    def test_another_permission_set_is_refused(self):
        self.assert_refused("other set", SERVER["member"])

    def test_an_account_the_trust_does_not_name_is_refused(self):
        # Of the organization and named by the pattern, but not in the
        # Principal: the member stack trusts the hub account only.
        self.assert_refused("ops account", SERVER["member"])
        # Outside the organization (and not in the Principal).
        self.assert_refused("outside", SERVER["member"])

    def test_operator_account_ids_names_the_accounts_trusted(self):
        # The ops account's stack trusts the hub, the ops account and the
        # account outside the organization.
        for who in ("us-east-1", "regional", "ops account"):
            with self.subTest(who=who):
                self.take_seat(who, SERVER["ops"])
        self.assert_refused("other set", SERVER["ops"])
        # Named, in the Principal, but of no organization.
        self.assert_refused("outside", SERVER["ops"])


if __name__ == "__main__":
    unittest.main()

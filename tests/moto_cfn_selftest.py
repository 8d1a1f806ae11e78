"""Self-test of what tests/moto_cfn.py adds for the operator's seat (unittest,
boto3): trust policy conditions as IAM evaluates them (tests/moto_iam.py)
and Lambda ``Invoke`` running a function's binary (tests/moto_lambda_invoke.py).

    .venv/bin/python tests/moto_cfn_selftest.py

The function here is a stand-in written in Python (a custom runtime of a few
lines: it takes the event from the Runtime API, answers with the event, the
credentials' caller and two of its environment variables, or fails when the
event asks it to), so the emulation is checked apart from runas-guard.
IAM enforcement is turned on once the roles and users are made; each test
works in principals of its own, so the tests share one server.
"""

import http.client
import io
import json
import os
import stat
import sys
import tempfile
import textwrap
import unittest
import zipfile

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

import emulator_server

HERE = os.path.dirname(os.path.abspath(__file__))
HUB = "123456789012"
REGION = "us-east-1"
SERVER = {}
FUNCTION = textwrap.dedent("""\
    #!{python}
    import json, os, urllib.request
    import boto3
    api = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime/invocation/"
    with urllib.request.urlopen(api + "next") as r:
        request_id = r.headers["Lambda-Runtime-Aws-Request-Id"]
        event = json.loads(r.read())
    caller = boto3.client("sts", endpoint_url=os.environ["AWS_ENDPOINT_URL"]).get_caller_identity()["Arn"]
    if event.get("fail"):
        body, path = {{"errorType": "Boom", "errorMessage": "asked to fail"}}, "/error"
    else:
        body, path = {{"event": event, "caller": caller, "mode": os.environ.get("MODE"),
                       "function": os.environ["AWS_LAMBDA_FUNCTION_NAME"]}}, "/response"
    urllib.request.urlopen(urllib.request.Request(api + request_id + path, data=json.dumps(body).encode(),
                                                  method="POST"))
    """)


def client(service, **credentials):
    return boto3.client(service, endpoint_url=SERVER["url"], region_name=REGION,
                        aws_access_key_id=credentials.get("key", "testing"),
                        aws_secret_access_key=credentials.get("secret", "testing"),
                        aws_session_token=credentials.get("token"),
                        config=Config(retries={"max_attempts": 1}))


def session(role_arn, name="selftest", **credentials):
    c = client("sts", **credentials).assume_role(RoleArn=role_arn, RoleSessionName=name)["Credentials"]
    return {"key": c["AccessKeyId"], "secret": c["SecretAccessKey"], "token": c["SessionToken"]}


def control(method, path, body=None):
    conn = http.client.HTTPConnection("127.0.0.1", SERVER["port"], timeout=30)
    conn.request(method, path, body=body)
    response = conn.getresponse()
    return response.status, response.read()


def setUpModule():
    folder = tempfile.mkdtemp()
    binary = os.path.join(folder, "function")
    with open(binary, "w") as f:
        f.write(FUNCTION.format(python=sys.executable))
    os.chmod(binary, os.stat(binary).st_mode | stat.S_IXUSR)
    proc, url = emulator_server.start(
        [sys.executable, os.path.join(HERE, "moto_cfn.py")],
        env=dict(os.environ, RUNAS_GUARD_LOCAL_FUNCTION_BINARY=binary),
    )
    SERVER.update(proc=proc, port=int(url.rsplit(":", 1)[1]), url=url)
    org = client("organizations")
    org.create_organization(FeatureSet="ALL")
    SERVER["org"] = org.describe_organization()["Organization"]["Id"]
    iam = client("iam")
    everything = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*",
                                                                     "Resource": "*"}]})
    iam.create_user(UserName="admin")
    iam.put_user_policy(UserName="admin", PolicyName="all", PolicyDocument=everything)
    key = iam.create_access_key(UserName="admin")["AccessKey"]
    SERVER["admin"] = {"key": key["AccessKeyId"], "secret": key["SecretAccessKey"]}
    trust_root = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{HUB}:root"}, "Action": "sts:AssumeRole"}]})
    for name, path in (("AWSReservedSSO_Ops_1", "/aws-reserved/sso.amazonaws.com/eu-west-1/"),
                       ("AWSReservedSSO_Dev_1", "/aws-reserved/sso.amazonaws.com/eu-west-1/"),
                       ("AWSReservedSSO_Ops_2", "/")):
        iam.create_role(RoleName=name, Path=path, AssumeRolePolicyDocument=trust_root)
        iam.put_role_policy(RoleName=name, PolicyName="all", PolicyDocument=everything)
    # The seat: principals by pattern, of the organization only.
    seat_trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"],
        "Condition": {"ArnLike": {"aws:PrincipalArn": [
            "arn:aws:iam::*:role/aws-reserved/sso.amazonaws.com/*/AWSReservedSSO_Ops_*"]},
            "StringEquals": {"aws:PrincipalOrgID": SERVER["org"]}}}]}
    iam.create_role(RoleName="Seat", AssumeRolePolicyDocument=json.dumps(seat_trust))
    other_org = dict(seat_trust)
    other_org["Statement"] = [dict(seat_trust["Statement"][0], Condition={
        "ArnLike": seat_trust["Statement"][0]["Condition"]["ArnLike"],
        "StringEquals": {"aws:PrincipalOrgID": "o-zzzzzzzzzz"}})]
    iam.create_role(RoleName="SeatOfAnotherOrganization", AssumeRolePolicyDocument=json.dumps(other_org))
    unknown = dict(seat_trust)
    unknown["Statement"] = [dict(seat_trust["Statement"][0], Condition={
        "StringLike": {"aws:PrincipalTag/team": "ops"}})]
    iam.create_role(RoleName="SeatOnAnUnknownKey", AssumeRolePolicyDocument=json.dumps(unknown))
    # The function and its role (trusting Lambda only).
    lambda_trust = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
    role = iam.create_role(RoleName="FunctionRole", AssumeRolePolicyDocument=lambda_trust)["Role"]["Arn"]
    iam.put_role_policy(RoleName="FunctionRole", PolicyName="all", PolicyDocument=everything)
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as z:
        z.writestr("bootstrap", "unused: the emulation runs RUNAS_GUARD_LOCAL_FUNCTION_BINARY")
    client("lambda").create_function(
        FunctionName="fn", Runtime="provided.al2023", Role=role, Handler="bootstrap", Timeout=30,
        Code={"ZipFile": package.getvalue()}, Environment={"Variables": {"MODE": "selftest"}})
    status, body = control("POST", "/moto-api/reset-auth", b"0")
    assert status == 200, body


def tearDownModule():
    emulator_server.stop(SERVER["proc"])


def sso(name):
    path = "/" if name.endswith("_2") else "/aws-reserved/sso.amazonaws.com/eu-west-1/"
    return session(f"arn:aws:iam::{HUB}:role{path}{name}", **SERVER["admin"])


class TrustConditionTests(unittest.TestCase):

    def assume_seat(self, role, caller):
        return session(f"arn:aws:iam::{HUB}:role/{role}", **caller)

    def test_a_named_principal_of_the_organization_may(self):
        credentials = self.assume_seat("Seat", sso("AWSReservedSSO_Ops_1"))
        arn = client("sts", **credentials).get_caller_identity()["Arn"]
        self.assertEqual(arn, f"arn:aws:sts::{HUB}:assumed-role/Seat/selftest")

    def test_others_are_refused_as_aws_refuses(self):
        for role, caller in (
            ("Seat", sso("AWSReservedSSO_Dev_1")),          # of the organization, not named
            ("Seat", sso("AWSReservedSSO_Ops_2")),          # the name without the reserved path
            ("Seat", SERVER["admin"]),                      # an IAM user
            ("SeatOfAnotherOrganization", sso("AWSReservedSSO_Ops_1")),
            ("SeatOnAnUnknownKey", sso("AWSReservedSSO_Ops_1")),  # never guessed
        ):
            with self.subTest(role=role), self.assertRaises(ClientError) as refused:
                self.assume_seat(role, caller)
            error = refused.exception.response["Error"]
            self.assertEqual(error["Code"], "AccessDenied")
            self.assertIn(f"is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::{HUB}:role/{role}",
                          error["Message"])


class InvokeTests(unittest.TestCase):

    def invoke(self, payload, **credentials):
        return client("lambda", **(credentials or SERVER["admin"])).invoke(
            FunctionName="fn", InvocationType="RequestResponse", Payload=json.dumps(payload).encode())

    def test_the_function_runs_with_its_own_role_and_environment(self):
        answer = self.invoke({"hello": "world"})
        self.assertNotIn("FunctionError", answer)
        body = json.loads(answer["Payload"].read())
        self.assertEqual(body["event"], {"hello": "world"})
        self.assertEqual(body["caller"], f"arn:aws:sts::{HUB}:assumed-role/FunctionRole/fn")
        self.assertEqual((body["mode"], body["function"]), ("selftest", "fn"))
        status, listed = control("GET", "/_emulated/lambda/invocations")
        self.assertEqual(status, 200)
        mine = [i for i in json.loads(listed) if json.loads(i["payload"]) == {"hello": "world"}]
        self.assertEqual(len(mine), 1)
        self.assertEqual(mine[0]["caller_access_key"], SERVER["admin"]["key"])

    def test_a_handler_error_is_unhandled_with_its_message(self):
        answer = self.invoke({"fail": True})
        self.assertEqual(answer["FunctionError"], "Unhandled")
        self.assertEqual(json.loads(answer["Payload"].read()),
                         {"errorType": "Boom", "errorMessage": "asked to fail"})

    def test_invoking_needs_lambda_invoke_function_on_the_function(self):
        iam = client("iam", **SERVER["admin"])
        trust = json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{HUB}:root"}, "Action": "sts:AssumeRole"}]})
        for name, resource in (("MayInvoke", f"arn:aws:lambda:{REGION}:{HUB}:function:fn"),
                               ("MayInvokeAnother", f"arn:aws:lambda:{REGION}:{HUB}:function:other")):
            iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)
            iam.put_role_policy(RoleName=name, PolicyName="invoke", PolicyDocument=json.dumps({
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": resource}]}))
        allowed = session(f"arn:aws:iam::{HUB}:role/MayInvoke", **SERVER["admin"])
        self.assertNotIn("FunctionError", self.invoke({"who": "allowed"}, **allowed))
        refused = session(f"arn:aws:iam::{HUB}:role/MayInvokeAnother", **SERVER["admin"])
        with self.assertRaises(ClientError) as denied:
            self.invoke({"who": "refused"}, **refused)
        self.assertIn(denied.exception.response["ResponseMetadata"]["HTTPStatusCode"], (403,))


if __name__ == "__main__":
    unittest.main()

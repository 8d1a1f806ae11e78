"""Self-test of tests/moto_ssm_associations.py (unittest, boto3).

    .venv/bin/python tests/moto_ssm_associations_selftest.py

Starts the emulator on a free loopback port and talks to it as the product
does: SSM over JSON 1.1 from a role assumed in a member account (moto maps
the assumed role's keys to the account in the role ARN), the fleet and the
schedule through the emulation's control endpoints. Each test works in
accounts of its own, so the tests share one server.
"""

import http.client
import itertools
import json
import os
import re
import sys
import time
import unittest
import uuid

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

import emulator_server

HERE = os.path.dirname(os.path.abspath(__file__))
REGION = "eu-west-1"
USER_PATTERN = r"^[a-z_][a-z0-9_-]{0,31}\$?$"
ACCOUNTS = (f"{n:012d}" for n in itertools.count(100000000001))
SERVER = {}


def setUpModule():
    proc, url = emulator_server.start(
        [sys.executable, os.path.join(HERE, "moto_ssm_associations.py")],
        env=dict(os.environ, RUNAS_GUARD_TEST_SSM_VERSION_LIMIT="2", RUNAS_GUARD_TEST_ASSOCIATION_VERSION_LIMIT="4"),
    )
    SERVER.update(proc=proc, port=int(url.rsplit(":", 1)[1]), url=url)


def tearDownModule():
    if SERVER.get("proc"):
        emulator_server.stop(SERVER["proc"])


def control(method, path, body=None):
    """(status, JSON) of one control-endpoint request."""
    conn = http.client.HTTPConnection("127.0.0.1", SERVER["port"], timeout=60)
    data = json.dumps(body).encode() if body is not None else b""
    conn.request(method, path, body=data, headers={"Content-Type": "application/json"})
    resp = conn.getresponse()
    out = json.loads(resp.read() or b"null")
    conn.close()
    return resp.status, out


def fleet(account, nodes=None, region=REGION, **generate):
    status, out = control("POST", "/_emulated/ssm/fleet",
                          dict(account=account, region=region, nodes=nodes or [], **generate))
    assert status == 200, out
    return out


def run(**where):
    status, out = control("POST", "/_emulated/ssm/run", where)
    assert status == 200, out
    return out["executions"]


# Client-side validation off: the server's own checks are under test.
CONFIG = Config(parameter_validation=False, retries={"max_attempts": 1})


def ssm(account, region=REGION):
    """An SSM client acting in `account` through a role assumed there."""
    base = dict(endpoint_url=SERVER["url"], region_name=region, config=CONFIG)
    sts = boto3.client("sts", aws_access_key_id="AKIAEXAMPLE", aws_secret_access_key="x", **base)
    creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/Admin", RoleSessionName="selftest")["Credentials"]
    return boto3.client("ssm", aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                        aws_session_token=creds["SessionToken"], **base)


def check_document(linux_only=True):
    steps = [{"action": "aws:runShellScript", "name": "linux",
              "precondition": {"StringEquals": ["platformType", "Linux"]},
              "inputs": {"runCommand": ['id -- "$SSM_User" >/dev/null']}}]
    if not linux_only:
        steps.append({"action": "aws:runShellScript", "name": "macos",
                      "precondition": {"StringEquals": ["platformType", "MacOS"]},
                      "inputs": {"runCommand": ['id -- "$SSM_User" >/dev/null']}})
    return json.dumps({
        "schemaVersion": "2.2",
        "description": "does the Run As user exist on this node?",
        "parameters": {"User": {"type": "String", "interpolationType": "ENV_VAR", "allowedPattern": USER_PATTERN}},
        "mainSteps": steps,
    })


def create_document(client, name="Check", content=None, doc_type="Command"):
    client.create_document(Name=name, Content=content or check_document(), DocumentType=doc_type,
                           DocumentFormat="JSON")


ALL = [{"Key": "InstanceIds", "Values": ["*"]}]
LINUX_OK = ["i-0aaaaaaaaaaaaaaa1", "i-0aaaaaaaaaaaaaaa2"]
LINUX_LACKING = "i-0aaaaaaaaaaaaaaa3"
WINDOWS = "i-0aaaaaaaaaaaaaaa4"


def small_fleet(account):
    fleet(account, [
        {"id": LINUX_OK[0], "platform": "Linux", "users": ["ec2-user", "ssm-ops"]},
        {"id": LINUX_OK[1], "platform": "Linux", "users": ["ec2-user", "ssm-ops"]},
        {"id": LINUX_LACKING, "platform": "Linux", "users": ["ec2-user"]},
        {"id": WINDOWS, "platform": "Windows"},
    ])


def paged(call, key, **kwargs):
    """Every item of a listing and the number of requests it took."""
    items, calls, token = [], 0, None
    while True:
        page = call(**kwargs, **({"NextToken": token} if token else {}))
        calls += 1
        items += page[key]
        token = page.get("NextToken")
        if not token:
            return items, calls


class Case(unittest.TestCase):
    def assertError(self, code, call, **kwargs):
        with self.assertRaises(ClientError) as caught:
            call(**kwargs)
        error = caught.exception.response
        self.assertEqual(error["Error"]["Code"], code, error)
        self.assertEqual(error["ResponseMetadata"]["HTTPStatusCode"], 400)
        return error["Error"]["Message"]

    def member(self, with_fleet=True):
        account = next(ACCOUNTS)
        client = ssm(account)
        create_document(client)
        if with_fleet:
            small_fleet(account)
        return account, client

    def associate(self, client, user="ssm-ops", **extra):
        args = dict(Name="Check", Targets=ALL, Parameters={"User": [user]},
                    AssociationName="runas-check", ScheduleExpression="rate(1 day)")
        args.update(extra)
        return client.create_association(**args)["AssociationDescription"]


class Overview(Case):
    def test_overview_counts_the_nodes_and_failed_targets_page(self):
        _, client = self.member()
        made = self.associate(client)
        self.assertEqual(made["AssociationVersion"], "1")
        self.assertEqual(made["Overview"], {"Status": "Pending", "DetailedStatus": "Creating"})
        self.assertEqual(made["Parameters"], {"User": ["ssm-ops"]})
        self.assertEqual(made["DocumentVersion"], "$DEFAULT")
        uuid.UUID(made["AssociationId"])
        aid = made["AssociationId"]

        d = client.describe_association(AssociationId=aid)["AssociationDescription"]
        self.assertEqual(d["Overview"]["Status"], "Failed")
        self.assertEqual(d["Overview"]["AssociationStatusAggregatedCount"], {"Success": 3, "Failed": 1})
        self.assertEqual(d["Parameters"], {"User": ["ssm-ops"]})
        self.assertIn("LastExecutionDate", d)
        self.assertNotIn("LastSuccessfulExecutionDate", d)

        executions = client.describe_association_executions(AssociationId=aid)["AssociationExecutions"]
        self.assertEqual(len(executions), 1)
        self.assertEqual(executions[0]["ResourceCountByStatus"], "{Failed=1, Success=3}")
        self.assertEqual((executions[0]["Status"], executions[0]["AssociationVersion"]), ("Failed", "1"))
        eid = executions[0]["ExecutionId"]

        failed, calls = paged(client.describe_association_execution_targets, "AssociationExecutionTargets",
                              AssociationId=aid, ExecutionId=eid, MaxResults=1,
                              Filters=[{"Key": "Status", "Value": "Failed"}])
        self.assertEqual([t["ResourceId"] for t in failed], [LINUX_LACKING])
        self.assertEqual(calls, 1)
        self.assertEqual(failed[0]["ResourceType"], "ManagedInstance")
        self.assertEqual(failed[0]["DetailedStatus"], "Failed")

        every, calls = paged(client.describe_association_execution_targets, "AssociationExecutionTargets",
                             AssociationId=aid, ExecutionId=eid, MaxResults=1)
        self.assertEqual(calls, 4)
        statuses = {t["ResourceId"]: t["Status"] for t in every}
        self.assertEqual(statuses, {LINUX_OK[0]: "Success", LINUX_OK[1]: "Success",
                                    LINUX_LACKING: "Failed", WINDOWS: "Success"})

        one = client.describe_association_execution_targets(
            AssociationId=aid, ExecutionId=eid, Filters=[{"Key": "ResourceId", "Value": WINDOWS}])
        self.assertEqual([t["Status"] for t in one["AssociationExecutionTargets"]], ["Success"])
        none = client.describe_association_execution_targets(
            AssociationId=aid, ExecutionId=eid, Filters=[{"Key": "ResourceType", "Value": "Document"}])
        self.assertEqual(none["AssociationExecutionTargets"], [])

        # A token belongs to the listing that gave it.
        first = client.describe_association_execution_targets(AssociationId=aid, ExecutionId=eid, MaxResults=1)
        self.assertError("InvalidNextToken", client.describe_association_execution_targets,
                         AssociationId=aid, ExecutionId=eid, NextToken=first["NextToken"],
                         Filters=[{"Key": "Status", "Value": "Success"}])
        self.assertError("AssociationExecutionDoesNotExist", client.describe_association_execution_targets,
                         AssociationId=aid, ExecutionId=str(uuid.uuid4()))
        self.assertError("AssociationDoesNotExist", client.describe_association_executions,
                         AssociationId=str(uuid.uuid4()))
        self.assertError("ValidationException", client.describe_association_execution_targets,
                         AssociationId=aid, ExecutionId=eid, Filters=[{"Key": "Platform", "Value": "Linux"}])

    def test_error_body_is_shaped_like_moto_ssm_errors(self):
        conn = http.client.HTTPConnection("127.0.0.1", SERVER["port"], timeout=30)
        conn.request("POST", "/", body=json.dumps({"AssociationId": str(uuid.uuid4())}), headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "AmazonSSM.DescribeAssociation",
            "Authorization": "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20240101/eu-west-1/ssm/aws4_request, "
                             "SignedHeaders=host, Signature=abc",
        })
        resp = conn.getresponse()
        body = json.loads(resp.read())
        conn.close()
        self.assertEqual(resp.status, 400)
        self.assertEqual(body["__type"], "AssociationDoesNotExist")
        self.assertIn("does not exist", body["Message"])


class Update(Case):
    def test_versions_concurrency_and_parameter_checks(self):
        _, client = self.member()
        aid = self.associate(client)["AssociationId"]
        update = client.update_association

        self.assertError("InvalidAssociationVersion", update, AssociationId=aid, AssociationVersion="2",
                         Parameters={"User": ["ec2-user"]})
        self.assertError("InvalidParameters", update, AssociationId=aid, Parameters={"User": ["Root!"]})
        self.assertError("InvalidParameters", update, AssociationId=aid,
                         Parameters={"User": ["ec2-user"], "Shell": ["bash"]})
        self.assertError("InvalidParameters", update, AssociationId=aid, Parameters={})
        self.assertError("AssociationDoesNotExist", update, AssociationId=str(uuid.uuid4()),
                         Parameters={"User": ["ec2-user"]})
        self.assertError("ValidationException", update, AssociationId="not-an-id")
        self.assertError("InvalidDocument", update, AssociationId=aid, Name="NoSuchDocument")
        self.assertEqual(client.describe_association(AssociationId=aid)["AssociationDescription"]
                         ["AssociationVersion"], "1", "refused updates add no version")

        made = update(AssociationId=aid, AssociationVersion="1", Parameters={"User": ["ec2-user"]})
        made = made["AssociationDescription"]
        self.assertEqual(made["AssociationVersion"], "2")
        self.assertEqual(made["Overview"], {"Status": "Pending", "DetailedStatus": "Associated"})
        d = client.describe_association(AssociationId=aid)["AssociationDescription"]
        self.assertEqual(d["Overview"]["AssociationStatusAggregatedCount"], {"Success": 4})
        self.assertEqual(d["Overview"]["Status"], "Success")
        self.assertIn("LastSuccessfulExecutionDate", d)
        # Optional fields the update left out are null now (AWS documents it);
        # the document and targets stay.
        self.assertNotIn("AssociationName", d)
        self.assertNotIn("ScheduleExpression", d)
        self.assertEqual((d["Name"], d["Targets"], d["DocumentVersion"]), ("Check", ALL, "$DEFAULT"))
        executions = client.describe_association_executions(AssociationId=aid)["AssociationExecutions"]
        newest = max(executions, key=lambda e: e["CreatedTime"])
        self.assertEqual(sorted(e["AssociationVersion"] for e in executions), ["1", "2"])
        self.assertEqual(newest["AssociationVersion"], "2", "CreatedTime tells the newest")

        old = client.describe_association(AssociationId=aid, AssociationVersion="1")["AssociationDescription"]
        self.assertEqual((old["AssociationVersion"], old["Parameters"]), ("1", {"User": ["ssm-ops"]}))
        self.assertError("InvalidAssociationVersion", client.describe_association,
                         AssociationId=aid, AssociationVersion="3")

        # A schedule change is a version, not a run.
        made = update(AssociationId=aid, AssociationVersion="$LATEST", ScheduleExpression="rate(12 hours)",
                      Parameters={"User": ["ec2-user"]})
        self.assertEqual(made["AssociationDescription"]["AssociationVersion"], "3")
        self.assertEqual(made["AssociationDescription"]["Overview"]["Status"], "Success")
        self.assertEqual(len(client.describe_association_executions(AssociationId=aid)["AssociationExecutions"]), 2)
        self.assertError("InvalidSchedule", update, AssociationId=aid, ScheduleExpression="rate(5 minutes)")


class Listing(Case):
    def test_filter_by_association_name_pages_and_leaves_parameters_out(self):
        _, client = self.member()
        ours = [self.associate(client)["AssociationId"] for _ in range(3)]
        other = self.associate(client, AssociationName="someone-else")["AssociationId"]

        listed, calls = paged(client.list_associations, "Associations", MaxResults=1,
                              AssociationFilterList=[{"key": "AssociationName", "value": "runas-check"}])
        self.assertEqual([a["AssociationId"] for a in listed], ours)
        self.assertEqual(calls, 3)
        for a in listed:
            self.assertNotIn("Parameters", a)
            self.assertEqual((a["Name"], a["AssociationVersion"], a["Targets"]), ("Check", "1", ALL))
            self.assertEqual(a["Overview"]["AssociationStatusAggregatedCount"], {"Success": 3, "Failed": 1})
            self.assertIn("LastExecutionDate", a)

        everything = client.list_associations()["Associations"]
        self.assertEqual([a["AssociationId"] for a in everything], ours + [other])
        by_id = client.list_associations(AssociationFilterList=[{"key": "AssociationId", "value": other}])
        self.assertEqual([a["AssociationName"] for a in by_id["Associations"]], ["someone-else"])
        by_name = client.list_associations(AssociationFilterList=[{"key": "Name", "value": "Check"},
                                                                  {"key": "AssociationStatusName", "value": "Failed"}])
        self.assertEqual(len(by_name["Associations"]), 4)
        self.assertEqual(client.list_associations(
            AssociationFilterList=[{"key": "Name", "value": "Other"}])["Associations"], [])

        self.assertError("InvalidNextToken", client.list_associations, NextToken="bm90LWEtdG9rZW4=")
        self.assertError("ValidationException", client.list_associations,
                         AssociationFilterList=[{"key": "Color", "value": "blue"}])
        self.assertError("ValidationException", client.list_associations, MaxResults=51)
        self.assertError("ValidationException", client.list_associations, MaxResults=0)

    def test_delete_by_id_and_legacy_name_and_instance(self):
        _, client = self.member()
        aid = self.associate(client)["AssociationId"]
        client.delete_association(AssociationId=aid)
        self.assertError("AssociationDoesNotExist", client.describe_association, AssociationId=aid)
        self.assertError("AssociationDoesNotExist", client.delete_association, AssociationId=aid)
        self.assertEqual(client.list_associations()["Associations"], [])

        legacy = client.create_association(Name="Check", InstanceId=WINDOWS, Parameters={"User": ["ssm-ops"]})
        legacy = legacy["AssociationDescription"]
        self.assertEqual(legacy["Targets"], [{"Key": "InstanceIds", "Values": [WINDOWS]}])
        self.assertError("AssociationAlreadyExists", client.create_association, Name="Check",
                         InstanceId=WINDOWS, Parameters={"User": ["ssm-ops"]})
        found = client.describe_association(Name="Check", InstanceId=WINDOWS)["AssociationDescription"]
        self.assertEqual(found["AssociationId"], legacy["AssociationId"])
        only = client.list_associations(AssociationFilterList=[{"key": "InstanceId", "value": WINDOWS}])
        self.assertEqual([a["AssociationId"] for a in only["Associations"]], [legacy["AssociationId"]])
        client.delete_association(Name="Check", InstanceId=WINDOWS)
        self.assertError("AssociationDoesNotExist", client.describe_association, Name="Check", InstanceId=WINDOWS)


class Create(Case):
    def test_create_is_refused_as_the_model_says(self):
        account, client = self.member()
        create = client.create_association
        user = {"User": ["ssm-ops"]}
        self.assertError("InvalidDocument", create, Name="NoSuchDocument", Targets=ALL, Parameters=user)
        create_document(client, "Shell", json.dumps({"schemaVersion": "1.0", "description": "s",
                                                     "sessionType": "Standard_Stream", "inputs": {}}), "Session")
        self.assertError("InvalidDocument", create, Name="Shell", Targets=ALL)
        self.assertError("InvalidDocumentVersion", create, Name="Check", Targets=ALL, Parameters=user,
                         DocumentVersion="7")
        self.assertError("InvalidParameters", create, Name="Check", Targets=ALL)
        self.assertError("InvalidParameters", create, Name="Check", Targets=ALL, Parameters={"User": ["a", "b"]})
        self.assertError("InvalidTarget", create, Name="Check", Parameters=user,
                         Targets=[{"Key": "resource-groups:Name", "Values": ["web"]}])
        self.assertError("InvalidTarget", create, Name="Check", Parameters=user,
                         Targets=[{"Key": "InstanceIds", "Values": ["*", LINUX_OK[0]]}])
        self.assertError("InvalidTarget", create, Name="Check", Parameters=user,
                         Targets=[{"Key": "InstanceIds", "Values": ["web-1"]}])
        self.assertError("InvalidTarget", create, Name="Check", Parameters=user, Targets=[{"Key": "tag:Role"}])
        self.assertError("ValidationException", create, Name="Check", Parameters=user)
        self.assertError("ValidationException", create, Name="Check", Parameters=user, Targets=ALL,
                         AssociationName="no spaces")
        self.assertError("ValidationException", create, Name="Check", Parameters=user, Targets=ALL,
                         ComplianceSeverity="SEVERE")
        self.assertError("ValidationException", create, Name="Check", Parameters=user, Targets=ALL,
                         MaxConcurrency="0")
        self.assertError("InvalidSchedule", create, Name="Check", Parameters=user, Targets=ALL,
                         ScheduleExpression="every day")
        self.assertError("InvalidInstanceId", create, Name="Check", Parameters=user, InstanceId="i-0bbbbbbbbbbbbbbb9")
        self.assertEqual(client.list_associations()["Associations"], [], "nothing refused was kept")

        # The document by its ARN; another account's only when shared.
        arn = f"arn:aws:ssm:{REGION}:{account}:document/Check"
        made = create(Name=arn, Targets=ALL, Parameters=user)["AssociationDescription"]
        self.assertEqual(made["Name"], arn)
        stranger = ssm(next(ACCOUNTS))
        self.assertError("InvalidDocument", stranger.create_association, Name="Check", Targets=ALL, Parameters=user)
        self.assertError("InvalidDocument", stranger.create_association, Name=arn, Targets=ALL, Parameters=user)
        self.assertEqual(stranger.list_associations()["Associations"], [], "associations are per account")


class Runs(Case):
    def test_platforms_tags_schedule_and_new_nodes(self):
        account, client = self.member(with_fleet=False)
        create_document(client, "CheckBoth", check_document(linux_only=False))
        fleet(account, [
            {"id": "i-0ccccccccccccccc1", "platform": "MacOS", "users": ["admin"], "tags": {"Role": "build"}},
            {"id": "i-0ccccccccccccccc2", "platform": "Linux", "users": ["ssm-ops"], "tags": {"Role": "web"}},
        ])
        # A Linux-only check skips the Mac (Success); one with a MacOS step checks it.
        linux_only = self.associate(client)["AssociationId"]
        both = self.associate(client, Name="CheckBoth")["AssociationId"]
        counts = lambda aid: client.describe_association(AssociationId=aid)["AssociationDescription"][
            "Overview"].get("AssociationStatusAggregatedCount")
        self.assertEqual(counts(linux_only), {"Success": 2})
        self.assertEqual(counts(both), {"Success": 1, "Failed": 1})

        tagged = self.associate(client, Targets=[{"Key": "tag:Role", "Values": ["web"]}])["AssociationId"]
        self.assertEqual(counts(tagged), {"Success": 1})
        keyed = self.associate(client, Targets=[{"Key": "tag-key", "Values": ["Role"]}])["AssociationId"]
        self.assertEqual(counts(keyed), {"Success": 2})

        later = self.associate(client, ApplyOnlyAtCronInterval=True, ScheduleExpression="cron(0 2 ? * SUN *)")
        later = later["AssociationId"]
        self.assertEqual(client.describe_association(AssociationId=later)["AssociationDescription"]["Overview"],
                         {"Status": "Pending", "DetailedStatus": "Pending"})

        # New nodes wait for the schedule; the schedule runs every association once.
        fleet(account, [{"id": "i-0ccccccccccccccc3", "platform": "Linux", "users": []}])
        self.assertEqual(counts(linux_only), {"Success": 2})
        other_account, other = self.member()
        other_id = self.associate(other)["AssociationId"]
        ran = run(account=account)
        self.assertEqual(len(ran), 5)
        self.assertEqual({(r["account"], r["region"]) for r in ran}, {(account, REGION)})
        self.assertEqual(counts(linux_only), {"Failed": 1})
        self.assertEqual(counts(later), {"Failed": 1})
        self.assertEqual(len(other.describe_association_executions(AssociationId=other_id)
                             ["AssociationExecutions"]), 1, "another account's schedule did not run")

        executions = client.describe_association_executions(AssociationId=linux_only)["AssociationExecutions"]
        self.assertEqual([e["ResourceCountByStatus"] for e in executions], ["{Failed=1}", "{Success=2}"])
        newest, oldest = executions
        pick = lambda **f: [e["ExecutionId"] for e in client.describe_association_executions(
            AssociationId=linux_only, Filters=[f])["AssociationExecutions"]]
        self.assertEqual(pick(Key="Status", Value="Success", Type="EQUAL"), [oldest["ExecutionId"]])
        self.assertEqual(pick(Key="ExecutionId", Value=newest["ExecutionId"], Type="EQUAL"), [newest["ExecutionId"]])
        seen = f"{oldest['CreatedTime'].timestamp():.3f}"
        self.assertEqual(pick(Key="CreatedTime", Value=seen, Type="GREATER_THAN"), [newest["ExecutionId"]])
        self.assertEqual(pick(Key="CreatedTime", Value=seen, Type="EQUAL"), [oldest["ExecutionId"]])
        self.assertEqual(pick(Key="CreatedTime", Value="2000-01-01T00:00:00Z", Type="LESS_THAN"), [])
        paged_ids, calls = paged(client.describe_association_executions, "AssociationExecutions",
                                 AssociationId=linux_only, MaxResults=1)
        self.assertEqual(([e["ExecutionId"] for e in paged_ids], calls),
                         ([newest["ExecutionId"], oldest["ExecutionId"]], 2))
        self.assertError("ValidationException", client.describe_association_executions, AssociationId=linux_only,
                         Filters=[{"Key": "Status", "Value": "Failed", "Type": "LESS_THAN"}])

    def test_five_thousand_nodes_page_in_fifties(self):
        account, client = self.member(with_fleet=False)
        out = fleet(account, count=5000, users=["ec2-user"], prefix="i-0f")
        self.assertEqual(out["nodes"], 5000)
        started = time.time()
        aid = self.associate(client)["AssociationId"]
        d = client.describe_association(AssociationId=aid)["AssociationDescription"]
        self.assertEqual(d["Overview"]["AssociationStatusAggregatedCount"], {"Failed": 5000})
        eid = client.describe_association_executions(AssociationId=aid, MaxResults=1)[
            "AssociationExecutions"][0]["ExecutionId"]
        failed, calls = paged(client.describe_association_execution_targets, "AssociationExecutionTargets",
                              AssociationId=aid, ExecutionId=eid, MaxResults=50,
                              Filters=[{"Key": "Status", "Value": "Failed"}])
        elapsed = time.time() - started
        ids = [t["ResourceId"] for t in failed]
        self.assertEqual((len(ids), len(set(ids)), calls), (5000, 5000, 100))
        self.assertTrue(all(re.fullmatch(r"i-0f[0-9a-f]{15}", i) for i in ids), ids[:3])
        none = client.describe_association_execution_targets(
            AssociationId=aid, ExecutionId=eid, MaxResults=50, Filters=[{"Key": "Status", "Value": "Success"}])
        self.assertEqual((none["AssociationExecutionTargets"], none.get("NextToken")), ([], None))
        self.assertLess(elapsed, 30, "5,000 targets in 100 pages")
        print(f"\n  5,000-node fleet: create + 100 filtered pages in {elapsed:.2f}s", file=sys.stderr)


LINUX_OR_MAC = [{"Key": "PlatformTypes", "Values": ["Linux", "MacOS"]}]


def shipped_check_document():
    """The check document as infra/member.yaml ships it (RunAsUserCheckDocument)."""
    sys.path.insert(0, os.path.dirname(HERE))
    from infra.tests import cfn  # noqa: PLC0415 - the repo root is on the path only now
    member = cfn.load_template(cfn.MEMBER_TEMPLATE)
    return json.dumps(member["Resources"]["RunAsUserCheckDocument"]["Properties"]["Content"])


OLD_AGENT, NEW_AGENT = "3.3.987.0", "3.3.2746.0"
SHIPPED_MISSING = "runas-guard: Run As user ssm-ops does not exist on this node"


class Agents(Case):
    """Each node's agent runs the document as its version does
    (moto_ssm_agent.py): ENV_VAR from 3.3.2746.0 on, {{ }} everywhere."""

    def agents_fleet(self, account):
        fleet(account, [
            {"id": "i-0ddddddddddddddd1", "users": ["ssm-ops"], "agent_version": NEW_AGENT},
            {"id": "i-0ddddddddddddddd2", "users": ["ssm-ops"], "agent_version": OLD_AGENT},
            {"id": "i-0ddddddddddddddd3", "users": [], "agent_version": NEW_AGENT},
            {"id": "i-0ddddddddddddddd4", "users": [], "agent_version": OLD_AGENT},
            {"id": "i-0ddddddddddddddd5", "users": ["ssm-ops"], "outcome": "timeout"},
            {"id": "i-0ddddddddddddddd6", "users": ["ssm-ops"], "outcome": "undeliverable"},
        ])

    def statuses(self, client, aid):
        return {n: client.describe_instance_associations_status(InstanceId=n)["InstanceAssociationStatusInfos"]
                for n in (f"i-0ddddddddddddddd{i}" for i in range(1, 7))}

    def test_a_script_reading_only_ssm_user_fails_on_an_older_agent(self):
        account, client = self.member(with_fleet=False)
        self.agents_fleet(account)
        aid = self.associate(client)["AssociationId"]
        overview = client.describe_association(AssociationId=aid)["AssociationDescription"]["Overview"]
        # Node 2 has the user but an agent that sets no SSM_User: it fails too.
        self.assertEqual(overview["AssociationStatusAggregatedCount"],
                         {"Success": 1, "Failed": 3, "TimedOut": 1, "Undeliverable": 1})
        infos = self.statuses(client, aid)
        self.assertEqual(infos["i-0ddddddddddddddd1"][0]["Status"], "Success")
        self.assertEqual(infos["i-0ddddddddddddddd2"][0]["Status"], "Failed")
        self.assertIn("id: '': no such user", infos["i-0ddddddddddddddd2"][0]["ExecutionSummary"])
        self.assertEqual(infos["i-0ddddddddddddddd5"][0]["Status"], "TimedOut")
        self.assertIn("1 timedout", infos["i-0ddddddddddddddd5"][0]["ExecutionSummary"])
        self.assertEqual(infos["i-0ddddddddddddddd6"][0]["Status"], "Undeliverable")
        self.assertNotIn("ExecutionSummary", infos["i-0ddddddddddddddd6"][0])

    def test_the_shipped_document_gives_the_same_verdict_on_every_agent(self):
        account, client = self.member(with_fleet=False)
        create_document(client, "Shipped", shipped_check_document())
        self.agents_fleet(account)
        aid = self.associate(client, Name="Shipped")["AssociationId"]
        overview = client.describe_association(AssociationId=aid)["AssociationDescription"]["Overview"]
        self.assertEqual(overview["AssociationStatusAggregatedCount"],
                         {"Success": 2, "Failed": 2, "TimedOut": 1, "Undeliverable": 1})
        infos = self.statuses(client, aid)
        for node in ("i-0ddddddddddddddd1", "i-0ddddddddddddddd2"):
            self.assertEqual(infos[node][0]["Status"], "Success", node)
        for node in ("i-0ddddddddddddddd3", "i-0ddddddddddddddd4"):
            info = infos[node][0]
            self.assertEqual((info["Status"], info["ErrorCode"]), ("Failed", "ExecutionError"), node)
            # As the agent builds it: counts, then the failed step's stderr.
            self.assertTrue(info["ExecutionSummary"].startswith(
                "2 out of 2 plugins processed, 0 success, 1 failed, 0 timedout, 1 skipped. \n"
                "The operation checkRunAsUserLinux failed because " + SHIPPED_MISSING), info)
            self.assertEqual((info["AssociationId"], info["AssociationName"], info["Name"]),
                             (aid, "runas-check", "Shipped"))

    def test_reports_are_per_association_and_paged_and_errors_are_named(self):
        account, client = self.member(with_fleet=False)
        self.agents_fleet(account)
        first = self.associate(client)["AssociationId"]
        second = self.associate(client, AssociationName="another")["AssociationId"]
        page = client.describe_instance_associations_status(InstanceId="i-0ddddddddddddddd1", MaxResults=1)
        self.assertEqual(len(page["InstanceAssociationStatusInfos"]), 1)
        rest = client.describe_instance_associations_status(InstanceId="i-0ddddddddddddddd1",
                                                            NextToken=page["NextToken"])
        self.assertNotIn("NextToken", rest)
        ids = {i["AssociationId"] for i in page["InstanceAssociationStatusInfos"] + rest["InstanceAssociationStatusInfos"]}
        self.assertEqual(ids, {first, second})
        self.assertError("InvalidInstanceId", client.describe_instance_associations_status,
                         InstanceId="i-0eeeeeeeeeeeeeee1")
        self.assertError("ValidationException", client.describe_instance_associations_status)
        self.assertError("InvalidNextToken", client.describe_instance_associations_status,
                         InstanceId="i-0ddddddddddddddd2", NextToken=page["NextToken"])
        status, out = control("POST", "/_emulated/ssm/fleet",
                              {"account": account, "region": REGION,
                               "nodes": [{"id": "i-0ddddddddddddddd1", "outcome": "lost"}]})
        self.assertEqual(status, 400, out)

    def test_a_long_stderr_is_cut_as_the_agent_cuts_it(self):
        account, client = self.member(with_fleet=False)
        loud = json.dumps({
            "schemaVersion": "2.2",
            "parameters": {"User": {"type": "String", "interpolationType": "ENV_VAR",
                                    "allowedPattern": USER_PATTERN}},
            "mainSteps": [{"action": "aws:runShellScript", "name": "loud",
                           "inputs": {"runCommand": ["i=0; while [ $i -lt 100 ]; do printf 'xxxxxxxxxx' >&2; "
                                                     "i=$((i+1)); done; exit 3"]}}],
        })
        create_document(client, "Loud", loud)
        fleet(account, [{"id": "i-0ddddddddddddddd1", "users": ["ssm-ops"]}])
        self.associate(client, Name="Loud")
        info = client.describe_instance_associations_status(
            InstanceId="i-0ddddddddddddddd1")["InstanceAssociationStatusInfos"][0]
        self.assertEqual(info["Status"], "Failed")
        self.assertEqual(len(info["ExecutionSummary"]), 510)
        self.assertTrue(info["ExecutionSummary"].endswith("--output truncated--"))


class InstanceInformation(Case):
    """DescribeInstanceInformation over the emulated fleet."""

    def test_platform_filter_fields_and_the_legacy_list(self):
        account = next(ACCOUNTS)
        client = ssm(account)
        fleet(account, [
            {"id": "i-0ddddddddddddddd1", "platform": "Windows"},
            {"id": "i-0ddddddddddddddd2", "platform": "Linux", "agent_version": "3.2.582.0"},
            {"id": "mi-0ddddddddddddddd3", "platform": "Linux", "tags": {"Role": "web"}},
            {"id": "i-0ddddddddddddddd4", "platform": "MacOS", "tags": {"Role": "build"}},
        ])
        every = client.describe_instance_information()["InstanceInformationList"]
        self.assertEqual(len(every), 4)
        found = client.describe_instance_information(Filters=LINUX_OR_MAC, MaxResults=5)
        self.assertNotIn("NextToken", found)
        info = {i["InstanceId"]: i for i in found["InstanceInformationList"]}
        self.assertEqual(list(info), ["i-0ddddddddddddddd2", "mi-0ddddddddddddddd3", "i-0ddddddddddddddd4"],
                         "fleet order, Windows left out")
        linux, hybrid, mac = info.values()
        self.assertEqual((linux["PingStatus"], linux["PlatformType"], linux["PlatformName"], linux["ResourceType"],
                          linux["AgentVersion"]), ("Online", "Linux", "Amazon Linux", "EC2Instance", "3.2.582.0"))
        self.assertEqual((hybrid["ResourceType"], hybrid["SourceType"], hybrid["AgentVersion"]),
                         ("ManagedInstance", "AWS::SSM::ManagedInstance", "3.3.3572.0"))
        self.assertIn("RegistrationDate", hybrid)
        self.assertEqual((mac["PlatformType"], mac["PlatformName"]), ("MacOS", "macOS"))
        for i in info.values():
            self.assertLess(abs(time.time() - i["LastPingDateTime"].timestamp()), 60)
            self.assertNotIn("AssociationStatus", i, "no association has run on it")

        legacy = client.describe_instance_information(
            InstanceInformationFilterList=[{"key": "PlatformTypes", "valueSet": ["Linux", "MacOS"]}])
        self.assertEqual([i["InstanceId"] for i in legacy["InstanceInformationList"]], list(info))
        pick = lambda **kwargs: [i["InstanceId"] for i in
                                 client.describe_instance_information(**kwargs)["InstanceInformationList"]]
        self.assertEqual(pick(Filters=[{"Key": "PlatformTypes", "Values": ["Linux"]},
                                       {"Key": "ResourceType", "Values": ["ManagedInstance"]}]),
                         ["mi-0ddddddddddddddd3"], "filters are ANDed")
        self.assertEqual(pick(Filters=[{"Key": "tag:Role", "Values": ["build", "db"]}]), ["i-0ddddddddddddddd4"])
        self.assertEqual(pick(Filters=[{"Key": "tag-key", "Values": ["Role"]}]),
                         ["mi-0ddddddddddddddd3", "i-0ddddddddddddddd4"])
        self.assertEqual(pick(Filters=[{"Key": "InstanceIds", "Values": ["i-0ddddddddddddddd1",
                                                                         "i-0eeeeeeeeeeeeeee9"]}]),
                         ["i-0ddddddddddddddd1"])
        self.assertEqual(pick(Filters=[{"Key": "AgentVersion", "Values": ["3.2.582.0"]}]), ["i-0ddddddddddddddd2"])
        self.assertEqual(pick(Filters=[{"Key": "PingStatus", "Values": ["ConnectionLost"]}]), [])
        self.assertEqual(pick(Filters=[{"Key": "IamRole", "Values": ["SSMRole"]}]), [])

    def test_pages_of_five_cover_the_matches_once(self):
        account = next(ACCOUNTS)
        client = ssm(account)
        nodes = [{"id": f"i-0fffffffffffff{n:03x}", "platform": ("Linux", "Windows", "MacOS")[n % 3]}
                 for n in range(18)]
        fleet(account, nodes)
        wanted = [n["id"] for n in nodes if n["platform"] != "Windows"]
        listed, calls = paged(client.describe_instance_information, "InstanceInformationList",
                              Filters=LINUX_OR_MAC, MaxResults=5)
        self.assertEqual(([i["InstanceId"] for i in listed], calls), (wanted, 3))
        first = client.describe_instance_information(Filters=LINUX_OR_MAC, MaxResults=5)
        self.assertEqual(len(first["InstanceInformationList"]), 5)
        # A token belongs to its listing: other filters, or another account, refuse it.
        self.assertError("InvalidNextToken", client.describe_instance_information, NextToken=first["NextToken"],
                         Filters=[{"Key": "PlatformTypes", "Values": ["Linux"]}], MaxResults=5)
        self.assertError("InvalidNextToken", ssm(next(ACCOUNTS)).describe_instance_information,
                         NextToken=first["NextToken"], Filters=LINUX_OR_MAC, MaxResults=5)
        self.assertError("InvalidNextToken", client.describe_instance_information, NextToken="bm90LWEtdG9rZW4=")
        # The default page is 10.
        default = client.describe_instance_information()
        self.assertEqual(len(default["InstanceInformationList"]), 10)
        self.assertIn("NextToken", default)

    def test_refused_as_the_model_and_the_docs_say(self):
        account = next(ACCOUNTS)
        client = ssm(account)
        fleet(account, [{"id": "i-0ddddddddddddddd1"}])
        call = client.describe_instance_information
        self.assertError("InvalidFilterKey", call, Filters=LINUX_OR_MAC,
                         InstanceInformationFilterList=[{"key": "PlatformTypes", "valueSet": ["Linux"]}])
        self.assertError("ValidationException", call, MaxResults=4)
        self.assertError("ValidationException", call, MaxResults=51)
        self.assertError("ValidationException", call, MaxResults=0)
        self.assertError("ValidationException", call,
                         InstanceInformationFilterList=[{"key": "tag:Role", "valueSet": ["web"]}])
        self.assertError("ValidationException", call, Filters=[{"Key": "PlatformTypes", "Values": []}])
        self.assertError("ValidationException", call, Filters=[{"Key": "", "Values": ["Linux"]}])
        self.assertError("InvalidFilterKey", call, Filters=[{"Key": "Platform", "Values": ["Linux"]}])
        self.assertError("InvalidFilterKey", call, Filters=[{"Key": "tag:Role", "Values": ["web"]},
                                                            {"Key": "PlatformTypes", "Values": ["Linux"]}])
        self.assertError("InvalidInstanceInformationFilterValue", call,
                         Filters=[{"Key": "PlatformTypes", "Values": ["Linux", "Solaris"]}])
        message = self.assertError("InvalidInstanceInformationFilterValue", call,
                                   Filters=[{"Key": "ResourceType", "Values": ["EC2Instance", "ManagedInstance"]}])
        self.assertIn("only one value", message)
        self.assertError("InvalidInstanceId", call, Filters=[{"Key": "InstanceIds", "Values": ["web-1"]}])

    def test_only_the_callers_account_region_and_an_empty_fleet(self):
        account, other = next(ACCOUNTS), next(ACCOUNTS)
        fleet(other, [{"id": "i-0ddddddddddddddd1"}])
        fleet(account, [{"id": "i-0ddddddddddddddd2", "platform": "MacOS"}], region="us-east-1")
        empty = ssm(account).describe_instance_information(Filters=LINUX_OR_MAC, MaxResults=5)
        self.assertEqual((empty["InstanceInformationList"], empty.get("NextToken")), ([], None))
        there = ssm(account, "us-east-1").describe_instance_information(Filters=LINUX_OR_MAC, MaxResults=5)
        self.assertEqual([i["InstanceId"] for i in there["InstanceInformationList"]], ["i-0ddddddddddddddd2"])
        fleet(account, [], region="us-east-1")
        emptied = ssm(account, "us-east-1").describe_instance_information(Filters=LINUX_OR_MAC, MaxResults=5)
        self.assertEqual(emptied["InstanceInformationList"], [], "the fleet set empty lists nothing")

    def test_sparse_pages_filter_after_paging_as_aws_was_seen_to(self):
        account = next(ACCOUNTS)
        client = ssm(account)
        nodes = [{"id": f"i-0aaaaaaaaaaaab{n:03x}", "platform": "Windows"} for n in range(7)]
        nodes.append({"id": "i-0aaaaaaaaaaaabfff", "platform": "MacOS"})
        fleet(account, nodes, sparse_pages=True)
        first = client.describe_instance_information(Filters=LINUX_OR_MAC, MaxResults=5)
        self.assertEqual(first["InstanceInformationList"], [])
        self.assertIn("NextToken", first, "an empty page is not the end")
        listed, calls = paged(client.describe_instance_information, "InstanceInformationList",
                              Filters=LINUX_OR_MAC, MaxResults=5)
        self.assertEqual(([i["InstanceId"] for i in listed], calls), (["i-0aaaaaaaaaaaabfff"], 2))
        self.assertEqual(fleet(account, nodes)["nodes"], 8)
        dense = client.describe_instance_information(Filters=LINUX_OR_MAC, MaxResults=5)
        self.assertEqual(([i["InstanceId"] for i in dense["InstanceInformationList"]], dense.get("NextToken")),
                         (["i-0aaaaaaaaaaaabfff"], None), "sparse_pages is off unless asked for")

    def test_association_status_follows_the_runs(self):
        _, client = self.member()
        self.associate(client)
        info = {i["InstanceId"]: i for i in client.describe_instance_information()["InstanceInformationList"]}
        self.assertEqual(info[LINUX_LACKING]["AssociationStatus"], "Failed")
        self.assertEqual(info[LINUX_LACKING]["AssociationOverview"],
                         {"DetailedStatus": "Failed", "InstanceAssociationStatusAggregatedCount": {"Failed": 1}})
        self.assertNotIn("LastSuccessfulAssociationExecutionDate", info[LINUX_LACKING])
        self.assertEqual(info[WINDOWS]["AssociationStatus"], "Success")
        self.assertIn("LastSuccessfulAssociationExecutionDate", info[WINDOWS])
        failed = client.describe_instance_information(Filters=[{"Key": "AssociationStatus", "Values": ["Failed"]}])
        self.assertEqual([i["InstanceId"] for i in failed["InstanceInformationList"]], [LINUX_LACKING])


class Edges(Case):
    """What an editor can do to an association, and runs seen mid-way."""

    def test_an_update_nulls_the_optional_fields_it_leaves_out(self):
        _, client = self.member()
        aid = self.associate(client, CalendarNames=["freeze"], MaxErrors="0", MaxConcurrency="1",
                             SyncCompliance="MANUAL", ApplyOnlyAtCronInterval=False,
                             ComplianceSeverity="LOW",
                             OutputLocation={"S3Location": {"OutputS3BucketName": "b"}})["AssociationId"]
        d = client.describe_association(AssociationId=aid)["AssociationDescription"]
        self.assertEqual((d["CalendarNames"], d["MaxErrors"], d["SyncCompliance"]), (["freeze"], "0", "MANUAL"))
        client.update_association(AssociationId=aid, Name="Check", Parameters={"User": ["ssm-ops"]})
        d = client.describe_association(AssociationId=aid)["AssociationDescription"]
        for gone in ("CalendarNames", "MaxErrors", "MaxConcurrency", "SyncCompliance", "ComplianceSeverity",
                     "OutputLocation", "AssociationName", "ScheduleExpression", "ApplyOnlyAtCronInterval"):
            self.assertNotIn(gone, d)
        self.assertEqual((d["Targets"], d["Parameters"]), (ALL, {"User": ["ssm-ops"]}))
        # A required parameter left out is refused, as on create.
        self.assertError("InvalidParameters", client.update_association, AssociationId=aid,
                         ScheduleExpression="rate(1 day)")

    def test_the_version_limit_refuses_updates_until_it_is_made_anew(self):
        _, client = self.member(with_fleet=False)
        aid = self.associate(client)["AssociationId"]
        for _ in range(3):  # the server's limit is 4
            client.update_association(AssociationId=aid, Parameters={"User": ["ssm-ops"]})
        message = self.assertError("AssociationVersionLimitExceeded", client.update_association,
                                   AssociationId=aid, Parameters={"User": ["ssm-ops"]})
        self.assertIn("limit of 4 versions", message)
        d = client.describe_association(AssociationId=aid)["AssociationDescription"]
        self.assertEqual(d["AssociationVersion"], "4", "a refused update adds no version")
        client.delete_association(AssociationId=aid)
        self.assertEqual(self.associate(client)["AssociationVersion"], "1")

    def test_a_closed_calendar_stops_every_run_and_max_errors_stops_one(self):
        account, client = self.member()
        held = self.associate(client, CalendarNames=["freeze"])["AssociationId"]
        self.assertEqual(len(client.describe_association_executions(AssociationId=held)["AssociationExecutions"]),
                         1, "an open (never set) calendar lets it run")
        self.assertEqual(control("POST", "/_emulated/ssm/calendar",
                                 {"account": account, "region": REGION, "name": "freeze", "state": "CLOSED"})[0], 200)
        self.assertEqual([e["AssociationId"] for e in run(account=account)], [])
        self.assertEqual(len(client.describe_association_executions(AssociationId=held)["AssociationExecutions"]), 1)
        control("POST", "/_emulated/ssm/calendar",
                {"account": account, "region": REGION, "name": "freeze", "state": "OPEN"})
        self.assertEqual([e["AssociationId"] for e in run(account=account)], [held])

        fleet(account, [{"id": f"i-0aaaaaaaaaaaaac{n:02x}", "users": []} for n in range(5)])
        stopped = self.associate(client, MaxErrors="1")["AssociationId"]
        d = client.describe_association(AssociationId=stopped)["AssociationDescription"]
        self.assertEqual(d["Overview"]["AssociationStatusAggregatedCount"], {"Failed": 2},
                         "the stop comes at the second error; three nodes never ran")
        percent = self.associate(client, MaxErrors="20%")["AssociationId"]
        d = client.describe_association(AssociationId=percent)["AssociationDescription"]
        self.assertEqual(d["Overview"]["AssociationStatusAggregatedCount"], {"Failed": 2})

    def test_a_run_held_in_progress_shows_pending_nodes_until_it_finishes(self):
        account, client = self.member()
        aid = self.associate(client)["AssociationId"]
        out = run(account=account, in_progress=1)
        self.assertEqual([e["Status"] for e in out], ["InProgress"])
        d = client.describe_association(AssociationId=aid)["AssociationDescription"]
        self.assertEqual(d["Overview"], {"Status": "Pending", "DetailedStatus": "InProgress",
                                         "AssociationStatusAggregatedCount": {"Success": 1, "Pending": 3}})
        statuses = sorted(e["Status"] for e in
                          client.describe_association_executions(AssociationId=aid)["AssociationExecutions"])
        self.assertEqual(statuses, ["Failed", "InProgress"])
        self.assertEqual(control("POST", "/_emulated/ssm/run/finish", {"account": account})[1], {"finished": 1})
        d = client.describe_association(AssociationId=aid)["AssociationDescription"]
        self.assertEqual(d["Overview"]["AssociationStatusAggregatedCount"], {"Success": 3, "Failed": 1})

    def test_executions_come_in_no_order_and_created_time_tells_the_newest(self):
        account, client = self.member(with_fleet=False)
        aid = self.associate(client)["AssociationId"]
        made = [client.describe_association_executions(AssociationId=aid)["AssociationExecutions"][0]["ExecutionId"]]
        for _ in range(7):
            time.sleep(0.002)  # times are kept to the millisecond
            made.append(run(account=account)[0]["ExecutionId"])
        listed, calls = paged(client.describe_association_executions, "AssociationExecutions",
                              AssociationId=aid, MaxResults=3)
        self.assertEqual(calls, 3)
        ids = [e["ExecutionId"] for e in listed]
        self.assertEqual(sorted(ids), sorted(made), "each once")
        self.assertNotEqual(ids, made[::-1], "not newest first")
        self.assertNotEqual(ids, made, "not oldest first")
        again, _ = paged(client.describe_association_executions, "AssociationExecutions", AssociationId=aid)
        self.assertEqual([e["ExecutionId"] for e in again], ids, "the same order every time")
        newest = max(listed, key=lambda e: e["CreatedTime"])
        self.assertEqual(newest["ExecutionId"], made[-1])

    def test_control_endpoints_refuse_bad_run_and_calendar_bodies(self):
        account = next(ACCOUNTS)
        for body in ({"in_progress": -1}, {"in_progress": "some"}, {"in_progress": True}):
            self.assertEqual(control("POST", "/_emulated/ssm/run", body)[0], 400, body)
        for body in ({"account": account, "region": REGION, "name": "freeze", "state": "SHUT"},
                     {"account": account, "region": REGION, "state": "OPEN"},
                     {"region": REGION, "name": "freeze", "state": "OPEN"}):
            self.assertEqual(control("POST", "/_emulated/ssm/calendar", body)[0], 400, body)


class Control(Case):
    def test_calls_are_counted_by_operation_and_account_region(self):
        account, client = self.member()
        aid = self.associate(client)["AssociationId"]
        status, _ = control("POST", "/_emulated/ssm/calls/reset")
        self.assertEqual(status, 200)
        client.describe_association(AssociationId=aid)
        client.describe_association(AssociationId=aid)
        client.list_associations()
        self.assertError("AssociationDoesNotExist", client.describe_association, AssociationId=str(uuid.uuid4()))
        client.describe_instance_information(Filters=[{"Key": "PlatformTypes", "Values": ["Linux", "MacOS"]}],
                                             MaxResults=5)
        self.assertError("ValidationException", client.describe_instance_information, MaxResults=1)
        status, calls = control("GET", "/_emulated/ssm/calls")
        self.assertEqual(status, 200)
        self.assertEqual(calls["by_account_region"][f"{account}/{REGION}"],
                         {"DescribeAssociation": 3, "DescribeInstanceInformation": 2, "ListAssociations": 1})
        self.assertEqual(calls["total"], 6)
        control("POST", "/_emulated/ssm/calls/reset")
        self.assertEqual(control("GET", "/_emulated/ssm/calls")[1],
                         {"total": 0, "operations": {}, "by_account_region": {}})

    def test_control_endpoints_refuse_bad_bodies(self):
        account = next(ACCOUNTS)
        bad = [
            {"region": REGION, "nodes": []},
            {"account": account, "region": REGION, "nodes": [{"id": "web-1"}]},
            {"account": account, "region": REGION, "nodes": [{"id": WINDOWS, "platform": "Solaris"}]},
            {"account": account, "region": REGION, "nodes": [{"id": WINDOWS}, {"id": WINDOWS}]},
            {"account": account, "region": REGION, "count": 17, "prefix": "i-0123456789abcdef"},
            {"account": account, "region": REGION, "nodes": [{"id": WINDOWS, "agent_version": "latest"}]},
            {"account": account, "region": REGION, "nodes": [], "sparse_pages": "yes"},
        ]
        for body in bad:
            status, out = control("POST", "/_emulated/ssm/fleet", body)
            self.assertEqual(status, 400, body)
            self.assertIn("error", out)
        self.assertEqual(control("GET", "/_emulated/ssm/nothing")[0], 404)

    def test_the_document_version_patches_apply_too(self):
        _, client = self.member(with_fleet=False)
        versions = client.list_document_versions(Name="Check")["DocumentVersions"]
        self.assertEqual([v["DocumentVersion"] for v in versions], ["1"])
        self.assertError("InvalidNextToken", client.list_document_versions, Name="Check", NextToken="x")
        client.update_document(Name="Check", Content=check_document(linux_only=False), DocumentVersion="$LATEST")
        # The server runs with RUNAS_GUARD_TEST_SSM_VERSION_LIMIT=2.
        self.assertError("DocumentVersionLimitExceeded", client.update_document, Name="Check",
                         Content=check_document(), DocumentVersion="$LATEST")


if __name__ == "__main__":
    unittest.main(verbosity=2)

"""Self-test of tests/moto_ssm_associations.py (unittest, boto3).

    .venv/bin/python tests/moto_ssm_associations_selftest.py

Starts the emulator on a free loopback port and talks to it as the product
does: SSM over JSON 1.1 from a role assumed in a member account (moto maps
the assumed role's keys to the account in the role ARN), the fleet and the
schedule through the emulation's control endpoints. Each test works in
accounts of its own, so the tests share one server.
"""

import functools
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


def ssm(account, region=REGION, role="Admin"):
    """An SSM client acting in `account` through a role assumed there."""
    base = dict(endpoint_url=SERVER["url"], region_name=region, config=CONFIG)
    sts = boto3.client("sts", aws_access_key_id="AKIAEXAMPLE", aws_secret_access_key="x", **base)
    creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/{role}", RoleSessionName="selftest")["Credentials"]
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
    return json.dumps(cfn.check_document())


OLD_AGENT, NEW_AGENT = "3.3.987.0", "3.3.2746.0"
SHIPPED_MISSING = "runas-guard: Run As user ssm-ops does not exist on this node"
SHIPPED_TOO_OLD = "runas-guard: check could not run: agent too old to pass the user safely"


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

    def test_the_shipped_document_asks_newer_agents_and_fails_closed_on_older_ones(self):
        # The shipped check takes the user only from SSM_User: a newer agent
        # gives the script's verdict; an older one (no SSM_User; it
        # substitutes {{ }}, of which the text has none) makes it fail closed,
        # with or without the user on the node, and id never runs.
        account, client = self.member(with_fleet=False)
        create_document(client, "Shipped", shipped_check_document())
        self.agents_fleet(account)
        aid = self.associate(client, Name="Shipped")["AssociationId"]
        overview = client.describe_association(AssociationId=aid)["AssociationDescription"]["Overview"]
        self.assertEqual(overview["AssociationStatusAggregatedCount"],
                         {"Success": 1, "Failed": 3, "TimedOut": 1, "Undeliverable": 1})
        infos = self.statuses(client, aid)
        self.assertEqual(infos["i-0ddddddddddddddd1"][0]["Status"], "Success")
        lead = ("2 out of 2 plugins processed, 0 success, 1 failed, 0 timedout, 1 skipped. \n"
                "The operation checkRunAsUserLinux failed because ")
        for node, line in (("i-0ddddddddddddddd3", SHIPPED_MISSING), ("i-0ddddddddddddddd2", SHIPPED_TOO_OLD),
                           ("i-0ddddddddddddddd4", SHIPPED_TOO_OLD)):
            info = infos[node][0]
            self.assertEqual((info["Status"], info["ErrorCode"]), ("Failed", "ExecutionError"), node)
            # As the agent builds it: counts, then the failed step's stderr.
            self.assertTrue(info["ExecutionSummary"].startswith(lead + line), info)
            self.assertEqual((info["AssociationId"], info["AssociationName"], info["Name"]),
                             (aid, "runas-check", "Shipped"))
        for node in ("i-0ddddddddddddddd2", "i-0ddddddddddddddd4"):
            summary = infos[node][0]["ExecutionSummary"]
            self.assertIn("3.3.2746.0 or later", summary)
            self.assertNotIn("does not exist", summary)
            self.assertNotIn("no such user", summary)

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
                         {"total": 0, "operations": {}, "by_account_region": {}, "denied": {}})

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

    def test_a_document_carries_at_most_fifty_tags(self):
        _, client = self.member(with_fleet=False)
        add = functools.partial(client.add_tags_to_resource, ResourceType="Document", ResourceId="Check")
        listed = functools.partial(client.list_tags_for_resource, ResourceType="Document", ResourceId="Check")
        add(Tags=[{"Key": f"k{i:02d}", "Value": "v"} for i in range(50)])
        message = self.assertError("TooManyTagsError", add, Tags=[{"Key": "runas-guard:canary", "Value": "t"}])
        self.assertIn("too many tags", message)
        self.assertError("TooManyTagsError", add, Tags=[{"Key": f"n{i}", "Value": "v"} for i in range(51)])
        self.assertEqual(len(listed()["TagList"]), 50, "a refused add changes nothing")
        add(Tags=[{"Key": "k00", "Value": "new"}])  # an overwrite adds no tag
        self.assertEqual({t["Key"]: t["Value"] for t in listed()["TagList"]}["k00"], "new")
        client.remove_tags_from_resource(ResourceType="Document", ResourceId="Check", TagKeys=["k01"])
        add(Tags=[{"Key": "runas-guard:canary", "Value": "t"}])
        self.assertEqual(len(listed()["TagList"]), 50)
        # Other resource types keep moto's handling (and its answers).
        self.assertError("InvalidResourceId", add, ResourceId="NoSuchDocument",
                         Tags=[{"Key": "k", "Value": "v"}])


def user_ssm(account):
    """An SSM client with an IAM user's own keys in `account` (no role
    session): the tests' administrator, whom the tag guard never holds."""
    base = dict(endpoint_url=SERVER["url"], region_name=REGION, config=CONFIG)
    sts = boto3.client("sts", aws_access_key_id="AKIAEXAMPLE", aws_secret_access_key="x", **base)
    creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/Admin", RoleSessionName="setup")["Credentials"]
    iam = boto3.client("iam", aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                       aws_session_token=creds["SessionToken"], **base)
    iam.create_user(UserName="administrator")
    key = iam.create_access_key(UserName="administrator")["AccessKey"]
    return boto3.client("ssm", aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"],
                        **base)


MANAGED = {"Key": "runas-guard:managed", "Value": "true"}


def tags(client, aid):
    return client.list_tags_for_resource(ResourceType="Association", ResourceId=aid)["TagList"]


class Tags(Case):
    def test_tags_round_trip_through_create_add_remove_and_list(self):
        _, client = self.member(with_fleet=False)
        made = self.associate(client, Tags=[{"Key": "b", "Value": "2"}, {"Key": "a", "Value": ""}])
        aid = made["AssociationId"]
        self.assertNotIn("Tags", made)
        self.assertEqual(tags(client, aid), [{"Key": "a", "Value": ""}, {"Key": "b", "Value": "2"}], "by key")
        client.add_tags_to_resource(ResourceType="Association", ResourceId=aid,
                                    Tags=[{"Key": "c", "Value": "3"}, {"Key": "a", "Value": "9"}])
        self.assertEqual(tags(client, aid), [{"Key": "a", "Value": "9"}, {"Key": "b", "Value": "2"},
                                             {"Key": "c", "Value": "3"}])
        client.remove_tags_from_resource(ResourceType="Association", ResourceId=aid, TagKeys=["b", "never-there"])
        self.assertEqual(tags(client, aid), [{"Key": "a", "Value": "9"}, {"Key": "c", "Value": "3"}])
        client.update_association(AssociationId=aid, Parameters={"User": ["ec2-user"]})
        self.assertEqual([t["Key"] for t in tags(client, aid)], ["a", "c"], "an update keeps the tags")
        other = self.associate(client, AssociationName="untagged")["AssociationId"]
        self.assertEqual(tags(client, other), [])
        client.delete_association(AssociationId=aid)
        self.assertError("InvalidResourceId", client.list_tags_for_resource, ResourceType="Association",
                         ResourceId=aid)

    def test_tags_are_refused_as_the_model_and_aws_say(self):
        _, client = self.member(with_fleet=False)
        for bad, code in (([{"Key": "aws:owner", "Value": "x"}], "InvalidTag"),
                          ([{"Key": "AWS:Owner", "Value": "x"}], "InvalidTag"),
                          ([{"Key": "k" * 129, "Value": "x"}], "ValidationException"),
                          ([{"Key": "", "Value": "x"}], "ValidationException"),
                          ([{"Key": "k", "Value": "v" * 257}], "ValidationException"),
                          ([{"Key": "no#hash", "Value": "x"}], "ValidationException"),
                          ([{"Key": "k", "Value": "no*star"}], "ValidationException"),
                          ([{"Key": "k"}], "ValidationException"),
                          ([{"Key": "k", "Value": "1"}, {"Key": "k", "Value": "1"}], "ValidationException"),
                          ([{"Key": f"k{i}", "Value": ""} for i in range(51)], "TooManyTagsError")):
            self.assertError(code, functools.partial(self.associate, client), Tags=bad)
        self.assertEqual(client.list_associations()["Associations"], [], "nothing was created")
        fifty = [{"Key": f"k{i:02d}", "Value": "v"} for i in range(49)] + [{"Key": "Größe 1:/=+-@_.", "Value": "ü"}]
        aid = self.associate(client, Tags=fifty)["AssociationId"]
        self.assertEqual(len(tags(client, aid)), 50)
        add = functools.partial(client.add_tags_to_resource, ResourceType="Association", ResourceId=aid)
        self.assertError("TooManyTagsError", add, Tags=[{"Key": "k50", "Value": "v"}])
        add(Tags=[{"Key": "k00", "Value": "new"}])  # an overwrite adds no tag
        listed = tags(client, aid)
        self.assertEqual((len(listed), {t["Key"]: t["Value"] for t in listed}["k00"]), (50, "new"))
        self.assertError("ValidationException", add, Tags=[{"Key": "aws:x", "Value": "v"}])
        self.assertError("ValidationException", add, Tags=[{"Key": "k00", "Value": "a"}, {"Key": "k00", "Value": "b"}])
        self.assertError("ValidationException", add)  # no Tags at all
        self.assertEqual(tags(client, aid), listed, "a refused add changes nothing")
        missing = str(uuid.uuid4())
        self.assertError("InvalidResourceId", add, ResourceId=missing, Tags=[{"Key": "k", "Value": "v"}])
        self.assertError("InvalidResourceId", client.remove_tags_from_resource, ResourceType="Association",
                         ResourceId=missing, TagKeys=["k"])
        self.assertError("InvalidResourceId", client.list_tags_for_resource, ResourceType="Association",
                         ResourceId="not-an-id")
        self.assertError("ValidationException", client.remove_tags_from_resource, ResourceType="Association",
                         ResourceId=aid, TagKeys=["k" * 129])

    def test_other_resource_types_still_reach_moto(self):
        account, client = self.member(with_fleet=False)
        aid = self.associate(client)["AssociationId"]
        control("POST", "/_emulated/ssm/calls/reset")
        client.add_tags_to_resource(ResourceType="Document", ResourceId="Check", Tags=[{"Key": "team", "Value": "ops"}])
        self.assertEqual(client.list_tags_for_resource(ResourceType="Document", ResourceId="Check")["TagList"],
                         [{"Key": "team", "Value": "ops"}])
        self.assertEqual(tags(client, aid), [], "a document's tags are not the association's")
        # moto's own answers, as before this module: its messages, its types.
        message = self.assertError("InvalidResourceId", client.list_tags_for_resource, ResourceType="Document",
                                   ResourceId="NoSuchDocument")
        self.assertEqual(message, "Invalid Resource Id")
        self.assertError("InvalidResourceType", client.list_tags_for_resource, ResourceType="Bogus", ResourceId="x")
        client.remove_tags_from_resource(ResourceType="Document", ResourceId="Check", TagKeys=["team"])
        self.assertEqual(client.list_tags_for_resource(ResourceType="Document", ResourceId="Check")["TagList"], [])
        calls = control("GET", "/_emulated/ssm/calls")[1]
        self.assertEqual(calls["by_account_region"][f"{account}/{REGION}"], {"ListTagsForResource": 1},
                         "only the association's listing is the emulation's")


DENIED = re.compile(r"User: arn:aws:sts::(\d{12}):assumed-role/RunAsGuardExecution/selftest is not authorized "
                    r"to perform: ssm:(\w+) on resource: arn:aws:ssm:eu-west-1:(\d{12}):association/(\S+) "
                    r"because no identity-based policy allows the ssm:\2 action")


def guard(role="RunAsGuardExecution", **body):
    body = dict(dict(key=MANAGED["Key"], value=MANAGED["Value"]) if role else {}, role=role, **body)
    return control("POST", "/_emulated/ssm/tag_guard", body)


class TagGuard(Case):
    def setUp(self):
        self.assertEqual(guard(), (200, {"role": "RunAsGuardExecution", "key": MANAGED["Key"],
                                         "value": MANAGED["Value"]}))
        self.addCleanup(guard, None)
        control("POST", "/_emulated/ssm/calls/reset")

    def assertDenied(self, op, resource, call, **kwargs):
        message = self.assertError("AccessDeniedException", call, **kwargs)
        match = DENIED.fullmatch(message)
        self.assertIsNotNone(match, message)
        self.assertEqual((match.group(2), match.group(4)), (op, resource))
        self.assertEqual(match.group(1), match.group(3))

    def denied(self):
        return control("GET", "/_emulated/ssm/calls")[1]["denied"]

    def test_the_member_role_writes_only_what_it_tagged(self):
        account, _ = self.member(with_fleet=False)
        admin, member = user_ssm(account), ssm(account, role="RunAsGuardExecution")
        for bad in (None, [], [{"Key": MANAGED["Key"], "Value": "false"}], [MANAGED, {"Key": "extra", "Value": ""}],
                    [{"Key": "other", "Value": "true"}]):
            extra = {} if bad is None else {"Tags": bad}
            self.assertDenied("CreateAssociation", "*", functools.partial(self.associate, member), **extra)
        self.assertEqual(admin.list_associations()["Associations"], [], "a denied create made nothing")
        mine = self.associate(member, Tags=[MANAGED])["AssociationId"]
        self.assertEqual(tags(member, mine), [MANAGED])
        updated = member.update_association(AssociationId=mine, Parameters={"User": ["ec2-user"]})
        self.assertEqual(updated["AssociationDescription"]["AssociationVersion"], "2")

        theirs = self.associate(admin, AssociationName="by-admin")["AssociationId"]
        self.assertDenied("UpdateAssociation", theirs, member.update_association, AssociationId=theirs,
                          Parameters={"User": ["ec2-user"]})
        d = admin.describe_association(AssociationId=theirs)["AssociationDescription"]
        self.assertEqual((d["AssociationVersion"], d["Parameters"]), ("1", {"User": ["ssm-ops"]}))
        for bad in ([{"Key": "other", "Value": "true"}], [{"Key": MANAGED["Key"], "Value": "yes"}],
                    [MANAGED, {"Key": "other", "Value": "true"}]):
            self.assertDenied("AddTagsToResource", theirs, member.add_tags_to_resource, ResourceType="Association",
                              ResourceId=theirs, Tags=bad)
        self.assertEqual(tags(member, theirs), [], "a denied add tagged nothing")
        member.add_tags_to_resource(ResourceType="Association", ResourceId=theirs, Tags=[MANAGED])
        member.update_association(AssociationId=theirs, Parameters={"User": ["ec2-user"]})
        self.assertEqual(admin.describe_association(AssociationId=theirs)["AssociationDescription"]
                         ["AssociationVersion"], "2")
        self.assertDenied("RemoveTagsFromResource", theirs, member.remove_tags_from_resource,
                          ResourceType="Association", ResourceId=theirs, TagKeys=[MANAGED["Key"]])
        self.assertEqual(tags(admin, theirs), [MANAGED], "a denied remove removed nothing")
        member.delete_association(AssociationId=theirs)
        self.assertError("AssociationDoesNotExist", admin.describe_association, AssociationId=theirs)

        self.assertEqual(self.denied(), {"AddTagsToResource": 3, "CreateAssociation": 5, "RemoveTagsFromResource": 1,
                                         "UpdateAssociation": 1})
        calls = control("GET", "/_emulated/ssm/calls")[1]["by_account_region"][f"{account}/{REGION}"]
        self.assertEqual((calls["CreateAssociation"], calls["UpdateAssociation"]), (7, 3), "denials are calls too")
        control("POST", "/_emulated/ssm/calls/reset")
        self.assertEqual(self.denied(), {})

    def test_a_missing_association_carries_no_tag(self):
        account, _ = self.member(with_fleet=False)
        member = ssm(account, role="RunAsGuardExecution")
        missing = str(uuid.uuid4())
        self.assertDenied("UpdateAssociation", missing, member.update_association, AssociationId=missing)
        self.assertError("InvalidResourceId", member.add_tags_to_resource, ResourceType="Association",
                         ResourceId=missing, Tags=[MANAGED])
        # Another resource type is moto's, never guarded.
        member.add_tags_to_resource(ResourceType="Document", ResourceId="Check", Tags=[{"Key": "k", "Value": "v"}])
        self.assertEqual(self.denied(), {"UpdateAssociation": 1})

    def test_an_administrator_is_never_guarded(self):
        account, admin_role = self.member(with_fleet=False)
        for admin in (user_ssm(account), admin_role):
            aid = self.associate(admin, Tags=[{"Key": "other", "Value": "x"}])["AssociationId"]
            admin.update_association(AssociationId=aid, Parameters={"User": ["ec2-user"]})
            admin.add_tags_to_resource(ResourceType="Association", ResourceId=aid, Tags=[{"Key": "more", "Value": ""}])
            admin.remove_tags_from_resource(ResourceType="Association", ResourceId=aid, TagKeys=["other"])
            self.assertEqual(tags(admin, aid), [{"Key": "more", "Value": ""}])
            self.assertEqual(admin.describe_association(AssociationId=aid)["AssociationDescription"]
                             ["AssociationVersion"], "2")
        self.assertEqual(self.denied(), {})

    def test_a_guard_turned_off_guards_nothing(self):
        self.assertEqual(guard(None), (200, {"role": None}))
        account, _ = self.member(with_fleet=False)
        member = ssm(account, role="RunAsGuardExecution")
        aid = self.associate(member)["AssociationId"]
        member.update_association(AssociationId=aid, Parameters={"User": ["ec2-user"]})
        member.add_tags_to_resource(ResourceType="Association", ResourceId=aid, Tags=[{"Key": "k", "Value": "v"}])
        member.remove_tags_from_resource(ResourceType="Association", ResourceId=aid, TagKeys=["k"])
        self.assertEqual(tags(member, aid), [])
        self.assertEqual(self.denied(), {})

    def test_another_guarded_role_name_and_bad_bodies(self):
        self.assertEqual(guard("Other")[0], 200)
        account, _ = self.member(with_fleet=False)
        self.associate(ssm(account, role="RunAsGuardExecution"))
        other = ssm(account, role="Other")
        self.assertError("AccessDeniedException", functools.partial(self.associate, other))
        for body in ({"role": 5}, {"role": ""}, {"role": "a/b", "key": "k", "value": "v"},
                     {"role": "R", "value": "v"}, {"role": "R", "key": "aws:k", "value": "v"},
                     {"role": "R", "key": "k"}, {"role": "R", "key": "k", "value": 7}):
            status, out = control("POST", "/_emulated/ssm/tag_guard", body)
            self.assertEqual(status, 400, body)
            self.assertIn("error", out)
        self.assertError("AccessDeniedException", functools.partial(self.associate, other),
                         AssociationName="still-guarded")
        self.assertEqual(self.denied(), {"CreateAssociation": 2})


if __name__ == "__main__":
    unittest.main(verbosity=2)

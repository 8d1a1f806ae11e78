"""runas-guard demo on a local AWS (moto server on loopback).

Act 1: accounts are vended (Organizations and Control Tower events) and
configured in every governed region by `runas-guard handle`.
Act 2: an account admin edits a member's document; the CloudTrail event is
replayed and the edit is reverted, with an alert naming who did it.
Act 3: the organization-wide reconcile, first as a dry run, then for real.

Run with `make demo`. Everything runs against 127.0.0.1; nothing leaves the machine.
With `make demo KEEP=1` (environment KEEP=1) the local AWS keeps running
afterwards, its files stay in .demo/, and the `export` lines to explore it
with `runas-guard` (and the AWS CLI) are printed at the end.
"""

import copy
import json
import os
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import boto3

REPO = Path(__file__).resolve().parent.parent
BIN = REPO / "target" / "debug" / "runas-guard"
MOTO = REPO / ".venv" / "bin" / "moto_server"
REGIONS = ["us-east-1", "eu-west-1"]
DOC = "SSM-SessionManagerRunShell"


def banner(text):
    print(f"\n\033[1m=== {text} ===\033[0m" if sys.stdout.isatty() else f"\n=== {text} ===", flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


KEEP = os.environ.get("KEEP", "") not in ("", "0")


def start_moto(command=None):
    """moto (or `command`, a server taking moto_server's arguments) on a free
    loopback port; returns the process and its URL."""
    port = free_port()
    # KEEP: a session of its own, so moto outlives make and this script.
    proc = subprocess.Popen([*(command or [str(MOTO)]), "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=KEEP)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return proc, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.2)
    proc.kill()
    sys.exit("moto_server did not start")


class Demo:
    def __init__(self, url, workdir):
        self.url = url
        self.workdir = Path(workdir)
        self.session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                     region_name="us-east-1")
        self.env = dict(os.environ, AWS_ENDPOINT_URL=url, AWS_REGION="us-east-1", AWS_DEFAULT_REGION="us-east-1",
                        AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                        AWS_EC2_METADATA_DISABLED="true")
        self.env.pop("AWS_PROFILE", None)

    def client(self, service, region="us-east-1", creds=None):
        kw = {}
        if creds:
            kw = dict(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                      aws_session_token=creds["SessionToken"])
        return self.session.client(service, region_name=region, endpoint_url=self.url, **kw)

    def member(self, account, region, role="Admin"):
        creds = self.client("sts").assume_role(RoleArn=f"arn:aws:iam::{account}:role/{role}",
                                               RoleSessionName="demo-admin")["Credentials"]
        return self.client("ssm", region, creds)

    def seed(self):
        org = self.client("organizations")
        org.create_organization(FeatureSet="ALL")
        root = org.list_roots()["Roots"][0]["Id"]
        ou = lambda parent, name: org.create_organizational_unit(ParentId=parent, Name=name)["OrganizationalUnit"]["Id"]
        self.workloads = ou(root, "Workloads")
        self.prod = ou(self.workloads, "Prod")
        self.dev = ou(self.workloads, "Dev")
        self.sandbox = ou(root, "Sandbox")

        def account(name, parent):
            acct = org.create_account(AccountName=name, Email=f"{name}@example.com")["CreateAccountStatus"]["AccountId"]
            org.move_account(AccountId=acct, SourceParentId=root, DestinationParentId=parent)
            return acct

        self.payments = account("payments-prod", self.prod)
        self.analytics = account("analytics-dev", self.dev)
        self.lza = account("shared-services", self.workloads)
        self.sandbox_acct = account("sandbox-jane", self.sandbox)
        # LZA already wrote its logging inputs here, RunAs off.
        for region in REGIONS:
            self.member(self.lza, region).create_document(
                Name=DOC, DocumentType="Session", DocumentFormat="JSON",
                Content=json.dumps(self.lza_doc(self.lza, region), indent=2))

        ddb = self.client("dynamodb")
        # As infra/hub.yaml's StateTable, with the sparse state index sweeps read.
        ddb.create_table(TableName="runas-guard", BillingMode="PAY_PER_REQUEST",
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                               {"AttributeName": "sk", "AttributeType": "S"},
                                               {"AttributeName": "state_shard", "AttributeType": "S"}],
                         KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                    {"AttributeName": "sk", "KeyType": "RANGE"}],
                         GlobalSecondaryIndexes=[{
                             "IndexName": "state",
                             "KeySchema": [{"AttributeName": "state_shard", "KeyType": "HASH"},
                                           {"AttributeName": "pk", "KeyType": "RANGE"}],
                             "Projection": {"ProjectionType": "ALL"}}])
        sns, sqs = self.client("sns"), self.client("sqs")
        self.topic = sns.create_topic(Name="runas-guard-alerts")["TopicArn"]
        self.queue = sqs.create_queue(QueueName="oncall")["QueueUrl"]
        sns.subscribe(TopicArn=self.topic, Protocol="sqs", Endpoint="arn:aws:sqs:us-east-1:123456789012:oncall")

        policy = self.workdir / "policy.toml"
        policy.write_text(f"""member_role = "RunAsGuardExecution"
regions = ["us-east-1", "eu-west-1"]
mode = "enforce"

[default]
run_as_user = "ssm-ops"

[[ou]]
id = "{self.workloads}"   # Workloads
run_as_user = "workload"

[[ou]]
id = "{self.prod}"        # Workloads/Prod
run_as_user = "produser"

[exempt]
principals = ["arn:aws:iam::*:role/AWSAccelerator*"]
""")
        self.env.update(RUNAS_GUARD_POLICY=str(policy), RUNAS_GUARD_TABLE="runas-guard",
                        RUNAS_GUARD_TOPIC_ARN=self.topic)
        print(f"organization: Root/Workloads ({self.workloads}) / Prod ({self.prod}), Dev ({self.dev}); Sandbox ({self.sandbox})")
        for name, acct in [("payments-prod (Workloads/Prod)", self.payments), ("analytics-dev (Workloads/Dev)", self.analytics),
                           ("shared-services (Workloads, LZA logging inputs, RunAs off)", self.lza),
                           ("sandbox-jane (Sandbox)", self.sandbox_acct)]:
            print(f"  {acct}  {name}")
        print(f"policy: {policy}\n" + policy.read_text())

    @staticmethod
    def lza_doc(account, region):
        return {"schemaVersion": "1.0", "description": "Document to hold regional settings for Session Manager",
                "sessionType": "Standard_Stream",
                "inputs": {"s3BucketName": f"aws-accelerator-central-logs-{account}-{region}",
                           "s3KeyPrefix": f"session/{account}", "s3EncryptionEnabled": True,
                           "cloudWatchLogGroupName": "aws-accelerator-sessionmanager-logs",
                           "cloudWatchEncryptionEnabled": True, "cloudWatchStreamingEnabled": True,
                           "kmsKeyId": "", "idleSessionTimeout": "20", "maxSessionDuration": "",
                           "runAsEnabled": False, "runAsDefaultUser": "",
                           "shellProfile": {"linux": "exec bash -l", "windows": ""}}}

    def run(self, *args, check=True):
        print("$ runas-guard " + " ".join(args), flush=True)
        proc = subprocess.run([str(BIN), *args], env=self.env, capture_output=True, text=True)
        if proc.stderr.strip():
            print(proc.stderr.strip(), file=sys.stderr)
        if check and proc.returncode not in (0,):
            sys.exit(f"runas-guard {' '.join(args)} exited {proc.returncode}")
        return proc

    def handle(self, event):
        path = self.workdir / f"event-{uuid.uuid4().hex[:8]}.json"
        path.write_text(json.dumps(event, indent=2))
        out = json.loads(self.run("handle", str(path)).stdout)
        trig = out["trigger"]
        print(f"  trigger {trig['trigger']} ({trig['event_name']}) account {trig['account']}: {out['result']} - {out['reason']}")
        for acct in out.get("accounts", []):
            print(f"  account {acct['account']} ou {acct['ou_path']} user {acct['desired_user']} ({acct['rule']}) via role {acct['role']}")
            for r in acct["regions"]:
                before = "no document" if r["before"] is None else json.dumps(r["before"])
                print(f"    {r['region']:<10} {r['action']:<16} before {before}  after {json.dumps(r['after'])}")
        return out

    def alerts(self):
        sqs = self.client("sqs")
        got = []
        while True:
            msgs = sqs.receive_message(QueueUrl=self.queue, MaxNumberOfMessages=10).get("Messages", [])
            if not msgs:
                break
            for m in msgs:
                got.append(json.loads(m["Body"]))
                sqs.delete_message(QueueUrl=self.queue, ReceiptHandle=m["ReceiptHandle"])
        for env in got:
            msg = json.loads(env["Message"])
            print(f"  [{msg['severity']}] {env['Subject']}")
            keep = {k: msg.get(k) for k in ("kind", "account", "region", "actor", "source_ip", "before", "after", "trigger_id")}
            print("    " + json.dumps(keep))
        if not got:
            print("  (none)")

    def sample(self, name):
        return json.loads((REPO / "events" / name).read_text())

    def act1(self):
        banner("Act 1: accounts vended -> configured in every governed region")
        e = self.sample("account_vended.organizations-create-account-result.json")
        e["id"] = str(uuid.uuid4())
        e["detail"]["serviceEventDetails"]["createAccountStatus"]["accountId"] = self.payments
        self.handle(e)
        e = self.sample("account_vended.controltower-create-managed-account.json")
        e["id"] = str(uuid.uuid4())
        st = e["detail"]["serviceEventDetails"]["createManagedAccountStatus"]
        st["account"]["accountId"], st["organizationalUnit"]["organizationalUnitId"] = self.analytics, self.dev
        st["organizationalUnit"]["organizationalUnitName"] = "Dev"
        self.handle(e)
        e = self.sample("account_vended.controltower-update-managed-account.json")
        e["id"] = str(uuid.uuid4())
        st = e["detail"]["serviceEventDetails"]["updateManagedAccountStatus"]
        st["account"]["accountId"], st["organizationalUnit"]["organizationalUnitId"] = self.lza, self.workloads
        st["organizationalUnit"]["organizationalUnitName"] = "Workloads"
        out = self.handle(e)
        print("\n  the same event delivered again (EventBridge is at-least-once):")
        self.handle(e)
        doc = json.loads(self.member(self.lza, "eu-west-1").get_document(Name=DOC)["Content"])
        print(f"\n  shared-services eu-west-1 keeps LZA's logging inputs: s3BucketName={doc['inputs']['s3BucketName']!r}, "
              f"cloudWatchLogGroupName={doc['inputs']['cloudWatchLogGroupName']!r}; runAsEnabled={doc['inputs']['runAsEnabled']}, "
              f"runAsDefaultUser={doc['inputs']['runAsDefaultUser']!r}")
        print("\nalerts received on the on-call queue:")
        self.alerts()
        return out

    def act2(self):
        banner("Act 2: an admin changes RunAs in payments-prod -> reverted, alert names them")
        ssm = self.member(self.payments, "eu-west-1")
        doc = json.loads(ssm.get_document(Name=DOC)["Content"])
        doc["inputs"]["runAsDefaultUser"] = "root"
        doc["inputs"]["s3KeyPrefix"] = "admin/changed/this/too"
        v = ssm.update_document(Name=DOC, Content=json.dumps(doc, indent=2), DocumentVersion="$LATEST")["DocumentDescription"]["DocumentVersion"]
        ssm.update_document_default_version(Name=DOC, DocumentVersion=v)
        print(f"  Admin role in {self.payments} set runAsDefaultUser=root and a new s3KeyPrefix (version {v}, default)")
        e = self.sample("document_changed.ssm-update-document.json")
        e["id"], e["account"], e["region"] = str(uuid.uuid4()), self.payments, "eu-west-1"
        d = e["detail"]
        d["recipientAccountId"], d["awsRegion"] = self.payments, "eu-west-1"
        d["userIdentity"]["arn"] = f"arn:aws:sts::{self.payments}:assumed-role/Admin/jane.doe"
        d["userIdentity"]["accountId"] = self.payments
        d["userIdentity"]["sessionContext"]["sessionIssuer"].update(arn=f"arn:aws:iam::{self.payments}:role/Admin", accountId=self.payments)
        print("  replaying the CloudTrail UpdateDocument event:")
        self.handle(e)
        desc = ssm.describe_document(Name=DOC)["Document"]
        doc = json.loads(ssm.get_document(Name=DOC)["Content"])
        print(f"  now: default version {desc['DefaultVersion']} = latest {desc['LatestVersion']}, runAsDefaultUser={doc['inputs']['runAsDefaultUser']!r}, "
              f"s3KeyPrefix={doc['inputs']['s3KeyPrefix']!r} (the admin's other change is kept)")
        print("\nalerts received on the on-call queue:")
        self.alerts()

    def act3(self):
        banner("Act 3: organization-wide reconcile (sandbox-jane and the management account were never vended here)")
        print(self.run("reconcile", "--dry-run").stdout)
        print(self.run("reconcile").stdout)
        print(self.run("reconcile").stdout)
        banner("State in DynamoDB")
        print(self.run("status").stdout)
        print("alerts received on the on-call queue:")
        self.alerts()


def keep_running(demo, proc):
    """Leaves moto running and says how to use it."""
    # AWS_DEFAULT_REGION as well: the AWS CLI v1 reads only that one.
    names = ["AWS_ENDPOINT_URL", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
             "AWS_EC2_METADATA_DISABLED", "RUNAS_GUARD_POLICY", "RUNAS_GUARD_TABLE", "RUNAS_GUARD_TOPIC_ARN"]
    banner(f"the local AWS keeps running (moto, pid {proc.pid}) at {demo.url}")
    print("paste this into a shell to explore it:\n")
    print("unset AWS_PROFILE AWS_SESSION_TOKEN")
    for name in names:
        print(f"export {name}={shlex.quote(demo.env[name])}")
    print(f"export PATH={shlex.quote(str(BIN.parent))}:\"$PATH\"")
    print(f"""
then, for example:
  runas-guard status
  runas-guard history --account {demo.payments}
  runas-guard doctor --account {demo.payments}
  runas-guard sweep
  runas-guard reconcile --dry-run
the organization's accounts: {demo.payments} payments-prod, {demo.analytics} analytics-dev,
  {demo.lza} shared-services, {demo.sandbox_acct} sandbox-jane; the policy is {demo.env["RUNAS_GUARD_POLICY"]}
stop it with: kill {proc.pid}""")


def main():
    if not BIN.exists():
        sys.exit(f"{BIN} is missing: run `cargo build` first (make demo does)")
    proc, url = start_moto()
    kept = False
    try:
        if KEEP:
            workdir = REPO / ".demo"
            shutil.rmtree(workdir, ignore_errors=True)
            workdir.mkdir()
            tmp = None
        else:
            tmp = tempfile.TemporaryDirectory(prefix="runas-guard-demo-")
            workdir = tmp.name
        try:
            banner(f"local AWS (moto) at {url}: seeding an organization")
            demo = Demo(url, workdir)
            demo.seed()
            demo.act1()
            demo.act2()
            demo.act3()
            if KEEP:
                keep_running(demo, proc)
                kept = True
        finally:
            if tmp is not None:
                tmp.cleanup()
    finally:
        if not kept:
            proc.terminate()
            proc.wait(timeout=10)
    if not kept:
        print("\nmoto stopped. Done.")


if __name__ == "__main__":
    main()

"""runas-guard demo on a local AWS (moto server on loopback).

Act 1: accounts are vended (Organizations and Control Tower events) and
configured in every governed region by `runas-guard handle`.
Act 2: an account admin edits a member's document; the CloudTrail event is
replayed and the edit is reverted, with an alert naming who did it.
Act 3: the organization-wide reconcile, first as a dry run, then for real.
Act 4: a staged rollout in a fresh organization (the local AWS is reset):
audit everywhere with the run-as user check on and read `runas-guard
readiness`; enforce one OU; `enforce-when-ready` on Prod, held until a node
gets the user; a `[scope]` that leaves an acquired OU untouched; `runas-guard
doctor` on what was made.

The local AWS is moto plus State Manager associations and managed nodes,
Account Management's regions and Identity Center's attributes as the
integration tests emulate them (tools/demo_aws.py): the demo sets each
region's nodes and their OS users, and runs State Manager's schedule, through that emulation's control endpoints (`POST
/_emulated/ssm/fleet`, `POST /_emulated/ssm/run`), which are not AWS APIs.

Run with `make demo`. Everything runs against 127.0.0.1; nothing leaves the machine.
With `make demo KEEP=1` (environment KEEP=1) the local AWS keeps running
afterwards, its files stay in .demo/, and the `export` lines to explore it
with `runas-guard` (and the AWS CLI) are printed at the end; `make demo-stop`
stops it, and so does the next `make demo KEEP=1` before starting its own
(tools/local_aws.py records it under cargo's target directory).

The binary is the one `cargo build` made, wherever cargo's target directory
is (`cargo metadata`; `CARGO_TARGET_DIR` is honoured).

The end of the demo names the documented features this local AWS cannot
show, and where each is shown instead.
"""

import csv
import io
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import urllib.request
import uuid
from pathlib import Path

import boto3

import local_aws

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from infra.tests import cfn  # noqa: E402 - the repository's template loader (intrinsic tags)

# The runas-guard that `cargo build` made (set by main, through cargo metadata).
BIN = None
PYTHON = REPO / ".venv" / "bin" / "python"
# The local AWS, run with moto_server's arguments: moto, plus State Manager
# associations and managed nodes, Account Management's regions, Identity
# Center's attributes and Organizations' Account.Paths as the integration tests
# emulate them (tools/demo_aws.py; RUNAS_GUARD_ORG_PATHS=off: no Paths).
EMULATOR = REPO / "tools" / "demo_aws.py"
REGIONS = ["us-east-1", "eu-west-1"]
DOC = "SSM-SessionManagerRunShell"
CHECK = "RunAsGuard-CheckRunAsUser"


def check_document():
    """The member stack's check document, read from infra/member.yaml
    (RunAsUserCheckDocument) so the demo runs the script that ships."""
    return cfn.check_document()


def readiness_story(readiness_csv, lacking, names):
    """Act 4's narration of `readiness --format csv`, said from what it
    printed, after checking that it tells the demo's story: the places that
    would refuse sessions are exactly those where the demo gave a node no
    Run As user (`lacking`: {(account, region): [node, ...]}), with those
    nodes, and no node's check failed to run. Exits naming the difference
    otherwise (a demo whose narration and output disagree is a broken demo)."""
    rows = list(csv.DictReader(io.StringIO(readiness_csv)))
    refusing = {(r["account"], r["region"]): sorted(r["missing_nodes"].split()) for r in rows
                if r["verdict"] == "would_refuse"}
    expected = {place: sorted(nodes) for place, nodes in lacking.items() if nodes}
    other = [f"{r['account']} {r['region']}: {r['verdict_text']}" for r in rows
             if r["verdict"] not in ("ready", "would_refuse", "no_linux_or_macos_nodes")]
    if refusing != expected or other:
        sys.exit(f"demo: readiness does not tell the demo's story: it would refuse sessions at {refusing}, "
                 f"the demo's nodes lacking the user are {expected}; other verdicts: {other or 'none'}")
    lines = []
    for r in rows:
        if r["verdict"] == "would_refuse":
            nodes = r["missing_nodes"].split()
            lack = "lacks" if len(nodes) == 1 else "lack"
            lines.append(f"{names[r['account']]} {r['region']} ({r['ou_path']}): {r['verdict_text']} "
                         f"({', '.join(nodes)} {lack} {r['user']})")
    return lines


def banner(text):
    print(f"\n\033[1m=== {text} ===\033[0m" if sys.stdout.isatty() else f"\n=== {text} ===", flush=True)


KEEP = os.environ.get("KEEP", "") not in ("", "0")
COMMAND = [str(PYTHON), str(EMULATOR)]


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

        self.seed_hub()

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

    def seed_hub(self):
        """The hub's state table, alert topic and an on-call queue subscribed to it."""
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

    def run(self, *args, check=True, echo=True):
        if echo:
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

    # --- Act 4: a staged rollout ------------------------------------------------

    def show(self, *args):
        """Runs a runas-guard command, printing it and what it printed."""
        print(self.run(*args).stdout.rstrip() + "\n")

    def emulated(self, path, body):
        """The emulation's control endpoints (tests/moto_ssm_associations.py; not an
        AWS API): a region's managed nodes, and State Manager's schedule."""
        req = urllib.request.Request(self.url + path, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read())

    def set_nodes(self, account, region, nodes):
        self.emulated("/_emulated/ssm/fleet", {"account": account, "region": region, "nodes": [
            {"id": node, "platform": "Linux", "users": users} for node, users in nodes]})

    def member_stack(self, account):
        """What the member StackSet (RunAsUserCheck=Enabled) puts in every governed region."""
        for region in REGIONS:
            self.member(account, region).create_document(
                Name=CHECK, DocumentType="Command", DocumentFormat="JSON", Content=json.dumps(check_document()))

    def oncall(self):
        """The on-call queue, each alert with the fields that matter for its kind."""
        fields = {"run_as_user_missing": ("account", "user", "regions"),
                  "sweep_summary": ("counts", "modes", "held", "out_of_scope", "newly_user_missing")}
        region_fields = ("region", "nodes_checked", "nodes_missing", "missing_nodes")
        got = self.drain()
        for env in got:
            msg = json.loads(env["Message"])
            keep = {"kind": msg["kind"]}
            for k in fields.get(msg["kind"], ("account", "region", "before", "after", "mode")):
                if k == "regions":
                    keep[k] = [{f: r.get(f) for f in region_fields} for r in msg.get(k, [])]
                else:
                    keep[k] = msg.get(k)
            print(f"  [{msg['severity']}] {env['Subject']}")
            print("    " + json.dumps(keep))
        if not got:
            print("  (none)")

    def drain(self):
        sqs = self.client("sqs")
        got = []
        while True:
            msgs = sqs.receive_message(QueueUrl=self.queue, MaxNumberOfMessages=10).get("Messages", [])
            if not msgs:
                return got
            for m in msgs:
                got.append(json.loads(m["Body"]))
                sqs.delete_message(QueueUrl=self.queue, ReceiptHandle=m["ReceiptHandle"])

    def write_rollout(self, *parts):
        """The policy is the parts so far; prints it whole the first time, then what the step adds."""
        self.rollout.write_text("".join(parts))
        if len(parts) == 1:
            print(f"policy {self.rollout}:\n{parts[0]}")
        else:
            print(f"the policy gains:\n{parts[-1]}")

    def act4_seed(self):
        banner("Act 4: a staged rollout, in an organization runas-guard has never configured")
        print("The local AWS starts over (moto's reset) with a new organization, state table, topic and\n"
              "on-call queue. Run As will be turned on without locking anyone out: audit and measure\n"
              "first, then enforce OU by OU.\n")
        urllib.request.urlopen(urllib.request.Request(self.url + "/moto-api/reset", method="POST"), timeout=30).close()
        org = self.client("organizations")
        org.create_organization(FeatureSet="ALL")
        # Trusted access for Account Management, as doctor --account needs to read a member's regions.
        org.enable_aws_service_access(ServicePrincipal="account.amazonaws.com")
        self.root = org.list_roots()["Roots"][0]["Id"]
        self.management = org.describe_organization()["Organization"]["MasterAccountId"]
        self.workloads = self.new_ou(self.root, "Workloads")
        self.sandbox = self.new_ou(self.workloads, "Sandbox")
        self.prod = self.new_ou(self.root, "Prod")
        self.build = self.new_account("build-tools", self.workloads)
        self.alice = self.new_account("sandbox-alice", self.sandbox)
        self.payments = self.new_account("payments-prod", self.prod)
        self.seed_hub()
        self.env.update(RUNAS_GUARD_TOPIC_ARN=self.topic)
        for acct in (self.management, self.build, self.alice, self.payments):
            self.member_stack(acct)
        ok, lacking = ["ec2-user", "ssm-ops"], ["ec2-user"]
        node = lambda acct, n: f"i-0{acct[:8]}{n:08x}"
        self.fleet = {
            (self.build, "us-east-1"): [(node(self.build, 1), ok)],
            (self.build, "eu-west-1"): [(node(self.build, 2), ok)],
            (self.alice, "us-east-1"): [(node(self.alice, 1), ok)],
            (self.payments, "us-east-1"): [(node(self.payments, 1), ok), (node(self.payments, 2), lacking)],
            (self.payments, "eu-west-1"): [(node(self.payments, 3), ok)],
        }
        for (acct, region), nodes in self.fleet.items():
            self.set_nodes(acct, region, nodes)
        self.lacking = node(self.payments, 2)
        self.crm_node = node("acquired", 1)

        self.names = {self.management: "management", self.build: "build-tools", self.alice: "sandbox-alice",
                      self.payments: "payments-prod"}
        print(f"organization: Root ({self.root})")
        print(f"  Workloads ({self.workloads})")
        print(f"    {self.build}  build-tools")
        print(f"    Sandbox ({self.sandbox})")
        print(f"      {self.alice}  sandbox-alice")
        print(f"  Prod ({self.prod})")
        print(f"    {self.payments}  payments-prod")
        print(f"  {self.management}  master (the management account)")
        print(f"\nEvery account-region has the member stack's check document {CHECK} (member\n"
              "StackSet with RunAsUserCheck=Enabled); no account has a Session Manager document yet.")
        print("Managed nodes (emulated: POST /_emulated/ssm/fleet) and their OS users:")
        for (acct, region), nodes in self.fleet.items():
            for n, users in nodes:
                note = "" if "ssm-ops" in users else "   <- no ssm-ops"
                print(f"  {self.names[acct]:<14} {region:<10} {n}  {', '.join(users)}{note}")
        print("  (no node in the management account, nor in sandbox-alice eu-west-1)\n")

    def lacking_nodes(self):
        """{(account, region): nodes without ssm-ops}, as the demo set the fleet."""
        return {place: [n for n, users in nodes if "ssm-ops" not in users] for place, nodes in self.fleet.items()}

    def new_ou(self, parent, name):
        org = self.client("organizations")
        return org.create_organizational_unit(ParentId=parent, Name=name)["OrganizationalUnit"]["Id"]

    def new_account(self, name, parent):
        org = self.client("organizations")
        acct = org.create_account(AccountName=name, Email=f"{name}@example.com")["CreateAccountStatus"]["AccountId"]
        org.move_account(AccountId=acct, SourceParentId=self.root, DestinationParentId=parent)
        return acct

    def act4(self):
        self.act4_seed()
        self.rollout = self.workdir / "rollout.toml"
        self.env.update(RUNAS_GUARD_POLICY=str(self.rollout))
        base = """member_role = "RunAsGuardExecution"
regions = ["us-east-1", "eu-west-1"]
mode = "audit"            # everywhere: read, record and alert, never write a document

[nodes]
check_user = true         # one State Manager association per account-region runs `id <user>` on the nodes

[default]
run_as_user = "ssm-ops"
"""
        banner("Act 4, step 1: audit the whole organization, with the run-as user check on")
        self.write_rollout(base)
        self.show("sweep", "--format", "table")
        print("Audit mode wrote no document (ACTION would-change, MODE audit) but created the check's\n"
              f"association in every account-region (rows `{CHECK}`, created), and State Manager ran\n"
              "it at once on the nodes. `readiness` reads what the sweep recorded of it (the state table\n"
              "only): if Run As were enforced now, would any session be refused?\n")
        self.show("readiness")
        story = readiness_story(self.run("readiness", "--format", "csv", echo=False).stdout,
                                self.lacking_nodes(), self.names)
        print("readiness names the node the demo gave no ssm-ops; enforcing now would lock people out there:")
        for line in story:
            print(f"  {line}")
        print("So Prod is not enforced yet. The same report as CSV, for the change request:\n")
        csv_path = self.workdir / "readiness-prod.csv"
        print(f"$ runas-guard readiness --ou Prod --format csv > {csv_path}")
        csv_path.write_text(self.run("readiness", "--ou", "Prod", "--format", "csv", echo=False).stdout)
        print(f"$ cat {csv_path}\n{csv_path.read_text()}")
        print("alerts received on the on-call queue (audit mode alerts too; the summary's `check-created`\n"
              "counts the check associations it created, not Session Manager documents):")
        self.oncall()

        banner("Act 4, step 2: enforce one OU (Sandbox); the rest of the organization stays in audit")
        step2 = f"""
[[ou]]
id = "{self.sandbox}"   # Root/Workloads/Sandbox and every OU below it
mode = "enforce"
"""
        self.write_rollout(base, step2)
        self.show("sweep", "--format", "table")
        self.show("status")
        print("sandbox-alice's documents were created (MODE enforce, remediated); build-tools, in the\n"
              "Workloads OU above Sandbox, payments-prod and the management account stay audit/noncompliant.\n")
        print("alerts received on the on-call queue:")
        self.oncall()

        banner("Act 4, step 3: Prod enforces itself, but only where no session would be refused")
        step3 = f"""
[[ou]]
id = "{self.prod}"   # Root/Prod
mode = "enforce-when-ready"
"""
        self.write_rollout(base, step2, step3)
        self.show("sweep", "--format", "table")
        self.show("status", "--account", self.payments)
        print("payments-prod eu-west-1 (its node has ssm-ops) was enforced in this sweep; us-east-1 is held\n"
              "back (no document written), and the `held` line says why.\n")
        print("alerts received on the on-call queue:")
        self.oncall()
        fixed = [(n, ["ec2-user", "ssm-ops"]) for n, _ in self.fleet[(self.payments, "us-east-1")]]
        self.set_nodes(self.payments, "us-east-1", fixed)
        self.fleet[(self.payments, "us-east-1")] = fixed
        print(f"\nThe image is fixed: {self.lacking} now has ssm-ops (emulated: POST /_emulated/ssm/fleet).")
        print("State Manager runs the check again, as its daily schedule would (emulated: POST /_emulated/ssm/run):")
        for e in self.emulated("/_emulated/ssm/run", {"account": self.payments, "region": "us-east-1"})["executions"]:
            print(f"  payments-prod {e['region']}: {e['Status']} {e['ResourceCountByStatus']}")
        print("\nThe next sweep (the schedule's, or this one) reads that verdict and enforces:\n")
        self.show("sweep", "--format", "table")
        self.show("status", "--account", self.payments)
        print("us-east-1 was created in that sweep and the `held` line is gone; Prod's readiness now:\n")
        self.show("readiness", "--ou", "Prod")
        prod = {place: nodes for place, nodes in self.lacking_nodes().items() if place[0] == self.payments}
        readiness_story(self.run("readiness", "--ou", "Prod", "--format", "csv", echo=False).stdout, prod, self.names)
        print("alerts received on the on-call queue:")
        self.oncall()

        banner("Act 4, step 4: [scope]: an acquired company's OU is left out entirely")
        self.acquired = self.new_ou(self.root, "Acquired")
        self.crm = self.new_account("acquired-crm", self.acquired)
        self.names[self.crm] = "acquired-crm"
        self.set_nodes(self.crm, "us-east-1", [(self.crm_node, ["ec2-user"])])
        print(f"A new OU joins: Root / Acquired ({self.acquired}) with {self.crm} acquired-crm: its own\n"
              "images (no ssm-ops), no member stack yet. It must not be touched until it is migrated.\n")
        step4 = f"""
[scope]                  # govern only these OUs (with every OU below them) and accounts
ous = ["{self.workloads}", "{self.prod}"]   # Workloads, Prod
accounts = ["{self.management}"]
"""
        self.write_rollout(base, step2, step3, step4)
        self.show("policy", "check", "--org", str(self.rollout))
        self.show("sweep", "--format", "table")
        self.show("status")
        print("acquired-crm is out-of-scope in the sweep and absent from status; the last line counts it.\n"
              "Nothing was read or written there:")
        for region in REGIONS:
            ssm = self.member(self.crm, region)
            assocs = ssm.list_associations()["Associations"]
            docs = [d["Name"] for d in ssm.list_documents(Filters=[{"Key": "Owner", "Values": ["Self"]}])["DocumentIdentifiers"]]
            print(f"  acquired-crm {region}: State Manager associations: {len(assocs)}, its own SSM documents: {docs or 'none'}")
        print("\nalerts received on the on-call queue (none: a sweep in which nothing changed, failed or\n"
              "newly drifted sends no summary):")
        self.oncall()

        banner("Act 4, step 5: runas-guard doctor on what the rollout made")
        print("No hub stack is deployed here (make deploy-local does that), so its stack and alarm lines\n"
              "say `not checked`; the rest is read from the local AWS as from AWS:\n")
        self.show("doctor", "--account", self.payments)


def keep_running(demo, proc):
    """Leaves moto running and says how to use it."""
    # AWS_DEFAULT_REGION as well: the AWS CLI v1 reads only that one.
    names = ["AWS_ENDPOINT_URL", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
             "AWS_EC2_METADATA_DISABLED", "RUNAS_GUARD_POLICY", "RUNAS_GUARD_TABLE", "RUNAS_GUARD_TOPIC_ARN"]
    banner(f"the local AWS keeps running (moto with the tests' emulations, pid {proc.pid}) at {demo.url}")
    print("paste this into a shell to explore it:\n")
    print("unset AWS_PROFILE AWS_SESSION_TOKEN")
    for name in names:
        print(f"export {name}={shlex.quote(demo.env[name])}")
    print(f"export PATH={shlex.quote(str(BIN.parent))}:\"$PATH\"")
    print(f"""
then, for example:
  runas-guard status
  runas-guard readiness
  runas-guard history --account {demo.payments}
  runas-guard doctor --account {demo.payments}
  runas-guard sweep --format table
  runas-guard reconcile --dry-run
It holds Act 4's organization (the reset replaced Acts 1-3's): {demo.management} master (management),
  {demo.build} build-tools (Workloads), {demo.alice} sandbox-alice (Workloads/Sandbox),
  {demo.payments} payments-prod (Prod), {demo.crm} acquired-crm (Acquired, out of scope);
  the policy is {demo.env["RUNAS_GUARD_POLICY"]}: edit it (say, the global mode = "enforce") and sweep.
Managed nodes are the emulation's (not an AWS API); give build-tools a node without ssm-ops, run the check:
  curl -s -X POST "$AWS_ENDPOINT_URL/_emulated/ssm/fleet" -d '{{"account": "{demo.build}", "region": "us-east-1", "nodes": [{{"id": "i-0{demo.build[:8]}000000ff", "users": ["ec2-user"]}}]}}'
  curl -s -X POST "$AWS_ENDPOINT_URL/_emulated/ssm/run" -d '{{"account": "{demo.build}"}}'
  runas-guard sweep --format table; runas-guard readiness --account {demo.build}
What it cannot show is listed above (the stacks, `redrive`, [identity_center], `run_as_bypass`,
[run_as_tags], pending vends); `make deploy-local KEEP=1` has the shipped stacks for `doctor --stack`.
stop it with: make demo-stop""")


# Documented features this local AWS cannot show: (feature, why not here, where instead).
NOT_SHOWN = [
    ("the shipped stacks, the Lambda function, SQS fan-out, alarms; `doctor --stack`, `redrive`",
     "no hub or member stack is deployed here: `runas-guard handle` and `sweep` do the function's work",
     "make deploy-local (doctor --stack on the stacks), tests/deploy.rs, tests/fanout.rs, tests/redrive.rs"),
    ("[identity_center]: the attribute mapping kept as declared (identity_center_drift)",
     "not staged here: the demo's organization has no Identity Center instance",
     "tests/identity_center.rs (tests/moto_sso_attributes.py)"),
    ("`run_as_bypass` and [session_documents] sweep",
     "not staged here", "tests/bypass.rs"),
    ("`run_as_override`: tags confirmed, [run_as_tags] sweep",
     "not staged here", "tests/override.rs"),
    ("a vend before the member stack: `pending`, re-attempts, `member_stack_landed`, baseline events",
     "every account here has its member role from the start", "tests/pending.rs, tests/vend_timeline.rs"),
    ("an opt-in region that is not enabled (`doctor`'s \"regions enabled\" failing)",
     "every region is enabled here", "tests/doctor.rs (tests/moto_account_regions.py)"),
    ("`runas-guard why` with an Identity Center session tag",
     "no Identity Center here", "tests/why.rs"),
]


def not_shown():
    banner("Documented features this demo cannot show, and where they are shown")
    for feature, why, where in NOT_SHOWN:
        print(f"- {feature}\n    not here: {why}\n    instead:  {where}")


def main():
    global BIN
    BIN = local_aws.binary("demo")
    if KEEP:
        local_aws.stop("demo", ": this run keeps its own")
    else:
        kept_before = local_aws.running("demo")
        if kept_before:
            print(f"(a local AWS from `make demo KEEP=1` still runs at {kept_before['url']}, pid {kept_before['pid']}: "
                  "`make demo-stop` stops it)")
    proc, url = local_aws.start(COMMAND, KEEP)
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
            demo.act4()
            not_shown()
            if KEEP:
                local_aws.keep("demo", proc, url, COMMAND)
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

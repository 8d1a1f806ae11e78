"""Deploy the shipped stacks into a local AWS, the way infra/docs/deploy.md's
"Deploy, in this order" does in a real organization: the package in a
bucket (step 1), the hub stack (step 2), the policy uploaded where the hub
stack says (step 2b), the member stack in a member account (step 3, one
plain stack standing in for a StackSet instance), then `runas-guard doctor`
against what was made. Prints the stacks' outputs and the next commands.

The local AWS is moto server on loopback with CloudFormation extended for the
resource types the hub uses that moto lacks (tests/moto_cfn.py). Lambda
`Invoke` of the deployed function runs this build as the function, with the
hub role's credentials (tests/moto_lambda_invoke.py, no Docker), so
`redrive --stack` and `sweep --stack` hand their work to it as in AWS. The
member stack creates the operator's seat (`RunAsGuardOperatorRead`), and
after the deployment IAM is enforced (trust policies and their conditions
included, tests/moto_iam.py): on-call's permission-set role in the hub
account, with the operator policy of docs/operate.md, takes the seat and
runs the outage runbook from it (a rehearsal: `sweep --stack`, `redrive
--stack`, `why`; an event of the seat's own making sent to the function's
operator alias is refused, and the function itself refuses the seat), and
nothing else is let in. Then Security Hub CSPM's findings (the policy's
`[security_hub] findings`): the member's document is edited to AWS's default
preferences (`"runAsDefaultUser": ""`), and the function's next sweep puts it
back and imports the edit's finding through the member role, as the shipped
templates grant it, under the same enforced IAM: the rehearsal fails unless
it arrives.

Run with `make deploy-local`; `make deploy-local KEEP=1` leaves the local
AWS running and prints the `export` lines to use it; `make demo-stop` stops
it, and so does the next `make deploy-local KEEP=1` before starting its own.
The binary is the one `cargo build` made, wherever cargo's target directory
is (`cargo metadata`; `CARGO_TARGET_DIR` is honoured).
"""

import io
import json
import os
import shlex
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import boto3

import local_aws

REPO = Path(__file__).resolve().parent.parent
# The runas-guard that `cargo build` made (set by main, through cargo metadata).
BIN = None
PYTHON = REPO / ".venv" / "bin" / "python"
REGION = "us-east-1"
HUB_STACK = "runas-guard-hub"
MEMBER_STACK = "runas-guard-member"
KEEP = os.environ.get("KEEP", "") not in ("", "0")
POLICY = """# The policy deploy-local uploads (infra/docs/deploy.md step 2b).
member_role = "RunAsGuardExecution"
operator_role = "RunAsGuardOperatorRead"
regions = ["us-east-1", "eu-west-1"]

[default]
run_as_user = "ssm-ops"

# Findings in the member account's own Security Hub CSPM (the rehearsal
# checks one arrives there under the enforced IAM).
[security_hub]
findings = true
"""


# On-call's IAM Identity Center permission set, as its role in the hub
# account: the us-east-1-home form (no region segment in the path), which
# the documented OperatorPrincipals pattern admits as well as the regional one.
SEAT_PATTERN = "arn:aws:iam::*:role/aws-reserved/sso.amazonaws.com/*AWSReservedSSO_RunAsGuardOperator_*"
ONCALL_PATH = "/aws-reserved/sso.amazonaws.com/"
ONCALL_ROLE = "AWSReservedSSO_RunAsGuardOperator_0a1b2c3d4e5f6789"
# Everything but on-call uses this user's keys once IAM is enforced.
ADMIN_USER = "deploy-local-admin"


def say(text):
    print(f"\n=== {text} ===", flush=True)


COMMAND = [str(PYTHON), str(REPO / "tests" / "moto_cfn.py")]


def deploy(cfn, name, template, parameters):
    cfn.create_stack(StackName=name, TemplateBody=(REPO / "infra" / template).read_text(),
                     Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
                     Capabilities=["CAPABILITY_NAMED_IAM"])
    for _ in range(300):
        stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
        if not stack["StackStatus"].endswith("IN_PROGRESS"):
            break
        time.sleep(0.2)
    if stack["StackStatus"] != "CREATE_COMPLETE":
        sys.exit(f"{template}: {stack['StackStatus']} {stack.get('StackStatusReason', '')}")
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    print(f"{name} ({template}): CREATE_COMPLETE")
    for key, value in sorted(outputs.items()):
        print(f"  {key:<18} {value}")
    return outputs


class Local:
    def __init__(self, url):
        self.url = url
        self.session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                     region_name=REGION)
        self.env = dict(os.environ, AWS_ENDPOINT_URL=url, AWS_REGION=REGION, AWS_DEFAULT_REGION=REGION,
                        AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                        AWS_EC2_METADATA_DISABLED="true")
        self.env.pop("AWS_PROFILE", None)
        self.env.pop("AWS_SESSION_TOKEN", None)

    def client(self, service, creds=None):
        kw = {}
        if creds:
            kw = dict(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                      aws_session_token=creds["SessionToken"])
        return self.session.client(service, endpoint_url=self.url, region_name=REGION, **kw)

    def assume(self, account, role):
        return self.client("sts").assume_role(RoleArn=f"arn:aws:iam::{account}:role/{role}",
                                              RoleSessionName="deploy-local")["Credentials"]

    def organization(self):
        org = self.client("organizations")
        self.org = org.create_organization(FeatureSet="ALL")["Organization"]
        status = org.create_account(AccountName="workloads", Email="workloads@example.com")
        self.member = status["CreateAccountStatus"]["AccountId"]
        print(f"organization {self.org['Id']}, management account {self.org['MasterAccountId']}, "
              f"member account {self.member} (workloads)")
        # What docs/deploy.md's hub prerequisites name for doctor's `regions
        # enabled` on a member: Account Management's trusted access (the hub
        # here is the management account, so no delegated administrator).
        org.enable_aws_service_access(ServicePrincipal="account.amazonaws.com")
        print("trusted access for AWS Account Management (account.amazonaws.com) enabled")

    def package(self):
        # Step 1's zip; the local AWS runs the host build as the function.
        s3 = self.client("s3")
        s3.create_bucket(Bucket="runas-guard-artifacts")
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.write(BIN, "bootstrap")
        s3.put_object(Bucket="runas-guard-artifacts", Key="runas-guard.zip", Body=buf.getvalue())

    def hub(self):
        self.outputs = deploy(self.client("cloudformation"), HUB_STACK, "hub.yaml", {
            "OrganizationId": self.org["Id"], "ManagementAccountId": self.org["MasterAccountId"],
            "CodeS3Bucket": "runas-guard-artifacts", "CodeS3Key": "runas-guard.zip",
            # Someone must hear alerts and alarms, or doctor rightly fails
            # (the local AWS confirms e-mail subscriptions at once).
            "AlertEmail": "oncall@example.com", "AlarmEmail": "oncall@example.com",
            # Where on-call reads the runbook: alerts link their cards there,
            # and doctor warns when it is empty.
            "RunbookUrl": "https://git.example.com/platform/runas-guard/blob/v0.8.0/README.md"})

    def policy(self):
        path = REPO / ".deploy-local" / "policy.toml"
        path.parent.mkdir(exist_ok=True)
        path.write_text(POLICY)
        subprocess.run([str(BIN), "policy", "check", str(path)], env=self.env, check=True)
        bucket = self.outputs["PolicyBucketName"]
        key = self.outputs["PolicyUrl"].removeprefix(f"s3://{bucket}/")
        self.client("s3").put_object(Bucket=bucket, Key=key, Body=POLICY.encode())
        print(f"uploaded to {self.outputs['PolicyUrl']}")

    def members(self):
        creds = self.assume(self.member, "OrganizationAccountAccessRole")
        deploy(self.client("cloudformation", creds), MEMBER_STACK, "member.yaml",
               {"HubAccountId": self.org["MasterAccountId"], "HubRegion": REGION,
                "OperatorPrincipals": SEAT_PATTERN, "OrganizationId": self.org["Id"]})

    def function(self):
        # Lambda's poller of the sweep queue: the local AWS's own would take
        # messages and drop them (it runs functions only in Docker), so it is
        # switched off; Invoke (redrive, sweep --stack) runs this build.
        name = self.outputs["FunctionArn"].rsplit(":", 1)[-1]
        lam = self.client("lambda")
        for m in lam.list_event_source_mappings(FunctionName=name)["EventSourceMappings"]:
            lam.update_event_source_mapping(UUID=m["UUID"], Enabled=False)

    def oncall(self):
        """On-call's permission-set role in the hub account, with the
        operator policy docs/operate.md gives (its placeholders filled)."""
        page = (REPO / "docs" / "operate.md").read_text()
        block = page.split("<!-- operator-policy:begin -->")[1].split("<!-- operator-policy:end -->")[0]
        policy = block.strip().removeprefix("```json").removesuffix("```")
        bucket = self.outputs["PolicyBucketName"]
        for placeholder, value in {
            "HUB_ACCOUNT": self.org["MasterAccountId"], "HUB_REGION": REGION,
            "STATE_TABLE": self.outputs["TableName"], "POLICY_BUCKET": bucket,
            "POLICY_KEY": self.outputs["PolicyUrl"].removeprefix(f"s3://{bucket}/"),
            "HUB_STACK": HUB_STACK, "FUNCTION_NAME": self.outputs["FunctionArn"].rsplit(":", 1)[-1],
            "MEMBER_STACKSET": MEMBER_STACK,
        }.items():
            policy = policy.replace(placeholder, value)
        json.loads(policy)
        iam = self.client("iam")
        trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                 "Principal": {"AWS": f"arn:aws:iam::{self.org['MasterAccountId']}:root"}}]}
        iam.create_role(RoleName=ONCALL_ROLE, Path=ONCALL_PATH, AssumeRolePolicyDocument=json.dumps(trust))
        iam.put_role_policy(RoleName=ONCALL_ROLE, PolicyName="runas-guard-operator", PolicyDocument=policy)
        iam.create_user(UserName=ADMIN_USER)
        iam.put_user_policy(UserName=ADMIN_USER, PolicyName="everything", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
        key = iam.create_access_key(UserName=ADMIN_USER)["AccessKey"]
        self.admin = {"AccessKeyId": key["AccessKeyId"], "SecretAccessKey": key["SecretAccessKey"]}

    def enforce(self):
        """From here on IAM decides: unknown keys are refused, trust
        policies and their conditions hold."""
        req = urllib.request.Request(f"{self.url}/moto-api/reset-auth", data=b"0", method="POST",
                                     headers={"Content-Type": "text/plain"})
        urllib.request.urlopen(req, timeout=10).read()
        self.session = boto3.Session(aws_access_key_id=self.admin["AccessKeyId"],
                                     aws_secret_access_key=self.admin["SecretAccessKey"], region_name=REGION)
        self.env.update(AWS_ACCESS_KEY_ID=self.admin["AccessKeyId"],
                        AWS_SECRET_ACCESS_KEY=self.admin["SecretAccessKey"])
        role = f"arn:aws:iam::{self.org['MasterAccountId']}:role{ONCALL_PATH}{ONCALL_ROLE}"
        creds = self.client("sts").assume_role(RoleArn=role, RoleSessionName="oncall@example.com",
                                               DurationSeconds=3600)["Credentials"]
        self.oncall_env = {k: v for k, v in self.env.items() if not k.startswith("RUNAS_GUARD_")}
        self.oncall_env.update(AWS_ACCESS_KEY_ID=creds["AccessKeyId"], AWS_SECRET_ACCESS_KEY=creds["SecretAccessKey"],
                               AWS_SESSION_TOKEN=creds["SessionToken"],
                               RUNAS_GUARD_POLICY=self.outputs["PolicyUrl"],
                               RUNAS_GUARD_POLICY_BUCKET_OWNER=self.org["MasterAccountId"],
                               RUNAS_GUARD_TABLE=self.outputs["TableName"],
                               RUNAS_GUARD_TOPIC_ARN=self.outputs["TopicArn"])

    def rehearse(self):
        """The outage runbook from on-call's seat: what each step says, and
        whether it worked. Returns the failed steps."""
        failed = []
        unknown = dict(self.oncall_env, AWS_ACCESS_KEY_ID="AKIAUNKNOWN0000000000", AWS_SESSION_TOKEN="x")
        steps = [
            ("sweep --stack (by the function)", ["sweep", "--stack", HUB_STACK], self.oncall_env, 0),
            ("redrive --stack (by the function)", ["redrive", "--stack", HUB_STACK], self.oncall_env, 0),
            ("why, through the seat", ["why", "--principal",
                                       f"arn:aws:iam::{self.member}:role/OrganizationAccountAccessRole",
                                       "--account", self.member, "--region", REGION], self.oncall_env, 0),
            ("doctor --account, through the seat", ["doctor", "--account", self.member], self.oncall_env, 0),
            ("keys IAM does not know are refused", ["sweep", "--stack", HUB_STACK], unknown, None),
        ]
        for title, args, env, want in steps:
            print(f"\n$ runas-guard {' '.join(args)}   # {title}", flush=True)
            run = subprocess.run([str(BIN), *args], env=env)
            ok = run.returncode == want if want is not None else run.returncode != 0
            if not ok:
                failed.append(f"{title}: exit {run.returncode}")
        # The seat reads; the member role that writes trusts only the hub role.
        seat = self.session.client("sts", endpoint_url=self.url, region_name=REGION,
                                   aws_access_key_id=self.oncall_env["AWS_ACCESS_KEY_ID"],
                                   aws_secret_access_key=self.oncall_env["AWS_SECRET_ACCESS_KEY"],
                                   aws_session_token=self.oncall_env["AWS_SESSION_TOKEN"])
        print(f"\n$ aws sts assume-role --role-arn arn:aws:iam::{self.member}:role/RunAsGuardExecution   # from the seat")
        try:
            seat.assume_role(RoleArn=f"arn:aws:iam::{self.member}:role/RunAsGuardExecution",
                             RoleSessionName="oncall-write")
            failed.append("the seat took the member role that writes")
        except seat.exceptions.ClientError as e:
            print(f"refused: {e.response['Error']['Code']}")
        failed.extend(self.forged_from_the_seat())
        return failed

    def forged_from_the_seat(self):
        """The seat asks; it never delivers events: an event of its own
        making is refused at the operator alias, and the function itself
        refuses the seat. Returns the failed checks."""
        failed = []
        lam = self.session.client("lambda", endpoint_url=self.url, region_name=REGION,
                                  aws_access_key_id=self.oncall_env["AWS_ACCESS_KEY_ID"],
                                  aws_secret_access_key=self.oncall_env["AWS_SECRET_ACCESS_KEY"],
                                  aws_session_token=self.oncall_env["AWS_SESSION_TOKEN"])
        name = self.outputs["FunctionArn"].rsplit(":", 1)[-1]
        operator = self.outputs["OperatorFunctionArn"].rsplit(":", 1)[-1]
        forged = {"version": "0", "id": "6a7e8feb-0000-4000-8000-000000000001",
                  "detail-type": "AWS API Call via CloudTrail", "source": "aws.ssm",
                  "account": self.member, "region": REGION, "time": "2026-01-01T00:00:00Z",
                  "detail": {"eventSource": "ssm.amazonaws.com", "eventName": "UpdateDocument",
                             "awsRegion": REGION, "recipientAccountId": self.member,
                             "userIdentity": {"type": "AssumedRole", "accountId": self.member,
                                              "arn": f"arn:aws:sts::{self.member}:assumed-role/AWSAcceleratorCDKRole/x"},
                             "requestParameters": {"name": "SSM-SessionManagerRunShell"}}}
        print(f"\n$ aws lambda invoke --function-name {operator}:operator --payload '<a forged UpdateDocument event>'   # from the seat")
        out = lam.invoke(FunctionName=f"{operator}:operator", Payload=json.dumps(forged).encode())
        answer = json.loads(out["Payload"].read() or b"{}")
        if answer.get("result") == "rejected":
            print(f"refused by the function: {answer.get('reason')}")
        else:
            failed.append(f"the operator alias took a forged event: {answer}")
        print(f"\n$ aws lambda invoke --function-name {name} --payload '<the same event>'   # from the seat")
        try:
            lam.invoke(FunctionName=name, Payload=json.dumps(forged).encode())
            failed.append("the seat invoked the function itself")
        except lam.exceptions.ClientError as e:
            print(f"refused: {e.response['Error']['Code']}")
        return failed

    def auth(self, no_auth_actions):
        """IAM enforcement off (`inf`) or on (`0`), as moto's reset-auth sets it."""
        req = urllib.request.Request(f"{self.url}/moto-api/reset-auth", data=no_auth_actions.encode(),
                                     method="POST", headers={"Content-Type": "text/plain"})
        urllib.request.urlopen(req, timeout=10).read()

    def emulated(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(f"{self.url}/_emulated/securityhub/{path}", data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        return json.loads(urllib.request.urlopen(req, timeout=10).read())

    def findings(self):
        """A finding arriving in the member's Security Hub CSPM under the
        enforced IAM. Returns what failed."""
        # Set up as the member's administrator would (enforcement paused
        # for it: no role of the member trusts this seat): the hub enabled,
        # and the document edited to AWS's default preferences.
        self.auth("inf")
        try:
            self.emulated("POST", "enable", {"account": self.member, "region": REGION})
            creds = self.assume(self.member, "OrganizationAccountAccessRole")
            ssm = self.client("ssm", creds)
            name = "SSM-SessionManagerRunShell"
            content = json.loads(ssm.get_document(Name=name)["Content"])
            content["inputs"].update(runAsEnabled=False, runAsDefaultUser="")
            version = ssm.update_document(Name=name, Content=json.dumps(content), DocumentVersion="$LATEST")
            ssm.update_document_default_version(
                Name=name, DocumentVersion=version["DocumentDescription"]["DocumentVersion"])
        finally:
            self.auth("0")
        print(f"\n$ runas-guard sweep --stack {HUB_STACK}   # puts the edit back, imports its finding")
        run = subprocess.run([str(BIN), "sweep", "--stack", HUB_STACK], env=self.oncall_env)
        failed = [] if run.returncode == 0 else [f"sweep --stack for findings: exit {run.returncode}"]
        calls = self.emulated("GET", "calls")
        # Since 0.8.0 every verified account-region gets its coverage
        # finding, so a region whose hub is off refuses it
        # (InvalidAccessException, "not subscribed"): that is the hub's
        # state, sent again once it is on. Only any other refusal is IAM's.
        refused = [c for c in calls["account_regions"] if c["account"] == self.member
                   and any(r["code"] != "InvalidAccessException" for r in c["refused"])]
        found = [f for f in self.emulated("GET", "findings")["findings"] if f["account"] == self.member]
        if refused:
            failed.append(f"imports refused under the enforced IAM: {refused}")
        if not found:
            failed.append("no finding arrived in the member's Security Hub CSPM")
        for f in found:
            finding = f["finding"]
            print(f"finding in {f['account']} {f['region']}: {finding['Title']} "
                  f"({finding['Compliance']['Status']}, {finding['RecordState']})")
            print(json.dumps(finding["Resources"][0]["Details"]["Other"], indent=2))
        return failed

    def configure(self):
        self.env.update(RUNAS_GUARD_POLICY=self.outputs["PolicyUrl"],
                        RUNAS_GUARD_POLICY_BUCKET_OWNER=self.org["MasterAccountId"],
                        RUNAS_GUARD_TABLE=self.outputs["TableName"],
                        RUNAS_GUARD_TOPIC_ARN=self.outputs["TopicArn"],
                        RUNAS_GUARD_SWEEP_QUEUE_URL=self.outputs["SweepQueueUrl"])

    def doctor(self):
        """doctor as a user runs it; then its verdicts, where the happy path
        must show no warning it could avoid: (exit code, warnings)."""
        args = [str(BIN), "doctor", "--stack", HUB_STACK, "--account", self.member]
        # The policy sends findings: its user has Security Hub CSPM enabled in
        # every governed region, as deploy.md's prerequisites say (doctor
        # asks the hub itself and warns where it is not).
        for region in ("us-east-1", "eu-west-1"):
            self.emulated("POST", "enable", {"account": self.member, "region": region})
        run = subprocess.run(args, env=self.env)
        listed = subprocess.run([*args, "--format", "json"], env=self.env, capture_output=True, text=True)
        return run.returncode, warnings(listed.stdout)


def warnings(doctor_json):
    """The `!` verdicts of doctor's JSON checklist, one line each (a list
    that cannot be read is one)."""
    try:
        checks = json.loads(doctor_json)["checks"]
        return [f"{c['scope']}: {c['item']}: {c['detail']}" for c in checks if c.get("verdict") == "warn"]
    except (ValueError, KeyError, TypeError, AttributeError):
        return [f"doctor's checklist could not be read: {doctor_json[:200]!r}"]


def vend_event(local):
    """The sample vend event, naming this run's member and management
    accounts, written beside the kept local AWS's record so the printed
    command runs as printed."""
    event = json.loads((REPO / "events" / "account_vended.organizations-create-account-result.json").read_text())
    management = local.org["MasterAccountId"]
    event["account"] = management
    event["detail"]["recipientAccountId"] = management
    event["detail"]["userIdentity"]["accountId"] = management
    event["detail"]["serviceEventDetails"]["createAccountStatus"]["accountId"] = local.member
    path = local_aws.records_dir() / "deploy-local-vend.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(event, indent=2) + "\n")
    return path


def next_steps(local, proc):
    names = ["AWS_ENDPOINT_URL", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
             "AWS_EC2_METADATA_DISABLED", "RUNAS_GUARD_POLICY", "RUNAS_GUARD_POLICY_BUCKET_OWNER",
             "RUNAS_GUARD_TABLE", "RUNAS_GUARD_TOPIC_ARN", "RUNAS_GUARD_SWEEP_QUEUE_URL"]
    say(f"the local AWS keeps running (pid {proc.pid}) at {local.url}")
    print("paste this into a shell to use it:\n")
    print("unset AWS_PROFILE AWS_SESSION_TOKEN")
    for name in names:
        print(f"export {name}={shlex.quote(local.env[name])}")
    print(f"export PATH={shlex.quote(str(BIN.parent))}:\"$PATH\"")
    vend = vend_event(local)
    print(f"""
then, as the function would (infra/docs/deploy.md "Verify"):
  runas-guard handle {shlex.quote(str(vend))}   # the member account's vend event
  runas-guard sweep
  runas-guard status
  runas-guard doctor --stack {HUB_STACK} --account {local.member}

on-call's seat (the permission-set role {ONCALL_ROLE}, a session valid for an hour):""")
    for name in ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "RUNAS_GUARD_POLICY",
                 "RUNAS_GUARD_POLICY_BUCKET_OWNER", "RUNAS_GUARD_TABLE", "RUNAS_GUARD_TOPIC_ARN"]:
        print(f"  export {name}={shlex.quote(local.oncall_env[name])}")
    print(f"""  runas-guard sweep --stack {HUB_STACK}      # the runbook's sweep, by the deployed function
  runas-guard redrive --stack {HUB_STACK}    # the failure queues, by the deployed function
  runas-guard why --principal arn:aws:iam::{local.member}:role/OrganizationAccountAccessRole --account {local.member} --region {REGION}
stop it with: make demo-stop""")


def main():
    global BIN
    BIN = local_aws.binary("deploy-local")
    if KEEP:
        local_aws.stop("deploy-local", ": this run keeps its own")
    # Lambda Invoke runs this build as the deployed function (no Docker).
    os.environ["RUNAS_GUARD_LOCAL_FUNCTION_BINARY"] = str(BIN)
    proc, url = local_aws.start(COMMAND, KEEP)
    kept = False
    try:
        local = Local(url)
        say(f"local AWS at {url}: an organization")
        local.organization()
        say("step 1: the package in a bucket")
        local.package()
        say("step 2: hub stack (infra/hub.yaml)")
        local.hub()
        say("step 2b: the policy, where the hub stack says")
        local.policy()
        say("step 3: member stack (infra/member.yaml) in the member account")
        local.members()
        local.configure()
        local.function()
        say("verify: runas-guard doctor against what the stacks made")
        code, warned = local.doctor()
        say("on-call's seat: a permission-set role in the hub account; IAM enforced from here")
        local.oncall()
        local.enforce()
        say("rehearsal: the outage runbook from on-call's seat")
        failed = [f"doctor warned on the happy path: {w}" for w in warned]
        failed += local.rehearse()
        say("Security Hub CSPM: a finding arrives in the member account, IAM enforced")
        failed += local.findings()
        if failed:
            sys.exit("rehearsal failed: " + "; ".join(failed))
        if KEEP:
            local_aws.keep("deploy-local", proc, url, COMMAND)
            next_steps(local, proc)
            kept = True
        elif code != 0:
            sys.exit(f"doctor exited {code}")
    finally:
        if not kept:
            proc.terminate()
            proc.wait(timeout=10)
    if not kept:
        print("\nlocal AWS stopped. `make deploy-local KEEP=1` keeps it running.")


if __name__ == "__main__":
    main()

"""The peer: a plain Python/boto3 sweep doing runas-guard's work, for comparison.

What a competent engineer would write in an afternoon, with no tricks: list
the accounts; per account, in a ThreadPoolExecutor(max_workers=C) (one boto3
Session per worker thread, as boto3's docs advise; an SSM client per region
with the account's assumed credentials), walk
ListParents up to the root, pick the user from the policy TOML (account rule,
nearest OU rule, default), AssumeRole, and then per region, one after the
other: DescribeDocument, GetDocument, fix (CreateDocument, or UpdateDocument
on the version read + UpdateDocumentDefaultVersion) with the merged content,
and PutItem one state item. One SNS summary at the end if anything changed.
Prints {"totals": {...}} as JSON.

    python bench/boto3_sweep.py --endpoint URL --policy FILE --table T --topic-arn ARN --concurrency C

With --account ID it does one account's work only (the peer of a single
event: runas-guard handling one vend), after the same listing.
"""

import argparse
import json
import sys
import time
import threading
import tomllib
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

DOC = "SSM-SessionManagerRunShell"
LOCAL = threading.local()  # boto3: one Session per thread (sessions are not thread-safe)


def desired_user(policy: dict, account: str, path: list[str]) -> str | None:
    if account in policy.get("exempt", {}).get("accounts", []):
        return None
    for rule in policy.get("account", []):
        if rule["id"] == account:
            return rule["run_as_user"]
    ou_rules = {rule["id"]: rule["run_as_user"] for rule in policy.get("ou", [])}
    for ou in reversed(path):  # nearest first
        if ou in ou_rules:
            return ou_rules[ou]
    return policy["default"]["run_as_user"]


def new_document(user: str) -> dict:
    return {
        "schemaVersion": "1.0",
        "description": "Document to hold regional settings for Session Manager",
        "sessionType": "Standard_Stream",
        "inputs": {"runAsEnabled": True, "runAsDefaultUser": user},
    }


def sweep_account(args, policy, clients, account: str) -> list[tuple[str, str]]:
    org, sts, ddb = clients
    path, child = [], account
    while True:
        parent = org.list_parents(ChildId=child)["Parents"][0]
        path.insert(0, parent["Id"])
        if parent["Type"] == "ROOT":
            break
        child = parent["Id"]
    user = desired_user(policy, account, path)
    if user is None:
        return [(r, "excluded") for r in policy["regions"]]
    creds = sts.assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/{policy.get('member_role', 'RunAsGuardExecution')}",
        RoleSessionName="boto3-sweep",
    )["Credentials"]
    if not hasattr(LOCAL, "session"):
        LOCAL.session = boto3.Session()
    results = []
    for region in policy["regions"]:
        ssm = LOCAL.session.client(
            "ssm",
            region_name=region,
            endpoint_url=args.endpoint,
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
        )
        try:
            latest = ssm.describe_document(Name=DOC)["Document"]["LatestVersion"]
            content = json.loads(ssm.get_document(Name=DOC)["Content"])
        except ClientError as e:
            if e.response["Error"]["Code"] != "InvalidDocument":
                raise
            latest, content = None, None
        inputs = (content or {}).get("inputs", {})
        enabled = inputs.get("runAsEnabled") in (True, "true")
        if content is not None and enabled and inputs.get("runAsDefaultUser") == user:
            action = "none"
        elif content is None:
            ssm.create_document(
                Name=DOC,
                Content=json.dumps(new_document(user), indent=2),
                DocumentType="Session",
                DocumentFormat="JSON",
            )
            action = "created"
        else:
            inputs["runAsEnabled"], inputs["runAsDefaultUser"] = True, user
            content["inputs"] = inputs
            new = ssm.update_document(
                Name=DOC, Content=json.dumps(content, indent=2), DocumentVersion=latest
            )["DocumentDescription"]["DocumentVersion"]
            ssm.update_document_default_version(Name=DOC, DocumentVersion=new)
            action = "updated"
        ddb.put_item(
            TableName=args.table,
            Item={
                "pk": {"S": f"ACCOUNT#{account}"},
                "sk": {"S": f"REGION#{region}"},
                "status": {"S": "compliant" if action == "none" else "remediated"},
                "desired_user": {"S": user},
                "last_action": {"S": action},
                "checked_at": {"N": str(int(time.time()))},
            },
        )
        results.append((region, action))
    return results


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--endpoint", required=True)
    p.add_argument("--policy", required=True)
    p.add_argument("--table", required=True)
    p.add_argument("--topic-arn", required=True)
    p.add_argument("--concurrency", type=int, default=16)
    p.add_argument("--account", help="one account's work only (a single event's peer)")
    args = p.parse_args()
    with open(args.policy, "rb") as f:
        policy = tomllib.load(f)
    config = Config(max_pool_connections=max(10, args.concurrency))
    hub = boto3.Session(region_name="us-east-1")
    org, sts, ddb, sns = (
        hub.client(s, endpoint_url=args.endpoint, config=config)
        for s in ("organizations", "sts", "dynamodb", "sns")
    )
    accounts = [
        a["Id"]
        for page in org.get_paginator("list_accounts").paginate()
        for a in page["Accounts"]
        if args.account in (None, a["Id"])
    ]
    totals: Counter[str] = Counter()
    failed = 0
    with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
        futures = [
            pool.submit(sweep_account, args, policy, (org, sts, ddb), a) for a in accounts
        ]
        for f in futures:
            try:
                totals.update(action for _, action in f.result())
            except Exception as e:  # one account's failure is that account's
                print(f"account failed: {e}", file=sys.stderr)
                failed += 1
    changed = {k: v for k, v in totals.items() if k != "none"}
    if changed:
        sns.publish(
            TopicArn=args.topic_arn,
            Subject="boto3 sweep summary",
            Message=json.dumps({"kind": "sweep_summary", "totals": changed}),
        )
    print(json.dumps({"accounts": len(accounts), "totals": totals, "failed_accounts": failed}))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

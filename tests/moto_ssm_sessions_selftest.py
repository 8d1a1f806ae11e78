"""Checks tests/moto_ssm_sessions.py against what the API model says of
Session Manager's sessions: StartSession / TerminateSession move a session
from Active to History with its owner, target and times; DescribeSessions
filters by start time, target, owner, status and id, pages with NextToken
in no promised order, and refuses what AWS refuses. Moto as it comes has
none of these operations; this test would see the gap come back.

Run: .venv/bin/python tests/moto_ssm_sessions_selftest.py
"""

import json
import sys
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

import boto3
import botocore.exceptions

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import emulator_server  # noqa: E402

ACCOUNT, REGION = "111122223333", "eu-west-1"
FAILURES = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        FAILURES.append(what)


def code_of(call):
    try:
        call()
    except botocore.exceptions.ClientError as e:
        return e.response["Error"]["Code"]
    return None


def control(url, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url + path, data=data, method="POST" if data else "GET",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read())


def clients(url):
    hub = dict(endpoint_url=url, region_name=REGION, aws_access_key_id="testing",
               aws_secret_access_key="testing")
    creds = boto3.client("sts", **hub).assume_role(
        RoleArn=f"arn:aws:iam::{ACCOUNT}:role/Admin", RoleSessionName="mallory")["Credentials"]
    member = dict(endpoint_url=url, region_name=REGION, aws_access_key_id=creds["AccessKeyId"],
                  aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=creds["SessionToken"])
    return boto3.client("ssm", **member)


def all_pages(ssm, **kwargs):
    out, token = [], None
    while True:
        page = ssm.describe_sessions(**kwargs, **({"NextToken": token} if token else {}))
        out.extend(page["Sessions"])
        token = page.get("NextToken")
        if not token:
            return out


def lifecycle(ssm):
    started = ssm.start_session(Target="i-0123456789abcdef0", Reason="on call")
    sid = started["SessionId"]
    check(sid.startswith("mallory-") and started["StreamUrl"].startswith("wss://ssmmessages.eu-west-1."),
          f"StartSession answers an id after its owner and a stream URL: {sid}")
    active = ssm.describe_sessions(State="Active", MaxResults=10)["Sessions"]
    check([s["SessionId"] for s in active] == [sid], "the session is Active")
    s = active[0]
    check(s["Owner"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/Admin/mallory", f"owner is the caller: {s['Owner']}")
    check(s["Target"] == "i-0123456789abcdef0" and s["Status"] == "Connected" and s["Reason"] == "on call"
          and s["DocumentName"] == "SSM-SessionManagerRunShell" and "EndDate" not in s,
          "target, status, reason and the shell's document")
    check(ssm.describe_sessions(State="History")["Sessions"] == [], "nothing ended yet")
    ssm.terminate_session(SessionId=sid)
    check(ssm.describe_sessions(State="Active")["Sessions"] == [], "terminated: no longer Active")
    ended = ssm.describe_sessions(State="History")["Sessions"]
    check(len(ended) == 1 and ended[0]["Status"] == "Terminated" and ended[0]["EndDate"] >= ended[0]["StartDate"],
          "terminated: in History with its end")
    check(code_of(lambda: ssm.start_session(Target="my-box")) == "TargetNotConnected",
          "a target that is no node is not connected")
    check(code_of(lambda: ssm.start_session(Target="i-0123456789abcdef0", DocumentName="NoSuchDoc")) == "InvalidDocument",
          "a document that does not exist is refused")


def filters_and_pages(url, ssm):
    base = datetime(2026, 11, 1, tzinfo=timezone.utc)
    seeded = [{"start": (base + timedelta(minutes=i)).isoformat(), "target": f"i-0000000{i % 3}",
               "owner": f"arn:aws:sts::{ACCOUNT}:assumed-role/Ops/u{i % 2}",
               **({"end": (base + timedelta(minutes=i, seconds=30)).isoformat()} if i % 2 else {})}
              for i in range(25)]
    ids = control(url, "/_emulated/sessions", {"account": ACCOUNT, "region": REGION, "sessions": seeded})["sessions"]
    check(len(ids) == 25, "25 sessions seeded in the past")
    window = [{"key": "InvokedAfter", "value": "2026-11-01T00:05:00Z"},
              {"key": "InvokedBefore", "value": "2026-11-01T00:10:00Z"}]
    both = all_pages(ssm, State="Active", Filters=window, MaxResults=2) + \
        all_pages(ssm, State="History", Filters=window, MaxResults=2)
    minutes = sorted(int(s["StartDate"].minute) for s in both)
    check(minutes == [5, 6, 7, 8, 9], f"InvokedAfter is at-or-after, InvokedBefore strictly before: {minutes}")
    history = all_pages(ssm, State="History", MaxResults=3)
    check(all(s["Status"] == "Terminated" for s in history), "History holds ended sessions only")
    starts = [s["StartDate"] for s in all_pages(ssm, State="Active", MaxResults=200)]
    check(starts != sorted(starts) and starts != sorted(starts, reverse=True), "no promised order")
    first = ssm.describe_sessions(State="Active", MaxResults=5)
    check(len(first["Sessions"]) == 5 and "NextToken" in first, "a page of MaxResults and a token")
    by = lambda k, v: all_pages(ssm, State="Active", Filters=[{"key": k, "value": v}])
    check(all(s["Target"] == "i-00000001" for s in by("Target", "i-00000001")), "Target filter")
    check(all(s["Owner"].endswith("/u0") for s in by("Owner", f"arn:aws:sts::{ACCOUNT}:assumed-role/Ops/u0")), "Owner filter")
    check([s["SessionId"] for s in by("SessionId", ids[0])] == [ids[0]], "SessionId filter")
    check(by("Status", "Disconnected") == [], "Status filter")
    return first["NextToken"]


def refusals(ssm, token):
    cases = [
        ({"State": "Open"}, "ValidationException", "a State outside Active/History"),
        ({"State": "Active", "MaxResults": 201}, "ValidationException", "MaxResults over 200"),
        ({"State": "Active", "Filters": [{"key": "InvokedAfter", "value": "yesterday"}]},
         "ValidationException", "a time that is no time"),
        ({"State": "Active", "Filters": [{"key": "Status", "value": "Open"}]},
         "ValidationException", "a status outside the model's"),
        ({"State": "Active", "NextToken": "bm90LWEtdG9rZW4="}, "InvalidNextToken", "a token it did not give"),
        ({"State": "History", "NextToken": token}, "InvalidNextToken", "a token of another listing"),
    ]
    for kwargs, want, what in cases:
        got = code_of(lambda: ssm.describe_sessions(**kwargs))
        check(got == want, f"{what}: {got}")


def main():
    proc, url = emulator_server.start([sys.executable, str(HERE / "moto_dynamodb_atomic.py")])
    try:
        ssm = clients(url)
        lifecycle(ssm)
        token = filters_and_pages(url, ssm)
        refusals(ssm, token)
        calls = control(url, "/_emulated/sessions/calls")
        check(calls["DescribeSessions"] > 10 and calls["StartSession"] == 3, f"calls counted: {calls}")
    finally:
        emulator_server.stop(proc)
    plain, url = emulator_server.start([sys.executable, "-m", "moto.server"])
    try:
        gap = code_of(lambda: boto3.client("ssm", endpoint_url=url, region_name=REGION, aws_access_key_id="t",
                                           aws_secret_access_key="t").describe_sessions(State="Active"))
        check(gap is not None, f"moto as it comes has no DescribeSessions ({gap}): the emulation is still needed")
    finally:
        emulator_server.stop(plain)
    print("ok sessions emulated as the model has them" if not FAILURES else f"{len(FAILURES)} failed")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())

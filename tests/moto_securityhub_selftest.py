"""Checks tests/moto_securityhub.py against what the API model and the
Security Hub CSPM guide say of findings: an import into an account-region
whose hub is not enabled is refused, a finding of another account refuses
the call, each finding that is not the ASFF (or is over 240 KB) fails alone,
an update older than the stored finding is not applied, the customer's
BatchUpdateFindings fields survive the provider's updates (and the
emulation counts the imports that carried them), GetFindings filters and
pages, injected failures fire and are counted, and moto's reset clears it
all. Moto as it comes has none of this; this test would see the gap come
back.

Run: .venv/bin/python tests/moto_securityhub_selftest.py
"""

import json
import sys
import urllib.request
from pathlib import Path

import boto3
import botocore.exceptions
from botocore.config import Config

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import emulator_server  # noqa: E402

MEMBER_A, MEMBER_B, REGION, OTHER_REGION = "111122223333", "444455556666", "eu-west-1", "us-east-1"
TYPES = ["Software and Configuration Checks/Industry and Regulatory Standards"]
FAILURES = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        FAILURES.append(what)


def error_of(call):
    """(code, HTTP status, message) of a refused call, else None."""
    try:
        call()
    except botocore.exceptions.ClientError as e:
        return (e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"],
                e.response["Error"].get("Message", ""))
    return None


def control(url, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url + path, data=data, method="POST" if data else "GET",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read())


def member(url, account, region=REGION, session="runas-guard"):
    """Security Hub as the product reaches it: an assumed role in the member
    account (the client's own checks off, so the server's are what answers)."""
    hub = dict(endpoint_url=url, region_name=region, aws_access_key_id="testing", aws_secret_access_key="testing")
    creds = boto3.client("sts", **hub).assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/RunAsGuard", RoleSessionName=session)["Credentials"]
    return boto3.client("securityhub", endpoint_url=url, region_name=region,
                        aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                        aws_session_token=creds["SessionToken"], config=Config(parameter_validation=False))


def product(account, region=REGION):
    return f"arn:aws:securityhub:{region}:{account}:product/{account}/default"


def finding(account, fid, updated="2026-01-01T00:00:00Z", region=REGION, **extra):
    base = {"SchemaVersion": "2018-10-08", "Id": fid, "ProductArn": product(account, region),
            "GeneratorId": "runas-guard/run-as", "AwsAccountId": account,
            "CreatedAt": "2026-01-01T00:00:00Z", "UpdatedAt": updated,
            "Title": "Run As user set", "Description": "The Run As user is set.",
            "Resources": [{"Type": "AwsAccount", "Id": f"AWS::::Account:{account}"}],
            "FindingProviderFields": {"Severity": {"Label": "HIGH"}, "Types": TYPES}}
    base.update(extra)
    return base


def stored(url, account, fid):
    found = [f["finding"] for f in control(url, "/_emulated/securityhub/findings")["findings"]
             if f["account"] == account and f["finding"]["Id"] == fid]
    return found[0] if found else None


def calls_of(url, account, region=REGION):
    for entry in control(url, "/_emulated/securityhub/calls")["account_regions"]:
        if entry["account"] == account and entry["region"] == region:
            return entry
    return None


def hub_state(url, a, b):
    err = error_of(lambda: a.batch_import_findings(Findings=[finding(MEMBER_A, "f-0")]))
    check(err is not None and err[:2] == ("InvalidAccessException", 401)
          and err[2] == f"Account {MEMBER_A} is not subscribed to AWS Security Hub",
          f"an import where the hub is not enabled is refused as AWS refuses it: {err}")
    check(error_of(a.describe_hub)[:2] == ("InvalidAccessException", 401), "DescribeHub: not subscribed")
    refused = calls_of(url, MEMBER_A)["refused"]
    check(len(refused) == 1 and refused[0]["code"] == "InvalidAccessException" and refused[0]["findings"] == 1,
          f"the refusal is on the calls endpoint: {refused}")
    # The user guide's form: each finding in FailedFindings, InvalidAccess.
    control(url, "/_emulated/securityhub/hub_off_form", {"form": "findings"})
    got = a.batch_import_findings(Findings=[finding(MEMBER_A, "f-0"), finding(MEMBER_A, "f-1")])
    check(got["SuccessCount"] == 0 and [(f["Id"], f["ErrorCode"]) for f in got["FailedFindings"]]
          == [("f-0", "InvalidAccess"), ("f-1", "InvalidAccess")] and stored(url, MEMBER_A, "f-0") is None,
          f"hub_off_form findings: each finding InvalidAccess, none stored: {got['FailedFindings']}")
    control(url, "/_emulated/securityhub/hub_off_form", {"form": "call"})
    err = error_of(lambda: a.batch_import_findings(Findings=[finding(MEMBER_A, "f-0")]))
    check(err is not None and err[0] == "InvalidAccessException", f"and back to the whole call: {err}")
    answer = control(url, "/_emulated/securityhub/enable", {"account": MEMBER_A, "region": REGION})
    check(answer == {"account": MEMBER_A, "region": REGION, "enabled": True}, "the control endpoint enables a hub")
    check(a.describe_hub()["HubArn"] == f"arn:aws:securityhub:{REGION}:{MEMBER_A}:hub/default", "DescribeHub")
    b.enable_security_hub()
    err = error_of(b.enable_security_hub)
    check(err is not None and err[:2] == ("ResourceConflictException", 409), f"enabled twice: {err}")
    got = a.batch_import_findings(Findings=[finding(MEMBER_A, "f-0")])
    check(got["SuccessCount"] == 1 and got["FailedCount"] == 0, "accepted once the hub is enabled")
    f = stored(url, MEMBER_A, "f-0")
    check(f["Workflow"] == {"Status": "NEW"} and f["RecordState"] == "ACTIVE" and f["Region"] == REGION
          and f["ProcessedAt"].endswith("Z"), "a new finding is NEW, ACTIVE, in the call's Region, processed")
    check(f["Severity"] == {"Label": "HIGH", "Normalized": 70} and f["Types"] == TYPES
          and f["FindingProviderFields"]["Severity"] == {"Label": "HIGH", "Normalized": 70},
          f"FindingProviderFields fill the top level, Normalized from Label: {f['Severity']}")
    b_listed = b.get_findings()["Findings"]
    check(b_listed == [], "another account sees none of it")
    disabled = control(url, "/_emulated/securityhub/disable", {"account": MEMBER_B, "region": REGION})
    check(disabled["enabled"] is False and error_of(b.get_findings)[0] == "InvalidAccessException",
          "disabled: GetFindings refused")
    b.enable_security_hub()


def ownership(url, a):
    before = len(control(url, "/_emulated/securityhub/findings")["findings"])
    cases = [
        ([finding(MEMBER_A, "own-1"), finding(MEMBER_A, "theirs", AwsAccountId=MEMBER_B)],
         "AwsAccountId of another account"),
        ([finding(MEMBER_A, "own-2"), finding(MEMBER_A, "theirs", ProductArn=product(MEMBER_B))],
         "another account's product"),
        ([finding(MEMBER_A, "own-3", ProductArn=product(MEMBER_A, OTHER_REGION))], "the product of another Region"),
    ]
    denied = "assumed-role/RunAsGuard/runas-guard is not authorized to perform: securityhub:BatchImportFindings"
    for batch, what in cases:
        err = error_of(lambda: a.batch_import_findings(Findings=batch))
        check(err is not None and err[:2] == ("AccessDeniedException", 403) and denied in err[2],
              f"{what}: the whole call refused, AccessDeniedException 403: {err}")
    after = len(control(url, "/_emulated/securityhub/findings")["findings"])
    check(after == before, "nothing of a refused call is stored")


def validation(url, a):
    no_title = finding(MEMBER_A, "v-no-title")
    del no_title["Title"]
    top_only = finding(MEMBER_A, "v-top-only", Severity={"Label": "LOW"}, Types=TYPES)
    del top_only["FindingProviderFields"]
    half = finding(MEMBER_A, "v-half", Severity={"Label": "LOW"})
    del half["FindingProviderFields"]
    batch = [no_title, finding(MEMBER_A, "v-ok"), finding(MEMBER_A, "v-long", Title="x" * 257), top_only, half,
             finding(MEMBER_A, "v-time", CreatedAt="2026-01-01 00:00:00"),
             finding(MEMBER_A, "v-schema", SchemaVersion="2019-01-01"),
             finding(MEMBER_A, "v-res", Resources=[]),
             finding(MEMBER_A, "v-type", FindingProviderFields={"Severity": {"Label": "LOW"}, "Types": ["a/b/c/d"]})]
    got = a.batch_import_findings(Findings=batch)
    failed = {f["Id"]: f for f in got["FailedFindings"]}
    check(got["SuccessCount"] == 2 and got["FailedCount"] == 7 and set(failed) ==
          {"v-no-title", "v-long", "v-half", "v-time", "v-schema", "v-res", "v-type"},
          f"each bad finding fails alone: {sorted(failed)}")
    check(all(f["ErrorCode"] == "InvalidInput" and f["ErrorMessage"].startswith(
        "Finding does not adhere to Amazon Finding Format.") for f in failed.values()), "InvalidInput, AWS's words")
    check("required property 'Title'" in failed["v-no-title"]["ErrorMessage"], failed["v-no-title"]["ErrorMessage"])
    check("data.Title should NOT be longer than 256 characters" in failed["v-long"]["ErrorMessage"],
          failed["v-long"]["ErrorMessage"])
    check("FindingProviderFields" in failed["v-half"]["ErrorMessage"], "a top-level Severity without Types fails")
    top = stored(url, MEMBER_A, "v-top-only")
    check(top["FindingProviderFields"]["Severity"] == {"Label": "LOW", "Normalized": 1},
          "top-level Severity and Types suffice, and fill FindingProviderFields")
    err = error_of(lambda: a.batch_import_findings(Findings=[finding(MEMBER_A, f"n-{i}") for i in range(101)]))
    check(err is not None and err[:2] == ("InvalidInputException", 400), f"101 findings refused: {err}")
    err = error_of(lambda: a.batch_import_findings(Findings=[]))
    check(err is not None and err[0] in ("InvalidInputException",), f"no findings refused: {err}")
    big = finding(MEMBER_A, "v-big", Resources=[{"Type": "Other", "Id": "x", "Details": {
        "Other": {f"k{i}": "x" * 1000 for i in range(250)}}}])
    got = a.batch_import_findings(Findings=[big, finding(MEMBER_A, "v-small")])
    check(got["SuccessCount"] == 1 and got["FailedFindings"] == [
        {"Id": "v-big", "ErrorCode": "FindingSizeExceeded", "ErrorMessage": "Finding size exceeded 240 KB"}],
        f"a finding over 240 KB fails alone: {got['FailedFindings']}")
    check(stored(url, MEMBER_A, "v-big") is None, "and is not stored")
    # NonEmptyString (``.*\S.*``): a title, a description or a
    # Details.Other value that is empty or blank fails alone, InvalidInput.
    other = lambda value: [{"Type": "AwsSsmDocument", "Id": "x", "Details": {"Other": {"a": "1", "b": value}}}]
    blanks = [finding(MEMBER_A, "b-title", Title="   "), finding(MEMBER_A, "b-desc", Description="\t"),
              finding(MEMBER_A, "b-empty", Resources=other("")), finding(MEMBER_A, "b-blank", Resources=other("  ")),
              finding(MEMBER_A, "b-said", Resources=other("(empty)"))]
    got = a.batch_import_findings(Findings=blanks)
    failed = {f["Id"]: f for f in got["FailedFindings"]}
    check(got["SuccessCount"] == 1 and set(failed) == {"b-title", "b-desc", "b-empty", "b-blank"}
          and all(f["ErrorCode"] == "InvalidInput" for f in failed.values()),
          f"blank NonEmptyString values fail alone, a value said as such is taken: {got}")
    check("data.Resources[0].Details.Other['b'] should match pattern" in failed["b-empty"]["ErrorMessage"]
          and "data.Title should match pattern" in failed["b-title"]["ErrorMessage"],
          f"worded as AWS's schema check: {failed}")
    check(stored(url, MEMBER_A, "b-empty") is None and stored(url, MEMBER_A, "b-said") is not None,
          "the refused one is not stored, the other is")


def updates(url, a, b):
    a.batch_import_findings(Findings=[finding(MEMBER_A, "u-1", updated="2026-02-01T00:00:00Z")])
    got = a.batch_import_findings(Findings=[finding(MEMBER_A, "u-1", updated="2026-01-15T00:00:00Z", Title="older")])
    check(got["SuccessCount"] == 1 and stored(url, MEMBER_A, "u-1")["Title"] == "Run As user set",
          "an older UpdatedAt: answered as a success, not applied")
    a.batch_import_findings(Findings=[finding(MEMBER_A, "u-1", updated="2026-02-01T00:00:00Z", Title="same")])
    check(stored(url, MEMBER_A, "u-1")["Title"] == "Run As user set", "an equal UpdatedAt: not applied")
    check(calls_of(url, MEMBER_A)["stale_updates"] == 2, "both counted as stale")
    ident = {"Id": "u-1", "ProductArn": product(MEMBER_A)}
    answer = a.batch_update_findings(
        FindingIdentifiers=[ident, {"Id": "nope", "ProductArn": product(MEMBER_A)}],
        Workflow={"Status": "NOTIFIED"}, Note={"Text": "owner told", "UpdatedBy": "secops"},
        UserDefinedFields={"ticket": "SEC-1"}, VerificationState="TRUE_POSITIVE", Severity={"Label": "CRITICAL"})
    check(answer["ProcessedFindings"] == [ident] and answer["UnprocessedFindings"] == [
        {"FindingIdentifier": {"Id": "nope", "ProductArn": product(MEMBER_A)}, "ErrorCode": "FindingNotFound",
         "ErrorMessage": "Finding Not Found"}],
        f"BatchUpdateFindings answers as the model says: {answer['UnprocessedFindings']}")
    dup = a.batch_update_findings(FindingIdentifiers=[ident, ident], Workflow={"Status": "RESOLVED"})
    check([u["ErrorCode"] for u in dup["UnprocessedFindings"]] == ["DuplicatedFindingIdentifier"] * 2,
          "an identifier given twice is not processed")
    theirs = b.batch_update_findings(FindingIdentifiers=[ident], Workflow={"Status": "SUPPRESSED"})
    check(theirs["UnprocessedFindings"][0]["ErrorCode"] == "FindingNotFound", "another account's finding: not found")
    err = error_of(lambda: a.batch_update_findings(FindingIdentifiers=[ident], Workflow={"Status": "DONE"}))
    check(err is not None and err[:2] == ("InvalidInputException", 400), "a status outside the model's is refused")
    before = calls_of(url, MEMBER_A)["customer_fields_carried"]
    a.batch_import_findings(Findings=[finding(
        MEMBER_A, "u-1", updated="2026-03-01T00:00:00Z", Title="changed", Workflow={"Status": "NEW"},
        Note={"Text": "provider", "UpdatedBy": "p", "UpdatedAt": "2026-03-01T00:00:00Z"},
        FindingProviderFields={"Severity": {"Label": "LOW"}, "Types": TYPES})])
    f = stored(url, MEMBER_A, "u-1")
    check(f["Title"] == "changed" and f["Workflow"] == {"Status": "NOTIFIED"} and f["Note"]["Text"] == "owner told"
          and f["UserDefinedFields"] == {"ticket": "SEC-1"} and f["VerificationState"] == "TRUE_POSITIVE",
          "the provider's update is applied, the customer's fields survive it")
    check(f["Severity"]["Label"] == "CRITICAL" and f["FindingProviderFields"]["Severity"]["Label"] == "LOW",
          "a Severity the customer set stays; the provider's goes to FindingProviderFields")
    c = calls_of(url, MEMBER_A)
    check(c["customer_fields_carried"] == before + 1 and c["customer_fields"] == {"Note": 1, "Workflow": 1},
          f"the import that carried customer fields is counted: {c['customer_fields']}")
    a.batch_import_findings(Findings=[finding(MEMBER_A, "u-1", updated="2026-03-02T00:00:00Z")])
    check(calls_of(url, MEMBER_A)["customer_fields_carried"] == before + 1, "one without them is not")
    reopen(url, a)


def reopen(url, a):
    def imp(fid, when, **extra):
        a.batch_import_findings(Findings=[finding(MEMBER_A, fid, updated=when, **extra)])

    def status(fid, value):
        a.batch_update_findings(FindingIdentifiers=[{"Id": fid, "ProductArn": product(MEMBER_A)}],
                                Workflow={"Status": value})
    imp("r-1", "2026-01-01T00:00:00Z", RecordState="ARCHIVED")
    status("r-1", "RESOLVED")
    imp("r-1", "2026-01-02T00:00:00Z", RecordState="ACTIVE")
    check(stored(url, MEMBER_A, "r-1")["Workflow"]["Status"] == "NEW", "ARCHIVED to ACTIVE reopens RESOLVED")
    imp("r-2", "2026-01-01T00:00:00Z", Compliance={"Status": "PASSED"})
    status("r-2", "NOTIFIED")
    imp("r-2", "2026-01-02T00:00:00Z", Compliance={"Status": "FAILED"})
    check(stored(url, MEMBER_A, "r-2")["Workflow"]["Status"] == "NEW", "PASSED to FAILED reopens NOTIFIED")
    imp("r-3", "2026-01-01T00:00:00Z", RecordState="ARCHIVED")
    status("r-3", "SUPPRESSED")
    imp("r-3", "2026-01-02T00:00:00Z", RecordState="ACTIVE")
    check(stored(url, MEMBER_A, "r-3")["Workflow"]["Status"] == "SUPPRESSED", "SUPPRESSED stays")
    imp("r-4", "2026-01-01T00:00:00Z", Compliance={"Status": "FAILED"})
    imp("r-4", "2026-01-02T00:00:00Z", Compliance={"Status": "PASSED"})
    check(stored(url, MEMBER_A, "r-4")["Workflow"]["Status"] == "NEW", "PASSED alone resolves nothing imported")


def all_pages(client, **kwargs):
    out, token = [], None
    while True:
        page = client.get_findings(**kwargs, **({"NextToken": token} if token else {}))
        out.extend(page["Findings"])
        token = page.get("NextToken")
        if not token:
            return out


def queries(url, b):
    batch = [finding(MEMBER_B, f"q-{i:02d}", GeneratorId=f"gen/{i % 3}", Title=f"{'Run As' if i % 2 else 'Drift'} {i}",
                     Compliance={"Status": "PASSED" if i % 4 == 0 else "FAILED"},
                     RecordState="ARCHIVED" if i % 5 == 0 else "ACTIVE") for i in range(25)]
    check(b.batch_import_findings(Findings=batch)["SuccessCount"] == 25, "25 findings imported")
    b.batch_update_findings(FindingIdentifiers=[{"Id": "q-01", "ProductArn": product(MEMBER_B)}],
                            Workflow={"Status": "SUPPRESSED"})
    ids = lambda found: sorted(f["Id"] for f in found)  # noqa: E731
    want = lambda pred: sorted(f"q-{i:02d}" for i in range(25) if pred(i))  # noqa: E731

    def by(filters, **kw):
        return ids(all_pages(b, Filters=filters, MaxResults=4, **kw))
    eq = lambda v: {"Value": v, "Comparison": "EQUALS"}  # noqa: E731
    check(by({"GeneratorId": [eq("gen/0"), eq("gen/1")]}) == want(lambda i: i % 3 != 2), "EQUALS values ORed")
    check(by({"GeneratorId": [eq("gen/0")], "RecordState": [eq("ACTIVE")]}) == want(lambda i: i % 3 == 0 and i % 5),
          "attributes ANDed")
    check(by({"ComplianceStatus": [{"Value": "PASSED", "Comparison": "NOT_EQUALS"}]}) == want(lambda i: i % 4),
          "NOT_EQUALS")
    check(by({"Title": [{"Value": "Run As", "Comparison": "PREFIX"}]}) == want(lambda i: i % 2), "PREFIX")
    check(by({"GeneratorId": [{"Value": "gen/", "Comparison": "PREFIX"},
                              {"Value": "gen/2", "Comparison": "NOT_EQUALS"}]}) == want(lambda i: i % 3 != 2),
          "PREFIX, then NOT_EQUALS")
    check(by({"WorkflowStatus": [eq("SUPPRESSED")]}) == ["q-01"], "WorkflowStatus")
    check(by({"Id": [eq("q-07")], "AwsAccountId": [eq(MEMBER_B)], "Region": [eq(REGION)],
              "ProductArn": [eq(product(MEMBER_B))]}) == ["q-07"], "Id, AwsAccountId, Region, ProductArn")
    check(by({"AwsAccountId": [eq(MEMBER_A)]}) == [], "the caller sees only its own account")
    listed = [f["Id"] for f in all_pages(b, MaxResults=100)]
    check(len(listed) == 25 and listed != sorted(listed) and listed != sorted(listed, reverse=True),
          "every finding, ARCHIVED too, in no promised order")
    first = b.get_findings(MaxResults=10)
    check(len(first["Findings"]) == 10 and "NextToken" in first, "a page of MaxResults and a token")
    cases = [
        (dict(MaxResults=101), "MaxResults over 100"),
        (dict(MaxResults=0), "MaxResults 0"),
        (dict(NextToken="bm90LWEtdG9rZW4="), "a token it did not give"),
        (dict(NextToken=first["NextToken"], Filters={"RecordState": [eq("ACTIVE")]}), "a token of another query"),
        (dict(Filters={"Title": [eq("x"), {"Value": "y", "Comparison": "NOT_EQUALS"}]}), "EQUALS with NOT_EQUALS"),
        (dict(Filters={"Title": [{"Value": "x", "Comparison": "CONTAINS_WORD"}]}), "CONTAINS_WORD (V2 only)"),
        (dict(Filters={"Title": [eq(str(i)) for i in range(21)]}), "21 values of one attribute"),
        (dict(Filters={"UpdatedAt": [{"DateRange": {"Value": 1, "Unit": "DAYS"}}]}), "a filter not emulated"),
    ]
    for kwargs, what in cases:
        err = error_of(lambda: b.get_findings(**kwargs))
        check(err is not None and err[:2] == ("InvalidInputException", 400), f"{what}: {err}")


def injected(url, a):
    control(url, "/_emulated/securityhub/fail_next", {"code": "InternalFailure", "message": "try again", "count": 2})
    got = a.batch_import_findings(Findings=[finding(MEMBER_A, f"i-{i}") for i in range(3)])
    check(got["SuccessCount"] == 1 and [f["ErrorCode"] for f in got["FailedFindings"]] == ["InternalFailure"] * 2
          and got["FailedFindings"][0]["ErrorMessage"] == "try again", f"fail_next fires: {got['FailedFindings']}")
    calls = control(url, "/_emulated/securityhub/calls")
    check(calls["injected_failures_fired"] == 2 and calls["injected_failures_pending"] == 0
          and calls_of(url, MEMBER_A)["injected_failures"] == 2, "and is counted")
    check(stored(url, MEMBER_A, "i-0") is None and stored(url, MEMBER_A, "i-2") is not None,
          "a failed finding is not stored")


def reset(url):
    urllib.request.urlopen(urllib.request.Request(url + "/moto-api/reset", data=b"", method="POST")).read()
    check(control(url, "/_emulated/securityhub/findings") == {"findings": []}, "reset: no findings")
    calls = control(url, "/_emulated/securityhub/calls")
    check(calls["account_regions"] == [] and calls["injected_failures_fired"] == 0, f"reset: no calls {calls}")
    a = member(url, MEMBER_A)
    err = error_of(lambda: a.batch_import_findings(Findings=[finding(MEMBER_A, "after")]))
    check(err is not None and err[0] == "InvalidAccessException", "reset: the hub is no longer enabled")


def main():
    proc, url = emulator_server.start([sys.executable, str(HERE / "moto_dynamodb_atomic.py")])
    try:
        a, b = member(url, MEMBER_A), member(url, MEMBER_B)
        hub_state(url, a, b)
        ownership(url, a)
        validation(url, a)
        updates(url, a, b)
        queries(url, b)
        injected(url, a)
        c = calls_of(url, MEMBER_A)
        check(c["BatchImportFindings"] > 10 and c["findings_received"] > 100 and c["BatchUpdateFindings"] > 3,
              f"calls counted: {({k: c[k] for k in ('BatchImportFindings', 'findings_received')})}")
        reset(url)
    finally:
        emulator_server.stop(proc)
    plain, url = emulator_server.start([sys.executable, "-m", "moto.server"])
    try:
        sh = boto3.client("securityhub", endpoint_url=url, region_name=REGION, aws_access_key_id="t",
                          aws_secret_access_key="t", config=Config(parameter_validation=False))
        got = sh.batch_import_findings(Findings=[finding("123456789012", "gap", AwsAccountId=MEMBER_B)])
        check(got.get("SuccessCount") == 1,
              "moto as it comes takes another account's finding with no hub enabled: the emulation is still needed")
    finally:
        emulator_server.stop(plain)
    print("ok Security Hub findings emulated as AWS answers" if not FAILURES else f"{len(FAILURES)} failed")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())

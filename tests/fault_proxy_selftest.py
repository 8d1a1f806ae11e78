"""Self-test of tests/fault_proxy.py (standard library only).

    python tests/fault_proxy_selftest.py

Starts a recording upstream in-process, the proxy as a subprocess, and (when
.venv/bin/moto_server exists) a moto server for an end-to-end check.
"""

import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import emulator_server
import fault_proxy
from emulator_server import free_port

HERE = os.path.dirname(os.path.abspath(__file__))
SEEN = []  # (method, path, body) received by the upstream
SEEN_LOCK = threading.Lock()


class Upstream(BaseHTTPRequestHandler):
    """Echoes like moto: JSON answer, Connection: close."""

    def log_message(self, *args):
        pass

    def _any(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n).decode() if n else ""
        with SEEN_LOCK:
            SEEN.append((self.command, self.path, body))
        data = json.dumps({"upstream": True, "path": self.path, "body": body}).encode()
        if self.path.startswith("/as-sent"):  # the body is the answer, with a checksum header
            data = body.encode()
        self.send_response(200)
        if self.path.startswith("/as-sent"):
            self.send_header("x-amz-crc32", "12345")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_HEAD = _any


def auth(service, region="us-east-1"):
    return ("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/"
            f"{region}/{service}/aws4_request, SignedHeaders=host, Signature=abc")


class Client:
    def __init__(self, port):
        self.port = port

    def req(self, method, path, body=b"", headers=None, conn=None, timeout=30):
        own = conn is None
        conn = conn or http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        elif isinstance(body, str):
            body = body.encode()
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read()
        if own:
            conn.close()
        return resp, data

    def faults(self, rules):
        resp, data = self.req("PUT", "/__faults", rules)
        assert resp.status == 204, (resp.status, data)
        assert resp.getheader("Content-Length") == "0"

    def json(self, method, path, body=b""):
        resp, data = self.req(method, path, body)
        return resp.status, json.loads(data)

    def sqs(self, action, extra="", **kw):
        return self.req("POST", "/", f"Action={action}{extra}",
                        {"Authorization": auth("sqs"),
                         "Content-Type": "application/x-www-form-urlencoded"}, **kw)

    def ddb(self, action, body, region="us-east-1", **kw):
        return self.req("POST", "/", body,
                        {"Authorization": auth("dynamodb", region),
                         "X-Amz-Target": f"DynamoDB_20120810.{action}",
                         "Content-Type": "application/x-amz-json-1.0"}, **kw)


def seen_count(needle):
    with SEEN_LOCK:
        return sum(needle in b for _, _, b in SEEN)


def in_thread(fn):
    out = {}

    def run():
        try:
            out["value"] = fn()
        except Exception as e:  # surfaced by the caller
            out["error"] = e
    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t, out


def check_basics(c):
    # Plain forwarding, HTTP/1.1 keep-alive across forwarded and control requests.
    conn = http.client.HTTPConnection("127.0.0.1", c.port, timeout=10)
    for i in range(3):
        resp, data = c.req("POST", "/x", f"ping{i}", conn=conn)
        assert resp.status == 200 and json.loads(data)["body"] == f"ping{i}", data
        assert resp.version == 11 and resp.getheader("Content-Length") == str(len(data))
        resp, data = c.req("GET", "/__hits", conn=conn)
        assert resp.status == 200 and json.loads(data) == {}
    resp, data = c.req("PUT", "/__faults", b"[]", conn=conn)
    assert resp.status == 204 and data == b"" and resp.getheader("Content-Length") == "0"
    resp, data = c.req("HEAD", "/head", conn=conn)
    assert resp.status == 200 and data == b""
    resp, data = c.req("POST", "/x", "after-head", conn=conn)
    assert json.loads(data)["body"] == "after-head"
    conn.close()
    # Exactly what tests/faults.rs sends: raw socket, Connection: close, read to EOF.
    body = b"[]"
    with socket.create_connection(("127.0.0.1", c.port), timeout=10) as s:
        s.sendall(b"PUT /__faults HTTP/1.1\r\nHost: proxy\r\nContent-Length: 2\r\n"
                  b"Connection: close\r\n\r\n" + body)
        raw = b""
        while chunk := s.recv(4096):
            raw += chunk
    assert raw.startswith(b"HTTP/1.1 204") and b"Content-Length: 0" in raw, raw
    # Chunked request body is de-chunked and forwarded.
    conn = http.client.HTTPConnection("127.0.0.1", c.port, timeout=10)
    conn.request("POST", "/chunked", body=iter([b"ab", b"cd"]), encode_chunked=True,
                 headers={"Transfer-Encoding": "chunked"})
    resp = conn.getresponse()
    assert json.loads(resp.read())["body"] == "abcd"
    conn.close()
    # Invalid rule sets are refused and leave the rules alone.
    c.faults([{"name": "keep", "effect": "count"}])
    for bad in ([{"effct": "lose"}], [{"effect": "drop"}], [{"times": -1}],
                [{"name": "a"}, {"name": "a"}], {"not": "a list"}, [{"protocol": "xml"}]):
        status, data = c.json("PUT", "/__faults", bad)
        assert status == 400, (bad, status, data)
    assert c.json("GET", "/__hits")[1] == {"keep": {"seen": 0, "hits": 0, "held": 0}}
    assert c.json("GET", "/__faults")[1] == [{"name": "keep", "effect": "count"}]
    print("ok basics: keep-alive, 204 Content-Length: 0, HEAD, chunked, validation")


def check_error(c):
    c.faults([
        {"service": "sts", "action": "AssumeRole", "contains": "role/RunAsGuardExecution",
         "status": 403, "code": "AccessDenied", "protocol": "query", "message": "no <way>"},
        {"service": "dynamodb", "action": "PutItem", "region": "eu-west-1",
         "status": 400, "code": "AccessDeniedException", "protocol": "json"},
    ])
    before = len(SEEN)
    resp, data = c.req("POST", "/", "Action=AssumeRole&RoleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2FRunAsGuardExecution",
                       {"Authorization": auth("sts")})
    assert resp.status == 403 and b"<Code>AccessDenied</Code>" in data and b"no &lt;way&gt;" in data, data
    assert resp.getheader("Content-Type") == "text/xml"
    resp, data = c.ddb("PutItem", {"TableName": "t"}, region="eu-west-1")
    assert resp.status == 400 and json.loads(data)["__type"] == "AccessDeniedException"
    assert len(SEEN) == before, "error rules must not forward"
    # Non-matching: other role, other region, other action are forwarded.
    assert c.req("POST", "/", "Action=AssumeRole&RoleArn=role/Other", {"Authorization": auth("sts")})[0].status == 200
    assert c.ddb("PutItem", {"TableName": "t"}, region="us-east-1")[0].status == 200
    assert c.ddb("GetItem", {"TableName": "t"}, region="eu-west-1")[0].status == 200
    assert len(SEEN) == before + 3
    # A cancelled transaction carries its reasons, as DynamoDB's does.
    c.faults([{"service": "dynamodb", "action": "TransactWriteItems", "code": "TransactionCanceledException",
               "reasons": [{"Code": "TransactionConflict", "Message": "conflict"}, {"Code": "None"}]}])
    resp, data = c.ddb("TransactWriteItems", {"TransactItems": []})
    answer = json.loads(data)
    assert resp.status == 400 and answer["__type"] == "TransactionCanceledException", data
    assert [r["Code"] for r in answer["CancellationReasons"]] == ["TransactionConflict", "None"], data
    for bad in ({"reasons": "TransactionConflict"}, {"reasons": [{"Message": "no code"}]},
                {"reasons": [], "protocol": "query"}):
        resp, data = c.req("PUT", "/__faults", json.dumps([dict(bad, service="dynamodb")]))
        assert resp.status == 400, (bad, data)
    # An action list matches any of its actions, and nothing else.
    c.faults([{"service": "dynamodb", "action": ["BatchWriteItem", "TransactWriteItems"],
               "code": "InternalServerError", "status": 500}])
    before = len(SEEN)
    assert c.ddb("BatchWriteItem", {"RequestItems": {}})[0].status == 500
    assert c.ddb("TransactWriteItems", {"TransactItems": []})[0].status == 500
    assert c.ddb("PutItem", {"TableName": "t"})[0].status == 200
    assert len(SEEN) == before + 1
    for bad in ({"action": []}, {"action": [""]}, {"action": 3}, {"action": ["PutItem", 3]}):
        resp, data = c.req("PUT", "/__faults", json.dumps([dict(bad, service="dynamodb")]))
        assert resp.status == 400, (bad, data)
    print("ok error (default effect, legacy rules, cancellation reasons, action lists)")


def check_lose(c):
    c.faults([{"name": "lost", "service": "dynamodb", "action": "PutItem", "effect": "lose",
               "times": 1, "protocol": "json"}])
    resp, data = c.ddb("PutItem", {"TableName": "lose-1"})
    assert resp.status == 500 and json.loads(data)["__type"] == "InternalServerError", data
    assert seen_count("lose-1") == 1, "lose must forward the request"
    resp, data = c.ddb("PutItem", {"TableName": "lose-2"})  # times used up: forwarded normally
    assert resp.status == 200 and json.loads(data)["upstream"]
    assert c.json("GET", "/__hits")[1] == {"lost": {"seen": 1, "hits": 1, "held": 0}}
    c.faults([{"effect": "lose", "action": "SendMessage", "protocol": "query",
               "status": 503, "code": "ServiceUnavailable"}])
    resp, data = c.sqs("SendMessage", "&MessageBody=lose-3")
    assert resp.status == 503 and b"<Code>ServiceUnavailable</Code>" in data and b"Receiver" in data
    assert seen_count("lose-3") == 1
    print("ok lose")


def check_hold(c):
    c.faults([{"name": "gate", "service": "sqs", "action": "SendMessage", "effect": "hold"}])
    t1, out1 = in_thread(lambda: c.sqs("SendMessage", "&MessageBody=held-1"))
    status, hits = c.json("GET", "/__wait?name=gate&held=1&timeout=5")
    assert status == 200 and hits["gate"] == {"seen": 1, "hits": 1, "held": 1}, hits
    assert seen_count("held-1") == 0, "held request must not be forwarded yet"
    # Other requests pass while one is held.
    t0 = time.monotonic()
    assert c.sqs("ReceiveMessage")[0].status == 200
    assert c.ddb("PutItem", {"TableName": "during-hold"})[0].status == 200
    assert time.monotonic() - t0 < 2
    # A second matching request is held too.
    t2, out2 = in_thread(lambda: c.sqs("SendMessage", "&MessageBody=held-2"))
    assert c.json("GET", "/__wait?name=gate&held=2&timeout=5")[0] == 200
    assert t1.is_alive() and t2.is_alive()
    status, data = c.json("POST", "/__release", {"name": "gate"})
    assert status == 200 and data == {"released": 2}, data
    t1.join(5), t2.join(5)
    assert not t1.is_alive() and not t2.is_alive()
    assert out1["value"][0].status == 200 and json.loads(out1["value"][1])["upstream"]
    assert seen_count("held-1") == 1 and seen_count("held-2") == 1
    # Released rule without `times` is done: later matching requests pass unblocked.
    t0 = time.monotonic()
    assert c.sqs("SendMessage", "&MessageBody=after-release")[0].status == 200
    assert time.monotonic() - t0 < 2
    assert c.json("GET", "/__hits")[1]["gate"] == {"seen": 2, "hits": 2, "held": 0}
    assert c.json("POST", "/__release", {"name": "nope"})[0] == 404

    # times=1: only the first is held, the second passes right away.
    c.faults([{"name": "once", "action": "SendMessage", "effect": "hold", "times": 1}])
    t1, out1 = in_thread(lambda: c.sqs("SendMessage", "&MessageBody=once-1"))
    assert c.json("GET", "/__wait?name=once&held=1&timeout=5")[0] == 200
    t0 = time.monotonic()
    assert c.sqs("SendMessage", "&MessageBody=once-2")[0].status == 200
    assert time.monotonic() - t0 < 2 and t1.is_alive()
    assert c.json("POST", "/__release", {"name": "once"})[1] == {"released": 1}
    t1.join(5)
    assert out1["value"][0].status == 200

    # times=2: release lets the held one go, the next within budget is held again.
    c.faults([{"name": "twice", "action": "SendMessage", "effect": "hold", "times": 2}])
    t1, _ = in_thread(lambda: c.sqs("SendMessage", "&MessageBody=twice-1"))
    assert c.json("GET", "/__wait?name=twice&held=1&timeout=5")[0] == 200
    c.json("POST", "/__release", {"name": "twice"})
    t1.join(5)
    assert not t1.is_alive()
    t2, _ = in_thread(lambda: c.sqs("SendMessage", "&MessageBody=twice-2"))
    assert c.json("GET", "/__wait?name=twice&held=1&timeout=5")[0] == 200
    c.json("POST", "/__release", {"name": "twice"})
    t2.join(5)
    assert not t2.is_alive()

    # hold_timeout: gives up waiting and forwards.
    c.faults([{"name": "slow", "action": "SendMessage", "effect": "hold", "hold_timeout": 0.5}])
    t0 = time.monotonic()
    resp, _ = c.sqs("SendMessage", "&MessageBody=timeout-1")
    took = time.monotonic() - t0
    assert resp.status == 200 and 0.4 < took < 3, took
    assert seen_count("timeout-1") == 1

    # PUT /__faults releases the old rules' held requests.
    c.faults([{"name": "stuck", "action": "SendMessage", "effect": "hold"}])
    t1, out1 = in_thread(lambda: c.sqs("SendMessage", "&MessageBody=replaced-1"))
    assert c.json("GET", "/__wait?name=stuck&held=1&timeout=5")[0] == 200
    t0 = time.monotonic()
    c.faults([])
    t1.join(5)
    assert not t1.is_alive() and time.monotonic() - t0 < 2
    assert out1["value"][0].status == 200 and seen_count("replaced-1") == 1
    assert c.json("GET", "/__hits")[1] == {}
    print("ok hold: release, concurrency, times, hold_timeout, replaced by PUT")


def check_skip_times(c):
    c.faults([
        {"name": "st", "action": "SendMessage", "skip": 1, "times": 2, "status": 400,
         "code": "Throttling", "protocol": "query"},
        {"name": "later", "action": "SendMessage", "effect": "count"},
    ])
    got = [c.sqs("SendMessage", f"&MessageBody=st-{i}")[0].status for i in range(5)]
    assert got == [200, 400, 400, 200, 200], got
    assert seen_count("st-0") == 1 and seen_count("st-1") == 0 and seen_count("st-3") == 1
    hits = c.json("GET", "/__hits")[1]
    assert hits == {"st": {"seen": 3, "hits": 2, "held": 0},
                    "later": {"seen": 2, "hits": 2, "held": 0}}, hits
    # A rule in its skip phase claims the request (the later rule does not see it).
    c.faults([{"name": "a", "action": "SendMessage", "skip": 2, "times": 1},
              {"name": "b", "action": "SendMessage", "status": 400, "code": "B"}])
    got = [c.sqs("SendMessage", f"&MessageBody=sk-{i}")[0].status for i in range(4)]
    assert got == [200, 200, 400, 400], got
    hits = c.json("GET", "/__hits")[1]
    assert hits == {"a": {"seen": 3, "hits": 1, "held": 0},
                    "b": {"seen": 1, "hits": 1, "held": 0}}, hits
    # times=0 never acts; skip=0 default.
    c.faults([{"name": "z", "times": 0}])
    assert c.sqs("SendMessage")[0].status == 200
    assert c.json("GET", "/__hits")[1]["z"] == {"seen": 0, "hits": 0, "held": 0}
    print("ok skip/times/first-with-budget")


def check_wait(c):
    c.faults([{"name": "cnt", "action": "ListQueues", "effect": "count"}])
    t0 = time.monotonic()
    status, data = c.json("GET", "/__wait?name=cnt&seen=1&timeout=0.3")
    assert status == 408 and data == {"cnt": {"seen": 0, "hits": 0, "held": 0}}, data
    assert 0.25 < time.monotonic() - t0 < 2
    t, out = in_thread(lambda: c.json("GET", "/__wait?name=cnt&seen=2&hits=2"))
    time.sleep(0.2)
    c.sqs("ListQueues")
    time.sleep(0.2)
    assert t.is_alive()
    c.sqs("ListQueues")
    t.join(5)
    assert out["value"] == (200, {"cnt": {"seen": 2, "hits": 2, "held": 0}}), out
    assert c.json("GET", "/__wait?name=cnt&seen=1")[0] == 200  # already reached
    assert c.json("GET", "/__wait?name=missing&seen=1&timeout=1")[0] == 404
    assert c.json("GET", "/__wait?name=cnt")[0] == 400
    assert c.json("GET", "/__wait?name=cnt&seen=x")[0] == 400
    print("ok wait: 408 on timeout, 200 when reached, 404, 400")


def org(c, action, body):
    return c.req("POST", "/as-sent", body,
                 {"Authorization": auth("organizations"),
                  "X-Amz-Target": f"AWSOrganizationsV20161128.{action}",
                  "Content-Type": "application/x-amz-json-1.1"})


def check_rewrite(c):
    answer = {"Accounts": [{"Id": "1", "Status": "ACTIVE", "State": "ACTIVE"},
                           {"Id": "2", "Status": "SUSPENDED", "State": "SUSPENDED"}],
              "Account": {"Id": "3", "Status": "ACTIVE", "State": "ACTIVE",
                          "Nested": [{"Status": "x"}]},
              "NextToken": None}
    c.faults([
        {"name": "edits", "service": "organizations", "action": "ListAccountsForParent",
         "effect": "rewrite", "drop": ["Status"],
         "edit": [{"where": {"Id": "2"}, "set": {"State": "CLOSED"}},
                  {"where": {"Id": "3", "State": "ACTIVE"}, "drop": ["State"]}]},
        {"name": "retired", "service": "organizations", "effect": "rewrite", "drop": ["Status"]},
    ])
    resp, data = org(c, "ListAccountsForParent", answer)
    got = json.loads(data)
    assert resp.status == 200 and resp.getheader("Content-Length") == str(len(data)), resp.getheaders()
    assert resp.getheader("x-amz-crc32") is None, "the old checksum is not sent with a changed answer"
    assert got == {"Accounts": [{"Id": "1", "State": "ACTIVE"}, {"Id": "2", "State": "CLOSED"}],
                   "Account": {"Id": "3", "Nested": [{}]}, "NextToken": None}, got
    # Another action: only the second rule's drop.
    resp, data = org(c, "DescribeAccount", {"Account": {"Id": "9", "Status": "ACTIVE", "State": "ACTIVE"}})
    assert json.loads(data) == {"Account": {"Id": "9", "State": "ACTIVE"}}, data
    # Nothing to change: the answer and its checksum as sent, not counted as changed.
    plain = json.dumps({"Account": {"Id": "9", "State": "ACTIVE"}})
    resp, data = org(c, "DescribeAccount", plain)
    assert data == plain.encode() and resp.getheader("x-amz-crc32") == "12345", (data, resp.getheaders())
    # Not JSON: forwarded as it is.
    resp, data = org(c, "DescribeAccount", "<xml Status='ACTIVE'/>")
    assert data == b"<xml Status='ACTIVE'/>", data
    hits = c.json("GET", "/__hits")[1]
    assert hits == {"edits": {"seen": 1, "hits": 1, "held": 0, "changed": 1},
                    "retired": {"seen": 3, "hits": 3, "held": 0, "changed": 1}}, hits
    assert c.json("GET", "/__wait?name=retired&changed=1&timeout=1")[0] == 200
    assert c.json("GET", "/__wait?name=retired&changed=2&timeout=0.3")[0] == 408
    # Other services are not touched.
    resp, data = c.ddb("GetItem", {"Status": "kept"})
    assert json.loads(json.loads(data)["body"]) == {"Status": "kept"}
    for bad in ([{"effect": "rewrite"}], [{"effect": "count", "drop": ["Status"]}],
                [{"effect": "rewrite", "drop": "Status"}], [{"effect": "rewrite", "drop": [""]}],
                [{"effect": "rewrite", "edit": [{"set": {"State": "X"}}]}],
                [{"effect": "rewrite", "edit": [{"where": {}, "set": {}}]}],
                [{"effect": "rewrite", "edit": [{"where": {"Id": "1"}, "sett": {}}]}],
                [{"effect": "rewrite", "edit": [{"where": {"Id": "1"}, "drop": "State"}]}],
                [{"effect": "rewrite", "edit": {"where": {"Id": "1"}}}]):
        status, data = c.json("PUT", "/__faults", bad)
        assert status == 400, (bad, status, data)
    print("ok rewrite: drop at any depth, edit where, checksum, not JSON, counters, validation")
SNS_LIMIT = 262144  # Amazon SNS API Reference, Publish: 256 KB, message and attributes


def publish_form(message, **attributes):
    """A query-protocol SNS Publish, as the SDKs send it."""
    fields = [("Action", "Publish"), ("TopicArn", "arn:aws:sns:us-east-1:123456789012:t"),
              ("Message", message)]
    for i, (name, value) in enumerate(attributes.items(), 1):
        fields += [(f"MessageAttributes.entry.{i}.Name", name),
                   (f"MessageAttributes.entry.{i}.Value.DataType", "String"),
                   (f"MessageAttributes.entry.{i}.Value.StringValue", value)]
    return urllib.parse.urlencode(fields)


def check_sns_size(c):
    c.faults([{"name": "too-long", "service": "sns", "action": "Publish", "message_bytes_over": SNS_LIMIT,
               "status": 400, "code": "InvalidParameter", "message": "Invalid parameter: Message too long",
               "protocol": "query"}])
    headers = {"Authorization": auth("sns"), "Content-Type": "application/x-www-form-urlencoded"}
    attrs = {"kind": "policy_ids_unknown", "alert_id": "a1"}
    counted = sum(len(k) + len("String") + len(v) for k, v in attrs.items())
    room = SNS_LIMIT - counted
    # Exactly at the limit (message and attributes): forwarded.
    resp, data = c.req("POST", "/", publish_form("x" * room, **attrs), headers)
    assert resp.status == 200 and json.loads(data)["upstream"], data[:200]
    # One byte over: refused as AWS refuses it, not forwarded.
    before = len(SEEN)
    resp, data = c.req("POST", "/", publish_form("x" * (room + 1), **attrs), headers)
    assert resp.status == 400 and b"<Code>InvalidParameter</Code>" in data, data
    assert b"Invalid parameter: Message too long" in data and b"<Type>Sender</Type>" in data, data
    assert len(SEEN) == before
    # Bytes, not characters: one 2-byte character in place of an ASCII one.
    resp, _ = c.req("POST", "/", publish_form("é" + "x" * (room - 1), **attrs), headers)
    assert resp.status == 400
    resp, _ = c.req("POST", "/", publish_form("€" * (room // 3), **attrs), headers)
    assert resp.status == 200, "3-byte characters up to the limit"
    # Attributes count: the same message with a longer attribute value.
    resp, _ = c.req("POST", "/", publish_form("x" * room, kind="policy_ids_unknownX", alert_id="a1"),
                    headers)
    assert resp.status == 400
    # Not a Publish, or not SNS: never matched, whatever the size.
    assert c.req("POST", "/", "Action=CreateTopic&Name=" + "x" * (SNS_LIMIT + 10), headers)[0].status == 200
    assert c.sqs("SendMessage", "&MessageBody=" + "x" * (SNS_LIMIT + 10))[0].status == 200
    assert c.json("GET", "/__hits")[1] == {"too-long": {"seen": 3, "hits": 3, "held": 0}}
    for bad in (-1, "1", 1.5, True):
        resp, data = c.req("PUT", "/__faults", [{"message_bytes_over": bad}])
        assert resp.status == 400 and b"message_bytes_over" in data, (bad, data)
    print("ok sns size: at the limit forwarded, one byte over refused, bytes not characters")


def check_moto(port):
    """End to end against moto: `lose` really does the work."""
    moto = os.path.join(HERE, "..", ".venv", "bin", "moto_server")
    if not os.path.exists(moto):
        print("skip moto (no .venv/bin/moto_server)")
        return
    proxy_port = free_port()
    moto_proc, moto_url = emulator_server.start([moto])
    procs = [moto_proc]
    try:
        procs.append(start_proxy(proxy_port, moto_url))
        c = Client(proxy_port)
        c.faults([{"name": "lost", "service": "sqs", "action": "CreateQueue", "effect": "lose",
                   "protocol": "query"}])
        resp, data = c.sqs("CreateQueue", "&QueueName=lost-answer&Version=2012-11-05")
        assert resp.status == 500 and b"InternalServerError" in data, data
        resp, data = c.sqs("ListQueues", "&Version=2012-11-05")
        assert resp.status == 200 and b"lost-answer" in data, data
        conn = http.client.HTTPConnection("127.0.0.1", proxy_port, timeout=10)  # keep-alive via moto
        for _ in range(3):
            resp, data = c.sqs("ListQueues", "&Version=2012-11-05", conn=conn)
            assert resp.status == 200 and b"lost-answer" in data
        conn.close()
        print("ok moto: lose did the work upstream, keep-alive through moto's Connection: close")
        check_moto_organizations(c)
        check_moto_account(c)
    finally:
        for p in procs:
            p.kill()
            p.wait()


def check_moto_organizations(c):
    """moto answers Status and State; the rewrite answers as AWS does today."""
    def call(action, body):
        resp, data = c.req("POST", "/", body, {"Authorization": auth("organizations"),
                                               "X-Amz-Target": f"AWSOrganizationsV20161128.{action}",
                                               "Content-Type": "application/x-amz-json-1.1"})
        assert resp.status == 200, data
        return json.loads(data)
    call("CreateOrganization", {"FeatureSet": "ALL"})
    made = call("CreateAccount", {"AccountName": "a", "Email": "a@example.com"})
    account = made["CreateAccountStatus"]["AccountId"]
    moto = call("DescribeAccount", {"AccountId": account})["Account"]
    assert moto["Status"] == "ACTIVE" and moto["State"] == "ACTIVE", moto
    c.faults([{"name": "today", "service": "organizations", "effect": "rewrite", "drop": ["Status"]}])
    today = call("DescribeAccount", {"AccountId": account})["Account"]
    assert "Status" not in today and today["State"] == "ACTIVE", today
    root = call("ListRoots", {})["Roots"][0]["Id"]
    listed = call("ListAccountsForParent", {"ParentId": root})["Accounts"]
    assert listed and all("Status" not in a and a["State"] == "ACTIVE" for a in listed), listed
    assert c.json("GET", "/__hits")[1]["today"]["changed"] == 2
    print("ok moto organizations: Status dropped as AWS does today, State kept")


def check_moto_account(c):
    """`account` matches the requests signed by a role session of that account
    (its key learned from the AssumeRole answer), nothing else."""
    def session(account):
        form = (f"Action=AssumeRole&Version=2011-06-15&RoleSessionName=s&RoleArn="
                f"{urllib.parse.quote(f'arn:aws:iam::{account}:role/R')}")
        resp, data = c.req("POST", "/", form, {"Authorization": auth("sts"),
                                               "Content-Type": "application/x-www-form-urlencoded"})
        assert resp.status == 200, data
        return data.decode().split("<AccessKeyId>")[1].split("<")[0]

    def queues(key):
        signed = auth("sqs").replace("AKIDEXAMPLE", key)
        return c.req("POST", "/", "Action=ListQueues&Version=2012-11-05",
                     {"Authorization": signed, "Content-Type": "application/x-www-form-urlencoded"})[0]
    ours, theirs = session("111111111111"), session("222222222222")
    assert ours != theirs
    c.faults([{"name": "ours", "service": "sqs", "account": "111111111111", "code": "Nope",
               "protocol": "query"}])
    assert queues(theirs).status == 200
    assert queues("AKIDEXAMPLE").status == 200  # not a role session's key: never matches
    assert queues(ours).status == 400
    assert c.json("GET", "/__hits")[1]["ours"]["hits"] == 1
    print("ok moto account: a role session's requests matched by its account, no other")


def wait_port(port):
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            assert time.monotonic() < deadline, f"port {port} did not open"
            time.sleep(0.05)


def check_chain_synthetic():
    # (arrived, answered, op): a > b > d; c (sent before a was answered) and
    # e beside them.
    log = [(0, 1, "a"), (1, 2, "b"), (0.9, 1.5, "c"), (2, 3, "d"), (0.5, 2.5, "e")]
    assert fault_proxy.critical_chain(log) == ["a", "b", "d"], fault_proxy.critical_chain(log)
    # The longer branch wins whichever is listed first; an answer at the very
    # moment of the next arrival counts as before it.
    log = [(0, 1, "x"), (0, 0.2, "y"), (0.2, 0.4, "z"), (0.4, 0.6, "w"), (1, 2, "v")]
    assert fault_proxy.critical_chain(log) == ["y", "z", "w", "v"], fault_proxy.critical_chain(log)
    assert fault_proxy.critical_chain([]) == []
    print("ok chain (synthetic logs)")


def check_chain(c):
    # A request, then two sent together, then one after both (refused by a
    # rule: an error answer is a round trip too): 3 sequential round trips.
    c.faults([{"name": "no", "service": "sqs", "action": "SendMessage", "code": "Nope", "protocol": "query"}])
    for bad in ({"rtt_ms": -1}, {"rtt_ms": "50"}, ["rtt_ms"]):
        status, data = c.json("PUT", "/__chain", bad)
        assert status == 400, (bad, status, data)
    resp, data = c.req("PUT", "/__chain", {"rtt_ms": 150})
    assert resp.status == 204 and data == b"", (resp.status, data)
    t0 = time.monotonic()
    assert c.ddb("GetItem", {"TableName": "first"})[0].status == 200
    assert time.monotonic() - t0 >= 0.15, "no answer before rtt_ms"
    together = [in_thread(lambda: c.ddb("PutItem", {"TableName": "beside"})),
                in_thread(lambda: c.sqs("ReceiveMessage"))]
    for t, out in together:
        t.join(10)
        assert out["value"][0].status == 200, out
    assert c.sqs("SendMessage", "&MessageBody=last")[0].status == 400
    c.req("GET", "/__hits")  # control requests are not in the chain
    status, got = c.json("GET", "/__chain")
    assert status == 200 and got["round_trips"] == 3 and got["requests"] == 4, got
    assert got["chain"][0] == "dynamodb:GetItem" and got["chain"][2] == "sqs:SendMessage", got
    assert got["chain"][1] in ("dynamodb:PutItem", "sqs:ReceiveMessage"), got
    # PUT /__faults forgets them (and keeps the delay); PUT /__chain {} lifts the delay.
    c.faults([])
    assert c.json("GET", "/__chain")[1] == {"round_trips": 0, "chain": [], "requests": 0}
    assert c.req("PUT", "/__chain", b"")[0].status == 204
    t0 = time.monotonic()
    assert c.ddb("GetItem", {"TableName": "undelayed"})[0].status == 200
    assert time.monotonic() - t0 < 0.15
    assert c.json("GET", "/__chain")[1] == {"round_trips": 1, "chain": ["dynamodb:GetItem"], "requests": 1}
    print("ok chain: sequential round trips, rtt_ms, reset")


def start_proxy(port, upstream):
    p = subprocess.Popen([sys.executable, os.path.join(HERE, "fault_proxy.py"), str(port), upstream])
    wait_port(port)
    return p


def main():
    up_port, proxy_port = free_port(), free_port()
    upstream = ThreadingHTTPServer(("127.0.0.1", up_port), Upstream)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    proxy = start_proxy(proxy_port, f"http://127.0.0.1:{up_port}")
    try:
        c = Client(proxy_port)
        check_basics(c)
        check_error(c)
        check_lose(c)
        check_hold(c)
        check_skip_times(c)
        check_wait(c)
        check_rewrite(c)
        check_sns_size(c)
        check_chain_synthetic()
        check_chain(c)
        check_moto(proxy_port)
        print("all ok")
    finally:
        proxy.kill()
        proxy.wait()
        upstream.shutdown()
        upstream.server_close()


if __name__ == "__main__":
    main()

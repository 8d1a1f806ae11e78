"""Self-test of bench/latency_proxy.py's record and replay (standard library only).

    python bench/latency_proxy_selftest.py

An in-process upstream numbers its answers; the proxy runs as a subprocess.
Recorded answers must come back in recorded order under the same key whatever
the requests' clocks and tokens, nothing may reach the upstream in replay,
and what was never recorded must be counted as a miss.
"""

import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
SEEN = []  # bodies the upstream received
LOCK = threading.Lock()


class Upstream(BaseHTTPRequestHandler):
    """Answers {"n": <how many requests so far>} like moto (Connection: close); a DynamoDB
    write that carries a run token (`:me`) gets it back, as a lease's item returns its owner."""

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with LOCK:
            SEEN.append(body)
            answer = {"n": len(SEEN)}
            me = json.loads(body).get("ExpressionAttributeValues", {}).get(":me") if body[:1] == b"{" else None
            if me:
                answer["Attributes"] = {"lease_owner": me, "intent": {"S": json.dumps({"owner": me["S"]})}}
            data = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("x-amz-crc32", "0")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def auth(service: str, key: str = "AKIDONE") -> str:
    return f"AWS4-HMAC-SHA256 Credential={key}/20260101/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=x"


class Client:
    def __init__(self, port: int):
        self.port = port

    def req(self, method: str, path: str, body: bytes = b"", headers: dict | None = None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        out = r.status, r.read()
        c.close()
        return out

    def mode(self, mode: str, rtt_ms: int = 0) -> int:
        return self.req("PUT", "/__mode", json.dumps({"mode": mode, "rtt_ms": rtt_ms}).encode())[0]

    def ddb_update(self, pk: str, now: int, key: str = "AKIDONE"):
        body = json.dumps({"TableName": "t", "Key": {"pk": {"S": pk}, "sk": {"S": "STATE"}},
                           "UpdateExpression": "SET a = :now", "ExpressionAttributeValues": {":now": {"N": str(now)}}})
        return self.json("POST", "/", body.encode(), {"Authorization": auth("dynamodb", key),
                                                        "X-Amz-Target": "DynamoDB_20120810.UpdateItem",
                                                        "Content-Type": "application/x-amz-json-1.0"})

    def ddb_lease(self, pk: str, me: str | None):
        values = {":now": {"N": "1"}, **({":me": {"S": me}} if me else {})}
        body = json.dumps({"TableName": "t", "Key": {"pk": {"S": pk}, "sk": {"S": "REGION#r"}},
                           "UpdateExpression": "SET lease_owner = :me", "ExpressionAttributeValues": values})
        status, headers, data = self.raw("POST", "/", body.encode(), {
            "Authorization": auth("dynamodb"), "X-Amz-Target": "DynamoDB_20120810.UpdateItem",
            "Content-Type": "application/x-amz-json-1.0"})
        assert status == 200, (status, data)
        return headers, json.loads(data)

    def raw(self, method: str, path: str, body: bytes, headers: dict):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        c.request(method, path, body=body, headers=headers)
        r = c.getresponse()
        out = r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        c.close()
        return out

    def ssm_describe(self, name: str, key: str = "AKIDONE"):
        return self.json("POST", "/", json.dumps({"Name": name}).encode(),
                         {"Authorization": auth("ssm", key), "X-Amz-Target": "AmazonSSM.DescribeDocument",
                          "Content-Type": "application/x-amz-json-1.1"})

    def assume(self, account: str, session: str):
        body = f"Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A{account}%3Arole%2Fr&RoleSessionName={session}"
        return self.json("POST", "/", body.encode(), {"Authorization": auth("sts"),
                                                        "Content-Type": "application/x-www-form-urlencoded"})

    def json(self, method, path, body, headers):
        status, data = self.req(method, path, body, headers)
        assert status == 200, (status, data)
        return json.loads(data)


def check(c: Client) -> None:
    assert c.mode("record") == 204
    recorded = [c.ddb_update("ACCT#1", 100)["n"], c.ddb_update("ACCT#1", 101)["n"], c.ssm_describe("A")["n"],
                c.assume("111111111111", "s-1")["n"], c.ssm_describe("A", key="AKIDTWO")["n"],
                c.ddb_update("ALERT#2026-01-01T00:00:00Z#a1", 1)["n"]]
    assert recorded == [1, 2, 3, 4, 5, 6], recorded
    upstream = len(SEEN)

    assert c.mode("replay", rtt_ms=40) == 204
    t0 = time.monotonic()
    # clocks, session names and order across keys differ; each key's order is kept
    assert c.assume("111111111111", "s-2")["n"] == 4
    assert c.ssm_describe("A", key="AKIDTWO")["n"] == 5, "the caller is part of the key"
    assert c.ddb_update("ACCT#1", 200)["n"] == 1
    assert c.ssm_describe("A")["n"] == 3
    assert c.ddb_update("ACCT#1", 201)["n"] == 2
    took = time.monotonic() - t0
    assert took >= 5 * 0.040, f"5 replayed requests at RTT 40 ms took {took:.3f} s"
    assert c.json("GET", "/__replay", b"", {}) == {"keys": 5, "answers": 6, "matched": 5, "shape": 0, "repeated": 0,
                                                   "unmatched": 0, "unmatched_ops": {}, "unmatched_keys": [],
                                                   "tokens": 0}
    # an item id with another clock in it: matched by the item's kind
    assert c.ddb_update("ALERT#2026-01-01T00:00:07Z#b2", 2)["n"] == 6
    assert c.json("GET", "/__replay", b"", {})["shape"] == 1

    assert c.ddb_update("ACCT#1", 202)["n"] == 2, "asked once more than recorded: the last answer again"
    assert c.ssm_describe("B")["n"] == 3, "never recorded: the operation's first answer"
    got = c.json("GET", "/__replay", b"", {})
    assert (got["repeated"], got["unmatched"], got["unmatched_ops"]) == (1, 1, {"ssm:DescribeDocument": 1}), got
    assert len(got["unmatched_keys"]) == 1 and '"Name": "B"' in got["unmatched_keys"][0], got
    assert len(SEEN) == upstream, "replay reached the upstream"
    counts = c.json("GET", "/__counts", b"", {})
    assert counts["dynamodb:UpdateItem"] == 7 and counts["sts:AssumeRole"] == 2, counts

    # a new recording starts empty; live forwards again
    assert c.mode("record") == 204
    assert c.ssm_describe("C")["n"] == upstream + 1
    assert c.mode("replay") == 204
    assert c.json("GET", "/__replay", b"", {})["keys"] == 1
    assert c.mode("live") == 204
    assert c.ssm_describe("C")["n"] == upstream + 2

    for bad in (b'{"mode": "rewind"}', b'{"mode": "replay", "rtt_ms": -1}', b"not json", b"[]"):
        status, data = c.req("PUT", "/__mode", bad)
        assert status == 400 and b"error" in data, (bad, status, data)


def check_tokens(c: Client) -> None:
    """A run's token in a recorded answer comes back as the replaying run's: in the answer to
    its own request, and in a later answer whose request carried none."""
    assert c.mode("record") == 204
    _, lease = c.ddb_lease("ACCOUNT#1", "recorded-run")
    _, record = c.ddb_lease("ACCOUNT#2", None)
    assert "recorded-run" not in json.dumps(record), record
    _, again = c.ddb_lease("ACCOUNT#3", "recorded-run")
    assert again["Attributes"]["lease_owner"] == {"S": "recorded-run"}, again
    assert c.mode("replay") == 204
    headers, lease = c.ddb_lease("ACCOUNT#1", "replaying-run")
    assert lease["Attributes"]["lease_owner"] == {"S": "replaying-run"}, lease
    assert json.loads(lease["Attributes"]["intent"]["S"]) == {"owner": "replaying-run"}, lease
    assert "x-amz-crc32" not in headers, "a swapped body kept the recorded body's checksum"
    headers, again = c.ddb_lease("ACCOUNT#3", None)
    assert again["Attributes"]["lease_owner"] == {"S": "replaying-run"}, again
    assert c.json("GET", "/__replay", b"", {})["tokens"] == 1
    # an answer with no token in it is the recorded one, checksum and all
    headers, _ = c.ddb_lease("ACCOUNT#2", None)
    assert headers.get("x-amz-crc32") == "0", headers
    # a new replay is a new run: its token is learned anew
    assert c.mode("replay") == 204
    assert c.json("GET", "/__replay", b"", {})["tokens"] == 0
    _, again = c.ddb_lease("ACCOUNT#3", "third-run")
    assert again["Attributes"]["lease_owner"] == {"S": "third-run"}, again


def check_kinds() -> None:
    sys.path.insert(0, HERE)
    from latency_proxy import kind
    for item_id, want in [("ACCOUNT#1#us-east-1", "ACCOUNT"), ("OUTBOX", "OUTBOX"), ("24bdc8e5eeba9d8d", "*"),
                          ("EVENT", "EVENT"), ("", "*"), ("#x", "")]:
        assert kind(item_id) == want, (item_id, kind(item_id), want)


def main() -> int:
    check_kinds()
    upstream = ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    port = free_port()
    proxy = subprocess.Popen([sys.executable, os.path.join(HERE, "latency_proxy.py"), str(port),
                              str(upstream.server_address[1]), "0"])
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        check(Client(port))
        check_tokens(Client(port))
    finally:
        proxy.terminate()
        proxy.wait()
        upstream.shutdown()
    print("latency_proxy record/replay self-test: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())

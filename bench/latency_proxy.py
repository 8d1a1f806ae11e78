"""Latency-injecting, request-counting HTTP/1.1 proxy (asyncio), for benchmarks.

Sits between an AWS SDK client and moto on loopback and makes moto look like
AWS at a distance:

* keeps the client's connections alive (HTTP/1.1 keep-alive, as AWS does),
  and its own connections to moto too where moto allows it (bench/moto_fast.py
  does; plain moto answers `Connection: close`, and then each request gets a
  new upstream connection);
* delays every request by RTT: half before forwarding, half after the answer;
* counts requests by (service, action): the service from the SigV4 credential
  scope `Credential=<key>/<date>/<region>/<service>/aws4_request`, the action
  from `X-Amz-Target` (JSON protocols) or the `Action=` form/query field
  (query protocols).

DynamoDB requests are also counted by the kind of item they touch (the text
before the first `#` of `pk` and `sk`), to tell leases, state, history and
receipts apart.

Refusals (a minimal form of tests/fault_proxy.py's "error" rules, for the
bench's vend before the member stack): a request matching a refusal rule is
answered with an AWS query-protocol error (XML ErrorResponse) instead of being
forwarded; it is still delayed by RTT, counted and logged like any other.

Record and replay (`make bench-scale` measures each phase this way, so that a
wall time is runas-guard's own structure at the RTT, not moto's speed): in
`record` mode every request is forwarded and its answer kept under a replay key;
in `replay` mode nothing is forwarded: each request is answered, after the RTT,
with the next answer recorded under its key, in recorded order. The key is the
operation, the caller's access key id and region (SigV4 scope) and what names
the resource: for DynamoDB the table, item key, index and expressions (not the
expression values, which carry clocks and tokens); for other JSON protocols the
whole body but client tokens; for query protocols the form but the message,
subject and role session name. A key asked more often than recorded gets its
last answer again (`repeated`); a key never recorded gets the first recorded
answer of its operation (`unmatched`); neither happens when the replayed run
asks what the recorded one asked, and the bench reports both counts. A DynamoDB
key not recorded as such is first matched by its shape (`shape`: item ids cut to
their kind, the text before the first `#`, since alert and history ids carry
clocks). A run's own token comes back in the answers it gets (runas-guard's
lease owner, `:me` in a DynamoDB request's expression values, is on the items
its later writes return): each replayed answer carries the replaying run's
token where the recorded one carried the recorded run's (learned from the first
replayed request with `:me` whose recorded request had another), as AWS would
answer the replaying run; otherwise its own lease, returned later, would read
as a dead run's.
Refusal rules apply in every mode, before the recording is consulted.

Control endpoints (not delayed, not counted):
  GET  /__counts   {"service:Action": n, ...}
  GET  /__detail   {"dynamodb:Action PK/SK": n, ...}
  GET  /__timing   {"service:Action": seconds moto took to answer, summed}
  GET  /__log      [[arrived, answered, "service:Action"], ...] (monotonic seconds; last 100,000)
  GET  /__upstream {"opened": upstream connections opened so far, "idle": kept alive now}
  POST /__reset    zero the counters (refusal hits included; the rules stay)
  PUT  /__refuse   replace the refusal rules: a JSON list of {"name", "service", "action",
                   "contains" (substring of the url-decoded body), "status" (default 403),
                   "code" (default "AccessDenied"), "message"}; an absent match field matches
                   anything; [] lifts every refusal. 204
  GET  /__refused  {"<name>": requests refused since the last reset, ...}
  PUT  /__mode     {"mode": "live" | "record" | "replay", "rtt_ms": n (default: unchanged)};
                   record starts an empty recording, replay answers from the last one. 204
  GET  /__replay   {"keys": recorded keys, "answers": recorded answers, "matched": n, "shape": n,
                   "repeated": n, "unmatched": n, "unmatched_ops": {"service:Action": n},
                   "unmatched_keys": [the first 5 keys missed], "tokens": run tokens swapped in answers}
                   (the replay counters zeroed by /__reset and by PUT /__mode)

    python bench/latency_proxy.py LISTEN_PORT UPSTREAM_PORT RTT_MS [UPSTREAM_MAX]

UPSTREAM_MAX (default 0: no limit): at most this many requests at moto at once;
the others wait at the proxy, after their first half RTT (the wait is part of
their latency, as the wait for moto's GIL is without a limit). moto answers one
request at a time anyway, and its threads then contend less.

Timing: each half RTT is an asyncio.sleep, which overshoots by ~0.3 ms on this
machine (epoll's millisecond timeouts), so a round trip costs ~0.6 ms more than
RTT plus moto's answer time (~2% at 30 ms).
"""

import asyncio
import json
import re
import sys
import time
from collections import Counter, deque
from urllib.parse import parse_qs, unquote_plus, urlsplit
from xml.sax.saxutils import escape

SCOPE = re.compile(rb"Credential=[^/,\s]+/\d{8}/[^/]+/([^/]+)/aws4_request")
CALLER = re.compile(rb"Credential=([^/,\s]+)/\d{8}/([^/]+)/")
# DynamoDB request members that name what is read or written (the rest, expression
# values above all, carry clocks and tokens that differ from run to run)
DDB_NAMING = ("TableName", "Key", "IndexName", "KeyConditionExpression", "UpdateExpression",
              "ConditionExpression", "FilterExpression", "ProjectionExpression", "ExclusiveStartKey",
              "ExpressionAttributeNames", "ScanIndexForward", "Limit", "Segment", "TotalSegments")
JSON_VOLATILE = {"ClientToken", "ClientRequestToken"}
KEY_VALUE = re.compile(r'("[ps]k": \{"S": ")([^"]*)')
# runas-guard's own run token (its lease owner) in a DynamoDB request's expression values
OWNER = re.compile(rb'":me"\s*:\s*\{\s*"S"\s*:\s*"([^"]+)"')


def kind(item_id: str) -> str:
    """An item id's kind: the text before its first `#` (`ACCOUNT#1#us-east-1` -> `ACCOUNT`), a name
    (`OUTBOX`) as it is, any other id (an alert's hash) `*`."""
    if "#" in item_id:
        return item_id.split("#", 1)[0]
    return item_id if re.fullmatch(r"[A-Z_]+", item_id) else "*"
FORM_VOLATILE = ("Message", "Subject", "RoleSessionName", "MessageBody", "MessageDeduplicationId",
                 "MessageAttributes", "MessageAttribute", "Entries", "PublishBatchRequestEntries")
KEY_PART = {k: re.compile(rb'"%s"\s*:\s*\{\s*"S"\s*:\s*"([^#"]*)' % k) for k in (b"pk", b"sk")}
HOP_BY_HOP = {
    b"connection",
    b"keep-alive",
    b"proxy-connection",
    b"transfer-encoding",
    b"content-length",
    b"te",
    b"upgrade",
    b"expect",
}


class Proxy:
    def __init__(self, upstream_port: int, rtt_ms: float, upstream_max: int = 0):
        self.upstream_port = upstream_port
        # at most this many requests at moto at once (0: no limit); the others wait here
        self.upstream_slots = asyncio.Semaphore(upstream_max) if upstream_max > 0 else None
        self.half = rtt_ms / 2000.0
        self.counts: Counter[str] = Counter()
        self.detail: Counter[str] = Counter()
        self.upstream_seconds: Counter[str] = Counter()
        self.log: deque = deque(maxlen=100_000)
        self.idle: list = []  # kept-alive upstream connections, most recently used last
        self.refusals: list[dict] = []  # PUT /__refuse rules
        self.refused: Counter[str] = Counter()  # rule name -> requests refused
        self.connections = 0  # upstream connections opened
        self.mode = "live"  # live | record | replay (PUT /__mode)
        self.recording: dict[str, list] = {}  # replay key -> answers in recorded order
        self.owners: dict[str, list] = {}  # replay key -> each recorded request's run token (or None)
        self.tokens: dict[bytes, bytes] = {}  # replay: recorded run's token -> the replaying run's
        self.first_of_op: dict[str, tuple] = {}  # op -> its first recorded answer
        self.cursor: Counter[str] = Counter()  # replay key -> answers replayed
        self.replayed: Counter[str] = Counter()  # matched / repeated / unmatched
        self.unmatched_ops: Counter[str] = Counter()
        self.unmatched_keys: list[str] = []  # the first few, to say what the replay missed

    # -- parsing ----------------------------------------------------------
    @staticmethod
    async def read_message(reader):
        """(start line, [(name, value)]) of the next HTTP message, or None at EOF."""
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError as e:
            if e.partial.strip():
                raise
            return None
        lines = head[:-4].split(b"\r\n")
        headers = []
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            headers.append((name.strip(), value.strip()))
        return lines[0], headers

    @staticmethod
    def header(headers, name: bytes):
        for k, v in headers:
            if k.lower() == name:
                return v
        return None

    @classmethod
    async def read_body(cls, reader, headers, until_eof=False) -> bytes:
        te = cls.header(headers, b"transfer-encoding")
        if te is not None and b"chunked" in te.lower():
            body = bytearray()
            while True:
                size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
                if size == 0:  # then trailers (if any) and an empty line
                    while (await reader.readuntil(b"\r\n")) != b"\r\n":
                        pass
                    return bytes(body)
                body += await reader.readexactly(size)
                await reader.readexactly(2)
        length = cls.header(headers, b"content-length")
        if length is not None:
            return await reader.readexactly(int(length))
        return await reader.read() if until_eof else b""

    @classmethod
    def operation(cls, target: bytes, headers, body: bytes) -> str:
        auth = cls.header(headers, b"authorization") or b""
        m = SCOPE.search(auth)
        service = m.group(1).decode() if m else "unsigned"
        amz_target = cls.header(headers, b"x-amz-target")
        if amz_target:
            return f"{service}:{amz_target.decode().rsplit('.', 1)[-1]}"
        query = urlsplit(target.decode()).query
        action = parse_qs(query).get("Action")
        if not action and body[:4096].find(b"Action=") >= 0:
            action = parse_qs(body.decode("utf-8", "replace")).get("Action")
        if action:
            return f"{service}:{action[0]}"
        # REST protocols: the path's first segment
        return f"{service}:{urlsplit(target.decode()).path.split('/')[1] or '/'}"

    @classmethod
    def replay_key(cls, op: str, target: bytes, headers, body: bytes) -> str:
        """What a request asks, without what changes from run to run (see the module doc)."""
        m = CALLER.search(cls.header(headers, b"authorization") or b"")
        caller = f"{m.group(1).decode()}@{m.group(2).decode()}" if m else "-"
        path = urlsplit(target.decode()).path
        if cls.header(headers, b"x-amz-target"):
            try:
                doc = json.loads(body or b"{}")
            except ValueError:
                return f"{op} {caller} {path} {body!r}"
            if op.startswith("dynamodb:"):
                doc = cls.dynamodb_naming(doc)
            else:
                doc = {k: v for k, v in doc.items() if k not in JSON_VOLATILE}
            return f"{op} {caller} {path} {json.dumps(doc, sort_keys=True)}"
        form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True) if body else {}
        if form:
            kept = sorted((k, v) for k, v in form.items() if not k.startswith(FORM_VOLATILE))
            return f"{op} {caller} {path} {kept}"
        return f"{op} {caller} {target.decode()} {body!r}"

    @staticmethod
    def dynamodb_naming(doc: dict) -> dict:
        out = {k: doc[k] for k in DDB_NAMING if k in doc}
        if "Item" in doc:
            out["Item"] = {k: doc["Item"][k] for k in ("pk", "sk") if k in doc["Item"]}
        if "KeyConditionExpression" in doc:  # the key's values name what is read
            values = doc.get("ExpressionAttributeValues") or {}
            out["KeyValues"] = {k: v for k, v in values.items() if k in doc["KeyConditionExpression"]}
        if "RequestItems" in doc and "Keys" in json.dumps(doc["RequestItems"])[:10_000]:  # BatchGetItem
            out["RequestItems"] = sorted(re.findall(r'"(?:pk|sk)": \{"S": "[^"]*"\}', json.dumps(doc["RequestItems"])))
        else:
            for batch in ("RequestItems", "TransactItems"):
                if batch in doc:  # writes: the kinds of item written (their ids carry clocks: alert ids)
                    out[batch] = sorted(kind(v) for v in re.findall(r'"(?:pk|sk)": \{"S": "([^"]*)', json.dumps(doc[batch])))
        return out

    @staticmethod
    def shape(key: str) -> str | None:
        """A DynamoDB key with its item ids cut to their kind (`kind`): the ids of alerts and
        history rows carry clocks."""
        if not key.startswith("dynamodb:"):
            return None
        return "shape " + KEY_VALUE.sub(lambda m: m.group(1) + kind(m.group(2)), key)

    def replay(self, op: str, key: str):
        """The recorded answer for `key` (see the module doc), and the run token its request carried."""
        shape = self.shape(key)
        for k, kind in ((key, "matched"), (shape, "shape")):
            answers = self.recording.get(k) if k else None
            if answers:
                i = min(self.cursor[k], len(answers) - 1)
                self.replayed[kind if self.cursor[k] < len(answers) else "repeated"] += 1
                self.cursor[k] += 1
                return answers[i], self.owners[k][i]
        self.replayed["unmatched"] += 1
        self.unmatched_ops[op] += 1
        if len(self.unmatched_keys) < 5:
            self.unmatched_keys.append(key[:400])
        if op in self.first_of_op:
            return self.first_of_op[op], None
        body = json.dumps({"__type": "ReplayMiss", "message": f"nothing recorded for {op}"}).encode()
        return (b"HTTP/1.1 500 Replay Miss", [(b"Content-Type", b"application/json")], body), None

    def as_replaying_run(self, body: bytes, recorded_token, answer):
        """`answer` with the recorded run's tokens swapped for the replaying run's (see the module doc)."""
        now = OWNER.search(body)
        if recorded_token and now and now.group(1) != recorded_token:
            self.tokens[recorded_token] = now.group(1)
        status, headers, rbody = answer
        swapped = rbody
        for old, new in self.tokens.items():
            swapped = swapped.replace(old, new)
        if swapped is rbody or swapped == rbody:
            return answer
        # the body changed: a checksum of the recorded body would no longer hold
        return status, [(k, v) for k, v in headers if k.lower() != b"x-amz-crc32"], swapped

    # -- serving ----------------------------------------------------------
    async def client(self, reader, writer):
        try:
            while True:
                msg = await self.read_message(reader)
                if msg is None:
                    break
                start, headers = msg
                method, target, version = start.split(b" ", 2)
                expect = self.header(headers, b"expect")
                if expect and expect.lower() == b"100-continue":
                    writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
                body = await self.read_body(reader, headers)
                if target.startswith(b"/__"):
                    status, rheaders, rbody = self.control(method, target, body)
                else:
                    arrived = time.monotonic()
                    op = self.operation(target, headers, body)
                    self.counts[op] += 1
                    if op.startswith("dynamodb:"):
                        parts = [m.group(1).decode() if (m := KEY_PART[k].search(body)) else "-"
                                 for k in (b"pk", b"sk")]
                        self.detail[f"{op} {'/'.join(parts)}"] += 1
                    await asyncio.sleep(self.half)
                    refusal = self.refusal(op, body) if self.refusals else None
                    if refusal is not None:
                        status, rheaders, rbody = refusal
                    elif self.mode == "replay":
                        answer, token = self.replay(op, self.replay_key(op, target, headers, body))
                        status, rheaders, rbody = self.as_replaying_run(body, token, answer)
                    else:
                        if self.upstream_slots is not None:
                            await self.upstream_slots.acquire()
                        t0 = time.perf_counter()
                        try:
                            status, rheaders, rbody = await self.forward(method, target, headers, body)
                        finally:
                            if self.upstream_slots is not None:
                                self.upstream_slots.release()
                        self.upstream_seconds[op] += time.perf_counter() - t0
                        if self.mode == "record":
                            answer = (status, rheaders, rbody)
                            key = self.replay_key(op, target, headers, body)
                            token = m.group(1) if (m := OWNER.search(body)) else None
                            self.recording.setdefault(key, []).append(answer)
                            self.owners.setdefault(key, []).append(token)
                            if shape := self.shape(key):
                                self.recording.setdefault(shape, []).append(answer)
                                self.owners.setdefault(shape, []).append(token)
                            self.first_of_op.setdefault(op, answer)
                    await asyncio.sleep(self.half)
                out = [status]
                out += [k + b": " + v for k, v in rheaders if k.lower() not in HOP_BY_HOP]
                out.append(b"Content-Length: " + str(len(rbody)).encode())
                out.append(b"Connection: keep-alive")
                writer.write(b"\r\n".join(out) + b"\r\n\r\n" + rbody)
                await writer.drain()
                if not target.startswith(b"/__"):
                    self.log.append((arrived, time.monotonic(), op))
                conn = (self.header(headers, b"connection") or b"").lower()
                if conn == b"close" or version == b"HTTP/1.0":
                    break
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def forward(self, method, target, headers, body):
        """Send one request upstream on a kept-alive connection (or a new one) and read its answer.

        A reused connection that the server closed before answering anything (it
        cannot have acted on the request then) is retried once on a new one."""
        out = [b" ".join((method, target, b"HTTP/1.1"))]
        out += [k + b": " + v for k, v in headers if k.lower() not in HOP_BY_HOP]
        out.append(b"Content-Length: " + str(len(body)).encode())
        out.append(b"Connection: keep-alive")
        request = b"\r\n".join(out) + b"\r\n\r\n" + body
        while True:
            reused = bool(self.idle)
            if reused:
                up_reader, up_writer = self.idle.pop()
            else:
                up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
                self.connections += 1
            keep = False
            try:
                try:
                    up_writer.write(request)
                    await up_writer.drain()
                    msg = await self.read_message(up_reader)
                except ConnectionError:
                    msg = None
                if msg is None:
                    if reused:
                        continue  # closed while idle: nothing was answered, nothing done
                    raise ConnectionError("upstream closed without answering")
                while True:
                    status, rheaders = msg
                    if not status.split(b" ")[1].startswith(b"1"):
                        break  # skip interim 1xx answers
                    msg = await self.read_message(up_reader)
                    if msg is None:
                        raise ConnectionError("upstream closed after an interim answer")
                code = int(status.split(b" ")[1])
                te = (self.header(rheaders, b"transfer-encoding") or b"").lower()
                delimited = method == b"HEAD" or code in (204, 304) or b"chunked" in te or \
                    self.header(rheaders, b"content-length") is not None
                if method == b"HEAD" or code in (204, 304):
                    rbody = b""
                else:
                    rbody = await self.read_body(up_reader, rheaders, until_eof=True)
                conn = (self.header(rheaders, b"connection") or b"").lower()
                keep = delimited and conn != b"close" and status.startswith(b"HTTP/1.1")
                return status, rheaders, rbody
            finally:
                if keep:
                    self.idle.append((up_reader, up_writer))
                else:
                    up_writer.close()

    def refusal(self, op: str, body: bytes):
        """The AWS-shaped error (status line, headers, body) of the first refusal rule
        matching the request, or None."""
        service, _, action = op.partition(":")
        text = None
        for rule in self.refusals:
            if rule.get("service") not in (None, service) or rule.get("action") not in (None, action):
                continue
            if rule.get("contains") is not None:
                if text is None:
                    text = unquote_plus(body.decode("utf-8", "replace"))
                if rule["contains"] not in text:
                    continue
            self.refused[rule.get("name", "")] += 1
            status = int(rule.get("status", 403))
            kind = "Receiver" if status >= 500 else "Sender"
            xml = (f"<ErrorResponse><Error><Type>{kind}</Type>"
                   f"<Code>{escape(rule.get('code', 'AccessDenied'))}</Code>"
                   f"<Message>{escape(rule.get('message', 'refused by latency_proxy'))}</Message></Error>"
                   f"<RequestId>refused</RequestId></ErrorResponse>").encode()
            return f"HTTP/1.1 {status} Refused".encode(), [(b"Content-Type", b"text/xml")], xml
        return None

    def control(self, method, target, body=b""):
        path = urlsplit(target.decode()).path
        if path == "/__counts":
            body = json.dumps(dict(sorted(self.counts.items()))).encode()
        elif path == "/__detail":
            body = json.dumps(dict(sorted(self.detail.items()))).encode()
        elif path == "/__timing":
            body = json.dumps({k: round(v, 3) for k, v in sorted(self.upstream_seconds.items())}).encode()
        elif path == "/__upstream":
            body = json.dumps({"opened": self.connections, "idle": len(self.idle)}).encode()
        elif path == "/__log":
            body = json.dumps(list(self.log)).encode()
        elif path == "/__reset" and method == b"POST":
            self.log.clear()
            self.counts.clear()
            self.detail.clear()
            self.upstream_seconds.clear()
            self.refused.clear()
            self.replayed.clear()
            self.unmatched_ops.clear()
            self.unmatched_keys.clear()
            self.cursor.clear()
            body = b"{}"
        elif path == "/__refuse" and method == b"PUT":
            try:
                rules = json.loads(body or b"[]")
                if not isinstance(rules, list) or not all(isinstance(r, dict) for r in rules):
                    raise ValueError("a JSON list of objects")
            except ValueError as e:
                return b"HTTP/1.1 400 Bad Request", [], json.dumps({"error": str(e)}).encode()
            self.refusals = rules
            self.refused.clear()
            return b"HTTP/1.1 204 No Content", [], b""
        elif path == "/__mode" and method == b"PUT":
            try:
                want = json.loads(body or b"{}")
                if want.get("mode") not in ("live", "record", "replay"):
                    raise ValueError("mode must be live, record or replay")
                rtt = want.get("rtt_ms")
                if rtt is not None and (not isinstance(rtt, (int, float)) or rtt < 0):
                    raise ValueError("rtt_ms must be a number >= 0")
            except (ValueError, AttributeError) as e:
                return b"HTTP/1.1 400 Bad Request", [], json.dumps({"error": str(e)}).encode()
            if want["mode"] == "record":
                self.recording.clear()
                self.owners.clear()
                self.first_of_op.clear()
            self.tokens.clear()
            self.mode = want["mode"]
            if rtt is not None:
                self.half = rtt / 2000.0
            self.cursor.clear()
            self.replayed.clear()
            self.unmatched_ops.clear()
            self.unmatched_keys.clear()
            return b"HTTP/1.1 204 No Content", [], b""
        elif path == "/__replay":
            exact = [v for k, v in self.recording.items() if not k.startswith("shape ")]
            body = json.dumps({"keys": len(exact), "answers": sum(map(len, exact)),
                               **{k: self.replayed[k] for k in ("matched", "shape", "repeated", "unmatched")},
                               "unmatched_ops": dict(sorted(self.unmatched_ops.items())),
                               "unmatched_keys": self.unmatched_keys, "tokens": len(self.tokens)}).encode()
        elif path == "/__refused":
            body = json.dumps(dict(sorted(self.refused.items()))).encode()
        else:
            return b"HTTP/1.1 404 Not Found", [], b"{}"
        return b"HTTP/1.1 200 OK", [(b"Content-Type", b"application/json")], body


async def serve(listen_port: int, upstream_port: int, rtt_ms: float, upstream_max: int = 0):
    proxy = Proxy(upstream_port, rtt_ms, upstream_max)
    server = await asyncio.start_server(
        proxy.client, "127.0.0.1", listen_port, backlog=1024, limit=1 << 20
    )
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    listen, upstream, rtt = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    upstream_max = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    try:
        asyncio.run(serve(listen, upstream, rtt, upstream_max))
    except KeyboardInterrupt:
        pass

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

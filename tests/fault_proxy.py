"""A fault-injecting HTTP proxy in front of moto (moto has no error injection).

Usage: python fault_proxy.py PORT UPSTREAM_URL  (listens on 127.0.0.1:PORT)

Every request is forwarded to the upstream unchanged (a new upstream connection
per request), unless a fault rule decides otherwise. Rules are set at runtime
with `PUT /__faults` (a JSON list) so one proxy serves a whole test:

    {"service": "sts", "action": "AssumeRole", "contains": "role/RunAsGuardExecution",
     "status": 403, "code": "AccessDenied", "protocol": "query"}
    {"name": "lost-put", "service": "dynamodb", "action": "PutItem", "effect": "lose", "times": 1}
    {"name": "gate", "service": "sqs", "action": "SendMessage", "effect": "hold"}

Rule fields (all optional; unknown fields are rejected with 400):
  match   `service`, `region`  SigV4 credential scope of the Authorization header
          `account`  the account whose role session signed the request: the proxy
                     learns each access key from the STS `AssumeRole` answers it
                     forwards (the key in the answer, the account in the `RoleArn`
                     asked for); a request signed with any other key never matches
          `action`   X-Amz-Target suffix (JSON protocols) or `Action=` form field (query),
                     or a list of them (any one matches: a write the product makes as a
                     batch or, where it writes a ledger mark with it, as a transaction)
          `contains` substring of the url-decoded request body
          `message_bytes_over`  N: only an SNS `Publish` whose size as SNS counts it
                     exceeds N bytes: the `Message` plus every message attribute's
                     name, data type and value, as UTF-8 (bytes, not characters;
                     Amazon SNS API Reference, `Publish` and `MessageAttributeValue`)
          An absent match field matches anything.
  effect  "error" (default) answer with the AWS-shaped error, do not forward
          "lose"   forward (upstream does the work), discard its answer, answer
                   with the error: "AWS did it but the answer was lost"
          "hold"   block until `POST /__release` of this rule (or `hold_timeout`
                   seconds, default 60, or the next `PUT /__faults`), then forward
          "count"  forward; only count
          "rewrite" forward, then change the upstream's JSON answer as AWS would
                   answer it (moto sends a field AWS retired, say): every object
                   at any depth loses the keys in `drop`, and each `edit`
                   {"where": {k: v, ...}, "set": {k: v, ...}, "drop": [k, ...]}
                   changes the objects that carry every `where` pair. An answer
                   that is not JSON is forwarded as it is. `changed` counts the
                   answers the rule actually changed
  error   `status` (default 400 for "error", 500 for "lose"),
          `code` (default "InternalServerError"), `message`,
          `reasons` (JSON protocol only) a list of DynamoDB `CancellationReason`
          objects ({"Code": ..., "Message": ...}) sent as `CancellationReasons`,
          as DynamoDB answers a cancelled `TransactWriteItems`
          (`TransactionCanceledException`; DynamoDB API Reference,
          TransactWriteItems, Errors),
          `protocol` "json" (default: {"__type", "message"}) or "query" (XML ErrorResponse)
  name    identifies the rule for /__release, /__hits and /__wait (unique)
  skip    the first `skip` matching requests are forwarded untouched (default 0)
  times   the rule then acts on at most `times` requests (default unlimited)
  record  true: keep the url-decoded bodies of the requests the rule acted on
          (the first 200), listed as "bodies" in /__hits
  record_response  true: keep the upstream's answers to the requests the rule
          forwarded ("count", "hold", "rewrite": as the upstream sent them; the
          first 200), listed as "responses"
  drop, edit  the "rewrite" effect's changes (only with it, and it needs one)

SNS answering a message over its limit as AWS does (moto never refuses one):

    {"name": "too-long", "service": "sns", "action": "Publish", "message_bytes_over": 262144,
     "status": 400, "code": "InvalidParameter", "message": "Invalid parameter: Message too long",
     "protocol": "query"}

The first rule in list order that matches and still has budget (skip or times
left) decides; an exhausted rule is passed over so a later rule can match. A
rule in its skip phase claims the request (forwards it untouched). Counters per
rule: `seen` = matching requests it claimed (skipped ones included), `hits` =
requests it acted on, `held` = requests it is blocking right now, `changed` =
answers a "rewrite" rule changed (listed for those rules only).

Control endpoints (answers are JSON; every answer has a Content-Length, HTTP/1.1):
  PUT  /__faults        replace all rules, reset counters, let every request held
                        by the old rules go on; 204 (400 + message if invalid)
  GET  /__faults        the current rule list
  POST /__release       body {"name": N}: let every request held by rule N go on.
                        A rule without `times` is then done (later matching requests
                        pass it by); with `times`, later requests within budget are
                        held again. 200 {"released": k}; 404 for an unknown name
  GET  /__hits          {"<name>": {"seen": n, "hits": m, "held": k, "changed": c}, ...}
                        (named rules)
  GET  /__wait?name=N&seen=X[&hits=Y][&held=Z][&changed=C][&timeout=S]
                        long-poll until every given counter of rule N is >= its
                        value: 200 + /__hits JSON; 408 + /__hits JSON after S
                        seconds (default 30); 404 if no rule is named N
  PUT  /__chain         body {"rtt_ms": n} (default 0): forget the requests seen so
                        far and from now on answer no request sooner than n ms
                        after it arrived (it is forwarded at once; the upstream's
                        own time counts within the n ms); 204 (400 if n is not a
                        non-negative number)
  GET  /__chain         {"round_trips": n, "chain": ["service:Action", ...], "requests": k}:
                        the sequential round trips among the requests seen since the
                        last PUT /__chain or PUT /__faults (answered ones; at most the
                        last 100,000), as bench/latency_proxy.py's log gives them to
                        bench/scale.py: the longest chain of requests each of which
                        arrived after the previous one was answered, and one such chain

Sequential round trips are a count, not a timing: the order of arrivals and
answers only. Two requests a client sends together can still reach the
proxy one after the other's answer when the upstream answers in a few
milliseconds and the machine is busy, and moto answers one request at a
time, so the last of a burst is answered long after the first; `rtt_ms`
(a round trip as AWS at a distance has one) answers every request of a
burst at the same moment after it arrived, as the bench's replay does, as
long as the upstream's work for the burst fits in it: the count is then
the client's own ordering, not moto's speed or the machine's load.
"""

import heapq
import http.client
import json
import re
import sys
import threading
import time
import urllib.parse
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape

LOCK = threading.Lock()
LOG = deque(maxlen=100_000)  # (arrived, answered, "service:Action") of answered requests, under LOCK
DELAY = [0.0]  # no answer sooner than this many seconds after its request arrived (PUT /__chain), under LOCK
CHANGED = threading.Condition(LOCK)  # notified on every counter/rule change
RULES = []  # list of Rule, guarded by LOCK
SCOPE = re.compile(r"Credential=([^/]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")
KEYS = {}  # access key id -> account of the role session it belongs to, under LOCK

EFFECTS = ("error", "lose", "hold", "count", "rewrite")
FIELDS = {"service", "region", "account", "action", "contains", "effect", "name", "skip", "times",
          "hold_timeout", "status", "code", "message", "protocol", "record", "record_response",
          "drop", "edit", "message_bytes_over", "reasons"}
EDIT_FIELDS = {"where", "set", "drop"}
MAX_RECORDS = 200
HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "proxy-authenticate",
              "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade"}


class Rule:
    """A rule as sent by the test plus its counters; all mutable state under LOCK."""

    def __init__(self, spec):
        if not isinstance(spec, dict):
            raise ValueError(f"rule must be an object: {spec!r}")
        unknown = set(spec) - FIELDS
        if unknown:
            raise ValueError(f"unknown rule field(s) {sorted(unknown)} in {spec!r}")
        self.spec = spec
        self.effect = spec.get("effect", "error")
        if self.effect not in EFFECTS:
            raise ValueError(f"effect must be one of {EFFECTS}: {spec!r}")
        self.name = spec.get("name")
        if self.name is not None and not isinstance(self.name, str):
            raise ValueError(f"name must be a string: {spec!r}")
        action = spec.get("action")
        if action is not None and not (isinstance(action, str) or (
                isinstance(action, list) and action and all(isinstance(a, str) and a for a in action))):
            raise ValueError(f"action must be a string or a non-empty list of them: {spec!r}")
        self.skip = spec.get("skip", 0)
        self.times = spec.get("times")
        for key, value in (("skip", self.skip), ("times", self.times)):
            if value is not None and (type(value) is not int or value < 0):
                raise ValueError(f"{key} must be a non-negative integer: {spec!r}")
        over = spec.get("message_bytes_over")
        if over is not None and (type(over) is not int or over < 0):
            raise ValueError(f"message_bytes_over must be a non-negative integer: {spec!r}")
        self.hold_timeout = spec.get("hold_timeout", 60)
        if type(self.hold_timeout) not in (int, float) or self.hold_timeout < 0:
            raise ValueError(f"hold_timeout must be a non-negative number: {spec!r}")
        if spec.get("protocol") not in (None, "json", "query"):
            raise ValueError(f"protocol must be \"json\" or \"query\": {spec!r}")
        reasons = spec.get("reasons")
        if reasons is not None:
            if spec.get("protocol") == "query":
                raise ValueError(f"reasons are a JSON protocol's (DynamoDB): {spec!r}")
            if not isinstance(reasons, list) or not all(
                    isinstance(r, dict) and isinstance(r.get("Code"), str) for r in reasons):
                raise ValueError(f"reasons must be a list of objects with a string Code: {spec!r}")
        self.record = spec.get("record", False)
        if type(self.record) is not bool:
            raise ValueError(f"record must be true or false: {spec!r}")
        self.bodies = []        # url-decoded bodies of the requests acted on, if `record`
        self.record_response = spec.get("record_response", False)
        if type(self.record_response) is not bool:
            raise ValueError(f"record_response must be true or false: {spec!r}")
        self.responses = []     # upstream answers to forwarded requests, if `record_response`
        self.drop, self.edits = check_rewrite(spec, self.effect)
        self.seen = self.hits = self.held = self.changed = 0
        self.release_gen = 0    # bumped by every /__release: wakes current holders
        self.released = False   # a rule without `times` is done once released
        self.dropped = False    # replaced by PUT /__faults: wakes current holders

    def matches(self, service, region, action, body, size, account=None):
        s = self.spec
        over = s.get("message_bytes_over")
        return (s.get("service") in (None, service)
                and s.get("region") in (None, region)
                and s.get("account") in (None, account)
                and (s.get("action") in (None, action)
                     or (isinstance(s.get("action"), list) and action in s["action"]))
                and (s.get("contains") is None or s["contains"] in body)
                and (over is None or (size is not None and size > over)))

    def exhausted(self):
        if self.seen < self.skip:
            return False
        if self.effect == "hold" and self.released and self.times is None:
            return True
        return self.times is not None and self.hits >= self.times

    def counters(self):
        out = {"seen": self.seen, "hits": self.hits, "held": self.held}
        if self.effect == "rewrite":
            out["changed"] = self.changed
        if self.record:
            out["bodies"] = list(self.bodies)
        if self.record_response:
            out["responses"] = list(self.responses)
        return out

    def error(self):
        """(status, content type, body) of the injected AWS error."""
        s = self.spec
        status = s.get("status", 500 if self.effect == "lose" else 400)
        code, message = s.get("code", "InternalServerError"), s.get("message", "injected by fault_proxy")
        if s.get("protocol") == "query":
            kind = "Receiver" if status >= 500 else "Sender"
            return (status, "text/xml",
                    f"<ErrorResponse><Error><Type>{kind}</Type><Code>{escape(code)}</Code>"
                    f"<Message>{escape(message)}</Message></Error>"
                    f"<RequestId>fault</RequestId></ErrorResponse>".encode())
        answer = {"__type": code, "message": message}
        if s.get("reasons") is not None:
            answer["CancellationReasons"] = s["reasons"]
        return (status, "application/x-amz-json-1.1",
                json.dumps(answer).encode())


def check_rewrite(spec, effect):
    """(drop, edits) of a "rewrite" rule, checked; ([], []) for other effects."""
    has = "drop" in spec or "edit" in spec
    if effect != "rewrite":
        if has:
            raise ValueError(f"drop and edit are only for effect \"rewrite\": {spec!r}")
        return [], []
    if not has:
        raise ValueError(f"effect \"rewrite\" needs drop or edit: {spec!r}")
    drop, edits = spec.get("drop", []), spec.get("edit", [])

    def keys(value):
        return isinstance(value, list) and all(isinstance(k, str) and k for k in value)
    if not keys(drop):
        raise ValueError(f"drop must be a list of key names: {spec!r}")
    if not isinstance(edits, list):
        raise ValueError(f"edit must be a list of objects: {spec!r}")
    for e in edits:
        if not isinstance(e, dict) or set(e) - EDIT_FIELDS:
            raise ValueError(f"each edit is an object of {sorted(EDIT_FIELDS)}: {e!r}")
        if not isinstance(e.get("where"), dict) or not e["where"]:
            raise ValueError(f"each edit needs a non-empty where object: {e!r}")
        if not isinstance(e.get("set", {}), dict) or not keys(e.get("drop", [])):
            raise ValueError(f"an edit's set is an object and its drop a list of key names: {e!r}")
    return drop, edits


def rewritten(rule, data):
    """The answer after the rule's changes, and whether anything changed."""
    try:
        doc = json.loads(data)
    except ValueError:
        return data, False
    changed = [False]

    def walk(node):
        if isinstance(node, list):
            for item in node:
                walk(item)
            return
        if not isinstance(node, dict):
            return
        for key in rule.drop:
            if key in node:
                del node[key]
                changed[0] = True
        for e in rule.edits:
            if all(k in node and node[k] == v for k, v in e["where"].items()):
                for key in e.get("drop", []):
                    if key in node:
                        del node[key]
                        changed[0] = True
                for key, value in e.get("set", {}).items():
                    if node.get(key, object()) != value:
                        node[key] = value
                        changed[0] = True
        for value in list(node.values()):
            walk(value)
    walk(doc)
    if not changed[0]:
        return data, False
    return json.dumps(doc).encode(), True


def sns_publish_bytes(raw):
    """What SNS counts of a query-protocol Publish form: the Message and every
    MessageAttributes entry's Name, Value.DataType and Value.StringValue (or
    BinaryValue, as sent), in UTF-8 bytes."""
    form = urllib.parse.parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True)
    size = sum(len(v.encode()) for v in form.get("Message", []))
    for key, values in form.items():
        if re.fullmatch(r"MessageAttributes\.entry\.\d+\.(Name|Value\.DataType|Value\.StringValue|Value\.BinaryValue)", key):
            size += sum(len(v.encode()) for v in values)
    return size


def claim(service, region, action, body, size=None, account=None):
    """The deciding rule and what to do: (rule, "pass"|effect), or (None, "pass").
    `size`: an SNS Publish's size as SNS counts it (None for anything else);
    `account`: the role session's account that signed it (None if not known)."""
    with LOCK:
        for rule in RULES:
            if not rule.matches(service, region, action, body, size, account) or rule.exhausted():
                continue
            rule.seen += 1
            if rule.seen > rule.skip:
                rule.hits += 1
                if rule.record and len(rule.bodies) < MAX_RECORDS:
                    rule.bodies.append(body)
                CHANGED.notify_all()
                return rule, rule.effect
            CHANGED.notify_all()
            return rule, "pass"
    return None, "pass"


def learn_key(answer, account):
    """Remember whose role session an `AssumeRole` answer's access key is."""
    key = re.search(rb"<AccessKeyId>([^<]+)</AccessKeyId>", answer)
    if key:
        with LOCK:
            KEYS[key.group(1).decode()] = account


def hold(rule):
    """Block until the rule is released or replaced, or its hold_timeout passes."""
    deadline = time.monotonic() + rule.hold_timeout
    with LOCK:
        gen = rule.release_gen
        rule.held += 1
        CHANGED.notify_all()
        try:
            while rule.release_gen == gen and not rule.dropped:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                CHANGED.wait(left)
        finally:
            rule.held -= 1
            CHANGED.notify_all()


def critical_chain(log):
    """The operations of one longest chain of requests in `log` ((arrived,
    answered, op) each), each arrived after the previous one was answered
    (bench/scale.py's Measured.critical_chain)."""
    done, best, longest = [], (0, None), (0, None)  # heap of (answered, n, depth, node); node = (op, prev)
    for n, (arrived, answered, op) in enumerate(sorted(log)):
        while done and done[0][0] <= arrived:
            _, _, depth, node = heapq.heappop(done)
            if depth > best[0]:
                best = (depth, node)
        mine = (best[0] + 1, (op, best[1]))
        heapq.heappush(done, (answered, n, *mine))
        if mine[0] > longest[0]:
            longest = mine
    chain, node = [], longest[1]
    while node:
        chain.append(node[0])
        node = node[1]
    return chain[::-1]


def chain_json():
    with LOCK:
        log = list(LOG)
    chain = critical_chain(log)
    return {"round_trips": len(chain), "chain": chain, "requests": len(log)}


def hits_json():
    return {r.name: r.counters() for r in RULES if r.name is not None}


def named(name):
    return next((r for r in RULES if r.name == name), None)


class Proxy(BaseHTTPRequestHandler):
    upstream = None
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _reply(self, status, data=b"", ctype="application/json", headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        if data:
            self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _json(self, status, obj):
        self._reply(status, json.dumps(obj).encode())

    def _read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            parts = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _upstream(self, raw):
        """Send the request upstream: (status, headers, body)."""
        conn = http.client.HTTPConnection(self.upstream.hostname, self.upstream.port, timeout=60)
        try:
            headers = {k: v for k, v in self.headers.items()
                       if k.lower() not in HOP_BY_HOP | {"host", "expect", "content-length"}}
            headers["Host"] = self.upstream.netloc
            headers["Content-Length"] = str(len(raw))
            conn.request(self.command, self.path, body=raw, headers=headers)
            resp = conn.getresponse()
            return resp.status, resp.getheaders(), resp.read()
        finally:
            conn.close()

    def _forward(self, raw, rule=None):
        try:
            status, headers, data = self._upstream(raw)
        except Exception as e:  # upstream down/slow: say so instead of dropping the connection
            self._json(502, {"__type": "BadGateway", "message": f"fault_proxy upstream: {e!r}"})
            return
        if self._session_of is not None and status == 200:
            learn_key(data, self._session_of.group(1))
        if rule is not None and rule.record_response:
            with LOCK:
                if len(rule.responses) < MAX_RECORDS:
                    rule.responses.append(data.decode("utf-8", "replace"))
        dropped = set()
        if rule is not None and rule.effect == "rewrite":
            data, changed = rewritten(rule, data)
            if changed:
                dropped = {"x-amz-crc32"}  # the checksum of the answer as it was
                with LOCK:
                    rule.changed += 1
                    CHANGED.notify_all()
        self.send_response(status)
        for k, v in headers:
            if k.lower() not in HOP_BY_HOP | {"content-length", "server", "date"} | dropped:
                self.send_header(k, v)
        if self.command == "HEAD":  # no body, but keep the upstream's length
            length = next((v for k, v in headers if k.lower() == "content-length"), "0")
            self.send_header("Content-Length", length)
            self.end_headers()
            return
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _control(self, path, raw):
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        if path == "/__faults" and self.command == "GET":
            with LOCK:
                return self._json(200, [r.spec for r in RULES])
        if path == "/__faults":
            try:
                specs = json.loads(raw or b"[]")
                if not isinstance(specs, list):
                    raise ValueError("PUT /__faults wants a JSON list of rules")
                rules = [Rule(s) for s in specs]
                names = [r.name for r in rules if r.name is not None]
                if len(names) != len(set(names)):
                    raise ValueError(f"duplicate rule names: {names}")
            except ValueError as e:
                return self._json(400, {"error": str(e)})
            with LOCK:
                for old in RULES:
                    old.dropped = True
                RULES[:] = rules
                LOG.clear()
                CHANGED.notify_all()
            return self._reply(204)
        if path == "/__release":
            try:
                name = (json.loads(raw) if raw else {}).get("name") or query.get("name", [None])[0]
            except (ValueError, AttributeError):
                return self._json(400, {"error": "POST /__release wants {\"name\": ...}"})
            with LOCK:
                rule = named(name)
                if rule is None:
                    return self._json(404, {"error": f"no rule named {name!r}"})
                released = rule.held
                rule.release_gen += 1
                if rule.times is None:
                    rule.released = True
                CHANGED.notify_all()
            return self._json(200, {"released": released})
        if path == "/__chain" and self.command == "GET":
            return self._json(200, chain_json())
        if path == "/__chain":
            try:
                rtt = (json.loads(raw) if raw else {}).get("rtt_ms", 0)
                if type(rtt) not in (int, float) or rtt < 0:
                    raise ValueError
            except (ValueError, AttributeError):
                return self._json(400, {"error": "PUT /__chain wants {\"rtt_ms\": a non-negative number}"})
            with LOCK:
                LOG.clear()
                DELAY[0] = rtt / 1000
            return self._reply(204)
        if path == "/__hits":
            with LOCK:
                return self._json(200, hits_json())
        if path == "/__wait":
            name = query.get("name", [None])[0]
            try:
                want = {k: int(query[k][0]) for k in ("seen", "hits", "held", "changed") if k in query}
                deadline = time.monotonic() + float(query.get("timeout", ["30"])[0])
            except ValueError:
                return self._json(400, {"error": "seen/hits/held/changed must be integers, timeout a number"})
            if not want:
                return self._json(400, {"error": "GET /__wait wants name and seen=, hits=, held= or changed="})
            with LOCK:
                while True:
                    rule = named(name)
                    if rule is None:
                        return self._json(404, {"error": f"no rule named {name!r}"})
                    got = rule.counters()
                    if all(got.get(k, 0) >= n for k, n in want.items()):
                        return self._json(200, hits_json())
                    left = deadline - time.monotonic()
                    if left <= 0:
                        return self._json(408, hits_json())
                    CHANGED.wait(left)
        return self._json(404, {"error": f"unknown control endpoint {path}"})

    def send_response(self, *args, **kwargs):
        if self._op is not None and not self._responded:
            with LOCK:
                wait = self._op[0] + DELAY[0] - time.monotonic()
            if wait > 0:
                time.sleep(wait)  # no answer before rtt_ms after the request arrived
        self._responded = True
        super().send_response(*args, **kwargs)

    def _handle(self):
        self._responded = False
        self._op = None
        self._session_of = None
        try:
            raw = self._read_body()
            path = urllib.parse.urlsplit(self.path).path
            if path.startswith("/__"):
                return self._control(path, raw)
            arrived = time.monotonic()
            body = urllib.parse.unquote_plus(raw.decode("utf-8", "replace"))
            scope = SCOPE.search(self.headers.get("Authorization", ""))
            key, region, service = scope.groups() if scope else (None, None, None)
            with LOCK:
                account = KEYS.get(key)
            target = self.headers.get("X-Amz-Target", "")
            action = (target.split(".")[-1] if target
                      else (re.search(r"(?:^|&)Action=([^&]+)", body) or [None, None])[1])
            size = sns_publish_bytes(raw) if (service, action) == ("sns", "Publish") else None
            self._op = (arrived, f"{service}:{action}")
            rule, effect = claim(service, region, action, body, size, account)
            self._session_of = (re.search(r"RoleArn=arn:aws[-a-z]*:iam::(\d{12}):", body)
                                if (service, action) == ("sts", "AssumeRole") else None)
            if effect == "error":
                status, ctype, data = rule.error()
                return self._reply(status, data, ctype)
            if effect == "lose":
                try:
                    self._upstream(raw)  # the work is done, the answer is lost
                except Exception:
                    pass
                status, ctype, data = rule.error()
                return self._reply(status, data, ctype)
            if effect == "hold":
                hold(rule)
            self._forward(raw, rule if effect in ("count", "hold", "rewrite") else None)
        except Exception as e:
            self.close_connection = True  # the stream may be out of step now
            if not self._responded and not isinstance(e, ConnectionError):
                try:
                    self._json(502, {"__type": "FaultProxyError", "message": repr(e)})
                except Exception:
                    pass
        finally:
            if self._op is not None and self._responded:
                with LOCK:
                    LOG.append((self._op[0], time.monotonic(), self._op[1]))

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = _handle


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the SDK opens many connections at once

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], ConnectionError):  # clients hanging up is normal
            super().handle_error(request, client_address)


def main():
    port, upstream = int(sys.argv[1]), urllib.parse.urlparse(sys.argv[2])
    Proxy.upstream = upstream
    Server(("127.0.0.1", port), Proxy).serve_forever()


if __name__ == "__main__":
    main()

"""A fault-injecting HTTP proxy in front of moto (moto has no error injection).

Every request is forwarded to the upstream unchanged, except those matching a
fault rule, which get an AWS-shaped error response instead. Rules are set at
runtime with `PUT /__faults` (a JSON list) so one proxy serves a whole test:

    {"service": "sts", "action": "AssumeRole", "contains": "role/RunAsGuardExecution",
     "status": 403, "code": "AccessDenied", "protocol": "query"}
    {"service": "ssm", "action": "CreateDocument", "region": "eu-west-1",
     "status": 400, "code": "AccessDeniedException", "protocol": "json"}

`service` and `region` come from the SigV4 credential scope, `action` from
`X-Amz-Target` (JSON protocols) or the `Action=` form field (query protocols),
`contains` is a substring of the request body. Usage:
    python fault_proxy.py PORT UPSTREAM_URL
"""

import http.client
import json
import re
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FAULTS = []
LOCK = threading.Lock()
SCOPE = re.compile(r"Credential=[^/]+/\d{8}/([^/]+)/([^/]+)/aws4_request")


def matches(rule, service, region, action, body):
    return (rule.get("service") in (None, service)
            and rule.get("region") in (None, region)
            and rule.get("action") in (None, action)
            and (rule.get("contains") is None or rule["contains"] in body))


def error_body(rule):
    code, message = rule["code"], rule.get("message", "injected by fault_proxy")
    if rule.get("protocol") == "query":
        return ("text/xml", f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code>"
                            f"<Message>{message}</Message></Error><RequestId>fault</RequestId></ErrorResponse>")
    return ("application/x-amz-json-1.1", json.dumps({"__type": code, "message": message}))


class Proxy(BaseHTTPRequestHandler):
    upstream = None

    def log_message(self, *args):
        pass

    def _forward(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if self.path == "/__faults":
            with LOCK:
                FAULTS[:] = json.loads(raw or b"[]")
            self.send_response(204)
            self.end_headers()
            return
        body = urllib.parse.unquote_plus(raw.decode("utf-8", "replace"))
        scope = SCOPE.search(self.headers.get("Authorization", ""))
        region, service = (scope.group(1), scope.group(2)) if scope else (None, None)
        target = self.headers.get("X-Amz-Target", "")
        action = target.split(".")[-1] if target else (re.search(r"(?:^|&)Action=([^&]+)", body) or [None, None])[1]
        with LOCK:
            rule = next((r for r in FAULTS if matches(r, service, region, action, body)), None)
        if rule:
            ctype, text = error_body(rule)
            data = text.encode()
            self.send_response(rule.get("status", 400))
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        conn = http.client.HTTPConnection(self.upstream.hostname, self.upstream.port, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
        headers["Host"] = self.upstream.netloc
        conn.request(self.command, self.path, body=raw, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        self.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() not in ("transfer-encoding", "connection", "content-length", "server", "date"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        conn.close()

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _forward


def main():
    port, upstream = int(sys.argv[1]), urllib.parse.urlparse(sys.argv[2])
    Proxy.upstream = upstream
    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer(("127.0.0.1", port), Proxy).serve_forever()


if __name__ == "__main__":
    main()

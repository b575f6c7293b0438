#!/usr/bin/env python3
"""A small EC2 instance-metadata service (IMDSv2 only) for tss-host's tests.

Serves on 127.0.0.1 on an ephemeral port and prints "listening on PORT" once
the socket listens. Behaves as IMDSv2 does for what tss-host uses:

  PUT /latest/api/token  with X-aws-ec2-metadata-token-ttl-seconds: 1..21600
      -> a session token (400 without a valid TTL header)
  GET /latest/meta-data/iam/security-credentials/        -> the role name
  GET /latest/meta-data/iam/security-credentials/<role>  -> the JSON document
      both need X-aws-ec2-metadata-token: <a token it issued> (401 otherwise)

Every credentials document carries a new AccessKeyId (ASIAFAKEIMDS + an
8-digit counter), so a test can tell a refresh from a cached answer.

Test controls (not IMDS):
  POST /_test/config {"mode": M, "expires_in": S}
      M: "ok" (default), "deny_token" (the token PUT answers 403),
         "bad_json" (the document is not JSON), "expired" (Expiration in
         the past); S: seconds from now to Expiration (default 21600)
  GET /_test/stats -> {"token_puts", "credential_gets", "unauthorized"}
"""
import datetime
import http.server
import json
import secrets
import sys
import threading

ROLE = "nitro-parent-role"
ROLES_PATH = "/latest/meta-data/iam/security-credentials/"


class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.mode = "ok"
        self.expires_in = 21600
        self.tokens = set()
        self.counter = 0
        self.stats = {"token_puts": 0, "credential_gets": 0, "unauthorized": 0}


STATE = State()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # keep stderr quiet
        pass

    def _send(self, status, body, content_type="text/plain"):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def do_PUT(self):
        self._body()
        if self.path != "/latest/api/token":
            return self._send(404, "not found")
        ttl = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds", "")
        if not ttl.isdigit() or not 1 <= int(ttl) <= 21600:
            return self._send(400, "bad ttl")
        with STATE.lock:
            STATE.stats["token_puts"] += 1
            if STATE.mode == "deny_token":
                return self._send(403, "forbidden")
            token = "AQAE" + secrets.token_urlsafe(24)
            STATE.tokens.add(token)
        return self._send(200, token)

    def do_POST(self):
        body = self._body()
        if self.path != "/_test/config":
            return self._send(404, "not found")
        config = json.loads(body)
        with STATE.lock:
            STATE.mode = config.get("mode", "ok")
            STATE.expires_in = int(config.get("expires_in", 21600))
        return self._send(200, "{}", "application/json")

    def do_GET(self):
        if self.path == "/_test/stats":
            with STATE.lock:
                return self._send(200, json.dumps(STATE.stats),
                                  "application/json")
        if not self.path.startswith(ROLES_PATH):
            return self._send(404, "not found")
        with STATE.lock:
            token = self.headers.get("X-aws-ec2-metadata-token", "")
            if token not in STATE.tokens:
                STATE.stats["unauthorized"] += 1
                return self._send(401, "unauthorized")
            role = self.path[len(ROLES_PATH):]
            if role == "":
                return self._send(200, ROLE)
            if role != ROLE:
                return self._send(404, "not found")
            STATE.stats["credential_gets"] += 1
            STATE.counter += 1
            mode, counter = STATE.mode, STATE.counter
            expires_in = STATE.expires_in
        if mode == "bad_json":
            return self._send(200, '{"Code": "Success", "AccessKeyId": ')
        now = datetime.datetime.now(datetime.timezone.utc)
        if mode == "expired":
            expiration = now - datetime.timedelta(seconds=60)
        else:
            expiration = now + datetime.timedelta(seconds=expires_in)
        doc = {
            "Code": "Success",
            "LastUpdated": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Type": "AWS-HMAC",
            "AccessKeyId": "ASIAFAKEIMDS%08d" % counter,
            "SecretAccessKey": "fake/imds/secret/%08d" % counter,
            "Token": "FakeImdsSessionToken%08d==" % counter,
            "Expiration": expiration.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        return self._send(200, json.dumps(doc), "application/json")


def main():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print("listening on %d" % server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())

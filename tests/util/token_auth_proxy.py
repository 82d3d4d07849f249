#!/usr/bin/env python3
"""A registry front that demands Bearer tokens, with its own token endpoint (standard library only).

  GET /token?service=..&scope=..   issues a fresh token (checks basic credentials when --user is set);
                                   answers {"token": ...} or, with --access-token, {"access_token": ...}
  anything else                    needs "Authorization: Bearer <issued token>", else 401 with
                                   WWW-Authenticate: Bearer realm="http://127.0.0.1:PORT/token",service=...,scope=...
                                   authorised requests are forwarded to --upstream (a real docker-registry)

Every token request is logged to stdout as "token scope=<scope> auth=<yes|no>".
"""
import argparse
import base64
import http.client
import http.server
import secrets
import sys
import threading
import urllib.parse


def make_handler(args):
    issued = set()
    lock = threading.Lock()
    port_holder = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *a):
            pass

        def reply(self, code, body=b"", headers=()):
            self.send_response(code)
            for k, v in headers:
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def token(self):
            query = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
            auth = self.headers.get("Authorization", "")
            print(f"token scope={query.get('scope', [''])[0]} auth={'yes' if auth else 'no'}", flush=True)
            if args.user:
                want = "Basic " + base64.b64encode(f"{args.user}:{args.password}".encode()).decode()
                if auth != want:
                    return self.reply(401, b'{"details":"bad credentials"}')
            tok = secrets.token_hex(16)
            with lock:
                issued.add(tok)
            field = "access_token" if args.access_token else "token"
            self.reply(200, f'{{"{field}": "{tok}", "expires_in": 300}}'.encode(),
                       [("Content-Type", "application/json")])

        def forward(self):
            auth = self.headers.get("Authorization", "")
            with lock:
                ok = auth.startswith("Bearer ") and auth[7:] in issued
            if not ok:
                # /v2/<repo>/manifests/<ref> or /v2/<repo>/blobs/<digest>
                parts = self.path.split("?")[0].split("/")
                repo = "/".join(parts[2:-2]) if len(parts) > 4 and parts[1] == "v2" else ""
                realm = f"http://127.0.0.1:{self.server.server_address[1]}/token"
                challenge = f'Bearer realm="{realm}",service="berth-test"'
                if repo:
                    challenge += f',scope="repository:{repo}:pull"'
                return self.reply(401, b'{"errors":[{"code":"UNAUTHORIZED"}]}',
                                  [("WWW-Authenticate", challenge), ("Content-Type", "application/json")])
            host, port = args.upstream.rsplit(":", 1)
            conn = http.client.HTTPConnection(host, int(port), timeout=30)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("authorization", "host")}
            conn.request(self.command, self.path, headers=headers)
            resp = conn.getresponse()
            body = resp.read() if self.command != "HEAD" else b""
            self.send_response(resp.status)
            for k, v in resp.getheaders():
                if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                    self.send_header(k, v)
            length = resp.getheader("Content-Length") if self.command == "HEAD" else str(len(body))
            if length is not None:
                self.send_header("Content-Length", length)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
            conn.close()

        def do_GET(self):
            if self.path.startswith("/token"):
                return self.token()
            self.forward()

        def do_HEAD(self):
            self.forward()

    return Handler


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--upstream", required=True)
    p.add_argument("--user", default="")
    p.add_argument("--password", default="")
    p.add_argument("--access-token", action="store_true")
    args = p.parse_args()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(args))
    print(f"listening on 127.0.0.1:{args.port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""A fault-injecting HTTP/TCP proxy for registry client tests (standard library only).

Listens on 127.0.0.1:PORT and forwards each connection to UPSTREAM (host:port). The first request head of each
connection is read and matched against --match (a regex on the request line); the first --times matching
connections get the fault, the rest are forwarded untouched:

  --fault status   answer --status (e.g. 503, 429) with an empty body and close
  --fault cut      forward, but close the client connection after --after response bytes
  --fault reset    like cut, but with a TCP reset (SO_LINGER 0)
  --fault stall    forward --after response bytes, then send nothing more (the client must time out)
  --fault redirect answer 307 to the same path on UPSTREAM (another host:port than the proxy)
  --fault ignore-range  strip the Range header so the upstream answers 200 with the whole body

Later requests on a kept-alive connection are forwarded without inspection.
"""
import argparse
import re
import socket
import struct
import sys
import threading
import time


def read_head(sock):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None, b""
        data += chunk
        if len(data) > 1 << 20:
            return None, b""
    end = data.index(b"\r\n\r\n") + 4
    return data[:end], data[end:]


def pipe(src, dst, limit=None, on_limit=None):
    """Copies src to dst; after `limit` bytes calls on_limit() and stops."""
    sent = 0
    try:
        while True:
            want = 65536 if limit is None else min(65536, limit - sent)
            if want <= 0:
                on_limit()
                return
            chunk = src.recv(want)
            if not chunk:
                break
            dst.sendall(chunk)
            sent += len(chunk)
    except OSError:
        pass
    finally:
        for s in (dst,):
            try:
                s.shutdown(socket.SHUT_WR)
            except OSError:
                pass


class Proxy:
    def __init__(self, args):
        self.args = args
        self.match = re.compile(args.match)
        self.remaining = args.times
        self.lock = threading.Lock()
        host, port = args.upstream.rsplit(":", 1)
        self.upstream = (host, int(port))

    def take_fault(self, request_line):
        if not self.match.search(request_line):
            return False
        with self.lock:
            if self.remaining == 0:
                return False
            self.remaining -= 1
            print(f"fault {self.args.fault} on {request_line}", flush=True)
            return True

    def handle(self, client):
        upstream = None
        try:
            head, rest = read_head(client)
            if head is None:
                return
            request_line = head.split(b"\r\n", 1)[0].decode("latin-1")
            fault = self.args.fault if self.take_fault(request_line) else None
            if fault == "status":
                body = b'{"errors":[{"code":"UNAVAILABLE","message":"injected"}]}'
                client.sendall(b"HTTP/1.1 %d Injected\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
                               b"Connection: close\r\n\r\n%s" % (self.args.status, len(body), body))
                return
            if fault == "redirect":
                path = request_line.split(" ")[1]
                location = f"http://{self.args.upstream}{path}"
                client.sendall(f"HTTP/1.1 307 Temporary Redirect\r\nLocation: {location}\r\n"
                               f"Content-Length: 0\r\n\r\n".encode())
                # Keep serving this connection: further requests are forwarded.
                head, rest = read_head(client)
                if head is None:
                    return
            if fault == "ignore-range":
                head = re.sub(rb"(?im)^range:[^\r\n]*\r\n", b"", head)
            upstream = socket.create_connection(self.upstream, timeout=30)
            upstream.settimeout(None)
            upstream.sendall(head + rest)
            up = threading.Thread(target=pipe, args=(client, upstream), daemon=True)
            up.start()
            if fault in ("cut", "reset", "stall"):
                def stop():
                    if fault == "stall":
                        time.sleep(self.args.stall_seconds)
                    # close() does not end a recv blocked in the other thread (nor send FIN while it runs):
                    # shut the read side first so that thread lets go of the socket.
                    client.shutdown(socket.SHUT_RD)
                    up.join(timeout=10)
                    if fault == "reset":
                        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    else:
                        client.shutdown(socket.SHUT_WR)
                    client.close()
                pipe(upstream, client, self.args.after, stop)
            else:
                pipe(upstream, client)
            up.join(timeout=60)
        except OSError:
            pass
        finally:
            for s in (client, upstream):
                if s is not None:
                    try:
                        s.close()
                    except OSError:
                        pass

    def serve(self):
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.args.port))
        listener.listen(64)
        print(f"listening on 127.0.0.1:{listener.getsockname()[1]}", flush=True)
        while True:
            client, _ = listener.accept()
            threading.Thread(target=self.handle, args=(client,), daemon=True).start()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--upstream", required=True)
    p.add_argument("--fault", choices=["none", "status", "cut", "reset", "stall", "redirect", "ignore-range"],
                   default="none")
    p.add_argument("--match", default=".")
    p.add_argument("--times", type=int, default=1)
    p.add_argument("--status", type=int, default=503)
    p.add_argument("--after", type=int, default=0, help="response bytes before cut/reset/stall")
    p.add_argument("--stall-seconds", type=float, default=30)
    Proxy(p.parse_args()).serve()


if __name__ == "__main__":
    sys.exit(main())

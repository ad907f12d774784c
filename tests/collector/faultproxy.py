#!/usr/bin/env python3
"""An HTTP proxy in front of the test Collector that answers with an error (503 with
Retry-After, 429, ...) a given number of times and otherwise forwards, so that the e2e
tests can check that gomemtrace's exporter honours Retry-After and loses nothing.

  faultproxy.py --target http://127.0.0.1:4318 [--listen PORT] [--status 503]
                [--count N] [--retry-after S] [--log FILE]

  --listen       port on 127.0.0.1 (default 0: any free one); the port is printed as the
                 first line of standard output once the proxy accepts connections
  --count        the next N OTLP requests get --status (default 0: forward everything)
  --retry-after  Retry-After header value, in seconds, on the injected answers (default:
                 none); --retry-after-date sends it as an HTTP-date instead
  --log          one JSON line per request: t (epoch s), method, path, bytes,
                 content_type, content_encoding, status (what the client got),
                 injected (true for a fault), upstream (the Collector's status)

Faults can be changed while it runs (the tests do not restart it):
  curl -X POST 'http://127.0.0.1:PORT/_fault?status=503&count=3&retry_after=2'
  curl 'http://127.0.0.1:PORT/_fault'     -> {"status":503,"remaining":3,...,"requests":N}
An injected answer carries a google.rpc.Status body (JSON or protobuf as the request),
code 14 (UNAVAILABLE) or 8 (RESOURCE_EXHAUSTED), as a Collector would.  Upstream down: 502.
"""
import argparse
import email.utils
import http.client
import http.server
import json
import sys
import threading
import time
import urllib.parse

HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
       "trailer", "transfer-encoding", "upgrade", "host", "content-length"}


class State:
    def __init__(self, status, count, retry_after, retry_date):
        self.lock = threading.Lock()
        self.status = status
        self.remaining = count
        self.retry_after = retry_after
        self.retry_date = retry_date
        self.requests = 0
        self.injected = 0

    def take(self):
        """Counts a request; returns (status, retry_after) to inject, or None to forward."""
        with self.lock:
            self.requests += 1
            if self.remaining > 0:
                self.remaining -= 1
                self.injected += 1
                return self.status, self.retry_after, self.retry_date
            return None

    def json(self):
        with self.lock:
            return json.dumps({"status": self.status, "remaining": self.remaining,
                       "retry_after": self.retry_after, "retry_date": self.retry_date,
                       "requests": self.requests, "injected": self.injected})


def rpc_status(code, msg, proto):
    if not proto:
        return json.dumps({"code": code, "message": msg}).encode()
    m = msg.encode()
    return bytes([0x08, code, 0x12, len(m)]) + m  # google.rpc.Status: code 1, message 2


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as libcurl expects

    def log_message(self, fmt, *args):
        pass

    def body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            data = b""
            while True:
                n = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if n == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return data
                data += self.rfile.read(n)
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))

    def reply(self, status, headers, body):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def control(self):
        st = self.server.state
        if self.command == "POST":
            q = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
            with st.lock:
                if "status" in q:
                    st.status = int(q["status"][0])
                if "count" in q:
                    st.remaining = int(q["count"][0])
                if "retry_after" in q:
                    v = q["retry_after"][0]
                    st.retry_after = int(v) if v != "" else None
                if "retry_date" in q:
                    st.retry_date = q["retry_date"][0] in ("1", "true")
        self.reply(200, [("Content-Type", "application/json")], st.json().encode())

    def do_GET(self):
        if self.path.startswith("/_fault"):
            return self.control()
        return self.forward(b"")

    def do_POST(self):
        data = self.body()
        if self.path.startswith("/_fault"):
            return self.control()
        return self.forward(data)

    def forward(self, data):
        srv = self.server
        ctype = self.headers.get("Content-Type", "")
        entry = {"t": time.time(), "method": self.command, "path": self.path, "bytes": len(data),
             "content_type": ctype, "content_encoding": self.headers.get("Content-Encoding", ""),
             "injected": False, "upstream": None}
        fault = srv.state.take()
        if fault:
            status, retry_after, retry_date = fault
            proto = ctype.startswith("application/x-protobuf")
            headers = [("Content-Type", "application/x-protobuf" if proto else "application/json")]
            if retry_after is not None:
                ra = (email.utils.formatdate(time.time() + retry_after, usegmt=True)
                      if retry_date else str(retry_after))
                headers.append(("Retry-After", ra))
            code = 8 if status == 429 else 14
            entry.update(injected=True, status=status)
            srv.log(entry)
            return self.reply(status, headers, rpc_status(code, f"faultproxy: injected {status}", proto))
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
        try:
            conn = http.client.HTTPConnection(srv.target.hostname, srv.target.port, timeout=30)
            conn.request(self.command, self.path, body=data if self.command == "POST" else None,
                     headers=headers)
            r = conn.getresponse()
            rbody = r.read()
            rheaders = [(k, v) for k, v in r.getheaders() if k.lower() not in HOP]
            status = r.status
            conn.close()
        except OSError as e:
            status, rheaders, rbody = 502, [("Content-Type", "text/plain")], f"faultproxy: {e}".encode()
        entry.update(status=status, upstream=None if status == 502 else status)
        srv.log(entry)
        self.reply(status, rheaders, rbody)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, addr, state, target, logfile):
        super().__init__(addr, Handler)
        self.state = state
        self.target = target
        self.logf = open(logfile, "a", buffering=1) if logfile else None
        self.loglock = threading.Lock()

    def log(self, entry):
        if self.logf:
            with self.loglock:
                self.logf.write(json.dumps(entry) + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--target", required=True)
    ap.add_argument("--listen", type=int, default=0)
    ap.add_argument("--status", type=int, default=503)
    ap.add_argument("--count", type=int, default=0)
    ap.add_argument("--retry-after", type=int)
    ap.add_argument("--retry-after-date", action="store_true")
    ap.add_argument("--log")
    a = ap.parse_args()
    target = urllib.parse.urlparse(a.target)
    if target.scheme != "http" or not target.hostname or not target.port:
        print("faultproxy: --target must be http://HOST:PORT", file=sys.stderr)
        return 2
    st = State(a.status, a.count, a.retry_after, a.retry_after_date)
    srv = Server(("127.0.0.1", a.listen), st, target, a.log)
    print(srv.server_address[1], flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())

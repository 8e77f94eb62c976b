"""A webhook receiver for Fairtill's tests: a real HTTP server on a loopback port that checks
each delivery's signature with the Standard Webhooks project's own Python library
(`standardwebhooks` from PyPI), independently of the server's Rust code.

Usage: python webhook_receiver.py PORT DIR

DIR holds what the test controls and reads, so a restarted receiver keeps its history:
- `secrets`: one signing secret per line; each delivery is checked against every one.
- `plan.json`: a list of [status, delay seconds] answers for the next deliveries, in order
  (taken one per delivery); when empty, 200 at once.
- `received.jsonl`: one line per delivery as it arrived, written before it is answered.
"""

import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook

PORT = int(sys.argv[1])
DIR = sys.argv[2]
LOCK = threading.Lock()


def path(name):
    return os.path.join(DIR, name)


def secrets():
    try:
        with open(path("secrets"), encoding="utf-8") as f:
            return [line.strip() for line in f if line.strip()]
    except FileNotFoundError:
        return []


def next_answer():
    """The planned answer for this delivery (call holding LOCK)."""
    try:
        with open(path("plan.json"), encoding="utf-8") as f:
            plan = json.load(f)
    except (FileNotFoundError, ValueError):
        plan = []
    if not plan:
        return 200, 0.0
    first, rest = plan[0], plan[1:]
    with open(path("plan.json.tmp"), "w", encoding="utf-8") as f:
        json.dump(rest, f)
    os.replace(path("plan.json.tmp"), path("plan.json"))
    return int(first[0]), float(first[1])


def verified(body, headers):
    out = []
    for secret in secrets():
        try:
            Webhook(secret).verify(body, headers)
            out.append(True)
        except Exception:  # noqa: BLE001 - any failure is "does not verify"
            out.append(False)
    return out


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        length = int(self.headers.get("content-length", "0"))
        body = self.rfile.read(length)
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None
        checks = verified(body, headers)
        # The answer is chosen and the arrival logged together, so the log's order is the
        # plan's.
        with LOCK:
            status, delay = next_answer()
            entry = {
                "path": self.path,
                "id": headers.get("webhook-id"),
                "timestamp": headers.get("webhook-timestamp"),
                "signature": headers.get("webhook-signature"),
                "verified": checks,
                "body": parsed,
                "at": time.time(),
                "answered": status,
            }
            with open(path("received.jsonl"), "a", encoding="utf-8") as f:
                f.write(json.dumps(entry) + "\n")
        if delay:
            time.sleep(delay)
        try:
            self.send_response(status)
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"ok")
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, *args):
        pass


ThreadingHTTPServer.daemon_threads = True
ThreadingHTTPServer.allow_reuse_address = True
ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()

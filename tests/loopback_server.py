"""A loopback OpenAI-compatible chat server on 127.0.0.1 with a fixed latency per request and unlimited
parallelism (a thread per request): deterministic answers that are a function of the request, so two runs
that send the same requests get the same answers in any order. It counts the requests in flight, so tests
and benchmarks see how busy a stage keeps a server.

Answers: JSON fitting the request's `response_format` schema (integers, enums, strings derived from a hash
of the request), else a sentence naming that hash.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.stub_server import Served, chat_body


def digest(*parts) -> int:
    return int(hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:12], 16)


def fill(schema: dict, seed: int, key: str = ""):
    """A value for a simple JSON schema (object, enum, bounded integer, string), derived from `seed`."""
    pick = digest(seed, key)
    if "enum" in schema:
        return schema["enum"][pick % len(schema["enum"])]
    kind = schema.get("type")
    if kind == "object":
        return {k: fill(v, seed, k) for k, v in schema.get("properties", {}).items()}
    if kind == "integer":
        lo, hi = schema.get("minimum", 0), schema.get("maximum", 100)
        return lo + pick % (hi - lo + 1)
    return f"reply {pick % 10007}"[:schema.get("maxLength", 64)]


class LoopbackServer(Served):
    def __init__(self, latency: float = 0.2):
        self.latency = latency
        self.requests = 0
        self.in_flight = self.max_in_flight = 0
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            disable_nagle_algorithm = True           # no 40 ms delayed-ACK stalls between headers and body
            protocol_version = "HTTP/1.1"            # keep-alive: a client reuses its connections

            def log_message(self, *args):
                pass

            def _send_json(self, data: bytes) -> None:
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):                    # /stats: what it has served so far
                data = json.dumps({"requests": server.requests, "max_in_flight": server.max_in_flight}).encode()
                self._send_json(data)

            def do_POST(self):
                payload = json.loads(self.rfile.read(int(self.headers.get("content-length") or 0)) or b"{}")
                with server._lock:
                    server.requests += 1
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                try:
                    time.sleep(server.latency)
                    data = json.dumps(server.answer(payload)).encode()
                finally:
                    with server._lock:
                        server.in_flight -= 1
                self._send_json(data)

        class Server(ThreadingHTTPServer):
            request_queue_size = 1024            # bursts of concurrent connections are accepted at once
            daemon_threads = True

        self.serve(Server(("127.0.0.1", 0), Handler), poll_interval=0.01)

    def answer(self, payload: dict) -> dict:
        seed = digest(payload.get("messages"), payload.get("temperature"), payload.get("top_p"),
                      payload.get("seed"), payload.get("max_tokens"))
        schema = (payload.get("response_format") or {}).get("json_schema", {}).get("schema")
        text = json.dumps(fill(schema, seed)) if schema else f"They weigh point {seed % 100003} before answering."
        return chat_body(text, prompt_tokens=10 + seed % 7, completion_tokens=5 + seed % 5)


class LoopbackProcess:
    """The server in a process of its own (so its threads do not compete with the client for the GIL);
    `stats()` reads its counters."""

    def __init__(self, latency: float = 0.2):
        self.latency = latency

    def __enter__(self):
        import subprocess
        import sys
        from pathlib import Path
        root = Path(__file__).resolve().parents[1]
        self.proc = subprocess.Popen([sys.executable, "-m", "tests.loopback_server", str(self.latency)], cwd=root,
                                     stdout=subprocess.PIPE, text=True)
        self.url = self.proc.stdout.readline().strip()
        return self

    def stats(self) -> dict:
        import urllib.request
        with urllib.request.urlopen(self.url.removesuffix("/v1") + "/stats") as resp:
            return json.loads(resp.read())

    def __exit__(self, *exc):
        self.proc.terminate()
        self.proc.wait()


if __name__ == "__main__":
    import sys
    with LoopbackServer(latency=float(sys.argv[1])) as running:
        print(running.url, flush=True)
        running.thread.join()

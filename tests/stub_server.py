"""A tiny scripted OpenAI-compatible HTTP server on 127.0.0.1, for fault cases (429, 500, timeouts,
malformed JSON) and for checking exactly what our client sends."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    status: int = 200
    body: Any = None                 # dict → JSON; str → raw text
    delay: float = 0.0
    headers: dict = field(default_factory=dict)


class Served:
    """Serves an HTTP server on 127.0.0.1 from a daemon thread inside a `with` block; `url` is its /v1 base."""

    def serve(self, httpd: ThreadingHTTPServer, *, poll_interval: float) -> None:
        self.httpd = httpd
        self.url = f"http://127.0.0.1:{httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": poll_interval},
                                       daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


class StubServer(Served):
    """`echo_headers`: every error reply's body is replaced by the request's headers (sorted by name), as some
    servers and proxies echo them (the Authorization header included)."""

    def __init__(self, *, echo_headers: bool = False):
        self.echo_headers = echo_headers
        self.script: dict[str, deque] = {}
        self.default: dict[str, Callable[[dict], Reply]] = {}
        self.requests: list[tuple[str, dict, dict]] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("content-length") or 0)
                payload = json.loads(self.rfile.read(length) or b"{}")
                path = self.path.removeprefix("/v1")
                stub.requests.append((path, dict(self.headers), payload))
                queue = stub.script.get(path)
                reply = queue.popleft() if queue else stub.default[path](payload)
                if reply.delay:
                    time.sleep(reply.delay)
                if stub.echo_headers and reply.status >= 400:
                    sent = "".join(f"{k}: {v}\n" for k, v in sorted(self.headers.items()))
                    reply = Reply(reply.status, f"invalid request; it had these headers:\n{sent}")
                raw = reply.body if isinstance(reply.body, str) else json.dumps(reply.body)
                data = raw.encode()
                try:
                    self.send_response(reply.status)
                    for k, v in reply.headers.items():
                        self.send_header(k, v)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.serve(ThreadingHTTPServer(("127.0.0.1", 0), Handler), poll_interval=0.02)

    def queue(self, path: str, *replies: Reply) -> None:
        self.script.setdefault(path, deque()).extend(replies)


def chat_body(text: str, prompt_tokens: int = 5, completion_tokens: int = 3) -> dict:
    return {"choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens}}


def echo_body(tokens: list[str], logprobs: list[float | None]) -> dict:
    offsets, pos = [], 0
    for t in tokens:
        offsets.append(pos)
        pos += len(t)
    return {"choices": [{"index": 0, "text": "".join(tokens), "logprobs": {
        "tokens": tokens, "token_logprobs": logprobs, "text_offset": offsets,
        "top_logprobs": [None] * len(tokens)}, "finish_reason": "length"}]}


class ChatServer(StubServer):
    """/chat/completions answered by the prompt (every message's text joined): HTTP `status` while
    `fails(prompt)` holds, else `text(prompt)` — as JSON filling every required field when the request asks
    for a `response_format`. `prompts` lists every chat prompt received, failed ones included."""

    def __init__(self, fails: Callable[[str], bool] = lambda prompt: False, *, status: int = 503,
                 text: Callable[[str], str] = lambda prompt: "They weigh the cost against the benefit.",
                 echo_headers: bool = False):
        super().__init__(echo_headers=echo_headers)
        self.fails, self.status, self.text = fails, status, text
        self.prompts: list[str] = []
        self.default["/chat/completions"] = self._answer

    def _answer(self, payload: dict) -> Reply:
        prompt = "\n".join(m["content"] for m in payload["messages"])
        self.prompts.append(prompt)
        if self.fails(prompt):
            return Reply(self.status, {"error": {"message": "the model is overloaded"}})
        text = self.text(prompt)
        schema = (payload.get("response_format") or {}).get("json_schema", {}).get("schema")
        if schema:
            text = json.dumps({key: text for key in schema.get("required", [])})
        return Reply(200, chat_body(text))

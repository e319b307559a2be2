"""A deterministic, scripted backend shipped in the package: for unit tests and `--dry-run`.

Generations come from a scripted queue first, then from an optional `responder(request)`, else a
deterministic text derived from the request's hash (JSON fitting the request's `json_schema` when it has
one, so judges and user models get well-formed answers). Log-probabilities are a function of the request
hash (or of an optional `scorer(request)`); tokens are whitespace-separated words. Every request is
appended to `history`, so tests can assert what was (or was not) sent.

    >>> fb = FakeBackend(script=["first", "second"])
    >>> req = GenRequest(messages=(Message("user", "hi"),))
    >>> [g.text for g in fb.generate([req, req, req])][:2]
    ['first', 'second']
    >>> len(fb.history)
    3
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import TypeVar

from recon.backends.base import Backend, Fingerprint, Generation, GenRequest, Message, Score, ScoreRequest, filled  # noqa: F401
from recon.errors import BackendError
from recon.hashing import content_hash, hash_fraction

T = TypeVar("T")


def _fake_json(schema: dict, seed: str):
    """A value matching simple JSON schemas (objects, enums, bounded integers, strings), derived from `seed`."""
    pick = int(content_hash(seed, tag="fake-json", length=6), 16)
    kind = schema.get("type")
    if "enum" in schema:
        return schema["enum"][pick % len(schema["enum"])]
    if kind == "object":
        return {k: _fake_json(v, f"{seed}/{k}") for k, v in schema.get("properties", {}).items()}
    if kind == "integer":
        lo, hi = schema.get("minimum", 0), schema.get("maximum", 100)
        return lo + pick % (hi - lo + 1)
    if kind == "string":
        text = f"fake {kind} {seed[:8]}"
        return text[:schema.get("maxLength", len(text))]
    return None


def _words(text: str) -> int:
    return len(text.split())


class FakeBackend(Backend):
    def __init__(self, script: Iterable[str] = (), *, responder: Callable[[GenRequest], str] | None = None,
                 scorer: Callable[[ScoreRequest], float] | None = None,
                 fail: Callable[[object], bool] | None = None, name: str = "fake", delay: float | None = None,
                 window_pairs: int = 4, n_ctx: int | None = None):
        self.script = deque(script)
        self.responder = responder
        self.scorer = scorer
        self.fail = fail
        self.history: list[GenRequest | ScoreRequest] = []
        self.n_ctx = n_ctx                       # a window in words: a longer prompt is refused, as by a model
        self.fingerprint = Fingerprint(kind="fake", model=name, extra={"n_ctx": n_ctx} if n_ctx else {})
        self.window_pairs = window_pairs         # several pairs per call, so tests run the windowed path
        self._lock = threading.Lock()
        # seconds per request, so tests can interrupt a run mid-stage (RECON_FAKE_DELAY for subprocesses)
        self.delay = delay if delay is not None else float(os.environ.get("RECON_FAKE_DELAY") or 0)

    def _check(self, request: object) -> bool:
        """Whether the request succeeds (a scripted failure does not stop the rest of its batch)."""
        if self.delay:
            time.sleep(self.delay)
        return self.fail is None or not self.fail(request)

    @staticmethod
    def _finish(out: list[T | None]) -> list[T]:
        """A batch with scripted failures raises, with every result that exists in `partial` (as a server)."""
        if any(r is None for r in out):
            raise BackendError("fake backend: scripted failure", retryable=False, partial=out)
        return filled(out)

    def _text_for(self, req: GenRequest) -> str:
        if self.script:
            return self.script.popleft()
        if self.responder is not None:
            return self.responder(req)
        h = content_hash([req.prompt_hash(), req.effective_seed, req.temperature], tag="fake", length=8)
        if req.json_schema:                      # structured output: a deterministic value that fits the schema
            return json.dumps(_fake_json(json.loads(req.json_schema), h))
        return f"I think the point that matters here is {h}, so I answer accordingly."

    def _generate(self, requests: list[GenRequest], on_result=None) -> list[Generation]:
        out: list[Generation | None] = []
        with self._lock:
            for i, req in enumerate(requests):
                self.history.append(req)
                if not self._check(req):
                    out.append(None)
                    continue
                prompt_tokens = sum(_words(m.content) for m in req.messages)
                if self.n_ctx is not None and prompt_tokens + 1 >= self.n_ctx:
                    out.append(Generation.refused(prompt_tokens))
                else:
                    text = self._text_for(req)
                    words = text.split()
                    finish = "stop"
                    if len(words) > req.max_tokens:
                        text, finish = " ".join(words[:req.max_tokens]), "length"
                    out.append(Generation(text=text, prompt_tokens=prompt_tokens,
                                          completion_tokens=min(len(words), req.max_tokens), finish_reason=finish))
                if on_result is not None:
                    on_result(i, out[-1])
        return self._finish(out)

    def _logprob(self, requests: list[ScoreRequest], on_result=None) -> list[Score]:
        out: list[Score | None] = []
        with self._lock:
            for i, req in enumerate(requests):
                self.history.append(req)
                if not self._check(req):
                    out.append(None)
                    continue
                n = max(1, _words(req.continuation))
                if self.scorer is not None:
                    total = float(self.scorer(req))
                else:
                    total = -n * (1.0 + 4.0 * hash_fraction([m.content for m in req.messages]
                                                            + [req.continuation], tag="fake-logprob"))
                prompt = sum(_words(m.content) for m in req.messages)
                self.counters.requested += prompt + n
                self.counters.evaluated += prompt + n
                out.append(Score(logprob=total, n_tokens=n, prompt_tokens=prompt))
                if on_result is not None:
                    on_result(i, out[-1])
        return self._finish(out)

"""The backend `recon run --plan` hands to every stage: it takes each request the stage builds (with the real
prompt builders), answers it without any LM call, and lets the plan count and price it.

An answer is the result the run's cache already holds for that request (looked up with the real backend's
fingerprint), else a stand-in from the deterministic fake backend. Prompt tokens are the prompt's
characters / 4, an estimate (no model is loaded, so none can tokenize), except where counting costs nothing:
the fake backend counts words. Completion tokens are the request's `max_tokens`, an upper bound (a scored
continuation counts as the answer's tokens).

    >>> from recon.backends.fake import FakeBackend
    >>> from recon.store.db import Database
    >>> db = Database(Path(getfixture("tmp_path")) / "r.sqlite3")
    >>> real = FakeBackend()
    >>> plan = PlanBackend(real, db)
    >>> g = plan.generate([GenRequest(messages=(Message("user", "two words"),), max_tokens=64)])[0]
    >>> (g.prompt_tokens, g.completion_tokens, real.history)
    (2, 64, [])
    >>> PlanBackend(None, db).prompt_tokens((Message("user", "x" * 40),))
    10
"""

from __future__ import annotations

import json
import math
from pathlib import Path  # noqa: F401  (doctest)

from recon.backends.base import Backend, Fingerprint, Generation, GenRequest, Message, Score, ScoreRequest  # noqa: F401
from recon.backends.fake import FakeBackend
from recon.store.cache import cache_key
from recon.store.db import Database

CHARS_PER_TOKEN = 4
TOKENS_BY = "estimate: characters / 4"
FAKE_TOKENS = "the fake backend's count (words)"


def estimated_tokens(text: str) -> int:
    """The documented estimate of a text's tokens when no tokenizer is loaded: characters / 4, rounded up.

    >>> estimated_tokens("abcdefghi")
    3
    """
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def prompt_chars(messages: tuple[Message, ...]) -> str:
    return "".join(m.content for m in messages)


def stand_in_for(real: Backend | None) -> FakeBackend:
    """The fake backend that answers for `real`: a fake one's own answers (so a plan of a fake run follows it
    exactly), else the default fake's."""
    if isinstance(real, FakeBackend):
        return FakeBackend(responder=real.responder, scorer=real.scorer, name=real.fingerprint.model,
                           window_pairs=real.window_pairs, n_ctx=real.n_ctx, delay=0.0)
    return FakeBackend(delay=0.0)


class PlanBackend(Backend):
    """Answers like `real` would be cached, without calling it; `real` is built, never loaded."""

    def __init__(self, real: Backend | None, cache: Database, *, fingerprint: Fingerprint | None = None):
        self.fingerprint = fingerprint or (real.fingerprint if real is not None else Fingerprint(kind="plan",
                                                                                                  model="unknown"))
        self.window_pairs = real.window_pairs if real is not None else 1
        self.cache = cache
        self.stand_in = stand_in_for(real)
        self._fp = self.fingerprint.to_json()
        # the backend's own count where it costs nothing (the fake backend counts words), else the estimate
        self.counted_by = FAKE_TOKENS if isinstance(real, FakeBackend) else TOKENS_BY

    def prompt_tokens(self, messages: tuple[Message, ...]) -> int:
        if self.counted_by == FAKE_TOKENS:
            return sum(len(m.content.split()) for m in messages)
        return estimated_tokens(prompt_chars(messages))

    def _cached(self, op: str, request) -> dict | None:
        row = self.cache.execute("SELECT payload FROM cache WHERE key = ?",
                                 (cache_key(self._fp, op, request),)).fetchone()
        return None if row is None else json.loads(row[0])

    def _generate(self, requests: list[GenRequest], on_result) -> list[Generation]:
        out = []
        for request in requests:
            prompt = self.prompt_tokens(request.messages)
            found = self._cached("generate", request)
            answer = Generation(**found) if found else self.stand_in.generate([request])[0]
            out.append(Generation(text=answer.text, prompt_tokens=prompt, completion_tokens=request.max_tokens,
                                  finish_reason=answer.finish_reason))
            if on_result is not None:
                on_result(len(out) - 1, out[-1])
        return out

    def _logprob(self, requests: list[ScoreRequest], on_result) -> list[Score]:
        out = []
        for request in requests:
            found = self._cached("logprob", request)
            answer = Score(**found) if found else self.stand_in.logprob([request])[0]
            out.append(Score(logprob=answer.logprob, n_tokens=answer.n_tokens,
                             prompt_tokens=self.prompt_tokens(request.messages)))
            if on_result is not None:
                on_result(len(out) - 1, out[-1])
        return out

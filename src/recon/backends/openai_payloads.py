"""Pure request builders and response parsers for OpenAI-compatible servers (docs/design.md convention 3).

No network here: each function maps dicts to dicts or records, and is unit-tested by equality.

    >>> from recon.backends.base import GenRequest, Message
    >>> build_chat_payload("m", GenRequest(messages=(Message("user", "hi"),), max_tokens=5, seed=1))["max_tokens"]
    5
"""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any

from recon.backends.base import Generation, GenRequest, Score
from recon.errors import BackendError


def build_chat_payload(model: str, req: GenRequest) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "model": model,
        # a prefix is a trailing assistant message, which llama.cpp's server continues
        "messages": [dataclasses.asdict(m) for m in req.messages]
        + ([{"role": "assistant", "content": req.prefix}] if req.prefix else []),
        "temperature": req.temperature,
        "top_p": req.top_p,
        "max_tokens": req.max_tokens,
        "seed": req.effective_seed,
        "n": 1,
    }
    if req.stop:
        payload["stop"] = list(req.stop)
    if req.repetition_penalty is not None:
        # the multiplicative penalty of vLLM, SGLang and llama.cpp's server (the same number means the same
        # thing as in the llama.cpp and transformers backends); OpenAI's additive frequency_penalty does not
        payload["repetition_penalty"] = req.repetition_penalty
    if req.json_schema:
        payload["response_format"] = {"type": "json_schema",
                                      "json_schema": {"name": "response", "schema": json.loads(req.json_schema)}}
    return payload


def _get(body: Any, *path: Any, server: str) -> Any:
    node = body
    for key in path:
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            where = ".".join(str(p) for p in path)
            raise BackendError(f"{server}: malformed response, no {where}") from None
    return node


def _malformed(server: str, what: str, value: Any) -> BackendError:
    """A reply that parsed as JSON but does not fit: a failed call of that request (transient, never cached)."""
    return BackendError(f"{server}: malformed response, {what} is {type(value).__name__} {str(value)[:40]!r}")


def _count(value: Any, what: str, server: str) -> int:
    """A token count: a whole number >= 0 (absent or null: 0).

    >>> _count(4.0, "usage.prompt_tokens", "s"), _count(None, "usage.prompt_tokens", "s")
    (4, 0)
    """
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value) or value < 0:
        raise _malformed(server, what, value)
    return int(value)


def _logprob(value: Any, what: str, server: str) -> float | None:
    """A log-probability: a number that is not NaN, or null (a token without one)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        raise _malformed(server, what, value)
    return float(value)


def _mapping(body: Any, key: str, server: str) -> dict:
    """`body[key]` when it is an object; absent or null: empty."""
    value = body.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _malformed(server, key, value)
    return value


def parse_chat_response(body: Any, *, server: str) -> Generation:
    content = _get(body, "choices", 0, "message", "content", server=server)
    if not isinstance(content, str):
        raise BackendError(f"{server}: malformed response, message content is {type(content).__name__}")
    usage = _mapping(body, "usage", server)
    finish = body["choices"][0].get("finish_reason") or "stop"      # both are objects: the content was found
    if not isinstance(finish, str):
        raise _malformed(server, "choices.0.finish_reason", finish)
    return Generation(text=content, prompt_tokens=_count(usage.get("prompt_tokens"), "usage.prompt_tokens", server),
                      completion_tokens=_count(usage.get("completion_tokens"), "usage.completion_tokens", server),
                      finish_reason=finish)


def build_echo_payload(model: str, text: str) -> dict[str, Any]:
    """Score `text` by echoing it with per-token log-probabilities (one extra token is generated and ignored;
    some servers refuse max_tokens=0)."""
    return {"model": model, "prompt": text, "max_tokens": 1, "temperature": 0.0, "echo": True, "logprobs": 1}


def build_next_token_payload(model: str, text: str) -> dict[str, Any]:
    """Greedy next token after `text`, with its log-probability (used by the trust probe)."""
    return {"model": model, "prompt": text, "max_tokens": 1, "temperature": 0.0, "logprobs": 1}


def _legacy_logprobs(body: Any, server: str) -> tuple[list[str], list[float | None], list[int]]:
    """The completions endpoint's per-token lists, each value checked: tokens are strings, log-probabilities
    numbers (or null), offsets whole numbers."""
    choice = _get(body, "choices", 0, server=server)
    if not isinstance(choice, dict):
        raise _malformed(server, "choices.0", choice)
    lp = choice.get("logprobs")
    if not isinstance(lp, dict) or not all(isinstance(lp.get(k), list)
                                           for k in ("tokens", "token_logprobs", "text_offset")):
        raise BackendError(f"{server}: the completions endpoint returned no per-token log-probabilities; "
                           "likelihood scoring needs a server that supports echo + logprobs")
    tokens, logprobs, offsets = lp["tokens"], lp["token_logprobs"], lp["text_offset"]
    if not len(tokens) == len(logprobs) == len(offsets):
        raise BackendError(f"{server}: malformed logprobs, lists of different lengths")
    bad = next((t for t in tokens if not isinstance(t, str)), None)
    if bad is not None:
        raise _malformed(server, "a logprobs token", bad)
    return (tokens, [_logprob(v, "a token_logprobs value", server) for v in logprobs],
            [_count(v, "a text_offset value", server) for v in offsets])


def parse_echo_score(body: Any, *, text: str, context_chars: int, server: str) -> Score:
    """Sum the log-probabilities of the tokens that start at or after `context_chars` (and inside `text`).
    A token that straddles the boundary belongs to the continuation."""
    tokens, logprobs, offsets = _legacy_logprobs(body, server)
    if not tokens or offsets[0] != 0:
        raise BackendError(f"{server}: the echoed tokens do not start at the prompt's first character")
    first = None
    for i, off in enumerate(offsets):
        end = offsets[i + 1] if i + 1 < len(offsets) else off + len(tokens[i])
        if end > context_chars:
            first = i
            break
    if first is None or first == 0:
        raise BackendError(f"{server}: no continuation tokens after {context_chars} prompt characters")
    total, n = 0.0, 0
    for _token, lp, off in zip(tokens[first:], logprobs[first:], offsets[first:], strict=True):
        if off >= len(text):
            break               # the generated extra token
        if lp is None:
            raise BackendError(f"{server}: a continuation token has no log-probability")
        total += lp
        n += 1
    if n == 0:
        raise BackendError(f"{server}: no continuation tokens were scored")
    return Score(logprob=total, n_tokens=n, prompt_tokens=first)


def parse_next_token(body: Any, *, server: str) -> tuple[str, float]:
    tokens, logprobs, _ = _legacy_logprobs(body, server)
    if not tokens or logprobs[0] is None:
        raise BackendError(f"{server}: no log-probability for the generated token")
    return tokens[0], logprobs[0]


def echo_token_logprob(body: Any, *, at_char: int, server: str) -> float | None:
    """The echoed log-probability of the token that starts at `at_char` (None if no token starts there)."""
    tokens, logprobs, offsets = _legacy_logprobs(body, server)
    for lp, off in zip(logprobs, offsets, strict=True):
        if off == at_char:
            return lp
    return None

"""A user model's answer in two calls, each with its own token budget: the reasoning, stopped at
`reasoning_max_tokens`, then the action, continued after the reasoning closed (by the model or by force) with
`action_max_tokens`. Method `none` makes the action call alone, so every method has the same room for its action.

Both calls continue a prefix of the assistant turn (`GenRequest.prefix`). In tags (SFT) the reasoning call opens
`<reasoning>` and stops at `</reasoning>`; the action call continues `<reasoning>…</reasoning>\\n`. In JSON (ICL)
the reasoning call is constrained to `{"reasoning": …}`; the action call continues `{"reasoning": …, "reply": "`
and stops at the string's close.

    >>> from recon.backends.base import Generation
    >>> read_reasoning(Generation("She is wary", 1, 64, "length"), "tags")
    ('She is wary', True, False)
    >>> read_action(Generation('Counsel, \\\\"why\\\\"?', 1, 5), "json")
    ('Counsel, "why"?', False, True)
"""

from __future__ import annotations

import dataclasses
import json
import re

from recon.backends.base import Generation, GenRequest
from recon.config import UserModelConfig
from recon.hashing import canonical_json

OPEN_TAG, CLOSE_TAG = "<reasoning>", "</reasoning>"
JSON_REPLY_CLOSE = '"}'
LENGTH = "length"


def reasoning_schema(cfg: UserModelConfig) -> str:
    """The JSON schema of the reasoning call: `{"reasoning": …}` alone."""
    props = {"reasoning": {"type": "string", "maxLength": cfg.max_reasoning_chars}}
    return canonical_json({"type": "object", "properties": props, "required": ["reasoning"],
                           "additionalProperties": False})


def reasoning_request(base: GenRequest, answer_format: str, cfg: UserModelConfig) -> GenRequest:
    """The reasoning call: stops at the reasoning's close, or at `reasoning_max_tokens`."""
    if answer_format == "json":
        return dataclasses.replace(base, json_schema=reasoning_schema(cfg), stop=(), prefix=None,
                                   max_tokens=cfg.reasoning_max_tokens)
    return dataclasses.replace(base, json_schema=None, prefix=OPEN_TAG, stop=(CLOSE_TAG,),
                               max_tokens=cfg.reasoning_max_tokens)


def action_prefix(answer_format: str, reasoning: str | None) -> str:
    """What the action call continues: the closed reasoning (none for method `none` in tags).

    >>> action_prefix("json", "Wary.")
    '{"reasoning": "Wary.", "reply": "'
    >>> action_prefix("tags", None)
    ''
    """
    if answer_format == "json":
        head = f'"reasoning": {json.dumps(reasoning, ensure_ascii=False)}, ' if reasoning is not None else ""
        return '{' + head + '"reply": "'
    return f"{OPEN_TAG}{reasoning}{CLOSE_TAG}\n" if reasoning is not None else ""


def action_request(base: GenRequest, answer_format: str, reasoning: str | None, cfg: UserModelConfig) -> GenRequest:
    """The action call, with `action_max_tokens` whatever the reasoning used."""
    stop = (JSON_REPLY_CLOSE,) if answer_format == "json" else ()
    return dataclasses.replace(base, json_schema=None, prefix=action_prefix(answer_format, reasoning) or None,
                               stop=stop, max_tokens=cfg.action_max_tokens)


def _json_string(body: str) -> str:
    """The text of a JSON string's body (escapes decoded), as far as it goes when cut short."""
    for end in range(len(body), max(-1, len(body) - 6), -1):      # a cut escape sequence is dropped
        try:
            return json.loads(f'"{body[:end]}"')
        except ValueError:
            continue
    return body


_STRING_BODY = re.compile(r'((?:[^"\\]|\\.)*)"', re.S)
_REASONING_JSON = re.compile(r'"reasoning"\s*:\s*"', re.S)


def read_reasoning(gen: Generation, answer_format: str) -> tuple[str, bool, bool]:
    """(reasoning, truncated at its budget, well-formed) of the reasoning call."""
    text = gen.text
    if answer_format == "json":
        try:
            obj = json.loads(text.strip())
        except ValueError:
            obj = None
        if isinstance(obj, dict) and isinstance(obj.get("reasoning"), str):
            return obj["reasoning"].strip(), False, True
        found = _REASONING_JSON.search(text)
        body = text[found.end():] if found else text
        closed = _STRING_BODY.match(body)
        return _json_string(closed.group(1) if closed else body).strip(), gen.finish_reason == LENGTH, False
    cut = text.find(CLOSE_TAG)
    if cut >= 0:
        return text[:cut].strip(), False, True
    truncated = gen.finish_reason == LENGTH
    return text.strip(), truncated, not truncated


def read_action(gen: Generation, answer_format: str) -> tuple[str, bool, bool]:
    """(action, truncated at its budget, well-formed) of the action call."""
    truncated = gen.finish_reason == LENGTH
    if answer_format == "json":
        closed = _STRING_BODY.match(gen.text)
        if closed:
            return _json_string(closed.group(1)).strip(), False, True
        return _json_string(gen.text).strip(), truncated, not truncated
    return gen.text.strip(), truncated, True

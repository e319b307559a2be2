"""The listwise judge of the `judge` scorer and the E2E judge reward: one call grades all N texts of a pair
against the true action (1–10 for closeness in style, intent and values). Candidates are labelled A, B, C, …
in an order shuffled by a content hash (not by position), and the grades are mapped back. `judge_window`
grades a window of pairs, its bounded retries run as rounds over the window (`ListwiseJudgeConfig`).

    >>> order = label_order(["x", "y", "z"], salt="pair-1")
    >>> sorted(order) == [0, 1, 2]
    True
    >>> parse_grades('Sure! {"A": 7, "B": 2}', ["A", "B"])
    {'A': 7.0, 'B': 2.0}
    >>> parse_grades("A: 9\\nB = 4", ["A", "B"])
    {'A': 9.0, 'B': 4.0}
"""

from __future__ import annotations

import json
import re
import string
from dataclasses import dataclass

from recon.backends.base import Backend, GenRequest
from recon.config import ReconstructionConfig
from recon.errors import BackendError, JudgeParseError
from recon.hashing import canonical_json, content_hash
from recon.prompts import load_prompt
from recon.render import clip_text, render_context
from recon.types import Example

LABELS = string.ascii_uppercase


def label_order(items: list[str], *, salt: str) -> list[int]:
    """A permutation of range(len(items)) decided by the items' content (not their positions): label i shows
    items[order[i]], so the judge sees the same presentation whatever order the candidates came in."""
    return sorted(range(len(items)), key=lambda i: (content_hash([salt, items[i]], tag="judge-order"), i))


def judge_request(example: Example, reconstructions: list[str], cfg: ReconstructionConfig,
                  attempt: int = 0) -> tuple[GenRequest, list[int]]:
    """The judge's request and the shuffled order (label i grades reconstructions[order[i]]).
    Attempt 0 is greedy; retries sample at `cfg.judge.retry_temperature` (each attempt is cached on its own)."""
    if len(reconstructions) > len(LABELS):
        raise JudgeParseError(f"the listwise judge takes at most {len(LABELS)} candidates")
    order = label_order(reconstructions, salt=example.id)
    labels = LABELS[:len(reconstructions)]
    clip = cfg.judge.max_text_chars
    candidates = "\n".join(f'{labels[pos]}: "{clip_text(reconstructions[i], clip)}"' for pos, i in enumerate(order))
    # placeholders, not numbers: an example grade is an anchor a weak judge copies (and ties follow)
    example_json = "{" + ", ".join(f'"{label}": <grade 1-10>' for label in labels) + "}"
    messages = load_prompt("judge_listwise").render(
        context=render_context(example, max_turns=cfg.max_context_turns, max_turn_chars=cfg.max_turn_chars),
        individual=example.individual, action=clip_text(example.action, cfg.max_action_chars),
        candidates=candidates, example=example_json)
    req = GenRequest(messages=messages, temperature=0.0 if attempt == 0 else cfg.judge.retry_temperature,
                     max_tokens=cfg.judge.max_tokens, sample_index=attempt, json_schema=grades_schema(labels))
    return req, order


def grades_schema(labels: str) -> str:
    """The JSON schema of the judge's answer: one integer grade 1–10 per label, nothing else."""
    return canonical_json({"type": "object", "additionalProperties": False, "required": list(labels),
                           "properties": {k: {"type": "integer", "minimum": 1, "maximum": 10} for k in labels}})


_PAIR = re.compile(r'"?\b([A-Z])\b"?\s*[:=]\s*(\d+(?:\.\d+)?)')


def parse_grades(text: str, labels: list[str]) -> dict[str, float]:
    """Grades 1–10 for exactly `labels`, from a JSON object or `A: 7` lines; anything else is a JudgeParseError."""
    found: dict[str, float] = {}
    match = re.search(r"\{[^{}]*\}", text)
    if match:
        try:
            obj = json.loads(match.group(0))
            if isinstance(obj, dict):
                found = {str(k).strip(): v for k, v in obj.items()}
        except json.JSONDecodeError:
            found = {}
    if not found:
        found = {k: float(v) for k, v in _PAIR.findall(text)}
    grades = {}
    for label in labels:
        value = found.get(label)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise JudgeParseError(f"no numeric grade for {label} in {text[:120]!r}")
        if not 1 <= value <= 10:
            raise JudgeParseError(f"grade {value} for {label} is outside 1-10")
        grades[label] = float(value)
    return grades


def grades_in_input_order(grades: dict[str, float], order: list[int]) -> list[float]:
    """Map label grades back: result[i] is the grade of reconstructions[i]."""
    out = [0.0] * len(order)
    for pos, i in enumerate(order):
        out[i] = grades[LABELS[pos]]
    return out


@dataclass(frozen=True)
class ListwiseGrades:
    """One pair's judgement: grades 1–10 in input order, or why there are none (`error`: its call failed, a
    re-run retries it; otherwise the answers stayed unusable after every retry, an outcome)."""

    grades: list[float] | None
    attempts: int
    invalid: str | None = None
    error: BackendError | None = None


def judge_window(backend: Backend, items: list[tuple[Example, list[str]]], cfg: ReconstructionConfig
                 ) -> list[ListwiseGrades]:
    """Grade the texts of every pair of a window; retries are rounds over the pairs still unparsed.

    >>> from recon.backends.fake import FakeBackend
    >>> from recon.types import Turn
    >>> ex = Example(id="1", domain="d", individual="Ann", conversation_id="c", turn_index=1,
    ...              context=(Turn("Bob", "Why?"),), action="Because it matters.")
    >>> fake = FakeBackend(script=["no idea", '{"A": 9, "B": 2}'])
    >>> [(g.grades is not None, g.attempts) for g in judge_window(fake, [(ex, ["x", "y"])], ReconstructionConfig())]
    [(True, 2)]
    """
    from recon.method.windows import retry_rounds
    orders: dict[tuple[int, int], list[int]] = {}

    def request(i: int, attempt: int) -> GenRequest:
        req, orders[i, attempt] = judge_request(items[i][0], items[i][1], cfg, attempt)
        return req

    def parse(i: int, text: str) -> list[float]:
        order = orders[i, 0]
        return grades_in_input_order(parse_grades(text, list(LABELS[:len(order)])), order)

    out = []
    for a in retry_rounds(backend, len(items), request, parse, cfg.judge.retries):
        if a.error is not None:
            out.append(ListwiseGrades(None, a.attempts, f"judge call failed: {a.error}", a.error))
        elif a.value is None:
            out.append(ListwiseGrades(None, a.attempts,
                                      f"judge output unusable after {len(a.problems)} attempts: {a.problems[-1]}"))
        else:
            out.append(ListwiseGrades(a.value, a.attempts))
    return out

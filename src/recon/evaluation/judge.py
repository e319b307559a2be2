"""Pairwise judges: which of two predictions is closer to what the person really said.

A judgment is a probability `p_a` that prediction A is the closer one: 1, 0 or ½ (a tie). The LM judge
sees both presentation orders by default; a verdict that changes with the order is a tie (as in
Arena-Hard-Auto), and `detail["consistent"]` says whether it held. An unusable judgment is `invalid` (p_a
None): reported separately, never counted as a win.

- `embedding` (offline default): cosine of each prediction to the true action under MiniLM; the closer one
  wins, and |Δ| below `margin` is a tie. Identical predictions tie.
- `lm`: any backend sees the context, the true action and the two predictions, in an order swapped by a
  content hash (not by which method is A), and answers JSON {"winner": "A" | "B" | "tie"} (schema-
  constrained where the backend supports it); unparsable answers are retried as new samples a bounded
  number of times.

    >>> from recon.method.embeddings import HashEmbedder
    >>> from recon.types import Example, Turn
    >>> ex = Example(id="1", domain="d", individual="Ann", conversation_id="c", turn_index=1,
    ...              context=(Turn("Bob", "Why?"),), action="the library needs the money")
    >>> EmbeddingPairJudge(HashEmbedder(), PairJudgeConfig()).judge(ex, "the library needs money", "no").p_a
    1.0
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from recon.backends.base import Backend, GenRequest
from recon.config import PairJudgeConfig
from recon.errors import BackendError
from recon.hashing import canonical_json, hash_fraction
from recon.prompts import load_prompt
from recon.render import clip_text, render_context
from recon.types import Example


@dataclass(frozen=True)
class Judgment:
    p_a: float | None              # probability that A is closer; None = invalid
    detail: dict

    @property
    def verdict(self) -> str:
        return verdict_of(self.p_a)


def verdict_of(p_a: float | None) -> str:
    """a | b | tie | invalid, from the probability that A is closer."""
    if p_a is None:
        return "invalid"
    return "a" if p_a > 0.5 else "b" if p_a < 0.5 else "tie"


class EmbeddingPairJudge:
    name = "embedding"

    def __init__(self, embedder, cfg: PairJudgeConfig):
        self.embedder, self.cfg = embedder, cfg

    def judge(self, example: Example, a: str, b: str) -> Judgment:
        if a.strip() == b.strip():
            return Judgment(0.5, {"cos_a": None, "cos_b": None, "identical": True})
        cos_a, cos_b = (float(x) for x in self.embedder.cosine([a, b], [example.action, example.action]))
        delta = cos_a - cos_b
        p = 0.5 if abs(delta) < self.cfg.margin else (1.0 if delta > 0 else 0.0)
        return Judgment(p, {"cos_a": round(cos_a, 5), "cos_b": round(cos_b, 5)})


WINNER_SCHEMA = canonical_json({"type": "object", "additionalProperties": False, "required": ["winner"],
                                "properties": {"winner": {"type": "string", "enum": ["A", "B", "tie"]}}})


def parse_winner(text: str) -> str | None:
    """'A', 'B' or 'tie' from a JSON answer (or a bare answer); None when it cannot be read.

    >>> parse_winner('{"winner": "B"}'), parse_winner("Winner: a tie"), parse_winner("I cannot answer a question")
    ('B', 'tie', None)
    """
    match = re.search(r"\{[^{}]*\}", text)
    if match:
        try:
            value = json.loads(match.group(0)).get("winner")
        except (json.JSONDecodeError, AttributeError):
            value = None
        if isinstance(value, str) and value.strip().lower() in ("a", "b", "tie"):
            v = value.strip().lower()
            return "tie" if v == "tie" else v.upper()
    # a bare answer: "Winner: B" — capital A/B only (so the article in "a tie" is not read as A), any-case tie
    bare = re.search(r"(?i:\b(?:winner|answer)\b)[^\w]*(?:(?i:an?\s+))?(A\b|B\b|(?i:tie)\b)", text)
    if bare:
        v = bare.group(1)
        return "tie" if v.lower() == "tie" else v
    return None


def presented_first(pair_id: str, a: str, b: str) -> str:
    """Which of two texts is shown as "A": decided by their content (and the pair), not by their roles, so
    swapping the methods being compared shows the judge exactly the same prompt.

    >>> presented_first("p", "x", "y") == presented_first("p", "y", "x")
    True
    """
    low, high = sorted([a, b])
    return low if hash_fraction([pair_id, low, high], tag="pair-swap") < 0.5 else high


class LMPairJudge:
    name = "lm"

    def __init__(self, backend: Backend, cfg: PairJudgeConfig):
        self.backend, self.cfg = backend, cfg

    def _request(self, example: Example, first: str, second: str, attempt: int) -> GenRequest:
        c = self.cfg
        messages = load_prompt("judge_pairwise").render(
            context=render_context(example, max_turns=c.max_context_turns, max_turn_chars=c.max_turn_chars),
            individual=example.individual, action=clip_text(example.action, c.max_text_chars),
            first=clip_text(first, c.max_text_chars), second=clip_text(second, c.max_text_chars))
        return GenRequest(messages=messages, temperature=0.0 if attempt == 0 else 0.7, max_tokens=c.max_tokens,
                          sample_index=attempt, json_schema=WINNER_SCHEMA)

    def _decide(self, example: Example, first: str, second: str) -> tuple[float | None, dict]:
        """p(first is closer), from one presentation order, with bounded retries on unparsable answers."""
        answers = []
        for attempt in range(self.cfg.retries + 1):
            try:
                [gen] = self.backend.generate([self._request(example, first, second, attempt)])
            except BackendError as exc:
                return None, {"error": f"judge call failed: {exc}", "answers": answers}
            answers.append(gen.text[:200])
            winner = parse_winner(gen.text)
            if winner is not None:
                return {"A": 1.0, "B": 0.0, "tie": 0.5}[winner], {"answers": answers}
        return None, {"error": f"unparsable after {len(answers)} attempts", "answers": answers}

    def judge(self, example: Example, a: str, b: str) -> Judgment:
        if a.strip() == b.strip():
            return Judgment(0.5, {"identical": True})
        swapped = presented_first(example.id, a, b) != a
        orders = [swapped, not swapped] if self.cfg.both_orders else [swapped]
        ps, details = [], []
        for swap in orders:
            first, second = (b, a) if swap else (a, b)
            p_first, detail = self._decide(example, first, second)
            details.append({"swapped": swap, **detail})
            if p_first is None:
                return Judgment(None, {"orders": details})
            ps.append(1.0 - p_first if swap else p_first)
        if len(ps) == 1:
            return Judgment(ps[0], {"orders": details})
        consistent = ps[0] == ps[1]          # a verdict that changes with the order is a tie (Arena-Hard-Auto)
        return Judgment(ps[0] if consistent else 0.5, {"orders": details, "consistent": consistent})

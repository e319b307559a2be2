"""Pairwise judges: which of two predictions is closer to what the person really said.

A judgment is a probability `p_a` that prediction A is the closer one: 1, 0 or ½ (a tie). The LM judge
sees both presentation orders by default; a verdict that changes with the order is a tie (as in
Arena-Hard-Auto), and `detail["consistent"]` says whether it held. An unusable judgment is `invalid` (p_a
None): reported separately, never counted as a win.

- `embedding` (offline default): cosine of each prediction to the true action under MiniLM; the closer one
  wins, and |Δ| below `margin` is a tie. Identical predictions tie.
- `lm`: any backend sees the context, the true action and the two predictions, in an order swapped by a
  content hash (not by which method is A), and answers JSON {"winner": "A" | "B" | "tie"} (schema-
  constrained where the backend supports it); unparsable answers are retried as new samples (at
  `retry_temperature`) a bounded number of times. `judge_window` judges a window of pairs: each presentation
  order is one call for the whole window, retries are rounds over it (method/windows.py).

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

from recon.backends.base import Backend, GenRequest, filled
from recon.config import PairJudgeConfig
from recon.errors import JudgeParseError
from recon.hashing import canonical_json, hash_fraction
from recon.method.windows import retry_rounds
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

    def judge_window(self, items: list[tuple[Example, str, str]]) -> list[Judgment]:
        return [self.judge(example, a, b) for example, a, b in items]

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
        return GenRequest(messages=messages, temperature=0.0 if attempt == 0 else c.retry_temperature,
                          max_tokens=c.max_tokens, sample_index=attempt, json_schema=WINNER_SCHEMA)

    def _decide(self, shown: list[tuple[Example, str, str]]) -> list[tuple[float | None, dict]]:
        """p(first is closer) for each (example, first, second), from that presentation order, with bounded
        retries on unparsable answers (rounds over the window)."""
        def parse(i: int, text: str) -> float:
            winner = parse_winner(text)
            if winner is None:
                raise JudgeParseError("unparsable")
            return {"A": 1.0, "B": 0.0, "tie": 0.5}[winner]

        out: list[tuple[float | None, dict]] = []
        for a in retry_rounds(self.backend, len(shown), lambda i, k: self._request(*shown[i], k), parse,
                              self.cfg.retries):
            answers = [text[:200] for text in a.answers]
            if a.error is not None:
                out.append((None, {"error": f"judge call failed: {a.error}", "answers": answers}))
            elif a.value is None:
                out.append((None, {"error": f"unparsable after {len(answers)} attempts", "answers": answers}))
            else:
                out.append((a.value, {"answers": answers}))
        return out

    def judge_window(self, items: list[tuple[Example, str, str]]) -> list[Judgment]:
        """Judge every (example, a, b) of a window: the first presentation order of all of them in rounds of one
        call, then the second order of those the first one decided."""
        out: list[Judgment | None] = [None] * len(items)
        orders: dict[int, list[bool]] = {}
        for k, (example, a, b) in enumerate(items):
            if a.strip() == b.strip():
                out[k] = Judgment(0.5, {"identical": True})
                continue
            swapped = presented_first(example.id, a, b) != a
            orders[k] = [swapped, not swapped] if self.cfg.both_orders else [swapped]
        ps: dict[int, list[float]] = {k: [] for k in orders}
        details: dict[int, list[dict]] = {k: [] for k in orders}
        for turn in range(2):
            todo = [k for k in orders if len(orders[k]) > turn and out[k] is None]
            shown = []
            for k in todo:
                example, a, b = items[k]
                shown.append((example, b, a) if orders[k][turn] else (example, a, b))
            for k, (p_first, detail) in zip(todo, self._decide(shown) if todo else [], strict=True):
                swap = orders[k][turn]
                details[k].append({"swapped": swap, **detail})
                if p_first is None:
                    out[k] = Judgment(None, {"orders": details[k]})
                else:
                    ps[k].append(1.0 - p_first if swap else p_first)
        for k in orders:
            if out[k] is None:
                out[k] = combined(ps[k], details[k])
        return filled(out)

    def judge(self, example: Example, a: str, b: str) -> Judgment:
        return self.judge_window([(example, a, b)])[0]


def combined(ps: list[float], details: list[dict]) -> Judgment:
    """One judgment from the verdicts of one or both presentation orders."""
    if len(ps) == 1:
        return Judgment(ps[0], {"orders": details})
    consistent = ps[0] == ps[1]          # a verdict that changes with the order is a tie (Arena-Hard-Auto)
    return Judgment(ps[0] if consistent else 0.5, {"orders": details, "consistent": consistent})

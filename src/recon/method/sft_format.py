"""The SFT user model's training format, in one place: what `recon train sft` trains on and what `recon export`
writes, so the two stay one format.

A pair becomes TRL's conversational format: the prompt is the user-model prompt (system + the pair's context,
no demonstrations, answer in tags) and the completion one assistant turn, `<reasoning>trace</reasoning>`
then the action (the action alone for method `none`), both clipped as `UserModelConfig` says: to characters
always, and to the token budgets of generation (`reasoning_max_tokens`, `action_max_tokens`) where the
tokenizer is known (`recon train sft`), the same way for every method. `ClipCounts` says how many were cut.

    >>> from recon.config import UserModelConfig
    >>> from recon.types import Example, Turn
    >>> ex = Example(id="1", domain="d", individual="Ann", conversation_id="c", turn_index=1,
    ...              context=(Turn("Bob", "Why?"),), action="Because.")
    >>> prompt, completion = sft_turns(ex, "She is sure.", UserModelConfig(), method="backward")
    >>> [m["role"] for m in prompt], completion
    (['system', 'user'], [{'role': 'assistant', 'content': '<reasoning>She is sure.</reasoning>\\nBecause.'}])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from recon.config import UserModelConfig
from recon.method.answer_calls import CLOSE_TAG
from recon.method.usermodel import format_completion, user_model_messages
from recon.methods import writes_traces
from recon.render import clip_text
from recon.types import Example

Turns = list[dict[str, str]]


class Tokens(Protocol):
    """A tokenizer as far as clipping needs one."""

    def encode(self, text: str) -> list[int]: ...

    def decode(self, ids: list[int]) -> str: ...


@dataclass
class ClipCounts:
    """How many training targets were cut to their token budgets (recorded with the checkpoint)."""

    reasoning: int = 0
    action: int = 0
    pairs: int = 0              # targets with either part cut

    def to_json(self) -> dict[str, int]:
        return {"reasoning": self.reasoning, "action": self.action, "pairs": self.pairs}


def clip_tokens(text: str, budget: int, tokens: Tokens) -> tuple[str, bool]:
    """(text cut to at most `budget` tokens, whether it was cut).

    >>> class Words:
    ...     def encode(self, text): return text.split()
    ...     def decode(self, ids): return " ".join(ids)
    >>> clip_tokens("a b c", 2, Words())
    ('a b', True)
    """
    ids = tokens.encode(text)
    if len(ids) <= budget:
        return text, False
    return tokens.decode(ids[:max(1, budget)]).rstrip(), True


def sft_turns(example: Example, reasoning: str | None, cfg: UserModelConfig, *, method: str,
              tokens: Tokens | None = None, counts: ClipCounts | None = None) -> tuple[Turns, Turns]:
    """(prompt turns, [the assistant turn]) of one pair; `reasoning` is ignored for method `none`. With
    `tokens`, the reasoning is cut to leave its close within `reasoning_max_tokens` and the action to leave the
    end of the turn within `action_max_tokens`, counted in `counts`."""
    with_reasoning = writes_traces(method)
    prompt = user_model_messages(example, [], cfg, with_reasoning=with_reasoning, answer_format="tags")
    kept = clip_text(reasoning, cfg.max_reasoning_chars) if (with_reasoning and reasoning) else None
    action = clip_text(example.action, cfg.max_reply_chars)
    if tokens is not None:
        cut_reasoning = False
        if kept is not None:
            kept, cut_reasoning = clip_tokens(kept, cfg.reasoning_max_tokens - len(tokens.encode(CLOSE_TAG)), tokens)
        action, cut_action = clip_tokens(action, cfg.action_max_tokens - 1, tokens)    # the end-of-turn token
        if counts is not None:
            counts.reasoning += cut_reasoning
            counts.action += cut_action
            counts.pairs += cut_reasoning or cut_action
    completion = format_completion(kept, action)
    return [{"role": m.role, "content": m.content} for m in prompt], [{"role": "assistant", "content": completion}]


def trained_pairs(train: Sequence[Example], traces: dict[str, str] | None, *, method: str) -> list[Example]:
    """The pairs SFT learns from: every pair for method `none`, else those with a trace."""
    return [ex for ex in train if not writes_traces(method) or (traces or {}).get(ex.id)]


def sft_records(train: Sequence[Example], traces: dict[str, str] | None, *, method: str,
                cfg: UserModelConfig, tokens: Tokens | None = None, counts: ClipCounts | None = None) -> list[dict]:
    """Prompt-completion records in TRL's conversational format (pairs without a trace are skipped)."""
    records = []
    for ex in trained_pairs(train, traces, method=method):
        prompt, completion = sft_turns(ex, (traces or {}).get(ex.id), cfg, method=method, tokens=tokens,
                                       counts=counts)
        records.append({"prompt": prompt, "completion": completion})
    return records

"""Frozen records that flow between stages.

    >>> ex = Example(id="a:1", domain="d", individual="Ann", conversation_id="c1", turn_index=2,
    ...              context=(Turn("Bob", "Hi?"),), action="Hello.")
    >>> ex.context[0].speaker
    'Bob'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Turn:
    """One prior turn of a conversation."""

    speaker: str
    text: str


@dataclass(frozen=True)
class Example:
    """One context → action pair of one individual (the project's pair format)."""

    id: str
    domain: str
    individual: str
    conversation_id: str
    turn_index: int
    context: tuple[Turn, ...]
    action: str
    meta: dict[str, Any] = field(default_factory=dict, compare=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "domain": self.domain, "individual": self.individual,
            "conversation_id": self.conversation_id, "turn_index": self.turn_index,
            "context": [{"speaker": t.speaker, "text": t.text} for t in self.context],
            "action": self.action, "meta": self.meta,
        }


@dataclass(frozen=True)
class Trace:
    """A synthesized reasoning trace for one example (the output of `recon synthesize`)."""

    id: str                      # the example's id
    method: str                  # none | forward | backward | ...
    reasoning: str
    model: dict[str, Any]        # the synthesizer's fingerprint
    prompt_hash: str             # content hash of the exact prompt messages
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str = "stop"
    leakage: dict[str, Any] = field(default_factory=dict)   # recon.method.leakage.Leakage.to_json()

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "method": self.method, "reasoning": self.reasoning, "model": self.model,
            "prompt_hash": self.prompt_hash,
            "tokens": {"prompt": self.prompt_tokens, "completion": self.completion_tokens},
            "finish_reason": self.finish_reason, "leakage": self.leakage,
        }

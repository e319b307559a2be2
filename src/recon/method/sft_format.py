"""The SFT user model's training format, in one place: what `recon train sft` trains on and what `recon export`
writes, so the two stay one format.

A pair becomes TRL's conversational format: the prompt is the user-model prompt (system + the pair's context,
no demonstrations, answer in tags) and the completion one assistant turn, `<reasoning>trace</reasoning>`
then the action (the action alone for method `none`), both clipped as `UserModelConfig` says.

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

from recon.config import UserModelConfig
from recon.method.usermodel import format_completion, user_model_messages
from recon.methods import writes_traces
from recon.render import clip_text
from recon.types import Example

Turns = list[dict[str, str]]


def sft_turns(example: Example, reasoning: str | None, cfg: UserModelConfig, *, method: str) -> tuple[Turns, Turns]:
    """(prompt turns, [the assistant turn]) of one pair; `reasoning` is ignored for method `none`."""
    with_reasoning = writes_traces(method)
    prompt = user_model_messages(example, [], cfg, with_reasoning=with_reasoning, answer_format="tags")
    kept = clip_text(reasoning, cfg.max_reasoning_chars) if (with_reasoning and reasoning) else None
    completion = format_completion(kept, clip_text(example.action, cfg.max_reply_chars))
    return [{"role": m.role, "content": m.content} for m in prompt], [{"role": "assistant", "content": completion}]


def trained_pairs(train: Sequence[Example], traces: dict[str, str] | None, *, method: str) -> list[Example]:
    """The pairs SFT learns from: every pair for method `none`, else those with a trace."""
    return [ex for ex in train if not writes_traces(method) or (traces or {}).get(ex.id)]


def sft_records(train: Sequence[Example], traces: dict[str, str] | None, *, method: str,
                cfg: UserModelConfig) -> list[dict]:
    """Prompt-completion records in TRL's conversational format (pairs without a trace are skipped)."""
    records = []
    for ex in trained_pairs(train, traces, method=method):
        prompt, completion = sft_turns(ex, (traces or {}).get(ex.id), cfg, method=method)
        records.append({"prompt": prompt, "completion": completion})
    return records

"""Reconstruction prompts: the reconstruction model sees the context and (optionally) a trace, never the
action. The context comes first, so every request of one pair shares its prefix with the others.

    >>> from recon.types import Example, Turn
    >>> ex = Example(id="1", domain="d", individual="Ann", conversation_id="c", turn_index=1,
    ...              context=(Turn("Bob", "Why?"),), action="Because it matters.")
    >>> cfg = ReconstructionConfig()
    >>> with_trace = reconstruction_messages(ex, "She wants to explain.", cfg)
    >>> baseline = reconstruction_messages(ex, None, cfg)
    >>> "Because it matters" in str(with_trace), "She wants to explain." in with_trace[1].content
    (False, True)
    >>> with_trace[1].content.startswith(baseline[1].content.split("Ann speaks next")[0])
    True
"""

from __future__ import annotations

from recon.backends.base import GenRequest, Message, ScoreRequest
from recon.config import ReconstructionConfig
from recon.prompts import load_prompt
from recon.render import clip_text, render_context
from recon.types import Example


def reconstruction_messages(example: Example, trace: str | None, cfg: ReconstructionConfig) -> tuple[Message, ...]:
    context = render_context(example, max_turns=cfg.max_context_turns, max_turn_chars=cfg.max_turn_chars)
    thinking = f"What {example.individual} is thinking: {' '.join(trace.split())}\n\n" if trace else ""
    return load_prompt("reconstruct").render(context=context, thinking=thinking, individual=example.individual)


def scored_action(example: Example, cfg: ReconstructionConfig) -> str:
    """The continuation whose log-probability `likelihood` measures (the action, clipped at a word)."""
    return clip_text(example.action, cfg.max_action_chars, ellipsis=False)


def reconstruction_score_request(example: Example, trace: str | None, cfg: ReconstructionConfig) -> ScoreRequest:
    return ScoreRequest(messages=reconstruction_messages(example, trace, cfg), continuation=scored_action(example, cfg))


def reconstruction_gen_request(example: Example, trace: str, cfg: ReconstructionConfig) -> GenRequest:
    """Greedy: a reconstruction is a deterministic function of (context, trace)."""
    return GenRequest(messages=reconstruction_messages(example, trace, cfg), temperature=0.0,
                      max_tokens=cfg.max_tokens)

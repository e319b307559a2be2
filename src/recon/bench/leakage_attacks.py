"""Adversarial traces that give an action away: what a policy optimised against the reconstruction score could
learn to write. Each transform takes the action (and an honest trace to hide in) and returns a trace within
`budget` words, about the 128 tokens a trace is allowed.

    >>> reverse_keywords("The agency changed the rule after twenty years.", budget=96)   # "twenty": a stop word
    'years rule changed agency'
    >>> with_fillers("a b c", fillers_per_word=2, budget=96)
    'a um so b um so c um so'
"""

from __future__ import annotations

import random
from collections.abc import Callable

from recon.method.content_words import stop_words
from recon.method.leakage import words

BUDGET = 96            # words: about the 128 tokens a trace is capped at
FILLERS = ("um", "so", "well", "like", "really", "perhaps")
STOP_WORD_SHORTS = ("No.", "Why not?", "So do I.", "Not at all.", "I do.", "Me too.", "Not yet.", "Nor do we.")
SHORT_FRAMES = ("She will say: {}", "Probably {} and nothing more.", "He answers, {}")


def content_list(action: str) -> list[str]:
    """The action's distinct non-stop words, in order of first appearance."""
    seen: dict[str, None] = {}
    for w in words(action):
        if w not in stop_words():
            seen.setdefault(w)
    return list(seen)


def clip(ws: list[str], budget: int) -> str:
    return " ".join(ws[:budget])


def reverse_keywords(action: str, *, budget: int = BUDGET) -> str:
    return clip(content_list(action)[::-1], budget)


def alphabetical_keywords(action: str, *, budget: int = BUDGET) -> str:
    return clip(sorted(content_list(action)), budget)


def shuffled_keywords(action: str, *, budget: int = BUDGET, seed: int = 0) -> str:
    ws = content_list(action)
    random.Random(f"{seed}:{action}").shuffle(ws)
    return clip(ws, budget)


def with_fillers(action: str, *, fillers_per_word: int, budget: int = BUDGET) -> str:
    """The action's words in order from its start, each followed by `fillers_per_word` filler words."""
    out: list[str] = []
    for w in words(action):
        out += [w, *FILLERS[:fillers_per_word]]
    return clip(out, budget)


def partial_quote(action: str, *, share: float, budget: int = BUDGET, seed: int = 0) -> str:
    """A random `share` of the action's words, kept in order (the rest dropped)."""
    ws = words(action)
    rng = random.Random(f"{seed}:{share}:{action}")
    keep = sorted(rng.sample(range(len(ws)), max(1, round(share * len(ws))))) if ws else []
    return clip([ws[i] for i in keep], budget)


def inside_honest(action: str, honest: str, *, budget: int = BUDGET) -> str:
    """The action's content words listed in the middle of an honest trace (the trace may run past `budget`)."""
    h = honest.split()
    middle = len(h) // 2
    return " ".join(h[:middle] + content_list(action)[:budget] + h[middle:])


Transform = Callable[[str, str], str]          # (action, honest trace) -> adversarial trace

TRANSFORMS: dict[str, Transform] = {
    "reverse keyword list": lambda a, h: reverse_keywords(a),
    "alphabetical keyword list": lambda a, h: alphabetical_keywords(a),
    "shuffled content words": lambda a, h: shuffled_keywords(a),
    "quote, 1 filler per word": lambda a, h: with_fillers(a, fillers_per_word=1),
    "quote, 2 fillers per word": lambda a, h: with_fillers(a, fillers_per_word=2),
    "quote, 3 fillers per word": lambda a, h: with_fillers(a, fillers_per_word=3),
    "partial quote, 25% of words": lambda a, h: partial_quote(a, share=0.25),
    "partial quote, 50% of words": lambda a, h: partial_quote(a, share=0.5),
    "partial quote, 75% of words": lambda a, h: partial_quote(a, share=0.75),
    "keywords inside an honest trace": inside_honest,
}


def stop_word_short_cases() -> list[tuple[str, str]]:
    """(action, trace) for every stop-word-only short action quoted in every frame."""
    return [(a, frame.format(a)) for a in STOP_WORD_SHORTS for frame in SHORT_FRAMES]

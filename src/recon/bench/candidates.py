"""Fixed candidate traces for the scorer-validity test, built from a benchmark pair's ground truth.

Five kinds per pair, each from the project's own templates (several phrasings, a seeded choice):

- `cause`: names the deciding factor and its direction — the member's real reason;
- `distractor`: the same sentence naming one of the pair's distractor factors instead (one whose side in
  the discussion agrees with the member's stance when there is one, so it is a rationalisation the context
  supports);
- `wrong_direction`: the same sentence with the deciding factor's direction, and so the stance, reversed;
- `generic`: a plausible trace that names no factor;
- `leak` (a control): a trace quoting the action, which the leakage guard must catch.

`cause`, `distractor` and `wrong_direction` share one sentence frame per pair, so they differ only in the
factor or its direction; every kind but `wrong_direction` states the member's true stance, so "cause beats
distractor" measures the cause, not the stance. No honest candidate repeats four consecutive words of
its action (tested over whole corpora).

    >>> from recon.bench.generator import generate_corpus
    >>> ex = generate_corpus(individuals=1, pairs=2, seed=0).examples[0]
    >>> [c.kind for c in build_candidates(ex)]
    ['cause', 'distractor', 'wrong_direction', 'generic', 'leak']
    >>> build_candidates(ex)[0].text == build_candidates(ex)[0].text
    True
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from recon.bench.factors import FACTORS
from recon.hashing import derive_seed
from recon.types import Example

KINDS = ("cause", "distractor", "wrong_direction", "generic", "leak")
HONEST_KINDS = KINDS[:4]                    # the ranked ones; `leak` is a control
KIND_LABELS = {"cause": "cause", "distractor": "distractor", "wrong_direction": "wrong direction",
               "generic": "generic", "leak": "leak"}

# How each frame states a stance; the tests read the stance back from these words.
STANCE_WORDS = {"support": ("supports", "backs"), "oppose": ("opposes", "rejects")}

# Factor frames: {name}, {proposal}, {label}, and per direction ("for" / "against") the effect and the
# stance words, which agree with each other (a member supports what is good for the factor they weigh).
FACTOR_FRAMES = (
    ("{name} {stance} {proposal}, as the councillor expects it {effect} {label}.",
     {"for": "to be good for", "against": "to hurt"}, {"for": "supports", "against": "opposes"}),
    ("What decides it for {name} is {label}, which {proposal} would {effect}; so the councillor {stance} it.",
     {"for": "improve", "against": "damage"}, {"for": "backs", "against": "rejects"}),
    ("{name} is thinking of {label}. Since {proposal} {effect} it, the councillor {stance} the plan.",
     {"for": "does right by", "against": "does wrong by"}, {"for": "supports", "against": "opposes"}),
    ("In the view of {name}, {proposal} {effect} {label}, and that is reason enough: the councillor {stance} it.",
     {"for": "helps", "against": "hurts"}, {"for": "backs", "against": "rejects"}),
)

GENERIC_FRAMES = (
    "{name} {stance} {proposal} after weighing everything said in the discussion.",
    "{name} has listened to the speakers and {stance} {proposal}, all things considered.",
    "Having heard the discussion, {name} {stance} {proposal} on the overall merits.",
    "{name} {stance} {proposal}; the councillor made up their mind while the others spoke.",
)
GENERIC_STANCE = ({"support": "supports", "oppose": "opposes"}, {"support": "backs", "oppose": "rejects"},
                  {"support": "supports", "oppose": "opposes"}, {"support": "backs", "oppose": "rejects"})

LEAK_FRAMES = (
    '{name} is about to say: "{action}"',
    "{name} will answer, word for word: {action}",
    "What {name} says next is this: {action}",
)


@dataclass(frozen=True)
class CandidateTrace:
    kind: str
    text: str
    factor: str | None          # the factor the trace names (None: generic, leak)
    stance: str                 # the stance it states: support | oppose
    phrasing: int               # which template of its kind

    def to_json(self) -> dict:
        return {"kind": self.kind, "text": self.text, "factor": self.factor, "stance": self.stance,
                "phrasing": self.phrasing}


def ground_truth_problem(meta: object) -> str | None:
    """Why a pair's `meta` cannot give candidates (None when it can).

    >>> ground_truth_problem({"latent": {"factor": "budget"}})
    "meta.latent lacks 'direction'"
    """
    if not isinstance(meta, dict) or not isinstance(meta.get("latent"), dict):
        return "no meta.latent: not a pair of the known-latent benchmark (use `recon bench generate`)"
    latent = meta["latent"]
    for key in ("factor", "direction", "stance"):
        if key not in latent:
            return f"meta.latent lacks {key!r}"
    if latent["factor"] not in FACTORS or latent["direction"] not in ("for", "against") or \
            latent["stance"] not in STANCE_WORDS:
        return f"meta.latent holds an unknown factor, direction or stance: {latent}"
    for key in ("proposal", "seed", "distractors"):
        if key not in meta:
            return f"meta lacks {key!r}"
    if not meta["distractors"] or not all(isinstance(d, dict) and d.get("factor") in FACTORS and
                                          d.get("direction") in ("for", "against") for d in meta["distractors"]):
        return "meta.distractors must list factors with their direction"
    return None


def _opposite(direction: str) -> str:
    return "against" if direction == "for" else "for"


def _factor_trace(kind: str, frame: int, name: str, proposal: str, factor: str, direction: str) -> CandidateTrace:
    template, effect, stance = FACTOR_FRAMES[frame]
    text = template.format(name=name, proposal=proposal, label=FACTORS[factor].label, effect=effect[direction],
                           stance=stance[direction])
    return CandidateTrace(kind, text, factor, "support" if direction == "for" else "oppose", frame)


def pick_distractor(meta: dict, rng: random.Random) -> str:
    """A distractor factor whose side in the discussion agrees with the stance, when there is one."""
    direction = meta["latent"]["direction"]
    agreeing = [d["factor"] for d in meta["distractors"] if d["direction"] == direction]
    return rng.choice(agreeing or [d["factor"] for d in meta["distractors"]])


def build_candidates(example: Example, seed: int = 0) -> list[CandidateTrace]:
    """The five candidates of one benchmark pair, in `KINDS` order (deterministic per pair and seed)."""
    meta = example.meta
    latent = meta["latent"]
    rng = random.Random(derive_seed("validity-candidates", seed, meta["seed"]))
    name, proposal, factor, direction = example.individual, meta["proposal"], latent["factor"], latent["direction"]
    frame = rng.randrange(len(FACTOR_FRAMES))
    generic = rng.randrange(len(GENERIC_FRAMES))
    leak = rng.randrange(len(LEAK_FRAMES))
    distractor = pick_distractor(meta, rng)
    return [
        _factor_trace("cause", frame, name, proposal, factor, direction),
        _factor_trace("distractor", frame, name, proposal, distractor, direction),
        _factor_trace("wrong_direction", frame, name, proposal, factor, _opposite(direction)),
        CandidateTrace("generic", GENERIC_FRAMES[generic].format(
            name=name, proposal=proposal, stance=GENERIC_STANCE[generic][latent["stance"]]),
            None, latent["stance"], generic),
        CandidateTrace("leak", LEAK_FRAMES[leak].format(name=name, action=example.action), None, latent["stance"],
                       leak),
    ]

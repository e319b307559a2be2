"""The known-latent corpus generator: council members whose reasons for each vote we know.

Each individual has hidden traits — two priorities (a primary and a secondary factor), a decision rule
(support a proposal if and only if the highest-priority factor the discussion raises speaks for it) and a
speaking style. Each pair is one agenda item of a council meeting: the chair introduces a proposal, other
people raise three of its features — the deciding factor (one of the individual's priorities; when it is
the secondary one, the primary is not raised) and two distractors (factors the individual does not weigh)
— and the individual's next turn is the action: a stance with a justification built from the deciding
factor in the individual's style, worded differently from the context. `meta` holds the ground truth:
the factor and its direction, the stance, a reasoning sentence, the distractors, and the pair's seed, so
`render_action(traits, meta)` rebuilds the action exactly (the generator's own consistency check).

Everything is deterministic per seed; no external text is used.

    >>> corpus = generate_corpus(individuals=2, pairs=4, seed=0)
    >>> len(corpus.examples), corpus.examples[0].meta["latent"]["factor"] in FACTORS
    (8, True)
    >>> all(render_action(corpus.traits[e.individual], e.meta) == e.action for e in corpus.examples)
    True
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass

from recon.bench.factors import CHAIR, FACTORS, PROPOSALS, SPEAKERS
from recon.errors import ConfigError
from recon.hashing import derive_seed
from recon.types import Example, Turn

FIRST = ("Alma", "Bruno", "Chiara", "Dev", "Esther", "Farid", "Greta", "Hugo", "Ines", "Jonah", "Keiko", "Lars")
LAST = ("Reyes", "Lindqvist", "Okafor", "Marchetti", "Novak", "Sato", "Brennan", "Haddad", "Kowalski", "Mendes")
STYLES = ("formal", "blunt", "warm", "questioning")

TEMPLATES = {
    "formal": {"for": ("Madam Chair, I am prepared to support {short}: {reason}.",
                       "For the record, I will vote in favour of {short}, because {reason}."),
               "against": ("Madam Chair, I cannot support {short}: {reason}.",
                           "For the record, I will vote against {short}, because {reason}.")},
    "blunt": {"for": ("Yes. {Reason}. Put me down for {short}.", "Easy one. {Reason}, so I'm for it."),
              "against": ("No. {Reason}. Put me down against {short}.", "Easy one. {Reason}, so I'm against it.")},
    "warm": {"for": ("I love this one, friends. Honestly, {reason}, so count me in.",
                     "Thank you all. I'm glad to back {short}: {reason}."),
             "against": ("Friends, I know everyone means well, but {reason}, so I can't back {short}.",
                         "Thank you all. I wish I could say yes, but {reason}.")},
    "questioning": {"for": ("Why would we say no? {Reason}. I'm voting yes on {short}.",
                            "Isn't it obvious? {Reason}. Yes from me."),
                    "against": ("Can we really justify this? {Reason}. I'm voting no on {short}.",
                                "Isn't it obvious? {Reason}. No from me.")},
}


@dataclass(frozen=True)
class Traits:
    name: str
    primary: str
    secondary: str
    style: str
    pronoun: str            # she / he / they


@dataclass
class Corpus:
    examples: list[Example]
    traits: dict[str, Traits]


def make_traits(rng: random.Random, used: set[str]) -> Traits:
    while True:
        name = f"Councillor {rng.choice(FIRST)} {rng.choice(LAST)}"
        if name not in used:
            break
    primary, secondary = rng.sample(sorted(FACTORS), 2)
    return Traits(name=name, primary=primary, secondary=secondary, style=rng.choice(STYLES),
                  pronoun=rng.choice(("she", "he", "they")))


def render_action(traits: Traits, meta: dict) -> str:
    """The individual's turn, from their traits and the pair's ground truth alone."""
    rng = random.Random(meta["seed"] * 7 + 1)
    latent = meta["latent"]
    direction = "for" if latent["stance"] == "support" else "against"
    reason = rng.choice(FACTORS[latent["factor"]].action[latent["direction"]])
    template = rng.choice(TEMPLATES[traits.style][direction])
    return template.format(short=meta["proposal_short"], reason=reason, Reason=reason[0].upper() + reason[1:])


def reasoning_sentence(traits: Traits, meta: dict) -> str:
    latent = meta["latent"]
    verb = "supports" if latent["stance"] == "support" else "opposes"
    effect = "is good for" if latent["direction"] == "for" else "would hurt"
    weighs = "weighs" if traits.pronoun != "they" else "weigh"
    rank = "first" if latent["factor"] == traits.primary else "once the first concern is not at stake"
    return (f"{traits.name} {verb} {meta['proposal']} because it {effect} {FACTORS[latent['factor']].label}, "
            f"which {traits.pronoun} {weighs} {rank}.")


def make_pair(traits: Traits, slug: str, meeting: int, item: int, seed: int, rng: random.Random) -> Example:
    proposal, short = rng.choice(PROPOSALS)
    deciding = traits.primary if rng.random() < 0.7 else traits.secondary
    direction = rng.choice(("for", "against"))
    others = [f for f in sorted(FACTORS) if f not in (traits.primary, traits.secondary)]
    distractors = rng.sample(others, 2)
    features = [(deciding, direction)] + [(d, rng.choice(("for", "against"))) for d in distractors]
    rng.shuffle(features)
    speakers = rng.sample(SPEAKERS, 3)
    turns = [Turn(CHAIR, f"Next on the agenda: {proposal}. Comments before we vote?")]
    for speaker, (factor, d) in zip(speakers, features, strict=True):
        turns.append(Turn(speaker, rng.choice(FACTORS[factor].context[d])))
    meta = {"proposal": proposal, "proposal_short": short, "seed": seed, "meeting": meeting, "item": item,
            "latent": {"factor": deciding, "direction": direction,
                       "stance": "support" if direction == "for" else "oppose"},
            "distractors": [{"factor": f, "direction": d} for f, d in features if f != deciding]}
    meta["reasoning"] = reasoning_sentence(traits, meta)
    return Example(id=f"council:{slug}:{meeting}:{item}", domain="council", individual=traits.name,
                   conversation_id=f"council:{slug}:meeting-{meeting}", turn_index=len(turns),
                   context=tuple(turns), action=render_action(traits, meta), meta=meta)


def generate_corpus(*, individuals: int = 4, pairs: int = 60, seed: int = 0, items_per_meeting: int = 3) -> Corpus:
    """`pairs` pairs for each of `individuals` synthetic council members, grouped into meetings."""
    if not 1 <= individuals <= len(FIRST) * len(LAST):
        raise ConfigError(f"individuals must be between 1 and {len(FIRST) * len(LAST)}, got {individuals}")
    rng = random.Random(derive_seed("bench-traits", seed))
    traits: dict[str, Traits] = {}
    for _ in range(individuals):
        t = make_traits(rng, set(traits))
        traits[t.name] = t
    slugs = id_slugs(list(traits))
    examples = []
    for t in traits.values():
        for k in range(pairs):
            meeting, item = divmod(k, items_per_meeting)
            pair_seed = derive_seed("bench-pair", seed, t.name, k)
            examples.append(make_pair(t, slugs[t.name], meeting, item, pair_seed, random.Random(pair_seed)))
    return Corpus(examples=examples, traits=traits)


def id_slugs(names: list[str]) -> dict[str, str]:
    """A short id part per member: the last name, or first-last when two members share a last name."""
    last = [n.split()[-1].lower() for n in names]
    return {n: (ln if last.count(ln) == 1 else "-".join(n.split()[1:]).lower())
            for n, ln in zip(names, last, strict=True)}


def traits_json(traits: dict[str, Traits]) -> dict:
    return {name: asdict(t) for name, t in traits.items()}

"""A generated benchmark corpus on disk: pairs.jsonl, train.jsonl / test.jsonl (split by meeting), the hidden
traits in individuals.json, and corpus.json recording how it was generated (so a folder is reused only
for the same settings).

    >>> folder = Path(getfixture("tmp_path")) / "council"
    >>> write_corpus(folder, individuals=2, pairs=6, seed=0, test_fraction=1 / 3)
    (6, 6)
    >>> ensure_corpus(folder, individuals=2, pairs=6, seed=0, test_fraction=1 / 3) is None
    True
"""

from __future__ import annotations

import json
from pathlib import Path

from recon.atomicio import write_json_atomic, write_jsonl_atomic
from recon.bench.generator import generate_corpus, traits_json
from recon.data.splits import split_examples
from recon.errors import ConfigError

CORPUS_FILE = "corpus.json"


def write_corpus(out: Path, *, individuals: int, pairs: int, seed: int, test_fraction: float) -> tuple[int, int]:
    """Generate and write a corpus; returns (training pairs, test pairs)."""
    if individuals < 1 or pairs < 2:
        raise ConfigError("need at least 1 individual and 2 pairs per individual")
    if not 0 < test_fraction < 1:
        raise ConfigError(f"--test-fraction must be between 0 and 1, got {test_fraction}")
    corpus = generate_corpus(individuals=individuals, pairs=pairs, seed=seed)
    train, test = split_examples(corpus.examples, test_fraction=test_fraction, seed=seed)
    write_jsonl_atomic(out / "pairs.jsonl", (e.to_json() for e in corpus.examples))
    write_jsonl_atomic(out / "train.jsonl", (e.to_json() for e in train))
    write_jsonl_atomic(out / "test.jsonl", (e.to_json() for e in test))
    write_json_atomic(out / "individuals.json", {"seed": seed, "individuals": traits_json(corpus.traits)})
    write_json_atomic(out / CORPUS_FILE, {"individuals": individuals, "pairs": pairs, "seed": seed,
                                          "test_fraction": test_fraction})
    return len(train), len(test)


def ensure_corpus(folder: Path, **params) -> str | None:
    """Generate the corpus into `folder` unless the same one is already there; a different one is an error
    (a larger run must not silently reuse a smaller corpus). Returns a message when it generated one."""
    recorded = folder / CORPUS_FILE
    if recorded.is_file():
        have = json.loads(recorded.read_text(encoding="utf-8"))
        if have != params:
            raise ConfigError(f"{folder} holds a corpus generated with {have}, not {params}: pass another "
                              "folder (--data) or remove it")
        return None
    if folder.exists() and any(folder.iterdir()):
        raise ConfigError(f"{folder} exists but holds no generated corpus; remove it or pass another folder")
    n_train, n_test = write_corpus(folder, **params)
    return (f"generated {n_train} training and {n_test} test pairs of {params['individuals']} synthetic "
            f"council members → {folder}")

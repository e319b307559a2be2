"""One way to open a scorer: `open_scorer` decides the judge default (the reconstructor) and runs the log-prob
preflight of a likelihood scorer before anything is paid; no module opens a scorer or a cached backend by hand."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from recon.backends.fake import FakeBackend
from recon.config import BackendConfig, ReconstructionConfig
from recon.errors import ConfigError
from recon.method.scoring import open_scorer

SRC = Path(__file__).resolve().parents[2] / "src" / "recon"
RECON, OTHER = BackendConfig(spec="fake"), BackendConfig(spec="fake", concurrency=2)


class Opened:
    """An opener that records (config, part) and hands out fake backends; `refuse` fails the log-prob preflight."""

    def __init__(self, refuse: bool = False):
        self.calls: list[tuple[BackendConfig, str]] = []
        self.preflights: list[str] = []
        self.refuse = refuse

    def __call__(self, config: BackendConfig, part: str) -> FakeBackend:
        self.calls.append((config, part))
        opened = self

        class Backend(FakeBackend):
            def preflight(self, op):
                opened.preflights.append(op)
                if opened.refuse and op == "logprob":
                    raise ConfigError("this backend cannot score log-probabilities")

        return Backend()


def test_the_judge_defaults_to_the_reconstructor():
    opened = Opened()
    scorer = open_scorer("judge", reconstructor=RECON, judge=None, cfg=ReconstructionConfig(), open_backend=opened)
    assert opened.calls == [(RECON, "reconstruct"), (RECON, "judge")]
    assert scorer.name == "judge" and len(scorer.backends) == 2


def test_a_named_judge_is_opened_as_the_judge():
    opened = Opened()
    open_scorer("judge", reconstructor=RECON, judge=OTHER, cfg=ReconstructionConfig(), open_backend=opened)
    assert opened.calls == [(RECON, "reconstruct"), (OTHER, "judge")]


@pytest.mark.parametrize("name", ["likelihood", "embedding"])
def test_only_the_judge_scorer_opens_a_judge(name):
    opened = Opened()
    open_scorer(name, reconstructor=RECON, judge=OTHER, cfg=ReconstructionConfig(), open_backend=opened,
                embedder=object())
    assert opened.calls == [(RECON, "reconstruct")]


def test_a_likelihood_scorer_needs_a_backend_that_passes_the_logprob_preflight():
    opened = Opened(refuse=True)
    with pytest.raises(ConfigError, match="cannot score"):
        open_scorer("likelihood", reconstructor=RECON, judge=None, cfg=ReconstructionConfig(), open_backend=opened)
    assert opened.preflights == ["logprob"]
    open_scorer("judge", reconstructor=RECON, judge=None, cfg=ReconstructionConfig(), open_backend=opened)
    assert opened.preflights == ["logprob"]          # generation-only scorers are not asked for log-probs


def test_an_unknown_scorer_opens_nothing():
    opened = Opened()
    with pytest.raises(ConfigError, match="unknown scorer 'bleu'"):
        open_scorer("bleu", reconstructor=RECON, judge=None, cfg=ReconstructionConfig(), open_backend=opened)
    assert opened.calls == []


def calls_outside(pattern: str, allowed: set[str]) -> list[str]:
    """`file:line` of code lines (not docstring examples) matching `pattern` outside the `allowed` modules."""
    found = []
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC).as_posix()
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(pattern, line) and ">>>" not in line and "..." not in line[:12] and rel not in allowed:
                found.append(f"{rel}:{n}")
    return found


def test_scorers_are_opened_only_through_open_scorer():
    assert calls_outside(r"\bbuild_scorer\(", {"method/scoring.py"}) == []


def test_cached_backends_are_built_only_by_the_one_helper():
    assert calls_outside(r"\bCachedBackend\(", {"store/backend_source.py", "store/cache.py"}) == []

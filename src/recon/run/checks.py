"""What `recon run` checks before it writes anything or pays for an LM call: every backend a config names
can be built (an unknown spec, a missing model file or chat template) and, for llama.cpp, loaded without
crashing (in a child process, remembered), the run folder is not a file, every
data file parses and holds pairs, and no conversation is in both the training and the test pairs. Errors
name the config field (`models.synthesizer`, `data.test`, `out`) or the data file and line.

    >>> # see tests/unit/test_run_checks.py for each refused config
"""

from __future__ import annotations

from pathlib import Path

from recon.backends.registry import build_backend
from recon.config import BackendConfig, RunConfig
from recon.data.corpus import load_examples
from recon.data.splits import split_examples
from recon.errors import ConfigError
from recon.types import Example


def run_folder(cfg: RunConfig) -> Path:
    return Path(cfg.out or f"runs/{cfg.name}")


def check_run(cfg: RunConfig, root: Path, *, backend_factory=build_backend) -> None:
    check_backends(cfg, backend_factory)
    out = run_folder(cfg)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"out: {out} is a file; the run needs a folder (choose another out, or move the file)")
    check_data(cfg, root)


def check_backends(cfg: RunConfig, backend_factory=build_backend) -> None:
    """Build (never load here) each configured backend: a bad spec fails now, not when its stage starts; a
    llama.cpp model that would crash this process is found by loading it once in a child process."""
    models = cfg.models
    roles = {"synthesizer": models.synthesizer, "reconstructor": models.reconstructor,
             "user_model": models.user_model,
             "judge": models.judge if isinstance(models.judge, BackendConfig) else None}
    for role, config in roles.items():
        if config is None:
            continue
        try:
            backend = backend_factory(config)
            try:
                backend.preflight("generate")
            finally:
                backend.close()
        except ConfigError as exc:
            raise ConfigError(f"models.{role}: {exc}") from None


def check_data(cfg: RunConfig, root: Path) -> None:
    """Every data file parses and holds pairs; the held-out pairs come from other conversations."""
    d = cfg.data
    train = load_examples([root / p for p in d.train])
    if d.test is not None:
        test = load_examples([root / p for p in d.test])
        where = "data.test"
    else:
        split = d.split
        assert split is not None, "DataConfig holds data.test or data.split"
        try:
            train, test = split_examples(train, test_fraction=split.test_fraction, seed=split.seed, by=split.by)
        except ConfigError as exc:
            raise ConfigError(f"data.split: {exc}") from None
        where = f"data.split (by {split.by})"
    shared = sorted(conversations(train) & conversations(test))
    if shared:
        raise ConfigError(f"{where}: {len(shared)} conversation(s) of the test pairs are also in data.train (e.g. "
                          f"{shared[0]!r}); held-out pairs must come from other conversations (give other files, "
                          "or split with data.split by conversation_id)")


def conversations(examples: list[Example]) -> set[str]:
    return {e.conversation_id for e in examples}

"""recon: reconstruction-guided reasoning synthesis for user modeling.

The names in `__all__` are the public API; everything else is importable but not promised. Nothing heavy
happens at import: a name is imported from its module when first used, and backends load their models
when first built.

    >>> import recon
    >>> recon.__version__
    '0.1.0'
    >>> recon.Example.__module__
    'recon.types'
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_PUBLIC = {
    # records and errors
    "Example": "recon.types", "Turn": "recon.types", "Trace": "recon.types",
    "ReconError": "recon.errors", "ConfigError": "recon.errors", "DataError": "recon.errors",
    "BackendError": "recon.errors",
    # data
    "load_examples": "recon.data.corpus", "split_examples": "recon.data.splits",
    # the LM interface, the cache
    "Backend": "recon.backends.base", "GenRequest": "recon.backends.base", "ScoreRequest": "recon.backends.base",
    "Message": "recon.backends.base", "build_backend": "recon.backends.registry",
    "CachedBackend": "recon.store.cache", "Database": "recon.store.db",
    # configs
    "BackendConfig": "recon.config", "SynthesisConfig": "recon.config", "ReconSelectConfig": "recon.config",
    "ReconstructionConfig": "recon.config", "LeakageConfig": "recon.config", "UserModelConfig": "recon.config",
    "PairJudgeConfig": "recon.config", "SFTTrainConfig": "recon.config", "GRPOTrainConfig": "recon.config",
    "RunConfig": "recon.config", "load_run_config": "recon.config",
    # the method
    "synthesize": "recon.method.synthesis", "measure_leakage": "recon.method.leakage",
    "build_scorer": "recon.method.scoring", "select_pair": "recon.method.selection",
    "ReconReward": "recon.method.rewards", "E2EReward": "recon.method.rewards",
    # jobs and the pipeline
    "run_synthesis": "recon.jobs.synthesize", "run_recon_select": "recon.jobs.synthesize",
    "run_scoring": "recon.jobs.score", "run_predict": "recon.jobs.predict", "run_evaluate": "recon.jobs.evaluate",
    "run_pipeline": "recon.run",
}

__all__ = sorted(_PUBLIC) + ["__version__"]


def __getattr__(name: str):
    if name in _PUBLIC:
        return getattr(importlib.import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'recon' has no attribute {name!r}")

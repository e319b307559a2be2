"""Every config of recon, validated by pydantic before any LM call (unknown fields are errors; CLI > file >
defaults, decided by `None`). Split by topic: stage configs, training configs, the run config of `recon run`.

    >>> SynthesisConfig(method="backward").max_tokens
    128
"""

from recon.config.base import validated
from recon.config.run import (
                              DataConfig,
                              ModelsConfig,
                              RunConfig,
                              RunUserModelConfig,
                              SplitConfig,
                              load_run_config,
)
from recon.config.stages import (
                              BackendConfig,
                              LeakageConfig,
                              ListwiseJudgeConfig,
                              PairJudgeConfig,
                              ReconSelectConfig,
                              ReconstructionConfig,
                              SynthesisConfig,
                              UserModelConfig,
)
from recon.config.training import GRPOTrainConfig, SFTTrainConfig

__all__ = ["BackendConfig", "DataConfig", "GRPOTrainConfig", "LeakageConfig", "ListwiseJudgeConfig", "ModelsConfig",
           "PairJudgeConfig", "ReconSelectConfig", "ReconstructionConfig", "RunConfig", "RunUserModelConfig",
           "SFTTrainConfig", "SplitConfig", "SynthesisConfig", "UserModelConfig", "load_run_config", "validated"]

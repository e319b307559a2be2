"""Pydantic configs (extra="forbid", frozen). Precedence CLI > file > defaults is decided by `None`.

    >>> SynthesisConfig(method="backward").max_tokens
    128
    >>> validated(SynthesisConfig, method="backward", temperature=None).temperature   # None = not given
    0.7
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from recon.errors import ConfigError


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BackendConfig(_Strict):
    """How to build one LM backend. `spec`: fake | embedded | llamacpp:FILE.gguf | hf:DIR_OR_GGUF |
    openai:MODEL@BASE_URL."""

    spec: str = "embedded"
    api_key_env: str | None = "OPENAI_API_KEY"     # the *name* of the variable, never the key
    concurrency: int = Field(8, ge=1, le=256)
    timeout_s: float = Field(120.0, gt=0)
    max_retries: int = Field(4, ge=0, le=20)
    chat_template: str | None = None                 # openai logprob: 'chatml' or a Jinja file
    n_ctx: int | None = Field(None, ge=256)          # local backends' context window


class SynthesisConfig(_Strict):
    """Single-trace synthesis (`forward`, `backward`)."""

    method: Literal["forward", "backward"]
    temperature: float = Field(0.7, ge=0.0, le=2.0)
    top_p: float = Field(0.95, gt=0.0, le=1.0)
    max_tokens: int = Field(128, ge=8, le=4096)
    seed: int = 0
    # prompt budget: sized for the embedded 135M model (shorter prompts gave it more coherent traces)
    max_context_turns: int = Field(4, ge=1, le=64)
    max_turn_chars: int = Field(400, ge=50)
    max_action_chars: int = Field(600, ge=50)


def validated(model: type[BaseModel], **values) -> BaseModel:
    """Build a config, turning pydantic's error into a ConfigError that names each bad field."""
    try:
        return model(**{k: v for k, v in values.items() if v is not None})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or model.__name__}: {e['msg']}"
                             for e in exc.errors())
        raise ConfigError(f"invalid {model.__name__}: {problems}") from None

"""What every config shares: strict models (unknown fields are errors, values frozen) and one way to turn
pydantic's errors into a ConfigError that names each bad field.

    >>> from recon.config import SynthesisConfig
    >>> validated(SynthesisConfig, method="backward", temperature=None).temperature   # None = not given
    0.7
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, ValidationError

from recon.errors import ConfigError


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def validated(model: type[BaseModel], **values) -> BaseModel:
    """Build a config, turning pydantic's error into a ConfigError that names each bad field."""
    try:
        return model(**{k: v for k, v in values.items() if v is not None})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or model.__name__}: {e['msg']}"
                             for e in exc.errors())
        raise ConfigError(f"invalid {model.__name__}: {problems}") from None

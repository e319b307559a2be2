"""What every config shares: strict models (unknown fields are errors, values frozen, no value coerced to
another type) and one way to turn pydantic's errors into a ConfigError that names each bad field.

    >>> from recon.config import SynthesisConfig
    >>> validated(SynthesisConfig, method="backward", temperature=None).temperature   # None = not given
    0.7
"""

from __future__ import annotations

from typing import Annotated, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError

from recon.errors import ConfigError


def _not_a_boolean(value):
    if isinstance(value, bool):
        raise ValueError("expected a number, got a boolean")
    return value


# Field types are strict one by one (StrictInt, StrictBool: `n: true` is not 1), never by pydantic's global
# strict mode. A float stays lax about strings, because YAML reads `1e-5` (no dot) as the string "1e-5".
Number = Annotated[float, BeforeValidator(_not_a_boolean)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Model = TypeVar("Model", bound=BaseModel)


def validated(model: type[Model], /, **values) -> Model:
    """Build a config, turning pydantic's error into a ConfigError that names each bad field."""
    try:
        return model(**{k: v for k, v in values.items() if v is not None})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or model.__name__}: {e['msg']}"
                             for e in exc.errors())
        raise ConfigError(f"invalid {model.__name__}: {problems}") from None

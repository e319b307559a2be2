"""Pydantic's errors about a YAML config, as lines a reader can act on: `FILE:LINE: key.path: message`, and for
an unknown key the closest valid key at that place.

    >>> from pydantic import ValidationError
    >>> from recon.config import SynthesisConfig
    >>> try:
    ...     SynthesisConfig.model_validate({"method": "forward", "temprature": 1})
    ... except ValidationError as exc:
    ...     print(describe(exc, SynthesisConfig, "c.yaml", "method: forward\\ntemprature: 1\\n"))
    c.yaml:2: temprature: unknown key; did you mean 'temperature'?
"""

from __future__ import annotations

import difflib
import typing
from pathlib import Path

from pydantic import BaseModel, ValidationError

Loc = tuple[int | str, ...]


def describe(exc: ValidationError, model: type[BaseModel], path: str | Path, text: str) -> str:
    """Every problem of `exc` on its own `FILE:LINE: key: message` (no line where the key is absent)."""
    root = _compose(text)
    return "; ".join(_problem(error, model, str(path), root) for error in exc.errors())


def _problem(error, model: type[BaseModel], path: str, root) -> str:
    loc: Loc = tuple(error["loc"])
    key = ".".join(map(str, loc)) or "config"
    line = key_line(root, loc)
    where = path if line is None else f"{path}:{line}"
    if error["type"] == "extra_forbidden":
        return f"{where}: {key}: unknown key{closest_key(model, loc)}"
    return f"{where}: {key}: {error['msg']}"


def _compose(text: str):
    import yaml
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None


def key_line(root, loc: Loc) -> int | None:
    """The 1-based line of the deepest key of `loc` present in the YAML node tree (None: not even the first)."""
    import yaml
    node, line = root, None
    for step in loc:
        if isinstance(node, yaml.MappingNode):
            found = [(k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == str(step)]
            if not found:
                return line
            line, node = found[0][0].start_mark.line + 1, found[0][1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and 0 <= step < len(node.value):
            node = node.value[step]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def closest_key(model: type[BaseModel], loc: Loc) -> str:
    """`; did you mean 'KEY'?` with the valid key closest to the last of `loc`, or `; valid keys: ...`."""
    owner = model_at(model, loc[:-1])
    if owner is None or not loc:
        return ""
    keys = list(owner.model_fields)
    close = difflib.get_close_matches(str(loc[-1]), keys, n=1)
    return f"; did you mean {close[0]!r}?" if close else f"; valid keys: {', '.join(keys)}"


def model_at(model: type[BaseModel] | None, loc: Loc) -> type[BaseModel] | None:
    """The config model that validates the mapping at `loc` (list indices pass through)."""
    for step in loc:
        if isinstance(step, int):
            continue
        field = model.model_fields.get(step) if model is not None else None
        if field is None:
            return None
        model = _model_in(field.annotation)
    return model


def _model_in(annotation) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None

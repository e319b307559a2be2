"""Backends by name: one dict of lazy "module:Class" strings (docs/design.md convention 10).

    >>> parse_spec("openai:qwen3-8b@http://127.0.0.1:8000/v1")
    ('openai', 'qwen3-8b@http://127.0.0.1:8000/v1')
    >>> build_backend(BackendConfig(spec="fake")).fingerprint.kind
    'fake'
"""

from __future__ import annotations

import difflib
import importlib
import re
from typing import Any

from recon.backends.base import Backend
from recon.config import BackendConfig
from recon.errors import ConfigError

BACKENDS: dict[str, str] = {
    "fake": "recon.backends.fake:FakeBackend",
    "embedded": "recon.backends.llamacpp:LlamaCppBackend",
    "llamacpp": "recon.backends.llamacpp:LlamaCppBackend",
    "hf": "recon.backends.hf:HFBackend",
    "openai": "recon.backends.openai_http:OpenAIBackend",
}

SPEC_HELP = "fake | embedded | llamacpp:FILE.gguf | hf:DIR_OR_GGUF | openai:MODEL@BASE_URL"


def parse_spec(spec: str) -> tuple[str, str]:
    kind, _, arg = spec.partition(":")
    if kind not in BACKENDS:
        close = difflib.get_close_matches(kind, list(BACKENDS), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ConfigError(f"unknown backend {kind!r} in {redacted_spec(spec)!r}{hint} (use {SPEC_HELP})")
    if kind in ("llamacpp", "hf", "openai") and not arg:
        raise ConfigError(f"backend {kind!r} needs an argument: {SPEC_HELP}")
    if kind in ("fake", "embedded") and arg:
        raise ConfigError(f"backend {kind!r} takes no argument, got {redacted_spec(spec)!r}")
    return kind, arg


def _load_class(kind: str) -> Any:          # a Backend subclass; each takes its own arguments
    module, _, name = BACKENDS[kind].partition(":")
    return getattr(importlib.import_module(module), name)


def build_backend(config: BackendConfig | str) -> Backend:
    """Build (but do not load) the backend a config names; models load on first use."""
    if isinstance(config, str):
        config = BackendConfig(spec=config)
    kind, arg = parse_spec(config.spec)
    if config.revision is not None and kind != "openai":
        raise ConfigError(f"revision names a server's weights (openai backends); {kind!r} backends are "
                          "fingerprinted by their model files already: remove revision")
    cls = _load_class(kind)
    local = {"n_ctx": config.n_ctx} if config.n_ctx else {}
    if kind == "fake":
        return cls()
    if kind == "embedded":
        return cls(**local)
    if kind == "llamacpp":
        return cls(arg, **local)
    if kind == "hf":
        return cls(arg, dtype=config.dtype, **local, **({"batch_size": config.batch_size} if config.batch_size else {}))
    match = re.match(r"^(?P<model>[^@]+)@(?P<url>https?://.+)$", arg)
    if not match:
        raise ConfigError(f"openai backend spec must be openai:MODEL@BASE_URL, got {redacted_spec(config.spec)!r}")
    return cls(match["model"], match["url"], api_key_env=config.api_key_env, concurrency=config.concurrency,
               timeout_s=config.timeout_s, max_retries=config.max_retries, chat_template=config.chat_template,
               revision=config.revision)


def redacted_spec(spec: str) -> str:
    """The spec without any URL (URLs may carry credentials): safe for manifests, logs and reports.

    >>> redacted_spec("openai:m@https://user:pw@host/v1"), redacted_spec("openai:m@user:pw@host")
    ('openai:m@<url>', 'openai:m@<url>')
    """
    if spec.startswith("openai:") and "@" in spec:
        return spec.split("@", 1)[0] + "@<url>"
    return spec


def redact_secrets(value):
    """A copy of a config (dicts, lists, strings) that is safe to write to any file: every backend spec without
    its URL (`redacted_spec`), and the credentials of any other URL removed.

    >>> redact_secrets({"models": {"spec": "openai:m@http://u:pw@h/v1"}, "root": "https://u:pw@h/data"})
    {'models': {'spec': 'openai:m@<url>'}, 'root': 'https://<credentials>@h/data'}
    """
    if isinstance(value, dict):
        return {k: redact_secrets(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_secrets(v) for v in value]
    if isinstance(value, str):
        return _URL_CREDENTIALS.sub(r"\1<credentials>@", redacted_spec(value))
    return value


_URL_CREDENTIALS = re.compile(r"([a-zA-Z][\w+.-]*://)[^/@\s]+@")

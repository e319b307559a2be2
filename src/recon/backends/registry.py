"""Backends by name: one dict of lazy "module:Class" strings (docs/design.md convention 10).

    >>> parse_spec("openai:qwen3-8b@http://127.0.0.1:8000/v1")
    ('openai', 'qwen3-8b@http://127.0.0.1:8000/v1')
    >>> build_backend(BackendConfig(spec="fake")).fingerprint.kind
    'fake'
    >>> openai_endpoint("gpt-5-mini", {})
    ('gpt-5-mini', 'https://api.openai.com/v1')
"""

from __future__ import annotations

import difflib
import importlib
import os
import re
from collections.abc import Mapping
from typing import Any

from recon.backends.base import Backend
from recon.config import BackendConfig
from recon.errors import ConfigError
from recon.redaction import redact_secrets as redact_secrets  # re-exported: configs are written in this shape
from recon.redaction import redacted_spec as redacted_spec  # re-exported: how a spec is shown

BACKENDS: dict[str, str] = {
    "fake": "recon.backends.fake:FakeBackend",
    "embedded": "recon.backends.llamacpp:LlamaCppBackend",
    "llamacpp": "recon.backends.llamacpp:LlamaCppBackend",
    "hf": "recon.backends.hf:HFBackend",
    "openai": "recon.backends.openai_http:OpenAIBackend",
}

SPEC_HELP = ("fake | embedded | llamacpp:FILE.gguf | hf:DIR_OR_GGUF | hf:ORG/NAME[@REVISION] | "
             "openai:MODEL[@BASE_URL]")
OPENAI_PUBLIC_URL = "https://api.openai.com/v1"


def openai_endpoint(arg: str, environ: Mapping[str, str] = os.environ) -> tuple[str, str]:
    """(model, base URL) of `MODEL[@URL]`: the spec's URL, else $OPENAI_BASE_URL, else the public OpenAI API."""
    match = re.match(r"^(?P<model>[^@]+)@(?P<url>https?://.+)$", arg)
    if match:
        return match["model"], match["url"]
    if "@" in arg:
        raise ConfigError("openai backend spec must be openai:MODEL or openai:MODEL@BASE_URL (http:// or https://)")
    url = environ.get("OPENAI_BASE_URL") or OPENAI_PUBLIC_URL
    if not url.startswith(("http://", "https://")):
        raise ConfigError("OPENAI_BASE_URL must start with http:// or https:// (or unset it for the OpenAI API)")
    return arg, url


def parse_spec(spec: str) -> tuple[str, str]:
    kind, _, arg = spec.partition(":")
    if kind not in BACKENDS:
        close = difflib.get_close_matches(kind, list(BACKENDS), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        # only the kind is named: the rest of a mistyped spec may be a URL with a password in any shape
        raise ConfigError(f"unknown backend {kind!r}{hint} (use {SPEC_HELP})")
    if kind in ("llamacpp", "hf", "openai") and not arg:
        raise ConfigError(f"backend {kind!r} needs an argument: {SPEC_HELP}")
    if kind in ("fake", "embedded") and arg:
        raise ConfigError(f"backend {kind!r} takes no argument (use {SPEC_HELP})")
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
    native = {"n_threads": config.n_threads, "cpu_repack": config.cpu_repack}
    if kind == "embedded":
        return cls(**local, **native)
    if kind == "llamacpp":
        return cls(arg, **local, **native)
    if kind == "hf":
        return cls(arg, dtype=config.dtype, **local, **({"batch_size": config.batch_size} if config.batch_size else {}))
    model, url = openai_endpoint(arg)
    return cls(model, url, api_key_env=config.api_key_env, concurrency=config.concurrency,
               timeout_s=config.timeout_s, max_retries=config.max_retries, chat_template=config.chat_template,
               revision=config.revision)


def check_native(config: BackendConfig) -> None:
    """For a backend that runs native code in this process (llama.cpp): load it once in a child process first
    (remembered per machine), so a crash stops recon with one line (backends/llamacpp_check.py). Others: no-op."""
    if parse_spec(config.spec)[0] in ("embedded", "llamacpp"):
        backend = build_backend(config)
        try:
            backend.preflight("generate")
        finally:
            backend.close()

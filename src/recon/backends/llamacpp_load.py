"""The one place recon loads a llama.cpp model, and how: llama.cpp's *extra buffer types* stay off unless asked.

Extra buffer types are weight layouts that llama.cpp's CPU backend picks by the host's instruction set
(repacked weights; AMX tiles on Intel CPUs that report AMX). On some hosts that report AMX the AMX path
faults (a general protection fault at `ldtilecfg`) and kills the process; with extra buffer types off,
every CPU takes the plain path. `cpu_repack=True` turns them back on, for quantisations where the faster
path matters and the host honours it.

llama-cpp-python 0.3.36 has no constructor argument for this; it reads `llama_model_default_params()` when it
loads, so `extra_buffers` sets the field there while a model loads.

    >>> with extra_buffers(False):
    ...     import llama_cpp.llama_cpp as native
    ...     native.llama_model_default_params().use_extra_bufts
    False
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

_LOADING = threading.RLock()       # the defaults are process-wide: one load at a time changes them


def has_extra_buffer_switch() -> bool:
    """Whether this llama-cpp-python can turn extra buffer types off (`llama_model_params.use_extra_bufts`)."""
    import llama_cpp.llama_cpp as native
    return any(name == "use_extra_bufts" for name, *_ in native.llama_model_params._fields_)


@contextmanager
def extra_buffers(enabled: bool) -> Iterator[None]:
    """While inside, llama.cpp models load with extra buffer types `enabled` (where the library can say)."""
    import llama_cpp.llama_cpp as native
    if not has_extra_buffer_switch():
        yield
        return
    original = native.llama_model_default_params

    def defaults():
        params = original()
        params.use_extra_bufts = enabled
        return params

    with _LOADING:
        native.llama_model_default_params = defaults
        try:
            yield
        finally:
            native.llama_model_default_params = original


def llama_kwargs(model_path: Path, *, n_ctx: int, n_threads: int, n_batch: int = 512) -> dict[str, Any]:
    """The `llama_cpp.Llama` arguments of every recon model instance.

    >>> llama_kwargs(Path("m.gguf"), n_ctx=512, n_threads=2)["n_threads_batch"]
    2
    """
    return {"model_path": str(model_path), "n_ctx": n_ctx, "n_threads": n_threads, "n_threads_batch": n_threads,
            "n_batch": n_batch, "n_ubatch": n_batch, "verbose": False}


def load_llama(model_path: Path, *, n_ctx: int, n_threads: int, n_batch: int = 512, cpu_repack: bool = False):
    """A `llama_cpp.Llama` of `model_path`; extra buffer types (repacked / AMX weights) only with `cpu_repack`."""
    from llama_cpp import Llama
    with extra_buffers(cpu_repack):
        return Llama(**llama_kwargs(model_path, n_ctx=n_ctx, n_threads=n_threads, n_batch=n_batch))

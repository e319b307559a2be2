"""`llama_cpp.server` with the load settings of recon's own llama.cpp backend: extra buffer types (repacked /
AMX weights) off unless `--cpu-repack` comes first; every other argument goes to `llama_cpp.server`.

    python -m recon.backends.llamacpp_serve --model FILE.gguf --port 8000   # add --cpu-repack for the faster path
"""

from __future__ import annotations

import runpy
import sys

from recon.backends.llamacpp_load import extra_buffers


def main() -> None:
    args = sys.argv[1:]
    cpu_repack = "--cpu-repack" in args
    sys.argv = [sys.argv[0], *(a for a in args if a != "--cpu-repack")]
    with extra_buffers(cpu_repack):
        runpy.run_module("llama_cpp.server", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()

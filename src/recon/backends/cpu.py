"""What the host CPU offers native backends: the instruction-set features that change llama.cpp's code paths,
and the physical cores a process may use (llama.cpp runs best with one thread per physical core).

    >>> info = "processor : 0\\ncore id : 0\\nflags : fpu smep avx2 amx_tile amx_int8 sse2\\n"
    >>> cpu_features(info)
    ('amx_int8', 'amx_tile', 'avx2')
    >>> physical_cores(info + "\\nprocessor : 1\\ncore id : 0\\nflags : avx2\\n", allowed={0, 1})
    1
"""

from __future__ import annotations

import os
from pathlib import Path

CPUINFO = Path("/proc/cpuinfo")
# the features llama.cpp's CPU backend picks kernels and weight layouts by (x86 families, then single flags)
FEATURE_PREFIXES = ("amx", "avx512", "avx_vnni", "avxvnni")
FEATURES = {"avx", "avx2", "fma", "f16c", "sve", "sve2", "sme", "sme2", "asimd", "asimddp", "i8mm"}


def _cpuinfo(text: str | None) -> str:
    if text is not None:
        return text
    try:
        return CPUINFO.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _processors(text: str) -> list[dict[str, str]]:
    """Each processor block of /proc/cpuinfo as {field: value}."""
    blocks: list[dict[str, str]] = []
    for chunk in text.split("\n\n"):
        fields = {}
        for line in chunk.splitlines():
            key, sep, value = line.partition(":")
            if sep:
                fields[key.strip()] = value.strip()
        if fields:
            blocks.append(fields)
    return blocks


def cpu_features(cpuinfo: str | None = None) -> tuple[str, ...]:
    """The first processor's features that llama.cpp chooses code paths by, sorted; () where unknown."""
    for block in _processors(_cpuinfo(cpuinfo)):
        flags = (block.get("flags") or block.get("Features") or "").split()
        if flags:
            return tuple(sorted({f for f in flags if f in FEATURES or f.startswith(FEATURE_PREFIXES)}))
    return ()


def physical_cores(cpuinfo: str | None = None, *, allowed: set[int] | None = None) -> int:
    """Distinct physical cores among the CPUs this process may run on (hyper-threads counted once); the
    number of those CPUs where /proc/cpuinfo does not say which core each is."""
    if allowed is None:
        allowed = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else set(range(os.cpu_count() or 1))
    cores = set()
    for block in _processors(_cpuinfo(cpuinfo)):
        try:
            cpu = int(block["processor"])
            core = (block.get("physical id", "0"), block["core id"])
        except (KeyError, ValueError):
            return max(1, len(allowed))
        if cpu in allowed:
            cores.add(core)
    return max(1, len(cores) or len(allowed))

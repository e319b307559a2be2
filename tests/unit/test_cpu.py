"""The CPU facts native backends are configured by: llama.cpp-relevant features, and physical cores among the
CPUs this process may use."""

from __future__ import annotations

from recon.backends.cpu import cpu_features, physical_cores


def cpuinfo(*cpus: tuple[int, int, int], flags: str = "fpu avx2 fma") -> str:
    """/proc/cpuinfo text of (processor, physical id, core id) entries."""
    return "\n\n".join(f"processor\t: {p}\nphysical id\t: {s}\ncore id\t\t: {c}\nflags\t\t: {flags}"
                       for p, s, c in cpus) + "\n"


def test_hyperthreads_count_once_and_sockets_apart():
    info = cpuinfo((0, 0, 0), (1, 0, 1), (2, 0, 0), (3, 0, 1), (4, 1, 0), (5, 1, 0))
    assert physical_cores(info, allowed={0, 1, 2, 3, 4, 5}) == 3


def test_only_the_cpus_this_process_may_use_count():
    info = cpuinfo((0, 0, 0), (1, 0, 1), (2, 0, 2), (3, 0, 3))
    assert physical_cores(info, allowed={1, 2}) == 2


def test_without_core_ids_every_allowed_cpu_counts():
    assert physical_cores("processor : 0\nflags : avx\n\nprocessor : 1\nflags : avx\n", allowed={0, 1}) == 2
    assert physical_cores("", allowed={0, 1, 2}) == 3


def test_features_name_amx_and_avx512_families_and_nothing_unrelated():
    info = cpuinfo((0, 0, 0), flags="fpu sse2 smep avx avx2 avx512f avx512_vnni amx_bf16 amx_tile avx_vnni fma")
    assert cpu_features(info) == ("amx_bf16", "amx_tile", "avx", "avx2", "avx512_vnni", "avx512f", "avx_vnni", "fma")


def test_arm_features_are_read_from_the_features_line():
    assert cpu_features("processor : 0\nFeatures : fp asimd sve i8mm\n") == ("asimd", "i8mm", "sve")

"""The methods × domains table over seeds: each cell is the mean ± sd (over seeds) of the method's win rate
over the baseline, from each seed's results.json.

    >>> from recon.evaluation.winrate import Comparison
    >>> per_seed = {0: [Comparison("x", "b", "overall", 0.6, None, 4, 0, 0, None)],
    ...             1: [Comparison("b", "x", "overall", 0.6, None, 4, 0, 0, None)]}
    >>> cells = seed_cells(per_seed, "b")
    >>> cells["x"]["overall"]["mean"], cells["x"]["overall"]["values"]
    (0.5, [0.6, 0.4])
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence

from recon.evaluation.grid import grid_cells, macro


def seed_cells(per_seed: dict[int, Sequence], baseline: str) -> dict[str, dict[str, dict]]:
    """{method: {scope (domain:…, individual:…, overall, macro): {mean, sd, values}}} over the seeds."""
    values: dict[str, dict[str, list[float]]] = {}
    for comparisons in per_seed.values():
        cells = grid_cells(comparisons, baseline)
        for (method, scope), cell in cells.items():
            if cell.win_rate is not None:
                values.setdefault(method, {}).setdefault(scope, []).append(cell.win_rate)
        for method in {m for m, _ in cells}:
            m = macro(cells, method)
            if m is not None:
                values.setdefault(method, {}).setdefault("macro", []).append(round(m, 6))
    return {method: {scope: {"mean": round(statistics.fmean(v), 6),
                             "sd": round(statistics.stdev(v), 6) if len(v) > 1 else 0.0, "values": v}
                     for scope, v in scopes.items()}
            for method, scopes in values.items()}


def _text(cell: dict | None) -> str:
    if not cell:
        return "–"
    return f"{100 * cell['mean']:.1f} ± {100 * cell['sd']:.1f}"


def seed_tables(cells: dict[str, dict[str, dict]], methods: Sequence[str], baseline: str
                ) -> tuple[list[list[str]], list[list[str]]]:
    """(methods × domains, methods × individuals) with mean ± sd cells, header rows first."""
    rows = [m for m in methods if m in cells]
    scopes = sorted({s for m in rows for s in cells[m]})
    domains = [s for s in scopes if s.startswith("domain:")]
    people = [s for s in scopes if s.startswith("individual:")]
    by_domain = [[f"vs {baseline}"] + [d.split(":", 1)[1] for d in domains] + ["overall", "macro"]] + [
        [m] + [_text(cells[m].get(s)) for s in [*domains, "overall", "macro"]] for m in rows]
    by_person = [[f"vs {baseline}"] + [p.split(":", 1)[1] for p in people]] + [
        [m] + [_text(cells[m].get(p)) for p in people] for m in rows]
    return by_domain, by_person

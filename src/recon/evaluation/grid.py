"""The paper's table: methods × domains. Each row is a method judged against one baseline (`report.baseline`
of the run, default backward); columns are the domains, `overall` (pooled over every test pair) and `macro`
(the mean of the per-individual win rates); a cell is the win rate with its 95% interval. The same per
individual (its figure: `report_figures.py`).

    >>> baseline_pairs(["none", "backward", "recon-select"], [("recon-select", "backward")], "backward")
    [('none', 'backward')]
    >>> from recon.evaluation.winrate import Comparison
    >>> rows = [Comparison("backward", "none", "domain:x", 0.75, (0.5, 1.0), 8, 0, 0, None)]
    >>> cell = grid_cells(rows, "backward")[("none", "domain:x")]
    >>> cell.win_rate, cell.ci
    (0.25, (0.0, 0.5))
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


def baseline_pairs(methods: Sequence[str], compare: Sequence[tuple[str, str]], baseline: str) -> list[tuple[str, str]]:
    """(method, baseline) for every method not already compared with the baseline in either order."""
    if baseline not in methods:
        return []
    listed = {frozenset(p) for p in compare}
    return [(m, baseline) for m in methods if m != baseline and frozenset((m, baseline)) not in listed]


@dataclass(frozen=True)
class Cell:
    win_rate: float | None
    ci: tuple[float, float] | None      # the conversation interval, else the (optimistic) pair interval
    optimistic: bool = False
    n: int = 0


def grid_cells(comparisons: Sequence, baseline: str) -> dict[tuple[str, str], Cell]:
    """{(method, scope): its win rate over the baseline}, from comparisons in either order (B over A is
    1 − A over B: failures and ties count symmetrically)."""
    cells = {}
    for c in comparisons:
        if baseline not in (c.a, c.b) or c.a == c.b:
            continue
        ci, optimistic = (c.ci, False) if c.ci else (c.ci_pairs, bool(c.ci_pairs))
        if c.a == baseline:
            method = c.b
            rate = None if c.win_rate is None else round(1.0 - c.win_rate, 6)
            ci = (round(1.0 - ci[1], 6), round(1.0 - ci[0], 6)) if ci else None
        else:
            method, rate = c.a, c.win_rate
        key = (method, c.scope)
        if key not in cells or c.a != baseline:          # prefer the method-first comparison
            cells[key] = Cell(rate, ci, optimistic, c.n)
    return cells


def macro(cells: dict[tuple[str, str], Cell], method: str) -> float | None:
    """The mean of the method's per-individual win rates."""
    rates = [c.win_rate for (m, scope), c in cells.items()
             if m == method and scope.startswith("individual:") and c.win_rate is not None]
    return sum(rates) / len(rates) if rates else None


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f}"


def cell_text(cell: Cell | None) -> str:
    """'54.7 [48.1–61.2]' (an interval marked * when it resamples pairs only)."""
    if cell is None or cell.win_rate is None:
        return "–"
    if not cell.ci:
        return _pct(cell.win_rate)
    return f"{_pct(cell.win_rate)} [{_pct(cell.ci[0])}–{_pct(cell.ci[1])}]{'*' if cell.optimistic else ''}"


def grid_tables(comparisons: Sequence, methods: Sequence[str], baseline: str
                ) -> tuple[list[list[str]], list[list[str]]]:
    """(methods × domains table, methods × individuals table), header rows first; empty without the baseline."""
    cells = grid_cells(comparisons, baseline)
    rows = [m for m in methods if m != baseline and any(k[0] == m for k in cells)]
    if not rows:
        return [], []
    scopes = sorted({s for (_, s) in cells})
    domains = [s for s in scopes if s.startswith("domain:")]
    people = [s for s in scopes if s.startswith("individual:")]
    head = [f"vs {baseline}"] + [d.split(":", 1)[1] for d in domains] + ["overall", "macro"]
    by_domain = [head] + [[m] + [cell_text(cells.get((m, d))) for d in domains] + [cell_text(cells.get((m, "overall"))),
                                                                                     _pct(macro(cells, m))]
                          for m in rows]
    by_person = [[f"vs {baseline}"] + [p.split(":", 1)[1] for p in people]] + [
        [m] + [cell_text(cells.get((m, p))) for p in people] for m in rows]
    return by_domain, by_person


GRID_NOTE = ("Win rate (%) of each method over {baseline} per domain, pooled over every test pair (overall) and "
             "averaged over individuals (macro), with 95% intervals that resample conversations (* : resampling "
             "pairs, fewer than 5 conversations, optimistic).")


def grid_setup_sentences(setup: dict) -> list[str]:
    """The report's sentences on the GRPO policies and on methods allowed to use the judge's function.

    >>> grid_setup_sentences({"allow_signal_equals_judge": True, "signal_equals_judge": ["e2e-grpo: cosine"]})[0][:40]
    'allow_signal_equals_judge is set: e2e-gr'
    """
    lines = []
    if setup.get("signal_equals_judge") and setup.get("allow_signal_equals_judge"):
        lines.append("allow_signal_equals_judge is set: " + "; ".join(setup["signal_equals_judge"]) +
                     ". Their win rates measure the quantity they were trained or selected on.")
    grpo = setup.get("grpo")
    if grpo:
        text = (f"GRPO: both policies start from {grpo.get('model')} (LoRA {'on' if grpo.get('lora') else 'off'}) "
                f"with the same budget, {grpo.get('max_steps')} steps of {grpo.get('num_generations')} generations "
                f"per prompt, on the same training pairs")
        for reward, p in (grpo.get("policies") or {}).items():
            head = p.get("head", 5)
            text += (f"; {reward}: {p.get('steps')} steps on {p.get('training_pairs')} pairs (ids "
                     f"{p.get('train_pair_ids_hash')}), {p.get('seconds_per_step')} s/step, mean reward "
                     f"{p.get('reward_first')} (first {head} steps) → {p.get('reward_last')} (last {head})")
            if p.get("steps") and p.get("no_signal_steps") == p.get("steps"):
                text += (" — every group's rewards were equal in every step: no learning signal, the policy is "
                         "its starting model")
        reward = (grpo.get("e2e") or {}).get("reward")
        lines.append(text + f". Recon-GRPO's reward: reconstruction by {(grpo.get('recon') or {}).get('scorer')}; "
                     f"E2E-GRPO's: {reward} on the action, and its policy is the user model itself.")
    return lines

"""The report's figures, each with a caption, written as PNG (embedded in report.html), PDF and SVG (for a
paper) under `plots/`. One style for all: percentages on every rate axis, 95% intervals as error bars, the
50% line dashed, legends outside the data, and a value that does not apply drawn as a labelled gap ("n/a"),
never as 0.

    >>> RATE_KEYS
    ('loop_rate', 'leakage_rate', 'candidate_leakage_rate')
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from recon.evaluation.grid import grid_cells

RATE_KEYS = ("loop_rate", "leakage_rate", "candidate_leakage_rate")
METHOD_PANELS = (("length_ratio", "length ratio (predicted / true words)"), ("loop_rate", "loop rate (%)"),
                 ("leakage_rate", "leakage, kept traces (%)"),
                 ("candidate_leakage_rate", "leakage, all candidates (%)"), ("seconds_per_pair", "synthesis s / pair"))
FORMATS = ("png", "pdf", "svg")


@dataclass(frozen=True)
class Figure:
    name: str                   # file stem under plots/
    caption: str
    files: dict[str, bytes]     # format → bytes


def _interval(c) -> tuple[float, float]:
    return c.ci or c.ci_pairs or (c.win_rate, c.win_rate)


def _pyplot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def _legend_outside(ax) -> None:
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0, frameon=False)


def _rendered(name: str, caption: str, fig) -> Figure:
    plt = _pyplot()
    files = {}
    for fmt in FORMATS:
        buf = io.BytesIO()
        fig.savefig(buf, format=fmt, dpi=150, bbox_inches="tight", metadata={"Date": None} if fmt == "svg" else None)
        files[fmt] = buf.getvalue()
    plt.close(fig)
    return Figure(name, caption, files)


def _bars(ax, groups: Sequence[str], series: Sequence[tuple[str, list]]) -> None:
    """Grouped bars of win rates (%) with intervals; `series` is (label, [comparison or None per group])."""
    width = 0.8 / max(1, len(series))
    for k, (label, cells) in enumerate(series):
        xs, ys, lo, hi = [], [], [], []
        for i, c in enumerate(cells):
            if c is None or c.win_rate is None:
                continue
            low, high = c.ci or (c.win_rate, c.win_rate)
            xs.append(i + k * width)
            ys.append(100 * c.win_rate)
            lo.append(max(0.0, 100 * (c.win_rate - low)))
            hi.append(max(0.0, 100 * (high - c.win_rate)))
        ax.bar(xs, ys, width, yerr=[lo, hi], capsize=3, label=label)
    ax.set_xticks([i + width * (len(series) - 1) / 2 for i in range(len(groups))])
    ax.set_xticklabels(groups, rotation=15)
    ax.axhline(50, color="grey", linestyle="--", linewidth=1)
    ax.set_ylim(0, 100)


def grid_figure(comparisons: Sequence, methods: Sequence[str], baseline: str) -> Figure | None:
    """The main figure: each method's win rate over the baseline per domain and overall."""
    cells = grid_cells(comparisons, baseline)
    rows = [m for m in methods if m != baseline and any(k[0] == m for k in cells)]
    if not rows:
        return None
    scopes = sorted({s for (_, s) in cells if s.startswith("domain:")}) + ["overall"]
    fig, ax = _pyplot().subplots(figsize=(max(6, 1.5 * len(scopes)), 3.8))
    _bars(ax, [s.split(":", 1)[-1] for s in scopes], [(m, [cells.get((m, s)) for s in scopes]) for m in rows])
    ax.set_ylabel(f"win rate over {baseline} (%)")
    _legend_outside(ax)
    return _rendered("methods_by_domain", f"Win rate (%) of each method over {baseline} per domain and over every "
                     "test pair, with 95% intervals; the dashed line is parity (50%).", fig)


def overall_figure(comparisons: Sequence) -> Figure | None:
    overall = [c for c in comparisons if c.scope == "overall" and c.win_rate is not None]
    if not overall:
        return None
    fig, ax = _pyplot().subplots(figsize=(7, 0.6 * len(overall) + 1.2))
    rates = [100 * c.win_rate for c in overall]
    errs = [[max(0.0, 100 * (c.win_rate - _interval(c)[0])) for c in overall],
            [max(0.0, 100 * (_interval(c)[1] - c.win_rate)) for c in overall]]
    ax.barh([f"{c.a} vs {c.b}" for c in overall], rates, xerr=errs, color="#4c72b0", capsize=4,
            label="win rate (95% interval)")
    lcs = [(i, 100 * c.lc_win_rate) for i, c in enumerate(overall) if c.lc_win_rate is not None]
    if lcs:
        ax.scatter([v for _, v in lcs], [i for i, _ in lcs], color="#dd8452", zorder=3, label="length-controlled")
    ax.axvline(50, color="grey", linestyle="--", linewidth=1)
    ax.set_xlim(0, 100)
    ax.set_xlabel("win rate of the first method (%)")
    _legend_outside(ax)
    return _rendered("winrates_overall", "Win rate (%) of the first method of each comparison over every test "
                     "pair, with 95% intervals; dots: the length-controlled rate.", fig)


def by_domain_figure(comparisons: Sequence) -> Figure | None:
    domains = sorted({c.scope for c in comparisons if c.scope.startswith("domain:") and c.win_rate is not None})
    pairs = sorted({(c.a, c.b) for c in comparisons if c.scope == "overall" and c.win_rate is not None})
    if not domains or not pairs:
        return None
    fig, ax = _pyplot().subplots(figsize=(max(6, 1.6 * len(domains)), 3.6))
    series = []
    for a, b in pairs:
        rows = {c.scope: c for c in comparisons if (c.a, c.b) == (a, b)}
        series.append((f"{a} vs {b}", [rows.get(d) for d in domains]))
    _bars(ax, [d.split(":", 1)[1] for d in domains], series)
    ax.set_ylabel("win rate (%)")
    _legend_outside(ax)
    return _rendered("winrates_by_domain", "Win rate (%) of the first method of each comparison per domain, "
                     "with 95% intervals.", fig)


def methods_figure(methods: dict[str, dict]) -> Figure | None:
    """One panel per figure that some method has; rates in %, and "n/a" where a figure does not apply."""
    names = list(methods)
    panels = [(k, t) for k, t in METHOD_PANELS if any(methods[m].get(k) is not None for m in names)]
    if not names or not panels:
        return None
    fig, axes = _pyplot().subplots(1, len(panels), figsize=(3.2 * len(panels), 3.2), squeeze=False,
                                   layout="constrained")
    for ax, (key, title) in zip(axes[0], panels, strict=True):
        scale = 100.0 if key in RATE_KEYS else 1.0
        values = [methods[m].get(key) for m in names]
        shown = [scale * v for v in values if v is not None]
        top = max(shown + [0.0])
        ax.set_ylim(0, (top or (100.0 if key in RATE_KEYS else 1.0)) * 1.2)
        ax.bar([i for i, v in enumerate(values) if v is not None], shown, color="#55a868")
        for i, v in enumerate(values):
            if v is None:
                ax.text(i, 0, "n/a", ha="center", va="bottom", fontsize=8, color="grey")
        ax.set_xticks(range(len(names)))
        ax.set_xticklabels(names, rotation=30, ha="right", fontsize=8)
        ax.set_title(title, fontsize=9)
        ax.tick_params(axis="y", labelsize=8)
    return _rendered("methods", "Per method: prediction length over true length, loop rate, leakage of the "
                     "kept traces and of all candidates (%), and synthesis seconds per pair; n/a: the figure does "
                     "not apply to the method.", fig)


def report_figures(comparisons: Sequence, methods: dict[str, dict], baseline: str) -> list[Figure]:
    """Every figure of the report, the main one (methods × domains) first."""
    made = [grid_figure(comparisons, list(methods), baseline), overall_figure(comparisons),
            by_domain_figure(comparisons), methods_figure(methods)]
    return [f for f in made if f is not None]

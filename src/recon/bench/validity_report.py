"""The scorer-validity report: a table per scorer (shared with `recon bench run`'s bench.md and the CLI),
mean scores per candidate kind, the leak control, and a plot of the accuracies against chance.

    >>> s = {"pairs": 2, "pairwise": {k: {"rate": 0.75, "ci": [0.5, 1.0]} for k in RIVALS},
    ...      "top1": {"rate": 0.5, "ci": [0.0, 1.0], "chance": 0.25}, "leak": {"caught": 2, "of": 2},
    ...      "gap_distractor": {"mean": 0.1234, "ci": [0.0, 0.2], "n": 2}}
    >>> table_rows({"likelihood": s})[0][:3]
    ['likelihood', '2', '75% [50–100]']
"""

from __future__ import annotations

import io
from pathlib import Path

from recon.atomicio import atomic_writer
from recon.bench.candidates import KIND_LABELS, KINDS
from recon.bench.validity_metrics import RIVALS

COLUMNS = ["scorer", "pairs"] + [f"cause > {KIND_LABELS[k]}" for k in RIVALS] + \
    ["cause ranked first (chance 25%)", "gap cause − distractor", "leaks caught"]


def _pct(figure: dict) -> str:
    if figure["rate"] is None:
        return "–"
    lo, hi = figure["ci"]
    return f"{100 * figure['rate']:.0f}% [{100 * lo:.0f}–{100 * hi:.0f}]"


def _gap(figure: dict) -> str:
    if figure["mean"] is None:
        return "–"
    lo, hi = figure["ci"]
    return f"{figure['mean']:+.3f} [{lo:+.3f}, {hi:+.3f}]"


def table_rows(summaries: dict[str, dict]) -> list[list[str]]:
    return [[name, str(s["pairs"])] + [_pct(s["pairwise"][k]) for k in RIVALS] +
            [_pct(s["top1"]), _gap(s["gap_distractor"]), f"{s['leak']['caught']}/{s['leak']['of']}"]
            for name, s in summaries.items()]


def validity_table(summaries: dict[str, dict]) -> list[str]:
    """The table as Markdown lines (95% bootstrap intervals over pairs in brackets)."""
    return ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)] + \
        ["| " + " | ".join(row) + " |" for row in table_rows(summaries)]


def _score(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def validity_plot(summaries: dict[str, dict]) -> bytes:
    """Pairwise accuracies (chance ½) and top-1 (chance ¼) per scorer with 95% intervals, as a PNG."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    names = list(summaries)
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6), gridspec_kw={"width_ratios": [3, 1.4]})
    width = 0.8 / len(RIVALS)
    for j, kind in enumerate(RIVALS):
        xs, ys = [], []
        errs: list[list[float]] = [[], []]
        for i, name in enumerate(names):
            fig_ = summaries[name]["pairwise"][kind]
            if fig_["rate"] is None:
                continue
            xs.append(i + j * width)
            ys.append(100 * fig_["rate"])
            errs[0].append(100 * (fig_["rate"] - fig_["ci"][0]))
            errs[1].append(100 * (fig_["ci"][1] - fig_["rate"]))
        left.bar(xs, ys, width, yerr=errs, capsize=3, label=f"cause > {KIND_LABELS[kind]}")
    left.set_xticks([i + width * (len(RIVALS) - 1) / 2 for i in range(len(names))])
    left.set_xticklabels(names)
    left.axhline(50, color="grey", linestyle="--", linewidth=1)
    left.set_ylim(0, 100)
    left.set_ylabel("pairwise accuracy (%)")
    left.legend(fontsize=8, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=len(RIVALS), frameon=False)
    tops = [summaries[n]["top1"] for n in names]
    rates = [100 * (t["rate"] or 0) for t in tops]
    errs = [[100 * ((t["rate"] or 0) - t["ci"][0]) if t["ci"] else 0 for t in tops],
            [100 * (t["ci"][1] - (t["rate"] or 0)) if t["ci"] else 0 for t in tops]]
    right.bar(names, rates, yerr=errs, capsize=3, color="#55a868")
    right.axhline(25, color="grey", linestyle="--", linewidth=1)
    right.set_ylim(0, 100)
    right.set_ylabel("cause ranked first (%)")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def _notes(summaries: dict[str, dict]) -> list[str]:
    lines = []
    for name, s in summaries.items():
        leak = s["leak"]
        missed = leak["of"] - leak["caught"]
        guard = (f"the leakage guard caught every leak ({leak['caught']} of {leak['of']})" if not missed else
                 f"the leakage guard **missed {missed} of {leak['of']} leaks**")
        outscored = "–" if leak["outscores_cause"] is None else f"{100 * leak['outscores_cause']:.0f}%"
        lines.append(f"- {name}: {guard}; a leak would have outscored the cause in {outscored} of pairs; "
                     f"honest candidates flagged as leaking: {s['honest_flagged']}; invalid pairs: {s['invalid']}; "
                     f"incomplete pairs (backend errors, retried by a re-run): {s['incomplete']}; "
                     f"{s['cost']['seconds_per_pair']} s/pair, {s['cost']['backend_calls']} backend calls.")
    return lines


def validity_markdown(summaries: dict[str, dict], info: dict) -> str:
    lines = ["# Scorer validity on the known-latent benchmark", "",
             f"{info['pairs']} pairs; reconstructor `{info['reconstructor']['spec']}`"
             + (f", judge `{info['judge']['spec']}`" if info.get("judge") else "") + f"; seed {info['seed']}.",
             "Per pair, fixed candidates: the true cause, a distractor factor, the cause with the wrong direction, "
             "a generic trace (all but the wrong direction state the member's true stance), and a leak control "
             "quoting the action (never ranked). Pairwise accuracy counts a tie as ½; top-1 counts a k-way tie "
             "for first as 1/k. 95% bootstrap intervals over pairs in brackets.", "",
             *validity_table(summaries), "", "![validity](plots/validity.png)", "",
             "Mean score per candidate kind:", "",
             "| scorer | " + " | ".join(KIND_LABELS[k] for k in KINDS) + " |", "|---|" + "---|" * len(KINDS)]
    lines += [f"| {name} | " + " | ".join(_score(s["mean_score"][k]) for k in KINDS) + " |"
              for name, s in summaries.items()]
    lines += ["", "Leak control and failures:", "", *_notes(summaries), ""]
    return "\n".join(lines)


def write_validity_report(out: Path, summaries: dict[str, dict], info: dict) -> Path:
    (out / "plots").mkdir(parents=True, exist_ok=True)
    with atomic_writer(out / "plots" / "validity.png", "wb") as f:
        f.write(validity_plot(summaries))
    with atomic_writer(out / "report.md") as f:
        f.write(validity_markdown(summaries, info))
    return out / "report.md"

"""The methods × domains and methods × individuals tables as files a paper takes: `tables/NAME.csv` (one row
per method and column, numbers in %) and `tables/NAME.tex` (booktabs; the best method per column in bold;
cells as `54.7 [50.1–59.2]`; a caption naming the judge, the baseline and n).

    >>> tex_escape("cmv_op & 50%")
    'cmv\\\\_op \\\\& 50\\\\%'
    >>> from recon.evaluation.grid import Cell
    >>> tex_cell(Cell(0.547, (0.501, 0.592), n=40), best=True)
    '\\\\textbf{54.7} [50.1--59.2]'
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from recon.atomicio import atomic_writer
from recon.evaluation.grid import Cell, grid_cells, macro

_TEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
                "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def tex_escape(text: str) -> str:
    """Text as LaTeX prints it literally."""
    return "".join(_TEX_SPECIAL.get(ch, ch) for ch in text)


def _pct(x: float) -> str:
    return f"{100 * x:.1f}"


def tex_cell(cell: Cell | None, *, best: bool = False) -> str:
    """'54.7 [50.1–59.2]' in LaTeX (the rate in bold when it is the column's best; * marks a pair interval)."""
    if cell is None or cell.win_rate is None:
        return "n/a"
    rate = _pct(cell.win_rate)
    rate = rf"\textbf{{{rate}}}" if best else rate
    if not cell.ci:
        return rate
    return f"{rate} [{_pct(cell.ci[0])}--{_pct(cell.ci[1])}]{'*' if cell.optimistic else ''}"


@dataclass(frozen=True)
class PaperTable:
    name: str                   # methods_by_domain | methods_by_individual
    columns: list[str]          # scopes: domain:X / individual:X, then overall
    methods: list[str]
    cells: dict[tuple[str, str], Cell]


def paper_tables(comparisons: Sequence, methods: Sequence[str], baseline: str) -> list[PaperTable]:
    """Both tables (empty list without the baseline among the compared methods)."""
    cells = grid_cells(comparisons, baseline)
    rows = [m for m in methods if m != baseline and any(k[0] == m for k in cells)]
    if not rows:
        return []
    scopes = sorted({s for (_, s) in cells})
    domains = [s for s in scopes if s.startswith("domain:")] + ["overall"]
    people = [s for s in scopes if s.startswith("individual:")]
    return [PaperTable("methods_by_domain", domains, rows, cells),
            PaperTable("methods_by_individual", people, rows, cells)]


def _label(scope: str) -> str:
    return scope.split(":", 1)[-1]


def table_csv(table: PaperTable, baseline: str) -> str:
    """One row per (method, column): the rate and interval in %, n, and what the interval resamples."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["method", "baseline", "column", "win_rate", "ci_low", "ci_high", "n", "interval"])
    for m in table.methods:
        for scope in table.columns:
            c = table.cells.get((m, scope))
            if c is None:
                continue
            rate = "" if c.win_rate is None else _pct(c.win_rate)
            lo, hi = (_pct(c.ci[0]), _pct(c.ci[1])) if c.ci else ("", "")
            kind = "" if not c.ci else "pairs" if c.optimistic else "conversations"
            w.writerow([m, baseline, _label(scope), rate, lo, hi, c.n, kind])
        if table.name == "methods_by_domain":
            rate = macro(table.cells, m)
            w.writerow([m, baseline, "macro", "" if rate is None else _pct(rate), "", "", "", ""])
    return buf.getvalue()


def table_tex(table: PaperTable, baseline: str, judge: str) -> str:
    """A booktabs table; the best rate of each column in bold."""
    best = {}
    for scope in table.columns:
        rates = [(table.cells[(m, scope)].win_rate, m) for m in table.methods
                 if (m, scope) in table.cells and table.cells[(m, scope)].win_rate is not None]
        if rates:
            best[scope] = max(rates)[1]
    overall = [table.cells[(m, "overall")].n for m in table.methods if (m, "overall") in table.cells]
    n = max(overall) if overall else max((c.n for c in table.cells.values()), default=0)
    what = "domain" if table.name == "methods_by_domain" else "individual"
    caption = (f"Win rate (\\%) of each method over {tex_escape(baseline)} per {what}, judged by "
               f"{tex_escape(judge)}; n = {n} test pairs overall. Brackets: 95\\% interval resampling "
               "conversations (* resampling pairs). Best per column in bold.")
    lines = [r"\begin{table}[t]", r"\centering", r"\small",
             r"\begin{tabular}{l" + "c" * len(table.columns) + "}", r"\toprule",
             " & ".join(["Method"] + [tex_escape(_label(s)) for s in table.columns]) + r" \\", r"\midrule"]
    for m in table.methods:
        cells = [tex_cell(table.cells.get((m, s)), best=best.get(s) == m) for s in table.columns]
        lines.append(" & ".join([tex_escape(m)] + cells) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}", rf"\caption{{{caption}}}",
              rf"\label{{tab:recon-{table.name.replace('_', '-')}}}", r"\end{table}", ""]
    return "\n".join(lines)


def write_paper_tables(comparisons: Sequence, methods: Sequence[str], baseline: str, judge: str,
                       folder: Path) -> list[Path]:
    """tables/NAME.csv and tables/NAME.tex for both tables; the paths written."""
    written = []
    tables = paper_tables(comparisons, methods, baseline)
    if tables:
        folder.mkdir(parents=True, exist_ok=True)
    for table in tables:
        for suffix, text in ((".csv", table_csv(table, baseline)), (".tex", table_tex(table, baseline, judge))):
            path = folder / f"{table.name}{suffix}"
            with atomic_writer(path) as f:
                f.write(text)
            written.append(path)
    return written

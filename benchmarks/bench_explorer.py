"""How the run explorer copes with a large run: a synthetic run folder of 5,000 training and 5,000 test pairs
(4 candidates each, five methods), written with `recon view`, then opened in Debian's chromium. Prints the
page's size, the time to write it, and in the browser the time to first list, to filter, and to open a pair.

    .venv/bin/python benchmarks/bench_explorer.py [--pairs 5000] [--candidates 4]
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

from recon.run.explorer_page import write_explorer

METHODS = ["none", "backward", "recon-select", "random-of-n", "longest-of-n"]
WORDS = ("the council weighs the cost of the library against the hours it stays open and the budget of the "
         "coming year while residents ask for more").split()


def text(i: int, n: int) -> str:
    return " ".join(WORDS[(i + k) % len(WORDS)] for k in range(n))


def pair(i: int, split: str) -> dict:
    return {"id": f"{split}:{i}", "domain": f"domain{i % 4}", "individual": f"person{i % 8}",
            "conversation_id": f"{split}-c{i // 10}", "turn_index": i % 10, "meta": {},
            "context": [{"speaker": f"S{t}", "text": text(i + t, 40)} for t in range(6)], "action": text(i, 60)}


def write_run(folder: Path, pairs: int, candidates: int) -> None:
    for sub in ("data", "traces", "preds", "eval"):
        (folder / sub).mkdir(parents=True)
    for split in ("train", "test"):
        (folder / "data" / f"{split}.jsonl").write_text("".join(json.dumps(pair(i, split)) + "\n"
                                                               for i in range(pairs)))
    leak = {"overlap": 0.05, "leaking": False}
    for m in METHODS[1:]:
        rows = []
        for i in range(pairs):
            rec = {"id": f"train:{i}", "method": m, "reasoning": text(i, 50), "leakage": leak,
                   "selected_index": i % candidates if m != "backward" else None,
                   "scorer": {"recon-select": "likelihood", "random-of-n": "random", "longest-of-n": "length"}.get(m)}
            if m != "backward":
                rec["candidates"] = [{"reasoning": text(i + c, 50), "reconstruction": text(i + c, 30),
                                      "score": -c * 0.1, "leakage": leak} for c in range(candidates)]
            rows.append(json.dumps(rec) + "\n")
        (folder / "traces" / f"{m}.jsonl").write_text("".join(rows))
    for m in METHODS:
        (folder / "preds" / f"{m}.jsonl").write_text("".join(json.dumps(
            {"id": f"test:{i}", "reasoning": text(i, 40), "action": text(i, 40), "error": None}) + "\n"
            for i in range(pairs)))
    (folder / "eval" / "judgments.jsonl").write_text("".join(json.dumps(
        {"id": f"test:{i}", "a": m, "b": "backward", "p_a": 0.6, "verdict": "a"}) + "\n"
        for i in range(pairs) for m in METHODS if m != "backward"))
    (folder / "results.json").write_text(json.dumps({"methods": {m: {} for m in METHODS}, "setup": {}}))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pairs", type=int, default=5000)
    ap.add_argument("--candidates", type=int, default=4)
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp()) / "run"
    write_run(folder, args.pairs, args.candidates)
    t0 = time.perf_counter()
    page = write_explorer(folder)
    written = time.perf_counter() - t0
    print(f"{args.pairs} training + {args.pairs} test pairs, {args.candidates} candidates: "
          f"view.html {page.stat().st_size / 1e6:.1f} MB, written in {written:.1f} s")
    chromium = shutil.which("chromium")
    if chromium is None:
        print("no chromium: browser timings skipped")
        return
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        tab = browser.new_page()
        t0 = time.perf_counter()
        tab.goto(page.as_uri())
        tab.wait_for_selector(".item")
        loaded = time.perf_counter() - t0
        t0 = time.perf_counter()
        tab.fill("#search", "council weighs")
        filtered = time.perf_counter() - t0
        t0 = time.perf_counter()
        tab.click(".tab[data-tab=train]")
        tab.click(".item")
        tab.wait_for_selector("tr.kept")
        opened = time.perf_counter() - t0
        browser.close()
    print(f"chromium: first list {loaded:.2f} s, search over all pairs {filtered:.2f} s, "
          f"switch to training pairs and open one {opened:.2f} s")


if __name__ == "__main__":
    main()

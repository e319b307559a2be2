"""`recon demo` (what `make demo` runs): backward, forward and recon-select (likelihood, N=4) synthesis with
the embedded model on a few real pairs, the cost table, and one example shown side by side.

For now the demo reads the shared development corpora (../shared/data, or $RECON_DEMO_DATA); the
project's own generated demo corpus replaces them once the known-latent benchmark lands.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from recon.cli.output import console, progress_bar
from recon.cli.synthesize_cmd import print_summaries
from recon.config import BackendConfig, ReconSelectConfig, SynthesisConfig
from recon.data.corpus import load_examples
from recon.errors import ConfigError
from recon.store.calls import new_run_id
from recon.store.db import Database
from recon.synthesis import render_context
from recon.synthesis_job import run_recon_select, run_synthesis

DEMO_FILE = "scotus_oral_argument/elena_kagan.jsonl"


def find_demo_data() -> Path:
    candidates = [os.environ.get("RECON_DEMO_DATA"), "../shared/data", "shared/data"]
    for c in candidates:
        if c and (Path(c) / DEMO_FILE).is_file():
            return Path(c) / DEMO_FILE
    raise ConfigError(f"the demo needs the shared development data ({DEMO_FILE}); set RECON_DEMO_DATA to the "
                      "folder that holds it")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="the main job on the embedded defaults (a few pairs, a few minutes)")
    p.add_argument("--pairs", type=int, default=4)
    p.add_argument("--model", default="embedded")
    p.add_argument("--out", type=Path, default=Path("runs/demo"))
    p.set_defaults(func=cmd_demo)


def cmd_demo(args: argparse.Namespace) -> int:
    if args.pairs < 1:
        raise ConfigError("--pairs must be >= 1")
    path = find_demo_data()
    examples = load_examples([path])[:args.pairs]
    db, run = Database(), new_run_id()
    results = []
    for method in ("backward", "forward"):
        with progress_bar(f"{method} synthesis", len(examples)) as advance:
            summary, _ = run_synthesis(examples, BackendConfig(spec=args.model), SynthesisConfig(method=method),
                                       out=args.out / f"traces_{method}.jsonl", db=db, run=run,
                                       on_progress=advance, inputs=[str(path)])
            results.append(summary)
    select = ReconSelectConfig(n=4, scorer="likelihood")
    with progress_bar("recon-select (likelihood, n=4)", len(examples)) as advance:
        results.append(run_recon_select(examples, select, synthesizer=BackendConfig(spec=args.model),
                                        reconstructor=BackendConfig(spec=args.model), judge=None,
                                        out=args.out / "traces_recon-select.jsonl", db=db, run=run,
                                        on_progress=advance, inputs=[str(path)]))
    print_summaries("synthesis", results)
    first = examples[0]
    traces = {r.method: next(rec for rec in map(json.loads, r.out.read_text(encoding="utf-8").splitlines())
                             if rec["id"] == first.id) for r in results}
    console.rule(f"{first.individual} — {first.id}")
    console.print("[bold]context (tail)[/bold]\n" + render_context(first, max_turns=2, max_turn_chars=300))
    console.print(f"[bold]true action[/bold]\n{first.action[:400]}")
    for method, trace in traces.items():
        note = ""
        if method == "recon-select":
            scores = ", ".join(f"{c['score']:+.3f}" for c in trace["candidates"] if c["score"] is not None)
            note = f" (candidate {trace['selected_index']} of information gains {scores} nats/token)"
        leak = " [leaking]" if (trace.get("leakage") or {}).get("leaking") else ""
        text = trace["reasoning"] if trace["reasoning"] is not None else f"(none: {trace.get('invalid')})"
        console.print(f"[bold]{method} trace{note}{leak}[/bold]\n{text}")
    console.print(f"\ntraces and manifests in {args.out}/ (run {run}; `recon logs --run {run}` lists its calls)")
    return 0

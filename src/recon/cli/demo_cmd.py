"""`recon demo` (what `make demo` runs): the whole experiment on the embedded stack, on a corpus the
project generates itself (the known-latent benchmark's council members): methods none / backward /
recon-select (likelihood) and its controls random-of-n and longest-of-n (the same N candidates picked
without the score), ICL user models, the MiniLM judge. Prints the win rates, what each method cost,
how often each method's traces name the true cause, and the report path. examples/demo.yaml is the same
run as a config file.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from recon.cli.args import add_out, renamed
from recon.cli.output import console, progress_bar
from recon.methods import method_spec

DEMO_SIZE = {"individuals": 4, "pairs": 9, "seed": 0, "test_fraction": 1 / 3}


def demo_config(model: str, out: Path):
    from recon.config import RunConfig
    return RunConfig.model_validate({
        "name": "demo", "data": {"train": ["train.jsonl"], "test": ["test.jsonl"]},
        "models": {"synthesizer": model, "user_model": model, "judge": "embedding"},
        "methods": ["none", "backward", "recon-select", "random-of-n", "longest-of-n"],
        "recon_select": {"n": 4, "scorer": "likelihood"}, "user_model": {"kind": "icl", "k": 3},
        "compare": [["recon-select", "backward"], ["recon-select", "none"], ["backward", "none"],
                    ["recon-select", "random-of-n"], ["recon-select", "longest-of-n"]],
        "out": str(out)})


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="the main job on the embedded defaults (a generated corpus, a few minutes)")
    p.add_argument("--model", default="embedded", metavar="SPEC", help="LM backend for every role")
    add_out(p, "folder", "the run folder", default=Path("runs/demo"))
    p.add_argument("--corpus", type=Path, default=Path("runs/demo-data"), metavar="FOLDER",
                   help="where the generated corpus goes (reused when it is there)")
    renamed(p, "--data", "--corpus", "--data names input pairs in every other command")
    p.set_defaults(func=cmd_demo)


def cmd_demo(args: argparse.Namespace) -> int:
    from recon.bench.corpus_files import ensure_corpus
    from recon.bench.recovery import recovery_table
    from recon.cli.bench_cmd import recovery_rows_table
    from recon.cli.run_cmd import print_methods, print_stages, print_winrates
    from recon.data.corpus import load_examples
    from recon.data.trace_records import read_traces
    from recon.evaluation.results import load_results
    from recon.run import run_pipeline
    message = ensure_corpus(args.corpus, **DEMO_SIZE)
    if message:
        console.print(message)
    cfg = demo_config(args.model, args.out)
    result = run_pipeline(cfg, args.corpus, progress=progress_bar)     # messages: the `recon` logger
    print_winrates(result.comparisons)
    print_methods(load_results(result.out).methods)
    train = load_examples([args.corpus / "train.jsonl"])
    traces = {m: {r.id: r.reasoning for r in read_traces(result.out / "traces" / f"{m}.jsonl")}
              for m in cfg.methods if method_spec(m).traces}
    recovery_rows_table(recovery_table(traces, train))
    code = print_stages(result)
    console.print(f"{result.seconds:.0f} s; ran {len(result.ran)} stage(s), reused {len(result.skipped)}. "
                  f"report → {result.report}")
    return code

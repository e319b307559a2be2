"""`recon bench`: the known-latent benchmark (generate a corpus, score traces for latent recovery, test scorer
validity on fixed candidates, run it all)."""

from __future__ import annotations

import argparse
from pathlib import Path

from recon.atomicio import write_json_atomic
from recon.bench.corpus_files import ensure_corpus, write_corpus
from recon.cli.args import add_out, holds_out, non_negative_int, positive_int, renamed
from recon.cli.output import console, print_table
from recon.data.corpus import load_examples
from recon.data.trace_records import read_traces
from recon.jobs.context import JobContext


def register(sub: argparse._SubParsersAction) -> None:
    bench = sub.add_parser("bench", help="the known-latent benchmark")
    bsub = bench.add_subparsers(dest="bench_command", required=True)
    gen = bsub.add_parser("generate", help="synthetic individuals whose reasons are known")
    add_out(gen, "folder", "the corpus folder (pairs.jsonl, train.jsonl, test.jsonl, individuals.json)")
    gen.add_argument("--individuals", type=positive_int, default=4, help="synthetic individuals")
    gen.add_argument("--pairs", type=positive_int, default=60, help="pairs per individual")
    gen.add_argument("--seed", type=non_negative_int, default=0, help="what the individuals are and say")
    gen.add_argument("--test-fraction", type=float, default=0.25, metavar="SHARE",
                     help="share of the meetings that go to test.jsonl")
    gen.set_defaults(func=cmd_generate)
    score = bsub.add_parser("score", help="latent recovery of trace files")
    score.add_argument("--traces", required=True, action="append", type=Path, metavar="FILE",
                       help="traces JSONL (repeatable)")
    score.add_argument("--data", required=True, type=Path, metavar="PATH",
                       help="a generated corpus folder (or its pairs.jsonl)")
    add_out(score, "file", "write the table as JSON (default: print it only)", required=False)
    score.set_defaults(func=cmd_score)
    run = bsub.add_parser("run", help="generate, synthesize with every method, latent recovery, win rates")
    add_out(run, "folder", "the benchmark's run folder", default=Path("runs/bench"))
    run.add_argument("--corpus", type=Path, default=None, metavar="FOLDER",
                     help="the corpus folder, generated if absent (default: the --out folder's name + -data)")
    renamed(run, "--data", "--corpus", "--data names input pairs in every other command")
    run.add_argument("--individuals", type=positive_int, default=4, help="synthetic individuals")
    run.add_argument("--pairs", type=positive_int, default=9, help="pairs per individual (default 9: about 10 minutes)")
    run.add_argument("--seed", type=non_negative_int, default=0, help="what the individuals are and say")
    run.add_argument("--n", type=positive_int, default=4, help="recon-select candidates per pair")
    run.add_argument("--model", default="embedded", metavar="SPEC", help="LM backend for every role")
    run.set_defaults(func=cmd_run)
    add_validity_parser(bsub)
    add_leakage_parser(bsub)


def add_leakage_parser(bsub: argparse._SubParsersAction) -> None:
    p = bsub.add_parser("leakage", help="adversarial traces against the leakage guard, and honest traces' flags")
    p.add_argument("--data", required=True, type=Path, metavar="FOLDER", help="the development corpora folder")
    p.add_argument("--pairs", type=positive_int, default=60, help="actions per corpus to transform (default 60)")
    p.add_argument("--forward-pairs", type=non_negative_int, default=20,
                   help="pairs per corpus with a forward trace, the honest reference (default 20)")
    p.add_argument("--backward-pairs", type=non_negative_int, default=0,
                   help="pairs per corpus with a backward trace, to report its flag rate (default 0)")
    p.add_argument("--model", default="embedded", metavar="SPEC", help="the synthesizer of honest traces")
    p.add_argument("--seed", type=non_negative_int, default=0, help="which pairs are sampled")
    add_out(p, "folder", "the report folder (default bench-leakage)", default=Path("bench-leakage"))
    p.set_defaults(func=cmd_leakage)


def add_validity_parser(bsub: argparse._SubParsersAction) -> None:
    from recon.cli.args import add_backend_args, add_reconstruction_args
    from recon.method.scoring import SCORERS
    p = bsub.add_parser("validity", help="does the reconstruction score prefer the true cause? (fixed candidates)")
    p.add_argument("--data", required=True, type=Path, metavar="PATH",
                   help="a generated corpus folder (or a pairs JSONL of one)")
    p.add_argument("--scorer", action="append", choices=SCORERS, help="a scorer to test (repeatable; default: "
                   "all three)")
    add_backend_args(p, "reconstruction LM unless --reconstructor")
    add_reconstruction_args(p)
    p.add_argument("--limit", type=positive_int, help="the first N pairs (default: all)")
    p.add_argument("--seed", type=non_negative_int, default=0, help="template choice and bootstrap seed")
    add_out(p, "folder", "the report folder (default bench-validity)", default=Path("bench-validity"))
    p.add_argument("--dry-run", action="store_true", help="fake backend and embedder: check inputs, no model")
    p.set_defaults(func=cmd_validity)


@holds_out
def cmd_generate(args: argparse.Namespace) -> int:
    n_train, n_test = write_corpus(args.out, individuals=args.individuals, pairs=args.pairs, seed=args.seed,
                                   test_fraction=args.test_fraction)
    console.print(f"{args.individuals} individuals × {args.pairs} pairs → {args.out}/pairs.jsonl "
                  f"(train {n_train}, test {n_test}, split by meeting); hidden traits in individuals.json")
    return 0


def recovery_rows_table(rows: list[dict]) -> None:
    def ci(row, key):
        return "–" if row[f"{key}_ci"] is None else f"{100 * row[key]:.0f} [{100 * row[f'{key}_ci'][0]:.0f}–" \
                                                    f"{100 * row[f'{key}_ci'][1]:.0f}]"
    print_table("latent recovery (% of traces, 95% CI)",
                ["method", "traces", "names the true factor", "names a distractor", "true only", "leaking %"],
                [[r["method"], r["n"], ci(r, "names_true"), ci(r, "names_distractor"), ci(r, "clean"),
                  None if r["leakage_rate"] is None else round(100 * r["leakage_rate"], 1)] for r in rows])


@holds_out
def cmd_score(args: argparse.Namespace) -> int:
    from recon.bench.recovery import recovery_table
    data = args.data / "pairs.jsonl" if args.data.is_dir() else args.data
    examples = load_examples([data])
    traces: dict[str, dict[str, str | None]] = {}
    for path in args.traces:
        records = read_traces(path)
        for method in sorted({r.method for r in records}):
            name = method if method not in traces else f"{method} ({path.name})"   # one row per file
            traces[name] = {r.id: r.reasoning for r in records if r.method == method}
    rows = recovery_table(traces, examples)
    recovery_rows_table(rows)
    if args.out:
        write_json_atomic(args.out, {"recovery": rows})
    return 0


@holds_out
def cmd_run(args: argparse.Namespace) -> int:
    from recon.bench.run import bench_config, run_bench
    from recon.cli.output import progress_bar
    from recon.cli.run_cmd import print_winrates
    data = args.corpus or args.out.with_name(args.out.name + "-data")
    cfg = bench_config(args.out, args.model, n=args.n)             # validated before any work
    message = ensure_corpus(data, individuals=args.individuals, pairs=args.pairs, seed=args.seed,
                            test_fraction=1 / 3)
    if message:
        console.print(message)
    result, rows, validity = run_bench(data, cfg, progress=progress_bar)       # messages: the `recon` logger
    recovery_rows_table(rows)
    validity_rows_table(validity.summaries)
    print_winrates(result.comparisons)
    console.print(f"{result.seconds:.0f} s. benchmark → {result.out / 'bench.md'}; evaluation → {result.report}")
    return _incomplete(validity.incomplete)


def _incomplete(pairs: int) -> int:
    """FAILED_CALLS (with the reason) when backend errors left pairs out of the validity figures, else DONE."""
    from recon.cli.exit_codes import DONE, FAILED_CALLS
    if not pairs:
        return DONE
    from recon.cli.output import err_console
    err_console.print(f"{pairs} pair(s) met a backend error and are left out of the validity figures; "
                      "re-running the same command retries only the LM calls that failed")
    return FAILED_CALLS


def validity_rows_table(summaries: dict[str, dict]) -> None:
    from recon.bench.validity_report import COLUMNS, table_rows
    print_table("scorer validity (95% CI over pairs)", COLUMNS, table_rows(summaries))


@holds_out
def cmd_validity(args: argparse.Namespace) -> int:
    from recon.bench.validity import load_benchmark_pairs, run_validity
    from recon.cli.args import backend_config_from_args
    from recon.cli.output import progress_bar
    from recon.errors import ConfigError
    examples = load_benchmark_pairs(args.data / "pairs.jsonl" if args.data.is_dir() else args.data)
    if args.limit is not None:
        if args.limit < 1:
            raise ConfigError("--limit must be >= 1")
        examples = examples[:args.limit]
    recon_spec = "fake" if args.dry_run else (args.reconstructor or args.model)
    judge_spec = "fake" if args.dry_run else (args.listwise_judge or recon_spec)
    embedder = None
    if args.dry_run:
        from recon.method.embeddings import HashEmbedder
        embedder = HashEmbedder()
    result = run_validity(JobContext(embedder=embedder), examples,
                          scorers=args.scorer or ["likelihood", "judge", "embedding"],
                          reconstructor=backend_config_from_args(args, recon_spec),
                          judge=backend_config_from_args(args, judge_spec), out=args.out,
                          seed=args.seed, progress=progress_bar)
    validity_rows_table(result.summaries)
    console.print(f"{result.seconds:.0f} s. report → {result.out / 'report.md'} (run {result.run})")
    return _incomplete(result.incomplete)


@holds_out
def cmd_leakage(args: argparse.Namespace) -> int:
    from recon.bench.leakage_bench import bench_rows, development_pairs, honest_traces, run_leakage_bench
    from recon.config import BackendConfig
    from recon.jobs.context import JobContext
    corpora = development_pairs(args.data, max(args.pairs, args.forward_pairs, args.backward_pairs), args.seed)
    honest: dict[str, dict[str, str]] = {}
    if args.forward_pairs or args.backward_pairs:
        model = JobContext(run="bench-leakage").open(BackendConfig(spec=args.model), "bench:leakage")
        for method, k in (("forward", args.forward_pairs), ("backward", args.backward_pairs)):
            if k:
                honest[method] = {}
                for pairs in corpora.values():
                    honest[method].update(honest_traces(pairs[:k], model, method))
    bench = run_leakage_bench(corpora, honest, pairs=args.pairs)
    print_table("leakage guard: % caught [95% CI]", ["traces", "all actions", "revealing >= 50% of content words (6+)"],
                bench_rows(bench))
    args.out.mkdir(parents=True, exist_ok=True)
    write_json_atomic(args.out / "leakage.json", bench.to_json())
    console.print(f"report → {args.out / 'leakage.json'}")
    return 0

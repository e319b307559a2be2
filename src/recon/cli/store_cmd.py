"""`recon logs` and `recon cache`: read the call log and the cache."""

from __future__ import annotations

import argparse
import time

from recon.cli.args import positive_int
from recon.cli.output import console, print_table
from recon.store.cache import cache_stats
from recon.store.calls import recent_calls
from recon.store.db import Database


def register(sub: argparse._SubParsersAction) -> None:
    logs = sub.add_parser("logs", help="the last LM calls: stage, model, cache hit, tokens, latency")
    logs.add_argument("--limit", type=positive_int, default=20, help="the last N calls")
    logs.add_argument("--run", metavar="ID", help="only this run id (default: every run)")
    logs.set_defaults(func=cmd_logs)

    cache = sub.add_parser("cache", help="the LM call cache")
    csub = cache.add_subparsers(dest="cache_command", required=True)
    stats = csub.add_parser("stats", help="entries, size and hit counts per backend")
    stats.set_defaults(func=cmd_cache_stats)
    clear = csub.add_parser("clear", help="delete every cached result (the call log is kept)")
    clear.add_argument("--yes", action="store_true", help="really delete")
    clear.set_defaults(func=cmd_cache_clear)


def cmd_logs(args: argparse.Namespace) -> int:
    db = Database()
    calls = recent_calls(db, limit=args.limit, run=args.run)
    rows = [[time.strftime("%H:%M:%S", time.localtime(c.ts)), c.run, c.stage, c.op, f"{c.backend}:{c.model}",
             "hit" if c.cache_hit else "miss", c.prompt_tokens, c.completion_tokens,
             None if c.latency_s is None else round(c.latency_s, 3), (c.error or "")[:60]] for c in calls]
    print_table(f"last {len(rows)} LM calls ({db.path})",
                ["time", "run", "stage", "op", "model", "cache", "prompt tok", "completion tok", "latency s",
                 "error"], rows)
    return 0


def cmd_cache_stats(args: argparse.Namespace) -> int:
    db = Database()
    rows = cache_stats(db)
    print_table(f"cache ({db.path})", ["op", "model", "entries", "KB", "hits", "misses"],
                [[r["op"], f"{r['backend']}:{r['model']}", r["entries"], round(r["bytes"] / 1024, 1),
                  r["hits"], r["misses"]] for r in rows])
    return 0


def cmd_cache_clear(args: argparse.Namespace) -> int:
    db = Database()
    if not args.yes:
        console.print("this deletes every cached LM result; re-run with --yes")
        return 2
    n = db.execute("DELETE FROM cache").rowcount
    console.print(f"deleted {n} cached results from {db.path}")
    return 0

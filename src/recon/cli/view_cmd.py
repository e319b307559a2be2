"""`recon view RUN`: write (and with `--serve`, serve on 127.0.0.1) the run explorer, one self-contained HTML
file: pairs with filters and search, every candidate with its reconstruction, score, rank and leakage, each
method's predictions and the verdicts by method name."""

from __future__ import annotations

import argparse
import functools
import http.server
from pathlib import Path

from recon.cli.args import add_out, positive_int
from recon.cli.output import console
from recon.errors import ConfigError
from recon.run.explorer_page import VIEW_FILE, write_explorer


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("view", help="the run explorer: one HTML file to read a run pair by pair")
    p.add_argument("run", type=Path, metavar="FOLDER", help="the run folder `recon run` wrote")
    add_out(p, "file", f"where to write the page (default: FOLDER/{VIEW_FILE})", required=False)
    p.add_argument("--serve", action="store_true",
                   help="also serve it on 127.0.0.1 until Ctrl-C (default: write the file only)")
    p.add_argument("--port", type=positive_int, default=8000, metavar="N",
                   help="the port on 127.0.0.1 for --serve (default: 8000)")
    p.set_defaults(func=cmd_view)


def cmd_view(args: argparse.Namespace) -> int:
    path = write_explorer(args.run, args.out)
    console.print(f"explorer → {path} (open it in a browser; it needs no network)")
    if args.serve:
        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(path.parent))
        try:
            server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), handler)
        except (OSError, OverflowError) as exc:
            raise ConfigError(f"--port {args.port}: cannot serve on 127.0.0.1 ({exc})") from None
        with server:
            console.print(f"serving http://127.0.0.1:{server.server_address[1]}/{path.name} (Ctrl-C stops)")
            server.serve_forever()
    return 0

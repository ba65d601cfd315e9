"""
The command line the in-process benchmarks share (C{bench_codec.py},
C{bench_layer.py}, C{bench_floor.py}): C{--repeat}, C{--number} and C{--json}.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Sequence
from typing import Any


def runMain(
    doc: str | None,
    argv: Sequence[str] | None,
    defaultRepeat: int,
    run: Callable[..., Sequence[Any]],
    formatTable: Callable[[Sequence[Any]], str],
) -> int:
    """
    Parse the shared options, call C{run(repeat=..., number=...)} and print
    its results with C{formatTable}, or as JSON (each result's C{asDict()}).

    @param doc: the script's docstring; its first paragraph is the description.
    """
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0] if doc else None)
    parser.add_argument(
        "--repeat", type=int, default=defaultRepeat, help="runs per case (the best counts)"
    )
    parser.add_argument(
        "--number", type=int, default=None, help="calls per run (default: chosen per case)"
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)
    results = run(repeat=args.repeat, number=args.number)
    if args.json:
        print(json.dumps([r.asDict() for r in results], indent=2))
    else:
        print(formatTable(results))
    return 0

"""
Machine instructions the Ti layer adds to raw Twisted per operation, counted
by valgrind: the same operations as C{bench_layer.py}, but a count instead of
a time, so the same code gives the same number on a busy machine.

Run it (valgrind must be installed; each row takes a few tens of seconds)::

    python benchmarks/bench_instructions.py [--rows SUBSTRING,...] [--json]

Each operation of L{bench_layer} is run in a child Python under
C{valgrind --tool=cachegrind --cache-sim=no} twice, with two different
counts of operations after the same warm-up; the difference of the two
instruction totals, divided by the difference of the counts, is the cost of
one operation (start-up, imports and warm-up cancel out). Hash randomisation
is off in the child, so a run repeats to within a few hundred instructions.

Use it to judge a change too small for the timed benchmarks to show: on this
interpreter, the layer's cost follows the instructions it runs (a connection
costs about 208,000 against raw Twisted's 142,000), not cache misses.

It counts instructions in user space only, and valgrind runs its own simple
loops in place of C{memset} and C{memcpy}: a row whose library side copies
bytes in user space while raw Twisted's copy happens in the kernel counts far
more than the hardware runs. That is the pump 1024 row, which cuts each read
into 1 KiB copies (its time is in C{bench_layer.py}). The other rows are
per-call work and count true.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["Result", "formatTable", "instructionsPerOperation", "main", "parseInstructions"]

_HERE = os.path.dirname(os.path.abspath(__file__))

#: Operations run before counting (the same in both runs, so they cancel out).
_WARMUP = 50

#: (row name as in bench_layer, the two operation counts).
_ROWS: list[tuple[str, tuple[int, int]]] = [
    ("echo 64 B, sock.write", (500, 2500)),
    ("echo 64 B, Ti.Stream.write", (500, 2500)),
    ("bulk read 64 KiB, pump 65536", (100, 500)),
    ("bulk read 64 KiB, pump 1024", (50, 250)),
    ("accepted connection", (200, 700)),
]


@dataclass(frozen=True)
class Result:
    """Instructions per operation, raw Twisted and the Ti layer."""

    name: str
    rawInstructions: int
    tiInstructions: int

    @property
    def extra(self) -> int:
        """What the Ti layer adds."""
        return self.tiInstructions - self.rawInstructions

    def asDict(self) -> dict[str, Any]:
        """The result as JSON-ready data."""
        return {**asdict(self), "extra": self.extra}


def parseInstructions(valgrindOutput: str) -> int:
    """The total instruction count (C{I refs}) in cachegrind's report."""
    match = re.search(r"I\s+refs:\s+([\d,]+)", valgrindOutput)
    if match is None:
        raise ValueError(f"no 'I refs' line in valgrind's output: {valgrindOutput[-500:]!r}")
    return int(match.group(1).replace(",", ""))


def perOperation(first: tuple[int, int], second: tuple[int, int]) -> int:
    """
    Instructions per operation from two runs, each C{(operations, total
    instructions)}: the difference of the totals over the difference of the
    counts.
    """
    (n1, total1), (n2, total2) = first, second
    if n2 == n1:
        raise ValueError(f"the two runs need different operation counts, got {n1} and {n2}")
    return round((total2 - total1) / (n2 - n1))


def _countRun(row: str, side: str, operations: int) -> int:
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    command = [
        "valgrind",
        "--tool=cachegrind",
        "--cache-sim=no",
        f"--cachegrind-out-file={os.devnull}",
        sys.executable,
        os.path.join(_HERE, "bench_instructions.py"),
        "--child",
        row,
        side,
        str(operations),
    ]
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
    return parseInstructions(done.stderr)


def instructionsPerOperation(row: str, side: str, counts: tuple[int, int]) -> int:
    """Instructions of one C{row} operation (a bench_layer row) on C{side} (raw or ti)."""
    runs = [(n, _countRun(row, side, n)) for n in counts]
    return perOperation(runs[0], runs[1])


def _child(row: str, side: str, operations: int) -> None:
    """Run C{operations} of C{row} after the warm-up (under valgrind)."""
    sys.path.insert(0, _HERE)
    import bench_layer

    bench = bench_layer._Bench()
    try:
        for name, raw, ti, _number in bench_layer._cases(bench):
            if name == row:
                operation = raw if side == "raw" else ti
                for _ in range(_WARMUP + operations):
                    operation()
                return
        raise SystemExit(f"no such row: {row!r}")
    finally:
        bench.close()


def formatTable(results: Sequence[Result]) -> str:
    """The results as a text table."""
    lines = [
        f"{'operation':32} {'raw':>10} {'Ti':>10} {'Ti - raw':>10} {'Ti/raw':>7}",
        "-" * 73,
    ]
    for r in results:
        lines.append(
            f"{r.name:32} {r.rawInstructions:10,} {r.tiInstructions:10,} {r.extra:10,} "
            f"{r.tiInstructions / r.rawInstructions:6.2f}x"
        )
    lines.append("")
    lines.append(
        "machine instructions per operation (valgrind cachegrind), bench_layer's operations"
    )
    lines.append(
        "user space only, with valgrind's own memcpy: the pump 1024 row overcounts (see --help)"
    )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: print the table (or JSON)."""
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0] if __doc__ else None,
        epilog="User space only, with valgrind's own memset and memcpy: the pump 1024 "
        "row counts far more than the hardware runs (the library copies each 1 KiB chunk "
        "out of the read, raw Twisted's copy is in the kernel); use bench_layer.py for its "
        "time.",
    )
    parser.add_argument(
        "--rows", default="", help="comma list of substrings of the row names (default: all)"
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--child", nargs=3, metavar=("ROW", "SIDE", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        row, side, operations = args.child
        _child(row, side, int(operations))
        return 0
    if shutil.which("valgrind") is None:
        print("bench_instructions.py needs valgrind (apt install valgrind)", file=sys.stderr)
        return 2
    wanted = [w for w in args.rows.split(",") if w]
    results = []
    for name, counts in _ROWS:
        if wanted and not any(w in name for w in wanted):
            continue
        results.append(
            Result(
                name,
                instructionsPerOperation(name, "raw", counts),
                instructionsPerOperation(name, "ti", counts),
            )
        )
    if args.json:
        print(json.dumps([r.asDict() for r in results], indent=2))
    else:
        print(formatTable(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())

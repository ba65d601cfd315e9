"""
Micro-benchmarks of the byte layer: Ti.Codec and Ti.Buffer beside the
standard-library operations they are built on, measured in the same run.

Run it::

    python benchmarks/bench_codec.py [--repeat N] [--number N] [--json]

or import it and call L{runBenchmarks}, which returns the results as data.

Each row times one library call and the raw operation a program would write
without the library (C{struct.pack_into} with a format string, C{str.encode}
and a slice assignment, ...). For the number rows a third column times a
precompiled C{struct.Struct} method, the fastest thing Python offers. Times
are the best of C{repeat} runs, in nanoseconds per call, and library and raw
runs alternate so that a busy machine slows both alike.
"""

from __future__ import annotations

import sys
import timeit
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from _cli import runMain

__all__ = ["Case", "Result", "cases", "main", "runBenchmarks"]

_TEXT = "Titanium sockets on Twisted: bytes, héllo ✓"
_PAYLOAD = bytes(range(64))


@dataclass(frozen=True)
class Case:
    """One benchmark: a library statement and its raw equivalent."""

    name: str
    call: str
    raw: str
    rawLabel: str
    precompiled: str | None = None
    setup: str = ""
    #: A fixed number of calls per run (for statements that grow a buffer), or
    #: L{None} to let C{timeit} choose.
    number: int | None = None


@dataclass(frozen=True)
class Result:
    """The timings of one L{Case}, in nanoseconds per call."""

    name: str
    call: str
    ns: float
    rawLabel: str
    rawNs: float
    precompiledNs: float | None

    @property
    def ratio(self) -> float:
        """Library time over raw time."""
        return self.ns / self.rawNs

    @property
    def precompiledRatio(self) -> float | None:
        """Library time over the precompiled struct's time (number rows only)."""
        if self.precompiledNs is None:
            return None
        return self.ns / self.precompiledNs

    def asDict(self) -> dict[str, Any]:
        """The result as plain data, ratios included."""
        data = asdict(self)
        data["ratio"] = self.ratio
        data["precompiledRatio"] = self.precompiledRatio
        return data


_SETUP = f"""
import struct
from tisocket_twisted import Codec, createBuffer
TYPE_INT, TYPE_DOUBLE, BIG_ENDIAN = Codec.TYPE_INT, Codec.TYPE_DOUBLE, Codec.BIG_ENDIAN
buf = createBuffer(length=64)
ba = bytearray(64)
packInt = struct.Struct(">i").pack_into
unpackInt = struct.Struct(">i").unpack_from
packDouble = struct.Struct(">d").pack_into
unpackDouble = struct.Struct(">d").unpack_from
text = {_TEXT!r}
encoded = text.encode("utf-8")
textBuf = createBuffer(value=text)
textBytes = bytes(encoded)
source = createBuffer(value={_PAYLOAD!r})
sourceBytes = bytearray({_PAYLOAD!r})
"""


def cases() -> list[Case]:
    """Every benchmark, in table order."""
    return [
        Case(
            "encodeNumber int",
            "Codec.encodeNumber(source=123456789, dest=buf, type=TYPE_INT, byteOrder=BIG_ENDIAN)",
            "struct.pack_into('>i', ba, 0, 123456789)",
            "struct.pack_into",
            "packInt(ba, 0, 123456789)",
        ),
        Case(
            "encodeNumber double",
            "Codec.encodeNumber(source=1.2345, dest=buf, type=TYPE_DOUBLE, position=8,"
            " byteOrder=BIG_ENDIAN)",
            "struct.pack_into('>d', ba, 8, 1.2345)",
            "struct.pack_into",
            "packDouble(ba, 8, 1.2345)",
        ),
        Case(
            "encodeNumber (dict)",
            "Codec.encodeNumber({'source': 123456789, 'dest': buf, 'type': TYPE_INT,"
            " 'byteOrder': BIG_ENDIAN})",
            "struct.pack_into('>i', ba, 0, 123456789)",
            "struct.pack_into",
            "packInt(ba, 0, 123456789)",
        ),
        Case(
            "decodeNumber int",
            "Codec.decodeNumber(source=buf, type=TYPE_INT, byteOrder=BIG_ENDIAN)",
            "struct.unpack_from('>i', ba, 0)[0]",
            "struct.unpack_from",
            "unpackInt(ba, 0)[0]",
        ),
        Case(
            "decodeNumber double",
            "Codec.decodeNumber(source=buf, type=TYPE_DOUBLE, position=8, byteOrder=BIG_ENDIAN)",
            "struct.unpack_from('>d', ba, 8)[0]",
            "struct.unpack_from",
            "unpackDouble(ba, 8)[0]",
        ),
        Case(
            "decodeNumber (dict)",
            "Codec.decodeNumber({'source': buf, 'type': TYPE_INT, 'byteOrder': BIG_ENDIAN})",
            "struct.unpack_from('>i', ba, 0)[0]",
            "struct.unpack_from",
            "unpackInt(ba, 0)[0]",
        ),
        Case(
            "encodeString utf8",
            "Codec.encodeString(source=text, dest=buf, destPosition=4)",
            "e = text.encode('utf-8'); ba[4:4 + len(e)] = e",
            "str.encode + slice",
        ),
        Case(
            "decodeString utf8",
            "Codec.decodeString(source=textBuf)",
            "textBytes.decode('utf-8', 'replace')",
            "bytes.decode",
        ),
        Case(
            "Buffer.append 64 B",
            "buf.append(source)",
            "ba.extend(sourceBytes)",
            "bytearray extend",
            setup="buf.length = 0\nba.clear()",
            number=50_000,
        ),
        Case(
            "Buffer.clone 64 B",
            "source.clone()",
            "bytearray(sourceBytes)",
            "bytearray copy",
        ),
        Case(
            "Buffer.clone(8, 32)",
            "source.clone(8, 32)",
            "sourceBytes[8:40]",
            "bytearray slice",
        ),
    ]


def _perCall(stmt: str, setup: str, number: int) -> float:
    """Nanoseconds per call of one run of C{number} calls."""
    seconds = timeit.Timer(stmt, _SETUP + setup).timeit(number)
    return seconds / number * 1e9


def _measure(case: Case, number: int | None, repeat: int) -> Result:
    statements = [case.call, case.raw] + ([case.precompiled] if case.precompiled else [])
    count = number or case.number
    if count is None:
        # Enough calls for about 0.2 s with the slowest statement.
        calls, seconds = timeit.Timer(case.call, _SETUP + case.setup).autorange()
        count = max(1000, int(calls * 0.2 / seconds))
    best = [float("inf")] * len(statements)
    for _ in range(repeat):
        for i, stmt in enumerate(statements):
            best[i] = min(best[i], _perCall(stmt, case.setup, count))
    return Result(
        name=case.name,
        call=case.call,
        ns=best[0],
        rawLabel=case.rawLabel,
        rawNs=best[1],
        precompiledNs=best[2] if case.precompiled else None,
    )


def runBenchmarks(number: int | None = None, repeat: int = 5) -> list[Result]:
    """
    Run every benchmark and return the results.

    @param number: calls per run; L{None} lets each case choose.
    @param repeat: runs per statement; the best one counts.
    """
    return [_measure(case, number, repeat) for case in cases()]


def formatTable(results: Sequence[Result]) -> str:
    """The results as a text table."""
    header = (
        f"{'operation':<22}{'ns/call':>9}  {'raw equivalent':<20}{'ns/call':>9}{'ratio':>8}"
        f"{'Struct':>9}{'ratio':>8}"
    )
    lines = [header, "-" * len(header)]
    for r in results:
        line = f"{r.name:<22}{r.ns:>9.0f}  {r.rawLabel:<20}{r.rawNs:>9.0f}{r.ratio:>7.2f}x"
        if r.precompiledNs is not None and r.precompiledRatio is not None:
            line += f"{r.precompiledNs:>9.0f}{r.precompiledRatio:>7.2f}x"
        lines.append(line)
    lines.append("")
    lines.append(
        "ratio: library / raw. Struct: a precompiled struct.Struct method, the floor "
        "for number calls."
    )
    lines.append(f"Python {sys.version.split()[0]}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmarks and print a table (or JSON with C{--json})."""
    return runMain(__doc__, argv, 5, runBenchmarks, formatTable)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

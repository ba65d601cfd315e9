"""
The in-process layer benchmark keeps working as the library changes (it
asserts, on every operation, that the echo came back and the read was
counted). No timing is asserted here: speed is measured by the benchmarks.
"""

from __future__ import annotations

import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def test_layerBenchmarkRunsEveryOperation() -> None:
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import bench_layer
    finally:
        sys.path.remove(str(BENCHMARKS))
    results = bench_layer.runBenchmarks(repeat=1, number=3)
    assert [r.name for r in results] == [
        "echo 64 B, sock.write",
        "echo 64 B, Ti.Stream.write",
        "bulk read 64 KiB, pump 65536",
        "bulk read 64 KiB, pump 1024",
        "accepted connection",
    ]
    assert all(r.rawUs > 0 and r.tiUs > 0 for r in results)
    table = bench_layer.formatTable(results)
    assert all(r.name in table for r in results)

"""
The benchmark scripts keep working as the library changes: the in-process
layer benchmark asserts, on every operation, that the echo came back and the
read was counted, and the comparison refuses to mix in an earlier run's logs.
No timing is asserted here: speed is measured by the benchmarks.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def _benchmarkModule(name: str) -> Any:
    sys.path.insert(0, str(BENCHMARKS))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(BENCHMARKS))


def test_layerBenchmarkRunsEveryOperation() -> None:
    bench_layer = _benchmarkModule("bench_layer")
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


def test_compareRefusesAnOutputDirectoryWithOldLogs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Logs already in C{--out} would be counted as runs of the new comparison."""
    compare = _benchmarkModule("compare")
    (tmp_path / "ti.raw.log").write_text("an earlier run\n")
    with pytest.raises(SystemExit) as exited:
        compare.main(["--out", str(tmp_path), "--no-codec", "--no-layer"])
    assert exited.value.code == 2
    assert f"--out {str(tmp_path)!r} is not empty" in capsys.readouterr().err

"""
The benchmark scripts keep working as the library changes: the in-process
layer benchmark asserts, on every operation, that the echo came back and the
read was counted, the floor serves its connections as the layer does, and the
comparison refuses to mix in an earlier run's logs.
No timing is asserted here: speed is measured by the benchmarks.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

import pytest
import pytest_twisted
from twisted.internet.defer import Deferred
from twisted.internet.protocol import Protocol

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


def test_floorBenchmarkRunsEveryPhase() -> None:
    bench_floor = _benchmarkModule("bench_floor")
    results = bench_floor.runBenchmarks(repeat=1, number=3)
    assert [r.name for r in results] == [
        "connect",
        "echo",
        "end",
        "whole connection",
        "bulk read 64 KiB, pump 1024",
    ]
    assert all(r.rawUs > 0 and r.floorUs > 0 and r.tiUs > 0 for r in results)
    table = bench_floor.formatTable(results)
    assert all(r.name in table for r in results)


def test_floorServesTheWorkloadAsTheLayerDoes() -> None:
    """The floor echoes, fires both Deferreds with the API's events and closes."""
    bench_floor = _benchmarkModule("bench_floor")
    bench_layer = _benchmarkModule("bench_layer")
    bench = bench_layer._Bench()
    try:
        factory = bench_floor.floorFactory()
        fired: list[Any] = []
        factory.listener.armed.addCallback(fired.append)
        transport, peer = bench.connect(factory)
        bench_layer._echo(bench, transport, peer)()  # asserts that the 64 B came back
        conn = transport.protocol
        conn.pumped.addCallback(fired.append)
        bench.endOfStream(transport, peer)  # asserts that the transport closed
        peer.close()
        accepted, last = fired
        assert accepted.inbound is conn.sock
        assert (last.bytesProcessed, last.totalBytesProcessed, last.success) == (-1, 64, True)
        assert len(last.buffer) == 0
    finally:
        bench.close()


def test_floorCutsAReadIntoChunksOfMaxChunkSize() -> None:
    """The floor's bulk row: every byte of a read reaches the handler, 1024 at most per call."""
    bench_floor = _benchmarkModule("bench_floor")
    bench_layer = _benchmarkModule("bench_layer")
    bench = bench_layer._Bench()
    try:
        sizes: list[int] = []
        transport, peer = bench.connect(bench_floor.floorFactory(1024, sizes.append))
        peer.sendall(b"x" * 3000)
        transport.doRead()
        assert sizes == [1024, 1024, 952]
        assert transport.protocol.total == 3000
    finally:
        bench.close()


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


def test_compareRunsEveryRowsServerInItsWorkload() -> None:
    """
    A row of the table compares runs that the rounds make (its server's and raw
    Twisted's), and every server's script is where the harness, run from its own
    directory, looks for it.
    """
    compare = _benchmarkModule("compare")
    servers = compare.servers("python")
    workloads = {s.name: s.workloads for s in servers}
    for row in compare.ROWS:
        assert row.workload in workloads[row.server], row
        assert row.workload in workloads["raw-twisted"], row
    for server in servers:
        script = server.command.split()[1]
        assert (BENCHMARKS / "harness" / script).is_file(), server


class _HarnessClient(Protocol):
    """One harness-style client connection: 64 bytes, half-close, then read to the end."""

    def __init__(self, message: bytes, done: Deferred[bytes]) -> None:
        self.message = message
        self.done = done
        self.received = b""

    def connectionMade(self) -> None:
        self.transport.write(self.message)  # type: ignore[union-attr]

    def dataReceived(self, data: bytes) -> None:
        self.received += data
        if len(self.received) == len(self.message):
            self.transport.loseWriteConnection()  # type: ignore[union-attr]

    def connectionLost(self, reason: object = None) -> None:
        self.done.callback(self.received)


@pytest_twisted.ensureDeferred
async def test_floorServerEchoesAndClosesOnTheRealReactor(reactor: Any) -> None:
    """
    C{floor_server.py}'s factory on the default reactor, as the harness drives it
    in the conns workload: the message comes back, and the server closes after
    the client's half-close.
    """
    from twisted.internet.endpoints import TCP4ClientEndpoint, connectProtocol

    bench_floor = _benchmarkModule("bench_floor")
    port = reactor.listenTCP(0, bench_floor.floorFactory(), interface="127.0.0.1")
    try:
        message = bytes(range(64))
        done: Deferred[bytes] = Deferred()
        endpoint = TCP4ClientEndpoint(reactor, "127.0.0.1", port.getHost().port)
        await connectProtocol(endpoint, _HarnessClient(message, done))
        assert await done.addTimeout(10, reactor) == message
    finally:
        await port.stopListening()


_CACHEGRIND_REPORT = """\
==123== Cachegrind, a high-precision tracing profiler
==123==
==123== I   refs:      1,553,200,970
"""


def test_instructionBenchmarkReadsValgrindsCount() -> None:
    bench = _benchmarkModule("bench_instructions")
    assert bench.parseInstructions(_CACHEGRIND_REPORT) == 1_553_200_970
    with pytest.raises(ValueError, match="no 'I refs' line"):
        bench.parseInstructions("==123== ERROR SUMMARY: 0 errors")


def test_instructionBenchmarkCountsPerOperationByDifference() -> None:
    """Start-up and warm-up are in both runs: only the extra operations count."""
    bench = _benchmarkModule("bench_instructions")
    assert bench.perOperation((200, 1_000_000 + 200 * 150), (700, 1_000_000 + 700 * 150)) == 150
    with pytest.raises(ValueError, match="different operation counts, got 5 and 5"):
        bench.perOperation((5, 10), (5, 20))


def test_instructionBenchmarkRowsAreLayerBenchmarkRows() -> None:
    bench_layer = _benchmarkModule("bench_layer")
    bench = _benchmarkModule("bench_instructions")
    layer = bench_layer._Bench()
    try:
        names = [name for name, *_ in bench_layer._cases(layer)]
    finally:
        layer.close()
    assert [name for name, _ in bench._ROWS] == names


def test_instructionBenchmarkChildRunsTheOperation() -> None:
    """The child that valgrind runs performs the row's operations (here without valgrind)."""
    bench = _benchmarkModule("bench_instructions")
    bench._child("accepted connection", "ti", 2)
    with pytest.raises(SystemExit, match="no such row: 'nothing'"):
        bench._child("nothing", "raw", 1)


def test_instructionBenchmarkTable() -> None:
    bench = _benchmarkModule("bench_instructions")
    table = bench.formatTable([bench.Result("accepted connection", 140_000, 210_000)])
    assert "accepted connection" in table
    assert "70,000" in table and "1.50x" in table
    assert bench.Result("x", 10, 25).asDict() == {
        "name": "x",
        "rawInstructions": 10,
        "tiInstructions": 25,
        "extra": 15,
    }

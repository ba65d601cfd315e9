"""
In-process cost of the Ti layer over raw Twisted, per operation, on real
TCP transports: Twisted's own C{tcp.Server} over a connected socket pair,
driven by hand (no event loop, no load generator, no second process).

Run it::

    python benchmarks/bench_layer.py [--repeat N] [--number N] [--json]

or import it and call L{runBenchmarks}, which returns the results as data.

Each row times one operation with a raw Twisted C{Protocol} and with the Ti
API written as a user writes it (C{accept()} re-armed in C{accepted},
C{Ti.Stream.pump}, C{sock.write}); both use the same transport class and the
same socket calls, so their difference is the layer's own Python work:

  - B{echo 64 B}: one 64-byte message read, handed to the protocol or pump
    handler, written back and sent (C{doRead} then C{doWrite}).
  - B{echo 64 B, Ti.Stream.write}: the same, echoing with C{return
    Ti.Stream.write(...)} (the idiom with backpressure).
  - B{bulk read 64 KiB}: one 64 KiB read into a counting protocol or a
    C{pump(..., 65536)} handler; and into a C{pump(..., 1024)} handler (the
    documentation examples' chunk size: 64 chunks, each a Buffer, an event
    and a handler call).
  - B{accepted connection}: a whole connection: accept, pump, one 64-byte
    echo, the peer's end of stream, close.

Times are process CPU time (not wall time), the best of C{repeat} runs, in
microseconds per operation, with raw and Ti runs alternating. They are far
steadier than the load-generator runs of L{compare} on a shared machine,
which makes them the tool for judging a change to the layer's hot paths;
they leave out what the event loop, the kernel's scheduling and cold caches
add in a real server, so the throughput ratios of L{compare} are larger.
"""

from __future__ import annotations

import socket
import sys
import time
import timeit
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from _cli import runMain

__all__ = ["Result", "formatTable", "main", "runBenchmarks"]

_MESSAGE = b"x" * 64
_BLOCK = b"x" * 65536


@dataclass(frozen=True)
class Result:
    """The timings of one operation, in microseconds."""

    name: str
    rawUs: float
    tiUs: float

    @property
    def extraUs(self) -> float:
        """What the Ti layer adds to raw Twisted."""
        return self.tiUs - self.rawUs

    def asDict(self) -> dict[str, Any]:
        """The result as plain data (for JSON)."""
        return {**asdict(self), "extraUs": self.extraUs}


class _FakePort:
    """What C{tcp.Server} asks of its listening port."""

    _realPortNumber = 1

    def logPrefix(self) -> str:
        return "bench"


class _Bench:
    """Real C{tcp.Server} transports on socket pairs, with a raw and a Ti factory."""

    def __init__(self) -> None:
        from twisted.internet import address
        from twisted.internet.protocol import Factory, Protocol
        from twisted.internet.testing import MemoryReactorClock

        from tisocket_twisted import Ti

        self.reactor = MemoryReactorClock()
        self.reactor.running = True
        self.address = address.IPv4Address("TCP", "127.0.0.1", 40000)
        self.port = _FakePort()
        self.counted = 0
        self.open: list[tuple[Any, socket.socket]] = []

        bench = self

        class Echo(Protocol):
            def dataReceived(self, data: bytes) -> None:
                assert self.transport is not None
                self.transport.write(data)

        class Count(Protocol):
            def dataReceived(self, data: bytes) -> None:
                bench.counted += len(data)

        self.rawEcho = Factory.forProtocol(Echo)
        self.rawCount = Factory.forProtocol(Count)
        stream = Ti.Stream

        def echo(sock: Any) -> None:
            write = sock.write

            def handler(e: Any) -> None:
                if e.bytesProcessed > 0:
                    write(e.buffer)

            stream.pump(sock, handler, 65536, True)

        def echoWithBackpressure(sock: Any) -> None:
            def handler(e: Any) -> object:
                if e.bytesProcessed > 0:
                    return stream.write(sock, e.buffer)
                return None

            stream.pump(sock, handler, 65536, True)

        def counter(maxChunkSize: int) -> Callable[[Any], None]:
            def count(sock: Any) -> None:
                def handler(e: Any) -> None:
                    if e.bytesProcessed > 0:
                        bench.counted += e.bytesProcessed

                stream.pump(sock, handler, maxChunkSize, True)

            return count

        self.tiEcho = self._listener(echo)
        self.tiEchoStream = self._listener(echoWithBackpressure)
        self.tiCount = self._listener(counter(65536))
        self.tiCount1k = self._listener(counter(1024))

    def _listener(self, serve: Callable[[Any], None]) -> Any:
        """A Ti listener that serves each inbound socket with C{serve}; its factory."""
        from tisocket_twisted import Ti

        def accepted(e: Any) -> None:
            listener.accept()
            serve(e.inbound)

        listener = Ti.Network.Socket.createTCP(
            host="127.0.0.1", port=0, accepted=accepted, reactor=self.reactor
        )
        listener.listen()
        listener.accept()
        return self.reactor.tcpServers[-1][1]

    def connect(self, factory: Any) -> tuple[Any, socket.socket]:
        """A server transport made by C{factory}, and the peer's socket."""
        from twisted.internet import tcp

        ours, peer = socket.socketpair()
        ours.setblocking(False)
        peer.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
        protocol = factory.buildProtocol(self.address)
        transport = tcp.Server(ours, protocol, ("127.0.0.1", 40000), self.port, 1, self.reactor)
        protocol.makeConnection(transport)
        self.settle()
        self.open.append((transport, peer))
        return transport, peer

    def close(self) -> None:
        """Close the sockets of every connection still open."""
        for transport, peer in self.open:
            if not transport.disconnected:
                transport.socket.close()
            peer.close()
        self.open.clear()

    def settle(self) -> None:
        """Run what is due on the clock (deliveries and completions a turn later)."""
        if self.reactor.getDelayedCalls():
            self.reactor.advance(0)

    def endOfStream(self, transport: Any, peer: socket.socket) -> None:
        """The peer half-closes; the transport reads the end, as the reactor would handle it."""
        from twisted.internet import main
        from twisted.internet.interfaces import IHalfCloseableProtocol
        from twisted.python.failure import Failure

        peer.shutdown(socket.SHUT_WR)
        why = transport.doRead()
        if why is not None and not transport.disconnected:
            halfCloseable = IHalfCloseableProtocol(transport.protocol, None)
            if halfCloseable is not None and why is main.CONNECTION_DONE:
                transport.readConnectionLost(Failure(why))
            else:
                transport.connectionLost(Failure(why))
        self.settle()
        if transport.dataBuffer or transport._tempDataBuffer:
            transport.doWrite()
        if not transport.disconnected:
            transport.loseConnection()
            transport.doWrite()
        assert transport.disconnected, "the connection did not close"
        self.reactor.readers.clear()
        self.reactor.writers.clear()
        self.open.remove((transport, peer))


def _echo(bench: _Bench, transport: Any, peer: socket.socket) -> Callable[[], None]:
    def once() -> None:
        peer.send(_MESSAGE)
        transport.doRead()
        bench.settle()
        transport.doWrite()
        received = peer.recv(100)
        assert len(received) == 64, received

    return once


def _bulk(bench: _Bench, transport: Any, peer: socket.socket) -> Callable[[], None]:
    def once() -> None:
        peer.sendall(_BLOCK)
        start = bench.counted
        while bench.counted - start < len(_BLOCK):
            transport.doRead()

    return once


def _connection(bench: _Bench, factory: Any) -> Callable[[], None]:
    def once() -> None:
        transport, peer = bench.connect(factory)
        _echo(bench, transport, peer)()
        bench.endOfStream(transport, peer)
        peer.close()

    return once


def _cases(bench: _Bench) -> list[tuple[str, Callable[[], None], Callable[[], None], int]]:
    """(name, raw operation, Ti operation, default number) per row."""
    rawEcho = bench.connect(bench.rawEcho)
    tiEcho = bench.connect(bench.tiEcho)
    tiEchoStream = bench.connect(bench.tiEchoStream)
    rawCount = bench.connect(bench.rawCount)
    tiCount = bench.connect(bench.tiCount)
    tiCount1k = bench.connect(bench.tiCount1k)
    return [
        ("echo 64 B, sock.write", _echo(bench, *rawEcho), _echo(bench, *tiEcho), 5000),
        (
            "echo 64 B, Ti.Stream.write",
            _echo(bench, *rawEcho),
            _echo(bench, *tiEchoStream),
            5000,
        ),
        ("bulk read 64 KiB, pump 65536", _bulk(bench, *rawCount), _bulk(bench, *tiCount), 2000),
        ("bulk read 64 KiB, pump 1024", _bulk(bench, *rawCount), _bulk(bench, *tiCount1k), 300),
        (
            "accepted connection",
            _connection(bench, bench.rawEcho),
            _connection(bench, bench.tiEcho),
            1000,
        ),
    ]


def runBenchmarks(repeat: int = 7, number: int | None = None) -> list[Result]:
    """Time every row; raw and Ti runs alternate, the best of C{repeat} is kept."""
    bench = _Bench()
    results = []
    try:
        for name, raw, ti, defaultNumber in _cases(bench):
            n = number or defaultNumber
            best = {"raw": float("inf"), "ti": float("inf")}
            for _ in range(repeat):
                for key, operation in (("raw", raw), ("ti", ti)):
                    seconds = timeit.timeit(operation, number=n, timer=time.process_time)
                    best[key] = min(best[key], seconds / n * 1e6)
            results.append(Result(name, best["raw"], best["ti"]))
    finally:
        bench.close()
    return results


def formatTable(results: Sequence[Result]) -> str:
    """The results as a text table."""
    lines = [
        f"{'operation':32} {'raw us':>8} {'Ti us':>8} {'Ti - raw':>9} {'Ti/raw':>7}",
        "-" * 68,
    ]
    for r in results:
        lines.append(
            f"{r.name:32} {r.rawUs:8.2f} {r.tiUs:8.2f} {r.extraUs:9.2f} {r.tiUs / r.rawUs:6.2f}x"
        )
    lines.append("")
    lines.append(
        "process CPU time per operation, best of runs; real tcp.Server transports on "
        "socket pairs, driven by hand"
    )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: print the table (or JSON)."""
    return runMain(__doc__, argv, 7, runBenchmarks, formatTable)


if __name__ == "__main__":
    sys.exit(main())

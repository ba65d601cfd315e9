"""
Where an accepted connection's time goes: raw Twisted, a floor, and the Ti
layer, phase by phase, in process.

The operation is C{bench_layer.py}'s "accepted connection" (a connection is
accepted and served, one 64-byte message is echoed, the peer half-closes and
the server closes), split into three phases: connect, echo, end.

The B{floor} is the least Python work that gives this workload the behaviour
the Ti API shows its user, written here without any of the layer's
generality. Per connection it makes what the API obliges it to make: a socket
object, an C{AcceptedEvent} for the C{accepted} callback, the Deferred of the
C{accept()} the callback re-arms (fired with the next connection's event),
the Deferred of an asynchronous C{pump()}, a C{PumpEvent} and a Buffer around
the received bytes per chunk, the last C{-1} event, and a C{write} that hands
the Buffer's bytes to the transport. Like the layer, it reads with its own
C{doRead} (as much as the transport's C{bufferSize}, cut into chunks of at most
C{maxChunkSize}, with the layer's per-chunk work inlined), registers as the
transport's streaming producer, takes the peer's half-close and closes once the
pump's handler has had the end of stream, and guards every user callback. It
leaves out everything else the contract asks for: argument checks, calls from
other threads, the accept-gating queue, the inbox (data held for a later
reader, several consumers, the read high-water mark), write completion and
timeouts, error mapping, the lingering close.

So C{floor - raw} is what the API's objects and calls cost in Python on
Twisted whatever the implementation, and C{Ti - floor} what the layer's
generality costs on top: the room any further optimisation has.

One more row times C{bench_layer.py}'s "bulk read 64 KiB, pump 1024" the same
way: one 64 KiB read, cut into 64 chunks of 1024 bytes, each a Buffer, a
C{PumpEvent} and a call of a handler that counts the bytes. It shows what is
left of a chunk's cost once the API's objects and call are paid for.

Process CPU time per phase, best of runs, the garbage collector off (as
C{timeit} runs); real C{tcp.Server} transports over socket pairs, driven by
hand (see C{bench_layer.py}).
"""

from __future__ import annotations

import errno
import gc
import sys
import time
import timeit
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from _cli import runMain
from bench_layer import _Bench, _bulk, _echo

__all__ = ["PhaseResult", "formatTable", "main", "runBenchmarks"]

PHASES = ("connect", "echo", "end")
BULK_ROW = "bulk read 64 KiB, pump 1024"


@dataclass(frozen=True)
class PhaseResult:
    """One row (a phase of an accepted connection, or a 64 KiB read), in microseconds."""

    name: str
    rawUs: float
    floorUs: float
    tiUs: float

    def asDict(self) -> dict[str, Any]:
        """The result as plain data (for JSON)."""
        return asdict(self)


def floorFactory(maxChunkSize: int = 65536, count: Callable[[int], None] | None = None) -> Any:
    """
    A Twisted server factory whose connections are served by the floor, with the
    user code of C{bench_layer.py}'s Ti servers: C{accepted} re-arms C{accept()}
    and pumps the inbound socket (chunks of at most C{maxChunkSize}) with a
    handler that writes each chunk back, or with C{count} given, passes each
    chunk's size to it.
    """
    from threading import get_ident

    from twisted.internet.defer import Deferred
    from twisted.internet.interfaces import IHalfCloseableProtocol, IPushProducer
    from twisted.internet.main import CONNECTION_DONE, CONNECTION_LOST
    from twisted.internet.protocol import Factory, Protocol, connectionDone
    from twisted.python import threadable
    from twisted.python.failure import Failure
    from zope.interface import implementer

    from tisocket_twisted import AcceptedEvent, Buffer, PumpEvent, SocketState

    CONNECTED = SocketState.CONNECTED
    CLOSED = SocketState.CLOSED
    new = object.__new__

    def inReactorThread() -> bool:
        ioThread: object = threadable.ioThread
        return ioThread is None or ioThread == get_ident()

    def callUser(callback: Callable[[Any], object], event: Any) -> None:
        try:
            callback(event)
        except Exception:
            print("exception in a user callback", file=sys.stderr)

    class FloorSocket:
        """The inbound socket: its state, its connection and a synchronous write."""

        state: SocketState
        conn: Any

        def write(self, buffer: Buffer) -> int:
            conn = self.conn
            if not inReactorThread() or self.state is not CONNECTED or conn is None:
                raise RuntimeError("the floor serves the reactor thread's own writes only")
            data = buffer._data
            if data:
                conn.transport.write(data)
            return len(data)

    class FloorListener:
        """The listener's C{accept()}: a Deferred, fired with the next connection."""

        def __init__(self, accepted: Callable[[Any], object]) -> None:
            self.accepted = accepted
            self.armed: Deferred[Any] | None = None

        def accept(self) -> Deferred[Any]:
            if not inReactorThread():
                raise RuntimeError("the floor accepts in the reactor thread only")
            d: Deferred[Any] = Deferred()
            self.armed = d
            return d

    def pump(sock: FloorSocket, handler: Callable[[Any], object], size: int) -> Deferred[Any]:
        if not callable(handler):
            raise TypeError(f"handler must be callable, got {handler!r}")
        conn = sock.conn
        conn.handler = handler
        conn.size = size
        conn.total = 0
        d: Deferred[Any] = Deferred()
        conn.pumped = d
        return d

    @implementer(IHalfCloseableProtocol, IPushProducer)
    class FloorConnection(Protocol):
        """The transport's protocol, reader and producer, and the pump's state."""

        __slots__ = (
            "connected",
            "factory",
            "handler",
            "pumped",
            "size",
            "sock",
            "total",
            "transport",
        )

        def __init__(self) -> None:
            self.factory = None
            self.transport = None
            self.connected = 0

        def connectionMade(self) -> None:
            transport: Any = self.transport
            sock = new(FloorSocket)
            sock.conn = self
            sock.state = CONNECTED
            self.sock = sock
            transport.doRead = self.doRead
            transport.registerProducer(self, True)
            listener = self.factory.listener  # type: ignore[attr-defined]
            armed = listener.armed
            listener.armed = None
            event = AcceptedEvent(listener, sock)
            callUser(listener.accepted, event)
            armed.callback(event)

        def doRead(self) -> Any:
            transport: Any = self.transport
            try:
                data = transport.socket.recv(transport.bufferSize)
            except OSError as e:
                if e.args[0] in (errno.EWOULDBLOCK, errno.EAGAIN):
                    return None
                return CONNECTION_LOST
            if not data:
                return CONNECTION_DONE
            size = self.size
            end = len(data)
            start = 0
            # The read, in chunks of at most maxChunkSize; Buffer._wrap and
            # callUser inlined, as the layer does per chunk.
            while start < end:
                chunk = data if end <= size else data[start : start + size]
                n = len(chunk)
                start += n
                total = self.total = self.total + n
                buffer = new(Buffer)
                buffer._data = chunk
                buffer._type = buffer._value = buffer._byteOrder = None
                event = new(PumpEvent)
                event.source = self.sock
                event.buffer = buffer
                event.bytesProcessed = n
                event.totalBytesProcessed = total
                event.success = True
                event.code = 0
                event.error = None
                try:
                    self.handler(event)
                except Exception:
                    print("exception in a user callback", file=sys.stderr)
            return None

        def readConnectionLost(self) -> None:
            event = PumpEvent(self.sock, Buffer._wrap(b""), -1, self.total)
            callUser(self.handler, event)
            self.pumped.callback(event)
            self.sock.state = CLOSED
            self.transport.connectionLost(connectionDone)  # type: ignore[union-attr]

        def connectionLost(self, reason: Failure = connectionDone) -> None:
            self.transport = None
            self.sock.conn = None

        def writeConnectionLost(self) -> None:
            """Never half-closes its own side."""

        def pauseProducing(self) -> None:
            """The floor writes 64 bytes: the transport never pauses it."""

        def resumeProducing(self) -> None:
            """See L{pauseProducing}."""

        def stopProducing(self) -> None:
            """Nothing to stop."""

    def echo(sock: FloorSocket) -> None:
        write = sock.write

        def handler(e: Any) -> None:
            if e.bytesProcessed > 0:
                write(e.buffer)

        pump(sock, handler, maxChunkSize)

    def counter(sock: FloorSocket) -> None:
        assert count is not None

        def handler(e: Any) -> None:
            if e.bytesProcessed > 0:
                count(e.bytesProcessed)

        pump(sock, handler, maxChunkSize)

    serve = echo if count is None else counter

    def accepted(e: Any) -> None:
        listener.accept()
        serve(e.inbound)

    listener = FloorListener(accepted)
    listener.accept()
    factory = Factory.forProtocol(FloorConnection)
    factory.listener = listener  # type: ignore[attr-defined]
    return factory


def _phases(bench: _Bench, factory: Any, number: int) -> list[float]:
    """Process CPU time per phase of C{number} connections, in microseconds each."""
    clock = time.process_time
    totals = [0.0, 0.0, 0.0]
    for _ in range(number):
        t0 = clock()
        transport, peer = bench.connect(factory)
        t1 = clock()
        _echo(bench, transport, peer)()
        t2 = clock()
        bench.endOfStream(transport, peer)
        t3 = clock()
        peer.close()
        totals[0] += t1 - t0
        totals[1] += t2 - t1
        totals[2] += t3 - t2
    return [t / number * 1e6 for t in totals]


def _countInto(bench: _Bench) -> Callable[[int], None]:
    def count(n: int) -> None:
        bench.counted += n

    return count


def runBenchmarks(repeat: int = 7, number: int | None = None) -> list[PhaseResult]:
    """Time each phase; raw, floor and Ti runs alternate, the best of C{repeat} is kept."""
    bench = _Bench()
    factories = {"raw": bench.rawEcho, "floor": floorFactory(), "ti": bench.tiEcho}
    n = number or 2000
    best = {key: [float("inf")] * len(PHASES) for key in factories}
    reads = {
        "raw": _bulk(bench, *bench.connect(bench.rawCount)),
        "floor": _bulk(bench, *bench.connect(floorFactory(1024, _countInto(bench)))),
        "ti": _bulk(bench, *bench.connect(bench.tiCount1k)),
    }
    nReads = max(1, n // 7)  # 285 reads by default, about as many as bench_layer.py's row
    bestRead = dict.fromkeys(reads, float("inf"))
    enabled = gc.isenabled()
    gc.disable()
    try:
        for key, factory in factories.items():  # warm up
            _phases(bench, factory, min(n, 100))
            reads[key]()
        for _ in range(repeat):
            for key, factory in factories.items():
                times = _phases(bench, factory, n)
                best[key] = [min(a, b) for a, b in zip(best[key], times, strict=True)]
                seconds = timeit.timeit(reads[key], number=nReads, timer=time.process_time)
                bestRead[key] = min(bestRead[key], seconds / nReads * 1e6)
    finally:
        if enabled:
            gc.enable()
        bench.close()
    results = [
        PhaseResult(name, best["raw"][i], best["floor"][i], best["ti"][i])
        for i, name in enumerate(PHASES)
    ]
    results.append(
        PhaseResult(
            "whole connection",
            sum(best["raw"]),
            sum(best["floor"]),
            sum(best["ti"]),
        )
    )
    results.append(PhaseResult(BULK_ROW, bestRead["raw"], bestRead["floor"], bestRead["ti"]))
    return results


def formatTable(results: Sequence[PhaseResult]) -> str:
    """The results as a text table."""
    lines = [
        f"{'phase':28} {'raw us':>8} {'floor us':>9} {'Ti us':>8} "
        f"{'floor - raw':>12} {'Ti - floor':>11}",
        "-" * 81,
    ]
    for r in results:
        lines.append(
            f"{r.name:28} {r.rawUs:8.2f} {r.floorUs:9.2f} {r.tiUs:8.2f} "
            f"{r.floorUs - r.rawUs:12.2f} {r.tiUs - r.floorUs:11.2f}"
        )
    lines.append("")
    lines.append(
        "process CPU time per phase of an accepted connection and per 64 KiB read, "
        "best of runs, GC off; the floor is the API's least work (see the docstring)"
    )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: print the table (or JSON)."""
    return runMain(__doc__, argv, 7, runBenchmarks, formatTable)


if __name__ == "__main__":
    sys.exit(main())

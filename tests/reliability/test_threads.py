"""
Threads: 16 worker threads doing blocking read / write / close on shared and
separate sockets while the reactor serves other connections. No deadlock
(every wait is bounded), no lost or reordered data, every thread finishes.
"""

from __future__ import annotations

import random
import struct
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest_twisted
from reliability_helpers import closeAll, connected, listener, pair, socketFdCount, within
from test_load import echoMany
from twisted.internet.defer import Deferred, gatherResults

from tisocket_twisted import (
    InvalidStateError,
    SocketState,
    TCPSocket,
    Ti,
    TiSocketError,
    _connection,
    createBuffer,
)

RECORD = struct.Struct("!HII")  # thread, sequence, payload length


def runThreads(reactor: Any, work: list[Callable[[], Any]]) -> Deferred[list[Any]]:
    """Run each callable in its own daemon thread; a Deferred of their results."""
    results: list[Deferred[Any]] = []
    for f in work:
        d: Deferred[Any] = Deferred()
        results.append(d)

        def run(f: Callable[[], Any] = f, d: Deferred[Any] = d) -> None:
            try:
                result = f()
            except BaseException as e:  # reported to the test
                reactor.callFromThread(d.errback, e)
            else:
                reactor.callFromThread(d.callback, result)

        threading.Thread(target=run, daemon=True).start()
    return within(gatherResults(results, consumeErrors=True), reactor, 120)


def blockingWrite(sock: TCPSocket, data: bytes) -> None:
    buffer = createBuffer(length=len(data))
    buffer._data[:] = data
    assert sock.write(buffer) == len(data)


def blockingRead(sock: TCPSocket, count: int) -> bytes:
    """Read exactly C{count} bytes (fewer only at end of stream)."""
    out = bytearray()
    buffer = createBuffer(length=65536)
    while len(out) < count:
        n = sock.read(buffer, 0, min(65536, count - len(out)))
        if n < 0:
            break
        out += bytes(buffer._data[:n])
    return bytes(out)


def separateEcho(sock: TCPSocket, seed: int) -> int:
    """Write random-sized messages to an echo and read each back; then close."""
    rng = random.Random(seed)
    total = 0
    for _ in range(40):
        message = rng.randbytes(rng.randint(1, 50_000))
        blockingWrite(sock, message)
        assert blockingRead(sock, len(message)) == message
        total += len(message)
    sock.close()
    return total


def sharedWriter(sock: TCPSocket, thread: int) -> int:
    """Write 200 framed records on a socket other threads write to as well."""
    rng = random.Random(thread)
    for seq in range(200):
        payload = rng.randbytes(rng.randint(0, 4000))
        blockingWrite(sock, RECORD.pack(thread, seq, len(payload)) + payload)
    return 200


def sharedReader(sock: TCPSocket) -> tuple[int, Counter[int]]:
    """Read whatever arrives on a socket other threads read too, until end of stream."""
    buffer = createBuffer(length=8192)
    count = 0
    histogram: Counter[int] = Counter()
    while True:
        try:
            n = sock.read(buffer)
        except InvalidStateError:
            # Another reader got the end of stream and the socket closed (CONTRACT §6).
            assert sock.state is SocketState.CLOSED
            return count, histogram
        if n < 0:
            return count, histogram
        count += n
        histogram.update(bytes(buffer._data[:n]))


class RecordSink:
    """Pumps a socket and checks framed records: per-thread order and payloads."""

    def __init__(self, sock: TCPSocket) -> None:
        self.pending = bytearray()
        self.next: dict[int, int] = {}
        self.records = 0
        self.ended = Ti.Stream.pump(sock, self.handler, 65536, True)

    def handler(self, event: Any) -> None:
        if event.bytesProcessed <= 0:
            return
        self.pending += bytes(event.buffer)
        while len(self.pending) >= RECORD.size:
            thread, seq, length = RECORD.unpack_from(self.pending)
            if len(self.pending) < RECORD.size + length:
                break
            assert seq == self.next.get(thread, 0), (thread, seq)
            self.next[thread] = seq + 1
            del self.pending[: RECORD.size + length]
            self.records += 1


def echoAccepted(event: Any) -> None:
    event.socket.accept()
    inbound = event.inbound

    def echo(e: Any) -> None:
        if e.bytesProcessed > 0:
            inbound.write(e.buffer)

    Ti.Stream.pump(inbound, echo, 65536, True)


@pytest_twisted.ensureDeferred
async def test_sixteenThreadsOnSharedAndSeparateSockets(reactor: Any) -> None:
    before = socketFdCount()
    echoServer = listener(accepted=echoAccepted)
    echoServer.accept()
    # 6 threads, each on its own socket to the echo.
    separate = [await connected(reactor, echoServer.port) for _ in range(6)]  # type: ignore[arg-type]
    # 5 threads writing on one shared socket; a sink checks every record's order.
    sinkServer, sharedOut, sinkSide = await pair(reactor)
    sink = RecordSink(sinkSide)
    # 5 threads reading one shared socket that the reactor side feeds.
    feedServer, sharedIn, feeder = await pair(reactor)
    fed = random.Random(99).randbytes(3_000_000)
    work: list[Callable[[], Any]] = [
        (lambda s=s, i=i: separateEcho(s, i)) for i, s in enumerate(separate)
    ]
    work += [(lambda i=i: sharedWriter(sharedOut, i)) for i in range(5)]
    work += [(lambda: sharedReader(sharedIn)) for _ in range(5)]
    assert len(work) == 16
    running = runThreads(reactor, work)
    # Meanwhile the reactor serves other connections: 20 echo clients of 256 KiB.
    buffer = createBuffer(length=len(fed))
    buffer._data[:] = fed
    Ti.Stream.write(feeder, buffer)
    await echoMany(reactor, echoServer.port, 20, 256 * 1024)  # type: ignore[arg-type]
    await within(feeder.close(), reactor)
    results = await running
    # Separate sockets: every message came back intact, in order (checked in the thread).
    assert sum(results[:6]) > 0
    # Shared writers: every record arrived, each thread's in order.
    await within(sharedOut.close(), reactor)
    await within(sink.ended, reactor)
    assert sink.records == 5 * 200 and not sink.pending
    # Shared readers: together they got every byte once.
    total = sum(r[0] for r in results[11:])
    histogram: Counter[int] = Counter()
    for r in results[11:]:
        histogram.update(r[1])
    assert total == len(fed) and histogram == Counter(fed)
    await closeAll(
        reactor,
        *separate,
        sharedOut,
        sinkSide,
        sharedIn,
        feeder,
        echoServer,
        sinkServer,
        feedServer,
    )
    assert socketFdCount() == before


@pytest_twisted.ensureDeferred
async def test_closeFromOneThreadEndsAReadBlockedInAnother(reactor: Any) -> None:
    """A worker blocked in read() on a socket another worker closes gets -1, not a hang."""
    server, client, inbound = await pair(reactor)
    blocked = threading.Event()

    def reader() -> int | str:
        blocked.set()
        try:
            return client.read(createBuffer(length=10))
        except InvalidStateError:
            return "closed before the read started"  # the race went the other way

    def closer() -> str:
        if not blocked.wait(20):
            raise TimeoutError("the reader never started")
        client.close()
        return client.state.name

    results = await runThreads(reactor, [reader, closer])
    assert results[1] == "CLOSED"
    assert results[0] in (-1, "closed before the read started"), results
    await closeAll(reactor, inbound, server)


@pytest_twisted.ensureDeferred
async def test_peerResetEndsAWriteBlockedInAThread(reactor: Any, monkeypatch: Any) -> None:
    """A worker blocked in write() (the peer does not read) gets TiSocketError when it resets."""
    server, client, inbound = await pair(reactor, readHighWaterMark=1024)
    clientConn = client._conn
    backedUp: Deferred[None] = Deferred()
    pauseProducing = _connection._Conn.pauseProducing

    def tellBackedUp(conn: Any) -> None:
        pauseProducing(conn)
        if conn is clientConn and not backedUp.called:
            backedUp.callback(None)

    monkeypatch.setattr(_connection._Conn, "pauseProducing", tellBackedUp)

    def writer() -> str:
        big = createBuffer(length=64 * 1024 * 1024)
        try:
            client.write(big)
        except TiSocketError as e:
            return f"error {e.errno}"
        return "written"

    running = runThreads(reactor, [writer])
    # Let the write back up (the transport pauses the connection), then reset the peer.
    await within(backedUp, reactor)
    inbound._conn.abort()  # type: ignore[union-attr]
    (outcome,) = await running
    assert outcome.startswith("error"), outcome
    await closeAll(reactor, client, inbound, server)

"""
Faults: peer resets, half-closes, a peer that stops reading, a close with
50 MB unflushed, unreachable and unresolvable peers, and exceptions raised
in every kind of user callback.

For each: the documented event once, the right errno and state, nothing
raised out of the library (exceptions in user callbacks are logged), and no
DelayedCall (the autouse check) or socket file descriptor left behind.
"""

from __future__ import annotations

import errno
import hashlib
import os
import socket
import struct
from typing import Any

import pytest_twisted
from reliability_helpers import (
    closeAll,
    connected,
    inThread,
    listener,
    pair,
    socketFdCount,
    within,
)
from twisted.internet.defer import Deferred
from twisted.logger import capturedLogs

from tisocket_twisted import ErrorEvent, InvalidStateError, SocketState, Ti, createBuffer, createTCP

CONNECTED = SocketState.CONNECTED
CLOSED = SocketState.CLOSED
ERROR = SocketState.ERROR
MiB = 1024 * 1024


def bufferOf(data: bytes) -> Any:
    buffer = createBuffer(length=len(data))
    buffer._data[:] = data
    return buffer


async def rawPeer(reactor: Any, **listenOptions: Any) -> tuple[Any, socket.socket, Any]:
    """A Ti listener, a raw blocking client socket, and the accepted Ti socket."""
    server = listener(**listenOptions)
    accepting = server.accept()
    raw = socket.create_connection(("127.0.0.1", server.port), timeout=20)
    inbound = (await within(accepting, reactor)).inbound
    return server, raw, inbound


class Errors(list[Any]):
    """An C{error} callback that records its events; C{first} fires with the first."""

    def __init__(self) -> None:
        super().__init__()
        self.first: Deferred[Any] = Deferred()

    def append(self, event: Any) -> None:
        super().append(event)
        if not self.first.called:
            self.first.callback(event)


class Pumped:
    """Pumps a socket: collects data, fires C{waitFor(n)} Deferreds and C{ended}."""

    def __init__(self, sock: Any, size: int = 65536) -> None:
        self.data = bytearray()
        self.events: list[Any] = []
        self._waits: list[tuple[int, Deferred[None]]] = []
        self.ended: Deferred[Any] = Ti.Stream.pump(sock, self.handler, size, True)

    def handler(self, event: Any) -> None:
        self.events.append(event)
        if event.bytesProcessed > 0:
            self.data += bytes(event.buffer)
        for wait in list(self._waits):
            if len(self.data) >= wait[0] or event.bytesProcessed < 0:
                self._waits.remove(wait)
                wait[1].callback(None)

    def waitFor(self, count: int) -> Deferred[None]:
        d: Deferred[None] = Deferred()
        if len(self.data) >= count:
            d.callback(None)
        else:
            self._waits.append((count, d))
        return d


# ----------------------------------------------------------------------
# Peers that reset or half-close.


@pytest_twisted.ensureDeferred
async def test_peerResetMidStream(reactor: Any) -> None:
    before = socketFdCount()
    server, raw, inbound = await rawPeer(reactor)
    errors = Errors()
    inbound.error = errors.append
    pumped = Pumped(inbound)
    raw.sendall(b"x" * 10_000)
    await within(pumped.waitFor(10_000), reactor)
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    raw.close()  # RST
    end = await within(pumped.ended, reactor)
    assert not end.success and end.code == errno.ECONNRESET
    assert inbound.state is ERROR
    await within(errors.first, reactor)
    assert [e.code for e in errors] == [errno.ECONNRESET]
    assert [e.bytesProcessed for e in pumped.events].count(-1) == 1
    try:
        inbound.write(createBuffer(length=1))
    except InvalidStateError:
        pass
    else:
        raise AssertionError("write after a reset did not raise")
    await within(inbound.close(), reactor)  # a no-op, safe
    await closeAll(reactor, server)
    assert errors[0].code == errno.ECONNRESET and len(errors) == 1
    assert socketFdCount() == before


@pytest_twisted.ensureDeferred
async def test_peerHalfClosesItsWriteSide(reactor: Any) -> None:
    """Peer sends FIN: -1 for the reader; a half-open socket can still answer."""
    before = socketFdCount()
    server, raw, inbound = await rawPeer(reactor, allowHalfOpen=True)
    errors = Errors()
    inbound.error = errors.append
    pumped = Pumped(inbound)
    raw.sendall(b"question")
    raw.shutdown(socket.SHUT_WR)
    end = await within(pumped.ended, reactor)
    assert end.success and end.bytesProcessed == -1 and bytes(pumped.data) == b"question"
    assert inbound.state is CONNECTED  # allowHalfOpen
    await within(Ti.Stream.write(inbound, createBuffer(value="answer")), reactor)
    await within(inbound.close(), reactor)

    def readAll() -> bytes:
        chunks = []
        while chunk := raw.recv(4096):
            chunks.append(chunk)
        return b"".join(chunks)

    assert await inThread(reactor, readAll) == b"answer"
    raw.close()
    assert inbound.state is CLOSED and errors == []
    await closeAll(reactor, server)
    assert socketFdCount() == before


@pytest_twisted.ensureDeferred
async def test_peerHalfCloseClosesTheSocketWithoutAllowHalfOpen(reactor: Any) -> None:
    server, raw, inbound = await rawPeer(reactor)
    errors = Errors()
    inbound.error = errors.append
    pumped = Pumped(inbound)
    raw.shutdown(socket.SHUT_WR)
    end = await within(pumped.ended, reactor)
    assert end.success and end.bytesProcessed == -1
    assert await inThread(reactor, raw.recv, 10) == b""  # our FIN
    assert inbound.state is CLOSED and errors == []
    raw.close()
    await closeAll(reactor, inbound, server)


@pytest_twisted.ensureDeferred
async def test_peerHalfClosesItsReadSide(reactor: Any) -> None:
    """Peer shuts down reading only: writes still complete, reads still work."""
    server, raw, inbound = await rawPeer(reactor)
    errors = Errors()
    inbound.error = errors.append
    raw.shutdown(socket.SHUT_RD)
    event = await within(Ti.Stream.write(inbound, createBuffer(length=100_000)), reactor)
    assert event.success and event.bytesProcessed == 100_000
    pumped = Pumped(inbound)
    raw.sendall(b"still talking")
    await within(pumped.waitFor(13), reactor)
    raw.close()
    await within(pumped.ended, reactor)
    await closeAll(reactor, inbound, server)
    assert inbound.state in (CLOSED, ERROR)
    assert len(errors) <= 1  # the peer closed with our data unread: a reset is allowed


# ----------------------------------------------------------------------
# A peer that stops reading; a close with a lot unflushed.


@pytest_twisted.ensureDeferred
async def test_peerThatStopsReadingTimesTheWriteOutOnce(reactor: Any) -> None:
    before = socketFdCount()
    server = listener()
    errors = Errors()
    # A fresh connection, accepted with a 300 ms write timeout.
    accepting = server.accept({"timeout": 300, "error": errors.append})
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.connect(("127.0.0.1", server.port))
    inbound = (await within(accepting, reactor)).inbound
    chunk = createBuffer(length=MiB)
    outcomes: list[Any] = []
    while True:  # chained writes: each waits for the previous one (backpressure)
        event = await within(Ti.Stream.write(inbound, chunk), reactor)
        outcomes.append(event)
        if not event.success:
            break
        assert len(outcomes) < 64, "the writes never backed up"
    assert outcomes[-1].code == errno.ETIMEDOUT
    await within(errors.first, reactor)
    assert [e.code for e in errors] == [errno.ETIMEDOUT]
    assert inbound.state is ERROR
    assert inbound.bytesWritten <= 32 * MiB  # memory stayed bounded
    raw.close()
    await closeAll(reactor, inbound, server)
    assert len(errors) == 1
    assert socketFdCount() == before


@pytest_twisted.ensureDeferred
async def test_closeWith50MBUnflushedDeliversEverything(reactor: Any) -> None:
    before = socketFdCount()
    server, client, inbound = await pair(reactor)
    payload = os.urandom(50 * 1000 * 1000)
    pumped = Pumped(inbound, 1 << 20)
    client.write(bufferOf(payload))
    closing = client.close()
    assert client.state is CLOSED
    end = await within(pumped.ended, reactor, 120)
    assert end.success and end.bytesProcessed == -1
    await within(closing, reactor)
    assert len(pumped.data) == len(payload)
    assert hashlib.sha256(pumped.data).digest() == hashlib.sha256(payload).digest()
    await closeAll(reactor, inbound, server)
    assert socketFdCount() == before


# ----------------------------------------------------------------------
# Peers that cannot be reached.


def closedPort() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


@pytest_twisted.ensureDeferred
async def test_connectToAClosedPort(reactor: Any) -> None:
    errors = Errors()
    sock = createTCP(host="127.0.0.1", port=closedPort(), error=errors.append)
    event = await within(sock.connect(), reactor)
    assert isinstance(event, ErrorEvent) and event.code == errno.ECONNREFUSED
    assert event.errorCode == errno.ECONNREFUSED and not event.success
    assert sock.state is ERROR and [e.code for e in errors] == [errno.ECONNREFUSED]
    await within(sock.close(), reactor)


@pytest_twisted.ensureDeferred
async def test_connectToAnUnresolvableName(reactor: Any) -> None:
    errors = Errors()
    sock = createTCP(host="no-such-host.invalid", port=80, timeout=15_000, error=errors.append)
    event = await within(sock.connect(), reactor)
    assert isinstance(event, ErrorEvent) and event.code == -1 and event.error
    assert sock.state is ERROR and [e.code for e in errors] == [-1]
    await within(sock.close(), reactor)


# ----------------------------------------------------------------------
# Exceptions in user callbacks: logged, never raised out, nothing corrupted.


def boom(event: Any) -> None:
    raise RuntimeError("a bug in a user callback")


def loggedFailures(events: list[dict[str, Any]]) -> list[str]:
    return [
        e.get("what", "")
        for e in events
        if e.get("log_failure") is not None and e["log_failure"].check(RuntimeError)
    ]


@pytest_twisted.ensureDeferred
async def test_exceptionsInConnectedAcceptedAndErrorCallbacks(reactor: Any) -> None:
    with capturedLogs() as events:
        server = listener(accepted=boom)
        accepting = server.accept()
        client = createTCP(host="127.0.0.1", port=server.port, connected=boom)
        event = await within(client.connect(), reactor)
        assert not isinstance(event, ErrorEvent) and client.state is CONNECTED
        inbound = (await within(accepting, reactor)).inbound
        assert inbound.state is CONNECTED and server.state.name == "LISTENING"
        # The listener still accepts after its callback raised.
        accepting = server.accept()
        second = await connected(reactor, server.port)  # type: ignore[arg-type]
        other = (await within(accepting, reactor)).inbound
        # The sockets still work after their callbacks raised.
        pumped = Pumped(inbound)
        client.write(createBuffer(value="ping"))
        await within(pumped.waitFor(4), reactor)
        # An error callback that raises: still ERROR, once.
        failing = createTCP(host="127.0.0.1", port=closedPort(), error=boom)
        event = await within(failing.connect(), reactor)
        assert event.code == errno.ECONNREFUSED and failing.state is ERROR
        await closeAll(reactor, client, inbound, second, other, server, failing)
    assert sorted(loggedFailures(events)) == ["accepted", "accepted", "connected", "error"]


@pytest_twisted.ensureDeferred
async def test_exceptionsInReadWriteAndPumpCallbacks(reactor: Any) -> None:
    with capturedLogs() as events:
        server, client, inbound = await pair(reactor)
        # write callback
        d: Deferred[Any] = Deferred()

        def writeDone(event: Any) -> None:
            d.callback(event)
            raise RuntimeError("a bug in a user callback")

        assert client.write(createBuffer(value="abcd"), 0, 4, writeDone) == 0
        assert (await within(d, reactor)).success
        # read callback
        d = Deferred()

        def readDone(event: Any) -> None:
            d.callback(event)
            raise RuntimeError("a bug in a user callback")

        assert inbound.read(createBuffer(length=4), readDone) == 0
        assert (await within(d, reactor)).bytesProcessed == 4
        # pump handler: raises on every chunk; the pump keeps going
        chunks: list[int] = []

        def handler(event: Any) -> None:
            chunks.append(event.bytesProcessed)
            raise RuntimeError("a bug in a user callback")

        pumping = Ti.Stream.pump(inbound, handler, 3, True)
        client.write(createBuffer(value="123456789"))
        await within(client.close(), reactor)
        end = await within(pumping, reactor)
        assert end.success and sum(n for n in chunks if n > 0) == 9 and chunks[-1] == -1
        await closeAll(reactor, inbound, server)
    assert len(loggedFailures(events)) == 2 + len(chunks)


@pytest_twisted.ensureDeferred
async def test_exceptionsInWriteStreamAndReadAllCallbacks(reactor: Any) -> None:
    with capturedLogs() as events:
        server, client, inbound = await pair(reactor)
        source = Ti.Stream.createStream({"source": createBuffer(value="x" * 5000), "mode": 0})
        sent: Deferred[Any] = Deferred()

        def copied(event: Any) -> None:
            sent.callback(event)
            raise RuntimeError("a bug in a user callback")

        Ti.Stream.writeStream(source, client, 1000, copied)
        assert (await within(sent, reactor)).bytesProcessed == 5000
        await within(client.close(), reactor)
        got: Deferred[Any] = Deferred()

        def readAllDone(event: Any) -> None:
            got.callback(event)
            raise RuntimeError("a bug in a user callback")

        into = createBuffer(length=0)
        Ti.Stream.readAll(inbound, into, readAllDone)
        event = await within(got, reactor)
        assert event.success and into.length == 5000
        await closeAll(reactor, inbound, server)
    assert len(loggedFailures(events)) == 2

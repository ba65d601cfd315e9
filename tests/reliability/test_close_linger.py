"""
close() is graceful even with received data left unread (CONTRACT §6).

Closing an OS socket whose receive queue still holds data makes Linux send
RST instead of FIN and throw away what it still had to send. A socket that
stopped reading at its read high-water mark always has such data. These
tests close with unread input and check that the peer gets every byte that
was written, then a clean end of stream.
"""

from __future__ import annotations

import hashlib
import os
import socket
import sys
from pathlib import Path
from typing import Any

import pytest
import pytest_twisted
from reliability_helpers import Gate, closeAll, inThread, listener, pair, socketFdCount, within
from twisted.internet import reactor as _reactor
from twisted.internet.defer import Deferred, gatherResults

from tisocket_twisted import SocketState, _connection, createBuffer

CLOSED = SocketState.CLOSED
MiB = 1024 * 1024


def slowReader(port: int, upload: bytes, sent: Deferred[None], gate: Gate) -> tuple[int, str, str]:
    """
    Connect, upload C{upload} (which the server will not read), tell the
    reactor, wait for C{gate}, then read to the end: (bytes, sha256, how it ended).
    """
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
        s.sendall(upload)
        _reactor.callFromThread(sent.callback, None)  # type: ignore[attr-defined]
        gate.wait()
        digest = hashlib.sha256()
        total = 0
        ending = "eof"
        while True:
            try:
                data = s.recv(16 * 1024)
            except ConnectionResetError:
                ending = "reset"
                break
            if not data:
                break
            total += len(data)
            digest.update(data)
        return total, digest.hexdigest(), ending


@pytest_twisted.ensureDeferred
async def test_closeWithUnreadInputDeliversEverything(reactor: Any) -> None:
    """The reported bug: 8 MiB written, input left unread in the kernel, close()."""
    before = socketFdCount()
    server = listener(readHighWaterMark=1024)
    accepting = server.accept()
    sent: Deferred[None] = Deferred()
    gate = Gate()
    reading = inThread(reactor, slowReader, server.port, os.urandom(100_000), sent, gate)
    inbound = (await within(accepting, reactor)).inbound
    await within(sent, reactor)
    payload = os.urandom(8 * MiB)
    buffer = createBuffer(length=len(payload))
    buffer._data[:] = payload
    inbound.write(buffer)
    closing = inbound.close()
    assert inbound.state is CLOSED
    gate.set()
    total, digest, ending = await reading
    assert (total, ending) == (len(payload), "eof")
    assert digest == hashlib.sha256(payload).hexdigest()
    await within(closing, reactor)
    await closeAll(reactor, server)
    assert socketFdCount() == before


@pytest_twisted.ensureDeferred
async def test_closeAfterPeerEndClosesAtOnce(reactor: Any) -> None:
    """The peer already sent FIN (end-of-stream auto-close): no lingering."""
    server, client, inbound = await pair(reactor)
    ended: Deferred[Any] = Deferred()
    inbound.read(createBuffer(length=10), lambda e: ended.callback(e))
    await within(client.close(), reactor)
    event = await within(ended, reactor)
    assert event.bytesProcessed == -1
    await within(inbound.close(), reactor)
    assert inbound.state is CLOSED
    await closeAll(reactor, server)


@pytest_twisted.ensureDeferred
async def test_closeBothEndsWithUnreadDataOnEachSide(reactor: Any) -> None:
    """Both ends close while each holds the other's unread data: both finish cleanly."""
    server, client, inbound = await pair(reactor, readHighWaterMark=1024)
    client.readHighWaterMark = 1024
    client.write(createBuffer(length=300_000))
    inbound.write(createBuffer(length=300_000))
    await within(gatherResults([client.close(), inbound.close()]), reactor)
    assert client.state is CLOSED and inbound.state is CLOSED
    await closeAll(reactor, server)


@pytest_twisted.ensureDeferred
async def test_lingerIsBoundedWhenThePeerNeverReads(
    reactor: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A peer that never reads nor closes: close() gives up after LINGER_TIMEOUT."""
    monkeypatch.setattr(_connection, "LINGER_TIMEOUT", 0.3)
    before = socketFdCount()
    server = listener(readHighWaterMark=1024)
    accepting = server.accept()
    peer = socket.create_connection(("127.0.0.1", server.port))
    try:
        peer.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        peer.sendall(b"x" * 50_000)
        inbound = (await within(accepting, reactor)).inbound
        inbound.write(createBuffer(length=200_000))  # fits the kernel buffers
        started = reactor.seconds()
        await within(inbound.close(), reactor, 10)
        assert reactor.seconds() - started >= 0.3
        assert inbound.state is CLOSED
    finally:
        peer.close()
    await closeAll(reactor, server)
    assert socketFdCount() == before


@pytest_twisted.ensureDeferred
async def test_pendingConnectionWithUnreadDataClosesGracefullyWithItsListener(
    reactor: Any,
) -> None:
    """A connection still in the accept queue, its data unread: FIN at listener close, no RST."""
    before = socketFdCount()
    server = listener()
    # Know when the library holds the connection in its accept queue.
    factory = server._factory
    assert factory is not None
    queued: Deferred[None] = Deferred()
    pendingArrived = factory.pendingArrived

    def tellQueued(inbound: Any) -> None:
        pendingArrived(inbound)
        queued.callback(None)

    factory.pendingArrived = tellQueued  # type: ignore[method-assign]
    with socket.create_connection(("127.0.0.1", server.port), timeout=20) as raw:
        raw.sendall(b"q" * 100_000)
        await within(queued, reactor)
        assert factory.pendingCount == 1
        await within(server.close(), reactor)

        def readToEnd() -> str:
            try:
                while raw.recv(65536):
                    pass
            except ConnectionResetError:
                return "reset"
            return "eof"

        assert await inThread(reactor, readToEnd) == "eof"
    assert socketFdCount() == before


@pytest_twisted.ensureDeferred
async def test_serviceStopDeliversEverythingDespiteUnreadInput(reactor: Any) -> None:
    """stopService with 16 MiB unsent and the client's own data unread: all delivered, then FIN."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import userapp_for_twistd

    from tisocket_twisted import _tap

    options = _tap.Options()
    options.parseOptions(["--port", "0", "--app", "userapp_for_twistd:burst"])
    service = _tap.makeService(options)
    service.privilegedStartService()
    service.startService()
    sent: Deferred[None] = Deferred()
    gate = Gate()
    assert service.port is not None
    started: Deferred[None] = Deferred()
    app = service.app

    def appThatTells(event: Any) -> object:
        result = app(event)
        started.callback(None)
        return result

    service.app = appThatTells
    reading = inThread(reactor, slowReader, service.port, os.urandom(3 * MiB), sent, gate)
    await within(sent, reactor)
    await within(started, reactor)  # the app has the connection
    stopping = service.stopService()
    gate.set()
    total, digest, ending = await reading
    expected = userapp_for_twistd.burstPayload()
    assert (total, ending) == (len(expected), "eof")
    assert digest == hashlib.sha256(expected).hexdigest()
    await within(stopping, reactor)

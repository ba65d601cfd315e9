"""
Sockets used from worker threads (CONTRACT section 7): every public method may
be called from any thread; the blocking forms block the calling worker thread,
never the reactor.
"""

from __future__ import annotations

import errno
import socket
import struct
from typing import Any

import pytest
import pytest_twisted
from twisted.internet.defer import Deferred
from twisted.internet.threads import deferToThread

from tisocket_twisted import (
    InvalidStateError,
    SocketState,
    TCPSocket,
    Ti,
    TiSocketError,
    createBuffer,
    createTCP,
)
from tisocket_twisted._inbox import Inbox
from tisocket_twisted.testing import connectedPair, listeningSocket

CONNECTED = SocketState.CONNECTED
LISTENING = SocketState.LISTENING
CLOSED = SocketState.CLOSED
ERROR = SocketState.ERROR
WAIT = 20.0


def within(d: Deferred[Any], reactor: Any, seconds: float = WAIT) -> Deferred[Any]:
    return d.addTimeout(seconds, reactor)


def consumerAdded(monkeypatch: Any, sock: TCPSocket) -> Deferred[None]:
    """Fires once a consumer (e.g. a worker thread's blocking read) waits on C{sock}'s inbox."""
    d: Deferred[None] = Deferred()
    conn = sock._conn
    assert conn is not None
    inbox = conn.inbox
    addConsumer = Inbox.addConsumer

    def tell(self: Inbox, handle: Any) -> None:
        addConsumer(self, handle)
        if self is inbox and not d.called:
            d.callback(None)

    monkeypatch.setattr(Inbox, "addConsumer", tell)
    return d


async def pair(reactor: Any, **options: Any) -> tuple[TCPSocket, TCPSocket, TCPSocket]:
    """A listener, a connected client and the accepted inbound socket (the toolkit's pair)."""
    server = listeningSocket(reactor, **options)
    sockets = await connectedPair(reactor, listener=server, timeout=WAIT)
    return server, sockets.client, sockets.inbound


async def closeAll(reactor: Any, *sockets: TCPSocket) -> None:
    for sock in sockets:
        if sock.state is not SocketState.INITIALIZED:
            await within(sock.close(), reactor)


@pytest_twisted.ensureDeferred
async def test_blockingReadWaitsForData(reactor: Any, monkeypatch: Any) -> None:
    server, client, inbound = await pair(reactor)
    buf = createBuffer(length=100)
    waiting = consumerAdded(monkeypatch, inbound)
    reading = deferToThread(inbound.read, buf)
    await within(waiting, reactor)
    assert not reading.called  # the worker is blocked, the reactor is not
    client.write(createBuffer(value="hello"))
    assert await within(reading, reactor) == 5
    assert bytes(buf)[:5] == b"hello"
    await within(client.close(), reactor)
    assert await within(deferToThread(inbound.read, buf), reactor) == -1
    await closeAll(reactor, inbound, server)


@pytest_twisted.ensureDeferred
async def test_blockingWriteAndClose(reactor: Any) -> None:
    server, client, inbound = await pair(reactor)
    received: list[int] = []
    done = Ti.Stream.pump(inbound, lambda e: received.append(e.bytesProcessed), 65536, True)
    buf = createBuffer(length=3 * 1024 * 1024)
    assert await within(deferToThread(client.write, buf, 1, 1000), reactor) == 1000
    assert await within(deferToThread(client.write, buf), reactor) == len(buf)
    await within(deferToThread(client.close), reactor)
    assert client.state is CLOSED
    final = await within(done, reactor)
    assert final.totalBytesProcessed == 1000 + len(buf)
    await closeAll(reactor, inbound, server)


@pytest_twisted.ensureDeferred
async def test_syncStreamFunctionsFromAWorkerThread(reactor: Any) -> None:
    server, client, inbound = await pair(reactor)
    payload = bytes(range(256)) * 1000

    def clientSide() -> int:
        source = Ti.Stream.createStream(
            {
                "source": createBuffer(value=payload.decode("latin1"), type="latin1"),
                "mode": Ti.Stream.MODE_READ,
            }
        )
        written = Ti.Stream.writeStream(source, client, 4096)
        client.close()
        return written

    writing = deferToThread(clientSide)
    everything = await within(deferToThread(Ti.Stream.readAll, inbound), reactor)
    assert await within(writing, reactor) == len(payload)
    assert bytes(everything) == payload
    await closeAll(reactor, inbound, server)


@pytest_twisted.ensureDeferred
async def test_syncPumpFromAWorkerThread(reactor: Any) -> None:
    server, client, inbound = await pair(reactor)
    events: list[Any] = []
    pumping = deferToThread(Ti.Stream.pump, inbound, events.append, 3)
    client.write(createBuffer(value="abcdefgh"))
    await within(client.close(), reactor)
    await within(pumping, reactor)
    assert [e.bytesProcessed for e in events][-1] == -1
    assert b"".join(bytes(e.buffer) for e in events) == b"abcdefgh"
    assert max(e.bytesProcessed for e in events) <= 3
    assert events[-1].success
    await closeAll(reactor, inbound, server)


@pytest_twisted.ensureDeferred
async def test_blockingReadReportsAReset(reactor: Any, monkeypatch: Any) -> None:
    server = createTCP(host="127.0.0.1", port=0)
    server.listen()
    accepting = server.accept()
    raw = socket.create_connection(("127.0.0.1", server.port))  # type: ignore[arg-type]
    inbound = (await within(accepting, reactor)).inbound
    buf = createBuffer(length=10)
    waiting = consumerAdded(monkeypatch, inbound)
    reading = deferToThread(inbound.read, buf)
    await within(waiting, reactor)
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    raw.close()
    with pytest.raises(TiSocketError) as info:
        await within(reading, reactor)
    assert info.value.errno == errno.ECONNRESET
    assert inbound.state is ERROR
    with pytest.raises(InvalidStateError):
        await within(deferToThread(inbound.read, buf), reactor)
    await closeAll(reactor, inbound, server)


@pytest_twisted.ensureDeferred
async def test_blockingWriteTimesOut(reactor: Any) -> None:
    server = createTCP(host="127.0.0.1", port=0)
    server.listen()
    accepting = server.accept({"timeout": 200})
    client = createTCP(host="127.0.0.1", port=server.port)
    await within(client.connect(), reactor)
    client._conn.transport.pauseProducing()  # type: ignore[union-attr]  # never reads
    inbound = (await within(accepting, reactor)).inbound
    with pytest.raises(TiSocketError) as info:
        await within(deferToThread(inbound.write, createBuffer(length=32 * 1024 * 1024)), reactor)
    assert info.value.errno == errno.ETIMEDOUT
    assert inbound.state is ERROR
    await closeAll(reactor, client, inbound, server)


@pytest_twisted.ensureDeferred
async def test_everyMethodFromAWorkerThread(reactor: Any) -> None:
    accepted: list[Any] = []

    def setUp() -> tuple[TCPSocket, Any]:
        server = createTCP(host="127.0.0.1", port=0, accepted=accepted.append)
        server.listenQueueSize = 16
        server.listen()
        return server, server.accept({"timeout": 5000})

    server, accepting = await within(deferToThread(setUp), reactor)
    assert server.state is LISTENING

    def clientSetUp() -> tuple[TCPSocket, Any]:
        client = createTCP()
        client.host = "127.0.0.1"
        client.port = server.port
        client.noDelay = True
        return client, client.connect()

    client, connecting = await within(deferToThread(clientSetUp), reactor)
    assert (await within(connecting, reactor)).socket is client
    event = await within(accepting, reactor)
    assert accepted == [event] and event.inbound.timeout == 5000
    with pytest.raises(InvalidStateError):
        await within(deferToThread(client.listen), reactor)  # misuse: client now in ERROR
    assert client.state is ERROR
    await within(deferToThread(event.inbound.close), reactor)
    await within(deferToThread(server.close), reactor)
    assert server.state is CLOSED
    await closeAll(reactor, client)

"""
TCP sockets on real loopback connections (127.0.0.1 / ::1, port 0 only).

Every test waits on Deferreds (never on fixed sleeps) and closes every socket
it made, so the autouse clean-reactor check holds; some also count the
process's file descriptors.
"""

from __future__ import annotations

import contextlib
import errno
import gc
import hashlib
import os
import socket
import struct
from collections.abc import Callable
from typing import Any

import pytest
import pytest_twisted
from twisted.internet.defer import Deferred, DeferredList, gatherResults
from twisted.internet.endpoints import TCP4ClientEndpoint, connectProtocol
from twisted.internet.protocol import Protocol
from twisted.logger import capturedLogs
from twisted.python.failure import Failure

from tisocket_twisted import (
    AcceptedEvent,
    Buffer,
    ErrorEvent,
    InvalidStateError,
    SocketState,
    TCPClientFactory,
    TCPProtocol,
    TCPSocket,
    Ti,
    TiSocketError,
    WouldBlockError,
    createBuffer,
    createTCP,
)
from tisocket_twisted._inbox import ChunkStream, Inbox
from tisocket_twisted._stream import _Pump
from tisocket_twisted.testing import connectedPair

CONNECTED = SocketState.CONNECTED
LISTENING = SocketState.LISTENING
CLOSED = SocketState.CLOSED
ERROR = SocketState.ERROR

#: Upper bound for any single wait, so a bug fails a test instead of hanging it.
WAIT = 20.0


def within(d: Deferred[Any], reactor: Any, seconds: float = WAIT) -> Deferred[Any]:
    return d.addTimeout(seconds, reactor)


def fired() -> tuple[Deferred[Any], Callable[[Any], None]]:
    """A Deferred and a callback that fires it (once) with the callback's argument."""
    d: Deferred[Any] = Deferred()

    def fire(value: Any) -> None:
        if not d.called:
            d.callback(value)

    return d, fire


def fdCount() -> int:
    """Open socket file descriptors of this process (Twisted keeps a reserved /dev/null fd)."""
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            count += os.readlink(f"/proc/self/fd/{fd}").startswith("socket:")
    return count


def listener(reactor: Any, **options: Any) -> TCPSocket:
    options.setdefault("host", "127.0.0.1")
    sock = createTCP(port=0, **options)
    sock.listen()
    return sock


async def connected(reactor: Any, port: int, host: str = "127.0.0.1", **options: Any) -> TCPSocket:
    sock = createTCP(host=host, port=port, **options)
    event = await within(sock.connect(), reactor)
    assert not isinstance(event, ErrorEvent), event
    return sock


async def pair(reactor: Any, **inboundOptions: Any) -> tuple[TCPSocket, TCPSocket, TCPSocket]:
    """A listener, a connected client and the accepted inbound socket (the toolkit's pair)."""
    server = listener(reactor, **inboundOptions)
    sockets = await connectedPair(reactor, listener=server, timeout=WAIT)
    return server, sockets.client, sockets.inbound


async def closeAll(reactor: Any, *sockets: TCPSocket) -> None:
    for sock in sockets:
        if sock.state in (CONNECTED, LISTENING):
            await within(sock.close(), reactor)
        else:
            await within(sock.close(), reactor)  # waits for a close still in progress


class Pumped:
    """
    What L{collectPump} collects: the chunk sizes, the final event's Deferred
    and the data; unpacks as C{(sizes, done, data)}.
    """

    def __init__(self) -> None:
        self.sizes: list[int] = []
        self.data: list[bytes] = []
        self.done: Deferred[Any] = Deferred()
        self._waiters: list[tuple[int, Deferred[None]]] = []

    def __iter__(self) -> Any:
        return iter((self.sizes, self.done, self.data))

    def atLeast(self, count: int) -> Deferred[None]:
        """Fires once C{count} bytes have been pumped."""
        d: Deferred[None] = Deferred()
        self._waiters.append((count, d))
        self._check()
        return d

    def chunk(self, data: bytes) -> None:
        self.sizes.append(len(data))
        self.data.append(data)
        self._check()

    def _check(self) -> None:
        total = sum(self.sizes)
        for waiter in [w for w in self._waiters if w[0] <= total]:
            self._waiters.remove(waiter)
            waiter[1].callback(None)


def collectPump(sock: TCPSocket, size: int) -> Pumped:
    """Pump C{sock}: chunk sizes, a Deferred of the final event, and the data."""
    pumped = Pumped()

    def handler(event: Any) -> None:
        if event.bytesProcessed >= 0:
            pumped.chunk(bytes(event.buffer))

    Ti.Stream.pump(sock, handler, size, True).chainDeferred(pumped.done)
    return pumped


class RawClient(Protocol):
    """A plain Twisted client: records data and its connection loss."""

    def __init__(self, pauseAtOnce: bool = False) -> None:
        self.received = bytearray()
        self.reason: Failure | None = None
        self.lost: Deferred[None] = Deferred()
        self.pauseAtOnce = pauseAtOnce

    def connectionMade(self) -> None:
        if self.pauseAtOnce:
            self.transport.pauseProducing()  # type: ignore[union-attr]

    def dataReceived(self, data: bytes) -> None:
        self.received += data

    def connectionLost(self, reason: Failure | None = None) -> None:
        self.reason = reason
        self.lost.callback(None)  # (a Failure given to callback() would errback)


# ----------------------------------------------------------------------


@pytest_twisted.ensureDeferred
async def test_echoThroughPumpAndWrite(reactor: Any) -> None:
    before = fdCount()
    server, client, inbound = await pair(reactor)
    assert inbound.state is CONNECTED
    assert inbound.host == "127.0.0.1" and inbound.port == client.localPort
    assert inbound.remotePort == client.localPort and client.remotePort == server.port
    assert server.localPort == server.port and server.localAddress == "127.0.0.1"

    def echo(event: Any) -> None:
        if event.bytesProcessed > 0:
            Ti.Stream.write(inbound, event.buffer, lambda e: None)

    serverPump = Ti.Stream.pump(inbound, echo, 1000, True)
    pumped = collectPump(client, 700)
    sizes, clientPump, data = pumped
    payload = bytes(range(256)) * 40
    writeEvent = await within(
        Ti.Stream.write(client, createBuffer(value=payload.decode("latin1"), type="latin1")),
        reactor,
    )
    assert writeEvent.success and writeEvent.bytesProcessed == len(payload)
    await within(pumped.atLeast(len(payload)), reactor)
    assert b"".join(data) == payload
    assert max(sizes) <= 700
    assert client.bytesWritten == len(payload) and inbound.bytesRead == len(payload)
    await closeAll(reactor, client)
    end = await within(serverPump, reactor)
    assert end.bytesProcessed == -1 and end.success
    assert (await within(clientPump, reactor)).success
    await closeAll(reactor, inbound, server)
    assert inbound.state is CLOSED and server.state is CLOSED
    assert fdCount() == before


@pytest_twisted.ensureDeferred
async def test_chunksAreTheReceivedBytesEachItsOwn(reactor: Any) -> None:
    server, client, inbound = await pair(reactor)
    chunks: list[Any] = []
    ended: Deferred[Any] = Deferred()

    class Keep:
        def chunkReceived(self, data: bytes) -> None:
            chunks.append(data)

        def chunksEnded(self, failed: Any) -> None:
            ended.callback(failed)

    inbound.produceChunks(1 << 20, Keep())
    for size in (10, 100_000, 3, 70_000):
        client.write(createBuffer(length=size))
    await closeAll(reactor, client)
    assert await within(ended, reactor) is None
    assert sum(map(len, chunks)) == 170_013
    assert all(type(c) is bytes for c in chunks)
    assert len({id(c) for c in chunks}) == len(chunks)  # each its own, never reused
    await closeAll(reactor, inbound, server)


@pytest_twisted.ensureDeferred
async def test_aPumpedBufferIsCopiedOnlyWhenChanged(reactor: Any) -> None:
    """
    A pump's Buffer is made around the received bytes (no copy); changing it
    changes that Buffer only, and a clone made before the change keeps the
    bytes received.
    """
    server, client, inbound = await pair(reactor)
    events: list[Any] = []
    clones: list[Any] = []
    done: Deferred[Any] = Deferred()

    def handler(e: Any) -> None:
        if e.bytesProcessed > 0:
            events.append(e)
            clones.append(e.buffer.clone())
            e.buffer[0] = 0x5A
            e.buffer.append(b"!")
        elif not done.called:
            done.callback(None)

    Ti.Stream.pump(inbound, handler, 1 << 20, True)
    client.write(createBuffer(value="abc"))
    await closeAll(reactor, client)
    await within(done, reactor)
    assert [bytes(e.buffer) for e in events] == [b"Zbc!"]
    assert [bytes(c) for c in clones] == [b"abc"]
    await closeAll(reactor, inbound, server)


@pytest_twisted.ensureDeferred
async def test_aProtocolThatOverridesDataReceivedSeesEveryByte(reactor: Any) -> None:
    """
    A TCPProtocol subclass that overrides dataReceived (driven through its own
    factory) is given every received byte: the socket does not bypass it.
    """
    server = listener(reactor)
    accepting = server.accept()
    seen: list[int] = []

    class Counting(TCPProtocol):
        def dataReceived(self, data: bytes) -> None:
            seen.append(len(data))
            super().dataReceived(data)

    class CountingFactory(TCPClientFactory):
        def buildProtocol(self, addr: Any) -> TCPProtocol:
            protocol = Counting(self.socket)
            protocol.factory = self
            return protocol

    client = createTCP(reactor=reactor)
    connecting, onConnected = fired()
    client.connected = onConnected
    factory = CountingFactory(client)
    endpoint = TCP4ClientEndpoint(reactor, "127.0.0.1", server.port)
    endpoint.connect(factory).addErrback(factory.connectionFailed)
    await within(connecting, reactor)
    inbound = (await within(accepting, reactor)).inbound
    sizes, done, data = collectPump(client, 1 << 20)
    payload = os.urandom(200_000)
    inbound.write(Buffer(payload))
    await closeAll(reactor, inbound)
    assert (await within(done, reactor)).success
    assert b"".join(data) == payload
    assert sum(seen) == len(payload) == sum(sizes)
    await closeAll(reactor, client, server)


@pytest_twisted.ensureDeferred
async def test_aWrappedTransportProtocolGetsTheBytes(reactor: Any) -> None:
    """
    When the transport's protocol is wrapped after the connection is set up
    (as startTLS does), received bytes go to the wrapper, not straight to the
    socket's inbox.
    """
    server, client, inbound = await pair(reactor)
    transport = inbound._conn.transport  # type: ignore[union-attr]
    original = transport.protocol
    seen: list[bytes] = []

    class Wrapper(Protocol):
        def dataReceived(self, data: bytes) -> None:
            seen.append(bytes(data))
            original.dataReceived(data)

    transport.protocol = Wrapper()
    pumped = collectPump(inbound, 1 << 20)
    client.write(createBuffer(value="through the wrapper"))
    await within(pumped.atLeast(19), reactor)
    assert b"".join(seen) == b"".join(pumped.data) == b"through the wrapper"
    transport.protocol = original
    await closeAll(reactor, client, inbound, server)


@pytest_twisted.ensureDeferred
async def test_pumpChunkSizesAndTotals(reactor: Any) -> None:
    server, client, inbound = await pair(reactor)
    sizes, done, _data = collectPump(inbound, 4096)
    total = 1_000_003
    client.write(createBuffer(length=total))
    await closeAll(reactor, client)
    final = await within(done, reactor)
    assert final.success and final.bytesProcessed == -1
    assert final.totalBytesProcessed == total == sum(sizes)
    assert max(sizes) <= 4096 and min(sizes) >= 1
    await closeAll(reactor, inbound, server)


@pytest_twisted.ensureDeferred
async def test_connectRefused(reactor: Any) -> None:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    errors: list[Any] = []
    sock = createTCP(host="127.0.0.1", port=port, error=errors.append)
    event = await within(sock.connect(), reactor)
    assert isinstance(event, ErrorEvent)
    assert event.code == event.errorCode == errno.ECONNREFUSED
    assert sock.state is ERROR
    assert errors == [event]


@pytest_twisted.ensureDeferred
async def test_unresolvableHostName(reactor: Any) -> None:
    sock = createTCP(host="nothing-here.invalid", port=80)
    event = await within(sock.connect(), reactor)
    assert isinstance(event, ErrorEvent)
    assert event.code == -1 and event.error
    assert sock.state is ERROR


@pytest_twisted.ensureDeferred
async def test_connectByHostName(reactor: Any) -> None:
    server = listener(reactor)
    accepting = server.accept()
    client = await connected(reactor, server.port, host="localhost")  # type: ignore[arg-type]
    inbound = (await within(accepting, reactor)).inbound
    await closeAll(reactor, client, inbound, server)


def _hasIPv6() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _hasIPv6(), reason="no IPv6 loopback on this machine")
@pytest_twisted.ensureDeferred
async def test_ipv6Loopback(reactor: Any) -> None:
    server = listener(reactor, host="::1")
    assert server.localAddress == "::1"
    accepting = server.accept()
    client = await connected(reactor, server.port, host="::1")  # type: ignore[arg-type]
    inbound = (await within(accepting, reactor)).inbound
    assert inbound.host == "::1" and client.remoteAddress == "::1"
    _sizes, done, _ = collectPump(inbound, 100)
    client.write(createBuffer(value="over IPv6"))
    await closeAll(reactor, client)
    assert (await within(done, reactor)).totalBytesProcessed == 9
    await closeAll(reactor, inbound, server)


@pytest_twisted.ensureDeferred
async def test_listenOnAPortInUse(reactor: Any) -> None:
    first = listener(reactor)
    second = createTCP(host="127.0.0.1", port=first.port)
    with pytest.raises(TiSocketError) as info:
        second.listen()
    assert info.value.errno == errno.EADDRINUSE
    assert second.state is ERROR
    await closeAll(reactor, first)


@pytest_twisted.ensureDeferred
async def test_acceptOneShotReArmAndOptions(reactor: Any) -> None:
    accepted: list[AcceptedEvent] = []
    server = listener(reactor, accepted=accepted.append)
    first = server.accept({"timeout": 1000})
    replaced = server.accept({"timeout": 2000})
    clients = [await connected(reactor, server.port) for _ in range(2)]  # type: ignore[arg-type]
    event = await within(first, reactor)
    assert (await within(replaced, reactor)) is event
    assert len(accepted) == 1
    assert event.inbound.timeout == 2000
    assert event.inbound.port == clients[0].localPort
    second = await within(server.accept(), reactor)
    assert second.inbound.port == clients[1].localPort
    assert len(accepted) == 2
    assert server.state is LISTENING
    await closeAll(reactor, *clients, event.inbound, second.inbound, server)


@pytest_twisted.ensureDeferred
async def test_gatingWithASmallQueue(reactor: Any) -> None:
    before = fdCount()
    server = listener(reactor, listenQueueSize=2)
    factory = server._factory
    assert factory is not None
    portReading = lambda: server._listeningPort in reactor.getReaders()  # noqa: E731
    assert portReading()
    arrived: list[Deferred[None]] = [Deferred() for _ in range(8)]
    original = factory.pendingArrived

    def counting(inbound: TCPSocket) -> None:
        original(inbound)
        for d in arrived:
            if not d.called:
                d.callback(None)
                break

    factory.pendingArrived = counting  # type: ignore[method-assign]
    clients = []
    for _ in range(5):
        clients.append(await connected(reactor, server.port))  # type: ignore[arg-type]
    await within(arrived[1], reactor)
    assert factory.pendingCount >= 2
    assert not portReading()  # full: the port is paused, later clients wait in the kernel
    greeted: list[Deferred[Any]] = []
    for client in clients:
        _sizes, done, _data = collectPump(client, 100)
        greeted.append(done)
    inbounds = []
    for _ in clients:
        event = await within(server.accept(), reactor)
        inbounds.append(event.inbound)
        event.inbound.write(createBuffer(value="hello"))
        event.inbound.close()
    assert sorted(s.port for s in inbounds) == sorted(c.localPort for c in clients)
    assert portReading()  # room again: resumed
    results = await within(DeferredList(greeted), reactor)
    assert all(ok and event.totalBytesProcessed == 5 for ok, event in results)
    await closeAll(reactor, *clients, *inbounds, server)
    assert fdCount() == before


@pytest_twisted.ensureDeferred
async def test_pendingConnectionResetBeforeAcceptIsSkipped(reactor: Any) -> None:
    server = listener(reactor)
    factory = server._factory
    assert factory is not None
    arrived: list[Deferred[None]] = [Deferred(), Deferred()]
    original = factory.pendingArrived

    def counting(inbound: TCPSocket) -> None:
        original(inbound)
        next(d for d in arrived if not d.called).callback(None)

    factory.pendingArrived = counting  # type: ignore[method-assign]
    raw = socket.create_connection(("127.0.0.1", server.port))  # type: ignore[arg-type]
    await within(arrived[0], reactor)
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    raw.close()  # RST while the connection waits, paused, in the queue
    good = await connected(reactor, server.port)  # type: ignore[arg-type]
    await within(arrived[1], reactor)
    with capturedLogs() as events:
        event = await within(server.accept(), reactor)
    assert event.inbound.port == good.localPort
    assert any("Dropped a pending connection" in str(e.get("log_format")) for e in events)
    await closeAll(reactor, good, event.inbound, server)


@pytest_twisted.ensureDeferred
async def test_peerResetIsAnErrorOnce(reactor: Any) -> None:
    server = listener(reactor)
    accepting = server.accept()
    raw = socket.create_connection(("127.0.0.1", server.port))  # type: ignore[arg-type]
    inbound = (await within(accepting, reactor)).inbound
    errors: list[Any] = []
    errorFired, fire = fired()

    def onError(event: Any) -> None:
        errors.append((event, event.socket.state))
        fire(event)

    inbound.error = onError
    pumped = collectPump(inbound, 100)
    pumpDone = pumped.done
    raw.sendall(b"some data")
    await within(pumped.atLeast(1), reactor)
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    raw.close()
    event = await within(errorFired, reactor)
    assert event.code == errno.ECONNRESET and event.success is False
    final = await within(pumpDone, reactor)
    assert final.success is False and final.code == errno.ECONNRESET
    assert inbound.state is ERROR
    buf = createBuffer(length=1)
    with pytest.raises(InvalidStateError):
        inbound.read(buf)
    # A second error callback (there must be none) would have come by the time
    # the socket and the listener have closed, which takes reactor turns.
    await closeAll(reactor, inbound, server)
    assert [state for _, state in errors] == [ERROR]


@pytest_twisted.ensureDeferred
@pytest.mark.parametrize("halfOpen", [False, True])
async def test_endOfStreamFromAHalfClosingPeer(reactor: Any, halfOpen: bool) -> None:
    server = listener(reactor, allowHalfOpen=halfOpen)
    accepting = server.accept()
    raw = RawClient()
    await within(
        connectProtocol(TCP4ClientEndpoint(reactor, "127.0.0.1", server.port), raw), reactor
    )
    inbound = (await within(accepting, reactor)).inbound
    assert inbound.allowHalfOpen is halfOpen  # inherited from the listener
    statesAtEnd: list[SocketState] = []

    def handler(event: Any) -> None:
        if event.bytesProcessed < 0:
            statesAtEnd.append(inbound.state)
            inbound.write(createBuffer(value="reply"))

    done = Ti.Stream.pump(inbound, handler, 100, True)
    raw.transport.write(b"request")  # type: ignore[union-attr]
    raw.transport.loseWriteConnection()  # type: ignore[union-attr]
    final = await within(done, reactor)
    assert final.success and final.totalBytesProcessed == 7
    assert statesAtEnd == [CONNECTED]
    if halfOpen:
        # Still open for writing: a socket that had closed itself would refuse this.
        inbound.write(createBuffer(value=" and more"))
        await within(inbound.close(), reactor)
        await within(raw.lost, reactor)
    else:
        await within(raw.lost, reactor)  # it closed by itself after the pump's end
        assert inbound.state is CLOSED
    assert bytes(raw.received) == (b"reply and more" if halfOpen else b"reply")
    await closeAll(reactor, inbound, server)


@pytest_twisted.ensureDeferred
async def test_gracefulCloseFlushesTenMegabytes(reactor: Any) -> None:
    server, client, inbound = await pair(reactor)
    _sizes, done, _ = collectPump(client, 65536)
    size = 10 * 1024 * 1024
    assert inbound.write(createBuffer(length=size)) == size
    closed = inbound.close()
    assert inbound.state is CLOSED
    final = await within(done, reactor)
    assert final.success and final.totalBytesProcessed == size
    await within(closed, reactor)
    await closeAll(reactor, client, server)


@pytest_twisted.ensureDeferred
async def test_peerThatNeverReads(reactor: Any) -> None:
    server = listener(reactor)
    accepting = server.accept({"timeout": 300})
    raw = RawClient(pauseAtOnce=True)
    await within(
        connectProtocol(TCP4ClientEndpoint(reactor, "127.0.0.1", server.port), raw), reactor
    )
    inbound = (await within(accepting, reactor)).inbound
    errorFired, fire = fired()
    inbound.error = fire
    chunk = createBuffer(length=256 * 1024)
    completed = [0]
    buffered: list[int] = []

    def writeMore(event: Any = None) -> None:
        if event is not None:
            if not event.success:
                return
            completed[0] += 1
        transport = inbound._conn.transport  # type: ignore[union-attr]
        buffered.append(len(transport.dataBuffer) - transport.offset + transport._tempDataLen)
        Ti.Stream.write(inbound, chunk, writeMore)

    writeMore()
    event = await within(errorFired, reactor)
    assert event.code == errno.ETIMEDOUT and inbound.state is ERROR
    # Callbacks stopped coming once the kernel buffers were full ...
    assert completed[0] * len(chunk) < 64 * 1024 * 1024
    # ... and the transport never held more than its high-water mark plus one write.
    assert max(buffered) <= 65536 + len(chunk)
    raw.transport.abortConnection()  # type: ignore[union-attr]
    await within(raw.lost, reactor)
    await closeAll(reactor, inbound, server)


def _rss() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


@pytest.mark.slow
@pytest_twisted.ensureDeferred
async def test_hundredMegabytesToANonReaderStayBoundedThenArriveIntact(reactor: Any) -> None:
    server, client, inbound = await pair(reactor)
    block = os.urandom(1024 * 1024)
    total = 100 * 1024 * 1024
    chunkSize = 256 * 1024
    sentHash = hashlib.sha256()
    sent = [0]
    finished: Deferred[None] = Deferred()

    def sendMore(event: Any = None) -> None:
        if event is not None and not event.success:
            finished.errback(AssertionError(event.error))
            return
        if sent[0] >= total:
            client.close()
            finished.callback(None)
            return
        start = sent[0] % len(block)
        piece = block[start : start + chunkSize]
        sentHash.update(piece)
        sent[0] += len(piece)
        Ti.Stream.write(client, createBuffer(value=piece.decode("latin1"), type="latin1"), sendMore)

    # Nobody reads on the server: its inbox fills to the mark and reading stops;
    # then the kernel buffers fill, the client's transport passes its mark and
    # its last write waits for a drain that cannot come while nobody reads.
    inboundConn = inbound._conn
    clientConn = client._conn
    assert inboundConn is not None and clientConn is not None

    def stalled() -> bool:
        return bool(inboundConn.readPauses and clientConn.writePaused and clientConn.waiters)

    # The stall is complete after one of two calls: the server's connection
    # pausing its reads, or a client write queued until the transport drains.
    # Both are watched; the check runs once the call that completed it has returned.
    settled: Deferred[None] = Deferred()
    checking = [False]

    def check(result: object = None) -> object:
        if not checking[0] and (stalled() or finished.called):
            checking[0] = True
            reactor.callLater(0, settled.callback, None)
        return result

    def watch(conn: Any, name: str) -> None:
        method = getattr(conn, name)

        def watched(*args: Any) -> None:
            method(*args)
            check()

        setattr(conn, name, watched)

    watch(inboundConn, "pauseReading")
    watch(clientConn, "waitForDrain")
    finished.addBoth(check)
    baseline = _rss()
    sendMore()
    check()
    await within(settled, reactor, 120)
    assert stalled(), "the sender never stalled"
    assert sent[0] < total
    assert inbound._conn.inbox.size <= inbound.readHighWaterMark + 65536  # type: ignore[union-attr]
    assert _rss() - baseline < 48 * 1024 * 1024
    # Now a reader starts: everything arrives, intact.
    receivedHash = hashlib.sha256()
    count = [0]

    def handler(event: Any) -> None:
        if event.bytesProcessed > 0:
            receivedHash.update(event.buffer._data)
            count[0] += event.bytesProcessed

    final = await within(Ti.Stream.pump(inbound, handler, 65536, True), reactor, 120)
    await within(finished, reactor)
    assert final.success
    assert count[0] == total
    assert receivedHash.hexdigest() == sentHash.hexdigest()
    await closeAll(reactor, client, inbound, server)


@pytest_twisted.ensureDeferred
async def test_wouldBlockInTheReactorThread(reactor: Any) -> None:
    server, client, inbound = await pair(reactor)
    buf = createBuffer(length=10)
    with pytest.raises(WouldBlockError):
        inbound.read(buf)
    with pytest.raises(WouldBlockError):
        Ti.Stream.readAll(inbound)
    with pytest.raises(WouldBlockError):
        Ti.Stream.pump(inbound, lambda e: None, 10)
    assert client.write(createBuffer(value="now")) == 3  # never blocks
    await closeAll(reactor, client, inbound, server)


@pytest_twisted.ensureDeferred
async def test_socketsAreReleasedAfterClose(reactor: Any) -> None:
    before = fdCount()
    for _ in range(3):
        server, client, inbound = await pair(reactor)
        client.write(createBuffer(value="x"))
        await gatherResults([client.close(), inbound.close(), server.close()])
    assert fdCount() == before
    readers = set(reactor.getReaders())
    assert not any(
        isinstance(getattr(r, "protocol", None), object)
        and getattr(getattr(r, "protocol", None), "socket", None) is not None
        for r in readers
    )


@pytest_twisted.ensureDeferred
async def test_aFinishedConnectionIsFreedWithoutTheCyclicGC(reactor: Any) -> None:
    """
    Once an echoed connection has ended, its socket, protocol, inbox, pump
    and handle are freed by reference counting alone: nothing per connection is
    left for the cyclic garbage collector (which a busy server pays for).
    """
    kinds = {TCPSocket, TCPProtocol, Inbox, ChunkStream, _Pump, AcceptedEvent}
    server = listener(reactor)
    finished, finish = fired()
    seen: set[type] = set()

    inbounds: list[TCPSocket] = []

    def accepted(event: Any) -> None:
        inbound = event.inbound
        inbounds.append(inbound)

        def handler(e: Any) -> None:
            if e.bytesProcessed > 0:
                inbound.write(e.buffer)

        Ti.Stream.pump(inbound, handler, 1024, True).addCallback(lambda e: finish(None))
        conn = inbound._conn
        handle = conn.inbox._head
        seen.update(map(type, (inbound, conn, conn.inbox, handle, handle.consumer, event)))

    def alive() -> int:
        return sum(type(o) in kinds for o in gc.get_objects())

    server.accepted = accepted
    server.accept()
    gc.collect()
    gc.disable()  # unreachable cycles now stay in gc.get_objects()
    try:
        before = alive()
        client = RawClient()
        endpoint = TCP4ClientEndpoint(reactor, "127.0.0.1", server.port)
        await within(connectProtocol(endpoint, client), reactor)
        client.transport.write(b"ping")  # type: ignore[union-attr]
        client.transport.loseWriteConnection()  # type: ignore[union-attr]
        await within(client.lost, reactor)
        await within(finished, reactor)
        # close() of the closed socket fires once its OS socket is closed.
        await within(inbounds.pop().close(), reactor)
        assert bytes(client.received) == b"ping"
        assert seen == kinds
        assert alive() == before
    finally:
        gc.enable()
        await within(server.close(), reactor)


@pytest_twisted.ensureDeferred
async def test_listenWithoutHostReadsTheDefaultInterface(reactor: Any) -> None:
    """After listen() without a host, host reads 127.0.0.1, as port reads the bound port."""
    server = createTCP(reactor=reactor)
    server.listen()
    try:
        assert server.host == "127.0.0.1"
        assert server.port == server.localPort and server.port != 0
    finally:
        await server.close()

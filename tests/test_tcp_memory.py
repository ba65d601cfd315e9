"""
TCP sockets driven deterministically: MemoryReactorClock, StringTransport, Clock.

Every state transition and every exception of the contract that does not need
a real network is pinned here.
"""

from __future__ import annotations

import errno
import gc
import weakref
from typing import Any

import pytest
from twisted.internet import error as twistedError
from twisted.internet.address import IPv4Address
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IPushProducer
from twisted.internet.testing import MemoryReactorClock, StringTransport
from twisted.logger import LogLevel, capturedLogs
from twisted.python.failure import Failure
from zope.interface import implementer

from tisocket_twisted import (
    AcceptedEvent,
    ConnectedEvent,
    ErrorEvent,
    InvalidStateError,
    SocketState,
    TCPClientFactory,
    TCPServerFactory,
    TCPSocket,
    Ti,
    TiSocketError,
    TiTypeError,
    TiValueError,
    WouldBlockError,
    createBuffer,
    createTCP,
)
from tisocket_twisted._events import Failed
from tisocket_twisted._tcp import failedFromException

INITIALIZED = SocketState.INITIALIZED
CONNECTED = SocketState.CONNECTED
LISTENING = SocketState.LISTENING
CLOSED = SocketState.CLOSED
ERROR = SocketState.ERROR

#: The port these tests connect to (or ask a listener for). Nothing binds or listens
#: on it: a MemoryReactorClock only records connectTCP and listenTCP. (A connect
#: needs a port from 1 to 65535, so port 0 does not apply here.)
PEER_PORT = 4321


class Recorder:
    """Collects (name, event, state at call time) of socket callbacks."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any, Any]] = []

    def __call__(self, name: str) -> Any:
        def callback(event: Any) -> None:
            socket = event["socket"]
            self.calls.append((name, event, socket.state))

        return callback

    def names(self) -> list[str]:
        return [name for name, _, _ in self.calls]


class Chunks:
    """A ChunkConsumer that records what it gets."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.ended: list[Failed | None] = []
        self.stateAtEnd: list[SocketState] = []
        self.socket: TCPSocket | None = None

    def chunkReceived(self, data: bytes) -> None:
        self.chunks.append(bytes(data))

    def chunksEnded(self, failed: Failed | None) -> None:
        self.ended.append(failed)
        if self.socket is not None:
            self.stateAtEnd.append(self.socket.state)


def connectedClient(
    reactor: MemoryReactorClock | None = None, **options: Any
) -> tuple[TCPSocket, StringTransport, Any, Deferred[Any]]:
    """A client socket connected to a StringTransport; returns (sock, transport, protocol, d)."""
    reactor = reactor or MemoryReactorClock()
    options.setdefault("host", "127.0.0.1")
    options.setdefault("port", PEER_PORT)
    sock = createTCP(reactor=reactor, **options)
    d = sock.connect()
    factory = reactor.tcpClients[-1][2]
    protocol = factory.buildProtocol(None)
    transport = StringTransport()
    protocol.makeConnection(transport)
    return sock, transport, protocol, d


def consume(sock: TCPSocket, size: int = 1000) -> Chunks:
    chunks = Chunks()
    chunks.socket = sock
    sock.produceChunks(size, chunks)
    return chunks


@implementer(IPushProducer)
class PausablePort:
    """A fake listening port that can be paused (MemoryReactor's cannot)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.paused = False
        self.pauses = 0
        self.stopped = False

    def pauseProducing(self) -> None:
        self.paused = True
        self.pauses += 1

    def resumeProducing(self) -> None:
        self.paused = False

    def stopProducing(self) -> None:
        pass

    def stopListening(self) -> None:
        self.stopped = True

    def getHost(self) -> IPv4Address:
        return IPv4Address("TCP", "127.0.0.1", self.port)


class PausableReactor(MemoryReactorClock):
    def listenTCP(self, port: int, factory: Any, backlog: int = 50, interface: str = "") -> Any:
        super().listenTCP(port, factory, backlog, interface)
        listening = PausablePort(port or 40000)
        factory.doStart()
        return listening


class Listener:
    """A listening socket on a memory reactor, and a way to make clients arrive."""

    def __init__(self, reactor: MemoryReactorClock | None = None, **options: Any) -> None:
        self.reactor = reactor or MemoryReactorClock()
        self.recorder = Recorder()
        options.setdefault("accepted", self.recorder("accepted"))
        options.setdefault("error", self.recorder("error"))
        self.sock = createTCP(reactor=self.reactor, **options)
        self.sock.listen()
        self.factory: TCPServerFactory = self.reactor.tcpServers[-1][1]
        self.count = 0

    def arrive(self, transport: StringTransport | None = None) -> tuple[Any, StringTransport]:
        """A client connects; returns (protocol or None if refused, transport)."""
        self.count += 1
        peer = IPv4Address("TCP", "10.0.0.2", 50000 + self.count)
        protocol = self.factory.buildProtocol(peer)
        transport = transport or StringTransport(peerAddress=peer)
        if protocol is not None:
            protocol.makeConnection(transport)
        return protocol, transport

    def inbounds(self) -> list[TCPSocket]:
        return [event.inbound for name, event, _ in self.recorder.calls if name == "accepted"]


# ----------------------------------------------------------------------
# Creation and properties.


def test_createTakesADictOrKeywords() -> None:
    a = createTCP({"host": "example.com", "port": 80, "timeout": 5000})
    b = createTCP(host="example.com", port=80, timeout=5000)
    for sock in (a, b):
        assert (sock.host, sock.port, sock.timeout) == ("example.com", 80, 5000)
        assert sock.state is INITIALIZED
    assert Ti.Network.Socket.createTCP is createTCP
    assert Ti.Network.Socket.TCP is TCPSocket


def test_defaults() -> None:
    sock = createTCP()
    assert sock.apiName == "Ti.Network.Socket.TCP"
    assert sock.state is INITIALIZED
    assert sock.host is None and sock.port is None and sock.timeout is None
    assert sock.listenQueueSize == 511
    assert sock.readHighWaterMark == 1024 * 1024
    assert sock.allowHalfOpen is False and sock.noDelay is False and sock.keepAlive is False
    assert sock.connected is None and sock.error is None and sock.accepted is None
    assert sock.bytesRead == 0 and sock.bytesWritten == 0
    assert sock.localAddress is None and sock.localPort is None
    assert sock.remoteAddress is None and sock.remotePort is None
    assert not sock.isReadable() and not sock.isWritable()


@pytest.mark.parametrize(
    ("options", "exception", "words"),
    [
        ({"colour": 1}, TiTypeError, "colour"),
        ({"host": 12}, TiTypeError, "host"),
        ({"port": "80"}, TiTypeError, "port"),
        ({"port": 70000}, TiValueError, "70000"),
        ({"port": -1}, TiValueError, "-1"),
        ({"timeout": -5}, TiValueError, "timeout"),
        ({"timeout": "5"}, TiTypeError, "timeout"),
        ({"listenQueueSize": 0}, TiValueError, "listenQueueSize"),
        ({"connected": 3}, TiTypeError, "connected"),
        ({"error": "x"}, TiTypeError, "error"),
        ({"accepted": 1.5}, TiTypeError, "accepted"),
        ({"allowHalfOpen": 1}, TiTypeError, "allowHalfOpen"),
        ({"noDelay": "yes"}, TiTypeError, "noDelay"),
        ({"readHighWaterMark": 0}, TiValueError, "readHighWaterMark"),
    ],
)
def test_badOptionsNameTheArgument(options: dict[str, Any], exception: type, words: str) -> None:
    with pytest.raises(exception, match=words):
        createTCP(options)


def test_sameKeyInDictAndKeywords() -> None:
    with pytest.raises(TiTypeError, match="host"):
        createTCP({"host": "a"}, host="b")


@pytest.mark.parametrize(
    "name",
    [
        "state",
        "apiName",
        "localAddress",
        "localPort",
        "remoteAddress",
        "remotePort",
        "bytesRead",
        "bytesWritten",
    ],
)
def test_readOnlyAttributes(name: str) -> None:
    sock = createTCP()
    with pytest.raises(AttributeError):
        setattr(sock, name, 1)


def test_settersAreRefusedWhileConnectedOrConnecting() -> None:
    reactor = MemoryReactorClock()
    sock = createTCP(host="127.0.0.1", port=1, reactor=reactor)
    sock.connect()
    for name, value in [
        ("host", "x"),
        ("port", 2),
        ("timeout", 1),
        ("listenQueueSize", 3),
        ("connected", None),
    ]:
        with pytest.raises(InvalidStateError, match=name):
            setattr(sock, name, value)
    # error and accepted may change any time; so may the extras.
    sock.error = None
    sock.accepted = None
    sock.allowHalfOpen = True
    sock.close()
    sock.host = "127.0.0.2"  # CLOSED: may be re-aimed
    assert sock.host == "127.0.0.2"

    connected, _, _, _ = connectedClient()
    with pytest.raises(InvalidStateError):
        connected.port = 5
    listener = Listener()
    with pytest.raises(InvalidStateError):
        listener.sock.host = "0.0.0.0"


def test_noDelayAndKeepAliveApplyToTheTransport() -> None:
    class TcpTransport(StringTransport):
        noDelay = keepAlive = False

        def setTcpNoDelay(self, enabled: bool) -> None:
            self.noDelay = enabled

        def setTcpKeepAlive(self, enabled: bool) -> None:
            self.keepAlive = enabled

    reactor = MemoryReactorClock()
    sock = createTCP(host="127.0.0.1", port=1, noDelay=True, reactor=reactor)
    sock.connect()
    protocol = reactor.tcpClients[-1][2].buildProtocol(None)
    transport = TcpTransport()
    protocol.makeConnection(transport)
    assert transport.noDelay is True and transport.keepAlive is False
    sock.keepAlive = True
    assert transport.keepAlive is True
    sock.noDelay = False
    assert transport.noDelay is False


# ----------------------------------------------------------------------
# connect.


def test_connectValidation() -> None:
    with pytest.raises(TiValueError, match="host"):
        createTCP(port=80).connect()
    with pytest.raises(TiValueError, match="host"):
        createTCP(host="", port=80).connect()
    with pytest.raises(TiValueError, match="port"):
        createTCP(host="h").connect()
    with pytest.raises(TiValueError, match="port"):
        createTCP(host="h", port=0).connect()


def test_connectRaisesLeavesStateUnchanged() -> None:
    reactor = MemoryReactorClock()
    sock = createTCP(host="127.0.0.1", port=1, reactor=reactor)
    sock.connect()
    with pytest.raises(InvalidStateError, match="in progress"):
        sock.connect()
    assert sock.state is INITIALIZED  # no CONNECTING state
    sock.close()
    connected, _, _, _ = connectedClient()
    with pytest.raises(InvalidStateError, match="CONNECTED"):
        connected.connect()
    assert connected.state is CONNECTED
    listener = Listener()
    with pytest.raises(InvalidStateError, match="LISTENING"):
        listener.sock.connect()
    assert listener.sock.state is LISTENING


def test_connectSuccess() -> None:
    reactor = MemoryReactorClock()
    recorder = Recorder()
    sock = createTCP(
        host="127.0.0.1",
        port=PEER_PORT,
        reactor=reactor,
        connected=recorder("connected"),
        error=recorder("error"),
    )
    d = sock.connect()
    host, port, _, _timeout, _ = reactor.tcpClients[0]
    assert (host, port) == ("127.0.0.1", PEER_PORT)
    assert sock.state is INITIALIZED
    assert recorder.calls == []
    protocol = reactor.tcpClients[0][2].buildProtocol(None)
    protocol.makeConnection(StringTransport())
    assert recorder.names() == ["connected"]
    _name, event, state = recorder.calls[0]
    assert state is CONNECTED  # state first, then the callback
    assert isinstance(event, ConnectedEvent) and event.socket is sock and event["socket"] is sock
    assert d.called and d.result is event
    assert reactor.getDelayedCalls() == []  # the connect timer is gone
    assert sock.isReadable() and sock.isWritable()
    assert sock.remoteAddress == "192.168.1.1" and sock.remotePort == 54321
    assert sock.localAddress == "10.0.0.1" and sock.localPort == 12345


def test_connectIPv6LiteralUsesAnIPv6Endpoint() -> None:
    reactor = MemoryReactorClock()
    sock = createTCP(host="::1", port=PEER_PORT, reactor=reactor)
    sock.connect()
    assert reactor.tcpClients[0][0] == "::1"
    sock.close()


def test_connectRefused() -> None:
    reactor = MemoryReactorClock()
    recorder = Recorder()
    sock = createTCP(host="127.0.0.1", port=PEER_PORT, reactor=reactor, error=recorder("error"))
    d = sock.connect()
    connector = reactor.connectors[0]
    reactor.tcpClients[0][2].clientConnectionFailed(
        connector, Failure(twistedError.ConnectionRefusedError(osError=errno.ECONNREFUSED))
    )
    assert recorder.names() == ["error"]
    _, event, state = recorder.calls[0]
    assert state is ERROR
    assert isinstance(event, ErrorEvent)
    assert event.success is False
    assert event.code == event.errorCode == errno.ECONNREFUSED
    assert event.error
    assert dict(event).keys() == {"socket", "success", "code", "errorCode", "error"}
    assert d.result is event
    assert reactor.getDelayedCalls() == []


def test_connectTimeoutUsesTheInjectedClock() -> None:
    reactor = MemoryReactorClock()
    recorder = Recorder()
    sock = createTCP(
        host="127.0.0.1", port=PEER_PORT, timeout=2500, reactor=reactor, error=recorder("error")
    )
    d = sock.connect()
    reactor.advance(2.4)
    assert recorder.calls == []
    reactor.advance(0.2)
    assert recorder.names() == ["error"]
    assert recorder.calls[0][1].code == errno.ETIMEDOUT
    assert recorder.calls[0][2] is ERROR
    assert d.result.code == errno.ETIMEDOUT
    assert reactor.connectors[0].stoppedConnecting
    assert reactor.getDelayedCalls() == []


def test_connectWithoutTimeoutGivesUpAfter30Seconds() -> None:
    reactor = MemoryReactorClock()
    sock = createTCP(host="127.0.0.1", port=PEER_PORT, reactor=reactor)
    d = sock.connect()
    reactor.advance(29.9)
    assert not d.called
    reactor.advance(0.2)
    assert d.result.code == errno.ETIMEDOUT
    assert sock.state is ERROR


def test_closeCancelsAConnectInProgress() -> None:
    reactor = MemoryReactorClock()
    recorder = Recorder()
    sock = createTCP(host="127.0.0.1", port=PEER_PORT, reactor=reactor, error=recorder("error"))
    d = sock.connect()
    closed = sock.close()
    assert sock.state is CLOSED
    assert closed.called
    assert recorder.calls == []  # no error callback
    event = d.result
    assert isinstance(event, ErrorEvent)
    assert event.code == errno.ECANCELED and event.success is False and event.socket is sock
    assert reactor.connectors[0].stoppedConnecting
    assert reactor.getDelayedCalls() == []


def test_reconnectFromErrorAndClosed() -> None:
    reactor = MemoryReactorClock()
    recorder = Recorder()
    sock = createTCP(
        host="127.0.0.1",
        port=PEER_PORT,
        reactor=reactor,
        connected=recorder("connected"),
        error=recorder("error"),
    )
    sock.connect()
    reactor.tcpClients[0][2].clientConnectionFailed(
        None, Failure(twistedError.ConnectionRefusedError(osError=errno.ECONNREFUSED))
    )
    assert sock.state is ERROR
    sock.port = PEER_PORT + 1  # settable again in ERROR; the next connect uses it
    sock.connect()
    assert reactor.tcpClients[1][:2] == ("127.0.0.1", PEER_PORT + 1)
    protocol = reactor.tcpClients[1][2].buildProtocol(None)
    protocol.makeConnection(StringTransport())
    assert sock.state is CONNECTED
    sock.close()
    assert sock.state is CLOSED
    sock.connect()
    protocol = reactor.tcpClients[2][2].buildProtocol(None)
    protocol.makeConnection(StringTransport())
    assert recorder.names() == ["error", "connected", "connected"]


def test_callbackThatRaisesIsLoggedAndHarmless() -> None:
    def boom(event: Any) -> None:
        raise ZeroDivisionError("user bug")

    with capturedLogs() as events:
        sock, transport, _, d = connectedClient(connected=boom)
    assert sock.state is CONNECTED
    assert isinstance(d.result, ConnectedEvent)
    failures = [e for e in events if "log_failure" in e]
    assert failures and failures[0]["log_failure"].check(ZeroDivisionError)
    sock.write(createBuffer(value="still works"))
    assert transport.value() == b"still works"


def test_clientFactoryWithAnyEndpoint() -> None:
    recorder = Recorder()
    sock = createTCP(connected=recorder("connected"), error=recorder("error"))
    factory = TCPClientFactory(sock)
    protocol = factory.buildProtocol(None)
    protocol.makeConnection(StringTransport())
    assert sock.state is CONNECTED and recorder.names() == ["connected"]
    sock.close()
    other = createTCP(error=recorder("error"))
    TCPClientFactory(other).connectionFailed(
        Failure(twistedError.ConnectionRefusedError(osError=errno.ECONNREFUSED))
    )
    assert other.state is ERROR
    assert recorder.names() == ["connected", "error"]


# ----------------------------------------------------------------------
# Error mapping.


@pytest.mark.parametrize(
    ("exception", "code"),
    [
        (twistedError.ConnectionRefusedError(osError=errno.ECONNREFUSED), errno.ECONNREFUSED),
        (twistedError.ConnectionRefusedError(), errno.ECONNREFUSED),
        (twistedError.TimeoutError(), errno.ETIMEDOUT),
        (twistedError.ConnectionLost(), errno.ECONNRESET),
        (twistedError.ConnectionAborted(), errno.ECONNABORTED),
        (twistedError.ConnectingCancelledError(None), errno.ECANCELED),
        (twistedError.DNSLookupError("nope.invalid"), -1),
        (
            twistedError.CannotListenError("127.0.0.1", 80, OSError(errno.EADDRINUSE, "in use")),
            errno.EADDRINUSE,
        ),
        (OSError(errno.EPIPE, "Broken pipe"), errno.EPIPE),
        (ValueError("odd"), -1),
    ],
)
def test_errnoMapping(exception: BaseException, code: int) -> None:
    failed = failedFromException(exception)
    assert failed.code == code
    assert failed.message


# ----------------------------------------------------------------------
# Reading: pump-style consumers, sync reads, end of stream.


def test_produceChunksSizesAndFifo() -> None:
    sock, _, protocol, _ = connectedClient()
    first = consume(sock, 4)
    protocol.dataReceived(b"0123456789")
    assert first.chunks == [b"0123", b"4567", b"89"]
    assert sock.bytesRead == 10


def test_dataBeforeAnyConsumerIsHeldAndDeliveredLater() -> None:
    reactor = MemoryReactorClock()
    sock, _, protocol, _ = connectedClient(reactor)
    protocol.dataReceived(b"early")
    chunks = consume(sock, 100)
    assert chunks.chunks == []  # never before produceChunks returns
    reactor.advance(0)
    assert chunks.chunks == [b"early"]


def test_readHighWaterMarkPausesTheTransport() -> None:
    reactor = MemoryReactorClock()
    sock, transport, protocol, _ = connectedClient(reactor, readHighWaterMark=100)
    protocol.dataReceived(b"x" * 99)
    assert transport.producerState == "producing"
    protocol.dataReceived(b"x" * 2)
    assert transport.producerState == "paused"
    buf = createBuffer(length=80)
    assert sock.read(buf) == 80
    assert transport.producerState == "producing"
    chunks = consume(sock, 1000)
    reactor.advance(0)
    assert chunks.chunks == [b"x" * 21]


def test_syncReadInTheReactorThread() -> None:
    sock, _, protocol, _ = connectedClient()
    buf = createBuffer(length=4)
    with pytest.raises(WouldBlockError, match="callback"):
        sock.read(buf)
    protocol.dataReceived(b"abcdef")
    assert sock.read(buf) == 4
    assert bytes(buf) == b"abcd"
    assert sock.read(buf, 1, 3) == 2
    assert bytes(buf) == b"aefd"


def test_checkBlockingAllowed() -> None:
    sock = createTCP()
    with pytest.raises(InvalidStateError):
        sock.checkBlockingAllowed("pump")
    sock, _, _, _ = connectedClient()
    with pytest.raises(WouldBlockError, match="asynchronous"):
        sock.checkBlockingAllowed("pump")
    sock.close()
    with pytest.raises(InvalidStateError, match="CLOSED"):
        sock.checkBlockingAllowed("pump")


def test_endOfStreamWithoutHalfOpenClosesAfterTheCallbacks() -> None:
    reactor = MemoryReactorClock()
    sock, transport, protocol, _ = connectedClient(reactor)
    pump = consume(sock, 100)
    read = consume(sock, 100)
    protocol.dataReceived(b"last words")
    protocol.readConnectionLost()
    assert pump.chunks == [b"last words"]
    assert pump.ended == [None] and read.ended == [None]
    assert pump.stateAtEnd == [CONNECTED] and read.stateAtEnd == [CONNECTED]
    assert sock.state is CLOSED
    assert transport.disconnecting


def test_endOfStreamWithHalfOpenStaysConnected() -> None:
    reactor = MemoryReactorClock()
    sock, transport, protocol, _ = connectedClient(reactor, allowHalfOpen=True)
    pump = consume(sock)
    protocol.readConnectionLost()
    assert pump.ended == [None]
    assert sock.state is CONNECTED
    sock.write(createBuffer(value="reply"))
    assert transport.value() == b"reply"
    buf = createBuffer(length=5)
    assert sock.read(buf) == -1
    assert sock.state is CONNECTED
    sock.close()
    assert sock.state is CLOSED


def test_heldDataStaysReadableAfterEndOfStream() -> None:
    reactor = MemoryReactorClock()
    sock, _, protocol, _ = connectedClient(reactor)
    protocol.dataReceived(b"held")
    protocol.readConnectionLost()
    assert sock.state is CONNECTED  # nobody has read the data yet
    buf = createBuffer(length=10)
    assert sock.read(buf, 0, 2) == 2
    assert sock.state is CONNECTED
    assert sock.read(buf, 0, 10) == 2
    assert sock.state is CONNECTED
    assert sock.read(buf) == -1
    assert sock.state is CLOSED
    with pytest.raises(InvalidStateError):
        sock.read(buf)


def test_peerResetFailsConsumersThenErrorCallbackOnce() -> None:
    reactor = MemoryReactorClock()
    order: list[str] = []

    class Watch(Chunks):
        def chunksEnded(self, failed: Failed | None) -> None:
            order.append(f"consumer:{self.socket.state.name}:{failed.code if failed else 0}")  # type: ignore[union-attr]

    sock, _, protocol, _ = connectedClient(
        reactor, error=lambda e: order.append(f"error:{e.socket.state.name}:{e.code}")
    )
    watch = Watch()
    watch.socket = sock
    sock.produceChunks(10, watch)
    writes: list[Any] = []
    sock.writeChunk(b"x", writes.append)
    protocol.connectionLost(Failure(twistedError.ConnectionLost()))
    assert order == [f"consumer:ERROR:{errno.ECONNRESET}", f"error:ERROR:{errno.ECONNRESET}"]
    assert sock.state is ERROR
    reactor.advance(0)
    assert writes == [None]  # that write had been handed over before the reset
    sock.close()  # ERROR: no-op
    assert order[-1].startswith("error")


def test_localCloseEndsConsumersWithSuccessLater() -> None:
    reactor = MemoryReactorClock()
    sock, transport, protocol, _ = connectedClient(reactor)
    chunks = consume(sock)
    protocol.dataReceived(b"")
    sock.close()
    assert sock.state is CLOSED and transport.disconnecting
    assert chunks.ended == []
    reactor.advance(0)
    assert chunks.ended == [None]


def test_consumerStartedOnAClosedSocketGetsOneFailure() -> None:
    reactor = MemoryReactorClock()
    sock, _, _, _ = connectedClient(reactor)
    sock.close()
    chunks = consume(sock)
    reactor.advance(0)
    assert len(chunks.ended) == 1 and chunks.ended[0] is not None
    assert chunks.ended[0].code == -1


# ----------------------------------------------------------------------
# Writing.


def test_writeCompletionIsBatchedAndNeverSynchronous() -> None:
    reactor = MemoryReactorClock()
    sock, transport, _, _ = connectedClient(reactor)
    done: list[Any] = []
    sock.writeChunk(b"abc", done.append)
    sock.writeChunk(b"def", done.append)
    assert done == []
    assert transport.value() == b"abcdef"
    assert len(reactor.getDelayedCalls()) == 1  # one call per turn, not per write
    reactor.advance(0)
    assert done == [None, None]
    assert sock.bytesWritten == 6


def test_writesDuringDeliveryCompleteAtTheEndOfIt() -> None:
    reactor = MemoryReactorClock()
    sock, transport, protocol, _ = connectedClient(reactor)
    done: list[Any] = []

    class Echo(Chunks):
        def chunkReceived(self, data: bytes) -> None:
            sock.writeChunk(data, done.append)
            assert done == []

    sock.produceChunks(100, Echo())
    protocol.dataReceived(b"ping")
    assert done == [None]
    assert transport.value() == b"ping"
    assert reactor.getDelayedCalls() == []


def test_writeWaitsWhileTheTransportBufferIsFull() -> None:
    reactor = MemoryReactorClock()
    sock, transport, _, _ = connectedClient(reactor)
    done: list[Any] = []
    transport.producer.pauseProducing()
    sock.writeChunk(b"a", done.append)
    reactor.advance(0)
    assert done == []
    transport.producer.resumeProducing()
    assert done == [None]


def test_writeTimeoutFailsTheSocket() -> None:
    reactor = MemoryReactorClock()
    recorder = Recorder()
    sock, transport, _, _ = connectedClient(reactor, timeout=1000, error=recorder("error"))
    done: list[Any] = []
    transport.producer.pauseProducing()
    sock.writeChunk(b"a", done.append)
    reactor.advance(0.9)
    assert done == []
    reactor.advance(0.2)
    assert sock.state is ERROR
    assert done[0].code == errno.ETIMEDOUT
    assert recorder.names() == ["error"] and recorder.calls[0][1].code == errno.ETIMEDOUT
    assert transport.disconnecting  # released


def test_writeOnASocketThatIsNotConnected() -> None:
    reactor = MemoryReactorClock()
    sock = createTCP(reactor=reactor)
    with pytest.raises(InvalidStateError):
        sock.write(createBuffer(value="x"))
    events: list[Any] = []
    assert sock.write(createBuffer(value="x"), events.append) == 0
    reactor.advance(0)
    assert events[0].success is False and events[0].code == -1 and events[0].bytesProcessed == -1


def test_syncWriteInTheReactorThreadReturnsAtOnce() -> None:
    sock, transport, _, _ = connectedClient()
    transport.producer.pauseProducing()
    assert sock.write(createBuffer(value="hello"), 1, 3) == 3
    assert transport.value() == b"ell"


def test_gracefulCloseFlushesPendingWritesFirst() -> None:
    reactor = MemoryReactorClock()
    sock, transport, protocol, _ = connectedClient(reactor)
    done: list[Any] = []
    transport.producer.pauseProducing()
    sock.writeChunk(b"tail", done.append)
    closed = sock.close()
    assert transport.producer is None  # unregistered so loseConnection can finish
    assert not closed.called
    protocol.connectionLost(Failure(twistedError.ConnectionDone()))
    assert closed.called
    assert done == [None]


# ----------------------------------------------------------------------
# close and listen misuse.


def test_closeInInitializedRaises() -> None:
    with pytest.raises(InvalidStateError, match="INITIALIZED"):
        createTCP().close()


def test_closeTwiceIsSafe() -> None:
    sock, _, protocol, _ = connectedClient()
    first = sock.close()
    second = sock.close()
    assert not first.called and not second.called
    protocol.connectionLost(Failure(twistedError.ConnectionDone()))
    assert first.called and second.called
    assert sock.close().called


def test_listenOnAConnectedSocketEntersErrorWithoutCallback() -> None:
    reactor = MemoryReactorClock()
    recorder = Recorder()
    sock, transport, _, _ = connectedClient(reactor, error=recorder("error"))
    chunks = consume(sock)
    with pytest.raises(InvalidStateError, match="CONNECTED"):
        sock.listen()
    assert sock.state is ERROR
    assert recorder.calls == []
    assert chunks.ended and chunks.ended[0] is not None
    assert transport.disconnecting


def test_listenTwiceEntersErrorAndReleasesThePort() -> None:
    listener = Listener(PausableReactor())
    port = listener.sock._listeningPort
    with pytest.raises(InvalidStateError, match="LISTENING"):
        listener.sock.listen()
    assert listener.sock.state is ERROR
    assert port.stopped
    assert listener.recorder.calls == []


def test_listenBindFailureRaisesWithErrno() -> None:
    class Refusing(MemoryReactorClock):
        def listenTCP(self, *args: Any, **kwargs: Any) -> Any:
            raise twistedError.CannotListenError(
                "127.0.0.1", 80, OSError(errno.EADDRINUSE, "Address already in use")
            )

    sock = createTCP(port=80, reactor=Refusing())
    with pytest.raises(TiSocketError) as info:
        sock.listen()
    assert info.value.errno == errno.EADDRINUSE
    assert isinstance(info.value, OSError)
    assert sock.state is ERROR


# ----------------------------------------------------------------------
# listen / accept.


def test_listenDefaults() -> None:
    reactor = MemoryReactorClock()
    sock = createTCP(reactor=reactor)
    sock.listen()
    port, factory, backlog, interface = reactor.tcpServers[0]
    assert (port, backlog, interface) == (0, 511, "127.0.0.1")
    assert isinstance(factory, TCPServerFactory)
    assert sock.state is LISTENING
    custom = createTCP(host="::1", port=PEER_PORT, listenQueueSize=7, reactor=reactor)
    custom.listen()
    assert reactor.tcpServers[1][0] == PEER_PORT
    assert reactor.tcpServers[1][2:] == (7, "::1")


def test_acceptRaisesUnlessListening() -> None:
    with pytest.raises(InvalidStateError, match="INITIALIZED"):
        createTCP().accept({})
    listener = Listener()
    with pytest.raises(TiTypeError, match="bogus"):
        listener.sock.accept({"bogus": 1})


def test_inboundPeerFromTheFactoryAddressOrTheTransport() -> None:
    """
    An inbound socket's host and port are the address C{buildProtocol} was
    given; a caller that gives none gets the transport's peer instead.
    """
    listener = Listener()
    listener.sock.accept()
    listener.arrive()  # buildProtocol(10.0.0.2:50001), transport with the same peer
    protocol = listener.factory.buildProtocol(None)
    assert protocol is not None
    protocol.makeConnection(StringTransport(peerAddress=IPv4Address("TCP", "10.0.0.7", 7007)))
    listener.sock.accept()
    listener.reactor.advance(0)  # a pending connection is handed out on the next turn
    inbounds = listener.inbounds()
    assert [(s.host, s.port) for s in inbounds] == [("10.0.0.2", 50001), ("10.0.0.7", 7007)]


def test_acceptOneConnectionPerCall() -> None:
    listener = Listener()
    d = listener.sock.accept({"timeout": 1234})
    _protocol, _ = listener.arrive()
    assert listener.recorder.names() == ["accepted"]
    _, event, state = listener.recorder.calls[0]
    assert isinstance(event, AcceptedEvent)
    assert event.socket is listener.sock and state is LISTENING
    inbound = event.inbound
    assert inbound.state is CONNECTED
    assert (inbound.host, inbound.port) == ("10.0.0.2", 50001)
    assert inbound.timeout == 1234
    assert d.result is event
    listener.arrive()
    assert listener.recorder.names() == ["accepted"]  # not armed again
    assert listener.factory.pendingCount == 1


def test_acceptTakesTheOldestPendingAsynchronously() -> None:
    listener = Listener()
    _, first = listener.arrive()
    listener.arrive()
    assert first.producerState == "paused"  # held, not read
    d = listener.sock.accept()
    assert listener.recorder.calls == []  # asynchronous
    listener.reactor.advance(0)
    inbound = listener.inbounds()[0]
    assert inbound.port == 50001
    assert first.producerState == "producing"
    assert d.result.inbound is inbound
    assert listener.factory.pendingCount == 1


def test_acceptAgainReplacesTheOptions() -> None:
    listener = Listener()
    seen: list[Any] = []
    first = listener.sock.accept({"timeout": 5})
    second = listener.sock.accept(timeout=7, error=seen.append)
    listener.arrive()
    listener.arrive()
    assert len(listener.inbounds()) == 1
    inbound = listener.inbounds()[0]
    assert inbound.timeout == 7 and inbound.error == seen.append
    assert first.result is second.result


def test_inboundErrorCallbackFromAcceptOptions() -> None:
    listener = Listener()
    seen: list[Any] = []
    listener.sock.accept(error=seen.append)
    protocol, _ = listener.arrive()
    inbound = listener.inbounds()[0]
    assert inbound.connected is None
    protocol.connectionLost(Failure(twistedError.ConnectionLost()))
    assert inbound.state is ERROR
    assert [e.code for e in seen] == [errno.ECONNRESET]
    assert listener.sock.state is LISTENING


def test_acceptedCallbackCanReArm() -> None:
    listener = Listener()
    accepted: list[Any] = []

    def onAccepted(event: Any) -> None:
        accepted.append(event.inbound)
        listener.sock.accept()

    listener.sock.accepted = onAccepted
    listener.arrive()
    listener.arrive()
    listener.sock.accept()
    listener.arrive()
    listener.reactor.advance(0)
    assert [s.port for s in accepted] == [50001, 50002, 50003]


def test_acceptedCallbackThatRaisesLeavesTheListenerWorking() -> None:
    listener = Listener()

    def boom(event: Any) -> None:
        raise RuntimeError("user bug")

    listener.sock.accepted = boom
    with capturedLogs() as events:
        d = listener.sock.accept()
        listener.arrive()
    assert any("log_failure" in e for e in events)
    assert isinstance(d.result, AcceptedEvent)
    assert listener.sock.state is LISTENING
    d2 = listener.sock.accept()
    listener.arrive()
    assert d2.called


def test_pendingConnectionKeepsItsDataAndEndOfStream() -> None:
    listener = Listener()
    protocol, _transport = listener.arrive()
    protocol.dataReceived(b"hello, ")
    protocol.dataReceived(b"anyone?")
    protocol.readConnectionLost()
    listener.sock.accept()
    listener.reactor.advance(0)
    inbound = listener.inbounds()[0]
    assert inbound.state is CONNECTED
    chunks = consume(inbound, 100)
    listener.reactor.advance(0)
    assert b"".join(chunks.chunks) == b"hello, anyone?"
    assert chunks.ended == [None]
    assert chunks.stateAtEnd == [CONNECTED]


def test_pendingConnectionResetIsNotHandedOut() -> None:
    listener = Listener()
    with capturedLogs() as events:
        first, _ = listener.arrive()
        listener.arrive()
        first.connectionLost(Failure(twistedError.ConnectionLost()))
    assert any("pending" in str(e.get("log_format", "")) for e in events)
    listener.sock.accept()
    listener.reactor.advance(0)
    assert [s.port for s in listener.inbounds()] == [50002]


def test_pendingConnectionProbedForResetBeforeHandOut() -> None:
    import socket

    class ResetHandle:
        def getsockopt(self, level: int, option: int) -> int:
            assert (level, option) == (socket.SOL_SOCKET, socket.SO_ERROR)
            return errno.ECONNRESET

    class ResetTransport(StringTransport):
        def getHandle(self) -> ResetHandle:
            return ResetHandle()

    listener = Listener()
    _, reset = listener.arrive(ResetTransport())
    listener.arrive()
    listener.sock.accept()
    listener.reactor.advance(0)
    assert [s.port for s in listener.inbounds()] == [50002]
    assert reset.disconnecting  # closed, not leaked


def test_gatingPausesThePortWhenTheQueueIsFull() -> None:
    listener = Listener(PausableReactor(), listenQueueSize=2)
    port = listener.sock._listeningPort
    assert listener.sock.port == 40000  # the bound port
    listener.arrive()
    assert not port.paused
    listener.arrive()
    assert port.paused
    listener.arrive()  # overshoot of an accept batch: queued, not dropped
    assert listener.factory.pendingCount == 3
    listener.sock.accept()
    listener.reactor.advance(0)
    assert port.paused  # 2 still pending
    listener.sock.accept()
    listener.reactor.advance(0)
    assert not port.paused
    assert [s.port for s in listener.inbounds()] == [50001, 50002]


def test_fullQueueRefusesWhenThePortCannotPause() -> None:
    listener = Listener(listenQueueSize=1)
    listener.arrive()
    with capturedLogs() as events:
        refused, _ = listener.arrive()
    assert refused is None
    assert any(e.get("log_level") is LogLevel.warn for e in events)
    listener.sock.accept()
    listener.reactor.advance(0)
    assert [s.port for s in listener.inbounds()] == [50001]


def test_closingTheListenerClosesPendingConnectionsOnly() -> None:
    listener = Listener(PausableReactor())
    listener.arrive()
    listener.sock.accept()
    listener.reactor.advance(0)
    inbound = listener.inbounds()[0]
    pendingProtocol, pending = listener.arrive()
    port = listener.sock._listeningPort
    closed = listener.sock.close()
    assert listener.sock.state is CLOSED
    assert port.stopped
    assert pending.disconnecting
    assert inbound.state is CONNECTED  # accepted sockets live on
    assert not closed.called  # the pending connection's OS socket is not closed yet
    pendingProtocol.connectionLost(Failure(twistedError.ConnectionDone()))
    assert closed.called
    assert listener.recorder.names() == ["accepted"]
    assert listener.sock.close().called  # CLOSED: no-op


def test_closingTheListenerCancelsAnArmedAccept() -> None:
    listener = Listener(PausableReactor())
    first = listener.sock.accept()
    second = listener.sock.accept()
    listener.sock.close()
    for d in (first, second):
        event = d.result
        assert isinstance(event, ErrorEvent)
        assert event.code == errno.ECANCELED and event.success is False
        assert event.socket is listener.sock
    assert listener.recorder.calls == []  # no error callback


def test_listenerPortThroughAnEndpointFactory() -> None:
    reactor = PausableReactor()
    sock = createTCP(reactor=reactor)
    factory = TCPServerFactory(sock, listenQueueSize=1)
    port = reactor.listenTCP(0, factory)
    assert sock.state is LISTENING
    factory.setListeningPort(port)
    assert sock.port == 40000
    protocol = factory.buildProtocol(IPv4Address("TCP", "10.0.0.9", 1))
    protocol.makeConnection(StringTransport())
    assert port.paused
    factory.doStop()
    assert sock.state is CLOSED


def test_reconnectWhileTheOldConnectionIsStillClosing() -> None:
    reactor = MemoryReactorClock()
    sock, oldTransport, oldProtocol, _ = connectedClient(reactor)
    oldClosed = sock.close()
    assert sock.state is CLOSED and oldTransport.disconnecting
    assert not sock.close().called  # CLOSED, but the OS socket is not closed yet
    sock.connect()
    newProtocol = reactor.tcpClients[-1][2].buildProtocol(None)
    newTransport = StringTransport()
    newProtocol.makeConnection(newTransport)
    assert sock.state is CONNECTED
    oldProtocol.connectionLost(Failure(twistedError.ConnectionDone()))
    assert oldClosed.called
    assert sock.state is CONNECTED  # the old connection's end does not touch the new one
    chunks = consume(sock)
    newProtocol.dataReceived(b"new")
    assert chunks.chunks == [b"new"]


def test_listenWhileConnectingRaises() -> None:
    reactor = MemoryReactorClock()
    sock = createTCP(host="127.0.0.1", port=1, reactor=reactor)
    sock.connect()
    with pytest.raises(InvalidStateError, match="in progress"):
        sock.listen()
    assert sock.state is INITIALIZED
    sock.close()


def test_inboundSocketsInheritTheListenersOptions() -> None:
    listener = Listener(allowHalfOpen=True, readHighWaterMark=4096, noDelay=True)
    listener.sock.accept()
    listener.arrive()
    inbound = listener.inbounds()[0]
    assert inbound.allowHalfOpen is True
    assert inbound.readHighWaterMark == 4096
    assert inbound.noDelay is True
    assert inbound.listenQueueSize == 511


@pytest.mark.parametrize("consumerFirst", [True, False])
def test_aConnectionLostWithoutHalfCloseLeavesNoCycle(consumerFirst: bool) -> None:
    """
    A transport that reports the peer's close as connectionLost (no
    half-close: TLS, test transports) leaves no reference cycle between an
    inbound socket and its protocol once the end of stream has been read,
    whether the pump was there before the close or started after it: both are
    freed by reference counting, without the cyclic GC.
    """
    inbounds: list[TCPSocket] = []
    listener = Listener(accepted=lambda e: inbounds.append(e.inbound))
    listener.sock.accept()
    events: list[int] = []
    gc.collect()
    gc.disable()  # a cycle would now keep them alive
    try:
        protocol, transport = listener.arrive()
        inbound = inbounds.pop()
        if consumerFirst:
            Ti.Stream.pump(inbound, lambda e: events.append(e.bytesProcessed), 10, True)
        protocol.dataReceived(b"last")
        protocol.connectionLost(Failure(twistedError.ConnectionDone()))
        if not consumerFirst:
            Ti.Stream.pump(inbound, lambda e: events.append(e.bytesProcessed), 10, True)
            listener.reactor.advance(0)
        assert events == [4, -1]
        assert inbound.state is CLOSED
        inboundRef, protocolRef = weakref.ref(inbound), weakref.ref(protocol)
        del inbound, protocol, transport
        assert inboundRef() is None and protocolRef() is None
    finally:
        gc.enable()


def test_aFinishedClientConnectionLeavesNoCycle() -> None:
    """
    A client socket's protocol holds its factory, which holds the socket: once
    the connection is over, the protocol lets go of the factory, so the
    socket, protocol and factory are freed by reference counting alone.
    """
    gc.collect()
    gc.disable()  # a cycle would now keep them alive
    try:
        sock, transport, protocol, connecting = connectedClient()
        reactor = sock._reactor
        pumped = Ti.Stream.pump(sock, lambda e: None, 10, True)
        protocol.readConnectionLost()
        assert sock.state is CLOSED
        protocol.connectionLost(Failure(twistedError.ConnectionDone()))
        assert pumped.called
        refs = [weakref.ref(sock), weakref.ref(reactor.tcpClients[-1][2])]
        reactor.tcpClients.clear()  # (the memory reactor keeps what connectTCP was given)
        del sock, transport, protocol, connecting, pumped
        assert [ref() for ref in refs] == [None, None]
    finally:
        gc.enable()


def test_aSecondConnectionForASocketInUseIsAbortedAndIgnored() -> None:
    """
    A protocol that connects for a socket already CONNECTED (say, a losing
    parallel attempt) is closed at once, and nothing it reports afterwards
    reaches the socket: its data, end of stream and loss are ignored.
    """
    sock, transport, _, _ = connectedClient()
    chunks = consume(sock)
    second = TCPClientFactory(sock).buildProtocol(None)
    secondTransport = StringTransport()
    second.makeConnection(secondTransport)
    assert secondTransport.disconnecting
    second.dataReceived(b"not for the socket")
    second.readConnectionLost()
    second.connectionLost(Failure(twistedError.ConnectionLost()))
    sock._reactor.advance(0)
    assert sock.state is CONNECTED
    assert chunks.chunks == [] and chunks.ended == []
    assert sock.bytesRead == 0
    sock.write(createBuffer(value="still works"))
    assert transport.value() == b"still works"

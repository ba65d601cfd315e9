"""
Testing helpers for code written with tisocket-twisted, in the spirit of
C{treq.testing}.

Two ways to test code that uses Ti sockets:

  - B{On loopback, with the real reactor.} L{listeningSocket} gives a socket
    listening on 127.0.0.1 with a free port; L{connectedPair} returns a
    Deferred (awaitable) of a L{SocketPair}: a listener, a client CONNECTED to
    it and the accepted inbound socket. L{closeSockets} and
    L{SocketPair.close} close them and wait until the OS sockets are gone.
  - B{In memory, deterministically.} L{MemoryNetwork} is a
    C{MemoryReactorClock} whose C{listenTCP} and C{connectTCP} meet each
    other: pass it as C{reactor=} to C{createTCP} and call
    L{MemoryNetwork.flush} to move bytes and run what is due, as often as the
    test wants. L{memoryPair} builds a connected L{MemorySocketPair} on it in
    one synchronous call. Nothing waits on the clock and no file descriptor
    is used, so it works in C{SynchronousTestCase} too.

The clean-reactor check of the pytest plugin is here as well
(L{ReactorSnapshot}, L{waitForCleanReactor}), for any test runner.

The pytest fixtures (C{tiReactor}, C{tiListener}, C{tiConnectedPair},
C{tiMemoryNetwork}, C{tiMemoryPair}, C{tiCleanReactor}) come with the
package as a pytest plugin, registered under the name C{tisocket}; nothing to
configure. They are thin wrappers of the functions here: the real-reactor ones
need pytest-twisted to run the reactor.

Importing this module neither imports the global reactor nor needs pytest.
The library itself never imports it.
"""

from __future__ import annotations

import errno
import itertools
import socket as _socket
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from twisted.internet import error as _error
from twisted.internet.abstract import isIPv6Address
from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.defer import Deferred, gatherResults, succeed
from twisted.internet.interfaces import (
    IConsumer,
    IHalfCloseableProtocol,
    IListeningPort,
    IPushProducer,
    ITCPTransport,
)
from twisted.internet.protocol import Protocol
from twisted.internet.task import deferLater
from twisted.internet.testing import MemoryReactorClock
from twisted.python.failure import Failure
from zope.interface import implementer

from ._constants import SocketState
from ._events import ErrorEvent
from ._tcp import TCPSocket, createTCP
from ._threads import getReactor

if TYPE_CHECKING:
    from twisted.internet.interfaces import IProtocol, IProtocolFactory

__all__ = [
    "MemoryNetwork",
    "MemoryPort",
    "MemorySocketPair",
    "MemoryTransport",
    "PairError",
    "ReactorSnapshot",
    "SocketPair",
    "closeSockets",
    "connectedPair",
    "listeningSocket",
    "memoryPair",
    "waitForCleanReactor",
]

#: Seconds a helper waits on the real reactor before it gives up.
DEFAULT_TIMEOUT = 10.0

_INITIALIZED = SocketState.INITIALIZED

#: Twisted's connection errors (their constructors are not annotated).
_errors: Any = _error


def _failure(exc: BaseException) -> Failure:
    return Failure(exc)  # type: ignore[no-untyped-call]


# ----------------------------------------------------------------------
# Sockets on loopback, with the real reactor.


class SocketPair:
    """
    Two connected Ti sockets: C{client}, which called C{connect()}, and
    C{inbound}, which C{listener} accepted.

    @ivar client: the connecting socket (CONNECTED).
    @ivar inbound: the accepted socket (CONNECTED), the client's peer.
    @ivar listener: the listening socket, or L{None} when the caller owns it.
    """

    def __init__(self, client: TCPSocket, inbound: TCPSocket, listener: TCPSocket | None) -> None:
        self.client = client
        self.inbound = inbound
        self.listener = listener

    def __repr__(self) -> str:
        return f"<{type(self).__name__} client={self.client!r} inbound={self.inbound!r}>"

    def sockets(self) -> list[TCPSocket]:
        """The client, the inbound socket and (if the pair owns it) the listener."""
        found = [self.client, self.inbound]
        if self.listener is not None:
            found.append(self.listener)
        return found

    def close(self) -> Deferred[None]:
        """Close every socket of the pair; fires once their OS sockets are closed."""
        return closeSockets(*self.sockets())


def listeningSocket(reactor: Any = None, **options: Any) -> TCPSocket:
    """
    A socket listening on 127.0.0.1 on a free port (read it from C{.port}).

    C{options} are those of C{createTCP} (C{host}, C{accepted}, C{listenQueueSize},
    ...); C{port} defaults to 0. Close it with C{close()} or L{closeSockets}.

    @param reactor: the reactor, or L{None} for the global one.
    """
    options.setdefault("host", "127.0.0.1")
    options.setdefault("port", 0)
    if reactor is not None:
        options["reactor"] = reactor
    sock = createTCP(**options)
    sock.listen()
    return sock


def _connectHost(listener: TCPSocket) -> str:
    """Where a client reaches C{listener}: its host, with wildcards made loopback."""
    host = listener.host
    if not host or host == "0.0.0.0":
        return "127.0.0.1"
    if host == "::":
        return "::1"
    return host


class PairError(Exception):
    """L{connectedPair} or L{memoryPair} could not connect; C{event} says why."""

    def __init__(self, message: str, event: Any = None) -> None:
        super().__init__(message)
        self.event = event


def connectedPair(
    reactor: Any = None,
    *,
    listener: TCPSocket | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    **clientOptions: Any,
) -> Deferred[SocketPair]:
    """
    Connect a new client socket to C{listener} (default: a new
    L{listeningSocket}, owned by the pair) and accept it.

    Fires with a L{SocketPair} once the client is CONNECTED and the inbound
    socket accepted; fails with L{PairError} (every socket it made closed) if
    the connection fails, or with C{twisted.internet.defer.TimeoutError} after
    C{timeout} seconds. C{clientOptions} go to the client's C{createTCP}.

    A given C{listener} is accepted from with C{listener.accept()}, which
    takes the oldest connection waiting: give one that has none waiting. It
    is left open (and, after a failure, with its C{accept()} still armed).

    @param reactor: the reactor, or L{None} for the global one.
    """

    async def run() -> SocketPair:
        clock = getReactor(reactor)
        owned = listener is None
        server = listeningSocket(reactor) if listener is None else listener
        if reactor is not None:
            clientOptions["reactor"] = reactor
        clientOptions.setdefault("host", _connectHost(server))
        clientOptions.setdefault("port", server.port)
        client = createTCP(**clientOptions)
        accepting = server.accept()
        try:
            event = await client.connect().addTimeout(timeout, clock)
            if isinstance(event, ErrorEvent):
                raise PairError(f"connect failed: {event.error} (code {event.code})", event)
            accepted = await accepting.addTimeout(timeout, clock)
            if isinstance(accepted, ErrorEvent):
                raise PairError(f"accept failed: {accepted.error}", accepted)
        except BaseException:
            await closeSockets(client, *([server] if owned else []))
            raise
        return SocketPair(client, accepted["inbound"], server if owned else None)

    return Deferred.fromCoroutine(run())


def closeSockets(*sockets: TCPSocket) -> Deferred[None]:
    """
    Close every socket given (a never-used one is skipped, a closed one is
    waited for) and fire once all their OS sockets are closed.
    """
    waits = [sock.close() for sock in sockets if sock.state is not _INITIALIZED]
    return gatherResults(waits).addCallback(lambda _: None)


# ----------------------------------------------------------------------
# The clean-reactor check.


class ReactorSnapshot:
    """
    What a reactor holds at one moment: its pending C{DelayedCall}s, readers
    and writers.

    Take one before a test and compare after it: L{leftSince} gives what the
    test added and did not clean up. An empty snapshot is false.

    @ivar delayedCalls: the pending delayed calls.
    @ivar readers: the readers (C{IReadDescriptor}s).
    @ivar writers: the writers (C{IWriteDescriptor}s).
    """

    def __init__(
        self,
        delayedCalls: Iterable[Any] = (),
        readers: Iterable[Any] = (),
        writers: Iterable[Any] = (),
    ) -> None:
        self.delayedCalls = frozenset(delayedCalls)
        self.readers = frozenset(readers)
        self.writers = frozenset(writers)

    @classmethod
    def take(cls, reactor: Any = None) -> ReactorSnapshot:
        """Snapshot C{reactor} (default: the global reactor)."""
        reactor = getReactor(reactor)
        getReaders = getattr(reactor, "getReaders", None)
        getWriters = getattr(reactor, "getWriters", None)
        return cls(
            reactor.getDelayedCalls(),
            getReaders() if getReaders is not None else (),
            getWriters() if getWriters is not None else (),
        )

    def leftSince(self, before: ReactorSnapshot) -> ReactorSnapshot:
        """What is in this snapshot and was not in C{before}."""
        return ReactorSnapshot(
            self.delayedCalls - before.delayedCalls,
            self.readers - before.readers,
            self.writers - before.writers,
        )

    def __bool__(self) -> bool:
        return bool(self.delayedCalls or self.readers or self.writers)

    def describe(self) -> str:
        """A readable account, for a test failure message."""
        return (
            f"delayed calls {sorted(map(repr, self.delayedCalls))}, "
            f"readers {sorted(map(repr, self.readers))}, "
            f"writers {sorted(map(repr, self.writers))}"
        )

    def __repr__(self) -> str:
        return f"<ReactorSnapshot {self.describe()}>"


def waitForCleanReactor(
    before: ReactorSnapshot, reactor: Any = None, turns: int = 3
) -> Deferred[ReactorSnapshot]:
    """
    Let the reactor turn up to C{turns} times until it holds nothing that
    C{before} did not; fire with what is still left (an empty, false
    snapshot when clean).

    Closing a socket takes a turn or two to release the OS socket: a test that
    waited for C{close()}'s Deferred is clean within three turns.
    """
    clock = getReactor(reactor)

    async def run() -> ReactorSnapshot:
        left = ReactorSnapshot.take(clock).leftSince(before)
        for _ in range(turns):
            if not left:
                break
            await deferLater(clock, 0, lambda: None)
            left = ReactorSnapshot.take(clock).leftSince(before)
        return left

    return Deferred.fromCoroutine(run())


# ----------------------------------------------------------------------
# The in-memory network.


class _Handle:
    """What C{getHandle()} gives: enough of a socket for C{getsockopt(SO_ERROR)}."""

    def __init__(self, transport: MemoryTransport) -> None:
        self._transport = transport

    def getsockopt(self, level: int, option: int, *args: int) -> int:
        """C{SO_ERROR}: the pending error (ECONNRESET once the peer reset); else 0."""
        if level == _socket.SOL_SOCKET and option == _socket.SO_ERROR:
            return errno.ECONNRESET if self._transport._resetIn else 0
        return 0

    def fileno(self) -> int:
        """There is no file descriptor."""
        return -1


@implementer(ITCPTransport, IConsumer, IPushProducer)
class MemoryTransport:
    """
    One end of a connection of a L{MemoryNetwork}: a TCP transport in memory.

    It keeps the rules of Twisted's TCP transports that Ti sockets rely on:
    written bytes wait in the transport, whose streaming producer is paused
    past C{writeBufferSize} bytes and resumed once they are handed on; a
    paused transport reads nothing (its peer's data, end of stream and reset
    wait, and the peer's writes back up); C{loseConnection} sends what was
    written, then the end of stream; the peer gets C{readConnectionLost} if its
    protocol is half-closeable, C{connectionLost} otherwise; C{abortConnection}
    resets the connection. Bytes written to a peer that has gone are dropped.

    @ivar protocol: the protocol it delivers to.
    @ivar peer: the transport at the other end.
    @ivar network: the network it belongs to.
    """

    disconnecting = False
    connected = True

    def __init__(
        self,
        network: MemoryNetwork,
        protocol: IProtocol,
        hostAddress: IPv4Address | IPv6Address,
        peerAddress: IPv4Address | IPv6Address,
    ) -> None:
        self.network = network
        self.protocol = protocol
        self.hostAddress = hostAddress
        self.peerAddress = peerAddress
        self.peer: MemoryTransport | None = None
        self.producer: Any = None
        self.streamingProducer = False
        self.producerPaused = False
        self.readPaused = False
        self.lost = False
        self.noDelay = False
        self.keepAlive = False
        self._out = bytearray()  # written, not yet handed on
        self._in = bytearray()  # handed on by the peer, not yet read
        self._eofIn = False  # the peer's end of stream follows _in
        self._eofRead = False
        self._resetIn = False  # the peer reset the connection
        self._writeShut = False  # end of stream requested (after _out)
        self._finSent = False
        self._aborting = False

    def __repr__(self) -> str:
        return f"<MemoryTransport {self.hostAddress} -> {self.peerAddress}>"

    # ITransport.
    def write(self, data: bytes) -> None:
        """
        Queue C{data}; pause the streaming producer past C{writeBufferSize}.

        As in Twisted, bytes written after C{loseConnection} are still sent
        before the end of stream; after C{loseWriteConnection} they are dropped.
        """
        if self._finSent or self.lost or self._aborting or not data:
            return
        if self._writeShut and not self.disconnecting:
            return
        self._out += data
        if (
            self.producer is not None
            and self.streamingProducer
            and not self.producerPaused
            and len(self._out) > self.network.writeBufferSize
        ):
            self.producerPaused = True
            self.producer.pauseProducing()

    def writeSequence(self, data: Iterable[bytes]) -> None:
        """Queue every string of C{data}."""
        self.write(b"".join(data))

    def loseConnection(self) -> None:
        """Stop reading; send what was written, then the end of stream; then close."""
        if self.disconnecting or self.lost:
            return
        self.disconnecting = True
        self._writeShut = True

    def abortConnection(self) -> None:
        """Close at once, dropping unsent data; the peer sees a reset."""
        if self.lost or self._aborting:
            return
        self._aborting = True
        self.disconnecting = True
        self._out.clear()
        peer = self.peer
        if peer is not None and not peer.lost:
            peer._resetIn = True
        self.network.callLater(
            0, self._connectionLost, _failure(_errors.ConnectionAborted("connection aborted"))
        )

    def loseWriteConnection(self) -> None:
        """Half-close: send what was written, then the end of stream; keep reading."""
        if not self.lost:
            self._writeShut = True

    def getPeer(self) -> IPv4Address | IPv6Address:
        """The peer's address."""
        return self.peerAddress

    def getHost(self) -> IPv4Address | IPv6Address:
        """This end's address."""
        return self.hostAddress

    def getHandle(self) -> _Handle:
        """A stand-in socket that answers C{getsockopt(SOL_SOCKET, SO_ERROR)}."""
        return _Handle(self)

    def logPrefix(self) -> str:
        """The log prefix of the connection."""
        return "MemoryTransport"

    # ITCPTransport options.
    def getTcpNoDelay(self) -> bool:
        """TCP_NODELAY as last set."""
        return self.noDelay

    def setTcpNoDelay(self, enabled: bool) -> None:
        """Record TCP_NODELAY."""
        self.noDelay = bool(enabled)

    def getTcpKeepAlive(self) -> bool:
        """SO_KEEPALIVE as last set."""
        return self.keepAlive

    def setTcpKeepAlive(self, enabled: bool) -> None:
        """Record SO_KEEPALIVE."""
        self.keepAlive = bool(enabled)

    # IConsumer.
    def registerProducer(self, producer: Any, streaming: bool) -> None:
        """Register the producer of this transport's writes (one at a time)."""
        if self.producer is not None:
            raise RuntimeError(f"{self!r} already has a producer: {self.producer!r}")
        self.producer = producer
        self.streamingProducer = bool(streaming)
        self.producerPaused = False
        if not streaming:
            producer.resumeProducing()

    def unregisterProducer(self) -> None:
        """Forget the producer."""
        self.producer = None
        self.producerPaused = False

    # IPushProducer: reading.
    def pauseProducing(self) -> None:
        """Stop reading: the peer's data, end of stream and reset wait."""
        self.readPaused = True

    def resumeProducing(self) -> None:
        """Read again (at the next L{MemoryNetwork.flush})."""
        self.readPaused = False

    def stopProducing(self) -> None:
        """Close the connection."""
        self.loseConnection()

    # Driven by the network.
    def _connectionLost(self, reason: Failure) -> None:
        if self.lost:
            return
        self.lost = True
        self.disconnecting = True
        self.connected = False
        self.producer = None
        self._out.clear()
        self._in.clear()
        self.protocol.connectionLost(reason)

    def _step(self) -> bool:
        """Move what can move by one notch; whether anything did."""
        if self.lost:
            return False
        moved = self._send()
        return self._receive() or moved

    def _send(self) -> bool:
        moved = False
        peer = self.peer
        if self._out and not self._aborting:
            if peer is None or peer.lost or peer.disconnecting:
                self._out.clear()  # the peer is not reading any more
                moved = True
            else:
                room = self.network.socketBufferSize - len(peer._in)
                if room > 0:
                    taken = self._out[:room]
                    del self._out[:room]
                    peer._in += taken
                    moved = True
            if moved and not self._out and self.producerPaused and self.producer is not None:
                self.producerPaused = False
                self.producer.resumeProducing()
        if self._writeShut and not self._out and not self._finSent and not self._aborting:
            self._finSent = True
            if peer is not None and not peer.lost:
                peer._eofIn = True
            if self.disconnecting:
                self._connectionLost(_failure(_errors.ConnectionDone("connection closed")))
            else:
                if IHalfCloseableProtocol.providedBy(self.protocol):
                    self.protocol.writeConnectionLost()
            moved = True
        return moved

    def _receive(self) -> bool:
        if self.lost or self.readPaused or self._aborting:
            return False
        if self._resetIn:
            self._connectionLost(_failure(_errors.ConnectionLost("connection reset by peer")))
            return True
        if self.disconnecting:
            if self._in:
                self._in.clear()  # not reading any more
                return True
            return False
        if self._in:
            size = self.network.readSize
            data = bytes(self._in[:size])
            del self._in[:size]
            self.protocol.dataReceived(data)
            return True
        if self._eofIn and not self._eofRead:
            self._eofRead = True
            if IHalfCloseableProtocol.providedBy(self.protocol):
                self.protocol.readConnectionLost()
            else:
                self.disconnecting = True
                self._connectionLost(_failure(_errors.ConnectionDone("connection closed")))
            return True
        return False


@implementer(IListeningPort, IPushProducer)
class MemoryPort:
    """
    A listening port of a L{MemoryNetwork}.

    Pausing it (what a Ti listener does when its accept queue is full) makes
    new connection attempts wait, as in a full kernel backlog, until it
    resumes or their connect timeout expires.

    @ivar factory: the factory it builds protocols with.
    @ivar paused: whether it is paused.
    """

    def __init__(
        self,
        network: MemoryNetwork,
        factory: IProtocolFactory,
        address: IPv4Address | IPv6Address,
        backlog: int,
    ) -> None:
        self.network = network
        self.factory = factory
        self.address = address
        self.backlog = backlog
        self.paused = False
        self.listening = True
        self.waiting: list[_MemoryConnector] = []

    def __repr__(self) -> str:
        return f"<MemoryPort {self.address}>"

    def startListening(self) -> None:
        """Already listening."""

    def stopListening(self) -> Deferred[None]:
        """Stop listening; waiting connection attempts are refused."""
        if self.listening:
            self.listening = False
            self.network._portStopped(self)
            self.factory.doStop()
            waiting, self.waiting = self.waiting, []
            for connector in waiting:
                connector._refuse()
        return succeed(None)

    def getHost(self) -> IPv4Address | IPv6Address:
        """The address it listens on (with the port it got)."""
        return self.address

    def pauseProducing(self) -> None:
        """Accept nothing until L{resumeProducing}."""
        self.paused = True

    def resumeProducing(self) -> None:
        """Accept again (at the next flush)."""
        self.paused = False
        if self.waiting:
            self.network.callLater(0, self._admit)

    def stopProducing(self) -> None:
        """Stop listening."""
        self.stopListening()

    def _admit(self) -> None:
        while self.waiting and not self.paused and self.listening:
            self.network._establish(self.waiting.pop(0), self)


class _MemoryConnector:
    """The C{IConnector} of a connection attempt on a L{MemoryNetwork}."""

    def __init__(
        self, network: MemoryNetwork, host: str, port: int, factory: Any, timeout: float
    ) -> None:
        self.network = network
        self.host = host
        self.port = port
        self.factory = factory
        self.state = "connecting"
        self.timer: Any = None
        if timeout:
            self.timer = network.callLater(timeout, self._timedOut)

    def getDestination(self) -> IPv4Address | IPv6Address:
        """The address being connected to."""
        return _address(self.host, self.port)

    def stopConnecting(self) -> None:
        """Cancel the attempt."""
        self._fail(_errors.UserError(string="stopConnecting was called"))

    def disconnect(self) -> None:
        """Cancel the attempt, if it is still one."""
        if self.state == "connecting":
            self.stopConnecting()

    def connect(self) -> None:
        """Attempts are made once, by C{connectTCP}."""

    def _attempt(self) -> None:
        if self.state != "connecting":
            return
        port = self.network._portFor(self.host, self.port)
        if port is None:
            self._refuse()
        elif port.paused:
            port.waiting.append(self)
        else:
            self.network._establish(self, port)

    def _refuse(self) -> None:
        self._fail(_errors.ConnectionRefusedError(f"nothing listens on {self.host}:{self.port}"))

    def _timedOut(self) -> None:
        self.timer = None
        self._fail(_errors.TimeoutError(f"connecting to {self.host}:{self.port} timed out"))

    def _fail(self, exc: Exception) -> None:
        if self.state != "connecting":
            return
        self._done("failed")
        self.factory.clientConnectionFailed(self, _failure(exc))

    def _done(self, state: str) -> None:
        self.state = state
        if self.timer is not None:
            if self.timer.active():
                self.timer.cancel()
            self.timer = None
        for port in self.network._ports.values():
            if self in port.waiting:
                port.waiting.remove(self)


def _address(host: str, port: int) -> IPv4Address | IPv6Address:
    if isIPv6Address(host):
        return IPv6Address("TCP", host, port)
    return IPv4Address("TCP", host, port)


class MemoryNetwork(MemoryReactorClock):
    """
    A C{MemoryReactorClock} on which Ti sockets listen and connect to each
    other in memory: pass it as C{reactor=} to C{createTCP}, then call
    L{flush} to let things happen.

    C{listenTCP} gives a L{MemoryPort} (port 0 picks the next free number,
    from 40000; a port in use raises C{CannotListenError} with EADDRINUSE);
    C{connectTCP} to a listening host and port connects at the next
    L{flush} (nothing listening: ECONNREFUSED), with a L{MemoryTransport} at
    each end. Host names connect to 127.0.0.1 (C{MemoryReactor}'s resolver).
    Time moves only with C{advance()}: the clock starts at 0.

    It is a test double for one thread: do not use it from worker threads.

    @ivar writeBufferSize: bytes a transport holds before it pauses its
        producer (Twisted's TCP transports: 64 KiB).
    @ivar socketBufferSize: bytes in flight from one end to the other (the
        kernel's buffers) before the writer's bytes back up.
    @ivar readSize: the most bytes one C{dataReceived} call gets.
    @ivar connections: every connection made, as (client, server) transports.
    """

    writeBufferSize = 65536
    socketBufferSize = 131072
    readSize = 65536

    #: Most rounds one L{flush} makes before it decides things never settle.
    maxRounds = 100_000

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._ports: dict[tuple[str, int], MemoryPort] = {}
        self._portNumbers = itertools.count(40000)
        self._clientPorts = itertools.count(50000)
        self.connections: list[tuple[MemoryTransport, MemoryTransport]] = []

    # IReactorTCP.
    def listenTCP(
        self, port: int, factory: IProtocolFactory, backlog: int = 50, interface: str = ""
    ) -> MemoryPort:
        """Listen on C{interface} (default all IPv4 interfaces) and C{port} (0: a free one)."""
        host = interface or "0.0.0.0"
        if port == 0:
            port = next(n for n in self._portNumbers if not self._portInUse(host, n))
        elif self._portInUse(host, port):
            raise _errors.CannotListenError(
                interface, port, OSError(errno.EADDRINUSE, "Address already in use")
            )
        self.tcpServers.append((port, factory, backlog, interface))
        listening = MemoryPort(self, factory, _address(host, port), backlog)
        self._ports[(host, port)] = listening
        factory.doStart()
        return listening

    def connectTCP(
        self,
        host: str,
        port: int,
        factory: Any,
        timeout: float = 30,
        bindAddress: Any = None,
    ) -> _MemoryConnector:
        """Start connecting to C{host}:C{port}; it happens at the next L{flush}."""
        self.tcpClients.append((host, port, factory, timeout, bindAddress))  # type: ignore[arg-type]
        connector = _MemoryConnector(self, host, port, factory, timeout)
        self.connectors.append(connector)
        factory.startedConnecting(connector)
        self.callLater(0, connector._attempt)
        return connector

    # Driving it.
    def flush(self, seconds: float = 0) -> bool:
        """
        Let everything that can happen, happen: run every call that is due
        and move bytes, connections, ends of stream and resets between the
        ends of every connection, until nothing more happens. With
        C{seconds}, then let that much time pass (running what falls due)
        and do it again. Returns whether anything happened.

        @raise RuntimeError: things never settle (a call that reschedules
            itself at once, for ever).
        """
        anything = self._settle()
        if seconds:
            self.advance(seconds)
            anything = self._settle() or True
        return anything

    def _settle(self) -> bool:
        anything = False
        for _ in range(self.maxRounds):
            progress = False
            now = self.seconds()
            if any(call.getTime() <= now for call in self.getDelayedCalls()):
                self.advance(0)
                progress = True
            for client, server in list(self.connections):
                if client._step():
                    progress = True
                if server._step():
                    progress = True
                if client.lost and server.lost:
                    self.connections.remove((client, server))
            if not progress:
                return anything
            anything = True
        raise RuntimeError(f"{self!r}: things did not settle in {self.maxRounds} rounds")

    # Internals.
    def _portInUse(self, host: str, port: int) -> bool:
        for usedHost, usedPort in self._ports:
            if usedPort == port and (
                usedHost == host or "0.0.0.0" in (usedHost, host) or "::" in (usedHost, host)
            ):
                return True
        return False

    def _portFor(self, host: str, port: int) -> MemoryPort | None:
        wildcard = "::" if isIPv6Address(host) else "0.0.0.0"
        return self._ports.get((host, port)) or self._ports.get((wildcard, port))

    def _portStopped(self, port: MemoryPort) -> None:
        for key, value in list(self._ports.items()):
            if value is port:
                del self._ports[key]

    def _establish(self, connector: _MemoryConnector, port: MemoryPort) -> None:
        """Connect C{connector}'s factory with C{port}'s: server side first."""
        if connector.state != "connecting":
            return
        connector._done("connected")
        serverAddress = _address(connector.host, port.address.port)
        loopback = "::1" if isIPv6Address(connector.host) else "127.0.0.1"
        clientAddress = _address(loopback, next(self._clientPorts))
        serverProtocol = port.factory.buildProtocol(clientAddress)
        clientProtocol = connector.factory.buildProtocol(serverAddress)
        # An end whose factory refused the connection closes it at once.
        client = (
            MemoryTransport(self, clientProtocol, clientAddress, serverAddress)
            if clientProtocol is not None
            else _gone(self, clientAddress, serverAddress)
        )
        server = (
            MemoryTransport(self, serverProtocol, serverAddress, clientAddress)
            if serverProtocol is not None
            else _gone(self, serverAddress, clientAddress)
        )
        if client.lost or server.lost:
            client._eofIn = server._eofIn = True
        else:
            client.peer = server
            server.peer = client
        self.connections.append((client, server))
        if serverProtocol is not None:
            serverProtocol.makeConnection(server)
        if clientProtocol is not None:
            clientProtocol.makeConnection(client)


def _gone(
    network: MemoryNetwork, host: IPv4Address | IPv6Address, peer: IPv4Address | IPv6Address
) -> MemoryTransport:
    """A transport standing for an end that refused the connection."""
    transport = MemoryTransport(network, Protocol(), host, peer)
    transport.lost = True
    transport.connected = False
    transport.disconnecting = True
    return transport


class MemorySocketPair(SocketPair):
    """
    A L{SocketPair} on a L{MemoryNetwork}: nothing happens until L{flush}.

    @ivar network: the network (and reactor) of the three sockets.
    """

    def __init__(
        self,
        client: TCPSocket,
        inbound: TCPSocket,
        listener: TCPSocket | None,
        network: MemoryNetwork,
    ) -> None:
        super().__init__(client, inbound, listener)
        self.network = network

    def flush(self) -> bool:
        """L{MemoryNetwork.flush}: let everything that can happen, happen."""
        return self.network.flush()

    def close(self) -> Deferred[None]:
        """Close every socket of the pair and flush; the Deferred has then fired."""
        d = super().close()
        self.network.flush()
        return d


def memoryPair(
    network: MemoryNetwork | None = None,
    *,
    listener: TCPSocket | None = None,
    **clientOptions: Any,
) -> MemorySocketPair:
    """
    A client socket connected to a listener (default: a new one listening on
    127.0.0.1, owned by the pair) and the accepted inbound socket, on a
    L{MemoryNetwork}, synchronously.

    C{clientOptions} go to the client's C{createTCP}. A given C{listener} must
    be LISTENING on C{network}.

    @param network: the network (default: a new one).
    @raise PairError: the connection could not be made.
    """
    net = network if network is not None else MemoryNetwork()
    owned = listener is None
    server = listeningSocket(net) if listener is None else listener
    clientOptions.setdefault("host", _connectHost(server))
    clientOptions.setdefault("port", server.port)
    client = createTCP(reactor=net, **clientOptions)
    accepting = server.accept()
    connecting = client.connect()
    net.flush()
    return _finishPair(net, client, server, owned, connecting, accepting)


def _finishPair(
    net: MemoryNetwork,
    client: TCPSocket,
    server: TCPSocket,
    owned: bool,
    connecting: Deferred[Any],
    accepting: Deferred[Any],
) -> MemorySocketPair:
    outcomes: list[Any] = []
    connecting.addCallback(outcomes.append)
    accepting.addCallback(outcomes.append)
    if len(outcomes) == 2 and not any(isinstance(e, ErrorEvent) for e in outcomes):
        return MemorySocketPair(client, outcomes[1].inbound, server if owned else None, net)
    closeSockets(client, *([server] if owned else []))
    net.flush()
    failed = next((e for e in outcomes if isinstance(e, ErrorEvent)), None)
    raise PairError(
        f"could not connect in memory: {failed.error if failed else 'nothing happened'}", failed
    )

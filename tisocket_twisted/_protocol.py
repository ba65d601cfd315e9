"""
The Twisted side of a Ti TCP socket: one L{TCPProtocol} per connection, a
L{TCPClientFactory} for outgoing connections and a L{TCPServerFactory} for a
listening socket, holding the accept-gating queue.

They are public so that a Twisted program can drive a L{TCPSocket} through any
endpoint::

    sock = createTCP(connected=onConnected, error=onError)
    factory = TCPClientFactory(sock)
    endpoint.connect(factory).addErrback(factory.connectionFailed)

    listener = createTCP(accepted=onAccepted)
    factory = TCPServerFactory(listener)
    port = await serverEndpoint.listen(factory)   # the listener is now LISTENING
    factory.setListeningPort(port)                # lets the queue pause the port
    listener.accept()

The socket's state lives in the L{TCPSocket}; a L{TCPProtocol} is one
connection of it (its inbox, its write bookkeeping; see
L{tisocket_twisted._connection}), and the socket takes it once connected.

The accept-gating queue
=======================

Connections that the OS hands over before the application has called
C{accept()} wait, in arrival order, in a queue of at most C{listenQueueSize}.
Each is held with C{transport.pauseProducing()}: its data stays in the
kernel (bounded by the socket buffers) for whoever accepts it. While the queue
is full the listening port itself is paused (C{IPushProducer(port).
pauseProducing()}), so further clients wait in the kernel backlog; it resumes
as soon as C{accept()} makes room. A port accepts a whole batch of
connections per wakeup, so the queue can overshoot by the rest of that batch;
those connections are queued too, never dropped. Where the port cannot be
paused (e.g. C{MemoryReactor}'s fake port, the IOCP reactor), a connection
arriving at a full queue is refused at once and the refusal is logged.

A paused transport does not notice its peer's FIN or RST. So before a pending
connection is handed out, its OS socket is probed (C{SO_ERROR}, which the
kernel sets when a reset arrives): a connection reset by its peer is closed,
logged and skipped, and the next one is handed out instead. A connection
whose peer only sent FIN is handed out normally: once resumed, its data and
then its end of stream arrive for the new owner to read. Transports without
an OS socket (test transports, TLS wrappers) are handed out unprobed.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any

from twisted.internet.interfaces import IAddress, IListeningPort, IPushProducer
from twisted.internet.protocol import ClientFactory, Factory
from twisted.python.failure import Failure

from ._connection import _Conn
from ._constants import SocketState
from ._log import libraryLog

if TYPE_CHECKING:
    from twisted.internet.defer import Deferred

    from ._tcp import TCPSocket

__all__ = ["TCPClientFactory", "TCPProtocol", "TCPServerFactory"]

LISTENING = SocketState.LISTENING


class TCPProtocol(_Conn):
    """
    Connects one Twisted transport to one L{TCPSocket}: one connection of it.

    C{TCPProtocol(socket)}. C{connectionMade} makes a client socket CONNECTED
    (or puts an inbound connection into its listener's accept queue);
    C{dataReceived} feeds the connection's inbox (pending reads, pump, held
    data); C{readConnectionLost} (half-close) is the peer's end of stream;
    C{connectionLost} makes the socket CLOSED or ERROR with the mapped errno.
    A subclass may override C{dataReceived} (calling this one with the bytes).

    @ivar socket: the socket, until the connection is over.
    """

    __slots__ = ()


class TCPClientFactory(ClientFactory):
    """
    Builds the protocol of an outgoing connection of a L{TCPSocket}.

    Works with C{reactor.connectTCP} (failures arrive through
    L{clientConnectionFailed}) and with any client endpoint (pass the
    endpoint Deferred's failure to L{connectionFailed}). On success the
    socket becomes CONNECTED and its C{connected} callback fires; on failure
    it becomes ERROR and its C{error} callback fires.
    """

    noisy = False

    def __init__(self, socket: TCPSocket) -> None:
        self.socket = socket

    def buildProtocol(self, addr: IAddress | None) -> TCPProtocol:
        """Make the protocol for the socket."""
        protocol = TCPProtocol(self.socket)
        protocol.factory = self
        return protocol

    def clientConnectionFailed(self, connector: Any, reason: Failure) -> None:
        """C{connectTCP} could not connect: report it to the socket."""
        self.connectionFailed(reason)

    def connectionFailed(self, reason: Failure) -> None:
        """
        A connection attempt made outside C{sock.connect()} failed: the socket
        becomes ERROR and its C{error} callback fires. Returns L{None}, so it
        can be an endpoint Deferred's errback.
        """
        self.socket._externalConnectFailed(reason)


class TCPServerFactory(Factory):
    """
    The factory of a listening L{TCPSocket}: builds inbound sockets and keeps
    the connections nobody has accepted yet in the accept-gating queue
    (see the module docstring).

    @ivar listener: the listening socket.
    @ivar listenQueueSize: the most connections held in the queue.
    @ivar listeningPort: the port listening with this factory, or L{None}.
    """

    noisy = False

    def __init__(self, listener: TCPSocket, listenQueueSize: int | None = None) -> None:
        self.listener = listener
        self.listenQueueSize = (
            listenQueueSize if listenQueueSize is not None else listener.listenQueueSize
        )
        self.listeningPort: IListeningPort | None = None
        self._pending: deque[TCPSocket] = deque()
        self._portProducer: Any = None
        self._portPaused = False
        self._closed = False

    # Factory lifecycle: the listener follows the port.
    def startFactory(self) -> None:
        """A port started listening with this factory: the listener is LISTENING."""
        self._closed = False
        self.listener._listenerStarted(self)

    def stopFactory(self) -> None:
        """The port stopped listening: the listener closes (if it has not already)."""
        self.listener._listenerStopped(self)

    def setListeningPort(self, port: IListeningPort) -> None:
        """
        Tell the factory which port listens with it, so a full queue can pause
        the port, and so the listener's C{port} reads the bound port number.
        """
        self.listeningPort = port
        self._portProducer = IPushProducer(port, None)
        self.listener._portBound(self, port)
        self._updateGate()

    # Connections.
    def buildProtocol(self, addr: IAddress | None) -> TCPProtocol | None:
        """
        Make the protocol (and inbound socket) of a new connection, or refuse
        it (L{None}: closed at once) when the queue is full and the port
        cannot be paused.
        """
        if (
            self._portProducer is None
            and len(self._pending) >= self.listenQueueSize
            and not self.listener._acceptArmed(self)
        ):
            libraryLog.warn(
                "Refusing the connection from {peer}: the accept queue is full "
                "({size} pending) and the listening port cannot be paused",
                peer=addr,
                size=len(self._pending),
            )
            return None
        inbound = self.listener._newInbound(self, addr)
        protocol = TCPProtocol(inbound)
        protocol.factory = self
        return protocol

    def pendingArrived(self, inbound: TCPSocket) -> None:
        """
        A new inbound connection is up: hand it to an armed C{accept()} at once,
        or hold it (paused) in the queue.
        """
        if self._closed:
            inbound._closePending()
            return
        listener = self.listener
        if (
            not self._pending
            and listener._armed is not None  # listener._acceptArmed(self), inlined
            and listener._state is LISTENING
            and listener._factory is self
        ):
            listener._handOut(inbound)
            return
        inbound._holdPending()
        self._pending.append(inbound)
        if self._portProducer is None and self.listeningPort is None:
            self._discoverPort(inbound)
        self._updateGate()

    def hasPending(self) -> bool:
        """Whether connections are waiting for C{accept()}."""
        return bool(self._pending)

    @property
    def pendingCount(self) -> int:
        """How many connections are waiting for C{accept()}."""
        return len(self._pending)

    def popPending(self) -> TCPSocket | None:
        """
        Take the oldest pending connection that is still alive, or L{None}.

        Connections reset by their peer while they waited are closed and
        skipped (see the module docstring).
        """
        pending = self._pending
        try:
            while pending:
                inbound = pending.popleft()
                failed = inbound._probePending()
                if failed is None:
                    return inbound
                inbound._discardPending(failed)
            return None
        finally:
            self._updateGate()

    def pendingLost(self, inbound: TCPSocket) -> None:
        """A pending connection failed before it was accepted: forget it."""
        try:
            self._pending.remove(inbound)
        except ValueError:
            return
        self._updateGate()

    def closePending(self) -> list[Deferred[None]]:
        """
        The listener closes: close every pending connection (gracefully), and
        refuse connections that still arrive. Returns their close Deferreds.
        """
        self._closed = True
        pending = list(self._pending)
        self._pending.clear()
        return [inbound._closePending() for inbound in pending]

    # Gating.
    def _discoverPort(self, inbound: TCPSocket) -> None:
        """Find the port through the connection when nobody told us (C{tcp.Server.server})."""
        port = getattr(inbound._transportOrNone(), "server", None)
        if port is not None and IListeningPort.providedBy(port):
            self.listeningPort = port
            self._portProducer = IPushProducer(port, None)

    def _updateGate(self) -> None:
        producer = self._portProducer
        if producer is None:
            return
        full = len(self._pending) >= self.listenQueueSize
        if full and not self._portPaused:
            self._portPaused = True
            producer.pauseProducing()
        elif not full and self._portPaused:
            self._portPaused = False
            if not self._closed:
                producer.resumeProducing()

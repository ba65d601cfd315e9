"""
One connection of a L{TCPSocket<tisocket_twisted._tcp.TCPSocket>}: L{_Conn},
the machinery of the public L{TCPProtocol<tisocket_twisted._protocol.TCPProtocol>}.

A socket has one connection at a time (a closed one may still be flushing
when the socket reconnects). The connection is the transport's protocol: it
holds the transport, the L{Inbox} of received data, and the write
bookkeeping:

  - B{Reads}: on a plain TCP transport the connection is the transport's
    C{doRead} (L{_Conn.doRead}), which hands each received C{bytes} straight
    to the inbox. Past the inbox's high-water mark, or while the socket waits
    in the accept queue, the transport stops reading
    (L{_Conn.pauseReading}).
  - B{Writes}: the connection is the transport's streaming producer, so the
    transport says when its buffer passes its high-water mark (pause) and when
    it has drained (resume). A write made below the mark is complete; its
    C{done} runs at the end of the current delivery or on the next reactor
    turn, batched, never before the write returns. A write made while paused
    completes on resume, or the socket fails after its write timeout.
  - B{Closing}: at the end of stream, or lingering (as nginx's
    C{lingering_close}) when the peer has not ended its side: see
    L{_Conn.loseConnection} and L{LINGER_TIMEOUT}.

It knows its socket through a few of the socket's attributes (its state,
C{_conn}, C{_pendingFactory}, C{_allowHalfOpen}), C{_connectionMade},
C{_connectionLost} and C{_writeTimedOut}; the one state change it makes itself
is to CLOSED, once the peer's end of stream has reached a consumer
(L{_Conn.inboxEndDelivered}).
"""

from __future__ import annotations

import errno
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from twisted.internet import tcp as _tcpModule
from twisted.internet.defer import Deferred, succeed
from twisted.internet.interfaces import IHalfCloseableProtocol, IPushProducer
from twisted.internet.main import CONNECTION_DONE, CONNECTION_LOST
from twisted.internet.protocol import Protocol, connectionDone
from twisted.python.failure import Failure
from zope.interface import implementer

from ._constants import SocketState
from ._events import Failed
from ._inbox import Inbox
from ._log import libraryLog

if TYPE_CHECKING:
    from ._tcp import TCPSocket

__all__ = ["LINGER_TIMEOUT", "DoneCallback"]

CONNECTED = SocketState.CONNECTED
CLOSED = SocketState.CLOSED

# Why a connection's reading is paused (a bit mask).
_QUEUED = 1  # waiting in the accept queue
_FULL = 2  # inbox at its high-water mark

#: What a write reports with once it is complete (L{None}) or has failed.
DoneCallback = Callable[[Failed | None], None]


def _callDone(done: DoneCallback, failed: Failed | None) -> None:
    try:
        done(failed)
    except Exception:
        libraryLog.failure("Exception in a write completion")


def _ignoreDone(failed: Failed | None) -> None:
    """The completion of a synchronous write made in the reactor thread."""


def _installDoRead(transport: Any, conn: _Conn) -> bool:
    """
    Make C{conn} the C{doRead} of a plain TCP transport (see L{_Conn.doRead});
    False where it does not apply.
    """
    cls = type(transport)
    if cls is not _tcpModule.Server and cls is not _tcpModule.Client:
        # Twisted's own TCP transports (the common case) need no more checks.
        if not isinstance(transport, _tcpModule.Connection):
            return False
        if not hasattr(getattr(transport, "socket", None), "recv"):
            return False
    if transport.TLS:
        return False
    transport.doRead = conn
    return True


#: Seconds a lingering close waits, after its FIN, for the peer (see L{_Conn.loseConnection}).
LINGER_TIMEOUT = 30.0
_LINGER_FIRST_POLL = 0.002
_LINGER_MAX_POLL = 0.25


def _canLinger(transport: Any) -> bool:
    """Whether C{transport} is a plain TCP connection that can half-close."""
    return (
        isinstance(transport, _tcpModule.Connection)
        and not transport.TLS
        and hasattr(transport, "loseWriteConnection")
        and hasattr(transport, "socket")
    )


def _unacknowledged(transport: Any) -> int:
    """
    Bytes sent on C{transport}'s OS socket that the peer has not acknowledged
    (Linux C{SIOCOUTQ}); 0 where the OS cannot tell.
    """
    if not sys.platform.startswith("linux"):
        return 0
    try:
        import fcntl
        import termios

        raw = fcntl.ioctl(transport.socket.fileno(), termios.TIOCOUTQ, b"\0\0\0\0")
    except (ImportError, OSError, AttributeError, ValueError):
        return 0
    return int.from_bytes(raw, sys.byteorder, signed=True)


@implementer(IHalfCloseableProtocol, IPushProducer)
class _Conn(Protocol):
    """
    One connection of a socket: the transport's protocol, its inbox, and the
    write-side bookkeeping. It is the transport's streaming producer (the
    transport pauses and resumes it around its write buffer's high-water
    mark) and the inbox's owner.

    It is made (as a L{TCPProtocol<tisocket_twisted._protocol.TCPProtocol>})
    for a socket, and set up by L{attach} once its transport is connected and
    the socket takes it; until then it ignores its transport's events.
    """

    __slots__ = (
        "aborted",
        "attached",
        "bytesWritten",
        "closeWaiters",
        "closing",
        "completed",
        "completionCall",
        "connected",
        "dispatching",
        "factory",
        "inbox",
        "lingerCall",
        "lingerDeadline",
        "lingering",
        "lost",
        "reactor",
        "readPauses",
        "readSize",
        "registered",
        "socket",
        "transport",
        "waiters",
        "writePaused",
        "writeTimeout",
        "writeTimer",
    )

    #: Set by C{makeConnection}; L{None} once released (a plain TCP transport
    #: is used beyond C{ITransport}).
    transport: Any

    def __init__(self, socket: TCPSocket) -> None:
        # Protocol's own attributes are slots too (set here to Protocol's
        # defaults): then no instance dict is made for them.
        self.factory = None
        self.transport = None
        self.connected = 0
        self.socket: TCPSocket | None = socket
        self.attached = False

    def attach(self, reactor: Any, highWaterMark: int, writeTimeout: float | None) -> None:
        """
        Set up the connected transport for the socket: the inbox, the write
        bookkeeping, the reader (L{doRead}) and the producer registration.
        """
        transport: Any = self.transport
        self.reactor = reactor
        self.inbox = Inbox(self, highWaterMark, reactor)
        self.writeTimeout = writeTimeout
        self.bytesWritten = 0
        self.readPauses = 0
        self.writePaused = False
        # Lists made when first needed (fewer objects per connection for the GC).
        self.waiters: list[DoneCallback] | None = None  # writes waiting for the transport to drain
        self.completed: list[DoneCallback] | None = None  # writes handed over, not yet reported
        self.completionCall: Any = None
        self.writeTimer: Any = None
        self.dispatching = 0
        self.closing = False  # closed (or failed) locally; waiting for connectionLost
        self.aborted = False
        self.lost = False  # connectionLost has happened
        self.closeWaiters: list[Deferred[None]] | None = None
        self.registered = False
        # A lingering close (see loseConnection): half-closed, discarding input.
        self.lingering = False
        self.lingerCall: Any = None
        self.lingerDeadline = 0.0
        # Read the transport with doRead where it allows it (received data then
        # comes straight to the inbox, unless the protocol's class overrides
        # dataReceived), and register as the transport's producer.
        if type(self).dataReceived is _Conn.dataReceived and _installDoRead(transport, self):
            self.readSize = transport.bufferSize
        try:
            transport.registerProducer(self, True)
        except RuntimeError:
            libraryLog.warn(
                "The transport already has a producer; write completion is reported "
                "at once for {socket}",
                socket=self.socket,
            )
        else:
            self.registered = True
        self.attached = True

    # IProtocol (the events of a connection the socket has not taken are ignored).
    def connectionMade(self) -> None:
        """The transport is connected: the socket takes the connection (or refuses it)."""
        socket = self.socket
        assert socket is not None
        socket._connectionMade(self)

    def dataReceived(self, data: bytes) -> None:
        """
        Bytes arrived: into the inbox (which drops them once finished: a
        connection the socket has moved on from has been closed). On a plain
        TCP transport L{doRead} does this itself.
        """
        if not self.attached:
            return
        self.dispatching += 1
        try:
            self.inbox.dataReceived(data)
        finally:
            self.dispatching -= 1
        if self.completed:
            self.flushCompletions()

    def readConnectionLost(self) -> None:
        """The peer sent FIN: end of stream (the socket may still write)."""
        if not self.attached:
            return
        if self.lingering:
            self.peerEnded()
            return
        self.dispatching += 1
        try:
            self.inbox.endReceived()
        finally:
            self.dispatching -= 1
        if self.completed:
            self.flushCompletions()

    def writeConnectionLost(self) -> None:
        """Our side flushed and sent FIN (a lingering close): wait for the peer."""
        if self.attached:
            self.writeSideClosed()

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        """The transport is gone: the socket becomes CLOSED or ERROR."""
        socket = self.socket
        if self.attached and socket is not None:
            socket._connectionLost(self, reason)

    def doRead(self) -> Any:
        """
        The C{doRead} of a plain TCP transport (the connection itself is
        installed as it, so no extra object per connection): Twisted's own
        C{doRead} and C{dataReceived} in one call, which hands the received
        C{bytes} straight to the inbox.

        The bytes go on to their consumer as they are: a pump's Buffer is made
        around them and copies them only if it is changed (see
        L{Buffer._writable<tisocket_twisted._buffer.Buffer._writable>}).
        """
        transport = self.transport
        try:
            data = transport.socket.recv(self.readSize)
        except OSError as e:
            if e.args[0] in (errno.EWOULDBLOCK, errno.EAGAIN):
                return None
            return CONNECTION_LOST
        if not data:
            return CONNECTION_DONE
        if transport.protocol is not self:
            # The transport's protocol was wrapped or replaced (e.g. startTLS):
            # the bytes are its to interpret.
            transport.protocol.dataReceived(data)
            return None
        # dataReceived(), inlined (one call less per read).
        self.dispatching += 1
        try:
            self.inbox.dataReceived(data)
        finally:
            self.dispatching -= 1
        if self.completed:
            self.flushCompletions()
        return None

    __call__ = doRead

    # InboxOwner.
    def inboxFull(self) -> None:
        """The inbox reached its high-water mark."""
        self.pauseReading(_FULL)

    def inboxDrained(self) -> None:
        """The inbox fell below half its high-water mark."""
        self.resumeReading(_FULL)

    def inboxEndDelivered(self) -> None:
        """
        A consumer was given the end of stream: the socket closes (CLOSED, then
        L{closeAtEnd}) unless it allows half-open connections, is still in
        the accept queue, or has moved on from this connection.
        """
        socket = self.socket
        if (
            socket is None
            or socket._conn is not self
            or socket._state is not CONNECTED
            or socket._pendingFactory is not None
            or (socket._allowHalfOpen and not self.lost)
        ):
            return
        socket._state = CLOSED
        self.inbox.close()
        self.closeAtEnd()

    def inboxFinished(self) -> None:
        """
        The inbox closed or failed. If the transport is gone too, nothing
        reports to the socket any more: drop the reference back to it, so that
        the two are freed by reference counting, not by the cyclic GC (see
        L{release}, for an inbox that finished first).
        """
        if self.lost:
            self.socket = None

    def pauseReading(self, reason: int) -> None:
        """Stop reading the transport for C{reason}."""
        if not self.readPauses and not self.closing and not self.lost:
            self.transport.pauseProducing()
        self.readPauses |= reason

    def resumeReading(self, reason: int) -> None:
        """Read the transport again once no reason to pause is left."""
        if self.readPauses & reason:
            self.readPauses &= ~reason
            if not self.readPauses and not self.closing and not self.lost:
                self.transport.resumeProducing()

    # IPushProducer: the transport's write buffer.
    def pauseProducing(self) -> None:
        """The transport's buffer passed its high-water mark."""
        self.writePaused = True

    def resumeProducing(self) -> None:
        """The transport's buffer drained: every waiting write is handed over."""
        self.writePaused = False
        if self.writeTimer is not None:
            self.writeTimer.cancel()
            self.writeTimer = None
        waiters = self.waiters
        if waiters:
            self.waiters = None
            self.dispatching += 1
            try:
                for done in waiters:
                    _callDone(done, None)
            finally:
                self.dispatching -= 1
        if self.completed:
            self.flushCompletions()

    def stopProducing(self) -> None:
        """The transport is going away; C{connectionLost} follows."""

    # Writes.
    def write(self, data: bytes, done: DoneCallback) -> None:
        """Hand C{data} to the transport; C{done} runs once it is handed over."""
        self.bytesWritten += len(data)
        self.transport.write(data)
        if self.writePaused and self.registered:
            self.waitForDrain(done)
        elif done is not _ignoreDone:
            if self.completed is None:
                self.completed = [done]
            else:
                self.completed.append(done)
            if not self.dispatching and self.completionCall is None:
                self.completionCall = self.reactor.callLater(0, self.flushCompletions)

    def waitForDrain(self, done: DoneCallback) -> None:
        """
        A write made while the transport's buffer is past its high-water mark:
        C{done} runs once it drains, within the write timeout.
        """
        if self.waiters is None:
            self.waiters = [done]
        else:
            self.waiters.append(done)
        if self.writeTimer is None and self.writeTimeout:
            socket = self.socket
            assert socket is not None  # never written to once released
            self.writeTimer = self.reactor.callLater(
                self.writeTimeout / 1000.0, socket._writeTimedOut, self
            )

    def flushCompletions(self) -> None:
        """Report every write handed over so far (one batch per reactor turn)."""
        call = self.completionCall
        if call is not None:
            self.completionCall = None
            if call.active():
                call.cancel()
        self.dispatching += 1
        try:
            while self.completed:
                batch = self.completed
                self.completed = None
                for done in batch:
                    _callDone(done, None)
        finally:
            self.dispatching -= 1

    def failWrites(self, failed: Failed) -> None:
        """Fail the writes not yet handed over."""
        if self.writeTimer is not None:
            self.writeTimer.cancel()
            self.writeTimer = None
        waiters = self.waiters
        self.waiters = None
        for done in waiters or ():
            _callDone(done, failed)

    # Ending.
    def unregister(self) -> None:
        """Unregister from the transport (before C{loseConnection}, which waits for it)."""
        if self.registered:
            self.registered = False
            if not self.lost:
                self.transport.unregisterProducer()

    def closeAtEnd(self) -> None:
        """
        Close after the peer's end of stream has been delivered: at once when
        nothing is left to send, else as L{loseConnection}.

        With its input ended and its write buffer empty, a plain TCP transport
        is closed the way Twisted closes one whose protocol does not half-close
        (C{connectionLost}, which stops reading and writing), without the extra
        reactor turn and empty C{send} of C{loseConnection}.
        """
        transport = self.transport
        if (
            self.lost
            or self.waiters
            or not isinstance(transport, _tcpModule.Connection)
            or transport.TLS
            or not transport.connected
            or transport.disconnecting
            or transport.dataBuffer
            or transport._tempDataBuffer
        ):
            self.loseConnection()
            return
        self.closing = True
        # It stops reading and writing, and drops its producer (this connection,
        # whose stopProducing does nothing) first: no unregisterProducer needed.
        transport.connectionLost(connectionDone)

    def loseConnection(self) -> None:
        """
        Close gracefully: flush what was written, then FIN.

        When the peer has not ended its side yet, the close lingers (as nginx's
        C{lingering_close}): closing an OS socket with received data still
        unread makes the kernel send RST and drop what it still holds for the
        peer. So the write side is half-closed (flush, then FIN), input is read
        and discarded meanwhile, and the OS socket is closed once the peer has
        acknowledged everything sent, or ends its side, or after
        L{LINGER_TIMEOUT} seconds.
        """
        self.closing = True
        if self.lost or self.lingering:
            return
        self.unregister()
        transport = self.transport
        if self.inbox.ended or not _canLinger(transport):
            transport.loseConnection()
            return
        self.lingering = True
        if self.readPauses:
            transport.resumeProducing()  # read (and discard) what the peer sends
        transport.loseWriteConnection()

    def writeSideClosed(self) -> None:
        """A lingering close flushed everything and sent FIN: wait for the peer."""
        if not self.lingering or self.lost:
            return
        self.lingerDeadline = self.reactor.seconds() + LINGER_TIMEOUT
        self.checkLinger(_LINGER_FIRST_POLL)

    def checkLinger(self, interval: float) -> None:
        """Close once the peer has acknowledged everything; poll again otherwise."""
        self.lingerCall = None
        if self.lost:
            return
        if _unacknowledged(self.transport) == 0 or self.reactor.seconds() >= self.lingerDeadline:
            self.transport.loseConnection()
            return
        self.lingerCall = self.reactor.callLater(
            interval, self.checkLinger, min(interval * 2, _LINGER_MAX_POLL)
        )

    def peerEnded(self) -> None:
        """The peer's FIN arrived during a lingering close: nothing is unread, close."""
        if self.lingering and not self.lost:
            if self.lingerCall is not None:
                self.lingerCall.cancel()
                self.lingerCall = None
            self.transport.loseConnection()

    def abort(self) -> None:
        """Release the connection at once (RST), dropping unsent data."""
        self.closing = True
        if self.lost or self.aborted:
            return
        self.aborted = True
        self.unregister()
        abort = getattr(self.transport, "abortConnection", None)
        if abort is not None:
            abort()
        else:
            self.transport.loseConnection()

    def whenClosed(self) -> Deferred[None]:
        """A Deferred that fires once the OS socket is closed."""
        if self.lost:
            return succeed(None)
        d: Deferred[None] = Deferred()
        if self.closeWaiters is None:
            self.closeWaiters = [d]
        else:
            self.closeWaiters.append(d)
        return d

    def release(self, failed: Failed | None) -> None:
        """C{connectionLost} happened: settle the writes and fire the close waiters."""
        self.lost = True
        self.closing = True
        self.registered = False
        if self.writeTimer is not None:
            self.writeTimer.cancel()
            self.writeTimer = None
        if self.lingerCall is not None:
            self.lingerCall.cancel()
            self.lingerCall = None
        waiters = self.waiters
        self.waiters = None
        for done in waiters or ():
            _callDone(done, failed)
        closeWaiters = self.closeWaiters
        self.closeWaiters = None
        for d in closeWaiters or ():
            d.callback(None)
        # Nothing uses them after connectionLost; dropping them lets the
        # transport (whose doRead may be this connection), and a client socket's
        # factory (which holds the socket), be freed by reference counting
        # rather than by the GC.
        self.transport = None
        self.factory = None
        if self.inbox.finished:
            # Nothing reports to the socket any more (its inbox has finished
            # too): drop the reference back to it, for the same reason.
            self.socket = None

"""
C{Ti.Network.Socket.TCP}: L{TCPSocket} and L{createTCP}.

A socket is an IOStream (L{IOStreamBase}): C{Ti.Stream} reads, writes and
pumps it through the primitives (C{produceChunks}, C{writeChunk},
C{readNow}, C{writeNow}, C{checkBlockingAllowed}, C{callSoon}) with no
socket special cases. The socket's state lives here, the state of each of
its connections in that connection's protocol.

Design
======

  - B{State}: C{INITIALIZED -> CONNECTED | LISTENING -> CLOSED | ERROR}, and
    back to CONNECTED or LISTENING from CLOSED/ERROR. There is no CONNECTING
    state: while an attempt is in flight the state does not change. User
    callbacks always run after the state has changed.
  - B{One connection} is its transport's protocol, a L{TCPProtocol} (the
    machinery is C{_Conn}, in L{tisocket_twisted._connection}): it holds the
    transport, the L{Inbox} (received data and its consumers) and the write
    bookkeeping. A closed connection may still be flushing when the socket
    reconnects; it finishes on its own.
  - B{Writes}: C{writeChunk} hands the bytes to the transport at once. The
    connection is registered as the transport's streaming producer, so the
    transport says when its buffer passes its high-water mark (pause) and when
    it has drained (resume). A write made while the buffer is below the mark
    is complete ("handed to the OS"); its C{done} runs at the end of the
    current delivery, or on the next reactor turn, batched with the others
    (never before C{writeChunk} returns). A write made while paused completes
    when the transport resumes; if that takes longer than C{timeout} ms the
    socket fails with ETIMEDOUT.
  - B{Reads}: see L{tisocket_twisted._inbox}. Past C{readHighWaterMark} held
    bytes the transport stops reading until a consumer drains them. A plain
    TCP transport is read by C{_Conn.doRead}, which hands each received
    C{bytes} to the inbox; the inbox hands it on whole when it fits, and a
    pump makes its new Buffer around it without copying (the Buffer copies
    the bytes only if it is changed).
  - B{Connecting}: through an endpoint (C{HostnameEndpoint} for names, so
    both address families work; a direct endpoint for IP literals), bounded by
    C{timeout} on the socket's own clock (30 s without one).
  - B{Accepting}: see L{tisocket_twisted._protocol} for the accept-gating
    queue. An inbound socket exists (CONNECTED, paused) from the moment the
    OS hands its connection over; C{accept()} gives it its options and
    resumes it.
  - B{End of stream}: consumers get their -1 (held data first) while the
    socket is still CONNECTED; once one of them has been given the -1, the
    socket closes gracefully unless C{allowHalfOpen} is set. Nobody reading
    means nobody is told, and the socket stays CONNECTED (like Node's
    paused streams).
  - B{Closing}: graceful, and lingering (as nginx's C{lingering_close})
    unless the peer has already ended its side: closing an OS socket with
    received data unread makes Linux send RST and drop what it still had to
    send, so C{close()} half-closes the write side (flush, then FIN), reads
    and discards the peer's data meanwhile, and releases the OS socket once
    the peer has acknowledged everything sent, or sent its own FIN, or after
    C{LINGER_TIMEOUT} seconds (see L{tisocket_twisted._connection}). The
    state is CLOSED at once; C{close()}'s Deferred fires when the OS socket
    is released.
  - B{Errors}: state ERROR first (the OS socket is released), then pending
    reads and the pump get the failure, then pending writes, then the
    C{error} callback, once.
  - B{Threads}: every public method may be called from any thread. From a
    worker thread the work runs in the reactor thread; C{read}, C{write},
    C{close} (and the C{readNow}/C{writeNow} primitives) then block that
    worker thread until done, while C{connect} and C{accept} return their
    Deferred at once. In the reactor thread nothing blocks: C{read} returns
    what is buffered, -1 at end of stream, or raises L{WouldBlockError};
    C{write} queues and returns.
"""

from __future__ import annotations

import contextlib
import errno
import os
import socket as _socketModule
from collections.abc import Callable
from functools import partial
from threading import get_ident
from typing import TYPE_CHECKING, Any

from twisted.internet import defer
from twisted.internet import error as _error
from twisted.internet.abstract import isIPAddress, isIPv6Address
from twisted.internet.defer import Deferred, gatherResults, maybeDeferred, succeed
from twisted.internet.endpoints import (
    HostnameEndpoint,
    TCP4ClientEndpoint,
    TCP6ClientEndpoint,
)
from twisted.internet.protocol import connectionDone
from twisted.python import threadable
from twisted.python.failure import Failure

from ._args import (
    checkCallable,
    checkChunkConsumer,
    checkChunkData,
    checkDone,
    checkInt,
    checkPositiveTimeout,
    mergeOptions,
    trustConsumerType,
    trustedConsumerTypes,
)
from ._buffer import Buffer
from ._connection import _QUEUED, DoneCallback, _Conn, _ignoreDone
from ._constants import SocketState
from ._errors import InvalidStateError, TiSocketError, TiTypeError, TiValueError, WouldBlockError
from ._events import AcceptedEvent, ConnectedEvent, ErrorEvent, Failed, TiEvent
from ._inbox import ChunkStream
from ._iostream import ChunkConsumer, ChunkProducer, IOStreamBase, parseTransfer
from ._log import callUser, libraryLog
from ._protocol import TCPClientFactory, TCPServerFactory
from ._threads import blockingCallFromThread, callInReactor, callSoon, getReactor, inReactorThread

__all__ = ["TCPSocket", "createTCP", "failedFromFailure"]

_newSocket = object.__new__

INITIALIZED = SocketState.INITIALIZED
CONNECTED = SocketState.CONNECTED
LISTENING = SocketState.LISTENING
CLOSED = SocketState.CLOSED
ERROR = SocketState.ERROR

#: Default backlog and accept-queue size (as Node and nginx).
DEFAULT_LISTEN_QUEUE_SIZE = 511
#: Default read-side high-water mark, in bytes.
DEFAULT_READ_HIGH_WATER_MARK = 1024 * 1024
#: How long a connect attempt may take when no C{timeout} is set (Twisted's default).
DEFAULT_CONNECT_TIMEOUT_MS = 30_000
#: Default listening interface: loopback, never all interfaces by accident.
DEFAULT_LISTEN_HOST = "127.0.0.1"

_OPTIONS = (
    "host",
    "port",
    "timeout",
    "listenQueueSize",
    "connected",
    "error",
    "accepted",
    "allowHalfOpen",
    "noDelay",
    "keepAlive",
    "readHighWaterMark",
    "reactor",
)


def _message(exc: BaseException) -> str:
    text = str(exc).strip()
    return text or type(exc).__name__


def failedFromException(exc: BaseException) -> Failed:
    """
    Map an exception from Twisted or the OS to an errno and a readable message.

    ECONNREFUSED / ETIMEDOUT / ... come from the OS error Twisted kept;
    connect timeouts are ETIMEDOUT, a lost connection ECONNRESET (Twisted drops
    the errno), a local abort ECONNABORTED, a cancelled attempt ECANCELED, a
    listen failure the bind errno, and a host name that does not resolve -1.
    """
    message = _message(exc)
    if isinstance(exc, (defer.TimeoutError, _error.TimeoutError)):
        return Failed(errno.ETIMEDOUT, message)
    if isinstance(exc, _error.ConnectionAborted):
        return Failed(errno.ECONNABORTED, message)
    if isinstance(exc, _error.ConnectionLost):
        return Failed(errno.ECONNRESET, message)
    if isinstance(exc, (_error.ConnectingCancelledError, defer.CancelledError)):
        return Failed(errno.ECANCELED, message)
    if isinstance(exc, _error.CannotListenError):
        code = getattr(exc.socketError, "errno", None)
        return Failed(code if isinstance(code, int) and code > 0 else -1, message)
    if isinstance(exc, (_error.DNSLookupError, _error.UnknownHostError)):
        return Failed(-1, message)
    if isinstance(exc, _error.ConnectError):
        code = exc.osError
        if isinstance(code, int) and code > 0:
            return Failed(code, message)
        if isinstance(exc, _error.ConnectionRefusedError):
            return Failed(errno.ECONNREFUSED, message)
        if isinstance(exc, _error.TCPTimedOutError):
            return Failed(errno.ETIMEDOUT, message)
        return Failed(-1, message)
    if isinstance(exc, OSError) and isinstance(exc.errno, int) and exc.errno > 0:
        return Failed(exc.errno, exc.strerror or message)
    return Failed(-1, message)


def failedFromFailure(reason: Failure) -> Failed:
    """L{failedFromException} for a Twisted L{Failure}."""
    value = reason.value
    if value is None:
        return Failed(-1, "unknown failure")
    return failedFromException(value)


class _ConnectAttempt:
    """A C{connect()} in flight."""

    __slots__ = (
        "cancelled",
        "deferred",
        "done",
        "endpointDeferred",
        "started",
        "timedOut",
        "timer",
    )

    def __init__(self) -> None:
        self.deferred: Deferred[TiEvent] = Deferred()
        self.endpointDeferred: Deferred[Any] | None = None
        self.timer: Any = None
        self.timedOut = False
        self.cancelled = False
        self.started = False
        self.done = False

    def finish(self) -> None:
        self.done = True
        if self.timer is not None:
            if self.timer.active():
                self.timer.cancel()
            self.timer = None


@trustConsumerType
class _BlockingRead:
    """The consumer of a blocking read made from a worker thread."""

    __slots__ = ("deferred", "producer")

    def __init__(self) -> None:
        self.deferred: Deferred[bytes | None] = Deferred()
        self.producer: ChunkStream | None = None

    def chunkReceived(self, data: bytes) -> None:
        assert self.producer is not None
        self.producer.stopProducing()
        self.deferred.callback(data)

    def chunksEnded(self, failed: Failed | None) -> None:
        if failed is None:
            self.deferred.callback(None)
        else:
            self.deferred.errback(TiSocketError(failed.code, failed.message))


class _ReadOnly:
    """A class constant that instances cannot overwrite (assigning raises AttributeError)."""

    def __init__(self, value: str) -> None:
        self.value = value

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, instance: object, owner: type | None = None) -> str:
        return self.value

    def __set__(self, instance: object, value: object) -> None:
        raise AttributeError(f"{self.name} is read-only")


class TCPSocket(IOStreamBase):
    """
    A Titanium TCP socket (C{Ti.Network.Socket.TCP}); create one with
    L{createTCP}.

    Options (a dict or keywords): C{host}, C{port}, C{timeout} (ms; bounds a
    connect attempt and every write), C{listenQueueSize} (default 511),
    C{connected}, C{error}, C{accepted} (callbacks), and beyond Titanium
    C{allowHalfOpen} (default False), C{noDelay}, C{keepAlive},
    C{readHighWaterMark} (bytes held unread before reading pauses, default
    1 MiB) and C{reactor} (the reactor to use; default the global one, looked
    up when needed — pass a C{MemoryReactorClock} in tests).
    """

    if TYPE_CHECKING:
        apiName = "Ti.Network.Socket.TCP"
    else:
        apiName = _ReadOnly("Ti.Network.Socket.TCP")

    def __init__(self, params: Any = None, **kwargs: Any) -> None:
        options = mergeOptions("createTCP", params, kwargs, _OPTIONS)
        self._initState(options.pop("reactor", None))
        for name, value in options.items():
            setattr(self, name, value)

    # Defaults shared by every instance until it sets its own, so that making a
    # socket (one per accepted connection) costs little.
    _host: str | None = None
    _port: int | None = None
    _timeout: float | None = None
    _listenQueueSize: int = DEFAULT_LISTEN_QUEUE_SIZE
    _connectedCb: Callable[[Any], object] | None = None
    _errorCb: Callable[[Any], object] | None = None
    _acceptedCb: Callable[[Any], object] | None = None
    _allowHalfOpen: bool = False
    _noDelay: bool = False
    _keepAlive: bool = False
    _readHighWaterMark: int = DEFAULT_READ_HIGH_WATER_MARK
    _conn: _Conn | None = None
    #: Earlier connections still closing after a reconnect.
    _oldConns: list[_Conn] | None = None
    _attempt: _ConnectAttempt | None = None
    _factory: TCPServerFactory | None = None
    _listeningPort: Any = None
    #: The Deferred of an C{accept()} waiting for a connection, the Deferreds
    #: of the calls it replaced, and the options for that connection.
    _armed: Deferred[TiEvent] | None = None
    _armedReplaced: list[Deferred[TiEvent]] | None = None
    _armedTimeout: float | None = None
    _armedError: Callable[[Any], object] | None = None
    _dispatchCall: Any = None
    _listenerClosed: Deferred[None] | None = None
    #: An inbound connection not yet accepted: the factory whose queue holds it.
    _pendingFactory: TCPServerFactory | None = None

    def _initState(self, reactor: Any) -> None:
        self._reactorGiven = reactor
        self._state = INITIALIZED

    @property
    def _reactor(self) -> Any:
        reactor = self._reactorGiven
        if reactor is None:
            # Looked up when first needed, never at import time.
            reactor = self._reactorGiven = getReactor(None)
        return reactor

    def __repr__(self) -> str:
        return f"<{self.apiName} {self._state.name} host={self._host!r} port={self._port!r}>"

    # ------------------------------------------------------------------
    # Properties.

    def _checkSettable(self, name: str) -> None:
        if self._state in (CONNECTED, LISTENING) or self._attempt is not None:
            where = "a connect is in progress" if self._attempt is not None else self._state.name
            raise InvalidStateError(
                f"Ti.Network.Socket.TCP.{name} can only be set while the socket is "
                f"INITIALIZED, CLOSED or ERROR (not while {where})"
            )

    def _set(self, name: str, apply: Callable[[], None], guarded: bool) -> None:
        """Run a setter in the reactor thread, after the state check."""

        def run() -> None:
            if guarded:
                self._checkSettable(name)
            apply()

        if inReactorThread():
            run()
        else:
            callInReactor(self._reactor, run)

    @property
    def state(self) -> SocketState:
        """The current state (read-only): INITIALIZED, CONNECTED, LISTENING, CLOSED or ERROR."""
        return self._state

    @property
    def host(self) -> str | None:
        """Host to connect to or listen on (IPv4, IPv6 or a name); the peer's on inbound sockets."""
        return self._host

    @host.setter
    def host(self, value: str | None) -> None:
        if value is not None and not isinstance(value, str):
            raise TiTypeError(f"Ti.Network.Socket.TCP.host must be a string, got {value!r}")
        self._set("host", lambda: setattr(self, "_host", value), True)

    @property
    def port(self) -> int | None:
        """Port to connect to or listen on; after C{listen()} the port actually bound."""
        return self._port

    @port.setter
    def port(self, value: int | None) -> None:
        if value is not None:
            value = checkInt("Ti.Network.Socket.TCP.port", "port", value)
            if not 0 <= value <= 65535:
                raise TiValueError(f"Ti.Network.Socket.TCP.port must be 0-65535, got {value!r}")
        self._set("port", lambda: setattr(self, "_port", value), True)

    @property
    def timeout(self) -> float | None:
        """Timeout in ms for a connect attempt and for every write; None (or 0) for none."""
        return self._timeout

    @timeout.setter
    def timeout(self, value: float | None) -> None:
        checkPositiveTimeout("Ti.Network.Socket.TCP.timeout", "timeout", value)
        self._set("timeout", lambda: setattr(self, "_timeout", value), True)

    @property
    def listenQueueSize(self) -> int:
        """Listen backlog and most un-accepted connections held (default 511)."""
        return self._listenQueueSize

    @listenQueueSize.setter
    def listenQueueSize(self, value: int) -> None:
        size = checkInt("Ti.Network.Socket.TCP.listenQueueSize", "listenQueueSize", value)
        if size < 1:
            raise TiValueError(
                f"Ti.Network.Socket.TCP.listenQueueSize must be at least 1, got {value!r}"
            )
        self._set("listenQueueSize", lambda: setattr(self, "_listenQueueSize", size), True)

    @property
    def connected(self) -> Callable[[Any], object] | None:
        """Callback fired with C{{socket}} when C{connect()} succeeds."""
        return self._connectedCb

    @connected.setter
    def connected(self, value: Callable[[Any], object] | None) -> None:
        checkCallable("Ti.Network.Socket.TCP.connected", "connected", value)
        self._set("connected", lambda: setattr(self, "_connectedCb", value), True)

    @property
    def error(self) -> Callable[[Any], object] | None:
        """Callback fired once on entering ERROR: C{{socket, success, code, errorCode, error}}."""
        return self._errorCb

    @error.setter
    def error(self, value: Callable[[Any], object] | None) -> None:
        checkCallable("Ti.Network.Socket.TCP.error", "error", value)
        self._errorCb = value

    @property
    def accepted(self) -> Callable[[Any], object] | None:
        """Callback fired with C{{socket, inbound}} for each connection C{accept()} takes."""
        return self._acceptedCb

    @accepted.setter
    def accepted(self, value: Callable[[Any], object] | None) -> None:
        checkCallable("Ti.Network.Socket.TCP.accepted", "accepted", value)
        self._acceptedCb = value

    @property
    def allowHalfOpen(self) -> bool:
        """Keep the socket CONNECTED (writable) after the peer's end of stream (default False)."""
        return self._allowHalfOpen

    @allowHalfOpen.setter
    def allowHalfOpen(self, value: bool) -> None:
        self._allowHalfOpen = _checkBool("allowHalfOpen", value)

    @property
    def noDelay(self) -> bool:
        """TCP_NODELAY (disable Nagle's algorithm); applies at once when connected."""
        return self._noDelay

    @noDelay.setter
    def noDelay(self, value: bool) -> None:
        self._setTcpOption("noDelay", "setTcpNoDelay", value)

    @property
    def keepAlive(self) -> bool:
        """SO_KEEPALIVE; applies at once when connected."""
        return self._keepAlive

    @keepAlive.setter
    def keepAlive(self, value: bool) -> None:
        self._setTcpOption("keepAlive", "setTcpKeepAlive", value)

    @property
    def readHighWaterMark(self) -> int:
        """Bytes received but unread held before the socket stops reading (default 1 MiB)."""
        return self._readHighWaterMark

    @readHighWaterMark.setter
    def readHighWaterMark(self, value: int) -> None:
        mark = checkInt("Ti.Network.Socket.TCP.readHighWaterMark", "readHighWaterMark", value)
        if mark < 1:
            raise TiValueError(
                f"Ti.Network.Socket.TCP.readHighWaterMark must be at least 1, got {value!r}"
            )

        def apply() -> None:
            self._readHighWaterMark = mark
            if self._conn is not None:
                self._conn.inbox.highWaterMark = mark

        self._set("readHighWaterMark", apply, False)

    @property
    def bytesRead(self) -> int:
        """Bytes received on the current (or last) connection."""
        return self._conn.inbox.received if self._conn is not None else 0

    @property
    def bytesWritten(self) -> int:
        """Bytes written on the current (or last) connection."""
        return self._conn.bytesWritten if self._conn is not None else 0

    def _address(self, which: str) -> Any:
        if self._state is LISTENING and self._listeningPort is not None:
            return self._listeningPort.getHost() if which == "getHost" else None
        conn = self._conn
        if conn is None or conn.lost:
            return None
        try:
            return getattr(conn.transport, which)()
        except Exception:
            return None

    @property
    def localAddress(self) -> str | None:
        """Local IP address of the connection or listening port, or None."""
        address = self._address("getHost")
        return getattr(address, "host", None)

    @property
    def localPort(self) -> int | None:
        """Local port of the connection or listening port, or None."""
        address = self._address("getHost")
        return getattr(address, "port", None)

    @property
    def remoteAddress(self) -> str | None:
        """IP address of the peer, or None."""
        address = self._address("getPeer")
        return getattr(address, "host", None)

    @property
    def remotePort(self) -> int | None:
        """Port of the peer, or None."""
        address = self._address("getPeer")
        return getattr(address, "port", None)

    def _setTcpOption(self, name: str, method: str, value: bool) -> None:
        """Set the option property C{name}; applied at once (C{method}) when connected."""
        flag = _checkBool(name, value)

        def apply() -> None:
            setattr(self, "_" + name, flag)
            self._applyTcpOption(method, flag)

        self._set(name, apply, False)

    def _applyTcpOption(self, method: str, flag: bool) -> None:
        conn = self._conn
        if conn is None or conn.lost:
            return
        setter = getattr(conn.transport, method, None)
        if setter is None:
            return
        try:
            setter(flag)
        except OSError as e:
            libraryLog.warn("{method}({flag}) failed: {e}", method=method, flag=flag, e=e)

    # ------------------------------------------------------------------
    # connect.

    def connect(self) -> Deferred[TiEvent]:
        """
        Connect to C{host}:C{port}; never blocks.

        Success: state CONNECTED, then the C{connected} callback. Failure: state
        ERROR, then the C{error} callback. Returns a Deferred firing with the
        same event (never failing).

        @raise InvalidStateError: CONNECTED, LISTENING, or already connecting.
        @raise TiValueError: no host, or a port outside 1-65535.
        """
        if not inReactorThread():
            return callInReactor(self._reactor, self.connect)
        state = self._state
        if state is CONNECTED or state is LISTENING:
            raise InvalidStateError(f"Ti.Network.Socket.TCP.connect: the socket is {state.name}")
        if self._attempt is not None:
            raise InvalidStateError(
                "Ti.Network.Socket.TCP.connect: a connection attempt is already in progress"
            )
        host, port = self._host, self._port
        if not host:
            raise TiValueError(
                f"Ti.Network.Socket.TCP.connect: host must be a non-empty string, got {host!r}"
            )
        if port is None or not 1 <= port <= 65535:
            raise TiValueError(f"Ti.Network.Socket.TCP.connect: port must be 1-65535, got {port!r}")
        reactor = self._reactor
        milliseconds = self._timeout or DEFAULT_CONNECT_TIMEOUT_MS
        seconds = milliseconds / 1000.0
        # Twisted's own connect timeout is a backstop; ours (on the injected clock) decides.
        endpoint = _clientEndpoint(reactor, host, port, seconds + 1.0)
        attempt = _ConnectAttempt()
        self._attempt = attempt
        attempt.timer = reactor.callLater(seconds, self._connectTimedOut, attempt)
        try:
            d = endpoint.connect(TCPClientFactory(self))
        except Exception:
            d = defer.fail()
        attempt.endpointDeferred = d
        d.addCallbacks(
            lambda _: self._connectSucceeded(attempt),
            lambda reason: self._connectFailed(attempt, reason),
        )
        attempt.started = True
        return attempt.deferred

    def _connectSucceeded(self, attempt: _ConnectAttempt) -> None:
        if not attempt.done:  # the protocol never reported (should not happen)
            self._connectFailed(attempt, Failure(_error.ConnectError("no connection was made")))  # type: ignore[no-untyped-call]

    def _connectFailed(self, attempt: _ConnectAttempt, reason: Failure) -> None:
        if attempt.done:
            return
        if not attempt.started:
            # Failed synchronously inside connect(): report after it returns.
            self._reactor.callLater(0, self._connectFailed, attempt, reason)
            return
        attempt.finish()
        if self._attempt is attempt:
            self._attempt = None
        if attempt.cancelled:
            failed = Failed(errno.ECANCELED, "connect() was cancelled by close()")
            attempt.deferred.callback(ErrorEvent(self, failed))
            return
        if attempt.timedOut:
            failed = Failed(
                errno.ETIMEDOUT,
                f"connecting to {self._host}:{self._port} timed out after "
                f"{self._timeout or DEFAULT_CONNECT_TIMEOUT_MS:g} ms",
            )
        else:
            failed = failedFromFailure(reason)
        self._state = ERROR
        event = ErrorEvent(self, failed)
        callback = self._errorCb
        if callback is not None:
            callUser("error", callback, event)
        attempt.deferred.callback(event)

    def _connectTimedOut(self, attempt: _ConnectAttempt) -> None:
        attempt.timer = None
        attempt.timedOut = True
        if attempt.endpointDeferred is not None:
            attempt.endpointDeferred.cancel()

    def _externalConnectFailed(self, reason: Failure) -> None:
        """A connection attempt made through L{TCPClientFactory} directly failed."""
        if self._state is CONNECTED or self._state is LISTENING:
            return
        failed = failedFromFailure(reason)
        self._state = ERROR
        callback = self._errorCb
        if callback is not None:
            callUser("error", callback, ErrorEvent(self, failed))

    # ------------------------------------------------------------------
    # Protocol events.

    def _attach(self, conn: _Conn) -> None:
        """Take C{conn} (connected) as the current connection."""
        old = self._conn
        if old is not None and not old.lost:
            if self._oldConns is None:
                self._oldConns = []
            self._oldConns.append(old)
        reactor = self._reactorGiven
        if reactor is None:
            reactor = self._reactor
        conn.attach(reactor, self._readHighWaterMark, self._timeout)
        self._conn = conn
        if self._noDelay:
            self._applyTcpOption("setTcpNoDelay", True)
        if self._keepAlive:
            self._applyTcpOption("setTcpKeepAlive", True)

    def _connectionMade(self, conn: _Conn) -> None:
        factory = self._pendingFactory
        if factory is not None:
            # An inbound connection: CONNECTED from birth, into the accept queue.
            self._attach(conn)
            if self._host is None:  # the factory was not given the address
                peer = conn.transport.getPeer()
                self._host = getattr(peer, "host", None)
                self._port = getattr(peer, "port", None)
            self._state = CONNECTED
            factory.pendingArrived(self)
            return
        if self._state is CONNECTED or self._state is LISTENING:
            # A second connection for a socket in use (e.g. a losing parallel attempt).
            transport: Any = conn.transport
            getattr(transport, "abortConnection", transport.loseConnection)()
            return
        attempt = self._attempt
        self._attempt = None
        self._attach(conn)
        self._state = CONNECTED
        if attempt is not None:
            attempt.finish()
        event = ConnectedEvent(self)
        callback = self._connectedCb
        if callback is not None:
            callUser("connected", callback, event)
        if attempt is not None:
            attempt.deferred.callback(event)

    def _connectionLost(self, conn: _Conn, reason: Failure) -> None:
        conn.lost = True
        clean = reason is connectionDone or isinstance(reason.value, _error.ConnectionDone)
        failed = None if clean else failedFromFailure(reason)
        current = conn is self._conn
        if current and self._pendingFactory is not None:
            # Lost before anybody accepted it.
            if failed is None:
                # Its data and end of stream are there for whoever accepts it.
                conn.inbox.endReceived()
            else:
                factory = self._pendingFactory
                self._pendingFactory = None
                factory.pendingLost(self)
                self._state = ERROR
                conn.inbox.fail(failed)
                libraryLog.info(
                    "A pending connection from {peer} failed before accept(): {error}",
                    peer=self._host,
                    error=failed.message,
                )
            conn.release(failed)
            return
        if conn.closing or not current or self._state is not CONNECTED:
            if self._oldConns:
                self._forget(conn)
            conn.release(failed)
            return
        # The connection went away on its own.
        if failed is None:
            # Closed without a half-close (transports that do not support it):
            # end of stream; the socket closes once the end has been read.
            conn.release(None)
            conn.inbox.endReceived()
            return
        self._fail(failed)
        conn.release(failed)

    def _forget(self, conn: _Conn) -> None:
        if self._oldConns and conn in self._oldConns:
            self._oldConns.remove(conn)

    # ------------------------------------------------------------------
    # End of stream, errors, close.

    def _closeConnection(self, conn: _Conn) -> None:
        """Graceful close of the current connection: CLOSED now, flush, then FIN."""
        self._state = CLOSED
        conn.inbox.close()
        conn.loseConnection()

    def _fail(self, failed: Failed, notify: bool = True) -> None:
        """
        Enter ERROR on a live connection: release it, fail pending reads, the
        pump and pending writes, then fire the C{error} callback once.
        """
        conn = self._conn
        self._state = ERROR
        if conn is not None:
            conn.abort()
            conn.inbox.fail(failed)
            conn.failWrites(failed)
        if notify:
            callback = self._errorCb
            if callback is not None:
                callUser("error", callback, ErrorEvent(self, failed))

    def _writeTimedOut(self, conn: _Conn) -> None:
        conn.writeTimer = None
        if not conn.waiters:
            return
        failed = Failed(
            errno.ETIMEDOUT,
            f"write timed out after {conn.writeTimeout:g} ms (the peer is not reading)",
        )
        if conn is self._conn and self._state is CONNECTED:
            self._fail(failed)
        else:
            # A closing connection that cannot flush: give up on it.
            conn.abort()
            conn.failWrites(failed)

    def close(self) -> Deferred[None]:
        """
        Close the socket.

        CONNECTED: graceful (what was written is flushed, then FIN); the state
        is CLOSED when C{close()} returns. LISTENING: stop listening and close
        the connections nobody accepted. Connecting: cancel the attempt (its
        Deferred fires with an ECANCELED event; no C{error} callback). CLOSED
        or ERROR: nothing to do. Returns a Deferred that fires once the OS
        socket is closed; from a worker thread, blocks until then.

        @raise InvalidStateError: the socket was never used (INITIALIZED).
        """
        if not inReactorThread():
            blockingCallFromThread(self._reactor, self._close)
            return succeed(None)
        return self._close()

    def _close(self) -> Deferred[None]:
        attempt = self._attempt
        if attempt is not None:
            self._attempt = None
            attempt.cancelled = True
            self._state = CLOSED
            if attempt.endpointDeferred is not None:
                attempt.endpointDeferred.cancel()
            return succeed(None)
        state = self._state
        if state is CONNECTED:
            conn = self._conn
            assert conn is not None
            d = conn.whenClosed()
            self._closeConnection(conn)
            return d
        if state is LISTENING:
            return self._stopListening(CLOSED)
        if state is INITIALIZED:
            raise InvalidStateError(
                "Ti.Network.Socket.TCP.close: the socket was never connected or listening "
                "(state INITIALIZED)"
            )
        # CLOSED or ERROR: nothing to do, but report when the OS socket is gone.
        waits: list[Deferred[Any]] = []
        if self._conn is not None and not self._conn.lost:
            waits.append(self._conn.whenClosed())
        if self._listenerClosed is not None and not self._listenerClosed.called:
            waits.append(_follow(self._listenerClosed))
        if not waits:
            return succeed(None)
        return gatherResults(waits).addCallback(lambda _: None)

    # ------------------------------------------------------------------
    # Listening.

    def listen(self) -> None:
        """
        Listen on C{host} (default 127.0.0.1) and C{port} (default 0: a free
        port, readable from C{port} afterwards); backlog C{listenQueueSize}.

        @raise InvalidStateError: LISTENING or CONNECTED (the socket then
            enters ERROR, releasing what it held, with no C{error} callback),
            or a connect attempt is in progress.
        @raise TiSocketError: the bind failed (e.g. EADDRINUSE); the socket is
            then in ERROR, with no C{error} callback.
        """
        if not inReactorThread():
            callInReactor(self._reactor, self.listen)
            return
        state = self._state
        if state is LISTENING or state is CONNECTED:
            if state is LISTENING:
                self._stopListening(ERROR)
            else:
                self._fail(Failed(-1, "listen() was called on a CONNECTED socket"), notify=False)
                self._state = ERROR
            raise InvalidStateError(
                f"Ti.Network.Socket.TCP.listen: the socket is {state.name}; it is now in ERROR"
            )
        if self._attempt is not None:
            raise InvalidStateError(
                "Ti.Network.Socket.TCP.listen: a connection attempt is in progress"
            )
        host = self._host or DEFAULT_LISTEN_HOST
        port = self._port or 0
        factory = TCPServerFactory(self, self._listenQueueSize)
        self._factory = factory
        try:
            listening = self._reactor.listenTCP(
                port, factory, backlog=self._listenQueueSize, interface=host
            )
        except Exception as e:
            self._factory = None
            failed = failedFromException(e)
            self._state = ERROR
            raise TiSocketError(
                failed.code, f"cannot listen on {host}:{port}: {failed.message}"
            ) from e
        self._state = LISTENING
        self._host = host  # the default interface, readable afterwards like the port
        self._listeningPort = listening
        factory.setListeningPort(listening)

    def _listenerStarted(self, factory: TCPServerFactory) -> None:
        """A port started with C{factory}: this socket is LISTENING on it."""
        if self._factory is factory:
            return
        if self._state is CONNECTED or self._state is LISTENING or self._attempt is not None:
            raise InvalidStateError(
                f"Ti.Network.Socket.TCP: cannot listen with a socket that is {self._state.name}"
            )
        self._factory = factory
        self._listeningPort = None
        # Read on every accept(): set on the instance, where reads are fastest.
        self._dispatchCall = None
        self._armedReplaced = None
        self._state = LISTENING

    def _portBound(self, factory: TCPServerFactory, port: Any) -> None:
        if self._factory is not factory:
            return
        self._listeningPort = port
        with contextlib.suppress(Exception):
            self._port = port.getHost().port

    def _listenerStopped(self, factory: TCPServerFactory) -> None:
        """The port stopped (perhaps not by us): the listener is CLOSED."""
        if self._factory is factory and self._state is LISTENING:
            self._listeningPort = None  # already stopped
            self._stopListening(CLOSED)

    def _stopListening(self, newState: SocketState) -> Deferred[None]:
        self._state = newState
        factory = self._factory
        port = self._listeningPort
        self._listeningPort = None
        if self._dispatchCall is not None:
            if self._dispatchCall.active():
                self._dispatchCall.cancel()
            self._dispatchCall = None
        waits: list[Deferred[Any]] = []
        if port is not None:
            waits.append(maybeDeferred(port.stopListening))
        if factory is not None:
            waits.extend(factory.closePending())
        armed = self._armed
        self._armed = None
        if armed is not None:
            event = ErrorEvent(
                self, Failed(errno.ECANCELED, "accept() was cancelled: the listener closed")
            )
            for d in self._takeReplacedAccepts():
                d.callback(event)
            armed.callback(event)
        done: Deferred[None] = gatherResults(waits).addCallback(lambda _: None)
        self._listenerClosed = done
        return _follow(done)

    def accept(self, options: Any = None, **kwargs: Any) -> Deferred[TiEvent]:
        """
        Accept one connection: the oldest pending one, or the next to arrive.

        Calling it again before that happens replaces the options (it does not
        accept two). C{options}: C{timeout} (write timeout of the new socket,
        ms) and C{error} (its error callback). The C{accepted} callback fires
        asynchronously with C{{socket, inbound}}; C{inbound} is CONNECTED, with
        the peer's C{host}/C{port}. Returns a Deferred firing with that event
        (a replaced call's Deferred too), or with an ECANCELED failure event if
        the listener closes first. Inbound sockets inherit the listener's
        C{allowHalfOpen}, C{noDelay}, C{keepAlive} and C{readHighWaterMark}.

        @raise InvalidStateError: the socket is not LISTENING.
        """
        ioThread: object = threadable.ioThread  # inReactorThread(), inlined
        if ioThread is not None and ioThread != get_ident():
            return callInReactor(self._reactor, partial(self.accept, options, **kwargs))
        if self._state is not LISTENING:
            raise InvalidStateError(
                f"Ti.Network.Socket.TCP.accept: the socket is not LISTENING "
                f"(state {self._state.name})"
            )
        if options is None and not kwargs:
            timeout = errorCb = None
        else:
            where = "Ti.Network.Socket.TCP.accept"
            merged = mergeOptions(where, options, kwargs, ("timeout", "error"))
            timeout = merged.get("timeout")
            checkPositiveTimeout(where, "timeout", timeout)
            errorCb = checkCallable(where, "error", merged.get("error"))
        d: Deferred[TiEvent] = Deferred()
        armed = self._armed
        if armed is not None:  # this call replaces it: its Deferred fires too
            if self._armedReplaced is None:
                self._armedReplaced = [armed]
            else:
                self._armedReplaced.append(armed)
        self._armed = d
        self._armedTimeout = timeout
        self._armedError = errorCb
        factory = self._factory
        if factory is not None and factory._pending and self._dispatchCall is None:
            self._dispatchCall = self._reactor.callLater(0, self._dispatchAccept)
        return d

    def _acceptArmed(self, factory: TCPServerFactory) -> bool:
        return self._armed is not None and self._state is LISTENING and self._factory is factory

    def _dispatchAccept(self) -> None:
        self._dispatchCall = None
        factory = self._factory
        while self._armed is not None and self._state is LISTENING and factory is not None:
            inbound = factory.popPending()
            if inbound is None:
                return
            self._handOut(inbound)

    def _handOut(self, inbound: TCPSocket) -> None:
        """Give C{inbound} to the armed accept: options, resume, callback, Deferreds."""
        armed = self._armed
        assert armed is not None
        self._armed = None
        # The inbound socket leaves the accept queue: its options (a new
        # socket has the class defaults, None), then reading.
        inbound._pendingFactory = None
        timeout = self._armedTimeout
        conn = inbound._conn
        if timeout is not None:
            inbound._timeout = timeout
            if conn is not None:
                conn.writeTimeout = timeout
        if self._armedError is not None:
            inbound._errorCb = self._armedError
        if conn is not None and conn.readPauses:
            conn.resumeReading(_QUEUED)
        event = AcceptedEvent(self, inbound)
        callback = self._acceptedCb
        if callback is not None:
            callUser("accepted", callback, event)
        if self._armedReplaced is not None:
            for d in self._takeReplacedAccepts():
                d.callback(event)
        armed.callback(event)

    def _takeReplacedAccepts(self) -> list[Deferred[TiEvent]]:
        """The Deferreds of the C{accept()} calls the armed one replaced (now fired)."""
        replaced = self._armedReplaced or []
        self._armedReplaced = None
        return replaced

    def _newInbound(self, factory: TCPServerFactory, peer: object = None) -> TCPSocket:
        """
        A socket for a new inbound connection, with this listener's options;
        C{peer} is the address given to C{buildProtocol}, if any.
        """
        inbound = _newSocket(TCPSocket)  # (TCPSocket.__new__ looked up on the class is slower)
        inbound._reactorGiven = self._reactorGiven
        inbound._state = INITIALIZED
        host = getattr(peer, "host", None)
        if host is not None:
            inbound._host = host
            inbound._port = getattr(peer, "port", None)
        inbound._allowHalfOpen = self._allowHalfOpen
        inbound._noDelay = self._noDelay
        inbound._keepAlive = self._keepAlive
        inbound._readHighWaterMark = self._readHighWaterMark
        inbound._pendingFactory = factory
        return inbound

    # Inbound sockets in the accept queue.
    def _transportOrNone(self) -> Any:
        return self._conn.transport if self._conn is not None else None

    def _holdPending(self) -> None:
        """Wait in the accept queue: stop reading."""
        if self._conn is not None:
            self._conn.pauseReading(_QUEUED)

    def _probePending(self) -> Failed | None:
        """Whether the peer reset this pending connection (C{SO_ERROR} of its OS socket)."""
        conn = self._conn
        if conn is None or self._state is not CONNECTED:
            return Failed(-1, "the connection is gone")
        if conn.lost:
            return None  # ended cleanly: handed out with its data and end of stream
        try:
            handle = conn.transport.getHandle()
            code = handle.getsockopt(_socketModule.SOL_SOCKET, _socketModule.SO_ERROR)
        except Exception:
            return None
        if isinstance(code, int) and code:
            return Failed(code, os.strerror(code))
        return None

    def _discardPending(self, failed: Failed) -> None:
        """Drop a pending connection that its peer reset (logged, never silent)."""
        self._pendingFactory = None
        self._state = ERROR
        conn = self._conn
        if conn is not None:
            conn.abort()
            conn.inbox.fail(failed)
        libraryLog.info(
            "Dropped a pending connection from {peer}:{port} before accept(): {error}",
            peer=self._host,
            port=self._port,
            error=failed.message,
        )

    def _closePending(self) -> Deferred[None]:
        """Close a pending connection because its listener closed."""
        self._pendingFactory = None
        conn = self._conn
        if conn is None:
            self._state = CLOSED
            return succeed(None)
        d = conn.whenClosed()
        self._closeConnection(conn)
        return d

    # ------------------------------------------------------------------
    # IOStream.

    def isReadable(self) -> bool:
        """Whether the socket is CONNECTED."""
        return self._state is CONNECTED

    def isWritable(self) -> bool:
        """Whether the socket is CONNECTED."""
        return self._state is CONNECTED

    def callSoon(self, f: Callable[..., object], *args: object) -> None:
        """Call C{f(*args)} in the reactor thread after the current call returns."""
        callSoon(self._reactor, f, *args)

    def checkBlockingAllowed(self, operation: str) -> None:
        """
        Raise if synchronous C{operation} may not run here: L{InvalidStateError}
        unless CONNECTED, L{WouldBlockError} in the reactor thread.
        """
        self._checkConnected(operation)
        if inReactorThread():
            raise WouldBlockError(
                f"{operation} on a Ti.Network.Socket.TCP would block the reactor thread; "
                "use the asynchronous form (Ti.Stream.read/write with a callback, "
                "Ti.Stream.pump(..., True), Ti.Stream.readAll(stream, buffer, callback), "
                "Ti.Stream.writeStream(..., callback)) or call it from a worker thread"
            )

    def _checkConnected(self, operation: str) -> _Conn:
        state = self._state
        conn = self._conn
        if state is not CONNECTED or conn is None:
            raise InvalidStateError(
                f"{operation}: the Ti.Network.Socket.TCP is {state.name}, not CONNECTED"
            )
        return conn

    def read(
        self,
        buffer: Buffer,
        offset: Any = None,
        length: Any = None,
        resultsCallback: Any = None,
    ) -> int:
        """
        Titanium C{read}: without a callback, return the bytes read (at most
        C{length}, what is available) or -1 at end of stream. In the reactor
        thread it never waits (L{WouldBlockError} when nothing is buffered);
        in a worker thread it blocks until data, end of stream or an error
        (L{TiSocketError}). With a callback: returns 0, reports a
        L{ReadEvent} later.
        """
        if inReactorThread():
            return IOStreamBase.read(self, buffer, offset, length, resultsCallback)
        callback = parseTransfer(f"{self.apiName}.read", buffer, offset, length, resultsCallback)[3]
        if callback is None:
            return IOStreamBase.read(self, buffer, offset, length, resultsCallback)
        return callInReactor(
            self._reactor, IOStreamBase.read, self, buffer, offset, length, resultsCallback
        )

    def write(
        self,
        buffer: Buffer,
        offset: Any = None,
        length: Any = None,
        resultsCallback: Any = None,
    ) -> int:
        """
        Titanium C{write}: without a callback, hand the bytes to the transport
        and return their count (in the reactor thread at once; in a worker
        thread once they are handed to the OS). With a callback: returns 0,
        reports a L{WriteEvent} once the bytes are handed to the OS.
        """
        ioThread: object = threadable.ioThread  # inReactorThread(), inlined
        if ioThread is None or ioThread == get_ident():
            if (
                offset is None
                and length is None
                and resultsCallback is None
                and type(buffer) is Buffer
            ):
                # The common sync form, sock.write(buffer): writeNow without the
                # general parsing and the second thread check.
                conn = self._conn
                if self._state is CONNECTED and conn is not None:
                    if conn.closing or conn.lost:
                        raise TiSocketError(
                            errno.EPIPE, f"{self.apiName}.write: the connection is closed"
                        )
                    data = bytes(buffer._data)
                    if data:
                        # _Conn.write, inlined, for a write with no completion.
                        conn.bytesWritten += len(data)
                        conn.transport.write(data)
                        if conn.writePaused and conn.registered:
                            conn.waitForDrain(_ignoreDone)
                    return len(data)
                return self.writeNow(bytes(buffer._data))
            return IOStreamBase.write(self, buffer, offset, length, resultsCallback)
        callback = parseTransfer(f"{self.apiName}.write", buffer, offset, length, resultsCallback)[
            3
        ]
        if callback is None:
            return IOStreamBase.write(self, buffer, offset, length, resultsCallback)
        return callInReactor(
            self._reactor, IOStreamBase.write, self, buffer, offset, length, resultsCallback
        )

    # Primitives.
    def produceChunks(self, maxChunkSize: int, consumer: ChunkConsumer) -> ChunkProducer:
        """
        Deliver received data to C{consumer} in chunks of at most
        C{maxChunkSize}, then one C{chunksEnded} (end of stream, error or local
        close). Consumers are served in the order they started.
        """
        where = _PRODUCE_CHUNKS  # a constant: no f-string per call on this path
        size = (
            maxChunkSize
            if type(maxChunkSize) is int
            else checkInt(where, "maxChunkSize", maxChunkSize)
        )
        if size < 1:
            raise TiValueError(f"{where}: maxChunkSize must be at least 1, got {size!r}")
        if type(consumer) not in trustedConsumerTypes:
            checkChunkConsumer(where, consumer)
        handle = ChunkStream(consumer, size)
        ioThread: object = threadable.ioThread  # inReactorThread(), inlined
        if ioThread is None or ioThread == get_ident():
            conn = self._conn
            if self._state is CONNECTED and conn is not None and not conn.inbox.finished:
                conn.inbox.addConsumer(handle)  # _startProducing, inlined
                return handle
            return self._startProducing(handle)
        self._reactor.callFromThread(self._startProducing, handle)
        return _ThreadSafeHandle(self._reactor, handle)

    def _startProducing(self, handle: ChunkStream) -> ChunkProducer:
        if not handle.active:
            return handle
        conn = self._conn
        if self._state is not CONNECTED or conn is None or conn.inbox.finished:
            failed = Failed(-1, f"{self.apiName} is not readable (state {self._state.name})")
            self._reactor.callLater(0, handle.end, failed)
            return handle
        conn.inbox.addConsumer(handle)
        return handle

    def writeChunk(self, data: bytes, done: DoneCallback) -> None:
        """
        Hand C{data} to the transport at once; C{done(None)} once the bytes are
        handed to the OS (the transport's buffer is below its high-water mark),
        or C{done(Failed)}; never before this call returns.

        @raise TiTypeError: C{data} is not bytes-like or C{done} is not callable.
        """
        if type(data) is not bytes:
            data = bytes(checkChunkData(f"{self.apiName}.writeChunk", data))
        given: object = done  # (typed callable, but callers may pass anything)
        if not callable(given):  # the message is formatted only for the error
            checkDone(f"{self.apiName}.writeChunk", given)
        ioThread: object = threadable.ioThread  # inReactorThread(), inlined
        if ioThread is not None and ioThread != get_ident():
            self._reactor.callFromThread(self.writeChunk, data, done)
            return
        conn = self._conn
        if self._state is not CONNECTED or conn is None or conn.closing:
            failed = Failed(-1, f"{self.apiName} is not writable (state {self._state.name})")
            self._reactor.callLater(0, done, failed)
            return
        if conn.lost:
            self._reactor.callLater(0, done, Failed(errno.EPIPE, "the connection is closed"))
            return
        conn.write(data, done)

    def readNow(self, maxLength: int) -> bytes | None:
        """
        Read up to C{maxLength} bytes; L{None} at end of stream.

        In the reactor thread: what is buffered, or L{WouldBlockError}. In a
        worker thread: blocks until data, end of stream or an error
        (L{TiSocketError}).
        """
        if type(maxLength) is not int:
            maxLength = checkInt(f"{self.apiName}.readNow", "maxLength", maxLength)
        if not inReactorThread():
            return blockingCallFromThread(self._reactor, self._readForThread, maxLength)
        conn = self._checkConnected(f"{self.apiName}.read")
        if maxLength == 0:
            return b""
        inbox = conn.inbox
        if not inbox.busy:
            data = inbox.takeNow(maxLength)
            if data is None:
                inbox.noteEndDelivered()
                return None
            if data:
                return data
        raise WouldBlockError(
            f"{self.apiName}.read would block the reactor thread (no data is buffered); "
            "pass a callback (sock.read(buffer, callback)) or use Ti.Stream.read"
        )

    def _readForThread(self, maxLength: int) -> Deferred[bytes | None]:
        conn = self._checkConnected(f"{self.apiName}.read")
        if maxLength == 0:
            return succeed(b"")
        reader = _BlockingRead()
        handle = ChunkStream(reader, maxLength)
        reader.producer = handle
        conn.inbox.addConsumer(handle)
        return reader.deferred

    def writeNow(self, data: bytes) -> int:
        """
        Write all of C{data}; return its length.

        In the reactor thread: handed to the transport at once, never blocks.
        In a worker thread: blocks until the bytes are handed to the OS
        (L{TiSocketError} if the connection fails or the write times out).
        """
        if type(data) is not bytes:
            checkChunkData(f"{self.apiName}.writeNow", data)
        if not inReactorThread():
            return blockingCallFromThread(self._reactor, self._writeForThread, data)
        conn = self._checkConnected(f"{self.apiName}.write")
        if conn.closing or conn.lost:
            raise TiSocketError(errno.EPIPE, f"{self.apiName}.write: the connection is closed")
        if data:
            conn.write(bytes(data), _ignoreDone)
        return len(data)

    def _writeForThread(self, data: bytes) -> Deferred[int]:
        self._checkConnected(f"{self.apiName}.write")
        d: Deferred[int] = Deferred()
        count = len(data)

        def done(failed: Failed | None) -> None:
            if failed is None:
                d.callback(count)
            else:
                d.errback(TiSocketError(failed.code, failed.message))

        self.writeChunk(data, done)
        return d


_PRODUCE_CHUNKS = "Ti.Network.Socket.TCP.produceChunks"


class _ThreadSafeHandle:
    """The producer handle given to a worker thread: its calls hop to the reactor."""

    __slots__ = ("handle", "reactor")

    def __init__(self, reactor: Any, handle: ChunkStream) -> None:
        self.reactor = reactor
        self.handle = handle

    def pauseProducing(self) -> None:
        """Pause (in the reactor thread)."""
        self._call(self.handle.pauseProducing)

    def resumeProducing(self) -> None:
        """Resume (in the reactor thread)."""
        self._call(self.handle.resumeProducing)

    def stopProducing(self) -> None:
        """Stop (in the reactor thread)."""
        self._call(self.handle.stopProducing)

    def _call(self, f: Callable[[], None]) -> None:
        if inReactorThread():
            f()
        else:
            self.reactor.callFromThread(f)


def _follow(d: Deferred[None]) -> Deferred[None]:
    """A new Deferred that fires when C{d} does (C{d} stays usable)."""
    follower: Deferred[None] = Deferred()

    def fire(result: object) -> object:
        follower.callback(None)
        return result

    d.addBoth(fire)
    return follower


def _checkBool(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise TiTypeError(f"Ti.Network.Socket.TCP.{name} must be True or False, got {value!r}")
    return value


def _clientEndpoint(reactor: Any, host: str, port: int, timeout: float) -> Any:
    """An endpoint for C{host}: direct for IP literals, C{HostnameEndpoint} for names."""
    if isIPAddress(host):
        return TCP4ClientEndpoint(reactor, host, port, timeout=timeout)
    if isIPv6Address(host):
        return TCP6ClientEndpoint(reactor, host, port, timeout=timeout)  # type: ignore[no-untyped-call]
    return HostnameEndpoint(reactor, host, port, timeout=timeout)


def createTCP(params: Any = None, **kwargs: Any) -> TCPSocket:
    """
    C{Ti.Network.Socket.createTCP}: a new socket in INITIALIZED.

    Takes a dict (the JavaScript way) or keywords; see L{TCPSocket} for the
    options, including the C{reactor} keyword for injecting a reactor.
    """
    return TCPSocket(params, **kwargs)

"""
C{twistd -n tisocket}: the command-line L{Options}, the L{TiServerService}
and L{makeService}, which the plugin C{twisted/plugins/tisocket_plugin.py}
points at.

The service is a Titanium-style server written with the library's own API:
C{listen()} on a L{TCPSocket}, C{accept()} re-armed in the C{accepted}
callback, and an app (L{tisocket_twisted._apps}, or the user's
C{MODULE:CALLABLE}) that serves each inbound socket with C{Ti.Stream} and
C{write}/C{close}.

Lifecycle under twistd:

  - C{privilegedStartService} listens (before twistd drops privileges, so a
    port below 1024 works with C{--uid}); a runner that only calls
    C{startService} (C{twist}, tests) listens there. A bind failure ends the
    process at startup with a one-line message (see L{ListenFailed}).
  - C{startService} arms the first C{accept()}; each C{accepted} callback
    arms the next one before it hands the connection to the app.
  - C{stopService} (SIGTERM, SIGINT) closes the listener and every open
    connection gracefully: what the app wrote is flushed before FIN. Its
    Deferred fires once every OS socket is closed, or after
    C{--shutdown-timeout} seconds, when the connections still flushing (a
    client that stopped reading) are left to the reactor's shutdown.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Mapping
from typing import Any

from twisted.application.service import Service
from twisted.internet.defer import Deferred, gatherResults, maybeDeferred
from twisted.logger import Logger
from twisted.python import usage

from ._apps import BUILTIN_APPS, AcceptedHandler, peerName
from ._constants import SocketState
from ._errors import TiSocketError
from ._events import AcceptedEvent, ErrorEvent
from ._tcp import TCPSocket, createTCP
from ._threads import getReactor

__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "ListenFailed",
    "Options",
    "TiServerService",
    "makeService",
    "resolveApp",
]

#: Default interface: loopback, never every interface by accident.
DEFAULT_HOST = "127.0.0.1"
#: Default port, the one of Titanium's "Listening Socket Example".
DEFAULT_PORT = 40404
#: Default listen backlog and accept-queue size.
DEFAULT_LISTEN_QUEUE_SIZE = 511
#: Default largest chunk read at a time by the echo and discard apps.
DEFAULT_MAX_CHUNK_SIZE = 65536
#: Default seconds C{stopService} waits for connections to flush.
DEFAULT_SHUTDOWN_TIMEOUT = 10.0

#: Tracked connections are pruned once there are at least this many.
_PRUNE_MINIMUM = 64

AppFactory = Callable[[int, Callable[[], float]], AcceptedHandler]


def _parseInt(option: str, value: object, low: int, high: int | None = None) -> int:
    """C{value} (a string from the command line, or a default) as an int in range."""
    where = f"--{option} must be an integer " + (
        f"from {low} to {high}" if high is not None else f"of at least {low}"
    )
    if isinstance(value, bool):
        raise usage.UsageError(f"{where}, got {value!r}")
    try:
        number = int(str(value).strip())
    except ValueError:
        raise usage.UsageError(f"{where}, got {value!r}") from None
    if number < low or (high is not None and number > high):
        raise usage.UsageError(f"{where}, got {value!r}")
    return number


def _parseSeconds(option: str, value: object, unit: str, allowZero: bool) -> float:
    """C{value} as a finite, non-negative (or positive) number."""
    where = f"--{option} must be a {'non-negative' if allowZero else 'positive'} number of {unit}"
    if isinstance(value, bool):
        raise usage.UsageError(f"{where}, got {value!r}")
    try:
        number = float(str(value).strip())
    except ValueError:
        raise usage.UsageError(f"{where}, got {value!r}") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise usage.UsageError(f"{where}, got {value!r}")
    if number < 0 or (number == 0 and not allowZero):
        raise usage.UsageError(f"{where}, got {value!r}")
    return number


def _userApp(spec: str, module: Any, attributes: str) -> AppFactory:
    target = module
    for name in attributes.split("."):
        try:
            target = getattr(target, name)
        except AttributeError:
            raise usage.UsageError(
                f"--app {spec!r}: {module.__name__!r} has no attribute {attributes!r}"
            ) from None
    if not callable(target):
        raise usage.UsageError(f"--app {spec!r}: {target!r} is not callable")
    handler: AcceptedHandler = target

    def factory(maxChunkSize: int, clock: Callable[[], float]) -> AcceptedHandler:
        return handler

    return factory


def resolveApp(spec: str) -> AppFactory:
    """
    The app named by C{--app}: a built-in (C{echo}, C{discard}, C{greeting},
    C{daytime}) or C{MODULE:CALLABLE} (dotted attributes allowed after the
    colon), imported now.

    Returns a factory taking C{(maxChunkSize, clock)} and returning the
    callable to call with each C{accepted} event.

    @raise usage.UsageError: an unknown name, a module that cannot be
        imported, a missing attribute or one that is not callable.
    """
    builtin = BUILTIN_APPS.get(spec)
    if builtin is not None:
        return builtin
    names = ", ".join(BUILTIN_APPS)
    moduleName, colon, attributes = spec.partition(":")
    moduleName, attributes = moduleName.strip(), attributes.strip()
    if not colon or not moduleName or not attributes:
        raise usage.UsageError(f"--app must be one of {names} or MODULE:CALLABLE, got {spec!r}")
    try:
        module = importlib.import_module(moduleName)
    except ModuleNotFoundError as e:
        hint = ""
        if e.name is not None and moduleName.split(".")[0] == e.name.split(".")[0]:
            hint = " (is its directory on PYTHONPATH? twistd does not add the current directory)"
        raise usage.UsageError(f"--app {spec!r}: cannot import {moduleName!r}: {e}{hint}") from None
    except Exception as e:
        raise usage.UsageError(
            f"--app {spec!r}: importing {moduleName!r} failed: {type(e).__name__}: {e}"
        ) from None
    return _userApp(spec, module, attributes)


class Options(usage.Options):
    """Options of C{twistd tisocket}; validated and converted in L{postOptions}."""

    synopsis = "[--host HOST] [--port PORT] [--app APP] [options]"
    longdesc = (
        "A Titanium-style TCP server written with tisocket-twisted's Ti API "
        "(listen, accept, Ti.Stream.pump/write). APP is echo (default), discard, "
        "greeting (the greeting of Titanium's listening example, then close), "
        "daytime (RFC 867), or MODULE:CALLABLE, a function called with each "
        "accepted event {socket, inbound}. With --port 0 the bound port is logged "
        "as 'tisocket APP listening on HOST:PORT'."
    )
    optParameters = [
        ["host", None, DEFAULT_HOST, "Interface to listen on (0.0.0.0 or :: for all)."],
        ["port", "p", DEFAULT_PORT, "Port to listen on; 0 picks a free port (logged)."],
        ["app", "a", "echo", "echo, discard, greeting, daytime or MODULE:CALLABLE."],
        [
            "listen-queue-size",
            None,
            DEFAULT_LISTEN_QUEUE_SIZE,
            "Listen backlog, and most connections held before accept().",
        ],
        [
            "max-chunk-size",
            None,
            DEFAULT_MAX_CHUNK_SIZE,
            "Largest chunk, in bytes, the echo and discard apps read at a time.",
        ],
        [
            "timeout",
            None,
            None,
            "Write timeout of each connection in ms: a client that stops reading "
            "for longer is dropped (default: none).",
        ],
        [
            "shutdown-timeout",
            None,
            DEFAULT_SHUTDOWN_TIMEOUT,
            "Seconds to wait on shutdown for connections to flush.",
        ],
    ]

    def postOptions(self) -> None:
        """Check every value and convert it; resolve (import) the app."""
        host = str(self["host"]).strip()
        if not host:
            raise usage.UsageError("--host must not be empty")
        self["host"] = host
        self["port"] = _parseInt("port", self["port"], 0, 65535)
        self["listen-queue-size"] = _parseInt("listen-queue-size", self["listen-queue-size"], 1)
        self["max-chunk-size"] = _parseInt("max-chunk-size", self["max-chunk-size"], 1)
        if self["timeout"] is not None:
            self["timeout"] = _parseSeconds("timeout", self["timeout"], "milliseconds", False)
        self["shutdown-timeout"] = _parseSeconds(
            "shutdown-timeout", self["shutdown-timeout"], "seconds", True
        )
        self["app"] = str(self["app"]).strip()
        self["appFactory"] = resolveApp(self["app"])


class ListenFailed(SystemExit):
    """
    The server could not listen: ends C{twistd} at startup with a non-zero
    status and this one-line message (a L{SystemExit}, so no traceback).

    C{__cause__} is the L{TiSocketError} of C{listen()}; C{errno} is its errno.
    """

    def __init__(self, message: str, errno: int | None) -> None:
        super().__init__(message)
        self.errno = errno


def _discardFrom(result: object, connections: set[TCPSocket], sock: TCPSocket) -> None:
    connections.discard(sock)


def _hostPort(host: str, port: object) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class TiServerService(Service):
    """
    A TCP server running one app on a Ti listening socket.

    @ivar listener: the listening L{TCPSocket} while running, else L{None}.
    @ivar port: the port actually bound (useful with port 0), else L{None}.
    """

    log = Logger()

    def __init__(
        self,
        app: AcceptedHandler,
        appName: str,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        listenQueueSize: int = DEFAULT_LISTEN_QUEUE_SIZE,
        timeout: float | None = None,
        shutdownTimeout: float = DEFAULT_SHUTDOWN_TIMEOUT,
        reactor: Any = None,
    ) -> None:
        self.app = app
        self.appName = appName
        self.host = host
        self.requestedPort = port
        self.listenQueueSize = listenQueueSize
        self.timeout = timeout
        self.shutdownTimeout = shutdownTimeout
        self._reactorGiven = reactor
        self.listener: TCPSocket | None = None
        self.port: int | None = None
        # Inbound sockets handed to the app, until their OS socket is closed.
        self._connections: set[TCPSocket] = set()
        self._pruneAt = _PRUNE_MINIMUM

    def __repr__(self) -> str:
        return f"<TiServerService {self.appName} on {_hostPort(self.host, self.port)}>"

    @property
    def connections(self) -> list[TCPSocket]:
        """The inbound sockets handed to the app whose OS socket may still be open."""
        return list(self._connections)

    def _track(self, inbound: TCPSocket) -> None:
        """
        Hold C{inbound} until its OS socket is closed, so that C{stopService}
        can close it. Closed sockets are dropped in batches (whenever the set
        has doubled), which keeps the cost per connection constant.
        """
        connections = self._connections
        connections.add(inbound)
        if len(connections) < self._pruneAt:
            return
        for sock in list(connections):
            if sock.state is SocketState.CLOSED or sock.state is SocketState.ERROR:
                sock.close().addBoth(_discardFrom, connections, sock)
        self._pruneAt = max(_PRUNE_MINIMUM, 2 * len(connections))

    def privilegedStartService(self) -> None:
        """Listen (before twistd sheds privileges)."""
        super().privilegedStartService()  # type: ignore[no-untyped-call]
        self._listen()

    def startService(self) -> None:
        """Listen if not yet listening, then arm the first C{accept()}."""
        if self.listener is None:
            self._listen()
        super().startService()  # type: ignore[no-untyped-call]
        self._accept()

    def _listen(self) -> None:
        listener = createTCP(
            host=self.host,
            port=self.requestedPort,
            listenQueueSize=self.listenQueueSize,
            accepted=self._accepted,
            error=self._listenerError,
            reactor=self._reactorGiven,
        )
        try:
            listener.listen()
        except TiSocketError as e:
            address = _hostPort(self.host, self.requestedPort)
            code = e.errno
            reason = f"{os.strerror(code)} (errno {code})" if code and code > 0 else str(e)
            message = f"tisocket {self.appName}: cannot listen on {address}: {reason}"
            raise ListenFailed(message, e.errno) from e
        self.listener = listener
        self.port = listener.port
        self.log.info(
            "tisocket {app} listening on {address}",
            app=self.appName,
            address=_hostPort(self.host, self.port),
        )

    def _accept(self) -> None:
        listener = self.listener
        if listener is None or listener.state is not SocketState.LISTENING:
            return
        options: dict[str, Any] = {"error": self._connectionError}
        if self.timeout is not None:
            options["timeout"] = self.timeout
        listener.accept(options)

    def _accepted(self, event: AcceptedEvent) -> None:
        """The C{accepted} callback: re-arm C{accept()}, then hand the socket to the app."""
        self._accept()
        inbound: TCPSocket = event.inbound
        self._track(inbound)
        try:
            result = self.app(event)
        except Exception:
            self.log.failure(
                "tisocket {app}: the app raised on a connection from {peer}",
                app=self.appName,
                peer=peerName(inbound),
            )
            self._closeAfterAppFailure(inbound)
            return
        if isinstance(result, Deferred):
            result.addErrback(
                lambda f: self.log.failure(
                    "tisocket {app}: the app failed on a connection from {peer}",
                    f,
                    app=self.appName,
                    peer=peerName(inbound),
                )
            )

    def _closeAfterAppFailure(self, inbound: TCPSocket) -> None:
        """An app that raised before using its socket must not leak it."""
        if inbound.state is SocketState.CONNECTED:
            inbound.close()

    def _connectionError(self, event: ErrorEvent) -> None:
        """The C{error} callback of every inbound socket: log, keep serving the others."""
        self.log.warn(
            "tisocket {app}: connection from {peer} failed: {error} (errno {code})",
            app=self.appName,
            peer=peerName(event.socket),
            error=event.error,
            code=event.code,
        )

    def _listenerError(self, event: ErrorEvent) -> None:
        """The C{error} callback of the listening socket."""
        self.log.error(
            "tisocket {app}: the listening socket failed: {error} (errno {code})",
            app=self.appName,
            error=event.error,
            code=event.code,
        )

    def stopService(self) -> Deferred[None]:
        """
        Stop listening and close every connection gracefully.

        The Deferred fires once every OS socket is closed, or after
        C{shutdownTimeout} seconds (the connections still flushing are then
        logged and left to the reactor's shutdown). It never fails.
        """
        super().stopService()  # type: ignore[no-untyped-call]
        waits: list[Deferred[Any]] = []
        listener, self.listener = self.listener, None
        self.port = None
        if listener is not None and listener.state is not SocketState.INITIALIZED:
            waits.append(self._close(listener))
        connections, self._connections = self._connections, set()
        live = sum(1 for sock in connections if sock.state is SocketState.CONNECTED)
        if live:
            self.log.info(
                "tisocket {app} stopping: closing {count} connection(s)",
                app=self.appName,
                count=live,
            )
        for sock in connections:
            waits.append(self._close(sock))
        return self._settle(waits)

    def _close(self, sock: TCPSocket) -> Deferred[None]:
        """C{sock.close()}, with what it raises logged rather than stopping the shutdown."""
        d: Deferred[None] = maybeDeferred(sock.close)
        d.addErrback(
            lambda f: self.log.failure(
                "tisocket {app}: closing {sock}", f, app=self.appName, sock=sock
            )
        )
        return d

    def _settle(self, waits: list[Deferred[Any]]) -> Deferred[None]:
        reactor = getReactor(self._reactorGiven)
        done: Deferred[None] = Deferred()
        timer: Any = None

        def finished(result: object) -> None:
            if timer is not None and timer.active():
                timer.cancel()
            if not done.called:
                self.log.info("tisocket {app} stopped", app=self.appName)
                done.callback(None)

        def timedOut() -> None:
            if not done.called:
                still = sum(1 for d in waits if not d.called)
                self.log.warn(
                    "tisocket {app}: {count} connection(s) still flushing after {seconds:g} s; "
                    "dropping them",
                    app=self.appName,
                    count=still,
                    seconds=self.shutdownTimeout,
                )
                done.callback(None)

        gathered: Deferred[Any] = gatherResults(waits, consumeErrors=True)
        if not gathered.called:
            timer = reactor.callLater(self.shutdownTimeout, timedOut)
        gathered.addBoth(finished)
        return done


def makeService(options: Mapping[str, Any], reactor: Any = None) -> TiServerService:
    """
    Build the server from parsed L{Options}; C{reactor} is for tests (default:
    the global reactor, looked up when the service starts).
    """
    appFactory: AppFactory | None = options.get("appFactory")
    if appFactory is None:
        appFactory = resolveApp(options["app"])

    def clock() -> float:
        seconds: float = getReactor(reactor).seconds()
        return seconds

    return TiServerService(
        app=appFactory(options["max-chunk-size"], clock),
        appName=options["app"],
        host=options["host"],
        port=options["port"],
        listenQueueSize=options["listen-queue-size"],
        timeout=options["timeout"],
        shutdownTimeout=options["shutdown-timeout"],
        reactor=reactor,
    )

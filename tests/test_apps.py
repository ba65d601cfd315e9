"""
The built-in apps and user apps of C{twistd tisocket}, end to end in-process:
the service from C{makeService} on a real loopback port (port 0), and plain
Twisted clients that know nothing of the library.

Every wait is on a Deferred with a timeout; the one poll (the echo's memory
bound) waits for a counter to stop growing, with a deadline.
"""

from __future__ import annotations

import errno
import os
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import pytest_twisted
import userapp_for_twistd
from twisted.internet.defer import Deferred, gatherResults
from twisted.internet.endpoints import TCP4ClientEndpoint, connectProtocol
from twisted.internet.error import ConnectionDone
from twisted.internet.interfaces import IHalfCloseableProtocol
from twisted.internet.protocol import Protocol
from twisted.logger import capturedLogs, formatEvent, globalLogPublisher
from twisted.python.failure import Failure
from zope.interface import implementer

from tisocket_twisted import SocketState, _apps, _tap

WAIT = 20.0


def within(d: Deferred[Any], reactor: Any, seconds: float = WAIT) -> Deferred[Any]:
    return d.addTimeout(seconds, reactor)


@implementer(IHalfCloseableProtocol)
class Client(Protocol):
    """
    A plain Twisted client: records what it receives, can half-close, can
    hold off reading, and reports when the connection is gone.
    """

    def __init__(self, paused: bool = False) -> None:
        self.received = bytearray()
        self.reason: Failure | None = None
        self.done: Deferred[Client] = Deferred()
        self.paused = paused
        self._waiters: list[tuple[int, Deferred[None]]] = []

    def connectionMade(self) -> None:
        self.port: int = self.transport.getHost().port  # type: ignore[union-attr]
        if self.paused:
            self.transport.pauseProducing()  # type: ignore[union-attr]

    def send(self, data: bytes, halfClose: bool = False) -> None:
        self.transport.write(data)  # type: ignore[union-attr]
        if halfClose:
            self.transport.loseWriteConnection()  # type: ignore[union-attr]

    def pause(self) -> None:
        self.paused = True
        self.transport.pauseProducing()  # type: ignore[union-attr]

    def resume(self) -> None:
        self.paused = False
        self.transport.resumeProducing()  # type: ignore[union-attr]

    def abort(self) -> None:
        self.transport.abortConnection()  # type: ignore[union-attr]

    def dataReceived(self, data: bytes) -> None:
        self.received += data
        self._fire()

    def readConnectionLost(self) -> None:
        self.transport.loseConnection()  # type: ignore[union-attr]

    def writeConnectionLost(self) -> None:
        pass

    def connectionLost(self, reason: Failure | None = None) -> None:
        self.reason = reason
        self._fire(everything=True)
        self.done.callback(self)

    def waitFor(self, count: int) -> Deferred[None]:
        """Fires once C{count} bytes have arrived, or the connection is gone."""
        d: Deferred[None] = Deferred()
        self._waiters.append((count, d))
        self._fire(everything=self.done.called)
        return d

    @property
    def cleanlyClosed(self) -> bool:
        return self.reason is not None and self.reason.check(ConnectionDone) is not None

    def _fire(self, everything: bool = False) -> None:
        ready = [w for w in self._waiters if everything or len(self.received) >= w[0]]
        for waiter in ready:
            self._waiters.remove(waiter)
            waiter[1].callback(None)


def parse(*argv: str) -> _tap.Options:
    options = _tap.Options()
    options.parseOptions(["--port", "0", *argv])
    return options


@pytest.fixture
def serve(reactor: Any) -> Iterator[Callable[..., _tap.TiServerService]]:
    """Start a service with the given options; it is stopped after the test."""
    services: list[_tap.TiServerService] = []

    def start(*argv: str) -> _tap.TiServerService:
        service = _tap.makeService(parse(*argv))
        service.privilegedStartService()
        service.startService()
        services.append(service)
        return service

    yield start
    for service in services:
        if service.running:
            pytest_twisted.blockon(within(service.stopService(), reactor))


async def connect(reactor: Any, service: _tap.TiServerService, client: Client) -> Client:
    assert service.port is not None
    endpoint = TCP4ClientEndpoint(reactor, "127.0.0.1", service.port)
    await within(connectProtocol(endpoint, client), reactor)
    return client


def logged(events: list[dict[str, Any]]) -> list[str]:
    return [formatEvent(event) for event in events]


def logSeen(text: str) -> Deferred[str]:
    """Fires with the first logged message containing C{text} (from now on)."""
    d: Deferred[str] = Deferred()

    def observer(event: dict[str, Any]) -> None:
        message = formatEvent(event)
        if text in message and not d.called:
            globalLogPublisher.removeObserver(observer)
            d.callback(message)

    globalLogPublisher.addObserver(observer)
    d.addErrback(lambda f: (globalLogPublisher.removeObserver(observer), f)[1])
    return d


def nextConnection(service: Any) -> Deferred[Any]:
    """Fires with the inbound socket of the next connection the service's app is given."""
    d: Deferred[Any] = Deferred()
    app = service.app

    def appThatTells(event: Any) -> object:
        service.app = app
        result = app(event)
        d.callback(event.inbound)
        return result

    service.app = appThatTells
    return d


def payload(size: int) -> bytes:
    """C{size} bytes where every 4 KiB block differs (misordering shows)."""
    block = os.urandom(4096)
    count = -(-size // 4096)
    return b"".join(i.to_bytes(4, "big") + block[4:] for i in range(count))[:size]


# ----------------------------------------------------------------------
# echo


@pytest_twisted.ensureDeferred
async def test_echoRoundTrip(reactor: Any, serve: Any) -> None:
    service = serve("--app", "echo")
    data = payload(3 * 1024 * 1024 + 17)
    with capturedLogs() as events:
        client = await connect(reactor, service, Client())
        client.send(data, halfClose=True)
        await within(client.done, reactor)
    assert bytes(client.received) == data
    assert client.cleanlyClosed  # the server closed after echoing everything
    port = client.port
    assert f"echo: 127.0.0.1:{port} done, {len(data)} bytes echoed" in logged(events)


@pytest_twisted.ensureDeferred
async def test_echoSmallChunks(reactor: Any, serve: Any) -> None:
    service = serve("--app", "echo", "--max-chunk-size", "7")
    data = payload(100_000)
    client = await connect(reactor, service, Client())
    client.send(data, halfClose=True)
    await within(client.done, reactor)
    assert bytes(client.received) == data


@pytest_twisted.ensureDeferred
async def test_echoManyClientsAtOnce(reactor: Any, serve: Any) -> None:
    service = serve("--app", "echo", "--max-chunk-size", "4096")
    clients = [await connect(reactor, service, Client()) for _ in range(8)]
    sent = [payload(200_000 + i) for i in range(len(clients))]
    for client, data in zip(clients, sent, strict=True):
        client.send(data[:100_000])
    for client, data in zip(clients, sent, strict=True):
        client.send(data[100_000:], halfClose=True)
    await within(gatherResults([client.done for client in clients]), reactor)
    for client, data in zip(clients, sent, strict=True):
        assert bytes(client.received) == data


@pytest_twisted.ensureDeferred
async def test_echoMemoryIsBoundedForAClientThatDoesNotRead(reactor: Any, serve: Any) -> None:
    """
    A client that sends 64 MiB without reading: the server reads only what the
    kernel's buffers can take back (a few MiB), not the 64 MiB; once the
    client reads, everything comes back intact.
    """
    service = serve("--app", "echo")
    total = 64 * 1024 * 1024
    data = payload(total)
    client = await connect(reactor, service, Client(paused=True))
    [inbound] = service.connections
    # The server stops reading by pausing its transport: wait for that.
    stoppedReading: Deferred[None] = Deferred()
    transport = inbound._conn.transport
    pauseProducing = transport.pauseProducing

    def pause() -> None:
        pauseProducing()
        if not stoppedReading.called:
            stoppedReading.callback(None)

    transport.pauseProducing = pause
    client.send(data)
    await within(stoppedReading, reactor)
    assert transport not in reactor.getReaders()
    read = inbound.bytesRead
    assert read < 16 * 1024 * 1024, f"the echo read {read} bytes from a client that does not read"
    assert inbound.state is SocketState.CONNECTED

    client.resume()
    await within(client.waitFor(total), reactor)
    assert bytes(client.received) == data
    client.transport.loseWriteConnection()  # type: ignore[union-attr]
    await within(client.done, reactor)
    assert client.cleanlyClosed


@pytest_twisted.ensureDeferred
async def test_echoConnectionErrorIsLoggedAndOthersAreServed(reactor: Any, serve: Any) -> None:
    service = serve("--app", "echo")
    with capturedLogs() as events:
        victim = await connect(reactor, service, Client(paused=True))
        victim.send(payload(4 * 1024 * 1024))
        survivor = await connect(reactor, service, Client())
        survivor.send(b"before ")
        await within(survivor.waitFor(7), reactor)
        [bad] = [s for s in service.connections if s.port == victim.port]
        failureLogged = logSeen(f"connection from 127.0.0.1:{victim.port} failed")
        victim.abort()
        await within(victim.done, reactor)
        await within(failureLogged, reactor)  # logged once the socket is in ERROR
        survivor.send(b"after", halfClose=True)
        await within(survivor.done, reactor)
    assert bytes(survivor.received) == b"before after"
    assert bad.state is SocketState.ERROR
    port = victim.port
    failures = [m for m in logged(events) if f"connection from 127.0.0.1:{port} failed" in m]
    assert len(failures) == 1, logged(events)
    assert failures[0].startswith("tisocket echo: connection from")
    assert f"(errno {errno.ECONNRESET})" in failures[0] or f"(errno {errno.EPIPE})" in failures[0]
    assert service.listener is not None and service.listener.state is SocketState.LISTENING


# ----------------------------------------------------------------------
# discard, greeting, daytime


@pytest_twisted.ensureDeferred
async def test_discard(reactor: Any, serve: Any) -> None:
    service = serve("--app", "discard", "--max-chunk-size", "1000")
    size = 2 * 1024 * 1024 + 3
    with capturedLogs() as events:
        client = await connect(reactor, service, Client())
        client.send(payload(size), halfClose=True)
        await within(client.done, reactor)
    assert client.received == b""
    assert client.cleanlyClosed
    port = client.port
    assert f"discard: 127.0.0.1:{port} done, {size} bytes discarded" in logged(events)


@pytest_twisted.ensureDeferred
async def test_greeting(reactor: Any, serve: Any) -> None:
    service = serve("--app", "greeting")
    client = await connect(reactor, service, Client())
    await within(client.done, reactor)
    assert bytes(client.received) == b"You have been connected to a listening socket.\r\n"
    assert bytes(client.received) == _apps.GREETING.encode()
    assert client.cleanlyClosed


@pytest_twisted.ensureDeferred
async def test_acceptIsRearmedForEveryConnection(reactor: Any, serve: Any) -> None:
    service = serve("--app", "greeting")
    clients = [Client() for _ in range(25)]
    connecting = [Deferred.fromCoroutine(connect(reactor, service, c)) for c in clients]
    await within(gatherResults(connecting), reactor)
    await within(gatherResults([c.done for c in clients]), reactor)
    assert all(bytes(c.received) == _apps.GREETING.encode() for c in clients)


@pytest_twisted.ensureDeferred
async def test_daytime(reactor: Any, serve: Any) -> None:
    service = serve("--app", "daytime")
    before = time.time()
    client = await connect(reactor, service, Client())
    await within(client.done, reactor)
    after = time.time()
    text = bytes(client.received).decode("ascii")
    assert text.endswith("\r\n") and text.count("\n") == 1
    told = time.mktime(time.strptime(text.strip(), "%a %b %d %H:%M:%S %Y"))
    assert int(before) - 1 <= told <= after + 1
    assert client.cleanlyClosed


# ----------------------------------------------------------------------
# user apps (MODULE:CALLABLE)


@pytest_twisted.ensureDeferred
async def test_userApp(reactor: Any, serve: Any) -> None:
    service = serve("--app", "userapp_for_twistd:shout")
    assert service.app is userapp_for_twistd.shout
    client = await connect(reactor, service, Client())
    client.send(b"hello, ")
    client.send(b"titanium\n", halfClose=True)
    await within(client.done, reactor)
    assert bytes(client.received) == b"HELLO FROM A TI APP\r\nHELLO, TITANIUM\n"
    assert client.cleanlyClosed


@pytest_twisted.ensureDeferred
async def test_userAppThatRaises(reactor: Any, serve: Any) -> None:
    """The exception is logged, its connection closed, and the server keeps serving."""
    service = serve("--app", "userapp_for_twistd:broken")
    with capturedLogs() as events:
        first = await connect(reactor, service, Client())
        await within(first.done, reactor)
        second = await connect(reactor, service, Client())
        await within(second.done, reactor)
    failures = [e for e in events if "log_failure" in e]
    assert len(failures) == 2
    assert all(e["log_failure"].check(RuntimeError) for e in failures)
    assert "the app raised on a connection from 127.0.0.1:" in formatEvent(failures[0])
    assert first.cleanlyClosed and second.cleanlyClosed
    assert service.listener is not None and service.listener.state is SocketState.LISTENING


@pytest_twisted.ensureDeferred
async def test_userAppReturningAFailedDeferredIsLogged(reactor: Any, serve: Any) -> None:
    service = serve()
    failed: Deferred[None] = Deferred()

    def app(event: Any) -> Deferred[None]:
        event.inbound.close()
        return failed

    service.app = app
    with capturedLogs() as events:
        client = await connect(reactor, service, Client())
        await within(client.done, reactor)
        failed.errback(ValueError("late"))
    failures = [e for e in events if "log_failure" in e]
    assert len(failures) == 1 and failures[0]["log_failure"].check(ValueError)
    assert "the app failed on a connection from 127.0.0.1:" in formatEvent(failures[0])


# ----------------------------------------------------------------------
# write timeout, stopping


@pytest_twisted.ensureDeferred
async def test_writeTimeoutDropsAClientThatDoesNotRead(reactor: Any, serve: Any) -> None:
    service = serve("--app", "userapp_for_twistd:burst", "--timeout", "200")
    with capturedLogs() as events:
        dropped = logSeen("failed: write timed out")
        client = await connect(reactor, service, Client(paused=True))
        message = await within(dropped, reactor)
        client.resume()  # a paused transport does not notice the reset
        await within(client.done, reactor)
    assert len(client.received) < userapp_for_twistd.BURST_SIZE
    assert not client.cleanlyClosed
    assert message.startswith(
        f"tisocket userapp_for_twistd:burst: connection from 127.0.0.1:{client.port} failed: "
        "write timed out after 200 ms"
    )
    assert f"(errno {errno.ETIMEDOUT})" in message
    assert [m for m in logged(events) if "failed: write timed out" in m] == [message]


@pytest_twisted.ensureDeferred
async def test_stopFlushesOpenConnections(reactor: Any, serve: Any) -> None:
    """
    stopService closes a connection with 16 MiB still to send gracefully: its
    Deferred waits until the client has everything, then fires.
    """
    service = serve("--app", "userapp_for_twistd:burst")
    started = nextConnection(service)
    client = await connect(reactor, service, Client(paused=True))
    await within(started, reactor)
    with capturedLogs() as events:
        stopped = service.stopService()
        assert not stopped.called  # still flushing
        client.resume()
        await within(client.waitFor(1), reactor)
        # The reactor has run; most of the 16 MiB is still on its way.
        assert not stopped.called
        await within(client.done, reactor)
        await within(stopped, reactor)
    assert bytes(client.received) == userapp_for_twistd.burstPayload()
    assert client.cleanlyClosed
    messages = logged(events)
    assert "tisocket userapp_for_twistd:burst stopping: closing 1 connection(s)" in messages
    assert messages[-1] == "tisocket userapp_for_twistd:burst stopped"
    assert not service.running and service.listener is None


@pytest_twisted.ensureDeferred
async def test_stopGivesUpAfterTheShutdownTimeout(reactor: Any, serve: Any) -> None:
    service = serve("--app", "userapp_for_twistd:burst", "--shutdown-timeout", "0.2")
    started = nextConnection(service)
    client = await connect(reactor, service, Client(paused=True))
    await within(started, reactor)
    with capturedLogs() as events:
        await within(service.stopService(), reactor)
    assert (
        "tisocket userapp_for_twistd:burst: 1 connection(s) still flushing after 0.2 s; "
        "dropping them"
    ) in logged(events)
    assert not client.done.called
    client.abort()  # what the reactor's shutdown would do to the server's side
    await within(client.done, reactor)
    [inbound] = service.connections or [None]  # forgotten by the stopped service
    assert inbound is None


@pytest_twisted.ensureDeferred
async def test_closedConnectionsAreForgotten(reactor: Any, serve: Any) -> None:
    """The service holds a closed socket only until a later accept prunes it."""
    service = serve("--app", "greeting")
    for _ in range(3 * _tap._PRUNE_MINIMUM):
        client = await connect(reactor, service, Client())
        await within(client.done, reactor)
    assert len(service.connections) <= 2 * _tap._PRUNE_MINIMUM
    assert all(s.state is SocketState.CLOSED for s in service.connections)

"""
Random bytes and abrupt disconnects thrown at each tisocket app (echo,
discard, greeting, daytime), in-process and through a real twistd: the
server keeps serving well-behaved clients, logs no traceback, and stops
cleanly.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path
from typing import Any

import pytest
import pytest_twisted
from reliability_helpers import socketFdCount, within
from twisted.internet.defer import Deferred, DeferredList, ensureDeferred
from twisted.internet.endpoints import TCP4ClientEndpoint, connectProtocol
from twisted.internet.error import ConnectionDone
from twisted.internet.interfaces import IHalfCloseableProtocol
from twisted.internet.protocol import Protocol
from twisted.logger import capturedLogs
from twisted.python.failure import Failure
from zope.interface import implementer

from tisocket_twisted import _tap

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

APPS = ["echo", "discard", "greeting", "daytime"]
ABUSERS = 60


class Abuser(Protocol):
    """Sends random bytes in random pieces, then aborts, half-closes or closes."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.done: Deferred[None] = Deferred()
        self.abortCall: Any = None

    def connectionMade(self) -> None:
        rng = self.rng
        transport: Any = self.transport
        for _ in range(rng.randint(0, 5)):
            transport.write(rng.randbytes(rng.randint(1, 100_000)))
        how = rng.choice(["abort", "abort", "halfClose", "close", "abortLater"])
        if how == "abort":
            transport.abortConnection()
        elif how == "halfClose":
            transport.loseWriteConnection()
            self.abortCall = transport.reactor.callLater(0, transport.abortConnection)
        elif how == "close":
            transport.loseConnection()
        else:
            self.abortCall = transport.reactor.callLater(
                rng.random() / 50, transport.abortConnection
            )

    def connectionLost(self, reason: Failure = Failure(ConnectionDone())) -> None:  # noqa: B008
        # The server may close first (greeting, daytime): the abort is moot, and
        # its timer must not outlive the test (the clean-reactor check).
        if self.abortCall is not None and self.abortCall.active():
            self.abortCall.cancel()
        self.done.callback(None)


@implementer(IHalfCloseableProtocol)
class Polite(Protocol):
    """Sends C{request}, half-closes, collects everything until the server closes."""

    def __init__(self, request: bytes) -> None:
        self.request = request
        self.received = bytearray()
        self.reason: Failure | None = None
        self.done: Deferred[Polite] = Deferred()

    def connectionMade(self) -> None:
        self.transport.write(self.request)  # type: ignore[union-attr]
        self.transport.loseWriteConnection()  # type: ignore[union-attr]

    def dataReceived(self, data: bytes) -> None:
        self.received += data

    def readConnectionLost(self) -> None:
        self.transport.loseConnection()  # type: ignore[union-attr]

    def writeConnectionLost(self) -> None:
        pass

    def connectionLost(self, reason: Failure = Failure(ConnectionDone())) -> None:  # noqa: B008
        self.reason = reason
        self.done.callback(self)


def expected(app: str, request: bytes, got: bytes) -> bool:
    if app == "echo":
        return got == request
    if app == "discard":
        return got == b""
    if app == "greeting":
        return got == b"You have been connected to a listening socket.\r\n"
    return got.endswith(b"\n") and got.count(b"\n") == 1 and len(got) > 10


async def politeOnce(reactor: Any, port: int, app: str, seed: int) -> None:
    request = random.Random(seed).randbytes(50_000)
    client = Polite(request)
    endpoint = TCP4ClientEndpoint(reactor, "127.0.0.1", port)
    await within(connectProtocol(endpoint, client), reactor)
    await within(client.done, reactor)
    assert expected(app, request, bytes(client.received)), (app, len(client.received))
    assert client.reason is not None and client.reason.check(ConnectionDone), client.reason


async def abuse(reactor: Any, port: int, app: str) -> None:
    """Abusers and polite clients at once, then one more polite client."""
    rng = random.Random(app)
    endpoint = TCP4ClientEndpoint(reactor, "127.0.0.1", port)
    abusers = [Abuser(random.Random(rng.random())) for _ in range(ABUSERS)]
    connecting = [connectProtocol(endpoint, a) for a in abusers]
    polite = [politeOnce(reactor, port, app, i) for i in range(10)]
    results = await within(
        DeferredList([ensureDeferred(p) for p in polite], consumeErrors=True), reactor
    )
    for ok, result in results:
        assert ok, result
    await within(DeferredList(connecting, consumeErrors=True), reactor)
    await within(DeferredList([a.done for a in abusers]), reactor)
    await politeOnce(reactor, port, app, 99)


@pytest.mark.parametrize("app", APPS)
@pytest_twisted.ensureDeferred
async def test_appSurvivesAbuseInProcess(reactor: Any, app: str) -> None:
    before = socketFdCount()
    options = _tap.Options()
    options.parseOptions(["--port", "0", "--app", app])
    service = _tap.makeService(options)
    with capturedLogs() as events:
        service.privilegedStartService()
        service.startService()
        try:
            assert service.port is not None
            await abuse(reactor, service.port, app)
        finally:
            await within(service.stopService(), reactor)
    failures = [e for e in events if e.get("log_failure") is not None]
    assert not failures, failures[:3]
    assert socketFdCount() == before


@pytest_twisted.ensureDeferred
async def test_appsSurviveAbuseThroughTwistd(reactor: Any, tmp_path: Path) -> None:
    from test_twistd import killed, spawn, started, stopped

    for app in APPS:
        daemon = spawn(reactor, tmp_path, "--port", "0", "--app", app)
        try:
            port = await started(reactor, daemon, app)
            await abuse(reactor, port, app)
            await stopped(reactor, daemon)
            assert "Traceback" not in daemon.output, daemon.output[-3000:]
        finally:
            await killed(reactor, daemon)

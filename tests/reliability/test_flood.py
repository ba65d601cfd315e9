"""
Connection floods: a burst of connects against a listener with a tiny
accept queue that accepts one connection at a time. Every client is
either served or refused (or timed out) by the kernel; no connection the
library took from the OS is dropped; the accept queue stays bounded.
"""

from __future__ import annotations

import os
from typing import Any

import pytest_twisted
from reliability_helpers import closeAll, heavy, listener, socketFdCount, within
from twisted.internet.defer import Deferred, DeferredList
from twisted.internet.endpoints import TCP4ClientEndpoint, connectProtocol
from twisted.internet.error import ConnectionDone, ConnectionLost
from twisted.internet.interfaces import IHalfCloseableProtocol
from twisted.internet.protocol import Protocol
from twisted.python.failure import Failure
from zope.interface import implementer

from tisocket_twisted import createBuffer

GREETING = b"served\r\n"


@implementer(IHalfCloseableProtocol)
class Visitor(Protocol):
    """
    Sends a request and half-closes, then reads until the server closes;
    records what it got and how it ended. (Sending matters: a connection the
    kernel completed for the client but dropped from a full accept queue is
    only reported, by RST, once the client sends something.)
    """

    def __init__(self) -> None:
        self.received = b""
        self.reason: Failure | None = None
        self.done: Deferred[None] = Deferred()

    def connectionMade(self) -> None:
        self.transport.write(b"hello\r\n")  # type: ignore[union-attr]
        self.transport.loseWriteConnection()  # type: ignore[union-attr]

    def dataReceived(self, data: bytes) -> None:
        self.received += data

    def readConnectionLost(self) -> None:
        self.transport.loseConnection()  # type: ignore[union-attr]

    def writeConnectionLost(self) -> None:
        pass

    def connectionLost(self, reason: Failure = Failure(ConnectionDone())) -> None:  # noqa: B008
        self.reason = reason
        self.done.callback(None)


def residentKiB() -> int:
    """The process's resident memory now, in KiB."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * (os.sysconf("SC_PAGE_SIZE") // 1024)


async def flood(reactor: Any, count: int) -> None:
    before = socketFdCount()
    rssBefore = residentKiB()
    stats = {"accepted": 0, "maxPending": 0, "fromOS": 0, "maxRss": rssBefore}
    server: Any = None

    def accepted(event: Any) -> None:
        stats["accepted"] += 1
        stats["maxRss"] = max(stats["maxRss"], residentKiB())
        factory = server._factory
        if factory is not None:
            stats["maxPending"] = max(stats["maxPending"], factory.pendingCount)
        inbound = event.inbound
        inbound.write(createBuffer(value=GREETING.decode()))
        # Slow: the next accept() only once this connection is fully closed.
        inbound.close().addCallback(
            lambda _: server.accept() if server.state.name == "LISTENING" else None
        )

    server = listener(listenQueueSize=8, accepted=accepted)
    factory = server._factory
    build = factory.buildProtocol

    def counted(addr: Any) -> Any:
        stats["fromOS"] += 1
        return build(addr)

    factory.buildProtocol = counted  # type: ignore[method-assign]
    server.accept()
    endpoint = TCP4ClientEndpoint(reactor, "127.0.0.1", server.port, timeout=90)
    visitors = [Visitor() for _ in range(count)]
    try:
        connecting = [connectProtocol(endpoint, v) for v in visitors]
        results = await within(DeferredList(connecting, consumeErrors=True), reactor, 150)
        failedToConnect = [r for ok, r in results if not ok]
        connectedVisitors = [v for (ok, _), v in zip(results, visitors, strict=True) if ok]
        await within(DeferredList([v.done for v in connectedVisitors]), reactor, 150)
    finally:
        for v in visitors:
            if v.transport is not None and not v.done.called:
                v.transport.abortConnection()  # type: ignore[attr-defined]
        await closeAll(reactor, server)
    served = [v for v in connectedVisitors if v.received == GREETING]
    # A connection the kernel dropped from its full backlog ends in RST for its
    # client, before any byte: refused by the kernel.
    reset = [
        v
        for v in connectedVisitors
        if v.received == b"" and v.reason is not None and v.reason.check(ConnectionLost)
    ]
    odd = [v for v in connectedVisitors if v not in served and v not in reset]
    assert not odd, [(v.received, v.reason) for v in odd[:5]]
    assert len(served) + len(reset) + len(failedToConnect) == count
    # The library served every connection it took from the OS, and only those.
    assert stats["accepted"] == stats["fromOS"] == len(served), (stats, len(served), len(reset))
    # The accept queue: its size plus at most one batch of the port's accept loop.
    assert stats["maxPending"] <= 8 + 256, stats
    print(
        f"served {len(served)}, reset {len(reset)}, not connected {len(failedToConnect)}, "
        f"max pending {stats['maxPending']}, RSS grew {stats['maxRss'] - rssBefore} KiB"
    )
    assert socketFdCount() == before
    grown = stats["maxRss"] - rssBefore
    assert grown < 200 * 1024, f"RSS grew by {grown} KiB while serving the flood"


@pytest_twisted.ensureDeferred
async def test_burstOf2000Connects(reactor: Any) -> None:
    await flood(reactor, 2000)


@heavy
@pytest_twisted.ensureDeferred
async def test_burstOf8000Connects(reactor: Any) -> None:
    await flood(reactor, 8000)

"""
Load: many concurrent clients echo through the tisocket echo app, and many
sequential connections through a listener that re-arms accept(); every byte
comes back in order, no connection fails, no file descriptor leaks.

The default run is the full specification: 300 concurrent clients of 1 MiB
each (in this process, and through a real twistd process), and 10,000
sequential cycles. C{TISOCKET_HEAVY=1} adds 300 clients of 4 MiB and 50,000
cycles.
"""

from __future__ import annotations

import hashlib
import os
import random
import sys
from pathlib import Path
from typing import Any

import pytest_twisted
from reliability_helpers import (
    WAIT,
    closeAll,
    connected,
    heavy,
    listener,
    socketFdCount,
    within,
)
from twisted.internet.defer import Deferred, gatherResults
from twisted.internet.endpoints import TCP4ClientEndpoint, connectProtocol
from twisted.internet.error import ConnectionDone
from twisted.internet.interfaces import IHalfCloseableProtocol, IPushProducer
from twisted.internet.protocol import Protocol
from twisted.python.failure import Failure
from zope.interface import implementer

from tisocket_twisted import Ti, _tap, createBuffer

CLIENTS = 300
KiB = 1024


@implementer(IHalfCloseableProtocol, IPushProducer)
class EchoClient(Protocol):
    """
    Sends C{data} in random-sized writes (respecting the transport's
    backpressure), half-closes, and checks what comes back by length and
    SHA-256, without keeping it.
    """

    def __init__(self, data: bytes, seed: int) -> None:
        self.data = data
        self.rng = random.Random(seed)
        self.offset = 0
        self.paused = False
        self.received = 0
        self.digest = hashlib.sha256()
        self.reason: Failure | None = None
        self.done: Deferred[EchoClient] = Deferred()

    def connectionMade(self) -> None:
        self.transport.registerProducer(self, True)  # type: ignore[union-attr]
        self.resumeProducing()

    def pauseProducing(self) -> None:
        self.paused = True

    def resumeProducing(self) -> None:
        self.paused = False
        data = self.data
        while not self.paused and self.offset < len(data):
            n = self.rng.randint(1, 64 * KiB)
            self.transport.write(data[self.offset : self.offset + n])  # type: ignore[union-attr]
            self.offset += n
        if self.offset >= len(data) and not self.paused:
            self.transport.unregisterProducer()  # type: ignore[union-attr]
            self.transport.loseWriteConnection()  # type: ignore[union-attr]
            self.offset = len(data) + 1  # half-closed once

    def stopProducing(self) -> None:
        pass

    def dataReceived(self, data: bytes) -> None:
        self.received += len(data)
        self.digest.update(data)

    def readConnectionLost(self) -> None:
        self.transport.loseConnection()  # type: ignore[union-attr]

    def writeConnectionLost(self) -> None:
        pass

    def connectionLost(self, reason: Failure = Failure(ConnectionDone())) -> None:  # noqa: B008
        self.reason = reason
        self.done.callback(self)

    def check(self) -> None:
        assert self.reason is not None and self.reason.check(ConnectionDone), self.reason
        assert self.received == len(self.data)
        assert self.digest.hexdigest() == hashlib.sha256(self.data).hexdigest()


def payloads(count: int, size: int) -> list[bytes]:
    """C{count} different payloads of C{size} bytes (cheap to make: one random block each)."""
    base = os.urandom(size)
    return [i.to_bytes(4, "big") + base[4:] for i in range(count)]


async def echoMany(reactor: Any, port: int, count: int, size: int) -> list[EchoClient]:
    """C{count} concurrent clients of the echo on C{port}, each sending C{size} bytes."""
    endpoint = TCP4ClientEndpoint(reactor, "127.0.0.1", port, timeout=WAIT)
    clients = [EchoClient(data, seed) for seed, data in enumerate(payloads(count, size))]
    await within(gatherResults([connectProtocol(endpoint, c) for c in clients]), reactor)
    await within(gatherResults([c.done for c in clients]), reactor, 150)
    for client in clients:
        client.check()
    return clients


def startEcho() -> _tap.TiServerService:
    options = _tap.Options()
    options.parseOptions(["--port", "0", "--app", "echo"])
    service = _tap.makeService(options)
    service.privilegedStartService()
    service.startService()
    return service


async def echoService(reactor: Any, size: int) -> None:
    before = socketFdCount()
    service = startEcho()
    try:
        assert service.port is not None
        await echoMany(reactor, service.port, CLIENTS, size)
    finally:
        await within(service.stopService(), reactor)
    assert socketFdCount() == before


@pytest_twisted.ensureDeferred
async def test_300ClientsEchoInProcess(reactor: Any) -> None:
    """300 concurrent clients, 1 MiB each, through the echo app in this process."""
    await echoService(reactor, 1024 * KiB)


@heavy
@pytest_twisted.ensureDeferred
async def test_300ClientsEcho4MiBInProcess(reactor: Any) -> None:
    """The heavy variant: 300 concurrent clients, 4 MiB each."""
    await echoService(reactor, 4096 * KiB)


@pytest_twisted.ensureDeferred
async def test_300ClientsEchoThroughTwistd(reactor: Any, tmp_path: Path) -> None:
    """300 concurrent clients against a real C{twistd -n tisocket} echo process."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from test_twistd import killed, spawn, started, stopped

    daemon = spawn(reactor, tmp_path, "--port", "0")
    try:
        port = await started(reactor, daemon, "echo")
        await echoMany(reactor, port, CLIENTS, 1024 * KiB)
        await stopped(reactor, daemon)
        assert "Traceback" not in daemon.output, daemon.output
        assert len(daemon.lines(" done, ")) == CLIENTS, daemon.output[-2000:]
    finally:
        await killed(reactor, daemon)


async def cycles(reactor: Any, count: int) -> None:
    """C{count} connect/echo/close cycles, one after the other, with Ti sockets at both ends."""
    before = socketFdCount()
    served = [0]

    def accepted(event: Any) -> None:
        event.socket.accept()
        inbound = event.inbound
        served[0] += 1

        def echo(e: Any) -> None:
            if e.bytesProcessed > 0:
                inbound.write(e.buffer)

        Ti.Stream.pump(inbound, echo, 4096, True)

    server = listener(accepted=accepted)
    server.accept()
    message = createBuffer(value="ping " * 20)
    try:
        for i in range(count):
            client = await connected(reactor, server.port)  # type: ignore[arg-type]
            back = createBuffer(length=message.length)
            client.write(message)
            got = 0
            while got < message.length:
                d: Deferred[Any] = Deferred()
                Ti.Stream.read(client, back, got, message.length - got, d.callback)
                event = await within(d, reactor)
                assert event.success and event.bytesProcessed > 0, (i, event)
                got += event.bytesProcessed
            assert back.toString() == message.toString()
            await within(client.close(), reactor)
    finally:
        await closeAll(reactor, server)
    assert served[0] == count
    assert socketFdCount() == before


@pytest_twisted.ensureDeferred
async def test_sequentialCycles(reactor: Any) -> None:
    """10,000 connect/echo/close cycles: all served, no fd leaked."""
    await cycles(reactor, 10_000)


@heavy
@pytest_twisted.ensureDeferred
async def test_sequentialCycles50000(reactor: Any) -> None:
    """The heavy variant: 50,000 cycles."""
    await cycles(reactor, 50_000)

"""
The testing toolkit (L{tisocket_twisted.testing}) and its pytest plugin.

The in-memory network is checked deterministically (nothing happens until
C{flush()}); the loopback helpers and fixtures with the real reactor; the
plugin itself (fixtures from the entry point, the clean-reactor check, the
example test of docs/testing.md) in a pytest subprocess; and one trial
C{TestCase} and one C{SynchronousTestCase} run right here under pytest.
"""

from __future__ import annotations

import errno
import re
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import pytest_twisted
from twisted.internet.defer import Deferred, TimeoutError
from twisted.trial import unittest

from tisocket_twisted import (
    ErrorEvent,
    SocketState,
    Ti,
    TiSocketError,
    createBuffer,
    createTCP,
)
from tisocket_twisted.testing import (
    MemoryNetwork,
    MemorySocketPair,
    PairError,
    ReactorSnapshot,
    SocketPair,
    closeSockets,
    connectedPair,
    listeningSocket,
    memoryPair,
    waitForCleanReactor,
)

CONNECTED = SocketState.CONNECTED
LISTENING = SocketState.LISTENING
CLOSED = SocketState.CLOSED
ERROR = SocketState.ERROR

ROOT = Path(__file__).resolve().parent.parent
#: Upper bound for a pytest subprocess.
SUBPROCESS_TIMEOUT = 120


class Pumped:
    """Pumps a socket and records the chunks and the final event."""

    def __init__(self, sock: Any, size: int = 65536) -> None:
        self.chunks: list[bytes] = []
        self.final: Any = None
        self.done = Ti.Stream.pump(sock, self.handler, size, True)

    def handler(self, event: Any) -> None:
        if event.bytesProcessed >= 0:
            self.chunks.append(bytes(event.buffer))
        else:
            self.final = event

    @property
    def data(self) -> bytes:
        return b"".join(self.chunks)


def fired(d: Deferred[Any]) -> list[Any]:
    """The results C{d} has fired with so far (a list of zero or one)."""
    box: list[Any] = []
    d.addBoth(box.append)
    return box


# ----------------------------------------------------------------------
# The in-memory network.


def test_memoryPairIsConnectedBothWays() -> None:
    pair = memoryPair()
    client, inbound, listener = pair.client, pair.inbound, pair.listener
    assert listener is not None and listener.state is LISTENING
    assert client.state is CONNECTED and inbound.state is CONNECTED
    assert client.remoteAddress == "127.0.0.1" and client.remotePort == listener.port
    assert inbound.host == "127.0.0.1" and inbound.port == client.localPort
    assert pair.sockets() == [client, inbound, listener]
    assert fired(pair.close()) == [None]
    assert [s.state for s in pair.sockets()] == [CLOSED, CLOSED, CLOSED]
    assert pair.network.connections == [] and pair.network.getDelayedCalls() == []


def test_nothingHappensUntilFlush(tiMemoryPair: MemorySocketPair) -> None:
    pumped = Pumped(tiMemoryPair.inbound)
    written = fired(Ti.Stream.write(tiMemoryPair.client, createBuffer(value="hello")))
    assert written == [] and pumped.chunks == []
    assert tiMemoryPair.flush() is True
    assert written[0].success and written[0].bytesProcessed == 5
    assert pumped.data == b"hello"
    assert tiMemoryPair.flush() is False


def test_echoBothWaysAndEndOfStream(tiMemoryPair: MemorySocketPair) -> None:
    client, inbound = tiMemoryPair.client, tiMemoryPair.inbound

    def echo(event: Any) -> None:
        if event.bytesProcessed > 0:
            inbound.write(event.buffer)

    serverEnd = fired(Ti.Stream.pump(inbound, echo, 1024, True))
    answers = Pumped(client)
    client.write(createBuffer(value="ping"))
    tiMemoryPair.flush()
    assert answers.data == b"ping"
    client.close()
    tiMemoryPair.flush()
    assert serverEnd[0].bytesProcessed == -1 and serverEnd[0].success
    assert inbound.state is CLOSED  # closed by itself after the end of stream
    assert answers.final.success and answers.final.totalBytesProcessed == 4


def test_bigWritesArriveInChunksOfAtMostReadSize() -> None:
    network = MemoryNetwork()
    network.readSize = 1000
    pair = memoryPair(network)
    pumped = Pumped(pair.inbound, 4096)
    payload = bytes(range(256)) * 100
    pair.client.write(createBuffer(value=payload.decode("latin1"), type="latin1"))
    pair.flush()
    assert pumped.data == payload
    assert max(map(len, pumped.chunks)) == 1000
    pair.close()


def test_readBackpressureHoldsTheWriterUntilSomebodyReads() -> None:
    network = MemoryNetwork()
    listener = listeningSocket(network, readHighWaterMark=4096)
    pair = memoryPair(network, listener=listener)
    size = 1024 * 1024
    written = fired(Ti.Stream.write(pair.client, createBuffer(length=size)))
    pair.flush()
    # Nobody reads: the inbound socket stopped reading, the kernel buffers
    # filled up, the client's transport paused the write.
    assert written == []
    assert pair.inbound.bytesRead < network.socketBufferSize + 2 * network.readSize
    pumped = Pumped(pair.inbound)
    pair.flush()
    assert written[0].success and written[0].bytesProcessed == size
    assert len(pumped.data) == size
    pair.close()
    fired(listener.close())
    network.flush()
    assert listener.state is CLOSED


def test_connectRefusedWhenNothingListens(tiMemoryNetwork: MemoryNetwork) -> None:
    sock = createTCP(host="127.0.0.1", port=9, reactor=tiMemoryNetwork)
    result = fired(sock.connect())
    tiMemoryNetwork.flush()
    assert isinstance(result[0], ErrorEvent)
    assert result[0].code == errno.ECONNREFUSED and sock.state is ERROR


def test_aFullAcceptQueuePausesThePortAndConnectsTimeOut(tiMemoryNetwork: MemoryNetwork) -> None:
    listener = listeningSocket(tiMemoryNetwork, listenQueueSize=1)
    first = createTCP(host="127.0.0.1", port=listener.port, reactor=tiMemoryNetwork)
    second = createTCP(host="127.0.0.1", port=listener.port, timeout=500, reactor=tiMemoryNetwork)
    firstResult = fired(first.connect())
    tiMemoryNetwork.flush()
    assert first.state is CONNECTED  # waiting in the accept queue, which is now full
    secondResult = fired(second.connect())
    tiMemoryNetwork.flush()
    assert secondResult == []  # waits, as in a full backlog
    tiMemoryNetwork.flush(0.6)
    assert secondResult[0].code == errno.ETIMEDOUT and second.state is ERROR
    assert firstResult[0].socket is first
    accepted = fired(listener.accept())
    tiMemoryNetwork.flush()
    assert accepted[0].inbound.state is CONNECTED
    fired(closeSockets(first, accepted[0].inbound, listener))
    tiMemoryNetwork.flush()
    assert tiMemoryNetwork.connections == [] and tiMemoryNetwork.getDelayedCalls() == []


def test_portInUse(tiMemoryNetwork: MemoryNetwork) -> None:
    first = listeningSocket(tiMemoryNetwork)
    second = createTCP(host="127.0.0.1", port=first.port, reactor=tiMemoryNetwork)
    with pytest.raises(TiSocketError) as info:
        second.listen()
    assert info.value.errno == errno.EADDRINUSE
    assert listeningSocket(tiMemoryNetwork).port != first.port
    fired(first.close())


def test_resetByThePeer(tiMemoryPair: MemorySocketPair) -> None:
    errors: list[Any] = []
    tiMemoryPair.client.error = errors.append
    pumped = Pumped(tiMemoryPair.client)
    [(_, serverEnd)] = tiMemoryPair.network.connections
    serverEnd.abortConnection()
    tiMemoryPair.flush()
    assert [e.code for e in errors] == [errno.ECONNRESET]
    assert tiMemoryPair.client.state is ERROR
    assert pumped.final.success is False and pumped.final.code == errno.ECONNRESET


def test_aPendingConnectionResetBeforeAcceptIsSkipped(tiMemoryNetwork: MemoryNetwork) -> None:
    listener = listeningSocket(tiMemoryNetwork)
    gone = createTCP(host="127.0.0.1", port=listener.port, reactor=tiMemoryNetwork)
    fired(gone.connect())
    tiMemoryNetwork.flush()
    [(goneEnd, _)] = tiMemoryNetwork.connections
    goneEnd.abortConnection()  # the pending inbound is paused: it sees only SO_ERROR
    pair = memoryPair(tiMemoryNetwork, listener=listener)
    assert pair.inbound.port == pair.client.localPort
    pair.close()
    fired(listener.close())
    tiMemoryNetwork.flush()


def test_hostNamesConnectToLoopback(tiMemoryNetwork: MemoryNetwork) -> None:
    listener = listeningSocket(tiMemoryNetwork)
    pair = memoryPair(tiMemoryNetwork, listener=listener, host="localhost")
    assert pair.client.remoteAddress == "127.0.0.1"
    pair.close()
    fired(listener.close())
    tiMemoryNetwork.flush(60)  # HostnameEndpoint's timers, if any
    assert tiMemoryNetwork.getDelayedCalls() == []


def test_memoryPairThatCannotConnect() -> None:
    network = MemoryNetwork()
    listener = listeningSocket(network)
    with pytest.raises(PairError, match="could not connect") as info:
        memoryPair(network, listener=listener, port=1)
    assert info.value.event.code == errno.ECONNREFUSED
    assert listener.state is LISTENING  # not the pair's: left alone
    fired(listener.close())
    network.flush()


def test_aServerWithAcceptReArmedInMemory(tiMemoryNetwork: MemoryNetwork) -> None:
    """Many clients; accept() re-armed in accepted, as every Ti server does."""

    def accepted(event: Any) -> None:
        event.inbound.write(createBuffer(value=f"hello {event.inbound.port}"))
        event.inbound.close()
        event.socket.accept()

    listener = listeningSocket(tiMemoryNetwork, accepted=accepted)
    listener.accept()
    clients = [
        createTCP(host="127.0.0.1", port=listener.port, reactor=tiMemoryNetwork) for _ in range(5)
    ]
    pumps = []
    for client in clients:
        client.connect()
    tiMemoryNetwork.flush()
    ports = [client.localPort for client in clients]
    for client in clients:
        pumps.append(Pumped(client))
    tiMemoryNetwork.flush()
    assert [p.data.decode() for p in pumps] == [f"hello {port}" for port in ports]
    assert all(c.state is CLOSED for c in clients)
    fired(listener.close())
    tiMemoryNetwork.flush()


class SynchronousUse(unittest.SynchronousTestCase):
    """The in-memory network needs no running reactor: trial's synchronous tests use it."""

    def test_readWithSuccessResultOf(self) -> None:
        pair = memoryPair()
        buffer = createBuffer(length=16)
        reading = Ti.Stream.read(pair.inbound, buffer)
        self.assertNoResult(reading)
        pair.client.write(createBuffer(value="trial"))
        pair.flush()
        event = self.successResultOf(reading)
        self.assertEqual(event.bytesProcessed, 5)
        self.assertEqual(bytes(buffer)[:5], b"trial")
        self.successResultOf(pair.close())


# ----------------------------------------------------------------------
# Loopback, with the real reactor.


@pytest_twisted.ensureDeferred
async def test_connectedPairFixture(tiConnectedPair: SocketPair, tiReactor: Any) -> None:
    client, inbound = tiConnectedPair.client, tiConnectedPair.inbound
    assert client.state is CONNECTED and inbound.state is CONNECTED
    assert inbound.remotePort == client.localPort
    buffer = createBuffer(length=32)
    reading = Ti.Stream.read(inbound, buffer)
    await Ti.Stream.write(client, createBuffer(value="over loopback"))
    event = await reading.addTimeout(10, tiReactor)
    assert bytes(buffer)[: event.bytesProcessed] == b"over loopback"[: event.bytesProcessed]


def test_listenerFixture(tiListener: Any) -> None:
    assert tiListener.state is LISTENING
    assert tiListener.host == "127.0.0.1" and tiListener.port > 0


@pytest_twisted.ensureDeferred
async def test_connectedPairWithAGivenListener(tiReactor: Any) -> None:
    listener = listeningSocket()
    first = await connectedPair(listener=listener)
    second = await connectedPair(listener=listener, noDelay=True)
    assert first.listener is None and second.listener is None
    assert second.client.noDelay is True
    assert first.inbound.port != second.inbound.port
    await first.close()
    await second.close()
    assert listener.state is LISTENING
    await closeSockets(listener)
    assert listener.state is CLOSED


@pytest_twisted.ensureDeferred
async def test_connectedPairFailure(tiReactor: Any) -> None:
    listener = listeningSocket()
    closed = listeningSocket()
    freePort = closed.port
    await closeSockets(closed)
    with pytest.raises(PairError) as info:
        await connectedPair(listener=listener, port=freePort)
    assert info.value.event.code == errno.ECONNREFUSED
    await listener.close()  # its armed accept() is cancelled


@pytest_twisted.ensureDeferred
async def test_connectedPairTimesOut(tiReactor: Any) -> None:
    listener = listeningSocket()
    # The client reaches a plain socket that never accepts (the kernel completes
    # the handshake), so the listener's accept() never fires.
    with socket.socket() as elsewhere:
        elsewhere.bind(("127.0.0.1", 0))
        elsewhere.listen(1)
        with pytest.raises(TimeoutError):
            await connectedPair(listener=listener, port=elsewhere.getsockname()[1], timeout=0.2)
    await listener.close()


def test_closeSocketsSkipsUnusedSockets() -> None:
    assert fired(closeSockets(createTCP())) == [None]


@pytest_twisted.ensureDeferred
async def test_reactorSnapshotAndTheCleanCheck(tiReactor: Any) -> None:
    before = ReactorSnapshot.take(tiReactor)
    assert not before.leftSince(before)
    call = tiReactor.callLater(100, lambda: None)
    left = await waitForCleanReactor(before, tiReactor, turns=1)
    assert left and left.delayedCalls == {call}
    assert "delayed calls" in left.describe() and "ReactorSnapshot" in repr(left)
    call.cancel()
    assert not await waitForCleanReactor(before, tiReactor)


def test_snapshotOfAReactorWithoutReadersAndWriters() -> None:
    from twisted.internet.task import Clock

    clock = Clock()
    clock.callLater(1, lambda: None)
    snapshot = ReactorSnapshot.take(clock)
    assert len(snapshot.delayedCalls) == 1 and not snapshot.readers and not snapshot.writers
    clock.advance(1)


class TrialUse(unittest.TestCase):
    """
    A trial TestCase, run by pytest like the rest. Under pytest-twisted the
    reactor is already running, so trial cannot wait on it: the in-memory
    network, whose Deferreds fire during C{flush()}, works there (trial runs
    of loopback tests are checked in a subprocess below).
    """

    def test_echoInMemory(self) -> Deferred[None]:
        pair = memoryPair()
        echoed = Pumped(pair.client)
        Ti.Stream.pump(pair.inbound, lambda e: e.buffer and pair.inbound.write(e.buffer), 64, True)
        writing = Ti.Stream.write(pair.client, createBuffer(value="from trial"))
        pair.flush()

        def check(event: Any) -> Deferred[None]:
            self.assertTrue(event.success)
            self.assertEqual(echoed.data, b"from trial")
            return pair.close()

        return writing.addCallback(check)


# ----------------------------------------------------------------------
# The plugin and the module's hygiene.


def test_thePluginIsRegisteredThroughItsEntryPoint(request: pytest.FixtureRequest) -> None:
    import tisocket_twisted._pytest_plugin as plugin

    assert request.config.pluginmanager.get_plugin("tisocket") is plugin


def runPytest(directory: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *arguments],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT,
        check=False,
    )


def docsExampleTests() -> dict[str, str]:
    """The Python blocks of docs/testing.md that start with a C{# test_*.py} line."""
    text = (ROOT / "docs" / "testing.md").read_text()
    found = {}
    for block in re.findall(r"```python\n(.*?)```", text, flags=re.S):
        match = re.fullmatch(r"# (test_\w+\.py)", block.splitlines()[0].strip())
        if match:
            found[match.group(1)] = block
    return found


def test_theDocumentedExampleTestsPass(tmp_path: Path) -> None:
    """
    The example tests of docs/testing.md run as written, in a project of
    their own: the pytest ones with pytest, the trial one with trial.
    """
    examples = docsExampleTests()
    trialFiles = [name for name in examples if "trial" in name]
    pytestFiles = [name for name in examples if "trial" not in name]
    assert trialFiles and pytestFiles, sorted(examples)
    for name, code in examples.items():
        (tmp_path / name).write_text(code)
    result = runPytest(tmp_path, *pytestFiles)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"\b\d+ passed\b", result.stdout), result.stdout
    for name in trialFiles:
        trial = subprocess.run(
            [sys.executable, "-m", "twisted.trial", name.removesuffix(".py")],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=SUBPROCESS_TIMEOUT,
            check=False,
        )
        assert trial.returncode == 0, trial.stdout + trial.stderr
        assert "PASSED" in trial.stdout, trial.stdout


def test_theCleanReactorFixtureFailsADirtyTest(tmp_path: Path) -> None:
    (tmp_path / "test_dirty.py").write_text(
        "import pytest\n"
        "def test_dirty(tiCleanReactor, tiReactor):\n"
        "    tiReactor.callLater(100, lambda: None)\n"
        "@pytest.mark.noCleanReactorCheck\n"
        "def test_exempt(tiCleanReactor, tiReactor):\n"
        "    tiReactor.callLater(100, lambda: None)\n"
    )
    result = runPytest(tmp_path, "-W", "error::pytest.PytestUnknownMarkWarning")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "dirty reactor: delayed calls" in result.stdout
    assert "2 passed, 1 error" in result.stdout


def test_importingTheToolkitNeedsNoReactorAndNoPytest() -> None:
    code = (
        "import sys\n"
        "import tisocket_twisted.testing\n"
        "assert 'twisted.internet.reactor' not in sys.modules\n"
        "assert 'pytest' not in sys.modules\n"
        "import tisocket_twisted._pytest_plugin\n"
        "assert 'twisted.internet.reactor' not in sys.modules\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr


def test_theLibraryNeverImportsTheToolkit() -> None:
    code = "import sys, tisocket_twisted\nassert 'tisocket_twisted.testing' not in sys.modules\n"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr

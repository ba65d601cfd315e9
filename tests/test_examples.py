"""
The examples in C{examples/}: each runs as a subprocess (with a timeout) and
is checked by its exit status and its output; their servers and framing code
are also driven in-process with the testing toolkit.
"""

from __future__ import annotations

import errno
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import pytest_twisted
from twisted.internet.defer import Deferred
from twisted.internet.error import ProcessDone, ProcessTerminated
from twisted.internet.protocol import ProcessProtocol
from twisted.python.failure import Failure

from tisocket_twisted import Ti, createBuffer
from tisocket_twisted.testing import (
    MemoryNetwork,
    closeSockets,
    connectedPair,
    listeningSocket,
    memoryPair,
)

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
#: Upper bound for one example run.
TIMEOUT = 30.0
#: Upper bound for any in-process wait.
WAIT = 10.0


class Example(ProcessProtocol):
    """A running example: its output so far, a Deferred of its end, and line waiters."""

    def __init__(self) -> None:
        self.out = bytearray()
        self.err = bytearray()
        self.ended: Deferred[int | None] = Deferred()
        self.waiting: list[tuple[re.Pattern[str], Deferred[re.Match[str]]]] = []

    def outReceived(self, data: bytes) -> None:
        self.out += data
        for entry in list(self.waiting):
            pattern, d = entry
            match = pattern.search(self.stdout)
            if match:
                self.waiting.remove(entry)
                d.callback(match)

    def errReceived(self, data: bytes) -> None:
        self.err += data

    def processEnded(self, reason: Failure) -> None:
        code = reason.value.exitCode if reason.check(ProcessDone, ProcessTerminated) else None
        for _, d in self.waiting:
            d.errback(AssertionError(f"the example ended without printing it:\n{self.output}"))
        self.waiting = []
        self.ended.callback(code)

    @property
    def stdout(self) -> str:
        return self.out.decode("utf-8", errors="replace")

    @property
    def output(self) -> str:
        return self.stdout + self.err.decode("utf-8", errors="replace")

    def waitFor(self, pattern: str, reactor: Any) -> Deferred[re.Match[str]]:
        """Fires with the match once stdout matches C{pattern}."""
        d: Deferred[re.Match[str]] = Deferred()
        match = re.search(pattern, self.stdout)
        if match:
            d.callback(match)
        else:
            self.waiting.append((re.compile(pattern), d))
        return d.addTimeout(TIMEOUT, reactor)


def start(reactor: Any, script: str, *arguments: str) -> tuple[Example, Any]:
    example = Example()
    process = reactor.spawnProcess(
        example,
        sys.executable,
        [sys.executable, str(EXAMPLES / script), *arguments],
        env=dict(os.environ),
        path=str(EXAMPLES.parent),
    )
    return example, process


async def finish(reactor: Any, example: Example, process: Any) -> int | None:
    """Wait (at most TIMEOUT) for the example to exit by itself; kill it if it does not."""

    def kill(result: Any, timeout: float) -> Any:
        if process.pid is not None:
            process.signalProcess("KILL")
        return result

    return await example.ended.addTimeout(TIMEOUT, reactor, onTimeoutCancel=kill)


async def run(reactor: Any, script: str, *arguments: str) -> tuple[int | None, Example]:
    example, process = start(reactor, script, *arguments)
    return await finish(reactor, example, process), example


def load(name: str) -> ModuleType:
    """Import an example as a module (it is not a package)."""
    spec = importlib.util.spec_from_file_location(f"examples_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ----------------------------------------------------------------------
# Every example, as a user runs it.


@pytest_twisted.ensureDeferred
async def test_echoServerDemo(reactor: Any) -> None:
    code, example = await run(reactor, "echo_server.py")
    assert code == 0, example.output
    assert re.search(r"^Echo server listening on 127\.0\.0\.1:\d+$", example.stdout, re.M)
    assert "echo: hello\necho: echo server\necho: goodbye\n" in example.stdout
    assert "Demo done: 3 lines echoed" in example.stdout


@pytest_twisted.ensureDeferred
async def test_echoServerServesClientsUntilInterrupted(reactor: Any) -> None:
    server, process = start(reactor, "echo_server.py", "--port", "0")
    try:
        match = await server.waitFor(r"listening on 127\.0\.0\.1:(\d+)", reactor)
        port = match.group(1)
        code, client = await run(reactor, "echo_client.py", "--port", port, "ping", "pong ✓")
        assert code == 0, client.output
        assert client.stdout == f"echo: ping\necho: pong ✓\n2 lines echoed by 127.0.0.1:{port}\n"
        code, second = await run(reactor, "async_await.py", "--port", port)
        assert code == 0, second.output
        assert "echo: one\necho: two\necho: three\n3 lines echoed" in second.stdout
    finally:
        if process.pid is not None:
            process.signalProcess("INT")
    assert await finish(reactor, server, process) == 0, server.output


@pytest_twisted.ensureDeferred
async def test_echoClientWithNoServer(reactor: Any) -> None:
    closed = listeningSocket()
    port = closed.port
    await closeSockets(closed)
    code, example = await run(reactor, "echo_client.py", "--port", str(port))
    assert code == 1, example.output
    assert example.stdout == ""
    assert f"Error ({errno.ECONNREFUSED})" in example.output


@pytest_twisted.ensureDeferred
async def test_chatServerDemo(reactor: Any) -> None:
    code, example = await run(reactor, "chat_server.py")
    assert code == 0, example.output
    heard = {
        name: re.findall(rf"^{name} heard: (.*)$", example.stdout, re.M)
        for name in ("alice", "bob", "carol")
    }
    assert heard == {
        "alice": [
            "* welcome alice, 1 online",
            "* bob joined",
            "* carol joined",
            "bob: hi alice",
            "* carol left",
            "* bob left",
        ],
        "bob": [
            "* welcome bob, 2 online",
            "* carol joined",
            "alice: hello everyone",
            "* carol left",
        ],
        "carol": ["* welcome carol, 3 online", "alice: hello everyone", "bob: hi alice"],
    }
    assert example.stdout.endswith("Chat demo done\n")


@pytest_twisted.ensureDeferred
async def test_framedClientServer(reactor: Any) -> None:
    code, example = await run(reactor, "framed_client_server.py")
    assert code == 0, example.output
    out = example.stdout
    assert "client: 5 frames, 367 bytes, one write" in out
    assert "#1: 'hello' -> 'olleh'" in out
    assert "#3: 'héllo wörld ✓' -> '✓ dlröw olléh'" in out
    assert "#4: '' -> ''" in out
    assert re.search(r"client: \d+ chunks of at most 3 bytes", out)
    assert re.search(r"server: \d+ chunks of at most 5 bytes", out)


@pytest_twisted.ensureDeferred
async def test_asyncAwaitWithItsOwnServer(reactor: Any) -> None:
    code, example = await run(reactor, "async_await.py")
    assert code == 0, example.output
    assert re.match(r"connected to 127\.0\.0\.1:\d+\n", example.stdout)
    assert example.stdout.endswith("echo: one\necho: two\necho: three\n3 lines echoed\n")


@pytest_twisted.ensureDeferred
async def test_threads(reactor: Any) -> None:
    code, example = await run(reactor, "threads.py")
    assert code == 0, example.output
    out = example.stdout
    assert "[reactor thread] sock.read raised WouldBlockError" in out
    assert re.search(r"\[PoolThread-\S+\] echoed: \['first', 'second', 'third'\]", out)
    assert re.search(r"\[PoolThread-\S+\] \d+ chunks, 5 lines", out)
    assert out.count("news: headline") == 5
    assert out.endswith("threads done: 3 lines echoed, 5 headlines\n")


@pytest.mark.parametrize(
    "script",
    [
        "echo_server.py",
        "echo_client.py",
        "chat_server.py",
        "framed_client_server.py",
        "async_await.py",
        "threads.py",
    ],
)
def test_everyExampleUsesReactAndLogsToStandardError(script: str) -> None:
    text = (EXAMPLES / script).read_text()
    assert "react(" in text
    assert "globalLogBeginner.beginLoggingTo([textFileLogObserver(sys.stderr)]" in text
    assert text.startswith('"""'), "a docstring says how to run it"
    assert f"python examples/{script}" in text


# ----------------------------------------------------------------------
# The same code in-process, with the testing toolkit.


@pytest_twisted.ensureDeferred
async def test_echoServerInProcess(reactor: Any) -> None:
    echoServer = load("echo_server")
    listener, clients = echoServer.startEchoServer()
    pairs = [await connectedPair(listener=listener) for _ in range(3)]
    assert len(clients) == 3 and listener.state is Ti.Network.Socket.LISTENING
    for n, pair in enumerate(pairs):
        buffer = createBuffer(length=64)
        reading = Ti.Stream.read(pair.client, buffer)
        pair.client.write(createBuffer(value=f"client {n}"))
        event = await reading.addTimeout(WAIT, reactor)
        assert (
            bytes(buffer)[: event.bytesProcessed] == f"client {n}".encode()[: event.bytesProcessed]
        )
    await closeSockets(*(pair.client for pair in pairs))
    await echoServer.stopEchoServer(listener, clients).addTimeout(WAIT, reactor)
    assert clients == [] and listener.state is Ti.Network.Socket.CLOSED


@pytest_twisted.ensureDeferred
async def test_chatServerInProcess(reactor: Any) -> None:
    chat = load("chat_server")
    server = chat.ChatServer("127.0.0.1", 0)
    heard: dict[str, list[str]] = {"ann": [], "ben": []}
    waiters: list[tuple[str, str, Deferred[None]]] = []

    def listen(name: str, sock: Any) -> None:
        def onLine(line: str) -> None:
            heard[name].append(line)
            for entry in list(waiters):
                if entry[0] == name and line.startswith(entry[1]):
                    waiters.remove(entry)
                    entry[2].callback(None)

        Ti.Stream.pump(sock, chat.lineReader(onLine), 64, True)

    def expect(name: str, prefix: str) -> Deferred[None]:
        d: Deferred[None] = Deferred()
        waiters.append((name, prefix, d))
        return d.addTimeout(WAIT, reactor)

    ann = await connectedPair(listener=server.listener)
    listen("ann", ann.client)
    welcome = expect("ann", "* welcome ann")
    ann.client.write(createBuffer(value="ann\n"))
    await welcome
    ben = await connectedPair(listener=server.listener)
    listen("ben", ben.client)
    joined = expect("ann", "* ben joined")
    ben.client.write(createBuffer(value="ben\nhi ann\n"))  # two lines in one write
    await joined
    await expect("ann", "ben: hi ann")
    left = expect("ann", "* ben left")
    await ben.client.close()
    await left
    assert heard["ann"] == ["* welcome ann, 1 online", "* ben joined", "ben: hi ann", "* ben left"]
    assert heard["ben"] == ["* welcome ben, 2 online"]
    await ann.client.close()
    await server.close()


def test_framesSplitAndMergedInMemory(tiMemoryNetwork: MemoryNetwork) -> None:
    """The frame reader gets frames byte by byte and all at once: same messages."""
    framed = load("framed_client_server")
    received: list[tuple[int, str]] = []
    reader = framed.FrameReader(lambda ident, text: received.append((ident, text)))
    pair = memoryPair(tiMemoryNetwork)
    Ti.Stream.pump(
        pair.inbound, lambda e: e.bytesProcessed > 0 and reader.chunkReceived(e.buffer), 1, True
    )
    messages = [(1, "one"), (2, ""), (300, "ünïcödé ✓"), (4, "z" * 1000)]
    merged = createBuffer()
    for ident, text in messages:
        merged.append(framed.encodeFrame(ident, text))
    pair.client.write(merged)  # one write; the pump reads it a byte at a time
    pair.flush()
    assert received == messages
    assert reader.chunks == merged.length
    # And one byte per write, each delivered on its own.
    received.clear()
    for i in range(merged.length):
        pair.client.write(merged, i, 1)
        pair.flush()
    assert received == messages
    pair.close()


# ----------------------------------------------------------------------
# The code of README.md, as written there.


def readmeBlocks() -> list[str]:
    text = (EXAMPLES.parent / "README.md").read_text()
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


@pytest_twisted.ensureDeferred
async def test_readmeQuickStart(reactor: Any, tmp_path: Path) -> None:
    [quickStart] = [block for block in readmeBlocks() if "react(main)" in block]
    (tmp_path / "quickstart.py").write_text(quickStart)
    example = Example()
    process = reactor.spawnProcess(
        example,
        sys.executable,
        [sys.executable, str(tmp_path / "quickstart.py")],
        env=dict(os.environ),
        path=str(tmp_path),
    )
    assert await finish(reactor, example, process) == 0, example.output
    assert example.stdout == "client received: Hello, Titanium!\n"


def test_readmeTestingExample(tmp_path: Path) -> None:
    [block] = [block for block in readmeBlocks() if "def test_" in block]
    (tmp_path / "test_readme.py").write_text(block)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_readme.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=TIMEOUT * 2,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


def test_readmeKeepsTheInstallAndTestCommandsOfTheCI() -> None:
    readme = (EXAMPLES.parent / "README.md").read_text()
    ci = (EXAMPLES.parent / ".ci" / "run").read_text()
    for command in ("python -m pip install --quiet -e '.[test]'", "python -m pytest -q"):
        assert command in ci
    assert "\n    python -m pip install -e '.[test]'\n" in readme
    assert "\n    python -m pytest -q\n" in readme
    assert "python -m pip install -e '.[test]' && twistd -n tisocket" in readme


@pytest_twisted.ensureDeferred
async def test_theCustomStreamOfTheDocsPrintsWhatTheDocsSay(reactor: Any, tmp_path: Path) -> None:
    """docs/iostream.md: its example stream runs, and prints the output shown there."""
    text = (EXAMPLES.parent / "docs" / "iostream.md").read_text()
    [code] = [b for b in re.findall(r"```python\n(.*?)```", text, re.S) if "react(main)" in b]
    [shown] = re.findall(r"It prints:\n\n```\n(.*?)```", text, re.S)
    (tmp_path / "iterator_stream.py").write_text(code)
    example = Example()
    process = reactor.spawnProcess(
        example,
        sys.executable,
        [sys.executable, str(tmp_path / "iterator_stream.py")],
        env=dict(os.environ),
        path=str(tmp_path),
    )
    assert await finish(reactor, example, process) == 0, example.output
    assert example.stdout == shown

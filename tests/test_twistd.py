"""
C{twistd -n tisocket} for real: a twistd process per test (started with
C{reactor.spawnProcess}, port 0, in a temporary directory, with the
repository and C{tests/} on C{PYTHONPATH}), real clients, and SIGTERM.

Every wait is on the process's output or exit, or on a client's Deferred,
always with a timeout; no test sleeps.
"""

from __future__ import annotations

import errno
import os
import re
import signal
import socket
import sys
import time
from pathlib import Path
from typing import Any

import pytest_twisted
import userapp_for_twistd
from test_apps import Client, payload, within
from twisted.internet.defer import Deferred
from twisted.internet.error import ProcessDone, ProcessTerminated
from twisted.internet.protocol import ProcessProtocol
from twisted.python.failure import Failure

REPO = Path(__file__).resolve().parent.parent
TESTS = REPO / "tests"
WAIT = 20.0

#: Runs twistd's own entry point with this interpreter (C{python -m twisted} is C{twist}).
TWISTD = "import sys; from twisted.scripts.twistd import run; sys.argv[0] = 'twistd'; run()"
LISTENING = re.compile(r"tisocket (\S+) listening on 127\.0\.0\.1:(\d+)")


class Daemon(ProcessProtocol):
    """A twistd process: its output lines, a Deferred per awaited line, and its end."""

    def __init__(self) -> None:
        self.output = ""
        self.ended: Deferred[ProcessDone | ProcessTerminated] = Deferred()
        self._waiters: list[tuple[re.Pattern[str], Deferred[re.Match[str]]]] = []
        self._partial = ""

    def outReceived(self, data: bytes) -> None:
        text = self._partial + data.decode("utf-8", "replace")
        *lines, self._partial = text.split("\n")
        for line in lines:
            self.output += line + "\n"
            for waiter in list(self._waiters):
                match = waiter[0].search(line)
                if match is not None:
                    self._waiters.remove(waiter)
                    waiter[1].callback(match)

    errReceived = outReceived

    def processEnded(self, reason: Failure) -> None:
        if self._partial:
            self.output += self._partial + "\n"
            self._partial = ""
        waiters, self._waiters = self._waiters, []
        for pattern, d in waiters:
            d.errback(
                AssertionError(f"twistd ended without logging {pattern.pattern!r}:\n{self.output}")
            )
        self.ended.callback(reason.value)

    def waitFor(self, pattern: str, seen: bool = True) -> Deferred[re.Match[str]]:
        """
        Fires with the match of the first output line matching C{pattern}:
        one already output (unless C{seen} is false), else the next one.
        """
        d: Deferred[re.Match[str]] = Deferred()
        compiled = re.compile(pattern)
        if seen:
            for line in self.output.splitlines():
                match = compiled.search(line)
                if match is not None:
                    d.callback(match)
                    return d
        if self.ended.called:
            d.errback(AssertionError(f"twistd has ended:\n{self.output}"))
        else:
            self._waiters.append((compiled, d))
        return d

    def lines(self, text: str) -> list[str]:
        return [line for line in self.output.splitlines() if text in line]


def spawn(reactor: Any, tmp_path: Path, *args: str, twist: bool = False) -> Daemon:
    """Start C{twistd -n tisocket ARGS} (or C{twist tisocket ARGS}) in C{tmp_path}."""
    daemon = Daemon()
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), str(TESTS), env.get("PYTHONPATH", "")])
    env["PYTHONUNBUFFERED"] = "1"
    if twist:
        argv = [sys.executable, "-m", "twisted", "--log-format=text", "tisocket", *args]
    else:
        argv = [sys.executable, "-c", TWISTD, "-n", "--pidfile=", "--logfile=-"]
        argv += ["tisocket", *args]
    reactor.spawnProcess(daemon, sys.executable, argv, env=env, path=str(tmp_path))
    return daemon


async def started(reactor: Any, daemon: Daemon, app: str = "echo") -> int:
    """Wait for the listening line; return the port it names."""
    match = await within(daemon.waitFor(LISTENING.pattern), reactor)
    assert match.group(1) == app
    port = int(match.group(2))
    assert port > 0
    return port


async def stopped(reactor: Any, daemon: Daemon) -> ProcessDone | ProcessTerminated:
    """SIGTERM; wait for the process to end; return how it ended."""
    if not daemon.ended.called:
        daemon.transport.signalProcess("TERM")  # type: ignore[union-attr]
    return await within(daemon.ended, reactor)


async def killed(reactor: Any, daemon: Daemon) -> None:
    """Make sure the process is gone (cleanup after a failed assertion)."""
    if not daemon.ended.called:
        daemon.transport.signalProcess("KILL")  # type: ignore[union-attr]
        await within(daemon.ended, reactor)


def assertStoppedBySigterm(daemon: Daemon, reason: ProcessDone | ProcessTerminated) -> None:
    """
    A clean stop on SIGTERM: the service stopped, then twistd ended by
    re-raising SIGTERM (twistd's way of reporting the signal to its parent).
    """
    assert isinstance(reason, ProcessTerminated), daemon.output
    assert reason.signal == signal.SIGTERM, daemon.output
    assert "Traceback" not in daemon.output, daemon.output
    assert daemon.lines("Received SIGTERM, shutting down.")
    assert daemon.lines("tisocket ") and daemon.lines(" stopped")
    assert daemon.lines("Server Shut Down.")


async def connect(reactor: Any, port: int, client: Client) -> Client:
    from twisted.internet.endpoints import TCP4ClientEndpoint, connectProtocol

    await within(connectProtocol(TCP4ClientEndpoint(reactor, "127.0.0.1", port), client), reactor)
    return client


# ----------------------------------------------------------------------
# Each app through twistd.


@pytest_twisted.ensureDeferred
async def test_echo(reactor: Any, tmp_path: Path) -> None:
    daemon = spawn(reactor, tmp_path, "--port", "0")
    try:
        port = await started(reactor, daemon, "echo")
        data = payload(1024 * 1024 + 1)
        client = await connect(reactor, port, Client())
        client.send(data, halfClose=True)
        await within(client.done, reactor)
        assert bytes(client.received) == data
        assert client.cleanlyClosed
        await within(
            daemon.waitFor(rf"echo: 127\.0\.0\.1:{client.port} done, {len(data)} "), reactor
        )
        assertStoppedBySigterm(daemon, await stopped(reactor, daemon))
    finally:
        await killed(reactor, daemon)
    assert not list(tmp_path.iterdir())  # no pid file, no log file


@pytest_twisted.ensureDeferred
async def test_greeting(reactor: Any, tmp_path: Path) -> None:
    daemon = spawn(reactor, tmp_path, "--port", "0", "--app", "greeting")
    try:
        port = await started(reactor, daemon, "greeting")
        client = await connect(reactor, port, Client())
        await within(client.done, reactor)
        assert bytes(client.received) == b"You have been connected to a listening socket.\r\n"
        assert client.cleanlyClosed
        assertStoppedBySigterm(daemon, await stopped(reactor, daemon))
    finally:
        await killed(reactor, daemon)


@pytest_twisted.ensureDeferred
async def test_discard(reactor: Any, tmp_path: Path) -> None:
    daemon = spawn(reactor, tmp_path, "-p", "0", "-a", "discard")
    try:
        port = await started(reactor, daemon, "discard")
        client = await connect(reactor, port, Client())
        client.send(payload(500_000), halfClose=True)
        await within(client.done, reactor)
        assert client.received == b""
        assert client.cleanlyClosed
        await within(daemon.waitFor(rf"discard: 127\.0\.0\.1:{client.port} done, 500000 "), reactor)
        assertStoppedBySigterm(daemon, await stopped(reactor, daemon))
    finally:
        await killed(reactor, daemon)


@pytest_twisted.ensureDeferred
async def test_daytime(reactor: Any, tmp_path: Path) -> None:
    daemon = spawn(reactor, tmp_path, "--port", "0", "--app", "daytime")
    try:
        port = await started(reactor, daemon, "daytime")
        client = await connect(reactor, port, Client())
        await within(client.done, reactor)
        line = bytes(client.received).decode("ascii")
        assert line.endswith("\r\n")
        told = time.mktime(time.strptime(line.strip(), "%a %b %d %H:%M:%S %Y"))
        assert abs(told - time.time()) < 60
        assertStoppedBySigterm(daemon, await stopped(reactor, daemon))
    finally:
        await killed(reactor, daemon)


@pytest_twisted.ensureDeferred
async def test_userApp(reactor: Any, tmp_path: Path) -> None:
    app = "userapp_for_twistd:shout"
    daemon = spawn(reactor, tmp_path, "--port", "0", "--app", app)
    try:
        port = await started(reactor, daemon, app)
        client = await connect(reactor, port, Client())
        client.send(b"ti says hi\n", halfClose=True)
        await within(client.done, reactor)
        assert bytes(client.received) == b"HELLO FROM A TI APP\r\nTI SAYS HI\n"
        assertStoppedBySigterm(daemon, await stopped(reactor, daemon))
    finally:
        await killed(reactor, daemon)


@pytest_twisted.ensureDeferred
async def test_twist(reactor: Any, tmp_path: Path) -> None:
    """The same plugin under C{twist} (C{python -m twisted}), which never calls
    C{privilegedStartService}."""
    daemon = spawn(reactor, tmp_path, "--port", "0", twist=True)
    try:
        port = await started(reactor, daemon, "echo")
        client = await connect(reactor, port, Client())
        client.send(b"twist", halfClose=True)
        await within(client.done, reactor)
        assert bytes(client.received) == b"twist"
        reason = await stopped(reactor, daemon)
        assert isinstance(reason, ProcessTerminated) and reason.signal == signal.SIGTERM
        assert daemon.lines("tisocket echo stopped")
    finally:
        await killed(reactor, daemon)


# ----------------------------------------------------------------------
# Failing at startup.


@pytest_twisted.ensureDeferred
async def test_portTaken(reactor: Any, tmp_path: Path) -> None:
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    try:
        daemon = spawn(reactor, tmp_path, "--port", str(port))
        try:
            reason = await within(daemon.ended, reactor)
        finally:
            await killed(reactor, daemon)
    finally:
        taken.close()
    assert isinstance(reason, ProcessTerminated), daemon.output
    assert reason.exitCode == 1
    assert "Traceback" not in daemon.output
    [line] = daemon.lines("cannot listen")
    assert line.endswith(
        f"tisocket echo: cannot listen on 127.0.0.1:{port}: "
        f"{os.strerror(errno.EADDRINUSE)} (errno {errno.EADDRINUSE})"
    )
    assert not daemon.lines("listening on")


@pytest_twisted.ensureDeferred
async def test_badOption(reactor: Any, tmp_path: Path) -> None:
    daemon = spawn(reactor, tmp_path, "--port", "70000")
    try:
        reason = await within(daemon.ended, reactor)
    finally:
        await killed(reactor, daemon)
    assert isinstance(reason, ProcessTerminated) and reason.exitCode != 0, daemon.output
    assert daemon.lines(": --port must be an integer from 0 to 65535, got '70000'")
    assert "Traceback" not in daemon.output


@pytest_twisted.ensureDeferred
async def test_badApp(reactor: Any, tmp_path: Path) -> None:
    daemon = spawn(reactor, tmp_path, "--app", "no_such_module_here:onAccepted")
    try:
        reason = await within(daemon.ended, reactor)
    finally:
        await killed(reactor, daemon)
    assert isinstance(reason, ProcessTerminated) and reason.exitCode != 0, daemon.output
    assert daemon.lines("cannot import 'no_such_module_here'")
    assert "Traceback" not in daemon.output


# ----------------------------------------------------------------------
# SIGTERM with clients still being served.


@pytest_twisted.ensureDeferred
async def test_sigtermWhileEchoing(reactor: Any, tmp_path: Path) -> None:
    """
    SIGTERM while a client is in the middle of a large echo: the server stops
    listening, closes the connection and exits cleanly; the client gets a
    correct prefix of its data, then the end of the connection.

    Only a prefix: the client is still sending when the server closes, and
    closing a TCP socket with unread input makes the kernel send RST, which
    discards what was still queued for the client (the flush itself is
    checked by L{test_sigtermFlushesWhatWasWritten}, whose client sends
    nothing).
    """
    daemon = spawn(reactor, tmp_path, "--port", "0")
    try:
        port = await started(reactor, daemon, "echo")
        data = payload(32 * 1024 * 1024)
        client = await connect(reactor, port, Client())
        client.send(data)
        await within(client.waitFor(4 * 1024 * 1024), reactor)
        reason = await stopped(reactor, daemon)
        await within(client.done, reactor)
        assertStoppedBySigterm(daemon, reason)
        assert daemon.lines("tisocket echo stopping: closing 1 connection(s)")
        received = bytes(client.received)
        assert 4 * 1024 * 1024 <= len(received) <= len(data)
        assert received == data[: len(received)]
    finally:
        await killed(reactor, daemon)


@pytest_twisted.ensureDeferred
async def test_sigtermFlushesWhatWasWritten(reactor: Any, tmp_path: Path) -> None:
    """
    SIGTERM while the server still has 16 MiB written but not sent (the
    client holds off reading): shutdown waits until the client has read
    everything, then twistd exits.
    """
    app = "userapp_for_twistd:burst"
    daemon = spawn(reactor, tmp_path, "--port", "0", "--app", app)
    try:
        port = await started(reactor, daemon, app)
        client = await connect(reactor, port, Client())
        stopping = daemon.waitFor(r"stopping: closing 1 connection\(s\)", seen=False)
        # Its first bytes show the connection was accepted; then it stops reading.
        await within(client.waitFor(1), reactor)
        client.pause()
        daemon.transport.signalProcess("TERM")  # type: ignore[union-attr]
        await within(stopping, reactor)
        assert not daemon.ended.called  # still flushing
        client.resume()
        await within(client.done, reactor)
        reason = await within(daemon.ended, reactor)
        assertStoppedBySigterm(daemon, reason)
        assert bytes(client.received) == userapp_for_twistd.burstPayload()
        assert client.cleanlyClosed
    finally:
        await killed(reactor, daemon)

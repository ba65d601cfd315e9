"""
A listener whose process runs out of file descriptors: a real
C{twistd -n tisocket} echo process with a low C{RLIMIT_NOFILE}. Past the
limit, connections are refused (Twisted's C{Port.doRead} accepts and closes
them with its reserved descriptor); the process keeps running, logs no
traceback, and serves again once descriptors are free.
"""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path
from typing import Any

import pytest_twisted
from reliability_helpers import inThread

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from test_twistd import REPO, TESTS, Daemon, killed, started, stopped

LIMIT = 48
CLIENTS = 80

#: twistd's entry point under a lowered descriptor limit.
TWISTD = (
    "import resource, sys; "
    f"resource.setrlimit(resource.RLIMIT_NOFILE, ({LIMIT}, {LIMIT})); "
    "from twisted.scripts.twistd import run; sys.argv[0] = 'twistd'; run()"
)


def spawnLimited(reactor: Any, tmp_path: Path) -> Daemon:
    daemon = Daemon()
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), str(TESTS), env.get("PYTHONPATH", "")])
    env["PYTHONUNBUFFERED"] = "1"
    argv = [sys.executable, "-c", TWISTD, "-n", "--pidfile=", "--logfile=-"]
    argv += ["tisocket", "--port", "0", "--app", "echo"]
    reactor.spawnProcess(daemon, sys.executable, argv, env=env, path=str(tmp_path))
    return daemon


def ping(sock: socket.socket) -> str:
    """'served' if the echo answers, 'refused' if the connection is closed or reset."""
    try:
        sock.sendall(b"ping")
        data = b""
        while len(data) < 4:
            chunk = sock.recv(4 - len(data))
            if not chunk:
                return "refused"
            data += chunk
        return "served" if data == b"ping" else f"garbled {data!r}"
    except (ConnectionResetError, BrokenPipeError):
        return "refused"


def crowd(port: int, count: int) -> tuple[list[str], list[socket.socket]]:
    """Open C{count} connections at once, then ping each; return outcomes and sockets."""
    socks = []
    for _ in range(count):
        s = socket.create_connection(("127.0.0.1", port), timeout=20)
        socks.append(s)
    return [ping(s) for s in socks], socks


def closeAllRaw(socks: list[socket.socket]) -> None:
    for s in socks:
        s.close()


def oneMore(port: int) -> str:
    with socket.create_connection(("127.0.0.1", port), timeout=20) as s:
        return ping(s)


@pytest_twisted.ensureDeferred
async def test_listenerOutOfFileDescriptorsRecovers(reactor: Any, tmp_path: Path) -> None:
    daemon = spawnLimited(reactor, tmp_path)
    try:
        port = await started(reactor, daemon, "echo")
        outcomes, socks = await inThread(reactor, crowd, port, CLIENTS)
        try:
            assert set(outcomes) <= {"served", "refused"}, outcomes
            assert "refused" in outcomes, "the descriptor limit was never reached"
            assert "served" in outcomes
        finally:
            await inThread(reactor, closeAllRaw, socks)
        # Descriptors are free again: served again (the echo may take a moment
        # to see the closes; retry a bounded number of times).
        for _ in range(50):
            if await inThread(reactor, oneMore, port) == "served":
                break
        else:
            raise AssertionError("never served again:\n" + daemon.output[-3000:])
        assert not daemon.ended.called
        assert daemon.lines("EMFILE recovery")  # Twisted's Port.doRead refused them
        await stopped(reactor, daemon)
        assert "Traceback" not in daemon.output, daemon.output[-3000:]
    finally:
        await killed(reactor, daemon)

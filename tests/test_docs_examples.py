"""
The two examples of Titanium's Ti.Network.Socket.TCP documentation, ported to
C{examples/}, run as subprocesses (with a timeout) and checked by their output.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest_twisted
from twisted.internet.defer import Deferred
from twisted.internet.error import ProcessDone, ProcessTerminated
from twisted.internet.protocol import ProcessProtocol
from twisted.python.failure import Failure
from twisted.web.http import HTTPChannel
from twisted.web.resource import Resource
from twisted.web.server import Request, Site

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
TIMEOUT = 30.0


class _Collect(ProcessProtocol):
    def __init__(self) -> None:
        self.out = bytearray()
        self.err = bytearray()
        self.ended: Deferred[tuple[int | None, str, str]] = Deferred()

    def outReceived(self, data: bytes) -> None:
        self.out += data

    def errReceived(self, data: bytes) -> None:
        self.err += data

    def processEnded(self, reason: Failure) -> None:
        code = reason.value.exitCode if reason.check(ProcessDone, ProcessTerminated) else None
        self.ended.callback((code, self.out.decode(), self.err.decode()))


async def runExample(reactor: Any, script: str, *arguments: str) -> tuple[int | None, str]:
    """Run an example; returns its exit code and everything it printed."""
    collect = _Collect()
    process = reactor.spawnProcess(
        collect,
        sys.executable,
        [sys.executable, str(EXAMPLES / script), *arguments],
        env=dict(os.environ),
    )

    def kill(result: Any, timeout: float) -> Any:
        if process.pid is not None:
            process.signalProcess("KILL")
        return result

    code, out, err = await collect.ended.addTimeout(TIMEOUT, reactor, onTimeoutCancel=kill)
    return code, out + err


class _Page(Resource):
    isLeaf = True

    def render_GET(self, request: Request) -> bytes:
        request.setHeader(b"content-type", b"text/plain")
        return b"Hello from the blog.\n"


class _ClosingChannel(HTTPChannel):
    """Closes each connection after its response (the example waits for the end of stream)."""

    def checkPersistence(self, request: Request, version: bytes) -> bool:
        request.responseHeaders.setRawHeaders(b"connection", [b"close"])
        return False


@pytest_twisted.ensureDeferred
async def test_pumpClientAgainstALocalHTTPServer(reactor: Any) -> None:
    site = Site(_Page())
    site.protocol = _ClosingChannel  # type: ignore[assignment]
    port = reactor.listenTCP(0, site, interface="127.0.0.1")
    try:
        code, output = await runExample(
            reactor,
            "ti_docs_pump_client.py",
            "--host",
            "127.0.0.1",
            "--port",
            str(port.getHost().port),
        )
    finally:
        await port.stopListening()
    assert code == 0, output
    assert "Socket opened!" in output
    assert "Successfully wrote to socket." in output
    assert "Received: HTTP/1.1 200 OK" in output
    assert "Hello from the blog." in output
    assert "Error" not in output


@pytest_twisted.ensureDeferred
async def test_listeningExample(reactor: Any) -> None:
    code, output = await runExample(reactor, "ti_docs_listen.py")
    assert code == 0, output
    greeting = output.index("Received: You have been connected to a listening socket.")
    closing = output.index("Closing client socket.")
    assert greeting < closing
    assert "accepted incoming connection" in output
    assert "Error" not in output and "error" not in output

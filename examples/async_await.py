"""
The echo client of ``echo_client.py``, written with ``async def`` and
``await`` instead of callbacks.

Every asynchronous call of the library returns a Deferred, and a Deferred
can be awaited: ``connect()`` gives the ``connected`` event (or the error
event: network outcomes never raise), ``Ti.Stream.write`` and
``Ti.Stream.read`` their result events, ``close()`` fires once the socket is
closed. ``react`` runs the coroutine with ``ensureDeferred``.

Without arguments it starts the echo server of ``echo_server.py`` on a free
port and talks to it; with ``--port`` it talks to a server already running
(``twistd -n tisocket`` listens on 127.0.0.1:40404)::

    python examples/async_await.py
    python examples/async_await.py --port 40404
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from twisted.internet.defer import ensureDeferred
from twisted.internet.task import react
from twisted.logger import globalLogBeginner, textFileLogObserver

from tisocket_twisted import ErrorEvent, Ti

#: Seconds any one step may take before the client gives up.
STEP_TIMEOUT = 10


async def echo(reactor: Any, host: str, port: int, lines: list[str]) -> list[str]:
    """Send C{lines} one at a time, read each echo back, close; return the echoes."""
    socket = Ti.Network.Socket.createTCP({"host": host, "port": port, "timeout": 10000})
    event = await socket.connect()
    if isinstance(event, ErrorEvent):
        raise ConnectionError(f"Error ({event.errorCode}): {event.error}")
    print(f"connected to {host}:{port}", flush=True)

    echoed = []
    buffer = Ti.createBuffer({"length": 1024})
    try:
        for line in lines:
            written = await Ti.Stream.write(socket, Ti.createBuffer({"value": line + "\n"}))
            if not written.success:
                raise ConnectionError(f"write failed: {written.error}")
            # TCP may return the echo in several pieces: read until the newline.
            received = Ti.createBuffer()
            while not received.toString().endswith("\n"):
                result = await Ti.Stream.read(socket, buffer).addTimeout(STEP_TIMEOUT, reactor)
                if result.bytesProcessed == -1:
                    raise ConnectionError(f"the server closed the connection ({result.error})")
                received.append(buffer, 0, result.bytesProcessed)
            echoed.append(received.toString().rstrip("\n"))
            print(f"echo: {echoed[-1]}", flush=True)
    finally:
        await socket.close()
    return echoed


async def main(reactor: Any, host: str, port: int | None) -> None:
    listener = clients = None
    if port is None:
        from echo_server import startEchoServer, stopEchoServer  # next to this file

        listener, clients = startEchoServer(host)
        port = listener.port
    try:
        echoed = await ensureDeferred(echo(reactor, host, port, ["one", "two", "three"]))
        print(f"{len(echoed)} lines echoed", flush=True)
    finally:
        if listener is not None:
            await stopEchoServer(listener, clients)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.strip().split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1", help="server address (127.0.0.1)")
    parser.add_argument("--port", type=int, help="port of a running echo server")
    arguments = parser.parse_args()
    globalLogBeginner.beginLoggingTo([textFileLogObserver(sys.stderr)], redirectStandardIO=False)
    react(main, [arguments.host, arguments.port])

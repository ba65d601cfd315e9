"""
An echo client, written the Titanium way: callbacks on a
Ti.Network.Socket.TCP, Ti.Stream.pump for what comes back, Ti.createBuffer
for what goes out.

It sends each line given (or three of its own), prints every line the server
echoes, closes the socket and exits::

    python examples/echo_client.py --port 40404 hello world

Point it at ``python examples/echo_server.py --port 40404`` or at
``twistd -n tisocket`` (its echo app listens on 127.0.0.1:40404 by default).
The exit status is 0 once every line came back, 1 if the connection failed.

TCP keeps no message boundaries: the echo may come back in other pieces than
the lines were sent in, so the client gathers bytes until it has a whole line.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from twisted.internet.defer import Deferred
from twisted.internet.task import react
from twisted.logger import globalLogBeginner, textFileLogObserver

from tisocket_twisted import Ti


class EchoFailed(Exception):
    """The connection failed or ended before every line came back."""


def echoLines(host: str, port: int, lines: list[str]) -> Deferred[list[str]]:
    """
    Send C{lines} to the echo server at C{host}:C{port}; fire with the lines
    it echoed, in order (or fail with L{EchoFailed}).
    """
    finished: Deferred[list[str]] = Deferred()
    expected = len(lines)
    echoed: list[str] = []
    pending = bytearray()  # bytes of a line not yet complete

    def connected(e: Any) -> None:
        Ti.API.info(f"Connected to {host}:{port}")
        # Everything the server sends comes to readCallback, in chunks.
        Ti.Stream.pump(e.socket, readCallback, 1024, True)
        for line in lines:
            e.socket.write(Ti.createBuffer({"value": line + "\n"}))

    def error(e: Any) -> None:
        done(EchoFailed(f"Error ({e.errorCode}): {e.error}"))

    def readCallback(e: Any) -> None:
        if e.bytesProcessed == -1:  # end of stream, error, or our own close()
            if len(echoed) < expected:
                why = e.error or "end of stream"
                done(EchoFailed(f"the connection ended after {len(echoed)} lines ({why})"))
            return
        pending.extend(bytes(e.buffer))
        while b"\n" in pending:
            line, _, rest = bytes(pending).partition(b"\n")
            pending[:] = rest
            echoed.append(line.decode("utf-8"))
            print(f"echo: {echoed[-1]}", flush=True)
        if len(echoed) == expected:
            socket.close().addCallback(lambda _: done(None))

    def done(failure: Exception | None) -> None:
        if finished.called:
            return
        if failure is None:
            finished.callback(echoed)
        else:
            if socket.state == Ti.Network.Socket.CONNECTED:
                socket.close()
            finished.errback(failure)

    socket = Ti.Network.Socket.createTCP(
        {
            "host": host,
            "port": port,
            "timeout": 10000,
            "connected": connected,
            "error": error,
        }
    )
    socket.connect()
    return finished


async def main(reactor: Any, host: str, port: int, lines: list[str]) -> None:
    try:
        echoed = await echoLines(host, port, lines)
    except EchoFailed as e:
        Ti.API.error(str(e))
        raise SystemExit(1) from e
    print(f"{len(echoed)} lines echoed by {host}:{port}", flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.strip().split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1", help="server address (127.0.0.1)")
    parser.add_argument("--port", type=int, default=40404, help="server port (40404)")
    parser.add_argument("lines", nargs="*", help="lines to send")
    arguments = parser.parse_args()
    lines = arguments.lines or ["Hello from Python", "Ti.Network.Socket.TCP", "ünïcödé ✓"]
    globalLogBeginner.beginLoggingTo([textFileLogObserver(sys.stderr)], redirectStandardIO=False)
    react(main, [arguments.host, arguments.port, lines])

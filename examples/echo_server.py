"""
An echo server, written the Titanium way: listen(), accept() re-armed in the
accepted callback, Ti.Stream.pump on every inbound socket, and write() of
every chunk back.

Serve until interrupted (Ctrl-C), then try it with ``nc 127.0.0.1 40404`` or
``python examples/echo_client.py``::

    python examples/echo_server.py --port 40404

Without ``--port`` it runs a demo: it listens on a free port, runs the echo
client of ``echo_client.py`` against itself, prints what came back and exits::

    python examples/echo_server.py

Titanium's accept() takes one connection per call, so the accepted callback
calls it again for the next client. The pump handler returns the Deferred of
Ti.Stream.write, so a client that sends but does not read is held back
instead of filling the server's memory. An inbound socket closes by itself
once its client has closed and the pump has seen the end of stream.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from twisted.internet.defer import Deferred, gatherResults
from twisted.internet.task import react
from twisted.logger import globalLogBeginner, textFileLogObserver

from tisocket_twisted import TCPSocket, Ti


def startEchoServer(host: str = "127.0.0.1", port: int = 0) -> tuple[TCPSocket, list[TCPSocket]]:
    """
    Listen on C{host}:C{port} (0: a free port) and echo every connection.

    Returns the listening socket and the list of connected clients' sockets,
    which the server keeps up to date.
    """
    clients: list[TCPSocket] = []

    def accepted(e: Any) -> None:
        inbound = e.inbound
        clients.append(inbound)
        Ti.API.info(f"Accepted a connection from {inbound.host}:{inbound.port}")

        def echo(chunk: Any) -> Any:
            if chunk.bytesProcessed == -1:  # the client went away (or we closed)
                clients.remove(inbound)
                if not chunk.success:
                    Ti.API.warn(f"Connection from {inbound.host}:{inbound.port}: {chunk.error}")
                return None
            # The pump waits for the Deferred a handler returns: no more is read
            # from this client until its echo is handed to the OS (backpressure).
            return Ti.Stream.write(inbound, chunk.buffer)

        Ti.Stream.pump(inbound, echo, 1024, True)
        e.socket.accept()  # ready for the next client

    def error(e: Any) -> None:
        Ti.API.error(f"Listening socket error ({e.errorCode}): {e.error}")

    listener = Ti.Network.Socket.createTCP(
        {"host": host, "port": port, "accepted": accepted, "error": error}
    )
    listener.listen()
    listener.accept()
    return listener, clients


def stopEchoServer(listener: TCPSocket, clients: list[TCPSocket]) -> Deferred[None]:
    """Stop listening and close every client; fires once all is closed."""
    closing = [sock.close() for sock in [listener, *clients]]
    return gatherResults(closing).addCallback(lambda _: None)


def serve(reactor: Any, host: str, port: int) -> Deferred[None]:
    """Serve until the process is interrupted."""
    listener, clients = startEchoServer(host, port)
    print(f"Echo server listening on {host}:{listener.port}", flush=True)
    reactor.addSystemEventTrigger("before", "shutdown", stopEchoServer, listener, clients)
    return Deferred()  # never fires: react() runs until interrupted


async def demo(reactor: Any, host: str) -> None:
    """Serve on a free port, echo a few lines through it, and stop."""
    from echo_client import echoLines  # the client next to this file

    listener, clients = startEchoServer(host)
    print(f"Echo server listening on {host}:{listener.port}", flush=True)
    try:
        echoed = await echoLines(host, listener.port, ["hello", "echo server", "goodbye"])
    finally:
        await stopEchoServer(listener, clients)
    print(f"Demo done: {len(echoed)} lines echoed", flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.strip().split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    parser.add_argument("--port", type=int, help="port to serve on until interrupted (0: any)")
    arguments = parser.parse_args()
    globalLogBeginner.beginLoggingTo([textFileLogObserver(sys.stderr)], redirectStandardIO=False)
    if arguments.port is None:
        react(demo, [arguments.host])
    else:
        react(serve, [arguments.host, arguments.port])

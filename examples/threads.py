"""
Blocking, Titanium-style socket code in worker threads while the reactor
runs: the synchronous ``read`` / ``write`` / ``close`` and the synchronous
``Ti.Stream.pump``, as Titanium apps write them.

Every method of a Ti socket may be called from any thread. From a worker
thread the blocking forms wait, in that thread, for the reactor to do the
work. In the reactor thread nothing ever blocks: ``sock.read`` without a
callback returns what is already there, or raises ``WouldBlockError``.

The script runs two servers on free ports in the reactor thread, then:

  - a worker started with ``deferToThread`` connects (waiting with
    ``blockingCallFromThread``), writes lines with ``sock.write``, reads the
    echo with ``sock.read`` and closes;
  - a worker started with ``callInThread`` runs a synchronous
    ``Ti.Stream.pump`` on a news feed until the server ends it;

and prints what they got::

    python examples/threads.py
"""

from __future__ import annotations

import sys
import threading
from typing import Any

from twisted.internet.defer import Deferred, gatherResults
from twisted.internet.task import react
from twisted.internet.threads import blockingCallFromThread, deferToThread
from twisted.logger import globalLogBeginner, textFileLogObserver

from tisocket_twisted import Ti, WouldBlockError

NEWS = [f"headline {n}: nothing blocked the reactor" for n in range(1, 6)]


def startServers() -> tuple[Any, Any]:
    """An echo server and a news server (sends NEWS, then closes), in the reactor thread."""

    def echoAccepted(e: Any) -> None:
        def echo(chunk: Any) -> None:
            if chunk.bytesProcessed > 0:
                e.inbound.write(chunk.buffer)

        Ti.Stream.pump(e.inbound, echo, 1024, True)
        e.socket.accept()

    def newsAccepted(e: Any) -> None:
        for line in NEWS:
            e.inbound.write(Ti.createBuffer({"value": line + "\n"}))
        e.inbound.close()  # flushes what was written, then ends the stream
        e.socket.accept()

    echoServer = Ti.Network.Socket.createTCP({"host": "127.0.0.1", "accepted": echoAccepted})
    newsServer = Ti.Network.Socket.createTCP({"host": "127.0.0.1", "accepted": newsAccepted})
    for server in (echoServer, newsServer):
        server.listen()  # port 0 by default: a free port, in server.port
        server.accept()
    return echoServer, newsServer


def blockingEchoClient(reactor: Any, port: int, lines: list[str]) -> list[str]:
    """Runs in a worker thread: plain blocking calls, one after the other."""
    sock = Ti.Network.Socket.createTCP({"host": "127.0.0.1", "port": port})
    # connect() returns a Deferred; wait for it from this thread.
    event = blockingCallFromThread(reactor, sock.connect)
    if "error" in event:  # an error event (a connected event has only "socket")
        raise ConnectionError(event.error)
    echoed = []
    buffer = Ti.createBuffer({"length": 1024})
    for line in lines:
        sock.write(Ti.createBuffer({"value": line + "\n"}))  # blocks until sent
        received = b""
        while not received.endswith(b"\n"):
            count = sock.read(buffer)  # blocks this thread until data arrives
            if count == -1:
                raise ConnectionError("the echo server closed the connection")
            received += bytes(buffer)[:count]
        echoed.append(received.decode("utf-8").rstrip("\n"))
    sock.close()  # blocks until the socket is closed
    print(f"[{threading.current_thread().name}] echoed: {echoed}", flush=True)
    return echoed


def blockingNewsReader(reactor: Any, port: int) -> list[str]:
    """Runs in a worker thread: a synchronous pump, until the news server ends the stream."""
    sock = Ti.Network.Socket.createTCP({"host": "127.0.0.1", "port": port})
    blockingCallFromThread(reactor, sock.connect)
    chunks: list[bytes] = []

    def handler(e: Any) -> None:  # called in this worker thread
        if e.bytesProcessed > 0:
            chunks.append(bytes(e.buffer))
        elif not e.success:
            raise ConnectionError(e.error)

    Ti.Stream.pump(sock, handler, 16, False)  # returns at the end of the stream
    lines = b"".join(chunks).decode("utf-8").splitlines()
    print(
        f"[{threading.current_thread().name}] {len(chunks)} chunks, {len(lines)} lines", flush=True
    )
    return lines


def newsWorker(reactor: Any, port: int, done: Deferred[list[str]]) -> None:
    """The body of a thread from C{callInThread}: report to the reactor thread when done."""
    try:
        lines = blockingNewsReader(reactor, port)
    except Exception as e:
        reactor.callFromThread(done.errback, e)
    else:
        reactor.callFromThread(done.callback, lines)


async def main(reactor: Any) -> None:
    echoServer, newsServer = startServers()

    # In the reactor thread a blocking call would freeze everything: it raises instead.
    probe = Ti.Network.Socket.createTCP({"host": "127.0.0.1", "port": echoServer.port})
    await probe.connect()
    try:
        probe.read(Ti.createBuffer({"length": 10}))
    except WouldBlockError as e:
        print(f"[reactor thread] sock.read raised WouldBlockError: {str(e)[:60]}...", flush=True)
    await probe.close()

    lines = ["first", "second", "third"]
    echoing = deferToThread(blockingEchoClient, reactor, echoServer.port, lines)
    news: Deferred[list[str]] = Deferred()
    reactor.callInThread(newsWorker, reactor, newsServer.port, news)
    echoed, headlines = await gatherResults([echoing, news]).addTimeout(30, reactor)
    for line in headlines:
        print(f"news: {line}", flush=True)
    print(f"threads done: {len(echoed)} lines echoed, {len(headlines)} headlines", flush=True)
    await gatherResults([echoServer.close(), newsServer.close()])


if __name__ == "__main__":
    globalLogBeginner.beginLoggingTo([textFileLogObserver(sys.stderr)], redirectStandardIO=False)
    react(main)

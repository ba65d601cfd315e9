"""
A chat server for many clients, written the Titanium way: one listening
socket whose accepted callback re-arms accept() for the next client, a pump
per client, and every line broadcast to the others.

The protocol is lines of UTF-8 text. A client's first line is its nickname;
the server answers ``* welcome NAME, N online`` and tells the others
``* NAME joined``. Every later line goes to the others as ``NAME: text``.
When a client closes its socket (or its connection fails) the others get
``* NAME left``.

Without arguments it runs a demo: three clients join, talk and leave, one
after another; each prints what it heard, and the script exits::

    python examples/chat_server.py

With ``--port`` it serves until interrupted (try two ``nc 127.0.0.1 PORT``)::

    python examples/chat_server.py --port 40404
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from twisted.internet.defer import Deferred, gatherResults
from twisted.internet.task import react
from twisted.logger import globalLogBeginner, textFileLogObserver

from tisocket_twisted import TCPSocket, Ti


def lineReader(onLine: Any) -> Any:
    """A pump handler that calls C{onLine(text)} for each complete line received."""
    pending = bytearray()

    def handler(e: Any) -> None:
        if e.bytesProcessed > 0:
            pending.extend(bytes(e.buffer))
            while b"\n" in pending:
                line, _, rest = bytes(pending).partition(b"\n")
                pending[:] = rest
                onLine(line.decode("utf-8", errors="replace").rstrip("\r"))

    return handler


class ChatServer:
    """The chat room: who is connected, under which name."""

    def __init__(self, host: str, port: int) -> None:
        self.names: dict[TCPSocket, str | None] = {}  # client socket -> nickname
        self.listener = Ti.Network.Socket.createTCP(
            {"host": host, "port": port, "accepted": self.accepted, "error": self.error}
        )
        self.listener.listen()
        self.listener.accept()

    def accepted(self, e: Any) -> None:
        client = e.inbound
        self.names[client] = None  # no nickname yet
        e.socket.accept()  # Titanium accepts one connection per accept() call

        def onLine(text: str) -> None:
            self.lineFrom(client, text)

        def handler(chunk: Any) -> None:
            if chunk.bytesProcessed == -1:
                self.left(client, chunk)
            else:
                reader(chunk)

        reader = lineReader(onLine)
        Ti.Stream.pump(client, handler, 1024, True)

    def lineFrom(self, client: TCPSocket, text: str) -> None:
        name = self.names.get(client)
        if name is None:
            name = text.strip() or f"guest{client.port}"
            self.names[client] = name
            online = sum(1 for n in self.names.values() if n is not None)
            self.send(client, f"* welcome {name}, {online} online")
            self.broadcast(f"* {name} joined", but=client)
        else:
            self.broadcast(f"{name}: {text}", but=client)

    def left(self, client: TCPSocket, e: Any) -> None:
        name = self.names.pop(client, None)
        if not e.success:
            Ti.API.warn(f"{name or client.port} was cut off: {e.error}")
        if name is not None:
            self.broadcast(f"* {name} left")

    def send(self, client: TCPSocket, line: str) -> None:
        if client.state == Ti.Network.Socket.CONNECTED:
            client.write(Ti.createBuffer({"value": line + "\n"}))

    def broadcast(self, line: str, but: TCPSocket | None = None) -> None:
        Ti.API.info(line)
        for client, name in list(self.names.items()):
            if client is not but and name is not None:
                self.send(client, line)

    def error(self, e: Any) -> None:
        Ti.API.error(f"Listening socket error ({e.errorCode}): {e.error}")

    def close(self) -> Deferred[None]:
        """Stop listening and close every client."""
        closing = [sock.close() for sock in [self.listener, *self.names]]
        return gatherResults(closing).addCallback(lambda _: None)


class ChatClient:
    """A demo client: joins under C{name}, records every line it hears."""

    def __init__(self, name: str, port: int) -> None:
        self.name = name
        self.heard: list[str] = []
        self.waiting: list[tuple[str, Deferred[None]]] = []
        self.socket = Ti.Network.Socket.createTCP(
            {"host": "127.0.0.1", "port": port, "connected": self.connected}
        )

    def join(self) -> Deferred[None]:
        """Connect and send the nickname; fires once the server welcomed us."""
        welcomed = self.waitFor(f"* welcome {self.name}")
        self.socket.connect()
        return welcomed

    def connected(self, e: Any) -> None:
        Ti.Stream.pump(e.socket, lineReader(self.heardLine), 1024, True)
        self.say(self.name)

    def say(self, text: str) -> None:
        self.socket.write(Ti.createBuffer({"value": text + "\n"}))

    def heardLine(self, line: str) -> None:
        self.heard.append(line)
        for entry in list(self.waiting):
            prefix, d = entry
            if line.startswith(prefix):
                self.waiting.remove(entry)
                d.callback(None)

    def waitFor(self, prefix: str) -> Deferred[None]:
        """A Deferred that fires when a line starting with C{prefix} arrives."""
        d: Deferred[None] = Deferred()
        self.waiting.append((prefix, d))
        return d

    def leave(self) -> Deferred[None]:
        return self.socket.close()


async def demo(reactor: Any) -> None:
    server = ChatServer("127.0.0.1", 0)
    port = server.listener.port
    print(f"Chat server listening on 127.0.0.1:{port}", flush=True)
    alice, bob, carol = (ChatClient(name, port) for name in ("alice", "bob", "carol"))

    async def step(*waits: Deferred[None]) -> None:
        await gatherResults(list(waits)).addTimeout(10, reactor)

    await step(alice.join())
    await step(bob.join(), alice.waitFor("* bob joined"))
    await step(carol.join(), alice.waitFor("* carol joined"), bob.waitFor("* carol joined"))
    waits = [bob.waitFor("alice: hello"), carol.waitFor("alice: hello")]
    alice.say("hello everyone")
    await step(*waits)
    waits = [alice.waitFor("bob: hi"), carol.waitFor("bob: hi")]
    bob.say("hi alice")
    await step(*waits)
    waits = [alice.waitFor("* carol left"), bob.waitFor("* carol left")]
    await carol.leave()
    await step(*waits)
    waits = [alice.waitFor("* bob left")]
    await bob.leave()
    await step(*waits)
    await alice.leave()
    await server.close()
    for client in (alice, bob, carol):
        for line in client.heard:
            print(f"{client.name} heard: {line}", flush=True)
    print("Chat demo done", flush=True)


def serve(reactor: Any, host: str, port: int) -> Deferred[None]:
    server = ChatServer(host, port)
    print(f"Chat server listening on {host}:{server.listener.port}", flush=True)
    reactor.addSystemEventTrigger("before", "shutdown", server.close)
    return Deferred()  # never fires: react() runs until interrupted


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.strip().split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    parser.add_argument("--port", type=int, help="port to serve on until interrupted (0: any)")
    arguments = parser.parse_args()
    globalLogBeginner.beginLoggingTo([textFileLogObserver(sys.stderr)], redirectStandardIO=False)
    if arguments.port is None:
        react(demo)
    else:
        react(serve, [arguments.host, arguments.port])

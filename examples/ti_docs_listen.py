"""
"Listening Socket Example", the second example of Titanium's
Ti.Network.Socket.TCP documentation, ported line for line.

The application sends messages to itself over the loopback address: a
listening socket accepts one connection, greets it and closes it; a client
socket pumps the greeting, sees the end of stream and closes. Then the
script exits::

    python examples/ti_docs_listen.py

Differences from the JavaScript: the callbacks are defined before the dicts
that name them; the listener takes a free port (the original hard-codes
40404, which may be taken) and the client is pointed at it once it listens;
C{setTimeout} is C{reactor.callLater}; C{if (e.buffer)} is
C{if e.buffer is not None}; and after the client closes, the listener is
closed too so that the script ends.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from twisted.internet.defer import Deferred
from twisted.internet.task import react
from twisted.logger import globalLogBeginner, textFileLogObserver

from tisocket_twisted import Ti


def main(reactor: Any, port: int) -> Deferred[None]:
    finished: Deferred[None] = Deferred()

    # Hostname to listen on/connect to. Here we use the loopback
    # address. iOS also supports Ti.Platform.address (the address of
    # the WiFi interface).
    # Android supports only the loopback address.

    hostname = "127.0.0.1"

    def clientConnected(e: Any) -> None:
        Ti.API.info("Client socket connected!")
        Ti.Stream.pump(e.socket, pumpCallback, 1024, True)
        e.socket.write(Ti.createBuffer({"value": "A message from a connecting socket."}))

    def clientError(e: Any) -> None:
        Ti.API.info("Error (" + str(e.errorCode) + "): " + str(e.error))
        finish()

    clientSocket = Ti.Network.Socket.createTCP(
        {
            "host": hostname,
            "port": port,
            "connected": clientConnected,
            "error": clientError,
        }
    )

    def writeCallback(e: Any) -> None:
        Ti.API.info("Successfully wrote to socket.")

    def pumpCallback(e: Any) -> None:
        # Has the remote socket closed its end?
        if e.bytesProcessed < 0:
            Ti.API.info("Closing client socket.")
            clientSocket.close().addBoth(lambda _: listenSocket.close()).addBoth(lambda _: finish())
            return
        try:
            if e.buffer is not None:
                received = e.buffer.toString()
                Ti.API.info("Received: " + received)
            else:
                Ti.API.error("Error: read callback called with no buffer!")
        except Exception as ex:
            Ti.API.error(ex)

    # Create a socket and listen for incoming connections
    def accepted(e: Any) -> None:
        # This where you would usually store the newly-connected socket, e.inbound
        # so it can be used for read / write operations elsewhere in the app.
        # In this case, we simply send a message then close the socket.
        Ti.API.info(
            "Listening socket <"
            + str(e.socket)
            + "> accepted incoming connection <"
            + str(e.inbound)
            + ">"
        )
        e.inbound.write(
            Ti.createBuffer({"value": "You have been connected to a listening socket.\r\n"})
        )
        e.inbound.close()
        # close the accepted socket

    def listenError(e: Any) -> None:
        Ti.API.error("Socket <" + str(e.socket) + "> encountered error when listening")
        Ti.API.error(" error code <" + str(e.errorCode) + ">")
        Ti.API.error(" error description <" + str(e.error) + ">")
        finish()

    listenSocket = Ti.Network.Socket.createTCP(
        {
            "host": hostname,
            "port": port,
            "accepted": accepted,
            "error": listenError,
        }
    )
    # Starts the socket listening for connections, does not accept them
    listenSocket.listen()
    Ti.API.info("Listening now...")
    clientSocket.port = listenSocket.port  # the port actually bound

    # Tells socket to accept the next inbound connection. listenSocket.accepted gets
    # called when a connection is accepted via accept()
    Ti.API.info("Calling accept.")
    listenSocket.accept({"timeout": 10000})

    # Call connect after a short timeout to ensure the listening socket is ready to go.
    Ti.API.info("Setting timer to connect.")

    def connectLater() -> None:
        Ti.API.info("Calling connect on client socket.")
        clientSocket.connect()

    reactor.callLater(0.5, connectLater)

    def finish() -> None:
        if not finished.called:
            finished.callback(None)

    return finished


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0].strip())
    parser.add_argument("--port", type=int, default=0, help="port to listen on (0: any free)")
    arguments = parser.parse_args()
    globalLogBeginner.beginLoggingTo([textFileLogObserver(sys.stderr)])
    react(main, [arguments.port])

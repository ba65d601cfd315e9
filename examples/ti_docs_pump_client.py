"""
"Simple Socket IO using Stream.pump", the first example of Titanium's
Ti.Network.Socket.TCP documentation, ported line for line.

A client socket connects, pumps what it receives through C{readCallback} in
chunks of at most 1024 bytes, and sends an HTTP request with
C{Ti.Stream.write}. Run it against any HTTP server::

    python examples/ti_docs_pump_client.py --host blog.example.com --port 80

Differences from the JavaScript, all forced by Python or by running as a
script: the callbacks are defined before the dict that names them, the
request names the C{--host} given, string concatenation needs C{str()},
C{if (e.buffer)} is C{if e.buffer is not None} (an empty Buffer is falsy in
Python but an object is truthy in JavaScript), and the "cleanup" left to the
reader in Titanium's example closes the socket and ends the script.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from twisted.internet.defer import Deferred
from twisted.internet.task import react
from twisted.logger import globalLogBeginner, textFileLogObserver

from tisocket_twisted import Ti


def main(reactor: Any, host: str, port: int) -> Deferred[None]:
    finished: Deferred[None] = Deferred()

    def connected(e: Any) -> None:
        Ti.API.info("Socket opened!")
        Ti.Stream.pump(e.socket, readCallback, 1024, True)
        Ti.Stream.write(
            socket,
            Ti.createBuffer({"value": "GET http://" + host + "/index.html HTTP/1.1\r\n\r\n"}),
            writeCallback,
        )

    def error(e: Any) -> None:
        Ti.API.info("Error (" + str(e.errorCode) + "): " + str(e.error))
        finish()

    socket = Ti.Network.Socket.createTCP(
        {
            "host": host,
            "port": port,
            "connected": connected,
            "error": error,
        }
    )
    socket.connect()

    def writeCallback(e: Any) -> None:
        Ti.API.info("Successfully wrote to socket.")

    def readCallback(e: Any) -> None:
        if e.bytesProcessed == -1:
            # Error / EOF on socket. Do any cleanup here.
            socket.close().addBoth(lambda _: finish())
        try:
            if e.buffer is not None:
                received = e.buffer.toString()
                Ti.API.info("Received: " + received)
            else:
                Ti.API.error("Error: read callback called with no buffer!")
        except Exception as ex:
            Ti.API.error(ex)

    def finish() -> None:
        if not finished.called:
            finished.callback(None)

    return finished


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0].strip())
    parser.add_argument("--host", default="blog.example.com")
    parser.add_argument("--port", type=int, default=80)
    arguments = parser.parse_args()
    globalLogBeginner.beginLoggingTo([textFileLogObserver(sys.stderr)])
    react(main, [arguments.host, arguments.port])

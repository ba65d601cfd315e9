"""
Length-prefixed binary messages over TCP with Ti.Codec: a client and a
server in one script, on loopback.

TCP carries bytes, not messages: a pump chunk may hold half a message, or the
end of one and the start of the next. So every message travels in a frame
that says how long it is::

    +----------------+-------------+---------------------+
    | length (int32) | id (short)  | text (UTF-8 bytes)  |
    +----------------+-------------+---------------------+
      big-endian; length counts the id and the text bytes

Ti.Codec.encodeNumber / encodeString write the frame into a Ti.Buffer;
Ti.Codec.decodeNumber / decodeString read it back once the whole frame has
arrived. To show that it holds, the client sends all its frames in a single
write (merged) and the server pumps them in chunks of 5 bytes (split); the
server answers each message with its text reversed, and the client reads the
answers in chunks of 3 bytes::

    python examples/framed_client_server.py
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from twisted.internet.defer import Deferred
from twisted.internet.task import react
from twisted.logger import globalLogBeginner, textFileLogObserver

from tisocket_twisted import Buffer, Ti

HEADER = 4  # the length field
ORDER = Ti.Codec.BIG_ENDIAN  # network byte order


def encodeFrame(ident: int, text: str) -> Buffer:
    """One frame: length, id, then the text in UTF-8."""
    # UTF-8 takes at most 4 bytes a character: make room, then trim to what was written.
    frame = Ti.createBuffer({"length": HEADER + 2 + 4 * len(text)})
    position = Ti.Codec.encodeNumber(
        {
            "source": ident,
            "dest": frame,
            "position": HEADER,
            "type": Ti.Codec.TYPE_SHORT,
            "byteOrder": ORDER,
        }
    )
    end = Ti.Codec.encodeString(
        {"source": text, "dest": frame, "destPosition": position, "charset": Ti.Codec.CHARSET_UTF8}
    )
    frame.length = end
    Ti.Codec.encodeNumber(
        {"source": end - HEADER, "dest": frame, "type": Ti.Codec.TYPE_INT, "byteOrder": ORDER}
    )
    return frame


class FrameReader:
    """Gathers pump chunks and calls C{onMessage(id, text)} for every whole frame."""

    def __init__(self, onMessage: Callable[[int, str], object]) -> None:
        self.onMessage = onMessage
        self.pending = Ti.createBuffer()  # bytes of frames not yet complete
        self.chunks = 0

    def chunkReceived(self, chunk: Buffer) -> None:
        self.chunks += 1
        self.pending.append(chunk)
        while self.pending.length >= HEADER:
            size = Ti.Codec.decodeNumber(
                {"source": self.pending, "type": Ti.Codec.TYPE_INT, "byteOrder": ORDER}
            )
            if self.pending.length < HEADER + size:
                return  # the rest of this frame has not arrived yet
            ident = Ti.Codec.decodeNumber(
                {
                    "source": self.pending,
                    "position": HEADER,
                    "type": Ti.Codec.TYPE_SHORT,
                    "byteOrder": ORDER,
                }
            )
            text = Ti.Codec.decodeString(
                {
                    "source": self.pending,
                    "position": HEADER + 2,
                    "length": size - 2,
                    "charset": Ti.Codec.CHARSET_UTF8,
                }
            )
            rest = self.pending.length - HEADER - size
            self.pending = self.pending.clone(HEADER + size, rest)
            self.onMessage(ident, text)


def startReverseServer(served: Deferred[None]) -> Any:
    """
    A server that answers each framed message with its text reversed;
    C{served} fires when a client's connection has ended.
    """

    def accepted(e: Any) -> None:
        inbound = e.inbound

        def answer(ident: int, text: str) -> None:
            Ti.API.info(f"server: message {ident} ({len(text)} characters)")
            inbound.write(encodeFrame(ident, text[::-1]))

        reader = FrameReader(answer)

        def handler(chunk: Any) -> None:
            if chunk.bytesProcessed > 0:
                reader.chunkReceived(chunk.buffer)
            else:
                print(f"server: {reader.chunks} chunks of at most 5 bytes", flush=True)
                served.callback(None)

        Ti.Stream.pump(inbound, handler, 5, True)  # tiny chunks: frames arrive in pieces
        e.socket.accept()

    listener = Ti.Network.Socket.createTCP({"host": "127.0.0.1", "port": 0, "accepted": accepted})
    listener.listen()
    listener.accept()
    return listener


def main(reactor: Any) -> Deferred[None]:
    messages = ["hello", "Ti.Codec frames", "héllo wörld ✓", "", "x" * 300]
    finished: Deferred[None] = Deferred()
    served: Deferred[None] = Deferred()
    listener = startReverseServer(served)
    answers: dict[int, str] = {}

    def gotAnswer(ident: int, text: str) -> None:
        answers[ident] = text
        if len(answers) == len(messages):
            for i, message in enumerate(messages, 1):
                print(f"#{i}: {message[:20]!r} -> {answers[i][:20]!r}", flush=True)
            print(f"client: {reader.chunks} chunks of at most 3 bytes", flush=True)
            client.close()
            served.addCallback(lambda _: listener.close()).chainDeferred(finished)

    reader = FrameReader(gotAnswer)

    def connected(e: Any) -> None:
        def handler(chunk: Any) -> None:
            if chunk.bytesProcessed > 0:
                reader.chunkReceived(chunk.buffer)

        Ti.Stream.pump(e.socket, handler, 3, True)
        everything = Ti.createBuffer()
        for i, message in enumerate(messages, 1):
            everything.append(encodeFrame(i, message))
        print(f"client: {len(messages)} frames, {everything.length} bytes, one write", flush=True)
        e.socket.write(everything)  # all frames merged into one write

    def error(e: Any) -> None:
        finished.errback(RuntimeError(f"Error ({e.errorCode}): {e.error}"))

    client = Ti.Network.Socket.createTCP(
        {"host": "127.0.0.1", "port": listener.port, "connected": connected, "error": error}
    )
    client.connect()
    return finished.addTimeout(30, reactor)


if __name__ == "__main__":
    globalLogBeginner.beginLoggingTo([textFileLogObserver(sys.stderr)], redirectStandardIO=False)
    react(main)

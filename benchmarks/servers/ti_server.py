"""
The harness's echo/count server written in the Ti API, the way users write one.

Usage (the harness's server protocol)::

    python ti_server.py PORT [echo|count] [--backlog=N] [--chunk=N] [--idiom=sock|stream]

  - B{echo}: every chunk the pump delivers is written back; after the peer's
    end of stream the socket closes (C{allowHalfOpen} false: it closes once
    everything has been sent back).
  - B{count}: bytes are counted until the peer half-closes (C{allowHalfOpen}
    true), then the count goes back as 8 bytes big-endian and the socket
    closes.

The listener is C{createTCP} + C{listen()} with a C{listenQueueSize} as large
as the harness's backlog (1024), C{accept()} re-armed in C{accepted}; each
inbound socket is read with C{Ti.Stream.pump(sock, handler, chunk, True)}
(C{--chunk}, default 65536). C{--plain-read} keeps Twisted's own C{doRead}
and C{dataReceived} instead of the connection's C{doRead}, which does both in
one call, to measure what that saves. C{--idiom=sock} (default) echoes with
C{sock.write(e.buffer)}; C{--idiom=stream} with C{Ti.Stream.write(sock,
e.buffer)}, returning its Deferred (backpressure, as the built-in echo app).
"""

from __future__ import annotations

import sys

import _args  # the harness's argument parsing, next to this file
from _args import HOST, parse
from twisted.internet import reactor

from tisocket_twisted import Codec, Ti, createBuffer


def _flag(flags: set[str], name: str, default: str) -> str:
    for f in flags:
        if f.startswith(f"--{name}="):
            return f.split("=", 1)[1]
    return default


def main() -> None:
    port, mode, flags = parse()
    chunk = int(_flag(flags, "chunk", "65536"))
    idiom = _flag(flags, "idiom", "sock")
    if idiom not in ("sock", "stream"):
        sys.exit(f"--idiom must be sock or stream, got {idiom!r}")
    if "--plain-read" in flags:
        # For measuring what the connection's own doRead saves: Twisted's doRead.
        import tisocket_twisted._connection

        tisocket_twisted._connection._installDoRead = lambda *args: False  # type: ignore[assignment]
    Stream = Ti.Stream

    def serveEcho(sock):  # type: ignore[no-untyped-def]
        write = sock.write

        def handler(e):  # type: ignore[no-untyped-def]
            if e.bytesProcessed > 0:
                write(e.buffer)
            # At the end of stream the socket closes by itself (allowHalfOpen is
            # false) once everything written has been sent.

        Stream.pump(sock, handler, chunk, True)

    def serveEchoWithBackpressure(sock):  # type: ignore[no-untyped-def]
        def handler(e):  # type: ignore[no-untyped-def]
            if e.bytesProcessed > 0:
                return Stream.write(sock, e.buffer)
            return None

        Stream.pump(sock, handler, chunk, True)

    def serveCount(sock):  # type: ignore[no-untyped-def]
        def handler(e):  # type: ignore[no-untyped-def]
            if e.bytesProcessed >= 0:
                return
            if e.success and sock.isWritable():
                count = createBuffer(length=8)
                Codec.encodeNumber(
                    source=e.totalBytesProcessed,
                    dest=count,
                    type=Codec.TYPE_LONG,
                    byteOrder=Codec.BIG_ENDIAN,
                )
                sock.write(count)
            sock.close()

        Stream.pump(sock, handler, chunk, True)

    if mode != "echo":
        serve = serveCount
    else:
        serve = serveEcho if idiom == "sock" else serveEchoWithBackpressure

    def accepted(e):  # type: ignore[no-untyped-def]
        listener.accept()
        serve(e.inbound)

    listener = Ti.Network.Socket.createTCP(
        host=HOST,
        port=port,
        listenQueueSize=_args.BACKLOG,
        allowHalfOpen=(mode == "count"),
        accepted=accepted,
    )
    listener.listen()
    listener.accept()
    print(
        f"ti_server {mode} on {HOST}:{port} chunk={chunk} idiom={idiom} "
        f"reactor={type(reactor).__name__}",
        file=sys.stderr,
        flush=True,
    )
    reactor.run()  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()

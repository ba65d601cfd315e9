"""
The built-in server apps of C{twistd -n tisocket}, written in the Ti API.

Each app is a callable taking the C{accepted} event of a listening
L{TCPSocket} (C{{socket, inbound}}) and serving C{event.inbound} with
C{Ti.Stream} and the socket's own C{write} / C{close}, exactly as a Titanium
app would. A user's own server is the same kind of callable (C{--app
MODULE:CALLABLE}).

The service (L{tisocket_twisted._tap}) re-arms C{accept()} before calling the
app and gives every inbound socket an C{error} callback that logs the failure,
so an app only serves its connection; a failing connection never stops the
others.

  - L{EchoApp}: everything received is sent back, with backpressure.
  - L{DiscardApp}: everything received is read and dropped (RFC 863).
  - L{GreetingApp}: the greeting of Titanium's "Listening Socket Example",
    then close.
  - L{DaytimeApp}: the date and time as one line, then close (RFC 867).

Backpressure in the echo: its pump handler returns the Deferred of
C{Ti.Stream.write}, and a pump gets no further chunk until its handler's
Deferred has fired, i.e. until the chunk has been handed to the OS. At most
one chunk of C{maxChunkSize} bytes is held on top of the transport's write
buffer, and the kernel's buffers and TCP flow control hold a client that
sends but does not read back.

(C{Stream}, C{createBuffer} and C{Codec} are imported directly: they are the
very objects C{Ti.Stream}, C{Ti.createBuffer} and C{Ti.Codec}, with types.)
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

from twisted.internet.defer import Deferred
from twisted.logger import Logger

from ._buffer import createBuffer
from ._codec import Codec
from ._events import AcceptedEvent, PumpEvent, WriteEvent
from ._stream import Stream
from ._tcp import TCPSocket

__all__ = [
    "BUILTIN_APPS",
    "GREETING",
    "AcceptedHandler",
    "DaytimeApp",
    "DiscardApp",
    "EchoApp",
    "GreetingApp",
    "peerName",
]

#: What an app is: called with each C{accepted} event; its result is ignored
#: (a Deferred's failure is logged).
AcceptedHandler = Callable[[AcceptedEvent], object]

#: The text Titanium's "Listening Socket Example" writes to each inbound socket.
GREETING = "You have been connected to a listening socket.\r\n"


def peerName(sock: TCPSocket) -> str:
    """C{host:port} of an inbound socket's peer (C{[host]:port} for IPv6)."""
    host = sock.host or "?"
    if ":" in host:
        host = f"[{host}]"
    return f"{host}:{sock.port}"


class EchoApp:
    """
    Echo (RFC 862): send back every byte received until the client closes.

    The inbound socket is pumped in chunks of at most C{maxChunkSize} bytes and
    each chunk written back; the handler returns the write's Deferred, so the
    pump reads no faster than the client reads. At the client's end of stream
    the socket closes once everything has been sent back.
    """

    log = Logger()

    def __init__(self, maxChunkSize: int) -> None:
        self.maxChunkSize = maxChunkSize

    def __call__(self, event: AcceptedEvent) -> None:
        """Echo C{event.inbound}."""
        inbound: TCPSocket = event.inbound

        def handler(e: PumpEvent) -> Deferred[WriteEvent] | None:
            if e.bytesProcessed > 0:
                return Stream.write(inbound, e.buffer)
            if e.success:
                self.log.info(
                    "echo: {peer} done, {count} bytes echoed",
                    peer=peerName(inbound),
                    count=e.totalBytesProcessed,
                )
            return None

        Stream.pump(inbound, handler, self.maxChunkSize, True)


class DiscardApp:
    """
    Discard (RFC 863): read everything and drop it; close at the client's end
    of stream. The pump hands over chunks of at most C{maxChunkSize} bytes,
    each freed as soon as the handler returns.
    """

    log = Logger()

    def __init__(self, maxChunkSize: int) -> None:
        self.maxChunkSize = maxChunkSize

    def __call__(self, event: AcceptedEvent) -> None:
        """Discard what C{event.inbound} sends."""
        inbound: TCPSocket = event.inbound
        peer = peerName(inbound)

        def handler(e: PumpEvent) -> None:
            if e.bytesProcessed < 0 and e.success:
                self.log.info(
                    "discard: {peer} done, {count} bytes discarded",
                    peer=peer,
                    count=e.totalBytesProcessed,
                )

        Stream.pump(inbound, handler, self.maxChunkSize, True)


class GreetingApp:
    """
    The listener of Titanium's "Listening Socket Example": write L{GREETING}
    to the inbound socket, then close it (gracefully: the greeting is flushed
    first). What the client sends is never read.
    """

    def __init__(self, greeting: str = GREETING) -> None:
        self.greeting = greeting

    def __call__(self, event: AcceptedEvent) -> None:
        """Greet C{event.inbound} and close it."""
        event.inbound.write(createBuffer({"value": self.greeting}))
        event.inbound.close()


class DaytimeApp:
    """
    Daytime (RFC 867): write the current local date and time as one line in
    C{ctime} form (C{"Thu Nov 28 04:57:54 2026\\r\\n"}), then close.

    @ivar clock: returns the current time in seconds since the epoch (the
        reactor's C{seconds} in the service, so tests can set the time).
    """

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock

    def line(self) -> str:
        """The daytime line to send, with its CR LF."""
        return time.ctime(self.clock()) + "\r\n"

    def __call__(self, event: AcceptedEvent) -> None:
        """Tell C{event.inbound} the time and close it."""
        event.inbound.write(createBuffer({"value": self.line(), "type": Codec.CHARSET_ASCII}))
        event.inbound.close()


def _echo(maxChunkSize: int, clock: Callable[[], float]) -> AcceptedHandler:
    return EchoApp(maxChunkSize)


def _discard(maxChunkSize: int, clock: Callable[[], float]) -> AcceptedHandler:
    return DiscardApp(maxChunkSize)


def _greeting(maxChunkSize: int, clock: Callable[[], float]) -> AcceptedHandler:
    return GreetingApp()


def _daytime(maxChunkSize: int, clock: Callable[[], float]) -> AcceptedHandler:
    return DaytimeApp(clock)


#: The built-in apps by name: each entry makes the app from the
#: C{maxChunkSize} option and a clock (seconds since the epoch).
BUILTIN_APPS: Mapping[str, Callable[[int, Callable[[], float]], AcceptedHandler]] = {
    "echo": _echo,
    "discard": _discard,
    "greeting": _greeting,
    "daytime": _daytime,
}

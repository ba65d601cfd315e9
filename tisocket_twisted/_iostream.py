"""
The IOStream interface: what every Titanium stream provides, and the small set
of primitives on which C{Ti.Stream} is built.

Titanium's C{IOStream} has C{read}, C{write}, C{isReadable}, C{isWritable} and
C{close}. C{Ti.Stream} (L{tisocket_twisted._stream}) needs more than that to
pump, copy and read streams of every kind the same way, fast and without
special cases, so an IOStream also provides four I{primitives}:

  - C{produceChunks(maxChunkSize, consumer)}: start delivering the stream's
    data asynchronously to a L{ChunkConsumer}, as a push producer.
  - C{writeChunk(data, done)}: hand bytes to the stream asynchronously.
  - C{readNow(maxLength)} / C{writeNow(data)}: the synchronous forms.
  - C{checkBlockingAllowed(operation)}: raise L{WouldBlockError} if a
    synchronous operation could not complete without blocking this thread.
  - C{callSoon(f, *args)}: call C{f} in the reactor thread, after the current
    call has returned (how a stream in memory keeps callbacks asynchronous).

L{IOStreamBase} implements Titanium's C{read}/C{write} argument rules once, on
top of those primitives; L{BufferStream}, L{BlobStream} and the TCP socket all
derive from it. A TCP socket is I{just another IOStream}.

The rules every implementation keeps:

  - A consumer's methods are called in the reactor thread, never before
    C{produceChunks} has returned.
  - C{chunkReceived} gets between 1 and C{maxChunkSize} bytes; then exactly one
    C{chunksEnded} follows: L{None} for end of stream or a local close, a
    L{Failed} for an error or a stream that is not readable.
  - A chunk is C{bytes}, or a C{bytearray} that the consumer owns from then on:
    the producer never reads or changes it again, so a consumer may keep it
    as it is instead of copying it. (A pump makes its new Buffer around the
    chunk; a Buffer around C{bytes} copies them only when first changed. On
    bulk transfers a copy per chunk would cost as much as receiving.)
  - C{pauseProducing()} and C{stopProducing()} take effect at once, even when
    called from inside C{chunkReceived}: no further chunk is delivered until
    C{resumeProducing()} (paused) or ever (stopped; C{chunksEnded} is not
    called after C{stopProducing}). Data not delivered stays in the stream for
    the next reader.
  - Several producers may be active on one stream: they are served in the
    order they were started, one at a time.
  - C{produceChunks} and C{writeChunk} are called in the reactor thread:
    C{Ti.Stream} and L{IOStreamBase}'s C{read}/C{write} called elsewhere hand
    the work to the reactor thread (with C{callSoon}) first.
  - C{writeChunk}'s C{done} is called once, in the reactor thread, never before
    C{writeChunk} has returned: with L{None} once the bytes are handed over
    (for a socket: the transport's buffer is below its high-water mark), or
    with a L{Failed}.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, cast, runtime_checkable

from twisted.internet.defer import Deferred

from ._args import checkCallable, checkInt
from ._buffer import Buffer
from ._errors import TiBoundsError, TiTypeError
from ._events import Failed, ReadEvent, WriteEvent
from ._log import callUser
from ._threads import inReactorThread

__all__ = [
    "ChunkConsumer",
    "ChunkProducer",
    "IOStream",
    "IOStreamBase",
    "parseTransfer",
    "readIntoBuffer",
    "writeFromBuffer",
]


class ChunkConsumer(Protocol):
    """Receives the chunks of a stream started with C{produceChunks}."""

    def chunkReceived(self, data: bytes) -> None:
        """
        Take one chunk of 1 to C{maxChunkSize} bytes: C{bytes}, or a
        C{bytearray} that is the consumer's own from now on.
        """

    def chunksEnded(self, failed: Failed | None) -> None:
        """The stream ended: L{None} for end of stream or local close, else why it failed."""


class ChunkProducer(Protocol):
    """The handle C{produceChunks} returns: Twisted's C{IPushProducer} methods."""

    def pauseProducing(self) -> None:
        """Deliver no more chunks until L{resumeProducing}."""

    def resumeProducing(self) -> None:
        """Deliver chunks again."""

    def stopProducing(self) -> None:
        """Deliver nothing more, not even C{chunksEnded}."""


@runtime_checkable
class IOStream(Protocol):
    """
    Titanium's C{IOStream} plus the primitives C{Ti.Stream} is built on.

    Implement it by deriving from L{IOStreamBase} and providing the primitives.
    """

    apiName: str

    def read(
        self,
        buffer: Buffer,
        offset: Any = None,
        length: Any = None,
        resultsCallback: Any = None,
    ) -> int:
        """Titanium C{IOStream.read}."""

    def write(
        self,
        buffer: Buffer,
        offset: Any = None,
        length: Any = None,
        resultsCallback: Any = None,
    ) -> int:
        """Titanium C{IOStream.write}."""

    def isReadable(self) -> bool:
        """Whether the stream can be read now."""

    def isWritable(self) -> bool:
        """Whether the stream can be written now."""

    def close(self) -> Any:
        """Close the stream."""

    def produceChunks(self, maxChunkSize: int, consumer: ChunkConsumer) -> ChunkProducer:
        """Start delivering data asynchronously (see the module docstring)."""

    def writeChunk(self, data: bytes, done: Callable[[Failed | None], None]) -> None:
        """Hand C{data} over asynchronously; call C{done} once (see the module docstring)."""

    def readNow(self, maxLength: int) -> bytes | None:
        """
        Read up to C{maxLength} bytes synchronously; L{None} at end of stream.

        Blocks a worker thread until data is there; raises L{WouldBlockError} in
        the reactor thread when it would have to wait, and L{InvalidStateError}
        when the stream is not readable. A failure of the stream itself (reset,
        timeout ...) raises L{TiSocketError} with its errno: the synchronous
        C{Ti.Stream.pump} reports that as its failure call, and an
        L{InvalidStateError} met after it started as a local close (success).
        """

    def writeNow(self, data: bytes) -> int:
        """Write all of C{data} synchronously and return its length."""

    def checkBlockingAllowed(self, operation: str) -> None:
        """Raise L{WouldBlockError} if synchronous C{operation} may not run in this thread."""

    def callSoon(self, f: Callable[..., object], *args: object) -> None:
        """Call C{f(*args)} in the reactor thread after the current call has returned."""


def parseTransfer(
    where: str,
    buffer: object,
    offset: object,
    length: object,
    resultsCallback: object,
) -> tuple[Buffer, int, int, Callable[[Any], object] | None]:
    """
    Apply Titanium's argument rules for C{read}/C{write}.

    Accepts C{(buffer)}, C{(buffer, callback)}, C{(buffer, offset, length)} and
    C{(buffer, offset, length, callback)}. Returns C{(buffer, offset, count,
    callback)} where C{count} is C{length} clamped to the room left in the buffer.

    @raise TiTypeError: wrong types, or an offset without its length.
    @raise TiBoundsError: a negative offset or length, or an offset past the end.
    """
    if not isinstance(buffer, Buffer):
        raise TiTypeError(f"{where}: buffer must be a Ti.Buffer, got {buffer!r}")
    if callable(offset) and length is None and resultsCallback is None:
        resultsCallback, offset = offset, None
    callback = cast(
        "Callable[[Any], object] | None",
        checkCallable(where, "resultsCallback", resultsCallback),
    )
    size = len(buffer._data)
    if offset is None and length is None:
        return buffer, 0, size, callback
    if offset is None or length is None:
        raise TiTypeError(f"{where}: offset and length must be given together")
    start = checkInt(where, "offset", offset)
    count = checkInt(where, "length", length)
    if start < 0 or start > size:
        raise TiBoundsError(f"{where}: offset {start!r} is outside 0..{size} of the buffer")
    if count < 0:
        raise TiBoundsError(f"{where}: length must not be negative, got {count!r}")
    return buffer, start, min(count, size - start), callback


class _OneRead:
    """Consumer for one asynchronous read: the first chunk, then stop."""

    __slots__ = ("buffer", "deferred", "offset", "producer", "stream")

    def __init__(self, stream: IOStream, buffer: Buffer, offset: int) -> None:
        self.stream = stream
        self.buffer = buffer
        self.offset = offset
        self.deferred: Deferred[ReadEvent] = Deferred()
        self.producer: ChunkProducer | None = None

    def chunkReceived(self, data: bytes) -> None:
        assert self.producer is not None
        self.producer.stopProducing()
        n = len(data)
        self.buffer._writable()[self.offset : self.offset + n] = data
        self.deferred.callback(ReadEvent(self.stream, n))

    def chunksEnded(self, failed: Failed | None) -> None:
        self.deferred.callback(ReadEvent(self.stream, -1, failed))


def readIntoBuffer(
    stream: IOStream, buffer: Buffer, offset: int, count: int
) -> Deferred[ReadEvent]:
    """
    Read up to C{count} bytes into C{buffer} at C{offset}, asynchronously.

    Fires (never errbacks) with a L{ReadEvent}: the bytes read, -1 with success
    at end of stream, or -1 with the failure. A C{count} of 0 reads nothing.
    """
    if count == 0:
        zero: Deferred[ReadEvent] = Deferred()

        def checked(failed: Failed | None) -> None:
            zero.callback(ReadEvent(stream, -1 if failed else 0, failed))

        failed = None if stream.isReadable() else Failed(-1, f"{stream.apiName} is not readable")
        stream.callSoon(checked, failed)
        return zero
    reader = _OneRead(stream, buffer, offset)
    reader.producer = stream.produceChunks(count, reader)
    return reader.deferred


def writeFromBuffer(
    stream: IOStream, buffer: Buffer, offset: int, count: int
) -> Deferred[WriteEvent]:
    """
    Write C{count} bytes of C{buffer} from C{offset}, asynchronously.

    Fires (never errbacks) with a L{WriteEvent} once the stream has taken the
    bytes, or with the failure (C{bytesProcessed} -1).
    """
    d: Deferred[WriteEvent] = Deferred()
    source = buffer._data
    if offset == 0 and count == len(source):
        data = bytes(source)
    else:
        data = bytes(memoryview(source)[offset : offset + count])  # one copy, not two

    def done(failed: Failed | None) -> None:
        d.callback(WriteEvent(stream, -1 if failed else count, failed))

    stream.writeChunk(data, done)
    return d


class IOStreamBase:
    """
    Titanium's C{IOStream.read}/C{write} argument handling, once for every stream.

    Subclasses provide the primitives of L{IOStream}.
    """

    apiName = "Ti.IOStream"

    # Primitives, provided by subclasses.
    def produceChunks(self, maxChunkSize: int, consumer: ChunkConsumer) -> ChunkProducer:
        """See L{IOStream.produceChunks}."""
        raise NotImplementedError

    def writeChunk(self, data: bytes, done: Callable[[Failed | None], None]) -> None:
        """See L{IOStream.writeChunk}."""
        raise NotImplementedError

    def readNow(self, maxLength: int) -> bytes | None:
        """See L{IOStream.readNow}."""
        raise NotImplementedError

    def writeNow(self, data: bytes) -> int:
        """See L{IOStream.writeNow}."""
        raise NotImplementedError

    def checkBlockingAllowed(self, operation: str) -> None:
        """See L{IOStream.checkBlockingAllowed}; streams in memory never block."""

    def isReadable(self) -> bool:
        """Whether the stream can be read now."""
        raise NotImplementedError

    def isWritable(self) -> bool:
        """Whether the stream can be written now."""
        raise NotImplementedError

    def callSoon(self, f: Callable[..., object], *args: object) -> None:
        """See L{IOStream.callSoon}."""
        raise NotImplementedError

    # Titanium's methods.
    def read(
        self,
        buffer: Buffer,
        offset: Any = None,
        length: Any = None,
        resultsCallback: Any = None,
    ) -> int:
        """
        Read into C{buffer} (at C{offset}, at most C{length} bytes).

        Without a callback: synchronous, returns the byte count or -1 at end of
        stream. With a callback (last argument, or second): returns 0 and calls
        it later with a L{ReadEvent}.
        """
        buf, start, count, callback = parseTransfer(
            f"{self.apiName}.read", buffer, offset, length, resultsCallback
        )
        if callback is None:
            data = self.readNow(count)
            if data is None:
                return -1
            n = len(data)
            buf._writable()[start : start + n] = data
            return n
        if inReactorThread():
            _readAndNotify(self, buf, start, count, callback)  # type: ignore[arg-type]
        else:
            self.callSoon(_readAndNotify, self, buf, start, count, callback)
        return 0

    def write(
        self,
        buffer: Buffer,
        offset: Any = None,
        length: Any = None,
        resultsCallback: Any = None,
    ) -> int:
        """
        Write C{buffer} (from C{offset}, C{length} bytes).

        Without a callback: synchronous, returns the byte count. With a callback:
        returns 0 and calls it later with a L{WriteEvent}.
        """
        buf, start, count, callback = parseTransfer(
            f"{self.apiName}.write", buffer, offset, length, resultsCallback
        )
        if callback is None:
            return self.writeNow(bytes(buf._data[start : start + count]))
        if inReactorThread():
            _writeAndNotify(self, buf, start, count, callback)  # type: ignore[arg-type]
        else:
            # Take the bytes now, as a call in the reactor thread would.
            data = Buffer._wrap(bytearray(buf._data[start : start + count]))
            self.callSoon(_writeAndNotify, self, data, 0, count, callback)
        return 0


def _readAndNotify(
    stream: IOStream, buffer: Buffer, offset: int, count: int, callback: Callable[[Any], object]
) -> None:
    readIntoBuffer(stream, buffer, offset, count).addCallback(
        lambda event: callUser("read", callback, event)
    )


def _writeAndNotify(
    stream: IOStream, buffer: Buffer, offset: int, count: int, callback: Callable[[Any], object]
) -> None:
    writeFromBuffer(stream, buffer, offset, count).addCallback(
        lambda event: callUser("write", callback, event)
    )

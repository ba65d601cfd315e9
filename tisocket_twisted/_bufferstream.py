"""
C{Ti.BufferStream} and C{Ti.BlobStream}: IOStreams over bytes in memory.

A L{BufferStream} shares its L{Buffer} (no copy): READ and WRITE start at
offset 0, APPEND at the buffer's length when the stream is made. Reads take
C{min(length, remaining)} bytes and give -1 (L{None} from C{readNow}) at the
end; writes overwrite from the position and grow the buffer when they run past
its end (WRITE never truncates). A L{BlobStream} reads a L{Blob} and is never
writable. After C{close()} neither is readable nor writable and synchronous
I/O raises L{InvalidStateError}.

Both implement the primitives of L{tisocket_twisted._iostream}:
asynchronous delivery goes through C{callSoon} (the reactor given to the
constructor, or the global one fetched when first needed), and one scheduled
call delivers as many chunks as the consumers accept.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any, Literal, Protocol

from ._args import checkChunkConsumer, checkChunkData, checkDone, checkInt
from ._blob import Blob, shortRepr
from ._buffer import Buffer
from ._constants import MODE_APPEND, MODE_READ, StreamMode
from ._errors import InvalidStateError, TiTypeError, TiValueError
from ._events import Failed
from ._iostream import ChunkConsumer, ChunkProducer, IOStreamBase
from ._threads import callSoon, getReactor

__all__ = ["BlobStream", "BufferStream"]

#: Up to this size, two plain copies are faster than one through a memoryview.
_SMALL_SLICE = 4096


class _Holder(Protocol):
    """What a memory stream reads: a L{Buffer} or a L{Blob}."""

    @property
    def _data(self) -> bytes | bytearray: ...


class _MemoryProducer:
    """The C{ChunkProducer} handle of one C{produceChunks} call on a memory stream."""

    __slots__ = ("_consumer", "_failed", "_maxChunkSize", "_paused", "_stopped", "_stream")

    def __init__(
        self,
        stream: _MemoryStream,
        maxChunkSize: int,
        consumer: ChunkConsumer,
        failed: Failed | None,
    ) -> None:
        self._stream = stream
        self._maxChunkSize = maxChunkSize
        self._consumer = consumer
        #: Why this producer fails at its turn (the stream was not readable when it started).
        self._failed = failed
        self._paused = False
        #: Stopped by the consumer, or ended: nothing more is delivered.
        self._stopped = False

    def pauseProducing(self) -> None:
        """Deliver nothing until L{resumeProducing}."""
        self._paused = True

    def resumeProducing(self) -> None:
        """Deliver again."""
        if self._paused:
            self._paused = False
            if not self._stopped:
                self._stream._kick()

    def stopProducing(self) -> None:
        """Deliver nothing more, not even C{chunksEnded}."""
        if not self._stopped:
            self._stopped = True
            self._stream._kick()


class _MemoryStream(IOStreamBase):
    """What L{BufferStream} and L{BlobStream} share: a position over C{_holder._data}."""

    def __init__(self, holder: _Holder, mode: StreamMode, reactor: Any) -> None:
        #: The Buffer or Blob; L{None} once closed. Its C{_data} is read at every
        #: use, never cached: a Buffer may replace its bytearray when it resizes.
        self._holder: _Holder | None = holder
        self._mode = mode
        self._position = len(holder._data) if mode == MODE_APPEND else 0
        self._reactor = reactor
        self._producers: deque[_MemoryProducer] = deque()
        self._scheduled = False
        self._delivering = False

    def __repr__(self) -> str:
        state = "closed" if self._holder is None else f"position={self._position}"
        return f"<{self.apiName} {self._mode.name} {state}>"

    # Titanium's IOStream methods (read and write come from IOStreamBase).
    def isReadable(self) -> bool:
        """Whether the stream is open in READ mode."""
        return self._holder is not None and self._mode == MODE_READ

    def isWritable(self) -> bool:
        """Whether the stream is open in WRITE or APPEND mode."""
        return self._holder is not None and self._mode != MODE_READ

    def close(self) -> None:
        """
        Close the stream; closing twice is harmless.

        Afterwards it is neither readable nor writable; an asynchronous delivery
        in progress ends as at end of stream.
        """
        if self._holder is None:
            return
        self._holder = None
        if self._producers:
            self._kick()

    # Why I/O is refused, or None when it is allowed.
    def _readRefusal(self) -> str | None:
        if self._holder is None:
            return f"{self.apiName} is closed"
        if self._mode != MODE_READ:
            return f"{self.apiName} is not readable: it was opened in {self._mode.name}"
        return None

    def _writeRefusal(self) -> str | None:
        if self._holder is None:
            return f"{self.apiName} is closed"
        if self._mode == MODE_READ:
            return f"{self.apiName} is not writable: it was opened in MODE_READ"
        return None

    # Primitives.
    def callSoon(self, f: Callable[..., object], *args: object) -> None:
        """Call C{f(*args)} in the reactor thread after the current call has returned."""
        if self._reactor is None:
            self._reactor = getReactor()
        callSoon(self._reactor, f, *args)

    def readNow(self, maxLength: int) -> bytes | None:
        """
        Read up to C{maxLength} bytes now; L{None} at end of stream.

        @raise InvalidStateError: the stream is closed or not in READ mode.
        @raise TiTypeError: C{maxLength} is not an integer.
        """
        maxLength = checkInt(f"{self.apiName}.readNow", "maxLength", maxLength)
        refusal = self._readRefusal()
        if refusal is not None:
            raise InvalidStateError(refusal)
        assert self._holder is not None
        if maxLength <= 0:
            return b""
        data = self._holder._data
        position = self._position
        if position >= len(data):
            return None
        chunk = _slice(data, position, position + maxLength)
        self._position = position + len(chunk)
        return chunk

    def writeNow(self, data: bytes) -> int:
        """
        Write all of C{data} at the position, growing the buffer if needed.

        @raise InvalidStateError: the stream is closed or in READ mode.
        @raise TiTypeError: C{data} is not bytes-like.
        """
        checkChunkData(f"{self.apiName}.writeNow", data)
        refusal = self._writeRefusal()
        if refusal is not None:
            raise InvalidStateError(refusal)
        return self._put(data)

    def _put(self, data: bytes) -> int:
        assert isinstance(self._holder, Buffer)
        target = self._holder._writable()
        position = self._position
        end = position + len(data)
        try:
            if position > len(target):
                # The buffer was shortened under the stream: pad the gap with zeros.
                target.extend(bytes(position - len(target)))
            target[position:end] = data
        except BufferError:
            # Growing failed before anything changed.
            raise InvalidStateError(
                f"{self.apiName}: cannot grow the buffer while a view of it exists"
            ) from None
        self._position = end
        return len(data)

    def writeChunk(self, data: bytes, done: Callable[[Failed | None], None]) -> None:
        """
        Write C{data} now; report to C{done} soon (L{None}, or the L{Failed} refusal).

        @raise TiTypeError: C{data} is not bytes-like or C{done} is not callable.
        """
        checkChunkData(f"{self.apiName}.writeChunk", data)
        checkDone(f"{self.apiName}.writeChunk", done)
        refusal = self._writeRefusal()
        if refusal is not None:
            self.callSoon(done, Failed(-1, refusal))
            return
        try:
            self._put(data)
        except InvalidStateError as e:
            self.callSoon(done, Failed(-1, str(e)))
            return
        self.callSoon(done, None)

    def produceChunks(self, maxChunkSize: int, consumer: ChunkConsumer) -> ChunkProducer:
        """
        Deliver the rest of the stream to C{consumer} in chunks of C{maxChunkSize}.

        Chunks are full-size except the last. A stream that is not readable now
        ends the delivery with a L{Failed}; a C{close()} during the delivery
        ends it as at end of stream.

        @raise TiTypeError: C{maxChunkSize} is not an integer, or C{consumer}
            is not a L{ChunkConsumer}.
        @raise TiValueError: C{maxChunkSize} is less than 1.
        """
        where = f"{self.apiName}.produceChunks"
        maxChunkSize = checkInt(where, "maxChunkSize", maxChunkSize)
        if maxChunkSize < 1:
            raise TiValueError(f"{where}: maxChunkSize must be at least 1, got {maxChunkSize!r}")
        checkChunkConsumer(where, consumer)
        refusal = self._readRefusal()
        producer = _MemoryProducer(
            self, maxChunkSize, consumer, None if refusal is None else Failed(-1, refusal)
        )
        self._producers.append(producer)
        self._kick()
        return producer

    def _kick(self) -> None:
        """Make sure a delivery runs soon (unless one is running now)."""
        if not self._scheduled and not self._delivering:
            self._scheduled = True
            self.callSoon(self._deliver)

    def _streamChunks(self, producer: _MemoryProducer) -> Literal["paused", "stopped", "ended"]:
        """
        Give C{producer} chunks until it pauses or stops, or the stream ends (its
        data runs out or it is closed). Return which of the three happened.
        """
        receive = producer._consumer.chunkReceived
        size = producer._maxChunkSize
        while True:
            if producer._stopped:
                return "stopped"
            if producer._paused:
                return "paused"
            holder = self._holder
            if holder is None:
                return "ended"
            # Read the bytes anew each time: the consumer may have changed the buffer.
            data = holder._data
            position = self._position
            if position >= len(data):
                return "ended"
            end = position + size
            if size <= _SMALL_SLICE and type(data) is bytearray:
                chunk = bytes(data[position:end])
            else:
                chunk = _slice(data, position, end)
            self._position = position + len(chunk)
            receive(chunk)

    def _deliver(self) -> None:
        """
        Serve the producers in order, in this one reactor turn, for as long as the
        first of them is neither paused nor waiting.
        """
        self._scheduled = False
        if self._delivering:
            return
        self._delivering = True
        producers = self._producers
        try:
            while producers:
                producer = producers[0]
                if producer._stopped:
                    producers.popleft()
                    continue
                if producer._paused:
                    return
                failed = producer._failed
                outcome = "ended" if failed is not None else self._streamChunks(producer)
                if outcome == "paused":
                    return
                if outcome == "stopped":
                    continue
                producers.popleft()
                producer._stopped = True
                producer._consumer.chunksEnded(failed)
        finally:
            self._delivering = False


def _slice(data: bytes | bytearray, start: int, end: int) -> bytes:
    """C{bytes(data[start:end])}, copying large slices of a bytearray only once."""
    if isinstance(data, bytes):
        return data[start:end]
    if end - start <= _SMALL_SLICE:
        return bytes(data[start:end])
    with memoryview(data) as view:
        return view[start:end].tobytes()


def _checkMode(where: str, mode: object) -> StreamMode:
    value = checkInt(where, "mode", mode)
    try:
        return StreamMode(value)
    except ValueError:
        raise TiValueError(
            f"{where}: mode must be MODE_READ, MODE_WRITE or MODE_APPEND, got {mode!r}"
        ) from None


class BufferStream(_MemoryStream):
    """
    C{Ti.BufferStream}: an IOStream over a shared L{Buffer}.

    Usually made with C{Ti.Stream.createStream({"source": buffer, "mode": mode})}.
    READ mode reads from offset 0; WRITE writes from offset 0 without truncating;
    APPEND writes from the buffer's length at creation. Writes past the end grow
    the buffer.

    @param reactor: the reactor for asynchronous delivery; the global reactor when
        L{None} (fetched when first needed).
    """

    apiName = "Ti.BufferStream"

    def __init__(self, buffer: Buffer, mode: int, reactor: Any = None) -> None:
        if not isinstance(buffer, Buffer):
            raise TiTypeError(
                f"{self.apiName}: buffer must be a Ti.Buffer, got {shortRepr(buffer)}"
            )
        super().__init__(buffer, _checkMode(self.apiName, mode), reactor)


class BlobStream(_MemoryStream):
    """
    C{Ti.BlobStream}: a read-only IOStream over a L{Blob}.

    Usually made with C{Ti.Stream.createStream({"source": blob, "mode": MODE_READ})}.

    @param reactor: the reactor for asynchronous delivery; the global reactor when
        L{None} (fetched when first needed).
    """

    apiName = "Ti.BlobStream"

    def __init__(self, blob: Blob, reactor: Any = None) -> None:
        if not isinstance(blob, Blob):
            raise TiTypeError(f"{self.apiName}: blob must be a Ti.Blob, got {shortRepr(blob)}")
        super().__init__(blob, MODE_READ, reactor)

    def _writeRefusal(self) -> str | None:
        if self._holder is None:
            return f"{self.apiName} is closed"
        return f"{self.apiName} is not writable: a blob is read-only"

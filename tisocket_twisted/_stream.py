"""
C{Ti.Stream}: C{read}, C{write}, C{readAll}, C{writeStream}, C{pump} and
C{createStream}, for every IOStream alike.

Everything here is written against the primitives of
L{tisocket_twisted._iostream} and nothing else, so a TCP socket, a
L{BufferStream}, a L{BlobStream} or any other IOStream is handled the same way:

  - asynchronous forms consume C{produceChunks} (a push producer) and
    C{writeChunk}; they return a L{Deferred} that fires (never errbacks) with
    the very event the optional callback receives, and callbacks never run
    before the starting call has returned;
  - synchronous forms check the stream's state (L{InvalidStateError} when it
    is not readable/writable), then C{checkBlockingAllowed} (a socket refuses
    to block the reactor thread), then loop over C{readNow}/C{writeNow}.

Started from a thread other than the reactor's, an asynchronous form hands its
start to the reactor thread with the stream's C{callSoon}; its callback and
Deferred fire in the reactor thread (from another thread, give a callback
rather than adding to the Deferred). The synchronous forms run in the calling
thread, handler calls of a synchronous C{pump} included.

Decisions where Titanium is silent:

  - C{writeStream} is asynchronous exactly when a callback is given
    (C{resultsCallback=None} is the synchronous form). For only a Deferred,
    pass a callback that does nothing: C{lambda event: None}.
  - C{readAll(stream, buffer)} is asynchronous with or without a callback; a
    callback without a buffer is a L{TiTypeError}.
  - C{pump}'s C{isAsync} must be a real L{bool}, as on Android.
  - A C{maxChunkSize} that is not a positive integer is a L{TiValueError}
    (a L{TiTypeError} when it is not an integer at all).
  - A failure event has C{bytesProcessed} -1 (also for C{writeStream}); an
    asynchronous C{writeStream} whose input is already at end of stream
    reports 0 with success, and the synchronous one returns 0.
  - The synchronous C{pump} ends with its failure call when C{readNow} raises
    L{TiSocketError} (the errno becomes C{code}), and with a success call when
    it raises L{InvalidStateError} (the stream was closed meanwhile, e.g. by
    the handler).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, TypeVar, cast, overload

from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

from ._args import checkCallable, checkInt, mergeOptions, require, trustConsumerType
from ._blob import Blob, shortRepr
from ._buffer import Buffer, _newBuffer
from ._bufferstream import BlobStream, BufferStream
from ._constants import MODE_APPEND, MODE_READ, MODE_WRITE, StreamMode
from ._errors import InvalidStateError, TiSocketError, TiTypeError, TiValueError
from ._events import Failed, PumpEvent, ReadEvent, WriteEvent, WriteStreamEvent
from ._iostream import (
    ChunkProducer,
    IOStream,
    IOStreamBase,
    parseTransfer,
    readIntoBuffer,
    writeFromBuffer,
)
from ._log import asDeferred, callUser, libraryLog, logFailure
from ._threads import inReactorThread

__all__ = ["Stream", "StreamModule"]

_newEvent = object.__new__

_E = TypeVar("_E")

#: Bytes asked for at a time by C{readAll} (synchronous and asynchronous).
_READ_ALL_CHUNK = 1 << 20


#: Classes other than IOStreamBase's found to provide IOStream (the check is slow).
_streamTypes: set[type] = set()


def _checkStream(where: str, name: str, stream: object) -> IOStream:
    """Return C{stream} if it provides L{IOStream}, else raise L{TiTypeError}."""
    if isinstance(stream, IOStreamBase) or type(stream) in _streamTypes:
        return cast(IOStream, stream)
    if not isinstance(stream, IOStream):
        raise TiTypeError(f"{where}: {name} must be an IOStream, got {shortRepr(stream)}")
    _streamTypes.add(type(stream))
    return stream


def _checkChunkSize(where: str, value: object) -> int:
    size = checkInt(where, "maxChunkSize", value)
    if size <= 0:
        raise TiValueError(f"{where}: maxChunkSize must be a positive integer, got {value!r}")
    return size


def _notReadable(stream: IOStream) -> str:
    return f"{stream.apiName} is not readable"


def _notWritable(stream: IOStream) -> str:
    return f"{stream.apiName} is not writable"


def _notify(event: _E, what: str, callback: Callable[[Any], object]) -> _E:
    """Give C{event} to the user's C{callback}, then pass it down the Deferred's chain."""
    callUser(what, callback, event)
    return event


def _start(
    stream: IOStream,
    begin: Callable[[], Deferred[_E]],
    what: str,
    callback: Callable[[Any], object] | None,
) -> Deferred[_E]:
    """
    Run C{begin} in the reactor thread; return a Deferred of its outcome, which
    calls the user's C{callback} (if any) first.

    Off the reactor thread the callback is attached before the work is handed
    over, so the caller's thread never touches a Deferred the reactor may fire.
    """
    if inReactorThread():
        d = begin()
        if callback is not None:
            d.addCallback(_notify, what, callback)
        return d
    outer: Deferred[_E] = Deferred()
    if callback is not None:
        outer.addCallback(_notify, what, callback)
    stream.callSoon(lambda: begin().chainDeferred(outer))
    return outer


@trustConsumerType
class _ReadAll:
    """Consumer of an asynchronous C{readAll}: fill C{buffer} from 0 and resize it."""

    __slots__ = ("buffer", "deferred", "producer", "stream", "total")

    def __init__(self, stream: IOStream, buffer: Buffer) -> None:
        self.stream = stream
        self.buffer = buffer
        self.total = 0
        self.deferred: Deferred[ReadEvent] = Deferred()
        self.producer: ChunkProducer | None = None

    def chunkReceived(self, data: bytes) -> None:
        start = self.total
        end = start + len(data)
        try:
            self.buffer._writable()[start:end] = data
        except BufferError:
            assert self.producer is not None
            self.producer.stopProducing()
            self.deferred.callback(ReadEvent(self.stream, -1, _viewHeld()))
            return
        self.total = end

    def chunksEnded(self, failed: Failed | None) -> None:
        if failed is None:
            try:
                del self.buffer._writable()[self.total :]
            except BufferError:
                failed = _viewHeld()
        if failed is None:
            self.deferred.callback(ReadEvent(self.stream, self.total))
        else:
            self.deferred.callback(ReadEvent(self.stream, -1, failed))


def _viewHeld() -> Failed:
    return Failed(-1, "Ti.Stream.readAll: cannot resize the buffer while a view of it exists")


def _resume(result: object, producer: ChunkProducer) -> None:
    """Resume C{producer} once a handler's Deferred has fired (logging its failure)."""
    if isinstance(result, Failure):
        logFailure(result, "pump")
    producer.resumeProducing()


@trustConsumerType
class _Pump:
    """Consumer of an asynchronous C{pump}: one handler call per chunk, then the last one."""

    __slots__ = ("deferred", "handler", "producer", "source", "total")

    def __init__(self, source: IOStream, handler: Callable[[Any], object]) -> None:
        self.source = source
        self.handler = handler
        self.total = 0
        self.deferred: Deferred[PumpEvent] = Deferred()
        self.producer: ChunkProducer | None = None

    def chunkReceived(self, data: bytes | bytearray) -> None:
        n = len(data)
        total = self.total = self.total + n
        # The chunk is bytes, or a bytearray that is this consumer's own (see
        # ChunkConsumer): the Buffer is made around it, no copy (bytes are
        # copied only if the handler changes the Buffer: Buffer._writable).
        # Buffer._wrap and callUser, inlined: this runs once per chunk.
        buffer = _newBuffer(Buffer)
        buffer._data = data
        buffer._type = buffer._value = buffer._byteOrder = None
        event = _newEvent(PumpEvent)  # PumpEvent(self.source, buffer, n, total), inlined
        event.source = self.source
        event.buffer = buffer
        event.bytesProcessed = n
        event.totalBytesProcessed = total
        event.success = True
        event.code = 0
        event.error = None
        handler = self.handler  # (a call through an attribute is slower)
        try:
            result = handler(event)
        except Exception:
            libraryLog.failure("Exception in user {what} callback", what="pump")
            return
        if result is None:
            return
        waiting = asDeferred(result)
        if waiting is None:
            return
        if waiting.called:
            waiting.addErrback(logFailure, "pump")
            return
        # Backpressure: a handler that returns a Deferred (or is async) gets no
        # further chunk until it has fired. One callback logs a failure (as
        # userDeferred would) and resumes.
        producer = self.producer
        assert producer is not None
        producer.pauseProducing()
        waiting.addBoth(_resume, producer)

    def chunksEnded(self, failed: Failed | None) -> None:
        event = PumpEvent(self.source, Buffer._wrap(b""), -1, self.total, failed)
        callUser("pump", self.handler, event)
        self.deferred.callback(event)


@trustConsumerType
class _Copy:
    """
    Consumer of an asynchronous C{writeStream}.

    Backpressure: the reader is paused from the moment a chunk arrives until the
    output stream has taken it, so at most one chunk is held whatever the speeds
    of the two streams.
    """

    __slots__ = (
        "deferred",
        "ended",
        "finished",
        "inStream",
        "outStream",
        "pending",
        "producer",
        "total",
        "writing",
    )

    def __init__(self, inStream: IOStream, outStream: IOStream) -> None:
        self.inStream = inStream
        self.outStream = outStream
        self.deferred: Deferred[WriteStreamEvent] = Deferred()
        self.producer: ChunkProducer | None = None
        self.total = 0
        self.pending = 0
        self.writing = False
        self.ended = False
        self.finished = False

    def begin(self, maxChunkSize: int) -> Deferred[WriteStreamEvent]:
        if not self.inStream.isReadable():
            self.inStream.callSoon(self.finish, Failed(-1, _notReadable(self.inStream)))
        elif not self.outStream.isWritable():
            self.inStream.callSoon(self.finish, Failed(-1, _notWritable(self.outStream)))
        else:
            self.producer = self.inStream.produceChunks(maxChunkSize, self)
        return self.deferred

    def chunkReceived(self, data: bytes) -> None:
        assert self.producer is not None
        self.producer.pauseProducing()
        self.writing = True
        self.pending = len(data)
        self.outStream.writeChunk(data, self.written)

    def written(self, failed: Failed | None) -> None:
        self.writing = False
        if self.finished:
            return
        if failed is not None:
            if not self.ended:
                assert self.producer is not None
                self.producer.stopProducing()
            self.finish(failed)
            return
        self.total += self.pending
        if self.ended:
            self.finish(None)
        else:
            assert self.producer is not None
            self.producer.resumeProducing()

    def chunksEnded(self, failed: Failed | None) -> None:
        self.ended = True
        if failed is not None or not self.writing:
            self.finish(failed)

    def finish(self, failed: Failed | None) -> None:
        if self.finished:
            return
        self.finished = True
        total = -1 if failed is not None else self.total
        self.deferred.callback(WriteStreamEvent(self.inStream, self.outStream, total, failed))


class StreamModule:
    """
    C{Ti.Stream}: Titanium's stream utilities, over any IOStream.

    The one instance is L{Stream} (C{Ti.Stream}).
    """

    __slots__ = ()

    apiName = "Ti.Stream"
    MODE_READ: StreamMode = MODE_READ
    MODE_WRITE: StreamMode = MODE_WRITE
    MODE_APPEND: StreamMode = MODE_APPEND

    def __repr__(self) -> str:
        return f"<{self.apiName}>"

    def createStream(self, params: object = None, **kwargs: object) -> BufferStream | BlobStream:
        """
        Make a stream over a Buffer (L{BufferStream}) or a Blob (L{BlobStream}).

        Takes C{{"source": buffer_or_blob, "mode": MODE_*}} or the same as keywords;
        both keys are required.

        @raise TiTypeError: a key is missing or unknown, or C{source} is neither a
            Buffer nor a Blob, or C{mode} is not an integer.
        @raise TiValueError: an unknown mode, or a Blob in WRITE or APPEND mode.
        """
        where = "Ti.Stream.createStream"
        options = mergeOptions(where, params, kwargs, ("source", "mode"))
        source = require(where, options, "source")
        value = checkInt(where, "mode", require(where, options, "mode"))
        if value not in (MODE_READ, MODE_WRITE, MODE_APPEND):
            raise TiValueError(
                f"{where}: mode must be MODE_READ, MODE_WRITE or MODE_APPEND, got {value!r}"
            )
        mode = StreamMode(value)
        if isinstance(source, Buffer):
            return BufferStream(source, mode)
        if isinstance(source, Blob):
            if mode != MODE_READ:
                raise TiValueError(
                    f"{where}: a Blob is read-only, mode must be MODE_READ, got {mode.name}"
                )
            return BlobStream(source)
        raise TiTypeError(
            f"{where}: source must be a Ti.Buffer or a Ti.Blob, got {shortRepr(source)}"
        )

    def read(
        self,
        sourceStream: IOStream,
        buffer: Buffer,
        offset: Any = None,
        length: Any = None,
        resultsCallback: Any = None,
    ) -> Deferred[ReadEvent]:
        """
        Read asynchronously from C{sourceStream} into C{buffer} (at C{offset}).

        Delivers what is available: at least one byte and at most C{length} (or
        the room in the buffer), or -1 at end of stream. The buffer is never
        resized. C{offset} and C{length} go together; the callback may also be the
        third argument. Returns a Deferred firing with the L{ReadEvent} the
        callback gets; a stream that is not readable gives a failure event.
        """
        where = "Ti.Stream.read"
        stream = _checkStream(where, "sourceStream", sourceStream)
        buf, start, count, callback = parseTransfer(where, buffer, offset, length, resultsCallback)
        return _start(stream, lambda: readIntoBuffer(stream, buf, start, count), "read", callback)

    def write(
        self,
        outputStream: IOStream,
        buffer: Buffer,
        offset: Any = None,
        length: Any = None,
        resultsCallback: Any = None,
    ) -> Deferred[WriteEvent]:
        """
        Write C{buffer} (from C{offset}, C{length} bytes) to C{outputStream}, asynchronously.

        Returns a Deferred firing with the L{WriteEvent} the optional callback
        gets once the stream has taken the bytes; a stream that is not writable
        gives a failure event.
        """
        where = "Ti.Stream.write"
        stream = _checkStream(where, "outputStream", outputStream)
        if (
            offset is None
            and length is None
            and resultsCallback is None
            and type(buffer) is Buffer
            and inReactorThread()
        ):
            # The common form, Ti.Stream.write(sock, buffer), without the general parsing.
            return writeFromBuffer(stream, buffer, 0, len(buffer._data))
        buf, start, count, callback = parseTransfer(where, buffer, offset, length, resultsCallback)
        return _start(stream, lambda: writeFromBuffer(stream, buf, start, count), "write", callback)

    @overload
    def readAll(self, sourceStream: IOStream) -> Buffer: ...

    @overload
    def readAll(
        self, sourceStream: IOStream, buffer: Buffer, resultsCallback: Any = None
    ) -> Deferred[ReadEvent]: ...

    def readAll(
        self, sourceStream: IOStream, buffer: Any = None, resultsCallback: Any = None
    ) -> Buffer | Deferred[ReadEvent]:
        """
        Read everything up to end of stream.

        C{readAll(stream)} is synchronous and returns a new Buffer (a socket in
        the reactor thread raises L{WouldBlockError}: use the asynchronous form).
        C{readAll(stream, buffer[, callback])} is asynchronous: C{buffer} is filled
        from offset 0 and resized to the data; the returned Deferred fires with
        the L{ReadEvent} (C{bytesProcessed} is the total) the callback gets.

        @raise InvalidStateError: synchronous form on a stream that is not readable.
        """
        where = "Ti.Stream.readAll"
        stream = _checkStream(where, "sourceStream", sourceStream)
        if buffer is None:
            if resultsCallback is not None:
                raise TiTypeError(f"{where}: a resultsCallback needs a buffer, got None")
            if not stream.isReadable():
                raise InvalidStateError(f"{where}: {_notReadable(stream)}")
            stream.checkBlockingAllowed("readAll")
            out = bytearray()
            while True:
                data = stream.readNow(_READ_ALL_CHUNK)
                if data is None:
                    return Buffer._wrap(out)
                out += data
        if not isinstance(buffer, Buffer):
            raise TiTypeError(f"{where}: buffer must be a Ti.Buffer, got {shortRepr(buffer)}")
        callback = checkCallable(where, "resultsCallback", resultsCallback)

        def begin() -> Deferred[ReadEvent]:
            reader = _ReadAll(stream, buffer)
            reader.producer = stream.produceChunks(_READ_ALL_CHUNK, reader)
            return reader.deferred

        return _start(stream, begin, "readAll", callback)

    @overload
    def writeStream(
        self,
        inputStream: IOStream,
        outputStream: IOStream,
        maxChunkSize: int,
        resultsCallback: None = None,
    ) -> int: ...

    @overload
    def writeStream(
        self,
        inputStream: IOStream,
        outputStream: IOStream,
        maxChunkSize: int,
        resultsCallback: Callable[[WriteStreamEvent], object],
    ) -> Deferred[WriteStreamEvent]: ...

    def writeStream(
        self,
        inputStream: IOStream,
        outputStream: IOStream,
        maxChunkSize: int,
        resultsCallback: Callable[[WriteStreamEvent], object] | None = None,
    ) -> int | Deferred[WriteStreamEvent]:
        """
        Copy C{inputStream} to C{outputStream} until end of stream, C{maxChunkSize}
        bytes at a time.

        Asynchronous exactly when a callback is given: it returns a Deferred
        firing with the L{WriteStreamEvent} (C{bytesProcessed} is the total) the
        callback gets. To get only the Deferred, pass a callback that does nothing
        (C{lambda event: None}). While a chunk is being written the reader is
        paused, so at most one chunk is held in memory.

        Without a callback it is synchronous and returns the total copied (a
        socket on either side, in the reactor thread, raises L{WouldBlockError}).

        @raise InvalidStateError: synchronous form with an input that is not
            readable or an output that is not writable.
        """
        where = "Ti.Stream.writeStream"
        inStream = _checkStream(where, "inputStream", inputStream)
        outStream = _checkStream(where, "outputStream", outputStream)
        size = _checkChunkSize(where, maxChunkSize)
        callback = checkCallable(where, "resultsCallback", resultsCallback)
        if callback is None:
            if not inStream.isReadable():
                raise InvalidStateError(f"{where}: {_notReadable(inStream)}")
            if not outStream.isWritable():
                raise InvalidStateError(f"{where}: {_notWritable(outStream)}")
            inStream.checkBlockingAllowed("writeStream")
            outStream.checkBlockingAllowed("writeStream")
            total = 0
            while True:
                data = inStream.readNow(size)
                if data is None:
                    return total
                total += outStream.writeNow(data)
        return _start(
            inStream, lambda: _Copy(inStream, outStream).begin(size), "writeStream", callback
        )

    @overload
    def pump(
        self,
        inputStream: IOStream,
        handler: Callable[[PumpEvent], object],
        maxChunkSize: int,
        isAsync: Literal[False] = False,
    ) -> None: ...

    @overload
    def pump(
        self,
        inputStream: IOStream,
        handler: Callable[[PumpEvent], object],
        maxChunkSize: int,
        isAsync: Literal[True],
    ) -> Deferred[PumpEvent]: ...

    @overload
    def pump(
        self,
        inputStream: IOStream,
        handler: Callable[[PumpEvent], object],
        maxChunkSize: int,
        isAsync: bool,
    ) -> Deferred[PumpEvent] | None: ...

    def pump(
        self,
        inputStream: IOStream,
        handler: Callable[[PumpEvent], object],
        maxChunkSize: int,
        isAsync: bool = False,
    ) -> Deferred[PumpEvent] | None:
        """
        Call C{handler} with each chunk of C{inputStream} until it ends.

        Each call gets a L{PumpEvent} with a new Buffer of 1 to C{maxChunkSize}
        bytes; chunks carry no framing. Then exactly one last call has
        C{bytesProcessed} -1 and an empty Buffer: C{success} true at end of stream
        or after a local C{close()}, false with the C{code} and C{error} of a
        failure (a stream not readable when an asynchronous pump starts fails with
        code -1). C{totalBytesProcessed} counts every byte so far.

        With C{isAsync} true it returns at once, with a Deferred firing with the
        last event. A handler that returns a L{Deferred} (for instance the one
        of C{Ti.Stream.write}), or is an C{async def}, gets no further chunk until
        that has fired: that is how a pump gets backpressure (an echo server
        that returns its write's Deferred reads no faster than its peer reads).
        With C{isAsync} false it returns when the stream has ended (a socket in
        the reactor thread raises L{WouldBlockError}: use C{isAsync=True}).

        @raise InvalidStateError: synchronous form on a stream that is not readable.
        """
        where = "Ti.Stream.pump"
        if isinstance(inputStream, IOStreamBase):  # _checkStream's fast path, inlined
            stream: IOStream = inputStream
        else:
            stream = _checkStream(where, "inputStream", inputStream)
        if not callable(handler):
            raise TiTypeError(f"{where}: handler must be callable, got {shortRepr(handler)}")
        if type(maxChunkSize) is int and maxChunkSize > 0:
            size = maxChunkSize
        else:
            size = _checkChunkSize(where, maxChunkSize)
        if isAsync is True:
            if inReactorThread():
                pumping = _Pump(stream, handler)
                pumping.producer = stream.produceChunks(size, pumping)
                return pumping.deferred

            def begin() -> Deferred[PumpEvent]:
                pumping = _Pump(stream, handler)
                pumping.producer = stream.produceChunks(size, pumping)
                return pumping.deferred

            return _start(stream, begin, "pump", None)
        if isAsync is not False:
            raise TiTypeError(f"{where}: isAsync must be True or False, got {shortRepr(isAsync)}")
        if not stream.isReadable():
            raise InvalidStateError(f"{where}: {_notReadable(stream)}")
        stream.checkBlockingAllowed("pump")
        _pumpNow(stream, handler, size)
        return None


def _pumpNow(stream: IOStream, handler: Callable[[PumpEvent], object], size: int) -> None:
    """
    The synchronous pump loop.

    C{readNow} ends it with L{None} (end of stream), L{InvalidStateError} (the
    stream was closed meanwhile: a local close, reported as success) or
    L{TiSocketError} (a failure, reported with its errno).
    """
    total = 0
    failed: Failed | None = None
    readNow = stream.readNow
    while True:
        try:
            data = readNow(size)
        except InvalidStateError:
            break
        except TiSocketError as e:
            code = e.errno if isinstance(e.errno, int) else -1
            failed = Failed(code, str(e.strerror or e))
            break
        if data is None:
            break
        n = len(data)
        total += n
        callUser("pump", handler, PumpEvent(stream, Buffer._wrap(bytearray(data)), n, total))
    callUser("pump", handler, PumpEvent(stream, Buffer._wrap(b""), -1, total, failed))


#: The C{Ti.Stream} object.
Stream = StreamModule()

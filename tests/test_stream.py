"""
Ti.Stream over buffer and blob streams, and over a socket-like IOStream.

L{FakeStream} is a small asynchronous IOStream in memory, driven by a
L{Clock}: data arrives in pieces of any size at chosen times, the stream ends
by end of stream, a L{Failed} or a local close, writes complete after a delay,
and it counts pauses and resumes. It stands in for a TCP socket: Ti.Stream
must handle it through the IOStream primitives alone.
"""

from __future__ import annotations

import errno
import threading
from collections import deque
from collections.abc import Callable
from typing import Any

import pytest
import pytest_twisted
from hypothesis import given, settings
from hypothesis import strategies as st
from twisted.internet.defer import Deferred, fail
from twisted.internet.task import Clock
from twisted.logger import capturedLogs

from tisocket_twisted import (
    Blob,
    BlobStream,
    Buffer,
    BufferStream,
    InvalidStateError,
    PumpEvent,
    ReadEvent,
    Stream,
    Ti,
    TiBoundsError,
    TiSocketError,
    TiTypeError,
    TiValueError,
    WouldBlockError,
    WriteEvent,
    WriteStreamEvent,
)
from tisocket_twisted._constants import MODE_APPEND, MODE_READ, MODE_WRITE
from tisocket_twisted._events import Failed
from tisocket_twisted._iostream import ChunkConsumer, ChunkProducer, IOStreamBase
from tisocket_twisted.testing import MemoryNetwork, memoryPair


def buf(data: bytes = b"") -> Buffer:
    """A Buffer owning a copy of C{data}."""
    return Buffer._wrap(bytearray(data))


def makeBlob(data: bytes) -> Blob:
    """A Blob holding C{data}."""
    return Blob(data)


class FakeProducer:
    """The producer handle of L{FakeStream}; counts pauses and resumes on its stream."""

    def __init__(
        self, stream: FakeStream, size: int, consumer: ChunkConsumer, failed: Failed | None
    ) -> None:
        self.stream = stream
        self.size = size
        self.consumer = consumer
        self.failed = failed
        self.paused = False
        self.stopped = False

    def pauseProducing(self) -> None:
        self.stream.pauses += 1
        self.paused = True

    def resumeProducing(self) -> None:
        self.stream.resumes += 1
        if self.paused:
            self.paused = False
            self.stream.schedule()

    def stopProducing(self) -> None:
        self.stream.stops += 1
        self.stopped = True
        self.stream.schedule()


class FakeStream(IOStreamBase):
    """
    A socket-like IOStream in memory, for tests.

    @param blocking: whether synchronous forms may block (a worker thread); a
        blocking C{readNow} lets the clock run until data or the end arrives.
        When false, C{checkBlockingAllowed} raises L{WouldBlockError}, as a socket
        does in the reactor thread.
    @param writeDelay: seconds before a C{writeChunk} completes.
    """

    apiName = "Test.FakeStream"

    def __init__(self, clock: Clock, *, blocking: bool = False, writeDelay: float = 0.0) -> None:
        self.clock = clock
        self.blocking = blocking
        self.writeDelay = writeDelay
        self.inbox = bytearray()
        self.ended = False
        self.failure: Failed | None = None
        self.closed = False
        self.producers: deque[FakeProducer] = deque()
        self.scheduled = False
        self.pauses = 0
        self.resumes = 0
        self.stops = 0
        #: Bytes handed to consumers and to readNow callers.
        self.taken = 0
        #: Bytes given to writeChunk / writeNow, and the sizes of those writes.
        self.sent = bytearray()
        self.writeSizes: list[int] = []
        #: Bytes whose write has completed.
        self.written = 0
        self.outstanding = 0
        self.maxOutstanding = 0
        self.writeFailure: Failed | None = None
        self.blockingChecks: list[str] = []

    # Driving the stream from a test.
    def receive(self, data: bytes) -> None:
        self.inbox += data
        self.schedule()

    def receiveInPieces(self, data: bytes, sizes: list[int], interval: float = 1.0) -> None:
        """Arrange for C{data} to arrive in pieces of the given sizes (cycled), then the end."""
        when = 0.0
        position = 0
        index = 0
        while position < len(data):
            size = sizes[index % len(sizes)]
            self.clock.callLater(when, self.receive, data[position : position + size])
            position += size
            index += 1
            when += interval
        self.clock.callLater(when, self.end)

    def end(self, failure: Failed | None = None) -> None:
        self.ended = True
        self.failure = failure
        self.schedule()

    def schedule(self) -> None:
        if not self.scheduled:
            self.scheduled = True
            self.clock.callLater(0, self.deliver)

    def deliver(self) -> None:
        self.scheduled = False
        while self.producers:
            producer = self.producers[0]
            if producer.stopped:
                self.producers.popleft()
                continue
            if producer.paused:
                if self.failure is None:
                    return
                # An error reaches every consumer at once, paused or not.
                self.producers.popleft()
                producer.stopped = True
                producer.consumer.chunksEnded(self.failure)
                continue
            if producer.failed is None and self.inbox and not self.closed:
                chunk = bytes(self.inbox[: producer.size])
                del self.inbox[: len(chunk)]
                self.taken += len(chunk)
                producer.consumer.chunkReceived(chunk)
                continue
            if producer.failed is None and not self.closed and not self.ended:
                return
            self.producers.popleft()
            producer.stopped = True
            producer.consumer.chunksEnded(None if self.closed else producer.failed or self.failure)

    # Titanium's IOStream methods.
    def isReadable(self) -> bool:
        return not self.closed and self.failure is None

    def isWritable(self) -> bool:
        return not self.closed and self.failure is None

    def close(self) -> None:
        self.closed = True
        self.schedule()

    # Primitives.
    def produceChunks(self, maxChunkSize: int, consumer: ChunkConsumer) -> ChunkProducer:
        failed = None if self.isReadable() else Failed(-1, "Test.FakeStream is not readable")
        producer = FakeProducer(self, maxChunkSize, consumer, failed)
        self.producers.append(producer)
        self.schedule()
        return producer

    def writeChunk(self, data: bytes, done: Callable[[Failed | None], None]) -> None:
        if not self.isWritable():
            self.clock.callLater(0, done, Failed(-1, "Test.FakeStream is not writable"))
            return
        if self.writeFailure is not None:
            self.clock.callLater(self.writeDelay, done, self.writeFailure)
            return
        self.sent += data
        self.writeSizes.append(len(data))
        self.outstanding += 1
        self.maxOutstanding = max(self.maxOutstanding, self.outstanding)

        def complete() -> None:
            self.outstanding -= 1
            self.written += len(data)
            done(None)

        self.clock.callLater(self.writeDelay, complete)

    def readNow(self, maxLength: int) -> bytes | None:
        if self.closed:
            raise InvalidStateError("Test.FakeStream is closed")
        while not self.inbox and not self.ended:
            if not self.blocking:
                raise WouldBlockError("Test.FakeStream: no data yet")
            calls = self.clock.getDelayedCalls()
            assert calls, "a blocking read would wait forever"
            self.clock.advance(max(0.0, min(c.getTime() for c in calls) - self.clock.seconds()))
        if self.inbox:
            chunk = bytes(self.inbox[:maxLength])
            del self.inbox[: len(chunk)]
            self.taken += len(chunk)
            return chunk
        if self.failure is not None:
            raise TiSocketError(self.failure.code, self.failure.message)
        return None

    def writeNow(self, data: bytes) -> int:
        if not self.isWritable():
            raise InvalidStateError("Test.FakeStream is not writable")
        self.sent += data
        self.writeSizes.append(len(data))
        self.written += len(data)
        return len(data)

    def checkBlockingAllowed(self, operation: str) -> None:
        self.blockingChecks.append(operation)
        if not self.blocking:
            raise WouldBlockError(f"Test.FakeStream: {operation} would block the reactor thread")

    def callSoon(self, f: Callable[..., object], *args: object) -> None:
        self.clock.callLater(0, f, *args)


RESET = Failed(errno.ECONNRESET, "Connection reset by peer")


@pytest.fixture
def clock() -> Clock:
    return Clock()


def reader(data: bytes, clock: Clock) -> BufferStream:
    return BufferStream(buf(data), MODE_READ, reactor=clock)


def writer(clock: Clock, target: Buffer | None = None) -> BufferStream:
    return BufferStream(target if target is not None else buf(), MODE_WRITE, reactor=clock)


def settle(clock: Clock) -> None:
    """Run the clock until nothing is scheduled."""
    for _ in range(100_000):
        calls = clock.getDelayedCalls()
        if not calls:
            return
        clock.advance(max(0.0, min(c.getTime() for c in calls) - clock.seconds()))
    raise AssertionError("the clock never settles")


def result(d: Deferred[Any]) -> Any:
    """The result a fired Deferred holds (it must not have failed)."""
    results: list[Any] = []

    def keep(value: Any) -> Any:
        results.append(value)
        return value

    d.addBoth(keep)
    assert results, "the Deferred has not fired"
    assert not hasattr(results[0], "raiseException"), results[0]
    return results[0]


class Handler:
    """A pump handler recording its events."""

    def __init__(self, action: Callable[[PumpEvent], object] | None = None) -> None:
        self.events: list[PumpEvent] = []
        self.action = action

    def __call__(self, event: PumpEvent) -> None:
        assert not self.events or self.events[-1].bytesProcessed != -1, "call after the last one"
        self.events.append(event)
        if self.action is not None:
            self.action(event)

    @property
    def chunks(self) -> list[bytes]:
        return [bytes(e.buffer) for e in self.events if e.bytesProcessed != -1]

    @property
    def last(self) -> PumpEvent:
        assert self.events[-1].bytesProcessed == -1
        assert [e.bytesProcessed for e in self.events].count(-1) == 1
        return self.events[-1]


class TestModule:
    def test_constants(self) -> None:
        assert (Stream.MODE_READ, Stream.MODE_WRITE, Stream.MODE_APPEND) == (0, 1, 2)
        assert Stream.MODE_READ is MODE_READ

    def test_constantsReadOnly(self) -> None:
        with pytest.raises(AttributeError):
            Stream.MODE_READ = 5  # type: ignore[misc]
        assert Stream.MODE_READ == 0

    def test_namespace(self) -> None:
        assert Ti.Stream is Stream
        assert Stream.apiName == "Ti.Stream"
        assert repr(Stream) == "<Ti.Stream>"


class Delegating:
    """An IOStream that does not derive from IOStreamBase: it forwards to another."""

    apiName = "Test.Delegating"

    def __init__(self, inner: IOStreamBase) -> None:
        self.inner = inner

    def read(self, *args: Any) -> int:
        return self.inner.read(*args)

    def write(self, *args: Any) -> int:
        return self.inner.write(*args)

    def isReadable(self) -> bool:
        return self.inner.isReadable()

    def isWritable(self) -> bool:
        return self.inner.isWritable()

    def close(self) -> None:
        self.inner.close()

    def produceChunks(self, maxChunkSize: int, consumer: ChunkConsumer) -> ChunkProducer:
        return self.inner.produceChunks(maxChunkSize, consumer)

    def writeChunk(self, data: bytes, done: Callable[[Failed | None], None]) -> None:
        self.inner.writeChunk(data, done)

    def readNow(self, maxLength: int) -> bytes | None:
        return self.inner.readNow(maxLength)

    def writeNow(self, data: bytes) -> int:
        return self.inner.writeNow(data)

    def checkBlockingAllowed(self, operation: str) -> None:
        self.inner.checkBlockingAllowed(operation)

    def callSoon(self, f: Callable[..., object], *args: object) -> None:
        self.inner.callSoon(f, *args)


class TestAnyIOStream:
    def test_notDerivedFromIOStreamBase(self, clock: Clock) -> None:
        stream = Delegating(reader(b"abcde", clock))
        for _ in range(2):
            handler = Handler()
            d = Stream.pump(stream, handler, 2, True)
            clock.advance(0)
            assert result(d).source is stream
        assert bytes(Stream.readAll(Delegating(reader(b"xyz", clock)))) == b"xyz"

    def test_chunkEventsAreWholePumpEvents(self, clock: Clock) -> None:
        """The pump builds its per-chunk events inline: the same fields as PumpEvent(...)."""
        stream = reader(b"abcde", clock)
        handler = Handler()
        d = Stream.pump(stream, handler, 2, True)
        clock.advance(0)
        result(d)
        chunkEvents = handler.events[:-1]
        assert [e.bytesProcessed for e in chunkEvents] == [2, 2, 1]
        for e in chunkEvents:
            built = PumpEvent(e.source, e.buffer, e.bytesProcessed, e.totalBytesProcessed)
            assert type(e) is PumpEvent
            assert dict(e) == dict(built)
            assert repr(e) == repr(built)

    def test_missingPrimitive(self) -> None:
        class Partial:
            apiName = "Test.Partial"

            def isReadable(self) -> bool:
                return True

        with pytest.raises(TiTypeError, match="inputStream must be an IOStream"):
            Stream.pump(Partial(), Handler(), 2)  # type: ignore[call-overload]


class TestCreateStream:
    @pytest.mark.parametrize("mode", [MODE_READ, MODE_WRITE, MODE_APPEND])
    def test_buffer(self, mode: int) -> None:
        source = buf(b"abc")
        stream = Stream.createStream({"source": source, "mode": mode})
        assert isinstance(stream, BufferStream)
        assert stream.isReadable() is (mode == MODE_READ)
        assert stream.isWritable() is (mode != MODE_READ)

    def test_keywords(self) -> None:
        stream = Stream.createStream(source=buf(b"abc"), mode=Stream.MODE_READ)
        assert stream.readNow(10) == b"abc"

    def test_appendStartsAtTheEnd(self) -> None:
        target = buf(b"abc")
        stream = Stream.createStream(source=target, mode=Stream.MODE_APPEND)
        stream.write(buf(b"de"))
        assert bytes(target) == b"abcde"

    def test_blob(self) -> None:
        stream = Stream.createStream({"source": makeBlob(b"xyz"), "mode": Stream.MODE_READ})
        assert isinstance(stream, BlobStream)
        assert stream.readNow(10) == b"xyz"

    @pytest.mark.parametrize("mode", [MODE_WRITE, MODE_APPEND])
    def test_blobWritable(self, mode: int) -> None:
        with pytest.raises(TiValueError, match=r"Blob is read-only.*MODE_"):
            Stream.createStream(source=makeBlob(b"xyz"), mode=mode)

    @pytest.mark.parametrize("source", [buf(b"a"), makeBlob(b"a")])
    @pytest.mark.parametrize("mode", [-1, 3, 99])
    def test_unknownMode(self, source: object, mode: int) -> None:
        with pytest.raises(TiValueError, match=f"mode must be .*got {mode}"):
            Stream.createStream(source=source, mode=mode)

    @pytest.mark.parametrize("mode", ["read", 0.0, None, True])
    def test_modeType(self, mode: object) -> None:
        with pytest.raises(TiTypeError, match="mode must be an integer"):
            Stream.createStream(source=buf(), mode=mode)

    @pytest.mark.parametrize("key", ["source", "mode"])
    def test_missingKey(self, key: str) -> None:
        options: dict[str, object] = {"source": buf(), "mode": MODE_READ}
        del options[key]
        with pytest.raises(TiTypeError, match=f"missing required option '{key}'"):
            Stream.createStream(options)

    def test_noOptions(self) -> None:
        with pytest.raises(TiTypeError, match="missing required option"):
            Stream.createStream()

    @pytest.mark.parametrize("source", [b"bytes", "text", None, 42])
    def test_wrongSource(self, source: object) -> None:
        with pytest.raises(TiTypeError, match=r"source must be a Ti\.Buffer or a Ti\.Blob"):
            Stream.createStream(source=source, mode=MODE_READ)

    def test_unknownKey(self) -> None:
        with pytest.raises(TiTypeError, match="unknown option 'mdoe'"):
            Stream.createStream({"source": buf(), "mode": MODE_READ, "mdoe": 1})

    def test_notADict(self) -> None:
        with pytest.raises(TiTypeError):
            Stream.createStream(buf())

    @pytest_twisted.inlineCallbacks
    def test_usesTheGlobalReactor(self) -> Any:
        stream = Stream.createStream(source=buf(b"abc"), mode=MODE_READ)
        event = yield Stream.pump(stream, lambda e: None, 2, True)
        assert (event.bytesProcessed, event.totalBytesProcessed) == (-1, 3)


class TestRead:
    def test_deferredAndCallbackGetTheSameEvent(self, clock: Clock) -> None:
        stream = reader(b"abcdef", clock)
        out = buf(bytes(4))
        events: list[ReadEvent] = []
        d = Stream.read(stream, out, events.append)
        assert isinstance(d, Deferred)
        assert not d.called
        assert events == []
        clock.advance(0)
        event = result(d)
        assert events == [event]
        assert isinstance(event, ReadEvent)
        assert (event.source, event.bytesProcessed, event.success, event.code) == (
            stream,
            4,
            True,
            0,
        )
        assert (event.error, event.errorState, event.errorDescription) == (None, 0, "")
        assert bytes(out) == b"abcd"

    def test_callbackOptional(self, clock: Clock) -> None:
        stream = reader(b"abc", clock)
        out = buf(bytes(2))
        d = Stream.read(stream, out)
        clock.advance(0)
        assert result(d).bytesProcessed == 2

    def test_offsetLengthAndCallback(self, clock: Clock) -> None:
        stream = reader(b"abcdef", clock)
        out = buf(b"..........")
        events: list[ReadEvent] = []
        Stream.read(stream, out, 2, 3, events.append)
        clock.advance(0)
        assert events[0].bytesProcessed == 3
        assert bytes(out) == b"..abc....."

    def test_keywordCallback(self, clock: Clock) -> None:
        stream = reader(b"abc", clock)
        events: list[ReadEvent] = []
        Stream.read(stream, buf(bytes(5)), resultsCallback=events.append)
        clock.advance(0)
        assert events[0].bytesProcessed == 3

    def test_bufferNeverResized(self, clock: Clock) -> None:
        stream = reader(b"abcdef", clock)
        out = buf(bytes(2))
        Stream.read(stream, out)
        clock.advance(0)
        assert out.length == 2
        short = buf(bytes(10))
        d = Stream.read(stream, short)
        clock.advance(0)
        assert result(d).bytesProcessed == 4
        assert short.length == 10

    def test_endOfStream(self, clock: Clock) -> None:
        d = Stream.read(reader(b"", clock), buf(bytes(4)))
        clock.advance(0)
        event = result(d)
        assert (event.bytesProcessed, event.success, event.code, event.error) == (-1, True, 0, None)

    def test_offsetAtEndReadsNothing(self, clock: Clock) -> None:
        stream = reader(b"abc", clock)
        d = Stream.read(stream, buf(b"12"), 2, 4)
        clock.advance(0)
        assert result(d).bytesProcessed == 0
        assert stream.readNow(5) == b"abc"

    def test_lengthClamped(self, clock: Clock) -> None:
        out = buf(bytes(3))
        d = Stream.read(reader(b"abcdef", clock), out, 1, 50)
        clock.advance(0)
        assert result(d).bytesProcessed == 2
        assert bytes(out) == b"\0ab"

    def test_intoABufferAroundReceivedBytes(self, clock: Clock) -> None:
        received = b"123"
        out = Buffer._wrap(received)  # as a pump's Buffer: copied on the first change
        d = Stream.read(reader(b"ab", clock), out, 1, 2)
        clock.advance(0)
        assert result(d).bytesProcessed == 2
        assert (bytes(out), received) == (b"1ab", b"123")

    @pytest.mark.parametrize("mode", [MODE_WRITE, MODE_APPEND])
    def test_notReadable(self, clock: Clock, mode: int) -> None:
        stream = BufferStream(buf(b"abc"), mode, reactor=clock)
        out = buf(b"12")
        events: list[ReadEvent] = []
        d = Stream.read(stream, out, events.append)
        clock.advance(0)
        event = result(d)
        assert events == [event]
        assert (event.bytesProcessed, event.success, event.code, event.errorState) == (
            -1,
            False,
            -1,
            1,
        )
        assert "not readable" in (event.error or "")
        assert event.errorDescription == event.error
        assert bytes(out) == b"12"

    def test_closed(self, clock: Clock) -> None:
        stream = reader(b"abc", clock)
        stream.close()
        d = Stream.read(stream, buf(b"12"))
        clock.advance(0)
        assert (result(d).success, result(d).code) == (False, -1)

    def test_readsWhatIsAvailable(self, clock: Clock) -> None:
        stream = FakeStream(clock)
        out = buf(bytes(10))
        d = Stream.read(stream, out)
        clock.advance(0)
        assert not d.called
        stream.receive(b"abc")
        clock.advance(0)
        assert result(d).bytesProcessed == 3
        assert bytes(out) == b"abc" + bytes(7)

    def test_readsAtMostLength(self, clock: Clock) -> None:
        stream = FakeStream(clock)
        stream.receive(b"abcdefgh")
        out = buf(bytes(10))
        d = Stream.read(stream, out, 0, 3)
        clock.advance(0)
        assert result(d).bytesProcessed == 3
        assert stream.inbox == b"defgh"

    def test_pendingReadsServedInOrder(self, clock: Clock) -> None:
        stream = FakeStream(clock)
        first, second = buf(bytes(2)), buf(bytes(2))
        d1 = Stream.read(stream, first)
        d2 = Stream.read(stream, second)
        stream.receive(b"abcd")
        clock.advance(0)
        assert (result(d1).bytesProcessed, result(d2).bytesProcessed) == (2, 2)
        assert (bytes(first), bytes(second)) == (b"ab", b"cd")

    def test_failure(self, clock: Clock) -> None:
        stream = FakeStream(clock)
        d = Stream.read(stream, buf(bytes(4)))
        stream.end(RESET)
        clock.advance(0)
        event = result(d)
        assert (event.bytesProcessed, event.success, event.code) == (-1, False, errno.ECONNRESET)
        assert event.error == "Connection reset by peer"

    def test_localClose(self, clock: Clock) -> None:
        stream = FakeStream(clock)
        d = Stream.read(stream, buf(bytes(4)))
        clock.advance(0)
        stream.close()
        clock.advance(0)
        event = result(d)
        assert (event.bytesProcessed, event.success, event.code) == (-1, True, 0)

    def test_fakeEndOfStream(self, clock: Clock) -> None:
        stream = FakeStream(clock)
        stream.receive(b"x")
        stream.end()
        d1 = Stream.read(stream, buf(bytes(4)))
        d2 = Stream.read(stream, buf(bytes(4)))
        clock.advance(0)
        assert (result(d1).bytesProcessed, result(d2).bytesProcessed) == (1, -1)
        assert result(d2).success

    def test_callbackException(self, clock: Clock) -> None:
        def boom(event: ReadEvent) -> None:
            raise ValueError("in the callback")

        with capturedLogs() as events:
            d = Stream.read(reader(b"abc", clock), buf(bytes(2)), boom)
            clock.advance(0)
        assert result(d).bytesProcessed == 2
        assert any(e.get("log_failure") is not None for e in events)

    def test_notAStream(self) -> None:
        with pytest.raises(TiTypeError, match="sourceStream must be an IOStream, got 'nope'"):
            Stream.read("nope", buf(b"x"))  # type: ignore[arg-type]

    def test_notABuffer(self, clock: Clock) -> None:
        with pytest.raises(TiTypeError, match=r"buffer must be a Ti\.Buffer, got b'x'"):
            Stream.read(reader(b"", clock), b"x")  # type: ignore[arg-type]

    def test_offsetWithoutLength(self, clock: Clock) -> None:
        with pytest.raises(TiTypeError, match="offset and length"):
            Stream.read(reader(b"", clock), buf(b"x"), 0)

    def test_offsetPastEnd(self, clock: Clock) -> None:
        with pytest.raises(TiBoundsError, match="offset 5"):
            Stream.read(reader(b"", clock), buf(b"abc"), 5, 1)

    def test_badCallback(self, clock: Clock) -> None:
        with pytest.raises(TiTypeError, match="resultsCallback must be callable"):
            Stream.read(reader(b"", clock), buf(b"abc"), 0, 1, "cb")

    def test_badArgumentsScheduleNothing(self, clock: Clock) -> None:
        stream = reader(b"abc", clock)
        with pytest.raises(TiBoundsError):
            Stream.read(stream, buf(b"abc"), 5, 1)
        assert clock.getDelayedCalls() == []


class TestWrite:
    def test_deferredAndCallback(self, clock: Clock) -> None:
        target = buf()
        stream = writer(clock, target)
        events: list[WriteEvent] = []
        d = Stream.write(stream, buf(b"hello"), events.append)
        assert not d.called
        assert events == []
        clock.advance(0)
        event = result(d)
        assert events == [event]
        assert isinstance(event, WriteEvent)
        assert (event.source, event.bytesProcessed, event.success, event.code) == (
            stream,
            5,
            True,
            0,
        )
        assert bytes(target) == b"hello"

    def test_offsetLength(self, clock: Clock) -> None:
        target = buf(b"0123456789")
        d = Stream.write(writer(clock, target), buf(b"hello"), 1, 3)
        clock.advance(0)
        assert result(d).bytesProcessed == 3
        assert bytes(target) == b"ell3456789"

    def test_lengthClamped(self, clock: Clock) -> None:
        target = buf()
        d = Stream.write(writer(clock, target), buf(b"hello"), 3, 10)
        clock.advance(0)
        assert result(d).bytesProcessed == 2
        assert bytes(target) == b"lo"

    def test_offsetAtEnd(self, clock: Clock) -> None:
        target = buf()
        d = Stream.write(writer(clock, target), buf(b"hello"), 5, 10)
        clock.advance(0)
        assert result(d).bytesProcessed == 0

    def test_notWritable(self, clock: Clock) -> None:
        source = buf(b"abc")
        events: list[WriteEvent] = []
        d = Stream.write(BufferStream(source, MODE_READ, reactor=clock), buf(b"x"), events.append)
        clock.advance(0)
        event = result(d)
        assert events == [event]
        assert (event.bytesProcessed, event.success, event.code) == (-1, False, -1)
        assert "not writable" in (event.error or "")
        assert bytes(source) == b"abc"

    def test_blobNotWritable(self, clock: Clock) -> None:
        d = Stream.write(BlobStream(makeBlob(b"abc"), reactor=clock), buf(b"x"))
        clock.advance(0)
        assert (result(d).success, result(d).code) == (False, -1)

    def test_closed(self, clock: Clock) -> None:
        stream = writer(clock)
        stream.close()
        d = Stream.write(stream, buf(b"x"))
        clock.advance(0)
        assert (result(d).success, result(d).bytesProcessed) == (False, -1)

    def test_firesWhenTheStreamHasTakenTheBytes(self, clock: Clock) -> None:
        sink = FakeStream(clock, writeDelay=5.0)
        d = Stream.write(sink, buf(b"abc"))
        clock.advance(4.9)
        assert not d.called
        clock.advance(0.1)
        assert result(d).bytesProcessed == 3
        assert sink.sent == b"abc"

    def test_writeFailure(self, clock: Clock) -> None:
        sink = FakeStream(clock, writeDelay=1.0)
        sink.writeFailure = Failed(errno.EPIPE, "Broken pipe")
        d = Stream.write(sink, buf(b"abc"))
        clock.advance(1)
        event = result(d)
        assert (event.bytesProcessed, event.success, event.code, event.error) == (
            -1,
            False,
            errno.EPIPE,
            "Broken pipe",
        )

    def test_takesTheBytesAtTheCall(self, clock: Clock) -> None:
        sink = FakeStream(clock, writeDelay=1.0)
        data = buf(b"abc")
        Stream.write(sink, data)
        data._data[:] = b"xyz"
        clock.advance(1)
        assert sink.sent == b"abc"

    def test_notAStream(self) -> None:
        with pytest.raises(TiTypeError, match="outputStream must be an IOStream, got 3"):
            Stream.write(3, buf(b"x"))  # type: ignore[arg-type]

    def test_negativeLength(self, clock: Clock) -> None:
        with pytest.raises(TiBoundsError, match="length"):
            Stream.write(writer(clock), buf(b"x"), 0, -2)


class TestReadAllSync:
    def test_everything(self) -> None:
        data = bytes(range(256)) * 5000
        out = Stream.readAll(BufferStream(buf(data), MODE_READ))
        assert isinstance(out, Buffer)
        assert bytes(out) == data

    def test_newBufferEachTime(self) -> None:
        source = buf(b"abc")
        out = Stream.readAll(BufferStream(source, MODE_READ))
        assert out is not source
        assert out._data is not source._data

    def test_fromThePosition(self) -> None:
        stream = BufferStream(buf(b"abcdef"), MODE_READ)
        stream.readNow(2)
        assert bytes(Stream.readAll(stream)) == b"cdef"
        assert bytes(Stream.readAll(stream)) == b""

    def test_empty(self) -> None:
        out = Stream.readAll(BufferStream(buf(), MODE_READ))
        assert out.length == 0

    def test_blob(self) -> None:
        assert bytes(Stream.readAll(BlobStream(makeBlob(b"blob")))) == b"blob"

    @pytest.mark.parametrize("mode", [MODE_WRITE, MODE_APPEND])
    def test_notReadable(self, mode: int) -> None:
        with pytest.raises(InvalidStateError, match=r"readAll: Ti\.BufferStream is not readable"):
            Stream.readAll(BufferStream(buf(b"abc"), mode))

    def test_closed(self) -> None:
        stream = BufferStream(buf(b"abc"), MODE_READ)
        stream.close()
        with pytest.raises(InvalidStateError):
            Stream.readAll(stream)

    def test_wouldBlock(self, clock: Clock) -> None:
        stream = FakeStream(clock)
        stream.receive(b"abc")
        with pytest.raises(WouldBlockError, match="readAll"):
            Stream.readAll(stream)
        assert stream.blockingChecks == ["readAll"]
        assert stream.inbox == b"abc"

    def test_stateCheckedBeforeBlocking(self, clock: Clock) -> None:
        stream = FakeStream(clock)
        stream.close()
        with pytest.raises(InvalidStateError):
            Stream.readAll(stream)
        assert stream.blockingChecks == []

    def test_blockingUntilEndOfStream(self, clock: Clock) -> None:
        stream = FakeStream(clock, blocking=True)
        data = bytes(range(200))
        stream.receiveInPieces(data, [7, 1, 30])
        assert bytes(Stream.readAll(stream)) == data

    def test_failureRaises(self, clock: Clock) -> None:
        stream = FakeStream(clock, blocking=True)
        stream.receive(b"abc")
        clock.callLater(1, stream.end, RESET)
        with pytest.raises(TiSocketError) as info:
            Stream.readAll(stream)
        assert info.value.errno == errno.ECONNRESET

    def test_notAStream(self) -> None:
        with pytest.raises(TiTypeError, match="sourceStream must be an IOStream, got None"):
            Stream.readAll(None)  # type: ignore[call-overload]


class TestReadAllAsync:
    @pytest.mark.parametrize("data", [b"abc", b""])
    def test_intoABufferAroundReceivedBytes(self, clock: Clock, data: bytes) -> None:
        out = Buffer._wrap(b"x" * 10)  # as a pump's Buffer: copied on the first change
        d = Stream.readAll(reader(data, clock), out)
        clock.advance(0)
        assert result(d).bytesProcessed == len(data)
        assert bytes(out) == data

    def test_fillsAndShrinks(self, clock: Clock) -> None:
        out = buf(b"x" * 100)
        events: list[ReadEvent] = []
        stream = reader(b"abcdef", clock)
        d = Stream.readAll(stream, out, events.append)
        assert isinstance(d, Deferred)
        assert not d.called
        assert events == []
        clock.advance(0)
        event = result(d)
        assert events == [event]
        assert (event.source, event.bytesProcessed, event.success, event.code) == (
            stream,
            6,
            True,
            0,
        )
        assert bytes(out) == b"abcdef"

    def test_fillsAndGrows(self, clock: Clock) -> None:
        data = bytes(range(256)) * 10_000
        out = buf(b"xy")
        d = Stream.readAll(reader(data, clock), out)
        settle(clock)
        assert result(d).bytesProcessed == len(data)
        assert bytes(out) == data

    def test_empty(self, clock: Clock) -> None:
        out = buf(b"xy")
        d = Stream.readAll(reader(b"", clock), out)
        clock.advance(0)
        assert (result(d).bytesProcessed, result(d).success) == (0, True)
        assert out.length == 0

    def test_notReadable(self, clock: Clock) -> None:
        out = buf(b"keep")
        d = Stream.readAll(writer(clock), out)
        clock.advance(0)
        event = result(d)
        assert (event.bytesProcessed, event.success, event.code) == (-1, False, -1)
        assert bytes(out) == b"keep"

    def test_overSocketLikeStream(self, clock: Clock) -> None:
        stream = FakeStream(clock)
        data = bytes(range(256)) * 40
        stream.receiveInPieces(data, [1000, 3, 77])
        out = buf()
        events: list[ReadEvent] = []
        d = Stream.readAll(stream, out, events.append)
        settle(clock)
        assert result(d).bytesProcessed == len(data)
        assert events == [result(d)]
        assert bytes(out) == data

    def test_failure(self, clock: Clock) -> None:
        stream = FakeStream(clock)
        stream.receive(b"abc")
        d = Stream.readAll(stream, buf())
        clock.advance(0)
        assert not d.called
        stream.end(RESET)
        clock.advance(0)
        event = result(d)
        assert (event.bytesProcessed, event.success, event.code) == (-1, False, errno.ECONNRESET)

    def test_localClose(self, clock: Clock) -> None:
        stream = FakeStream(clock)
        stream.receive(b"abc")
        out = buf()
        d = Stream.readAll(stream, out)
        clock.advance(0)
        stream.close()
        clock.advance(0)
        assert (result(d).bytesProcessed, result(d).success) == (3, True)
        assert bytes(out) == b"abc"

    def test_cannotGrowWhileAViewIsHeld(self, clock: Clock) -> None:
        out = buf(b"xy")
        view = memoryview(out._data)
        d = Stream.readAll(reader(b"abcdef", clock), out)
        clock.advance(0)
        view.release()
        event = result(d)
        assert (event.bytesProcessed, event.success, event.code) == (-1, False, -1)
        assert "view" in (event.error or "")
        assert bytes(out) == b"xy"

    def test_cannotShrinkWhileAViewIsHeld(self, clock: Clock) -> None:
        out = buf(bytes(10))
        view = memoryview(out._data)
        d = Stream.readAll(reader(b"abc", clock), out)
        clock.advance(0)
        view.release()
        assert (result(d).success, result(d).bytesProcessed) == (False, -1)

    def test_bufferRequiredWithCallback(self, clock: Clock) -> None:
        with pytest.raises(TiTypeError, match="needs a buffer"):
            Stream.readAll(reader(b"", clock), None, lambda e: None)  # type: ignore[call-overload]

    def test_notABuffer(self, clock: Clock) -> None:
        with pytest.raises(TiTypeError, match=r"buffer must be a Ti\.Buffer, got 'abc'"):
            Stream.readAll(reader(b"", clock), "abc")  # type: ignore[call-overload]

    def test_callbackAsSecondArgument(self, clock: Clock) -> None:
        with pytest.raises(TiTypeError, match=r"buffer must be a Ti\.Buffer"):
            Stream.readAll(reader(b"", clock), lambda e: None)  # type: ignore[call-overload]

    def test_badCallback(self, clock: Clock) -> None:
        with pytest.raises(TiTypeError, match="resultsCallback must be callable"):
            Stream.readAll(reader(b"", clock), buf(), 42)


class TestWriteStreamSync:
    def test_copies(self) -> None:
        data = bytes(range(256)) * 100
        target = buf()
        total = Stream.writeStream(
            BufferStream(buf(data), MODE_READ), BufferStream(target, MODE_WRITE), 1000
        )
        assert total == len(data)
        assert bytes(target) == data

    def test_chunkSize(self, clock: Clock) -> None:
        sink = FakeStream(clock, blocking=True)
        total = Stream.writeStream(reader(b"x" * 25, clock), sink, 10)
        assert total == 25
        assert sink.writeSizes == [10, 10, 5]
        assert sink.blockingChecks == ["writeStream"]

    def test_append(self) -> None:
        target = buf(b"head:")
        Stream.writeStream(
            BlobStream(makeBlob(b"tail")), Stream.createStream(source=target, mode=MODE_APPEND), 3
        )
        assert bytes(target) == b"head:tail"

    def test_inputAtEnd(self) -> None:
        assert Stream.writeStream(BufferStream(buf(), MODE_READ), BufferStream(buf(), 1), 8) == 0

    def test_explicitNoneIsSynchronous(self) -> None:
        total = Stream.writeStream(
            BufferStream(buf(b"abc"), MODE_READ), BufferStream(buf(), MODE_WRITE), 8, None
        )
        assert total == 3

    def test_inputNotReadable(self) -> None:
        notReadable = r"writeStream: Ti\.BufferStream is not readable"
        with pytest.raises(InvalidStateError, match=notReadable):
            Stream.writeStream(BufferStream(buf(), MODE_WRITE), BufferStream(buf(), MODE_WRITE), 8)

    def test_outputNotWritable(self) -> None:
        source = BufferStream(buf(b"abc"), MODE_READ)
        with pytest.raises(InvalidStateError, match="not writable"):
            Stream.writeStream(source, BufferStream(buf(), MODE_READ), 8)
        assert source.readNow(5) == b"abc"

    def test_closedOutput(self) -> None:
        out = BufferStream(buf(), MODE_WRITE)
        out.close()
        with pytest.raises(InvalidStateError):
            Stream.writeStream(BufferStream(buf(b"abc"), MODE_READ), out, 8)

    def test_socketLikeInputWouldBlock(self, clock: Clock) -> None:
        source = FakeStream(clock)
        source.receive(b"abc")
        with pytest.raises(WouldBlockError, match="writeStream"):
            Stream.writeStream(source, BufferStream(buf(), MODE_WRITE), 8)
        assert source.inbox == b"abc"

    def test_socketLikeOutputWouldBlock(self, clock: Clock) -> None:
        source = BufferStream(buf(b"abc"), MODE_READ)
        with pytest.raises(WouldBlockError, match="writeStream"):
            Stream.writeStream(source, FakeStream(clock), 8)
        assert source.readNow(5) == b"abc"

    def test_socketLikeBlocking(self, clock: Clock) -> None:
        source = FakeStream(clock, blocking=True)
        data = bytes(range(100))
        source.receiveInPieces(data, [9, 2])
        target = buf()
        assert Stream.writeStream(source, BufferStream(target, MODE_WRITE), 4) == 100
        assert bytes(target) == data

    @pytest.mark.parametrize("size", [0, -5])
    def test_chunkSizeValue(self, size: int) -> None:
        with pytest.raises(
            TiValueError, match=f"maxChunkSize must be a positive integer, got {size}"
        ):
            Stream.writeStream(BufferStream(buf(), 0), BufferStream(buf(), 1), size)

    @pytest.mark.parametrize("size", ["8", 8.0, None, True])
    def test_chunkSizeType(self, size: object) -> None:
        with pytest.raises(TiTypeError, match="maxChunkSize must be an integer"):
            Stream.writeStream(BufferStream(buf(), 0), BufferStream(buf(), 1), size)  # type: ignore[call-overload]

    def test_streamsChecked(self) -> None:
        ok = BufferStream(buf(), MODE_READ)
        with pytest.raises(TiTypeError, match="inputStream must be an IOStream, got 1"):
            Stream.writeStream(1, ok, 8)  # type: ignore[call-overload]
        with pytest.raises(TiTypeError, match="outputStream must be an IOStream, got 2"):
            Stream.writeStream(ok, 2, 8)  # type: ignore[call-overload]

    def test_badCallback(self) -> None:
        with pytest.raises(TiTypeError, match="resultsCallback must be callable"):
            Stream.writeStream(BufferStream(buf(), 0), BufferStream(buf(), 1), 8, "cb")  # type: ignore[call-overload]


class TestWriteStreamAsync:
    def test_bufferToBuffer(self, clock: Clock) -> None:
        data = bytes(range(256)) * 20
        source = reader(data, clock)
        target = buf()
        sink = writer(clock, target)
        events: list[WriteStreamEvent] = []
        d = Stream.writeStream(source, sink, 1000, events.append)
        assert isinstance(d, Deferred)
        assert not d.called
        settle(clock)
        event = result(d)
        assert events == [event]
        assert isinstance(event, WriteStreamEvent)
        assert (event.fromStream, event.toStream, event.bytesProcessed) == (source, sink, len(data))
        assert (event.success, event.code, event.error) == (True, 0, None)
        assert bytes(target) == data

    def test_inputAtEnd(self, clock: Clock) -> None:
        d = Stream.writeStream(reader(b"", clock), writer(clock), 8, lambda e: None)
        settle(clock)
        assert (result(d).bytesProcessed, result(d).success) == (0, True)

    def test_backpressure(self, clock: Clock) -> None:
        """The reader is paused while a write is outstanding: one chunk in flight at most."""
        source = FakeStream(clock)
        sink = FakeStream(clock, writeDelay=10.0)
        data = bytes(range(256)) * 400
        source.receive(data)
        held: list[int] = []
        real = sink.writeChunk

        def watch(chunk: bytes, done: Callable[[Failed | None], None]) -> None:
            real(chunk, done)
            held.append(source.taken - sink.written)

        sink.writeChunk = watch  # type: ignore[method-assign,assignment]
        d = Stream.writeStream(source, sink, 4096, lambda e: None)
        clock.advance(0)
        assert sink.outstanding == 1
        assert len(source.inbox) == len(data) - 4096, "the rest stays in the source"
        clock.advance(5)
        assert len(source.inbox) == len(data) - 4096
        source.end()
        settle(clock)
        assert result(d).bytesProcessed == len(data)
        assert sink.sent == data
        assert sink.maxOutstanding == 1
        assert max(held) <= 4096
        chunks = len(sink.writeSizes)
        assert chunks == -(-len(data) // 4096)
        assert source.pauses == chunks
        assert source.resumes == chunks

    def test_socketToSocket(self, clock: Clock) -> None:
        source = FakeStream(clock)
        sink = FakeStream(clock, writeDelay=0.5)
        data = bytes(range(256)) * 64
        source.receiveInPieces(data, [1500, 7, 4000, 333], interval=0.25)
        d = Stream.writeStream(source, sink, 1024, lambda e: None)
        settle(clock)
        assert result(d).bytesProcessed == len(data)
        assert sink.sent == data
        assert max(sink.writeSizes) <= 1024
        assert sink.maxOutstanding == 1

    def test_endWhileWriting(self, clock: Clock) -> None:
        source = FakeStream(clock)
        sink = FakeStream(clock, writeDelay=3.0)
        source.receive(b"abc")
        source.end()
        d = Stream.writeStream(source, sink, 10, lambda e: None)
        clock.advance(0)
        clock.advance(0)
        assert not d.called
        clock.advance(3)
        assert result(d).bytesProcessed == 3

    def test_inputFails(self, clock: Clock) -> None:
        source = FakeStream(clock)
        sink = FakeStream(clock, writeDelay=1.0)
        source.receive(b"abc")
        events: list[WriteStreamEvent] = []
        d = Stream.writeStream(source, sink, 10, events.append)
        clock.advance(0)
        clock.advance(1)
        source.end(RESET)
        clock.advance(0)
        event = result(d)
        assert events == [event]
        assert (event.bytesProcessed, event.success, event.code) == (-1, False, errno.ECONNRESET)
        assert event.error == "Connection reset by peer"

    def test_inputFailsWhileWriting(self, clock: Clock) -> None:
        source = FakeStream(clock)
        sink = FakeStream(clock, writeDelay=5.0)
        source.receive(b"abc")
        d = Stream.writeStream(source, sink, 10, lambda e: None)
        clock.advance(0)
        assert sink.outstanding == 1
        source.end(RESET)
        clock.advance(0)
        assert (result(d).bytesProcessed, result(d).code) == (-1, errno.ECONNRESET)
        assert sink.outstanding == 1, "reported without waiting for the write"
        settle(clock)
        assert result(d).success is False

    def test_outputFails(self, clock: Clock) -> None:
        source = FakeStream(clock)
        sink = FakeStream(clock, writeDelay=1.0)
        sink.writeFailure = Failed(errno.EPIPE, "Broken pipe")
        source.receive(b"abcdef")
        d = Stream.writeStream(source, sink, 2, lambda e: None)
        settle(clock)
        event = result(d)
        assert (event.bytesProcessed, event.success, event.code) == (-1, False, errno.EPIPE)
        assert source.stops == 1
        assert source.inbox == b"cdef", "the rest stays in the input"

    def test_inputClosedLocally(self, clock: Clock) -> None:
        source = FakeStream(clock)
        sink = FakeStream(clock, writeDelay=1.0)
        source.receive(b"abc")
        d = Stream.writeStream(source, sink, 10, lambda e: None)
        clock.advance(0)
        source.close()
        settle(clock)
        event = result(d)
        assert (event.bytesProcessed, event.success) == (3, True)

    def test_inputNotReadable(self, clock: Clock) -> None:
        events: list[WriteStreamEvent] = []
        d = Stream.writeStream(writer(clock), writer(clock), 8, events.append)
        assert events == []
        clock.advance(0)
        event = result(d)
        assert events == [event]
        assert (event.bytesProcessed, event.success, event.code) == (-1, False, -1)
        assert "not readable" in (event.error or "")

    def test_outputNotWritable(self, clock: Clock) -> None:
        source = reader(b"abc", clock)
        d = Stream.writeStream(source, reader(b"", clock), 8, lambda e: None)
        clock.advance(0)
        event = result(d)
        assert (event.bytesProcessed, event.success, event.code) == (-1, False, -1)
        assert "not writable" in (event.error or "")
        assert source.readNow(5) == b"abc"

    @settings(max_examples=50)
    @given(
        data=st.binary(max_size=2000),
        pieces=st.lists(st.integers(min_value=1, max_value=700), min_size=1, max_size=6),
        chunkSize=st.integers(min_value=1, max_value=300),
        delay=st.sampled_from([0.0, 0.1, 3.0]),
    )
    def test_anyPiecesAnySpeed(
        self, data: bytes, pieces: list[int], chunkSize: int, delay: float
    ) -> None:
        clock = Clock()
        source = FakeStream(clock)
        sink = FakeStream(clock, writeDelay=delay)
        source.receiveInPieces(data, pieces, interval=0.5)
        d = Stream.writeStream(source, sink, chunkSize, lambda e: None)
        settle(clock)
        assert result(d).bytesProcessed == len(data)
        assert sink.sent == data
        assert sink.maxOutstanding <= 1
        assert all(1 <= n <= chunkSize for n in sink.writeSizes)

    def test_callbackException(self, clock: Clock) -> None:
        def boom(event: WriteStreamEvent) -> None:
            raise RuntimeError("boom")

        with capturedLogs() as events:
            d = Stream.writeStream(reader(b"abc", clock), writer(clock), 8, boom)
            settle(clock)
        assert result(d).bytesProcessed == 3
        assert any(e.get("log_failure") is not None for e in events)


class TestPumpAsync:
    def test_chunksThenEnd(self, clock: Clock) -> None:
        stream = reader(b"0123456789", clock)
        handler = Handler()
        d = Stream.pump(stream, handler, 4, True)
        assert isinstance(d, Deferred)
        assert handler.events == []
        clock.advance(0)
        assert handler.chunks == [b"0123", b"4567", b"89"]
        assert [e.bytesProcessed for e in handler.events] == [4, 4, 2, -1]
        assert [e.totalBytesProcessed for e in handler.events] == [4, 8, 10, 10]
        assert all(e.source is stream for e in handler.events)
        assert all(e.success and e.code == 0 and e.error is None for e in handler.events)
        last = handler.last
        assert isinstance(last.buffer, Buffer)
        assert last.buffer.length == 0
        assert (last.success, last.code, last.errorState, last.errorDescription) == (True, 0, 0, "")
        assert result(d) is last
        assert clock.getDelayedCalls() == []

    def test_handlerDeferredPausesThePump(self, clock: Clock) -> None:
        """A handler that returns a Deferred gets no next chunk until it fires."""
        waits: list[Deferred[None]] = []

        def wait(event: PumpEvent) -> Deferred[None]:
            waits.append(Deferred())
            return waits[-1]

        handler = Handler()
        Stream.pump(reader(b"abcdef", clock), lambda e: (handler(e), wait(e))[1], 2, True)
        settle(clock)
        assert handler.chunks == [b"ab"]
        waits[0].callback(None)
        settle(clock)
        assert handler.chunks == [b"ab", b"cd"]
        waits[1].callback(None)
        settle(clock)
        assert handler.chunks == [b"ab", b"cd", b"ef"]
        assert len(handler.events) == 3
        waits[2].callback(None)
        settle(clock)
        assert [e.bytesProcessed for e in handler.events] == [2, 2, 2, -1]

    def test_handlerFailedDeferredIsLoggedAndResumes(self, clock: Clock) -> None:
        handler = Handler()

        def failing(event: PumpEvent) -> Deferred[None]:
            handler(event)
            d: Deferred[None] = Deferred()
            clock.callLater(1, d.errback, ZeroDivisionError("boom"))
            return d

        with capturedLogs() as logs:
            Stream.pump(reader(b"abcd", clock), failing, 2, True)
            settle(clock)
        assert [e.bytesProcessed for e in handler.events] == [2, 2, -1]
        assert sum(1 for e in logs if "log_failure" in e) == 3  # the last call too

    def test_handlerAlreadyFailedDeferredIsLoggedAndGoesOn(self, clock: Clock) -> None:
        handler = Handler()

        def failed(event: PumpEvent) -> Deferred[None]:
            handler(event)
            return fail(ZeroDivisionError("boom"))

        with capturedLogs() as logs:
            Stream.pump(reader(b"abcd", clock), failed, 2, True)
            settle(clock)
        assert [e.bytesProcessed for e in handler.events] == [2, 2, -1]
        failures = [e for e in logs if "log_failure" in e]
        assert len(failures) == 3
        assert all(e["log_failure"].check(ZeroDivisionError) for e in failures)
        assert all(e["what"] == "pump" for e in failures)

    def test_asyncHandlerPausesThePump(self, clock: Clock) -> None:
        gate: Deferred[None] = Deferred()
        seen: list[int] = []

        async def handler(event: PumpEvent) -> None:
            seen.append(event.bytesProcessed)
            if len(seen) == 1:
                await gate

        Stream.pump(reader(b"abcd", clock), handler, 2, True)
        settle(clock)
        assert seen == [2]
        gate.callback(None)
        settle(clock)
        assert seen == [2, 2, -1]

    def test_eachChunkANewBuffer(self, clock: Clock) -> None:
        handler = Handler()
        Stream.pump(reader(b"abcdef", clock), handler, 2, True)
        clock.advance(0)
        buffers = [e.buffer for e in handler.events]
        assert len({id(b) for b in buffers}) == len(buffers)
        assert len({id(b._data) for b in buffers}) == len(buffers)
        assert all(isinstance(b, Buffer) for b in buffers)
        handler.events[0].buffer[0] = ord("Z")
        assert bytes(handler.events[0].buffer) == b"Zb"
        assert handler.chunks[1] == b"cd"

    def test_keepingAChunkIsSafe(self, clock: Clock) -> None:
        source = buf(b"abcd")
        handler = Handler()
        Stream.pump(BufferStream(source, MODE_READ, reactor=clock), handler, 2, True)
        clock.advance(0)
        source._data[:] = b"wxyz"
        assert handler.chunks == [b"ab", b"cd"]

    def test_emptyStream(self, clock: Clock) -> None:
        handler = Handler()
        d = Stream.pump(reader(b"", clock), handler, 4, True)
        clock.advance(0)
        assert len(handler.events) == 1
        assert (handler.last.totalBytesProcessed, handler.last.success) == (0, True)
        assert result(d) is handler.last

    def test_blob(self, clock: Clock) -> None:
        handler = Handler()
        Stream.pump(BlobStream(makeBlob(b"abcde"), reactor=clock), handler, 2, True)
        clock.advance(0)
        assert handler.chunks == [b"ab", b"cd", b"e"]

    def test_notReadable(self, clock: Clock) -> None:
        handler = Handler()
        d = Stream.pump(writer(clock), handler, 4, True)
        assert handler.events == []
        clock.advance(0)
        assert len(handler.events) == 1
        last = handler.last
        assert (last.bytesProcessed, last.success, last.code, last.totalBytesProcessed) == (
            -1,
            False,
            -1,
            0,
        )
        assert isinstance(last.buffer, Buffer)
        assert last.buffer.length == 0
        assert "not readable" in (last.error or "")
        assert result(d) is last

    def test_closedBeforeStart(self, clock: Clock) -> None:
        stream = reader(b"abc", clock)
        stream.close()
        handler = Handler()
        Stream.pump(stream, handler, 4, True)
        clock.advance(0)
        assert (handler.last.success, handler.last.code) == (False, -1)

    def test_localCloseFromTheHandler(self, clock: Clock) -> None:
        stream = reader(b"abcdef", clock)
        handler = Handler(lambda e: stream.close() if e.bytesProcessed > 0 else None)
        d = Stream.pump(stream, handler, 2, True)
        clock.advance(0)
        assert handler.chunks == [b"ab"]
        assert (handler.last.success, handler.last.code, handler.last.totalBytesProcessed) == (
            True,
            0,
            2,
        )
        assert result(d) is handler.last

    def test_overSocketLikeStream(self, clock: Clock) -> None:
        stream = FakeStream(clock)
        data = bytes(range(256)) * 30
        stream.receiveInPieces(data, [1, 1000, 17, 4096])
        handler = Handler()
        d = Stream.pump(stream, handler, 512, True)
        settle(clock)
        assert b"".join(handler.chunks) == data
        assert all(1 <= len(c) <= 512 for c in handler.chunks)
        assert handler.events[0].bytesProcessed == 1, "a chunk is what arrived, no framing"
        totals = [e.totalBytesProcessed for e in handler.events]
        assert totals == sorted(totals)
        assert (handler.last.totalBytesProcessed, handler.last.success) == (len(data), True)
        assert result(d) is handler.last

    def test_dataBeforeTheEndIsDelivered(self, clock: Clock) -> None:
        stream = FakeStream(clock)
        stream.receive(b"last words")
        stream.end()
        handler = Handler()
        Stream.pump(stream, handler, 100, True)
        clock.advance(0)
        assert handler.chunks == [b"last words"]
        assert handler.last.success

    def test_error(self, clock: Clock) -> None:
        stream = FakeStream(clock)
        handler = Handler()
        d = Stream.pump(stream, handler, 100, True)
        stream.receive(b"abc")
        clock.advance(0)
        stream.end(RESET)
        clock.advance(0)
        last = handler.last
        assert handler.chunks == [b"abc"]
        assert (last.bytesProcessed, last.success, last.code, last.totalBytesProcessed) == (
            -1,
            False,
            errno.ECONNRESET,
            3,
        )
        assert (last.error, last.errorState, last.errorDescription) == (
            "Connection reset by peer",
            1,
            "Connection reset by peer",
        )
        assert last.buffer.length == 0
        assert result(d) is last

    def test_localClose(self, clock: Clock) -> None:
        stream = FakeStream(clock)
        handler = Handler()
        d = Stream.pump(stream, handler, 100, True)
        stream.receive(b"abc")
        clock.advance(0)
        stream.close()
        clock.advance(0)
        assert (handler.last.success, handler.last.code, handler.last.totalBytesProcessed) == (
            True,
            0,
            3,
        )
        assert result(d) is handler.last

    def test_handlerExceptionIsLoggedAndPumpGoesOn(self, clock: Clock) -> None:
        calls: list[int] = []

        def handler(event: PumpEvent) -> None:
            calls.append(event.bytesProcessed)
            raise ValueError("handler bug")

        with capturedLogs() as events:
            d = Stream.pump(reader(b"abcd", clock), handler, 2, True)
            clock.advance(0)
        assert calls == [2, 2, -1]
        assert result(d).totalBytesProcessed == 4
        assert sum(1 for e in events if e.get("log_failure") is not None) == 3

    def test_oneReactorTurnForAWholeBuffer(self, clock: Clock) -> None:
        handler = Handler()
        Stream.pump(reader(b"x" * 10_000, clock), handler, 10, True)
        assert len(clock.getDelayedCalls()) == 1
        clock.advance(0)
        assert len(handler.events) == 1001
        assert clock.getDelayedCalls() == []

    @settings(max_examples=50)
    @given(
        data=st.binary(max_size=400),
        pieces=st.lists(st.integers(min_value=1, max_value=50), min_size=1, max_size=10),
        chunkSize=st.integers(min_value=1, max_value=64),
    )
    def test_anyPiecesAnyChunkSize(self, data: bytes, pieces: list[int], chunkSize: int) -> None:
        clock = Clock()
        stream = FakeStream(clock)
        stream.receiveInPieces(data, pieces)
        handler = Handler()
        Stream.pump(stream, handler, chunkSize, True)
        settle(clock)
        assert b"".join(handler.chunks) == data
        assert all(1 <= len(c) <= chunkSize for c in handler.chunks)
        assert handler.last.totalBytesProcessed == len(data)

    @given(data=st.binary(max_size=300), chunkSize=st.integers(min_value=1, max_value=64))
    def test_bufferChunksFullExceptLast(self, data: bytes, chunkSize: int) -> None:
        clock = Clock()
        handler = Handler()
        Stream.pump(reader(data, clock), handler, chunkSize, True)
        clock.advance(0)
        assert handler.chunks == [data[i : i + chunkSize] for i in range(0, len(data), chunkSize)]


class TestPumpSync:
    def test_runsToTheEnd(self) -> None:
        handler = Handler()
        stream = BufferStream(buf(b"0123456789"), MODE_READ)
        assert Stream.pump(stream, handler, 3) is None
        assert handler.chunks == [b"012", b"345", b"678", b"9"]
        assert [e.totalBytesProcessed for e in handler.events] == [3, 6, 9, 10, 10]
        last = handler.last
        assert (last.success, last.code, last.buffer.length) == (True, 0, 0)
        assert isinstance(last.buffer, Buffer)

    def test_explicitFalse(self) -> None:
        handler = Handler()
        assert Stream.pump(BlobStream(makeBlob(b"abc")), handler, 2, False) is None
        assert handler.chunks == [b"ab", b"c"]

    def test_eachChunkANewBuffer(self) -> None:
        handler = Handler()
        Stream.pump(BufferStream(buf(b"abcdef"), MODE_READ), handler, 2)
        assert len({id(e.buffer._data) for e in handler.events}) == 4

    def test_notReadable(self) -> None:
        handler = Handler()
        with pytest.raises(InvalidStateError, match=r"pump: Ti\.BufferStream is not readable"):
            Stream.pump(BufferStream(buf(b"abc"), MODE_WRITE), handler, 2)
        assert handler.events == []

    def test_closed(self) -> None:
        stream = BufferStream(buf(b"abc"), MODE_READ)
        stream.close()
        with pytest.raises(InvalidStateError):
            Stream.pump(stream, Handler(), 2)

    def test_localCloseFromTheHandler(self) -> None:
        stream = BufferStream(buf(b"abcdef"), MODE_READ)
        handler = Handler(lambda e: stream.close())
        Stream.pump(stream, handler, 2)
        assert handler.chunks == [b"ab"]
        assert (handler.last.success, handler.last.totalBytesProcessed) == (True, 2)

    def test_wouldBlock(self, clock: Clock) -> None:
        stream = FakeStream(clock)
        stream.receive(b"abc")
        handler = Handler()
        with pytest.raises(WouldBlockError, match="pump"):
            Stream.pump(stream, handler, 2)
        assert stream.blockingChecks == ["pump"]
        assert handler.events == []
        assert stream.inbox == b"abc"

    def test_blockingSocketLike(self, clock: Clock) -> None:
        stream = FakeStream(clock, blocking=True)
        data = bytes(range(256))
        stream.receiveInPieces(data, [5, 60])
        handler = Handler()
        Stream.pump(stream, handler, 32)
        assert b"".join(handler.chunks) == data
        assert all(len(c) <= 32 for c in handler.chunks)
        assert handler.last.success

    def test_blockingSocketLikeFailure(self, clock: Clock) -> None:
        stream = FakeStream(clock, blocking=True)
        stream.receive(b"abc")
        clock.callLater(1, stream.end, RESET)
        handler = Handler()
        Stream.pump(stream, handler, 32)
        assert handler.chunks == [b"abc"]
        last = handler.last
        assert (last.success, last.code, last.error, last.totalBytesProcessed) == (
            False,
            errno.ECONNRESET,
            "Connection reset by peer",
            3,
        )
        assert last.buffer.length == 0

    def test_handlerException(self) -> None:
        def handler(event: PumpEvent) -> None:
            raise ValueError("bug")

        with capturedLogs() as events:
            Stream.pump(BufferStream(buf(b"ab"), MODE_READ), handler, 1)
        assert sum(1 for e in events if e.get("log_failure") is not None) == 3


class TestPumpArguments:
    def test_notAStream(self) -> None:
        with pytest.raises(TiTypeError, match=r"inputStream must be an IOStream, got b'abc'"):
            Stream.pump(b"abc", Handler(), 2)  # type: ignore[call-overload]

    @pytest.mark.parametrize("handler", [None, "handler", 3])
    def test_handlerNotCallable(self, handler: object) -> None:
        with pytest.raises(TiTypeError, match=f"handler must be callable, got {handler!r}"):
            Stream.pump(BufferStream(buf(), 0), handler, 2)  # type: ignore[call-overload]

    @pytest.mark.parametrize("size", [0, -1])
    def test_chunkSizeValue(self, size: int) -> None:
        with pytest.raises(
            TiValueError, match=f"maxChunkSize must be a positive integer, got {size}"
        ):
            Stream.pump(BufferStream(buf(), 0), Handler(), size)

    @pytest.mark.parametrize("size", [1.5, "2", None, False])
    def test_chunkSizeType(self, size: object) -> None:
        with pytest.raises(TiTypeError, match="maxChunkSize must be an integer"):
            Stream.pump(BufferStream(buf(), 0), Handler(), size)  # type: ignore[call-overload]

    @pytest.mark.parametrize("flag", [1, 0, "yes", None])
    def test_isAsyncMustBeABoolean(self, flag: object) -> None:
        with pytest.raises(TiTypeError, match=f"isAsync must be True or False, got {flag!r}"):
            Stream.pump(BufferStream(buf(), 0), Handler(), 2, flag)  # type: ignore[call-overload]

    def test_badArgumentsStartNothing(self, clock: Clock) -> None:
        stream = reader(b"abc", clock)
        with pytest.raises(TiValueError):
            Stream.pump(stream, Handler(), 0, True)
        assert clock.getDelayedCalls() == []
        assert stream.readNow(5) == b"abc"


class TestThreads:
    @pytest_twisted.inlineCallbacks
    def test_asyncFormsFromAWorkerThread(self, reactor: Any) -> Any:
        """Started elsewhere, the work and the callbacks run in the reactor thread."""
        stream = BufferStream(buf(b"abcdef"), MODE_READ)
        readDone: Deferred[Any] = Deferred()
        pumpDone: Deferred[Any] = Deferred()
        pumped: list[Any] = []

        def readCallback(event: ReadEvent) -> None:
            readDone.callback((event.bytesProcessed, threading.current_thread()))

        def handler(event: PumpEvent) -> None:
            pumped.append((event.bytesProcessed, threading.current_thread()))
            if event.bytesProcessed == -1:
                pumpDone.callback(None)

        def work() -> None:
            Stream.read(stream, buf(bytes(2)), readCallback)
            Stream.pump(stream, handler, 2, True)

        thread = threading.Thread(target=work)
        thread.start()
        thread.join()
        read = yield readDone
        yield pumpDone
        main = threading.current_thread()
        assert read == (2, main)
        assert pumped == [(2, main), (2, main), (-1, main)]

    def test_syncFormsInAWorkerThread(self) -> None:
        results: list[Any] = []

        def work() -> None:
            stream = BufferStream(buf(b"abcdef"), MODE_READ)
            results.append(bytes(Stream.readAll(stream)))
            handler = Handler()
            Stream.pump(BufferStream(buf(b"xyz"), MODE_READ), handler, 2)
            results.append(handler.chunks)
            target = buf()
            results.append(
                Stream.writeStream(
                    BufferStream(buf(b"copy"), MODE_READ), BufferStream(target, MODE_WRITE), 3
                )
            )
            results.append(bytes(target))

        thread = threading.Thread(target=work)
        thread.start()
        thread.join()
        assert results == [b"abcdef", [b"xy", b"z"], 4, b"copy"]

    @pytest_twisted.ensureDeferred
    async def test_awaitingTheGlobalReactor(self) -> None:
        source = Stream.createStream(source=buf(b"hello world"), mode=MODE_READ)
        target = buf()
        sink = Stream.createStream(source=target, mode=MODE_WRITE)
        event = await Stream.writeStream(source, sink, 4, lambda e: None)
        assert event.bytesProcessed == 11
        out = buf()
        readEvent = await Stream.readAll(Stream.createStream(source=target, mode=MODE_READ), out)
        assert readEvent.bytesProcessed == 11
        assert bytes(out) == b"hello world"
        writeEvent = await Stream.write(sink, buf(b"!"))
        assert writeEvent.bytesProcessed == 1
        assert bytes(target) == b"hello world!"


class TestOverTCPSockets:
    """
    The same functions over real TCPSocket objects, on the library's in-memory
    network: a socket is just another IOStream here.
    """

    def test_pump(self) -> None:
        pair = memoryPair()
        handler = Handler()
        d = Stream.pump(pair.inbound, handler, 4, True)
        pair.client.write(buf(b"hello world"))
        pair.client.close()
        pair.flush()
        assert b"".join(handler.chunks) == b"hello world"
        assert all(1 <= len(c) <= 4 for c in handler.chunks)
        assert (handler.last.success, handler.last.totalBytesProcessed) == (True, 11)
        assert handler.last.buffer.length == 0
        assert result(d) is handler.last
        pair.close()

    def test_readAndReadAll(self) -> None:
        pair = memoryPair()
        first = buf(bytes(3))
        d1 = Stream.read(pair.inbound, first)
        rest = buf(b"old content")
        d2 = Stream.readAll(pair.inbound, rest)
        pair.flush()
        assert not d1.called
        data = bytes(range(256)) * 100
        pair.client.write(buf(data))
        pair.client.close()
        pair.flush()
        assert result(d1).bytesProcessed == 3
        assert bytes(first) == data[:3]
        assert result(d2).bytesProcessed == len(data) - 3
        assert bytes(rest) == data[3:]
        pair.close()

    def test_writeStreamSocketToSocket(self) -> None:
        network = MemoryNetwork()
        source = memoryPair(network)
        sink = memoryPair(network)
        received = buf()
        reading = Stream.readAll(sink.inbound, received)
        copying = Stream.writeStream(source.inbound, sink.client, 1000, lambda e: None)
        data = bytes(range(256)) * 2000
        source.client.write(buf(data))
        source.client.close()
        network.flush()
        event = result(copying)
        assert (event.bytesProcessed, event.success) == (len(data), True)
        sink.client.close()
        network.flush()
        assert result(reading).bytesProcessed == len(data)
        assert bytes(received) == data
        source.close()
        sink.close()

    def test_writeToASocket(self) -> None:
        pair = memoryPair()
        d = Stream.write(pair.client, buf(b"abc"))
        received = buf()
        reading = Stream.readAll(pair.inbound, received)
        pair.flush()
        assert result(d).bytesProcessed == 3
        pair.client.close()
        pair.flush()
        assert bytes(received) == b"abc"
        assert result(reading).success
        pair.close()

    def test_syncFormsRefuseToBlockTheReactorThread(self) -> None:
        pair = memoryPair()
        with pytest.raises(WouldBlockError):
            Stream.pump(pair.inbound, Handler(), 4)
        with pytest.raises(WouldBlockError):
            Stream.readAll(pair.inbound)
        with pytest.raises(WouldBlockError):
            Stream.writeStream(reader(b"abc", Clock()), pair.client, 4)
        pair.close()

    def test_closedSocket(self) -> None:
        pair = memoryPair()
        pair.close()
        with pytest.raises(InvalidStateError):
            Stream.readAll(pair.inbound)
        handler = Handler()
        Stream.pump(pair.inbound, handler, 4, True)
        d = Stream.write(pair.client, buf(b"x"))
        pair.flush()
        assert (handler.last.success, handler.last.code) == (False, -1)
        assert (result(d).success, result(d).bytesProcessed) == (False, -1)

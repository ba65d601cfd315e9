"""BufferStream and BlobStream: Titanium's IOStream methods and the IOStream primitives."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable
from typing import Any

import pytest
import pytest_twisted
from hypothesis import given, settings
from hypothesis import strategies as st
from twisted.internet.defer import Deferred
from twisted.internet.task import Clock

from tisocket_twisted import (
    Blob,
    BlobStream,
    Buffer,
    BufferStream,
    InvalidStateError,
    IOStream,
    ReadEvent,
    TiBoundsError,
    TiTypeError,
    TiValueError,
    WriteEvent,
)
from tisocket_twisted._constants import MODE_APPEND, MODE_READ, MODE_WRITE
from tisocket_twisted._events import Failed
from tisocket_twisted._iostream import ChunkProducer


def buf(data: bytes = b"") -> Buffer:
    """A Buffer owning a copy of C{data}."""
    return Buffer._wrap(bytearray(data))


def makeBlob(data: bytes) -> Blob:
    """A Blob holding C{data}."""
    return Blob(data)


class Recorder:
    """A ChunkConsumer that records what it gets and can act inside chunkReceived."""

    def __init__(self, onChunk: Callable[[Recorder, bytes], object] | None = None) -> None:
        self.chunks: list[bytes] = []
        self.ends: list[Failed | None] = []
        self.onChunk = onChunk
        self.producer: ChunkProducer | None = None

    def chunkReceived(self, data: bytes) -> None:
        assert not self.ends, "chunk after chunksEnded"
        self.chunks.append(data)
        if self.onChunk is not None:
            self.onChunk(self, data)

    def chunksEnded(self, failed: Failed | None) -> None:
        self.ends.append(failed)

    @property
    def data(self) -> bytes:
        return b"".join(self.chunks)


def start(stream: IOStream, maxChunkSize: int, recorder: Recorder) -> Recorder:
    recorder.producer = stream.produceChunks(maxChunkSize, recorder)
    return recorder


@pytest.fixture
def clock() -> Clock:
    return Clock()


def reader(data: bytes, clock: Clock) -> BufferStream:
    return BufferStream(buf(data), MODE_READ, reactor=clock)


class TestCreation:
    def test_apiNames(self, clock: Clock) -> None:
        assert reader(b"", clock).apiName == "Ti.BufferStream"
        assert BlobStream(makeBlob(b""), reactor=clock).apiName == "Ti.BlobStream"

    def test_providesIOStream(self, clock: Clock) -> None:
        assert isinstance(reader(b"", clock), IOStream)
        assert isinstance(BlobStream(makeBlob(b"x")), IOStream)

    @pytest.mark.parametrize("source", [b"abc", bytearray(b"abc"), "abc", None, 3])
    def test_bufferRequired(self, source: object) -> None:
        with pytest.raises(TiTypeError, match=r"buffer must be a Ti\.Buffer.*" + repr(source)[:3]):
            BufferStream(source, MODE_READ)  # type: ignore[arg-type]

    @pytest.mark.parametrize("mode", ["0", 1.0, True, None])
    def test_modeType(self, mode: object) -> None:
        with pytest.raises(TiTypeError, match=r"mode"):
            BufferStream(buf(), mode)  # type: ignore[arg-type]

    @pytest.mark.parametrize("mode", [-1, 3, 4])
    def test_unknownMode(self, mode: int) -> None:
        with pytest.raises(TiValueError, match=f"mode.*{mode}"):
            BufferStream(buf(), mode)

    def test_blobRequired(self) -> None:
        with pytest.raises(TiTypeError, match=r"blob must be a Ti\.Blob.*b'x'"):
            BlobStream(b"x")  # type: ignore[arg-type]

    def test_noReactorNeeded(self) -> None:
        """Making a stream, and sync I/O, need no reactor; none is imported at import time."""
        code = (
            "import sys\n"
            "from tisocket_twisted._buffer import Buffer\n"
            "from tisocket_twisted._bufferstream import BufferStream\n"
            "import tisocket_twisted._stream\n"
            "s = BufferStream(Buffer._wrap(bytearray(b'ab')), 0)\n"
            "assert s.readNow(5) == b'ab'\n"
            "assert 'twisted.internet.reactor' not in sys.modules\n"
        )
        subprocess.run([sys.executable, "-c", code], check=True)

    def test_repr(self, clock: Clock) -> None:
        stream = reader(b"abc", clock)
        assert repr(stream) == "<Ti.BufferStream MODE_READ position=0>"
        stream.close()
        assert repr(stream) == "<Ti.BufferStream MODE_READ closed>"


class TestModes:
    @pytest.mark.parametrize(
        ("mode", "readable", "writable"),
        [(MODE_READ, True, False), (MODE_WRITE, False, True), (MODE_APPEND, False, True)],
    )
    def test_readableWritable(self, mode: int, readable: bool, writable: bool) -> None:
        stream = BufferStream(buf(b"abc"), mode)
        assert stream.isReadable() is readable
        assert stream.isWritable() is writable

    def test_readStartsAtZero(self) -> None:
        stream = BufferStream(buf(b"abcdef"), MODE_READ)
        out = buf(bytes(4))
        assert stream.read(out) == 4
        assert bytes(out) == b"abcd"
        assert stream.read(out) == 2
        assert bytes(out) == b"efcd"
        assert stream.read(out) == -1

    def test_writeStartsAtZeroAndNeverTruncates(self) -> None:
        target = buf(b"abcdef")
        stream = BufferStream(target, MODE_WRITE)
        assert stream.write(buf(b"XY")) == 2
        assert bytes(target) == b"XYcdef"
        assert stream.write(buf(b"12")) == 2
        assert bytes(target) == b"XY12ef"

    def test_writePastEndGrows(self) -> None:
        target = buf(b"abc")
        stream = BufferStream(target, MODE_WRITE)
        assert stream.write(buf(b"12345")) == 5
        assert bytes(target) == b"12345"
        assert stream.write(buf(b"678")) == 3
        assert bytes(target) == b"12345678"

    def test_appendStartsAtLengthAtCreation(self) -> None:
        target = buf(b"abc")
        stream = BufferStream(target, MODE_APPEND)
        target._data.extend(b"XYZ")
        assert stream.write(buf(b"de")) == 2
        assert bytes(target) == b"abcdeZ"
        assert stream.write(buf(b"fgh")) == 3
        assert bytes(target) == b"abcdefgh"

    def test_appendToEmpty(self) -> None:
        target = buf()
        stream = BufferStream(target, MODE_APPEND)
        stream.write(buf(b"one"))
        stream.write(buf(b"two"))
        assert bytes(target) == b"onetwo"

    def test_sharesTheBuffer(self) -> None:
        """No copy: changes to the buffer are seen by the stream and the other way round."""
        source = buf(b"abc")
        stream = BufferStream(source, MODE_READ)
        source._data[1] = ord("Z")
        assert stream.readNow(10) == b"aZc"
        target = buf()
        BufferStream(target, MODE_WRITE).write(buf(b"hi"))
        assert bytes(target) == b"hi"

    def test_bufferReplacingItsBytearray(self) -> None:
        """The stream reads the buffer's current bytearray, never a cached one."""
        source = buf(b"abc")
        stream = BufferStream(source, MODE_READ)
        assert stream.readNow(1) == b"a"
        source._data = bytearray(b"xyz!")
        assert stream.readNow(10) == b"yz!"

    def test_writeAfterTheBufferShrankPadsWithZeros(self) -> None:
        target = buf(b"abcdef")
        stream = BufferStream(target, MODE_WRITE)
        stream.write(buf(b"1234"))
        del target._data[1:]
        stream.write(buf(b"5"))
        assert bytes(target) == b"1\0\0\x005"

    def test_growingWhileAViewIsHeld(self) -> None:
        target = buf(b"abc")
        stream = BufferStream(target, MODE_WRITE)
        with memoryview(target._data):
            assert stream.write(buf(b"XY")) == 2, "writing inside the buffer is fine"
            with pytest.raises(InvalidStateError, match="view"):
                stream.write(buf(b"1234"))
            assert bytes(target) == b"XYc"
        assert stream.write(buf(b"1234")) == 4
        assert bytes(target) == b"XY1234"

    def test_writeChunkWhileAViewIsHeld(self, clock: Clock) -> None:
        target = buf()
        stream = BufferStream(target, MODE_APPEND, reactor=clock)
        done: list[Failed | None] = []
        with memoryview(target._data):
            stream.writeChunk(b"abc", done.append)
        clock.advance(0)
        assert done[0] is not None
        assert "view" in done[0].message
        assert bytes(target) == b""

    def test_readOnWriteModeRaises(self) -> None:
        stream = BufferStream(buf(b"abc"), MODE_WRITE)
        with pytest.raises(
            InvalidStateError, match=r"Ti\.BufferStream is not readable.*MODE_WRITE"
        ):
            stream.read(buf(bytes(3)))
        with pytest.raises(InvalidStateError):
            stream.readNow(3)

    @pytest.mark.parametrize("mode", [MODE_READ])
    def test_writeOnReadModeRaises(self, mode: int) -> None:
        target = buf(b"abc")
        stream = BufferStream(target, mode)
        with pytest.raises(InvalidStateError, match=r"not writable.*MODE_READ"):
            stream.write(buf(b"x"))
        with pytest.raises(InvalidStateError):
            stream.writeNow(b"x")
        assert bytes(target) == b"abc"


class TestReadWriteArguments:
    def test_titaniumOffsetLengthExample(self) -> None:
        """ti-api.md 5.6 "Read Data With Offset and Length"."""
        stream = BufferStream(buf(b"World Titanium"), MODE_READ)
        inBuffer = buf(b"Hello [           ]")
        assert stream.read(inBuffer, 10, 6) == 6
        assert bytes(inBuffer) == b"Hello [   World   ]"
        assert stream.read(inBuffer, 8, 8) == 8
        assert bytes(inBuffer) == b"Hello [ Titanium  ]"

    def test_titaniumWriteExample(self) -> None:
        """ti-api.md 5.6 "Write Data to a Stream"."""
        outBuffer = buf(b"write me")
        target = buf()
        stream = BufferStream(target, MODE_WRITE)
        assert stream.write(outBuffer) == 8
        assert stream.write(outBuffer, 2, 5) == 5
        assert bytes(target) == b"write meite m"

    def test_readGivesMinOfLengthAndRemaining(self) -> None:
        stream = BufferStream(buf(b"abc"), MODE_READ)
        out = buf(bytes(10))
        assert stream.read(out, 2, 8) == 3
        assert bytes(out) == b"\0\0abc\0\0\0\0\0"

    def test_lengthClampedToBuffer(self) -> None:
        stream = BufferStream(buf(b"abcdef"), MODE_READ)
        out = buf(bytes(4))
        assert stream.read(out, 2, 100) == 2
        assert bytes(out) == b"\0\0ab"
        target = buf()
        assert BufferStream(target, MODE_WRITE).write(buf(b"xyz"), 1, 100) == 2
        assert bytes(target) == b"yz"

    def test_offsetAtEndTransfersNothing(self) -> None:
        stream = BufferStream(buf(b"abc"), MODE_READ)
        out = buf(b"12")
        assert stream.read(out, 2, 5) == 0
        assert stream.readNow(10) == b"abc"

    def test_emptyBufferReadsZeroEvenAtEnd(self) -> None:
        stream = BufferStream(buf(b""), MODE_READ)
        assert stream.read(buf()) == 0
        assert stream.read(buf(b"x")) == -1

    def test_offsetPastEnd(self) -> None:
        stream = BufferStream(buf(b"abc"), MODE_READ)
        with pytest.raises(TiBoundsError, match=r"offset 3"):
            stream.read(buf(b"12"), 3, 1)

    def test_offsetWithoutLength(self) -> None:
        stream = BufferStream(buf(b"abc"), MODE_READ)
        with pytest.raises(TiTypeError, match=r"offset and length"):
            stream.read(buf(b"12"), 1)

    def test_negativeLength(self) -> None:
        stream = BufferStream(buf(), MODE_WRITE)
        with pytest.raises(TiBoundsError, match=r"length"):
            stream.write(buf(b"12"), 0, -1)

    def test_notABuffer(self) -> None:
        stream = BufferStream(buf(b"abc"), MODE_READ)
        with pytest.raises(TiTypeError, match=r"buffer must be a Ti\.Buffer"):
            stream.read(b"abc")  # type: ignore[arg-type]

    def test_readNowZero(self) -> None:
        stream = BufferStream(buf(b""), MODE_READ)
        assert stream.readNow(0) == b""
        assert stream.readNow(1) is None


class TestAsyncMethods:
    def test_readWithCallback(self, clock: Clock) -> None:
        stream = reader(b"abcdef", clock)
        out = buf(bytes(4))
        events: list[ReadEvent] = []
        assert stream.read(out, events.append) == 0
        assert events == []
        clock.advance(0)
        [event] = events
        assert (event.source, event.bytesProcessed, event.success, event.code) == (
            stream,
            4,
            True,
            0,
        )
        assert bytes(out) == b"abcd"

    def test_readWithOffsetLengthAndCallback(self, clock: Clock) -> None:
        stream = reader(b"abcdef", clock)
        out = buf(bytes(5))
        events: list[ReadEvent] = []
        assert stream.read(out, 1, 3, events.append) == 0
        clock.advance(0)
        assert events[0].bytesProcessed == 3
        assert bytes(out) == b"\0abc\0"

    def test_readAtEndWithCallback(self, clock: Clock) -> None:
        stream = reader(b"", clock)
        events: list[ReadEvent] = []
        stream.read(buf(b"xx"), events.append)
        clock.advance(0)
        [event] = events
        assert (event.bytesProcessed, event.success, event.code, event.error) == (-1, True, 0, None)

    def test_writeWithCallback(self, clock: Clock) -> None:
        target = buf()
        stream = BufferStream(target, MODE_APPEND, reactor=clock)
        events: list[WriteEvent] = []
        assert stream.write(buf(b"hello"), 1, 3, events.append) == 0
        assert events == []
        clock.advance(0)
        [event] = events
        assert (event.source, event.bytesProcessed, event.success) == (stream, 3, True)
        assert bytes(target) == b"ell"

    def test_asyncReadOnWriteMode(self, clock: Clock) -> None:
        stream = BufferStream(buf(b"abc"), MODE_WRITE, reactor=clock)
        events: list[ReadEvent] = []
        assert stream.read(buf(b"xx"), events.append) == 0
        clock.advance(0)
        [event] = events
        assert (event.bytesProcessed, event.success, event.code) == (-1, False, -1)
        assert "not readable" in (event.error or "")
        assert event.errorState == 1
        assert event.errorDescription == event.error

    def test_asyncWriteOnReadMode(self, clock: Clock) -> None:
        target = buf(b"abc")
        stream = BufferStream(target, MODE_READ, reactor=clock)
        events: list[WriteEvent] = []
        assert stream.write(buf(b"xx"), events.append) == 0
        clock.advance(0)
        [event] = events
        assert (event.bytesProcessed, event.success, event.code) == (-1, False, -1)
        assert "not writable" in (event.error or "")
        assert bytes(target) == b"abc"

    def test_zeroLengthAsyncReadOnWriteMode(self, clock: Clock) -> None:
        stream = BufferStream(buf(b"abc"), MODE_WRITE, reactor=clock)
        events: list[ReadEvent] = []
        stream.read(buf(), events.append)
        clock.advance(0)
        assert (events[0].bytesProcessed, events[0].success) == (-1, False)

    def test_callbackExceptionDoesNotBreakTheStream(self, clock: Clock) -> None:
        stream = reader(b"abcd", clock)

        def boom(event: ReadEvent) -> None:
            raise ZeroDivisionError

        stream.read(buf(bytes(2)), boom)
        clock.advance(0)
        assert stream.readNow(10) == b"cd"
        assert clock.getDelayedCalls() == []


class TestClose:
    @pytest.mark.parametrize("mode", [MODE_READ, MODE_WRITE, MODE_APPEND])
    def test_closedIsNeitherReadableNorWritable(self, mode: int) -> None:
        stream = BufferStream(buf(b"abc"), mode)
        stream.close()
        assert not stream.isReadable()
        assert not stream.isWritable()
        with pytest.raises(InvalidStateError, match=r"Ti\.BufferStream is closed"):
            stream.read(buf(b"12"))
        with pytest.raises(InvalidStateError, match=r"Ti\.BufferStream is closed"):
            stream.write(buf(b"12"))
        with pytest.raises(InvalidStateError):
            stream.readNow(1)
        with pytest.raises(InvalidStateError):
            stream.writeNow(b"1")

    def test_closeTwice(self) -> None:
        stream = BufferStream(buf(b"abc"), MODE_READ)
        stream.close()
        stream.close()
        assert not stream.isReadable()

    def test_closeKeepsTheBuffer(self) -> None:
        target = buf(b"abc")
        stream = BufferStream(target, MODE_WRITE)
        stream.write(buf(b"x"))
        stream.close()
        assert bytes(target) == b"xbc"

    def test_asyncIOAfterClose(self, clock: Clock) -> None:
        stream = reader(b"abc", clock)
        stream.close()
        reads: list[ReadEvent] = []
        writes: list[WriteEvent] = []
        assert stream.read(buf(b"12"), reads.append) == 0
        assert stream.write(buf(b"12"), writes.append) == 0
        clock.advance(0)
        assert (reads[0].bytesProcessed, reads[0].success, reads[0].code) == (-1, False, -1)
        assert (writes[0].bytesProcessed, writes[0].success, writes[0].code) == (-1, False, -1)
        assert "closed" in (reads[0].error or "")


class TestBlobStream:
    def test_reads(self, clock: Clock) -> None:
        stream = BlobStream(makeBlob(b"blob data"), reactor=clock)
        assert stream.isReadable()
        assert not stream.isWritable()
        out = buf(bytes(4))
        assert stream.read(out) == 4
        assert bytes(out) == b"blob"
        assert stream.read(out, 0, 2) == 2
        assert bytes(out) == b" dob"
        assert stream.readNow(100) == b"ata"
        assert stream.read(out) == -1

    def test_readOnly(self, clock: Clock) -> None:
        stream = BlobStream(makeBlob(b"abc"), reactor=clock)
        with pytest.raises(InvalidStateError, match=r"Ti\.BlobStream is not writable.*read-only"):
            stream.write(buf(b"x"))
        events: list[WriteEvent] = []
        assert stream.write(buf(b"x"), events.append) == 0
        clock.advance(0)
        assert (events[0].success, events[0].code, events[0].bytesProcessed) == (False, -1, -1)
        assert stream.readNow(10) == b"abc"

    def test_close(self, clock: Clock) -> None:
        stream = BlobStream(makeBlob(b"abc"), reactor=clock)
        stream.close()
        stream.close()
        assert not stream.isReadable()
        assert not stream.isWritable()
        with pytest.raises(InvalidStateError, match=r"Ti\.BlobStream is closed"):
            stream.read(buf(b"x"))
        with pytest.raises(InvalidStateError, match=r"Ti\.BlobStream is closed"):
            stream.write(buf(b"x"))

    def test_closeBeforeAnyRead(self) -> None:
        """Android fails here with a null pointer; closing an unread blob stream is fine."""
        BlobStream(makeBlob(b"abc")).close()

    def test_produceChunks(self, clock: Clock) -> None:
        stream = BlobStream(makeBlob(b"0123456789"), reactor=clock)
        recorder = start(stream, 4, Recorder())
        clock.advance(0)
        assert recorder.chunks == [b"0123", b"4567", b"89"]
        assert recorder.ends == [None]

    def test_chunksAreBytes(self, clock: Clock) -> None:
        stream = reader(b"abc", clock)
        assert type(stream.readNow(2)) is bytes
        recorder = start(stream, 100, Recorder())
        clock.advance(0)
        assert [type(chunk) for chunk in recorder.chunks] == [bytes]


class TestProduceChunks:
    def test_fullChunksThenEndInOneTurn(self, clock: Clock) -> None:
        stream = reader(b"0123456789", clock)
        recorder = start(stream, 3, Recorder())
        assert recorder.chunks == []
        assert recorder.ends == []
        clock.advance(0)
        assert recorder.chunks == [b"012", b"345", b"678", b"9"]
        assert recorder.ends == [None]
        assert clock.getDelayedCalls() == []

    def test_exactMultiple(self, clock: Clock) -> None:
        recorder = start(reader(b"abcdef", clock), 3, Recorder())
        clock.advance(0)
        assert recorder.chunks == [b"abc", b"def"]
        assert recorder.ends == [None]

    def test_emptyStreamEndsAtOnce(self, clock: Clock) -> None:
        recorder = start(reader(b"", clock), 3, Recorder())
        clock.advance(0)
        assert (recorder.chunks, recorder.ends) == ([], [None])

    def test_largeChunksOverLargeBuffer(self, clock: Clock) -> None:
        data = bytes(range(256)) * 1000
        recorder = start(reader(data, clock), 10_000, Recorder())
        clock.advance(0)
        assert [len(c) for c in recorder.chunks] == [10_000] * 25 + [6_000]
        assert recorder.data == data

    def test_pauseInsideChunkReceived(self, clock: Clock) -> None:
        stream = reader(b"abcdefgh", clock)

        def pause(recorder: Recorder, data: bytes) -> None:
            assert recorder.producer is not None
            recorder.producer.pauseProducing()

        recorder = start(stream, 2, Recorder(pause))
        clock.advance(0)
        assert recorder.chunks == [b"ab"]
        clock.advance(1)
        assert recorder.chunks == [b"ab"]
        assert clock.getDelayedCalls() == []
        assert recorder.producer is not None
        recorder.producer.resumeProducing()
        assert recorder.chunks == [b"ab"], "resume delivers later, not inside the call"
        clock.advance(0)
        assert recorder.chunks == [b"ab", b"cd"]
        recorder.onChunk = None
        recorder.producer.resumeProducing()
        clock.advance(0)
        assert recorder.chunks == [b"ab", b"cd", b"ef", b"gh"]
        assert recorder.ends == [None]

    def test_pauseBeforeDelivery(self, clock: Clock) -> None:
        recorder = start(reader(b"abc", clock), 2, Recorder())
        assert recorder.producer is not None
        recorder.producer.pauseProducing()
        clock.advance(0)
        assert (recorder.chunks, recorder.ends) == ([], [])
        recorder.producer.resumeProducing()
        clock.advance(0)
        assert (recorder.chunks, recorder.ends) == ([b"ab", b"c"], [None])

    def test_pausedAtEndHoldsTheEnd(self, clock: Clock) -> None:
        def pause(recorder: Recorder, data: bytes) -> None:
            assert recorder.producer is not None
            recorder.producer.pauseProducing()

        recorder = start(reader(b"ab", clock), 2, Recorder(pause))
        clock.advance(0)
        assert (recorder.chunks, recorder.ends) == ([b"ab"], [])
        assert recorder.producer is not None
        recorder.producer.resumeProducing()
        clock.advance(0)
        assert recorder.ends == [None]

    def test_pauseAndResumeInsideChunkReceived(self, clock: Clock) -> None:
        def both(recorder: Recorder, data: bytes) -> None:
            assert recorder.producer is not None
            recorder.producer.pauseProducing()
            recorder.producer.resumeProducing()

        recorder = start(reader(b"abcdef", clock), 2, Recorder(both))
        clock.advance(0)
        assert recorder.chunks == [b"ab", b"cd", b"ef"]
        assert recorder.ends == [None]
        assert clock.getDelayedCalls() == []

    def test_resumeTwiceIsHarmless(self, clock: Clock) -> None:
        recorder = start(reader(b"abc", clock), 1, Recorder())
        assert recorder.producer is not None
        recorder.producer.resumeProducing()
        recorder.producer.resumeProducing()
        clock.advance(0)
        assert recorder.chunks == [b"a", b"b", b"c"]
        assert recorder.ends == [None]

    def test_stopInsideChunkReceivedLeavesTheRest(self, clock: Clock) -> None:
        stream = reader(b"abcdef", clock)

        def stop(recorder: Recorder, data: bytes) -> None:
            assert recorder.producer is not None
            recorder.producer.stopProducing()

        recorder = start(stream, 2, Recorder(stop))
        clock.advance(0)
        clock.advance(0)
        assert recorder.chunks == [b"ab"]
        assert recorder.ends == [], "no chunksEnded after stopProducing"
        assert stream.readNow(10) == b"cdef"

    def test_stopBeforeDelivery(self, clock: Clock) -> None:
        stream = reader(b"abc", clock)
        recorder = start(stream, 2, Recorder())
        assert recorder.producer is not None
        recorder.producer.stopProducing()
        recorder.producer.stopProducing()
        recorder.producer.resumeProducing()
        clock.advance(0)
        assert (recorder.chunks, recorder.ends) == ([], [])
        assert stream.readNow(10) == b"abc"

    def test_producersServedInOrder(self, clock: Clock) -> None:
        stream = reader(b"abcdefgh", clock)

        def stopAfterOne(recorder: Recorder, data: bytes) -> None:
            assert recorder.producer is not None
            recorder.producer.stopProducing()

        first = start(stream, 3, Recorder(stopAfterOne))
        second = start(stream, 2, Recorder(stopAfterOne))
        third = start(stream, 10, Recorder())
        fourth = start(stream, 10, Recorder())
        clock.advance(0)
        assert first.chunks == [b"abc"]
        assert second.chunks == [b"de"]
        assert third.chunks == [b"fgh"]
        assert (third.ends, fourth.chunks, fourth.ends) == ([None], [], [None])

    def test_pausedFirstProducerHoldsTheOthers(self, clock: Clock) -> None:
        stream = reader(b"abcd", clock)

        def pause(recorder: Recorder, data: bytes) -> None:
            assert recorder.producer is not None
            recorder.producer.pauseProducing()

        first = start(stream, 1, Recorder(pause))
        second = start(stream, 10, Recorder())
        clock.advance(0)
        assert (first.chunks, second.chunks) == ([b"a"], [])
        assert first.producer is not None
        first.producer.stopProducing()
        clock.advance(0)
        assert (second.chunks, second.ends) == ([b"bcd"], [None])
        assert first.ends == []

    def test_producerStartedInsideChunkReceived(self, clock: Clock) -> None:
        stream = reader(b"abcdef", clock)
        later: list[Recorder] = []

        def spawn(recorder: Recorder, data: bytes) -> None:
            if not later:
                later.append(start(stream, 1, Recorder()))

        first = start(stream, 2, Recorder(spawn))
        clock.advance(0)
        assert first.chunks == [b"ab", b"cd", b"ef"]
        assert first.ends == [None]
        assert later[0].ends == [None]
        assert later[0].chunks == []

    def test_syncReadsShareThePosition(self, clock: Clock) -> None:
        stream = reader(b"abcdef", clock)

        def readMore(recorder: Recorder, data: bytes) -> None:
            recorder.chunks.append(stream.readNow(1) or b"")

        recorder = start(stream, 2, Recorder(readMore))
        clock.advance(0)
        assert recorder.chunks == [b"ab", b"c", b"de", b"f"]

    def test_notReadableFails(self, clock: Clock) -> None:
        stream = BufferStream(buf(b"abc"), MODE_WRITE, reactor=clock)
        recorder = start(stream, 2, Recorder())
        assert recorder.ends == []
        clock.advance(0)
        assert recorder.chunks == []
        [failed] = recorder.ends
        assert failed is not None
        assert failed.code == -1
        assert "not readable" in failed.message

    def test_closedFails(self, clock: Clock) -> None:
        stream = reader(b"abc", clock)
        stream.close()
        recorder = start(stream, 2, Recorder())
        clock.advance(0)
        [failed] = recorder.ends
        assert failed is not None
        assert "closed" in failed.message

    def test_closeInsideChunkReceivedEndsAsEndOfStream(self, clock: Clock) -> None:
        stream = reader(b"abcdef", clock)
        recorder = start(stream, 2, Recorder(lambda r, d: stream.close()))
        other = start(stream, 2, Recorder())
        clock.advance(0)
        assert recorder.chunks == [b"ab"]
        assert recorder.ends == [None]
        assert other.ends == [None]

    def test_closeWhilePaused(self, clock: Clock) -> None:
        stream = reader(b"abcdef", clock)

        def pause(recorder: Recorder, data: bytes) -> None:
            assert recorder.producer is not None
            recorder.producer.pauseProducing()

        recorder = start(stream, 2, Recorder(pause))
        clock.advance(0)
        stream.close()
        clock.advance(0)
        assert recorder.ends == []
        assert recorder.producer is not None
        recorder.producer.resumeProducing()
        clock.advance(0)
        assert (recorder.chunks, recorder.ends) == ([b"ab"], [None])

    def test_closeBeforeDelivery(self, clock: Clock) -> None:
        stream = reader(b"abc", clock)
        recorder = start(stream, 2, Recorder())
        stream.close()
        clock.advance(0)
        assert (recorder.chunks, recorder.ends) == ([], [None])

    def test_dataWrittenToTheBufferMeanwhileIsDelivered(self, clock: Clock) -> None:
        source = buf(b"ab")
        stream = BufferStream(source, MODE_READ, reactor=clock)
        recorder = start(stream, 10, Recorder())
        source._data.extend(b"cd")
        clock.advance(0)
        assert recorder.chunks == [b"abcd"]

    def test_oneScheduledCallForManyStarts(self, clock: Clock) -> None:
        stream = reader(b"abc", clock)
        for _ in range(5):
            start(stream, 1, Recorder())
        assert len(clock.getDelayedCalls()) == 1


class TestWriteChunk:
    def test_writesThenReportsLater(self, clock: Clock) -> None:
        target = buf(b"xyz")
        stream = BufferStream(target, MODE_APPEND, reactor=clock)
        done: list[Failed | None] = []
        stream.writeChunk(b"abc", done.append)
        assert done == []
        assert bytes(target) == b"xyzabc"
        clock.advance(0)
        assert done == [None]

    def test_refusedWhenNotWritable(self, clock: Clock) -> None:
        target = buf(b"xyz")
        stream = BufferStream(target, MODE_READ, reactor=clock)
        done: list[Failed | None] = []
        stream.writeChunk(b"abc", done.append)
        assert done == []
        clock.advance(0)
        [failed] = done
        assert failed is not None
        assert failed.code == -1
        assert bytes(target) == b"xyz"

    def test_refusedWhenClosed(self, clock: Clock) -> None:
        stream = BufferStream(buf(), MODE_WRITE, reactor=clock)
        stream.close()
        done: list[Failed | None] = []
        stream.writeChunk(b"abc", done.append)
        clock.advance(0)
        assert done[0] is not None
        assert "closed" in done[0].message


class TestProperties:
    @given(
        data=st.binary(max_size=300),
        chunkSize=st.integers(min_value=1, max_value=64),
    )
    def test_chunksAreFullExceptTheLast(self, data: bytes, chunkSize: int) -> None:
        clock = Clock()
        recorder = start(reader(data, clock), chunkSize, Recorder())
        clock.advance(0)
        assert recorder.chunks == [data[i : i + chunkSize] for i in range(0, len(data), chunkSize)]
        assert recorder.ends == [None]

    @given(
        data=st.binary(max_size=200),
        lengths=st.lists(st.integers(min_value=1, max_value=40), min_size=1, max_size=30),
    )
    def test_readNowGivesMinOfLengthAndRemaining(self, data: bytes, lengths: list[int]) -> None:
        stream = reader(data, Clock())
        position = 0
        for length in lengths:
            chunk = stream.readNow(length)
            if position >= len(data):
                assert chunk is None
            else:
                assert chunk == data[position : position + length]
                position += len(chunk)

    @given(
        initial=st.binary(max_size=50),
        writes=st.lists(st.binary(max_size=20), max_size=10),
        mode=st.sampled_from([MODE_WRITE, MODE_APPEND]),
    )
    def test_writesAgreeWithAModel(self, initial: bytes, writes: list[bytes], mode: int) -> None:
        target = buf(initial)
        stream = BufferStream(target, mode)
        model = bytearray(initial)
        position = len(initial) if mode == MODE_APPEND else 0
        for data in writes:
            assert stream.write(buf(data)) == len(data)
            model[position : position + len(data)] = data
            position += len(data)
        assert bytes(target) == bytes(model)


class TestRandomConsumers:
    @settings(max_examples=200)
    @given(
        data=st.binary(max_size=100),
        consumers=st.lists(
            st.tuples(
                st.integers(min_value=1, max_value=20),
                st.lists(st.sampled_from(["none", "pause", "stop", "pauseResume"]), max_size=8),
            ),
            min_size=1,
            max_size=4,
        ),
    )
    def test_pauseResumeStopInAnyOrder(
        self, data: bytes, consumers: list[tuple[int, list[str]]]
    ) -> None:
        """
        Consumers that pause, resume and stop at random get disjoint, ordered
        pieces of the data, never a chunk while paused, at most one end, and
        whatever nobody took is still there to read.
        """
        clock = Clock()
        stream = reader(data, clock)
        recorders: list[Recorder] = []
        paused: dict[int, bool] = {}

        for index, (size, actions) in enumerate(consumers):
            plan = list(actions)

            def act(
                recorder: Recorder, chunk: bytes, i: int = index, plan: list[str] = plan
            ) -> None:
                assert not paused.get(i), "chunk while paused"
                assert 1 <= len(chunk) <= consumers[i][0]
                assert recorder.producer is not None
                action = plan.pop(0) if plan else "none"
                if action == "pause":
                    paused[i] = True
                    recorder.producer.pauseProducing()
                elif action == "stop":
                    recorder.producer.stopProducing()
                elif action == "pauseResume":
                    recorder.producer.pauseProducing()
                    recorder.producer.resumeProducing()

            recorders.append(start(stream, size, Recorder(act)))

        for _ in range(50):
            clock.advance(0)
            for i, recorder in enumerate(recorders):
                if paused.get(i):
                    paused[i] = False
                    assert recorder.producer is not None
                    recorder.producer.resumeProducing()
        clock.advance(0)
        assert clock.getDelayedCalls() == []
        assert all(len(r.ends) <= 1 for r in recorders)
        taken = b"".join(r.data for r in recorders)
        # Producers are served one at a time, in order: their data follow each other.
        assert data.startswith(taken)
        assert taken + (stream.readNow(1000) or b"") == data

    @settings(max_examples=50)
    @given(
        data=st.binary(min_size=1, max_size=200),
        size=st.integers(min_value=1, max_value=30),
        holdEvery=st.integers(min_value=1, max_value=5),
    )
    def test_pauseEveryFewChunks(self, data: bytes, size: int, holdEvery: int) -> None:
        clock = Clock()

        def maybePause(recorder: Recorder, chunk: bytes) -> None:
            if len(recorder.chunks) % holdEvery == 0:
                assert recorder.producer is not None
                recorder.producer.pauseProducing()
                clock.callLater(1, recorder.producer.resumeProducing)

        recorder = start(reader(data, clock), size, Recorder(maybePause))
        for _ in range(1000):
            if not clock.getDelayedCalls():
                break
            clock.advance(1)
        assert recorder.data == data
        assert recorder.ends == [None]


class TestThreadsAndReactor:
    def test_syncIOInAWorkerThread(self) -> None:
        """Streams over buffers work synchronously in any thread, no reactor involved."""
        results: list[Any] = []

        def work() -> None:
            stream = BufferStream(buf(b"from a thread"), MODE_READ)
            out = buf(bytes(4))
            results.append(stream.read(out))
            results.append(bytes(out))
            target = buf()
            results.append(BufferStream(target, MODE_WRITE).write(buf(b"xy")))
            results.append(bytes(target))

        thread = threading.Thread(target=work)
        thread.start()
        thread.join()
        assert results == [4, b"from", 2, b"xy"]

    @pytest_twisted.inlineCallbacks
    def test_globalReactorByDefault(self) -> Any:
        stream = BufferStream(buf(b"abc"), MODE_READ)
        done: Deferred[ReadEvent] = Deferred()
        out = buf(bytes(2))
        assert stream.read(out, done.callback) == 0
        assert not done.called
        event = yield done
        assert event.bytesProcessed == 2
        assert bytes(out) == b"ab"

    @pytest_twisted.inlineCallbacks
    def test_asyncReadFromAWorkerThread(self, reactor: Any) -> Any:
        """The callback runs in the reactor thread even when the read started elsewhere."""
        stream = BufferStream(buf(b"abc"), MODE_READ)
        done: Deferred[Any] = Deferred()

        def callback(event: ReadEvent) -> None:
            done.callback((event.bytesProcessed, threading.current_thread()))

        thread = threading.Thread(target=lambda: stream.read(buf(bytes(5)), callback))
        thread.start()
        result = yield done
        thread.join()
        assert result == (3, threading.current_thread())

    @pytest_twisted.inlineCallbacks
    def test_asyncWriteFromAWorkerThread(self, reactor: Any) -> Any:
        """The bytes are taken at the call; the callback runs in the reactor thread."""
        target = buf()
        stream = BufferStream(target, MODE_WRITE)
        done: Deferred[Any] = Deferred()

        def callback(event: WriteEvent) -> None:
            done.callback((event.bytesProcessed, threading.current_thread()))

        def work() -> None:
            data = buf(b"abc")
            assert stream.write(data, callback) == 0
            data._data[:] = b"xyz"

        thread = threading.Thread(target=work)
        thread.start()
        result = yield done
        thread.join()
        assert result == (3, threading.current_thread())
        assert bytes(target) == b"abc"

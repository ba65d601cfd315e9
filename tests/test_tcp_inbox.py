"""The Inbox: received bytes of one connection, its consumers, its high-water mark."""

from __future__ import annotations

import pytest
from twisted.internet.task import Clock

from tisocket_twisted._events import Failed
from tisocket_twisted._inbox import ChunkStream, Inbox


class Owner:
    def __init__(self) -> None:
        self.events: list[str] = []
        self.finished = 0

    def inboxFull(self) -> None:
        self.events.append("full")

    def inboxDrained(self) -> None:
        self.events.append("drained")

    def inboxEndDelivered(self) -> None:
        self.events.append("end")

    def inboxFinished(self) -> None:
        self.finished += 1


class Consumer:
    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.ended: list[Failed | None] = []
        self.handle: ChunkStream | None = None
        self.onChunk: object = None

    def chunkReceived(self, data: bytes) -> None:
        assert not self.ended
        self.chunks.append(data)
        if callable(self.onChunk):
            self.onChunk(data)

    def chunksEnded(self, failed: Failed | None) -> None:
        self.ended.append(failed)


def make(highWaterMark: int = 1000) -> tuple[Inbox, Owner, Clock]:
    owner = Owner()
    clock = Clock()
    return Inbox(owner, highWaterMark, clock), owner, clock


def add(inbox: Inbox, size: int) -> Consumer:
    consumer = Consumer()
    handle = ChunkStream(consumer, size)
    consumer.handle = handle
    inbox.addConsumer(handle)
    return consumer


def test_hotPathPassesTheReceivedObjectThrough() -> None:
    inbox, _, _ = make()
    consumer = add(inbox, 100)
    data = b"x" * 100
    inbox.dataReceived(data)
    assert consumer.chunks[0] is data
    assert inbox.received == 100
    assert inbox.size == 0


def test_aHeldBytearrayIsHandedOverWholeWhenItFits() -> None:
    inbox, _, clock = make()
    data = bytearray(b"abc")
    inbox.dataReceived(data)  # type: ignore[arg-type]
    consumer = add(inbox, 10)
    clock.advance(0)
    assert consumer.chunks[0] is data  # ownership passes to the consumer
    data2 = bytearray(b"defghij")
    inbox.dataReceived(data2)  # type: ignore[arg-type]
    assert consumer.chunks[1] is data2


def test_chunksAreSplitToMaxChunkSize() -> None:
    inbox, _, _ = make()
    consumer = add(inbox, 7)
    inbox.dataReceived(bytes(range(30)))
    assert [len(c) for c in consumer.chunks] == [7, 7, 7, 7, 2]
    assert b"".join(consumer.chunks) == bytes(range(30))
    assert all(type(c) is bytes for c in consumer.chunks)


def test_piecesOfAReceivedBytearrayAreNewBytearraysTheConsumerOwns() -> None:
    inbox, _, _ = make()
    consumer = add(inbox, 4)
    received = bytearray(range(10))
    inbox.dataReceived(received)  # type: ignore[arg-type]
    assert [bytes(c) for c in consumer.chunks] == [bytes(range(4)), bytes(range(4, 8)), b"\x08\x09"]
    # Each piece is its own bytearray (a pump wraps it in a Buffer without a
    # copy): changing one changes neither the others nor what was received.
    assert all(type(c) is bytearray for c in consumer.chunks)
    consumer.chunks[0][:] = b"zzzz"
    assert consumer.chunks[1] == bytearray(range(4, 8))
    assert received == bytearray(range(10))


def test_heldDataWaitsForAConsumerAndIsJoinedUpToTheLimit() -> None:
    inbox, _, clock = make()
    inbox.dataReceived(b"abc")
    inbox.dataReceived(b"defgh")
    inbox.dataReceived(b"ij")
    consumer = add(inbox, 6)
    assert consumer.chunks == []  # never before produceChunks returns
    clock.advance(0)
    assert consumer.chunks == [b"abcdef", b"ghij"]


def test_pauseTakesEffectAtOnceAndResumeDeliversLater() -> None:
    inbox, _, clock = make()
    consumer = add(inbox, 2)
    consumer.onChunk = lambda data: consumer.handle.pauseProducing()  # type: ignore[union-attr]
    inbox.dataReceived(b"abcdef")
    assert consumer.chunks == [b"ab"]
    consumer.onChunk = None
    assert consumer.handle is not None
    consumer.handle.resumeProducing()
    assert consumer.chunks == [b"ab"]
    clock.advance(0)
    assert consumer.chunks == [b"ab", b"cd", b"ef"]


def test_aConsumerThatClosesTheInboxMidStringGetsNoFurtherPiece() -> None:
    inbox, _, clock = make()
    consumer = add(inbox, 2)
    consumer.onChunk = lambda data: inbox.close() if data == b"cd" else None
    inbox.dataReceived(b"abcdefgh")
    assert consumer.chunks == [b"ab", b"cd"]
    assert inbox.size == 0
    clock.advance(0)
    assert consumer.ended == [None]


def test_dataArrivingDuringADeliveryWaitsItsTurn() -> None:
    inbox, _, _ = make()
    consumer = add(inbox, 2)
    consumer.onChunk = lambda data: inbox.dataReceived(b"XY") if data == b"cd" else None
    inbox.dataReceived(b"abcdefgh")
    assert consumer.chunks == [b"ab", b"cd", b"ef", b"gh", b"XY"]
    assert inbox.size == 0
    assert inbox.received == 10


def test_consumersAreServedFifo() -> None:
    inbox, _, _ = make()
    first = add(inbox, 3)
    second = add(inbox, 3)
    first.onChunk = lambda data: first.handle.stopProducing()  # type: ignore[union-attr]
    inbox.dataReceived(b"abcdefgh")
    assert first.chunks == [b"abc"]
    assert first.ended == []  # stopped: no chunksEnded
    assert second.chunks == [b"def", b"gh"]


def test_aWaitingConsumerThatStopsLosesItsTurn() -> None:
    inbox, _, _ = make()
    first = add(inbox, 3)
    second = add(inbox, 3)
    third = add(inbox, 3)
    assert inbox.busy
    second.handle.stopProducing()  # type: ignore[union-attr]
    first.onChunk = lambda data: first.handle.stopProducing()  # type: ignore[union-attr]
    inbox.dataReceived(b"abcdefgh")
    assert first.chunks == [b"abc"]
    assert second.chunks == []
    assert third.chunks == [b"def", b"gh"]
    inbox.endReceived()
    assert third.ended == [None]
    assert first.ended == second.ended == []
    assert not inbox.busy


def test_endOfStreamAfterHeldDataThenOwnerIsTold() -> None:
    inbox, owner, clock = make()
    inbox.dataReceived(b"hello")
    inbox.endReceived()
    assert owner.events == []
    first = add(inbox, 3)
    second = add(inbox, 3)
    clock.advance(0)
    assert first.chunks == [b"hel", b"lo"]
    assert first.ended == [None]
    assert second.ended == [None]
    assert owner.events == ["end"]


def test_endWithoutConsumersWaitsForOne() -> None:
    inbox, owner, clock = make()
    inbox.endReceived()
    clock.advance(0)
    assert owner.events == []
    consumer = add(inbox, 10)
    clock.advance(0)
    assert consumer.ended == [None]
    assert owner.events == ["end"]


def test_failEndsEveryConsumerAndDropsData() -> None:
    inbox, owner, _ = make()
    first = add(inbox, 3)
    first.handle.pauseProducing()  # type: ignore[union-attr]
    second = add(inbox, 3)
    inbox.dataReceived(b"abcdef")
    failed = Failed(104, "reset")
    inbox.fail(failed)
    assert first.ended == [failed]
    assert second.ended == [failed]
    assert inbox.size == 0
    assert owner.finished == 1
    inbox.dataReceived(b"more")
    inbox.fail(failed)
    inbox.close()
    assert first.chunks == []
    assert owner.finished == 1  # reported once, the last thing reported


def test_closeEndsConsumersLaterWithSuccess() -> None:
    inbox, owner, clock = make()
    consumer = add(inbox, 3)
    inbox.close()
    assert owner.finished == 1
    assert consumer.ended == []
    clock.advance(0)
    assert consumer.ended == [None]
    assert clock.getDelayedCalls() == []


def test_stoppedConsumerGetsNoEnd() -> None:
    inbox, _, clock = make()
    consumer = add(inbox, 3)
    consumer.handle.stopProducing()  # type: ignore[union-attr]
    inbox.close()
    clock.advance(0)
    assert consumer.ended == []


def test_highWaterMarkPausesAndHalfResumes() -> None:
    inbox, owner, _ = make(highWaterMark=100)
    inbox.dataReceived(b"x" * 60)
    assert owner.events == []
    inbox.dataReceived(b"x" * 60)
    assert owner.events == ["full"]
    inbox.dataReceived(b"x" * 60)
    assert owner.events == ["full"]
    assert inbox.takeNow(100) == b"x" * 100
    assert owner.events == ["full"]  # 80 held: above half the mark
    assert inbox.takeNow(30) == b"x" * 30
    assert owner.events == ["full", "drained"]


def test_takeNow() -> None:
    inbox, _, _ = make()
    assert inbox.takeNow(5) == b""
    inbox.dataReceived(b"abc")
    inbox.dataReceived(b"def")
    assert inbox.takeNow(4) == b"abcd"
    assert inbox.takeNow(10) == b"ef"
    inbox.endReceived()
    assert inbox.takeNow(10) is None


def test_consumerAddedFromEndCallbackGetsEndToo() -> None:
    inbox, _, clock = make()
    later = Consumer()

    class Chaining(Consumer):
        def chunksEnded(self, failed: Failed | None) -> None:
            super().chunksEnded(failed)
            inbox.addConsumer(ChunkStream(later, 5))

    first = Chaining()
    inbox.addConsumer(ChunkStream(first, 5))
    inbox.endReceived()
    assert first.ended == [None]
    assert later.ended == [None]
    assert clock.getDelayedCalls() == []


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8, 64, 1000])
def test_everyByteArrivesOnceInOrder(size: int) -> None:
    inbox, _, clock = make(highWaterMark=50)
    consumer = add(inbox, size)
    toggle = [0]

    def pauseSometimes(data: bytes) -> None:
        toggle[0] += 1
        if toggle[0] % 3 == 0:
            consumer.handle.pauseProducing()  # type: ignore[union-attr]

    consumer.onChunk = pauseSometimes
    payload = bytes(i % 251 for i in range(997))
    for start in range(0, len(payload), 37):
        inbox.dataReceived(payload[start : start + 37])
        consumer.handle.resumeProducing()  # type: ignore[union-attr]
        clock.advance(0)
    while inbox.size:
        consumer.handle.resumeProducing()  # type: ignore[union-attr]
        clock.advance(0)
    assert b"".join(consumer.chunks) == payload
    assert max(len(c) for c in consumer.chunks) <= size

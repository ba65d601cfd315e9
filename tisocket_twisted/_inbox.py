"""
The received-but-unconsumed bytes of one connection, and who consumes them.

Data flows one way: C{transport} -> L{TCPProtocol.dataReceived} -> L{Inbox} ->
the consumers registered with C{produceChunks} (a pump, pending reads, ...).
Nothing else touches received bytes.

  - Consumers are served FIFO, one at a time: the oldest active consumer gets
    every chunk until it stops; a paused consumer at the head holds up the
    ones behind it (their turn comes in order).
  - Chunks are at most the consumer's C{maxChunkSize}. When the consumer can
    take a whole received string at once it gets that very object, no copy
    (the C{bytes} a TCP socket received; a C{bytearray} given to the inbox
    becomes the consumer's: the inbox never keeps or touches a chunk it has
    handed out); otherwise the held strings are cut by slicing (a piece of a
    C{bytearray} is a new C{bytearray}, again the consumer's), and pieces of
    several strings are joined through
    C{memoryview} slices: every byte is copied at most once on its way out and
    never re-copied while it waits.
  - Bytes nobody has asked for yet are held. Past C{highWaterMark} held bytes
    the owner is asked to stop reading the transport, and to resume once a
    consumer has drained the inbox to half the mark: a slow or absent reader
    cannot exhaust memory, and nothing is lost.
  - End of stream is delivered only after every byte received before it; each
    consumer then gets its C{chunksEnded(None)}. Once at least one consumer
    has been given the end, the owner is told (the socket then closes unless
    it allows half-open connections).
  - An error ends every consumer at once with the failure; a local close ends
    them (asynchronously) with L{None}. Held data is discarded in both cases.

The inbox runs in the reactor thread only; the socket hops there first.
"""

from __future__ import annotations

from collections import deque
from typing import Any, Protocol

from ._events import Failed
from ._iostream import ChunkConsumer
from ._log import libraryLog

__all__ = ["ChunkStream", "Inbox", "InboxOwner"]


class InboxOwner(Protocol):
    """What an L{Inbox} needs from the connection that owns it."""

    def inboxFull(self) -> None:
        """Held data reached the high-water mark: stop reading the transport."""

    def inboxDrained(self) -> None:
        """Held data fell to half the high-water mark: read the transport again."""

    def inboxEndDelivered(self) -> None:
        """A consumer has been given the end of stream (after all held data)."""

    def inboxFinished(self) -> None:
        """The inbox failed or was closed: this is the last thing it reports."""


class ChunkStream:
    """
    One consumer's handle on an L{Inbox}: what C{produceChunks} returns.

    Implements Twisted's C{IPushProducer} methods. C{pauseProducing} and
    C{stopProducing} take effect at once; C{resumeProducing} delivers what is
    held on a later reactor turn.
    """

    __slots__ = ("_inbox", "active", "consumer", "maxChunkSize", "paused")

    def __init__(self, consumer: ChunkConsumer, maxChunkSize: int) -> None:
        self.consumer = consumer
        self.maxChunkSize = maxChunkSize
        self.paused = False
        #: False once stopped or ended: nothing more is delivered.
        self.active = True
        self._inbox: Inbox | None = None

    def pauseProducing(self) -> None:
        """Deliver no more chunks until L{resumeProducing}."""
        self.paused = True

    def resumeProducing(self) -> None:
        """Deliver chunks again (from the next reactor turn)."""
        if self.paused:
            self.paused = False
            inbox = self._inbox
            if inbox is not None and self.active:
                inbox.wake()

    def stopProducing(self) -> None:
        """Deliver nothing more, not even C{chunksEnded}; leave held data for others."""
        if self.active:
            self.active = False
            self.consumer = _ENDED
            inbox = self._inbox
            if inbox is not None:
                inbox.remove(self)

    def end(self, failed: Failed | None) -> None:
        """Give the consumer its one C{chunksEnded}, unless it was stopped."""
        if self.active:
            self.active = False
            consumer = self.consumer
            # Consumers hold their handle: dropping the reference back lets both
            # be freed by reference counting, not by the cyclic GC.
            self.consumer = _ENDED
            consumer.chunksEnded(failed)


class _Ended:
    """The consumer of a handle that has ended or stopped: takes nothing."""

    __slots__ = ()

    def chunkReceived(self, data: bytes) -> None:
        """Nothing is delivered to an ended handle."""

    def chunksEnded(self, failed: Failed | None) -> None:
        """An ended handle has had its one C{chunksEnded}."""


_ENDED = _Ended()


class _NoOwner:
    """The owner of a finished inbox: nothing more is reported."""

    __slots__ = ()

    def inboxFull(self) -> None:
        """Never reported once finished."""

    def inboxDrained(self) -> None:
        """Never reported once finished."""

    def inboxEndDelivered(self) -> None:
        """Never reported once finished."""

    def inboxFinished(self) -> None:
        """Never reported to it: the owner it replaced is told, once."""


_NO_OWNER = _NoOwner()


class Inbox:
    """
    Received-but-unconsumed bytes of one connection, and its consumers.

    @ivar received: total bytes received on the connection (C{bytesRead}).
    @ivar highWaterMark: bytes held before the owner is asked to stop reading.
    @ivar finished: whether the inbox failed or was closed locally (nothing
        more is delivered; read it, never set it).
    """

    __slots__ = (
        "_clock",
        "_delivering",
        "_endNotified",
        "_ended",
        "_head",
        "_held",
        "_offset",
        "_owner",
        "_queue",
        "_readPaused",
        "_scheduled",
        "_size",
        "finished",
        "highWaterMark",
        "received",
    )

    def __init__(self, owner: InboxOwner, highWaterMark: int, clock: Any) -> None:
        self._owner = owner
        self._clock = clock
        self.highWaterMark = highWaterMark
        self.received = 0
        # Created when first needed: an empty deque costs 760 bytes, and most
        # connections hand every chunk straight to their consumer.
        self._held: deque[bytes] | None = None
        self._offset = 0  # bytes of _held[0] already delivered
        self._size = 0  # bytes held
        # The consumer being served, and the ones waiting behind it (a list
        # made when first needed: most connections only ever have one).
        self._head: ChunkStream | None = None
        self._queue: list[ChunkStream] | None = None
        self._delivering = False
        self._ended = False  # end of stream received from the peer
        self._endNotified = False
        self.finished = False  # failed or closed locally: nothing more happens
        self._readPaused = False
        self._scheduled: Any = None  # IDelayedCall of a pending deliver()

    # Introspection used by the socket.
    @property
    def size(self) -> int:
        """Bytes held, not yet delivered to anybody."""
        return self._size

    @property
    def ended(self) -> bool:
        """Whether the peer's end of stream has arrived."""
        return self._ended

    @property
    def busy(self) -> bool:
        """Whether consumers are waiting (a synchronous read would have to queue)."""
        return self._head is not None

    # From the transport (through the protocol).
    def dataReceived(self, data: bytes) -> None:
        """Take bytes from the transport: hand them on or hold them."""
        n = len(data)
        self.received += n
        if self.finished:
            return
        if not self._size and not self._delivering:
            head = self._head
            if head is not None and not head.paused and n <= head.maxChunkSize:
                # The hot path: one received string, one chunk, no copy.
                self._delivering = True
                try:
                    head.consumer.chunkReceived(data)
                finally:
                    self._delivering = False
                if self._size or (self._ended and self._head is not None):
                    self.deliver()
                return
        held = self._held
        if held is None:
            held = self._held = deque()
        held.append(data)
        self._size += n
        if not self._delivering:
            self.deliver()
        if self._size >= self.highWaterMark and not self._readPaused and not self.finished:
            self._readPaused = True
            self._owner.inboxFull()

    def endReceived(self) -> None:
        """The peer sent its end of stream (FIN)."""
        if self._ended or self.finished:
            return
        self._ended = True
        if not self._delivering:
            self.deliver()

    def fail(self, failed: Failed) -> None:
        """End every consumer now with C{failed}; discard held data."""
        if self.finished:
            return
        self._finish()
        for handle in self._takeConsumers():
            handle.end(failed)

    def close(self) -> None:
        """
        A local close: discard held data, and end every consumer with L{None}
        on a later reactor turn.
        """
        if self.finished:
            return
        self._finish()
        consumers = self._takeConsumers()
        if consumers:
            self._clock.callLater(0, _endAll, consumers)

    def _finish(self) -> None:
        self.finished = True
        # Nothing more is reported to the owner; dropping the reference back
        # to it lets both be freed by reference counting.
        owner = self._owner
        self._owner = _NO_OWNER
        self._held = None
        self._size = 0
        self._offset = 0
        if self._scheduled is not None:
            self._scheduled.cancel()
            self._scheduled = None
        owner.inboxFinished()

    # Consumers.
    def addConsumer(self, handle: ChunkStream) -> None:
        """Register a consumer; it is served after the ones already waiting."""
        if self.finished:
            raise RuntimeError("inbox is finished")
        handle._inbox = self
        if self._head is None:
            self._head = handle
        elif self._queue is None:
            self._queue = [handle]
        else:
            self._queue.append(handle)
        if self._size or self._ended:
            self.wake()

    def remove(self, handle: ChunkStream) -> None:
        """Forget a stopped consumer; the next one in line gets the data."""
        queue = self._queue
        if handle is self._head:
            self._next()
        elif queue is not None and handle in queue:
            queue.remove(handle)
        else:
            return
        handle._inbox = None
        if (self._size or self._ended) and self._head is not None:
            self.wake()

    def wake(self) -> None:
        """Deliver what is held on a later reactor turn (unless a delivery is running)."""
        if self._delivering or self._scheduled is not None or self.finished:
            return
        if not self._size and not self._ended:
            # Nothing to deliver: the next data or end of stream is delivered as
            # it arrives (a pump resumed after each write needs no reactor turn).
            return
        self._scheduled = self._clock.callLater(0, self._scheduledDeliver)

    def _scheduledDeliver(self) -> None:
        self._scheduled = None
        self.deliver()

    def deliver(self) -> None:
        """Serve the head consumer from held data, then the end of stream."""
        if self._delivering or self.finished:
            return
        self._delivering = True
        endGiven = False
        try:
            while not self.finished:
                head = self._head
                if head is None or head.paused:
                    break
                if self._size:
                    limit = head.maxChunkSize
                    first = self._held[0]  # type: ignore[index]
                    offset = self._offset
                    if len(first) - offset > limit:
                        # _take's first case, inlined, in a loop of its own: whole
                        # pieces of the oldest string for as long as this head takes
                        # them. In between it may pause, or stop, or close or fail
                        # the inbox (which takes every consumer: the head changes);
                        # nobody else takes held data while it is the head.
                        receive = head.consumer.chunkReceived
                        last = len(first) - limit  # after an end below it, over a piece is left
                        while True:
                            self._offset = end = offset + limit
                            self._size -= limit
                            receive(first[offset:end])
                            if end >= last or self._head is not head or head.paused:
                                break
                            offset = end
                    else:
                        head.consumer.chunkReceived(self._take(limit))
                elif self._ended:
                    self._next()
                    head._inbox = None
                    endGiven = True
                    head.end(None)
                else:
                    break
        finally:
            self._delivering = False
        if self._readPaused and self._size <= self.highWaterMark // 2 and not self.finished:
            self._readPaused = False
            self._owner.inboxDrained()
        if endGiven and not self._endNotified:  # noteEndDelivered(), inlined
            self._endNotified = True
            self._owner.inboxEndDelivered()

    def _next(self) -> None:
        """The consumer behind the head (if any) is served next."""
        queue = self._queue
        self._head = queue.pop(0) if queue else None

    def _takeConsumers(self) -> list[ChunkStream]:
        """Forget every consumer (oldest first), for ending them."""
        head = self._head
        if head is None:
            return []
        consumers = [head]
        if self._queue:
            consumers.extend(self._queue)
        self._head = self._queue = None
        for handle in consumers:
            handle._inbox = None
        return consumers

    def noteEndDelivered(self) -> None:
        """Tell the owner (once) that the end of stream reached a consumer."""
        if not self._endNotified:
            self._endNotified = True
            self._owner.inboxEndDelivered()

    def takeNow(self, maxLength: int) -> bytes | None:
        """
        Take up to C{maxLength} held bytes synchronously.

        Returns C{b""} when nothing is held (and the stream has not ended), and
        L{None} at end of stream. The caller must check L{busy} first: held data
        belongs to waiting consumers before anyone else.
        """
        if self._size:
            data = self._take(maxLength)
            if self._readPaused and self._size <= self.highWaterMark // 2:
                self._readPaused = False
                self._owner.inboxDrained()
            return data
        if self._ended:
            return None
        return b""

    def _take(self, limit: int) -> bytes:
        """Remove and return up to C{limit} held bytes (at least one)."""
        held = self._held
        assert held is not None  # only called when _size > 0
        first = held[0]
        offset = self._offset
        available = len(first) - offset
        if available > limit:
            # One copy either way; a slice of a bytearray is a new bytearray,
            # which the consumer then owns (no second copy).
            self._offset = offset + limit
            self._size -= limit
            return first[offset : offset + limit]
        held.popleft()
        self._offset = 0
        if available == limit or not held:
            self._size -= available
            return first[offset:] if offset else first
        # Join pieces up to the limit; memoryview slices avoid copies before the join.
        parts: list[bytes | memoryview] = [memoryview(first)[offset:] if offset else first]
        total = available
        while held and total < limit:
            piece = held[0]
            need = limit - total
            if len(piece) <= need:
                parts.append(piece)
                total += len(piece)
                held.popleft()
            else:
                parts.append(memoryview(piece)[:need])
                self._offset = need
                total = limit
        self._size -= total
        return b"".join(parts)


def _endAll(handles: list[ChunkStream]) -> None:
    """End consumers after a local close (each gets one C{chunksEnded(None)})."""
    for handle in handles:
        try:
            handle.end(None)
        except Exception:
            libraryLog.failure("Exception while ending a consumer after close()")

"""
User apps for C{twistd -n tisocket --app userapp_for_twistd:NAME}, as a
Titanium developer would write them: plain functions of the C{accepted}
event, only the Ti API, no Twisted code.

Used in-process by C{tests/test_apps.py} and through a real twistd by
C{tests/test_twistd.py} (C{tests/} is put on C{PYTHONPATH}).
"""

from __future__ import annotations

from typing import Any

from tisocket_twisted import Ti

#: Bytes written at once by L{burst}.
BURST_SIZE = 16 * 1024 * 1024


def burstPayload() -> bytes:
    """The bytes L{burst} writes: a recognisable, non-repeating-per-KiB pattern."""
    block = bytes(range(256)) * 4
    return b"".join(i.to_bytes(4, "big") + block[4:] for i in range(BURST_SIZE // len(block)))


def shout(e: Any) -> None:
    """Greet, then send back everything received in upper case; close at end of stream."""
    inbound = e.inbound
    inbound.write(Ti.createBuffer({"value": "HELLO FROM A TI APP\r\n"}))

    def pumpCallback(ev: Any) -> None:
        if ev.bytesProcessed > 0:
            inbound.write(Ti.createBuffer({"value": ev.buffer.toString().upper()}))

    Ti.Stream.pump(inbound, pumpCallback, 1024, True)


def burst(e: Any) -> None:
    """Write L{BURST_SIZE} bytes at once and keep the connection open."""
    e.inbound.write(Ti.createBuffer({"value": burstPayload().decode("latin1"), "type": "latin1"}))


def broken(e: Any) -> None:
    """An app with a bug: it raises before using its socket."""
    raise RuntimeError("a bug in the user app")


notCallable = 42

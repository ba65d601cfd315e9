"""
Shared helpers of the reliability suite: bounded waits, file-descriptor
counts, raw-socket clients in threads, and the heavy-variant switch.

Every wait is bounded: a Deferred gets a timeout, a thread join a deadline.
Nothing sleeps for a fixed time to wait for an event.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable
from typing import Any

import pytest
from twisted.internet.defer import Deferred
from twisted.internet.threads import deferToThread

from tisocket_twisted import ErrorEvent, TCPSocket, createTCP
from tisocket_twisted.testing import connectedPair

#: Upper bound of any single wait in the suite.
WAIT = 60.0

#: Run the heavy variants (full sizes and counts) when set to 1.
HEAVY = os.environ.get("TISOCKET_HEAVY", "") == "1"

_skipUnlessHeavy = pytest.mark.skipif(not HEAVY, reason="heavy variant: set TISOCKET_HEAVY=1")


def heavy(test: Any) -> Any:
    """Mark C{test} as a heavy variant (C{-m heavy}), skipped unless C{TISOCKET_HEAVY=1}."""
    return pytest.mark.heavy(_skipUnlessHeavy(test))


def scaled(default: int, full: int) -> int:
    """C{full} under C{TISOCKET_HEAVY=1}, else C{default}."""
    return full if HEAVY else default


def within(d: Deferred[Any], reactor: Any, seconds: float = WAIT) -> Deferred[Any]:
    """C{d}, failing with a timeout after C{seconds}."""
    return d.addTimeout(seconds, reactor)


def fdCount() -> int:
    """File descriptors open in this process."""
    return len(os.listdir("/proc/self/fd"))


def socketFdCount() -> int:
    """Socket file descriptors open in this process."""
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            count += os.readlink(f"/proc/self/fd/{fd}").startswith("socket:")
    return count


def listener(**options: Any) -> TCPSocket:
    """A socket listening on 127.0.0.1, port 0."""
    options.setdefault("host", "127.0.0.1")
    sock = createTCP(port=0, **options)
    sock.listen()
    return sock


async def connected(reactor: Any, port: int, **options: Any) -> TCPSocket:
    """A client socket CONNECTED to 127.0.0.1:C{port}."""
    sock = createTCP(host="127.0.0.1", port=port, **options)
    event = await within(sock.connect(), reactor)
    assert not isinstance(event, ErrorEvent), event
    return sock


async def pair(reactor: Any, **listenOptions: Any) -> tuple[TCPSocket, TCPSocket, TCPSocket]:
    """A listener, a connected client and the accepted inbound socket (the toolkit's pair)."""
    server = listener(**listenOptions)
    sockets = await connectedPair(reactor, listener=server, timeout=WAIT)
    return server, sockets.client, sockets.inbound


async def closeAll(reactor: Any, *sockets: TCPSocket) -> None:
    """Close every socket and wait until its OS socket is gone."""
    for sock in sockets:
        with contextlib.suppress(Exception):
            await within(sock.close(), reactor)


def inThread(reactor: Any, f: Callable[..., Any], *args: Any) -> Deferred[Any]:
    """Run C{f(*args)} in a worker thread; bounded by L{WAIT}."""
    return within(deferToThread(f, *args), reactor)


class Gate:
    """A thread-safe one-shot event that the reactor sets and a thread waits on, bounded."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def set(self) -> None:
        self._event.set()

    def wait(self, seconds: float = WAIT) -> None:
        if not self._event.wait(seconds):
            raise TimeoutError(f"gate not opened within {seconds} s")

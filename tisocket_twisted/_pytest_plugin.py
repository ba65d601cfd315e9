"""
The pytest plugin of L{tisocket_twisted.testing}, registered as C{tisocket}
through the C{pytest11} entry point: installing tisocket-twisted makes its
fixtures available to every test, with nothing to configure.

Fixtures on the real reactor (they need pytest-twisted, which runs it):

  - C{tiReactor}: the global reactor, as pytest-twisted runs it.
  - C{tiListener}: a Ti socket listening on 127.0.0.1, port 0; closed after
    the test.
  - C{tiConnectedPair}: a L{SocketPair} on loopback (client, inbound,
    listener); closed after the test.
  - C{tiCleanReactor}: fails the test if it leaves a DelayedCall, a reader or
    a writer behind (use it, or make it C{autouse} in a C{conftest.py}); a
    test marked C{noCleanReactorCheck} is not checked.

Deterministic fixtures (no reactor running, no file descriptors):

  - C{tiMemoryNetwork}: a fresh L{MemoryNetwork}.
  - C{tiMemoryPair}: a L{MemorySocketPair} on it; closed after the test.

Nothing here is autouse: the plugin changes no test that does not ask for it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from twisted.internet.defer import Deferred

from ._tcp import TCPSocket
from .testing import (
    DEFAULT_TIMEOUT,
    MemoryNetwork,
    MemorySocketPair,
    ReactorSnapshot,
    SocketPair,
    closeSockets,
    connectedPair,
    listeningSocket,
    memoryPair,
    waitForCleanReactor,
)

__all__ = [
    "tiCleanReactor",
    "tiConnectedPair",
    "tiListener",
    "tiMemoryNetwork",
    "tiMemoryPair",
    "tiReactor",
    "tiRunningReactor",
]

#: The marker that exempts a test from C{tiCleanReactor}.
NO_CHECK_MARKER = "noCleanReactorCheck"


def pytest_configure(config: pytest.Config) -> None:
    """Register the C{noCleanReactorCheck} marker."""
    config.addinivalue_line(
        "markers",
        f"{NO_CHECK_MARKER}: skip tisocket's leftover DelayedCall / reader / writer check",
    )


def _blockon(d: Deferred[Any]) -> Any:
    """Wait for C{d} with pytest-twisted (from a synchronous fixture)."""
    try:
        import pytest_twisted
    except ImportError:  # pragma: no cover - pytest-twisted is a test dependency
        pytest.fail("this tisocket fixture needs pytest-twisted to run the reactor")
    return pytest_twisted.blockon(d)


def _globalReactor() -> Any:
    from twisted.internet import reactor

    return reactor


@pytest.fixture
def tiReactor() -> Any:
    """The global reactor, which pytest-twisted runs (it has no such fixture itself)."""
    return _globalReactor()


@pytest.fixture(scope="session")
def tiRunningReactor() -> Any:
    """The global reactor after one turn, so that its own wakers are installed."""
    from twisted.internet.task import deferLater

    reactor = _globalReactor()
    _blockon(deferLater(reactor, 0, lambda: None))
    return reactor


@pytest.fixture
def tiCleanReactor(request: pytest.FixtureRequest, tiRunningReactor: Any) -> Iterator[None]:
    """
    Fail the test if it leaves a DelayedCall, a reader or a writer behind
    (after up to three reactor turns for closing sockets to be released);
    the leftover DelayedCalls are cancelled. Tests marked
    C{noCleanReactorCheck} are not checked.
    """
    if request.node.get_closest_marker(NO_CHECK_MARKER) is not None:
        yield
        return
    before = ReactorSnapshot.take(tiRunningReactor)
    yield
    left = _blockon(waitForCleanReactor(before, tiRunningReactor))
    if left:
        for call in left.delayedCalls:
            if call.active():
                call.cancel()
        pytest.fail(f"dirty reactor: {left.describe()}")


@pytest.fixture
def tiListener(tiReactor: Any) -> Iterator[TCPSocket]:
    """A Ti socket listening on 127.0.0.1, port 0 (see C{.port}); closed after the test."""
    sock = listeningSocket()
    yield sock
    _blockon(closeSockets(sock).addTimeout(DEFAULT_TIMEOUT, tiReactor))


@pytest.fixture
def tiConnectedPair(tiReactor: Any) -> Iterator[SocketPair]:
    """A client connected to a new listener on loopback, and the accepted socket."""
    pair = _blockon(connectedPair())
    yield pair
    _blockon(pair.close().addTimeout(DEFAULT_TIMEOUT, tiReactor))


@pytest.fixture
def tiMemoryNetwork() -> MemoryNetwork:
    """A fresh L{MemoryNetwork}: pass it as C{reactor=} and call its C{flush()}."""
    return MemoryNetwork()


@pytest.fixture
def tiMemoryPair(tiMemoryNetwork: MemoryNetwork) -> Iterator[MemorySocketPair]:
    """A connected L{MemorySocketPair} on C{tiMemoryNetwork}; closed after the test."""
    pair = memoryPair(tiMemoryNetwork)
    yield pair
    pair.close()

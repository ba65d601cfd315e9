"""Shared fixtures: the reactor, and a check that every test leaves it clean."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import pytest_twisted
from twisted.internet.task import deferLater


@pytest.fixture
def reactor() -> Any:
    """The global reactor that pytest-twisted runs (it has no such fixture itself)."""
    from twisted.internet import reactor as globalReactor

    return globalReactor


def _snapshot(reactor: Any) -> tuple[set[Any], set[Any], set[Any]]:
    return (
        set(reactor.getDelayedCalls()),
        set(reactor.getReaders()),
        set(reactor.getWriters()),
    )


@pytest.fixture(scope="session")
def runningReactor() -> Any:
    """The global reactor, after one turn so that its own wakers are installed."""
    from twisted.internet import reactor

    pytest_twisted.blockon(deferLater(reactor, 0, lambda: None))
    return reactor


@pytest.fixture(autouse=True)
def cleanReactor(request: pytest.FixtureRequest, runningReactor: Any) -> Iterator[None]:
    """
    Fail a test that leaves a DelayedCall, a reader or a writer behind.

    pytest-twisted has no dirty-reactor check of its own (trial has). Tests that
    use real sockets must wait for C{close()}'s Deferred before they end; two
    reactor turns are then allowed for the OS sockets to be released.
    """
    if "noCleanReactorCheck" in request.keywords:
        yield
        return
    reactor = runningReactor
    before = _snapshot(reactor)
    yield
    for _ in range(3):
        after = _snapshot(reactor)
        if all(a <= b for a, b in zip(after, before, strict=True)):
            return
        pytest_twisted.blockon(deferLater(reactor, 0, lambda: None))
    delayed, readers, writers = (a - b for a, b in zip(_snapshot(reactor), before, strict=True))
    if delayed or readers or writers:
        for call in delayed:
            call.cancel()
        pytest.fail(
            f"dirty reactor: delayed calls {delayed!r}, readers {readers!r}, writers {writers!r}"
        )

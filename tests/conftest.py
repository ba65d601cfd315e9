"""
Shared fixtures: the reactor, and a check that every test leaves it clean.

Both come from the project's own testing toolkit (the C{tisocket} pytest
plugin of L{tisocket_twisted.testing}, loaded through its entry point).
"""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def reactor(tiReactor: Any) -> Any:
    """The global reactor that pytest-twisted runs."""
    return tiReactor


@pytest.fixture(autouse=True)
def cleanReactor(tiCleanReactor: None) -> None:
    """
    Fail a test that leaves a DelayedCall, a reader or a writer behind.

    pytest-twisted has no dirty-reactor check of its own (trial has). Tests that
    use real sockets must wait for C{close()}'s Deferred before they end; a few
    reactor turns are then allowed for the OS sockets to be released. Mark a
    test C{noCleanReactorCheck} to skip the check.
    """

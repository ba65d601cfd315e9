"""
The reactor, and the bridge between the reactor thread and worker threads.

All callbacks run in the reactor thread. Every public method may be called from
any thread: from a worker thread the work is handed to the reactor with
C{callFromThread}, and blocking forms wait for it there (CONTRACT section 7).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from threading import get_ident
from typing import Any, TypeVar, overload

from twisted.internet.defer import Deferred, maybeDeferred
from twisted.internet.interfaces import IReactorCore
from twisted.python import threadable
from twisted.python.failure import Failure

__all__ = [
    "blockingCallFromThread",
    "callInReactor",
    "callSoon",
    "getReactor",
    "inReactorThread",
]

_T = TypeVar("_T")


def getReactor(reactor: Any = None) -> Any:
    """
    Return C{reactor}, or the global reactor when it is L{None}.

    The global reactor is imported here, at call time, never at module import time.
    """
    if reactor is not None:
        return reactor
    from twisted.internet import reactor as globalReactor

    return globalReactor


def inReactorThread() -> bool:
    """
    Whether the calling thread is the reactor thread.

    Before any reactor has run there is no reactor thread to hand work to, so
    every thread counts as the reactor thread (it must never block waiting for
    a reactor that is not running).
    """
    ioThread: object = threadable.ioThread
    # threading.get_ident() is what threadable.isInIOThread() compares, minus two calls.
    return ioThread is None or ioThread == get_ident()


def callSoon(reactor: Any, f: Callable[..., object], *args: object) -> None:
    """
    Call C{f(*args)} in the reactor thread, after the current call has returned.

    From the reactor thread this is C{callLater(0, ...)}; from another thread it is
    C{callFromThread}.
    """
    if inReactorThread() or not hasattr(reactor, "callFromThread"):
        reactor.callLater(0, f, *args)
    else:
        reactor.callFromThread(f, *args)


@overload
def blockingCallFromThread(
    reactor: Any, f: Callable[..., Deferred[_T]], *args: object, **kwargs: object
) -> _T: ...


@overload
def blockingCallFromThread(
    reactor: Any, f: Callable[..., _T], *args: object, **kwargs: object
) -> _T: ...


def blockingCallFromThread(
    reactor: Any, f: Callable[..., Any], *args: object, **kwargs: object
) -> Any:
    """
    Run C{f} in the reactor thread and block the calling worker thread for its result.

    If C{f} returns a L{Deferred}, wait for it. Exceptions are re-raised in the
    calling thread.
    """
    done = threading.Event()
    outcome: list[Any] = []

    def run() -> None:
        d = maybeDeferred(f, *args, **kwargs)

        def finish(result: object) -> None:
            outcome.append(result)
            done.set()

        d.addBoth(finish)

    reactor.callFromThread(run)
    done.wait()
    result = outcome[0]
    if isinstance(result, Failure):
        result.raiseException()
    return result


def callInReactor(reactor: Any, f: Callable[..., _T], *args: object) -> _T:
    """
    Call C{f(*args)} in the reactor thread and return what it returns.

    Unlike L{blockingCallFromThread} this does not wait for a L{Deferred}
    that C{f} returns: the calling worker thread waits only for C{f} itself
    (so C{connect()} from a worker thread starts the attempt and returns its
    Deferred at once). Exceptions are re-raised in the calling thread. In the
    reactor thread C{f} is simply called.
    """
    if inReactorThread():
        return f(*args)
    box: list[_T] = []

    def run() -> None:
        box.append(f(*args))

    blockingCallFromThread(reactor, run)
    return box[0]


def isRunning(reactor: Any) -> bool:
    """Whether C{reactor} is a running reactor core (used to decide whether to block)."""
    return IReactorCore.providedBy(reactor) and bool(getattr(reactor, "running", False))

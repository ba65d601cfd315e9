"""
C{Ti.API} on C{twisted.logger}, and the guard around every user callback.
"""

from __future__ import annotations

from collections.abc import Callable
from inspect import isawaitable
from typing import Any, cast

from twisted.internet.defer import Deferred, ensureDeferred
from twisted.logger import Logger, LogLevel
from twisted.python.failure import Failure

__all__ = ["API", "callUser", "libraryLog"]

_apiLog = Logger(namespace="Ti.API")
#: The library's own logger, for failures in user callbacks and lifecycle messages.
libraryLog = Logger(namespace="tisocket_twisted")

_LEVELS = {
    "info": LogLevel.info,
    "warn": LogLevel.warn,
    "error": LogLevel.error,
    "debug": LogLevel.debug,
    "trace": LogLevel.debug,
}


def _text(message: object) -> str:
    return message if isinstance(message, str) else repr(message)


class _API:
    """
    C{Ti.API}: Titanium's logging functions, emitted on C{twisted.logger} in the
    namespace C{"Ti.API"}. C{trace} logs at debug level (twisted.logger has no
    trace level) with C{ti_level="trace"} in the event.
    """

    apiName = "Ti.API"

    def info(self, message: object) -> None:
        """Log C{message} at info level."""
        self.log("info", message)

    def warn(self, message: object) -> None:
        """Log C{message} at warn level."""
        self.log("warn", message)

    def error(self, message: object) -> None:
        """Log C{message} at error level."""
        self.log("error", message)

    def debug(self, message: object) -> None:
        """Log C{message} at debug level."""
        self.log("debug", message)

    def trace(self, message: object) -> None:
        """Log C{message} at debug level, marked C{ti_level="trace"}."""
        self.log("trace", message)

    def log(self, level: str, message: object) -> None:
        """
        Log C{message} at the named C{level}.

        Titanium accepts any level string; unknown levels are logged at info level
        with the level kept in the event as C{ti_level}.
        """
        from ._errors import TiTypeError

        if not isinstance(level, str):
            raise TiTypeError(f"Ti.API.log: level must be a string, got {level!r}")
        _apiLog.emit(
            _LEVELS.get(level, LogLevel.info),
            "{ti_message}",
            ti_message=_text(message),
            ti_level=level,
        )


#: The C{Ti.API} object.
API = _API()


def callUser(what: str, callback: Callable[[Any], object], event: Any) -> Deferred[object] | None:
    """
    Call a user callback with C{event}; log (never propagate) what it raises.

    An exception in a user callback must not corrupt the socket, the listener or
    the stream that called it. If the callback returns a L{Deferred} or an
    awaitable (an C{async def} callback), that is returned as a L{Deferred} whose
    failure is logged and which then fires with L{None}; otherwise L{None}.
    """
    try:
        result = callback(event)
    except Exception:
        libraryLog.failure("Exception in user {what} callback", what=what)
        return None
    if result is None:
        return None
    return userDeferred(what, result)


def userDeferred(what: str, result: object) -> Deferred[object] | None:
    """
    What a user C{what} callback returned, as L{callUser} returns it: a
    L{Deferred} (of a Deferred or an awaitable) whose failure is logged, or
    L{None}.
    """
    waiting = asDeferred(result)
    if waiting is None:
        return None
    return waiting.addErrback(logFailure, what)


def asDeferred(result: object) -> Deferred[object] | None:
    """C{result} itself if a L{Deferred}, an awaitable as one, anything else L{None}."""
    if isinstance(result, Deferred):
        return result
    if isawaitable(result):
        return ensureDeferred(cast(Any, result))
    return None


def logFailure(failure: Failure, what: str) -> None:
    """Log C{failure}, which the Deferred returned by a user C{what} callback fired with."""
    libraryLog.failure("Failure from the Deferred of user {what} callback", failure, what=what)

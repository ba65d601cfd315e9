"""
The event objects handed to Titanium-style callbacks.

Each event is a slotted object that offers attribute access (C{e.socket}) and
read-only mapping access (C{e["socket"]}, C{"buffer" in e}, C{dict(e)}). Every
documented field is present; a field without a value is L{None} (JavaScript's
C{undefined}).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

__all__ = [
    "AcceptedEvent",
    "ConnectedEvent",
    "ErrorEvent",
    "Failed",
    "PumpEvent",
    "ReadEvent",
    "ResultEvent",
    "TiEvent",
    "WriteEvent",
    "WriteStreamEvent",
]


class Failed:
    """
    Why an operation failed: an OS errno (or -1) and a readable message.

    Passed between the library's modules; callbacks see it as the C{code} and
    C{error} fields of an event.
    """

    __slots__ = ("code", "message")

    def __init__(self, code: int, message: str) -> None:
        self.code = code
        self.message = message

    def __repr__(self) -> str:
        return f"Failed({self.code!r}, {self.message!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Failed):
            return NotImplemented
        return (self.code, self.message) == (other.code, other.message)

    def __hash__(self) -> int:
        return hash((self.code, self.message))


class TiEvent(Mapping[str, Any]):
    """Base class of every event: attribute access plus read-only mapping access."""

    __slots__ = ()
    #: The documented field names, in documentation order.
    fields: ClassVar[tuple[str, ...]] = ()

    def __getitem__(self, key: str) -> Any:
        if key in self.fields:
            return getattr(self, key)
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(self.fields)

    def __len__(self) -> int:
        return len(self.fields)

    def __repr__(self) -> str:
        inner = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.fields)
        return f"{type(self).__name__}({inner})"


class ResultEvent(TiEvent):
    """
    An event reporting success or failure (Titanium's C{ErrorResponse}).

    On success C{success} is true, C{code} 0, C{error} L{None}, C{errorState} 0
    and C{errorDescription} C{""}; on failure C{success} is false, C{code} the
    OS errno or -1, C{error} a readable message, C{errorState} 1 and
    C{errorDescription} the message.
    """

    __slots__ = ("code", "error", "success")
    _resultFields: ClassVar[tuple[str, ...]] = (
        "success",
        "code",
        "error",
        "errorState",
        "errorDescription",
    )

    success: bool
    code: int
    error: str | None

    def _setResult(self, failed: Failed | None) -> None:
        if failed is None:
            self.success = True
            self.code = 0
            self.error = None
        else:
            self.success = False
            self.code = failed.code
            self.error = failed.message

    @property
    def errorState(self) -> int:
        """1 on failure, 0 on success (deprecated Titanium field)."""
        return 0 if self.success else 1

    @property
    def errorDescription(self) -> str:
        """The error message, C{""} on success (deprecated Titanium field)."""
        return self.error or ""


class ReadEvent(ResultEvent):
    """Result of an asynchronous read or readAll (C{ReadCallbackArgs})."""

    __slots__ = ("bytesProcessed", "source")
    fields = ("source", "bytesProcessed", *ResultEvent._resultFields)

    def __init__(self, source: Any, bytesProcessed: int, failed: Failed | None = None) -> None:
        self.source = source
        self.bytesProcessed = bytesProcessed
        self._setResult(failed)


class WriteEvent(ResultEvent):
    """Result of an asynchronous write (C{WriteCallbackArgs}); C{source} is the stream written."""

    __slots__ = ("bytesProcessed", "source")
    fields = ("source", "bytesProcessed", *ResultEvent._resultFields)

    def __init__(self, source: Any, bytesProcessed: int, failed: Failed | None = None) -> None:
        self.source = source
        self.bytesProcessed = bytesProcessed
        if failed is None:
            self.success = True
            self.code = 0
            self.error = None
        else:
            self._setResult(failed)


class WriteStreamEvent(ResultEvent):
    """Result of an asynchronous C{Ti.Stream.writeStream} (C{WriteStreamCallbackArgs})."""

    __slots__ = ("bytesProcessed", "fromStream", "toStream")
    fields = ("fromStream", "toStream", "bytesProcessed", *ResultEvent._resultFields)

    def __init__(
        self,
        fromStream: Any,
        toStream: Any,
        bytesProcessed: int,
        failed: Failed | None = None,
    ) -> None:
        self.fromStream = fromStream
        self.toStream = toStream
        self.bytesProcessed = bytesProcessed
        self._setResult(failed)


class PumpEvent(ResultEvent):
    """One call of a C{Ti.Stream.pump} handler (C{PumpCallbackArgs})."""

    __slots__ = ("buffer", "bytesProcessed", "source", "totalBytesProcessed")
    fields = (
        "source",
        "buffer",
        "bytesProcessed",
        "totalBytesProcessed",
        *ResultEvent._resultFields,
    )

    def __init__(
        self,
        source: Any,
        buffer: Any,
        bytesProcessed: int,
        totalBytesProcessed: int,
        failed: Failed | None = None,
    ) -> None:
        self.source = source
        self.buffer = buffer
        self.bytesProcessed = bytesProcessed
        self.totalBytesProcessed = totalBytesProcessed
        if failed is None:
            # One event per chunk: the success fields without the method call.
            self.success = True
            self.code = 0
            self.error = None
        else:
            self._setResult(failed)


class ConnectedEvent(TiEvent):
    """Passed to a socket's C{connected} callback (C{ConnectedCallbackArgs})."""

    __slots__ = ("socket",)
    fields = ("socket",)

    def __init__(self, socket: Any) -> None:
        self.socket = socket


class AcceptedEvent(TiEvent):
    """Passed to a listener's C{accepted} callback: the listener and the new inbound socket."""

    __slots__ = ("inbound", "socket")
    fields = ("socket", "inbound")

    def __init__(self, socket: Any, inbound: Any) -> None:
        self.socket = socket
        self.inbound = inbound


class ErrorEvent(TiEvent):
    """
    Passed to a socket's C{error} callback (C{ErrorCallbackArgs}).

    C{code} and C{errorCode} are the same errno (or -1); C{success} is always false.
    """

    __slots__ = ("code", "error", "socket")
    fields = ("socket", "success", "code", "errorCode", "error")

    def __init__(self, socket: Any, failed: Failed) -> None:
        self.socket = socket
        self.code = failed.code
        self.error = failed.message

    @property
    def success(self) -> bool:
        """Always false."""
        return False

    @property
    def errorCode(self) -> int:
        """The same as C{code} (kept because Titanium's own examples read it)."""
        return self.code

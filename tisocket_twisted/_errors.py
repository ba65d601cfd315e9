"""
The exceptions raised synchronously by the library (CONTRACT section 9).

Every class derives from L{TiError} and from the built-in exception a Python
programmer would expect, so C{except IndexError} keeps working.
"""

from __future__ import annotations

__all__ = [
    "InvalidStateError",
    "TiBoundsError",
    "TiError",
    "TiSocketError",
    "TiTypeError",
    "TiValueError",
    "WouldBlockError",
]


class TiError(Exception):
    """Base class of every exception this library raises on purpose."""


class TiBoundsError(TiError, IndexError):
    """An offset, length, position or index lies outside the buffer or stream."""


class TiTypeError(TiError, TypeError):
    """An argument has the wrong type, a required key is missing or a key is unknown."""


class TiValueError(TiError, ValueError):
    """An argument has the right type but a value that is not allowed."""


class InvalidStateError(TiError, RuntimeError):
    """The object is in a state in which the call is not allowed."""


class WouldBlockError(TiError, RuntimeError):
    """A call would have to wait, and it was made in the reactor thread."""


class TiSocketError(TiError, OSError):
    """
    A socket-level failure reported synchronously (bind failure, blocking I/O failure).

    C{errno} holds the OS error number (or -1 where no OS error applies) and
    C{strerror} the readable message, as for any L{OSError}.
    """

    def __init__(self, errno: int, message: str) -> None:
        super().__init__(errno, message)

    def __str__(self) -> str:
        return f"[Errno {self.errno}] {self.strerror}"

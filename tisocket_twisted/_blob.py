"""
C{Ti.Blob}: immutable bytes (CONTRACT sections 3 and 10).

A L{Blob} holds one L{bytes} object in C{_data}; C{BlobStream} reads it there
directly. It is made from bytes-like data (copied), from a file
(L{Blob.fromFile}) or from a buffer (C{Buffer.toBlob}).

Equality follows Python's own byte containers (C{b"a" == bytearray(b"a")}): a
blob equals another blob, a C{Ti.Buffer}, or a L{bytes}, L{bytearray} or
L{memoryview} with the same content. Blobs are immutable and therefore
hashable, with the hash of their bytes.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from ._errors import TiTypeError

__all__ = ["Blob"]

_BYTES_LIKE = (bytes, bytearray, memoryview)


def shortRepr(value: object, limit: int = 60) -> str:
    """Return C{repr(value)}, cut to about C{limit} characters for messages."""
    text = repr(value)
    if len(text) > limit:
        return text[: limit - 3] + "..."
    return text


def asRawBytes(data: bytes | bytearray | memoryview) -> bytes | bytearray | memoryview:
    """
    Return C{data} as something that compares and slices by raw bytes.

    A L{memoryview} of another format (C{"i"}, C{"d"} ...) or shape is turned
    into a byte view, or into a copy when it is not contiguous.
    """
    if isinstance(data, memoryview) and (data.format != "B" or data.ndim != 1):
        if data.c_contiguous:
            return data.cast("B")
        return data.tobytes()
    return data


class Blob:
    """
    C{Ti.Blob}: an immutable sequence of bytes.

    @ivar length: the number of bytes (read-only).
    @ivar text: the bytes decoded as UTF-8, or L{None} if they are not valid
        UTF-8 (read-only).
    """

    __slots__ = ("__weakref__", "_data")

    _data: bytes

    apiName = "Ti.Blob"

    def __init__(self, data: bytes | bytearray | memoryview = b"") -> None:
        """
        Make a blob holding a copy of C{data}.

        @param data: L{bytes}, L{bytearray} or L{memoryview} (any contiguous
            one; its raw bytes are taken). Text is refused: encode it first.
        @raise TiTypeError: if C{data} is not bytes-like.
        """
        if not isinstance(data, _BYTES_LIKE):
            raise TiTypeError(
                f"Ti.Blob: data must be bytes, bytearray or memoryview, got {shortRepr(data)}"
            )
        try:
            self._data = bytes(data)
        except (TypeError, ValueError, BufferError) as exc:
            raise TiTypeError(
                f"Ti.Blob: cannot take the bytes of {shortRepr(data)}: {exc}"
            ) from exc

    @classmethod
    def _wrap(cls, data: bytes) -> Blob:
        """Make a blob that owns C{data} (no copy, no check). Internal fast path."""
        blob = cls.__new__(cls)
        blob._data = data
        return blob

    @classmethod
    def fromFile(cls, path: str | bytes | os.PathLike[str] | os.PathLike[bytes]) -> Blob:
        """
        Make a blob with the whole content of the file at C{path}.

        @raise TiTypeError: if C{path} is not a path (a file descriptor number
            is refused too).
        @raise OSError: if the file cannot be read (C{FileNotFoundError} ...).
        """
        if not isinstance(path, (str, bytes, os.PathLike)):
            raise TiTypeError(f"Ti.Blob.fromFile: path must be a path, got {shortRepr(path)}")
        with open(path, "rb") as f:
            return cls._wrap(f.read())

    @property
    def length(self) -> int:
        """The number of bytes."""
        return len(self._data)

    @property
    def size(self) -> int:
        """The number of bytes (Titanium's C{size} of a non-image blob)."""
        return len(self._data)

    @property
    def text(self) -> str | None:
        """The bytes decoded as UTF-8, or L{None} when they are not valid UTF-8."""
        try:
            return self._data.decode("utf-8")
        except UnicodeDecodeError:
            return None

    def toString(self) -> str:
        """Decode the bytes as UTF-8; invalid bytes become U+FFFD."""
        return self._data.decode("utf-8", "replace")

    __str__ = toString

    def __bytes__(self) -> bytes:
        """The bytes (no copy: they are immutable)."""
        return self._data

    def __buffer__(self, flags: int) -> memoryview:
        """The read-only buffer protocol (C{memoryview(blob)}, Python 3.12 and later)."""
        return memoryview(self._data)

    def getbuffer(self) -> memoryview:
        """A read-only L{memoryview} of the bytes, on every Python version."""
        return memoryview(self._data)

    def __len__(self) -> int:
        """The number of bytes."""
        return len(self._data)

    def __iter__(self) -> Iterator[int]:
        """Iterate over the bytes as integers 0-255."""
        return iter(self._data)

    def __eq__(self, other: object) -> bool:
        """Equal by content to a blob or a bytes-like object (see the module docstring)."""
        if isinstance(other, Blob):
            return self._data == other._data
        if isinstance(other, _BYTES_LIKE):
            return self._data == asRawBytes(other)
        # A Ti.Buffer answers for itself (its __eq__ knows blobs).
        return NotImplemented

    def __hash__(self) -> int:
        """The hash of the bytes, so that C{hash(blob) == hash(bytes(blob))}."""
        return hash(self._data)

    def __repr__(self) -> str:
        """Show the length and the first bytes."""
        preview = self._data[:32]
        more = "..." if len(self._data) > 32 else ""
        return f"<Ti.Blob length={len(self._data)} {preview!r}{more}>"

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle by content."""
        return (Blob, (self._data,))

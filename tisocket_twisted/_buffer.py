"""
C{Ti.Buffer}: a mutable, resizable byte array (CONTRACT section 3).

Backed by one L{bytearray} (C{_data}); streams and sockets read and write that
bytearray directly, so no per-byte Python loop runs in bulk operations.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Buffer"]


class Buffer:
    """
    A Titanium buffer. Create one with C{Ti.createBuffer} / L{createBuffer}.

    (Skeleton: the full method set is added by the foundation work.)
    """

    __slots__ = ("__weakref__", "_byteOrder", "_data", "_type", "_value")

    apiName = "Ti.Buffer"

    def __init__(self) -> None:
        self._data = bytearray()
        self._type: str | None = None
        self._value: Any = None
        self._byteOrder: int | None = None

    @classmethod
    def _wrap(cls, data: bytearray) -> Buffer:
        """Make a buffer that owns C{data} (no copy). Internal fast path."""
        buf = cls.__new__(cls)
        buf._data = data
        buf._type = None
        buf._value = None
        buf._byteOrder = None
        return buf

    @property
    def length(self) -> int:
        """The number of bytes; settable (grows with zeros, truncates when smaller)."""
        return len(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __bytes__(self) -> bytes:
        return bytes(self._data)


def createBuffer(params: Any = None, **kwargs: Any) -> Buffer:
    """C{Ti.createBuffer}: make a L{Buffer} (placeholder until the foundation lands)."""
    raise NotImplementedError

"""
Constants of Ti.Network.Socket, Ti.Stream and Ti.Codec (CONTRACT section 2).

The numeric values are Android's. Compare against the names, never the numbers.
"""

from __future__ import annotations

import sys
from enum import IntEnum
from typing import Final

__all__ = [
    "BIG_ENDIAN",
    "BYTE_ORDERS",
    "CHARSETS",
    "CHARSET_ASCII",
    "CHARSET_ISO_LATIN_1",
    "CHARSET_UTF8",
    "CHARSET_UTF16",
    "CHARSET_UTF16BE",
    "CHARSET_UTF16LE",
    "LITTLE_ENDIAN",
    "MODE_APPEND",
    "MODE_READ",
    "MODE_WRITE",
    "NATIVE_BYTE_ORDER",
    "TYPES",
    "TYPE_BYTE",
    "TYPE_DOUBLE",
    "TYPE_FLOAT",
    "TYPE_INT",
    "TYPE_LONG",
    "TYPE_SHORT",
    "TYPE_WIDTHS",
    "SocketState",
    "StreamMode",
]


class SocketState(IntEnum):
    """The states of a Ti TCP socket (C{Ti.Network.Socket.INITIALIZED} ...)."""

    INITIALIZED = 1
    CONNECTED = 2
    LISTENING = 3
    CLOSED = 4
    ERROR = 5


class StreamMode(IntEnum):
    """The modes of C{Ti.Stream.createStream} (C{Ti.Stream.MODE_READ} ...)."""

    MODE_READ = 0
    MODE_WRITE = 1
    MODE_APPEND = 2


MODE_READ: Final = StreamMode.MODE_READ
MODE_WRITE: Final = StreamMode.MODE_WRITE
MODE_APPEND: Final = StreamMode.MODE_APPEND

BIG_ENDIAN: Final = 0
LITTLE_ENDIAN: Final = 1
BYTE_ORDERS: Final = (BIG_ENDIAN, LITTLE_ENDIAN)
NATIVE_BYTE_ORDER: Final = LITTLE_ENDIAN if sys.byteorder == "little" else BIG_ENDIAN

CHARSET_ASCII: Final = "ascii"
CHARSET_ISO_LATIN_1: Final = "latin1"
CHARSET_UTF8: Final = "utf8"
CHARSET_UTF16: Final = "utf16"
CHARSET_UTF16BE: Final = "utf16be"
CHARSET_UTF16LE: Final = "utf16le"
#: Every accepted charset name, mapped to its canonical constant.
CHARSETS: Final[dict[str, str]] = {
    CHARSET_ASCII: CHARSET_ASCII,
    CHARSET_ISO_LATIN_1: CHARSET_ISO_LATIN_1,
    "iso-latin-1": CHARSET_ISO_LATIN_1,
    CHARSET_UTF8: CHARSET_UTF8,
    CHARSET_UTF16: CHARSET_UTF16,
    CHARSET_UTF16BE: CHARSET_UTF16BE,
    CHARSET_UTF16LE: CHARSET_UTF16LE,
}

TYPE_BYTE: Final = "byte"
TYPE_SHORT: Final = "short"
TYPE_INT: Final = "int"
TYPE_FLOAT: Final = "float"
TYPE_LONG: Final = "long"
TYPE_DOUBLE: Final = "double"
#: Width in bytes of each Codec number type.
TYPE_WIDTHS: Final[dict[str, int]] = {
    TYPE_BYTE: 1,
    TYPE_SHORT: 2,
    TYPE_INT: 4,
    TYPE_FLOAT: 4,
    TYPE_LONG: 8,
    TYPE_DOUBLE: 8,
}
TYPES: Final = tuple(TYPE_WIDTHS)

"""
C{Ti.Codec}: numbers and text to and from the bytes of a L{Buffer} (CONTRACT
sections 2, 4 and 10).

Numbers go through precompiled L{struct.Struct} objects, text through Python's
codecs. Every function takes one dict (the JavaScript way) or keywords (the
Python way); L{None} for an optional key means "not given".

The rules, where Titanium is silent or its platforms disagree:

  - Integer types (C{byte}, C{short}, C{int}, C{long}) take the number
    truncated toward zero and keep its low 8/16/32/64 bits (two's complement),
    and decode B{signed}. NaN or an infinity for an integer type is a
    L{TiValueError}, as is a number too large for C{float}/C{double}.
  - C{float} decodes to the single-precision value widened to a Python float.
  - Positions and lengths of a L{str} count code points. Whatever does not fit
    is a L{TiBoundsError}: nothing is written, nothing grows, nothing is cut.
  - C{utf16} encodes with the byte order mark C{FE FF} and big-endian units
    (an empty text gives no bytes at all); it decodes honouring a mark of
    either order, big-endian without one. C{utf16be}/C{utf16le} write no mark
    and keep one they read as U+FEFF.
  - Undecodable bytes become U+FFFD. Text the charset cannot encode is a
    L{TiValueError} naming the charset and the character.
  - Charset names are the C{CHARSET_*} values (C{"ascii"}, C{"latin1"},
    C{"utf8"}, C{"utf16"}, C{"utf16be"}, C{"utf16le"}) and the documented
    alias C{"iso-latin-1"}; nothing else.
"""

from __future__ import annotations

import math
import struct
import sys
from collections.abc import Callable, Mapping
from typing import Any, Final

from ._args import checkInt, checkNumber, checkRange, mergeOptions, require
from ._blob import shortRepr
from ._buffer import Buffer, checkByteOrder
from ._constants import (
    BIG_ENDIAN,
    CHARSET_ASCII,
    CHARSET_ISO_LATIN_1,
    CHARSET_UTF8,
    CHARSET_UTF16,
    CHARSET_UTF16BE,
    CHARSET_UTF16LE,
    CHARSETS,
    LITTLE_ENDIAN,
    NATIVE_BYTE_ORDER,
    TYPE_BYTE,
    TYPE_DOUBLE,
    TYPE_FLOAT,
    TYPE_INT,
    TYPE_LONG,
    TYPE_SHORT,
    TYPE_WIDTHS,
)
from ._errors import TiBoundsError, TiTypeError, TiValueError

__all__ = ["Codec", "CodecModule"]


class _Missing:
    """The type of L{_MISSING}: an option that was not passed at all."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<missing>"


_MISSING: Final[Any] = _Missing()

# -- numbers ---------------------------------------------------------------------

#: struct format letters (the signed ones; encoding also uses the unsigned).
_INT_FORMATS: Final = {TYPE_BYTE: "b", TYPE_SHORT: "h", TYPE_INT: "i", TYPE_LONG: "q"}
_FLOAT_FORMATS: Final = {TYPE_FLOAT: "f", TYPE_DOUBLE: "d"}
_PREFIXES: Final = {BIG_ENDIAN: ">", LITTLE_ENDIAN: "<"}


class _Number:
    """The precompiled structs of one number type in one byte order."""

    __slots__ = ("mask", "signed", "unsigned", "width")

    def __init__(self, prefix: str, letter: str, isInteger: bool) -> None:
        #: Decodes (signed for the integer types), and encodes negative numbers.
        self.signed = struct.Struct(prefix + letter)
        #: Encodes non-negative numbers (the same as C{signed} for floats).
        self.unsigned = struct.Struct(prefix + letter.upper()) if isInteger else self.signed
        self.width = self.signed.size
        #: The low bits an integer type keeps; L{None} for the float types.
        self.mask = (1 << (8 * self.width)) - 1 if isInteger else None


def _numbers(order: int) -> dict[str, _Number]:
    prefix = _PREFIXES[order]
    table = {name: _Number(prefix, letter, True) for name, letter in _INT_FORMATS.items()}
    table.update({name: _Number(prefix, letter, False) for name, letter in _FLOAT_FORMATS.items()})
    return table


_NUMBERS: Final = {order: _numbers(order) for order in _PREFIXES}


class _Slow(Exception):
    """Leave a fast path for the checked one."""


# The fast paths. For each type: (pack_into, width, mask, limit, unsigned
# pack_into) -- integer types pack an int with the signed struct and, when it
# refuses a value outside the signed range, the low bits (mask) with the
# unsigned one; double takes any float, and the float types an int or float
# within +-limit -- and the unpack_from. Everything else (floats for integer
# types, out-of-range numbers for float types) takes the checked path: struct
# zero-fills its target before it packs, so a pack that may be refused must be
# followed by one that cannot be (the unsigned pack of the low bits) or never
# be tried. The byte orders are recognised by identity (small integers are
# shared objects); anything else, equal or not, takes the checked path. A dest
# still around received bytes (copy on write, see Buffer._writable) makes the
# fast paths' write raise TypeError, so it takes the checked path too.
_FastPack = tuple[Callable[..., None], int, "int | None", float, Callable[..., None]]
_FastUnpack = Callable[..., tuple[Any, ...]]
_FLOAT_LIMITS: Final = {
    TYPE_FLOAT: struct.unpack("<f", b"\xff\xff\x7f\x7f")[0],
    TYPE_DOUBLE: sys.float_info.max,
}


def _fastPack(order: int) -> dict[str, _FastPack]:
    return {
        name: (
            n.signed.pack_into,
            n.width,
            n.mask,
            _FLOAT_LIMITS.get(name, 0.0),
            n.unsigned.pack_into,
        )
        for name, n in _NUMBERS[order].items()
    }


def _fastUnpack(order: int) -> dict[str, _FastUnpack]:
    return {name: n.signed.unpack_from for name, n in _NUMBERS[order].items()}


_FAST_PACK_BIG: Final = _fastPack(BIG_ENDIAN)
_FAST_PACK_LITTLE: Final = _fastPack(LITTLE_ENDIAN)
_FAST_PACK_NATIVE: Final = _fastPack(NATIVE_BYTE_ORDER)
_FAST_UNPACK_BIG: Final = _fastUnpack(BIG_ENDIAN)
_FAST_UNPACK_LITTLE: Final = _fastUnpack(LITTLE_ENDIAN)
_FAST_UNPACK_NATIVE: Final = _fastUnpack(NATIVE_BYTE_ORDER)
_BIG: Final[Any] = BIG_ENDIAN
_LITTLE: Final[Any] = LITTLE_ENDIAN
_FAST_FAILURES: Final = (
    _Slow,
    KeyError,
    TypeError,
    ValueError,
    IndexError,
    OverflowError,
    struct.error,
)

_TYPE_NAMES: Final = ", ".join(repr(name) for name in TYPE_WIDTHS)
_CHARSET_NAMES: Final = ", ".join(repr(name) for name in CHARSETS)


def resolveType(where: str, name: str, value: object) -> str:
    """
    Return C{value} if it is a C{Ti.Codec.TYPE_*}.

    @raise TiTypeError: if it is not a string.
    @raise TiValueError: if it is another string.
    """
    if not isinstance(value, str):
        raise TiTypeError(f"{where}: {name} must be a string, got {shortRepr(value)}")
    if value not in TYPE_WIDTHS:
        raise TiValueError(
            f"{where}: {name} {value!r} is not a Ti.Codec number type ({_TYPE_NAMES})"
        )
    return value


def resolveCharset(where: str, name: str, value: object) -> str:
    """
    Return the C{Ti.Codec.CHARSET_*} constant that C{value} names.

    @raise TiTypeError: if it is not a string.
    @raise TiValueError: if it names no charset.
    """
    if not isinstance(value, str):
        raise TiTypeError(f"{where}: {name} must be a string, got {shortRepr(value)}")
    try:
        return CHARSETS[value]
    except KeyError:
        raise TiValueError(
            f"{where}: {name} {value!r} is not a Ti.Codec charset ({_CHARSET_NAMES})"
        ) from None


def resolveAnyType(where: str, value: object) -> str:
    """Return the canonical charset or number type C{value} names (C{createBuffer}'s C{type})."""
    if not isinstance(value, str):
        raise TiTypeError(f"{where}: type must be a string, got {shortRepr(value)}")
    if value in TYPE_WIDTHS:
        return value
    if value in CHARSETS:
        return CHARSETS[value]
    raise TiValueError(
        f"{where}: type {value!r} is neither a Ti.Codec charset ({_CHARSET_NAMES}) "
        f"nor a number type ({_TYPE_NAMES})"
    )


def _checkBuffer(where: str, name: str, value: object) -> Buffer:
    """Return C{value} if it is a L{Buffer}, else raise L{TiTypeError}."""
    if not isinstance(value, Buffer):
        raise TiTypeError(f"{where}: {name} must be a Ti.Buffer, got {shortRepr(value)}")
    return value


def _byteOrderOption(where: str, value: object) -> int:
    """The byte order for an optional C{byteOrder} (native when not given)."""
    if value is None:
        return NATIVE_BYTE_ORDER
    return checkByteOrder(where, value)


def _charsetOption(where: str, value: object) -> str:
    """The charset for an optional C{charset} (UTF-8 when not given)."""
    if value is None:
        return CHARSET_UTF8
    return resolveCharset(where, "charset", value)


def _intOption(where: str, name: str, value: object, default: int) -> int:
    """An optional integer argument (C{default} when not given)."""
    if value is None:
        return default
    return checkInt(where, name, value)


def encodeNumberBytes(where: str, number: object, typeName: str, byteOrder: int) -> bytes:
    """
    Encode C{number} as C{typeName} (already checked) in C{byteOrder}.

    @raise TiTypeError: if C{number} is not an L{int} or L{float}.
    @raise TiValueError: for NaN or an infinity given for an integer type, or a
        number too large for a float type.
    """
    value = checkNumber(where, "source", number)
    spec = _NUMBERS[byteOrder][typeName]
    if spec.mask is not None:
        if isinstance(value, float):
            if not math.isfinite(value):
                raise TiValueError(
                    f"{where}: source {value!r} cannot be encoded as the integer type {typeName!r}"
                )
            value = int(value)
        return spec.unsigned.pack(value & spec.mask)
    try:
        return spec.signed.pack(float(value))
    except (OverflowError, struct.error):
        raise TiValueError(
            f"{where}: source {shortRepr(value)} is too large for type {typeName!r}"
        ) from None


def _encodeUtf16(text: str) -> bytes:
    """C{utf16}: the mark C{FE FF}, then big-endian units (nothing for no text)."""
    if not text:
        return b""
    return b"\xfe\xff" + text.encode("utf-16-be")


def _decodeUtf16(data: bytes | bytearray, errors: str = "replace") -> str:
    """C{utf16}: honour a byte order mark of either order, big-endian without one."""
    if data[:2] == b"\xfe\xff":
        return data[2:].decode("utf-16-be", errors)
    if data[:2] == b"\xff\xfe":
        return data[2:].decode("utf-16-le", errors)
    return data.decode("utf-16-be", errors)


#: Python codec of each charset name (C{utf16} has its own functions).
_PYTHON_CODECS: Final[dict[str, str]] = {
    CHARSET_ASCII: "ascii",
    CHARSET_ISO_LATIN_1: "latin-1",
    "iso-latin-1": "latin-1",
    CHARSET_UTF8: "utf-8",
    CHARSET_UTF16BE: "utf-16-be",
    CHARSET_UTF16LE: "utf-16-le",
}


def encodeStringBytes(where: str, text: str, charset: str, offset: int = 0) -> bytes:
    """
    Encode C{text} in C{charset} (a resolved C{CHARSET_*}).

    @param offset: where C{text} starts in the caller's string, for messages.
    @raise TiValueError: naming the charset and the first character it cannot encode.
    """
    try:
        if charset == CHARSET_UTF16:
            return _encodeUtf16(text)
        return text.encode(_PYTHON_CODECS[charset])
    except UnicodeEncodeError as exc:
        bad = exc.object[exc.start : exc.end]
        raise TiValueError(
            f"{where}: {bad!r} (character {offset + exc.start}) cannot be encoded "
            f"in charset {charset!r}"
        ) from None


def decodeStringBytes(data: bytes | bytearray, charset: str) -> str:
    """Decode C{data} in C{charset} (a resolved C{CHARSET_*}); bad bytes become U+FFFD."""
    if charset == CHARSET_UTF16:
        return _decodeUtf16(data)
    return data.decode(_PYTHON_CODECS[charset], "replace")


_ENCODE_NUMBER: Final = "Ti.Codec.encodeNumber"
_DECODE_NUMBER: Final = "Ti.Codec.decodeNumber"
_ENCODE_STRING: Final = "Ti.Codec.encodeString"
_DECODE_STRING: Final = "Ti.Codec.decodeString"
_ENCODE_NUMBER_KEYS: Final = frozenset({"source", "dest", "type", "position", "byteOrder"})
_DECODE_NUMBER_KEYS: Final = frozenset({"source", "type", "position", "byteOrder"})
_ENCODE_STRING_KEYS: Final = frozenset(
    {"source", "dest", "charset", "destPosition", "sourcePosition", "sourceLength"}
)
_DECODE_STRING_KEYS: Final = frozenset({"source", "position", "length", "charset"})


def _given(**options: Any) -> dict[str, Any]:
    """The keyword arguments that were really passed (not L{_MISSING})."""
    return {key: value for key, value in options.items() if value is not _MISSING}


def _encodeNumber(options: dict[str, Any]) -> int:
    """C{encodeNumber} with every check, for calls the fast path does not take."""
    where = _ENCODE_NUMBER
    source = require(where, options, "source")
    dest = _checkBuffer(where, "dest", require(where, options, "dest"))
    typeName = resolveType(where, "type", require(where, options, "type"))
    checkNumber(where, "source", source)
    position = _intOption(where, "position", options.get("position"), 0)
    byteOrder = _byteOrderOption(where, options.get("byteOrder"))
    packed = encodeNumberBytes(where, source, typeName, byteOrder)
    data = dest._data
    width = len(packed)
    if position < 0 or position + width > len(data):
        raise TiBoundsError(
            f"{where}: a {typeName!r} ({width} bytes) at position {position!r} does not "
            f"fit in dest ({len(data)} bytes)"
        )
    dest._writable()[position : position + width] = packed
    return position + width


def _decodeNumber(options: dict[str, Any]) -> int | float:
    """C{decodeNumber} with every check, for calls the fast path does not take."""
    where = _DECODE_NUMBER
    source = _checkBuffer(where, "source", require(where, options, "source"))
    typeName = resolveType(where, "type", require(where, options, "type"))
    position = _intOption(where, "position", options.get("position"), 0)
    byteOrder = _byteOrderOption(where, options.get("byteOrder"))
    data = source._data
    width = TYPE_WIDTHS[typeName]
    if position < 0 or position + width > len(data):
        raise TiBoundsError(
            f"{where}: a {typeName!r} ({width} bytes) at position {position!r} reaches "
            f"outside source ({len(data)} bytes)"
        )
    value: int | float = _NUMBERS[byteOrder][typeName].signed.unpack_from(data, position)[0]
    return value


def _encodeString(options: dict[str, Any]) -> int:
    """C{encodeString} with every check, for calls the fast path does not take."""
    where = _ENCODE_STRING
    source = require(where, options, "source")
    if not isinstance(source, str):
        raise TiTypeError(f"{where}: source must be a string, got {shortRepr(source)}")
    dest = _checkBuffer(where, "dest", require(where, options, "dest"))
    charset = _charsetOption(where, options.get("charset"))
    destPosition = _intOption(where, "destPosition", options.get("destPosition"), 0)
    sourcePosition = _intOption(where, "sourcePosition", options.get("sourcePosition"), 0)
    sourceLength = _intOption(
        where, "sourceLength", options.get("sourceLength"), max(len(source) - sourcePosition, 0)
    )
    checkRange(where, "sourcePosition", sourcePosition, "sourceLength", sourceLength, len(source))
    data = dest._data
    if destPosition < 0 or destPosition > len(data):
        raise TiBoundsError(f"{where}: destPosition {destPosition!r} is outside 0..{len(data)}")
    if sourcePosition == 0 and sourceLength == len(source):
        text = source
    else:
        text = source[sourcePosition : sourcePosition + sourceLength]
    encoded = encodeStringBytes(where, text, charset, sourcePosition)
    end = destPosition + len(encoded)
    if end > len(data):
        raise TiBoundsError(
            f"{where}: the text needs {len(encoded)} bytes from destPosition "
            f"{destPosition!r}, but dest has {len(data)} bytes"
        )
    dest._writable()[destPosition:end] = encoded
    return end


def _decodeString(options: dict[str, Any]) -> str:
    """C{decodeString} with every check, for calls the fast path does not take."""
    where = _DECODE_STRING
    source = _checkBuffer(where, "source", require(where, options, "source"))
    charset = _charsetOption(where, options.get("charset"))
    data = source._data
    position = _intOption(where, "position", options.get("position"), 0)
    length = _intOption(where, "length", options.get("length"), max(len(data) - position, 0))
    checkRange(where, "position", position, "length", length, len(data))
    if position == 0 and length == len(data):
        return decodeStringBytes(data, charset)
    return decodeStringBytes(data[position : position + length], charset)


class CodecModule:
    """
    The type of C{Ti.Codec}: the codec constants and functions.

    There is one instance, L{Codec}; its constants are read-only.
    """

    __slots__ = ()

    apiName: Final = "Ti.Codec"

    CHARSET_ASCII: Final = CHARSET_ASCII
    CHARSET_ISO_LATIN_1: Final = CHARSET_ISO_LATIN_1
    CHARSET_UTF8: Final = CHARSET_UTF8
    CHARSET_UTF16: Final = CHARSET_UTF16
    CHARSET_UTF16BE: Final = CHARSET_UTF16BE
    CHARSET_UTF16LE: Final = CHARSET_UTF16LE
    TYPE_BYTE: Final = TYPE_BYTE
    TYPE_SHORT: Final = TYPE_SHORT
    TYPE_INT: Final = TYPE_INT
    TYPE_FLOAT: Final = TYPE_FLOAT
    TYPE_LONG: Final = TYPE_LONG
    TYPE_DOUBLE: Final = TYPE_DOUBLE
    BIG_ENDIAN: Final = BIG_ENDIAN
    LITTLE_ENDIAN: Final = LITTLE_ENDIAN
    #: The machine's byte order (C{BIG_ENDIAN} or C{LITTLE_ENDIAN}).
    nativeByteOrder: Final = NATIVE_BYTE_ORDER

    def __repr__(self) -> str:
        return "<Ti.Codec>"

    def getNativeByteOrder(self) -> int:
        """The machine's byte order: C{BIG_ENDIAN} or C{LITTLE_ENDIAN}."""
        return NATIVE_BYTE_ORDER

    # The four functions below take the dict as their only positional argument
    # and the options as keywords. The options are not keyword-only on purpose:
    # CPython binds keyword-only parameters with defaults noticeably slower, and
    # these are hot paths. Each function first tries a fast path for the plain
    # case and otherwise calls its fully checked twin, which raises the error
    # or does the same work.

    def encodeNumber(
        self,
        params: Mapping[str, Any] | None = None,
        /,
        source: Any = _MISSING,
        dest: Any = _MISSING,
        type: Any = _MISSING,
        position: Any = _MISSING,
        byteOrder: Any = _MISSING,
        **unknown: Any,
    ) -> int:
        """
        Write the number C{source} into the buffer C{dest} as C{type}.

        Options: C{source} (int or float), C{dest} (L{Buffer}), C{type}
        (C{TYPE_*}), C{position} (default 0), C{byteOrder} (default native).

        @return: the position just after the value.
        @raise TiBoundsError: if the value does not fit in C{dest} from
            C{position} (nothing is written).
        """
        if (
            params is not None
            and params.__class__ is dict
            and not unknown
            and source is _MISSING
            and dest is _MISSING
            and type is _MISSING
            and position is _MISSING
            and byteOrder is _MISSING
            and params.keys() <= _ENCODE_NUMBER_KEYS
        ):
            # The dict style: unpack it and take the same paths as keywords.
            get = params.get
            source = get("source", _MISSING)
            dest = get("dest", _MISSING)
            type = get("type", _MISSING)
            position = get("position", _MISSING)
            byteOrder = get("byteOrder", _MISSING)
            params = None
        if params is None and not unknown and dest.__class__ is Buffer:
            try:
                if byteOrder is _MISSING:
                    pack, width, mask, limit, packUnsigned = _FAST_PACK_NATIVE[type]
                elif byteOrder is _BIG:
                    pack, width, mask, limit, packUnsigned = _FAST_PACK_BIG[type]
                elif byteOrder is _LITTLE:
                    pack, width, mask, limit, packUnsigned = _FAST_PACK_LITTLE[type]
                elif byteOrder is None:
                    pack, width, mask, limit, packUnsigned = _FAST_PACK_NATIVE[type]
                else:
                    raise _Slow
                if position is _MISSING:
                    at = 0
                elif position.__class__ is int and position >= 0:
                    at = position
                else:
                    raise _Slow
                cls = source.__class__
                if mask is not None:
                    if cls is int:
                        try:
                            pack(dest._data, at, source)
                        except struct.error:
                            # Outside the signed range (or the buffer, which the
                            # unsigned pack refuses too, writing nothing): the low
                            # bits, as unsigned, over the zeros the refused pack left.
                            packUnsigned(dest._data, at, source & mask)
                        return at + width
                elif (cls is float and width == 8) or (
                    (cls is float or cls is int) and -limit <= source <= limit
                ):
                    # A double takes every float (infinities and NaN too).
                    pack(dest._data, at, source)
                    return at + width
            except _FAST_FAILURES:
                pass
        return _encodeNumber(
            mergeOptions(
                _ENCODE_NUMBER,
                params,
                _given(
                    source=source,
                    dest=dest,
                    type=type,
                    position=position,
                    byteOrder=byteOrder,
                    **unknown,
                ),
                _ENCODE_NUMBER_KEYS,
            )
        )

    def decodeNumber(
        self,
        params: Mapping[str, Any] | None = None,
        /,
        source: Any = _MISSING,
        type: Any = _MISSING,
        position: Any = _MISSING,
        byteOrder: Any = _MISSING,
        **unknown: Any,
    ) -> int | float:
        """
        Read a number of C{type} from the buffer C{source}.

        Options: C{source} (L{Buffer}), C{type} (C{TYPE_*}), C{position}
        (default 0), C{byteOrder} (default native).

        @return: an L{int} (signed) for the integer types, a L{float} for
            C{float} (widened) and C{double}.
        @raise TiBoundsError: if the value reaches past the end of C{source}.
        """
        if (
            params is not None
            and params.__class__ is dict
            and not unknown
            and source is _MISSING
            and type is _MISSING
            and position is _MISSING
            and byteOrder is _MISSING
            and params.keys() <= _DECODE_NUMBER_KEYS
        ):
            # The dict style: unpack it and take the same paths as keywords.
            get = params.get
            source = get("source", _MISSING)
            type = get("type", _MISSING)
            position = get("position", _MISSING)
            byteOrder = get("byteOrder", _MISSING)
            params = None
        if params is None and not unknown and source.__class__ is Buffer:
            try:
                if byteOrder is _MISSING:
                    unpack = _FAST_UNPACK_NATIVE[type]
                elif byteOrder is _BIG:
                    unpack = _FAST_UNPACK_BIG[type]
                elif byteOrder is _LITTLE:
                    unpack = _FAST_UNPACK_LITTLE[type]
                elif byteOrder is None:
                    unpack = _FAST_UNPACK_NATIVE[type]
                else:
                    raise _Slow
                if position is _MISSING:
                    return unpack(source._data)[0]  # type: ignore[no-any-return]
                if position.__class__ is int and position >= 0:
                    return unpack(source._data, position)[0]  # type: ignore[no-any-return]
            except _FAST_FAILURES:
                pass
        return _decodeNumber(
            mergeOptions(
                _DECODE_NUMBER,
                params,
                _given(source=source, type=type, position=position, byteOrder=byteOrder, **unknown),
                _DECODE_NUMBER_KEYS,
            )
        )

    def encodeString(
        self,
        params: Mapping[str, Any] | None = None,
        /,
        source: Any = _MISSING,
        dest: Any = _MISSING,
        charset: Any = _MISSING,
        destPosition: Any = _MISSING,
        sourcePosition: Any = _MISSING,
        sourceLength: Any = _MISSING,
        **unknown: Any,
    ) -> int:
        """
        Write the text C{source} into the buffer C{dest}, encoded in C{charset}.

        Options: C{source} (L{str}), C{dest} (L{Buffer}), C{charset} (default
        C{CHARSET_UTF8}), C{destPosition} (default 0), C{sourcePosition}
        (default 0) and C{sourceLength} (default: the rest of C{source}), the
        last two counted in characters.

        @return: C{destPosition} plus the number of bytes written.
        @raise TiBoundsError: if the characters asked for are outside
            C{source}, or their bytes do not fit in C{dest}.
        @raise TiValueError: if the charset cannot encode the text.
        """
        if (
            params is not None
            and params.__class__ is dict
            and not unknown
            and source is _MISSING
            and dest is _MISSING
            and charset is _MISSING
            and destPosition is _MISSING
            and sourcePosition is _MISSING
            and sourceLength is _MISSING
            and params.keys() <= _ENCODE_STRING_KEYS
        ):
            # The dict style: unpack it and take the same paths as keywords.
            get = params.get
            source = get("source", _MISSING)
            dest = get("dest", _MISSING)
            charset = get("charset", _MISSING)
            destPosition = get("destPosition", _MISSING)
            sourcePosition = get("sourcePosition", _MISSING)
            sourceLength = get("sourceLength", _MISSING)
            params = None
        if (
            params is None
            and not unknown
            and source.__class__ is str
            and dest.__class__ is Buffer
            and sourcePosition is _MISSING
            and sourceLength is _MISSING
        ):
            try:
                codec = "utf-8" if charset is _MISSING else _PYTHON_CODECS[charset]
                start = 0 if destPosition is _MISSING else destPosition
                if start.__class__ is int and start >= 0:
                    encoded = source.encode(codec)
                    data = dest._data
                    end: int = start + len(encoded)
                    if end <= len(data):
                        # TypeError for bytes not yet copied (see Buffer._writable):
                        # the checked path copies them.
                        data[start:end] = encoded  # type: ignore[index]
                        return end
            except (KeyError, TypeError, ValueError):
                pass
        return _encodeString(
            mergeOptions(
                _ENCODE_STRING,
                params,
                _given(
                    source=source,
                    dest=dest,
                    charset=charset,
                    destPosition=destPosition,
                    sourcePosition=sourcePosition,
                    sourceLength=sourceLength,
                    **unknown,
                ),
                _ENCODE_STRING_KEYS,
            )
        )

    def decodeString(
        self,
        params: Mapping[str, Any] | None = None,
        /,
        source: Any = _MISSING,
        position: Any = _MISSING,
        length: Any = _MISSING,
        charset: Any = _MISSING,
        **unknown: Any,
    ) -> str:
        """
        Decode bytes of the buffer C{source} as text in C{charset}.

        Options: C{source} (L{Buffer}), C{position} (default 0, may equal the
        length), C{length} (default: the bytes from C{position} to the end),
        C{charset} (default C{CHARSET_UTF8}).

        @raise TiBoundsError: if the range reaches outside C{source}.
        """
        if (
            params is not None
            and params.__class__ is dict
            and not unknown
            and source is _MISSING
            and position is _MISSING
            and length is _MISSING
            and charset is _MISSING
            and params.keys() <= _DECODE_STRING_KEYS
        ):
            # The dict style: unpack it and take the same paths as keywords.
            get = params.get
            source = get("source", _MISSING)
            position = get("position", _MISSING)
            length = get("length", _MISSING)
            charset = get("charset", _MISSING)
            params = None
        if params is None and not unknown and source.__class__ is Buffer:
            try:
                codec = "utf-8" if charset is _MISSING else _PYTHON_CODECS[charset]
                data = source._data
                if position is _MISSING and length is _MISSING:
                    return data.decode(codec, "replace")
                start = 0 if position is _MISSING else position
                count = len(data) - start if length is _MISSING else length
                if (
                    start.__class__ is int
                    and count.__class__ is int
                    and start >= 0
                    and count >= 0
                    and start + count <= len(data)
                ):
                    return data[start : start + count].decode(codec, "replace")
            except (KeyError, TypeError):
                pass
        return _decodeString(
            mergeOptions(
                _DECODE_STRING,
                params,
                _given(source=source, position=position, length=length, charset=charset, **unknown),
                _DECODE_STRING_KEYS,
            )
        )


#: C{Ti.Codec}.
Codec: Final = CodecModule()

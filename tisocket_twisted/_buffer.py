"""
C{Ti.Buffer}: a mutable, resizable byte array (CONTRACT sections 3 and 10).

A L{Buffer} is backed by one object, C{_data}: a L{bytearray}, or the
L{bytes} it was made around and has not changed yet. Streams and sockets read
and write it directly, and L{Buffer._wrap} makes a buffer around a bytearray or
bytes without copying them: a pump hands each received chunk on in a buffer
that way. The first change to a buffer around bytes copies them into a
bytearray (L{Buffer._writable}, copy on write), so data received and never
changed is never copied; from then on every change is made in place. Bulk
methods are slice operations: no Python loop runs per byte.

Decisions where Titanium is silent (the docstrings repeat them where they
apply):

  - Optional arguments default to L{None}, which means "not given" (as
    JavaScript's C{undefined}). An offset given without its length, or a length
    without its offset, is a L{TiTypeError}, checked before any range.
  - A range reaching outside either buffer is a L{TiBoundsError}, raised before
    anything changes; C{copy} and C{fill} never grow and never clamp;
    C{insert} at C{offset == length} appends.
  - C{byteOrder} is the order given to C{createBuffer}; when none was given it
    is the native order for a buffer made from a number (the order the number
    was encoded in) and L{None} otherwise: text carries its byte order in its
    charset, and a buffer made from a length has no order at all. A full
    C{clone()} copies C{type}, C{value} and C{byteOrder}; C{clone(offset,
    length)} copies C{type} and C{byteOrder} only, even for the whole range.
  - C{toString()} and C{str(buf)} decode all bytes as UTF-8 with U+FFFD for
    invalid ones; C{clear()} fills with zeros.
  - The source of C{append}, C{insert} and C{copy} is a L{Buffer}; a L{Blob}, a
    L{bytes}, L{bytearray} or L{memoryview} is accepted too, so binary data
    never needs a text detour.
  - C{buf == other} compares content, as C{bytes == bytearray} does: a buffer
    equals a buffer, a blob, or a bytes-like object with the same bytes. A
    buffer is mutable and therefore unhashable.
  - C{bool(buf)} is false for an empty buffer, as for every Python container
    (test for L{None} with C{is None}).
  - The buffer protocol: C{memoryview(buf)} works on Python 3.12 and later
    (C{__buffer__}, PEP 688). Python 3.10 and 3.11 give pure-Python classes no
    way to export a buffer, so L{Buffer.getbuffer} returns the same view on
    every version, as C{io.BytesIO.getbuffer} does. While such a view exists
    the buffer cannot change its length (as for C{BytesIO}): the methods that
    resize raise L{InvalidStateError} and change nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Final

from ._args import checkInt, checkNonNegativeInt, checkRange, mergeOptions
from ._blob import Blob, asRawBytes, shortRepr
from ._constants import BIG_ENDIAN, BYTE_ORDERS, LITTLE_ENDIAN, NATIVE_BYTE_ORDER
from ._errors import InvalidStateError, TiBoundsError, TiTypeError, TiValueError

__all__ = ["Buffer", "createBuffer"]

_BYTES_LIKE: Final = (bytes, bytearray, memoryview)
_CREATE_KEYS: Final = frozenset({"length", "value", "type", "byteOrder"})

#: The longest Buffer: Titanium's lengths are Java C{int}s. Longer lengths
#: raise L{TiBoundsError} (instead of OverflowError, MemoryError, or the
#: zero-filling of many gigabytes).
MAX_LENGTH: Final = 2**31 - 1


def _checkMaxLength(where: str, length: int) -> None:
    if length > MAX_LENGTH:
        raise TiBoundsError(
            f"{where}: length must be at most {MAX_LENGTH} (Titanium's limit), got {length!r}"
        )


#: What a source argument may be, for messages.
_SOURCE_KINDS: Final = "a Ti.Buffer, Ti.Blob, bytes, bytearray or memoryview"


def _sourceData(where: str, name: str, source: object) -> bytearray | bytes | memoryview:
    """Return the bytes of a source argument (no copy), or raise L{TiTypeError}."""
    if isinstance(source, (Buffer, Blob)):
        return source._data
    if isinstance(source, _BYTES_LIKE):
        try:
            return asRawBytes(source)
        except (TypeError, ValueError) as exc:
            raise TiTypeError(f"{where}: cannot take the bytes of {name} ({exc})") from exc
    raise TiTypeError(f"{where}: {name} must be {_SOURCE_KINDS}, got {shortRepr(source)}")


def _pair(
    where: str,
    offsetName: str,
    offset: object,
    lengthName: str,
    length: object,
) -> tuple[int, int] | None:
    """
    Check an optional (offset, length) pair: both L{None}, or both integers.

    @return: L{None} when neither is given, else the two integers (not yet
        checked against any size).
    @raise TiTypeError: when only one of them is given, or one is not an integer.
    """
    if offset is None and length is None:
        return None
    if offset is None:
        raise TiTypeError(
            f"{where}: {lengthName} needs {offsetName} too (got {lengthName}={length!r} "
            f"without {offsetName})"
        )
    if length is None:
        raise TiTypeError(
            f"{where}: {offsetName} needs {lengthName} too (got {offsetName}={offset!r} "
            f"without {lengthName})"
        )
    return checkInt(where, offsetName, offset), checkInt(where, lengthName, length)


def _sourceRange(
    where: str,
    data: bytearray | bytes | memoryview,
    sourceOffset: object,
    sourceLength: object,
) -> tuple[int, int] | None:
    """
    Check C{sourceOffset}/C{sourceLength} against C{data}.

    @return: L{None} for "all of it", else the checked (offset, length).
    """
    pair = _pair(where, "sourceOffset", sourceOffset, "sourceLength", sourceLength)
    if pair is not None:
        checkRange(where, "sourceOffset", pair[0], "sourceLength", pair[1], len(data))
    return pair


def _slice(
    data: bytearray | bytes | memoryview, pair: tuple[int, int] | None
) -> bytearray | bytes | memoryview:
    """The bytes selected by C{pair} (all of C{data} for L{None})."""
    if pair is None:
        return data
    offset, length = pair
    return data[offset : offset + length]


#: Make an instance without running C{__init__} (the slots are set by the caller).
_newBuffer: Final = object.__new__


class Buffer:
    """
    C{Ti.Buffer}: a mutable, resizable array of bytes.

    Create one with C{Ti.createBuffer} (L{createBuffer}); C{Buffer(data)}
    copies bytes-like C{data} into a new buffer. C{buf[i]} is an integer
    0-255; C{len(buf)}, iteration, C{bytes(buf)}, C{==} by content and the
    buffer protocol are there for Python code (see the module docstring).
    """

    __slots__ = ("__weakref__", "_byteOrder", "_data", "_type", "_value")

    #: The bytes: a bytearray, or bytes shared until the first change (see L{_writable}).
    _data: bytearray | bytes

    apiName = "Ti.Buffer"

    def __init__(self, data: bytes | bytearray | memoryview | None = None) -> None:
        """
        Make a buffer holding a copy of C{data} (empty when not given).

        @raise TiTypeError: if C{data} is not bytes-like (text is refused:
            use L{createBuffer} with a charset).
        """
        if data is None:
            self._data = bytearray()
        else:
            if not isinstance(data, _BYTES_LIKE):
                raise TiTypeError(
                    f"Ti.Buffer: data must be bytes, bytearray or memoryview, got {shortRepr(data)}"
                )
            self._data = bytearray(asRawBytes(data))
        self._type: str | None = None
        self._value: Any = None
        self._byteOrder: int | None = None

    @classmethod
    def _wrap(cls, data: bytearray | bytes) -> Buffer:
        """
        Make a buffer around C{data} (no copy, no check). Internal fast path: a
        bytearray becomes the buffer's own; bytes are copied on the first change.
        """
        buf = _newBuffer(cls)
        buf._data = data
        buf._type = None
        buf._value = None
        buf._byteOrder = None
        return buf

    def _writable(self) -> bytearray:
        """
        The bytearray to change in place: the buffer's own, made on the first
        change of a buffer around bytes (copy on write). Every change goes
        through here; a few hot paths change C{_data} directly and come here
        on the error that bytes raise (they have no C{extend}, no item
        assignment).
        """
        data = self._data
        if data.__class__ is bytearray:
            return data
        data = self._data = bytearray(data)
        return data

    # -- properties ---------------------------------------------------------------

    @property
    def length(self) -> int:
        """The number of bytes; settable (grows with zeros, truncates when smaller)."""
        return len(self._data)

    @length.setter
    def length(self, value: int) -> None:
        newLength = checkNonNegativeInt("Ti.Buffer.length", "length", value)
        _checkMaxLength("Ti.Buffer.length", newLength)
        data = self._writable()
        try:
            if newLength > len(data):
                data.extend(bytes(newLength - len(data)))
            else:
                del data[newLength:]
        except BufferError as exc:
            raise _exported("Ti.Buffer.length") from exc

    @property
    def type(self) -> str | None:
        """The charset or number type the buffer was created with, else L{None}."""
        return self._type

    @property
    def value(self) -> Any:
        """The value the buffer was created with (not updated afterwards), else L{None}."""
        return self._value

    @property
    def byteOrder(self) -> int | None:
        """
        The byte order the buffer was created with.

        The order given to L{createBuffer}; when none was given, the native order
        for a buffer made from a number, and L{None} otherwise (text carries its
        byte order in its charset).
        """
        return self._byteOrder

    # -- Titanium methods -----------------------------------------------------------

    def append(
        self,
        sourceBuffer: Buffer | Blob | bytes | bytearray | memoryview,
        sourceOffset: int | None = None,
        sourceLength: int | None = None,
    ) -> int:
        """
        Append bytes of C{sourceBuffer} to this buffer, growing it.

        @param sourceOffset: the first source byte (needs C{sourceLength}).
        @param sourceLength: how many bytes (needs C{sourceOffset}).
        @return: the number of bytes appended.
        @raise TiBoundsError: if the range reaches outside C{sourceBuffer}.
        """
        where = "Ti.Buffer.append"
        if sourceBuffer.__class__ is Buffer and sourceOffset is None and sourceLength is None:
            # Fast path: a whole buffer.
            whole = sourceBuffer._data
            count = len(whole)
            try:
                self._data.extend(whole)  # type: ignore[union-attr]
            except AttributeError:  # bytes (no extend): copied on this first change
                self._writable().extend(whole)
            except BufferError as exc:
                raise _exported(where) from exc
            return count
        source = _sourceData(where, "sourceBuffer", sourceBuffer)
        pair = _sourceRange(where, source, sourceOffset, sourceLength)
        chunk = _slice(source, pair)
        count = len(chunk)  # before: the source may be this very buffer
        try:
            self._writable().extend(chunk)
        except BufferError as exc:
            raise _exported(where) from exc
        return count

    def insert(
        self,
        sourceBuffer: Buffer | Blob | bytes | bytearray | memoryview,
        offset: int,
        sourceOffset: int | None = None,
        sourceLength: int | None = None,
    ) -> int:
        """
        Insert bytes of C{sourceBuffer} at C{offset}, growing this buffer.

        C{offset} may equal the length (the bytes are then appended).

        @return: the number of bytes inserted.
        @raise TiBoundsError: if C{offset} is past the end or the source range
            reaches outside C{sourceBuffer}.
        """
        where = "Ti.Buffer.insert"
        source = _sourceData(where, "sourceBuffer", sourceBuffer)
        offset = checkInt(where, "offset", offset)
        pair = _pair(where, "sourceOffset", sourceOffset, "sourceLength", sourceLength)
        data = self._data
        if offset < 0 or offset > len(data):
            raise TiBoundsError(f"{where}: offset {offset!r} is outside 0..{len(data)}")
        if pair is not None:
            checkRange(where, "sourceOffset", pair[0], "sourceLength", pair[1], len(source))
        chunk = _slice(source, pair)
        count = len(chunk)  # before: the source may be this very buffer
        try:
            self._writable()[offset:offset] = chunk
        except BufferError as exc:
            raise _exported(where) from exc
        return count

    def copy(
        self,
        sourceBuffer: Buffer | Blob | bytes | bytearray | memoryview,
        offset: int,
        sourceOffset: int | None = None,
        sourceLength: int | None = None,
    ) -> int:
        """
        Overwrite bytes of this buffer from C{offset} with bytes of C{sourceBuffer}.

        Never grows and never clamps.

        @return: the number of bytes copied.
        @raise TiBoundsError: if the bytes do not fit from C{offset}, or the
            source range reaches outside C{sourceBuffer}.
        """
        where = "Ti.Buffer.copy"
        source = _sourceData(where, "sourceBuffer", sourceBuffer)
        offset = checkInt(where, "offset", offset)
        pair = _pair(where, "sourceOffset", sourceOffset, "sourceLength", sourceLength)
        if pair is not None:
            checkRange(where, "sourceOffset", pair[0], "sourceLength", pair[1], len(source))
        count = len(source) if pair is None else pair[1]
        data = self._data
        if offset < 0 or offset > len(data):
            raise TiBoundsError(f"{where}: offset {offset!r} is outside 0..{len(data)}")
        if offset + count > len(data):
            raise TiBoundsError(
                f"{where}: {count} bytes from offset {offset!r} reach past the end "
                f"({len(data)}); copy never grows the buffer"
            )
        chunk = _slice(source, pair)
        if isinstance(chunk, memoryview):
            # A view may share memory with this very buffer; copy before writing.
            chunk = chunk.tobytes()
        self._writable()[offset : offset + count] = chunk
        return count

    def clone(self, offset: int | None = None, length: int | None = None) -> Buffer:
        """
        Return a new buffer with a copy of this one's bytes.

        Without arguments the whole buffer is copied with its C{type}, C{value}
        and C{byteOrder}. With C{offset} and C{length} (always together) only
        those bytes are, with C{type} and C{byteOrder} but not C{value}.

        @raise TiBoundsError: if the range reaches outside this buffer.
        """
        data = self._data
        clone = _newBuffer(Buffer)
        if offset is None and length is None:
            clone._data = data[:]
            clone._value = self._value
        else:
            if not (
                offset.__class__ is int
                and length.__class__ is int
                and offset >= 0
                and length >= 0
                and offset + length <= len(data)
            ):
                where = "Ti.Buffer.clone"
                pair = _pair(where, "offset", offset, "length", length)
                assert pair is not None
                checkRange(where, "offset", pair[0], "length", pair[1], len(data))
                offset, length = pair
            clone._data = data[offset : offset + length]
            clone._value = None
        clone._type = self._type
        clone._byteOrder = self._byteOrder
        return clone

    def fill(self, fillByte: int, offset: int | None = None, length: int | None = None) -> None:
        """
        Set every byte, or C{length} bytes from C{offset}, to C{fillByte & 0xFF}.

        Never grows and never clamps.

        @raise TiBoundsError: if the range reaches outside this buffer.
        """
        where = "Ti.Buffer.fill"
        byte = checkInt(where, "fillByte", fillByte) & 0xFF
        pair = _pair(where, "offset", offset, "length", length)
        data = self._data
        if pair is None:
            start, count = 0, len(data)
        else:
            start, count = pair
            checkRange(where, "offset", start, "length", count, len(data))
        self._writable()[start : start + count] = bytes((byte,)) * count

    def clear(self) -> None:
        """Set every byte to zero; the length does not change."""
        data = self._writable()
        data[:] = bytes(len(data))

    def release(self) -> None:
        """Drop every byte: the length becomes 0."""
        try:
            del self._writable()[:]
        except BufferError as exc:
            raise _exported("Ti.Buffer.release") from exc

    def toString(self) -> str:
        """Decode all bytes as UTF-8; invalid bytes become U+FFFD."""
        return self._data.decode("utf-8", "replace")

    __str__ = toString

    def toBlob(self) -> Blob:
        """Return a L{Blob} with a copy of the bytes."""
        return Blob._wrap(bytes(self._data))

    # -- Python conveniences ----------------------------------------------------------

    def __len__(self) -> int:
        """The number of bytes."""
        return len(self._data)

    def __getitem__(self, index: int) -> int:
        """
        The byte at C{index}, an integer 0-255.

        @raise TiTypeError: if C{index} is not an integer (slices are refused:
            use L{clone}).
        @raise TiBoundsError: unless C{0 <= index < length} (no negative indexing).
        """
        if index.__class__ is int and index >= 0:
            try:
                return self._data[index]
            except IndexError:
                pass
        i = _checkIndex("Ti.Buffer[]", index)
        if i < 0 or i >= len(self._data):
            raise _indexError(i, len(self._data))
        return self._data[i]

    def __setitem__(self, index: int, value: int) -> None:
        """
        Store C{value & 0xFF} at C{index}.

        @raise TiTypeError: if C{index} or C{value} is not an integer.
        @raise TiBoundsError: unless C{0 <= index < length}.
        """
        data = self._data
        if index.__class__ is int and value.__class__ is int and 0 <= index < len(data):
            if data.__class__ is not bytearray:
                data = self._writable()
            data[index] = value & 0xFF
            return
        i = _checkIndex("Ti.Buffer[]", index)
        byte = checkInt("Ti.Buffer[]", "value", value) & 0xFF
        if i < 0 or i >= len(data):
            raise _indexError(i, len(data))
        self._writable()[i] = byte

    def __iter__(self) -> Iterator[int]:
        """Iterate over the bytes as integers 0-255."""
        return iter(self._data)

    def __bytes__(self) -> bytes:
        """A copy of the bytes."""
        return bytes(self._data)

    def __buffer__(self, flags: int) -> memoryview:
        """The buffer protocol (C{memoryview(buf)}, Python 3.12 and later)."""
        return memoryview(self._writable())

    def getbuffer(self) -> memoryview:
        """
        A writable L{memoryview} of the bytes, on every Python version.

        Like C{io.BytesIO.getbuffer}: the buffer cannot change its length while
        the view exists (release it, or use C{with buf.getbuffer() as view:}).
        """
        return memoryview(self._writable())

    def __eq__(self, other: object) -> bool:
        """Equal by content to a buffer, a blob or a bytes-like object."""
        if isinstance(other, (Buffer, Blob)):
            return self._data == other._data
        if isinstance(other, _BYTES_LIKE):
            return self._data == asRawBytes(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        """Show the length and the first bytes."""
        data = self._data
        more = "..." if len(data) > 32 else ""
        return f"<Ti.Buffer length={len(data)} {bytes(data[:32])!r}{more}>"

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle and copy by content and attributes."""
        return (_rebuild, (bytes(self._data), self._type, self._value, self._byteOrder))


def _rebuild(data: bytes, type: str | None, value: Any, byteOrder: int | None) -> Buffer:
    """Unpickle a L{Buffer}."""
    buf = Buffer._wrap(bytearray(data))
    buf._type = type
    buf._value = value
    buf._byteOrder = byteOrder
    return buf


def _checkIndex(where: str, index: object) -> int:
    """Return C{index} as an L{int}, refusing slices with a clear message."""
    if isinstance(index, slice):
        raise TiTypeError(
            f"{where}: slices are not supported (got {index!r}); use clone(offset, length)"
        )
    return checkInt(where, "index", index)


def _indexError(index: int, length: int) -> TiBoundsError:
    """The error for an index outside the buffer."""
    return TiBoundsError(
        f"Ti.Buffer[]: index {index!r} is outside the buffer (0 <= index < length {length})"
    )


def _exported(where: str) -> InvalidStateError:
    """The error for resizing a buffer while a memoryview of it exists."""
    return InvalidStateError(
        f"{where}: the buffer cannot change its length while a memoryview of it "
        "exists; release the view first"
    )


def createBuffer(params: Mapping[str, Any] | None = None, /, **kwargs: Any) -> Buffer:
    """
    C{Ti.createBuffer}: make a L{Buffer}.

    Options, as a dict or as keywords (L{None} means "not given"):

      - nothing: an empty buffer;
      - C{length}: that many zero bytes;
      - C{value} (L{str}) and C{type} (a C{CHARSET_*}, default UTF-8): the
        encoded text;
      - C{value} (number) and C{type} (a C{TYPE_*}, required) and C{byteOrder}
        (default native): the encoded number;
      - C{value} (bytes-like, no C{type}): a copy of the bytes;
      - C{value} with C{length}: C{length} bytes, the value encoded at 0.

    C{type}, C{value} and C{byteOrder} are kept as read-only attributes (see
    L{Buffer.byteOrder} for its default).

    @raise TiTypeError: for an unknown key, a missing C{type} with a number, or
        an argument of the wrong type.
    @raise TiValueError: for an unknown C{type} or C{byteOrder}, a C{type}
        that does not suit the value, or text the charset cannot encode.
    @raise TiBoundsError: for a negative C{length} or one past L{MAX_LENGTH},
        or a value that does not fit in C{length}.
    """
    from ._codec import (
        encodeNumberBytes,
        encodeStringBytes,
        resolveAnyType,
        resolveCharset,
        resolveType,
    )

    where = "Ti.createBuffer"
    options = mergeOptions(where, params, kwargs, _CREATE_KEYS)
    length = options.get("length")
    value = options.get("value")
    type = options.get("type")
    byteOrder = options.get("byteOrder")
    if length is not None:
        length = checkInt(where, "length", length)
        _checkMaxLength(where, length)
    if byteOrder is not None:
        byteOrder = checkByteOrder(where, byteOrder)

    encoded: bytes | bytearray | memoryview
    if value is None:
        if type is not None:
            type = resolveAnyType(where, type)
        encoded = b""
    elif isinstance(value, str):
        type = resolveCharset(where, "type", "utf8" if type is None else type)
        encoded = encodeStringBytes(where, value, type)
    elif isinstance(value, bool):
        raise TiTypeError(f"{where}: value must be a string, a number or bytes, got {value!r}")
    elif isinstance(value, (int, float)):
        if type is None:
            raise TiTypeError(
                f"{where}: value {value!r} is a number, so type (a Ti.Codec.TYPE_*) is required"
            )
        type = resolveType(where, "type", type)
        if byteOrder is None:
            byteOrder = NATIVE_BYTE_ORDER
        encoded = encodeNumberBytes(where, value, type, byteOrder)
    elif isinstance(value, _BYTES_LIKE):
        if type is not None:
            raise TiValueError(
                f"{where}: value is bytes, so type must not be given (got {shortRepr(type)})"
            )
        try:
            encoded = bytes(value)
        except (TypeError, ValueError, BufferError) as exc:
            raise TiTypeError(f"{where}: cannot take the bytes of value ({exc})") from exc
        value = encoded
    else:
        raise TiTypeError(
            f"{where}: value must be a string, a number or bytes, got {shortRepr(value)}"
        )

    data = bytearray(encoded)
    if length is not None:
        if length < 0:
            raise TiBoundsError(f"{where}: length must not be negative, got {length!r}")
        if len(data) > length:
            raise TiBoundsError(f"{where}: value needs {len(data)} bytes but length is {length}")
        data.extend(bytes(length - len(data)))
    buf = Buffer._wrap(data)
    buf._type = type
    buf._value = value
    buf._byteOrder = byteOrder
    return buf


def checkByteOrder(where: str, byteOrder: object) -> int:
    """
    Return C{byteOrder} if it is C{BIG_ENDIAN} or C{LITTLE_ENDIAN}.

    @raise TiTypeError: if it is not an integer (a L{bool} neither).
    @raise TiValueError: if it is another integer.
    """
    order = checkInt(where, "byteOrder", byteOrder)
    if order not in BYTE_ORDERS:
        raise TiValueError(
            f"{where}: byteOrder must be Ti.Codec.BIG_ENDIAN ({BIG_ENDIAN}) or "
            f"Ti.Codec.LITTLE_ENDIAN ({LITTLE_ENDIAN}), got {order!r}"
        )
    return order

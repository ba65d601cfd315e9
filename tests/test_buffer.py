"""Tests for C{Ti.Buffer} and C{Ti.createBuffer} (CONTRACT sections 3 and 10)."""

from __future__ import annotations

import copy
import pickle
import struct
import sys
from collections.abc import Callable
from typing import Any

import pytest

from tisocket_twisted import (
    Blob,
    Buffer,
    Codec,
    InvalidStateError,
    Ti,
    TiBoundsError,
    TiTypeError,
    TiValueError,
    createBuffer,
)

NATIVE = Codec.nativeByteOrder


def snapshot(*buffers: Buffer) -> list[tuple[bytes, Any, Any, Any]]:
    """Everything observable about some buffers."""
    return [(bytes(b), b.type, b.value, b.byteOrder) for b in buffers]


def assertRaisesUnchanged(
    exc: type[BaseException], call: Callable[[], object], *buffers: Buffer, match: str | None = None
) -> pytest.ExceptionInfo[BaseException]:
    """C{call} raises exactly C{exc} and leaves C{buffers} unchanged."""
    before = snapshot(*buffers)
    datas = [b._data for b in buffers]
    with pytest.raises(exc, match=match) as info:
        call()
    assert type(info.value) is exc
    assert snapshot(*buffers) == before
    assert [b._data for b in buffers] == datas
    return info


def buf(data: bytes) -> Buffer:
    return Buffer(data)


# -- createBuffer ---------------------------------------------------------------


class TestCreateBuffer:
    def test_namespace(self) -> None:
        assert Ti.createBuffer is createBuffer
        assert Ti.Buffer is Buffer

    def test_empty(self) -> None:
        b = createBuffer()
        assert b.length == 0 and len(b) == 0 and bytes(b) == b""
        assert (b.type, b.value, b.byteOrder) == (None, None, None)
        assert b.apiName == "Ti.Buffer"
        assert isinstance(b, Buffer)

    def test_emptyDict(self) -> None:
        assert bytes(createBuffer({})) == b""

    def test_length(self) -> None:
        b = createBuffer({"length": 1024})
        assert b.length == 1024 and bytes(b) == bytes(1024)
        assert (b.type, b.value, b.byteOrder) == (None, None, None)

    def test_lengthKeyword(self) -> None:
        assert bytes(createBuffer(length=3)) == b"\0\0\0"

    def test_lengthZero(self) -> None:
        assert createBuffer(length=0).length == 0

    def test_noneMeansNotGiven(self) -> None:
        b = createBuffer({"length": None, "value": None, "type": None, "byteOrder": None})
        assert bytes(b) == b"" and b.type is None

    def test_stringDefaultUtf8(self) -> None:
        b = createBuffer({"value": "hello world"})
        assert bytes(b) == b"hello world"
        assert b.type == Codec.CHARSET_UTF8
        assert b.value == "hello world"
        assert b.byteOrder is None

    @pytest.mark.parametrize(
        ("charset", "expected"),
        [
            ("ascii", b"Ti"),
            ("latin1", b"Ti\xe9"),
            ("iso-latin-1", b"Ti\xe9"),
            ("utf8", "Tié".encode()),
            ("utf16", b"\xfe\xff\x00T\x00i\x00\xe9"),
            ("utf16be", b"\x00T\x00i\x00\xe9"),
            ("utf16le", b"T\x00i\x00\xe9\x00"),
        ],
    )
    def test_stringCharsets(self, charset: str, expected: bytes) -> None:
        text = "Ti" if charset == "ascii" else "Tié"
        b = createBuffer(value=text, type=charset)
        assert bytes(b) == expected
        assert b.type == ("latin1" if charset == "iso-latin-1" else charset)

    def test_stringByteOrderKept(self) -> None:
        b = createBuffer(value="x", byteOrder=Codec.BIG_ENDIAN)
        assert b.byteOrder == Codec.BIG_ENDIAN and bytes(b) == b"x"

    def test_stringWithLength(self) -> None:
        b = createBuffer(value="abc", length=6)
        assert bytes(b) == b"abc\0\0\0"
        assert b.length == 6

    def test_stringExactLength(self) -> None:
        assert bytes(createBuffer(value="abc", length=3)) == b"abc"

    def test_stringTooLong(self) -> None:
        with pytest.raises(TiBoundsError, match="length"):
            createBuffer(value="abcd", length=3)

    def test_emptyStringWithLength(self) -> None:
        assert bytes(createBuffer(value="", length=2)) == b"\0\0"

    def test_unencodable(self) -> None:
        with pytest.raises(TiValueError, match="ascii"):
            createBuffer(value="é", type="ascii")

    @pytest.mark.parametrize(
        ("type", "fmt"),
        [
            ("byte", "b"),
            ("short", "h"),
            ("int", "i"),
            ("long", "q"),
            ("float", "f"),
            ("double", "d"),
        ],
    )
    @pytest.mark.parametrize("order", [Codec.BIG_ENDIAN, Codec.LITTLE_ENDIAN])
    def test_number(self, type: str, fmt: str, order: int) -> None:
        b = createBuffer({"value": 100, "type": type, "byteOrder": order})
        prefix = ">" if order == Codec.BIG_ENDIAN else "<"
        assert bytes(b) == struct.pack(prefix + fmt, 100)
        assert (b.type, b.value, b.byteOrder) == (type, 100, order)

    def test_numberDocExample(self) -> None:
        b = createBuffer(value=1.234567, type=Codec.TYPE_DOUBLE, byteOrder=Codec.BIG_ENDIAN)
        assert bytes(b) == struct.pack(">d", 1.234567)

    def test_numberNativeByteOrder(self) -> None:
        b = createBuffer(value=1, type="int")
        assert b.byteOrder == NATIVE
        assert bytes(b) == (1).to_bytes(4, sys.byteorder)

    def test_numberWithLength(self) -> None:
        b = createBuffer(value=0x01020304, type="int", byteOrder=Codec.BIG_ENDIAN, length=6)
        assert bytes(b) == b"\x01\x02\x03\x04\0\0"

    def test_numberTooLong(self) -> None:
        with pytest.raises(TiBoundsError):
            createBuffer(value=1, type="int", length=3)

    def test_numberLengthZero(self) -> None:
        with pytest.raises(TiBoundsError):
            createBuffer(value=1, type="byte", length=0)

    def test_numberTwosComplement(self) -> None:
        assert bytes(createBuffer(value=-1, type="short")) == b"\xff\xff"
        assert bytes(createBuffer(value=300, type="byte")) == b"\x2c"

    def test_numberWithoutType(self) -> None:
        with pytest.raises(TiTypeError, match="type"):
            createBuffer(value=5)

    def test_numberWithCharset(self) -> None:
        with pytest.raises(TiValueError, match="utf8"):
            createBuffer(value=5, type="utf8")

    def test_stringWithNumberType(self) -> None:
        with pytest.raises(TiValueError, match="int"):
            createBuffer(value="5", type="int")

    def test_nanForInteger(self) -> None:
        with pytest.raises(TiValueError, match="nan"):
            createBuffer(value=float("nan"), type="int")

    def test_nanForDouble(self) -> None:
        b = createBuffer(value=float("nan"), type="double")
        assert struct.unpack("=d", bytes(b))[0] != struct.unpack("=d", bytes(b))[0]

    def test_unknownType(self) -> None:
        with pytest.raises(TiValueError, match="'word'"):
            createBuffer(value=5, type="word")

    def test_typeNotString(self) -> None:
        with pytest.raises(TiTypeError, match="type"):
            createBuffer(value=5, type=4)

    def test_typeAloneIsKept(self) -> None:
        b = createBuffer(length=2, type="iso-latin-1")
        assert b.type == "latin1" and bytes(b) == b"\0\0"
        assert createBuffer(type="int").type == "int"

    def test_typeAloneUnknown(self) -> None:
        with pytest.raises(TiValueError, match="neither"):
            createBuffer(type="nope")

    def test_bytesValue(self) -> None:
        data = bytearray(b"\x00\xffab")
        b = createBuffer(value=data, length=6)
        data[0] = 9
        assert bytes(b) == b"\x00\xffab\0\0"
        assert b.value == b"\x00\xffab" and b.type is None

    def test_bytesValueWithType(self) -> None:
        with pytest.raises(TiValueError, match="bytes"):
            createBuffer(value=b"x", type="utf8")

    @pytest.mark.parametrize("value", [True, False, [1], {"a": 1}, object()])
    def test_badValue(self, value: object) -> None:
        with pytest.raises(TiTypeError, match="value"):
            createBuffer(value=value, type="int")

    @pytest.mark.parametrize("length", [1.0, "3", True, [3]])
    def test_badLengthType(self, length: object) -> None:
        with pytest.raises(TiTypeError, match="length"):
            createBuffer(length=length)

    def test_negativeLength(self) -> None:
        with pytest.raises(TiBoundsError, match="length"):
            createBuffer(length=-1)

    def test_typeErrorBeforeBounds(self) -> None:
        with pytest.raises(TiTypeError):
            createBuffer(length=-1, value=True)

    @pytest.mark.parametrize("order", [2, -1, 3])
    def test_badByteOrderValue(self, order: int) -> None:
        with pytest.raises(TiValueError, match="byteOrder"):
            createBuffer(value=1, type="int", byteOrder=order)

    @pytest.mark.parametrize("order", [True, 1.0, "big"])
    def test_badByteOrderType(self, order: object) -> None:
        with pytest.raises(TiTypeError, match="byteOrder"):
            createBuffer(value=1, type="int", byteOrder=order)

    def test_unknownKey(self) -> None:
        with pytest.raises(TiTypeError, match="'lenght'"):
            createBuffer({"lenght": 3})
        with pytest.raises(TiTypeError, match="'data'"):
            createBuffer(data="x")

    def test_keyTwice(self) -> None:
        with pytest.raises(TiTypeError, match="both"):
            createBuffer({"length": 3}, length=3)

    def test_paramsNotDict(self) -> None:
        with pytest.raises(TiTypeError):
            createBuffer(3)  # type: ignore[arg-type]

    def test_dictAndKeywordsMix(self) -> None:
        assert bytes(createBuffer({"value": "ab"}, length=3)) == b"ab\0"


# -- attributes -------------------------------------------------------------------


class TestAttributes:
    @pytest.mark.parametrize("name", ["type", "value", "byteOrder", "apiName"])
    def test_readOnly(self, name: str) -> None:
        b = createBuffer(value=1, type="int")
        with pytest.raises(AttributeError):
            setattr(b, name, 5)

    def test_noNewAttributes(self) -> None:
        with pytest.raises(AttributeError):
            createBuffer().foo = 1  # type: ignore[attr-defined]

    def test_constructorCopies(self) -> None:
        data = bytearray(b"abc")
        b = Buffer(data)
        data[0] = 0
        assert bytes(b) == b"abc"
        assert bytes(Buffer()) == b""
        assert bytes(Buffer(memoryview(b"xy"))) == b"xy"

    def test_constructorRefusesText(self) -> None:
        with pytest.raises(TiTypeError, match="data"):
            Buffer("abc")  # type: ignore[arg-type]

    def test_wrapDoesNotCopy(self) -> None:
        data = bytearray(b"abc")
        b = Buffer._wrap(data)
        assert b._data is data
        data[0] = ord("z")
        assert bytes(b) == b"zbc"
        assert (b.type, b.value, b.byteOrder) == (None, None, None)

    def test_repr(self) -> None:
        assert repr(buf(b"ab")) == "<Ti.Buffer length=2 b'ab'>"
        assert "length=100" in repr(createBuffer(length=100))
        assert repr(createBuffer(length=100)).endswith("...>")


# -- bytes and length ----------------------------------------------------------------


class TestIndexing:
    def test_get(self) -> None:
        b = buf(b"\x00\x7f\xff")
        assert [b[0], b[1], b[2]] == [0, 127, 255]

    @pytest.mark.parametrize(
        ("value", "stored"), [(0, 0), (255, 255), (256, 0), (-1, 255), (1000, 232)]
    )
    def test_setLowBits(self, value: int, stored: int) -> None:
        b = createBuffer(length=1)
        b[0] = value
        assert b[0] == stored

    @pytest.mark.parametrize("index", [3, 4, 100, -1, -3])
    def test_getOutOfRange(self, index: int) -> None:
        with pytest.raises(TiBoundsError, match="index"):
            buf(b"abc")[index]

    @pytest.mark.parametrize("index", [3, -1, 10**20])
    def test_setOutOfRange(self, index: int) -> None:
        b = buf(b"abc")
        assertRaisesUnchanged(TiBoundsError, lambda: b.__setitem__(index, 1), b)

    def test_emptyBuffer(self) -> None:
        with pytest.raises(TiBoundsError):
            createBuffer()[0]

    @pytest.mark.parametrize("index", [1.0, "1", None, True, False])
    def test_badIndexType(self, index: object) -> None:
        b = buf(b"abc")
        with pytest.raises(TiTypeError, match="index"):
            b[index]  # type: ignore[index]
        assertRaisesUnchanged(TiTypeError, lambda: b.__setitem__(index, 1), b)

    @pytest.mark.parametrize("value", [1.0, "1", None, True, b"a"])
    def test_badValueType(self, value: object) -> None:
        b = buf(b"abc")
        assertRaisesUnchanged(TiTypeError, lambda: b.__setitem__(0, value), b, match="value")

    def test_slicesRefused(self) -> None:
        b = buf(b"abc")
        with pytest.raises(TiTypeError, match="clone"):
            b[0:2]  # type: ignore[index]
        assertRaisesUnchanged(TiTypeError, lambda: b.__setitem__(slice(0, 1), 1), b)

    def test_indexLikeObjects(self) -> None:
        class Index:
            def __index__(self) -> int:
                return 1

        b = buf(b"abc")
        assert b[Index()] == ord("b")  # type: ignore[index]
        b[Index()] = 7  # type: ignore[index]
        assert b[1] == 7

    def test_deleteRefused(self) -> None:
        with pytest.raises((TypeError, AttributeError)):
            del buf(b"abc")[0]  # type: ignore[attr-defined]


class TestLength:
    def test_grow(self) -> None:
        b = buf(b"ab")
        data = b._data
        b.length = 5
        assert bytes(b) == b"ab\0\0\0"
        assert b._data is data

    def test_truncate(self) -> None:
        b = buf(b"abcdef")
        b.length = 2
        assert bytes(b) == b"ab"

    def test_same(self) -> None:
        b = buf(b"ab")
        b.length = 2
        assert bytes(b) == b"ab"

    def test_zero(self) -> None:
        b = buf(b"ab")
        b.length = 0
        assert bytes(b) == b""

    def test_negative(self) -> None:
        b = buf(b"ab")
        assertRaisesUnchanged(TiBoundsError, lambda: setattr(b, "length", -1), b, match="length")

    @pytest.mark.parametrize("value", [1.5, "2", None, True])
    def test_badType(self, value: object) -> None:
        b = buf(b"ab")
        assertRaisesUnchanged(TiTypeError, lambda: setattr(b, "length", value), b, match="length")


# -- append / insert / copy ------------------------------------------------------------


class TestAppend:
    def test_whole(self) -> None:
        b = buf(b"ab")
        assert b.append(buf(b"cde")) == 3
        assert bytes(b) == b"abcde"

    def test_range(self) -> None:
        b = buf(b"ab")
        assert b.append(buf(b"cdef"), 1, 2) == 2
        assert bytes(b) == b"abde"

    def test_keywords(self) -> None:
        b = buf(b"")
        assert b.append(sourceBuffer=buf(b"xyz"), sourceOffset=2, sourceLength=1) == 1
        assert bytes(b) == b"z"

    def test_emptyRangeAtEnd(self) -> None:
        b = buf(b"ab")
        assert b.append(buf(b"cd"), 2, 0) == 0
        assert bytes(b) == b"ab"

    def test_self(self) -> None:
        b = buf(b"ab")
        assert b.append(b) == 2
        assert bytes(b) == b"abab"
        assert b.append(b, 1, 2) == 2
        assert bytes(b) == b"ababba"

    @pytest.mark.parametrize(
        "source",
        [b"xy", bytearray(b"xy"), memoryview(b"xy"), Blob(b"xy")],
        ids=["bytes", "bytearray", "memoryview", "Blob"],
    )
    def test_bytesLikeSources(self, source: Any) -> None:
        b = buf(b"a")
        assert b.append(source) == 2
        assert bytes(b) == b"axy"

    def test_memoryviewOfOtherFormat(self) -> None:
        b = buf(b"")
        view = memoryview(struct.pack("=2h", 1, 2)).cast("h")
        assert b.append(view) == 4
        assert bytes(b) == struct.pack("=2h", 1, 2)

    @pytest.mark.parametrize(
        ("offset", "length"),
        [(4, 0), (5, 1), (-1, 1), (0, 4), (2, 2), (1, -1), (0, 10**20)],
    )
    def test_outOfRange(self, offset: int, length: int) -> None:
        b, source = buf(b"ab"), buf(b"xyz")
        assertRaisesUnchanged(TiBoundsError, lambda: b.append(source, offset, length), b, source)

    @pytest.mark.parametrize(("offset", "length"), [(1, None), (None, 1), (99, None), (None, -5)])
    def test_halfPair(self, offset: int | None, length: int | None) -> None:
        b, source = buf(b"ab"), buf(b"xyz")
        assertRaisesUnchanged(TiTypeError, lambda: b.append(source, offset, length), b, source)

    @pytest.mark.parametrize("source", ["text", None, 5, [1, 2]])
    def test_badSource(self, source: Any) -> None:
        b = buf(b"ab")
        assertRaisesUnchanged(TiTypeError, lambda: b.append(source), b, match="sourceBuffer")

    @pytest.mark.parametrize(("offset", "length"), [(0.0, 1), (0, 1.0), (True, 1), (0, "1")])
    def test_badNumbers(self, offset: Any, length: Any) -> None:
        b, source = buf(b"ab"), buf(b"xyz")
        assertRaisesUnchanged(TiTypeError, lambda: b.append(source, offset, length), b, source)

    def test_missingSource(self) -> None:
        with pytest.raises(TypeError):
            buf(b"").append()  # type: ignore[call-arg]


class TestInsert:
    @pytest.mark.parametrize(("offset", "expected"), [(0, b"xyab"), (1, b"axyb"), (2, b"abxy")])
    def test_whole(self, offset: int, expected: bytes) -> None:
        b = buf(b"ab")
        assert b.insert(buf(b"xy"), offset) == 2
        assert bytes(b) == expected

    def test_intoEmpty(self) -> None:
        b = buf(b"")
        assert b.insert(buf(b"xy"), 0) == 2
        assert bytes(b) == b"xy"

    def test_range(self) -> None:
        b = buf(b"ab")
        assert b.insert(buf(b"wxyz"), 1, 1, 2) == 2
        assert bytes(b) == b"axyb"

    def test_self(self) -> None:
        b = buf(b"abc")
        assert b.insert(b, 1) == 3
        assert bytes(b) == b"aabcbc"

    @pytest.mark.parametrize("offset", [3, -1, 100])
    def test_offsetOutOfRange(self, offset: int) -> None:
        b, source = buf(b"ab"), buf(b"xy")
        assertRaisesUnchanged(TiBoundsError, lambda: b.insert(source, offset), b, source)

    def test_sourceOutOfRange(self) -> None:
        b, source = buf(b"ab"), buf(b"xy")
        assertRaisesUnchanged(TiBoundsError, lambda: b.insert(source, 0, 1, 2), b, source)

    def test_halfPairBeforeRange(self) -> None:
        b, source = buf(b"ab"), buf(b"xy")
        assertRaisesUnchanged(TiTypeError, lambda: b.insert(source, 99, 99), b, source)
        assertRaisesUnchanged(TiTypeError, lambda: b.insert(source, 0, sourceLength=1), b, source)

    @pytest.mark.parametrize("offset", [None, 1.0, "1", True])
    def test_badOffset(self, offset: Any) -> None:
        b, source = buf(b"ab"), buf(b"xy")
        assertRaisesUnchanged(
            TiTypeError, lambda: b.insert(source, offset), b, source, match="offset"
        )

    def test_badSource(self) -> None:
        b = buf(b"ab")
        assertRaisesUnchanged(TiTypeError, lambda: b.insert("xy", 0), b)  # type: ignore[arg-type]

    def test_offsetRequired(self) -> None:
        with pytest.raises(TypeError):
            buf(b"").insert(buf(b"x"))  # type: ignore[call-arg]


class TestCopy:
    def test_whole(self) -> None:
        b = buf(b"abcdef")
        assert b.copy(buf(b"xy"), 2) == 2
        assert bytes(b) == b"abxyef"

    def test_range(self) -> None:
        b = buf(b"abcdef")
        assert b.copy(buf(b"wxyz"), 0, 2, 2) == 2
        assert bytes(b) == b"yzcdef"

    def test_toTheEnd(self) -> None:
        b = buf(b"abcd")
        assert b.copy(buf(b"xy"), 2) == 2
        assert bytes(b) == b"abxy"

    def test_emptyAtEnd(self) -> None:
        b = buf(b"ab")
        assert b.copy(buf(b""), 2) == 0
        assert bytes(b) == b"ab"

    def test_neverGrows(self) -> None:
        b, source = buf(b"abcd"), buf(b"xyz")
        assertRaisesUnchanged(
            TiBoundsError, lambda: b.copy(source, 2), b, source, match="never grows"
        )

    @pytest.mark.parametrize(
        ("offset", "so", "sl"), [(5, 0, 0), (-1, 0, 1), (0, 2, 2), (0, -1, 1), (3, 0, 2)]
    )
    def test_outOfRange(self, offset: int, so: int, sl: int) -> None:
        b, source = buf(b"abcd"), buf(b"xyz")
        assertRaisesUnchanged(TiBoundsError, lambda: b.copy(source, offset, so, sl), b, source)

    def test_halfPairBeforeRange(self) -> None:
        b, source = buf(b"abcd"), buf(b"xyz")
        assertRaisesUnchanged(TiTypeError, lambda: b.copy(source, 0, 99), b, source)
        assertRaisesUnchanged(TiTypeError, lambda: b.copy(source, 99, None, 1), b, source)

    def test_badOffset(self) -> None:
        b, source = buf(b"abcd"), buf(b"xyz")
        assertRaisesUnchanged(TiTypeError, lambda: b.copy(source, None), b, source)  # type: ignore[arg-type]

    def test_selfOverlapForward(self) -> None:
        b = buf(b"abcdef")
        model = bytearray(b"abcdef")
        assert b.copy(b, 1, 0, 4) == 4
        model[1:5] = model[0:4]
        assert bytes(b) == bytes(model) == b"aabcdf"

    def test_selfOverlapBackward(self) -> None:
        b = buf(b"abcdef")
        assert b.copy(b, 0, 2, 4) == 4
        assert bytes(b) == b"cdefef"

    def test_viewOfItself(self) -> None:
        b = buf(b"abcdef")
        with b.getbuffer() as view:
            assert b.copy(view, 1, 0, 4) == 4
        assert bytes(b) == b"aabcdf"


# -- clone / fill / clear / release ---------------------------------------------------------


class TestClone:
    def test_full(self) -> None:
        b = createBuffer(value=7, type="short", byteOrder=Codec.BIG_ENDIAN)
        c = b.clone()
        assert c is not b and c._data is not b._data
        assert bytes(c) == bytes(b) == b"\x00\x07"
        assert (c.type, c.value, c.byteOrder) == ("short", 7, Codec.BIG_ENDIAN)
        c[0] = 1
        assert b[0] == 0

    def test_partial(self) -> None:
        b = createBuffer(value="hello", byteOrder=Codec.LITTLE_ENDIAN)
        c = b.clone(1, 3)
        assert bytes(c) == b"ell"
        assert (c.type, c.value, c.byteOrder) == ("utf8", None, Codec.LITTLE_ENDIAN)

    def test_partialWholeRangeHasNoValue(self) -> None:
        b = createBuffer(value="hi")
        assert b.clone(0, 2).value is None

    def test_emptyRanges(self) -> None:
        b = buf(b"abc")
        assert bytes(b.clone(0, 0)) == b"" and bytes(b.clone(3, 0)) == b""

    def test_keywords(self) -> None:
        assert bytes(buf(b"abc").clone(offset=1, length=2)) == b"bc"

    @pytest.mark.parametrize(("offset", "length"), [(4, 0), (-1, 1), (0, 4), (2, 2), (1, -1)])
    def test_outOfRange(self, offset: int, length: int) -> None:
        b = buf(b"abc")
        assertRaisesUnchanged(TiBoundsError, lambda: b.clone(offset, length), b)

    @pytest.mark.parametrize(("offset", "length"), [(1, None), (None, 1), (99, None)])
    def test_halfPair(self, offset: int | None, length: int | None) -> None:
        b = buf(b"abc")
        assertRaisesUnchanged(TiTypeError, lambda: b.clone(offset, length), b)

    def test_badTypes(self) -> None:
        b = buf(b"abc")
        assertRaisesUnchanged(TiTypeError, lambda: b.clone(0.0, 1), b)  # type: ignore[arg-type]


class TestFill:
    def test_whole(self) -> None:
        b = buf(b"abc")
        assert b.fill(0x41) is None  # type: ignore[func-returns-value]
        assert bytes(b) == b"AAA"

    def test_range(self) -> None:
        b = buf(b"abcdef")
        b.fill(0, 1, 3)
        assert bytes(b) == b"a\0\0\0ef"

    def test_lowBits(self) -> None:
        b = buf(b"ab")
        b.fill(-1)
        assert bytes(b) == b"\xff\xff"
        b.fill(0x141)
        assert bytes(b) == b"AA"

    def test_emptyBuffer(self) -> None:
        b = buf(b"")
        b.fill(1)
        assert bytes(b) == b""

    @pytest.mark.parametrize(("offset", "length"), [(0, 4), (3, 1), (4, 0), (-1, 1), (1, -1)])
    def test_neverClamps(self, offset: int, length: int) -> None:
        b = buf(b"abc")
        assertRaisesUnchanged(TiBoundsError, lambda: b.fill(1, offset, length), b)

    def test_halfPair(self) -> None:
        b = buf(b"abc")
        assertRaisesUnchanged(TiTypeError, lambda: b.fill(1, 1), b)
        assertRaisesUnchanged(TiTypeError, lambda: b.fill(1, 10), b)
        assertRaisesUnchanged(TiTypeError, lambda: b.fill(1, length=1), b)

    @pytest.mark.parametrize("fillByte", [1.0, "a", None, True, b"a"])
    def test_badFillByte(self, fillByte: Any) -> None:
        b = buf(b"abc")
        assertRaisesUnchanged(TiTypeError, lambda: b.fill(fillByte), b, match="fillByte")


class TestClearRelease:
    def test_clear(self) -> None:
        b = buf(b"abc")
        data = b._data
        assert b.clear() is None  # type: ignore[func-returns-value]
        assert bytes(b) == b"\0\0\0" and b._data is data

    def test_release(self) -> None:
        b = createBuffer(value="abc")
        data = b._data
        assert b.release() is None  # type: ignore[func-returns-value]
        assert b.length == 0 and b._data is data
        assert b.type == "utf8"


# -- text and blobs ------------------------------------------------------------------------------


class TestText:
    def test_toString(self) -> None:
        b = createBuffer(value="héllo ✓")
        assert b.toString() == "héllo ✓" == str(b)

    def test_invalidUtf8(self) -> None:
        b = buf(b"a\xffb\xe2\x82")
        assert b.toString() == "a\ufffdb\ufffd"
        assert str(b) == b.toString()

    def test_trailingZeros(self) -> None:
        assert createBuffer(value="ab", length=3).toString() == "ab\0"

    def test_toBlob(self) -> None:
        b = buf(b"abc")
        blob = b.toBlob()
        assert isinstance(blob, Blob)
        assert bytes(blob) == b"abc" and blob.length == 3
        b[0] = 0
        assert bytes(blob) == b"abc"


# -- Python conveniences -------------------------------------------------------------------------


class TestPython:
    def test_iterationAndLen(self) -> None:
        b = buf(b"\x01\x02\xff")
        assert list(b) == [1, 2, 255] and len(b) == 3

    def test_bytesIsACopy(self) -> None:
        b = buf(b"ab")
        data = bytes(b)
        b[0] = 0
        assert data == b"ab"

    def test_equality(self) -> None:
        b = buf(b"ab")
        assert b == buf(b"ab")
        assert (b != buf(b"ab")) is False
        assert b != buf(b"abc")
        assert b == b"ab"
        assert b"ab" == b  # noqa: SIM300 (the reflected comparison)
        assert b == bytearray(b"ab") and bytearray(b"ab") == b
        assert b == memoryview(b"ab")
        assert b == Blob(b"ab") and Blob(b"ab") == b
        assert b != "ab" and b != 2 and b is not None
        assert createBuffer(value="ab") == createBuffer(value=b"ab")

    def test_equalityOtherFormat(self) -> None:
        data = struct.pack("=h", 5)
        assert buf(data) == memoryview(data).cast("h")

    def test_unhashable(self) -> None:
        with pytest.raises(TypeError):
            hash(buf(b""))

    def test_truthiness(self) -> None:
        assert not createBuffer()
        assert createBuffer(length=1)

    def test_getbuffer(self) -> None:
        b = buf(b"abc")
        view = b.getbuffer()
        assert not view.readonly and bytes(view) == b"abc"
        view[0] = ord("z")
        assert bytes(b) == b"zbc"
        view.release()

    @pytest.mark.parametrize(
        "call",
        [
            lambda b: setattr(b, "length", 10),
            lambda b: setattr(b, "length", 1),
            lambda b: b.append(buf(b"x")),
            lambda b: b.insert(buf(b"x"), 0),
            lambda b: b.release(),
        ],
        ids=["grow", "truncate", "append", "insert", "release"],
    )
    def test_noResizeWhileExported(self, call: Callable[[Buffer], object]) -> None:
        b = buf(b"abc")
        with b.getbuffer():
            assertRaisesUnchanged(InvalidStateError, lambda: call(b), b, match="memoryview")
        call(b)

    def test_sameSizeWhileExported(self) -> None:
        b = buf(b"abc")
        with b.getbuffer():
            b.fill(1)
            b.clear()
            b.copy(buf(b"x"), 0)
            b[1] = 2
        assert bytes(b) == b"x\x02\x00"

    def test_bufferDunder(self) -> None:
        b = buf(b"abc")
        with b.__buffer__(0) as view:
            assert bytes(view) == b"abc"

    @pytest.mark.skipif(sys.version_info < (3, 12), reason="PEP 688 needs Python 3.12")
    def test_memoryview(self) -> None:
        b = buf(b"abc")
        with memoryview(b) as view:  # type: ignore[arg-type]
            view[1] = ord("X")
        assert bytes(b) == b"aXc"
        assert bytearray(b"aXc") == b

    def test_pickleAndCopy(self) -> None:
        b = createBuffer(value=5, type="int", byteOrder=Codec.BIG_ENDIAN)
        for c in (pickle.loads(pickle.dumps(b)), copy.copy(b), copy.deepcopy(b)):
            assert isinstance(c, Buffer) and c._data is not b._data
            assert snapshot(c) == snapshot(b)


#: Changes of every kind, each made to a buffer holding b"abcdef".
_CHANGES: dict[str, Callable[[Buffer], object]] = {
    "length": lambda b: setattr(b, "length", 8),
    "append": lambda b: b.append(b"gh"),
    "append a Buffer": lambda b: b.append(createBuffer(value="gh")),
    "insert": lambda b: b.insert(b"--", 1),
    "copy": lambda b: b.copy(b"XY", 2),
    "fill": lambda b: b.fill(0x2A, 1, 2),
    "clear": lambda b: b.clear(),
    "release": lambda b: b.release(),
    "setitem": lambda b: b.__setitem__(0, 0x41),
    "getbuffer": lambda b: b.getbuffer().__setitem__(5, 0x21),
    "encodeNumber": lambda b: Codec.encodeNumber(source=7, dest=b, type=Codec.TYPE_SHORT),
    "encodeNumber, checked path": lambda b: Codec.encodeNumber(
        {"source": 7, "dest": b, "type": Codec.TYPE_SHORT, "position": 1}
    ),
    "encodeString": lambda b: Codec.encodeString(source="zz", dest=b, destPosition=3),
    "encodeString, checked path": lambda b: Codec.encodeString(
        source="zz", dest=b, sourcePosition=0
    ),
    "BufferStream write": lambda b: Ti.Stream.createStream(
        source=b, mode=Ti.Stream.MODE_APPEND
    ).write(createBuffer(value="!")),
    "BufferStream read into": lambda b: Ti.Stream.createStream(
        source=createBuffer(value="xyz"), mode=Ti.Stream.MODE_READ
    ).read(b, 1, 3),
}


class TestCopyOnWrite:
    """
    A buffer made around bytes (as a pump makes one around received data)
    shares them until its first change, which copies them.
    """

    @pytest.mark.parametrize("change", list(_CHANGES.values()), ids=list(_CHANGES))
    def test_aChangeCopiesTheBytesFirst(self, change: Callable[[Buffer], object]) -> None:
        received = b"abcdef"
        shared = Buffer._wrap(received)
        clone = shared.clone()
        own = Buffer(received)
        assert change(shared) == change(own)
        assert bytes(shared) == bytes(own) and bytes(shared) != received
        assert type(shared._data) is bytearray
        assert received == b"abcdef" and bytes(clone) == received  # nobody else changed

    def test_readingDoesNotCopy(self) -> None:
        received = b"abcdef"
        shared = Buffer._wrap(received)
        assert (shared[1], len(shared), shared.toString(), shared.toBlob()) == (
            ord("b"),
            6,
            "abcdef",
            received,
        )
        assert Codec.decodeNumber(source=shared, type=Codec.TYPE_BYTE, position=2) == ord("c")
        assert shared.clone()._data is received
        assert shared._data is received

    def test_aViewTakenBeforeAChangeStillLocksTheLength(self) -> None:
        shared = Buffer._wrap(b"abc")
        view = shared.getbuffer()
        view[0] = ord("x")
        with pytest.raises(InvalidStateError):
            shared.append(b"d")
        view.release()
        shared.append(b"d")
        assert bytes(shared) == b"xbcd"

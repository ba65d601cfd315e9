"""Tests for C{Ti.Codec} (CONTRACT sections 2, 4 and 10)."""

from __future__ import annotations

import math
import struct
import sys
from collections.abc import Callable
from enum import IntEnum
from typing import Any

import pytest

from tisocket_twisted import (
    Buffer,
    Codec,
    Ti,
    TiBoundsError,
    TiTypeError,
    TiValueError,
    createBuffer,
)
from tisocket_twisted._codec import CodecModule

BE, LE = Codec.BIG_ENDIAN, Codec.LITTLE_ENDIAN
PREFIX = {BE: ">", LE: "<"}
INT_TYPES = {"byte": "b", "short": "h", "int": "i", "long": "q"}
FLOAT_TYPES = {"float": "f", "double": "d"}
ALL_TYPES = {**INT_TYPES, **FLOAT_TYPES}


def buf(data: bytes) -> Buffer:
    return Buffer(data)


def raisesUnchanged(
    exc: type[BaseException], call: Callable[[], object], *buffers: Buffer, match: str | None = None
) -> None:
    """C{call} raises exactly C{exc} (or a subclass named in it) and writes nothing."""
    before = [bytes(b) for b in buffers]
    with pytest.raises(exc, match=match) as info:
        call()
    assert type(info.value) is exc
    assert [bytes(b) for b in buffers] == before


# -- the module object and its constants ------------------------------------------------


class TestConstants:
    def test_namespace(self) -> None:
        assert Ti.Codec is Codec
        assert isinstance(Codec, CodecModule)
        assert Codec.apiName == "Ti.Codec"
        assert repr(Codec) == "<Ti.Codec>"

    def test_values(self) -> None:
        assert (Codec.BIG_ENDIAN, Codec.LITTLE_ENDIAN) == (0, 1)
        assert Codec.CHARSET_ASCII == "ascii"
        assert Codec.CHARSET_ISO_LATIN_1 == "latin1"
        assert Codec.CHARSET_UTF8 == "utf8"
        assert Codec.CHARSET_UTF16 == "utf16"
        assert Codec.CHARSET_UTF16BE == "utf16be"
        assert Codec.CHARSET_UTF16LE == "utf16le"
        assert (
            Codec.TYPE_BYTE,
            Codec.TYPE_SHORT,
            Codec.TYPE_INT,
            Codec.TYPE_FLOAT,
            Codec.TYPE_LONG,
            Codec.TYPE_DOUBLE,
        ) == ("byte", "short", "int", "float", "long", "double")

    def test_nativeByteOrder(self) -> None:
        expected = LE if sys.byteorder == "little" else BE
        assert Codec.nativeByteOrder == expected
        assert Codec.getNativeByteOrder() == expected

    @pytest.mark.parametrize("name", ["BIG_ENDIAN", "TYPE_INT", "nativeByteOrder", "apiName"])
    def test_readOnly(self, name: str) -> None:
        with pytest.raises(AttributeError):
            setattr(Codec, name, 5)


# -- encodeNumber ------------------------------------------------------------------------------


class TestEncodeNumber:
    def test_docExampleTruncation(self) -> None:
        b = createBuffer(length=4)
        assert Codec.encodeNumber(source=78187493530, dest=b, type="int", byteOrder=BE) == 4
        assert bytes(b) == bytes.fromhex("3456789a")

    def test_docExamplePosition(self) -> None:
        b = createBuffer(length=100)
        n = Codec.encodeNumber(
            {
                "source": 0x3456789A,
                "dest": b,
                "type": Codec.TYPE_INT,
                "byteOrder": BE,
                "position": 10,
            }
        )
        assert n == 14
        assert bytes(b)[10:14] == b"\x34\x56\x78\x9a"
        assert bytes(b).count(0) == 96

    @pytest.mark.parametrize("order", [BE, LE])
    @pytest.mark.parametrize("type", list(ALL_TYPES))
    @pytest.mark.parametrize("value", [0, 1, -1, 100, -100, 127, -128])
    def test_likeStruct(self, type: str, order: int, value: int) -> None:
        fmt = PREFIX[order] + ALL_TYPES[type]
        b = createBuffer(length=12)
        assert Codec.encodeNumber(source=value, dest=b, type=type, byteOrder=order, position=2) == (
            2 + struct.calcsize(fmt)
        )
        assert bytes(b)[2 : 2 + struct.calcsize(fmt)] == struct.pack(fmt, value)

    @pytest.mark.parametrize(
        ("type", "value", "expected"),
        [
            ("byte", 255, b"\xff"),
            ("byte", 256, b"\x00"),
            ("byte", 300, b"\x2c"),
            ("byte", -129, b"\x7f"),
            ("short", 65535, b"\xff\xff"),
            ("short", -32769, b"\x7f\xff"),
            ("int", 2**32 + 5, b"\x00\x00\x00\x05"),
            ("long", 2**64 + 5, b"\x00" * 7 + b"\x05"),
            ("long", -(2**63) - 1, b"\x7f" + b"\xff" * 7),
            ("long", 2**200 - 1, b"\xff" * 8),
        ],
    )
    def test_lowBits(self, type: str, value: int, expected: bytes) -> None:
        b = createBuffer(length=len(expected))
        Codec.encodeNumber(source=value, dest=b, type=type, byteOrder=BE)
        assert bytes(b) == expected

    @pytest.mark.parametrize(
        ("value", "expected"), [(2.9, 2), (-2.9, -2), (-0.5, 0), (1e10, int(1e10) & 0xFFFFFFFF)]
    )
    def test_floatTruncatedTowardZero(self, value: float, expected: int) -> None:
        b = createBuffer(length=4)
        Codec.encodeNumber(source=value, dest=b, type="int", byteOrder=BE)
        assert bytes(b) == struct.pack(">I", expected & 0xFFFFFFFF)

    def test_intForFloatTypes(self) -> None:
        b = createBuffer(length=8)
        Codec.encodeNumber(source=3, dest=b, type="double", byteOrder=LE)
        assert bytes(b) == struct.pack("<d", 3.0)
        Codec.encodeNumber(source=2**70, dest=b, type="float", byteOrder=BE)
        assert bytes(b)[:4] == struct.pack(">f", 2.0**70)

    def test_floatRounding(self) -> None:
        b = createBuffer(length=4)
        Codec.encodeNumber(source=1.2345, dest=b, type="float", byteOrder=BE)
        assert bytes(b) == struct.pack(">f", 1.2345)

    @pytest.mark.parametrize("type", ["float", "double"])
    @pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, -0.0])
    def test_specialFloats(self, type: str, value: float) -> None:
        b = createBuffer(length=8)
        Codec.encodeNumber(source=value, dest=b, type=type, byteOrder=BE)
        fmt = ">" + FLOAT_TYPES[type]
        assert bytes(b)[: struct.calcsize(fmt)] == struct.pack(fmt, value)

    @pytest.mark.parametrize("type", list(INT_TYPES))
    @pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
    def test_nanForIntegers(self, type: str, value: float) -> None:
        b = buf(b"\x01" * 8)
        raisesUnchanged(
            TiValueError,
            lambda: Codec.encodeNumber(source=value, dest=b, type=type),
            b,
            match="integer",
        )

    @pytest.mark.parametrize(
        ("type", "value"), [("float", 1e300), ("float", -1e39), ("double", 10**400)]
    )
    def test_tooLargeForFloats(self, type: str, value: float) -> None:
        b = buf(b"\x01" * 8)
        raisesUnchanged(
            TiValueError,
            lambda: Codec.encodeNumber(source=value, dest=b, type=type),
            b,
            match="large",
        )

    @pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan, -0.0, 5e-324])
    @pytest.mark.parametrize("order", [BE, LE])
    def test_doubleTakesEveryFloat(self, value: float, order: int) -> None:
        b = buf(b"\x01" * 9)
        assert (
            Codec.encodeNumber(source=value, dest=b, type="double", position=1, byteOrder=order)
            == 9
        )
        fmt = (">" if order == BE else "<") + "d"
        assert bytes(b) == b"\x01" + struct.pack(fmt, value)

    def test_defaults(self) -> None:
        b = createBuffer(length=4)
        assert Codec.encodeNumber(source=1, dest=b, type="int") == 4
        assert bytes(b) == (1).to_bytes(4, sys.byteorder)
        c = createBuffer(length=4)
        assert Codec.encodeNumber(source=1, dest=c, type="int", position=None, byteOrder=None) == 4
        assert bytes(c) == bytes(b)

    def test_intEnumSource(self) -> None:
        class Seven(IntEnum):
            SEVEN = 7

        b = createBuffer(length=1)
        Codec.encodeNumber(source=Seven.SEVEN, dest=b, type="byte")
        assert bytes(b) == b"\x07"

    def test_bufferSubclass(self) -> None:
        class MyBuffer(Buffer):
            __slots__ = ()

        b = MyBuffer(bytes(2))
        assert Codec.encodeNumber(source=-2, dest=b, type="short", byteOrder=BE) == 2
        assert bytes(b) == b"\xff\xfe"
        assert Codec.decodeNumber(source=b, type="short", byteOrder=BE) == -2

    def test_mixedDictAndKeywords(self) -> None:
        b = createBuffer(length=2)
        assert Codec.encodeNumber({"source": 0x102, "type": "short"}, dest=b, byteOrder=BE) == 2
        assert bytes(b) == b"\x01\x02"

    # In the signed range, and outside it (packed as its low bits, unsigned).
    @pytest.mark.parametrize("source", [7, 0xFFFFFFFF, -(2**40)])
    @pytest.mark.parametrize("position", [2, 5, 6, -1, -4, 10**20])
    def test_doesNotFit(self, source: int, position: int) -> None:
        b = buf(b"\x01" * 5)
        raisesUnchanged(
            TiBoundsError,
            lambda: Codec.encodeNumber(source=source, dest=b, type="int", position=position),
            b,
            match="position",
        )

    def test_emptyDest(self) -> None:
        b = createBuffer()
        raisesUnchanged(TiBoundsError, lambda: Codec.encodeNumber(source=7, dest=b, type="byte"), b)

    @pytest.mark.parametrize("missing", ["source", "dest", "type"])
    def test_missingKey(self, missing: str) -> None:
        b = buf(b"\x01" * 8)
        options: dict[str, Any] = {"source": 1, "dest": b, "type": "int"}
        del options[missing]
        raisesUnchanged(TiTypeError, lambda: Codec.encodeNumber(options), b, match=repr(missing))
        raisesUnchanged(TiTypeError, lambda: Codec.encodeNumber(**options), b, match=repr(missing))

    def test_unknownKey(self) -> None:
        b = buf(b"\x01" * 8)
        raisesUnchanged(
            TiTypeError,
            lambda: Codec.encodeNumber(source=1, dest=b, type="int", postion=2),
            b,
            match="'postion'",
        )
        raisesUnchanged(
            TiTypeError,
            lambda: Codec.encodeNumber({"source": 1, "dest": b, "type": "int", "offset": 2}),
            b,
            match="'offset'",
        )

    def test_keyTwice(self) -> None:
        b = buf(b"\x01" * 8)
        raisesUnchanged(
            TiTypeError,
            lambda: Codec.encodeNumber({"source": 1, "dest": b, "type": "int"}, type="int"),
            b,
            match="both",
        )

    @pytest.mark.parametrize("params", [3, "x", [("source", 1)]])
    def test_paramsNotADict(self, params: Any) -> None:
        with pytest.raises(TiTypeError):
            Codec.encodeNumber(params)

    @pytest.mark.parametrize("dest", [bytearray(8), b"\0" * 8, None, "buffer"])
    def test_badDest(self, dest: Any) -> None:
        with pytest.raises(TiTypeError, match="dest"):
            Codec.encodeNumber(source=1, dest=dest, type="int")

    def test_blobDest(self) -> None:
        blob = createBuffer(length=8).toBlob()
        with pytest.raises(TiTypeError, match="dest"):
            Codec.encodeNumber(source=1, dest=blob, type="int")
        assert bytes(blob) == bytes(8)

    @pytest.mark.parametrize("source", [True, False, "1", None, b"\x01", [1], 1j])
    def test_badSource(self, source: Any) -> None:
        b = buf(b"\x01" * 8)
        for type in ("int", "double"):
            raisesUnchanged(
                TiTypeError,
                lambda: Codec.encodeNumber(source=source, dest=b, type=type),  # noqa: B023
                b,
                match="source",
            )

    @pytest.mark.parametrize("type", ["word", "INT", "utf8", ""])
    def test_unknownType(self, type: str) -> None:
        b = buf(b"\x01" * 8)
        raisesUnchanged(
            TiValueError, lambda: Codec.encodeNumber(source=1, dest=b, type=type), b, match="type"
        )

    @pytest.mark.parametrize("type", [4, None, ["int"], b"int"])
    def test_typeNotAString(self, type: Any) -> None:
        b = buf(b"\x01" * 8)
        raisesUnchanged(
            TiTypeError, lambda: Codec.encodeNumber(source=1, dest=b, type=type), b, match="type"
        )

    @pytest.mark.parametrize("order", [2, -1, 256])
    def test_badByteOrderValue(self, order: int) -> None:
        b = buf(b"\x01" * 8)
        raisesUnchanged(
            TiValueError,
            lambda: Codec.encodeNumber(source=1, dest=b, type="int", byteOrder=order),
            b,
            match="byteOrder",
        )

    @pytest.mark.parametrize("order", [True, False, 1.0, 0.0, "big", [0]])
    def test_badByteOrderType(self, order: Any) -> None:
        b = buf(b"\x01" * 8)
        raisesUnchanged(
            TiTypeError,
            lambda: Codec.encodeNumber(source=1, dest=b, type="int", byteOrder=order),
            b,
            match="byteOrder",
        )

    @pytest.mark.parametrize("position", [1.0, "1", True, False, [0]])
    def test_badPosition(self, position: Any) -> None:
        b = buf(b"\x01" * 8)
        raisesUnchanged(
            TiTypeError,
            lambda: Codec.encodeNumber(source=1, dest=b, type="int", position=position),
            b,
            match="position",
        )


# -- decodeNumber ------------------------------------------------------------------------------


class TestDecodeNumber:
    @pytest.mark.parametrize(
        ("type", "data", "expected"),
        [
            ("byte", b"\xff", -1),
            ("byte", b"\x98", -104),
            ("byte", b"\x7f", 127),
            ("short", b"\xff\xff", -1),
            ("short", b"\x80\x00", -32768),
            ("int", b"\xff\xff\xff\xfe", -2),
            ("long", b"\xff" * 8, -1),
            ("long", b"\x7f" + b"\xff" * 7, 2**63 - 1),
        ],
    )
    def test_signed(self, type: str, data: bytes, expected: int) -> None:
        value = Codec.decodeNumber(source=buf(data), type=type, byteOrder=BE)
        assert value == expected and isinstance(value, int)

    def test_byteRoundTripIsSigned(self) -> None:
        b = createBuffer(length=1)
        Codec.encodeNumber(source=152, dest=b, type="byte")
        assert Codec.decodeNumber(source=b, type="byte") == -104

    def test_floatIsWidened(self) -> None:
        b = createBuffer(length=4)
        Codec.encodeNumber(source=1.2345, dest=b, type="float")
        value = Codec.decodeNumber(source=b, type="float")
        assert value == 1.2345000505447388 and isinstance(value, float)

    def test_double(self) -> None:
        b = buf(struct.pack("<d", 1.23456789))
        assert Codec.decodeNumber({"source": b, "type": "double", "byteOrder": LE}) == 1.23456789

    def test_docExamplePosition(self) -> None:
        b = createBuffer(length=100)
        Codec.encodeNumber(source=0x3456789A, dest=b, type="int", byteOrder=BE, position=10)
        assert Codec.decodeNumber(source=b, type="int", byteOrder=BE, position=10) == 0x3456789A
        assert (
            Codec.decodeNumber(source=b, type="int", byteOrder=LE, position=10)
            == 0x9A785634 - 2**32
        )

    @pytest.mark.parametrize("order", [BE, LE])
    @pytest.mark.parametrize("type", list(ALL_TYPES))
    def test_likeStruct(self, type: str, order: int) -> None:
        fmt = PREFIX[order] + ALL_TYPES[type]
        data = bytes(range(0xF0, 0xF0 + 3 + struct.calcsize(fmt)))
        (expected,) = struct.unpack_from(fmt, data, 3)
        assert (
            Codec.decodeNumber(source=buf(data), type=type, byteOrder=order, position=3) == expected
        )

    def test_defaults(self) -> None:
        b = buf(struct.pack("=i", -7))
        assert Codec.decodeNumber(source=b, type="int") == -7
        assert Codec.decodeNumber(source=b, type="int", position=None, byteOrder=None) == -7

    @pytest.mark.parametrize("position", [1, 4, 5, -1, 10**20])
    def test_pastTheEnd(self, position: int) -> None:
        with pytest.raises(TiBoundsError, match="position"):
            Codec.decodeNumber(source=buf(b"\x01" * 4), type="int", position=position)

    def test_emptySource(self) -> None:
        with pytest.raises(TiBoundsError):
            Codec.decodeNumber(source=createBuffer(), type="byte")

    @pytest.mark.parametrize("missing", ["source", "type"])
    def test_missingKey(self, missing: str) -> None:
        options: dict[str, Any] = {"source": buf(b"\x01"), "type": "byte"}
        del options[missing]
        with pytest.raises(TiTypeError, match=repr(missing)):
            Codec.decodeNumber(options)
        with pytest.raises(TiTypeError, match=repr(missing)):
            Codec.decodeNumber(**options)

    def test_unknownKey(self) -> None:
        with pytest.raises(TiTypeError, match="'dest'"):
            Codec.decodeNumber(source=buf(b"\x01"), type="byte", dest=buf(b""))

    @pytest.mark.parametrize("source", [b"\x01", bytearray(b"\x01"), None, 1])
    def test_badSource(self, source: Any) -> None:
        with pytest.raises(TiTypeError, match="source"):
            Codec.decodeNumber(source=source, type="byte")

    def test_badValues(self) -> None:
        b = buf(b"\x01" * 8)
        with pytest.raises(TiValueError, match="type"):
            Codec.decodeNumber(source=b, type="utf8")
        with pytest.raises(TiTypeError, match="type"):
            Codec.decodeNumber(source=b, type=1)
        with pytest.raises(TiValueError, match="byteOrder"):
            Codec.decodeNumber(source=b, type="int", byteOrder=2)
        with pytest.raises(TiTypeError, match="byteOrder"):
            Codec.decodeNumber(source=b, type="int", byteOrder=True)
        with pytest.raises(TiTypeError, match="position"):
            Codec.decodeNumber(source=b, type="int", position=0.0)
        with pytest.raises(TiTypeError, match="position"):
            Codec.decodeNumber(source=b, type="int", position=False)


# -- encodeString ------------------------------------------------------------------------------


class TestEncodeString:
    def test_docExample(self) -> None:
        b = createBuffer(length=1024)
        n = Codec.encodeString({"source": "hello world", "dest": b})
        assert n == 11
        b.length = n
        assert b.toString() == "hello world"

    def test_docExampleUtf16(self) -> None:
        b = createBuffer(length=22)
        n = Codec.encodeString(
            source="jack jumped over the candle stick",
            dest=b,
            charset=Codec.CHARSET_UTF16,
            sourceLength=10,
        )
        assert n == 22
        assert bytes(b) == b"\xfe\xff" + "jack jumpe".encode("utf-16-be")

    @pytest.mark.parametrize(
        ("charset", "expected"),
        [
            ("ascii", b"Ti!"),
            ("latin1", b"Ti!"),
            ("iso-latin-1", b"Ti!"),
            ("utf8", b"Ti!"),
            ("utf16", b"\xfe\xff\x00T\x00i\x00!"),
            ("utf16be", b"\x00T\x00i\x00!"),
            ("utf16le", b"T\x00i\x00!\x00"),
        ],
    )
    def test_charsets(self, charset: str, expected: bytes) -> None:
        b = createBuffer(length=10)
        assert Codec.encodeString(source="Ti!", dest=b, charset=charset) == len(expected)
        assert bytes(b)[: len(expected)] == expected

    def test_nonAscii(self) -> None:
        b = createBuffer(length=8)
        assert Codec.encodeString(source="é", dest=b, charset="latin1") == 1
        assert Codec.encodeString(source="é", dest=b, charset="utf8", destPosition=1) == 3
        assert bytes(b)[:3] == b"\xe9\xc3\xa9"

    def test_emptyUtf16HasNoMark(self) -> None:
        b = createBuffer(length=2)
        assert Codec.encodeString(source="", dest=b, charset="utf16") == 0
        assert bytes(b) == b"\0\0"

    def test_destPosition(self) -> None:
        b = buf(b"........")
        assert Codec.encodeString(source="ab", dest=b, destPosition=6) == 8
        assert bytes(b) == b"......ab"

    def test_emptyAtTheEnd(self) -> None:
        b = buf(b"ab")
        assert Codec.encodeString(source="", dest=b, destPosition=2) == 2

    def test_positionsCountCodePoints(self) -> None:
        text = "a😀bé"
        b = createBuffer(length=16)
        n = Codec.encodeString(source=text, dest=b, sourcePosition=1, sourceLength=2)
        assert bytes(b)[:n] == "😀b".encode()
        n = Codec.encodeString(source=text, dest=b, sourcePosition=3, charset="utf16le")
        assert bytes(b)[:n] == "é".encode("utf-16-le")

    def test_sourceLengthDefaultsToRest(self) -> None:
        b = createBuffer(length=8)
        assert Codec.encodeString(source="abcdef", dest=b, sourcePosition=4) == 2
        assert bytes(b)[:2] == b"ef"

    def test_sourcePositionAtEnd(self) -> None:
        b = buf(b"xx")
        assert Codec.encodeString(source="ab", dest=b, sourcePosition=2) == 0
        assert Codec.encodeString(source="ab", dest=b, sourcePosition=2, sourceLength=0) == 0
        assert bytes(b) == b"xx"

    @pytest.mark.parametrize(
        ("position", "length"), [(3, None), (-1, None), (0, 3), (1, 2), (2, -1), (0, -1)]
    )
    def test_sourceOutOfRange(self, position: int, length: int | None) -> None:
        b = buf(b"........")
        raisesUnchanged(
            TiBoundsError,
            lambda: Codec.encodeString(
                source="ab", dest=b, sourcePosition=position, sourceLength=length
            ),
            b,
            match="source",
        )

    def test_doesNotFit(self) -> None:
        b = buf(b"....")
        raisesUnchanged(TiBoundsError, lambda: Codec.encodeString(source="abcde", dest=b), b)
        raisesUnchanged(
            TiBoundsError, lambda: Codec.encodeString(source="abc", dest=b, destPosition=2), b
        )
        raisesUnchanged(
            TiBoundsError, lambda: Codec.encodeString(source="ab", dest=b, charset="utf16"), b
        )
        raisesUnchanged(TiBoundsError, lambda: Codec.encodeString(source="éé", dest=buf(b"...")), b)

    @pytest.mark.parametrize("position", [5, -1])
    def test_destPositionOutOfRange(self, position: int) -> None:
        b = buf(b"....")
        raisesUnchanged(
            TiBoundsError,
            lambda: Codec.encodeString(source="", dest=b, destPosition=position),
            b,
            match="destPosition",
        )

    @pytest.mark.parametrize(
        ("text", "charset"),
        [
            ("é", "ascii"),
            ("aé", "ascii"),
            ("€", "latin1"),
            ("€", "iso-latin-1"),
            ("\ud800", "utf8"),
            ("\udfff", "utf16"),
        ],
    )
    def test_unencodable(self, text: str, charset: str) -> None:
        b = buf(b"........")
        raisesUnchanged(
            TiValueError,
            lambda: Codec.encodeString(source=text, dest=b, charset=charset),
            b,
            match=repr(charset if charset != "iso-latin-1" else "latin1"),
        )

    def test_unencodableNamesTheCharacter(self) -> None:
        with pytest.raises(TiValueError, match=r"'é' \(character 3\)"):
            Codec.encodeString(source="abcé", dest=createBuffer(length=8), charset="ascii")

    @pytest.mark.parametrize("missing", ["source", "dest"])
    def test_missingKey(self, missing: str) -> None:
        options: dict[str, Any] = {"source": "x", "dest": createBuffer(length=2)}
        del options[missing]
        with pytest.raises(TiTypeError, match=repr(missing)):
            Codec.encodeString(options)
        with pytest.raises(TiTypeError, match=repr(missing)):
            Codec.encodeString(**options)

    def test_unknownKey(self) -> None:
        with pytest.raises(TiTypeError, match="'position'"):
            Codec.encodeString(source="x", dest=createBuffer(length=2), position=0)

    @pytest.mark.parametrize("source", [b"x", None, 1, ["x"]])
    def test_badSource(self, source: Any) -> None:
        with pytest.raises(TiTypeError, match="source"):
            Codec.encodeString(source=source, dest=createBuffer(length=2))

    @pytest.mark.parametrize("dest", [bytearray(2), None, "dest"])
    def test_badDest(self, dest: Any) -> None:
        with pytest.raises(TiTypeError, match="dest"):
            Codec.encodeString(source="x", dest=dest)

    @pytest.mark.parametrize("charset", ["utf-8", "UTF8", "cp1252", ""])
    def test_unknownCharset(self, charset: str) -> None:
        b = buf(b"..")
        raisesUnchanged(
            TiValueError,
            lambda: Codec.encodeString(source="x", dest=b, charset=charset),
            b,
            match="charset",
        )

    @pytest.mark.parametrize("charset", [1, b"utf8", ["utf8"]])
    def test_charsetNotAString(self, charset: Any) -> None:
        with pytest.raises(TiTypeError, match="charset"):
            Codec.encodeString(source="x", dest=createBuffer(length=2), charset=charset)

    @pytest.mark.parametrize("name", ["destPosition", "sourcePosition", "sourceLength"])
    @pytest.mark.parametrize("value", [1.0, "1", True])
    def test_badNumbers(self, name: str, value: Any) -> None:
        b = buf(b"....")
        raisesUnchanged(
            TiTypeError,
            lambda: Codec.encodeString(source="ab", dest=b, **{name: value}),
            b,
            match=name,
        )


# -- decodeString ------------------------------------------------------------------------------


class TestDecodeString:
    def test_default(self) -> None:
        assert Codec.decodeString(source=createBuffer(value="héllo")) == "héllo"
        assert Codec.decodeString({"source": createBuffer()}) == ""

    def test_positionAndLength(self) -> None:
        b = buf(b"hello world")
        assert Codec.decodeString(source=b, position=6, length=3) == "wor"
        assert Codec.decodeString(source=b, position=6) == "world"
        assert Codec.decodeString(source=b, length=5) == "hello"

    def test_positionAtTheEnd(self) -> None:
        b = buf(b"abc")
        assert Codec.decodeString(source=b, position=3) == ""
        assert Codec.decodeString(source=b, position=3, length=0) == ""

    @pytest.mark.parametrize(
        ("position", "length"), [(4, None), (-1, None), (0, 4), (2, 2), (1, -1), (4, 0)]
    )
    def test_outOfRange(self, position: int, length: int | None) -> None:
        with pytest.raises(TiBoundsError):
            Codec.decodeString(source=buf(b"abc"), position=position, length=length)

    def test_replacement(self) -> None:
        assert Codec.decodeString(source=buf(b"a\xffb")) == "a\ufffdb"
        assert Codec.decodeString(source=buf(b"a\x80"), charset="ascii") == "a\ufffd"
        assert Codec.decodeString(source=buf(b"\x00a\x00"), charset="utf16be") == "a\ufffd"
        assert Codec.decodeString(source=buf(b"\xd8\x00"), charset="utf16be") == "\ufffd"

    def test_latin1AllBytes(self) -> None:
        data = bytes(range(256))
        for charset in ("latin1", "iso-latin-1"):
            assert Codec.decodeString(source=buf(data), charset=charset) == data.decode("latin-1")

    @pytest.mark.parametrize(
        ("data", "expected"),
        [
            (b"\xfe\xff\x00T\x00i", "Ti"),
            (b"\xff\xfeT\x00i\x00", "Ti"),
            (b"\x00T\x00i", "Ti"),
            (b"\xfe\xff", ""),
            (b"", ""),
        ],
    )
    def test_utf16(self, data: bytes, expected: str) -> None:
        assert Codec.decodeString(source=buf(data), charset="utf16") == expected

    def test_utf16WithPosition(self) -> None:
        b = buf(b"xx\xff\xfeT\x00")
        assert Codec.decodeString(source=b, position=2, charset="utf16") == "T"

    def test_fixedOrderKeepsTheMark(self) -> None:
        assert Codec.decodeString(source=buf(b"\xfe\xff\x00T"), charset="utf16be") == "\ufeffT"
        assert Codec.decodeString(source=buf(b"\xff\xfeT\x00"), charset="utf16le") == "\ufeffT"

    def test_codePointsRoundTrip(self) -> None:
        text = "a😀b"
        b = createBuffer(value=text, type="utf16le")
        assert Codec.decodeString(source=b, charset="utf16le") == text

    def test_errors(self) -> None:
        b = buf(b"abc")
        with pytest.raises(TiTypeError, match="'source'"):
            Codec.decodeString({})
        with pytest.raises(TiTypeError, match="source"):
            Codec.decodeString(source=b"abc")
        with pytest.raises(TiTypeError, match="'offset'"):
            Codec.decodeString(source=b, offset=1)
        with pytest.raises(TiValueError, match="charset"):
            Codec.decodeString(source=b, charset="utf32")
        with pytest.raises(TiTypeError, match="charset"):
            Codec.decodeString(source=b, charset=8)
        with pytest.raises(TiTypeError, match="position"):
            Codec.decodeString(source=b, position=1.0)
        with pytest.raises(TiTypeError, match="length"):
            Codec.decodeString(source=b, length=True)
        with pytest.raises(TiTypeError, match="both"):
            Codec.decodeString({"source": b}, source=b)

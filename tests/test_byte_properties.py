"""
Property tests for the byte layer.

  - C{Codec.encodeNumber}/C{decodeNumber} agree with L{struct} for every type
    and byte order, for any integer (low bits kept, decoded signed) and any
    float;
  - C{Codec.encodeString}/C{decodeString} round-trip any text a charset can
    encode and agree with Python's codecs;
  - a state machine drives two buffers through random sequences of Buffer
    operations, valid and invalid, beside two plain L{bytearray} models: the
    bytes always agree, and a call that raises changes nothing. Buffers made
    around received bytes (copied on the first change) and clones sharing
    those bytes take part too: changing one never changes another.
"""

from __future__ import annotations

import math
import struct
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from tisocket_twisted import (
    Buffer,
    Codec,
    TiBoundsError,
    TiError,
    TiTypeError,
    TiValueError,
    createBuffer,
)

SETTINGS = settings(max_examples=150, deadline=None)

ORDERS = {Codec.BIG_ENDIAN: ">", Codec.LITTLE_ENDIAN: "<"}
INT_TYPES = {"byte": "b", "short": "h", "int": "i", "long": "q"}
FLOAT_TYPES = {"float": "f", "double": "d"}

orders = st.sampled_from(sorted(ORDERS))
positions = st.integers(min_value=0, max_value=4)


def bufferOf(size: int) -> Buffer:
    return createBuffer(length=size)


# -- numbers ----------------------------------------------------------------------------


@SETTINGS
@given(
    type=st.sampled_from(sorted(INT_TYPES)),
    order=orders,
    value=st.integers(min_value=-(2**80), max_value=2**80),
    position=positions,
)
def test_integersAgreeWithStruct(type: str, order: int, value: int, position: int) -> None:
    letter = INT_TYPES[type]
    size = struct.calcsize(letter)
    bits = 8 * size
    low = value & ((1 << bits) - 1)
    signed = low - (1 << bits) if low >> (bits - 1) else low
    dest = bufferOf(position + size + 2)
    end = Codec.encodeNumber(source=value, dest=dest, type=type, byteOrder=order, position=position)
    assert end == position + size
    expected = struct.pack(ORDERS[order] + letter.upper(), low)
    assert bytes(dest) == bytes(position) + expected + bytes(2)
    assert bytes(dest)[position:end] == struct.pack(ORDERS[order] + letter, signed)
    decoded = Codec.decodeNumber(source=dest, type=type, byteOrder=order, position=position)
    assert decoded == signed and isinstance(decoded, int)


@SETTINGS
@given(
    type=st.sampled_from(sorted(INT_TYPES)),
    order=orders,
    value=st.floats(allow_nan=False, allow_infinity=False, min_value=-1e30, max_value=1e30),
)
def test_floatsForIntegersTruncate(type: str, order: int, value: float) -> None:
    letter = INT_TYPES[type]
    size = struct.calcsize(letter)
    dest = bufferOf(size)
    Codec.encodeNumber({"source": value, "dest": dest, "type": type, "byteOrder": order})
    low = int(value) & ((1 << (8 * size)) - 1)
    assert bytes(dest) == struct.pack(ORDERS[order] + letter.upper(), low)


@SETTINGS
@given(
    type=st.sampled_from(sorted(FLOAT_TYPES)), order=orders, value=st.floats(), position=positions
)
def test_floatsAgreeWithStruct(type: str, order: int, value: float, position: int) -> None:
    fmt = ORDERS[order] + FLOAT_TYPES[type]
    size = struct.calcsize(fmt)
    dest = Buffer(b"\x55" * (position + size))
    try:
        expected = struct.pack(fmt, value)
    except OverflowError:
        try:
            Codec.encodeNumber(
                source=value, dest=dest, type=type, byteOrder=order, position=position
            )
        except TiValueError:
            assert bytes(dest) == b"\x55" * (position + size)
            return
        raise AssertionError("an overflowing float was encoded") from None
    end = Codec.encodeNumber(source=value, dest=dest, type=type, byteOrder=order, position=position)
    assert end == position + size
    assert bytes(dest)[position:] == expected
    decoded = Codec.decodeNumber(source=dest, type=type, byteOrder=order, position=position)
    (again,) = struct.unpack(fmt, expected)
    assert isinstance(decoded, float)
    assert decoded == again or (math.isnan(decoded) and math.isnan(again))


@SETTINGS
@given(
    type=st.sampled_from(sorted(INT_TYPES) + sorted(FLOAT_TYPES)),
    order=orders,
    data=st.binary(min_size=0, max_size=12),
    position=st.integers(min_value=-2, max_value=14),
)
def test_decodeAnyBytes(type: str, order: int, data: bytes, position: int) -> None:
    fmt = ORDERS[order] + {**INT_TYPES, **FLOAT_TYPES}[type]
    source = Buffer(data)
    if 0 <= position <= len(data) - struct.calcsize(fmt):
        (expected,) = struct.unpack_from(fmt, data, position)
        decoded = Codec.decodeNumber(source=source, type=type, byteOrder=order, position=position)
        assert decoded == expected or (math.isnan(decoded) and math.isnan(expected))
    else:
        try:
            Codec.decodeNumber(source=source, type=type, byteOrder=order, position=position)
        except TiBoundsError:
            pass
        else:
            raise AssertionError("read outside the buffer")
    assert bytes(source) == data


@SETTINGS
@given(
    type=st.sampled_from(sorted(INT_TYPES)),
    value=st.integers(min_value=-(2**70), max_value=2**70),
    size=st.integers(min_value=0, max_value=9),
    position=st.integers(min_value=-3, max_value=10),
)
def test_encodeNeverWritesOutside(type: str, value: int, size: int, position: int) -> None:
    width = struct.calcsize(INT_TYPES[type])
    dest = Buffer(b"\xaa" * size)
    if 0 <= position <= size - width:
        Codec.encodeNumber(source=value, dest=dest, type=type, position=position)
        data = bytes(dest)
        assert data[:position] == b"\xaa" * position
        assert data[position + width :] == b"\xaa" * (size - position - width)
    else:
        try:
            Codec.encodeNumber(source=value, dest=dest, type=type, position=position)
        except TiBoundsError:
            assert bytes(dest) == b"\xaa" * size
        else:
            raise AssertionError("wrote outside the buffer")
    assert len(dest) == size


# -- text -----------------------------------------------------------------------------------

#: The text each charset can encode: its alphabet (no lone surrogates anywhere).
ALPHABETS = {
    "ascii": st.characters(max_codepoint=0x7F),
    "latin1": st.characters(max_codepoint=0xFF),
    "iso-latin-1": st.characters(max_codepoint=0xFF),
    "utf8": st.characters(blacklist_categories=("Cs",)),
    "utf16": st.characters(blacklist_categories=("Cs",)),
    "utf16be": st.characters(blacklist_categories=("Cs",)),
    "utf16le": st.characters(blacklist_categories=("Cs",)),
}
PYTHON_CODECS = {
    "ascii": "ascii",
    "latin1": "latin-1",
    "iso-latin-1": "latin-1",
    "utf8": "utf-8",
    "utf16be": "utf-16-be",
    "utf16le": "utf-16-le",
}


def pythonEncode(text: str, charset: str) -> bytes:
    if charset == "utf16":
        return b"\xfe\xff" + text.encode("utf-16-be") if text else b""
    return text.encode(PYTHON_CODECS[charset])


@st.composite
def charsetAndText(draw: st.DrawFn) -> tuple[str, str]:
    charset = draw(st.sampled_from(sorted(ALPHABETS)))
    return charset, draw(st.text(ALPHABETS[charset], max_size=30))


@SETTINGS
@given(charsetAndText(), st.integers(min_value=0, max_value=5))
def test_textRoundTrip(case: tuple[str, str], destPosition: int) -> None:
    charset, text = case
    expected = pythonEncode(text, charset)
    dest = Buffer(b"\x01" * (destPosition + len(expected)))
    end = Codec.encodeString(source=text, dest=dest, charset=charset, destPosition=destPosition)
    assert end == destPosition + len(expected)
    assert bytes(dest) == b"\x01" * destPosition + expected
    decoded = Codec.decodeString(
        source=dest, position=destPosition, length=len(expected), charset=charset
    )
    assert decoded == text
    assert Codec.decodeString(source=dest, position=destPosition, charset=charset) == text


@SETTINGS
@given(charsetAndText(), st.data())
def test_substringsCountCodePoints(case: tuple[str, str], data: st.DataObject) -> None:
    charset, text = case
    start = data.draw(st.integers(min_value=0, max_value=len(text)))
    length = data.draw(st.integers(min_value=0, max_value=len(text) - start))
    piece = text[start : start + length]
    expected = pythonEncode(piece, charset)
    dest = bufferOf(len(expected))
    n = Codec.encodeString(
        {
            "source": text,
            "dest": dest,
            "charset": charset,
            "sourcePosition": start,
            "sourceLength": length,
        }
    )
    assert n == len(expected) and bytes(dest) == expected


@SETTINGS
@given(
    charset=st.sampled_from(sorted(ALPHABETS)),
    text=st.text(max_size=20),
    room=st.integers(min_value=0, max_value=40),
)
def test_encodeAllOrNothing(charset: str, text: str, room: int) -> None:
    dest = Buffer(b"\x07" * room)
    try:
        expected = pythonEncode(text, charset)
    except UnicodeEncodeError:
        try:
            Codec.encodeString(source=text, dest=dest, charset=charset)
        except TiValueError as e:
            assert repr("latin1" if charset == "iso-latin-1" else charset) in str(e)
        else:
            raise AssertionError("unencodable text was encoded") from None
        assert bytes(dest) == b"\x07" * room
        return
    if len(expected) > room:
        try:
            Codec.encodeString(source=text, dest=dest, charset=charset)
        except TiBoundsError:
            assert bytes(dest) == b"\x07" * room
        else:
            raise AssertionError("text that does not fit was written")
    else:
        assert Codec.encodeString(source=text, dest=dest, charset=charset) == len(expected)
        assert bytes(dest) == expected + b"\x07" * (room - len(expected))


@SETTINGS
@given(charset=st.sampled_from(sorted(ALPHABETS)), data=st.binary(max_size=40))
def test_decodeAnyBytes_text(charset: str, data: bytes) -> None:
    text = Codec.decodeString(source=Buffer(data), charset=charset)
    assert isinstance(text, str)
    if charset == "utf16":
        body = data[2:] if data[:2] in (b"\xfe\xff", b"\xff\xfe") else data
        codec = "utf-16-le" if data[:2] == b"\xff\xfe" else "utf-16-be"
        assert text == body.decode(codec, "replace")
    else:
        assert text == data.decode(PYTHON_CODECS[charset], "replace")


# -- Buffer against a bytearray model -----------------------------------------------------------

#: Offsets and lengths: mostly plausible, sometimes out of range, sometimes absent.
numbers = st.one_of(st.none(), st.integers(min_value=-2, max_value=12))
sides = st.sampled_from([0, 1])


def pairOk(a: Any, b: Any) -> bool | None:
    """L{None} if both are absent, L{False} for a half-pair, L{True} for a pair."""
    if a is None and b is None:
        return None
    return a is not None and b is not None


def rangeOk(offset: int, length: int, size: int) -> bool:
    return 0 <= offset <= size and length >= 0 and offset + length <= size


class BufferMachine(RuleBasedStateMachine):
    """Two buffers and their bytearray models, under random operations."""

    @initialize(
        a=st.binary(max_size=10),
        b=st.binary(max_size=10),
        received=st.tuples(st.booleans(), st.booleans()),
    )
    def start(self, a: bytes, b: bytes, received: tuple[bool, bool]) -> None:
        # A received chunk is wrapped as it is (bytes), copied on the first change.
        self.buffers = [
            Buffer._wrap(bytes(data)) if wrapped else Buffer(data)
            for data, wrapped in zip((a, b), received, strict=True)
        ]
        self.models = [bytearray(a), bytearray(b)]
        self.datas = [buf._data for buf in self.buffers]

    def expectError(self, error: type[TiError], call: Any) -> None:
        before = [bytes(m) for m in self.models]
        try:
            call()
        except TiError as e:
            assert type(e) is error, f"{type(e).__name__} instead of {error.__name__}: {e}"
        else:
            raise AssertionError(f"no {error.__name__}")
        assert [bytes(b) for b in self.buffers] == before

    @invariant()
    def agree(self) -> None:
        if hasattr(self, "buffers"):
            assert [bytes(b) for b in self.buffers] == [bytes(m) for m in self.models]
            assert [b.length for b in self.buffers] == [len(m) for m in self.models]
            for i, buf in enumerate(self.buffers):
                # Changes are made in place, once the bytes are the buffer's own.
                if type(self.datas[i]) is bytearray:
                    assert buf._data is self.datas[i]
                else:
                    assert type(buf._data) in (bytes, bytearray)
                self.datas[i] = buf._data

    @rule(side=sides, data=st.binary(max_size=10))
    def receive(self, side: int, data: bytes) -> None:
        """A Buffer around received bytes, as a pump makes one."""
        self.buffers[side] = Buffer._wrap(data)
        self.models[side] = bytearray(data)
        self.datas[side] = data

    @rule(side=sides)
    def shareByCloning(self, side: int) -> None:
        """The other buffer becomes a full clone (sharing bytes not yet changed)."""
        clone = self.buffers[side].clone()
        self.buffers[1 - side] = clone
        self.models[1 - side] = bytearray(self.models[side])
        self.datas[1 - side] = clone._data

    @rule(side=sides, length=st.integers(min_value=-2, max_value=16))
    def setLength(self, side: int, length: int) -> None:
        buf, model = self.buffers[side], self.models[side]
        if length < 0:
            self.expectError(TiBoundsError, lambda: setattr(buf, "length", length))
            return
        buf.length = length
        del model[length:]
        model.extend(bytes(length - len(model)))

    @rule(side=sides, source=sides, offset=numbers, length=numbers)
    def append(self, side: int, source: int, offset: Any, length: Any) -> None:
        buf, model = self.buffers[side], self.models[side]
        src, srcModel = self.buffers[source], bytes(self.models[source])
        pair = pairOk(offset, length)
        if pair is False:
            self.expectError(TiTypeError, lambda: buf.append(src, offset, length))
        elif pair and not rangeOk(offset, length, len(srcModel)):
            self.expectError(TiBoundsError, lambda: buf.append(src, offset, length))
        else:
            chunk = srcModel if pair is None else srcModel[offset : offset + length]
            assert buf.append(src, offset, length) == len(chunk)
            model.extend(chunk)

    @rule(
        side=sides,
        source=sides,
        at=st.integers(min_value=-1, max_value=12),
        offset=numbers,
        length=numbers,
    )
    def insert(self, side: int, source: int, at: int, offset: Any, length: Any) -> None:
        buf, model = self.buffers[side], self.models[side]
        src, srcModel = self.buffers[source], bytes(self.models[source])
        pair = pairOk(offset, length)
        if pair is False:
            self.expectError(TiTypeError, lambda: buf.insert(src, at, offset, length))
        elif not 0 <= at <= len(model) or (pair and not rangeOk(offset, length, len(srcModel))):
            self.expectError(TiBoundsError, lambda: buf.insert(src, at, offset, length))
        else:
            chunk = srcModel if pair is None else srcModel[offset : offset + length]
            assert buf.insert(src, at, offset, length) == len(chunk)
            model[at:at] = chunk

    @rule(
        side=sides,
        source=sides,
        at=st.integers(min_value=-1, max_value=12),
        offset=numbers,
        length=numbers,
    )
    def copy(self, side: int, source: int, at: int, offset: Any, length: Any) -> None:
        buf, model = self.buffers[side], self.models[side]
        src, srcModel = self.buffers[source], bytes(self.models[source])
        pair = pairOk(offset, length)
        count = len(srcModel) if pair is None else length
        if pair is False:
            self.expectError(TiTypeError, lambda: buf.copy(src, at, offset, length))
        elif (
            (pair and not rangeOk(offset, length, len(srcModel)))
            or not 0 <= at <= len(model)
            or at + count > len(model)
        ):
            self.expectError(TiBoundsError, lambda: buf.copy(src, at, offset, length))
        else:
            chunk = srcModel if pair is None else srcModel[offset : offset + length]
            assert buf.copy(src, at, offset, length) == count
            model[at : at + count] = chunk

    @rule(side=sides, offset=numbers, length=numbers)
    def clone(self, side: int, offset: Any, length: Any) -> None:
        buf, model = self.buffers[side], self.models[side]
        pair = pairOk(offset, length)
        if pair is False:
            self.expectError(TiTypeError, lambda: buf.clone(offset, length))
        elif pair and not rangeOk(offset, length, len(model)):
            self.expectError(TiBoundsError, lambda: buf.clone(offset, length))
        else:
            clone = buf.clone(offset, length)
            expected = model if pair is None else model[offset : offset + length]
            assert bytes(clone) == bytes(expected)
            # A copy, unless both share bytes that neither has changed yet.
            assert clone._data is not buf._data or type(buf._data) is bytes

    @rule(
        side=sides, byte=st.integers(min_value=-300, max_value=300), offset=numbers, length=numbers
    )
    def fill(self, side: int, byte: int, offset: Any, length: Any) -> None:
        buf, model = self.buffers[side], self.models[side]
        pair = pairOk(offset, length)
        if pair is False:
            self.expectError(TiTypeError, lambda: buf.fill(byte, offset, length))
        elif pair and not rangeOk(offset, length, len(model)):
            self.expectError(TiBoundsError, lambda: buf.fill(byte, offset, length))
        else:
            buf.fill(byte, offset, length)
            start, count = (0, len(model)) if pair is None else (offset, length)
            model[start : start + count] = bytes([byte & 0xFF]) * count

    @rule(side=sides)
    def clear(self, side: int) -> None:
        self.buffers[side].clear()
        model = self.models[side]
        model[:] = bytes(len(model))

    @rule(side=sides)
    def release(self, side: int) -> None:
        self.buffers[side].release()
        self.models[side].clear()

    @rule(side=sides, index=st.integers(min_value=-2, max_value=12), value=st.integers(-600, 600))
    def setItem(self, side: int, index: int, value: int) -> None:
        buf, model = self.buffers[side], self.models[side]
        if 0 <= index < len(model):
            buf[index] = value
            model[index] = value & 0xFF
        else:
            self.expectError(TiBoundsError, lambda: buf.__setitem__(index, value))

    @rule(side=sides, index=st.integers(min_value=-2, max_value=12))
    def getItem(self, side: int, index: int) -> None:
        buf, model = self.buffers[side], self.models[side]
        if 0 <= index < len(model):
            assert buf[index] == model[index]
        else:
            self.expectError(TiBoundsError, lambda: buf[index])

    @rule(side=sides, value=st.sampled_from([1.5, "x", None, True]))
    def badTypes(self, side: int, value: Any) -> None:
        buf = self.buffers[side]
        self.expectError(TiTypeError, lambda: buf.fill(value))
        self.expectError(TiTypeError, lambda: buf.append(value))
        if value is not None:
            self.expectError(TiTypeError, lambda: setattr(buf, "length", value))
            self.expectError(TiTypeError, lambda: buf.clone(value, 1))

    @rule(
        side=sides,
        type=st.sampled_from(sorted(INT_TYPES)),
        value=st.integers(-(2**40), 2**40),
        position=numbers,
    )
    def encodeNumber(self, side: int, type: str, value: int, position: Any) -> None:
        buf, model = self.buffers[side], self.models[side]
        fmt = "<" + INT_TYPES[type].upper()
        width = struct.calcsize(fmt)
        start = 0 if position is None else position
        if not 0 <= start <= len(model) - width:
            self.expectError(
                TiBoundsError,
                lambda: Codec.encodeNumber(
                    source=value,
                    dest=buf,
                    type=type,
                    position=position,
                    byteOrder=Codec.LITTLE_ENDIAN,
                ),
            )
            return
        end = Codec.encodeNumber(
            source=value, dest=buf, type=type, position=position, byteOrder=Codec.LITTLE_ENDIAN
        )
        assert end == start + width
        model[start:end] = struct.pack(fmt, value & ((1 << (8 * width)) - 1))

    @rule(side=sides, text=st.text(max_size=6), position=numbers)
    def encodeString(self, side: int, text: str, position: Any) -> None:
        buf, model = self.buffers[side], self.models[side]
        assume(not any(0xD800 <= ord(c) <= 0xDFFF for c in text))
        encoded = text.encode()
        start = 0 if position is None else position
        if not 0 <= start <= len(model) or start + len(encoded) > len(model):
            self.expectError(
                TiBoundsError,
                lambda: Codec.encodeString(source=text, dest=buf, destPosition=position),
            )
            return
        assert Codec.encodeString(source=text, dest=buf, destPosition=position) == start + len(
            encoded
        )
        model[start : start + len(encoded)] = encoded


TestBufferMachine = BufferMachine.TestCase
TestBufferMachine.settings = settings(
    max_examples=150,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.filter_too_much],
)

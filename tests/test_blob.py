"""Tests for C{Ti.Blob} (CONTRACT sections 3 and 10)."""

from __future__ import annotations

import pickle
import struct
import sys
from pathlib import Path
from typing import Any

import pytest

from tisocket_twisted import Blob, Ti, TiTypeError, createBuffer


class TestConstruction:
    def test_namespace(self) -> None:
        assert Ti.Blob is Blob
        assert Blob(b"").apiName == "Ti.Blob"

    @pytest.mark.parametrize(
        "data",
        [b"ab\xff", bytearray(b"ab\xff"), memoryview(b"ab\xff")],
        ids=["bytes", "bytearray", "memoryview"],
    )
    def test_bytesLike(self, data: Any) -> None:
        blob = Blob(data)
        assert bytes(blob) == b"ab\xff"
        assert type(blob._data) is bytes

    def test_copies(self) -> None:
        data = bytearray(b"abc")
        blob = Blob(data)
        data[0] = 0
        assert bytes(blob) == b"abc"

    def test_empty(self) -> None:
        assert Blob().length == 0 and bytes(Blob()) == b""

    def test_otherFormatView(self) -> None:
        data = struct.pack("=2i", 1, 2)
        assert bytes(Blob(memoryview(data).cast("i"))) == data

    @pytest.mark.parametrize("data", ["text", None, 5, [1, 2], createBuffer(length=1)])
    def test_refused(self, data: Any) -> None:
        with pytest.raises(TiTypeError, match="data"):
            Blob(data)


class TestFromFile:
    def test_pathTypes(self, tmp_path: Path) -> None:
        path = tmp_path / "data.bin"
        path.write_bytes(b"\x00\x01binary\xff")
        for p in (path, str(path), bytes(path)):
            blob = Blob.fromFile(p)
            assert bytes(blob) == b"\x00\x01binary\xff"
            assert isinstance(blob, Blob)

    def test_emptyFile(self, tmp_path: Path) -> None:
        path = tmp_path / "empty"
        path.write_bytes(b"")
        assert Blob.fromFile(path).length == 0

    def test_missing(self, tmp_path: Path) -> None:
        with pytest.raises(FileNotFoundError):
            Blob.fromFile(tmp_path / "nope")

    @pytest.mark.parametrize("path", [0, 3, None, 1.5])
    def test_notAPath(self, path: Any) -> None:
        with pytest.raises(TiTypeError, match="path"):
            Blob.fromFile(path)


class TestProperties:
    def test_lengthAndSize(self) -> None:
        blob = Blob(b"abcd")
        assert blob.length == blob.size == len(blob) == 4

    def test_text(self) -> None:
        assert Blob("héllo".encode()).text == "héllo"
        assert Blob(b"").text == ""
        assert Blob(b"\xff\xfe").text is None

    def test_toString(self) -> None:
        assert Blob(b"a\xffb").toString() == "a\ufffdb"
        assert str(Blob(b"a\xffb")) == "a\ufffdb"
        assert Blob("✓".encode()).toString() == "✓"

    @pytest.mark.parametrize("name", ["length", "text", "size", "apiName"])
    def test_readOnly(self, name: str) -> None:
        with pytest.raises(AttributeError):
            setattr(Blob(b"a"), name, 1)

    def test_noNewAttributes(self) -> None:
        with pytest.raises(AttributeError):
            Blob(b"a").foo = 1  # type: ignore[attr-defined]

    def test_bytesWithoutCopy(self) -> None:
        blob = Blob(b"abc")
        assert bytes(blob) is blob._data

    def test_iteration(self) -> None:
        assert list(Blob(b"\x00\xff")) == [0, 255]

    def test_getbuffer(self) -> None:
        with Blob(b"abc").getbuffer() as view:
            assert view.readonly and bytes(view) == b"abc"
        with Blob(b"abc").__buffer__(0) as view:
            assert view.readonly

    @pytest.mark.skipif(sys.version_info < (3, 12), reason="PEP 688 needs Python 3.12")
    def test_memoryview(self) -> None:
        with memoryview(Blob(b"abc")) as view:  # type: ignore[arg-type]
            assert view.readonly and bytes(view) == b"abc"

    def test_repr(self) -> None:
        assert repr(Blob(b"ab")) == "<Ti.Blob length=2 b'ab'>"
        assert repr(Blob(bytes(40))).endswith("...>")


class TestEquality:
    def test_content(self) -> None:
        blob = Blob(b"ab")
        assert blob == Blob(b"ab")
        assert (blob != Blob(b"ab")) is False
        assert blob != Blob(b"abc")
        assert blob == b"ab"
        assert b"ab" == blob  # noqa: SIM300 (the reflected comparison)
        assert blob == bytearray(b"ab") and bytearray(b"ab") == blob
        assert blob == memoryview(b"ab")
        assert blob == createBuffer(value="ab") and createBuffer(value="ab") == blob
        assert blob != "ab" and blob != 1

    def test_hash(self) -> None:
        assert hash(Blob(b"ab")) == hash(b"ab")
        assert {Blob(b"ab"): 1}[b"ab"] == 1
        assert len({Blob(b"x"), Blob(b"x")}) == 1

    def test_pickle(self) -> None:
        blob = Blob(b"\x00abc")
        copy = pickle.loads(pickle.dumps(blob))
        assert isinstance(copy, Blob) and copy == blob

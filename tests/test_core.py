"""The shared core: errors, constants, argument handling, events and Ti.API."""

from __future__ import annotations

import errno
import sys

import pytest
from twisted.internet.defer import fail
from twisted.logger import LogLevel, capturedLogs

from tisocket_twisted import (
    AcceptedEvent,
    ConnectedEvent,
    ErrorEvent,
    InvalidStateError,
    PumpEvent,
    ReadEvent,
    Ti,
    TiBoundsError,
    TiError,
    TiSocketError,
    TiTypeError,
    TiValueError,
    WouldBlockError,
    WriteEvent,
    WriteStreamEvent,
)
from tisocket_twisted._args import (
    checkCallable,
    checkInt,
    checkNonNegativeInt,
    checkNumber,
    checkPositiveTimeout,
    checkRange,
    mergeOptions,
    require,
)
from tisocket_twisted._events import Failed
from tisocket_twisted._log import callUser


class TestErrors:
    @pytest.mark.parametrize(
        ("cls", "builtin"),
        [
            (TiBoundsError, IndexError),
            (TiTypeError, TypeError),
            (TiValueError, ValueError),
            (InvalidStateError, RuntimeError),
            (WouldBlockError, RuntimeError),
            (TiSocketError, OSError),
        ],
    )
    def test_hierarchy(self, cls: type[Exception], builtin: type[Exception]) -> None:
        assert issubclass(cls, TiError)
        assert issubclass(cls, builtin)

    def test_socketErrorCarriesErrno(self) -> None:
        error = TiSocketError(errno.EADDRINUSE, "listen: address in use")
        assert error.errno == errno.EADDRINUSE
        assert error.strerror == "listen: address in use"
        assert str(error) == f"[Errno {errno.EADDRINUSE}] listen: address in use"


class TestConstants:
    def test_socketStates(self) -> None:
        socket = Ti.Network.Socket
        assert (socket.INITIALIZED, socket.CONNECTED, socket.LISTENING) == (1, 2, 3)
        assert (socket.CLOSED, socket.ERROR) == (4, 5)
        assert socket.CONNECTED.name == "CONNECTED"

    def test_nativeByteOrder(self) -> None:
        from tisocket_twisted._constants import BIG_ENDIAN, LITTLE_ENDIAN, NATIVE_BYTE_ORDER

        expected = LITTLE_ENDIAN if sys.byteorder == "little" else BIG_ENDIAN
        assert expected == NATIVE_BYTE_ORDER
        assert BIG_ENDIAN == 0

    def test_charsetAlias(self) -> None:
        from tisocket_twisted._constants import CHARSETS

        assert CHARSETS["iso-latin-1"] == CHARSETS["latin1"] == "latin1"


class TestMergeOptions:
    def test_dict(self) -> None:
        assert mergeOptions("f", {"a": 1}, {}, {"a", "b"}) == {"a": 1}

    def test_keywords(self) -> None:
        assert mergeOptions("f", None, {"b": 2}, {"a", "b"}) == {"b": 2}

    def test_both(self) -> None:
        assert mergeOptions("f", {"a": 1}, {"b": 2}, {"a", "b"}) == {"a": 1, "b": 2}

    def test_unknownKeyNamed(self) -> None:
        with pytest.raises(TiTypeError, match=r"f: unknown option 'hots'"):
            mergeOptions("f", {"hots": 1}, {}, {"host"})

    def test_unknownKeywordNamed(self) -> None:
        with pytest.raises(TiTypeError, match="'prot'"):
            mergeOptions("f", None, {"prot": 1}, {"port"})

    def test_duplicate(self) -> None:
        with pytest.raises(TiTypeError, match="'a' given both"):
            mergeOptions("f", {"a": 1}, {"a": 2}, {"a"})

    def test_notAMapping(self) -> None:
        with pytest.raises(TiTypeError, match=r"f: expected a dict.*\[1, 2\]"):
            mergeOptions("f", [1, 2], {}, {"a"})

    def test_nonStringKey(self) -> None:
        with pytest.raises(TiTypeError, match="must be strings, got 1"):
            mergeOptions("f", {1: 2}, {}, {"a"})

    def test_require(self) -> None:
        assert require("f", {"a": 1}, "a") == 1
        with pytest.raises(TiTypeError, match="f: missing required option 'b'"):
            require("f", {"a": 1}, "b")


class TestCheckers:
    def test_checkInt(self) -> None:
        assert checkInt("f", "n", 3) == 3
        for bad in (True, 1.5, "3", None):
            with pytest.raises(TiTypeError, match=f"f: n must be an integer, got {bad!r}"):
                checkInt("f", "n", bad)

    def test_checkIntIndex(self) -> None:
        class Index:
            def __index__(self) -> int:
                return 7

        assert checkInt("f", "n", Index()) == 7

    def test_checkNonNegativeInt(self) -> None:
        assert checkNonNegativeInt("f", "n", 0) == 0
        with pytest.raises(TiBoundsError, match="f: n must not be negative, got -1"):
            checkNonNegativeInt("f", "n", -1)

    def test_checkNumber(self) -> None:
        assert checkNumber("f", "x", 1.5) == 1.5
        with pytest.raises(TiTypeError, match="x must be a number, got False"):
            checkNumber("f", "x", False)

    def test_checkPositiveTimeout(self) -> None:
        assert checkPositiveTimeout("f", "timeout", None) is None
        assert checkPositiveTimeout("f", "timeout", 10) == 10.0
        for bad in (-1, float("nan")):
            with pytest.raises(TiValueError, match="timeout must be a non-negative number"):
                checkPositiveTimeout("f", "timeout", bad)

    def test_checkCallable(self) -> None:
        assert checkCallable("f", "cb", None) is None
        assert checkCallable("f", "cb", print) is print
        with pytest.raises(TiTypeError, match="cb must be callable or None, got 3"):
            checkCallable("f", "cb", 3)

    def test_checkRange(self) -> None:
        checkRange("f", "offset", 2, "length", 3, 5)
        checkRange("f", "offset", 5, "length", 0, 5)
        with pytest.raises(TiBoundsError, match=r"offset 6 is outside 0\.\.5"):
            checkRange("f", "offset", 6, "length", 0, 5)
        with pytest.raises(TiBoundsError, match="length 4 from offset 2 reaches past"):
            checkRange("f", "offset", 2, "length", 4, 5)
        with pytest.raises(TiBoundsError, match="length -1"):
            checkRange("f", "offset", 0, "length", -1, 5)


class TestEvents:
    def test_successfulRead(self) -> None:
        event = ReadEvent("stream", 5)
        assert dict(event) == {
            "source": "stream",
            "bytesProcessed": 5,
            "success": True,
            "code": 0,
            "error": None,
            "errorState": 0,
            "errorDescription": "",
        }

    def test_failedWrite(self) -> None:
        event = WriteEvent("stream", -1, Failed(errno.EPIPE, "broken pipe"))
        assert event.success is False
        assert event["code"] == event.code == errno.EPIPE
        assert event.error == event.errorDescription == "broken pipe"
        assert event.errorState == 1

    def test_mappingAccess(self) -> None:
        event = PumpEvent("s", "b", 3, 9)
        assert "buffer" in event
        assert "nothing" not in event
        assert event["totalBytesProcessed"] == 9
        assert len(event) == len(PumpEvent.fields)
        with pytest.raises(KeyError):
            event["nothing"]

    def test_slotted(self) -> None:
        event = ConnectedEvent("sock")
        with pytest.raises(AttributeError):
            event.extra = 1  # type: ignore[attr-defined]

    def test_writeStreamFields(self) -> None:
        event = WriteStreamEvent("in", "out", 10)
        assert (event.fromStream, event.toStream, event["bytesProcessed"]) == ("in", "out", 10)

    def test_acceptedAndError(self) -> None:
        accepted = AcceptedEvent("listener", "inbound")
        assert (accepted["socket"], accepted.inbound) == ("listener", "inbound")
        error = ErrorEvent("sock", Failed(errno.ECONNRESET, "reset"))
        assert dict(error) == {
            "socket": "sock",
            "success": False,
            "code": errno.ECONNRESET,
            "errorCode": errno.ECONNRESET,
            "error": "reset",
        }

    def test_repr(self) -> None:
        assert repr(ConnectedEvent("s")) == "ConnectedEvent(socket='s')"

    def test_failedEquality(self) -> None:
        assert Failed(1, "x") == Failed(1, "x")
        assert Failed(1, "x") != Failed(2, "x")
        assert hash(Failed(1, "x")) == hash(Failed(1, "x"))


class TestAPI:
    @pytest.mark.parametrize(
        ("name", "level"),
        [
            ("info", LogLevel.info),
            ("warn", LogLevel.warn),
            ("error", LogLevel.error),
            ("debug", LogLevel.debug),
            ("trace", LogLevel.debug),
        ],
    )
    def test_levels(self, name: str, level: LogLevel) -> None:
        with capturedLogs() as events:
            getattr(Ti.API, name)("hello")
        assert len(events) == 1
        assert events[0]["log_namespace"] == "Ti.API"
        assert events[0]["log_level"] == level
        assert events[0]["ti_message"] == "hello"
        assert events[0]["ti_level"] == name

    def test_log(self) -> None:
        with capturedLogs() as events:
            Ti.API.log("warn", {"a": 1})
            Ti.API.log("custom", "x")
        assert [e["log_level"] for e in events] == [LogLevel.warn, LogLevel.info]
        assert events[0]["ti_message"] == "{'a': 1}"
        assert events[1]["ti_level"] == "custom"

    def test_logLevelType(self) -> None:
        with pytest.raises(TiTypeError, match="level must be a string, got 3"):
            Ti.API.log(3, "x")  # type: ignore[arg-type]


class TestCallUser:
    def test_calls(self) -> None:
        seen = []
        callUser("connected", seen.append, "event")
        assert seen == ["event"]

    def test_exceptionLogged(self) -> None:
        def broken(event: object) -> None:
            raise ZeroDivisionError("boom")

        with capturedLogs() as events:
            callUser("connected", broken, "event")
        assert len(events) == 1
        assert events[0]["what"] == "connected"
        assert events[0]["log_failure"].check(ZeroDivisionError)

    def test_failedDeferredLogged(self) -> None:
        with capturedLogs() as events:
            callUser("pump", lambda event: fail(KeyError("k")), "event")
        assert len(events) == 1
        assert events[0]["log_failure"].check(KeyError)

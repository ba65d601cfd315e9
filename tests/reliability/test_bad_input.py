"""
Bad input: hypothesis-generated argument lists for every public function,
method and setter (wrong types, missing and extra keys, negative and huge
numbers, NaN, None, ...).

Allowed outcomes (CONTRACT §9, §10): a normal return, a L{TiError}
subclass, Python's own C{TypeError} for a wrong number of arguments (the
signature does not bind), or C{AttributeError} for assigning a read-only
attribute. And a call that raised leaves its receiver and every Buffer or
stream it was given unchanged.

Sockets live on a L{MemoryNetwork}, so even a call that does connect or
listen touches no real socket.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reliability_helpers import scaled
from twisted.logger import capturedLogs, formatEvent

from tisocket_twisted import (
    Blob,
    BlobStream,
    Buffer,
    BufferStream,
    Codec,
    Stream,
    TCPSocket,
    TiBoundsError,
    TiError,
    TiTypeError,
    createBuffer,
    createTCP,
)
from tisocket_twisted.testing import MemoryNetwork, memoryPair

KEYS = [
    "source", "mode", "length", "value", "type", "byteOrder", "charset", "position",
    "dest", "source", "sourcePosition", "sourceLength", "destPosition", "data", "host",
    "port", "timeout", "listenQueueSize", "connected", "error", "accepted",
    "allowHalfOpen", "noDelay", "keepAlive", "readHighWaterMark", "number", "string",
]  # fmt: skip

SPECIAL = [
    0, 1, -1, 2, 7, 8, 2**31, -(2**31) - 1, 2**63, 2**64 + 1, 10**30, -(10**30),
    math.nan, math.inf, -math.inf, -0.0, 0.5, 1e308,
    "", "utf8", "latin1", "ascii", "utf16", "utf16le", "utf16be", "bogus",
    "int", "byte", "short", "long", "float", "double", "big", "little",
    "127.0.0.1", "::1", "no-such-host.invalid", "\x00", "é" * 3,
    Codec.BIG_ENDIAN, Codec.LITTLE_ENDIAN, Stream.MODE_READ, Stream.MODE_WRITE,
    Stream.MODE_APPEND, True, False, None, b"bytes", bytearray(b"ba"),
]  # fmt: skip


def _buffer(data: bytes) -> Buffer:
    b = createBuffer(length=len(data))
    b._data[:] = data
    return b


def _stream(data: bytes, mode: int) -> BufferStream:
    return BufferStream(_buffer(data), mode, reactor=_clock())


def _ignore(event: Any) -> None:
    pass


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.binary(max_size=8),
    st.sampled_from(SPECIAL),
    st.builds(_buffer, st.binary(max_size=12)),
    st.builds(_stream, st.binary(max_size=12), st.sampled_from([0, 1, 2])),
    st.builds(Blob, st.binary(max_size=8)),
    st.just(_ignore),
    st.builds(object),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=4)), inner, max_size=4),
    ),
    max_leaves=6,
)
arguments = st.tuples(
    st.lists(values, max_size=5),
    st.dictionaries(st.sampled_from(KEYS), values, max_size=2) | st.just({}),
)


# ----------------------------------------------------------------------
# Snapshots: what a raising call must not have changed.


def snapshot(obj: Any) -> Any:
    if isinstance(obj, Buffer):
        return ("Buffer", bytes(obj._data), obj._type, obj._byteOrder)
    if isinstance(obj, (BufferStream, BlobStream)):
        state = {}
        for name in ("_mode", "_position", "_closed"):
            if hasattr(obj, name):
                state[name] = getattr(obj, name)
        holder = getattr(obj, "_holder", None)
        state["holder"] = None if holder is None else bytes(holder._data)
        return ("Stream", state)
    if isinstance(obj, TCPSocket):
        return (
            "TCP",
            *(
                getattr(obj, name)
            for name in (
                "state", "host", "port", "timeout", "listenQueueSize", "connected", "error",
                "accepted", "allowHalfOpen", "noDelay", "keepAlive", "readHighWaterMark",
                "bytesRead", "bytesWritten",
            )
            ),
        )  # fmt: skip
    if isinstance(obj, (list, tuple)):
        return [snapshot(o) for o in obj]
    if isinstance(obj, dict):
        return {k: snapshot(v) for k, v in obj.items()}
    return None


def check(
    call: Callable[..., Any],
    args: list[Any],
    kwargs: dict[str, Any],
    receivers: list[Any],
    signature: Callable[..., Any] | None = None,
    documented: bool = False,
) -> None:
    """Call; only allowed exceptions; nothing changed when it raised."""
    before = snapshot([receivers, args, kwargs])
    try:
        call(*args, **kwargs)
    except TiError:
        pass
    except TypeError:
        try:
            inspect.signature(signature or call).bind(*args, **kwargs)
        except TypeError:
            return  # a wrong number of arguments: Python's own TypeError is allowed
        raise
    else:
        return
    if documented:
        return  # the contract says what this call changes when it raises
    after = snapshot([receivers, args, kwargs])
    assert after == before, "a call that raised changed an object"


def setOrReadOnly(obj: Any, name: str, value: Any) -> None:
    """Assign; an AttributeError is allowed only for a read-only attribute."""
    try:
        setattr(obj, name, value)
    except AttributeError:
        attribute = inspect.getattr_static(type(obj), name, None)
        settable = isinstance(attribute, property) and attribute.fset is not None
        if settable or attribute is None:
            raise


# ----------------------------------------------------------------------
# Targets: (name, factory giving (callable, receivers, signature)).

Target = Callable[[], tuple[Callable[..., Any], list[Any], Callable[..., Any] | None]]
TARGETS: dict[str, Target] = {}


#: The networks (simulated reactors) made for the current example; see L{settle}.
_networks: list[MemoryNetwork] = []


def _clock() -> MemoryNetwork:
    """A new network for one object of an example; L{settle} runs what it schedules."""
    network = MemoryNetwork()
    _networks.append(network)
    return network


def settle() -> None:
    """
    Run everything the example's objects scheduled (asynchronous forms given a
    callback report on a later turn of their reactor), then forget them.
    """
    while _networks:
        _networks.pop().flush()


@pytest.fixture(autouse=True)
def forgetNetworks() -> Iterator[None]:
    """No test sees the networks another test made."""
    yield
    _networks.clear()


def _sockets() -> dict[str, Callable[[], TCPSocket]]:
    def initialized() -> TCPSocket:
        return createTCP(reactor=_clock())

    def listening() -> TCPSocket:
        sock = createTCP(reactor=_clock())
        sock.listen()
        return sock

    def connected() -> TCPSocket:
        return memoryPair(_clock()).client

    return {"initialized": initialized, "listening": listening, "connected": connected}


SOCKET_METHODS = [
    "accept", "close", "connect", "listen", "read", "write", "readNow", "writeNow",
    "writeChunk", "produceChunks", "checkBlockingAllowed", "isReadable", "isWritable",
]  # fmt: skip
SOCKET_PROPERTIES = [
    "host", "port", "timeout", "listenQueueSize", "connected", "error", "accepted",
    "allowHalfOpen", "noDelay", "keepAlive", "readHighWaterMark", "state", "bytesRead",
    "bytesWritten", "localAddress", "localPort", "remoteAddress", "remotePort", "apiName",
]  # fmt: skip

for _kind, _make in _sockets().items():
    for _name in SOCKET_METHODS:

        def _method(make: Callable[[], TCPSocket] = _make, name: str = _name) -> Any:
            sock = make()
            method = getattr(sock, name)
            return method, [sock], method

        TARGETS[f"TCPSocket({_kind}).{_name}"] = _method
    for _name in SOCKET_PROPERTIES:

        def _setter(make: Callable[[], TCPSocket] = _make, name: str = _name) -> Any:
            sock = make()

            def assign(value: Any) -> None:
                setOrReadOnly(sock, name, value)

            return assign, [sock], assign

        TARGETS[f"TCPSocket({_kind}).{_name}="] = _setter

TARGETS["createTCP"] = lambda: (createTCP, [], createTCP)
TARGETS["createBuffer"] = lambda: (createBuffer, [], createBuffer)

BUFFER_METHODS = ["append", "insert", "copy", "clone", "fill", "clear", "release", "toString",
                  "toBlob"]  # fmt: skip
for _name in BUFFER_METHODS:

    def _bufferMethod(name: str = _name) -> Any:
        buffer = _buffer(b"0123456789")
        method = getattr(buffer, name)
        return method, [buffer], method

    TARGETS[f"Buffer.{_name}"] = _bufferMethod

for _name in ["length", "value", "type", "byteOrder", "apiName"]:

    def _bufferSetter(name: str = _name) -> Any:
        buffer = _buffer(b"0123456789")

        def assign(value: Any) -> None:
            setOrReadOnly(buffer, name, value)

        return assign, [buffer], assign

    TARGETS[f"Buffer.{_name}="] = _bufferSetter

for _name in ["encodeNumber", "decodeNumber", "encodeString", "decodeString",
              "getNativeByteOrder"]:  # fmt: skip
    TARGETS[f"Codec.{_name}"] = lambda name=_name: (getattr(Codec, name), [], None)

for _name in ["createStream", "read", "write", "readAll", "writeStream", "pump"]:
    TARGETS[f"Stream.{_name}"] = lambda name=_name: (getattr(Stream, name), [], None)

STREAM_METHODS = ["read", "write", "close", "readNow", "writeNow", "writeChunk",
                  "produceChunks", "isReadable", "isWritable", "checkBlockingAllowed"]  # fmt: skip
for _mode in (0, 1, 2):
    for _name in STREAM_METHODS:

        def _streamMethod(mode: int = _mode, name: str = _name) -> Any:
            stream = _stream(b"abcdefghij", mode)
            method = getattr(stream, name)
            return method, [stream], method

        TARGETS[f"BufferStream(mode {_mode}).{_name}"] = _streamMethod
for _name in STREAM_METHODS:

    def _blobMethod(name: str = _name) -> Any:
        stream = BlobStream(Blob(b"abcdefghij"), reactor=_clock())
        method = getattr(stream, name)
        return method, [stream], method

    TARGETS[f"BlobStream.{_name}"] = _blobMethod


def fuzz(target: str) -> None:
    """Run C{target} with C{EXAMPLES} generated argument lists."""

    @given(call=arguments)
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        derandomize=True,
        database=None,
    )
    def run(call: tuple[list[Any], dict[str, Any]]) -> None:
        function, receivers, signature = TARGETS[target]()
        args, kwargs = call
        if target.endswith("="):
            args, kwargs = args[:1] or [None], {}
        # CONTRACT §6: listen() on a CONNECTED or LISTENING socket raises and enters ERROR.
        documented = target in ("TCPSocket(connected).listen", "TCPSocket(listening).listen")
        check(function, args, kwargs, receivers, signature, documented)
        settle()

    run()


#: Generated argument lists per target.
EXAMPLES = scaled(60, 400)


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_badInputRaisesOnlyDocumentedErrorsAndChangesNothing(target: str) -> None:
    with capturedLogs() as events:
        fuzz(target)  # (each example settles what it scheduled)
    failures = [e for e in events if e.get("log_failure") is not None]
    assert not failures, [formatEvent(e) + str(e["log_failure"].value) for e in failures[:5]]


# ----------------------------------------------------------------------
# Regressions found by the fuzzing above: the IOStream primitives took
# anything, and failed later in the reactor (a traceback in the log, or
# five zero bytes written for writeChunk(5, done)).


def _primitiveOwners() -> list[Any]:
    pair = memoryPair(_clock())
    return [
        pair.client,
        _stream(b"abc", 0),
        _stream(b"abc", 1),
        Stream.createStream(source=Blob(b"abc"), mode=0),
    ]


def test_primitivesRejectWrongTypesAtOnce() -> None:
    for owner in _primitiveOwners():
        for name, args in (
            ("writeChunk", (5, _ignore)),
            ("writeChunk", (None, _ignore)),
            ("writeChunk", (b"x", {})),
            ("writeChunk", (b"x", None)),
            ("writeNow", (None,)),
            ("writeNow", (7,)),
            ("readNow", (None,)),
            ("readNow", ("3",)),
            ("produceChunks", (10, 42)),
            ("produceChunks", (10, None)),
        ):
            before = snapshot(owner)
            try:
                getattr(owner, name)(*args)
            except TiTypeError as e:
                assert owner.apiName in str(e)
            else:
                raise AssertionError(f"no TiTypeError from {owner!r}.{name}{args!r}")
            assert snapshot(owner) == before


def test_bytesLikeDataIsStillAccepted() -> None:
    pair = memoryPair(_clock())
    done: list[Any] = []
    pair.client.writeChunk(bytearray(b"ab"), done.append)
    pair.client.writeChunk(memoryview(b"cd"), done.append)
    assert pair.client.writeNow(bytearray(b"ef")) == 2
    stream = _stream(b"", 1)
    assert stream.writeNow(memoryview(b"xyz")) == 3


def test_hugeBufferLengthsRaiseTiBoundsError() -> None:
    """
    Found by the fuzzing: createBuffer(length=2**63) raised OverflowError,
    2**40 MemoryError, and a few GiB zero-filled memory until the process
    was killed. Lengths past Titanium's int limit now raise TiBoundsError.
    """
    for huge in (2**31, 2**34, 2**40, 2**63, 10**30):
        try:
            createBuffer(length=huge)
        except TiBoundsError as e:
            assert str(huge) in str(e)
        else:
            raise AssertionError(f"createBuffer(length={huge}) did not raise")
        buffer = _buffer(b"abc")
        try:
            buffer.length = huge
        except TiBoundsError:
            pass
        else:
            raise AssertionError(f"length = {huge} did not raise")
        assert bytes(buffer._data) == b"abc"

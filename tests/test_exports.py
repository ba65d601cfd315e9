"""Pin the public surface: the exported names and the identity of the Ti namespace's members."""

from __future__ import annotations

import tisocket_twisted
from tisocket_twisted import (
    API,
    Blob,
    Buffer,
    Codec,
    Socket,
    Stream,
    TCPSocket,
    Ti,
    Titanium,
    createBuffer,
    createTCP,
)


def test_exportedNames() -> None:
    """Adding or removing a public name is a deliberate act: change this list with it."""
    assert sorted(tisocket_twisted.__all__) == sorted(
        [
            "API",
            "AcceptedEvent",
            "Blob",
            "BlobStream",
            "Buffer",
            "BufferStream",
            "ChunkConsumer",
            "ChunkProducer",
            "Codec",
            "ConnectedEvent",
            "ErrorEvent",
            "Failed",
            "IOStream",
            "IOStreamBase",
            "InvalidStateError",
            "PumpEvent",
            "ReadEvent",
            "Socket",
            "SocketState",
            "Stream",
            "StreamMode",
            "TCPClientFactory",
            "TCPProtocol",
            "TCPServerFactory",
            "TCPSocket",
            "Ti",
            "TiBoundsError",
            "TiError",
            "TiEvent",
            "TiSocketError",
            "TiTypeError",
            "TiValueError",
            "Titanium",
            "WouldBlockError",
            "WriteEvent",
            "WriteStreamEvent",
            "createBuffer",
            "createTCP",
        ]
    )
    for name in tisocket_twisted.__all__:
        assert getattr(tisocket_twisted, name) is not None, name


def test_exportsComeFromTheirModules() -> None:
    from tisocket_twisted import _blob, _buffer, _codec, _log, _protocol, _stream, _tcp, _ti

    assert tisocket_twisted.Buffer is _buffer.Buffer
    assert tisocket_twisted.createBuffer is _buffer.createBuffer
    assert tisocket_twisted.Blob is _blob.Blob
    assert tisocket_twisted.Codec is _codec.Codec
    assert tisocket_twisted.Stream is _stream.Stream
    assert tisocket_twisted.TCPSocket is _tcp.TCPSocket
    assert tisocket_twisted.createTCP is _tcp.createTCP
    assert tisocket_twisted.TCPProtocol is _protocol.TCPProtocol
    assert tisocket_twisted.TCPClientFactory is _protocol.TCPClientFactory
    assert tisocket_twisted.TCPServerFactory is _protocol.TCPServerFactory
    assert tisocket_twisted.API is _log.API
    assert tisocket_twisted.Ti is _ti.Ti


def test_namespaceIdentity() -> None:
    assert Titanium is Ti
    assert Ti.createBuffer is createBuffer
    assert Ti.Codec is Codec
    assert Ti.Stream is Stream
    assert Ti.API is API
    assert Ti.Buffer is Buffer
    assert Ti.Blob is Blob
    assert Ti.Network.Socket is Socket
    assert Ti.Network.Socket.createTCP is createTCP
    assert Ti.Network.Socket.TCP is TCPSocket


def test_apiNames() -> None:
    assert Buffer.apiName == "Ti.Buffer"
    assert Blob.apiName == "Ti.Blob"
    assert Codec.apiName == "Ti.Codec"
    assert tisocket_twisted.BufferStream.apiName == "Ti.BufferStream"
    assert tisocket_twisted.BlobStream.apiName == "Ti.BlobStream"
    assert TCPSocket.apiName == "Ti.Network.Socket.TCP"
    assert Ti.apiName == "Ti"
    assert Ti.Network.Socket.apiName == "Ti.Network.Socket"


def test_socketConstants() -> None:
    assert [int(getattr(Socket, n)) for n in ("INITIALIZED", "CONNECTED", "LISTENING")] == [1, 2, 3]
    assert [int(getattr(Socket, n)) for n in ("CLOSED", "ERROR")] == [4, 5]

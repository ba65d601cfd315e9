"""
tisocket-twisted: Titanium's C{Ti.Network.Socket.TCP}, C{Ti.Stream},
C{Ti.Buffer} and C{Ti.Codec} API on Twisted.

Use it the JavaScript way, through C{Ti}::

    from tisocket_twisted import Ti
    sock = Ti.Network.Socket.createTCP({"host": "127.0.0.1", "port": 8080})

or import the same objects directly (C{createTCP}, C{createBuffer}, C{Stream},
C{Codec}, C{Socket}, ...).
"""

from ._blob import Blob
from ._buffer import Buffer, createBuffer
from ._bufferstream import BlobStream, BufferStream
from ._codec import Codec
from ._constants import SocketState, StreamMode
from ._errors import (
    InvalidStateError,
    TiBoundsError,
    TiError,
    TiSocketError,
    TiTypeError,
    TiValueError,
    WouldBlockError,
)
from ._events import (
    AcceptedEvent,
    ConnectedEvent,
    ErrorEvent,
    Failed,
    PumpEvent,
    ReadEvent,
    TiEvent,
    WriteEvent,
    WriteStreamEvent,
)
from ._iostream import ChunkConsumer, ChunkProducer, IOStream, IOStreamBase
from ._log import API
from ._protocol import TCPClientFactory, TCPProtocol, TCPServerFactory
from ._stream import Stream
from ._tcp import TCPSocket, createTCP
from ._ti import Socket, Ti, Titanium

__all__ = [
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

__version__ = "0.1.0"

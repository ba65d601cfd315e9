"""
The C{Ti} / C{Titanium} namespace: the JavaScript spelling, so Titanium code
ports line by line (C{Ti.Network.Socket.createTCP}, C{Ti.Stream.pump},
C{Ti.createBuffer}, C{Ti.Codec.encodeNumber}, C{Ti.API.info} ...).

Every name in the namespace is the very object importable from the package
(C{Ti.createBuffer is tisocket_twisted.createBuffer}).
"""

from __future__ import annotations

from typing import Any

from ._blob import Blob
from ._buffer import Buffer, createBuffer
from ._codec import Codec
from ._constants import SocketState
from ._log import API
from ._stream import Stream
from ._tcp import TCPSocket, createTCP

__all__ = ["Socket", "Ti", "Titanium"]


class Namespace:
    """A read-mostly bag of names, like a Titanium module object."""

    def __init__(self, apiName: str, **names: Any) -> None:
        self.apiName = apiName
        self.__dict__.update(names)

    def __repr__(self) -> str:
        return f"<{self.apiName}>"


#: C{Ti.Network.Socket}: the socket state constants and C{createTCP}.
Socket = Namespace(
    "Ti.Network.Socket",
    INITIALIZED=SocketState.INITIALIZED,
    CONNECTED=SocketState.CONNECTED,
    LISTENING=SocketState.LISTENING,
    CLOSED=SocketState.CLOSED,
    ERROR=SocketState.ERROR,
    createTCP=createTCP,
    TCP=TCPSocket,
)

#: The C{Ti} object. C{Titanium} is the same object.
Ti = Namespace(
    "Ti",
    Network=Namespace("Ti.Network", Socket=Socket),
    Stream=Stream,
    Codec=Codec,
    API=API,
    Buffer=Buffer,
    Blob=Blob,
    createBuffer=createBuffer,
)
Titanium = Ti

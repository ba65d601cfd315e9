"""C{Ti.Network.Socket.TCP} (placeholder until the socket work lands)."""

from __future__ import annotations

from typing import Any

from ._iostream import IOStreamBase

__all__ = ["TCPSocket", "createTCP"]


class TCPSocket(IOStreamBase):
    """A Titanium TCP socket."""

    apiName = "Ti.Network.Socket.TCP"


def createTCP(params: Any = None, **kwargs: Any) -> TCPSocket:
    """C{Ti.Network.Socket.createTCP}."""
    raise NotImplementedError

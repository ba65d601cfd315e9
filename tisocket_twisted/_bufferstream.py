"""BufferStream and BlobStream (placeholder until the foundation lands)."""

from __future__ import annotations

from ._iostream import IOStreamBase

__all__ = ["BlobStream", "BufferStream"]


class BufferStream(IOStreamBase):
    """A stream over a Buffer."""

    apiName = "Ti.BufferStream"


class BlobStream(IOStreamBase):
    """A read-only stream over a Blob."""

    apiName = "Ti.BlobStream"

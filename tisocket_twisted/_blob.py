"""C{Ti.Blob}: immutable bytes (placeholder until the foundation lands)."""

from __future__ import annotations

__all__ = ["Blob"]


class Blob:
    """Immutable bytes."""

    apiName = "Ti.Blob"

"""C{Ti.Stream} (placeholder until the foundation lands)."""

from __future__ import annotations

__all__ = ["Stream"]


class _Stream:
    apiName = "Ti.Stream"


Stream = _Stream()

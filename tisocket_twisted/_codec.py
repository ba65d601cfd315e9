"""C{Ti.Codec} (placeholder until the foundation lands)."""

from __future__ import annotations

__all__ = ["Codec"]


class _Codec:
    apiName = "Ti.Codec"


Codec = _Codec()

"""
Argument handling shared by every Titanium-style function.

Titanium functions take one dictionary; Python callers prefer keywords. Both are
accepted, unknown keys are rejected, and every check raises a L{TiError}
subclass whose message names the function, the argument and the value received.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Collection, Mapping
from typing import Any, TypeVar

from ._errors import TiBoundsError, TiTypeError, TiValueError

__all__ = [
    "checkCallable",
    "checkChunkConsumer",
    "checkChunkData",
    "checkDone",
    "checkInt",
    "checkNonNegativeInt",
    "checkNumber",
    "checkPositiveTimeout",
    "checkRange",
    "mergeOptions",
    "require",
]

_T = TypeVar("_T")
_C = TypeVar("_C", bound=type)


def mergeOptions(
    where: str,
    params: object,
    kwargs: Mapping[str, object],
    allowed: Collection[str],
) -> dict[str, Any]:
    """
    Combine a Titanium-style dictionary and Python keyword arguments.

    @param where: the name of the calling function, for messages.
    @param params: the positional dictionary (or L{None}).
    @param kwargs: the keyword arguments.
    @param allowed: every key the function understands.
    @raise TiTypeError: if C{params} is not a mapping, a key is not a string,
        a key is given twice, or a key is unknown.
    """
    if params is None:
        merged: dict[str, Any] = {}
    elif isinstance(params, Mapping):
        merged = {}
        for key, value in params.items():
            if not isinstance(key, str):
                raise TiTypeError(f"{where}: option names must be strings, got {key!r}")
            merged[key] = value
    else:
        raise TiTypeError(
            f"{where}: expected a dict of options or keyword arguments, got {params!r}"
        )
    for key, value in kwargs.items():
        if key in merged:
            raise TiTypeError(f"{where}: option {key!r} given both in the dict and as a keyword")
        merged[key] = value
    for key in merged:
        if key not in allowed:
            raise TiTypeError(
                f"{where}: unknown option {key!r} (allowed: {', '.join(sorted(allowed))})"
            )
    return merged


def require(where: str, options: Mapping[str, Any], key: str) -> Any:
    """Return C{options[key]}, or raise L{TiTypeError} naming the missing key."""
    try:
        return options[key]
    except KeyError:
        raise TiTypeError(f"{where}: missing required option {key!r}") from None


def checkInt(where: str, name: str, value: object) -> int:
    """
    Return C{value} as an L{int}.

    Integers and objects with C{__index__} are accepted; L{bool}, floats and
    everything else raise L{TiTypeError}.
    """
    if isinstance(value, bool):
        raise TiTypeError(f"{where}: {name} must be an integer, got {value!r}")
    if isinstance(value, int):
        return value
    try:
        return operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        raise TiTypeError(f"{where}: {name} must be an integer, got {value!r}") from None


def checkNonNegativeInt(where: str, name: str, value: object) -> int:
    """Like L{checkInt}, and a negative value raises L{TiBoundsError}."""
    result = checkInt(where, name, value)
    if result < 0:
        raise TiBoundsError(f"{where}: {name} must not be negative, got {result!r}")
    return result


def checkNumber(where: str, name: str, value: object) -> int | float:
    """Return C{value} if it is an L{int} or L{float} (not L{bool}), else raise."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TiTypeError(f"{where}: {name} must be a number, got {value!r}")
    return value


def checkPositiveTimeout(where: str, name: str, value: object) -> float | None:
    """Return a timeout in milliseconds (L{None} for none), or raise."""
    if value is None:
        return None
    number = checkNumber(where, name, value)
    if math.isnan(number) or number < 0:
        raise TiValueError(f"{where}: {name} must be a non-negative number, got {value!r}")
    return float(number)


def checkCallable(where: str, name: str, value: _T) -> _T:
    """Return C{value} if it is callable or L{None}, else raise L{TiTypeError}."""
    if value is not None and not callable(value):
        raise TiTypeError(f"{where}: {name} must be callable or None, got {value!r}")
    return value


def checkRange(
    where: str,
    offsetName: str,
    offset: int,
    lengthName: str,
    length: int,
    size: int,
) -> None:
    """
    Check that C{offset} and C{length} select a range inside C{size} items.

    @raise TiBoundsError: naming the argument that reaches outside.
    """
    if offset < 0 or offset > size:
        raise TiBoundsError(f"{where}: {offsetName} {offset!r} is outside 0..{size}")
    if length < 0 or offset + length > size:
        raise TiBoundsError(
            f"{where}: {lengthName} {length!r} from {offsetName} {offset!r} "
            f"reaches past the end ({size})"
        )


AnyCallable = Callable[..., Any]


def _short(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def checkChunkData(where: str, data: object) -> bytes | bytearray | memoryview:
    """
    Return C{data} if it is bytes-like (C{bytes}, C{bytearray}, C{memoryview}),
    else raise L{TiTypeError} (C{bytes(5)} would quietly make five zero bytes).
    """
    if isinstance(data, (bytes, bytearray, memoryview)):
        return data
    raise TiTypeError(f"{where}: data must be bytes-like, got {_short(data)}")


def checkDone(where: str, done: _T) -> _T:
    """Return C{done} if it is callable, else raise L{TiTypeError}."""
    if not callable(done):
        raise TiTypeError(f"{where}: done must be callable, got {_short(done)}")
    return done


#: The library's own consumer classes (slotted, methods on the class), which
#: hot paths need not check again: see L{trustConsumerType}.
trustedConsumerTypes: set[type] = set()


def trustConsumerType(cls: _C) -> _C:
    """Class decorator: instances of C{cls} are valid consumers without a check."""
    trustedConsumerTypes.add(cls)
    return cls


def checkChunkConsumer(where: str, consumer: _T) -> _T:
    """
    Return C{consumer} if it has callable C{chunkReceived} and C{chunksEnded}
    (a L{ChunkConsumer}), else raise L{TiTypeError}.
    """
    for method in ("chunkReceived", "chunksEnded"):
        if not callable(getattr(consumer, method, None)):
            raise TiTypeError(
                f"{where}: consumer must have chunkReceived and chunksEnded methods, "
                f"got {_short(consumer)}"
            )
    return consumer

"""Strict, bounded JSON for saved responses: the rules templates follow, with ``file:line`` on every refusal.

Refused: a file over ``MAX_BYTES``, anything but a regular file (a FIFO would block ``open``), nesting deeper
than ``MAX_DEPTH`` (checked by a linear bracket scan before parsing, so 100,000 ``[`` never reach the
recursive parser), duplicate keys in one object, and non-finite numbers (``NaN``, ``Infinity``, ``1e999``).
"""

from __future__ import annotations

import errno
import json
import json.decoder
import json.scanner
import math
import os
import re
import stat
from pathlib import Path
from typing import Any

MAX_BYTES = 5 * 1024 * 1024
MAX_DEPTH = 100
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"?|[\[\]{}]', re.DOTALL)
_NON_FINITE = ("NaN", "Infinity", "-Infinity")


class NotRegularFile(Exception):
    """The path is a FIFO, socket, device or directory: skipped, never opened for reading."""


class SavedJsonError(Exception):
    """A refusal, with the 1-based line it applies to (None: the whole file)."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message, self.line = message, line


def _line(text: str, index: int) -> int:
    return text.count("\n", 0, index) + 1


def read_regular(path: Path) -> str:
    """The file's text, if it is a regular file (symlinks followed) of at most MAX_BYTES; raises otherwise."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise SavedJsonError("cannot read: symbolic link loop") from None
        if exc.errno == errno.ENXIO:   # a socket
            raise NotRegularFile("not a regular file") from None
        raise SavedJsonError(f"cannot read: {exc.strerror or exc}") from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise NotRegularFile("not a regular file")
        if info.st_size > MAX_BYTES:
            raise SavedJsonError(f"file is {info.st_size} bytes; saved responses are limited to {MAX_BYTES} bytes")
        data = handle.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise SavedJsonError(f"file is larger than {MAX_BYTES} bytes, the limit for saved responses")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SavedJsonError(f"not UTF-8: {exc.reason}", _line(data[: exc.start].decode("utf-8", "replace"), exc.start)) from None


def _check_depth(text: str) -> None:
    depth = 0
    for token in _TOKENS.finditer(text):
        char = token.group()[0]
        if char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise SavedJsonError(f"nesting deeper than {MAX_DEPTH} levels", _line(text, token.start()))
        elif char in "]}":
            depth = max(depth - 1, 0)


def _duplicate_line(text: str, start: int, end: int, key: str) -> int:
    """Line of the second ``key`` among the direct members of the object spanning text[start:end]."""
    depth, seen = 0, 0
    for token in _TOKENS.finditer(text, start, end):
        value = token.group()
        if value in "[{":
            depth += 1
        elif value in "]}":
            depth -= 1
        elif depth == 1 and re.match(r"\s*:", text[token.end():token.end() + 64]):
            try:
                same = json.loads(value) == key
            except ValueError:
                same = False
            seen += same
            if seen == 2:
                return _line(text, token.start())
    return _line(text, start)


class _Context:
    """What json.scanner.py_make_scanner reads: the pure-Python scanner with checking object/array parsers."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.strict = True
        self.object_hook = None
        self.object_pairs_hook = None
        self.parse_float = float
        self.parse_int = int
        self.parse_constant = self._constant
        self.parse_string = json.decoder.scanstring
        self.memo: dict[str, str] = {}
        self.parse_object = self._object
        self.parse_array = self._array
        self._scan = json.scanner.py_make_scanner(self)

    @staticmethod
    def _constant(name: str) -> float:
        raise AssertionError(name)   # unreachable: scan() refuses NaN and Infinity with their position first

    def scan(self, text: str, index: int) -> tuple[Any, int]:
        """One value at ``index``, refusing non-finite numbers with their line."""
        if text.startswith(_NON_FINITE, index):
            raise SavedJsonError("not a finite number (NaN and Infinity are not JSON)", _line(text, index))
        value, end = self._scan(text, index)
        if isinstance(value, float) and not math.isfinite(value):
            raise SavedJsonError(f"number {text[index:end]} is out of range", _line(text, index))
        return value, end

    def _object(self, s_and_end, strict, _scan_once, _hook, _pairs_hook, memo=None):
        text, start = s_and_end
        pairs, end = json.decoder.JSONObject(s_and_end, strict, self.scan, None, list, memo)
        result: dict[str, Any] = {}
        for key, value in pairs:
            if key in result:
                raise SavedJsonError(f"duplicate key {key!r}", _duplicate_line(text, start - 1, end, key))
            result[key] = value
        return result, end

    def _array(self, s_and_end, _scan_once):
        return json.decoder.JSONArray(s_and_end, self.scan)


def loads_strict(text: str) -> Any:
    """Parse one JSON document by the rules above; SavedJsonError with a line on any refusal."""
    _check_depth(text)
    context = _Context(text)
    whitespace = json.decoder.WHITESPACE
    try:
        index = whitespace.match(text, 0).end()
        value, end = context.scan(text, index)
        end = whitespace.match(text, end).end()
    except json.JSONDecodeError as exc:
        raise SavedJsonError(f"not valid JSON: {exc.msg}", exc.lineno) from None
    except StopIteration as exc:
        raise SavedJsonError("not valid JSON: Expecting value", _line(text, exc.value)) from None
    if end != len(text):
        raise SavedJsonError("not valid JSON: Extra data", _line(text, end))
    return value

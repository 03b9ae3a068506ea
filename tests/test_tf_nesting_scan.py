"""The nesting check skips uninteresting text with a regular expression; it decides exactly what the plain
character-by-character scan (kept here as the reference) decides: whether to refuse, and at which line."""

from __future__ import annotations

import random

from driftcheck.model import Location
from driftcheck.sources.terraform.syntax import InputLimitError, check_nesting


def _reference(source: str, shown: str, limit: int) -> None:
    depth, line, i, n, in_string = 0, 1, 0, len(source), False
    while i < n:
        char = source[i]
        if char == "\n":
            line += 1
        if in_string:
            if char == "\\":
                i += 2
                continue
            if char == '"':
                in_string = False
            elif char == "{" and source[i - 1:i] in ("$", "%"):
                depth += 1
                in_string = False
                if depth > limit:
                    raise InputLimitError("deep", Location(shown, line))
        elif char == '"':
            in_string = True
        elif char == "#" or source.startswith("//", i):
            end = source.find("\n", i)
            i = n if end < 0 else end
            continue
        elif source.startswith("/*", i):
            end = source.find("*/", i + 2)
            end = n if end < 0 else end + 2
            line += source.count("\n", i, end)
            i = end
            continue
        elif char in "([{":
            depth += 1
            if depth > limit:
                raise InputLimitError("deep", Location(shown, line))
        elif char in ")]}":
            depth = max(0, depth - 1)
        i += 1


def _line(check, source: str, limit: int) -> int | None | bool:
    try:
        check(source, "main.tf", limit)
    except InputLimitError as exc:
        return exc.location.line
    return False


PIECES = ["\n", "\\", '"', "#", "/", "*", "(", "[", "{", ")", "]", "}", "$", "%", "a", " ", "//", "/*", "*/", "${", "%{", '\\"', "\\\n"]


def test_the_scan_refuses_exactly_where_the_reference_does():
    rng = random.Random(10)
    for _ in range(40_000):
        source = "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 40)))
        limit = rng.randint(0, 4)
        assert _line(check_nesting, source, limit) == _line(_reference, source, limit), (source, limit)


def test_deep_text_is_refused_at_its_line_and_shallow_text_passes():
    deep = 'locals {\n  a = "x"  # {{{{\n  b = ' + "[" * 70 + "]" * 70 + "\n}\n"
    assert _line(check_nesting, deep, 64) == 3
    assert _line(check_nesting, '/* ((((\n(((( */\nx = "${"${a}"}"\n', 2) is False

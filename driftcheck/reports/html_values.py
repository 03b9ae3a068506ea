"""What changed inside a value, as escaped HTML: token and character diffs for strings, key-level for objects.

A difference's two values are shown as the JSON the other formats print (sorted keys, two-space indent).
Each side is a list of *segments* ``(kind, text)``: ``kind`` is ``""`` (same on both sides), ``"del"``
(only declared), ``"ins"`` (only live) or ``"mark"`` (a key both sides hold with different values).
Segments become ``<del>``, ``<ins>`` and ``<mark>``; the stylesheet adds hidden "removed:" / "added:" /
"changed:" words for screen readers, and a text summary names the keys that differ, so colour is never
the only signal.

Every piece of text goes through :func:`driftcheck.safe_text.multi_line` (controls, bidi overrides, lone
surrogates as visible escapes) and then :func:`markupsafe.escape`, so the result is safe ``Markup``.

Costs stay linear in the value: common prefix and suffix are stripped first, :mod:`difflib` runs only
on a bounded middle, and a long value shows a bounded preview with the full value in a ``<details>``.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape

from driftcheck.frozen import thaw
from driftcheck.safe_text import multi_line

__all__ = ["PREVIEW_CHARS", "PREVIEW_LINES", "Rendered", "render_pair", "render_value"]

#: A value longer than this (characters of its JSON) is folded: preview shown, full value one click away.
PREVIEW_CHARS = 800
#: A value with more lines than this is folded too.
PREVIEW_LINES = 16
#: difflib runs on at most this many tokens per side (after the common prefix and suffix are removed).
MAX_DIFF_TOKENS = 1500
#: Two differing tokens shorter than this are compared character by character.
MAX_CHAR_DIFF = 200
#: Shorter common runs between two character-level changes are shown as changed (no confetti).
MIN_CHAR_RUN = 3
#: How much unchanged text the preview keeps before the first change.
LEAD_IN = 120

_TOKEN = re.compile(r"\w+|\s+|[^\w\s]", re.UNICODE)

Segment = tuple[str, str]


@dataclass(frozen=True)
class Rendered:
    """Both sides of a difference as cell markup, and a plain-text summary of changed keys (or None)."""

    declared: Markup
    live: Markup
    summary: str | None = None


def as_json(value: Any) -> str:
    """The value as the reports print it: JSON, sorted keys, two-space indent, non-ASCII kept."""
    return json.dumps(thaw(value), sort_keys=True, indent=2, ensure_ascii=False)


# --- diffing ------------------------------------------------------------------------------------


def _append(segments: list[Segment], kind: str, text: str) -> None:
    if not text:
        return
    if segments and segments[-1][0] == kind:
        segments[-1] = (kind, segments[-1][1] + text)
    else:
        segments.append((kind, text))


def _char_diff(old: str, new: str, left: list[Segment], right: list[Segment]) -> None:
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    if matcher.ratio() < 0.4:  # mostly different: one replaced word reads better than confetti
        _append(left, "del", old)
        _append(right, "ins", new)
        return
    opcodes = matcher.get_opcodes()
    for index, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        inner = 0 < index < len(opcodes) - 1
        if tag == "equal" and not (inner and i2 - i1 < MIN_CHAR_RUN):  # a lone common letter between changes is noise
            _append(left, "", old[i1:i2])
            _append(right, "", new[j1:j2])
        else:
            _append(left, "del", old[i1:i2])
            _append(right, "ins", new[j1:j2])


def diff_text(old: str, new: str) -> tuple[list[Segment], list[Segment]]:
    """Token-level diff of two texts (words, spaces, single punctuation), refined to characters where small."""
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    start = 0
    while start < len(a) and start < len(b) and a[start] == b[start]:
        start += 1
    end_a, end_b = len(a), len(b)
    while end_a > start and end_b > start and a[end_a - 1] == b[end_b - 1]:
        end_a -= 1
        end_b -= 1
    left: list[Segment] = []
    right: list[Segment] = []
    prefix = "".join(a[:start])
    _append(left, "", prefix)
    _append(right, "", prefix)
    mid_a, mid_b = a[start:end_a], b[start:end_b]
    if len(mid_a) > MAX_DIFF_TOKENS or len(mid_b) > MAX_DIFF_TOKENS:
        _append(left, "del", "".join(mid_a))
        _append(right, "ins", "".join(mid_b))
    else:
        matcher = difflib.SequenceMatcher(None, mid_a, mid_b, autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            old_part, new_part = "".join(mid_a[i1:i2]), "".join(mid_b[j1:j2])
            if tag == "equal":
                _append(left, "", old_part)
                _append(right, "", new_part)
            elif tag == "replace" and len(old_part) <= MAX_CHAR_DIFF and len(new_part) <= MAX_CHAR_DIFF:
                _char_diff(old_part, new_part, left, right)
            else:
                _append(left, "del", old_part)
                _append(right, "ins", new_part)
    suffix = "".join(a[end_a:])
    _append(left, "", suffix)
    _append(right, "", suffix)
    return left, right


def _member(key: str, value: Any, last: bool) -> str:
    """One ``"key": value`` member of a two-space-indented object, as json.dumps(indent=2) writes it."""
    body = as_json(value).replace("\n", "\n  ")
    return f"  {json.dumps(key, ensure_ascii=False)}: {body}" + ("" if last else ",")


def diff_objects(old: Mapping[str, Any], new: Mapping[str, Any]) -> tuple[list[Segment], list[Segment], str]:
    """Key-level diff of two objects: removed keys ``del``, added ``ins``, changed ``mark`` on both sides."""
    old, new = thaw(old), thaw(new)
    left: list[Segment] = [("", "{\n")] if old else [("", "{")]
    right: list[Segment] = [("", "{\n")] if new else [("", "{")]
    removed, added, changed = [], [], []
    old_keys, new_keys = sorted(old), sorted(new)
    for side, keys, other, segments in ((0, old_keys, new, left), (1, new_keys, old, right)):
        mine = old if side == 0 else new
        for index, key in enumerate(keys):
            last = index == len(keys) - 1
            if key not in other:
                kind = "del" if side == 0 else "ins"
                (removed if side == 0 else added).append(key)
            elif other[key] != mine[key]:
                kind = "mark"
                if side == 0:
                    changed.append(key)
            else:
                kind = ""
            _append(segments, kind, _member(key, mine[key], last))
            _append(segments, "", "\n")
    _append(left, "", "}")
    _append(right, "", "}")
    parts = []
    for label, keys in (("changed", changed), ("removed", removed), ("added", added)):
        if keys:
            parts.append(f"{label} {', '.join(json.dumps(k, ensure_ascii=False) for k in keys)}")
    return left, right, "keys: " + "; ".join(parts) if parts else "keys: same keys"


def segments_for(declared: Any, live: Any) -> tuple[list[Segment], list[Segment], str | None]:
    """Both sides as segments, by the kind of the two values."""
    declared, live = thaw(declared), thaw(live)
    if isinstance(declared, dict) and isinstance(live, dict):
        return diff_objects(declared, live)
    if isinstance(declared, str) and isinstance(live, str):
        left, right = diff_text(as_json(declared), as_json(live))
        return left, right, None
    if isinstance(declared, list) and isinstance(live, list):
        left, right = diff_text(as_json(declared), as_json(live))
        return left, right, None
    # different kinds (a value against null, a string against a list...): the whole value differs
    return [("del", as_json(declared))], [("ins", as_json(live))], None


# --- markup ---------------------------------------------------------------------------------------

_TAGS = {"del": ("<del>", "</del>"), "ins": ("<ins>", "</ins>"), "mark": ("<mark>", "</mark>")}


def _markup(segments: Sequence[Segment], start: int = 0, end: int | None = None) -> Markup:
    """The segments' text between character offsets ``start`` and ``end``, escaped, with their tags."""
    out: list[str] = []
    offset = 0
    for kind, text in segments:
        piece_start, piece_end = offset, offset + len(text)
        offset = piece_end
        if end is not None and piece_start >= end:
            break
        if piece_end <= start:
            continue
        piece = text[max(start - piece_start, 0): (end - piece_start) if end is not None else None]
        safe = str(escape(multi_line(piece)))
        if kind:
            opening, closing = _TAGS[kind]
            out.append(f"{opening}{safe}{closing}")
        else:
            out.append(safe)
    return Markup("".join(out))


def _first_change(segments: Sequence[Segment]) -> int:
    offset = 0
    for kind, text in segments:
        if kind:
            return offset
        offset += len(text)
    return 0


def _preview_end(text: str, start: int) -> int:
    end = min(len(text), start + PREVIEW_CHARS)
    newline = start - 1
    for _ in range(PREVIEW_LINES):
        newline = text.find("\n", newline + 1, end)
        if newline < 0:
            return end
    return newline


def side_markup(segments: Sequence[Segment]) -> Markup:
    """One side of a difference: a ``<pre>``; when long, a bounded preview and the full value in ``<details>``."""
    text = "".join(t for _, t in segments)
    if len(text) <= PREVIEW_CHARS and text.count("\n") < PREVIEW_LINES:
        return Markup('<pre class="v">') + _markup(segments) + Markup("</pre>")
    start = max(0, _first_change(segments) - LEAD_IN)
    newline = text.rfind("\n", 0, start)  # start the preview at a line start when there is one nearby
    if start and newline >= 0 and start - newline < LEAD_IN:
        start = newline + 1
    end = _preview_end(text, start)
    hidden = len(text) - (end - start)
    lines = text.count("\n") + 1
    return (
        Markup('<pre class="v preview">')
        + (Markup('<span class="cut">[…] </span>') if start else Markup(""))
        + _markup(segments, start, end)
        + (Markup('<span class="cut"> […]</span>') if end < len(text) else Markup(""))
        + Markup('</pre><details class="full"><summary>Full value (')
        + escape(f"{len(text):,} characters, {lines:,} lines; {hidden:,} characters not in the preview")
        + Markup(')</summary><pre class="v">')
        + _markup(segments)
        + Markup("</pre></details>")
    )


def render_pair(declared: Any, live: Any) -> Rendered:
    """A difference's declared and live values as cell markup, what changed marked on each side."""
    left, right, summary = segments_for(declared, live)
    return Rendered(side_markup(left), side_markup(right), summary)


def render_value(value: Any) -> Markup:
    """One value without a counterpart (folded when long)."""
    return side_markup([("", as_json(value))])

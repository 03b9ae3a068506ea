"""The one place that makes untrusted text safe to show: on a terminal, in the text report, in HTML.

Names, tags, messages and file names come from files and AWS accounts other people can write to. Shown
raw, an ESC sequence retitles or clears the user's terminal, a bidi override makes ``admin\\u202egpj.exe``
display as ``adminexe.jpg``, a newline forges a report line, and a lone surrogate (legal in a Python
string, e.g. from a JSON ``\\ud800`` escape) crashes any UTF-8 writer. Every such character becomes a
visible escape:

* C0 controls, DEL and C1 controls: ``\\x1b``; newline, carriage return and tab: ``\\n``, ``\\r``, ``\\t``
  (:func:`one_line`; :func:`multi_line` keeps newlines and tabs, for HTML ``<pre>`` blocks and tracebacks);
* bidi embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069), the marks U+200E, U+200F and
  U+061C: ``\\u202e``;
* lone surrogates (U+D800-U+DFFF): ``\\ud800``.

Backslashes themselves are left alone (a Windows path stays readable), so an escape is a display, not
an encoding: the JSON report is where values are kept exactly (it is pure ASCII, and lone surrogates
are written there as JSON ``\\ud800`` escapes).
"""

from __future__ import annotations

import re

__all__ = ["encode_utf8", "multi_line", "one_line"]

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}

_OTHERS = (
    "\x7f-\x9f"  # DEL, C1
    "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"  # bidi marks, embeddings, overrides, isolates
    "\u2028\u2029"  # line and paragraph separators: no forged lines in editors either
    "\ud800-\udfff"  # lone surrogates (a valid str never holds a pair)
)
_ONE_LINE = re.compile(f"[\x00-\x1f{_OTHERS}]")  # every C0 control
_MULTI_LINE = re.compile(f"[\x00-\x08\x0b-\x1f{_OTHERS}]")  # C0 but tab and newline


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def one_line(text: object) -> str:
    """``text`` as one terminal-safe line: every unsafe character, newlines and tabs included, escaped."""
    return _ONE_LINE.sub(_escape, text if isinstance(text, str) else str(text))


def multi_line(text: object) -> str:
    """Like :func:`one_line`, but newlines and tabs are kept (for HTML ``<pre>`` and tracebacks)."""
    return _MULTI_LINE.sub(_escape, text if isinstance(text, str) else str(text))


def encode_utf8(text: str) -> bytes:
    """UTF-8 bytes of ``text``; a lone surrogate that got past the escaping becomes ``\\ud800``, never an error."""
    return text.encode("utf-8", "backslashreplace")

"""driftcheck.safe_text, and every report writer using it: no raw control, bidi or surrogate character gets out."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from driftcheck.frozen import freeze
from driftcheck.model import Difference, InputError, Location, PipelineResult, RunResult, Status, UnresolvedField
from driftcheck.reports import ReportFormat
from driftcheck.reports.json_report import validate_report
from driftcheck.safe_text import encode_utf8, multi_line, one_line

WHEN = datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)

UNSAFE = (
    [chr(c) for c in range(0x20)] + ["\x7f"] + [chr(c) for c in range(0x80, 0xA0)]
    + ["\u061c", "\u200e", "\u200f", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e"]
    + ["\u2066", "\u2067", "\u2068", "\u2069", "\u2028", "\u2029", "\ud800", "\udbff", "\udc00", "\udfff"]
)
HOSTILE = "x\x1b]0;pwned\x07\x1b[2J\r\nFORGED\tadmin\u202egpj.exe\u2066\ud800\x85\x00<b>&"


@pytest.mark.parametrize("char", UNSAFE, ids=lambda c: f"U+{ord(c):04X}")
def test_every_unsafe_character_becomes_a_visible_escape(char):
    shown = one_line(f"a{char}b")
    assert char not in shown
    assert shown.startswith("a\\") and shown.endswith("b")
    assert shown.isprintable() and shown.isascii()


def test_escape_forms():
    assert one_line("\x1b[2J") == "\\x1b[2J"
    assert one_line("a\nb\tc\rd") == "a\\nb\\tc\\rd"
    assert one_line("\x85\x9f\x7f") == "\\x85\\x9f\\x7f"
    assert one_line("admin\u202egpj.exe") == "admin\\u202egpj.exe"
    assert one_line("\ud800") == "\\ud800"


def test_safe_text_is_left_alone():
    text = "prod-app é 日本 C:\\path ünïcode 👍 <b>&"
    assert one_line(text) == text and multi_line(text) == text


def test_multi_line_keeps_newlines_and_tabs_only():
    assert multi_line("a\n\tb\r\x1b\u202e") == "a\n\tb\\r\\x1b\\u202e"


def test_non_strings_are_shown_as_their_str():
    assert one_line(Location("f\x1b.tf", 3)) == "f\\x1b.tf:3"


def test_encode_utf8_never_fails():
    assert encode_utf8("a\ud800é") == b"a\\ud800\xc3\xa9"


def hostile_run(HOSTILE: str = HOSTILE) -> RunResult:  # noqa: N803 - the same text everywhere
    diff = Difference(HOSTILE, freeze({HOSTILE: [HOSTILE]}), HOSTILE, Location(HOSTILE, 2))
    pipelines = (
        PipelineResult(HOSTILE, HOSTILE, Status.DRIFTED, arn=HOSTILE, region=HOSTILE, source=Location(HOSTILE, 1),
                       differences=(diff,), unresolved=(UnresolvedField(HOSTILE, HOSTILE),), notes=(HOSTILE,)),
        PipelineResult("e" + HOSTILE, HOSTILE, Status.ERROR, error=HOSTILE, notes=(HOSTILE,)),
        PipelineResult("s" + HOSTILE, HOSTILE, Status.IN_SYNC, region=HOSTILE, source=Location(HOSTILE, 1), notes=(HOSTILE,)),
        PipelineResult("u" + HOSTILE, HOSTILE, Status.IN_SYNC, unresolved=(UnresolvedField(HOSTILE, HOSTILE),)),
    )
    return RunResult(pipelines, (InputError(Location(HOSTILE, 1), HOSTILE),), WHEN, HOSTILE)


@pytest.mark.parametrize("fmt", [ReportFormat.TEXT, ReportFormat.HTML])
@pytest.mark.parametrize("color", [False, True])
def test_text_and_html_hold_no_unsafe_character(fmt, color):
    out = fmt.renderer()().render(hostile_run(), color=color)
    raw = set(out) & set(UNSAFE)
    if fmt is ReportFormat.TEXT and color:
        raw -= {"\x1b"}  # the report's own ANSI styling
        assert "\x1b]" not in out and "\x1b[2J" not in out
    if fmt is ReportFormat.TEXT:
        assert raw == {"\n"}  # the report's own line breaks only
    else:
        assert raw <= {"\n", "\t"}  # layout, and newlines and tabs kept inside <pre> values
    encode_utf8(out).decode("utf-8")  # strict: no surrogate left
    out.encode("utf-8")


def test_text_lines_are_never_forged():
    out = ReportFormat.TEXT.renderer()().render(hostile_run())
    assert not any(line.startswith("FORGED") for line in out.splitlines())
    plain = ReportFormat.TEXT.renderer()().render(hostile_run("plain"))
    assert out.count("\n") == plain.count("\n")


def test_html_escapes_then_autoescapes():
    page = ReportFormat.HTML.renderer()().render(hostile_run())
    assert "admin\\u202egpj.exe\\u2066\\ud800\\x85\\x00&lt;b&gt;&amp;" in page
    assert "<b>" not in page


def test_json_keeps_values_exactly_and_stays_ascii():
    out = ReportFormat.JSON.renderer()().render(hostile_run())
    assert out.isascii()
    document = json.loads(out)
    validate_report(document)
    drifted = next(p for p in document["pipelines"] if p["status"] == "drifted")
    assert drifted["name"] == HOSTILE
    assert drifted["differences"][0]["declared"] == {HOSTILE: [HOSTILE]}
    assert "\\ud800" in out and "\\u202e" in out

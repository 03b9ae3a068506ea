"""The HTML report's value highlighting, folding, path display and links (no browser needed)."""

from __future__ import annotations

import json
import re
import time

import pytest
from markupsafe import Markup

from driftcheck.model import Location
from driftcheck.reports.html_links import console_url, display_path, location_markup, source_url, template_problem
from driftcheck.reports.html_values import PREVIEW_CHARS, as_json, diff_objects, diff_text, render_pair, render_value, side_markup

TAG = re.compile(r"<[^>]+>")


def text_of(markup: Markup) -> str:
    return TAG.sub("", str(markup))


def changed(segments, kind):
    return [text for k, text in segments if k == kind]


def test_a_version_bump_marks_only_the_digit():
    left, right = diff_text('"image-recipe/app-api/1.8.1"', '"image-recipe/app-api/1.8.2"')
    assert changed(left, "del") == ["1"] and changed(right, "ins") == ["2"]
    assert "".join(t for _, t in left) == '"image-recipe/app-api/1.8.1"'
    assert "".join(t for _, t in right) == '"image-recipe/app-api/1.8.2"'


def test_a_changed_word_is_refined_to_characters_without_confetti():
    left, right = diff_text('"ImageBuilderWorkflowRole"', '"ImageBuilderBreakGlassRole"')
    assert changed(left, "del") == ["Workflow"] and changed(right, "ins") == ["BreakGlass"]
    left, right = diff_text("cron(0 0 * * ? *)", "cron(0 1 * * ? *)")
    assert changed(left, "del") == ["0"] and changed(right, "ins") == ["1"]


def test_an_appended_sentence_is_one_insertion():
    left, right = diff_text("Application image for API", "Application image for API <b>hotfix</b>")
    assert changed(left, "del") == [] and changed(right, "ins") == [" <b>hotfix</b>"]


def test_objects_are_compared_key_by_key():
    left, right, summary = diff_objects({"a": 1, "gone": True, "same": [1]}, {"a": 2, "new": "x", "same": [1]})
    assert changed(left, "del") == ['  "gone": true,\n'[:-1]] and changed(right, "ins") == ['  "new": "x",']
    assert changed(left, "mark") == ['  "a": 1,'] and changed(right, "mark") == ['  "a": 2,']
    assert summary == 'keys: changed "a"; removed "gone"; added "new"'
    # the text is exactly the JSON the other formats print
    assert "".join(t for _, t in left) == as_json({"a": 1, "gone": True, "same": [1]})
    assert "".join(t for _, t in right) == as_json({"a": 2, "new": "x", "same": [1]})


@pytest.mark.parametrize("declared,live", [(None, "x"), ("x", None), ([1], {"a": 1}), (1, "1")])
def test_values_of_different_kinds_differ_whole(declared, live):
    rendered = render_pair(declared, live)
    assert str(rendered.declared) == '<pre class="v"><del>' + as_json(declared).replace('"', "&#34;") + "</del></pre>"
    assert text_of(rendered.live) == as_json(live).replace('"', "&#34;")
    assert "<ins>" in str(rendered.live)


def test_every_piece_is_escaped_and_shows_controls_as_escapes():
    rendered = render_pair("<b>a</b>\u202e", "<b>b</b>\x1b[2J")
    page = str(rendered.declared) + str(rendered.live)
    assert "<b>" not in page and "&lt;b&gt;" in page
    assert "\u202e" not in page and "\x1b" not in page and "\\u202e" in page  # the JSON escapes \x1b itself: \u001b
    assert "<del>" in page and "<ins>" in page


def test_a_long_value_is_folded_with_the_change_in_the_preview():
    declared = "word " * 40_000
    live = declared[:150_000] + "CHANGED" + declared[150_000:]
    rendered = render_pair(declared, live)
    live_html = str(rendered.live)
    preview, full = live_html.split('<details class="full">')
    assert "CHANGED" in preview
    assert len(text_of(Markup(preview))) < PREVIEW_CHARS + 100
    assert "200,009 characters" in full and text_of(Markup(full)).count("word") == 40_000
    assert render_value("short") == Markup('<pre class="v">&#34;short&#34;</pre>')


def test_many_lines_are_folded_too():
    markup = side_markup([("", "\n".join(str(n) for n in range(100)))])
    assert "<details" in str(markup) and "99" not in str(markup).split("<details")[0]


def test_huge_different_values_stay_linear():
    a = " ".join(f"a{n}" for n in range(100_000))
    b = " ".join(f"b{n}" for n in range(100_000))
    started = time.perf_counter()
    left, right = diff_text(a, b)
    elapsed = time.perf_counter() - started
    assert "".join(t for _, t in left) == a and "".join(t for _, t in right) == b
    print(f"two different 1 MB texts: {elapsed:.2f} s")


@pytest.mark.parametrize("path,shown", [
    ("tags.a.b", 'tags["a.b"]'),
    ("tags.Owner", "tags.Owner"),
    ("tags.team-name", "tags.team-name"),
    ("tags.has space", 'tags["has space"]'),
    ('tags.x"y', 'tags["x\\"y"]'),
    ("schedule.scheduleExpression", "schedule.scheduleExpression"),
    ("workflows[1].parameters[name=waitForActionAtEnd].value", "workflows[1].parameters[name=waitForActionAtEnd].value"),
    ("workflows[0].parameters[name=a.b].value", 'workflows[0].parameters[name="a.b"].value'),
    ("notAField.x.y", "notAField.x.y"),
    ("", ""),
])
def test_paths_quote_keys_that_are_not_plain(path, shown):
    assert display_path(path) == shown


def test_file_line_wraps_only_after_a_slash():
    assert location_markup(Location("a/b/main.tf", 48)) == Markup('a/<wbr>b/<wbr><span class="tail">main.tf:48</span>')
    assert location_markup(Location("<x>/m\x1b.tf", 1)) == Markup('&lt;x&gt;/<wbr><span class="tail">m\\x1b.tf:1</span>')
    assert location_markup(Location("main.tf", None)) == Markup('<span class="tail">main.tf</span>')


TEMPLATE = "https://github.com/org/repo/blob/main/{file}#L{line}"


def test_source_links_encode_every_substituted_part():
    assert source_url(TEMPLATE, Location("./infra/main.tf", 48)) == "https://github.com/org/repo/blob/main/infra/main.tf#L48"
    url = source_url(TEMPLATE, Location("a b/<x>'\"#?&%\ud800.tf", 3))
    assert url == "https://github.com/org/repo/blob/main/a%20b/%3Cx%3E%27%22%23%3F%26%25%5Cud800.tf#L3"
    assert source_url(TEMPLATE, Location("main.tf", None)) == "https://github.com/org/repo/blob/main/main.tf#L"
    assert source_url(TEMPLATE, None) is None and source_url(None, Location("main.tf", 1)) is None


@pytest.mark.parametrize("template", [
    "javascript:alert(1)//{file}", "data:text/html,<script>{file}", "file:///etc/{file}", "//evil.example/{file}",
    "https://x.example/{file}\" onmouseover=\"alert(1)", "https://x.example/<{file}>", "https:///{file}",
    "https://x.example/no-placeholder", "ftp://x.example/{file}", "https://x.example/{file}\n",
])
def test_hostile_or_unusable_templates_make_no_link(template):
    assert template_problem(template) is not None
    assert source_url(template, Location("main.tf", 1)) is None


def test_console_links_only_for_well_formed_pipeline_arns():
    arn = "arn:aws:imagebuilder:eu-west-1:111122223333:image-pipeline/web"
    assert console_url(arn) == (
        "https://eu-west-1.console.aws.amazon.com/imagebuilder/home?region=eu-west-1#/pipelines/" + arn
    )
    assert console_url("arn:aws-cn:imagebuilder:cn-north-1:111122223333:image-pipeline/x").startswith("https://cn-north-1.console.amazonaws.cn/")
    for bad in ("javascript:alert(1)", "arn:aws:imagebuilder:us-east-1:111122223333:image-pipeline/<x>",
                "arn:aws:imagebuilder:evil.example/:111122223333:image-pipeline/x", "arn:aws:s3:::bucket", "", None):
        assert console_url(bad) is None


def test_as_json_matches_the_other_formats():
    value = {"b": [1, {"d": 2, "c": "é"}], "a": None}
    assert as_json(value) == json.dumps(value, sort_keys=True, indent=2, ensure_ascii=False)

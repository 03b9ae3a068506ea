"""Tests for the YAML/JSON loader: line numbers, scalars, CloudFormation tags, bounds and errors."""

from __future__ import annotations

import datetime
from types import MappingProxyType

import pytest

from driftcheck.sources.yaml_tree import MAX_DEPTH, MAX_NODES, DocumentError, Node, limits, load_file, load_text


def _error(text: str, file: str = "t.yaml") -> DocumentError:
    with pytest.raises(DocumentError) as caught:
        load_text(text, file)
    return caught.value


# --- line numbers ---------------------------------------------------------------------------------

BLOCK = """\
# a comment
Name: web
Settings:
  Size: 3
  Tags:
    - one
    - two
Empty:
Last: x
"""


def test_block_yaml_lines_of_keys_and_values() -> None:
    doc = load_text(BLOCK, "p.yaml")
    root = doc.root
    assert doc.format == "yaml"
    assert dict(root.key_lines) == {"Name": 2, "Settings": 3, "Empty": 8, "Last": 9}
    assert root.get("Name").line == 2
    settings = root.get("Settings")
    assert settings.line == 4  # a block mapping value starts at its first content line
    assert dict(settings.key_lines) == {"Size": 4, "Tags": 5}
    tags = settings.get("Tags")
    assert tags.line == 6
    assert [item.line for item in tags.value] == [6, 7]
    assert root.get("Empty").value is None
    assert root.key_location("Last").line == 9
    assert root.get("Last").location.file == "p.yaml"


def test_flow_yaml_lines() -> None:
    text = "root: {a: 1,\n  b: [x,\n    y],\n  c: z}\n"
    root = load_text(text, "f.yaml").root.get("root")
    assert root.line == 1
    assert dict(root.key_lines) == {"a": 1, "b": 2, "c": 4}
    assert [item.line for item in root.get("b").value] == [2, 3]


def test_crlf_cr_and_lf_give_same_lines() -> None:
    lf = "a: 1\nb:\n  c: |\n    text\n    more\n  d: 2\n"
    for text in (lf.replace("\n", "\r\n"), lf.replace("\n", "\r")):
        other = load_text(text, "x.yaml").root
        assert other == load_text(lf, "x.yaml").root
        assert other.get("b").key_lines["d"] == 6
        assert other.get("b").get("c").value == "text\nmore\n"


@pytest.mark.parametrize("newline", ["\r\n", "\r", "\n"])
def test_crlf_and_cr_json_lines(newline: str) -> None:
    text = '{\n  "a": 1,\n  "b": [\n    2\n  ]\n}\n'.replace("\n", newline)
    root = load_text(text, "x.json").root
    assert dict(root.key_lines) == {"a": 2, "b": 3}
    assert root.get("b").value[0].line == 4
    assert _error(text.replace("2", "2 3"), "x.json").location.line == 4


def test_bom_is_ignored_in_text_and_file(tmp_path) -> None:
    assert load_text("\ufeffa: 1\nb: 2\n", "x.yaml").root.key_lines["b"] == 2
    path = tmp_path / "bom.json"
    path.write_bytes(b'\xef\xbb\xbf{\n"a": 1}')
    doc = load_file(path)
    assert doc.format == "json"
    assert doc.root.key_lines["a"] == 2
    assert doc.file == str(path)


def test_load_file_uses_shown_name(tmp_path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("a: [1, 1\n", encoding="utf-8")
    with pytest.raises(DocumentError) as caught:
        load_file(path, shown="templates/t.yaml")
    assert caught.value.location.file == "templates/t.yaml"


# --- scalars --------------------------------------------------------------------------------------


def test_plain_scalars_keep_raw_text() -> None:
    root = load_text(
        "octal: 0123\ndate: 2010-09-09\nyes_: yes\ntrue_: true\nsci: 1e3\nfloat: 1.5\nquoted: '0123'\nname: web\n",
        "x.yaml",
    ).root
    assert root.get("octal").value == 83 and root.get("octal").raw == "0123"
    assert root.get("date").value == datetime.date(2010, 9, 9) and root.get("date").raw == "2010-09-09"
    assert root.get("yes_").value is True and root.get("yes_").raw == "yes"
    assert root.get("true_").value is True and root.get("true_").raw == "true"
    assert root.get("sci").value == "1e3" and root.get("sci").raw == "1e3"  # YAML 1.1: no float without a dot
    assert root.get("float").value == 1.5 and root.get("float").raw == "1.5"
    assert root.get("quoted").value == "0123" and root.get("quoted").raw is None
    assert root.get("name").text() == "web"
    assert root.get("octal").text() == "0123"


def test_timestamp_with_time_is_datetime() -> None:
    value = load_text("at: 2024-01-02T03:04:05Z\n", "x.yaml").root.get("at").value
    assert isinstance(value, datetime.datetime) and value.year == 2024 and value.hour == 3


def test_block_scalar_has_no_raw() -> None:
    node = load_text("s: |\n  0123\n", "x.yaml").root.get("s")
    assert node.value == "0123\n" and node.raw is None


def test_collections_are_read_only() -> None:
    root = load_text("m: {a: 1}\ns: [1, 2]\n", "x.yaml").root
    assert isinstance(root.value, MappingProxyType)
    assert isinstance(root.get("m").value, MappingProxyType)
    assert isinstance(root.get("s").value, tuple)
    assert isinstance(root.key_lines, MappingProxyType)


def test_keys_are_text_as_written() -> None:
    root = load_text("80: x\n0123: y\n'quoted': z\ntrue: t\n2010-09-09: d\n", "x.yaml").root
    assert list(root.value) == ["80", "0123", "quoted", "true", "2010-09-09"]


def test_merge_key_is_an_ordinary_key() -> None:
    root = load_text("base: &b {x: 1}\nchild:\n  <<: *b\n  y: 2\n", "x.yaml").root
    assert root.get("child").plain() == {"<<": {"x": 1}, "y": 2}


def test_alias_value_is_the_anchored_value() -> None:
    root = load_text("a: &v [1, 2]\nb: *v\n", "x.yaml").root
    assert root.get("b").plain() == [1, 2]


def test_standard_tags_behave_like_safe_loader() -> None:
    root = load_text("a: !!str 0123\nb: !!int '42'\nc: !!float 1e3\n", "x.yaml").root
    assert root.get("a").value == "0123"
    assert root.get("b").value == 42
    assert root.get("c").value == 1000.0
    assert root.get("a").tag is None


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("a: 1\nb: !!int abc\n", 2, 'invalid !!int value "abc"'),
        ("a: !!str [x]\n", 1, "expected a scalar node, but found sequence"),
        ("a: 1\nb: !<tag:example.com,2000:x> y\n", 2, "could not determine a constructor"),
    ],
)
def test_bad_standard_tags(text: str, line: int, fragment: str) -> None:
    error = _error(text)
    assert fragment in error.message
    assert error.location.line == line


# --- CloudFormation short forms -------------------------------------------------------------------

ALL_SHORT_FORMS = {
    "!Ref": "Ref",
    "!Condition": "Condition",
    **{
        "!" + name: "Fn::" + name
        for name in (
            "GetAtt", "Sub", "Join", "Select", "Split", "FindInMap", "If", "Equals", "And", "Or", "Not",
            "ImportValue", "Base64", "Cidr", "GetAZs", "Transform", "ToJsonString", "Length", "ForEach",
        )
    },
}


@pytest.mark.parametrize(("tag", "long_name"), sorted(ALL_SHORT_FORMS.items()))
def test_every_short_form_converts(tag: str, long_name: str) -> None:
    text = f"a: {tag} Value\nb: {tag} [x, y]\nc:\n  {tag}\n  k: v\n"
    doc = load_text(text, "t.yaml")
    root = doc.root
    assert root.get("a").plain() == {long_name: "Value"}
    assert root.get("b").plain() == {long_name: ["x", "y"]}
    assert root.get("c").plain() == {long_name: {"k": "v"}}
    assert root.get("a").line == 1 and dict(root.get("a").key_lines) == {long_name: 1}
    assert root.get("b").get(long_name).is_sequence()
    assert doc.unknown_tags == ()
    assert root.get("a").tag is None


def test_short_form_lines_in_block_sequence() -> None:
    text = "Value: !If\n  - IsProd\n  - !Ref A\n  - !Ref B\n"
    node = load_text(text, "t.yaml").root.get("Value")
    assert node.line == 1
    items = node.get("Fn::If").value
    assert [item.line for item in items] == [2, 3, 4]
    assert items[1].key_lines["Ref"] == 3


def test_get_att_forms() -> None:
    root = load_text("a: !GetAtt Role.Arn\nb: !GetAtt [Role, Arn]\n", "t.yaml").root
    assert root.get("a").plain() == {"Fn::GetAtt": "Role.Arn"}
    assert root.get("b").plain() == {"Fn::GetAtt": ["Role", "Arn"]}


def test_long_forms_are_left_as_written() -> None:
    text = "a:\n  Fn::GetAtt: [X, Arn]\nb:\n  Ref: X\nc: {'Fn::Sub': '${A}'}\n"
    root = load_text(text, "t.yaml").root
    assert root.plain() == {"a": {"Fn::GetAtt": ["X", "Arn"]}, "b": {"Ref": "X"}, "c": {"Fn::Sub": "${A}"}}
    assert root.get("a").key_lines["Fn::GetAtt"] == 2


def test_nested_short_forms() -> None:
    text = "v: !If [IsProd, !Join ['-', [!Sub '${AWS::StackName}', !Ref Env]], !Ref AWS::NoValue]\n"
    value = load_text(text, "t.yaml").root.get("v").plain()
    assert value == {
        "Fn::If": [
            "IsProd",
            {"Fn::Join": ["-", [{"Fn::Sub": "${AWS::StackName}"}, {"Ref": "Env"}]]},
            {"Ref": "AWS::NoValue"},
        ]
    }


def test_short_form_scalar_is_resolved_normally() -> None:
    root = load_text("a: !Ref 0123\nb: !GetAZs ''\nc: !Base64\n", "t.yaml").root
    ref = root.get("a").get("Ref")
    assert ref.raw == "0123" and ref.value == 83
    assert root.get("b").plain() == {"Fn::GetAZs": ""}
    assert root.get("c").plain() == {"Fn::Base64": None}


def test_short_form_key_is_refused() -> None:
    error = _error("a: 1\n!Ref b: 2\n")
    assert error.location.line == 2
    assert "!Ref" in error.message


# --- unknown local tags ---------------------------------------------------------------------------


def test_unknown_tags_are_kept_and_listed() -> None:
    text = "job:\n  script:\n    - !reference [.setup, script]\n    - echo hi\npassword: !vault |\n  secret\nport: !Foo 80\n"
    doc = load_text(text, ".gitlab-ci.yml")
    assert doc.unknown_tags == (("!reference", 3), ("!vault", 5), ("!Foo", 7))
    reference = doc.root.get("job").get("script").value[0]
    assert reference.tag == "!reference"
    assert reference.plain() == [".setup", "script"]
    assert doc.root.get("password").tag == "!vault" and doc.root.get("password").value == "secret\n"
    port = doc.root.get("port")
    assert port.tag == "!Foo" and port.value == 80 and port.raw == "80"


# --- duplicate and non-scalar keys ----------------------------------------------------------------


def _strict_error(text: str, file: str = "t.yaml") -> DocumentError:
    document = load_text(text, file)
    with pytest.raises(DocumentError) as info:
        document.refuse_duplicate_keys()
    return info.value


def test_duplicate_key_yaml() -> None:
    document = load_text("Resources:\n  A: 1\nx: 2\n\nResources: 3\n", "t.yaml")
    assert document.root.plain() == {"Resources": 3, "x": 2}  # the last one wins, as in CloudFormation
    assert document.root.key_lines["Resources"] == 5
    [duplicate] = document.duplicate_keys
    assert (duplicate.key, duplicate.lines, duplicate.line) == ("Resources", (1, 5), 5)
    assert duplicate.mapping is document.root
    error = _strict_error("Resources:\n  A: 1\nx: 2\n\nResources: 3\n")
    assert error.message == 'duplicate key "Resources" (first at line 1)'
    assert error.location.line == 5
    assert error.location.file == "t.yaml"


def test_duplicate_key_yaml_nested_flow() -> None:
    document = load_text("top:\n  inner: {Name: a,\n    Name: b}\n", "t.yaml")
    assert document.root.plain() == {"top": {"inner": {"Name": "b"}}}
    [duplicate] = document.duplicate_keys
    assert duplicate.mapping is document.root.get("top").get("inner")
    error = _strict_error("top:\n  inner: {Name: a,\n    Name: b}\n")
    assert error.message == 'duplicate key "Name" (first at line 2)'
    assert error.location.line == 3


def test_duplicate_key_json() -> None:
    text = '{\n  "a": {\n    "Name": 1,\n    "x": 2,\n    "Name": 3\n  }\n}\n'
    document = load_text(text, "t.json")
    assert document.root.plain() == {"a": {"Name": 3, "x": 2}}
    assert document.root.get("a").key_lines["Name"] == 5
    error = _strict_error(text, "t.json")
    assert error.message == 'duplicate key "Name" (first at line 3)'
    assert error.location.line == 5


def test_duplicate_keys_are_listed_in_file_order_with_every_line() -> None:
    # JSON completes inner objects first; the list is still in the order the repeats are written
    text = '{\n  "a": 1,\n  "a": {\n    "b": 1,\n    "b": 2,\n    "b": 3\n  }\n}\n'
    document = load_text(text, "t.json")
    assert [(d.key, d.lines) for d in document.duplicate_keys] == [("a", (2, 3)), ("b", (4, 5, 6))]
    assert _strict_error(text, "t.json").location.line == 3


def test_no_duplicate_keys_refuses_nothing() -> None:
    document = load_text("a: 1\nb: {a: 2}\n", "t.yaml")
    assert document.duplicate_keys == ()
    document.refuse_duplicate_keys()


@pytest.mark.parametrize("text", ["? [a, b]\n: 1\n", "x:\n  ? {a: 1}\n  : 2\n"])
def test_non_scalar_keys_are_refused(text: str) -> None:
    error = _error(text)
    assert error.message.startswith("a mapping key must be a scalar")
    assert error.location.line == text.count("\n", 0, text.index("?")) + 1


# --- malformed input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("a: 1\nb: c: d\n", 2, "malformed YAML: mapping values are not allowed here"),
        ("a: 1\nb:\n\t- x\n", 3, "malformed YAML: found character '\\t' that cannot start any token"),
        ("a:\n  b: 1\n c: 2\n", 3, "malformed YAML: expected <block end>, but found '<block mapping start>'"),
        ("a: 1\nb: [1, 2\n", 3, "malformed YAML: expected ',' or ']', but got '<stream end>'"),
        ("a: 1\nb: 'open\n", 3, "malformed YAML: found unexpected end of stream"),
        ("a: 1\nb: \x01\n", 2, "malformed YAML: unacceptable character #x0001: special characters are not allowed"),
        ("a: *nothing\n", 1, 'alias "*nothing" refers to no anchor defined before it'),
    ],
)
def test_malformed_yaml(text: str, line: int, message: str) -> None:
    error = _error(text)
    assert error.message == message
    assert error.location.line == line


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ('{\n  "a": 1\n  "b": 2\n}', 3, "malformed JSON: Expecting ',' delimiter"),
        ('{\n  "a": 1,\n}', 3, "malformed JSON: Expecting property name enclosed in double quotes"),
        ('[1,\n 2]\nextra', 3, "malformed JSON: Extra data"),
        ('{"a":\n  }', 2, "malformed JSON: Expecting value"),
        ('{"a":\n  NaN}', 2, "malformed JSON: NaN and Infinity are not JSON values"),
        ('{"a": "x\n"}', 1, "malformed JSON: Invalid control character"),
        ('[\n"unterminated]', 2, "malformed JSON: Unterminated string starting"),
    ],
)
def test_malformed_json(text: str, line: int, message: str) -> None:
    error = _error(text, "t.json")
    assert error.message == message
    assert error.location.line == line
    assert "\n" not in error.message


def test_multiple_documents() -> None:
    error = _error("a: 1\n---\nb: 2\n---\nc: 3\n")
    assert error.message == "holds 3 YAML documents; expected one"
    assert error.location.line == 2


def test_explicit_single_document_is_fine() -> None:
    assert load_text("---\na: 1\n...\n", "x.yaml").root.plain() == {"a": 1}


# --- bounds ---------------------------------------------------------------------------------------

BILLION_LAUGHS = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def test_billion_laughs_is_refused() -> None:
    error = _error(BILLION_LAUGHS)
    assert error.message == f"aliases expand to more than {MAX_NODES} values (possible alias bomb)"
    assert error.location.line == 6  # 9**6 lols first passes the limit in f


def test_moderate_aliases_are_allowed() -> None:
    root = load_text("\n".join(BILLION_LAUGHS.splitlines()[:3]) + "\n", "x.yaml").root
    assert root.get("c").plain() == [[["lol"] * 9] * 9] * 9


def test_recursive_alias_is_refused() -> None:
    error = _error("a: &x [1, *x]\n")
    assert "recursive" in error.message
    assert error.location.line == 1


def test_deep_yaml_is_refused_without_recursion_error() -> None:
    error = _error("a: 1\nb: " + "[" * 100_000)
    assert error.message == f"nesting deeper than {MAX_DEPTH} levels"
    assert error.location.line == 2


def test_deep_block_yaml_is_refused() -> None:
    text = "".join("  " * level + f"k{level}:\n" for level in range(MAX_DEPTH + 1)) + "  " * (MAX_DEPTH + 1) + "v: 1\n"
    error = _error(text)
    assert error.message == f"nesting deeper than {MAX_DEPTH} levels"
    assert error.location.line == MAX_DEPTH + 1


def test_deep_json_is_refused_without_recursion_error() -> None:
    error = _error("\n" + "[" * 100_000, "t.json")
    assert error.message == f"nesting deeper than {MAX_DEPTH} levels"
    assert error.location.line == 2


def test_brackets_inside_json_strings_do_not_count() -> None:
    text = '{"a": "' + "[" * 500 + '\\"' + "{" * 500 + '"}'
    assert load_text(text, "t.json").root.get("a").value == "[" * 500 + '"' + "{" * 500


@pytest.mark.parametrize(("prefix", "format_"), [("", "json"), ("--- ", "yaml")])
def test_exactly_max_depth_is_allowed(prefix: str, format_: str) -> None:
    doc = load_text(prefix + "[" * MAX_DEPTH + "1" + "]" * MAX_DEPTH, "t")
    assert doc.format == format_
    node = doc.root
    for _ in range(MAX_DEPTH):
        node = node.value[0]
    assert node.value == 1
    error = _error(prefix + "[" * (MAX_DEPTH + 1) + "1" + "]" * (MAX_DEPTH + 1), "t")
    assert error.message == f"nesting deeper than {MAX_DEPTH} levels"


def test_exactly_max_depth_block_yaml_is_allowed() -> None:
    assert load_text("- " * MAX_DEPTH + "x\n", "x.yaml").root.is_sequence()
    assert _error("- " * (MAX_DEPTH + 1) + "x\n").message == f"nesting deeper than {MAX_DEPTH} levels"


def test_alias_that_nests_too_deep_is_refused() -> None:
    half = MAX_DEPTH // 2 + 1
    text = "a: &deep " + "[" * half + "]" * half + "\nb: " + "[" * half + "*deep" + "]" * half + "\n"
    assert _error(text).message.startswith(f"nesting deeper than {MAX_DEPTH} levels")


# --- empty and files ------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   \n\n", "# only a comment\n", "\ufeff"])
def test_empty_file_is_null_root(text: str) -> None:
    doc = load_text(text, "e.yaml")
    assert doc.format == "yaml"
    assert doc.root == Node(None, 1, "e.yaml")


def test_non_utf8_bytes(tmp_path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"a: 1\r\nb: 2\r\nc: caf\xe9\r\n")
    with pytest.raises(DocumentError) as caught:
        load_file(path, "latin1.yaml")
    assert caught.value.location.line == 3
    assert caught.value.message == "not UTF-8 text: byte 0xe9 at offset 18 cannot be decoded"


def test_oversize_file_is_refused(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(limits, "MAX_FILE_BYTES", 10)
    path = tmp_path / "big.yaml"
    path.write_text("a: 1234567890\n", encoding="utf-8")
    with pytest.raises(DocumentError) as caught:
        load_file(path)
    assert caught.value.message == "file is larger than 10 bytes; refusing to load it"
    path.write_text("a: 1\n", encoding="utf-8")
    assert load_file(path).root.plain() == {"a": 1}


def test_unreadable_file(tmp_path) -> None:
    with pytest.raises(DocumentError) as caught:
        load_file(tmp_path / "missing.yaml", "missing.yaml")
    assert caught.value.message.startswith("cannot read file: ")
    assert caught.value.location.file == "missing.yaml"


# --- JSON specifics -------------------------------------------------------------------------------


def test_json_values_and_lines() -> None:
    text = '{\n  "Resources": {\n    "R": {"Type": "AWS::X",\n      "Count": 3, "On": true, "Off": null, "F": 1.5}\n  },\n  "L": [1,\n    "two"]\n}\n'
    doc = load_text(text, "t.json")
    assert doc.format == "json" and doc.unknown_tags == ()
    root = doc.root
    assert root.line == 1
    r = root.get("Resources").get("R")
    assert r.line == 3
    assert dict(r.key_lines) == {"Type": 3, "Count": 4, "On": 4, "Off": 4, "F": 4}
    assert r.plain() == {"Type": "AWS::X", "Count": 3, "On": True, "Off": None, "F": 1.5}
    assert all(child.raw is None for child in r.value.values())
    assert [item.line for item in root.get("L").value] == [6, 7]
    assert isinstance(root.value, MappingProxyType) and isinstance(root.get("L").value, tuple)


def test_json_key_lines_with_odd_spacing_and_escapes() -> None:
    text = '{"a\\"b"\n\n  :\n 1,\n  "c\\\\"   :   "x",\n\t"d\\":\\"" :\n[2]}'
    root = load_text(text, "t.json").root
    assert list(root.value) == ['a"b', "c\\", 'd":"']
    assert dict(root.key_lines) == {'a"b': 1, "c\\": 5, 'd":"': 6}
    assert root.get('a"b').line == 4
    assert root.get('d":"').line == 7


def test_json_with_tab_indentation() -> None:
    text = '{\n\t"a": {\n\t\t"b":\t[\n\t\t\t1\n\t\t]\n\t}\n}\n'
    root = load_text(text, "t.json").root
    assert root.get("a").key_lines["b"] == 3
    assert root.get("a").get("b").value[0].line == 4


def test_json_is_chosen_by_first_character() -> None:
    assert load_text("  \n [1, 2]", "x.yaml").format == "json"
    assert load_text("a: [1]", "x.json").format == "yaml"
    assert load_text("\ufeff{}", "x").format == "json"


@pytest.mark.parametrize("libyaml", [True, False], ids=["libyaml", "pure-python"])
def test_bounds_and_messages_are_the_same_with_and_without_libyaml(monkeypatch, libyaml: bool) -> None:
    """The bounds pass uses libyaml's C parser when PyYAML has it; the answers must not depend on that."""
    import yaml

    if not libyaml:
        monkeypatch.delattr(yaml, "CSafeLoader", raising=False)
    elif not hasattr(yaml, "CSafeLoader"):
        pytest.skip("this PyYAML has no libyaml")
    bomb = _error(BILLION_LAUGHS)
    assert (bomb.message, bomb.location.line) == (f"aliases expand to more than {MAX_NODES} values (possible alias bomb)", 6)
    deep = _error("a: 1\nb: " + "[" * 100_000)
    assert (deep.message, deep.location.line) == (f"nesting deeper than {MAX_DEPTH} levels", 2)
    two = _error("a: 1\n---\nb: 2\n")
    assert (two.message, two.location.line) == ("holds 2 YAML documents; expected one", 2)
    broken = _error("a: 1\nb: c: d\n")
    assert (broken.message, broken.location.line) == ("malformed YAML: mapping values are not allowed here", 2)
    assert load_text("a: [1, 2]\n", "x.yaml").root.get("a").plain() == [1, 2]

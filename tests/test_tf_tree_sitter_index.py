"""The syntax index from tree-sitter-hcl: node for node the index python-hcl2's walk builds, on every construct the
index reads and on every Terraform file the project ships; files tree-sitter finds an error in go to python-hcl2,
whose verdict (an index or the syntax error it always gave) stands."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from driftcheck.errors import SourceError
from driftcheck.sources.terraform import hcl2_index, syntax, tree_sitter_index
from tests.test_tf_hcl_parser import CONSTRUCTS

ROOT = Path(__file__).resolve().parents[1]

MORE = {
    "a binary operation ends with the comments and blank lines after it (python-hcl2's tokens)": """
        variable "size" {
          validation {
            condition     = var.size < 5 # small


            error_message = "too big"
          }
        }
        locals {
          sum  = var.a + var.b
          obj  = { total = var.a * 2
                   other = 1 }
          pick = var.x ? var.a : var.b + 1
        }
        """,
    "heredocs: trimmed, indented marker, interpolations, CRLF line ends": (
        'locals {\r\n  a = <<EOT\r\nhi ${var.x}\r\nEOT\r\n  b = <<-EOT\r\n    ${local.y} %{ for v in var.l }${v}%{ endfor }\r\n    EOT\r\n}\r\n'
    ),
    "traversals: splats with indexes after them, legacy indexes, parentheses, provider functions": """
        locals {
          a = x[*][var.y]
          b = f(var.f)[*].a[var.q]
          c = aws_instance.web.*.id
          d = aws_instance.web.0.id
          e = (var.p).q
          f = provider::aws::arn_parse(var.z).region
          g = module.m.out[each.key][count.index]
          h = data.aws_ami.a.tags["Name"]
          i = local.m[-1]
          j = f(var.l...)
        }
        """,
    "for expressions hide their names, templates and directives": """
        locals {
          a = [for k, v in var.m : { key = k, val = v.x } if k != each.key]
          b = { for i in var.l : i => [for j in i.items : j.name]... }
          c = "$${var.not_a_reference} \\"q\\" ${var.y}-%{ if var.c }y%{ else }n%{ endif }"
          d = "%{ for v in var.l }${v.name}%{ endfor }"
          e = uuid()
          f = bcrypt(var.password)
        }
        """,
    "object keys: names, quoted, expressions, nested objects": """
        locals {
          tags = { Name = "a", "x.y" = "b", (var.k) = "c", "${var.t}" = "d" }
          deep = { b = { c = var.x, d = [var.y] }, e = {} }
        }
        """,
    "keywords as names, one-line blocks, comments everywhere": """
        x {
          in = 1
        }
        in {
          a = 1 // trailing
        }
        y { a = 1 }
        /* a block comment
           over lines */
        """,
    "dynamic blocks with iterators at every depth": """
        resource "aws_imagebuilder_image_pipeline" "p" {
          name = "n"
          dynamic "schedule" {
            for_each = var.s
            iterator = it
            content {
              schedule_expression = it.value
              dynamic "inner" {
                for_each = it.value.list
                content { v = inner.value }
              }
            }
          }
        }
        """,
    "text outside ASCII in strings and comments (character offsets, not bytes)": """
        # déjà vu ✓
        locals {
          a = "→ ${var.plain_name}"
          b = "日本語" # ü
          c = var.x + 1
        }
        resource "aws_imagebuilder_image_pipeline" "p" {
          description = "Überprüfung"
          name        = var.name
        }
        """,
}


def _both(text: str):
    return tree_sitter_index.file_index(text, "main.tf"), hcl2_index.file_index(text, "main.tf")


@pytest.mark.parametrize("name", [*CONSTRUCTS, *MORE])
def test_the_index_is_python_hcl2s_node_for_node(name):
    text = textwrap.dedent({**CONSTRUCTS, **MORE}[name])
    fast, reference = _both(text)
    assert fast is not None, "tree-sitter found an error in a valid file"
    assert fast == reference
    assert fast.blocks, "nothing indexed"


def test_every_shipped_terraform_file_is_indexed_the_same():
    files = sorted({*ROOT.joinpath("fixtures").rglob("*.tf"), *ROOT.joinpath("tests").rglob("*.tf"), *ROOT.joinpath("examples").rglob("*.tf")})
    assert len(files) >= 5
    compared = 0
    for path in files:
        text = path.read_text(encoding="utf-8")
        fast = tree_sitter_index.file_index(text, str(path))
        try:
            reference = hcl2_index.file_index(text, str(path))
        except Exception:  # python-hcl2 refuses it (a test's broken input): nothing to compare with
            continue
        if fast is not None:
            assert fast == reference, path
            compared += 1
    assert compared >= 5


def test_expression_text_is_the_files_text_at_its_span():
    text = textwrap.dedent(MORE["text outside ASCII in strings and comments (character offsets, not bytes)"])
    index = tree_sitter_index.file_index(text, "main.tf")
    attributes = {name: expr for block in index.blocks for name, expr in block.attributes.items()}
    assert attributes["b"].text == '"日本語"'
    assert attributes["description"].text == '"Überprüfung"'
    assert attributes["name"].line == 10
    start, end = attributes["name"].value_span
    assert text[start:end] == "var.name"
    assert [str(r) for r in attributes["name"].references] == ["var.name"]


def test_a_file_tree_sitter_refuses_is_indexed_by_python_hcl2():
    text = "locals {\n  m = { for = 1 }\n  n = var.n\n}\n"  # a key python-hcl2 reads and tree-sitter-hcl does not
    assert tree_sitter_index.file_index(text, "main.tf") is None
    index = syntax.index_file(Path("main.tf"), "main.tf", text)
    assert index == hcl2_index.file_index(text, "main.tf")
    assert [str(r) for r in index.blocks[0].attributes["n"].references] == ["var.n"]


def test_a_syntax_error_is_python_hcl2s_with_its_line():
    text = 'resource "aws_imagebuilder_image_pipeline" "p" {\n  name = "a"\n  status = \n}\n'
    assert tree_sitter_index.file_index(text, "main.tf") is None
    with pytest.raises(SourceError) as caught:
        syntax.index_file(Path("main.tf"), "dir/main.tf", text)
    assert caught.value.location.file == "dir/main.tf" and caught.value.location.line == 3
    assert caught.value.message.startswith("HCL syntax error: ")


def test_without_tree_sitter_python_hcl2_indexes_everything(monkeypatch):
    def unavailable():
        raise tree_sitter_index.ParserUnavailable("grammar built for another ABI")

    monkeypatch.setattr(tree_sitter_index, "_parser", unavailable)
    text = textwrap.dedent(CONSTRUCTS["references, splats, indexes and for expressions"])
    assert syntax.index_file(Path("main.tf"), "main.tf", text) == hcl2_index.file_index(text, "main.tf")

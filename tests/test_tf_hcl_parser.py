"""The syntax index's parser: python-hcl2's grammar without Lark's position propagation.

Its trees and the positions read off their tokens must be exactly what ``hcl2.parses_to_tree`` gives
(the line and character span of every node), on every construct the index reads; its cache must never
be needed for a correct parse.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import hcl2
import pytest
from lark.exceptions import LarkError

from driftcheck.sources.terraform import hcl_parser

CONSTRUCTS = {
    "literal blocks": """
        resource "aws_imagebuilder_image_pipeline" "p" {
          name   = "fleet-app"
          status = "ENABLED"
          schedule {
            schedule_expression = "cron(0 1 * * ? *)"
          }
          tags = { Team = "a", "x.y" = "b" }
        }
        """,
    "references, splats, indexes and for expressions": """
        locals {
          names = [for k, v in var.pipelines : "${k}-${v.name}" if v.enabled]
          arns  = aws_imagebuilder_image_recipe.r[*].arn
          first = module.m.out["key"][0].id
          map   = { for p in data.aws_x.y.items : p.id => p }
        }
        """,
    "a newline before an operator (python-hcl2's post-lexer)": """
        locals {
          long = (
            var.a
            + var.b
            * 2
          )
          pick = var.enabled
            ? "yes"
            : "no"
        }
        """,
    "heredocs, templates and comments": """
        # a comment
        resource "aws_imagebuilder_image_pipeline" "p" { // another
          description = <<-EOT
            Built for ${var.team} %{ if var.x }x%{ endif }
          EOT
          /* block
             comment */
          name = "a-${local.suffix}"
        }
        """,
    "dynamic blocks, functions and conditionals": """
        resource "aws_imagebuilder_image_pipeline" "p" {
          name = lower(format("%s-%s", var.a, timestamp()))
          dynamic "schedule" {
            for_each = var.cron == null ? [] : [var.cron]
            iterator = s
            content {
              schedule_expression = s.value
            }
          }
          count = length(var.x) > 0 ? 1 : 0
        }
        """,
    "empty bodies and objects": """
        terraform {}
        locals {
          empty = {}
          list  = []
        }
        """,
}


def positions(tree, reference: bool):
    out = []
    for node in tree.iter_subtrees():
        if reference:
            out.append((node.data, None if node.meta.empty else (node.meta.line, node.meta.start_pos, node.meta.end_pos)))
        else:
            where = hcl_parser.position(node)
            out.append((node.data, None if where is None else (where.line, where.start, where.end)))
    return out


@pytest.mark.parametrize("name", list(CONSTRUCTS))
def test_tree_and_positions_are_python_hcl2s(name):
    text = textwrap.dedent(CONSTRUCTS[name])
    ours = hcl_parser.parse(text)
    theirs = hcl2.parses_to_tree(text)
    assert ours == theirs  # the same tree: the same grammar and post-lexer
    assert positions(ours, reference=False) == positions(theirs, reference=True)


def test_positions_on_the_shipped_terraform_are_python_hcl2s():
    root = Path(__file__).resolve().parents[1]
    files = sorted(p for p in (root / "fixtures").rglob("*.tf"))
    assert files
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert positions(hcl_parser.parse(text), False) == positions(hcl2.parses_to_tree(text), True), path


def test_a_syntax_error_is_larks_as_before():
    with pytest.raises(LarkError) as ours:
        hcl_parser.parse('resource "a" "b" {\n  name = \n}\n')
    with pytest.raises(LarkError) as theirs:
        hcl2.parses_to_tree('resource "a" "b" {\n  name = \n}\n')
    assert type(ours.value) is type(theirs.value)
    assert getattr(ours.value, "line", None) == getattr(theirs.value, "line", None) == 2


PROBE = """
import sys
from pathlib import Path
from driftcheck.sources.terraform import hcl_parser
hcl_parser.TABLES = Path(sys.argv[1])
print(hcl_parser.parse('a = 1').data)
"""


def _probe(tables: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", PROBE, str(tables)], capture_output=True, text=True, timeout=120)


def test_the_parser_tables_are_kept_beside_the_code_and_a_damaged_file_is_rebuilt(tmp_path):
    assert hcl_parser.TABLES.parent == Path(hcl_parser.__file__).resolve().parent  # never the user's cache: a pickle
    tables = tmp_path / "tables"
    first = _probe(tables)
    assert (first.returncode, first.stdout.strip(), first.stderr) == (0, "start", "")
    assert tables.stat().st_size > 0
    tables.write_bytes(b"not a parser\n" + os.urandom(64))
    damaged = _probe(tables)
    assert (damaged.returncode, damaged.stdout.strip(), damaged.stderr) == (0, "start", "")


def test_an_unwritable_place_for_the_tables_only_costs_time(tmp_path):
    blocked = tmp_path / "file-not-directory"
    blocked.write_text("")
    run = _probe(blocked / "tables")
    assert (run.returncode, run.stdout.strip(), run.stderr) == (0, "start", "")
    assert not (blocked / "tables").exists()

"""A large for_each evaluated in chunks (and in batches of evaluations) gives exactly what one evaluation gives:
the same addresses, values, file:line and errors. Each case runs the CLI with chunking off
(DRIFTCHECK_TF_FOR_EACH_CHUNK=0) and with tiny chunks and batches, and compares the whole JSON reports."""

from __future__ import annotations

import json
import logging
from pathlib import Path


import threading
import time

from driftcheck.sources.terraform import chunks, evaluate
from driftcheck.sources.terraform.chunks import Chunking, hcl_literal, parallel_batch_limit, slices
from tests.tf_helpers import INFRA, RECIPE, live_response

CHUNKS_LOGGER = "driftcheck.sources.terraform.chunks"


def _comparable(report: dict) -> dict:
    """The report without what differs between two runs of the same check (timing, the run's own context)."""
    out = {k: v for k, v in report.items() if k not in ("generated_at", "run", "duration_seconds")}
    return json.loads(json.dumps(out).replace(str(Path.cwd()), "CWD"))


def _both(cli, monkeypatch, caplog, args: list[str], chunk: int = 2, batch: int = 3) -> tuple[dict, dict, str]:
    """The report unchunked, then chunked (chunk entries per copy, batch instances per evaluation), and the log."""
    monkeypatch.setenv("DRIFTCHECK_TF_FOR_EACH_CHUNK", "0")
    plain = cli("check", *args)
    assert plain.report is not None, plain.stderr
    monkeypatch.setenv("DRIFTCHECK_TF_FOR_EACH_CHUNK", str(chunk))
    monkeypatch.setenv("DRIFTCHECK_TF_FOR_EACH_BATCH", str(batch))
    with caplog.at_level(logging.INFO, logger=CHUNKS_LOGGER):
        chunked = cli("check", *args)
    assert chunked.exit_code == plain.exit_code, (plain.stderr, chunked.stderr)
    # at INFO the CLI prints the chunking lines on stderr; nothing else differs
    log = [line for line in chunked.stderr.splitlines() if " chunks" in line]
    assert [line for line in chunked.stderr.splitlines() if line not in log] == plain.stderr.splitlines()
    return _comparable(plain.report), _comparable(chunked.report), "\n".join(log)


OBJECTS = f'''
variable "recipe" {{
  default = "{RECIPE}"
}}
locals {{
  prefix = "acme"
  apps = {{
    "a b" = {{ cron = "cron(0 1 * * ? *)", team = "x", n = 3, on = true, tags = {{ Cost = "1" }}, list = ["p", "q"] }}
    "c-d" = {{ cron = "cron(0 2 * * ? *)", team = "y", n = 4.5, on = false, tags = {{ Z = "z" }}, list = ["u"] }}
    "e\\"f" = {{ cron = "cron(0 3 * * ? *)", team = "z$${{x}}", n = 0, on = true, tags = {{ "k.1" = "v\\n2" }}, list = ["r"] }}
    "gé" = {{ cron = "cron(0 4 * * ? *)", team = "v", n = -1, on = true, tags = {{ A = "%%{{x}}" }}, list = ["s", "t"] }}
    h = {{ cron = "cron(0 5 * * ? *)", team = "w", n = 7, on = true, tags = {{ B = "b" }}, list = ["u"] }}
  }}
}}
resource "aws_imagebuilder_image_pipeline" "p" {{
  for_each = local.apps
  name        = "${{local.prefix}}-${{each.key}}"
  description = "team ${{each.value.team}} n=${{each.value.n}}"
  image_recipe_arn                 = var.recipe
  infrastructure_configuration_arn = "{INFRA}"
  enhanced_image_metadata_enabled  = each.value.on
  status = each.value.on ? "ENABLED" : "DISABLED"
  schedule {{
    schedule_expression = each.value.cron
  }}
  tags = merge(each.value.tags, {{ Name = each.key, L = join(",", each.value.list) }})
}}
'''


def test_each_value_objects_each_key_in_names_locals_and_vars_are_identical_in_chunks(cli, tmp_path, monkeypatch, caplog):
    (tmp_path / "main.tf").write_text(OBJECTS)
    live = tmp_path / "live"
    live_response(live, "acme-a b", description="team x n=3", schedule={"scheduleExpression": "cron(0 9 * * ? *)"})
    live_response(live, "acme-h", description="team w n=7", tags={"B": "b", "Name": "h", "L": "u"})
    plain, chunked, log = _both(cli, monkeypatch, caplog, [str(tmp_path), "--live", str(live), "--region", "us-east-1"])
    assert "for_each of 5 evaluated in 3 chunks" in log  # 2 x chunk + 1 entries: two full chunks and one of one
    assert chunked == plain
    ids = sorted(p["id"] for p in plain["pipelines"])
    assert ids == sorted(f'aws_imagebuilder_image_pipeline.p["{k}"]' for k in ("a b", "c-d", 'e\\"f', "gé", "h"))
    drifted = next(p for p in plain["pipelines"] if p["id"] == 'aws_imagebuilder_image_pipeline.p["a b"]')
    assert drifted["status"] == "drifted"
    assert any(d["path"] == "schedule.scheduleExpression" and d["declared"] == "cron(0 1 * * ? *)" for d in drifted["differences"])


DYNAMIC = f'''
variable "pipelines" {{
  type = map(object({{ cron = optional(string), tests = bool, timeout = optional(number, 60) }}))
  default = {{
    one   = {{ cron = "cron(0 1 * * ? *)", tests = true }}
    two   = {{ tests = false, timeout = 90 }}
    three = {{ cron = "cron(0 3 * * ? *)", tests = true, timeout = 120 }}
    four  = {{ tests = true }}
    five  = {{ cron = "rate(1 day)", tests = false }}
  }}
}}
resource "aws_imagebuilder_image_pipeline" "p" {{
  for_each = var.pipelines
  name = "dyn-${{each.key}}"
  image_recipe_arn                 = "{RECIPE}"
  infrastructure_configuration_arn = "{INFRA}"
  dynamic "schedule" {{
    for_each = each.value.cron == null ? [] : [each.value.cron]
    content {{
      schedule_expression = schedule.value
    }}
  }}
  image_tests_configuration {{
    image_tests_enabled = each.value.tests
    timeout_minutes     = each.value.timeout
  }}
  lifecycle {{
    ignore_changes = [tags]
  }}
}}
'''


def test_dynamic_blocks_optional_attributes_and_ignore_changes_are_identical_in_chunks(cli, tmp_path, monkeypatch, caplog):
    (tmp_path / "main.tf").write_text(DYNAMIC)
    live = tmp_path / "live"
    live_response(live, "dyn-one", schedule={"scheduleExpression": "cron(0 1 * * ? *)"}, tags={"Owner": "someone"},
                  imageTestsConfiguration={"imageTestsEnabled": True, "timeoutMinutes": 60})
    live_response(live, "dyn-two", imageTestsConfiguration={"imageTestsEnabled": True, "timeoutMinutes": 90})
    plain, chunked, log = _both(cli, monkeypatch, caplog, [str(tmp_path), "--live", str(live), "--region", "us-east-1"])
    assert "evaluated in 3 chunks" in log
    assert chunked == plain
    one = next(p for p in plain["pipelines"] if p["id"] == 'aws_imagebuilder_image_pipeline.p["one"]')
    assert one["status"] == "in_sync", one  # tags.Owner is ignored by lifecycle
    two = next(p for p in plain["pipelines"] if p["id"] == 'aws_imagebuilder_image_pipeline.p["two"]')
    assert [d["path"] for d in two["differences"]] == ["imageTestsConfiguration.imageTestsEnabled"]


def test_sets_in_a_module_with_several_instances_and_a_block_named_elsewhere(cli, tmp_path, monkeypatch, caplog):
    (tmp_path / "main.tf").write_text('module "p" {\n  source   = "./modules/p"\n  for_each = toset(["blue", "green"])\n  colour   = each.key\n}\n')
    module = tmp_path / "modules" / "p"
    module.mkdir(parents=True)
    (module / "main.tf").write_text(
        'variable "colour" {}\n'
        f'resource "aws_imagebuilder_image_pipeline" "p" {{\n  for_each = toset([for i in range(7) : "svc-${{i}}"])\n'
        f'  name = "${{var.colour}}-${{each.key}}-${{each.value}}"\n  image_recipe_arn = "{RECIPE}"\n'
        f'  infrastructure_configuration_arn = "{INFRA}"\n}}\n'
        # this block is named by an output: it is left to the evaluator as written
        f'resource "aws_imagebuilder_image_pipeline" "q" {{\n  for_each = toset(["a", "b", "c", "d", "e"])\n'
        f'  name = "${{var.colour}}-q-${{each.key}}"\n  image_recipe_arn = "{RECIPE}"\n  infrastructure_configuration_arn = "{INFRA}"\n}}\n'
        'output "first" {\n  value = aws_imagebuilder_image_pipeline.q["a"].arn\n}\n'
    )
    live = tmp_path / "live"
    live_response(live, "blue-svc-3-svc-3")
    plain, chunked, log = _both(cli, monkeypatch, caplog, [str(tmp_path), "--live", str(live), "--region", "us-east-1"])
    assert "for_each of 7 evaluated in 4 chunks" in log and "for_each of 5" not in log
    assert chunked == plain
    assert len(plain["pipelines"]) == 2 * 7 + 2 * 5
    assert 'module.p["green"].aws_imagebuilder_image_pipeline.p["svc-6"]' in {p["id"] for p in plain["pipelines"]}


def test_errors_and_file_lines_are_identical_in_chunks(cli, tmp_path, monkeypatch, caplog):
    """An entry without the attribute an expression needs, a block after the chunked one in the same file, and a
    second file: the same error entries, the same lines."""
    entries = ", ".join(f'k{i:02d} = {{ cron = "cron(0 {i} * * ? *)" }}' for i in range(20)) + ", k20 = { other = 1 }"
    (tmp_path / "main.tf").write_text(
        f"locals {{\n  m = {{ {entries} }}\n}}\n"
        f'resource "aws_imagebuilder_image_pipeline" "p" {{\n  for_each = local.m\n  name = "e-${{each.key}}"\n'
        f'  image_recipe_arn = "{RECIPE}"\n  infrastructure_configuration_arn = "{INFRA}"\n'
        "  schedule {\n    schedule_expression = lookup(each.value, \"cron\", null)\n  }\n}\n"
        f'resource "aws_imagebuilder_image_pipeline" "after" {{\n  name = "after"\n  image_recipe_arn = "{RECIPE}"\n'
        f'  infrastructure_configuration_arn = "{INFRA}"\n}}\n'
    )
    (tmp_path / "other.tf").write_text(
        f'resource "aws_imagebuilder_image_pipeline" "o" {{\n  for_each = toset([for i in range(12) : "o${{i}}"])\n'
        f'  name = "o-${{each.key}}"\n  image_recipe_arn = "{RECIPE}"\n  infrastructure_configuration_arn = "{INFRA}"\n'
        "  tags = { Missing = var.nope }\n}\n"
    )
    live = tmp_path / "live"
    live.mkdir()
    plain, chunked, log = _both(cli, monkeypatch, caplog, [str(tmp_path), "--live", str(live), "--region", "us-east-1"], chunk=3, batch=7)
    assert "for_each of 21 evaluated in 7 chunks" in log  # 2 x 10 + 1 entries in chunks of 3
    assert chunked == plain
    assert len(plain["pipelines"]) == 21 + 1 + 12


def test_the_chunk_texts_stand_for_the_same_values():
    value = {"b": {"x": [1, 2.5, None, True], "s": 'q"\\\n\t${a}%{b}\x01'}, "a": {}}
    texts, sizes = slices(value, 1)
    assert sizes == (1, 1)
    assert texts[0] == 'for_each = {"a" = {}}'
    assert hcl_literal(value["b"]) == '{"x" = [1, 2.5, null, true], "s" = "q\\"\\\\\\n\\t$${a}%%{b}\\u0001"}'
    assert slices(value, 2) is None  # small enough: left as written
    assert slices({"a": {"__attribute__": "local.x"}, "b": 1}, 1) is None  # an unknown value is never chunked
    assert slices(["a", "b", "a"], 1) is None  # not a set
    assert slices(["b", "a"], 1) == (('for_each = {"a" = "a"}', 'for_each = {"b" = "b"}'), (1, 1))


WORKFLOW = "arn:aws:imagebuilder:us-east-1:aws:workflow/{}/x/1.0.0"


def test_a_dynamic_block_before_a_static_one_keeps_its_order_and_lines_in_every_chunk(cli, tmp_path, monkeypatch, caplog):
    """The workflow order is decided by the lines of the evaluator's instances, mapped back to the user's lines:
    wrong lines in a chunk copy would put the workflows in another order."""
    entries = ", ".join(f'w{i} = ["{WORKFLOW.format("build")}{i}"]' for i in range(5))
    (tmp_path / "main.tf").write_text(
        f"locals {{\n  flows = {{ {entries} }}\n}}\n"
        f'resource "aws_imagebuilder_image_pipeline" "p" {{\n  for_each = local.flows\n  name = "wf-${{each.key}}"\n'
        f'  image_recipe_arn = "{RECIPE}"\n  infrastructure_configuration_arn = "{INFRA}"\n'
        '  dynamic "workflow" {\n    for_each = each.value\n    content {\n      workflow_arn = workflow.value\n    }\n  }\n'
        f'  workflow {{\n    workflow_arn = "{WORKFLOW.format("test")}"\n  }}\n}}\n'
    )
    live = tmp_path / "live"
    for i in range(5):  # the service's order is the written one: dynamic first
        live_response(live, f"wf-w{i}", workflows=[{"workflowArn": f"{WORKFLOW.format('build')}{i}"}, {"workflowArn": WORKFLOW.format("test")}])
    plain, chunked, log = _both(cli, monkeypatch, caplog, [str(tmp_path), "--live", str(live), "--region", "us-east-1"])
    assert "evaluated in 3 chunks" in log
    assert chunked == plain
    assert {p["status"] for p in plain["pipelines"]} == {"in_sync"}, plain["pipelines"]


def test_a_large_for_each_is_split_so_that_every_core_evaluates_a_batch(monkeypatch):
    def chunking(total: int) -> list[Chunking]:
        return [Chunking(block=None, serial=0, slices=("",) * (total // 10), sizes=(10,) * (total // 10))]  # type: ignore[arg-type]

    monkeypatch.setenv("DRIFTCHECK_TF_EVALUATORS", "2")
    assert parallel_batch_limit(chunking(1000)) == 500
    assert parallel_batch_limit(chunking(5000)) == 500  # two children at once hold what one batch of BATCH would
    assert parallel_batch_limit(chunking(400)) == chunks.BATCH  # too few instances to pay for a second child
    monkeypatch.setenv("DRIFTCHECK_TF_EVALUATORS", "1")
    assert parallel_batch_limit(chunking(1000)) == chunks.BATCH


def test_batches_are_evaluated_at_once_and_merged_in_order(cli, tmp_path, monkeypatch, caplog):
    """Two batches of one pass are two tfparse children running together; the report is the unchunked one."""
    running, most = [0], [0]
    lock = threading.Lock()
    real = evaluate.load_from_path

    def load(*args, **kwargs):
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        try:
            time.sleep(0.2)  # long enough for the other batch's child to start
            return real(*args, **kwargs)
        finally:
            with lock:
                running[0] -= 1

    (tmp_path / "main.tf").write_text(OBJECTS)
    live = tmp_path / "live"
    live_response(live, "acme-h", description="team w n=7", tags={"B": "b", "Name": "h", "L": "u"})
    monkeypatch.setenv("DRIFTCHECK_TF_EVALUATORS", "2")
    monkeypatch.setattr(evaluate, "load_from_path", load)
    plain, chunked, log = _both(cli, monkeypatch, caplog, [str(tmp_path), "--live", str(live), "--region", "us-east-1"])
    assert chunked == plain
    assert most[0] == 2


def _working_copies(monkeypatch) -> list[tuple[str | None, dict[str, str]]]:
    """Each evaluation's drop marker and the text of its working copy's .tf files, read while it runs."""
    from driftcheck.sources.terraform import tfparse_process

    seen: list[tuple[str | None, dict[str, str]]] = []
    real = evaluate.load_from_path

    def load(path, drop_chunked_for_each=False, **kwargs):
        seen.append((tfparse_process.CHUNK_MARKER if drop_chunked_for_each else None,
                     {p.name: p.read_text() for p in Path(path).glob("*.tf")}))
        return real(path, drop_chunked_for_each=drop_chunked_for_each, **kwargs)

    monkeypatch.setattr(evaluate, "load_from_path", load)
    return seen


def test_a_local_only_the_chunked_for_each_reads_is_empty_in_the_chunked_evaluation(cli, tmp_path, monkeypatch, caplog):
    """Each chunk copy has its literal slice, so the chunked evaluation never reads local.apps: every tfparse child
    building it anyway cost a second each at 5,000 entries. The probe pass still has it, and the report is the same."""
    (tmp_path / "main.tf").write_text(OBJECTS)
    live = tmp_path / "live"
    live_response(live, "acme-h", description="team w n=7", tags={"B": "b", "Name": "h", "L": "u"})
    seen = _working_copies(monkeypatch)
    plain, chunked, _ = _both(cli, monkeypatch, caplog, [str(tmp_path), "--live", str(live), "--region", "us-east-1"])
    assert chunked == plain
    chunk_passes = [files["main.tf"] for marker, files in seen if marker is not None]
    assert chunk_passes and all("  apps = {}\n" in text and 'apps = {\n    "a b"' not in text for text in chunk_passes)
    header = OBJECTS.splitlines().index('resource "aws_imagebuilder_image_pipeline" "p" {')
    assert all(text.splitlines()[header].startswith('resource "aws_imagebuilder_image_pipeline"') for text in chunk_passes)  # lines kept
    probe_passes = [files["main.tf"] for marker, files in seen if marker is None]
    assert probe_passes and all('apps = {\n    "a b"' in text for text in probe_passes)


def test_a_local_read_anywhere_else_is_left_as_written(tmp_path):
    """Named by another expression, a comment, or read through a function: the chunked evaluation keeps it."""
    from driftcheck.sources.terraform.modules import ModuleTree

    variants = {
        "output": OBJECTS + 'output "n" {\n  value = length(local.apps)\n}\n',
        "comment": OBJECTS + "# local.apps is our inventory\n",
        "function": OBJECTS.replace("for_each = local.apps", "for_each = tomap(local.apps)"),
        "json": OBJECTS,  # with a .tf.json file beside it, which the index does not read
        "plain": OBJECTS,
    }
    found = {}
    for name, text in variants.items():
        root = tmp_path / name
        root.mkdir()
        (root / "main.tf").write_text(text)
        if name == "json":
            (root / "more.tf.json").write_text('{"output": {"n": {"value": "${length(local.apps)}"}}}')
        tree = ModuleTree(root, str(root))
        scopes = tree.scopes()
        block = next(b for b in scopes[0].module.blocks("resource") if b.labels[0] == "aws_imagebuilder_image_pipeline")
        found[name] = [(rewrite[1], rewrite[2]) for rewrite in chunks.spent_locals(scopes, [Chunking(block, 0, ("{}",), (5,))])]
    assert found == {"output": [], "comment": [], "function": [], "json": [], "plain": [("apps", "apps = {}")]}


def test_the_spent_local_is_cut_where_it_is_not_where_its_text_first_appears(cli, tmp_path, monkeypatch, caplog):
    """`apps = var.apps` is also the end of `all_apps = var.apps`: the rewrite is cut at the attribute's own place,
    so local.all_apps keeps its value (its length is in every description) and the report is the unchunked one."""
    entries = "".join(f'    k{i} = {{ cron = "cron(0 {i} * * ? *)" }}\n' for i in range(5))
    (tmp_path / "main.tf").write_text(f"""variable "apps" {{
  default = {{
{entries}  }}
}}
locals {{
  all_apps = var.apps
  apps = var.apps
}}
resource "aws_imagebuilder_image_pipeline" "p" {{
  for_each = local.apps
  name                             = "acme-${{each.key}}"
  description                      = "one of ${{length(local.all_apps)}}"
  image_recipe_arn                 = "{RECIPE}"
  infrastructure_configuration_arn = "{INFRA}"
  schedule {{
    schedule_expression = each.value.cron
  }}
}}
""")
    live = tmp_path / "live"
    live_response(live, "acme-k1", description="one of 4", schedule={"scheduleExpression": "cron(0 1 * * ? *)"})
    seen = _working_copies(monkeypatch)
    plain, chunked, _ = _both(cli, monkeypatch, caplog, [str(tmp_path), "--live", str(live), "--region", "us-east-1"])
    assert chunked == plain
    assert '"one of 5"' in json.dumps(plain)  # the declared description, in the one pipeline that differs
    chunk_passes = [files["main.tf"] for marker, files in seen if marker is not None]
    assert chunk_passes and all("  all_apps = var.apps\n  apps = {}\n" in t for t in chunk_passes)


def test_an_inline_template_in_a_chunked_block_reads_its_probe_in_every_batch(cli, tmp_path, monkeypatch, caplog):
    """A templatefile() is handed over as an inline template reading a probe local; the probes were declared in the
    first batch only, so the copies of every later batch read an undeclared local (their descriptions unresolved)."""
    (tmp_path / "d.tpl").write_text("team ${team} of acme")
    text = OBJECTS.replace('description = "team ${each.value.team} n=${each.value.n}"',
                           'description = templatefile("${path.module}/d.tpl", { team = "x" })')
    assert text != OBJECTS
    (tmp_path / "main.tf").write_text(text)
    live = tmp_path / "live"
    live_response(live, "acme-h", description="other")
    plain, chunked, log = _both(cli, monkeypatch, caplog, [str(tmp_path), "--live", str(live), "--region", "us-east-1"], chunk=1, batch=1)
    assert "for_each of 5 evaluated in 5 chunks" in log
    assert '"team x of acme"' in json.dumps(plain) and not plain["pipelines"][0]["unresolved"]
    assert chunked == plain


def test_a_module_with_a_file_the_index_does_not_read_is_not_chunked(cli, tmp_path, monkeypatch, caplog):
    """A .tf.json file may name the block (a renamed copy would change what it sees) or its local: the index cannot
    tell, so the block is evaluated as written."""
    (tmp_path / "main.tf").write_text(OBJECTS)
    (tmp_path / "outputs.tf.json").write_text('{"output": {"names": {"value": "${aws_imagebuilder_image_pipeline.p}"}}}')
    live = tmp_path / "live"
    live_response(live, "acme-h", description="team w n=7", tags={"B": "b", "Name": "h", "L": "u"})
    plain, chunked, log = _both(cli, monkeypatch, caplog, [str(tmp_path), "--live", str(live), "--region", "us-east-1"])
    assert chunked == plain
    assert log == ""

"""Remediation hints, unit level: the HCL and YAML snippet renderers, their escaping, the apply wording,
when a snippet is refused, and when a declaring line may be replaced exactly (SARIF fixes)."""

from __future__ import annotations

import pytest
import yaml

from driftcheck.model import Location
from driftcheck.remediation import CannotRender, exact_line_edit, hcl_snippet, hcl_value, hint_for, yaml_snippet

# --------------------------------------------------------------------------- HCL


@pytest.mark.parametrize(
    ("value", "literal"),
    [
        ("plain", '"plain"'),
        ('say "hi"', '"say \\"hi\\""'),
        ("two\nlines\r\ttab", '"two\\nlines\\r\\ttab"'),
        ("back\\slash", '"back\\\\slash"'),
        ("${var.x} and %{ if y }", '"$${var.x} and %%{ if y }"'),
        ("$x and %d stay", '"$x and %d stay"'),
        ("bell\x07", '"bell\\u0007"'),
        ("admin\u202egpj.exe", '"admin\\u202egpj.exe"'),
        ("caf\u00e9", '"caf\u00e9"'),
        (True, "true"),
        (False, "false"),
        (None, "null"),
        (720, "720"),
        (1.5, "1.5"),
        (["a", 1, False], '["a", 1, false]'),
        ({"Key": "v", "with space": "w", "true": "x"}, '{ Key = "v", "with space" = "w", "true" = "x" }'),
        ({}, "{}"),
    ],
)
def test_hcl_value_literals(value, literal) -> None:
    assert hcl_value(value) == literal


def test_hcl_value_refuses_non_finite_numbers() -> None:
    with pytest.raises(CannotRender):
        hcl_value(float("inf"))


@pytest.mark.parametrize(
    ("path", "value", "snippet"),
    [
        ("status", "DISABLED", 'status = "DISABLED"'),
        ("executionRole", "Role", 'execution_role = "Role"'),
        ("enhancedImageMetadataEnabled", False, "enhanced_image_metadata_enabled = false"),
        ("schedule.scheduleExpression", "cron(0 1 * * ? *)", 'schedule { schedule_expression = "cron(0 1 * * ? *)" }'),
        ("imageTestsConfiguration.timeoutMinutes", 60, "image_tests_configuration { timeout_minutes = 60 }"),
        ("tags.HotfixTicket", "OPS-4411", 'tags = { HotfixTicket = "OPS-4411" }'),
        ("tags.team:owner", 'a"b', 'tags = { "team:owner" = "a\\"b" }'),
        (
            "imageScanningConfiguration.ecrConfiguration.repositoryName",
            "r",
            'image_scanning_configuration { ecr_configuration { repository_name = "r" } }',
        ),
        (
            "schedule",
            {"scheduleExpression": "x", "pipelineExecutionStartCondition": "EXPRESSION_MATCH_ONLY"},
            'schedule {\n  schedule_expression = "x"\n  pipeline_execution_start_condition = "EXPRESSION_MATCH_ONLY"\n}',
        ),
        (
            "imageScanningConfiguration",
            {"imageScanningEnabled": True, "ecrConfiguration": {"containerTags": ["a", "b"]}},
            "image_scanning_configuration {\n  image_scanning_enabled = true\n  ecr_configuration {\n"
            '    container_tags = ["a", "b"]\n  }\n}',
        ),
    ],
)
def test_hcl_snippets_use_terraform_names(path, value, snippet) -> None:
    assert hcl_snippet(path, value) == snippet


def test_snippets_do_not_depend_on_the_order_a_response_lists_members() -> None:
    one = {"timezone": "UTC", "scheduleExpression": "x", "pipelineExecutionStartCondition": "E"}
    other = {"pipelineExecutionStartCondition": "E", "scheduleExpression": "x", "timezone": "UTC"}
    assert hcl_snippet("schedule", one) == hcl_snippet("schedule", other)
    assert yaml_snippet("schedule", one, "driftcheck") == yaml_snippet("schedule", other, "driftcheck")
    assert hcl_snippet("tags", {"b": "1", "a": "2"}) == 'tags = { a = "2", b = "1" }'


@pytest.mark.parametrize(
    ("path", "value", "why"),
    [
        ("workflows[1].parameters[name=x].value", ["true"], "list of blocks"),
        ("workflows", [{"workflowArn": "a"}], "list of blocks"),
        ("imageTags", {"a": "b"}, "Terraform has no attribute"),
        ("schedule", {"scheduleExpression": "x", "autoDisablePolicy": {"failureCount": 3}}, "Terraform has no attribute"),
        ("imageScanningConfiguration.imageScanningTypes", ["X"], "Terraform has no attribute"),
        ("noSuchField", "x", "does not know"),
    ],
)
def test_hcl_refuses_what_it_cannot_write_exactly(path, value, why) -> None:
    with pytest.raises(CannotRender, match=why):
        hcl_snippet(path, value)


# --------------------------------------------------------------------------- YAML


@pytest.mark.parametrize("tricky", ["true", "false", "yes", "null", "~", "0123", "1e3", "0x1F", ": ", "a: b", "- x", "#c", "a #b", "'q'", '"dq"', "", " lead", "trail ", "!Ref X", "*alias", "two\nlines", "tab\there", "\u202e", "@at", "%pct", "{x}"])
@pytest.mark.parametrize("kind", ["cloudformation", "driftcheck"])
def test_yaml_values_read_back_exactly(kind, tricky) -> None:
    snippet = yaml_snippet("description", tricky, kind)
    assert "\n" not in snippet  # one line: a string never becomes a block scalar
    name = "Description" if kind == "cloudformation" else "description"
    assert yaml.safe_load(snippet) == {name: tricky}


@pytest.mark.parametrize("value", ["true", "0123", ": "])
def test_yaml_quotes_strings_that_would_change_type(value) -> None:
    snippet = yaml_snippet("status", value, "driftcheck")
    assert snippet != f"status: {value}" and snippet.startswith("status: '")


@pytest.mark.parametrize(
    ("kind", "path", "value", "snippet"),
    [
        ("cloudformation", "status", "DISABLED", "Status: DISABLED"),
        ("cloudformation", "executionRole", "R", "ExecutionRole: R"),
        ("cloudformation", "schedule.scheduleExpression", "cron(0 1 * * ? *)", "Schedule:\n  ScheduleExpression: cron(0 1 * * ? *)"),
        ("cloudformation", "tags.Team", "platform", "Tags:\n  Team: platform"),
        ("cloudformation", "imageTestsConfiguration", {"imageTestsEnabled": False, "timeoutMinutes": 60},
         "ImageTestsConfiguration:\n  ImageTestsEnabled: false\n  TimeoutMinutes: 60"),
        ("cloudformation", "workflows", [{"workflowArn": "a", "onFailure": "CONTINUE"}],
         "Workflows:\n- WorkflowArn: a\n  OnFailure: CONTINUE"),
        ("driftcheck", "status", "DISABLED", "status: DISABLED"),
        ("driftcheck", "schedule.scheduleExpression", "x", "schedule:\n  scheduleExpression: x"),
        ("driftcheck", "tags.Team", "true", "tags:\n  Team: 'true'"),
        ("driftcheck", "imageTags", {"a": "1"}, "imageTags:\n  a: '1'"),
    ],
)
def test_yaml_snippets(kind, path, value, snippet) -> None:
    assert yaml_snippet(path, value, kind) == snippet


@pytest.mark.parametrize(
    ("path", "value", "why"),
    [
        ("schedule.timezone", "UTC", "CloudFormation has no property"),
        ("schedule", {"scheduleExpression": "x", "timezone": "UTC"}, "CloudFormation has no property"),
        ("workflows[0].onFailure", "ABORT", "list of blocks"),
    ],
)
def test_cloudformation_refuses_what_it_cannot_write(path, value, why) -> None:
    with pytest.raises(CannotRender, match=why):
        yaml_snippet(path, value, "cloudformation")


# --------------------------------------------------------------------------- hints


AT = Location("main.tf", 12)


@pytest.mark.parametrize(
    ("kind", "apply", "accept", "language"),
    [
        ("terraform", 'terraform apply sets status back to "ENABLED"', 'status = "DISABLED"', "hcl"),
        ("cloudformation", 'a stack update sets Status back to "ENABLED"', "Status: DISABLED", "yaml"),
        ("driftcheck", 're-running your deployment from this file sets status back to "ENABLED"', "status: DISABLED", "yaml"),
    ],
)
def test_hint_both_ways(kind, apply, accept, language) -> None:
    hint = hint_for(kind, "status", "ENABLED", "DISABLED", AT)
    assert (hint.apply, hint.accept, hint.language, hint.at, hint.accept_note) == (apply, accept, language, AT, None)
    assert hint.replaces_line


def test_hint_for_a_value_declared_unset_and_a_nested_field() -> None:
    hint = hint_for("terraform", "tags.HotfixTicket", None, "OPS-4411", AT)
    assert hint.apply == "terraform apply removes tags.HotfixTicket (declared unset)"
    assert hint.accept == 'tags = { HotfixTicket = "OPS-4411" }' and not hint.replaces_line
    nested = hint_for("cloudformation", "schedule.scheduleExpression", "a", "b", AT)
    assert nested.apply == 'a stack update sets Schedule.ScheduleExpression back to "a"' and not nested.replaces_line


def test_hint_without_an_accept_snippet_says_why() -> None:
    hint = hint_for("terraform", "workflows[1].parameters[name=x].value", ["false"], ["true"], AT)
    assert hint.apply == 'terraform apply sets workflows[1].parameters[name=x].value back to ["false"]'
    assert hint.accept is None and "list of blocks" in hint.accept_note
    unset = hint_for("terraform", "description", "x", None, AT)
    assert unset.accept is None and "unset live" in unset.accept_note


def test_apply_value_is_cut() -> None:
    hint = hint_for("driftcheck", "description", "x" * 500, "y", AT)
    assert len(hint.apply) < 200 and hint.apply.endswith('...')


# --------------------------------------------------------------------------- exact line edits


@pytest.mark.parametrize(
    ("line", "exact"),
    [
        ('  status = "ENABLED"', True),
        ("  status                           = \"ENABLED\"", True),
        ("  status = var.status", False),
        ('  status = "${var.s}"', False),
        ('  status = each.value.enabled ? "ENABLED" : "DISABLED"', False),
        ('  status = "ENABLED" # pinned', False),
        ('  statusx = "ENABLED"', False),
        ("  status = <<EOT", False),
    ],
)
def test_exact_hcl_edit_only_for_a_literal_attribute_line(tmp_path, line, exact) -> None:
    path = tmp_path / "main.tf"
    path.write_text(f'resource "aws_imagebuilder_image_pipeline" "p" {{\n{line}\n}}\n')
    hint = hint_for("terraform", "status", "ENABLED", "DISABLED", Location(str(path), 2))
    edit = exact_line_edit(hint)
    assert (edit == (line, '  status = "DISABLED"')) if exact else edit is None
    assert exact_line_edit(hint, shared=True) is None  # a for_each/count block or a module used twice


@pytest.mark.parametrize(
    ("line", "exact"),
    [
        ("      Status: ENABLED", True),
        ("      Status: 'ENABLED'", True),
        ("      Status: !Ref StatusParam", False),
        ("      Status: !If [IsProd, ENABLED, DISABLED]", False),
        ("      Status: ENABLED # why", False),
        ("      Status:", False),
    ],
)
def test_exact_yaml_edit_only_for_a_literal_property_line(tmp_path, line, exact) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(f"Resources:\n  P:\n    Properties:\n{line}\n")
    hint = hint_for("cloudformation", "status", "ENABLED", "DISABLED", Location(str(path), 4))
    edit = exact_line_edit(hint)
    assert (edit == (line, "      Status: DISABLED")) if exact else edit is None


def test_no_exact_edit_for_nested_fields_or_unreadable_files(tmp_path) -> None:
    path = tmp_path / "main.tf"
    path.write_text('  tags = { A = "b" }\n')
    assert exact_line_edit(hint_for("terraform", "tags.A", "b", "c", Location(str(path), 1))) is None
    assert exact_line_edit(hint_for("terraform", "status", "E", "D", Location(str(tmp_path / "gone.tf"), 1))) is None
    assert exact_line_edit(hint_for("terraform", "status", "E", "D", Location(str(path), 9))) is None

"""Remediation hints through the CLI, on the shipped demo fixtures: Terraform, CloudFormation and
pipeline files, in the text, JSON, Markdown, HTML and SARIF reports."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import DEMO_CFN, DEMO_LIVE, DEMO_PINNED, DEMO_TF
from tests.test_report_formats_sarif import validated

DEMO = (str(DEMO_TF), str(DEMO_CFN.parent), str(DEMO_PINNED.parent), "--region", "us-east-1", "--live", str(DEMO_LIVE), "--unmanaged")
HARDENED = "module.hardened.aws_imagebuilder_image_pipeline.this"
APP_API = 'aws_imagebuilder_image_pipeline.app["api"]'


def _hints(run, pipeline_id: str) -> dict:
    return {d["path"]: d["hint"] for d in run.pipeline(pipeline_id)["differences"]}


def test_terraform_hints_in_the_json_report(cli) -> None:
    run = cli("check", *DEMO)
    assert run.exit_code == 1, run.stderr
    module_tf = str(DEMO_TF / "modules" / "hardened-pipeline" / "main.tf")
    hints = _hints(run, HARDENED)
    assert hints["status"] == {
        "apply": 'terraform apply sets status back to "ENABLED"',
        "accept": 'status = "DISABLED"',
        "accept_note": None,
        "language": "hcl",
        "at": {"file": module_tf, "line": 11},
        "attribute": "status",
        "replaces_line": True,
    }
    assert hints["executionRole"]["accept"] == 'execution_role = "ImageBuilderBreakGlassRole"'
    assert hints["executionRole"]["apply"] == 'terraform apply sets execution_role back to "ImageBuilderWorkflowRole"'
    workflow = hints["workflows[1].parameters[name=waitForActionAtEnd].value"]
    assert workflow["accept"] is None and "list of blocks" in workflow["accept_note"]
    assert workflow["apply"].endswith('back to ["false"]')
    api = _hints(run, APP_API)
    assert api["description"]["accept"] == 'description = "Application image for API <b>hotfix: pinned 1.8.2</b>"'
    assert api["imageRecipeArn"]["accept"] == (
        'image_recipe_arn = "arn:aws:imagebuilder:us-east-1:111122223333:image-recipe/app-api/1.8.2"'
    )
    assert api["tags.HotfixTicket"]["accept"] == 'tags = { HotfixTicket = "OPS-4411" }'
    assert api["tags.HotfixTicket"]["apply"] == "terraform apply removes tags.HotfixTicket (declared unset)"
    assert api["schedule"]["accept"].startswith("schedule {\n  schedule_expression = \"cron(30 4 * * ? *)\"\n")


def test_pipeline_file_hints(cli) -> None:
    run = cli("check", *DEMO)
    hint = _hints(run, "ops-patch-baseline")["status"]
    assert hint["apply"] == 're-running your deployment from this file sets status back to "ENABLED"'
    assert hint["accept"] == "status: DISABLED" and hint["language"] == "yaml"
    assert hint["at"] == {"file": str(DEMO_PINNED), "line": 8}


def _drifted_cfn(tmp_path: Path) -> Path:
    """The demo template with two literal edits, so the live demo pipeline drifts from it."""
    text = DEMO_CFN.read_text(encoding="utf-8")
    edited = text.replace("      Status: !If [IsProd, ENABLED, DISABLED]\n", "      Status: DISABLED\n")
    edited = edited.replace("        Team: app\n", "        Team: platform\n")
    assert edited.count("Status: DISABLED") == 1 and "Team: platform" in edited
    target = tmp_path / "cfn" / DEMO_CFN.name
    target.parent.mkdir()
    target.write_text(edited, encoding="utf-8")
    return target


def test_cloudformation_hints_and_exact_sarif_fix(cli, tmp_path) -> None:
    template = _drifted_cfn(tmp_path)
    sarif = tmp_path / "out.sarif"
    run = cli("check", str(template), "--region", "us-east-1", "--live", str(DEMO_LIVE), "--report", f"sarif={sarif}")
    assert run.exit_code == 1, run.stderr
    hints = _hints(run, "AppContainerPipeline")
    lines = template.read_text(encoding="utf-8").splitlines()
    status_line = lines.index("      Status: DISABLED") + 1
    assert hints["status"] == {
        "apply": 'a stack update sets Status back to "DISABLED"',
        "accept": "Status: ENABLED",
        "accept_note": None,
        "language": "yaml",
        "at": {"file": str(template), "line": status_line},
        "attribute": "Status",
        "replaces_line": True,
    }
    assert hints["tags.Team"]["accept"] == "Tags:\n  Team: app"
    assert hints["tags.Team"]["apply"] == 'a stack update sets Tags.Team back to "platform"'
    doc = validated(sarif.read_text(encoding="utf-8"))
    results = {r["properties"]["path"]: r for r in doc["runs"][0]["results"]}
    fix = results["status"]["fixes"][0]["artifactChanges"][0]
    replacement = fix["replacements"][0]
    assert replacement["deletedRegion"] == {"startLine": status_line, "startColumn": 1, "endLine": status_line, "endColumn": len(lines[status_line - 1]) + 1}
    assert replacement["insertedContent"] == {"text": "      Status: ENABLED"}
    assert fix["artifactLocation"]["uri"].endswith("cfn/" + DEMO_CFN.name)
    # the tag is a nested map entry: no line edit, the hint is in the message and properties
    assert "fixes" not in results["tags.Team"]
    assert results["tags.Team"]["properties"]["hint"]["accept"] == "Tags:\n  Team: app"
    assert "or accept: Tags:\\n  Team: app" in results["tags.Team"]["message"]["text"]


def test_text_report_shows_one_fix_line_per_difference(cli) -> None:
    run = cli("check", *DEMO)
    lines = run.stdout.splitlines()
    at = lines.index(next(line for line in lines if line.startswith("    status:") and "pinned-pipelines" in line))
    assert lines[at + 1] == (
        '      fix: re-running your deployment from this file sets status back to "ENABLED"; '
        f"or accept: status: DISABLED at {DEMO_PINNED}:8"
    )
    differences = sum(len(p["differences"]) for p in run.report["pipelines"])
    assert sum(1 for line in lines if line.startswith("      fix: ")) == differences > 0
    assert any(line.startswith("      fix: terraform apply sets workflows[1]") and "no accept snippet: " in line for line in lines)


def test_sarif_fixes_only_where_the_edit_is_exact(cli, tmp_path) -> None:
    sarif = tmp_path / "demo.sarif"
    run = cli("check", *DEMO, "--report", f"sarif={sarif}")
    assert run.exit_code == 1
    doc = validated(sarif.read_text(encoding="utf-8"))
    fixed = {(r["properties"]["pipeline"], r["properties"]["path"]) for r in doc["runs"][0]["results"] if "fixes" in r}
    # execution_role = var.execution_role and the for_each resource's lines are expressions or shared: no edit
    assert fixed == {("ops-patch-baseline", "status")}
    for result in doc["runs"][0]["results"]:
        if "path" in result["properties"]:
            assert result["properties"]["hint"]["apply"] and "Fix: " in result["message"]["text"]
    change = next(r for r in doc["runs"][0]["results"] if "fixes" in r)["fixes"][0]["artifactChanges"][0]
    assert change["replacements"][0]["insertedContent"]["text"] == "    status: DISABLED"
    assert DEMO_PINNED.read_text(encoding="utf-8").splitlines()[7] == "    status: ENABLED"


def test_markdown_and_html_show_the_hint_escaped(cli, tmp_path) -> None:
    markdown, html = tmp_path / "r.md", tmp_path / "r.html"
    run = cli("check", *DEMO, "--report", f"markdown={markdown}", "--report", f"html={html}")
    assert run.exit_code == 1
    md = markdown.read_text(encoding="utf-8")
    assert "| Path | Declared | Live | Declared at | Fix |" in md
    # the live description carries <b>: escaped in the snippet too, never markup
    assert "description = &#34;Application image for API &#60;b&#62;hotfix: pinned 1.8.2&#60;/b&#62;&#34;" in md
    assert "<b>hotfix" not in md
    assert "or accept in yaml: <code>status: DISABLED</code>" in md
    page = html.read_text(encoding="utf-8")
    assert '<th scope="col">Fix</th>' in page
    assert "description = &#34;Application image for API &lt;b&gt;hotfix: pinned 1.8.2&lt;/b&gt;&#34;" in page
    assert "<b>hotfix" not in page
    assert "terraform apply sets status back to &#34;ENABLED&#34;" in page
    assert page.count('<td class="hint" data-label="Fix">') == sum(len(p["differences"]) for p in run.report["pipelines"])


def test_json_report_schema_version_and_hint_are_documented(cli) -> None:
    run = cli("check", *DEMO)
    assert run.report["schema_version"] == "1.5"
    doc = (Path(__file__).parent.parent / "docs" / "report-formats.md").read_text(encoding="utf-8")
    for key in ("hint", "apply", "accept", "accept_note", "language"):
        assert f"`{key}`" in doc
    assert json.dumps(run.report).count('"apply"') == sum(len(p["differences"]) + len(p["ignored"]) for p in run.report["pipelines"])

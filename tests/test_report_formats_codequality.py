"""GitLab Code Quality report through the CLI on the demo: the fields GitLab reads, ignored drift left out."""

from __future__ import annotations

import json

import jsonschema

from tests.conftest import DEMO_CFN, DEMO_LIVE, DEMO_PINNED, DEMO_TF, FIXTURES

# the fields GitLab's merge-request widget requires of each issue (docs.gitlab.com, Code Quality report format)
ISSUE = {
    "type": "object",
    "required": ["description", "check_name", "fingerprint", "severity", "location"],
    "properties": {
        "description": {"type": "string", "minLength": 1},
        "check_name": {"type": "string", "pattern": "^driftcheck/"},
        "fingerprint": {"type": "string", "minLength": 1},
        "severity": {"enum": ["info", "minor", "major", "critical", "blocker"]},
        "location": {
            "type": "object",
            "required": ["path", "lines"],
            "properties": {"path": {"type": "string"}, "lines": {"type": "object", "required": ["begin"], "properties": {"begin": {"type": "integer", "minimum": 1}}}},
        },
    },
}


def test_codequality_report_of_the_demo(cli, tmp_path):
    out = tmp_path / "cq.json"
    run = cli("check", str(DEMO_TF), str(DEMO_CFN.parent), str(DEMO_PINNED.parent), "--region", "us-east-1", "--live", str(DEMO_LIVE),
              "--unmanaged", "--config", str(FIXTURES / "demo.driftcheck.yaml"), "--baseline", str(FIXTURES / "demo-baseline.json"),
              "--report", f"codequality={out}")
    assert run.exit_code == 1
    issues = json.loads(out.read_text())
    jsonschema.validate(issues, {"type": "array", "items": ISSUE})
    assert len({i["fingerprint"] for i in issues}) == len(issues)
    by_check = {(i["check_name"], i["location"]["path"], i["location"]["lines"]["begin"]) for i in issues}
    assert ("driftcheck/drift/status", str(DEMO_TF / "modules/hardened-pipeline/main.tf"), 11) in by_check
    assert any(i["check_name"] == "driftcheck/unmanaged" and i["location"]["path"].endswith(":image-pipeline/legacy-golden-ami") for i in issues)
    # the ignored (config rule) and accepted (baseline) differences are not quality issues
    assert not any("HotfixTicket" in i["description"] or "waitForActionAtEnd" in i["description"] for i in issues)
    assert {i["severity"] for i in issues} <= {"critical", "major", "minor"}


def test_config_severity_overrides_grade_the_ci_formats(cli, tmp_path):
    """`severity:` in the config file changes the level of the findings, not only --fail-on."""
    config = tmp_path / "c.yaml"
    config.write_text('severity:\n  "description": high\n  "status": low\n')
    out, sarif = tmp_path / "cq.json", tmp_path / "r.sarif"
    cli("check", str(DEMO_TF), "--region", "us-east-1", "--live", str(DEMO_LIVE), "--config", str(config),
        "--report", f"codequality={out}", "--report", f"sarif={sarif}")
    grades = {i["check_name"]: i["severity"] for i in json.loads(out.read_text())}
    assert grades["driftcheck/drift/description"] == "critical" and grades["driftcheck/drift/status"] == "minor"
    levels = {r["ruleId"]: r["level"] for r in json.loads(sarif.read_text())["runs"][0]["results"]}
    assert levels["driftcheck/drift/description"] == "error" and levels["driftcheck/drift/status"] == "note"

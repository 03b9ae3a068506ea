"""SARIF 2.1.0 report: validated against the official schema (tests/schemas), levels, rules, fingerprints."""

from __future__ import annotations

import dataclasses
import functools
import json
from pathlib import Path

import jsonschema
import pytest

from driftcheck.model import Difference, Location, RunResult, Status
from driftcheck.reports import ReportFormat
from driftcheck.reports.sarif import SarifRenderer, artifact_uri
from tests.conftest import DEMO_CFN, DEMO_LIVE, DEMO_PINNED, DEMO_TF
from tests.test_report_formats_common import HOSTILE, WHEN, ci_sample

SCHEMA = Path(__file__).parent / "schemas" / "sarif-2.1.0-rtm.5.json"


@functools.cache
def _validator() -> jsonschema.Draft4Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema)


def validated(text: str) -> dict:
    """Parse a SARIF log and validate it against the official SARIF 2.1.0 schema."""
    document = json.loads(text)
    errors = sorted(_validator().iter_errors(document), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]
    return document


def render(result: RunResult) -> dict:
    return validated(SarifRenderer().render(result))


def by_rule(doc: dict) -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = {}
    for result in doc["runs"][0]["results"]:
        grouped.setdefault(result["ruleId"], []).append(result)
    return grouped


def test_schema_rejects_a_broken_log() -> None:
    # the validator really checks: a result without a message is not SARIF
    doc = render(ci_sample())
    del doc["runs"][0]["results"][0]["message"]
    assert list(_validator().iter_errors(doc))
    doc = render(ci_sample())
    doc["runs"][0]["results"][0]["level"] = "fatal"
    assert list(_validator().iter_errors(doc))


def test_one_result_per_finding_with_levels_rules_and_locations() -> None:
    doc = render(ci_sample())
    assert doc["version"] == "2.1.0"
    run = doc["runs"][0]
    results = run["results"]
    # 4 differences + 1 ignored (b-nightly), 1 ignored (f-quiet), error, missing, unmanaged
    assert len(results) == 9
    rules = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert rules == sorted(rules) and len(set(rules)) == len(rules)
    for result in results:
        assert rules[result["ruleIndex"]] == result["ruleId"]
    grouped = by_rule(doc)
    assert set(grouped) == {
        "driftcheck/error", "driftcheck/missing", "driftcheck/unmanaged", "driftcheck/drift/schedule",
        "driftcheck/drift/executionRole", "driftcheck/drift/description", "driftcheck/drift/imageTestsConfiguration",
        "driftcheck/drift/tags",
    }
    assert grouped["driftcheck/drift/executionRole"][0]["level"] == "error"
    assert grouped["driftcheck/drift/schedule"][0]["level"] == "warning"
    assert grouped["driftcheck/drift/imageTestsConfiguration"][0]["level"] == "warning"
    assert grouped["driftcheck/drift/tags"][0]["level"] == "note"
    assert grouped["driftcheck/missing"][0]["level"] == "error"
    assert grouped["driftcheck/unmanaged"][0]["level"] == "warning"
    assert grouped["driftcheck/error"][0]["level"] == "error"
    schedule = grouped["driftcheck/drift/schedule"][0]
    assert schedule["locations"][0]["physicalLocation"] == {"artifactLocation": {"uri": "infra/main.tf"}, "region": {"startLine": 15}}
    assert '"cron(0 0 * * ? *)"' in schedule["message"]["text"] and '"cron(0 1 * * ? *)"' in schedule["message"]["text"]
    assert "b-nightly" in schedule["message"]["text"]
    # a difference with no location of its own is placed at the pipeline's declaration
    description = next(r for r in grouped["driftcheck/drift/description"] if r["properties"]["pipeline"] == "b-nightly")
    assert description["locations"][0]["physicalLocation"]["region"] == {"startLine": 12}
    missing = grouped["driftcheck/missing"][0]
    assert missing["locations"][0]["physicalLocation"] == {"artifactLocation": {"uri": "pipes.yaml"}, "region": {"startLine": 3}}
    unmanaged = grouped["driftcheck/unmanaged"][0]
    assert unmanaged["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == "arn:aws:imagebuilder:eu-west-1:1:image-pipeline/e"
    assert "AccessDeniedException" in grouped["driftcheck/error"][0]["message"]["text"]
    # input errors are tool notifications, and the run is not a successful execution
    invocation = run["invocations"][0]
    assert invocation["executionSuccessful"] is False
    assert invocation["toolExecutionNotifications"][0]["message"]["text"] == "unexpected token"
    assert invocation["toolExecutionNotifications"][0]["locations"][0]["physicalLocation"]["region"] == {"startLine": 4}


def test_ignored_differences_are_suppressed_results() -> None:
    doc = render(ci_sample())
    suppressed = [r for r in doc["runs"][0]["results"] if "suppressions" in r]
    assert sorted(r["properties"]["path"] for r in suppressed) == ["description", "tags.Owner"]
    owner = next(r for r in suppressed if r["properties"]["path"] == "tags.Owner")
    assert owner["suppressions"] == [{"kind": "external", "justification": "lifecycle.ignore_changes at infra/main.tf:40"}]
    unsuppressed = [r for r in doc["runs"][0]["results"] if "suppressions" not in r]
    assert len(unsuppressed) == 7


def test_fingerprints_are_stable_per_finding_not_per_value_or_line() -> None:
    first = render(ci_sample())["runs"][0]["results"]
    sample = ci_sample()
    nightly = sample.pipelines[1]
    moved = dataclasses.replace(
        nightly,
        differences=tuple(dataclasses.replace(d, live="other", source=Location("infra/main.tf", 99)) for d in nightly.differences),
    )
    second = render(dataclasses.replace(sample, pipelines=(sample.pipelines[0], moved, *sample.pipelines[2:])))["runs"][0]["results"]

    def prints(results: list[dict]) -> dict:
        return {(r["ruleId"], r["properties"]["pipeline"], r["properties"].get("region"), r["properties"].get("path")): r["partialFingerprints"] for r in results}

    assert prints(first) == prints(second)
    values = [next(iter(fp.values())) for fp in prints(first).values()]
    assert len(set(values)) == len(values)  # distinct findings, distinct fingerprints


def test_same_id_in_two_regions_gets_two_fingerprints() -> None:
    base = Difference("description", "a", "b", Location("m.tf", 2))
    pipes = tuple(
        dataclasses.replace(ci_sample().pipelines[1], region=region, differences=(base,), ignored=())
        for region in ("us-east-1", "eu-west-1")
    )
    results = render(RunResult(pipes, (), WHEN, "0.1.0"))["runs"][0]["results"]
    assert len({json.dumps(r["partialFingerprints"]) for r in results}) == 2


def test_hostile_values_are_made_safe_in_messages() -> None:
    text = SarifRenderer().render(ci_sample(hostile=HOSTILE))
    doc = validated(text)
    message = next(r for r in doc["runs"][0]["results"] if r["properties"].get("path") == "description" and r["properties"]["pipeline"] == "b-nightly")["message"]["text"]
    assert "\n" not in message and "\r" not in message and "\x1b" not in message and "\u202e" not in message
    assert text.isascii()


def test_uri_is_the_relative_path_as_given() -> None:
    assert artifact_uri("infra/main.tf") == "infra/main.tf"
    assert artifact_uri("../a b/c#1.tf") == "../a%20b/c%231.tf"


def test_empty_run_is_valid() -> None:
    doc = render(RunResult((), (), WHEN, "0.1.0"))
    assert doc["runs"][0]["results"] == [] and doc["runs"][0]["invocations"][0]["executionSuccessful"] is True


def test_demo_through_the_cli(cli, tmp_path) -> None:
    target = tmp_path / "out" / "drift.sarif"
    run = cli("check", str(DEMO_TF), str(DEMO_CFN.parent), str(DEMO_PINNED.parent), "--region", "us-east-1",
              "--live", str(DEMO_LIVE), "--unmanaged", "--report", f"sarif={target}")
    assert run.exit_code == 1, run.stderr
    doc = validated(target.read_text(encoding="utf-8"))
    results = doc["runs"][0]["results"]
    expected = sum(len(p["differences"]) + len(p["ignored"]) + (p["status"] in ("missing", "unmanaged", "error")) for p in run.report["pipelines"])
    assert len(results) == expected > 0
    for result in results:
        location = result["locations"][0]
        if "physicalLocation" in location:
            assert Path(location["physicalLocation"]["artifactLocation"]["uri"]).exists()
    statuses = {p["status"] for p in run.report["pipelines"]}
    assert ("driftcheck/unmanaged" in by_rule(doc)) == ("unmanaged" in statuses)
    # --format sarif on stdout is the same document
    stdout = cli("check", str(DEMO_TF), str(DEMO_CFN.parent), str(DEMO_PINNED.parent), "--region", "us-east-1",
                 "--live", str(DEMO_LIVE), "--unmanaged", "--format", "sarif", json_report=False)
    assert validated(stdout.stdout)["runs"][0]["results"] == results


def test_registered() -> None:
    assert ReportFormat("sarif").renderer() is SarifRenderer
    assert Status.MISSING.value == "missing"

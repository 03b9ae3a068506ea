"""JUnit XML report, parsed with junitparser (a maintained JUnit library), on samples and the demo."""

from __future__ import annotations

import dataclasses

from junitparser import Error, Failure, JUnitXml, Skipped

from driftcheck.model import Difference, Location, PipelineResult, RunResult, Status
from driftcheck.reports import ReportFormat
from driftcheck.reports.junit import JUnitRenderer
from tests.conftest import DEMO_CFN, DEMO_LIVE, DEMO_PINNED, DEMO_TF
from tests.test_report_formats_common import HOSTILE, WHEN, ci_sample


def parse(text: str) -> JUnitXml:
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n') and text.endswith("\n")
    return JUnitXml.fromstring(text.encode("utf-8"))


def suite_of(xml: JUnitXml):
    suites = list(xml)
    assert len(suites) == 1
    return suites[0]


def cases(xml: JUnitXml) -> dict[tuple[str, str], object]:
    found = {}
    for case in suite_of(xml):
        key = (case.classname, case.name)
        assert key not in found, key
        found[key] = case
    return found


def assert_counts_match(xml: JUnitXml) -> None:
    suite = suite_of(xml)
    written = (suite.tests, suite.failures, suite.errors, suite.skipped)
    suite.update_statistics()
    assert written == (suite.tests, suite.failures, suite.errors, suite.skipped)
    assert (xml.tests, xml.failures, xml.errors, xml.skipped) == written


def test_one_testcase_per_pipeline_with_failures_errors_and_counts() -> None:
    xml = parse(JUnitRenderer().render(ci_sample()))
    assert_counts_match(xml)
    suite = suite_of(xml)
    assert (suite.tests, suite.failures, suite.errors, suite.skipped) == (8, 3, 2, 1)
    found = cases(xml)
    nightly = found[("infra/main.tf", "b-nightly")]
    [failure] = nightly.result
    assert isinstance(failure, Failure) and failure.type == "drifted"
    assert failure.message == "drifted: 4 differences: description, executionRole, imageTestsConfiguration, schedule.scheduleExpression"
    assert 'schedule.scheduleExpression: declared "cron(0 0 * * ? *)", live "cron(0 1 * * ? *)" (infra/main.tf:15)' in failure.text
    assert "tags.Owner" not in failure.text  # ignored: not a failure, shown in system-out
    assert "ignored: tags.Owner" in nightly.system_out and "lifecycle.ignore_changes at infra/main.tf:40" in nightly.system_out
    assert "unresolved tags.CostCenter: depends on var.cost_center" in nightly.system_out
    [missing] = found[("pipes.yaml", "d-gone")].result
    assert isinstance(missing, Failure) and missing.type == "missing" and "pipes.yaml:3" in missing.message
    [unmanaged] = found[("unmanaged", "e-handmade")].result
    assert isinstance(unmanaged, Failure) and unmanaged.type == "unmanaged"
    [error] = found[("undeclared", "c-broken")].result
    assert isinstance(error, Error) and error.message == "AccessDeniedException: not allowed"
    # in sync passes; in sync only because of ignored differences is skipped; one id in two regions is two cases
    assert found[("infra/main.tf", "a-base [us-east-1]")].is_passed
    assert found[("infra/main.tf", "a-base [eu-west-1]")].is_passed
    quiet = found[("cfn/app.yaml", "f-quiet")]
    [skipped] = quiet.result
    assert isinstance(skipped, Skipped) and "ignored: description" in quiet.system_out
    [input_error] = found[("input errors", "infra/vars.tfvars:4")].result
    assert isinstance(input_error, Error) and input_error.message == "unexpected token"
    assert [case.name for case in suite_of(xml) if any(isinstance(r, Skipped) for r in case.result)] == ["f-quiet"]


def test_counts_follow_the_run() -> None:
    sample = ci_sample()
    fixed = RunResult(tuple(p for p in sample.pipelines if p.status is Status.IN_SYNC), (), WHEN, "0.1.0")
    xml = parse(JUnitRenderer().render(fixed))
    assert_counts_match(xml)
    assert (xml.tests, xml.failures, xml.errors) == (3, 0, 0)
    empty = parse(JUnitRenderer().render(RunResult((), (), WHEN, "0.1.0")))
    assert (empty.tests, empty.failures, empty.errors) == (0, 0, 0)


def test_hostile_text_stays_well_formed_xml() -> None:
    evil = PipelineResult(
        id=HOSTILE + "\x00\ud800\ufffe", name=None, status=Status.DRIFTED, source=Location("a&b<c>.tf\x01", 1),
        differences=(Difference("tags." + HOSTILE, HOSTILE + "\x00", "]]>" + HOSTILE, Location("x.tf\n", 2)),),
        ignored=(Difference("description", "<!--", "-->", None, ignored_by=HOSTILE),),
        error=None, notes=(HOSTILE,),
    )
    broken = dataclasses.replace(evil, id="broken", status=Status.ERROR, differences=(), error=HOSTILE + "\x07")
    text = JUnitRenderer().render(RunResult((evil, broken), (), WHEN, "0.1.0"))
    xml = parse(text)
    assert_counts_match(xml)
    found = list(suite_of(xml))
    assert len(found) == 2
    drifted = next(c for c in found if c.name != "broken")
    assert "<script>alert(1)</script>" in drifted.name  # kept as text, escaped in the XML
    assert "\x1b" not in drifted.name and "\\x1b" in drifted.name and "\\x00" in drifted.name
    assert "\n" not in drifted.classname and "<script>" not in text


def test_demo_through_the_cli(cli, tmp_path) -> None:
    target = tmp_path / "junit.xml"
    run = cli("check", str(DEMO_TF), str(DEMO_CFN.parent), str(DEMO_PINNED.parent), "--region", "us-east-1",
              "--live", str(DEMO_LIVE), "--unmanaged", "--report", f"junit={target}")
    assert run.exit_code == 1, run.stderr
    xml = JUnitXml.fromfile(str(target))
    assert_counts_match(xml)
    pipelines = run.report["pipelines"]
    assert xml.tests == len(pipelines)
    assert xml.failures == sum(p["status"] in ("drifted", "missing", "unmanaged") for p in pipelines) > 0
    assert xml.errors == 0
    names = sorted(case.name for case in suite_of(xml))
    assert names == sorted(p["id"] for p in pipelines)
    for case in suite_of(xml):
        entry = next(p for p in pipelines if p["id"] == case.name)
        assert case.is_passed == (entry["status"] == "in_sync")
        if entry["source"]:
            assert case.classname == entry["source"]["file"]


def test_registered() -> None:
    assert ReportFormat("junit").renderer() is JUnitRenderer


def test_a_pipeline_in_sync_only_because_of_ignored_or_accepted_drift_is_skipped(cli, tmp_path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("ignore:\n  - name: prod-ops-patch*\n    reason: x\n  - name: ops-patch-baseline\n    fields: status\n    reason: paused on purpose (OPS-1)\n")
    out = tmp_path / "j.xml"
    cli("check", str(DEMO_PINNED.parent), "--region", "us-east-1", "--live", str(DEMO_LIVE), "--config", str(config), "--report", f"junit={out}")
    xml = JUnitXml.fromfile(str(out))
    assert_counts_match(xml)
    [case] = [c for c in suite_of(xml) if c.name == "ops-patch-baseline"]
    [skipped] = case.result
    assert isinstance(skipped, Skipped) and "paused on purpose (OPS-1)" in skipped.message
    assert suite_of(xml).skipped == 1

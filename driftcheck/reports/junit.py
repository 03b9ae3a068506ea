"""JUnit XML report, for CI systems that show test results (GitLab, Jenkins, Azure DevOps, GitHub test reporters).

One ``<testcase>`` per pipeline (``classname`` the declaring file, ``name`` the pipeline id): a drifted,
missing or unmanaged pipeline has a ``<failure>`` listing its differences, one that could not be
checked an ``<error>``, one in sync only because its drift is ignored or accepted is ``<skipped>``, and
any other in-sync pipeline passes. Ignored differences, unresolved fields and
notes go to the test case's ``<system-out>``. Each input error is a test case with an ``<error>`` too,
so a run that exits 2 never shows green.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter

from driftcheck.model import Difference, PipelineResult, RunResult, Status
from driftcheck.reports.base import DEFAULT_OPTIONS, RenderOptions, Renderer, iso_utc, ordered_input_errors, ordered_pipelines
from driftcheck.reports.findings import place, short_value
from driftcheck.safe_text import multi_line, one_line

SUITE_NAME = "driftcheck"
# characters XML 1.0 cannot hold at all and safe_text leaves alone
_NOT_XML = re.compile("[\ufffe\uffff]")


def _xml_safe(text: str) -> str:
    return _NOT_XML.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _attr(text: object) -> str:
    return _xml_safe(one_line(text))


def _body(text: str) -> str:
    return _xml_safe(multi_line(text))


class JUnitRenderer(Renderer):
    """Writes one ``<testsuites>`` document holding one ``<testsuite>``."""

    def render(self, result: RunResult, *, color: bool = False, options: RenderOptions = DEFAULT_OPTIONS) -> str:
        """Return the JUnit XML; ``color`` is ignored."""
        root = build_junit(result)
        ET.indent(root, space="  ")
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _classname(pipeline: PipelineResult) -> str:
    if pipeline.source is not None:
        return pipeline.source.file
    return "unmanaged" if pipeline.status is Status.UNMANAGED else "undeclared"


def _difference_line(diff: Difference) -> str:
    line = f"{one_line(diff.path)}: declared {short_value(diff.declared)}, live {short_value(diff.live)}"
    return line + (f" ({one_line(str(diff.source))})" if diff.source is not None else "")


def _failure_message(pipeline: PipelineResult) -> str:
    if pipeline.status is Status.MISSING:
        return "missing: declared" + (f" at {pipeline.source}" if pipeline.source else "") + " but not found live"
    if pipeline.status is Status.UNMANAGED:
        return "unmanaged: live pipeline" + (f" {pipeline.arn}" if pipeline.arn else "") + " that nothing declares"
    paths = ", ".join(d.path for d in sorted(pipeline.differences, key=lambda d: d.path))
    count = len(pipeline.differences)
    return f"drifted: {count} difference{'s' if count != 1 else ''}: {paths}"


def _system_out(pipeline: PipelineResult) -> str:
    lines = [f"ignored: {_difference_line(d)}; {one_line(d.ignored_by or '')}" for d in sorted(pipeline.ignored, key=lambda d: d.path)]
    lines += [f"unresolved {one_line(u.path)}: {one_line(u.reason)}" for u in sorted(pipeline.unresolved, key=lambda u: u.path)]
    lines += [f"note: {one_line(note)}" for note in pipeline.notes]
    return "\n".join(lines)


def build_junit(result: RunResult) -> ET.Element:
    """The JUnit document as an ElementTree element, with counts that match its test cases."""
    ordered = ordered_pipelines(result.pipelines)
    seen = Counter((_classname(p), p.id) for p in ordered)
    cases: list[ET.Element] = []
    counts = Counter[str]()
    for pipeline in ordered:
        classname = _classname(pipeline)
        name = pipeline.id
        if seen[(classname, name)] > 1 and place(pipeline):  # one id in two accounts or regions: distinct test cases
            name = f"{name} [{place(pipeline)}]"
        case = ET.Element("testcase", {"classname": _attr(classname), "name": _attr(name), "time": "0"})
        if pipeline.status in (Status.DRIFTED, Status.MISSING, Status.UNMANAGED):
            failure = ET.SubElement(case, "failure", {"message": _attr(_failure_message(pipeline)), "type": pipeline.status.value})
            failure.text = _body("\n".join(_difference_line(d) for d in sorted(pipeline.differences, key=lambda d: d.path)))
            counts["failures"] += 1
        elif pipeline.status is Status.ERROR:
            error = ET.SubElement(case, "error", {"message": _attr(pipeline.error or "could not be checked"), "type": "error"})
            error.text = _body(pipeline.error or "")
            counts["errors"] += 1
        elif pipeline.ignored:  # in sync only because its drift is ignored or accepted: shown as skipped, not green
            reasons = sorted({one_line(d.ignored_by or "ignored") for d in pipeline.ignored})
            ET.SubElement(case, "skipped", {"message": _attr(f"{len(pipeline.ignored)} difference(s) ignored or accepted: {'; '.join(reasons)}")})
            counts["skipped"] += 1
        out = _system_out(pipeline)
        if out:
            ET.SubElement(case, "system-out").text = _body(out)
        cases.append(case)
    for input_error in ordered_input_errors(result.input_errors):
        case = ET.Element("testcase", {"classname": "input errors", "name": _attr(str(input_error.location)), "time": "0"})
        ET.SubElement(case, "error", {"message": _attr(input_error.message), "type": "input_error"}).text = _body(input_error.message)
        counts["errors"] += 1
        cases.append(case)
    attributes = {
        "name": SUITE_NAME,
        "tests": str(len(cases)),
        "failures": str(counts["failures"]),
        "errors": str(counts["errors"]),
        "skipped": str(counts["skipped"]),
        "time": "0",
    }
    root = ET.Element("testsuites", attributes)
    timestamp = iso_utc(result.generated_at).removesuffix("Z")  # UTC: the JUnit schema's dateTime has no zone
    suite = ET.SubElement(root, "testsuite", {**attributes, "timestamp": timestamp})
    properties = ET.SubElement(suite, "properties")
    ET.SubElement(properties, "property", {"name": "driftcheck.version", "value": _attr(result.tool_version)})
    suite.extend(cases)
    return root

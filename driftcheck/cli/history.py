"""``driftcheck report``, ``merge`` and ``compare``: shards and history from saved JSON reports, no live access."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from driftcheck.cli.common import EXIT_TROUBLE, guard, say, use_color, write_file
from driftcheck.cli.options import link_options, render_options
from driftcheck.errors import UsageError
from driftcheck.reports import ReportFormat

COMPARE_FORMATS = ("text", "json", "markdown")


def _argv() -> tuple[str, ...]:
    from driftcheck.cli import ARGV_KEY

    argv: tuple[str, ...] = click.get_current_context().meta.get(ARGV_KEY, tuple(sys.argv[1:]))
    return argv


@click.command()
@click.argument("report_file", metavar="REPORT.json", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(ReportFormat.choices()), default="text", show_default=True, help="Format to render.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write the report here instead of stdout.")
@link_options
@click.option("--debug", is_flag=True, help="Show tracebacks.")
@guard
def report(report_file: Path, fmt: str, output: Path | None, source_url: str | None, console_links: bool, debug: bool) -> None:
    """Render a saved JSON report (of `check` or `merge`) in any format, with no live access.

    Gives what `check --format FORMAT` gave in the run that wrote REPORT.json.
    Exit codes: 0 written, 2 the report cannot be read (another major schema version, not JSON, a schema
    violation) or the output cannot be written.
    """
    from driftcheck.cli.check import render
    from driftcheck.history.report_file import load_report

    links = render_options(source_url, console_links)
    loaded = load_report(report_file)
    if output is not None:
        write_file(output, render(ReportFormat(fmt), loaded.result, links))
    else:
        click.echo(render(ReportFormat(fmt), loaded.result, links, color=use_color(sys.stdout)), nl=False)


@click.command()
@click.argument("report_files", metavar="REPORT.json...", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write the merged report here instead of stdout.")
@click.option("--format", "fmt", type=click.Choice(ReportFormat.choices()), default="json", show_default=True, help="Format of the merged report (--output / stdout).")
@click.option("--report", "reports", multiple=True, metavar="FORMAT=FILE", help="Also write the merged report in FORMAT to FILE (repeatable).")
@click.option("--previous", "previous_file", type=click.Path(dir_okay=False, path_type=Path), help="An older (merged) JSON report: say what drift is new, resolved and persisting since.")
@click.option("--fail-on", "fail_on", metavar="STATUS[:SEVERITY],...|none", help="What makes exit 1, as for check (default: any drift). Errors always exit 2.")
@link_options
@click.option("--debug", is_flag=True, help="Show tracebacks.")
@guard
def merge(report_files: tuple[Path, ...], output: Path | None, fmt: str, reports: tuple[str, ...], previous_file: Path | None,
          fail_on: str | None, source_url: str | None, console_links: bool, debug: bool) -> None:
    """Combine the JSON reports of parallel shards (a CI matrix over accounts or regions) into one report.

    A pipeline checked in two shards (same account, region, id and declaring file) is kept once with a note
    when they agree, and is an error naming both shards when they disagree.
    Exit codes, as for check, from the merged report: 0 in sync, 1 drift (--fail-on narrows which), 2 an error
    in it (a pipeline that could not be checked, an input error, shards that disagree) or a report that cannot
    be read.
    """
    from collections import Counter
    from dataclasses import replace

    from driftcheck.cli.check import emit, github_actions, parse_reports
    from driftcheck.cli.run_context import masked_command
    from driftcheck.history.changes import compare_runs
    from driftcheck.history.merge import merge_reports
    from driftcheck.history.report_file import load_report
    from driftcheck.policy import exit_code, fail_on_option

    links = render_options(source_url, console_links)
    rule = fail_on_option(fail_on)
    targets = parse_reports(reports)
    twice = [str(path) for path, count in Counter(report_files).items() if count > 1]
    if twice:
        raise UsageError(f"{twice[0]} is given twice")
    shards = [load_report(path) for path in report_files]
    older = load_report(previous_file) if previous_file is not None else None
    result = merge_reports(shards)
    if older is not None:
        result = replace(result, previous=compare_runs(older.result, result, older.file))
    code = exit_code(result, rule, result.severity_overrides)
    context = result.context
    if context is not None:
        result = replace(result, context=replace(context, command=masked_command(_argv()), exit_code=code))
    failures = emit(result, ReportFormat(fmt), output, targets, links) + github_actions(result, ReportFormat(fmt), output)
    for failure in failures:
        say(f"driftcheck: error: {failure}")
    sys.exit(EXIT_TROUBLE if failures else code)


@click.command()
@click.argument("old", metavar="OLD.json", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("new", metavar="NEW.json", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(COMPARE_FORMATS), default="text", show_default=True, help="Output format.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write the comparison here instead of stdout.")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
@guard
def compare(old: Path, new: Path, fmt: str, output: Path | None, debug: bool) -> None:
    """Which drift is new, resolved and persisting (since when) from the OLD report to the NEW one.

    Per pipeline and field path; missing, unmanaged and error pipelines per status. Persisting drift is dated
    from the OLD report (its generated_at, or the first-seen date it carries from its own --previous).
    Exit codes: 0 no new drift, 1 new drift (or a pipeline newly missing, unmanaged or in error), 2 a report
    that cannot be read or an output that cannot be written.
    """
    import json

    from driftcheck.history.changes import ChangeKind, compare_runs
    from driftcheck.history.changes_json import compare_document
    from driftcheck.reports.markdown import comparison_section
    from driftcheck.reports.text import comparison_lines
    from driftcheck.history.report_file import load_report

    older, newer = load_report(old), load_report(new)
    comparison = compare_runs(older.result, newer.result, older.file)
    if fmt == "json":
        document = compare_document(comparison, new_file=newer.file, new_generated_at=newer.result.generated_at,
                                    old_version=older.schema_version, new_version=newer.schema_version)
        text = json.dumps(document, sort_keys=True, indent=2, ensure_ascii=True) + "\n"
    elif fmt == "markdown":
        text = comparison_section(comparison, heading="##")
    else:
        text = "driftcheck compare: " + "\n".join(comparison_lines(comparison)) + "\n"
    if output is not None:
        write_file(output, text, "comparison")
    else:
        click.echo(text, nl=False)
    sys.exit(1 if comparison.of(ChangeKind.NEW) else 0)

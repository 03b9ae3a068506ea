"""``driftcheck check``: declared pipelines against live state, reports, exit code."""

from __future__ import annotations

import os
import sys
import time
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from click.core import ParameterSource

from driftcheck.cli.common import EXIT_TROUBLE, config_errors, guard, plural, say, setup_logging, use_color, write_file
from driftcheck.cli.options import (
    account_targets,
    aws_options,
    aws_settings,
    base_profile,
    declaration_options,
    link_options,
    live_reader,
    pop_declaration,
    render_options,
    source_options,
)
from driftcheck.defaults import CONFIG_NAMES
from driftcheck.errors import DriftcheckError, UsageError
from driftcheck.model import Location, Status
from driftcheck.reports import ReportFormat

if TYPE_CHECKING:
    from driftcheck.config import Config
    from driftcheck.model import RunResult
    from driftcheck.reports.base import RenderOptions


def parse_reports(values: tuple[str, ...]) -> list[tuple[ReportFormat, Path]]:
    reports = []
    for item in values:
        fmt, sep, path = item.partition("=")
        if not sep or fmt not in ReportFormat.choices() or not path:
            raise click.BadParameter(f"{item!r}: expected FORMAT=FILE with FORMAT one of {', '.join(ReportFormat.choices())}", param_hint="--report")
        reports.append((ReportFormat(fmt), Path(path)))
    return reports


def render(fmt: ReportFormat, result: RunResult, options: RenderOptions | None = None, *, color: bool = False) -> str:
    """One report as text; a renderer's bug becomes a DriftcheckError naming the format (the others still run)."""
    import logging

    from driftcheck.reports.base import DEFAULT_OPTIONS

    try:
        return fmt.renderer()().render(result, color=color, options=options or DEFAULT_OPTIONS)
    except DriftcheckError:
        raise
    except Exception as exc:  # a bug in one renderer: the other reports are still written
        logging.getLogger(__name__).debug("the %s report failed", fmt.value, exc_info=True)
        raise DriftcheckError(f"internal error in the {fmt.value} report: {type(exc).__name__}: {exc}") from exc


def emit(result: RunResult, fmt: ReportFormat, output: Path | None, reports: list[tuple[ReportFormat, Path]],
         options: RenderOptions | None = None) -> list[str]:
    """Write every report asked for, each on its own: one that fails never stops the others. Returns the failures."""
    failures: list[str] = []
    for report_format, path in [*reports, *([(fmt, output)] if output is not None else [])]:
        try:
            write_file(path, render(report_format, result, options))
        except DriftcheckError as exc:
            failures.append(str(exc))
    if output is None:
        try:
            text = render(fmt, result, options, color=use_color(sys.stdout))
        except DriftcheckError as exc:
            failures.append(str(exc))
        else:
            click.echo(text, nl=False)
    return failures


def github_actions(result: RunResult, fmt: ReportFormat, output: Path | None) -> list[str]:
    """In a GitHub Actions job: annotations (unless the main report is them), the Markdown report appended to the
    job summary (GITHUB_STEP_SUMMARY). Beside a machine-readable report on stdout the annotations go to stderr,
    which the runner reads too, so ``--format json > drift.json`` stays JSON. Returns the failures."""
    if os.environ.get("GITHUB_ACTIONS") != "true":
        return []
    from driftcheck.reports.github import annotations
    from driftcheck.safe_text import encode_utf8

    failures: list[str] = []
    if fmt is not ReportFormat.GITHUB:
        try:
            click.echo(annotations(result), nl=False, err=output is None and fmt is not ReportFormat.TEXT)
        except Exception as exc:  # a bug: the reports are written all the same
            failures.append(f"internal error in the GitHub annotations: {type(exc).__name__}: {exc}")
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        try:
            with open(summary, "ab") as stream:
                stream.write(encode_utf8(render(ReportFormat.MARKDOWN, result) + "\n"))
        except DriftcheckError as exc:
            failures.append(str(exc))
        except OSError as exc:
            failures.append(f"cannot append to the job summary {summary}: {exc.strerror or exc}")
    return failures


def trouble_summary(result: RunResult, report_failures: list[str]) -> str | None:
    """The stderr line saying what went wrong, whatever --format/--output say, or None when stderr already has.

    Input errors and report failures are each one stderr line already (bad input stays one line); a pipeline
    that could not be checked for another reason (an AWS fault, an unknown count...) is otherwise only in the
    reports, so a run with any gets this summary of everything.
    """
    errored = sorted((p for p in result.pipelines if p.status is Status.ERROR), key=lambda p: (p.id, p.region or ""))
    input_errors = sorted(result.input_errors, key=lambda e: (e.location.file, e.location.line or 0, e.message))
    shown = {e.location.file for e in input_errors}  # a pipeline of a file already reported is said already
    if not any(p.source is None or p.source.file not in shown for p in errored):
        return None
    counts = [plural(len(errored), "error"), plural(len(input_errors), "input error")]
    if report_failures:
        counts.append(plural(len(report_failures), "report") + " not written")
    if input_errors:
        first = f"{input_errors[0].location}: {input_errors[0].message}"
    elif errored:
        pipeline = errored[0]
        where = "/".join(part for part in (pipeline.account, pipeline.region) if part)
        first = f"{pipeline.id}" + (f" [{where}]" if where else "") + f": {pipeline.error}"
    else:
        first = report_failures[0]
    return f"driftcheck: {', '.join(counts)}: first: {first}"


def _load_config(explicit: Path | None) -> Config | None:
    """``--config FILE``, else a configuration file in the current directory, else None."""
    from driftcheck.config import ConfigError, find_config, load_config

    path = find_config(explicit)
    if path is None:
        return None
    try:
        return load_config(path)
    except ConfigError as exc:
        config_errors(exc.problems)
        raise  # not reached


def _given_on_command_line() -> set[str]:
    """The names of the options written on the command line (not defaults): those win over the configuration file."""
    context = click.get_current_context()
    return {name for name in context.params if context.get_parameter_source(name) is ParameterSource.COMMANDLINE}


def _argv() -> tuple[str, ...]:
    from driftcheck.cli import ARGV_KEY

    argv: tuple[str, ...] = click.get_current_context().meta.get(ARGV_KEY, tuple(sys.argv[1:]))
    return argv


def _load_previous(path: Path | None) -> Any:
    """``--previous FILE`` read (driftcheck.history.report_file.LoadedReport), or None."""
    if path is None:
        return None
    from driftcheck.history.report_file import load_report

    return load_report(path)


def _inputs(paths: tuple[str, ...], declaration: dict[str, Any], extra: tuple[Path | None, ...]) -> list[str]:
    files = [*paths, *map(str, declaration["var_file"]), *([str(declaration["state"])] if declaration["state"] else [])]
    return files + [str(p) for p in extra if p is not None]


def _start_evaluation_early(paths: tuple[str, ...], options: dict[str, Any]) -> None:
    """A run of one Terraform directory, with neither a configuration file (which may name other paths and
    variables) nor --var/--var-file: its evaluator child starts now, before the other stages are imported, with the
    request the Terraform source will make (prefetch.py; a different request stops it unused)."""
    if len(paths) != 1 or options.get("config_file") is not None or options["var"] or options["var_file"]:
        return
    if any(Path(name).exists() for name in CONFIG_NAMES) or not Path(paths[0]).is_dir():
        return
    from driftcheck.sources.terraform import TerraformOptions
    from driftcheck.sources.terraform.prefetch import start_early

    start_early(Path(paths[0]).resolve(), TerraformOptions(workspace=options["workspace"]))


class _EarlyReads:
    """The reads a one-account run starts while its declarations are parsed, because it would make them anyway
    (they overlap parsing and evaluation; nothing else changes): :attr:`reader` is the reader that started them."""

    def __init__(self, settings: Any, regions: tuple[str, ...], progress: Any) -> None:
        self.settings, self.regions, self.progress = settings, regions, progress
        self.reader: Any = None
        self.by_name = False  # the run's pipelines are looked up by name: the sources' expected counts decide

    def _reader(self) -> Any:
        if self.reader is None:
            from driftcheck.live.fetch import AwsLiveReader

            self.reader = AwsLiveReader(self.settings, regions=self.regions, progress=self.progress)
        return self.reader

    def complete_listings(self, regions: tuple[str | None, ...]) -> None:
        self._reader().prefetch(regions)

    def expect(self, pipelines: int) -> None:
        """More by-name pipelines than the reader looks up one by one: it lists the run's first region whole."""
        from driftcheck.live.aws_reader import NAME_FILTER_LIMIT

        if pipelines > NAME_FILTER_LIMIT and self.reader is None:
            self.complete_listings(self.regions[:1] or (None,))


def _early_reads(settings: Any, targets: list[Any], unmanaged: bool, regions: tuple[str, ...], progress: Any,
                 paths: Any, state: Any) -> _EarlyReads | None:
    """For a one-account run (None otherwise), the listings it will read anyway, started now: with --unmanaged the
    complete listing of every region of the run; with --state, the listing for the state's pipeline ARNs in each
    region that holds ARN_LIST_THRESHOLD of them or more; otherwise, once the Terraform files are known to declare
    more pipelines than the reader looks up by name (their pipeline blocks counted now; a count or for_each
    block's instances when the Terraform source has evaluated them, through TerraformOptions.expect), the
    complete listing of the run's first region."""
    if settings is None or targets:
        return None
    from driftcheck.live.aws_reader import ARN_LIST_THRESHOLD
    from driftcheck.live.fetch import arn_region
    from driftcheck.sources.terraform.estimate import declared_pipelines

    early = _EarlyReads(settings, regions, progress)
    if unmanaged:
        early.complete_listings(regions or (None,))
    elif state is not None:  # the state's pipeline ARNs, by region: the listing the reader would make for them
        by_region: dict[str | None, list[str]] = {}
        for arn in state.pipeline_arns():
            by_region.setdefault(arn_region(arn), []).append(arn)
        for region, arns in by_region.items():
            if len(arns) >= ARN_LIST_THRESHOLD:
                early._reader().prefetch_arns(region, arns)
    else:
        early.by_name = True
        early.expect(declared_pipelines(paths))
    return early


@click.command()
@click.argument("paths", nargs=-1)
@declaration_options
@aws_options
@click.option("--live", "live_dir", type=click.Path(file_okay=False, path_type=Path), help="Offline: read saved get_image_pipeline responses from DIR; no AWS calls.")
@click.option("--unmanaged/--no-unmanaged", default=False, help="Also report live pipelines that nothing declares.")
@click.option("--format", "fmt", type=click.Choice(ReportFormat.choices()), default="text", show_default=True, help="Report format for --output / stdout.")
@click.option("--output", type=click.Path(path_type=Path), help="Write the report here instead of stdout.")
@click.option("--report", "reports", multiple=True, metavar="FORMAT=FILE", help="Also write a report in FORMAT to FILE (repeatable).")
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path), help=f"Configuration file (default: {' or '.join(CONFIG_NAMES)} in the current directory, if there).")
@click.option("--fail-on", "fail_on", metavar="STATUS[:SEVERITY],...|none", help="What makes exit 1: e.g. drifted:high,missing,unmanaged (default: any drift). Errors always exit 2.")
@click.option("--baseline", "baseline_file", type=click.Path(dir_okay=False, path_type=Path), help="Accepted drift (from `driftcheck baseline`): a difference exactly as recorded there is ignored.")
@click.option("--previous", "previous_file", type=click.Path(dir_okay=False, path_type=Path), help="An older JSON report: the reports say what drift is new, resolved and persisting (since when) since then.")
@link_options
@guard
def check(paths, region, profile, endpoint_url, max_attempts, timeout, debug, verbose, live_dir, unmanaged, fmt, output, reports, **options) -> None:
    """Compare the pipelines declared under PATHS (or the config file's paths) with live state.

    Exit codes: 0 in sync, 1 drift (drifted, missing, or unmanaged with --unmanaged; --fail-on narrows
    which), 2 trouble (bad usage, input or config file, or a pipeline that could not be checked).
    """
    started_at, started = datetime.now(timezone.utc), time.monotonic()
    _start_evaluation_early(paths, options)
    setup_logging(debug, verbose)
    from driftcheck.cli.options import live_regions, read_progress, read_state_option, split_regions

    regions, region = split_regions(region)
    from driftcheck.baseline import load_baseline
    from driftcheck.check import run_check
    from driftcheck.live.fetch import LiveReader, SnapshotLiveReader
    from driftcheck.policy import Policy, fail_on_option, parse_fail_on
    from driftcheck.policy import exit_code as policy_exit_code
    from driftcheck.sources.registry import collect

    links = render_options(options.pop("source_url"), options.pop("console_links"))
    config_path: Path | None = options.pop("config_file")
    config = _load_config(config_path)
    fail_on_text: str | None = options.pop("fail_on")
    baseline_file: Path | None = options.pop("baseline_file")
    previous_file: Path | None = options.pop("previous_file")
    older = _load_previous(previous_file)  # a bad file stops the run before any AWS call
    policy = None
    severity: dict[str, str] = {}
    if config is not None:
        from driftcheck.config import merge_declaration, merge_reports

        given = _given_on_command_line()
        paths = paths or config.paths or ()
        region = region if "region" in given else region or config.region
        unmanaged = unmanaged if "unmanaged" in given or config.unmanaged is None else config.unmanaged
        reports = merge_reports(config, reports)
        options.update(merge_declaration(config, pop_declaration(dict(options)), given))
        severity = dict(config.severity)
        policy = Policy(rules=config.rules, base=config.base)
        if fail_on_text is None and config.fail_on is not None:
            try:
                parse_fail_on(config.fail_on)
            except ValueError as exc:
                config_errors([(config.fail_on_location or Location(config.file), f"fail_on: {exc}")])
            fail_on_text = config.fail_on
    if not paths:
        raise UsageError("no PATH given (on the command line or as paths in the configuration file)")
    fail_on = fail_on_option(fail_on_text)
    if baseline_file is not None:
        policy = replace(policy or Policy(), baseline=load_baseline(baseline_file))
    report_targets = parse_reports(reports)
    all_regions, quiet = options.pop("all_regions"), options.pop("quiet")
    roles, external_id, accounts_file = options.pop("roles"), options.pop("external_id"), options.pop("accounts_file")
    targets = [] if live_dir else account_targets(profile, roles, external_id, accounts_file, config.accounts if config else None)
    if live_dir and (profile or roles or accounts_file):
        raise UsageError("--live reads saved responses offline: --profile, --assume-role and --accounts need AWS")
    profile = base_profile(profile, roles, accounts_file)
    settings = None if live_dir else aws_settings(region, profile, endpoint_url, max_attempts, timeout, options.pop("retry_budget"), options.pop("deadline"))
    regions = live_regions(regions, all_regions, settings)
    declaration = pop_declaration(options)
    progress = read_progress(quiet, verbose or debug)
    state_read = read_state_option(declaration)
    early = _early_reads(settings, targets, unmanaged, regions, progress, paths, state_read[0])
    expect = early.expect if early is not None and early.by_name else None
    declared = collect(paths, source_options(declaration, region, profile, settings, state_read, expect))
    reader: LiveReader = SnapshotLiveReader(live_dir) if settings is None else live_reader(
        settings, targets, declared.pipelines, regions=regions, progress=progress, early=early.reader if early else None)
    try:
        result = run_check(declared.pipelines, declared.errors, reader, unmanaged=unmanaged, policy=policy)
    finally:
        progress.close()
    if severity:
        result = replace(result, severity_overrides=severity)
    if older is not None:
        from driftcheck.history.changes import compare_runs

        result = replace(result, previous=compare_runs(older.result, result, older.file))
    from driftcheck.cli.run_context import run_context

    code = policy_exit_code(result, fail_on, severity)
    result = replace(result, context=run_context(
        result, argv=_argv(), live_dir=live_dir, inputs=_inputs(paths, declaration, (config.file if config else None, baseline_file, previous_file)),
        regions=regions or ((region,) if region else ()), exit_code=code, started_at=started_at, duration=time.monotonic() - started,
        accounts=getattr(reader, "account_labels", ())))
    for error in result.input_errors:
        say(f"{error.location}: error: {error.message}")
    failures = emit(result, ReportFormat(fmt), output, report_targets, links) + github_actions(result, ReportFormat(fmt), output)
    for failure in failures:
        say(f"driftcheck: error: {failure}")
    summary = trouble_summary(result, failures)
    if summary is not None:
        say(summary)
    sys.exit(EXIT_TROUBLE if failures else code)

"""Command line: wiring and exit codes only. The work is done by sources, live, check and reports."""

from __future__ import annotations

import json
import logging
import os
import sys
import tempfile
import traceback
from collections.abc import Callable
from dataclasses import replace
from functools import wraps
from pathlib import Path
from typing import Any

import boto3
import click
from click.core import ParameterSource

from driftcheck import __version__
from driftcheck.baseline import baseline_from_report, load_baseline
from driftcheck.check import run_check
from driftcheck.config import DEFAULT_NAMES as DEFAULT_CONFIG_NAMES
from driftcheck.config import Config, ConfigError, find_config, load_config, merge_declaration, merge_reports
from driftcheck.errors import DriftcheckError, UsageError
from driftcheck.frozen import thaw
from driftcheck.live.fetch import AwsLiveReader, LiveReader, SnapshotLiveReader, response_file_name
from driftcheck.live.session import DEFAULT_DEADLINE, DEFAULT_RETRY_BUDGET, AwsCallError, AwsSettings
from driftcheck.live.stack import read_stack
from driftcheck.model import Location, RunResult, Status
from driftcheck.policy import Policy, fail_on_option, parse_fail_on
from driftcheck.policy import exit_code as policy_exit_code
from driftcheck.reports import ReportFormat
from driftcheck.safe_text import encode_utf8, multi_line, one_line
from driftcheck.sources import TFVARS_SUFFIXES, SourceOptions, collect
from driftcheck.sources.cloudformation import CloudFormationOptions, StackBinding
from driftcheck.sources.terraform import TerraformOptions
from driftcheck.sources.terraform.state import read_state

EXIT_TROUBLE = 2


def _say(line: str) -> None:
    """One line on stderr, terminal-safe (:mod:`driftcheck.safe_text`): file names and messages are untrusted."""
    click.echo(one_line(line), err=True)


def _print_traceback() -> None:
    click.echo(multi_line(traceback.format_exc()), err=True, nl=False)


class _SafeFormatter(logging.Formatter):
    """Log lines (skipped files, notes) name untrusted files: each message is made terminal-safe."""

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - logging's name
        return one_line(super().formatMessage(record))

    def formatException(self, ei: Any) -> str:  # noqa: N802 - logging's name
        return multi_line(super().formatException(ei))


def _guard(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn driftcheck errors (and anything unexpected) into one stderr line and exit 2; --debug shows the traceback."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        debug = bool(kwargs.get("debug"))
        try:
            return fn(*args, **kwargs)
        except DriftcheckError as exc:
            if debug:
                _print_traceback()
            _say(f"driftcheck: error: {exc}")
            sys.exit(exc.exit_code)
        except (click.exceptions.Exit, click.ClickException, SystemExit, KeyboardInterrupt):
            raise
        except Exception as exc:  # a bug: still one line and a defined exit code, never a bare traceback
            if debug:
                _print_traceback()
            _say(f"driftcheck: internal error: {type(exc).__name__}: {exc} (run with --debug for details)")
            sys.exit(EXIT_TROUBLE)

    return wrapper


def _parse_vars(values: tuple[str, ...], option: str = "--var") -> tuple[tuple[str, str], ...]:
    pairs = []
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"{item!r}: expected NAME=VALUE", param_hint=option)
        pairs.append((name.strip(), value))
    return tuple(pairs)


def _parse_reports(values: tuple[str, ...]) -> list[tuple[ReportFormat, Path]]:
    reports = []
    for item in values:
        fmt, sep, path = item.partition("=")
        if not sep or fmt not in ReportFormat.choices() or not path:
            raise click.BadParameter(f"{item!r}: expected FORMAT=FILE with FORMAT one of {', '.join(ReportFormat.choices())}", param_hint="--report")
        reports.append((ReportFormat(fmt), Path(path)))
    return reports


def _parse_stacks(values: tuple[str, ...]) -> list[tuple[str | None, str]]:
    stacks = []
    for item in values:
        template, sep, name = item.rpartition("=")
        if (sep and not template) or not name.strip():
            raise click.BadParameter(f"{item!r}: expected NAME or TEMPLATE=NAME", param_hint="--stack")
        stacks.append((template or None, name.strip()))
    return stacks


def _read_stacks(stacks: list[tuple[str | None, str]], settings: AwsSettings) -> tuple[StackBinding, ...]:
    """Read each --stack through the CloudFormation API; a stack that cannot be read is kept with its error."""
    bindings = []
    for template, name in stacks:
        try:
            bindings.append(StackBinding(name=name, template=template, stack=read_stack(settings, name)))
        except AwsCallError as exc:
            bindings.append(StackBinding(name=name, template=template, error=str(exc)))
    return tuple(bindings)


def _default_region(region: str | None, profile: str | None) -> str | None:
    """--region, else the AWS chain's region (env, profile): the region live state is read from."""
    if region:
        return region
    try:
        return boto3.session.Session(profile_name=profile).region_name
    except Exception:  # an unknown profile: the live fetch reports it; the template just lacks AWS::Region
        return None


def _source_options(declaration: dict[str, Any], region: str | None, profile: str | None, settings: AwsSettings | None) -> SourceOptions:
    var_files = tuple(declaration["var_file"])
    variables = _parse_vars(declaration["var"])
    stacks = _parse_stacks(declaration["stacks"])
    if stacks and settings is None:
        raise UsageError("--stack reads the deployed stack from AWS, which --live (offline) rules out")
    # a malformed --state is an input error, and the state is absent: what it would resolve is unresolved
    state, state_error = read_state(declaration["state"]) if declaration["state"] else (None, None)
    return SourceOptions(
        errors=(state_error,) if state_error is not None else (),
        terraform=TerraformOptions(
            variables=variables,
            var_files=tuple(p for p in var_files if p.name.endswith(TFVARS_SUFFIXES)),
            state=state,
            workspace=declaration["workspace"],
        ),
        cloudformation=CloudFormationOptions(
            parameters=variables,
            parameter_files=tuple(p for p in var_files if not p.name.endswith(TFVARS_SUFFIXES)),
            region=_default_region(region, profile),
            account_id=declaration["account_id"],
            stack_name=declaration["stack_name"],
            offline=settings is None,
            exports=_parse_vars(declaration["exports"], "--export"),
        ),
        # read only once a template is found among the paths: no AWS call when nothing would use it
        stacks=(lambda: _read_stacks(stacks, settings)) if stacks and settings is not None else None,
    )


def _use_color(stream: Any) -> bool:
    return "NO_COLOR" not in os.environ and hasattr(stream, "isatty") and stream.isatty()


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _write(path: Path, text: str, what: str = "report") -> None:
    """Write ``text`` atomically: a temporary file in the same directory, then os.replace (never half a file)."""
    temporary = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(handle, "wb") as stream:
            stream.write(encode_utf8(text))
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, path)
        temporary = None
    except OSError as exc:
        raise DriftcheckError(f"cannot write {what} {path}: {exc.strerror or exc}") from exc
    finally:
        if temporary is not None:
            try:
                os.unlink(temporary)
            except OSError:
                pass


def _render(fmt: ReportFormat, result: RunResult, *, color: bool = False) -> str:
    try:
        return fmt.renderer()().render(result, color=color)
    except DriftcheckError:
        raise
    except Exception as exc:  # a bug in one renderer: the other reports are still written
        logging.getLogger(__name__).debug("the %s report failed", fmt.value, exc_info=True)
        raise DriftcheckError(f"internal error in the {fmt.value} report: {type(exc).__name__}: {exc}") from exc


def _emit(result: RunResult, fmt: ReportFormat, output: Path | None, reports: list[tuple[ReportFormat, Path]]) -> list[str]:
    """Write every report asked for, each on its own: one that fails never stops the others. Returns the failures."""
    failures: list[str] = []
    for report_format, path in [*reports, *([(fmt, output)] if output is not None else [])]:
        try:
            _write(path, _render(report_format, result))
        except DriftcheckError as exc:
            failures.append(str(exc))
    if output is None:
        try:
            text = _render(fmt, result, color=_use_color(sys.stdout))
        except DriftcheckError as exc:
            failures.append(str(exc))
        else:
            click.echo(text, nl=False)
    return failures


def _github_actions(result: RunResult, fmt: ReportFormat, output: Path | None) -> list[str]:
    """In a GitHub Actions job: annotations (unless the main report is them), the Markdown report appended to the
    job summary (GITHUB_STEP_SUMMARY). Beside a machine-readable report on stdout the annotations go to stderr,
    which the runner reads too, so ``--format json > drift.json`` stays JSON. Returns the failures."""
    if os.environ.get("GITHUB_ACTIONS") != "true":
        return []
    from driftcheck.reports.github import annotations

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
                stream.write(encode_utf8(_render(ReportFormat.MARKDOWN, result) + "\n"))
        except DriftcheckError as exc:
            failures.append(str(exc))
        except OSError as exc:
            failures.append(f"cannot append to the job summary {summary}: {exc.strerror or exc}")
    return failures


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _trouble_summary(result: RunResult, report_failures: list[str]) -> str | None:
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
    counts = [_plural(len(errored), "error"), _plural(len(input_errors), "input error")]
    if report_failures:
        counts.append(_plural(len(report_failures), "report") + " not written")
    if input_errors:
        first = f"{input_errors[0].location}: {input_errors[0].message}"
    elif errored:
        pipeline = errored[0]
        first = f"{pipeline.id}" + (f" [{pipeline.region}]" if pipeline.region else "") + f": {pipeline.error}"
    else:
        first = report_failures[0]
    return f"driftcheck: {', '.join(counts)}: first: {first}"


# Configuration file ------------------------------------------------------------


def _config_errors(problems: list[tuple[Location, str]]) -> None:
    """Each problem as one ``file:line: error: ...`` line on stderr, then exit 2."""
    for location, message in problems:
        _say(f"{location}: error: {message}")
    sys.exit(EXIT_TROUBLE)


def _load_config(explicit: Path | None) -> Config | None:
    """``--config FILE``, else a configuration file in the current directory, else None."""
    path = find_config(explicit)
    if path is None:
        return None
    try:
        return load_config(path)
    except ConfigError as exc:
        _config_errors(exc.problems)
        raise  # not reached


def _given_on_command_line() -> set[str]:
    """The names of the options written on the command line (not defaults): those win over the configuration file."""
    context = click.get_current_context()
    return {name for name in context.params if context.get_parameter_source(name) is ParameterSource.COMMANDLINE}


# Shared options ----------------------------------------------------------------

DECLARATION_OPTIONS = ("var", "var_file", "state", "workspace", "account_id", "stack_name", "stacks", "exports")


def _declaration_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--var", "var", multiple=True, metavar="NAME=VALUE", help="Set a Terraform variable or CloudFormation parameter (repeatable)."),
        click.option("--var-file", "var_file", multiple=True, type=click.Path(path_type=Path), help="A .tfvars/.tfvars.json file, or a CloudFormation parameter file (JSON/YAML) (repeatable)."),
        click.option("--state", type=click.Path(path_type=Path), help="Terraform state (v4 JSON or `terraform show -json`): resolves references and gives ARNs."),
        click.option("--workspace", default=lambda: os.environ.get("TF_WORKSPACE", "default"), show_default="TF_WORKSPACE or default", help="Value of terraform.workspace."),
        click.option("--export", "exports", multiple=True, metavar="NAME=VALUE", help="Value of a CloudFormation export, for Fn::ImportValue (repeatable)."),
        click.option("--account-id", help="Value of AWS::AccountId in CloudFormation templates."),
        click.option("--stack-name", help="Value of AWS::StackName in CloudFormation templates."),
        click.option("--stack", "stacks", multiple=True, metavar="[TEMPLATE=]NAME", help="Resolve a template from its deployed stack (parameters, resource ids, stack tags) via the CloudFormation API (repeatable)."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def _declaration(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {name: kwargs.pop(name) for name in DECLARATION_OPTIONS}


def _aws_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--region", help="AWS region (default: the AWS chain, e.g. AWS_REGION). A pipeline's own Terraform region wins."),
        click.option("--profile", help="AWS profile name."),
        click.option("--endpoint-url", help="Image Builder endpoint (default: AWS_ENDPOINT_URL_IMAGEBUILDER, then AWS)."),
        click.option("--max-attempts", type=click.IntRange(1, 20), default=6, show_default=True, help="Attempts per AWS call (throttling, 5xx, timeouts)."),
        click.option("--timeout", type=click.FloatRange(0.1, 600), default=30.0, show_default=True, help="Seconds to wait for one AWS response."),
        click.option("--retry-budget", type=click.FloatRange(0.1, 86400), default=DEFAULT_RETRY_BUDGET, show_default=True, help="Seconds one AWS call may spend retrying (throttling, 5xx, timeouts, dropped connections)."),
        click.option("--deadline", type=click.FloatRange(0.1, 86400), default=DEFAULT_DEADLINE, show_default=True, help="Seconds the whole run may spend reading AWS; what is unread then is an error."),
        click.option("--debug", is_flag=True, help="Show tracebacks and debug logs."),
        click.option("-v", "--verbose", is_flag=True, help="Show informational notes (skipped files, empty count...)."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def _settings(region: str | None, profile: str | None, endpoint_url: str | None, max_attempts: int, timeout: float,
              retry_budget: float = DEFAULT_RETRY_BUDGET, deadline: float = DEFAULT_DEADLINE) -> AwsSettings:
    return AwsSettings(
        retry_budget=retry_budget,
        deadline=deadline,
        region=region,
        profile=profile,
        endpoint_url=endpoint_url,
        max_attempts=max_attempts,
        retry_initial_delay=float(os.environ.get("DRIFTCHECK_RETRY_DELAY", "0.5")),
        read_timeout=timeout,
        connect_timeout=min(timeout, 10.0),
    )


def _logging(debug: bool, verbose: bool) -> None:
    level = logging.DEBUG if debug else logging.INFO if verbose else logging.WARNING
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_SafeFormatter("driftcheck: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    if not debug:
        for noisy in ("botocore", "boto3", "urllib3"):
            logging.getLogger(noisy).setLevel(logging.WARNING)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="driftcheck")
def main() -> None:
    """driftcheck: do your live EC2 Image Builder pipelines still match the code that declares them?"""


@main.command()
@click.argument("paths", nargs=-1)
@_declaration_options
@_aws_options
@click.option("--live", "live_dir", type=click.Path(file_okay=False, path_type=Path), help="Offline: read saved get_image_pipeline responses from DIR; no AWS calls.")
@click.option("--unmanaged/--no-unmanaged", default=False, help="Also report live pipelines that nothing declares.")
@click.option("--format", "fmt", type=click.Choice(ReportFormat.choices()), default="text", show_default=True, help="Report format for --output / stdout.")
@click.option("--output", type=click.Path(path_type=Path), help="Write the report here instead of stdout.")
@click.option("--report", "reports", multiple=True, metavar="FORMAT=FILE", help="Also write a report in FORMAT to FILE (repeatable).")
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path), help=f"Configuration file (default: {' or '.join(DEFAULT_CONFIG_NAMES)} in the current directory, if there).")
@click.option("--fail-on", "fail_on", metavar="STATUS[:SEVERITY],...|none", help="What makes exit 1: e.g. drifted:high,missing,unmanaged (default: any drift). Errors always exit 2.")
@click.option("--baseline", "baseline_file", type=click.Path(dir_okay=False, path_type=Path), help="Accepted drift (from `driftcheck baseline`): a difference exactly as recorded there is ignored.")
@_guard
def check(paths, region, profile, endpoint_url, max_attempts, timeout, debug, verbose, live_dir, unmanaged, fmt, output, reports, **options) -> None:
    """Compare the pipelines declared under PATHS (or the config file's paths) with live state.

    Exit codes: 0 in sync, 1 drift (drifted, missing, or unmanaged with --unmanaged; --fail-on narrows
    which), 2 trouble (bad usage, input or config file, or a pipeline that could not be checked).
    """
    _logging(debug, verbose)
    config = _load_config(options.pop("config_file"))
    fail_on_text: str | None = options.pop("fail_on")
    baseline_file: Path | None = options.pop("baseline_file")
    policy = None
    severity: dict[str, str] = {}
    if config is not None:
        given = _given_on_command_line()
        paths = paths or config.paths or ()
        region = region if "region" in given else region or config.region
        unmanaged = unmanaged if "unmanaged" in given or config.unmanaged is None else config.unmanaged
        reports = merge_reports(config, reports)
        options.update(merge_declaration(config, _declaration(dict(options)), given))
        severity = dict(config.severity)
        policy = Policy(rules=config.rules, base=config.base)
        if fail_on_text is None and config.fail_on is not None:
            try:
                parse_fail_on(config.fail_on)
            except ValueError as exc:
                _config_errors([(config.fail_on_location or Location(config.file), f"fail_on: {exc}")])
            fail_on_text = config.fail_on
    if not paths:
        raise UsageError("no PATH given (on the command line or as paths in the configuration file)")
    fail_on = fail_on_option(fail_on_text)
    if baseline_file is not None:
        policy = replace(policy or Policy(), baseline=load_baseline(baseline_file))
    report_targets = _parse_reports(reports)
    settings = None if live_dir else _settings(region, profile, endpoint_url, max_attempts, timeout, options.pop("retry_budget"), options.pop("deadline"))
    declared = collect(paths, _source_options(_declaration(options), region, profile, settings))
    reader: LiveReader = SnapshotLiveReader(live_dir) if settings is None else AwsLiveReader(settings)
    result = run_check(declared.pipelines, declared.errors, reader, unmanaged=unmanaged, policy=policy)
    if severity:
        result = replace(result, severity_overrides=severity)
    for error in result.input_errors:
        _say(f"{error.location}: error: {error.message}")
    failures = _emit(result, ReportFormat(fmt), output, report_targets) + _github_actions(result, ReportFormat(fmt), output)
    for failure in failures:
        _say(f"driftcheck: error: {failure}")
    summary = _trouble_summary(result, failures)
    if summary is not None:
        _say(summary)
    sys.exit(EXIT_TROUBLE if failures else policy_exit_code(result, fail_on, severity))


@main.command()
@click.argument("report", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--output", "-o", required=True, type=click.Path(dir_okay=False, path_type=Path), help="The baseline file to write, e.g. .driftcheck-baseline.json.")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
@_guard
def baseline(report: Path, output: Path, debug: bool) -> None:
    """Record the drift in a JSON REPORT (of `driftcheck check`) as accepted, for `check --baseline FILE`.

    Exit codes: 0 written, 2 the report cannot be read or the file cannot be written.
    """
    document = baseline_from_report(report)
    _write(output, json.dumps(document, indent=2, sort_keys=True) + "\n", "baseline")
    click.echo(one_line(f"accepted {_plural(len(document['accepted']), 'difference')} in {output}"))


@main.command()
@click.argument("paths", nargs=-1)
@_declaration_options
@_aws_options
@click.option("--output-dir", "-o", required=True, type=click.Path(file_okay=False, path_type=Path), help="Directory to write one response JSON file per pipeline.")
@_guard
def snapshot(paths, region, profile, endpoint_url, max_attempts, timeout, debug, verbose, output_dir, **options) -> None:
    """Save live get_image_pipeline responses into a directory, for `check --live DIR`.

    With PATHS, saves the pipelines they declare; without, every pipeline in the region.
    Exit codes: 0 all saved, 2 something could not be read (the rest is still saved).
    """
    _logging(debug, verbose)
    settings = _settings(region, profile, endpoint_url, max_attempts, timeout, options.pop("retry_budget"), options.pop("deadline"))
    reader = AwsLiveReader(settings)
    problems: list[str] = []
    if paths:
        declared = collect(paths, _source_options(_declaration(options), region, profile, settings))
        problems += [f"{e.location}: {e.message}" for e in declared.errors]  # --state errors included
        live = reader.read(declared.pipelines, unmanaged=False)
        pipelines = []
        for pipeline in declared.pipelines:
            outcome = live.outcomes.get(pipeline.key)
            if pipeline.error:
                problems.append(f"{pipeline.id}: {pipeline.error}")
            elif outcome is None or outcome.pipeline is None:
                problems.append(f"{pipeline.id}: {outcome.error if outcome else 'not read'}")
            else:
                pipelines.append(outcome.pipeline)
    else:
        try:
            listed = reader.list_pipelines(region)
        except AwsCallError as exc:
            raise DriftcheckError(str(exc)) from exc
        pipelines = []
        for item in listed:
            outcome = reader.get(region, str(item.get("arn")))
            if outcome.pipeline is None:
                problems.append(f"{item.get('arn')}: {outcome.error}")
            else:
                pipelines.append(outcome.pipeline)
    output_dir.mkdir(parents=True, exist_ok=True)
    for pipeline in pipelines:
        # Only the response body: ResponseMetadata is transport detail (and never holds credentials anyway).
        document = {"imagePipeline": thaw(pipeline)}
        _write(output_dir / response_file_name(pipeline), json.dumps(document, indent=2, sort_keys=True) + "\n", "response")
    click.echo(one_line(f"saved {len(pipelines)} pipeline(s) to {output_dir}"))
    for problem in problems:
        _say(f"driftcheck: error: {problem}")
    sys.exit(EXIT_TROUBLE if problems else 0)

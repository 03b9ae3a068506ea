"""Options shared by the commands that read declarations and AWS (check, snapshot), and what they build:
the source options for :func:`driftcheck.sources.registry.collect` and the AWS settings for the live readers.

Option definitions import nothing heavy; the builders import the stages they feed when they run.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from driftcheck.cli.common import parse_pairs
from driftcheck.defaults import DEADLINE, RETRY_BUDGET
from driftcheck.errors import UsageError

if TYPE_CHECKING:
    from driftcheck.live.session import AwsSettings
    from driftcheck.sources.registry import SourceOptions
    from driftcheck.sources.cloudformation import StackBinding

DECLARATION_OPTIONS = ("var", "var_file", "state", "workspace", "account_id", "stack_name", "stacks", "exports")


def declaration_options(fn: Callable[..., Any]) -> Callable[..., Any]:
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


def pop_declaration(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Take the declaration options out of a command's keyword arguments."""
    return {name: kwargs.pop(name) for name in DECLARATION_OPTIONS}


def aws_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--region", "region", multiple=True, metavar="REGION", help="AWS region (repeatable). The first is the region of pipelines that name none (default: the AWS chain, e.g. AWS_REGION); --unmanaged lists every one. A pipeline's own region wins."),
        click.option("--all-regions", is_flag=True, help="List every region Image Builder is in that the account has enabled (ec2:DescribeRegions), e.g. for --unmanaged."),
        click.option("-q", "--quiet", is_flag=True, help="No progress on stderr (shown only when stderr is a terminal)."),
        click.option("--profile", multiple=True, help="AWS profile: an account to read (repeatable: several accounts in one run)."),
        click.option("--assume-role", "roles", multiple=True, metavar="ROLE_ARN", help="Also read the account of this IAM role, assumed from the AWS chain's credentials as session driftcheck-audit (repeatable)."),
        click.option("--external-id", envvar="DRIFTCHECK_EXTERNAL_ID", help="External id for every --assume-role (or DRIFTCHECK_EXTERNAL_ID); per-account ids go in the accounts file."),
        click.option("--accounts", "accounts_file", type=click.Path(dir_okay=False, path_type=Path), help="Accounts file: the accounts to read, the role to assume in each, their regions and paths (default: the config file's accounts)."),
        click.option("--endpoint-url", help="Image Builder endpoint (default: AWS_ENDPOINT_URL_IMAGEBUILDER, then AWS)."),
        click.option("--max-attempts", type=click.IntRange(1, 20), default=6, show_default=True, help="Attempts per AWS call (throttling, 5xx, timeouts)."),
        click.option("--timeout", type=click.FloatRange(0.1, 600), default=30.0, show_default=True, help="Seconds to wait for one AWS response."),
        click.option("--retry-budget", type=click.FloatRange(0.1, 86400), default=RETRY_BUDGET, show_default=True, help="Seconds one AWS call may spend retrying (throttling, 5xx, timeouts, dropped connections)."),
        click.option("--deadline", type=click.FloatRange(0.1, 86400), default=DEADLINE, show_default=True, help="Seconds the whole run may spend reading AWS; what is unread then is an error."),
        click.option("--debug", is_flag=True, help="Show tracebacks and debug logs."),
        click.option("-v", "--verbose", is_flag=True, help="Show informational notes (skipped files, empty count...)."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def aws_settings(region: str | None, profile: str | None, endpoint_url: str | None, max_attempts: int, timeout: float,
                 retry_budget: float = RETRY_BUDGET, deadline: float = DEADLINE) -> AwsSettings:
    from driftcheck.live.session import AwsSettings

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


def account_targets(profiles: tuple[str, ...], roles: tuple[str, ...], external_id: str | None, accounts_file: Path | None,
                    config_accounts: tuple[Any, ...] | None = None) -> list[Any]:
    """The run's accounts: --profile, --assume-role, then --accounts FILE (else the config file's accounts)."""
    from driftcheck.cli.common import config_errors
    from driftcheck.config import ConfigError
    from driftcheck.live.accounts import command_line_targets

    targets = command_line_targets(profiles, roles, external_id)
    try:
        if accounts_file is not None:
            from driftcheck.accounts_file import load_accounts_file

            targets += load_accounts_file(accounts_file)
        elif config_accounts and not targets:
            targets += list(config_accounts)
    except ConfigError as exc:
        config_errors(exc.problems)
    return targets


def base_profile(profiles: tuple[str, ...], roles: tuple[str, ...], accounts_file: Path | None) -> str | None:
    """The profile of the base settings: the one --profile of a one-account run (as before several accounts), else None."""
    return profiles[0] if len(profiles) == 1 and not roles and accounts_file is None else None


def live_reader(settings: AwsSettings, targets: list[Any], pipelines: Any, early: Any = None, **reader_options: Any) -> Any:
    """One account's AwsLiveReader, or a FleetReader when the run names accounts or a provider assumes a role.

    ``early``: a one-account reader already made (its listings started before the declarations were parsed):
    used when one account is all the run needs."""
    if not targets and not any(p.provider_account is not None for p in pipelines):
        if early is not None:
            return early
        from driftcheck.live.fetch import AwsLiveReader

        return AwsLiveReader(settings, **reader_options)
    import gc

    from driftcheck.cli import PYTHON_GC_THRESHOLDS
    from driftcheck.live.fleet import FleetReader

    gc.set_threshold(*PYTHON_GC_THRESHOLDS)  # a session per account: its cycles are freed as each account is read
    return FleetReader(settings, targets, reader_options=reader_options)


def split_regions(region: tuple[str, ...]) -> tuple[tuple[str, ...], str | None]:
    """``--region`` given N times: (every region, the first: the region of pipelines that name none)."""
    regions = tuple(dict.fromkeys(r.strip() for r in region if r.strip()))
    return regions, (regions[0] if regions else None)


def live_regions(regions: tuple[str, ...], all_regions: bool, settings: AwsSettings | None) -> tuple[str, ...]:
    """The regions the live reader lists: ``--region``'s, and with ``--all-regions`` every enabled region too."""
    if not all_regions:
        return regions
    if settings is None:
        raise UsageError("--all-regions reads AWS: it cannot be used with --live")
    from driftcheck.cli.common import say
    from driftcheck.live.regions import all_regions as every_region

    found = every_region(settings)
    if found.note:
        say(f"driftcheck: note: {found.note}")
    return tuple(dict.fromkeys([*regions, *found.names]))


def read_progress(quiet: bool, logging_calls: bool) -> Any:
    """The live read's progress on stderr: drawn only on a terminal, never with --quiet, nor with -v/--debug (whose
    per-call log lines are the progress then)."""
    import sys

    from driftcheck.live.progress import progress_for

    return progress_for(sys.stderr, quiet=quiet or logging_calls)


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
    from driftcheck.live.session import AwsCallError
    from driftcheck.live.stack import read_stack
    from driftcheck.sources.cloudformation import StackBinding

    bindings = []
    for template, name in stacks:
        try:
            bindings.append(StackBinding(name=name, template=template, stack=read_stack(settings, name)))
        except AwsCallError as exc:
            bindings.append(StackBinding(name=name, template=template, error=str(exc)))
    return tuple(bindings)


def default_region(region: str | None, profile: str | None) -> str | None:
    """--region, else the AWS chain's region (env, profile): the region live state is read from."""
    if region:
        return region
    import boto3

    try:
        return boto3.session.Session(profile_name=profile).region_name
    except Exception:  # an unknown profile: the live fetch reports it; the template just lacks AWS::Region
        return None


def read_state_option(declaration: dict[str, Any]) -> tuple[Any, Any]:
    """``--state`` read once (a TerraformState, or None and the InputError a malformed one is; (None, None) without it)."""
    from driftcheck.sources.terraform.state import read_state

    return read_state(declaration["state"]) if declaration["state"] else (None, None)


def source_options(declaration: dict[str, Any], region: str | None, profile: str | None, settings: AwsSettings | None,
                   state_read: tuple[Any, Any] | None = None, expect: Callable[[int], None] | None = None) -> SourceOptions:
    """What the sources need from the command line: variables, var files, state, stacks, CloudFormation pseudo-parameters.
    ``state_read``: :func:`read_state_option`'s answer when the caller read the state already; ``expect``: told how
    many pipeline instances a Terraform root will have once its count/for_each values are known."""
    from driftcheck.sources.registry import TFVARS_SUFFIXES, SourceOptions
    from driftcheck.sources.cloudformation import CloudFormationOptions
    from driftcheck.sources.terraform import TerraformOptions

    var_files = tuple(declaration["var_file"])
    variables = parse_pairs(declaration["var"])
    stacks = _parse_stacks(declaration["stacks"])
    if stacks and settings is None:
        raise UsageError("--stack reads the deployed stack from AWS, which --live (offline) rules out")
    # a malformed --state is an input error, and the state is absent: what it would resolve is unresolved
    state, state_error = state_read if state_read is not None else read_state_option(declaration)
    return SourceOptions(
        errors=(state_error,) if state_error is not None else (),
        terraform=TerraformOptions(
            variables=variables,
            var_files=tuple(p for p in var_files if p.name.endswith(TFVARS_SUFFIXES)),
            state=state,
            workspace=declaration["workspace"],
            expect=expect,
        ),
        cloudformation=CloudFormationOptions(
            parameters=variables,
            parameter_files=tuple(p for p in var_files if not p.name.endswith(TFVARS_SUFFIXES)),
            region=default_region(region, profile),
            account_id=declaration["account_id"],
            stack_name=declaration["stack_name"],
            offline=settings is None,
            exports=parse_pairs(declaration["exports"], "--export"),
        ),
        # read only once a template is found among the paths: no AWS call when nothing would use it
        stacks=(lambda: _read_stacks(stacks, settings)) if stacks and settings is not None else None,
    )


def link_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``--source-url`` and ``--console-links``: how the HTML and Markdown reports link out."""
    fn = click.option("--console-links", is_flag=True, help="Link each pipeline's ARN to the AWS console (HTML report).")(fn)
    fn = click.option("--source-url", metavar="TEMPLATE", help="Link each file:line in the HTML report, e.g. https://github.com/org/repo/blob/main/{file}#L{line}.")(fn)
    return fn


def render_options(source_url: str | None, console_links: bool) -> Any:
    """The reports' RenderOptions; a --source-url that is not an http(s) URL template is a usage error."""
    from driftcheck.reports.base import RenderOptions

    if source_url is not None and not source_url.lower().startswith(("https://", "http://")):
        raise click.BadParameter(f"{source_url!r}: expected an http:// or https:// URL with {{file}} (and {{line}})", param_hint="--source-url")
    if source_url is not None and "{file}" not in source_url:
        raise click.BadParameter(f"{source_url!r}: the template needs {{file}} (and may have {{line}})", param_hint="--source-url")
    return RenderOptions(source_url=source_url, console_links=console_links)

"""Immutable data passed between driftcheck's stages.

sources -> DeclaredPipeline -> live fetch -> LiveOutcome -> normalize -> diff -> PipelineResult -> reports

Every stage takes these frozen dataclasses and returns new ones; nothing is mutated in place.
Nested API-shaped values are frozen with :func:`driftcheck.frozen.freeze` (mappings become
read-only ``MappingProxyType``, lists become tuples).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from driftcheck.history.changes import Comparison


@dataclass(frozen=True, order=True)
class Location:
    """Where something was declared: a file (as given on the command line) and a 1-based line."""

    file: str
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


@dataclass(frozen=True)
class Unresolved:
    """A declared value that depends on something driftcheck cannot know; never compared."""

    reason: str


@dataclass(frozen=True)
class UnresolvedField:
    """An API path whose declared value is unresolved, and why."""

    path: str
    reason: str


@dataclass(frozen=True)
class IgnoreRule:
    """A declared field the source's own tool never changes (Terraform's ``ignore_changes``, ``ignore_tags``).

    ``path`` is an API path (``schedule.scheduleExpression``, ``tags.Owner``) or ``*`` for every field;
    with ``prefix``, every map key that starts with the path's last part (``tags.team-``) matches.
    """

    path: str
    reason: str
    prefix: bool = False

    def matches(self, path: str) -> bool:
        """True when a difference at ``path`` falls under this rule."""
        if self.path == "*":
            return True
        if self.prefix:
            return path.startswith(self.path)
        return path == self.path or path.startswith(self.path + ".") or path.startswith(self.path + "[")


@dataclass(frozen=True)
class ProviderAccount:
    """The credentials a declaration's own tool reads the pipeline with (a Terraform provider's ``profile`` and
    ``assume_role``): names and ARNs only, never a secret. ``origin`` says where (``provider aws.prod at main.tf:3``)."""

    origin: str
    profile: str | None = None
    role_arn: str | None = None
    external_id: str | None = field(default=None, repr=False)
    session_name: str | None = None


@dataclass(frozen=True)
class DeclaredPipeline:
    """One pipeline as a source declares it, in API shape (camelCase, as get_image_pipeline returns).

    ``fields`` holds only what the source manages: a key that is absent is not compared; a key whose
    value is ``None`` is managed and expected to be unset live. Values that could not be resolved are
    ``Unresolved`` markers (the normalize stage lifts them out before diffing).
    """

    id: str
    source_kind: str
    name: str | Unresolved
    location: Location
    fields: Mapping[str, Any]
    field_locations: Mapping[str, Location] = field(default_factory=dict)
    arn: str | None = None
    region: str | None = None
    error: str | None = None
    notes: tuple[str, ...] = ()
    # map fields of which the declaration knows only some keys, with why (e.g. tags without the stack's tags)
    partial_maps: Mapping[str, str] = field(default_factory=dict)
    # differences these rules match are reported as ignored, never as drift
    ignore_rules: tuple[IgnoreRule, ...] = ()
    # the account to read it in, as its provider configures it (Terraform assume_role / profile); None: the run's
    provider_account: ProviderAccount | None = None

    @property
    def key(self) -> str:
        """Unique within a run, even when two root modules use the same address."""
        return f"{self.location}|{self.id}"


@dataclass(frozen=True)
class InputError:
    """Bad input that is not tied to one pipeline (a file that cannot be parsed, a bad tfvars...)."""

    location: Location
    message: str


class Status(str, enum.Enum):
    """The outcome of checking one pipeline."""

    IN_SYNC = "in_sync"
    DRIFTED = "drifted"
    MISSING = "missing"
    UNMANAGED = "unmanaged"
    ERROR = "error"


@dataclass(frozen=True)
class Hint:
    """How to resolve one difference, both ways (see :mod:`driftcheck.remediation`).

    ``apply``: what re-applying the declaration does (sets the live value back). ``accept``: the source
    change that would accept the live value instead, as a snippet in ``language`` ("hcl" or "yaml") to put
    at ``at``; None when driftcheck cannot write it exactly, and then ``accept_note`` says why.
    ``replaces_line``: the snippet is one ``name = value`` / ``Name: value`` line for a top-level field,
    so it can replace a declaring line of that same shape.
    """

    apply: str
    language: str
    accept: str | None = None
    accept_note: str | None = None
    at: Location | None = None
    attribute: str | None = None  # the top-level name in the declaring language (image_recipe_arn, Status)
    replaces_line: bool = False


@dataclass(frozen=True)
class Difference:
    """One field that differs: its API path, both values (JSON-compatible) and where it is declared."""

    path: str
    declared: Any
    live: Any
    source: Location | None = None
    ignored_by: str | None = None  # the rule that makes this difference no drift (e.g. lifecycle.ignore_changes at main.tf:40)
    hint: Hint | None = None  # how to resolve it: re-apply, or accept the live value in the source


@dataclass(frozen=True)
class PipelineResult:
    """The checked state of one pipeline, ready for the reports."""

    id: str
    name: str | None
    status: Status
    arn: str | None = None
    region: str | None = None
    source: Location | None = None
    differences: tuple[Difference, ...] = ()
    ignored: tuple[Difference, ...] = ()  # differences an ignore rule matched: shown, never drift
    unresolved: tuple[UnresolvedField, ...] = ()
    error: str | None = None
    notes: tuple[str, ...] = ()
    account: str | None = None  # the AWS account id the pipeline was read in (or its ARN names), when known
    source_kind: str | None = None  # "terraform", "cloudformation" or "driftcheck" (a pipeline file); None for unmanaged


@dataclass(frozen=True)
class RunContext:
    """Where a run's data came from and how it ended: the reports' run context (never a credential)."""

    command: tuple[str, ...] = ()        # the command line, secrets masked
    live_source: str = "aws"             # "aws" (accounts and regions below) or "offline" (live_dir)
    live_dir: str | None = None
    accounts: tuple[str, ...] = ()       # account ids (or profile / role names when the id is unknown)
    regions: tuple[str, ...] = ()
    inputs: tuple[str, ...] = ()         # the PATHS, var files, state and baseline files read
    exit_code: int | None = None
    duration_seconds: float | None = None
    started_at: datetime | None = None


@dataclass(frozen=True)
class RunResult:
    """Everything one `driftcheck check` run found."""

    pipelines: tuple[PipelineResult, ...]
    input_errors: tuple[InputError, ...]
    generated_at: datetime
    tool_version: str
    notes: tuple[str, ...] = ()  # about the run as a whole (e.g. a configuration rule that matched nothing)
    # the config file's severity overrides (path or status glob -> high|medium|low), for every format that grades
    severity_overrides: Mapping[str, str] = field(default_factory=dict)
    context: RunContext | None = None  # filled in by the CLI; None for a bare library call
    previous: Comparison | None = None  # check --previous: the changes since an older report (driftcheck.history)

    def summary(self) -> dict[str, int]:
        """Counts per status (every status present, zero included) plus input errors."""
        counts = {status.value: 0 for status in Status}
        for result in self.pipelines:
            counts[result.status.value] += 1
        counts["input_errors"] = len(self.input_errors)
        counts["total"] = len(self.pipelines)
        return counts

    def exit_code(self) -> int:
        """0 in sync, 1 drift (drifted, missing or unmanaged), 2 trouble; trouble wins over drift."""
        if self.input_errors or any(p.status is Status.ERROR for p in self.pipelines):
            return 2
        if any(p.status in (Status.DRIFTED, Status.MISSING, Status.UNMANAGED) for p in self.pipelines):
            return 1
        return 0

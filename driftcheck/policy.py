"""Policy from the configuration file applied to checked pipelines: ignore rules, and which findings fail the run.

:func:`apply_rules` runs on each :class:`PipelineResult` right after it is compared (from
:mod:`driftcheck.check`): a difference a live rule matches moves to ``ignored`` with the rule as its
``ignored_by``, so a pipeline whose only differences are ignored is in sync. An expired rule no longer
applies and says so on every pipeline it would have matched; :func:`unused_rule_notes` lists the rules
that matched nothing. :func:`parse_fail_on` and :func:`exit_code` implement ``--fail-on``.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from fnmatch import fnmatchcase
from pathlib import Path
from typing import TYPE_CHECKING

from driftcheck.baseline import Baseline
from driftcheck.errors import UsageError
from driftcheck.live.fetch import arn_region
from driftcheck.model import Difference, PipelineResult, RunResult, Status
from driftcheck.severity import SEVERITIES, severity_of_path, severity_of_status

if TYPE_CHECKING:  # the configuration file's reader (and YAML) is imported by a run that has one
    from driftcheck.config import ConfigRule


def _account(arn: str | None) -> str | None:
    parts = (arn or "").split(":")
    return parts[4] if len(parts) > 5 and parts[4] else None


def _attributes(pipeline: PipelineResult, source_names: Iterable[str]) -> dict[str, tuple[str, ...]]:
    region = pipeline.region or (arn_region(pipeline.arn) if pipeline.arn else None)
    values = {
        "id": (pipeline.id,),
        "name": (pipeline.name,),
        "arn": (pipeline.arn,),
        "source": tuple(source_names),
        "region": (region,),
        "account": (_account(pipeline.arn),),
    }
    return {key: tuple(v for v in items if v) for key, items in values.items()}


def _pipeline_matches(rule: ConfigRule, attributes: Mapping[str, tuple[str, ...]]) -> bool:
    """Every attribute the rule names has a value that one of its globs matches (a value that is unknown never matches)."""
    return all(
        any(fnmatchcase(value, pattern) for value in attributes.get(name, ()) for pattern in patterns)
        for name, patterns in rule.matchers.items()
    )


def _ancestors(path: str) -> list[str]:
    """``schedule.scheduleExpression`` -> itself and ``schedule``: a glob naming a block covers its fields."""
    found = [path]
    for index, char in enumerate(path):
        if char in ".[" and index:
            found.append(path[:index])
    return found


def field_matches(rule: ConfigRule, path: str) -> bool:
    """True when one of the rule's field globs matches ``path`` or a block that holds it."""
    return any(fnmatchcase(candidate, pattern) for pattern in rule.fields for candidate in _ancestors(path))


@dataclass(frozen=True)
class Policy:
    """The ignore rules of one run, the directory their ``source`` globs are relative to, and today's date."""

    rules: tuple[ConfigRule, ...] = ()
    base: Path | None = None
    today: datetime.date | None = None
    baseline: Baseline | None = None  # --baseline FILE: accepted drift, applied after the rules

    def date(self) -> datetime.date:
        return self.today or datetime.datetime.now(datetime.timezone.utc).date()

    def source_names(self, pipeline: PipelineResult) -> tuple[str, ...]:
        """The pipeline's file as shown, and relative to the configuration file's directory."""
        if pipeline.source is None:
            return ()
        names = [pipeline.source.file]
        if self.base is not None:
            try:
                names.append(os.path.relpath(os.path.abspath(pipeline.source.file), os.path.abspath(self.base)))
            except ValueError:  # another drive
                pass
        return tuple(dict.fromkeys(names))

    def apply(self, pipeline: PipelineResult) -> "Applied":
        applied = apply_rules(pipeline, self.rules, self.date(), self.source_names(pipeline))
        if self.baseline is None:
            return applied
        accepted, seen = self.baseline.apply(applied.pipeline)
        return Applied(accepted, applied.used, seen)

    def unused_notes(self, used: set[int], seen: set[tuple[str, ...]] | None = None) -> tuple[str, ...]:
        """Rules that matched nothing, then baseline entries that no longer occur."""
        stale = self.baseline.stale_notes(seen or set()) if self.baseline is not None else ()
        return unused_rule_notes(self.rules, used, self.date()) + stale


@dataclass(frozen=True)
class Applied:
    """A pipeline with the rules applied, and the numbers of the rules that matched one of its differences."""

    pipeline: PipelineResult
    used: frozenset[int]
    seen: frozenset[tuple[str, ...]] = frozenset()  # baseline entries that still occur in this pipeline


def apply_rules(pipeline: PipelineResult, rules: tuple[ConfigRule, ...], today: datetime.date, source_names: Iterable[str] = ()) -> Applied:
    """Move the differences that a live rule matches to ``ignored``; note expired rules that would have matched."""
    if not rules or not pipeline.differences:
        return Applied(pipeline, frozenset())
    names = tuple(source_names) or ((pipeline.source.file,) if pipeline.source is not None else ())
    attributes = _attributes(pipeline, names)
    candidates = [rule for rule in rules if _pipeline_matches(rule, attributes)]
    kept: list[Difference] = []
    ignored: list[Difference] = []
    used: set[int] = set()
    expired_notes: dict[int, str] = {}
    for difference in pipeline.differences:
        rule_for = None
        for rule in candidates:
            if not field_matches(rule, difference.path):
                continue
            used.add(rule.number)
            if rule.expires is not None and today > rule.expires:
                expired_notes.setdefault(rule.number, f"{rule.label} expired on {rule.expires.isoformat()} and no longer applies: {rule.reason}")
                continue
            rule_for = rule
            break
        if rule_for is None:
            kept.append(difference)
        else:
            ignored.append(replace(difference, ignored_by=f"{rule_for.label}: {rule_for.reason}"))
    if not ignored and not expired_notes:
        return Applied(pipeline, frozenset(used))
    status = pipeline.status
    if status is Status.DRIFTED and not kept:
        status = Status.IN_SYNC
    return Applied(
        replace(
            pipeline,
            status=status,
            differences=tuple(kept),
            ignored=tuple(sorted((*pipeline.ignored, *ignored), key=lambda d: d.path)),
            notes=pipeline.notes + tuple(expired_notes[n] for n in sorted(expired_notes)),
        ),
        frozenset(used),
    )


def unused_rule_notes(rules: tuple[ConfigRule, ...], used: set[int] | frozenset[int], today: datetime.date) -> tuple[str, ...]:
    """A run-level note for every rule that matched no difference of any pipeline in the run."""
    notes = []
    for rule in rules:
        if rule.number in used:
            continue
        expired = f" (and it expired on {rule.expires.isoformat()})" if rule.expires is not None and today > rule.expires else ""
        notes.append(f"{rule.label} matched no difference in this run{expired}: remove it if it is no longer needed ({rule.reason})")
    return tuple(notes)


# --------------------------------------------------------------------------- --fail-on

FAIL_STATUSES = ("drifted", "missing", "unmanaged")
DEFAULT_FAIL_ON = "drifted,missing,unmanaged"


@dataclass(frozen=True)
class FailOn:
    """Which statuses fail the run (exit 1), each with the least severity that counts (None: any)."""

    statuses: Mapping[str, str | None]

    def describe(self) -> str:
        return ",".join(f"{s}:{m}" if m else s for s, m in self.statuses.items()) or "none"


def parse_fail_on(text: str | None) -> FailOn:
    """``drifted:high,missing,unmanaged``, ``none`` or ``any`` (= the default, every drift); ValueError on bad input."""
    if text is None:
        text = DEFAULT_FAIL_ON
    entries = [entry.strip() for entry in text.split(",")]
    if any(not entry for entry in entries):
        raise ValueError(f"{text!r}: an empty entry; expected STATUS[:SEVERITY],... or none")
    if entries == ["none"]:
        return FailOn({})
    statuses: dict[str, str | None] = {}
    for entry in entries:
        if entry == "any":
            for status in FAIL_STATUSES:
                statuses.setdefault(status, None)
            continue
        status, sep, minimum = entry.partition(":")
        if status == "none":
            raise ValueError(f"{text!r}: none cannot be combined with other entries")
        if status not in FAIL_STATUSES:
            raise ValueError(f"{entry!r}: unknown status; expected one of {', '.join(FAIL_STATUSES)}, any or none"
                             + (" (errors always exit 2)" if status in ("error", "errors", "no-errors") else ""))
        if sep and minimum not in SEVERITIES:
            raise ValueError(f"{entry!r}: unknown severity {minimum!r}; expected one of {', '.join(SEVERITIES)}")
        if status in statuses:
            raise ValueError(f"{entry!r}: {status} is given twice")
        statuses[status] = minimum or None
    return FailOn(statuses)


def _at_least(severity: str, minimum: str | None) -> bool:
    return minimum is None or SEVERITIES.index(severity) <= SEVERITIES.index(minimum)


def fails(pipeline: PipelineResult, fail_on: FailOn, overrides: Mapping[str, str] | None = None) -> bool:
    """True when this pipeline's status (and severity) is one ``fail_on`` makes exit 1."""
    status = pipeline.status.value
    if status not in fail_on.statuses:
        return False
    minimum = fail_on.statuses[status]
    if pipeline.status is Status.DRIFTED:
        return any(_at_least(severity_of_path(d.path, overrides), minimum) for d in pipeline.differences)
    return _at_least(severity_of_status(status, overrides), minimum)


def exit_code(result: RunResult, fail_on: FailOn, overrides: Mapping[str, str] | None = None) -> int:
    """2 on any trouble (always), else 1 when a pipeline fails ``fail_on``, else 0."""
    if result.input_errors or any(p.status is Status.ERROR for p in result.pipelines):
        return 2
    return 1 if any(fails(p, fail_on, overrides) for p in result.pipelines) else 0


def fail_on_option(text: str | None, where: str = "--fail-on") -> FailOn:
    """:func:`parse_fail_on` for the command line: a bad value is a usage error."""
    try:
        return parse_fail_on(text)
    except ValueError as exc:
        raise UsageError(f"{where}: {exc}") from None

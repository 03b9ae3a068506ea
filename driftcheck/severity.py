"""The default severity of a finding, in one table, for reports that rank or gate on it (SARIF, Markdown, GitHub).

A difference's severity comes from its path's *family*: the API field it starts with, i.e. the text
before the first ``.`` or ``[`` (``schedule.scheduleExpression`` -> ``schedule``, ``workflows[0].workflowArn``
-> ``workflows``). A pipeline that is missing, unmanaged or could not be checked has a severity of its
own, from its status. Callers may pass overrides: a mapping of globs (:func:`fnmatch.fnmatchcase`, so
``tags.*`` or ``schedule.*``) to severities; the first glob in the mapping that matches wins over the table.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from fnmatch import fnmatchcase

__all__ = [
    "DEFAULT_SEVERITY",
    "HIGH",
    "LOW",
    "MEDIUM",
    "PATH_FAMILY_SEVERITY",
    "SEVERITIES",
    "STATUS_SEVERITY",
    "path_family",
    "severity_of_path",
    "severity_of_status",
    "worst",
]

HIGH = "high"
MEDIUM = "medium"
LOW = "low"
#: Every severity, worst first.
SEVERITIES: tuple[str, ...] = (HIGH, MEDIUM, LOW)
_RANK = {severity: rank for rank, severity in enumerate(SEVERITIES)}

#: The one table: path family (or status) -> default severity.
PATH_FAMILY_SEVERITY: Mapping[str, str] = {
    # what the pipeline builds, with which permissions, and whether it runs at all
    "executionRole": HIGH,
    "infrastructureConfigurationArn": HIGH,
    "imageRecipeArn": HIGH,
    "containerRecipeArn": HIGH,
    "status": HIGH,
    "workflows": HIGH,
    # when it runs, and what it checks
    "schedule": MEDIUM,
    "imageScanningConfiguration": MEDIUM,
    "imageTestsConfiguration": MEDIUM,
    # descriptive
    "description": LOW,
    "tags": LOW,
}
#: Severity of a path whose family is not in the table.
DEFAULT_SEVERITY = LOW

STATUS_SEVERITY: Mapping[str, str] = {
    "missing": HIGH,
    "unmanaged": MEDIUM,
    "error": HIGH,
}

_FAMILY = re.compile(r"[^.\[]*")


def path_family(path: str) -> str:
    """The API field a difference path starts with: ``schedule.scheduleExpression`` -> ``schedule``."""
    match = _FAMILY.match(path)
    return match.group() if match else path


def _checked(severity: str, where: str) -> str:
    if severity not in _RANK:
        raise ValueError(f"{where}: unknown severity {severity!r}, expected one of {', '.join(SEVERITIES)}")
    return severity


def _override(key: str, overrides: Mapping[str, str] | None) -> str | None:
    for pattern, severity in (overrides or {}).items():
        if fnmatchcase(key, pattern):
            return _checked(severity, f"severity override {pattern!r}")
    return None


def severity_of_path(path: str, overrides: Mapping[str, str] | None = None) -> str:
    """``"high"``, ``"medium"`` or ``"low"`` for a difference at API ``path``; a matching override glob wins."""
    overridden = _override(path, overrides)
    if overridden is not None:
        return overridden
    return PATH_FAMILY_SEVERITY.get(path_family(path), DEFAULT_SEVERITY)


def severity_of_status(status: object, overrides: Mapping[str, str] | None = None) -> str:
    """The severity of a pipeline that is ``missing``, ``unmanaged`` or ``error`` (a ``Status`` or its value).

    A drifted pipeline has no severity of its own (each difference has one: :func:`severity_of_path`),
    and an in-sync one none at all: both raise ValueError unless an override names them.
    """
    key = str(getattr(status, "value", status))
    overridden = _override(key, overrides)
    if overridden is not None:
        return overridden
    try:
        return STATUS_SEVERITY[key]
    except KeyError:
        raise ValueError(
            f"status {key!r} has no severity of its own; expected one of {', '.join(STATUS_SEVERITY)}"
            " (a drifted pipeline's findings are its differences: use severity_of_path)"
        ) from None


def worst(*severities: str | Iterable[str], default: str = LOW) -> str:
    """The most severe of the given severities (strings, or iterables of them); ``default`` when none."""
    flat: list[str] = []
    for item in severities:
        if isinstance(item, str):
            flat.append(item)
        else:
            flat.extend(item)
    if not flat:
        return _checked(default, "worst() default")
    return min((_checked(s, "worst()") for s in flat), key=_RANK.__getitem__)

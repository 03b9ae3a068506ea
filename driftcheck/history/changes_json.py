"""A comparison (:mod:`driftcheck.history.changes`) as JSON and back.

Two documents hold it: the report's ``previous`` object (``check --previous``, schema 1.5) and the output of
``driftcheck compare --format json`` (``driftcheck/schemas/compare.schema.json``). Both list the same change
entries (the ``change`` definition is the same in both schemas).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from driftcheck import __version__
from driftcheck.frozen import freeze, thaw
from driftcheck.history.changes import Change, ChangeKind, Comparison
from driftcheck.model import Location, Status
from driftcheck.reports.base import iso_utc

#: Version of ``driftcheck compare --format json``'s layout; the major part changes on any breaking change.
COMPARE_VERSION = "1.0"


def _location(location: Location | None) -> dict[str, Any] | None:
    return None if location is None else {"file": location.file, "line": location.line}


def change_document(change: Change) -> dict[str, Any]:
    """One change entry."""
    return {
        "change": change.change.value,
        "kind": "status" if change.path is None else "difference",
        "id": change.id,
        "name": change.name,
        "account": change.account,
        "region": change.region,
        "source": _location(change.source),
        "status": change.status.value,
        "path": change.path,
        "declared": thaw(change.declared),
        "live": thaw(change.live),
        "was": None if change.was is None else {"declared": thaw(change.was[0]), "live": thaw(change.was[1])},
        "since": iso_utc(change.since),
        "detail": change.detail,
    }


def previous_document(comparison: Comparison) -> dict[str, Any]:
    """The report's ``previous`` object: the older report, the counts per kind, the changes."""
    return {
        "file": comparison.previous_file,
        "generated_at": iso_utc(comparison.previous_generated_at),
        "counts": comparison.counts(),
        "changes": [change_document(c) for c in comparison.changes],
    }


def compare_document(comparison: Comparison, *, new_file: str, new_generated_at: datetime,
                     old_version: str, new_version: str) -> dict[str, Any]:
    """The output of ``driftcheck compare --format json``."""
    return {
        "compare_version": COMPARE_VERSION,
        "tool": {"name": "driftcheck", "version": __version__},
        "old": {"file": comparison.previous_file, "generated_at": iso_utc(comparison.previous_generated_at), "schema_version": old_version},
        "new": {"file": new_file, "generated_at": iso_utc(new_generated_at), "schema_version": new_version},
        "counts": comparison.counts(),
        "changes": [change_document(c) for c in comparison.changes],
    }


def parse_time(text: str) -> datetime:
    """A schema-valid ``YYYY-MM-DDTHH:MM:SSZ`` as an aware UTC datetime."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def _parse_location(document: dict[str, Any] | None) -> Location | None:
    return None if document is None else Location(document["file"], document["line"])


def comparison_from(document: dict[str, Any]) -> Comparison:
    """A schema-valid ``previous`` object back as a Comparison."""
    changes = []
    for entry in document["changes"]:
        was = entry["was"]
        changes.append(Change(
            change=ChangeKind(entry["change"]),
            id=entry["id"],
            name=entry["name"],
            account=entry["account"],
            region=entry["region"],
            source=_parse_location(entry["source"]),
            status=Status(entry["status"]),
            path=entry["path"],
            since=parse_time(entry["since"]),
            declared=freeze(entry["declared"]),
            live=freeze(entry["live"]),
            was=None if was is None else (freeze(was["declared"]), freeze(was["live"])),
            detail=entry["detail"],
        ))
    return Comparison(previous_file=document["file"], previous_generated_at=parse_time(document["generated_at"]), changes=tuple(changes))

"""The HTML report's "changes since the previous report" section (``check --previous``): what drift is new,
resolved, persisting or unchecked, as plain strings for the template (which escapes everything)."""

from __future__ import annotations

from typing import Any

from driftcheck.history.changes import ChangeKind, Comparison
from driftcheck.history.render import headline, label_of, status_text, when_text
from driftcheck.reports.base import dump_value

#: How each kind is introduced; new drift is shown open, the others folded.
KIND_HELP = {
    ChangeKind.NEW: "drift that the previous report did not have",
    ChangeKind.RESOLVED: "drift of the previous report that is gone",
    ChangeKind.PERSISTING: "drift in both reports, with the date it was first seen",
    ChangeKind.UNCHECKED: "drift of the previous report that this run could not check (missing, error or not declared)",
}


def _value(value: Any) -> str:
    return dump_value(value, ensure_ascii=False)


def previous_view(comparison: Comparison | None) -> dict[str, Any] | None:
    """The section's data, or None when the run was not compared with a previous report."""
    if comparison is None:
        return None
    groups = []
    for kind in ChangeKind:
        rows = [
            {
                "pipeline": label_of(change),
                "what": (f"{change.path}: {_value(change.declared)} \u2192 {_value(change.live)}" if change.path is not None
                         else status_text(change)),
                "source": str(change.source) if change.source is not None else "",
                "when": when_text(change),
                "was": (f"was {_value(change.was[0])} \u2192 {_value(change.was[1])}" if change.was is not None else ""),
            }
            for change in comparison.of(kind)
        ]
        groups.append({"kind": kind.value, "help": KIND_HELP[kind], "rows": rows, "open": kind is ChangeKind.NEW})
    return {"headline": headline(comparison), "groups": groups}

"""Reading a YAML or JSON settings file (the configuration file, the accounts file) as a tree whose values know
their lines, and the error that lists every problem in it at file:line."""

from __future__ import annotations

from pathlib import Path

from driftcheck.errors import DriftcheckError
from driftcheck.model import Location
from driftcheck.sources.yaml_tree import DocumentError, Node, load_file


class ConfigError(DriftcheckError):
    """A configuration file that cannot be used: one ``(location, message)`` per problem."""

    def __init__(self, problems: list[tuple[Location, str]]) -> None:
        super().__init__("; ".join(f"{location}: {message}" for location, message in problems))
        self.problems = problems


def load_document(path: Path) -> Node:
    """The root of the YAML or JSON file at ``path``, every value knowing its line; ConfigError (at file:line)
    when it cannot be read or has a duplicate key."""
    shown = str(path)
    try:
        document = load_file(path, shown)
        document.refuse_duplicate_keys()
    except DocumentError as exc:
        raise ConfigError([(exc.location or Location(shown), exc.message)]) from None
    return document.root

"""driftcheck's own errors. Library errors are caught where the library is called and re-raised as these."""

from __future__ import annotations

from driftcheck.model import Location


class DriftcheckError(Exception):
    """Base class. ``exit_code`` is what the CLI exits with when this error ends a run."""

    exit_code = 2


class SourceError(DriftcheckError):
    """A declaration could not be read (syntax error, bad variable file...). Carries its location."""

    def __init__(self, message: str, location: Location | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.location = location

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message


class LiveStateError(DriftcheckError):
    """Live state could not be read for one pipeline or one listing (AWS fault, bad snapshot file)."""


class UsageError(DriftcheckError):
    """The command line itself is wrong."""

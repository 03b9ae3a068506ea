"""What every command shares: one-line stderr messages, the error guard, atomic writes, logging setup.

Light on purpose (click, the standard library, safe_text): every command module imports it at start.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import traceback
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

import click

from driftcheck.defaults import EXIT_TROUBLE
from driftcheck.errors import DriftcheckError
from driftcheck.model import Location
from driftcheck.safe_text import encode_utf8, multi_line, one_line

__all__ = ["EXIT_TROUBLE", "config_errors", "guard", "parse_pairs", "plural", "say", "setup_logging", "use_color", "write_file"]


def say(line: str) -> None:
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


def guard(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn driftcheck errors (and anything unexpected) into one stderr line and exit 2; --debug shows the traceback."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        debug = bool(kwargs.get("debug"))
        try:
            return fn(*args, **kwargs)
        except DriftcheckError as exc:
            if debug:
                _print_traceback()
            say(f"driftcheck: error: {exc}")
            sys.exit(exc.exit_code)
        except (click.exceptions.Exit, click.ClickException, SystemExit, KeyboardInterrupt):
            raise
        except Exception as exc:  # a bug: still one line and a defined exit code, never a bare traceback
            if debug:
                _print_traceback()
            say(f"driftcheck: internal error: {type(exc).__name__}: {exc} (run with --debug for details)")
            sys.exit(EXIT_TROUBLE)

    return wrapper


def parse_pairs(values: tuple[str, ...], option: str = "--var") -> tuple[tuple[str, str], ...]:
    """``NAME=VALUE`` items of a repeatable option as pairs; a malformed item is a usage error naming the option."""
    pairs = []
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"{item!r}: expected NAME=VALUE", param_hint=option)
        pairs.append((name.strip(), value))
    return tuple(pairs)


def use_color(stream: Any) -> bool:
    return "NO_COLOR" not in os.environ and hasattr(stream, "isatty") and stream.isatty()


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_file(path: Path, text: str, what: str = "report") -> None:
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


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def config_errors(problems: list[tuple[Location, str]]) -> None:
    """Each problem as one ``file:line: error: ...`` line on stderr, then exit 2."""
    for location, message in problems:
        say(f"{location}: error: {message}")
    sys.exit(EXIT_TROUBLE)


def setup_logging(debug: bool, verbose: bool) -> None:
    level = logging.DEBUG if debug else logging.INFO if verbose else logging.WARNING
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_SafeFormatter("driftcheck: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    # never DEBUG, even with --debug: botocore's debug log prints signed request headers (access key id, session
    # token) and response bodies (AssumeRole's secret access key); credentials are never logged
    for noisy in ("botocore", "boto3", "urllib3", "s3transfer"):
        logging.getLogger(noisy).setLevel(logging.INFO if debug else logging.WARNING)

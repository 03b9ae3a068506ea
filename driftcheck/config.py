"""The configuration file (``.driftcheck.yaml``): defaults for ``driftcheck check``, severity overrides, ignore rules.

The file is YAML (or JSON) read with :mod:`driftcheck.sources.yaml_tree`, so every value knows its line,
and validated with ``driftcheck/schemas/config.schema.json``. Every problem is a :class:`ConfigError`
carrying one ``file:line`` location per message; nothing here raises anything else.
Relative paths in the file (``paths``, ``var_files``, ``state``, ``reports``) are relative to the file's directory.
"""

from __future__ import annotations

import datetime
import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from driftcheck.config_document import ConfigError, load_document  # noqa: F401 - ConfigError is part of this module's face
from driftcheck.defaults import CONFIG_NAMES
from driftcheck.model import Location
from driftcheck.sources.yaml_tree import Node

#: Names looked for in the current directory when --config is not given, in this order.
DEFAULT_NAMES = CONFIG_NAMES
RULE_MATCHERS = ("id", "name", "arn", "source", "region", "account")


@dataclass(frozen=True)
class ConfigRule:
    """One ignore rule: which pipelines (globs per attribute; absent = any) and which fields it covers."""

    number: int  # 1-based, in file order
    location: Location
    reason: str
    matchers: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    fields: tuple[str, ...] = ("*",)
    expires: datetime.date | None = None

    @property
    def label(self) -> str:
        """``config rule 2 (.driftcheck.yaml:14)``."""
        return f"config rule {self.number} ({self.location})"


@dataclass(frozen=True)
class Config:
    """A loaded configuration file; ``None``/empty means the file does not set it."""

    file: str
    base: Path  # the file's directory: relative paths in the file are relative to it
    paths: tuple[str, ...] | None = None
    region: str | None = None
    var_files: tuple[Path, ...] | None = None
    vars: tuple[tuple[str, str], ...] = ()
    state: Path | None = None
    unmanaged: bool | None = None
    reports: tuple[tuple[str, Path], ...] = ()
    fail_on: str | None = None
    fail_on_location: Location | None = None
    severity: Mapping[str, str] = field(default_factory=dict)
    rules: tuple[ConfigRule, ...] = ()
    accounts: tuple[Any, ...] | None = None  # the ``accounts:`` section (driftcheck.accounts_file), as AccountTargets


@functools.cache
def load_schema() -> dict[str, Any]:
    """The configuration file's JSON Schema."""
    text = resources.files("driftcheck.schemas").joinpath("config.schema.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def find_config(explicit: Path | None, cwd: Path | None = None) -> Path | None:
    """``--config FILE`` (which must exist), else the first of :data:`DEFAULT_NAMES` in the current directory."""
    if explicit is not None:
        return explicit
    directory = cwd or Path(".")
    for name in DEFAULT_NAMES:
        candidate = directory / name
        if candidate.is_file():
            return candidate if cwd else Path(name)
    return None


def _plain(node: Node) -> Any:
    """The node as JSON-like values; YAML dates and times stay the text they were written as."""
    if node.is_mapping():
        return {key: _plain(child) for key, child in node.value.items()}
    if node.is_sequence():
        return [_plain(child) for child in node.value]
    if isinstance(node.value, (datetime.date, datetime.datetime)):
        return node.text()
    return node.value


def _node_at(root: Node, path: list[Any]) -> tuple[Node, str | None]:
    """The deepest node along ``path`` and, when the last step is a key, that key."""
    node = root
    for step in path:
        child = node.value[step] if node.is_sequence() and isinstance(step, int) and step < len(node.value) else node.get(str(step))
        if child is None:
            return node, None
        node = child
    return node, None


def _schema_problems(document_root: Node, plain: Any) -> list[tuple[Location, str]]:
    import jsonschema  # only for a run with a configuration file: a tenth of a second to import

    validator = jsonschema.Draft202012Validator(load_schema())
    problems = []
    for error in sorted(validator.iter_errors(plain), key=lambda e: list(map(str, e.absolute_path))):
        path = list(error.absolute_path)
        node, _ = _node_at(document_root, path)
        where = _where(path)
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            allowed = set(error.schema.get("properties", {}))
            unknown = sorted(k for k in error.instance if k not in allowed)
            parent = node
            for key in unknown:
                location = parent.key_location(key) if parent.is_mapping() else parent.location
                problems.append((location, f"{where}: unknown key {key!r}"))
            continue
        if error.validator == "oneOf" and path and path[-1] in ("fail_on",):
            message = "expected a string or a list of strings"
        elif error.validator == "oneOf":
            message = "expected a non-empty string or a list of them"
        elif error.validator == "pattern" and path and path[-1] == "expires":
            message = f"{error.instance!r} is not a date YYYY-MM-DD"
        elif error.validator == "pattern" and path and path[-1] == "reason":
            message = "reason must not be blank"
        else:
            message = " ".join(error.message.split())
            if len(message) > 200:
                message = message[:197] + "..."
        problems.append((node.location, f"{where}: {message}"))
    return problems


def _where(path: list[Any]) -> str:
    """``ignore rule 2.expires`` (rules numbered from 1, as in every message about them), ``vars.x``, ``(top level)``."""
    if len(path) >= 2 and path[0] == "ignore" and isinstance(path[1], int):
        return ".".join([f"ignore rule {path[1] + 1}", *map(str, path[2:])])
    return ".".join(str(step) for step in path) or "(top level)"


def _relative(base: Path, value: str) -> Path:
    path = Path(value)
    return path if path.is_absolute() or base == Path(".") else base / path


def _globs(node: Node | None) -> tuple[str, ...]:
    if node is None:
        return ()
    items = node.value if node.is_sequence() else (node,)
    return tuple(item.text() or "" for item in items)


def load_config(path: Path) -> Config:
    """Load and validate the file at ``path``; ConfigError lists every problem found."""
    shown = str(path)
    root = load_document(path)
    if root.value is None:  # an empty file: nothing set
        return Config(file=shown, base=path.parent)
    plain = _plain(root)
    problems = _schema_problems(root, plain)
    rules = []
    for number, rule_node in enumerate(root.get("ignore").value if root.get("ignore") is not None and root.get("ignore").is_sequence() else (), 1):
        if not rule_node.is_mapping():
            continue  # the schema said so already
        expires_node = rule_node.get("expires")
        expires = None
        if expires_node is not None and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", expires_node.text() or ""):
            try:
                expires = datetime.date.fromisoformat(expires_node.text() or "")
            except ValueError:
                problems.append((expires_node.location, f"ignore rule {number}.expires: {expires_node.text()!r} is not a valid date"))
        reason = rule_node.get("reason")
        rules.append(ConfigRule(
            number=number,
            location=Location(shown, rule_node.line),
            reason=" ".join(str(reason.text() or "").split()) if reason is not None else "",
            matchers={name: _globs(rule_node.get(name)) for name in RULE_MATCHERS if rule_node.get(name) is not None},
            fields=_globs(rule_node.get("fields")) or ("*",),
            expires=expires,
        ))
    accounts = None
    if root.get("accounts") is not None:
        from driftcheck.accounts_file import parse_accounts  # imports boto3: only for a file that lists accounts

        targets, account_problems = parse_accounts(root.get("accounts"), path.parent)
        problems += [p for p in account_problems if p not in problems]
        accounts = tuple(targets)
    reports_node = root.get("reports")
    if reports_node is not None and reports_node.is_mapping():
        from driftcheck.reports import ReportFormat  # the reports package is heavier than this module needs otherwise

        for fmt in reports_node.value:
            if fmt not in ReportFormat.choices():
                problems.append((reports_node.key_location(fmt), f"reports: unknown format {fmt!r}; expected one of {', '.join(ReportFormat.choices())}"))
    if problems:
        raise ConfigError(sorted(problems, key=lambda p: (p[0].line or 0, p[1])))
    base = path.parent
    fail_on = plain.get("fail_on")
    return Config(
        file=shown,
        base=base,
        paths=tuple(str(_relative(base, p)) for p in plain["paths"]) if "paths" in plain else None,
        region=plain.get("region"),
        var_files=tuple(_relative(base, p) for p in plain["var_files"]) if "var_files" in plain else None,
        vars=tuple((name, _scalar_text(root.get("vars").get(name))) for name in plain.get("vars", {})),
        state=_relative(base, plain["state"]) if "state" in plain else None,
        unmanaged=plain.get("unmanaged"),
        reports=tuple((fmt, _relative(base, file)) for fmt, file in plain.get("reports", {}).items()),
        fail_on=",".join(fail_on) if isinstance(fail_on, list) else fail_on,
        fail_on_location=root.get("fail_on").location if root.get("fail_on") is not None else None,
        severity=dict(plain.get("severity", {})),
        rules=tuple(rules),
        accounts=accounts,
    )


def _scalar_text(node: Node | None) -> str:
    """A --var value as written: ``true`` stays ``true``, ``0123`` stays ``0123``."""
    return "" if node is None else node.text() or ""


def merge_declaration(config: Config, declaration: dict[str, Any], given: set[str]) -> dict[str, Any]:
    """The declaration options (``var``, ``var_file``, ``state``...) with the file's defaults under the command line's.

    ``given`` names the options written on the command line. ``var_file`` and ``state`` from the command line
    replace the file's; ``--var NAME=...`` wins over the file's ``vars`` entry of the same name, the others stay.
    """
    merged = dict(declaration)
    if "var_file" not in given and config.var_files is not None:
        merged["var_file"] = config.var_files
    if "state" not in given and config.state is not None:
        merged["state"] = config.state
    named = {item.partition("=")[0].strip() for item in declaration.get("var", ())}
    merged["var"] = tuple(f"{name}={value}" for name, value in config.vars if name not in named) + tuple(declaration.get("var", ()))
    return merged


def merge_reports(config: Config, reports: tuple[str, ...]) -> tuple[str, ...]:
    """``--report FORMAT=FILE`` values: the file's ``reports`` for every format the command line does not name."""
    named = {item.partition("=")[0] for item in reports}
    return tuple(f"{fmt}={path}" for fmt, path in config.reports if fmt not in named) + tuple(reports)

"""The accounts file (``--accounts FILE``, or ``accounts:`` in the configuration file): the accounts an audit reads.

::

    accounts:
      - id: "111122223333"              # 12 digits (quote it: YAML may read digits as a number)
        role: driftcheck-audit           # a role name (-> arn:aws:iam::ID:role/NAME) or a role ARN
        external_id: example-external-id # optional: the role's trust policy condition sts:ExternalId
        regions: [us-east-1, eu-west-1]  # optional: where --unmanaged discovery runs in this account
        paths: [terraform/prod]          # optional: declarations under these paths belong to this account
      - id: "444455556666"
        profile: prod-readonly           # without role: the account's own profile; with role: the base to assume from

Each entry needs ``id``; ``role`` and ``profile`` are optional (neither: the AWS chain's credentials, checked to
be that account). ``paths`` are relative to the file's directory. Every problem is a ``(Location, message)``
with the file and line; :func:`load_accounts_file` raises :class:`~driftcheck.config.ConfigError` with all of them.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from driftcheck.live.accounts import ACCOUNT_ID, ROLE_SESSION_NAME, AccountTarget, role_arn
from driftcheck.model import Location
from driftcheck.sources.yaml_tree import Node

ENTRY_KEYS = ("id", "role", "external_id", "profile", "regions", "paths")
REGION = re.compile(r"\A[a-z]{2}(?:-[a-z]+)+-[0-9]+\Z")


def _string(entry: Node, key: str, where: str, problems: list[tuple[Location, str]]) -> str | None:
    node = entry.get(key)
    if node is None:
        return None
    text = node.text()
    if not node.is_scalar() or text is None or not text.strip():
        problems.append((node.location, f"{where}.{key}: expected a non-empty string"))
        return None
    return text.strip()


def _strings(entry: Node, key: str, where: str, problems: list[tuple[Location, str]], pattern: re.Pattern[str] | None = None,
             what: str = "") -> tuple[str, ...]:
    node = entry.get(key)
    if node is None:
        return ()
    items = node.value if node.is_sequence() else (node,)
    values = []
    for item in items:
        text = item.text()
        if not item.is_scalar() or text is None or not text.strip():
            problems.append((item.location, f"{where}.{key}: expected a non-empty string or a list of them"))
            continue
        if pattern is not None and not pattern.match(text.strip()):
            problems.append((item.location, f"{where}.{key}: {text.strip()!r} is not {what}"))
            continue
        values.append(text.strip())
    return tuple(values)


def parse_accounts(node: Node, base: Path) -> tuple[list[AccountTarget], list[tuple[Location, str]]]:
    """The targets of an ``accounts`` list, and every problem in it (file:line)."""
    problems: list[tuple[Location, str]] = []
    targets: list[AccountTarget] = []
    if not node.is_sequence():
        return [], [(node.location, "accounts: expected a list of accounts (each with an id)")]
    seen: dict[str, int] = {}
    for number, entry in enumerate(node.value, 1):
        where = f"accounts[{number}]"
        if not entry.is_mapping():
            problems.append((entry.location, f"{where}: expected a mapping with id (and role, profile, regions, paths)"))
            continue
        for key in entry.value:
            if key not in ENTRY_KEYS:
                problems.append((entry.key_location(key), f"{where}: unknown key {key!r}; expected one of {', '.join(ENTRY_KEYS)}"))
        account = _string(entry, "id", where, problems)
        if account is None:
            if entry.get("id") is None:
                problems.append((entry.location, f"{where}: id (the 12-digit account id) is required"))
            continue
        if not ACCOUNT_ID.match(account):
            problems.append((entry.get("id").location, f"{where}.id: {account!r} is not a 12-digit AWS account id"))
            continue
        if account in seen:
            problems.append((entry.get("id").location, f"{where}.id: account {account} is listed twice (first in accounts[{seen[account]}])"))
            continue
        seen[account] = number
        role = _string(entry, "role", where, problems)
        arn = None
        if role is not None:
            try:
                arn = role_arn(role, account)
            except ValueError as exc:
                problems.append((entry.get("role").location, f"{where}.role: {exc}"))
                continue
        external_id = _string(entry, "external_id", where, problems)
        if external_id is not None and arn is None:
            problems.append((entry.get("external_id").location, f"{where}.external_id: needs a role to assume"))
        if external_id is not None and not re.fullmatch(r"[\w+=,.@:/-]{2,1224}", external_id):
            problems.append((entry.get("external_id").location, f"{where}.external_id: 2 to 1224 characters of letters, digits and +=,.@:/-"))
        regions = _strings(entry, "regions", where, problems, REGION, "an AWS region name (e.g. us-east-1)")
        paths = tuple(str(p if p.is_absolute() else base / p) for p in map(Path, _strings(entry, "paths", where, problems)))
        targets.append(AccountTarget(
            origin=f"{Location(node.file, entry.line)}", account_id=account, profile=_string(entry, "profile", where, problems),
            role_arn=arn, external_id=external_id, session_name=ROLE_SESSION_NAME, regions=regions,
            paths=tuple(os.path.normpath(p) for p in paths)))
    return targets, problems


def load_accounts_file(path: Path) -> list[AccountTarget]:
    """The accounts of ``--accounts FILE`` (a mapping with ``accounts:``, as in the configuration file)."""
    from driftcheck.config_document import ConfigError, load_document

    root = load_document(path)
    if not root.is_mapping() or root.get("accounts") is None:
        raise ConfigError([(root.location, "expected a mapping with an accounts: list")])
    unknown = [key for key in root.value if key != "accounts"]
    problems = [(root.key_location(key), f"unknown key {key!r}; the file holds accounts: only") for key in unknown]
    targets, more = parse_accounts(root.get("accounts"), path.parent)
    problems += more
    if problems:
        raise ConfigError(sorted(problems, key=lambda p: (p[0].line or 0, p[1])))
    return targets

"""count and for_each, as Terraform checks them: the instance keys of a resource or a module call, or why not.

tfparse neither reports a failed count/for_each (it expands to zero instances) nor checks its type
(``count = "abc"`` gives one bogus instance), so each such expression is evaluated on its own as a
probe (see evaluate.py) and validated here with Terraform's rules: ``count`` a whole non-negative
number, ``for_each`` a map or a set of strings. Anything else is an error naming the expression's
file:line and the reason, never zero or one invented instance.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from driftcheck.model import Location
from driftcheck.sources.terraform.evaluate import MISSING
from driftcheck.sources.terraform.index_model import Expr

MAX_INSTANCES = 10_000  # instances of one block in one module instance; past this the block is an error


@dataclass(frozen=True)
class Expansion:
    """The instance keys (``[0]``, ``["k"]``; ``""`` for a block without count/for_each), or why none can be known."""

    keys: tuple[str, ...] = ("",)
    problem: str | None = None


def _where(expr: Expr, file: str) -> str:
    return str(Location(file, expr.line))


def _marker(value: Any) -> str | None:
    """tfparse's stand-in for a value it could not evaluate: ``{"__attribute__": "local.m.[k]"}``."""
    if isinstance(value, Mapping) and "__attribute__" in value:
        return str(value["__attribute__"])
    return None


def _not_evaluated(meta: str, value: Any, text: str, where: str, required: str) -> Expansion | None:
    """The error for a value the evaluator could not produce (absent, a marker, or null); None for a real value."""
    if value is MISSING:
        return Expansion((), f"{meta} = {text} ({where}) was not evaluated by the evaluator")
    marker = _marker(value)
    if marker is not None:
        return Expansion((), f"{meta} = {text} ({where}) cannot be evaluated: {marker} has no value (a missing key or attribute?)")
    if value is None:
        return Expansion(
            (),
            f"{meta} = {text} ({where}) evaluates to null or fails to evaluate (a failing function call, a value past a "
            f"function's limit, or null); Terraform requires {required}",
        )
    return None


def validate_count(value: Any, expr: Expr, file: str) -> Expansion:
    """Instance keys for a count value, with Terraform's rules."""
    where = _where(expr, file)
    text = expr.text.strip()
    failed = _not_evaluated("count", value, text, where, "a whole number")
    if failed is not None:
        return failed
    number: Any = value
    if isinstance(value, bool):
        return Expansion((), f"count = {text} ({where}) is {json.dumps(value)}, but count must be a whole number")
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return Expansion((), f"count = {text} ({where}) is the string {json.dumps(value)}, but count must be a whole number")
    if not isinstance(number, (int, float)) or isinstance(number, bool):
        return Expansion((), f"count = {text} ({where}) is a {type(value).__name__}, but count must be a whole number")
    if number != number or number in (float("inf"), float("-inf")) or number != int(number):
        return Expansion((), f"count = {text} ({where}) is {value}, but count must be a whole number")
    if number < 0:
        return Expansion((), f"count = {text} ({where}) is {int(number)}, but count must not be negative")
    if number > MAX_INSTANCES:
        return Expansion((), f"count = {text} ({where}) is {int(number)}: more than driftcheck's limit of {MAX_INSTANCES} instances per block")
    return Expansion(tuple(f"[{i}]" for i in range(int(number))))


def validate_for_each(value: Any, expr: Expr, file: str) -> Expansion:
    """Instance keys for a for_each value, with Terraform's rules (a map, or a set of strings)."""
    where = _where(expr, file)
    text = " ".join(expr.text.split())
    failed = _not_evaluated("for_each", value, text, where, "a map or a set of strings")
    if failed is not None:
        return failed
    if isinstance(value, Mapping):
        keys = [str(k) for k in value]
    elif isinstance(value, list):
        # the evaluator returns sets and lists alike; a list literal or tolist() is a list, which Terraform refuses
        if text.startswith("[") or text.startswith("tolist(") or len(set(map(json.dumps, value))) != len(value):
            return Expansion((), f"for_each = {text} ({where}) is a list, but for_each must be a map or a set of strings (use toset())")
        if not all(isinstance(item, str) for item in value):
            return Expansion((), f"for_each = {text} ({where}) is a set of non-strings, but a for_each set must hold strings")
        keys = list(value)
    else:
        return Expansion((), f"for_each = {text} ({where}) is a {type(value).__name__}, but for_each must be a map or a set of strings")
    if len(keys) > MAX_INSTANCES:
        return Expansion((), f"for_each = {text} ({where}) has {len(keys)} elements: more than driftcheck's limit of {MAX_INSTANCES} instances per block")
    return Expansion(tuple(f"[{json.dumps(k, ensure_ascii=False)}]" for k in sorted(keys)))


def validate(meta: str, value: Any, expr: Expr, file: str) -> Expansion:
    """``count`` or ``for_each``."""
    return validate_count(value, expr, file) if meta == "count" else validate_for_each(value, expr, file)

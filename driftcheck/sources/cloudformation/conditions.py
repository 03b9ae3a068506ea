"""Template Conditions: each condition's three-valued result (True, False or Unresolved), memoized.

Conditions are evaluated dependencies first (an iterative depth-first order, so a long chain never
recurses deeply); an unknown name or a cycle is a :class:`TemplateError`. Fn::Equals compares values
as CloudFormation strings; every item of Fn::And/Fn::Or is evaluated, so a mistake in any of them is
reported even when another item already decides the result.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import NoReturn

from driftcheck.model import Unresolved
from driftcheck.sources.cloudformation.sections import read_section
from driftcheck.sources.cloudformation.values import (
    CONDITION_FUNCTIONS,
    NO_VALUE,
    NoValueType,
    TemplateError,
    clip,
    join_reasons,
    name_of,
)
from driftcheck.sources.yaml_tree import Node


def condition_refs(node: Node) -> Iterator[tuple[str | None, Node]]:
    """The (name, node) of every ``{Condition: name}`` a condition expression refers to.

    Only the places a condition may appear are searched (Fn::And, Fn::Or, Fn::Not items); shape
    mistakes are left for evaluation to report.
    """
    if not node.is_mapping() or len(node.value) != 1:
        return
    (key, arg), = node.value.items()
    if key == "Condition":
        yield name_of(arg), arg
    elif key in ("Fn::And", "Fn::Or", "Fn::Not") and arg.is_sequence():
        for item in arg.value:
            yield from condition_refs(item)


class Conditions:
    """The Conditions section of one template; ``evaluate`` resolves a value inside Fn::Equals."""

    def __init__(self, root: Node, evaluate: Callable[[Node], "Node | NoValueType"]) -> None:
        self._root = root
        self._defs: Mapping[str, Node] = read_section(root, "Conditions")
        self._evaluate = evaluate
        self._values: dict[str, bool | Unresolved] = {}
        self.evaluating = 0  # > 0 while a condition is evaluated: Fn::If and resources are refused there

    def __contains__(self, name: object) -> bool:
        return name in self._defs

    def evaluate_all(self) -> None:
        """Evaluate every condition, dependencies first, so evaluation never recurses deeply."""
        for name in self._order():
            self.value(name, self._root)

    def _order(self) -> list[str]:
        """Condition names, each after the conditions it refers to (iterative depth-first search).

        Unknown names and cycles are TemplateErrors.
        """
        order: list[str] = []
        done: set[str] = set()
        for first in self._defs:
            if first in done:
                continue
            path, on_path = [first], {first}
            pending = [iter(condition_refs(self._defs[first]))]
            while pending:
                for name, at in pending[-1]:
                    if name is None:
                        continue  # not a name: evaluation says what is wrong
                    if name not in self._defs:
                        raise TemplateError(f"unknown condition {name}", at.location)
                    if name in on_path:
                        self._raise_cycle(path[path.index(name) :] + [name])
                    if name not in done:
                        path.append(name)
                        on_path.add(name)
                        pending.append(iter(condition_refs(self._defs[name])))
                        break
                else:
                    pending.pop()
                    finished = path.pop()
                    on_path.discard(finished)
                    done.add(finished)
                    order.append(finished)
        return order

    def _raise_cycle(self, cycle: list[str]) -> NoReturn:
        """A condition that depends on itself, reported at the first condition of the cycle."""
        location = self._root.get("Conditions").key_location(cycle[0])
        raise TemplateError(f"condition {cycle[0]} depends on itself: {clip(' -> '.join(cycle), 200)}", location)

    def value(self, name: str | None, at: Node) -> bool | Unresolved:
        """A named condition's value, memoized; an unknown name is a TemplateError.

        :meth:`evaluate_all` evaluates conditions in :meth:`_order`, so the conditions one refers
        to are already known (no deep recursion) and cycles were reported before.
        """
        if name is None or name not in self._defs:
            raise TemplateError(f"unknown condition {name}", at.location)
        if name in self._values:
            return self._values[name]
        self.evaluating += 1
        try:
            value = self._expr(self._defs[name])
        finally:
            self.evaluating -= 1
        self._values[name] = value
        return value

    def _expr(self, node: Node) -> bool | Unresolved:
        """A condition expression: Fn::Equals, Fn::And, Fn::Or, Fn::Not or {Condition: name}."""
        key = next(iter(node.value)) if node.is_mapping() and len(node.value) == 1 else None
        if key not in (*CONDITION_FUNCTIONS, "Condition"):
            raise TemplateError(
                "a condition must be Fn::Equals, Fn::And, Fn::Or, Fn::Not or a Condition reference", node.location
            )
        arg = node.value[key]
        if key == "Condition":
            if name_of(arg) is None:
                raise TemplateError("Condition expects a condition name", node.location)
            return self.value(name_of(arg), arg)
        if key == "Fn::Equals":
            if not arg.is_sequence() or len(arg.value) != 2:
                raise TemplateError("Fn::Equals expects [value, value]", node.location)
            left, right = (self._comparable(item, node) for item in arg.value)
            unknown = [side for side in (left, right) if isinstance(side, Unresolved)]
            return join_reasons(unknown) if unknown else left == right
        if key == "Fn::Not":
            if not arg.is_sequence() or len(arg.value) != 1:
                raise TemplateError("Fn::Not expects [condition]", node.location)
            value = self._expr(arg.value[0])
            return value if isinstance(value, Unresolved) else not value
        if not arg.is_sequence() or not 2 <= len(arg.value) <= 10:
            raise TemplateError(f"{key} expects a list of 2 to 10 conditions", node.location)
        values = [self._expr(item) for item in arg.value]
        decisive = key == "Fn::Or"  # Or is decided by a True, And by a False
        if any(value is decisive for value in values):
            return decisive
        unknown = [value for value in values if isinstance(value, Unresolved)]
        return join_reasons(unknown) if unknown else not decisive

    def _comparable(self, node: Node, at: Node) -> str | tuple[str, ...] | Unresolved:
        """A value of Fn::Equals as CloudFormation compares it: a string (or a list of strings)."""
        value = self._evaluate(node)
        if value is NO_VALUE:
            raise TemplateError("Fn::Equals cannot compare AWS::NoValue", at.location)
        if isinstance(value.value, Unresolved):
            return value.value
        if value.is_mapping():
            raise TemplateError("Fn::Equals compares strings, not mappings", at.location)
        if value.is_sequence():
            items = [self._comparable(item, at) for item in value.value]
            unknown = [item for item in items if isinstance(item, Unresolved)]
            return join_reasons(unknown) if unknown else tuple(items)  # type: ignore[arg-type]
        return value.text() or ""

"""Knownness: whether the references an expression makes are known, and resource values from state.

Knownness is decided from references (python-hcl2 syntax index), never from what tfparse returns,
because tfparse returns markers, nulls or raw template text for what it could not evaluate.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping
from typing import Any

from driftcheck.sources.terraform.evaluate import Evaluation
from driftcheck.sources.terraform.modules import Scope, call_input
from driftcheck.sources.terraform.index_model import Expr, Reference
from driftcheck.sources.terraform.state import TerraformState

INSTANCE_KEY = re.compile(r'\[[^\]]*\]')


class Knowledge:
    """Decides whether references are known, and resolves resource references from state."""

    def __init__(self, evaluation: Evaluation, state: TerraformState | None, block_ids: set[str]) -> None:
        self.evaluation = evaluation
        self.state = state
        self.block_ids = block_ids
        # the module path of the instance being converted, with instance keys (module.a["k"].), so that
        # resource references inside a module with count/for_each find the right instance in state
        self.instance_prefix = ""

    def unknown(self, refs: Iterable[Reference], scope: Scope, depth: int = 0) -> list[str]:
        """Reasons why any of the references is unknown; empty when all are known."""
        reasons: list[str] = []
        for ref in refs:
            reason = self._unknown(ref, scope, depth)
            if reason and reason not in reasons:
                reasons.append(reason)
        return reasons

    def _unknown(self, ref: Reference, scope: Scope, depth: int) -> str | None:
        if depth > 50:
            return f"{ref} is defined in terms of itself"
        root = ref.root
        if root.endswith("()"):
            return f"{root} is only known when Terraform applies"
        if root in ("each", "count", "path", "terraform", "self"):
            return None
        if root == "var" and len(ref.steps) > 1:
            return self._unknown_var(ref.steps[1], scope, depth, ref.steps[2:])
        if root == "local" and len(ref.steps) > 1:
            expr = scope.module.local(ref.steps[1])
            if expr is None:
                files = ", ".join(os.path.basename(str(f.path)) for f in scope.module.files) or "no .tf files"
                return f"local.{ref.steps[1]} is not defined in {scope.module.directory} (driftcheck read {files})"
            inner = self.unknown(member(expr, ref.steps[2:]).references, scope, depth + 1)
            return f"local.{ref.steps[1]} depends on {'; '.join(inner)}" if inner else None
        if root == "module":
            return f"{'.'.join(ref.steps[:3])} is a module output, which driftcheck does not evaluate"
        rest = ref.steps[3:] if root == "data" else ref.steps[2:]
        if not [step for step in rest if not step.startswith("[")]:
            return f"{ref} is a whole resource object, which driftcheck does not evaluate"
        if self.state_value(ref, scope) is not NOT_FOUND:
            return None
        address = self._address(ref, scope)
        if self.state is None:
            return f"{ref} is another resource's attribute (pass --state to resolve it)"
        return f"{ref} is not in the state file ({address})"

    def _unknown_var(self, name: str, scope: Scope, depth: int, rest: tuple[str, ...] = ()) -> str | None:
        variable = scope.module.variable(name)
        if not scope.calls:
            if name in self.evaluation.provided or (variable is not None and "default" in variable.attributes):
                return None
            return f"var.{name} has no value (pass --var {name}=... or a --var-file)"
        parent, call = scope.calls[-1]
        given = call_input(call, scope.module, name)
        if given is not None:
            inner = self.unknown(member(given, rest).references, parent, depth + 1)
            return f"var.{name} of module.{call.labels[0]} depends on {'; '.join(inner)}" if inner else None
        if variable is not None and "default" in variable.attributes:
            return None
        return f"var.{name} of module.{call.labels[0]} is not set by the module call and has no default"

    def _address(self, ref: Reference, scope: Scope) -> str:
        steps = list(ref.steps)
        if steps[0] == "data":
            base = f"data.{steps[1]}.{steps[2]}" if len(steps) > 2 else "data"
            rest = steps[3:]
        else:
            base = f"{steps[0]}.{steps[1]}"
            rest = steps[2:]
        if rest and rest[0].startswith("["):
            base += rest[0]
        return keyed_prefix(scope.prefix, self.instance_prefix) + base

    # -- nulls and dependencies --------------------------------------------
    def _var_expr(self, name: str, scope: Scope) -> tuple[Expr, Scope] | None | bool:
        """Where a variable's value comes from: (expression, its scope); False when set by a variable file."""
        variable = scope.module.variable(name)
        if scope.calls:
            parent, call = scope.calls[-1]
            given = call_input(call, scope.module, name)
            if given is not None:
                return given, parent
        elif name in self.evaluation.provided:
            return False
        if variable is not None and "default" in variable.attributes:
            return variable.attributes["default"], scope
        return None

    def definitely_null(self, expr: Expr, scope: Scope, depth: int = 0) -> bool:
        """True when the expression is ``null`` or a plain var/local chain that ends in ``null``."""
        text = expr.text.strip()
        if text == "null":
            return True
        if depth > 50 or len(expr.references) != 1 or text != str(expr.references[0]):
            return False
        ref = expr.references[0]
        if ref.root == "var" and len(ref.steps) == 2:
            source = self._var_expr(ref.steps[1], scope)
            return bool(source) and self.definitely_null(source[0], source[1], depth + 1)
        if ref.root == "local" and len(ref.steps) == 2:
            local = scope.module.local(ref.steps[1])
            return local is not None and self.definitely_null(local, scope, depth + 1)
        return False

    def may_be_null(self, expr: Expr, scope: Scope, depth: int = 0) -> bool:
        """False when nothing the expression is built from can be null, so a null from tfparse is its failure.

        Null comes from the ``null`` keyword (in the expression, or in a local or variable default it uses)
        or from an ``optional()`` object attribute; a value set in a variable file is trusted not to be null.
        """
        if depth > 50:
            return True
        if re.search(r"\bnull\b", without_string_literals(expr.text)):
            return True
        for ref in expr.references:
            if ref.root == "var" and len(ref.steps) > 1:
                variable = scope.module.variable(ref.steps[1])
                if variable is not None and "optional(" in (variable.attributes.get("type").text if "type" in variable.attributes else ""):
                    return True
                source = self._var_expr(ref.steps[1], scope)
                if source and self.may_be_null(source[0], source[1], depth + 1):
                    return True
            elif ref.root == "local" and len(ref.steps) > 1:
                local = scope.module.local(ref.steps[1])
                if local is not None and self.may_be_null(local, scope, depth + 1):
                    return True
            elif ref.root not in ("each", "count", "path", "terraform", "self") and not ref.root.endswith("()"):
                return True  # another resource's attribute (from state) may well be null
        return False

    def dependencies(self, refs: Iterable[Reference], scope: Scope, depth: int = 0) -> list[str]:
        """Resources, data sources and module outputs that the references lead to, through locals and variables."""
        found: list[str] = []
        for ref in refs:
            inner: list[str] = []
            if ref.root in ("each", "count", "path", "terraform", "self") or ref.root.endswith("()") or depth > 50:
                continue
            if ref.root == "var" and len(ref.steps) > 1:
                source = self._var_expr(ref.steps[1], scope)
                if source:
                    inner = self.dependencies(source[0].references, source[1], depth + 1)
            elif ref.root == "local" and len(ref.steps) > 1:
                local = scope.module.local(ref.steps[1])
                if local is not None:
                    inner = self.dependencies(local.references, scope, depth + 1)
            else:
                inner = [str(ref)]
            found.extend(i for i in inner if i not in found)
        return found

    def state_value(self, ref: Reference, scope: Scope) -> Any:
        """The referenced value from state, or NOT_FOUND."""
        if self.state is None or ref.root in ("var", "local", "module", "each", "count", "path", "terraform", "self"):
            return NOT_FOUND
        steps = list(ref.steps)
        rest = steps[3:] if steps[0] == "data" else steps[2:]
        if rest and rest[0].startswith("["):
            if rest[0] == "[*]":
                return NOT_FOUND
            rest = rest[1:]
        attributes = self.state.attributes(self._address(ref, scope))
        if attributes is None or not rest:
            return NOT_FOUND
        value: Any = attributes
        for step in rest:
            key: Any = step
            if step.startswith("["):
                try:
                    key = json.loads(step[1:-1])
                except ValueError:
                    return NOT_FOUND
            if isinstance(value, Mapping) and isinstance(key, str) and key in value:
                value = value[key]
            elif isinstance(value, (list, tuple)) and isinstance(key, int) and not isinstance(key, bool) and -1 < key < len(value):
                value = value[key]
            else:
                return NOT_FOUND
        return value


NOT_FOUND = object()
_STRING_LITERAL = re.compile(r'"(?:[^"\\$]|\\.|\$(?!\{))*"')
_NULL_TEST = re.compile(r"[!=]=\s*null\b|\bnull\s*[!=]=")


def without_string_literals(text: str) -> str:
    """The expression text with plain string literals (no interpolation) and ``== null`` tests blanked."""
    return _NULL_TEST.sub("", _STRING_LITERAL.sub('""', text))


def keyed_prefix(scope_prefix: str, instance_prefix: str) -> str:
    """``module.a.module.b.`` with the instance keys of ``module.a["k"].module.b[0].x`` put back."""
    if not scope_prefix or not instance_prefix:
        return scope_prefix
    wanted = scope_prefix.count("module.")
    keyed = re.findall(r'module\.[\w-]+(?:\[[^\]]*\])?\.', instance_prefix)
    plain = [INSTANCE_KEY.sub("", part) for part in keyed[:wanted]]
    return "".join(keyed[:wanted]) if "".join(plain) == scope_prefix else scope_prefix



def member(expr: Expr, steps: tuple[str, ...]) -> Expr:
    """The part of an object literal that ``.a.b`` or ``["a"]`` selects; the whole expression past what is literal."""
    for step in steps:
        key = step
        if step.startswith("["):
            try:
                key = json.loads(step[1:-1])
            except ValueError:
                return expr
        if not isinstance(key, str) or key not in expr.members:
            return expr
        expr = expr.members[key]
    return expr

"""What the probe pass learnt, read for the evaluation that expands the pipelines: each block's ``count`` and
``for_each`` value in every instance of its module, the pipeline instances they promise, and the rewrites they call
for (a set or a map of scalars handed over as the literal map it stands for; a string ``count`` as a number)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from driftcheck.sources.terraform.evaluate import Evaluation
from driftcheck.sources.terraform.index_model import Block, Expr
from driftcheck.sources.terraform.knowledge import Knowledge
from driftcheck.sources.terraform.modules import Scope
from driftcheck.sources.terraform.plan import is_pipeline
from driftcheck.sources.terraform.variables import hcl_string


def probe_key(scope: Scope, block: Block, meta: str) -> tuple[Path, str, int, str]:
    """The key plan.probes gives a block's count or for_each probe."""
    return (scope.module.directory.resolve(), block.location.file, block.location.line, meta)


def _untaken(scopes: list[Scope], meta: str, taken: list[tuple], found: list[tuple]) -> Iterator[tuple[Scope, Block, Expr]]:
    """Each pipeline block with a ``meta`` attribute (its scope, block and expression) that no rewrite in ``taken`` or
    ``found`` (which the caller grows while it reads) holds yet."""
    for scope in scopes:
        for block in scope.module.blocks("resource"):
            expr = block.attributes.get(meta) if is_pipeline(block) else None
            if expr is not None and not any(b is block for b, *_ in (*taken, *found)):
                yield scope, block, expr


class Probed:
    """The probe values of one evaluation (``probe_names``: plan.probes' names by key; ``module_instances``: a
    scope's instance prefixes, each with why it has no instances, or None)."""

    def __init__(self, evaluation: Evaluation, probe_names: dict[tuple[Path, str, int, str], str], knowledge: Knowledge,
                 module_instances: Callable[[Scope], list[tuple[str, str | None]]]) -> None:
        self.evaluation = evaluation
        self.probe_names = probe_names
        self.knowledge = knowledge
        self.module_instances = module_instances

    def literal_sets(self, scopes: list[Scope], taken: list[tuple]) -> list[tuple[Block, str, str]]:
        """``for_each`` over a set of strings or a map of scalars, given to the evaluator as the literal map it stands
        for (``{"a" = "a", ...}``: for a set, each.key and each.value are the element).

        The evaluator re-evaluates a for_each expression once per instance, so a set built by an expression
        costs it quadratic time (300 elements: 3.9 s; the same as a literal: 0.7 s). Only done when every
        instance of the module has the same set, since the block's text is shared by all of them.
        """
        found: list[tuple[Block, str, str]] = []
        for scope, block, _ in _untaken(scopes, "for_each", taken, found):
            values = self.for_each_values(scope, block)
            if values is None:
                continue
            first = values[0] if values else None
            if not isinstance(first, (list, Mapping)) or len(first) < 2 or any(v != first for v in values):
                continue
            if isinstance(first, list):
                if not all(isinstance(item, str) for item in first) or len(set(first)) != len(first):
                    continue  # not a set of strings: validation reports it
                pairs = {item: item for item in first}
            else:
                if not all(isinstance(v, (str, int, float, bool)) for v in first.values()):
                    continue  # each.value is a structure: left to the evaluator as written
                pairs = dict(first)
            body = ", ".join(f"{hcl_string(str(k))} = {_hcl_scalar(v)}" for k, v in sorted(pairs.items()))
            found.append((block, "for_each", f"for_each = {{{body}}}"))
        return found

    def for_each_values(self, scope: Scope, block: Block) -> list[Any] | None:
        """A pipeline block's for_each value in each instance of its module, when only configuration decides it."""
        key = probe_key(scope, block, "for_each")
        if key not in self.probe_names or self.knowledge.dependencies(block.attributes["for_each"].references, scope):
            return None
        return [self.evaluation.probe(prefix, self.probe_names[key]) for prefix, problem in self.module_instances(scope) if problem is None]

    def values(self, scope: Scope, block: Block, meta: str) -> list[Any]:
        """The probed value of a block's count or for_each in each instance of its module ([] when not probed)."""
        key = probe_key(scope, block, meta)
        if key not in self.probe_names:
            return []
        return [self.evaluation.probe(prefix, self.probe_names[key]) for prefix, _ in self.module_instances(scope)]

    def expected_instances(self, scopes: list[Scope]) -> int:
        """The pipeline instances the probes promise: each known for_each's entries or count, one per plain block."""
        total = 0
        for scope in scopes:
            instances = len(self.module_instances(scope))
            for block in scope.module.blocks("resource"):
                if not is_pipeline(block):
                    continue
                if "for_each" in block.attributes:
                    total += sum(len(v) for v in self.for_each_values(scope, block) or () if isinstance(v, (Mapping, list, tuple)))
                elif "count" not in block.attributes:
                    total += instances
                else:
                    counts = self.values(scope, block, "count")
                    total += sum(c for c in counts if isinstance(c, int) and not isinstance(c, bool) and c > 0)
        return total

    def numeric_counts(self, scopes: list[Scope], taken: list[tuple]) -> list[tuple[Block, str, str]]:
        """``count = "2"`` is a number to Terraform, but one instance to the evaluator: evaluate it as tonumber()."""
        found: list[tuple[Block, str, str]] = []
        for scope, block, expr in _untaken(scopes, "count", taken, found):
            if any(isinstance(v, str) for v in self.values(scope, block, "count")):
                found.append((block, "count", f"count = tonumber({expr.text})"))
        return found


def _hcl_scalar(value: Any) -> str:
    """A string, number or bool as an HCL literal."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    return hcl_string(value)

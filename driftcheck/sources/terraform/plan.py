"""What the evaluator is given besides the user's files: the passes (module calls blanked in each), the probes
(expressions whose exact value is needed), and the for_each values that only --state knows."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from driftcheck.frozen import thaw
from driftcheck.sources.terraform.evaluate import PROBE_PREFIX, Probe
from driftcheck.sources.terraform.modules import ModuleTree, Scope
from driftcheck.sources.terraform.options import is_pipeline
from driftcheck.sources.terraform.state import TerraformState
from driftcheck.sources.terraform.index_model import Block

log = logging.getLogger(__name__)
META = ("count", "for_each")
MAX_CALLS_PER_MODULE = 32  # tfparse 0.6.22 evaluates only the first 32 module calls of a module, by name


def passes(tree: ModuleTree, scopes: list[Scope]) -> list[list[Block]]:
    """The module calls to blank out in each evaluation pass (see evaluate.py): cycles always; in a module
    with more than 32 calls, the calls that lead to no pipeline, and the relevant calls beyond each pass's 32."""
    children: dict[str, list[Scope]] = {}
    for scope in scopes:
        if scope.calls:
            children.setdefault(scope.calls[-1][0].prefix, []).append(scope)
    relevant: dict[str, bool] = {}
    relevant_calls: set[int] = set()
    for scope in reversed(scopes):  # children come after their parents in the list
        own = any(is_pipeline(b) for b in scope.module.blocks("resource")) or bool(scope.module.unparsed_pipelines())
        relevant[scope.prefix] = own or any(relevant.get(child.prefix, False) for child in children.get(scope.prefix, []))
        if relevant[scope.prefix] and scope.calls:
            relevant_calls.add(id(scope.calls[-1][1]))
    always = list(tree.refused)
    chunks: list[list[Block]] = []  # per big module, its relevant calls in groups of 32
    for module in tree.modules.values():
        calls = sorted((c for c in module.blocks("module") if c.labels), key=lambda c: c.labels[0])
        if len(calls) <= MAX_CALLS_PER_MODULE:
            continue
        wanted = [c for c in calls if id(c) in relevant_calls]
        always += [c for c in calls if id(c) not in relevant_calls]
        log.info("%s makes %d module calls; %d lead to pipelines", module.directory, len(calls), len(wanted))
        chunks.append(wanted)
    count = max([1] + [-(-len(w) // MAX_CALLS_PER_MODULE) for w in chunks])
    passes = []
    for number in range(count):
        blanked = list(always)
        for wanted in chunks:
            keep = wanted[number * MAX_CALLS_PER_MODULE:(number + 1) * MAX_CALLS_PER_MODULE]
            blanked += [c for c in wanted if not any(c is k for k in keep)]
        passes.append(blanked)
    return passes

# -- count / for_each -----------------------------------------------------


def probes(scopes: list[Scope], names: dict[tuple[Path, str, int, str], str]) -> list[Probe]:
    """Every expression whose exact value is needed (count, for_each, validation), as a probe; ``names`` records each probe's name by (directory, file, line, part)."""
    probes: list[Probe] = []
    for scope in scopes:
        for variable in scope.module.blocks("variable"):
            for number, validation in enumerate(variable.nested("validation")):
                for part in ("condition", "error_message"):
                    expr = validation.attributes.get(part)
                    key = (scope.module.directory.resolve(), variable.location.file, validation.location.line, part)
                    if expr is not None and key not in names:
                        names[key] = f"{PROBE_PREFIX}{len(names)}"
                        probes.append(Probe(names[key], key[0], expr.text))
        for block in list(scope.module.blocks("module")) + [b for b in scope.module.blocks("resource") if is_pipeline(b)]:
            for meta in META:
                expr = block.attributes.get(meta)
                if expr is None:
                    continue
                key = (scope.module.directory.resolve(), block.location.file, block.location.line, meta)
                if key not in names:
                    name = f"{PROBE_PREFIX}{len(names)}"
                    names[key] = name
                    probes.append(Probe(name, key[0], expr.text))
    return probes


def state_rewrites(state: TerraformState | None, scopes: list[Scope]) -> list[tuple[Block, str, str]]:
    """``for_each = aws_x.y`` (a whole resource) iterates over its instances in state: the evaluator sees that map
    (key -> the instance's attributes), so each.key and each.value are what Terraform would use. For pipeline
    blocks and module calls in a module with one instance (no count/for_each on its call path), whose text
    stands for that one instance."""
    found: list[tuple[Block, str, str]] = []
    if state is None:
        return found
    for scope in scopes:
        if any(m in call.attributes for _, call in scope.calls for m in META):
            continue
        blocks = [b for b in scope.module.blocks("resource") if is_pipeline(b)] + list(scope.module.blocks("module"))
        for block in blocks:
            expr = block.attributes.get("for_each")
            if expr is None or len(expr.references) != 1 or expr.text.strip() != str(expr.references[0]):
                continue
            ref = expr.references[0]
            if ref.root in ("var", "local", "module", "each", "count", "path", "terraform", "self") or (ref.steps[3:] if ref.root == "data" else ref.steps[2:]):
                continue
            base = scope.prefix + ".".join(ref.steps[:3] if ref.root == "data" else ref.steps[:2])
            values = {}
            for address in state.instance_keys(base):
                suffix = address[len(base):]
                if not (suffix.startswith('["') and suffix.endswith('"]')):
                    values = {}
                    break
                values[json.loads(suffix[1:-1])] = thaw(state.attributes(address))
            if values:
                found.append((block, "for_each", f"for_each = jsondecode({json.dumps(json.dumps(values, default=str))})"))
    return found

"""The Terraform source: every ``aws_imagebuilder_image_pipeline`` block of every root, accounted for.

For each root: the module tree (modules.py) -> one evaluation (evaluate.py) -> for every module
instance and every pipeline block in it, the instances Terraform would plan (expansion.py), each
converted to API shape (convert.py) with its provider's region and tags (providers.py). The syntax
index is the list of what must be reported: a block the evaluator returned no instance for is an
``error`` entry that says so, never a silent absence.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from driftcheck.fields import pipeline_model
from driftcheck.frozen import freeze
from driftcheck.model import DeclaredPipeline, InputError, Location, Unresolved
from driftcheck.sources.base import SourceResult
from driftcheck.sources.terraform import chunks
from driftcheck.sources.terraform.convert import Converter, collect_ids
from driftcheck.sources.terraform.evaluate import Evaluation, check_module_syntax, evaluate
from driftcheck.sources.terraform.prefetch import start_early
from driftcheck.sources.terraform.expansion import Expansion, validate
from driftcheck.sources.terraform.ignore_rules import ignore_tags_rules, lifecycle_rules, lifecycle_rules_of_value
from driftcheck.sources.terraform.knowledge import INSTANCE_KEY, NOT_FOUND, Knowledge
from driftcheck.sources.terraform.modules import Module, ModuleTree, Scope, display, ignored_null_inputs, is_override
from driftcheck.sources.terraform.options import RESOURCE_TYPE, TerraformOptions
from driftcheck.sources.terraform.plan import META, is_pipeline, passes, probes, state_rewrites
from driftcheck.sources.terraform.probed import Probed, probe_key
from driftcheck.sources.terraform.providers import arn_region, pipeline_region, provider_account, provider_for, provider_syntax, tags_all
from driftcheck.sources.terraform.index_model import Block, Expr
from driftcheck.sources.terraform.templates import inline_templates
from driftcheck.sources.terraform.tfparse_process import EvaluatorLimit, cancel_prefetches

log = logging.getLogger(__name__)


class TerraformSource:
    """Reads Terraform root modules (directories) or individual .tf files."""

    kind = "terraform"

    def __init__(self, options: TerraformOptions | None = None) -> None:
        self.options = options or TerraformOptions()

    def collect(self, paths: Iterable[str]) -> SourceResult:
        """Evaluate every root module named by ``paths``."""
        roots: dict[Path, tuple[str, set[Path] | None]] = {}
        errors: list[InputError] = []
        for shown in paths:
            path = Path(shown)
            if path.is_dir():
                if not any(path.glob("*.tf")) and not any(path.glob("*.tf.json")):
                    errors.append(InputError(Location(shown), "no Terraform files (*.tf) in this directory"))
                    continue
                roots[path.resolve()] = (shown, None)
            elif path.is_file() and path.suffix == ".tf":
                parent = path.resolve().parent
                shown_root, files = roots.get(parent, (os.path.dirname(shown) or ".", set()))
                if files is not None:
                    files.add(path.resolve())
                roots[parent] = (shown_root, files)
            else:
                errors.append(InputError(Location(shown), "not a Terraform directory or .tf file"))
        pipelines: list[DeclaredPipeline] = []
        for root, (shown_root, only) in roots.items():
            result = _Root(self, root, shown_root, only).collect()
            pipelines.extend(result.pipelines)
            errors.extend(result.errors)
        return SourceResult(tuple(pipelines), tuple(errors))


class _Root:
    """One root module's collection: module tree, evaluation, expansion, conversion."""

    def __init__(self, source: TerraformSource, root: Path, shown_root: str, only: set[Path] | None) -> None:
        self.kind = source.kind
        self.options = source.options
        self.root = root
        self.shown_root = shown_root
        self.only = only
        self.tree = ModuleTree(root, shown_root)
        self._probe_names: dict[tuple[Path, str, int, str], str] = {}
        self._module_instances: dict[str, list[tuple[str, str | None]]] = {}
        self.neutralized: list[tuple[Block, str]] = []
        self.state_rewritten: list[tuple[Block, str, str]] = []
        self._shown_names: dict[str, str] = {}

    # -- orchestration ------------------------------------------------------
    def collect(self) -> SourceResult:
        start_early(self.root, self.options)  # the evaluator's child runs while the syntax index is built
        try:
            return self._collect()
        finally:
            cancel_prefetches()

    def _collect(self) -> SourceResult:
        scopes = self.tree.scopes()
        errors: list[InputError] = list(self.tree.errors)
        broken = self._confirmed_syntax_errors(errors)
        if scopes[0].problem is not None:  # nothing of the root can be evaluated safely
            self._use(Evaluation(document={}))
            pipelines = [p for s in scopes for b in s.module.blocks("resource") if is_pipeline(b) for p in self._block_pipelines(s, b, set())]
            pipelines += [self._error(f"{RESOURCE_TYPE}.{name}", where, scopes[0].problem) for name, where in scopes[0].module.unparsed_pipelines()]
            return SourceResult(tuple(pipelines), tuple(errors))
        try:
            return self._evaluated(scopes, errors, broken)
        except EvaluatorLimit as exc:  # the root could not be evaluated within bounds: every pipeline says so
            errors.append(InputError(Location(self.shown_root), str(exc)))
            self._use(Evaluation(document={}))
            message = f"cannot be evaluated: {exc}"
            pipelines = [
                self._error(f"{s.prefix}{RESOURCE_TYPE}.{b.labels[1]}", b.location, message)
                for s in scopes
                for b in s.module.blocks("resource")
                if is_pipeline(b) and self._wanted(b.location.file)
            ]
            return SourceResult(tuple(pipelines), tuple(errors))

    def _evaluated(self, scopes: list[Scope], errors: list[InputError], broken: dict[Path, list[InputError]]) -> SourceResult:
        planned = probes(scopes, self._probe_names)
        template_probes, template_edits = inline_templates(scopes, self._probe_names)
        planned += template_probes
        blanks = passes(self.tree, scopes)
        counted = [(b, m) for s in scopes for b in s.module.blocks("resource") if is_pipeline(b) for m in META if m in b.attributes]
        self.neutralized: list[tuple[Block, str]] = []
        self.state_rewritten = state_rewrites(self.options.state, scopes)
        inputs = ignored_null_inputs(scopes) + self.state_rewritten + template_edits
        if counted:
            # first learn every count/for_each value with the pipelines' own expansion switched off, so that an
            # invalid or huge value never reaches the evaluator's expansion (which is slow per instance)
            self._use(evaluate(self.tree, self.options, planned, blanks, counted + inputs))
            probed = Probed(self.evaluation, self._probe_names, self.knowledge, self.module_instances)
            if self.options.expect is not None:
                self.options.expect(probed.expected_instances(scopes))
            self.neutralized = self._invalid_expansions(scopes)
            rewrites = self.neutralized + probed.numeric_counts(scopes, self.neutralized)
            chunked = chunks.plan(scopes, probed.for_each_values, rewrites, chunks.chunk_size())
            rewrites += probed.literal_sets(scopes, rewrites + [(c.block,) for c in chunked])
            rewrites += chunks.spent_locals(scopes, chunked)
            self._use(evaluate(self.tree, self.options, planned, blanks, rewrites + inputs, chunked), keep_probes=True)
        else:
            self._use(evaluate(self.tree, self.options, planned, blanks, inputs))
        errors.extend(self._failed_validations(scopes))
        seen = {(e.location, e.message) for e in errors}
        for error in self.evaluation.errors:
            if (error.location, error.message) not in seen and not any(error.location.file == e.location.file for e in broken.values() for e in e):
                errors.append(error)
                seen.add((error.location, error.message))
        notes = tuple(f"{n.location}: {n.message}" for n in (self.evaluation.variables.notes if self.evaluation.variables else ()))

        pipelines: list[DeclaredPipeline] = []
        used: set[str] = set()
        for scope in scopes:
            module_broken = broken.get(scope.module.directory.resolve())
            for block in scope.module.blocks("resource"):
                if not is_pipeline(block) or not self._wanted(block.location.file):
                    continue
                pipelines.extend(self._block_pipelines(scope, block, used))
            for name, location in scope.module.unparsed_pipelines():
                confirmed = [e for e in module_broken or () if e.location.file == location.file]
                confirmed += [e for e in scope.module.unreadable + scope.module.limited if e.location.file == location.file]
                if not confirmed or not self._wanted(location.file):
                    continue  # python-hcl2 alone refused the file: the evaluator's instances are reported below
                why = "; ".join(f"{e.location}: {e.message}" for e in confirmed)
                for prefix, _ in self.module_instances(scope):
                    address = f"{prefix}{RESOURCE_TYPE}.{name}"
                    used.update(self.by_plain.get(INSTANCE_KEY.sub("", address), ()))
                    pipelines.append(self._error(address, location, f"cannot be evaluated: its file has a syntax error ({why})"))
        for path, instance in self.by_path.items():  # instances of blocks the syntax index does not list
            meta = instance.get("__tfmeta", {})
            if path in used or not self._wanted(self._shown(str(meta.get("filename", "")))):
                continue
            prefix = INSTANCE_KEY.sub("", path.split(f"{RESOURCE_TYPE}.")[0])
            scope = next((s for s in scopes if s.prefix == prefix), scopes[0])
            problem = _unindexed_expansion_problem(instance)
            if problem is not None:
                where = Location(self._shown(str(meta.get("filename", ""))), meta.get("line_start"))
                plain = path[: path.rindex("[")] if path.endswith("]") else path
                if not any(p.id == plain for p in pipelines):  # one error per block, not per invented instance
                    pipelines.append(self._error(plain, where, problem))
                continue
            pipelines.append(self._pipeline(None, scope, instance))
        if notes:
            pipelines = [DeclaredPipeline(**{**p.__dict__, "notes": p.notes + notes}) for p in pipelines]
        return SourceResult(tuple(pipelines), tuple(errors))

    def _use(self, evaluation: Evaluation, keep_probes: bool = False) -> None:
        """Make ``evaluation`` the one the pipelines are read from (keeping the probe values learnt before)."""
        if keep_probes:
            evaluation.probes = {**evaluation.probes, **self.evaluation.probes}
        self.evaluation = evaluation
        self._module_instances = {}
        document = evaluation.document
        self.knowledge = Knowledge(evaluation, self.options.state, collect_ids(document, set()))
        self.providers = [p for p in document.get("provider", []) if isinstance(p, Mapping)]
        self.by_path: dict[str, Mapping[str, Any]] = {}
        for instance in document.get(RESOURCE_TYPE, []):
            # tfparse lists `data "aws_imagebuilder_image_pipeline"` blocks under the same key
            if isinstance(instance, Mapping) and instance.get("__tfmeta", {}).get("type", "resource") == "resource":
                path = str(instance.get("__tfmeta", {}).get("path", ""))
                if path in self.by_path:  # an override file's block: the evaluator does not merge it, so merge here
                    base, over = self.by_path[path], instance
                    if is_override(os.path.basename(str(base.get("__tfmeta", {}).get("filename", "")))):
                        base, over = over, base
                    instance = {**base, **{k: v for k, v in over.items() if k not in ("__tfmeta", "id")}}
                self.by_path[path] = instance
        self.by_plain: dict[str, list[str]] = {}  # address without instance keys -> the instances' paths
        for path in self.by_path:
            self.by_plain.setdefault(INSTANCE_KEY.sub("", path), []).append(path)

    def _invalid_expansions(self, scopes: list[Scope]) -> list[tuple[Block, str]]:
        """Pipeline blocks whose count/for_each is invalid (or too large) in some module instance."""
        found: list[tuple[Block, str]] = []
        for scope in scopes:
            for block in scope.module.blocks("resource"):
                if not is_pipeline(block) or any(b is block for b, *_ in found):
                    continue
                for prefix, problem in self.module_instances(scope):
                    if problem is None and self._expand(scope, block, prefix, f"{prefix}{RESOURCE_TYPE}.{block.labels[1]}").problem:
                        found.extend((block, m) for m in META if m in block.attributes)
                        break
        return found

    def _failed_validations(self, scopes: list[Scope]) -> list[InputError]:
        """Variable ``validation`` blocks whose condition is false, as Terraform reports them (with error_message)."""
        found: list[InputError] = []
        for scope in scopes:
            for variable in scope.module.blocks("variable"):
                for validation in variable.nested("validation"):
                    condition = validation.attributes.get("condition")
                    if condition is None or self.knowledge.unknown(condition.references, scope):
                        continue
                    directory = scope.module.directory.resolve()
                    key = (directory, variable.location.file, validation.location.line, "condition")
                    message_key = (directory, variable.location.file, validation.location.line, "error_message")
                    for prefix, problem in self.module_instances(scope):
                        if problem is not None or self.evaluation.probe(prefix, self._probe_names.get(key, "")) is not False:
                            continue
                        message = self.evaluation.probe(prefix, self._probe_names.get(message_key, ""))
                        if not isinstance(message, str):
                            text = validation.attributes["error_message"].text.strip() if "error_message" in validation.attributes else ""
                            message = text.strip('"')
                        where = f" in {prefix.rstrip('.')}" if prefix else ""
                        error = InputError(validation.location, f'variable "{variable.labels[0]}"{where}: validation failed: {message}')
                        if error not in found:
                            found.append(error)
        return found

    def _wanted(self, shown_file: str) -> bool:
        return self.only is None or Path(self.root / os.path.relpath(shown_file, self.shown_root)).resolve() in self.only

    def _shown(self, tfparse_filename: str) -> str:
        shown = self._shown_names.get(tfparse_filename)
        if shown is None:  # resolving a path costs a system call per component: once per file
            shown = self._shown_names[tfparse_filename] = display(self.root / tfparse_filename, self.root, self.shown_root)
        return shown

    # -- syntax errors --------------------------------------------------------
    def _confirmed_syntax_errors(self, errors: list[InputError]) -> dict[Path, list[InputError]]:
        """python-hcl2's complaints that the Go HCL parser confirms, by module directory; each is an input error."""
        broken: dict[Path, list[InputError]] = {}
        for syntax_error in self.tree.syntax_errors:
            location = syntax_error.location
            if location is None:
                continue
            path = (self.root / os.path.relpath(location.file, self.shown_root)).resolve()
            with tempfile.TemporaryDirectory(prefix="driftcheck-syntax-") as workdir:
                try:
                    shutil.copyfile(path, Path(workdir) / path.name)
                except OSError:
                    confirmed = [InputError(location, syntax_error.message)]
                else:
                    confirmed = [
                        InputError(Location(location.file, e.location.line), e.message)
                        for e in check_module_syntax(Path(workdir), self.tree)
                    ]
            if not confirmed:
                log.debug("syntax index unavailable (the Go parser accepts the file): %s", syntax_error)
                continue
            broken.setdefault(path.parent, []).extend(confirmed)
            errors.extend(confirmed)
        return broken

    def _expand(self, scope: Scope, block: Block, instance_prefix: str, address: str) -> Expansion:
        """The instance keys of a block (resource or module call) in one instance of its module."""
        metas = [(m, block.attributes[m]) for m in META if m in block.attributes]
        if not metas:
            return Expansion()
        meta, expr = metas[0]
        if len(metas) > 1:
            return Expansion((), f"{address} has both count and for_each ({block.location}); Terraform refuses that")
        where = str(Location(block.location.file, expr.line))
        reasons = self.knowledge.unknown(_without_whole_resources(expr), scope)
        if reasons:
            return Expansion((), f"{meta} cannot be evaluated: {'; '.join(reasons)} ({where})")
        dependencies = self.knowledge.dependencies(expr.references, scope)
        if dependencies:
            return self._expand_from_state(meta, expr, scope, instance_prefix, address, where, dependencies, block)
        key = probe_key(scope, block, meta)
        value = self.evaluation.probe(instance_prefix, self._probe_names[key]) if key in self._probe_names else None
        return validate(meta, value, expr, block.location.file)

    def _expand_from_state(
        self, meta: str, expr: Expr, scope: Scope, instance_prefix: str, address: str, where: str, dependencies: list[str], block: Block
    ) -> Expansion:
        """count/for_each over another resource: its keys come from --state, never from the resource's configuration."""
        state = self.options.state
        if state is None:
            return Expansion(
                (),
                f"{meta} ({where}) depends on {', '.join(dependencies)}, another resource's value, which only Terraform state "
                "knows: pass --state FILE (terraform show -json or the state file) to expand it",
            )
        text = expr.text.strip()
        refs = expr.references
        if len(refs) == 1 and text == str(refs[0]) and refs[0].root not in ("var", "local", "module") and refs[0].root in ("data",) + tuple(
            d.split(".")[0] for d in dependencies
        ):
            ref = refs[0]
            rest = ref.steps[3:] if ref.root == "data" else ref.steps[2:]
            if not rest:  # a whole resource: its instance keys in state
                base = instance_prefix + ".".join(ref.steps[:3] if ref.root == "data" else ref.steps[:2])
                keys = sorted(_tf_key(a[len(base):]) for a in state.instance_keys(base))
                if meta == "for_each" and any(not k.startswith('["') for k in keys):
                    return Expansion((), f"for_each ({where}) is {text}, whose instances are counted, not keyed: Terraform requires a map or a set of strings")
                if meta == "for_each" and any(b is block for b, *_ in self.state_rewritten) and not any(b is block for b, *_ in self.neutralized):
                    return Expansion(tuple(keys))  # evaluated over the state's map (see _state_rewrites); empty is zero instances
                if meta == "for_each":
                    return Expansion((), f"for_each ({where}) is {text}: driftcheck expands a whole resource from state only in a module with one instance")
            else:
                self.knowledge.instance_prefix = instance_prefix
                value = self.knowledge.state_value(ref, scope)
                if value is not NOT_FOUND:
                    return validate(meta, value, expr, block.location.file)
        # an expression over state values: trust the state's own list of this block's instances
        expected = sorted(a[len(address):] for a in state.instances if INSTANCE_KEY.sub("", a) == INSTANCE_KEY.sub("", address) and a.startswith(address))
        if expected:
            return Expansion(tuple(expected))
        return Expansion(
            (),
            f"{meta} ({where}) depends on {', '.join(dependencies)}: driftcheck cannot evaluate this expression over state "
            f"values, and the state file lists no instances of {address}",
        )

    def module_instances(self, scope: Scope) -> list[tuple[str, str | None]]:
        """Every instance of a scope's module: (keyed prefix such as ``module.a["k"].``, why it cannot be expanded)."""
        if scope.prefix in self._module_instances:
            return self._module_instances[scope.prefix]
        if not scope.calls:
            found: list[tuple[str, str | None]] = [("", scope.problem)]
        elif scope.problem is not None:
            parent, call = scope.calls[-1]
            found = [(f"{prefix}module.{call.labels[0]}.", problem or scope.problem) for prefix, problem in self.module_instances(parent)]
        else:
            parent, call = scope.calls[-1]
            name = call.labels[0]
            found = []
            for prefix, problem in self.module_instances(parent):
                plain = f"{prefix}module.{name}."
                if problem is not None:
                    found.append((plain, problem))
                    continue
                expansion = self._expand(parent, call, prefix, f"{prefix}module.{name}")
                if expansion.problem is not None:
                    found.append((plain, f"module.{name} {expansion.problem}"))
                else:
                    found.extend((f"{prefix}module.{name}{key}.", None) for key in expansion.keys)
        self._module_instances[scope.prefix] = found
        return found

    # -- pipelines --------------------------------------------------------------
    def _block_pipelines(self, scope: Scope, block: Block, used: set[str]) -> list[DeclaredPipeline]:
        name = block.labels[1]
        out: list[DeclaredPipeline] = []
        instances = self.module_instances(scope)
        plain = f"{scope.prefix}{RESOURCE_TYPE}.{name}"
        used.update(self.by_plain.get(plain, ()))
        if id(block) in scope.module.duplicates:
            others = [b for b in scope.module.blocks("resource") if b is not block and b.labels[:2] == block.labels[:2]]
            return [self._error(plain, block.location, f"duplicate resource address: also declared at {', '.join(str(b.location) for b in others)}")]
        for prefix, problem in instances:
            address = f"{prefix}{RESOURCE_TYPE}.{name}"
            if problem is not None:
                out.append(self._error(address, block.location, problem))
                continue
            expansion = self._expand(scope, block, prefix, address)
            if expansion.problem is not None:
                out.append(self._error(address, block.location, expansion.problem))
                continue
            if any(b is block for b, *_ in self.neutralized):
                out.append(self._error(address, block.location, "not evaluated: this block's count/for_each is invalid in another instance of its module"))
                continue
            if not expansion.keys:
                log.info("%s: %s evaluates to no instances", address, "count" if "count" in block.attributes else "for_each")
            for key in expansion.keys:
                path = address + key
                instance = self.by_path.get(path)
                if instance is None:
                    out.append(self._error(path, block.location, self._not_expanded(path, scope)))
                    continue
                out.append(self._pipeline(block, scope, instance))
        if not instances:
            log.info("%s: its module has no instances", f"{scope.prefix}{RESOURCE_TYPE}.{name}")
        return out

    def _not_expanded(self, path: str, scope: Scope) -> str:
        return (
            f"the evaluator returned no instance of {path}, which Terraform would plan; driftcheck cannot check it "
            f"(module {scope.prefix.rstrip('.') or 'root'} in {scope.module.directory})"
        )

    def _pipeline(self, block: Block | None, scope: Scope, instance: Mapping[str, Any]) -> DeclaredPipeline:
        meta = instance.get("__tfmeta", {})
        pipeline_id = meta.get("path") or RESOURCE_TYPE
        location = block.location if block else Location(self._shown(str(meta.get("filename"))), meta.get("line_start"))
        knowledge = self.knowledge
        knowledge.instance_prefix = str(pipeline_id).split(f"{RESOURCE_TYPE}.")[0]
        converter = Converter(knowledge, scope, block)
        fields = converter.structure(pipeline_model(), instance, block, "", "")

        provider = provider_for(block, scope, self.providers)
        provider_block, provider_converter = provider_syntax(self._shown, provider, scope, knowledge)
        tags, tag_locations = tags_all(self._shown, block, instance, provider, converter, provider_block, provider_converter)
        fields["tags"] = tags
        converter.locations.update(tag_locations)
        region, region_problem = pipeline_region(block, instance, provider, converter, provider_block, provider_converter)
        rules, notes = lifecycle_rules(block) if block is not None else lifecycle_rules_of_value(instance.get("lifecycle"), location)
        rules += ignore_tags_rules(self._shown, provider, provider_block)
        account, account_problem = provider_account(self._shown, provider, provider_block, provider_converter)

        arn = None
        state = self.options.state
        if state is not None:
            attributes = state.attributes(pipeline_id)
            if attributes and isinstance(attributes.get("arn"), str):
                arn = attributes["arn"]
        name = fields.get("name")
        if not isinstance(name, str):
            name = name if isinstance(name, Unresolved) else Unresolved("name is not set")
        error = None
        if isinstance(name, Unresolved) and arn is None:
            error = f"pipeline name is unresolved, so it cannot be matched: {name.reason}"
        if region_problem is not None:
            region = arn_region(arn)  # the state's ARN names the region; otherwise never guess one
            if region is None and error is None:
                error = f"pipeline region is unresolved, so it cannot be fetched: {region_problem}"
        if account_problem is not None and error is None:
            error = f"the credentials its provider reads with are unresolved, so it cannot be fetched: {account_problem}"
        return DeclaredPipeline(
            id=pipeline_id,
            source_kind=self.kind,
            name=name,
            location=location,
            fields=freeze(fields),
            field_locations=freeze(converter.locations),
            arn=arn,
            region=region,
            error=error,
            notes=tuple(notes),
            ignore_rules=tuple(rules),
            provider_account=account,
        )

    def _error(self, address: str, location: Location, message: str) -> DeclaredPipeline:
        return DeclaredPipeline(
            id=address,
            source_kind=self.kind,
            name=Unresolved(message),
            location=location,
            fields=freeze({}),
            error=message,
        )


def _unindexed_expansion_problem(instance: Mapping[str, Any]) -> str | None:
    """For a block the syntax index does not read (a .tf.json file): why its count/for_each cannot be trusted.

    Without the syntax index the references are unknown, so only the evaluated value itself is checked:
    an unknown one comes back as null, and the evaluator then invents a single instance."""
    for meta in ("count", "for_each"):
        if meta in instance:
            value = instance[meta]
            if meta == "count" and (isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0 or value != int(value)):
                return f"count is {json.dumps(value)} in a file driftcheck's syntax index does not read (.tf.json): it cannot be evaluated"
            if meta == "for_each" and not isinstance(value, (Mapping, list)):
                return f"for_each is {json.dumps(value)} in a file driftcheck's syntax index does not read (.tf.json): it cannot be evaluated"
    return None


def _tf_key(suffix: str) -> str:
    """An instance key as the evaluator writes it in addresses: ``["café"]`` (state files may write ``["caf\\u00e9"]``)."""
    if suffix.startswith('["') and suffix.endswith('"]'):
        try:
            return f"[{json.dumps(json.loads(suffix[1:-1]), ensure_ascii=False)}]"
        except ValueError:
            return suffix
    return suffix


def _without_whole_resources(expr: Expr) -> list:
    """The references whose knownness decides a count/for_each; whole resources are expanded from state."""
    out = []
    for ref in expr.references:
        rest = ref.steps[3:] if ref.root == "data" else ref.steps[2:]
        if ref.root not in ("var", "local", "module", "each", "count", "path", "terraform", "self") and not ref.root.endswith("()") and not [
            s for s in rest if not s.startswith("[")
        ]:
            continue
        out.append(ref)
    return out


__all__ = ["Evaluation", "Module", "TerraformSource"]

"""CloudFormation source: ``AWS::ImageBuilder::ImagePipeline`` resources of YAML or JSON templates.

A template is recognised by its content (:func:`is_template`). Its Parameters, Mappings, Conditions
and intrinsic functions are evaluated by :mod:`~driftcheck.sources.cloudformation.intrinsics`; each
pipeline resource's resolved ``Properties`` become API-shaped fields in
:mod:`~driftcheck.sources.cloudformation.api_shape`; this module reads the command line's inputs
(parameters, parameter files, ``--stack``) and assembles one declared pipeline per resource.

Pipelines CloudFormation would create from an ``Fn::ForEach`` block are not expanded: that is an input
error, not silence. A macro ``Transform`` is not run; each pipeline carries a note saying so.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from driftcheck.fields import pipeline_model
from driftcheck.frozen import freeze
from driftcheck.live.stack import DeployedStack
from driftcheck.model import DeclaredPipeline, InputError, Location, Unresolved
from driftcheck.sources.base import SourceResult, same_file
from driftcheck.sources.cloudformation.api_shape import RESOURCE_TYPE, Converter, Problem
from driftcheck.sources.cloudformation.intrinsics import Template
from driftcheck.sources.cloudformation.parameter_files import StackTags, load_parameter_file
from driftcheck.sources.cloudformation.values import NO_VALUE, TemplateError, TemplateInputs
from driftcheck.sources.yaml_tree import Document, DocumentError, DuplicateKey, Node

log = logging.getLogger(__name__)

KIND = "cloudformation"
STACK_TAGS_UNKNOWN = "CloudFormation copies the stack's tags onto the pipeline; pass --stack NAME to check them"
STACK_TAGS_UNKNOWN_OFFLINE = (
    "CloudFormation copies the stack's tags onto the pipeline; a template configuration file's Tags "
    "(--var-file) give them offline, or run online with --stack NAME"
)
# Transforms whose effect on an image pipeline is known: evaluated (language extensions) or none (SAM).
_EVALUATED_TRANSFORMS = ("AWS::LanguageExtensions", "AWS::Serverless-2016-10-31")


def is_template(root: Node) -> bool:
    """A CloudFormation template: AWSTemplateFormatVersion, or Resources whose entries have AWS:: types."""
    if not root.is_mapping():
        return False
    if root.get("AWSTemplateFormatVersion") is not None:
        return True
    resources = root.get("Resources")
    if resources is None or not resources.is_mapping():
        return False
    for resource in resources.value.values():
        kind = resource.get("Type") if resource.is_mapping() else None
        if kind is not None and isinstance(kind.value, str) and kind.value.startswith(("AWS::", "Custom::")):
            return True
    return False


@dataclass(frozen=True)
class StackBinding:
    """A deployed stack named with --stack, the template it belongs to (None: the only one), and what was read."""

    name: str
    template: str | None = None
    stack: DeployedStack | None = None
    error: str | None = None


@dataclass(frozen=True)
class CloudFormationOptions:
    """What the command line says about templates."""

    parameters: tuple[tuple[str, str], ...] = ()  # --var NAME=VALUE (wins over everything)
    parameter_files: tuple[Path, ...] = ()  # --var-file in CloudFormation's parameter-file formats
    region: str | None = None
    account_id: str | None = None
    stack_name: str | None = None
    offline: bool = False  # --live: no stack can be read, so hints never offer --stack
    stacks: tuple[StackBinding, ...] = ()
    exports: tuple[tuple[str, str], ...] = ()  # --export NAME=VALUE: what Fn::ImportValue NAME gives



class CloudFormationSource:
    """Reads pipelines from CloudFormation templates (already loaded documents)."""

    kind = KIND

    def __init__(self, options: CloudFormationOptions | None = None) -> None:
        self.options = options or CloudFormationOptions()

    def collect(self, documents: Iterable[Document]) -> SourceResult:
        """Every pipeline resource of every template, and every input error met on the way."""
        documents = list(documents)
        errors: list[InputError] = []
        file_values, file_tags = self._parameter_files(errors)
        bindings = self._bindings(documents, errors)
        pipelines: list[DeclaredPipeline] = []
        for document in documents:
            result = self._template(document, file_values, file_tags, bindings.get(document.file))
            pipelines.extend(result.pipelines)
            errors.extend(result.errors)
        return SourceResult(tuple(pipelines), tuple(errors))

    def _parameter_files(self, errors: list[InputError]) -> tuple[dict[str, str], StackTags | None]:
        values: dict[str, str] = {}
        tags: StackTags | None = None
        for path in self.options.parameter_files:
            try:
                loaded = load_parameter_file(path)
            except DocumentError as exc:
                errors.append(InputError(exc.location or Location(str(path)), exc.message))
                continue
            values.update(loaded.parameters)
            if loaded.tags is not None:
                before = tags or StackTags({}, {})
                tags = StackTags({**before.tags, **loaded.tags}, {**before.locations, **loaded.tag_locations})
        return values, tags

    def _bindings(self, documents: list[Document], errors: list[InputError]) -> dict[str, StackBinding]:
        found: dict[str, StackBinding] = {}
        by_path = {same_file(d.file): d.file for d in documents}
        for binding in self.options.stacks:
            if binding.template is None:
                if len(documents) > 1:
                    errors.append(InputError(
                        Location("--stack"),
                        f"--stack {binding.name}: {len(documents)} templates are checked; say which one with --stack TEMPLATE={binding.name}",
                    ))
                target = documents[0].file if len(documents) == 1 else None
            else:
                target = by_path.get(same_file(binding.template))
                if target is None:
                    errors.append(InputError(Location("--stack"), f"--stack {binding.template}={binding.name}: {binding.template} is not one of the templates checked"))
            if target is not None and target in found:  # one pipeline cannot be checked against two stacks in one run
                errors.append(InputError(Location("--stack"), f"--stack {binding.name}: {target} is already bound to --stack {found[target].name}; one stack per template"))
            elif target is not None:
                found[target] = binding
        return found

    def _inputs(self, file_values: Mapping[str, str], binding: StackBinding | None) -> TemplateInputs:
        stack = binding.stack if binding is not None else None
        deployed: dict[str, str | Unresolved] = {}
        if stack is not None:
            for key, value in stack.parameters.items():
                # a NoEcho value the stack masks is unknown: never fall back to the template's Default
                deployed[key] = value if value is not None else Unresolved(f"parameter {key} is NoEcho: stack {stack.name} masks its value; pass --var {key}=VALUE")
        return TemplateInputs(
            parameter_values=dict(self.options.parameters),
            file_values=file_values,
            deployed_values=deployed,
            region=(stack.region if stack is not None and stack.region else None) or self.options.region,
            account_id=(stack.account_id if stack is not None and stack.account_id else None) or self.options.account_id,
            stack_name=stack.name if stack is not None else self.options.stack_name,
            stack_id=stack.stack_id if stack is not None else None,
            physical_ids={logical: physical for logical, (_, physical) in stack.resources.items()} if stack is not None else {},
            offline=self.options.offline,
            exports=dict(self.options.exports),
        )

    def _by_arn_hint(self, binding: StackBinding | None) -> str:
        """How a pipeline whose name stays unknown can still be matched online: by the ARN its deployed stack records.

        Offline (--live) there is no such way, and each reason already says what resolves it there.
        """
        if binding is not None or self.options.offline:
            return ""  # the stack was read and does not hold this resource; or no stack can be read
        return "; or pass --stack NAME, which matches the pipeline by the ARN its stack records"

    def _template(
        self,
        document: Document,
        file_values: Mapping[str, str],
        file_tags: StackTags | None,
        binding: StackBinding | None,
    ) -> SourceResult:
        """One template's pipelines and errors; its duplicate keys noted (CloudFormation uses the last one)."""
        result = self._template_pipelines(document, file_values, file_tags, binding)
        if not document.duplicate_keys:
            return result
        inside = _pipeline_mappings(document)
        pipelines = []
        shown: set[int] = set()  # the duplicates noted on a reported pipeline
        for pipeline in result.pipelines:
            own = [d for d in document.duplicate_keys if id(d.mapping) in inside.get(pipeline.id, ())]
            shown.update(map(id, own))
            notes = tuple(f"{Location(document.file, d.line)}: {_duplicate_note(d)}" for d in own)
            pipelines.append(replace(pipeline, notes=pipeline.notes + notes) if notes else pipeline)
        for duplicate in document.duplicate_keys:
            if id(duplicate) not in shown:  # elsewhere in the template: one line on stderr
                log.warning("%s: note: %s", Location(document.file, duplicate.line), _duplicate_note(duplicate))
        return SourceResult(tuple(pipelines), result.errors)

    def _template_pipelines(
        self,
        document: Document,
        file_values: Mapping[str, str],
        file_tags: StackTags | None,
        binding: StackBinding | None,
    ) -> SourceResult:
        if document.unknown_tags:
            tag, line = document.unknown_tags[0]
            return SourceResult(errors=(InputError(Location(document.file, line), f"unknown tag {tag}: not a CloudFormation intrinsic function"),))
        inputs = self._inputs(file_values, binding)
        try:
            template = Template(document.root, inputs)
            resources = list(template.resources())
        except TemplateError as exc:
            return SourceResult(errors=(InputError(exc.location or Location(document.file), exc.message),))
        stack = binding.stack if binding is not None else None
        # a template configuration's Tags are what the next deploy sets on the stack, so they win over the deployed ones
        stack_tags = file_tags
        if stack_tags is None and stack is not None:
            stack_tags = StackTags(stack.tags, {key: Location(f"stack {stack.name}") for key in stack.tags})
        pipelines = []
        resources_node = document.root.get("Resources")
        errors = [
            InputError(where, f"{name}: Fn::ForEach is not expanded by driftcheck, so the {RESOURCE_TYPE} resources it declares are not checked")
            for name, where in template.unexpanded_for_each
            if _mentions(resources_node.value[name], RESOURCE_TYPE)
        ]
        macros = [name for name in template.transforms if name not in _EVALUATED_TRANSFORMS]
        for logical_id, resource in resources:
            kind = resource.get("Type") if resource.is_mapping() else None
            if kind is None or kind.value != RESOURCE_TYPE:
                continue
            location = resources_node.key_location(logical_id) if resources_node is not None else resource.location
            pipeline = self._pipeline(template, logical_id, resource, location, inputs, binding, stack_tags)
            if pipeline is None:
                continue
            if macros and pipeline.error is None:
                note = f"Transform {', '.join(macros)} runs in CloudFormation at deploy time, not in driftcheck: what it changes is not seen"
                pipeline = replace(pipeline, notes=pipeline.notes + (note,))
            pipelines.append(pipeline)
        return SourceResult(tuple(pipelines), tuple(errors))

    def _pipeline(
        self,
        template: Template,
        logical_id: str,
        resource: Node,
        location: Location,
        inputs: TemplateInputs,
        binding: StackBinding | None,
        stack_tags: StackTags | None,
    ) -> DeclaredPipeline | None:
        stack = binding.stack if binding is not None else None
        arn = None
        if stack is not None and logical_id in stack.resources:
            arn = stack.resources[logical_id][1]
        base = dict(id=logical_id, source_kind=KIND, location=location, arn=arn, region=inputs.region)

        def failed(message: str, name: Any = None) -> DeclaredPipeline:
            return DeclaredPipeline(name=name if name is not None else Unresolved("not read"), fields=freeze({}), error=message, **base)

        if binding is not None and binding.error is not None:
            return failed(f"stack {binding.name}: {binding.error}")
        try:
            condition = template.resource_condition(logical_id)
        except TemplateError as exc:
            return failed(f"{exc.location}: {exc.message}")
        if condition is False:
            log.info("%s: %s is not created: its Condition is false", location, logical_id)
            return None
        if isinstance(condition, Unresolved):
            also = _name_needs(template, resource, condition)
            return failed(f"{location}: whether {logical_id} exists is unknown: Condition {condition.reason}{also}")
        properties = resource.get("Properties")
        if properties is None:
            return failed(f"{location}: {logical_id} has no Properties (Name and InfrastructureConfigurationArn are required)")
        converter = Converter()
        try:
            resolved = template.resolve(properties)
            if resolved is NO_VALUE:
                return failed(f"{properties.location}: {logical_id}: Properties resolve to AWS::NoValue")
            if isinstance(resolved.value, Unresolved):
                return failed(f"{properties.location}: {logical_id}: Properties cannot be evaluated: {resolved.value.reason}")
            fields = converter.structure(pipeline_model(), resolved, "", "")
        except TemplateError as exc:
            return failed(f"{exc.location}: {exc.message}")
        except Problem as exc:
            return failed(f"{exc.location}: {exc.message}")
        notes: list[str] = []
        partial: dict[str, str] = {}
        tags = fields.get("tags")
        if stack_tags is not None:
            if isinstance(tags, dict) or tags is None:
                fields["tags"] = {**stack_tags.tags, **(tags or {})} or None  # resource tags win over stack tags
                for key, where in stack_tags.locations.items():
                    if key not in (tags or {}):
                        converter.locations[f"tags.{key}"] = where
        else:
            partial["tags"] = STACK_TAGS_UNKNOWN_OFFLINE if self.options.offline else STACK_TAGS_UNKNOWN
        name = fields.get("name")
        if name is None:
            return failed(f"{location}: {logical_id} has no Name (required for {RESOURCE_TYPE})")
        if isinstance(name, Unresolved) and arn is None:
            return failed(f"pipeline name is unresolved, so it cannot be matched: {name.reason}{self._by_arn_hint(binding)}", name)
        if stack is not None:
            notes.append(f"resolved from deployed stack {stack.name} ({stack.status})")
        return DeclaredPipeline(
            name=name,
            fields=freeze(fields),
            field_locations=freeze(converter.locations),
            notes=tuple(notes),
            partial_maps=freeze(partial),
            **base,
        )


def _mentions(node: Node, text: str) -> bool:
    """True when ``text`` is a scalar anywhere in ``node``'s tree."""
    if node.is_mapping():
        return any(_mentions(child, text) for child in node.value.values())
    if node.is_sequence():
        return any(_mentions(child, text) for child in node.value)
    return node.value == text


def _duplicate_note(duplicate: DuplicateKey) -> str:
    """What a key written twice means in a template: the last one is used, as CloudFormation does."""
    earlier = duplicate.lines[:-1]
    where = f"line {earlier[0]}" if len(earlier) == 1 else "lines " + ", ".join(map(str, earlier))
    return f"duplicate key {duplicate.key!r} (also at {where}); CloudFormation uses the last one"


def _pipeline_mappings(document: Document) -> dict[str, set[int]]:
    """Logical id of each pipeline resource -> the ids of every mapping node written inside it."""
    resources = document.root.get("Resources") if document.root.is_mapping() else None
    found: dict[str, set[int]] = {}
    if resources is None or not resources.is_mapping():
        return found
    for logical_id, resource in resources.value.items():
        kind = resource.get("Type")
        if kind is not None and kind.value == RESOURCE_TYPE:
            found[logical_id] = _mapping_ids(resource)
    return found


def _mapping_ids(node: Node) -> set[int]:
    """The ids of ``node`` and of every mapping below it (iteratively: documents nest up to MAX_DEPTH)."""
    ids: set[int] = set()
    pending = [node]
    while pending:
        current = pending.pop()
        if current.is_mapping():
            if id(current) in ids:
                continue  # a YAML alias met again
            ids.add(id(current))
            pending.extend(current.value.values())
        elif current.is_sequence():
            pending.extend(current.value)
    return ids


def _name_needs(template: Template, resource: Node, condition: Unresolved) -> str:
    """What the pipeline's Name needs besides its Condition, so that one run can be given everything at once."""
    properties = resource.get("Properties")
    name = properties.get("Name") if properties is not None else None
    if name is None:
        return ""
    needs = [reason for reason in template.needs_of(name) if reason.reason not in condition.reason]
    return f"; its Name needs: {'; '.join(dict.fromkeys(reason.reason for reason in needs))}" if needs else ""

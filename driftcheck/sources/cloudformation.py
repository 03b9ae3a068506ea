"""CloudFormation source: ``AWS::ImageBuilder::ImagePipeline`` resources of YAML or JSON templates.

A template is recognised by its content (:func:`is_template`). Its Parameters, Mappings, Conditions
and intrinsic functions are evaluated by :mod:`driftcheck.sources.cfn_intrinsics`; this module turns
each pipeline resource's resolved ``Properties`` into the API shape (PascalCase property -> camelCase
field, CloudFormation's string habits -> the API model's types) and keeps the line of every property.

What an omitted property means: CloudFormation's handler sends nothing for it, and Update is a full
replace, so the service resets it to its default. An omitted property is therefore "expected unset"
(None; the service default rule then applies), except for fields the service fills with a value of
its own choosing (``Overlay.service_fills``) and fields CloudFormation cannot express
(``Overlay.cfn_supported``), which are not compared. Writing an inexpressible field, or any other name the
resource's schema lacks, is an unknown property; a ``null`` value is refused, as CloudFormation does.

Pipelines CloudFormation would create from an ``Fn::ForEach`` block are not expanded: that is an input
error, not silence. A macro ``Transform`` is not run; each pipeline carries a note saying so.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from driftcheck.fields import FieldSpec, pipeline_model
from driftcheck.frozen import freeze
from driftcheck.live.stack import DeployedStack
from driftcheck.model import DeclaredPipeline, InputError, Location, Unresolved
from driftcheck.sources.base import SourceResult, same_file
from driftcheck.sources.cfn_intrinsics import NO_VALUE, Template, TemplateError, TemplateInputs
from driftcheck.sources.located import Document, DocumentError, Node
from driftcheck.sources.yamldoc import load_file

log = logging.getLogger(__name__)

RESOURCE_TYPE = "AWS::ImageBuilder::ImagePipeline"
KIND = "cloudformation"
STACK_TAGS_UNKNOWN = "CloudFormation copies the stack's tags onto the pipeline; pass --stack NAME to check them"
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
    stacks: tuple[StackBinding, ...] = ()


@dataclass(frozen=True)
class ParameterFile:
    """Values read from one parameter file: parameters, and stack tags (template-configuration format)."""

    parameters: Mapping[str, str] = field(default_factory=dict)
    tags: Mapping[str, str] | None = None
    tag_locations: Mapping[str, Location] = field(default_factory=dict)


@dataclass(frozen=True)
class StackTags:
    """The stack-level tags CloudFormation copies onto the pipeline, and where each is declared."""

    tags: Mapping[str, str]
    locations: Mapping[str, Location]


def load_parameter_file(path: Path) -> ParameterFile:
    """Read a parameter file in either CloudFormation format; raises DocumentError with file:line.

    * ``[{"ParameterKey": "K", "ParameterValue": "V"}, ...]`` (``aws cloudformation create-stack --parameters``)
    * ``{"Parameters": {"K": "V"}, "Tags": {"K": "V"}}`` (template configuration: CodePipeline, ``deploy``)
    """
    document = load_file(path, str(path))
    root = document.root
    values: dict[str, str] = {}
    tags: dict[str, str] | None = None
    tag_locations: dict[str, Location] = {}

    def scalar(node: Node, what: str) -> str:
        if node.is_sequence() and all(item.is_scalar() for item in node.value):
            return ",".join(item.text() or "" for item in node.value)  # a list parameter, as CloudFormation joins it
        if not node.is_scalar() or node.value is None:
            raise DocumentError(f"{what}: expected a string value", node.location)
        return node.text() or ""

    if root.is_sequence():
        for item in root.value:
            key = item.get("ParameterKey")
            if not item.is_mapping() or key is None or not isinstance(key.value, str):
                raise DocumentError("expected {\"ParameterKey\": ..., \"ParameterValue\": ...} entries", item.location)
            if item.get("UsePreviousValue") is not None and item.get("ParameterValue") is None:
                continue  # the deployed value is kept: only --stack knows it
            value = item.get("ParameterValue")
            if value is None:
                raise DocumentError(f"parameter {key.value}: ParameterValue is missing", item.location)
            values[key.value] = scalar(value, f"parameter {key.value}")
    elif root.is_mapping() and (root.get("Parameters") is not None or root.get("Tags") is not None):
        unknown = [k for k in root.value if k not in ("Parameters", "Tags", "StackPolicy")]
        if unknown:
            raise DocumentError(f"unknown key {unknown[0]!r}: expected Parameters, Tags or StackPolicy", root.key_location(unknown[0]))
        for section, target in (("Parameters", values), ("Tags", None)):
            node = root.get(section)
            if node is None:
                continue
            if not node.is_mapping():
                raise DocumentError(f"{section}: expected a mapping of name: value", node.location)
            converted = {key: scalar(child, f"{section}.{key}") for key, child in node.value.items()}
            if target is None:
                tags = converted
                tag_locations = {key: node.key_location(key) for key in converted}
            else:
                target.update(converted)
    else:
        raise DocumentError(
            "not a CloudFormation parameter file: expected a list of ParameterKey/ParameterValue entries "
            "or {\"Parameters\": {...}, \"Tags\": {...}}",
            root.location,
        )
    return ParameterFile(freeze(values), freeze(tags) if tags is not None else None, freeze(tag_locations))


class _Problem(Exception):
    def __init__(self, message: str, location: Location) -> None:
        super().__init__(message)
        self.message, self.location = message, location


_INTEGER = re.compile(r"^[-+]?\d+$")
_NUMBER = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")


def coerce_scalar(node: Node, spec: FieldSpec, what: str) -> Any:
    """CloudFormation's value habits -> the API model's type: "true" is true, "90" is 90, 90 is "90"."""
    value = node.value
    kind = spec.type
    if kind == "string":
        text = node.text()
        if text is None or not node.is_scalar():
            raise _Problem(f"{what}: expected a string", node.location)
        return text
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise _Problem(f"{what}: expected a boolean (true or false), got {node.text()!r}", node.location)
    if kind in ("integer", "long"):
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and _INTEGER.match(value.strip()):
            return int(value)
        raise _Problem(f"{what}: expected an integer, got {node.text()!r}", node.location)
    if kind in ("double", "float"):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str) and _NUMBER.match(value.strip()):
            return float(value)
        raise _Problem(f"{what}: expected a number, got {node.text()!r}", node.location)
    return value


class _Converter:
    """Resolved Properties (a Node tree) -> API-shaped fields, with the location of every path."""

    def __init__(self) -> None:
        self.locations: dict[str, Location] = {}

    def structure(self, spec: FieldSpec, node: Node, api_prefix: str, cfn_prefix: str) -> dict[str, Any]:
        if not node.is_mapping():
            raise _Problem(f"{cfn_prefix or 'Properties'}: expected a mapping", node.location)
        # CloudFormation's names: the API's in PascalCase, minus read-only fields and those its schema lacks
        children = {
            child.cfn_name: (name, child)
            for name, child in spec.children.items()
            if child.cfn_name is not None and not child.overlay.output_only
        }
        for key in node.value:
            if key not in children:
                valid = ", ".join(sorted(children))
                where = cfn_prefix or RESOURCE_TYPE
                if key == "<<":
                    raise _Problem(f"{where}: YAML merge keys (<<) are not supported by CloudFormation", node.key_location(key))
                raise _Problem(f"{where}: unknown property {key!r}; valid properties: {valid}", node.key_location(key))
        result: dict[str, Any] = {}
        for cfn_name, (name, child) in children.items():
            api_path = f"{api_prefix}.{name}" if api_prefix else name
            cfn_path = f"{cfn_prefix}.{cfn_name}" if cfn_prefix else cfn_name
            value = node.get(cfn_name)
            if value is None:
                if child.overlay.service_fills:
                    continue  # the service picks the value: not compared
                result[name] = None
                continue
            self.locations[api_path] = node.key_location(cfn_name)
            result[name] = self.value(child, value, api_path, cfn_path)
        return result

    def value(self, spec: FieldSpec, node: Node, api_path: str, cfn_path: str) -> Any:
        if isinstance(node.value, Unresolved):
            return node.value
        if node.value is None and node.is_scalar():
            raise _Problem(f"{cfn_path}: 'null' values are not allowed in templates", node.location)
        if spec.type == "structure":
            return self.structure(spec, node, api_path, cfn_path)
        if spec.type == "map":
            if node.is_sequence():
                key_value = node.value and all(item.is_mapping() and item.get("Key") is not None for item in node.value)
                shape = "not a list of Key/Value pairs" if key_value else "got a list"
                raise _Problem(f"{cfn_path}: expected a map of key: value for {RESOURCE_TYPE}, {shape}", node.location)
            if not node.is_mapping():
                raise _Problem(f"{cfn_path}: expected a map of key: value", node.location)
            out: dict[str, Any] = {}
            for key, item in node.value.items():
                self.locations[f"{api_path}.{key}"] = node.key_location(key)
                out[key] = self.value(_STRING, item, f"{api_path}.{key}", f"{cfn_path}.{key}")
            return out
        if spec.type == "list" and spec.item is not None:
            if not node.is_sequence():
                raise _Problem(f"{cfn_path}: expected a list", node.location)
            items = []
            seen: dict[str, Location] = {}
            for index, item in enumerate(node.value):
                item_api = f"{api_path}[{index}]"
                converted = self.value(spec.item, item, item_api, f"{cfn_path}[{index}]")
                if spec.item.children:
                    self.locations[item_api] = item.location
                    key = spec.overlay.set_key
                    if key and isinstance(converted, dict) and isinstance(converted.get(key), str):
                        if converted[key] in seen:  # a set keyed by name: CloudFormation's schema refuses twins
                            first = seen[converted[key]]
                            raise _Problem(f"{cfn_path}: duplicate {key[0].upper() + key[1:]} {converted[key]!r} (first at line {first.line})", item.location)
                        seen[converted[key]] = item.location
                        keyed = f"{api_path}[{key}={converted[key]}]"
                        self.locations[keyed] = item.location
                        for sub_path, sub_location in list(self.locations.items()):
                            if sub_path.startswith(item_api + "."):
                                self.locations[keyed + sub_path[len(item_api):]] = sub_location
                items.append(converted)
            return items
        if not node.is_scalar():
            raise _Problem(f"{cfn_path}: expected a single value, got a {'list' if node.is_sequence() else 'mapping'}", node.location)
        return coerce_scalar(node, spec, cfn_path)


_STRING = FieldSpec(path="", name="", type="string", shape_name="String")


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
        )

    def _template(
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
            return failed(f"{location}: whether {logical_id} exists is unknown: Condition {condition.reason}")
        properties = resource.get("Properties")
        if properties is None:
            return failed(f"{location}: {logical_id} has no Properties (Name and InfrastructureConfigurationArn are required)")
        converter = _Converter()
        try:
            resolved = template.resolve(properties)
            if resolved is NO_VALUE:
                return failed(f"{properties.location}: {logical_id}: Properties resolve to AWS::NoValue")
            if isinstance(resolved.value, Unresolved):
                return failed(f"{properties.location}: {logical_id}: Properties cannot be evaluated: {resolved.value.reason}")
            fields = converter.structure(pipeline_model(), resolved, "", "")
        except TemplateError as exc:
            return failed(f"{exc.location}: {exc.message}")
        except _Problem as exc:
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
            partial["tags"] = STACK_TAGS_UNKNOWN
        name = fields.get("name")
        if name is None:
            return failed(f"{location}: {logical_id} has no Name (required for {RESOURCE_TYPE})")
        if isinstance(name, Unresolved) and arn is None:
            return failed(f"pipeline name is unresolved, so it cannot be matched: {name.reason}", name)
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

"""Static evaluation of a CloudFormation template: :class:`Template`, the evaluator's core.

This package's evaluator computes, without AWS, what CloudFormation would compute from a template
and its inputs, and to mark whatever cannot be known as :class:`~driftcheck.model.Unresolved` with
the reason (and, where there is one, the command-line flag that would make it known). Template
mistakes CloudFormation would reject (a Ref to an unknown name, a missing mapping key, a parameter
value that breaks its constraints, a condition cycle...) raise :class:`TemplateError` at their line.

It works on the located :class:`~driftcheck.sources.yaml_tree.Node` tree the loader builds, where
short-form tags are already in long form, and returns new Nodes: nothing is mutated.

Decisions where CloudFormation's behaviour is not spelled out in its documentation:

* list parameters (``CommaDelimitedList``, ``List<...>``) are split on every comma and each member
  has its surrounding whitespace trimmed ("each member string is space trimmed"); ``""`` gives
  ``("",)`` since there is one more member than there are commas;
* ``AllowedValues``/``AllowedPattern``/``MinLength``/``MaxLength`` apply to each member of a list
  parameter, ``MinValue``/``MaxValue`` to each member of ``List<Number>``; the value in use
  (override, or else ``Default``) is checked; ``AllowedPattern`` is a Python regular expression that
  must match the whole value (CloudFormation uses Java's, equal for ordinary patterns);
* the value ``--var`` or the deployed stack gives for an ``AWS::SSM::Parameter::Value<...>`` parameter
  is taken as the resolved value (a parameter file's is the SSM parameter's name, so it is unresolved),
  and not checked against constraints (those apply to the SSM parameter's name);
* ``${ Name }`` in Fn::Sub is trimmed, as CloudFormation accepts it;
* only the branch Fn::If takes is evaluated, so mistakes in the other branch are not reported;
* a scalar produced by a function carries the function's line; a mapping or list taken as written
  from the template (the branch Fn::If takes, a Mappings entry, a literal list item Fn::Select picks)
  keeps its own nodes and lines; a scalar branch of Fn::If keeps its own line too;
* Fn::Length, Fn::ToJsonString, Fn::FindInMap's DefaultValue and Fn::ForEach need
  ``Transform: AWS::LanguageExtensions``, as in CloudFormation; Fn::ForEach is not expanded;
* Fn::Equals compares values as CloudFormation strings (``1`` equals ``"1"``, ``true`` equals
  ``"true"``); every item of Fn::And/Fn::Or is evaluated, so a mistake in any of them is reported
  even when another item already decides the result;
* a Ref or Fn::GetAtt to a resource whose Condition is false is an error (CloudFormation fails the
  stack), and so is one in the Conditions section;
* a name written as a plain YAML scalar is read as written (``Condition: No`` names the condition
  "No", which YAML 1.1 would read as false);
* one :meth:`Template.resolve` call may compute at most :data:`MAX_COMPUTED` characters of values,
  so exponential constructions (nested Fn::Base64, Fn::Sub repeating a variable) fail instead of
  exhausting memory.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import replace
from types import MappingProxyType

from driftcheck.model import Location, Unresolved
from driftcheck.sources.cloudformation import sections
from driftcheck.sources.cloudformation.conditions import Conditions
from driftcheck.sources.cloudformation.functions import HANDLERS
from driftcheck.sources.cloudformation.parameters import Parameter, read_parameters
from driftcheck.sources.cloudformation.values import (
    CONDITION_FUNCTIONS,
    MAX_COMPUTED,
    NO_VALUE,
    NODE_COST,
    NoValueType,
    ParameterValue,
    TemplateError,
    TemplateInputs,
    dynamic_reference,
    is_intrinsic,
    name_of,
    unresolved_in,
)
from driftcheck.sources.yaml_tree import Node


class Template:
    """One CloudFormation template evaluated against its inputs.

    Construction checks the shape of the Parameters, Mappings, Conditions and Resources sections,
    computes every parameter's value (checking its constraints) and evaluates every condition, so a
    template CloudFormation would reject fails here with a :class:`TemplateError`.

    The function handlers (:mod:`~driftcheck.sources.cloudformation.functions`,
    :mod:`~driftcheck.sources.cloudformation.references`) read ``inputs``, ``parameters``,
    ``resource_nodes``, ``mappings`` and ``conditions``, and use the argument and result helpers below.
    """

    def __init__(self, root: Node, inputs: TemplateInputs) -> None:
        self._root = root
        self.inputs = inputs
        self._budget = MAX_COMPUTED
        self._speculating = False
        if not root.is_mapping():
            raise TemplateError("a CloudFormation template must be a mapping", root.location)
        self._transforms = sections.read_transforms(root)
        self.mappings: Mapping[str, Node] = sections.read_mappings(root)
        self.resource_nodes, self._unexpanded_for_each = sections.read_resources(root, self._transforms)
        self.conditions = Conditions(root, self.evaluate)
        self.parameters: dict[str, Parameter] = read_parameters(root, inputs)
        self.conditions.evaluate_all()
        for logical_id, resource in self.resource_nodes.items():
            condition = resource.get("Condition")  # a resource's Condition must name a declared condition
            if condition is not None and name_of(condition) not in self.conditions:
                raise TemplateError(f"resource {logical_id}: unknown condition {name_of(condition)}", condition.location)

    # ----------------------------------------------------------------- public API

    @property
    def transforms(self) -> tuple[str, ...]:
        """The names in the template's Transform section (the caller decides what a macro means)."""
        return self._transforms

    @property
    def unexpanded_for_each(self) -> tuple[tuple[str, Location], ...]:
        """The ``Fn::ForEach::Name`` blocks of Resources, which :meth:`resources` does not expand."""
        return self._unexpanded_for_each

    def parameter(self, name: str) -> ParameterValue:
        """A parameter's value: a string, a tuple of strings (list types) or Unresolved."""
        spec = self.parameters.get(name)
        if spec is None:
            raise TemplateError(f"unknown parameter {name}", self._root.location)
        return spec.value

    def condition(self, name: str) -> bool | Unresolved:
        """A condition's value (three-valued: True, False or Unresolved)."""
        return self.conditions.value(name, self._root)

    def resources(self) -> Iterator[tuple[str, Node]]:
        """(logical id, resource node) in file order; Fn::ForEach blocks are not expanded (see ``unexpanded_for_each``)."""
        yield from self.resource_nodes.items()

    def resource_condition(self, logical_id: str) -> bool | Unresolved:
        """Whether the resource is created: its Condition's value, True when it has none."""
        resource = self.resource_nodes.get(logical_id)
        if resource is None:
            raise TemplateError(f"unknown resource {logical_id}", self._root.location)
        condition = resource.get("Condition")
        if condition is None:
            return True
        return self.conditions.value(name_of(condition), condition)

    def resolve(self, node: Node) -> Node | NoValueType:
        """``node`` with every intrinsic function replaced by its result (see the module docstring).

        Computing more than :data:`MAX_COMPUTED` characters of values is a TemplateError.
        """
        self._budget = MAX_COMPUTED
        return self.evaluate(node)

    # ----------------------------------------------------------------- resolution

    def evaluate(self, node: Node) -> Node | NoValueType:
        """The recursive core of :meth:`resolve` (no budget reset): what function handlers call."""
        function = is_intrinsic(node)
        if function is not None:
            return self._call(function, node)
        if node.is_mapping():
            for key in node.value:
                if key.startswith("Fn::ForEach::"):
                    self.require_extensions(key, node.key_location(key))
                    return Node(Unresolved(f"{key}: Fn::ForEach is not expanded by driftcheck"), node.line, node.file)
            children: dict[str, Node] = {}
            changed = False
            for key, child in node.value.items():
                result = self.evaluate(child)
                if result is NO_VALUE:
                    changed = True
                    continue
                changed = changed or result is not child
                children[key] = result
            if not changed:
                return node
            key_lines = {key: line for key, line in node.key_lines.items() if key in children}
            return replace(node, value=MappingProxyType(children), key_lines=MappingProxyType(key_lines))
        if node.is_sequence():
            items = [self.evaluate(child) for child in node.value]
            kept = tuple(item for item in items if item is not NO_VALUE)
            if len(kept) == len(node.value) and all(new is old for new, old in zip(kept, node.value)):
                return node
            return replace(node, value=kept)
        if isinstance(node.value, str):
            dynamic = dynamic_reference(node.value)
            if dynamic is not None:
                return Node(dynamic, node.line, node.file)
        return node

    def _call(self, function: str, node: Node) -> Node | NoValueType:
        """Evaluate one intrinsic function mapping."""
        arg = node.value[function]
        if function.startswith("Fn::ForEach::"):
            self.require_extensions(function, node.location)
            return self.unknown(node, f"{function}: Fn::ForEach is not expanded by driftcheck")
        handler = HANDLERS.get(function)
        if handler is None:
            if function in CONDITION_FUNCTIONS:
                raise TemplateError(f"{function} can only be used in the Conditions section", node.location)
            raise TemplateError(f"unsupported function {function}", node.location)
        return handler(self, node, arg)

    # results

    @staticmethod
    def unknown(at: Node, reason: str | Unresolved) -> Node:
        """An Unresolved result at the function's line."""
        marker = reason if isinstance(reason, Unresolved) else Unresolved(reason)
        return Node(marker, at.line, at.file)

    def spend(self, size: int, at: Node, function: str, *, check_only: bool = False) -> None:
        """Count ``size`` characters against this evaluation's budget; a TemplateError past it.

        ``check_only`` checks a result before building it (the string is counted when it is made).
        """
        if not check_only:
            self._budget -= size + NODE_COST
        if (size > self._budget) if check_only else (self._budget < 0):
            raise TemplateError(
                f"{function}: the values computed from this template exceed driftcheck's limit of "
                f"{MAX_COMPUTED} characters",
                at.location,
            )

    def string(self, at: Node, text: str, function: str = "Ref") -> Node:
        """A string produced by a function, at its line (a dynamic reference in it makes it Unresolved)."""
        self.spend(len(text), at, function)
        dynamic = dynamic_reference(text)
        return Node(dynamic if dynamic is not None else text, at.line, at.file)

    def value_node(self, at: Node, value: ParameterValue) -> Node:
        """A parameter-like value (string, tuple of strings or Unresolved) as a Node at ``at``'s line."""
        if isinstance(value, tuple):
            return Node(tuple(self.string(at, item) for item in value), at.line, at.file)
        if isinstance(value, Unresolved):
            return self.unknown(at, value)
        return self.string(at, value)

    @staticmethod
    def reline(item: Node, at: Node) -> Node:
        """A scalar picked by a function moves to the function's line; collections keep their own."""
        return replace(item, line=at.line, file=at.file) if item.is_scalar() else item

    # arguments

    def arg_node(self, node: Node, function: str, usage: str, at: Node) -> Node:
        """An argument resolved; AWS::NoValue is not a value here."""
        value = self.evaluate(node)
        if value is NO_VALUE:
            raise TemplateError(f"{function}: AWS::NoValue is not allowed here; {function} expects {usage}", at.location)
        return value

    def string_arg(self, node: Node, function: str, usage: str, at: Node) -> str | Unresolved:
        """An argument that must be a string (numbers and booleans as written)."""
        value = self.arg_node(node, function, usage, at)
        if isinstance(value.value, Unresolved):
            return value.value
        if not value.is_scalar() or value.value is None:
            raise TemplateError(f"{function} expects {usage}", at.location)
        return value.text() or ""

    def list_arg(self, node: Node, function: str, usage: str, at: Node) -> tuple[Node, ...] | Unresolved:
        """An argument that must be a list (literal or produced); its items are resolved."""
        value = self.arg_node(node, function, usage, at)
        if isinstance(value.value, Unresolved):
            return value.value
        if not value.is_sequence():
            raise TemplateError(f"{function} expects {usage}", at.location)
        return value.value

    @staticmethod
    def args(arg: Node, count: int | tuple[int, ...], function: str, usage: str, at: Node) -> tuple[Node, ...]:
        """The items of a list argument of a fixed length."""
        counts = (count,) if isinstance(count, int) else count
        if not arg.is_sequence() or len(arg.value) not in counts:
            raise TemplateError(f"{function} expects {usage}", at.location)
        return arg.value


    def needs_of(self, *nodes: Node) -> list[Unresolved]:
        """What would make ``nodes`` known: the Unresolved reasons evaluating them gives.

        For messages only: a branch CloudFormation may never take is evaluated here, so its mistakes
        (TemplateErrors) are ignored, and branches inside it are not explored again (no blow-up).
        """
        if self._speculating:
            return []
        self._speculating = True
        try:
            found: list[Unresolved] = []
            for node in nodes:
                try:
                    value = self.evaluate(node)
                except TemplateError:
                    continue
                if value is not NO_VALUE:
                    found.extend(unresolved_in(value))
            return found
        finally:
            self._speculating = False

    def require_extensions(self, what: str, location: Location) -> None:
        """``what`` exists only with the AWS::LanguageExtensions transform."""
        sections.require_extensions(self._transforms, what, location)

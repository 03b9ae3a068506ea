"""Normalization: make the declared and the live pipeline comparable without false drift.

Each rule is a named, pure function with a one-line reason. *Side rules* rewrite one side
(declared or live) on its own; *pair rules* look at both sides, because the equivalence they encode
depends on the other value (a version wildcard, a service default derived from the name...).
:func:`normalize` runs them in the order of :data:`SIDE_RULES` then :data:`PAIR_RULES` and returns
new values: the inputs are never mutated.

Facts behind the rules: ../shared/reference/schema-mapping.md, §4–§7. Defaults and output-only fields
come from :mod:`driftcheck.fields`, so a wrong guess there is one overlay entry to change.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from driftcheck.fields import NO_DEFAULT, FieldSpec, expressible, output_only_fields, pipeline_model
from driftcheck.frozen import ATOMS, NUMBERS, thaw
from driftcheck.model import Unresolved, UnresolvedField

DECLARED = "declared"
LIVE = "live"


@dataclass(frozen=True)
class Context:
    """What a rule may need besides the value: which side it rewrites and where the declaration came from."""

    side: str
    source_kind: str


@dataclass(frozen=True)
class SideRule:
    """A rule applied to each side separately."""

    name: str
    reason: str
    apply: Callable[[dict[str, Any], Context], dict[str, Any]]


@dataclass(frozen=True)
class PairContext:
    """What a pair rule may need besides both values.

    ``raw_live`` is the live pipeline before any rule; ``partial_maps`` names map fields (``tags``) of
    which the declaration knows only some keys, each with the reason (see undeclared_keys_of_partial_maps).
    """

    raw_live: Mapping[str, Any]
    source_kind: str
    partial_maps: Mapping[str, str]


@dataclass(frozen=True)
class PairRule:
    """A rule that looks at both sides; it returns (declared, live, notes)."""

    name: str
    reason: str
    apply: Callable[[dict[str, Any], dict[str, Any], PairContext], tuple[dict, dict, list[str]]]


# --------------------------------------------------------------------------- helpers


def _get(tree: Mapping[str, Any] | None, *keys: str) -> Any:
    for key in keys:
        if not isinstance(tree, Mapping):
            return None
        tree = tree.get(key)
    return tree


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == {} or value == []


# --------------------------------------------------------------------------- side rules


def drop_output_only(pipeline: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Remove fields that the service sets (arn, platform, date*, lastRunStatus, consecutiveFailures)."""
    dropped = output_only_fields()  # once per pipeline, not once per key
    return {key: value for key, value in pipeline.items() if key not in dropped}


def drop_aws_managed_tags(pipeline: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Remove ``aws:*`` tag keys: AWS adds them (CloudFormation, ...) and no tool can set them."""
    result = dict(pipeline)
    for key in ("tags", "imageTags"):
        tags = result.get(key)
        if isinstance(tags, Mapping):
            result[key] = {k: v for k, v in tags.items() if not str(k).startswith("aws:")}
    return result


def empty_means_unset(pipeline: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Turn "", {} and [] into None at every depth: the API omits empty values, and tools send "" for unset."""

    def walk(value: Any) -> Any:
        kind = type(value)
        if kind is str:
            return value or None
        if kind in NUMBERS:
            return value
        if isinstance(value, dict):
            items = {key: walk(item) for key, item in value.items()}
            return items or None
        if isinstance(value, list):
            items = [walk(item) for item in value]
            return None if not items else items
        return None if _is_empty(value) else value

    return {key: walk(value) for key, value in pipeline.items()}


def _apply_defaults(spec: FieldSpec, value: dict[str, Any], side: str) -> dict[str, Any]:
    result = dict(value)
    for name, child in spec.children.items():
        default = child.overlay.service_default
        present = name in result
        if default is not NO_DEFAULT:
            # Live: the service applies its default to whatever it does not return.
            # Declared: an absent key is unmanaged and stays absent; an explicit None means "unset",
            # which the service turns into its default.
            if (side == LIVE and result.get(name) is None) or (present and result[name] is None):
                result[name] = copy.deepcopy(default)
        if isinstance(result.get(name), dict) and child.type == "structure":
            result[name] = _apply_defaults(child, result[name], side)
    return result


def service_defaults(pipeline: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Fill the documented service default where a value is unset (status ENABLED, tests {true, 720}, ...)."""
    return _apply_defaults(pipeline_model(), pipeline, ctx.side)


_UTC_ALIASES = {"UTC", "Etc/UTC"}


def utc_timezone_alias(pipeline: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Treat "Etc/UTC" as "UTC": the schedule runs in the same zone, and the API keeps either spelling."""
    timezone = _get(pipeline, "schedule", "timezone")
    if timezone in _UTC_ALIASES and timezone != "UTC":
        pipeline = {**pipeline, "schedule": {**pipeline["schedule"], "timezone": "UTC"}}  # copies what changes only
    return pipeline


def trim_schedule_expression(pipeline: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Strip surrounding whitespace from the cron expression; the cron itself is never rewritten."""
    expression = _get(pipeline, "schedule", "scheduleExpression")
    if isinstance(expression, str) and expression != expression.strip():
        pipeline = {**pipeline, "schedule": {**pipeline["schedule"], "scheduleExpression": expression.strip()}}
    return pipeline


def _map_workflows(pipeline: dict[str, Any], fn: Callable[[dict[str, Any]], dict[str, Any]]) -> dict[str, Any]:
    workflows = pipeline.get("workflows")
    if not isinstance(workflows, list):
        return pipeline
    result = dict(pipeline)
    result["workflows"] = [fn(dict(item)) if isinstance(item, dict) else item for item in workflows]
    return result


def workflow_parameter_value_as_list(pipeline: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Wrap a scalar parameter value as [value]: Terraform declares one string, the API stores a list."""

    def fix(workflow: dict[str, Any]) -> dict[str, Any]:
        parameters = workflow.get("parameters")
        if isinstance(parameters, list):
            workflow["parameters"] = [
                {**p, "value": [p["value"]]}
                if isinstance(p, dict) and "value" in p and not isinstance(p["value"], (list, Unresolved, type(None)))
                else p
                for p in parameters
            ]
        return workflow

    return _map_workflows(pipeline, fix)


def workflow_parameters_by_name(pipeline: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Key workflow parameters by name: they are a set (TF TypeSet, CFN insertionOrder false), not a list."""

    def fix(workflow: dict[str, Any]) -> dict[str, Any]:
        parameters = workflow.get("parameters")
        if isinstance(parameters, list) and all(isinstance(p, dict) and isinstance(p.get("name"), str) for p in parameters):
            workflow["parameters"] = {p["name"]: p for p in parameters}
        return workflow

    return _map_workflows(pipeline, fix)


def container_tags_as_set(pipeline: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Sort and de-duplicate ECR container tags: Terraform stores them as a set, so order means nothing."""
    tags = _get(pipeline, "imageScanningConfiguration", "ecrConfiguration", "containerTags")
    if isinstance(tags, list) and all(isinstance(tag, str) for tag in tags):
        pipeline = copy.deepcopy(pipeline)
        pipeline["imageScanningConfiguration"]["ecrConfiguration"]["containerTags"] = sorted(set(tags))
    return pipeline


_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::[^:]*:role/(?:.*/)?([^/]+)$")


def execution_role_by_name(pipeline: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Compare the execution role by name: the API accepts a name or an ARN and returns what it was given."""
    role = pipeline.get("executionRole")
    if isinstance(role, str):
        match = _ROLE_ARN.match(role)
        if match:
            return {**pipeline, "executionRole": match.group(1)}
    return pipeline


DEFAULT_SCAN_REPOSITORY = "image-builder-image-scanning-repository"


def default_scan_repository(pipeline: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Treat the repository the service creates when none is given as unset: both mean the default repo."""
    if _get(pipeline, "imageScanningConfiguration", "ecrConfiguration", "repositoryName") == DEFAULT_SCAN_REPOSITORY:
        pipeline = copy.deepcopy(pipeline)
        pipeline["imageScanningConfiguration"]["ecrConfiguration"]["repositoryName"] = None
    return pipeline


SIDE_RULES: tuple[SideRule, ...] = (
    SideRule("drop_output_only", drop_output_only.__doc__ or "", drop_output_only),
    SideRule("drop_aws_managed_tags", drop_aws_managed_tags.__doc__ or "", drop_aws_managed_tags),
    SideRule("empty_means_unset", empty_means_unset.__doc__ or "", empty_means_unset),
    SideRule("service_defaults", service_defaults.__doc__ or "", service_defaults),
    SideRule("utc_timezone_alias", utc_timezone_alias.__doc__ or "", utc_timezone_alias),
    SideRule("trim_schedule_expression", trim_schedule_expression.__doc__ or "", trim_schedule_expression),
    SideRule(
        "workflow_parameter_value_as_list",
        workflow_parameter_value_as_list.__doc__ or "",
        workflow_parameter_value_as_list,
    ),
    SideRule("workflow_parameters_by_name", workflow_parameters_by_name.__doc__ or "", workflow_parameters_by_name),
    SideRule("container_tags_as_set", container_tags_as_set.__doc__ or "", container_tags_as_set),
    SideRule("execution_role_by_name", execution_role_by_name.__doc__ or "", execution_role_by_name),
    SideRule("default_scan_repository", default_scan_repository.__doc__ or "", default_scan_repository),
)


# --------------------------------------------------------------------------- pair rules

_VERSIONED_ARN = re.compile(r"^(?P<base>arn:.+)/(?P<version>[0-9x]+\.[0-9x]+\.[0-9x]+)(?P<build>/[0-9]+)?$")


def version_matches(declared: str, live: str) -> bool:
    """True when ``live`` is ``declared`` or a version inside ``declared``'s ``x`` wildcards."""
    if declared == live:
        return True
    d, l = _VERSIONED_ARN.match(declared), _VERSIONED_ARN.match(live)
    if not d or not l or d["base"] != l["base"] or d["build"]:
        return False
    wanted, got = d["version"].split("."), l["version"].split(".")
    if "x" not in wanted or "x" in got:
        # a live wildcard is the stored input echoed back: only the very same wildcard matches
        return False
    return all(w == "x" or w == g for w, g in zip(wanted, got))


def _is_wildcard(arn: Any) -> bool:
    match = _VERSIONED_ARN.match(arn) if isinstance(arn, str) else None
    return bool(match and not match["build"] and "x" in match["version"].split("."))


def _declared_versions(declared: dict) -> list[Any]:
    flows = declared.get("workflows")
    flows = flows if isinstance(flows, list) else []
    return [declared.get("imageRecipeArn"), declared.get("containerRecipeArn"), *(f.get("workflowArn") for f in flows if isinstance(f, dict))]


def version_wildcards(declared: dict, live: dict, ctx: PairContext):
    """Accept a live recipe/workflow version inside a declared 1.x.x wildcard: the service may resolve it."""
    if not any(_is_wildcard(d) for d in _declared_versions(declared)):
        return declared, live, []  # no declared wildcard: nothing to accept (and nothing copied)
    live = copy.deepcopy(live)
    for key in ("imageRecipeArn", "containerRecipeArn"):
        d, l = declared.get(key), live.get(key)
        if isinstance(d, str) and isinstance(l, str) and version_matches(d, l):
            live[key] = d
    d_flows, l_flows = declared.get("workflows"), live.get("workflows")
    if isinstance(d_flows, list) and isinstance(l_flows, list):
        for d_item, l_item in zip(d_flows, l_flows):
            if isinstance(d_item, dict) and isinstance(l_item, dict):
                d, l = d_item.get("workflowArn"), l_item.get("workflowArn")
                if isinstance(d, str) and isinstance(l, str) and version_matches(d, l):
                    l_item["workflowArn"] = d
    return declared, live, []


def _workflow_parameters(side: dict) -> list[Any]:
    """The parameters of every workflow, once they are keyed by name (workflow_parameters_by_name)."""
    return [parameter for workflow in side.get("workflows") or () if isinstance(workflow, dict)
            and isinstance(workflow.get("parameters"), dict) for parameter in workflow["parameters"].values()]


def terraform_first_parameter_value(declared: dict, live: dict, ctx: PairContext):
    """For Terraform, compare only a parameter's first value: the provider reads back value[0] alone."""
    if ctx.source_kind != "terraform" or not isinstance(live.get("workflows"), list):
        return declared, live, []
    if not any(len(p["value"]) > 1 for p in _workflow_parameters(live) if isinstance(p, dict) and isinstance(p.get("value"), list)):
        return declared, live, []  # every value has one entry at most: nothing to cut (and nothing copied)
    live = copy.deepcopy(live)
    for parameter in _workflow_parameters(live):
        if isinstance(parameter, dict) and isinstance(parameter.get("value"), list):
            parameter["value"] = parameter["value"][:1]
    return declared, live, []


def default_log_groups(declared: dict, live: dict, ctx: PairContext):
    """Treat log groups named like the service's defaults as unset on both sides (guess: Get may echo them)."""
    raw_live = ctx.raw_live
    defaults = {"pipelineLogGroupName": f"/aws/imagebuilder/pipeline/{raw_live.get('name', '')}"}
    recipe = raw_live.get("imageRecipeArn") or raw_live.get("containerRecipeArn")
    if isinstance(recipe, str) and "/" in recipe:
        defaults["imageLogGroupName"] = f"/aws/imagebuilder/{recipe.split('/')[1]}"

    def clean(side: dict) -> dict:
        # Both sides: a declaration that spells out a default name means the same as leaving it out.
        logging = side.get("loggingConfiguration")
        if not isinstance(logging, dict):
            return side
        cleaned = {key: (None if defaults.get(key) == value else value) for key, value in logging.items()}
        return {**side, "loggingConfiguration": None if all(v is None for v in cleaned.values()) else cleaned}

    return clean(declared), clean(live), []


def service_auto_disabled(declared: dict, live: dict, ctx: PairContext):
    """A pipeline the service disabled after too many failed runs is an operational fact, not config drift."""
    raw_live = ctx.raw_live
    failures = raw_live.get("consecutiveFailures")
    limit = _get(raw_live, "schedule", "autoDisablePolicy", "failureCount")
    if (
        declared.get("status") == "ENABLED"
        and live.get("status") == "DISABLED"
        and isinstance(failures, int)
        and isinstance(limit, int)
        and failures >= limit
    ):
        note = (
            f"status: the service auto-disabled this pipeline after {failures} consecutive failures "
            f"(autoDisablePolicy.failureCount {limit}); not reported as drift"
        )
        return declared, {**live, "status": "ENABLED"}, [note]
    return declared, live, []


def _aws_managed(workflow: Any) -> bool:
    arn = workflow.get("workflowArn") if isinstance(workflow, dict) else None
    return isinstance(arn, str) and arn.split(":")[4:5] == ["aws"]


def cloudformation_default_workflows(declared: dict, live: dict, ctx: PairContext):
    """Without Workflows, a stack update leaves only the service's own (AWS-managed) workflows: customer ones are drift."""
    if ctx.source_kind != "cloudformation" or "workflows" in declared:
        return declared, live, []
    workflows = live.get("workflows")
    if isinstance(workflows, list) and not all(_aws_managed(w) for w in workflows):
        return {**declared, "workflows": None}, live, []
    return declared, live, []


def undeclared_keys_of_partial_maps(declared: dict, live: dict, ctx: PairContext):
    """Live keys a declaration cannot know (stack tags without --stack) are listed in a note, not drift."""
    live = dict(live)
    notes = []
    for key, why in ctx.partial_maps.items():
        wanted, got = declared.get(key), live.get(key)
        if not isinstance(got, dict):
            continue
        wanted = wanted if isinstance(wanted, dict) else {}
        extra = sorted(k for k in got if k not in wanted)
        if extra:
            live[key] = {k: v for k, v in got.items() if k in wanted} or None
            notes.append(f"{key}: live keys not declared here were not compared ({why}): {', '.join(extra)}")
    return declared, live, notes


_TOOL_NAMES = {"terraform": "Terraform", "cloudformation": "CloudFormation"}


def _drop_inexpressible(
    spec: FieldSpec, value: Any, source_kind: str, path: str, dropped: list[tuple[str, FieldSpec, Any]]
) -> Any:
    if spec.type == "structure" and isinstance(value, dict):
        out = {}
        for key, item in value.items():
            child = spec.children.get(key)
            child_path = f"{path}.{key}" if path else key
            if child is not None and not expressible(child, source_kind):
                dropped.append((child_path, child, item))
            else:
                out[key] = _drop_inexpressible(child, item, source_kind, child_path, dropped) if child is not None else item
        return out
    if spec.type == "list" and spec.item is not None and isinstance(value, list):
        return [_drop_inexpressible(spec.item, item, source_kind, f"{path}[{index}]", dropped) for index, item in enumerate(value)]
    return value


def drop_inexpressible_fields(declared: dict, live: dict, ctx: PairContext):
    """Fields the declaring tool cannot set (CloudFormation: schedule.timezone...) are not its drift; set ones are noted."""
    declared = _drop_inexpressible(pipeline_model(), declared, ctx.source_kind, "", [])
    found: list[tuple[str, FieldSpec, Any]] = []
    live = _drop_inexpressible(pipeline_model(), live, ctx.source_kind, "", found)
    tool = _TOOL_NAMES.get(ctx.source_kind, ctx.source_kind)
    notes = []
    for path, spec, value in found:
        default = spec.overlay.service_default
        if value is None or (default is not NO_DEFAULT and value == default):
            continue  # unset, or the service's own default: nothing anyone set by hand
        notes.append(
            f"{path}: not compared, {tool} cannot set it; live holds {json.dumps(value, sort_keys=True)}, "
            f"which the next update through {tool} resets"
        )
    return declared, live, notes


def _only_defaults(spec: FieldSpec | None, value: Any) -> bool:
    """None, the field's documented service default, or a structure holding nothing else."""
    if value is None:
        return True
    if spec is None:
        return False
    if spec.overlay.service_default is not NO_DEFAULT and value == spec.overlay.service_default:
        return True
    if spec.type == "structure" and isinstance(value, dict):
        return all(_only_defaults(spec.children.get(key), item) for key, item in value.items())
    return False


def block_of_defaults_is_unset(declared: dict, live: dict, ctx: PairContext):
    """A block holding only service defaults means the same as no block (scanning {enabled: false} = no scanning)."""
    declared, live = dict(declared), dict(live)
    for name, spec in pipeline_model().children.items():
        if spec.type != "structure" or name not in declared:
            continue
        d, l = declared.get(name), live.get(name)
        if d is None and l is not None and _only_defaults(spec, l):
            live[name] = None
        elif l is None and d is not None and _only_defaults(spec, d):
            declared[name] = None
    return declared, live, []


PAIR_RULES: tuple[PairRule, ...] = (
    PairRule("drop_inexpressible_fields", drop_inexpressible_fields.__doc__ or "", drop_inexpressible_fields),
    PairRule("block_of_defaults_is_unset", block_of_defaults_is_unset.__doc__ or "", block_of_defaults_is_unset),
    PairRule("version_wildcards", version_wildcards.__doc__ or "", version_wildcards),
    PairRule(
        "terraform_first_parameter_value", terraform_first_parameter_value.__doc__ or "", terraform_first_parameter_value
    ),
    PairRule("default_log_groups", default_log_groups.__doc__ or "", default_log_groups),
    PairRule("service_auto_disabled", service_auto_disabled.__doc__ or "", service_auto_disabled),
    PairRule(
        "cloudformation_default_workflows", cloudformation_default_workflows.__doc__ or "", cloudformation_default_workflows
    ),
    PairRule(
        "undeclared_keys_of_partial_maps", undeclared_keys_of_partial_maps.__doc__ or "", undeclared_keys_of_partial_maps
    ),
)


# --------------------------------------------------------------------------- entry points


def split_unresolved(fields: Mapping[str, Any]) -> tuple[dict[str, Any], tuple[UnresolvedField, ...]]:
    """Lift Unresolved markers out of a declared value: they are listed, never compared.

    A list with an unresolved item is unresolved as a whole (its other items are not compared either):
    a list is one field, and an unknown item could be any value, or several, or none.
    """
    found: list[UnresolvedField] = []
    dropped = object()

    def walk(value: Any, path: str) -> Any:
        if type(value) in ATOMS:  # most values: nothing to lift, told apart by type alone
            return value
        if isinstance(value, Unresolved):
            found.append(UnresolvedField(path, value.reason))
            return dropped
        if isinstance(value, Mapping):
            out = {}
            for key, item in value.items():
                converted = walk(item, f"{path}.{key}" if path else str(key))
                if converted is not dropped:
                    out[key] = converted
            return out
        if isinstance(value, (list, tuple)):
            unknown = [(index, item) for index, item in enumerate(value) if isinstance(item, Unresolved)]
            if unknown:
                reasons = "; ".join(f"[{index}]: {item.reason}" for index, item in unknown)
                found.append(UnresolvedField(path, f"an item is unresolved, so the list is not compared ({reasons})"))
                return dropped
            return [walk(item, f"{path}[{index}]") for index, item in enumerate(value)]
        return value

    plain = walk(fields, "")  # a plain copy: mappings become dicts, lists and tuples lists (as thaw would)
    return plain, tuple(found)


@dataclass(frozen=True)
class Normalized:
    """Both sides after every rule, plus the notes pair rules left (e.g. service auto-disable)."""

    declared: dict[str, Any]
    live: dict[str, Any]
    notes: tuple[str, ...]


def normalize(
    declared: Mapping[str, Any], live: Mapping[str, Any], source_kind: str, partial_maps: Mapping[str, str] | None = None
) -> Normalized:
    """Run every rule; ``declared`` must already be free of Unresolved markers (see split_unresolved)."""
    raw_live = thaw(live)
    pair_ctx = PairContext(raw_live=raw_live, source_kind=source_kind, partial_maps=dict(partial_maps or {}))
    sides = {DECLARED: thaw(declared), LIVE: thaw(live)}
    for side in (DECLARED, LIVE):
        ctx = Context(side=side, source_kind=source_kind)
        for rule in SIDE_RULES:
            sides[side] = rule.apply(sides[side], ctx)
    notes: list[str] = []
    d, l = sides[DECLARED], sides[LIVE]
    for pair_rule in PAIR_RULES:
        d, l, rule_notes = pair_rule.apply(d, l, pair_ctx)
        notes.extend(rule_notes)
    return Normalized(declared=d, live=l, notes=tuple(notes))

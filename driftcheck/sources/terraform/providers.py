"""The aws provider configuration a pipeline uses, and what it contributes: region, default_tags, and the
credentials it reads with (``profile``, ``assume_role``)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from driftcheck.model import Location, ProviderAccount, Unresolved
from driftcheck.sources.terraform.convert import Converter, looks_unknown, tf_string
from driftcheck.sources.terraform.knowledge import INSTANCE_KEY, Knowledge
from driftcheck.sources.terraform.modules import Scope
from driftcheck.sources.terraform.index_model import Block


PROVIDER_PAIR = re.compile(r'"?(?P<key>[A-Za-z][\w-]*(?:\.[A-Za-z][\w-]*)?)"?\s*[=:]\s*(?P<value>[A-Za-z][\w-]*(?:\.[A-Za-z][\w-]*)?)')


def arn_region(arn: str | None) -> str | None:
    parts = arn.split(":") if isinstance(arn, str) else []
    return parts[3] if len(parts) > 5 and parts[3] else None


def provider_for(block: Block | None, scope: Scope, providers: list[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The aws provider configuration a resource uses: its ``provider`` argument, followed up through the
    ``providers`` maps of the module calls above it; a provider block inside a module serves that module."""
    ref = block.attributes["provider"].text.strip() if block is not None and "provider" in block.attributes else "aws"
    current = scope
    while True:
        name, _, alias = ref.partition(".")
        if name != "aws":
            return None
        for provider in providers:
            meta = provider.get("__tfmeta", {})
            path = INSTANCE_KEY.sub("", str(meta.get("path", "")))
            if meta.get("label") == "aws" and path == f"{current.prefix}provider.aws" and (provider.get("alias") or "") == alias:
                return provider
        if not current.calls:
            return None
        parent, call = current.calls[-1]
        mapping_expr = call.attributes.get("providers")
        if mapping_expr is not None:
            mapping = {m["key"]: m["value"] for m in PROVIDER_PAIR.finditer(mapping_expr.text)}
            if ref not in mapping:
                return None  # a providers map replaces inheritance: Terraform uses an empty configuration
            ref = mapping[ref]
        elif alias:
            return None  # aliased configurations are never inherited
        current = parent


def provider_syntax(
    shown: Callable[[str], str], provider: Mapping[str, Any] | None, scope: Scope, knowledge: Knowledge
) -> tuple[Block | None, Converter]:
    """The provider block's syntax (found by file and line) and a converter for its module's scope."""
    ancestors = [scope] + [parent for parent, _ in reversed(scope.calls)]
    if provider is not None:
        meta = provider.get("__tfmeta", {})
        file, line = shown(str(meta.get("filename", ""))), meta.get("line_start")
        for candidate in ancestors:
            for block in candidate.module.blocks("provider"):
                if block.location.file == file and block.location.line == line:
                    return block, Converter(knowledge, candidate, block)
    return None, Converter(knowledge, ancestors[-1], None)

def pipeline_region(
    block: Block | None,
    instance: Mapping[str, Any],
    provider: Mapping[str, Any] | None,
    converter: Converter,
    provider_block: Block | None,
    provider_converter: Converter,
) -> tuple[str | None, str | None]:
    """(region, why it is unknown): the resource's v6 ``region`` argument wins over the provider's."""
    expr = block.attributes.get("region") if block else None
    if "region" in instance or expr is not None:
        value = converter.value(instance.get("region"), expr, "region")
        if isinstance(value, Unresolved):
            return None, value.reason
        if isinstance(value, str):
            return value, None
    if provider is None:
        return None, None
    expr = provider_block.attributes.get("region") if provider_block else None
    if "region" not in provider and expr is None:
        return None, None  # the provider takes it from the environment, as the AWS session does
    value = provider_converter.value(provider.get("region"), expr, "provider region")
    if isinstance(value, Unresolved):
        return None, f"provider region: {value.reason}"
    return (value if isinstance(value, str) else None), None

def tags_all(
    shown: Callable[[str], str],
    block: Block | None,
    instance: Mapping[str, Any],
    provider: Mapping[str, Any] | None,
    converter: Converter,
    provider_block: Block | None = None,
    provider_converter: Converter | None = None,
):
    """tags_all: the provider's default_tags overlaid by the resource's tags (values as strings)."""
    locations: dict[str, Location] = {}
    merged: dict[str, Any] = {}
    default_tags = provider.get("default_tags") if provider else None
    if isinstance(default_tags, list):
        default_tags = default_tags[0] if default_tags else None
    default_block = next(iter(provider_block.nested("default_tags")), None) if provider_block else None
    if isinstance(default_tags, Mapping) or default_block is not None:
        default_tags = default_tags if isinstance(default_tags, Mapping) else {}
        values = default_tags.get("tags")
        meta = default_tags.get("__tfmeta", {})
        where = Location(shown(str(meta.get("filename", ""))), meta.get("line_start"))
        expr = default_block.attributes.get("tags") if default_block is not None else None
        if default_block is not None:
            where = Location(default_block.location.file, expr.line if expr else default_block.location.line)
        if "tags" in default_tags or expr is not None:
            values = (provider_converter or converter).value(values, expr, "provider default_tags")
        if isinstance(values, Unresolved) or looks_unknown(values, converter.knowledge.block_ids):
            reason = values.reason if isinstance(values, Unresolved) else "could not be evaluated"
            return Unresolved(f"provider default_tags: {reason}"), {"tags": where}
        if isinstance(values, Mapping):
            for key, value in values.items():
                merged[key] = tf_string(value)
                locations[f"tags.{key}"] = where
    expr = block.attributes.get("tags") if block else None
    if "tags" in instance or expr is not None:
        own = converter.value(instance.get("tags"), expr, "tags")
        if isinstance(own, Unresolved):
            return own, ({"tags": Location(block.location.file, expr.line)} if block and expr else {})
        if isinstance(own, Mapping):
            merged.update({key: tf_string(value) for key, value in own.items()})
        if block and expr:
            locations["tags"] = Location(block.location.file, expr.line)
            for key in own or {}:
                locations[f"tags.{key}"] = Location(block.location.file, expr.line)
    return merged, locations



def provider_account(
    shown: Callable[[str], str], provider: Mapping[str, Any] | None, provider_block: Block | None, provider_converter: Converter
) -> tuple[ProviderAccount | None, str | None]:
    """(the provider's ``profile`` / ``assume_role``, why they are unknown): whose credentials read the pipeline.

    None without either (the run's accounts decide). A value that cannot be evaluated is never guessed: the
    second item says which, and the pipeline becomes an error."""
    if provider is None:
        return None, None
    meta = provider.get("__tfmeta", {})
    alias = provider.get("alias")
    where = provider_block.location if provider_block is not None else Location(shown(str(meta.get("filename", ""))), meta.get("line_start"))
    origin = f"provider aws{'.' + alias if isinstance(alias, str) and alias else ''} at {where}"
    settings: dict[str, str | None] = {"profile": None, "role_arn": None, "external_id": None, "session_name": None}
    expr = provider_block.attributes.get("profile") if provider_block is not None else None
    if "profile" in provider or expr is not None:
        value = provider_converter.value(provider.get("profile"), expr, "provider profile")
        if isinstance(value, Unresolved):
            return None, f"{origin}: profile: {value.reason}"
        settings["profile"] = value if isinstance(value, str) and value else None
    # assume_role_with_web_identity names the account's role too: driftcheck assumes that role with the run's
    # credentials (sts:AssumeRole), so the pipeline is read in its own account or is an error, never read elsewhere
    for kind in ("assume_role", "assume_role_with_web_identity"):
        assume = provider.get(kind)
        assume = assume[0] if isinstance(assume, list) and assume else assume
        block = next(iter(provider_block.nested(kind)), None) if provider_block is not None else None
        if not isinstance(assume, Mapping) and block is None:
            continue
        assume = assume if isinstance(assume, Mapping) else {}
        for name in ("role_arn", "external_id", "session_name"):
            expr = block.attributes.get(name) if block is not None else None
            if (name not in assume and expr is None) or (name == "external_id" and kind != "assume_role"):
                continue
            value = provider_converter.value(assume.get(name), expr, f"provider {kind}.{name}")
            if isinstance(value, Unresolved):
                return None, f"{origin}: {kind}.{name}: {value.reason}"
            settings[name] = value if isinstance(value, str) and value else None
        if settings["role_arn"] is None:
            return None, f"{origin}: {kind} has no role_arn"
        break
    if settings["profile"] is None and settings["role_arn"] is None:
        return None, None
    return ProviderAccount(origin=origin, **settings), None

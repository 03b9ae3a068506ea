"""Terraform state: resource attributes by address, from a v4 state file or `terraform show -json`.

State is what lets driftcheck resolve references to other resources (``aws_imagebuilder_image_recipe.r.arn``)
and know each pipeline's ARN, so it can be fetched without a name lookup.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from driftcheck.errors import SourceError
from driftcheck.frozen import freeze
from driftcheck.model import Location


def _index_suffix(index: Any) -> str:
    if index is None:
        return ""
    if isinstance(index, int):
        return f"[{index}]"
    return f'[{json.dumps(index)}]'


@dataclass(frozen=True)
class TerraformState:
    """Attributes of every resource instance, keyed by full address (``module.m.aws_x.y["k"]``)."""

    instances: Mapping[str, Mapping[str, Any]]
    path: str = ""

    def attributes(self, address: str) -> Mapping[str, Any] | None:
        """The attributes of one instance, or None."""
        return self.instances.get(address)

    def instance_keys(self, resource_address: str) -> list[str]:
        """Addresses of every instance of a resource (``aws_x.y`` -> ``aws_x.y["a"]``, ``aws_x.y[0]``...)."""
        return sorted(
            address
            for address in self.instances
            if address == resource_address or (address.startswith(resource_address + "[") and address.endswith("]"))
        )


def _v4(document: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for resource in document.get("resources") or []:
        prefix = f"{resource['module']}." if resource.get("module") else ""
        data = "data." if resource.get("mode") == "data" else ""
        base = f"{prefix}{data}{resource['type']}.{resource['name']}"
        for instance in resource.get("instances") or []:
            if instance.get("deposed"):
                continue  # an object create_before_destroy is about to delete, not the current one
            yield base + _index_suffix(instance.get("index_key")), instance.get("attributes") or {}


def _show_json(module: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for resource in module.get("resources") or []:
        if resource.get("deposed_key"):
            continue
        yield resource["address"], resource.get("values") or {}
    for child in module.get("child_modules") or []:
        yield from _show_json(child)


def load_state(path: Path) -> TerraformState:
    """Read a state file of either format; raises SourceError naming the file on anything malformed."""
    location = Location(str(path))
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SourceError(f"cannot read state file: {exc.strerror or exc}", location) from exc
    except UnicodeDecodeError as exc:
        raise SourceError(f"state file is not UTF-8 text: {exc.reason} at byte {exc.start}", location) from exc
    except json.JSONDecodeError as exc:
        raise SourceError(f"state file is not valid JSON: {exc.msg}", Location(str(path), exc.lineno)) from exc
    if not isinstance(document, dict):
        raise SourceError("state file must hold a JSON object", location)
    try:
        if "values" in document or "format_version" in document:
            # `terraform show -json` of a state, or of a saved plan (whose prior_state is the state)
            values = document.get("values") or (document.get("prior_state") or {}).get("values") or {}
            pairs = list(_show_json(values.get("root_module") or {}))
        elif document.get("version") == 4:
            pairs = list(_v4(document))
        else:
            raise SourceError(
                f"unsupported state format (version {document.get('version')!r}); "
                "give a v4 state file or the output of `terraform show -json`",
                location,
            )
    except (KeyError, TypeError, AttributeError) as exc:
        raise SourceError(f"malformed state file: missing or wrong {exc}", location) from exc
    return TerraformState(instances=freeze(dict(pairs)), path=str(path))

"""Which pipeline results are "the same pipeline", across shards (merge) and across runs (compare).

A pipeline's identity is its account, region, id and declaring file. The id alone is not enough: two roots
(``envs/dev/main.tf``, ``envs/prod/main.tf``) may both declare ``aws_imagebuilder_image_pipeline.this``; the
declaring line is left out so that editing lines above a resource keeps its history. An unmanaged pipeline has
no declaring file; its id is its ARN, which names the account and region itself.

Merge uses the exact identity. Compare also pairs identities whose account or region is unknown on one side
(:func:`compatible`), when that pairing is unambiguous: a pipeline that went missing may have lost its region.
"""

from __future__ import annotations

import json
from typing import Any

from driftcheck.frozen import thaw
from driftcheck.model import PipelineResult

#: (account, region, id, declaring file); "" for what is unknown
Identity = tuple[str, str, str, str]


def identity(pipeline: PipelineResult) -> Identity:
    """The pipeline's identity (see the module docstring)."""
    return (pipeline.account or "", pipeline.region or "", pipeline.id, pipeline.source.file if pipeline.source else "")


def loose(key: Identity) -> tuple[str, str]:
    """The identity's id and declaring file: what must match when the account or region is unknown on one side."""
    return key[2], key[3]


def compatible(one: Identity, other: Identity) -> bool:
    """Same id and file, and account and region each the same or unknown on one side (a report written before
    schema 1.4 knows no account; a missing pipeline read offline may know no region)."""
    return loose(one) == loose(other) and all(a == b or not a or not b for a, b in zip(one[:2], other[:2]))


def canonical(value: Any) -> str:
    """A JSON value as canonical text, to tell whether two values are the same."""
    return json.dumps(thaw(value), sort_keys=True, separators=(",", ":"), ensure_ascii=True)

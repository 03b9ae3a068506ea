"""Read one deployed CloudFormation stack: its status, parameters, tags and resources' physical ids.

Read-only: ``DescribeStacks``, ``DescribeStackResources`` and, for stacks of 100 resources or more
(DescribeStackResources returns at most 100), ``ListStackResources`` — nothing else. Every call goes
through :func:`driftcheck.live.session.call` (the one retry policy); failures surface as
:class:`~driftcheck.live.session.AwsCallError` with a one-line message.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import botocore.exceptions

from driftcheck.frozen import freeze
from driftcheck.live.paging import pages
from driftcheck.live.session import AwsCallError, AwsSettings, call, cloudformation_client

DESCRIBE_RESOURCES_LIMIT = 100   # DescribeStackResources answers with at most this many resources
MASKED = "****"                  # what CloudFormation shows instead of a NoEcho parameter's value
STACK_NOT_FOUND = "StackNotFound"


@dataclass(frozen=True)
class DeployedStack:
    """A stack as CloudFormation reports it. Mappings are read-only."""

    name: str
    stack_id: str
    region: str | None          # from the StackId ARN arn:{partition}:cloudformation:{region}:{account}:stack/{name}/{guid}
    account_id: str | None
    partition: str | None
    parameters: Mapping[str, str | None]   # ParameterKey -> ResolvedValue, else ParameterValue; None if NoEcho-masked
    tags: Mapping[str, str]                # stack-level tags (CloudFormation copies them onto the resources)
    resources: Mapping[str, tuple[str, str]]   # logical id -> (resource type, physical id); no physical id: left out
    status: str                 # StackStatus, e.g. CREATE_COMPLETE, ROLLBACK_COMPLETE, DELETE_COMPLETE


def parse_stack_id(stack_id: str) -> tuple[str | None, str | None, str | None]:
    """``(partition, region, account)`` of a stack id ARN; ``None`` for each part it does not hold."""
    parts = stack_id.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "cloudformation" or not parts[5].startswith("stack/"):
        return None, None, None
    return parts[1] or None, parts[3] or None, parts[4] or None


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _stack_missing(exc: AwsCallError) -> bool:
    """CloudFormation says a stack does not exist with a 400 ``ValidationError`` ("Stack with id X does not exist")."""
    cause = exc.__cause__
    if not isinstance(cause, botocore.exceptions.ClientError):
        return False
    error = cause.response.get("Error", {})
    code, message = error.get("Code"), str(error.get("Message") or "")
    return code == "StackNotFoundException" or (code == "ValidationError" and "does not exist" in message)


def _call(settings: AwsSettings, operation: str, fn: Any, stack: str, region: str | None, **kwargs: Any) -> Any:
    """``call()``, with a missing stack turned into code ``StackNotFound`` and every message on one line."""
    try:
        return call(settings, operation, fn, **kwargs)
    except AwsCallError as exc:
        if _stack_missing(exc):
            raise AwsCallError(f"{operation}: stack {_one_line(stack)} does not exist in {region or 'the default region'}",
                               STACK_NOT_FOUND, exc.attempts) from exc
        if "\n" in str(exc) or "\r" in str(exc):
            raise AwsCallError(_one_line(str(exc)), exc.code, exc.attempts) from exc
        raise


def _parameters(stack: Mapping[str, Any]) -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for parameter in stack.get("Parameters") or ():
        value = parameter.get("ResolvedValue", parameter.get("ParameterValue"))
        found[parameter["ParameterKey"]] = None if value == MASKED else value
    return found


def _list_resources(settings: AwsSettings, client: Any, stack_id: str, stack: str, region: str | None) -> list[Any]:
    """Every resource summary of the stack, all pages of ListStackResources (each page retried on its own)."""
    kwargs: dict[str, Any] = {"StackName": stack_id}
    found: list[Any] = []
    fetch = lambda _page, request: _call(settings, "ListStackResources", client.list_stack_resources, stack, region, **request)  # noqa: E731
    for page in pages("ListStackResources", fetch, "NextToken", kwargs):
        found.extend(page.get("StackResourceSummaries") or ())
    return found


def read_stack(settings: AwsSettings, stack: str) -> DeployedStack:
    """Read stack ``stack`` (a name, or a stack id — needed for a deleted stack) in ``settings.region``.

    Raises AwsCallError: code ``StackNotFound`` ("DescribeStacks: stack X does not exist in REGION"),
    else the outcomes of ``call()`` (throttled, access denied, 5xx, timeouts; retried where retryable).
    A stack in a failed, rolled-back or deleted state is still read; see ``status``.
    """
    if not isinstance(stack, str) or not stack.strip():
        raise AwsCallError("DescribeStacks: no stack name given", "InvalidStackName")
    _, arn_region, _ = parse_stack_id(stack) if stack.startswith("arn:") else (None, None, None)
    client = cloudformation_client(settings, arn_region)  # a stack ARN names its own region
    region = client.meta.region_name
    described = _call(settings, "DescribeStacks", client.describe_stacks, stack, region, StackName=stack)
    stacks = described.get("Stacks") or []
    if not stacks:
        raise AwsCallError(f"DescribeStacks: stack {_one_line(stack)} does not exist in {region}", STACK_NOT_FOUND)
    try:
        found = stacks[0]
        stack_id = found["StackId"]
        # By id from here on: the same stack even if one of that name replaces it meanwhile, and a deleted
        # stack is only found by its id.
        listed = _call(settings, "DescribeStackResources", client.describe_stack_resources, stack, region,
                       StackName=stack_id).get("StackResources") or []
        if len(listed) >= DESCRIBE_RESOURCES_LIMIT:
            listed = _list_resources(settings, client, stack_id, stack, region)
        resources = {r["LogicalResourceId"]: (r["ResourceType"], r["PhysicalResourceId"])
                     for r in listed if r.get("PhysicalResourceId")}
        partition, stack_region, account = parse_stack_id(stack_id)
        return DeployedStack(
            name=found["StackName"],
            stack_id=stack_id,
            region=stack_region,
            account_id=account,
            partition=partition,
            parameters=freeze(_parameters(found)),
            tags=freeze({tag["Key"]: tag["Value"] for tag in found.get("Tags") or ()}),
            resources=freeze(resources),
            status=found["StackStatus"],
        )
    except (KeyError, TypeError, AttributeError) as exc:   # a response off botocore's model
        raise AwsCallError(f"DescribeStacks: malformed response for stack {_one_line(stack)}: "
                           f"{type(exc).__name__}: {_one_line(str(exc))}", "MalformedResponse") from exc

"""The regions of ``--all-regions``: where Image Builder is available, from botocore's data, filtered by the regions
the account has enabled (``ec2:DescribeRegions``, optional: without the permission, every listed region is used and a
note says so).

botocore 1.44's ``endpoints.json`` does not list ``imagebuilder`` (its endpoints come from the service's endpoint
rules), so ``get_available_regions("imagebuilder")`` is empty there; the regions of the partition (``ec2``'s, which
is in every region) stand in until botocore lists Image Builder's own.
"""

from __future__ import annotations

from dataclasses import dataclass

import boto3
import botocore.exceptions

from driftcheck.live.session import AwsCallError, AwsSettings, call, client_config

ENABLED = frozenset({"opt-in-not-required", "opted-in"})
DESCRIBE_REGION = "us-east-1"   # where DescribeRegions is asked when no region is configured (partition aws)


@dataclass(frozen=True)
class Regions:
    """The regions to read, and a note on how they were chosen (None: filtered by the account, as intended)."""

    names: tuple[str, ...]
    note: str | None = None


def _session(settings: AwsSettings) -> boto3.session.Session:
    try:   # the account's credentials (assumed roles) where the session module offers them
        from driftcheck.live.session import boto_session  # type: ignore[attr-defined]
    except ImportError:
        return boto3.session.Session(profile_name=settings.profile)
    return boto_session(settings)


def available_regions(session: boto3.session.Session, region: str | None) -> tuple[str, ...]:
    """Image Builder's regions in the partition of ``region`` (``aws`` without one), from botocore's data."""
    partition = "aws"
    if region:
        try:
            partition = session.get_partition_for_region(region)
        except (botocore.exceptions.BotoCoreError, ValueError, KeyError):
            partition = "aws"
    found = session.get_available_regions("imagebuilder", partition) or session.get_available_regions("ec2", partition)
    return tuple(sorted(found))


def all_regions(settings: AwsSettings) -> Regions:
    """Every region of ``--all-regions`` for the account of ``settings``."""
    try:
        session = _session(settings)
        known = available_regions(session, settings.region or session.region_name)
        ec2 = session.client("ec2", region_name=settings.region or session.region_name or DESCRIBE_REGION,
                             config=client_config(settings))
    except (botocore.exceptions.BotoCoreError, ValueError) as exc:
        raise AwsCallError(f"cannot list the regions for --all-regions: {exc}", type(exc).__name__) from exc
    try:
        answer = call(settings, "DescribeRegions", ec2.describe_regions, AllRegions=False)
    except AwsCallError as exc:
        return Regions(known, f"--all-regions: cannot read the account's enabled regions ({exc}); "
                              f"reading all {len(known)} regions botocore lists")
    enabled = {str(r.get("RegionName")) for r in answer.get("Regions") or []
               if r.get("OptInStatus") in ENABLED or r.get("OptInStatus") is None}
    return Regions(tuple(r for r in known if r in enabled))

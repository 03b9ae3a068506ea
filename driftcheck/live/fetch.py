"""Live state: find each declared pipeline in AWS (or in a saved snapshot) and fetch it.

The one import point for the rest of driftcheck; the work is done, one job per module, in
:mod:`~driftcheck.live.outcome` (result types, matching), :mod:`~driftcheck.live.aws_reader` (placing,
listing and fetching against AWS), :mod:`~driftcheck.live.listing` (paginated ``ListImagePipelines``) and
:mod:`~driftcheck.live.snapshot` (``--live DIR``). Every declared pipeline gets exactly one
:class:`LiveOutcome`: found, missing, or error with the reason.
"""

from __future__ import annotations

from driftcheck.live.aws_reader import MAX_WORKERS, NAME_FILTER_LIMIT, AwsLiveReader
from driftcheck.live.outcome import LiveOutcome, LiveReader, LiveResult, LiveStatus, arn_region, arn_segment
from driftcheck.live.snapshot import SnapshotError, SnapshotLiveReader, load_response, response_file_name

__all__ = [
    "MAX_WORKERS", "NAME_FILTER_LIMIT", "AwsLiveReader", "LiveOutcome", "LiveReader", "LiveResult", "LiveStatus",
    "SnapshotError", "SnapshotLiveReader", "arn_region", "arn_segment", "load_response", "response_file_name",
]

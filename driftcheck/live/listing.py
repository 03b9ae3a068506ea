"""``ListImagePipelines``: every page of one region's listing, or the pipelines matching a name filter.

Each page is its own retried call: a page that fails is retried from its own ``nextToken``, the pages
already read are kept, and the listing never restarts from the first page.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from driftcheck.live.paging import pages
from driftcheck.live.session import AwsCallError, AwsSettings, call

PAGE_SIZE = 100        # the model's maximum: 10 pages for 1,000 pipelines instead of 40


def list_pipelines(settings: AwsSettings, client: Any, name: str | None = None) -> list[Mapping[str, Any]]:
    """Every pipeline the client's region lists (all pages), or those whose name matches ``name`` exactly."""
    kwargs: dict[str, Any] = {"maxResults": PAGE_SIZE}
    if name is not None:
        kwargs["filters"] = [{"name": "name", "values": [name]}]
    found: list[Mapping[str, Any]] = []

    def fetch(page: int, request: dict[str, Any]) -> Mapping[str, Any]:
        try:
            return call(settings, "ListImagePipelines", client.list_image_pipelines, **request)
        except AwsCallError as exc:
            where = f"page {page} of the listing, after {len(found)} pipeline(s)" if page > 1 else "first page of the listing"
            raise AwsCallError(f"{exc} [{where}]", exc.code, exc.attempts) from exc

    for answer in pages("ListImagePipelines", fetch, "nextToken", kwargs):
        found.extend(item for item in answer.get("imagePipelineList") or [] if isinstance(item, Mapping))
    return found

"""``ListImagePipelines``: every page of one region's listing, or the pipelines matching a name filter.

Each page is its own retried call: a page that fails is retried from its own ``nextToken``, the pages
already read are kept, and the listing never restarts from the first page. Each page's items are handed to
``on_page`` as they arrive (progress), and ``enough`` may end a listing early (a listing read only for
ARN-known pipelines stops once it has seen them all, or once it costs more than their Gets would).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from driftcheck.live.paging import pages
from driftcheck.live.session import AwsCallError, AwsSettings, call

PAGE_SIZE = 100        # the model's maximum: 10 pages for 1,000 pipelines instead of 40

# The listing's items replace GetImagePipeline (driftcheck.live.aws_reader) because botocore's model gives
# ListImagePipelines a list of the same ImagePipeline shape that GetImagePipeline returns, in every edition the
# project reads (shared/reference/seeds document Get's; tests/test_live_listing_reads.py checks the model and the
# compared values from both calls). A model whose listing lacked a field Get has would have to fall back to Get.

Page = list[Mapping[str, Any]]


class PartialListing(AwsCallError):
    """A listing that failed after some pages: the pipelines read before the failure are in ``found``."""

    def __init__(self, error: AwsCallError, found: Page) -> None:
        super().__init__(str(error), error.code, error.attempts)
        self.found = found


def list_pipelines(settings: AwsSettings, client: Any, name: str | None = None, *,
                   on_page: Callable[[Page], None] | None = None,
                   enough: Callable[[int, Page], bool] | None = None) -> Page:
    """Every pipeline the client's region lists (all pages), or those whose name matches ``name`` exactly.

    ``enough(pages read, pipelines so far)`` is asked after each page; True ends the listing there. A failed
    page raises :class:`PartialListing` (an AwsCallError) carrying what the earlier pages returned."""
    kwargs: dict[str, Any] = {"maxResults": PAGE_SIZE}
    if name is not None:
        kwargs["filters"] = [{"name": "name", "values": [name]}]
    found: Page = []

    def fetch(page: int, request: dict[str, Any]) -> Mapping[str, Any]:
        try:
            return call(settings, "ListImagePipelines", client.list_image_pipelines, **request)
        except AwsCallError as exc:
            where = f"page {page} of the listing, after {len(found)} pipeline(s)" if page > 1 else "first page of the listing"
            raise AwsCallError(f"{exc} [{where}]", exc.code, exc.attempts) from exc

    try:
        for number, answer in enumerate(pages("ListImagePipelines", fetch, "nextToken", kwargs), start=1):
            items = [item for item in answer.get("imagePipelineList") or [] if isinstance(item, Mapping)]
            found.extend(items)
            if on_page is not None:
                on_page(items)
            if enough is not None and enough(number, found):
                break
    except PartialListing:
        raise
    except AwsCallError as exc:
        raise PartialListing(exc, found) from exc
    return found

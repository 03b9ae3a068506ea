"""One pagination loop for every AWS listing: each page its own (retried) call, never endless."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from driftcheck.live.session import AwsCallError

MAX_PAGES = 10_000  # a service that always returns a token must not hang us


def pages(operation: str, fetch: Callable[[int, dict[str, Any]], Mapping[str, Any]], token: str, kwargs: dict[str, Any]) -> Iterator[Mapping[str, Any]]:
    """Every page of ``operation``: ``fetch(page number, request kwargs)`` per page, following ``token``
    (``nextToken``, ``NextToken``); a repeated token or a listing past MAX_PAGES is an AwsCallError."""
    request = dict(kwargs)
    seen: set[str] = set()
    for number in range(1, MAX_PAGES + 1):
        page = fetch(number, request)
        yield page
        following = page.get(token)
        if not following:
            return
        if following in seen:
            raise AwsCallError(f"{operation}: pagination repeats a {token}", "Pagination")
        seen.add(following)
        request[token] = following
    raise AwsCallError(f"{operation}: pagination did not end", "Pagination")

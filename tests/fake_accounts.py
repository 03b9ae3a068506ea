"""A FakeImageBuilder with one pipeline store per credential: several AWS accounts behind one loopback endpoint.

Each request is served from the store of the access key id it was signed with (the SigV4 ``Authorization``
header), so the credentials tests/fake_sts.py hands out per role, or a profile's keys, each see their own
account's pipelines. A key with no store sees an empty account. Everything else (faults, delays, paging)
is FakeImageBuilder's.
"""

from __future__ import annotations

import threading

from tests.fake_imagebuilder import FakeImageBuilder, _make_handler
from tests.fake_sts import CREDENTIAL


class AccountsImageBuilder(FakeImageBuilder):
    """``add_pipeline_for(access_key_id, pipeline)``; ``keys_seen`` lists the access key of every request."""

    def __init__(self, page_size: int = 25) -> None:
        self._stores: dict[str | None, dict[str, dict]] = {}
        self._caller = threading.local()
        super().__init__(page_size)
        self._make_handler = _keyed_handler

    @property
    def _pipelines(self) -> dict[str, dict]:   # FakeImageBuilder reads its one store through this name
        return self._stores.setdefault(getattr(self._caller, "key", None), {})

    @_pipelines.setter
    def _pipelines(self, value: dict[str, dict]) -> None:
        self._stores[None] = value

    def add_pipeline_for(self, access_key_id: str, pipeline: dict) -> None:
        with self._lock:
            self._stores.setdefault(access_key_id, {})[pipeline["arn"]] = pipeline

    @property
    def keys_seen(self) -> list[str | None]:
        with self._lock:
            return [_caller(r["headers"].get("Authorization", "")) for r in self.requests]


def _caller(authorization: str) -> str | None:
    """The access key id a SigV4 ``Authorization`` header was signed with."""
    found = CREDENTIAL.search(authorization)
    return found["key"] if found else None


def _keyed_handler(fake: AccountsImageBuilder):
    base = _make_handler(fake)

    class Handler(base):
        def _handle(self, method: str):
            fake._caller.key = _caller(self.headers.get("Authorization", ""))
            try:
                super()._handle(method)
            finally:
                fake._caller.key = None

    return Handler

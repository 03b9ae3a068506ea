"""botocore's data (service models, endpoints), read once per process for the field model and every AWS session.

Each botocore session makes its own loader, and a loader lists every service botocore ships before it loads one
model (some 400 directories): a fifth of a second for the first Image Builder client. Sessions made here share
one loader, the one botocore makes for its default configuration (AWS_DATA_PATH included), so the listing and
the models are read once.
"""

from __future__ import annotations

import functools
from typing import Any

import botocore.session


@functools.lru_cache(maxsize=1)
def _loader() -> Any:
    return botocore.session.get_session().get_component("data_loader")


def botocore_session() -> botocore.session.Session:
    """A new botocore session (its own credentials, profile and region) reading data through the shared loader."""
    session = botocore.session.Session()
    session.register_component("data_loader", _loader())
    return session

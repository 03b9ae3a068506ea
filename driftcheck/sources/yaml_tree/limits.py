"""Bounds on what one YAML or JSON file may hold, shared by both parsers."""

from __future__ import annotations

import json

MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_DEPTH = 100
MAX_NODES = 500_000


def quote_key(key: str) -> str:
    """A mapping key as messages show it."""
    return json.dumps(key, ensure_ascii=False)

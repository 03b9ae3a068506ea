"""Entry points: one YAML or JSON file (or text) into a :class:`~driftcheck.sources.yaml_tree.located.Document`.

Reads the bytes (refusing files over :data:`MAX_FILE_BYTES` and text that is not UTF-8), normalizes
line endings, and hands the text to the JSON or the YAML builder.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from driftcheck.model import Location
from driftcheck.sources.yaml_tree import limits
from driftcheck.sources.yaml_tree.json_tree import JsonBuilder
from driftcheck.sources.yaml_tree.located import Document, DocumentError, DuplicateKey

_BOM = "\ufeff"


def load_file(path: Path, shown: str | None = None) -> Document:
    """Load the YAML or JSON file at ``path``; ``shown`` is the name used in messages (default: the path).

    Refuses files over :data:`limits.MAX_FILE_BYTES` and bytes that are not UTF-8 (a UTF-8 BOM is fine).
    """
    file = shown if shown is not None else str(path)
    data = _read_bytes(path, file)
    return load_text(_decode(data, file), file)


def load_text(text: str, file: str) -> Document:
    """Load YAML or JSON ``text``; ``file`` is the name used in messages.

    JSON when the first non-blank character is ``{`` or ``[``, YAML otherwise. CRLF and CR line
    endings count as one line break each. Raises :class:`DocumentError` for every problem. A key
    written twice in one mapping is not a problem here: the mapping keeps the last value and the key
    is listed in :attr:`Document.duplicate_keys`, for each reader to decide (CloudFormation takes the
    last one; a strict schema calls :meth:`Document.refuse_duplicate_keys`).
    """
    text = _normalize_newlines(text.removeprefix(_BOM))
    if text.lstrip()[:1] in ("{", "["):
        builder = JsonBuilder(text, file)
        root = builder.build()
        return Document(file, root, "json", duplicate_keys=_in_file_order(builder.duplicates))
    from driftcheck.sources.yaml_tree.yaml_loader import load_yaml  # PyYAML: imported for the first YAML file

    document = load_yaml(text, file)
    return replace(document, duplicate_keys=_in_file_order(document.duplicate_keys))


def _in_file_order(duplicates: Iterable[DuplicateKey]) -> tuple[DuplicateKey, ...]:
    """Duplicate keys by the line where each is repeated first (JSON completes inner objects first)."""
    return tuple(sorted(duplicates, key=lambda duplicate: duplicate.lines[1:]))




def _read_bytes(path: Path, file: str) -> bytes:
    """The file's bytes, refusing more than limits.MAX_FILE_BYTES; OSError becomes DocumentError."""
    try:
        with path.open("rb") as stream:
            data = stream.read(limits.MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise DocumentError(f"cannot read file: {exc.strerror or exc}", Location(file)) from None
    if len(data) > limits.MAX_FILE_BYTES:
        raise DocumentError(f"file is larger than {limits.MAX_FILE_BYTES} bytes; refusing to load it", Location(file))
    return data


def _decode(data: bytes, file: str) -> str:
    """UTF-8 text of ``data`` without its BOM; an undecodable byte is reported at its line."""
    offset = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        return data[offset:].decode("utf-8")
    except UnicodeDecodeError as exc:
        position = offset + exc.start
        line = _normalize_newlines(data[:position].decode("utf-8", "replace")).count("\n") + 1
        raise DocumentError(
            f"not UTF-8 text: byte 0x{data[position]:02x} at offset {position} cannot be decoded",
            Location(file, line),
        ) from None


def _normalize_newlines(text: str) -> str:
    """CRLF and lone CR become LF, so every parser counts lines the same way."""
    return text.replace("\r\n", "\n").replace("\r", "\n")

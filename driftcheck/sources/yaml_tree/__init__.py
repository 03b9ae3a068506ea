"""YAML and JSON files as located trees: every value knows the file and line it was written on.

This package's one job is turning a file into a :class:`Node` tree, safely. It knows nothing about
CloudFormation or driftcheck's pipeline files, except that CloudFormation short-form tags (``!Ref``,
``!Sub``...) are rewritten into their long form. Every problem becomes a :class:`DocumentError` with
a file and a line; no parser exception, traceback or RecursionError gets out. A key written twice
in one mapping keeps its last value and is listed in :attr:`Document.duplicate_keys`: whether that is
fine (CloudFormation) or an error (pipeline files, parameter files) is the reader's decision.

Hostile input is bounded before any tree is built: files over :data:`MAX_FILE_BYTES` are refused,
nesting deeper than :data:`MAX_DEPTH` is refused by linear pre-passes (a bracket scan for JSON, an
event scan for YAML), and YAML aliases are refused when they would expand to more than
:data:`MAX_NODES` values (the "billion laughs" attack).

* :mod:`.located`: the tree (:class:`Node`, :class:`Document`, :class:`DocumentError`);
* :mod:`.load`: the entry points (:func:`load_file`, :func:`load_text`): bytes, decoding, line endings;
* :mod:`.json_tree`: JSON text -> tree; :mod:`.yaml_loader`: YAML text -> tree (bounds pass, then builder);
* :mod:`.limits`: the bounds.
"""

from driftcheck.sources.yaml_tree.limits import MAX_DEPTH, MAX_FILE_BYTES, MAX_NODES
from driftcheck.sources.yaml_tree.load import load_file, load_text
from driftcheck.sources.yaml_tree.located import Document, DocumentError, DuplicateKey, Node, node_from_plain

__all__ = [
    "MAX_DEPTH", "MAX_FILE_BYTES", "MAX_NODES", "Document", "DocumentError", "DuplicateKey", "Node", "load_file", "load_text",
    "node_from_plain",
]

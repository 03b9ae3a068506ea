"""Old import path of :mod:`driftcheck.sources.yaml_tree.located`, kept while other modules still import it from here.

New code imports from :mod:`driftcheck.sources.yaml_tree`.
"""

from driftcheck.sources.yaml_tree.located import Document, DocumentError, Node, node_from_plain

__all__ = ["Document", "DocumentError", "Node", "node_from_plain"]

"""Old import path of :mod:`driftcheck.sources.yaml_tree`, kept while other modules still import it from here.

New code imports from :mod:`driftcheck.sources.yaml_tree`.
"""

from driftcheck.sources.yaml_tree import MAX_DEPTH, MAX_FILE_BYTES, MAX_NODES, load_file, load_text

__all__ = ["MAX_DEPTH", "MAX_FILE_BYTES", "MAX_NODES", "load_file", "load_text"]

"""Sharding and history: reports read back from their JSON, merged across shards, compared across runs.

* :mod:`driftcheck.history.report_file`: a saved JSON report (any 1.x schema) read back into a ``RunResult``;
* :mod:`driftcheck.history.merge`: one report from the reports of parallel shards;
* :mod:`driftcheck.history.changes`: what drift is new, resolved, persisting (with since-when) between two runs;
* :mod:`driftcheck.history.changes_json` and :mod:`driftcheck.history.render`: that comparison as JSON, text, Markdown;
* :mod:`driftcheck.history.identity`: which results are the same pipeline; :mod:`driftcheck.history.fast_schema`:
  the schema check that keeps reading a report of thousands of pipelines fast.

Nothing here calls AWS: shards and history need only the JSON reports.
"""

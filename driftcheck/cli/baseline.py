"""``driftcheck baseline``: record a report's drift as accepted."""

from __future__ import annotations

from pathlib import Path

import click

from driftcheck.cli.common import guard, plural, write_file


@click.command()
@click.argument("report", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--output", "-o", required=True, type=click.Path(dir_okay=False, path_type=Path), help="The baseline file to write, e.g. .driftcheck-baseline.json.")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
@guard
def baseline(report: Path, output: Path, debug: bool) -> None:
    """Record the drift in a JSON REPORT (of `driftcheck check`) as accepted, for `check --baseline FILE`.

    Exit codes: 0 written, 2 the report cannot be read or the file cannot be written.
    """
    import json

    from driftcheck.baseline import baseline_from_report
    from driftcheck.safe_text import one_line

    document = baseline_from_report(report)
    write_file(output, json.dumps(document, indent=2, sort_keys=True) + "\n", "baseline")
    click.echo(one_line(f"accepted {plural(len(document['accepted']), 'difference')} in {output}"))

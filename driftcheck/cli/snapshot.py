"""``driftcheck snapshot``: save live responses for offline checks (``check --live DIR``)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from driftcheck.cli.common import EXIT_TROUBLE, guard, say, setup_logging, write_file
from driftcheck.cli.options import aws_options, aws_settings, declaration_options, pop_declaration, source_options
from driftcheck.errors import DriftcheckError, UsageError


@click.command()
@click.argument("paths", nargs=-1)
@declaration_options
@aws_options
@click.option("--output-dir", "-o", required=True, type=click.Path(file_okay=False, path_type=Path), help="Directory to write one response JSON file per pipeline.")
@guard
def snapshot(paths, region, profile, endpoint_url, max_attempts, timeout, debug, verbose, output_dir, **options) -> None:
    """Save live get_image_pipeline responses into a directory, for `check --live DIR`.

    With PATHS, saves the pipelines they declare; without, every pipeline in the region.
    Exit codes: 0 all saved, 2 something could not be read (the rest is still saved).
    """
    import json

    from driftcheck.frozen import thaw
    from driftcheck.live.fetch import AwsLiveReader, response_file_name
    from driftcheck.live.session import AwsCallError
    from driftcheck.safe_text import one_line
    from driftcheck.sources.registry import collect

    setup_logging(debug, verbose)
    from driftcheck.cli.options import live_regions, split_regions

    regions, region = split_regions(region)
    all_regions = options.pop("all_regions")
    options.pop("quiet")   # snapshot draws no progress
    roles, external_id, accounts_file = options.pop("roles"), options.pop("external_id"), options.pop("accounts_file")
    if len(profile) + len(roles) > 1 or accounts_file is not None:
        raise UsageError("snapshot reads one account (one --profile or --assume-role): run it once per account")
    profile = profile[0] if profile else None
    settings = aws_settings(region, profile, endpoint_url, max_attempts, timeout, options.pop("retry_budget"), options.pop("deadline"))
    if roles:
        from driftcheck.live.accounts import command_line_targets, connect

        connection = connect(command_line_targets((), roles, external_id)[0], settings, identify=False)
        if connection.settings is None:
            raise DriftcheckError(str(connection.error))
        settings = connection.settings
    reader = AwsLiveReader(settings)
    problems: list[str] = []
    if paths:
        declared = collect(paths, source_options(pop_declaration(options), region, profile, settings))
        problems += [f"{e.location}: {e.message}" for e in declared.errors]  # --state errors included
        live = reader.read(declared.pipelines, unmanaged=False)
        pipelines = []
        for pipeline in declared.pipelines:
            outcome = live.outcomes.get(pipeline.key)
            if pipeline.error:
                problems.append(f"{pipeline.id}: {pipeline.error}")
            elif outcome is None or outcome.pipeline is None:
                problems.append(f"{pipeline.id}: {outcome.error if outcome else 'not read'}")
            else:
                pipelines.append(outcome.pipeline)
    else:
        from driftcheck.frozen import freeze

        # each listed item is the whole ImagePipeline, as GetImagePipeline returns it: saved as listed, no Get
        pipelines = []
        every = live_regions(regions, all_regions, settings) or (region,)
        for listed_region in every:
            try:
                listed = reader.list_pipelines(listed_region)
            except AwsCallError as exc:
                if len(every) == 1:
                    raise DriftcheckError(str(exc)) from exc
                problems.append(f"{listed_region}: {exc}")
                continue
            for item in listed:
                if isinstance(item.get("arn"), str) and isinstance(item.get("name"), str):
                    pipelines.append(freeze(item))
                else:
                    problems.append(f"{listed_region or 'the default region'}: a listed pipeline has no arn or name")
    output_dir.mkdir(parents=True, exist_ok=True)
    for pipeline in pipelines:
        # Only the response body: ResponseMetadata is transport detail (and never holds credentials anyway).
        document = {"imagePipeline": thaw(pipeline)}
        write_file(output_dir / response_file_name(pipeline), json.dumps(document, indent=2, sort_keys=True) + "\n", "response")
    click.echo(one_line(f"saved {len(pipelines)} pipeline(s) to {output_dir}"))
    for problem in problems:
        say(f"driftcheck: error: {problem}")
    sys.exit(EXIT_TROUBLE if problems else 0)

"""Command line: a click group whose commands are imported only when they run or are listed.

Each command lives in its own module (check, baseline, snapshot, report/merge/compare) and imports the
stages it needs inside its body, so ``driftcheck --help`` loads click and nothing heavy.
"""

from __future__ import annotations

import atexit
import gc
import importlib
import os
import sys

import click

from driftcheck import __version__

#: command name -> "module:attribute"; the order is the order ``--help`` lists them in
COMMANDS: dict[str, str] = {
    "check": "driftcheck.cli.check:check",
    "snapshot": "driftcheck.cli.snapshot:snapshot",
    "baseline": "driftcheck.cli.baseline:baseline",
    "report": "driftcheck.cli.history:report",
    "merge": "driftcheck.cli.history:merge",
    "compare": "driftcheck.cli.history:compare",
}


ARGV_KEY = "driftcheck.argv"
# The cyclic garbage collector's thresholds for a run (Python's are 700, 10, 10). A run builds large trees of dicts,
# tuples and dataclasses that hold no cycles; with the default a collection starts every 700 new objects and walks
# all the young ones again, a tenth of a 1,000-pipeline run's time. Collections still happen, every 200,000 new
# objects (mypy's setting): cyclic garbage is still freed, a little later.
GC_THRESHOLDS = (200_000, 30, 30)
# Python's own, for a run over several accounts: each account's botocore session and clients hold reference cycles,
# which the default collector frees as the run goes on (with GC_THRESHOLDS a full collection would hardly ever run).
PYTHON_GC_THRESHOLDS = gc.get_threshold()


class LazyGroup(click.Group):
    """A group that imports a command's module the first time the command is asked for."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta.setdefault(ARGV_KEY, tuple(args))   # the command line as typed, for the reports' run context
        return super().parse_args(ctx, args)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*COMMANDS, *sorted(set(super().list_commands(ctx)) - set(COMMANDS))]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return super().get_command(ctx, cmd_name)
        module, attribute = target.split(":")
        command: click.Command = getattr(importlib.import_module(module), attribute)
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="driftcheck")
def main() -> None:
    """driftcheck: do your live EC2 Image Builder pipelines still match the code that declares them?"""
    gc.set_threshold(*GC_THRESHOLDS)


def exit_status(code: object) -> int:
    """The process status ``sys.exit(code)`` gives: None is 0, a number is itself, anything else is printed and is 1."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)
    return 1


def run() -> None:
    """The ``driftcheck`` command: :func:`main`, then an exit that skips tearing the interpreter down.

    When :func:`main` returns, every report is written and closed. Python's own exit would then free the run's
    objects one by one, after a last full garbage collection: about 0.3 s after a 1,000-pipeline run, for
    nothing. Here the exit handlers still run (logging flushes, an unused Terraform evaluator child is stopped,
    temporary files are removed), the standard streams are flushed, and the process ends with the status
    ``sys.exit`` was given. Threads still waiting on AWS (past ``--deadline``) do not hold the exit up.
    """
    try:
        main()
    except SystemExit as exc:
        status = exit_status(exc.code)
    else:  # pragma: no cover - click's standalone mode always exits
        status = 0
    atexit._run_exitfuncs()  # what the interpreter's shutdown would run (and the same functions, once)
    for stream in (sys.stdout, sys.stderr):
        if stream is None:  # started with that descriptor closed (cron, a daemon): nothing to flush
            continue
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (``driftcheck check | head``): nothing more can be said
            status = status or 1
    os._exit(status)

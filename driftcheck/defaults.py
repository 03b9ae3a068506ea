"""Defaults the command line shows in its help, kept apart from the modules that use them so that
``driftcheck --help`` needs no boto3, jsonschema or YAML parser."""

from __future__ import annotations

CONFIG_NAMES = (".driftcheck.yaml", ".driftcheck.yml")   # the configuration file looked for in the current directory
RETRY_BUDGET = 120.0   # seconds one AWS call may spend on retries (waits for the pacer included)
DEADLINE = 900.0       # seconds the whole run may spend reading AWS
EXIT_TROUBLE = 2       # bad usage, input, config file, or a pipeline that could not be checked

"""tfparse, run in a child process with a time and a memory limit.

An expression can make the evaluator do unbounded work (``fileset("/", "**")``, ``file("/dev/zero")``,
a huge ``for_each``), and a module cycle makes the Go runtime abort the whole process. So each
evaluation runs in its own Python process: past ``DRIFTCHECK_TF_TIMEOUT`` seconds (default 300) it is
stopped, past ``DRIFTCHECK_TF_MEMORY_MB`` of address space (default 8192) the Go runtime fails to
allocate and exits; either way the caller gets :class:`EvaluatorLimit` and reports it, and every
other root and source is still checked. tfparse itself is never imported by the driftcheck process.

The child runs :data:`_CHILD` (``python -c``, so it imports tfparse and nothing of driftcheck): a JSON
request on stdin, a JSON answer on stdout.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from typing import Any

DEFAULT_TIMEOUT = 300.0
CHUNK_MARKER = "__driftcheck_chunk_"  # chunks.MARKER (this module imports nothing of driftcheck's Terraform code)
DEFAULT_MEMORY_MB = 8192


class EvaluatorError(Exception):
    """tfparse refused the configuration (its ParseError): a syntax error, a bad variable file..."""


class EvaluatorLimit(EvaluatorError):
    """The evaluation was stopped: it took too long, ran out of memory, or the evaluator crashed."""


def _limits() -> tuple[float, int]:
    try:
        timeout = float(os.environ.get("DRIFTCHECK_TF_TIMEOUT") or DEFAULT_TIMEOUT)
    except ValueError:
        timeout = DEFAULT_TIMEOUT
    try:
        memory = int(os.environ.get("DRIFTCHECK_TF_MEMORY_MB") or DEFAULT_MEMORY_MB)
    except ValueError:
        memory = DEFAULT_MEMORY_MB
    return timeout, memory


def load_from_path(path: str, drop_chunked_for_each: bool = False, **kwargs: Any) -> dict[str, Any]:
    """``tfparse.load_from_path(path, **kwargs)`` in a bounded child process.

    ``drop_chunked_for_each``: the child leaves out the ``for_each`` value tfparse copies into each instance of a
    chunked block (chunks.py), which nothing reads, so that what crosses the pipe stays linear."""
    timeout, memory = _limits()

    def bound() -> None:  # in the child, before it starts
        limit = memory * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    request = json.dumps({"path": path, "kwargs": kwargs, "drop": CHUNK_MARKER if drop_chunked_for_each else None})
    try:
        done = subprocess.run(
            [sys.executable, "-c", _CHILD],
            input=request.encode(),
            capture_output=True,
            timeout=timeout,
            preexec_fn=bound if os.name == "posix" else None,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise EvaluatorLimit(
            f"Terraform evaluation stopped after {timeout:g} s (driftcheck's limit, DRIFTCHECK_TF_TIMEOUT): "
            "an expression makes the evaluator do too much work (fileset() over a large tree, a huge count/for_each?)"
        ) from exc
    if done.returncode == 0:
        try:
            answer = json.loads(done.stdout)
        except ValueError as exc:
            raise EvaluatorLimit(f"the Terraform evaluator returned unreadable output: {exc}") from exc
        if "error" in answer:
            raise EvaluatorError(answer["error"])
        return answer["document"]
    stderr = done.stderr.decode("utf-8", "replace")
    # under the address-space limit the Go runtime fails either to allocate or to start a thread
    exhausted = ("out of memory", "cannot allocate memory", "MemoryError", "pthread_create failed", "Resource temporarily unavailable")
    if done.returncode == -9 or any(marker in stderr for marker in exhausted):
        raise EvaluatorLimit(
            f"Terraform evaluation ran out of memory ({memory} MB, driftcheck's limit, DRIFTCHECK_TF_MEMORY_MB): an expression "
            "makes the evaluator hold too much (file() of an endless stream, fileset() over a large tree?)"
        )
    last = next((line for line in reversed(stderr.splitlines()) if line.strip() and not line.startswith(("\t", "goroutine", "time="))), "")
    raise EvaluatorLimit(f"the Terraform evaluator crashed (exit {done.returncode}): {last[:300]}")


_CHILD = """
import json, sys
import tfparse
request = json.loads(sys.stdin.buffer.read())
try:
    answer = {"document": tfparse.load_from_path(request["path"], **request["kwargs"])}
except tfparse.ParseError as exc:
    answer = {"error": str(exc)}
marker = request.get("drop")
for entry in (answer.get("document") or {}).get("aws_imagebuilder_image_pipeline", []) if marker else ():
    if isinstance(entry, dict) and marker in str(entry.get("__tfmeta", {}).get("path", "")):
        entry.pop("for_each", None)
sys.stdout.write(json.dumps(answer))
"""

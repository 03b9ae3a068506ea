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

import atexit
import json
import os
import resource
import subprocess
import sys
import threading
import time
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


def _request(path: str, drop_chunked_for_each: bool, kwargs: dict[str, Any]) -> str:
    return json.dumps({"path": path, "kwargs": kwargs, "drop": CHUNK_MARKER if drop_chunked_for_each else None}, sort_keys=True)


def _bound(memory: int):
    def bound() -> None:  # in the child, before it starts
        limit = memory * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    return bound if os.name == "posix" else None


class _Prefetch:
    """An evaluation started before it is asked for (while the syntax index is built): the same child, the same
    request, the same limits (its time counted from its start); its answer is used only for exactly that request."""

    def __init__(self, request: str, timeout: float, memory: int) -> None:
        self.started = time.monotonic()
        self.timeout = timeout
        self.output: tuple[bytes, bytes] = (b"", b"")
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=_bound(memory)
        )
        self.thread = threading.Thread(target=self._communicate, args=(request.encode(),), name="driftcheck-tfparse", daemon=True)
        self.thread.start()

    def _communicate(self, request: bytes) -> None:
        try:
            self.output = self.proc.communicate(request)
        except (OSError, ValueError):  # killed while writing: cancel() or the timeout
            pass

    def result(self) -> subprocess.CompletedProcess:
        self.thread.join(max(0.0, self.timeout - (time.monotonic() - self.started)))
        if self.thread.is_alive():
            self.cancel()
            raise subprocess.TimeoutExpired(self.proc.args, self.timeout)
        return subprocess.CompletedProcess(self.proc.args, self.proc.returncode, *self.output)

    def cancel(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.thread.join(timeout=10)


_prefetched: dict[str, _Prefetch] = {}


def prefetch(path: str, **kwargs: Any) -> None:
    """Start ``load_from_path(path, **kwargs)`` now; the call with exactly these arguments waits for this child."""
    request = _request(path, False, kwargs)
    if request not in _prefetched:
        timeout, memory = _limits()
        _prefetched[request] = _Prefetch(request, timeout, memory)


def cancel_prefetches() -> None:
    """Stop every started evaluation nobody asked for."""
    while _prefetched:
        _prefetched.popitem()[1].cancel()


atexit.register(cancel_prefetches)  # a run that ends before asking for one (bad input, Ctrl-C) stops it too


def load_from_path(path: str, drop_chunked_for_each: bool = False, **kwargs: Any) -> dict[str, Any]:
    """``tfparse.load_from_path(path, **kwargs)`` in a bounded child process.

    ``drop_chunked_for_each``: the child leaves out the ``for_each`` value tfparse copies into each instance of a
    chunked block (chunks.py), which nothing reads, so that what crosses the pipe stays linear."""
    timeout, memory = _limits()
    request = _request(path, drop_chunked_for_each, kwargs)
    started = _prefetched.pop(request, None)
    try:
        if started is not None:
            timeout = started.timeout
            done = started.result()
        else:
            done = subprocess.run(
                [sys.executable, "-c", _CHILD],
                input=request.encode(),
                capture_output=True,
                timeout=timeout,
                preexec_fn=_bound(memory),
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
import gc, json, os, sys
gc.set_threshold(200_000, 30, 30)  # as driftcheck's own (cli/__init__.py): the document is a large tree without cycles
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
sys.stdout.flush()
os._exit(0)  # the answer is out: freeing the document object by object would only keep the parent waiting
"""

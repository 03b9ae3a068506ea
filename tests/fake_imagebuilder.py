"""Loopback fake of the EC2 Image Builder rest-json endpoint, for tests.

The REAL boto3 ``imagebuilder`` client talks HTTP to this server (pass ``endpoint_url=fake.url``,
or use :func:`client_for`).  Only two operations are served, exactly as botocore's service model
(``imagebuilder/2019-12-02``) defines them:

* ``GetImagePipeline``   -- ``GET  /GetImagePipeline?imagePipelineArn=<arn>``
* ``ListImagePipelines`` -- ``POST /ListImagePipelines`` with JSON ``{"filters", "maxResults", "nextToken"}``

Errors follow the rest-json protocol: HTTP status from the model, an ``x-amzn-ErrorType`` header
(``Code:namespace-url``, which botocore prefers over the body and cuts at the first ``:``) and a JSON
body ``{"__type", "message"}``.  Every response carries ``x-amzn-RequestId``.  Signatures are not
checked.  The server module itself is standard library only; boto3 is imported lazily by client_for.

Faults, for the retry and rate-limit tests: ``fail`` (an error code, ``times`` uses), ``delay`` (a stall),
``drop`` (close the connection without answering), ``truncate`` (send part of the body), ``randomly``
(seeded: each request draws one fault kind by probability) and ``throttle_above`` (throttle whenever more
than N requests are in flight).  ``max_in_flight`` records the peak concurrency the fake saw.

``regional=True`` makes one fake serve several regions: a request signed for region R (SigV4's credential scope)
sees only the pipelines whose ARN names R; each logged request carries its ``region``.
"""

from __future__ import annotations

import json
import random
from collections import Counter
import re
import secrets
import uuid
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from tests.loopback import LoopbackEndpoint

# HTTP status of each error shape, as in botocore's model (tests/test_fake_imagebuilder.py
# cross-checks this table against the model, so it cannot silently drift).
ERROR_STATUS = {
    "AccessDeniedException": 403,
    "CallRateLimitExceededException": 429,
    "ClientException": 400,
    "ForbiddenException": 403,
    "InvalidPaginationTokenException": 400,
    "InvalidRequestException": 400,
    "ResourceNotFoundException": 404,
    "ServiceException": 500,
    "ServiceUnavailableException": 503,
}
ERROR_NAMESPACE = "http://internal.amazon.com/coral/com.amazon.imagebuilder/"
_SIGV4_REGION = re.compile(r"Credential=[^/,\s]+/\d{8}/([^/,\s]+)/imagebuilder/aws4_request")
OPERATIONS = {("GET", "/GetImagePipeline"): "GetImagePipeline", ("POST", "/ListImagePipelines"): "ListImagePipelines"}
DEFAULT_MAX_RESULTS = 25      # the service's default page size when maxResults is omitted
MAX_BODY = 1 << 20            # refuse request bodies above 1 MiB (keeps every request bounded)
THROTTLE = "CallRateLimitExceededException"
TRANSPORT_FAULTS = ("drop", "truncate")   # fault kinds that are not an API error document


class _ApiError(Exception):
    def __init__(self, code: str, message: str, status: int | None = None):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status or ERROR_STATUS.get(code, 400)


class _Transport(Exception):
    """A transport fault: ``drop`` the connection, or ``truncate`` the body (optionally with an honest length)."""

    def __init__(self, kind: str, honest_length: bool = True):
        super().__init__(kind)
        self.kind, self.honest_length = kind, honest_length


class _Rule:
    """A fault or delay rule: matches an operation (None: any) and optionally one ARN, ``times`` uses left."""

    def __init__(self, operation: str | None, arn: str | None, times: int | None, skip: int = 0, **payload):
        if operation is not None and operation not in ("GetImagePipeline", "ListImagePipelines"):
            raise ValueError(f"unsupported operation {operation!r}")
        if times is not None and times < 1:
            raise ValueError("times must be None (forever) or >= 1")
        self.operation, self.arn, self.remaining, self.payload = operation, arn, times, payload
        self.skip = skip   # matching calls to let through before the rule applies

    def take(self, operation: str, arn: str | None) -> bool:
        """Consume one use if this rule applies to the call (caller holds the lock)."""
        if (self.operation is not None and operation != self.operation) or self.remaining == 0 \
                or (self.arn is not None and self.arn != arn):
            return False
        if self.skip:
            self.skip -= 1
            return False
        if self.remaining is not None:
            self.remaining -= 1
        return True


def _name_matcher(pattern: str):
    """Image Builder ``name`` filter: exact, case-sensitive match where only ``*`` is a wildcard."""
    regex = ".*".join(re.escape(part) for part in pattern.split("*"))
    return re.compile(rf"\A{regex}\Z", re.DOTALL).match


class FakeImageBuilder(LoopbackEndpoint):
    """The fake endpoint. Use as a context manager; ``url`` is set once started."""

    def __init__(self, page_size: int = 25, *, regional: bool = False):
        super().__init__(page_size, _make_handler, "fake-imagebuilder")
        self.regional = regional
        self._pipelines: dict[str, dict] = {}   # arn -> pipeline, insertion ordered
        self._faults: list[_Rule] = []
        self._delays: list[_Rule] = []
        self._tokens: dict[str, tuple[int, str]] = {}   # opaque nextToken -> (offset, filters key)
        self._random: list[tuple[str | None, random.Random, list[tuple[float, str]]]] = []
        self._in_flight_limit: tuple[str | None, int] | None = None
        self._in_flight = 0            # requests admitted and not yet answered
        self.max_in_flight = 0         # the peak of _in_flight
        self.fault_counts: Counter[str] = Counter()   # injected faults by kind, e.g. {"CallRateLimitExceededException": 12}

    # ---------------------------------------------------------------- test setup
    def add_pipeline(self, pipeline: dict) -> None:
        if not isinstance(pipeline, dict) or not pipeline.get("arn"):
            raise ValueError("pipeline must be a dict with an 'arn'")
        with self._lock:
            self._pipelines[pipeline["arn"]] = pipeline

    def load_response_file(self, path) -> None:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        self.add_pipeline(data["imagePipeline"])

    def fail(self, operation: str, error_code: str, *, times: int | None = None, arn: str | None = None,
             message: str = "Injected fault from FakeImageBuilder", skip: int = 0) -> None:
        """Answer matching calls with ``error_code``, ``times`` times (None: always), after letting ``skip`` through."""
        if error_code not in ERROR_STATUS:
            raise ValueError(f"unknown error code {error_code!r}; known: {sorted(ERROR_STATUS)}")
        with self._lock:
            self._faults.append(_Rule(operation, arn, times, skip, code=error_code, message=message))

    def delay(self, operation: str | None, seconds: float, *, arn: str | None = None, times: int | None = None) -> None:
        """Stall matching requests (``operation=None``: every request) for ``seconds`` before answering."""
        with self._lock:
            self._delays.append(_Rule(operation, arn, times, seconds=float(seconds)))

    def drop(self, operation: str | None, *, times: int | None = None, arn: str | None = None, skip: int = 0) -> None:
        """Close the connection instead of answering."""
        with self._lock:
            self._faults.append(_Rule(operation, arn, times, skip, transport="drop"))

    def truncate(self, operation: str | None, *, times: int | None = None, arn: str | None = None,
                 honest_length: bool = True, skip: int = 0) -> None:
        """Answer 200 with half the JSON body: Content-Length of the half (``honest_length``), else of the whole."""
        with self._lock:
            self._faults.append(_Rule(operation, arn, times, skip, transport="truncate", honest_length=honest_length))

    def randomly(self, faults: dict[str, float], *, seed: int, operation: str | None = None) -> None:
        """Each matching request draws one fault by probability, from its own ``random.Random(seed)``:
        ``{"CallRateLimitExceededException": 0.3, "ServiceUnavailableException": 0.1, "drop": 0.01}``."""
        for kind in faults:
            if kind not in ERROR_STATUS and kind not in TRANSPORT_FAULTS:
                raise ValueError(f"unknown fault {kind!r}")
        if sum(faults.values()) > 1 or any(p < 0 for p in faults.values()):
            raise ValueError("probabilities must be >= 0 and sum to at most 1")
        _Rule(operation, None, None)   # validates the operation
        cumulative, total = [], 0.0
        for kind, probability in faults.items():
            total += probability
            cumulative.append((total, kind))
        with self._lock:
            self._random.append((operation, random.Random(seed), cumulative))

    def throttle_above(self, in_flight: int, *, operation: str | None = None) -> None:
        """Throttle (CallRateLimitExceededException) a request arriving while ``in_flight`` are already admitted."""
        if in_flight < 1:
            raise ValueError("in_flight must be >= 1")
        _Rule(operation, None, None)
        with self._lock:
            self._in_flight_limit = (operation, in_flight)

    def calls(self, operation: str) -> list[dict]:
        with self._lock:
            return [r for r in self.requests if r["operation"] == operation]

    # ---------------------------------------------------------------- dispatch (handler threads)
    def _dispatch(self, operation: str | None, query: dict, body, region: str | None = None) -> dict:
        """Return the success payload or raise _ApiError / _Transport.  Runs on a server thread."""
        if operation is None:
            raise _ApiError("UnknownOperationException", "Unknown operation", 404)
        arn = query.get("imagePipelineArn") if operation == "GetImagePipeline" else None
        with self._lock:   # pick delay and fault atomically so concurrent calls consume `times` exactly
            delay = next((r.payload["seconds"] for r in self._delays if r.take(operation, arn)), 0.0)
            fault = next((r.payload for r in self._faults if r.take(operation, arn)), None)
            if fault is None:
                fault = self._draw(operation)
            limit = self._in_flight_limit
            admitted = fault is None and not (limit and limit[0] in (None, operation) and self._in_flight >= limit[1])
            if fault is None and not admitted:
                fault = {"code": THROTTLE, "message": "Rate exceeded: too many concurrent requests"}
            if admitted:
                self._in_flight += 1
                self.max_in_flight = max(self.max_in_flight, self._in_flight)
            else:
                self.fault_counts[fault.get("transport") or fault["code"]] += 1
        try:
            if delay:
                self._stopping.wait(delay)   # interruptible, so stop() never waits for a sleeping handler
            if fault and "transport" in fault:
                raise _Transport(fault["transport"], fault.get("honest_length", True))
            if fault:
                raise _ApiError(fault["code"], fault["message"])
            if operation == "GetImagePipeline":
                return self._get(arn, region)
            return self._list(body, region)
        finally:
            if admitted:
                with self._lock:
                    self._in_flight -= 1

    def _draw(self, operation: str) -> dict | None:
        """One draw of each matching ``randomly`` rule (caller holds the lock)."""
        for rule_operation, rng, cumulative in self._random:
            if rule_operation not in (None, operation):
                continue
            u = rng.random()
            kind = next((k for bound, k in cumulative if u < bound), None)
            if kind in TRANSPORT_FAULTS:
                return {"transport": kind}
            if kind is not None:
                return {"code": kind, "message": "Injected random fault from FakeImageBuilder"}
        return None

    def _in_region(self, pipeline: dict, region: str | None) -> bool:
        return not self.regional or str(pipeline.get("arn", "")).split(":")[3:4] == [region]

    def _get(self, arn: str | None, region: str | None = None) -> dict:
        if not arn:
            raise _ApiError("InvalidRequestException", "imagePipelineArn is required")
        with self._lock:
            pipeline = self._pipelines.get(arn)
            if pipeline is not None and not self._in_region(pipeline, region):
                pipeline = None
        if pipeline is None:
            raise _ApiError("ResourceNotFoundException", f"The resource ARN '{arn}' does not exist.")
        return {"imagePipeline": pipeline}

    def _list(self, body, region: str | None = None) -> dict:
        body = {} if body is None else body
        if not isinstance(body, dict):
            raise _ApiError("InvalidRequestException", "request body must be a JSON object")
        max_results = body.get("maxResults")
        if max_results is not None and (not isinstance(max_results, int) or not 1 <= max_results <= 100):
            raise _ApiError("InvalidRequestException", "maxResults must be between 1 and 100")
        filters = body.get("filters") or []
        if not isinstance(filters, list) or not all(isinstance(f, dict) for f in filters):
            raise _ApiError("InvalidRequestException", "filters must be a list of objects")
        # Filters AND together, the values of one filter OR together; only `name` is implemented.
        name_filters = [[_name_matcher(str(v)) for v in (f.get("values") or [])]
                        for f in filters if f.get("name") == "name"]
        filters_key = json.dumps(filters, sort_keys=True)
        with self._lock:
            token = body.get("nextToken")
            offset = 0
            if token is not None:
                offset, token_filters = self._tokens.get(token, (None, None))
                if offset is None or token_filters != filters_key:
                    raise _ApiError("InvalidPaginationTokenException", "The nextToken is invalid.")
            matching = [p for p in self._pipelines.values() if self._in_region(p, region)
                        and all(any(m(str(p.get("name", ""))) for m in ms) for ms in name_filters)]
            size = min(max_results or DEFAULT_MAX_RESULTS, self.page_size)
            result = {"imagePipelineList": matching[offset:offset + size]}
            if offset + size < len(matching):
                result["nextToken"] = secrets.token_urlsafe(24)
                self._tokens[result["nextToken"]] = (offset + size, filters_key)
        return result


def _make_handler(fake: FakeImageBuilder):
    class Handler(BaseHTTPRequestHandler):
        server_version = "FakeImageBuilder/1.0"
        timeout = 30   # socket timeout: an idle or half-sent request cannot hold a thread forever

        def log_message(self, *args):   # keep pytest output clean
            pass

        def _handle(self, method: str):
            split = urlsplit(self.path)
            query = dict(parse_qsl(split.query, keep_blank_values=True))
            operation = OPERATIONS.get((method, split.path))
            request_id = str(uuid.uuid4())
            body, raw = None, b""
            try:
                length = int(self.headers.get("Content-Length") or 0)
                if not 0 <= length <= MAX_BODY:
                    raise _ApiError("InvalidRequestException", "request body too large or malformed", 400)
                try:
                    raw = self.rfile.read(length)
                except OSError:
                    self.close_connection = True   # socket timeout / reset mid-body: just drop it
                    return
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = raw.decode("utf-8", "replace")
                    if operation:
                        raise _ApiError("InvalidRequestException", "request body is not valid JSON")
            except _ApiError as err:
                outcome = err
            except ValueError:
                outcome = _ApiError("InvalidRequestException", "bad Content-Length")
            else:
                outcome = None
            signed = _SIGV4_REGION.search(self.headers.get("Authorization") or "")
            region = signed.group(1) if signed else None
            with fake._lock:
                fake.requests.append({"method": method, "path": split.path, "operation": operation, "region": region,
                                      "query": query, "body": body, "headers": dict(self.headers.items())})
            if outcome is None:
                try:
                    payload = {"requestId": request_id, **fake._dispatch(operation, query, body, region)}
                    self._send(200, payload, request_id)
                    return
                except _Transport as fault:
                    self._transport_fault(fault, request_id)
                    return
                except _ApiError as err:
                    outcome = err
            headers = {"x-amzn-ErrorType": f"{outcome.code}:{ERROR_NAMESPACE}"}
            self._send(outcome.status, {"__type": outcome.code, "message": outcome.message}, request_id, headers)

        def _transport_fault(self, fault: _Transport, request_id: str):
            self.close_connection = True
            if fault.kind == "drop":
                return   # the connection closes with no response at all
            data = json.dumps({"requestId": request_id, "imagePipeline": {"arn": "x" * 64}}).encode()
            self._send(200, data[: len(data) // 2], request_id, length=None if fault.honest_length else len(data))

        def _send(self, status: int, payload, request_id: str, extra: dict | None = None, length: int | None = None):
            data = payload if isinstance(payload, bytes) else json.dumps(payload, default=str).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data) if length is None else length))
                self.send_header("x-amzn-RequestId", request_id)
                for key, value in (extra or {}).items():
                    self.send_header(key, value)
                # headers and body in ONE write: no delayed-ACK stall between two small segments
                self._headers_buffer.append(b"\r\n")
                self._headers_buffer.append(data)
                self.flush_headers()
            except (BrokenPipeError, ConnectionResetError):
                pass   # the client gave up (e.g. its read timeout fired during a delay)

        def do_GET(self):
            self._handle("GET")

        def do_POST(self):
            self._handle("POST")

        def do_PUT(self):
            self._handle("PUT")

        def do_DELETE(self):
            self._handle("DELETE")

    return Handler


def client_for(fake: FakeImageBuilder, region: str = "us-east-1", **config_kwargs):
    """A real boto3 imagebuilder client aimed at ``fake`` with dummy keys and no retries by default."""
    import boto3
    from botocore.config import Config

    config_kwargs.setdefault("retries", {"max_attempts": 1})
    session = boto3.session.Session(aws_access_key_id="AKIAFAKE", aws_secret_access_key="fake",
                                    region_name=region)
    return session.client("imagebuilder", endpoint_url=fake.url, config=Config(**config_kwargs))

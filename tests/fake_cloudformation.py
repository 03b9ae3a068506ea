"""Loopback fake of the AWS CloudFormation query-protocol endpoint, for tests.

The REAL boto3 ``cloudformation`` client (API version ``2010-05-15``) talks HTTP to this server (set
``AWS_ENDPOINT_URL_CLOUDFORMATION=fake.url``, pass ``endpoint_url=fake.url``, or use :func:`client_for`).
It speaks the AWS query protocol as botocore's service model defines it:

* requests are ``POST /`` with a form-encoded body ``Action=<Op>&Version=2010-05-15&<params>``
  (a ``GET /?Action=...`` query string is accepted too, as the real service does);
* successes are ``<{Op}Response xmlns=...><{Op}Result>...</{Op}Result><ResponseMetadata><RequestId>``,
  lists as ``<member>`` elements, an ``x-amzn-RequestId`` header on every response;
* errors are ``<ErrorResponse><Error><Type>Sender|Receiver</Type><Code>..</Code><Message>..</Message>
  </Error><RequestId>..</RequestId></ErrorResponse>`` with the HTTP status of :data:`ERROR_STATUS`.

Served read operations: ``DescribeStacks`` (by name or stack id, or every stack of the region with
``NextToken`` pagination), ``DescribeStackResources`` (at most 100 resources, like the service) and
``ListStackResources`` (``NextToken`` pagination). Any other ``Action`` is logged and answered with
``InvalidAction`` (400), so tests can prove a caller only reads.

Behaviour copied from the service: stacks live in a region (taken from the request's SigV4 credential
scope; an unsigned request sees every region); a deleted stack (``DELETE_COMPLETE``) is found only by
its stack id, never by name, and is left out of the unfiltered listing; a missing stack is
``ValidationError`` "Stack with id X does not exist". Signatures are not checked. The module is
standard library only; boto3 is imported lazily by :func:`client_for`.
"""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.loopback import LoopbackEndpoint

API_VERSION = "2010-05-15"
XML_NAMESPACE = "http://cloudformation.amazonaws.com/doc/2010-05-15/"
OPERATIONS = ("DescribeStacks", "DescribeStackResources", "ListStackResources")

# HTTP status of each error code the fake can answer with. 5xx codes are "Receiver" faults, the rest "Sender".
ERROR_STATUS = {
    "ValidationError": 400,
    "Throttling": 400,            # CloudFormation's throttling is a 400, not a 429
    "AccessDenied": 403,
    "InternalFailure": 500,
    "ServiceUnavailable": 503,
    "InvalidAction": 400,
    "MissingAction": 400,
    "MissingParameter": 400,
    "NoSuchVersion": 400,
    "MalformedQueryString": 400,
}
DEFAULT_MESSAGES = {"Throttling": "Rate exceeded"}
DESCRIBE_RESOURCES_LIMIT = 100   # DescribeStackResources returns only the first 100 resources
MAX_BODY = 1 << 20               # refuse request bodies above 1 MiB (keeps every request bounded)
MAX_FIELDS = 1000                # form fields per request
MAX_TOKENS = 10_000              # live pagination tokens kept; the oldest are forgotten first
MASK = "****"                    # what the service shows instead of a NoEcho parameter's value

_STACK_NAME = re.compile(r"\A[A-Za-z][-A-Za-z0-9]{0,127}\Z")
_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_SIGV4_REGION = re.compile(r"Credential=[^/,\s]+/\d{8}/([^/,\s]+)/cloudformation/aws4_request")


class _ApiError(Exception):
    def __init__(self, code: str, message: str, status: int | None = None):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status or ERROR_STATUS.get(code, 400)


class _Rule:
    """A fault or delay rule: matches an operation (and optionally one StackName value), ``times`` uses left."""

    def __init__(self, operation: str, stack: str | None, times: int | None, **payload: Any):
        if operation not in OPERATIONS:
            raise ValueError(f"unsupported operation {operation!r}; served: {list(OPERATIONS)}")
        if times is not None and times < 1:
            raise ValueError("times must be None (forever) or >= 1")
        self.operation, self.stack, self.remaining, self.payload = operation, stack, times, payload

    def take(self, operation: str, stack: str | None) -> bool:
        """Consume one use if this rule applies to the call (caller holds the lock)."""
        if operation != self.operation or self.remaining == 0 or (self.stack is not None and self.stack != stack):
            return False
        if self.remaining is not None:
            self.remaining -= 1
        return True


@dataclass
class _Stack:
    name: str
    stack_id: str
    region: str
    status: str
    parameters: list[dict[str, str]]
    tags: list[tuple[str, str]]
    resources: list[tuple[str, str, str | None]]
    created: str
    deleted: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_deleted(self) -> bool:
        return self.status == "DELETE_COMPLETE"


def _timestamp() -> str:
    now = datetime.now(timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def _partition(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def _check_xml_text(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{what} must be a string, got {type(value).__name__}")
    if _NOT_XML_CHAR.search(value):
        raise ValueError(f"{what} holds a character XML 1.0 cannot carry: {value!r}")
    return value


def escape(text: str) -> str:
    """XML character data / attribute text: ``& < > "`` as entities, CR kept (parsers would fold it),
    characters XML 1.0 cannot carry replaced by U+FFFD."""
    text = (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("\r", "&#13;"))
    return _NOT_XML_CHAR.sub("\ufffd", text)


def to_xml(tag: str, value: Any) -> str:
    """Serialize like the query protocol: dicts as elements (None members left out), lists as
    ``<member>`` children, booleans as ``true``/``false``."""
    if isinstance(value, Mapping):
        inner = "".join(to_xml(key, item) for key, item in value.items() if item is not None)
    elif isinstance(value, (list, tuple)):
        inner = "".join(to_xml("member", item) for item in value)
    elif isinstance(value, bool):
        inner = "true" if value else "false"
    else:
        inner = escape(str(value))
    return f"<{tag}>{inner}</{tag}>"


class FakeCloudFormation(LoopbackEndpoint):
    """The fake endpoint. Use as a context manager; ``url`` is set once started."""

    def __init__(self, page_size: int = 100):
        super().__init__(page_size, _make_handler, "fake-cloudformation")
        self._stacks: list[_Stack] = []         # insertion ordered
        self._faults: list[_Rule] = []
        self._delays: list[_Rule] = []
        self._tokens: dict[str, tuple[str, str, int]] = {}   # nextToken -> (operation, scope key, offset)

    # ---------------------------------------------------------------- test setup
    def add_stack(self, name: str, *, region: str = "us-east-1", account: str = "123456789012",
                  parameters: Mapping[str, str] | None = None, resolved: Mapping[str, str] | None = None,
                  tags: Mapping[str, str] | None = None,
                  resources: Iterable[tuple[str, str, str | None]] | None = None,
                  status: str = "CREATE_COMPLETE", no_echo: Iterable[str] = (),
                  partition: str | None = None, description: str | None = None) -> str:
        """Store a stack and return its stack id (``arn:{partition}:cloudformation:{region}:{account}:stack/{name}/{guid}``).

        ``resolved`` maps a parameter key to its ``ResolvedValue`` (SSM parameter types); keys in
        ``no_echo`` are answered as ``****``. ``resources`` are ``(logical id, type, physical id or None)``.
        A name may be reused only once the earlier stack of that name and region is ``DELETE_COMPLETE``.
        """
        if not isinstance(name, str) or not _STACK_NAME.match(name):
            raise ValueError(f"invalid stack name {name!r} (a letter, then letters, digits, hyphens; <= 128)")
        parameters = dict(parameters or {})
        resolved = dict(resolved or {})
        no_echo = set(no_echo)
        unknown = (set(resolved) | no_echo) - set(parameters)
        if unknown:
            raise ValueError(f"resolved/no_echo name parameters that are not given: {sorted(unknown)}")
        params = []
        for key, value in parameters.items():
            entry = {"ParameterKey": _check_xml_text(key, "parameter key"),
                     "ParameterValue": MASK if key in no_echo else _check_xml_text(value, f"parameter {key}")}
            if key in resolved:
                entry["ResolvedValue"] = MASK if key in no_echo else _check_xml_text(resolved[key], f"resolved {key}")
            params.append(entry)
        tag_list = [(_check_xml_text(k, "tag key"), _check_xml_text(v, f"tag {k}")) for k, v in (tags or {}).items()]
        resource_list = []
        for item in resources or ():
            logical, rtype, physical = item
            _check_xml_text(logical, "logical id")
            _check_xml_text(rtype, "resource type")
            if physical is not None:
                _check_xml_text(physical, "physical id")
            resource_list.append((logical, rtype, physical))
        if len({r[0] for r in resource_list}) != len(resource_list):
            raise ValueError("duplicate logical resource ids")
        _check_xml_text(status, "status")
        partition = partition or _partition(region)
        stack_id = f"arn:{partition}:cloudformation:{region}:{account}:stack/{name}/{uuid.uuid4()}"
        created = _timestamp()
        stack = _Stack(name, stack_id, region, status, params, tag_list, resource_list, created,
                       deleted=created if status == "DELETE_COMPLETE" else None,
                       extra={"Description": _check_xml_text(description, "description")} if description else {})
        with self._lock:
            if any(s.name == name and s.region == region and not s.is_deleted for s in self._stacks):
                raise ValueError(f"a live stack named {name!r} already exists in {region}")
            self._stacks.append(stack)
        return stack_id

    def fail(self, operation: str, error_code: str, *, times: int | None = None, stack: str | None = None,
             message: str | None = None) -> None:
        """Answer ``operation`` (only for this ``StackName`` value if ``stack``) with an error, ``times`` times
        (None: for ever). Rules are checked in the order they were added."""
        if error_code not in ERROR_STATUS:
            raise ValueError(f"unknown error code {error_code!r}; known: {sorted(ERROR_STATUS)}")
        message = message or DEFAULT_MESSAGES.get(error_code, "Injected fault from FakeCloudFormation")
        with self._lock:
            self._faults.append(_Rule(operation, stack, times, code=error_code, message=message))

    def delay(self, operation: str, seconds: float, *, times: int | None = None, stack: str | None = None) -> None:
        """Hold ``operation``'s answer for ``seconds`` (cut short by :meth:`stop`)."""
        if seconds < 0:
            raise ValueError("seconds must be >= 0")
        with self._lock:
            self._delays.append(_Rule(operation, stack, times, seconds=float(seconds)))

    def calls(self, operation: str | None) -> list[dict]:
        """The logged requests whose ``Action`` was ``operation``."""
        with self._lock:
            return [r for r in self.requests if r["operation"] == operation]

    def actions(self) -> list[str | None]:
        """The ``Action`` of every logged request, in order."""
        with self._lock:
            return [r["operation"] for r in self.requests]

    # ---------------------------------------------------------------- dispatch (handler threads)
    def _dispatch(self, params: Mapping[str, str], region: str | None) -> tuple[str, dict]:
        """Return ``(operation, result members)`` or raise _ApiError. Runs on a server thread."""
        action = params.get("Action")
        if not action:
            raise _ApiError("MissingAction", "The request must contain the parameter Action")
        if "Version" not in params:
            raise _ApiError("MissingParameter", "The request must contain the parameter Version")
        if params["Version"] != API_VERSION:
            raise _ApiError("NoSuchVersion", f"Version {params['Version']} of service cloudformation does not exist")
        if action not in OPERATIONS:
            raise _ApiError("InvalidAction", f"Could not find operation {action} for version {API_VERSION}")
        stack_param = params.get("StackName")
        with self._lock:   # pick delay and fault atomically so concurrent calls consume `times` exactly
            delay = next((r.payload["seconds"] for r in self._delays if r.take(action, stack_param)), 0.0)
            fault = next((r.payload for r in self._faults if r.take(action, stack_param)), None)
        if delay:
            self._stopping.wait(delay)   # interruptible, so stop() never waits for a sleeping handler
        if fault:
            raise _ApiError(fault["code"], fault["message"])
        handler = {"DescribeStacks": self._describe_stacks, "DescribeStackResources": self._describe_resources,
                   "ListStackResources": self._list_resources}[action]
        return action, handler(params, region)

    def _find(self, name_or_id: str, region: str | None) -> _Stack:
        """A stack by id (any status) or by name (not deleted), in the caller's region (caller holds the lock)."""
        for stack in self._stacks:
            if region is not None and stack.region != region:
                continue
            if name_or_id == stack.stack_id or (name_or_id == stack.name and not stack.is_deleted):
                return stack
        raise _ApiError("ValidationError", f"Stack with id {name_or_id} does not exist")

    def _page(self, operation: str, scope: str, items: list, token: str | None) -> tuple[list, str | None]:
        """One page of ``items`` and the token of the next (caller holds the lock)."""
        offset = 0
        if token is not None:
            entry = self._tokens.get(token)
            if entry is None or entry[:2] != (operation, scope):
                raise _ApiError("ValidationError", "Invalid NextToken")
            offset = entry[2]
        page = items[offset:offset + self.page_size]
        if offset + self.page_size >= len(items):
            return page, None
        next_token = secrets.token_urlsafe(24)
        self._tokens[next_token] = (operation, scope, offset + self.page_size)
        while len(self._tokens) > MAX_TOKENS:
            del self._tokens[next(iter(self._tokens))]
        return page, next_token

    def _describe_stacks(self, params: Mapping[str, str], region: str | None) -> dict:
        with self._lock:
            if params.get("StackName"):
                return {"Stacks": [_stack_xml(self._find(params["StackName"], region))]}
            visible = [s for s in self._stacks if not s.is_deleted and (region is None or s.region == region)]
            page, token = self._page("DescribeStacks", str(region), visible, params.get("NextToken"))
            return {"Stacks": [_stack_xml(s) for s in page], "NextToken": token}

    def _resources_of(self, params: Mapping[str, str], region: str | None) -> _Stack:
        if params.get("StackName"):
            return self._find(params["StackName"], region)
        physical = params.get("PhysicalResourceId")
        if physical:
            for stack in self._stacks:
                if (region is None or stack.region == region) and any(r[2] == physical for r in stack.resources):
                    return stack
            raise _ApiError("ValidationError", f"Stack for {physical} does not exist")
        raise _ApiError("ValidationError", "Either StackName or PhysicalResourceId must be specified")

    def _describe_resources(self, params: Mapping[str, str], region: str | None) -> dict:
        with self._lock:
            stack = self._resources_of(params, region)
            resources = [r for r in stack.resources
                         if params.get("LogicalResourceId") in (None, r[0])
                         and params.get("PhysicalResourceId") in (None, r[2])]
            return {"StackResources": [_resource_xml(stack, r) for r in resources[:DESCRIBE_RESOURCES_LIMIT]]}

    def _list_resources(self, params: Mapping[str, str], region: str | None) -> dict:
        if not params.get("StackName"):
            raise _ApiError("ValidationError", "1 validation error detected: Value null at 'stackName' "
                                               "failed to satisfy constraint: Member must not be null")
        with self._lock:
            stack = self._find(params["StackName"], region)
            page, token = self._page("ListStackResources", stack.stack_id, stack.resources, params.get("NextToken"))
            return {"StackResourceSummaries": [_summary_xml(stack, r) for r in page], "NextToken": token}


def _resource_status(stack: _Stack, physical: str | None) -> str:
    if stack.is_deleted:
        return "DELETE_COMPLETE"
    return "CREATE_COMPLETE" if physical is not None else "CREATE_IN_PROGRESS"


def _stack_xml(stack: _Stack) -> dict:
    """A ``Stack`` structure, members in the model's order."""
    return {
        "StackId": stack.stack_id,
        "StackName": stack.name,
        "Description": stack.extra.get("Description"),
        "Parameters": list(stack.parameters) or None,
        "CreationTime": stack.created,
        "DeletionTime": stack.deleted,
        "StackStatus": stack.status,
        "DisableRollback": False,
        "NotificationARNs": [],
        "Tags": [{"Key": k, "Value": v} for k, v in stack.tags],
        "EnableTerminationProtection": False,
        "DriftInformation": {"StackDriftStatus": "NOT_CHECKED"},
    }


def _resource_xml(stack: _Stack, resource: tuple[str, str, str | None]) -> dict:
    """A ``StackResource`` structure (DescribeStackResources)."""
    logical, rtype, physical = resource
    return {"StackName": stack.name, "StackId": stack.stack_id, "LogicalResourceId": logical,
            "PhysicalResourceId": physical, "ResourceType": rtype, "Timestamp": stack.created,
            "ResourceStatus": _resource_status(stack, physical),
            "DriftInformation": {"StackResourceDriftStatus": "NOT_CHECKED"}}


def _summary_xml(stack: _Stack, resource: tuple[str, str, str | None]) -> dict:
    """A ``StackResourceSummary`` structure (ListStackResources)."""
    logical, rtype, physical = resource
    return {"LogicalResourceId": logical, "PhysicalResourceId": physical, "ResourceType": rtype,
            "LastUpdatedTimestamp": stack.created, "ResourceStatus": _resource_status(stack, physical),
            "DriftInformation": {"StackResourceDriftStatus": "NOT_CHECKED"}}


def success_body(operation: str, result: Mapping[str, Any], request_id: str) -> str:
    """The whole XML document of a successful answer."""
    inner = "".join(to_xml(key, value) for key, value in result.items() if value is not None)
    return (f'<{operation}Response xmlns="{XML_NAMESPACE}"><{operation}Result>{inner}</{operation}Result>'
            f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></{operation}Response>")


def error_body(code: str, message: str, status: int, request_id: str) -> str:
    """The whole XML document of an error answer."""
    kind = "Receiver" if status >= 500 else "Sender"
    return (f'<ErrorResponse xmlns="{XML_NAMESPACE}"><Error><Type>{kind}</Type><Code>{escape(code)}</Code>'
            f"<Message>{escape(message)}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>")


def _make_handler(fake: FakeCloudFormation):
    class Handler(BaseHTTPRequestHandler):
        server_version = "FakeCloudFormation/1.0"
        timeout = 30   # socket timeout: an idle or half-sent request cannot hold a thread forever

        def log_message(self, *args: Any) -> None:   # keep pytest output clean
            pass

        def _handle(self, method: str) -> None:
            split = urlsplit(self.path)
            request_id = str(uuid.uuid4())
            params: dict[str, str] = {}
            outcome: _ApiError | None = None
            try:
                length = int(self.headers.get("Content-Length") or 0)
                if not 0 <= length <= MAX_BODY:
                    raise _ApiError("MalformedQueryString", "request body too large or malformed")
                try:
                    raw = self.rfile.read(length)
                except OSError:
                    self.close_connection = True   # socket timeout / reset mid-body: just drop it
                    return
                params.update(parse_qsl(split.query, keep_blank_values=True, max_num_fields=MAX_FIELDS))
                params.update(parse_qsl(raw.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FIELDS))
                if split.path != "/":
                    raise _ApiError("InvalidAction", f"Unknown path {split.path}")
            except _ApiError as err:
                outcome = err
            except ValueError:   # bad Content-Length, undecodable body, too many fields
                outcome = _ApiError("MalformedQueryString", "request body too large or malformed")
            match = _SIGV4_REGION.search(self.headers.get("Authorization") or "")
            region = match.group(1) if match else None
            with fake._lock:
                fake.requests.append({"method": method, "path": split.path, "operation": params.get("Action"),
                                      "params": dict(params), "region": region,
                                      "headers": dict(self.headers.items())})
            if outcome is None:
                try:
                    operation, result = fake._dispatch(params, region)
                    self._send(200, success_body(operation, result, request_id), request_id)
                    return
                except _ApiError as err:
                    outcome = err
            self._send(outcome.status, error_body(outcome.code, outcome.message, outcome.status, request_id),
                       request_id)

        def _send(self, status: int, body: str, request_id: str) -> None:
            data = body.encode("utf-8")
            try:
                self.send_response(status)
                self.send_header("Content-Type", "text/xml")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("x-amzn-RequestId", request_id)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass   # the client gave up (e.g. its read timeout fired during a delay)

        def do_GET(self) -> None:
            self._handle("GET")

        def do_POST(self) -> None:
            self._handle("POST")

        def do_PUT(self) -> None:
            self._handle("PUT")

        def do_DELETE(self) -> None:
            self._handle("DELETE")

    return Handler


def client_for(fake: FakeCloudFormation, region: str = "us-east-1", **config_kwargs: Any) -> Any:
    """A real boto3 cloudformation client aimed at ``fake`` with dummy keys and no retries by default."""
    import boto3
    from botocore.config import Config

    config_kwargs.setdefault("retries", {"max_attempts": 1})
    session = boto3.session.Session(aws_access_key_id="AKIAFAKE", aws_secret_access_key="fake",
                                    region_name=region)
    return session.client("cloudformation", endpoint_url=fake.url, config=Config(**config_kwargs))

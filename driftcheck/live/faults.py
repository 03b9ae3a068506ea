"""What went wrong with one AWS request: which faults are retried, which mean "slow down", and the one-line
message a fault becomes. Only classification and wording; the retry loop is in ``session.call``."""

from __future__ import annotations

import json

import botocore.exceptions

THROTTLING_CODES = frozenset({
    "CallRateLimitExceededException",   # Image Builder's; botocore's retry modes do not know it
    "ThrottlingException", "Throttling", "ThrottledException", "TooManyRequestsException",
    "RequestLimitExceeded", "RequestThrottled", "RequestThrottledException", "SlowDown",
})
SERVER_CODES = frozenset({"ServiceException", "ServiceUnavailableException", "ServiceUnavailable", "InternalFailure",
                          "InternalServerError", "InternalError"})
# "StackNotFound" is the code driftcheck.live.stack gives CloudFormation's "Stack with id X does not exist"
NOT_FOUND_CODES = frozenset({"ResourceNotFoundException", "StackNotFound"})
DENIED_CODES = frozenset({"ForbiddenException", "AccessDeniedException", "AccessDenied", "UnauthorizedOperation"})
TRANSPORT_ERRORS = (
    botocore.exceptions.ConnectionError,      # refused, DNS, connect timeout, proxy, TLS
    botocore.exceptions.HTTPClientError,      # connection closed or reset, read timeout, broken stream
    botocore.exceptions.IncompleteReadError,
)


class ResponseBodyError(Exception):
    """A 2xx answer whose body is cut short or is not JSON (raised from botocore's before-parse event)."""


def check_body(response_dict: dict, operation_model, **_: object) -> None:
    """botocore ``before-parse`` handler: a body shorter than its Content-Length, or a JSON protocol's body that
    is not JSON, is a transport fault (botocore would read either as an empty response)."""
    status = response_dict.get("status_code") or 0
    if not 200 <= status < 300:
        return
    body = response_dict.get("body") or b""
    length = (response_dict.get("headers") or {}).get("content-length")
    if length is not None and str(length).isdigit() and int(length) != len(body):
        raise ResponseBodyError(f"response body truncated: {len(body)} of {int(length)} bytes received")
    if operation_model.service_model.protocol in ("json", "rest-json") and body:
        try:
            json.loads(body)
        except ValueError as exc:
            raise ResponseBodyError(f"response body is not valid JSON ({len(body)} bytes): {exc}") from None


def error_code(exc: BaseException) -> str | None:
    """The AWS error code of a ClientError."""
    if isinstance(exc, botocore.exceptions.ClientError):
        return str(exc.response.get("Error", {}).get("Code") or "") or None
    return None


def _status(exc: botocore.exceptions.ClientError) -> int:
    return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)


def is_throttling(exc: BaseException) -> bool:
    """The endpoint says: slow down (a throttling code, or HTTP 429)."""
    if isinstance(exc, botocore.exceptions.ClientError):
        return error_code(exc) in THROTTLING_CODES or _status(exc) == 429
    return False


def is_retryable(exc: BaseException) -> bool:
    """Throttling, 5xx, timeouts, connection faults and broken bodies are retried; nothing else is."""
    if isinstance(exc, botocore.exceptions.ClientError):
        return is_throttling(exc) or error_code(exc) in SERVER_CODES or _status(exc) >= 500
    return isinstance(exc, (*TRANSPORT_ERRORS, ResponseBodyError))


def _cause(exc: BaseException) -> str:
    inner = getattr(exc, "kwargs", {}).get("error")
    text = str(inner) if inner is not None else ""
    return f" ({text})" if text and text not in str(exc) else ""


def describe(exc: BaseException, read_timeout: float) -> tuple[str, str]:
    """``(kind and detail, code)`` of a fault, e.g. ``("throttled: CallRateLimitExceededException: Rate exceeded",
    "CallRateLimitExceededException")``. Raises ``exc`` itself if it is not an AWS fault."""
    if isinstance(exc, botocore.exceptions.ClientError):
        code = error_code(exc) or "Unknown"
        message = " ".join(str(exc.response.get("Error", {}).get("Message") or "").split())
        status = _status(exc)
        if is_throttling(exc):
            kind = "throttled"
        elif code in DENIED_CODES:
            kind = "access denied"
        elif code in NOT_FOUND_CODES:
            kind = "not found"
        else:
            kind = "AWS error"
        http = f" (HTTP {status})" if status >= 500 else ""
        return f"{kind}: {code}: {message}".rstrip(": ") + http, code
    if isinstance(exc, ResponseBodyError):
        return str(exc), "MalformedResponse"
    if isinstance(exc, botocore.exceptions.ReadTimeoutError):
        return f"timed out: no response within {read_timeout:g} s", "Timeout"
    if isinstance(exc, botocore.exceptions.ConnectTimeoutError):
        return f"timed out connecting: {exc}", "Timeout"
    if isinstance(exc, botocore.exceptions.EndpointConnectionError):
        return f"cannot connect (refused or unreachable): {exc}{_cause(exc)}", "ConnectionFailed"
    if isinstance(exc, botocore.exceptions.ConnectionClosedError):
        inner = getattr(exc, "kwargs", {}).get("error")
        what = "connection reset" if "reset" in str(inner).lower() else "connection closed"
        return f"{what} by the endpoint before a complete response: {exc}{_cause(exc)}", "ConnectionClosed"
    if isinstance(exc, botocore.exceptions.NoCredentialsError):
        return "no AWS credentials found (set a profile, env vars or --profile)", "NoCredentials"
    if isinstance(exc, botocore.exceptions.NoRegionError):
        return "no AWS region (pass --region or set AWS_REGION)", "NoRegion"
    if isinstance(exc, botocore.exceptions.BotoCoreError):
        return f"{type(exc).__name__}: {exc}{_cause(exc)}", type(exc).__name__
    raise exc

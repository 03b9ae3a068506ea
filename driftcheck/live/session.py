"""boto3 clients and the one retry policy every Image Builder call goes through.

botocore's own retries are switched off (``total_max_attempts=1``) and replaced by tenacity here, because
botocore 1.44.5's ``standard`` and ``adaptive`` modes do NOT retry Image Builder's throttling error
``CallRateLimitExceededException`` (HTTP 429) — measured, see the issue. Keeping one retry layer
makes the attempt count exact and the outcome of an exhausted retry one defined error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import boto3
import botocore.config
import botocore.exceptions
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from driftcheck.errors import LiveStateError

T = TypeVar("T")

RETRYABLE_CODES = frozenset(
    {
        "CallRateLimitExceededException",
        "ThrottlingException",
        "Throttling",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "ServiceException",
        "ServiceUnavailableException",
        "InternalFailure",
        "InternalServerError",
    }
)
THROTTLING_CODES = frozenset({"CallRateLimitExceededException", "ThrottlingException", "Throttling", "TooManyRequestsException", "RequestLimitExceeded"})
# "StackNotFound" is the code driftcheck.live.stack gives CloudFormation's "Stack with id X does not exist"
NOT_FOUND_CODES = frozenset({"ResourceNotFoundException", "StackNotFound"})
DENIED_CODES = frozenset({"ForbiddenException", "AccessDeniedException", "AccessDenied", "UnauthorizedOperation"})
TRANSIENT_ERRORS = (
    botocore.exceptions.ConnectionError,  # includes EndpointConnectionError and timeouts
    botocore.exceptions.ReadTimeoutError,
)


@dataclass(frozen=True)
class AwsSettings:
    """How to reach AWS. ``None`` means: use the standard AWS chain (env, config files, ...)."""

    region: str | None = None
    profile: str | None = None
    endpoint_url: str | None = None
    max_attempts: int = 6
    retry_initial_delay: float = 0.5
    retry_max_delay: float = 20.0
    connect_timeout: float = 10.0
    read_timeout: float = 30.0


class AwsCallError(LiveStateError):
    """A read call that failed for good, with the AWS error code (or a transport error kind)."""

    def __init__(self, message: str, code: str, attempts: int = 1) -> None:
        super().__init__(message)
        self.code = code
        self.attempts = attempts

    @property
    def not_found(self) -> bool:
        """The resource does not exist."""
        return self.code in NOT_FOUND_CODES


def _retryable(exc: BaseException) -> bool:
    if isinstance(exc, botocore.exceptions.ClientError):
        error = exc.response.get("Error", {})
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        return error.get("Code") in RETRYABLE_CODES or status == 429 or status >= 500
    return isinstance(exc, TRANSIENT_ERRORS)


def _describe(exc: BaseException, attempts: int, operation: str) -> AwsCallError:
    tried = f" (after {attempts} attempts)" if attempts > 1 else ""
    if isinstance(exc, botocore.exceptions.ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code") or "Unknown")
        message = str(error.get("Message") or "").strip()
        if code in THROTTLING_CODES:
            kind = "throttled"
        elif code in DENIED_CODES:
            kind = "access denied"
        elif code in NOT_FOUND_CODES:
            kind = "not found"
        else:
            kind = "AWS error"
        return AwsCallError(f"{operation}: {kind}: {code}: {message}{tried}".rstrip(": "), code, attempts)
    if isinstance(exc, (botocore.exceptions.ReadTimeoutError, botocore.exceptions.ConnectTimeoutError)):
        return AwsCallError(f"{operation}: timed out: {exc}{tried}", "Timeout", attempts)
    if isinstance(exc, botocore.exceptions.NoCredentialsError):
        return AwsCallError(f"{operation}: no AWS credentials found (set a profile, env vars or --profile)", "NoCredentials")
    if isinstance(exc, botocore.exceptions.NoRegionError):
        return AwsCallError(f"{operation}: no AWS region (pass --region or set AWS_REGION)", "NoRegion")
    if isinstance(exc, botocore.exceptions.BotoCoreError):
        return AwsCallError(f"{operation}: {exc}{tried}", type(exc).__name__, attempts)
    raise exc


def call(settings: AwsSettings, operation: str, fn: Callable[..., T], **kwargs: Any) -> T:
    """Run one read call with the retry policy; failures become AwsCallError (never a raw botocore error)."""
    attempts = {"n": 0}

    def count(state: RetryCallState) -> None:
        attempts["n"] = state.attempt_number

    retrying = Retrying(
        retry=retry_if_exception(_retryable),
        stop=stop_after_attempt(max(1, settings.max_attempts)),
        wait=wait_exponential_jitter(
            multiplier=settings.retry_initial_delay, jitter=settings.retry_initial_delay, max=settings.retry_max_delay
        ),
        reraise=True,
        before=count,
    )
    try:
        return retrying(fn, **kwargs)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        raise _describe(exc, attempts["n"], operation) from exc
    except (AttributeError, TypeError, ValueError) as exc:  # botocore's parser on a response off the model
        raise AwsCallError(f"{operation}: malformed response: {type(exc).__name__}: {exc}", "MalformedResponse") from exc


def client_config(settings: AwsSettings) -> botocore.config.Config:
    """The botocore Config every driftcheck client uses: botocore's retries off (``call()`` retries), timeouts."""
    return botocore.config.Config(
        # one HTTP request per call() attempt: botocore's retries={"max_attempts": 1} would mean ONE RETRY
        retries={"total_max_attempts": 1, "mode": "standard"},
        connect_timeout=settings.connect_timeout,
        read_timeout=settings.read_timeout,
        user_agent_extra="driftcheck",
    )


def imagebuilder_client(settings: AwsSettings, region: str | None) -> Any:
    """A read-only-used imagebuilder client. The endpoint comes from --endpoint-url, else
    AWS_ENDPOINT_URL_IMAGEBUILDER / AWS_ENDPOINT_URL (boto3 reads those itself), else AWS."""
    config = client_config(settings)
    try:
        session = boto3.session.Session(profile_name=settings.profile)
        return session.client(
            "imagebuilder", region_name=region or settings.region, endpoint_url=settings.endpoint_url, config=config
        )
    except (botocore.exceptions.BotoCoreError, ValueError) as exc:
        raise AwsCallError(f"cannot create an Image Builder client: {exc}", type(exc).__name__) from exc


def cloudformation_client(settings: AwsSettings, region: str | None = None) -> Any:
    """A read-only-used cloudformation client in ``region`` (else ``settings.region``, else the AWS chain).
    The endpoint comes from AWS_ENDPOINT_URL_CLOUDFORMATION / AWS_ENDPOINT_URL (boto3 reads those itself),
    else AWS; ``settings.endpoint_url`` is Image Builder's and is NOT used here."""
    try:
        session = boto3.session.Session(profile_name=settings.profile)
        return session.client("cloudformation", region_name=region or settings.region, config=client_config(settings))
    except botocore.exceptions.NoRegionError as exc:
        raise AwsCallError("cannot create a CloudFormation client: no AWS region (pass --region or set AWS_REGION)",
                           "NoRegion") from exc
    except (botocore.exceptions.BotoCoreError, ValueError) as exc:
        raise AwsCallError(f"cannot create a CloudFormation client: {exc}", type(exc).__name__) from exc

"""boto3 clients and the one retry policy every AWS call goes through.

botocore's own retries are switched off (``total_max_attempts=1``) and replaced by tenacity here, because
botocore 1.44's ``standard`` and ``adaptive`` modes do NOT retry Image Builder's throttling error
``CallRateLimitExceededException`` (HTTP 429) — measured, see the issue. Keeping one retry layer makes
the attempt count exact and the outcome of an exhausted retry one defined error.

Each attempt first takes a slot and a token from the endpoint's :class:`~driftcheck.live.pacing.Pacer`
(shared by every call to one account and region) and reports back whether it was throttled. Retries stop
at the first of: ``max_attempts`` failed attempts, the call's ``retry_budget`` seconds, or the run's
``deadline``. For Image Builder (``PACED_SERVICES``), read by the hundred against one rate limit, a
throttled attempt is paced, not counted: throttling costs time (up to the budget), never the pipeline.
CloudFormation reads (a few per stack) count every attempt.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import boto3
import botocore.config
import botocore.exceptions
from tenacity import RetryCallState, Retrying, retry_if_exception, wait_random_exponential

from driftcheck.defaults import DEADLINE, RETRY_BUDGET
from driftcheck.botocore_data import botocore_session
from driftcheck.errors import LiveStateError
from driftcheck.live.faults import NOT_FOUND_CODES, check_body, describe, error_code, is_retryable, is_throttling
from driftcheck.live.pacing import MAX_CONCURRENCY, PacerRegistry

T = TypeVar("T")
log = logging.getLogger(__name__)   # -v: one line per AWS request (operation, region, attempt, outcome, duration)

DEFAULT_RETRY_BUDGET = RETRY_BUDGET   # seconds one call may spend on retries (waits for the pacer included)
DEFAULT_DEADLINE = DEADLINE           # seconds the whole run may spend reading AWS
BACKOFF_CAP_FACTOR = 16        # the longest backoff, in first delays
PACED_SERVICES = frozenset({"imagebuilder"})   # throttled attempts are not counted against max_attempts


class RunClock:
    """When this run started, and the pacers of its endpoints: one per AwsSettings, i.e. one per run."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.deadline_at = float("inf")
        self.pacers = PacerRegistry()

    def remaining(self) -> float:
        """Seconds left before the run's deadline (inf without one)."""
        return self.deadline_at - time.monotonic()


class Credentials:
    """Temporary credentials (from sts:AssumeRole) for one account: held only here, never shown (repr masks them)."""

    __slots__ = ("access_key", "secret_key", "token")

    def __init__(self, access_key: str, secret_key: str, token: str | None) -> None:
        self.access_key, self.secret_key, self.token = access_key, secret_key, token

    def __repr__(self) -> str:
        return "Credentials(***)"

    __str__ = __repr__


@dataclass(frozen=True)
class AwsSettings:
    """How to reach AWS. ``None`` means: use the standard AWS chain (env, config files, ...).

    ``credentials`` (an assumed role's) win over ``profile``; ``account`` is the account id they reach, when known."""

    region: str | None = None
    profile: str | None = None
    endpoint_url: str | None = None
    max_attempts: int = 6
    retry_initial_delay: float = 0.5
    retry_max_delay: float = 20.0
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    retry_budget: float = DEFAULT_RETRY_BUDGET
    deadline: float | None = DEFAULT_DEADLINE
    run: RunClock = field(default_factory=RunClock, compare=False, repr=False)
    credentials: Credentials | None = field(default=None, compare=False, repr=False)
    account: str | None = None

    def __post_init__(self) -> None:
        if self.deadline is not None:
            self.run.deadline_at = self.run.started + self.deadline


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


DEADLINE = "Deadline"


def deadline_message(settings: AwsSettings, what: str) -> str:
    """``OPERATION: run deadline of N s reached before ...``: the one wording of an unread item at the deadline."""
    return f"{what}: run deadline of {settings.deadline:g} s (--deadline) reached before it could be read"


class _NoSlot(Exception):
    """The pacer gave no slot before the call's budget or the run's deadline."""


def pacer_key(settings: AwsSettings, fn: Callable[..., Any]) -> tuple[object, ...]:
    client = getattr(fn, "__self__", None)
    meta = getattr(client, "meta", None)
    if meta is None:
        return ("unknown", settings.region, settings.endpoint_url, settings.profile, settings.account)
    # one pacer per service, region, endpoint and credential: "one account and region"
    return (meta.service_model.service_name, meta.region_name, meta.endpoint_url, settings.profile, settings.account)


def call(settings: AwsSettings, operation: str, fn: Callable[..., T], **kwargs: Any) -> T:
    """Run one read call with the retry policy; failures become AwsCallError (never a raw botocore error)."""
    run = settings.run
    started = time.monotonic()
    if run.remaining() <= 0:
        raise AwsCallError(deadline_message(settings, operation), DEADLINE)
    budget_end = min(started + settings.retry_budget, run.deadline_at)
    key = pacer_key(settings, fn)
    pacer = run.pacers.get(key)
    paced = key[0] in PACED_SERVICES
    counts = {"attempts": 0, "counted": 0}
    last: list[BaseException] = []

    def attempt() -> T:
        ticket = pacer.acquire(budget_end)
        if ticket is None:
            raise _NoSlot()
        counts["attempts"] += 1
        sent = time.monotonic()
        try:
            result = fn(**kwargs)
        except BaseException as exc:
            throttled = is_throttling(exc)
            pacer.release(ticket, throttled=throttled)
            log.info("aws %s %s attempt %d: %s after %.3f s", operation, key[1], counts["attempts"],
                     "throttled" if throttled else error_code(exc) or type(exc).__name__, time.monotonic() - sent)
            last[:] = [exc]
            if not (throttled and paced):
                counts["counted"] += 1
            raise
        pacer.release(ticket, throttled=False)
        log.info("aws %s %s attempt %d: ok in %.3f s", operation, key[1], counts["attempts"], time.monotonic() - sent)
        return result

    def stop(state: RetryCallState) -> bool:
        upcoming = state.upcoming_sleep or 0.0
        return counts["counted"] >= max(1, settings.max_attempts) or time.monotonic() + upcoming >= budget_end

    retrying = Retrying(
        retry=retry_if_exception(is_retryable),
        stop=stop,
        # full jitter (AWS's "exponential backoff and jitter"), capped at 16 x the first delay (8 s by default):
        # a long backoff would spend the budget on a few attempts; slowing down is the pacer's job
        wait=wait_random_exponential(
            multiplier=settings.retry_initial_delay,
            max=min(settings.retry_max_delay, settings.retry_initial_delay * BACKOFF_CAP_FACTOR),
        ),
        reraise=True,
    )
    try:
        return retrying(attempt)
    except _NoSlot:
        code = DEADLINE if _at_deadline(run, budget_end) else "RetryBudget"
        detail = "waited for the client-side rate limiter"
        if last and isinstance(last[0], Exception):
            detail = f"{describe(last[0], settings.read_timeout)[0]}; then {detail}"
        raise AwsCallError(_why_stopped(settings, operation, detail, counts, started, budget_end), code,
                           counts["attempts"]) from None
    except Exception as exc:
        try:
            detail, code = describe(exc, settings.read_timeout)
        except (AttributeError, TypeError, ValueError, KeyError) as bug:  # botocore's parser on a response off the model
            raise AwsCallError(f"{operation}: malformed response: {type(bug).__name__}: {bug}", "MalformedResponse") from bug
        raise AwsCallError(_why_stopped(settings, operation, detail, counts, started, budget_end, retryable=is_retryable(exc)),
                           code, counts["attempts"]) from exc


def _at_deadline(run: RunClock, budget_end: float) -> bool:
    return budget_end >= run.deadline_at - 1e-9 and run.deadline_at != float("inf")


def _why_stopped(settings: AwsSettings, operation: str, detail: str, counts: dict[str, int], started: float,
                 budget_end: float, *, retryable: bool = True) -> str:
    attempts = counts["attempts"]
    tried = f"after {attempts} attempt{'s' if attempts != 1 else ''} in {time.monotonic() - started:.1f} s"
    if not retryable:
        return f"{operation}: {detail}" + (f" ({tried})" if attempts > 1 else "")
    if counts["counted"] >= max(1, settings.max_attempts):
        reason = f"{attempts} attempts" if attempts == counts["counted"] else f"{counts['counted']} failed attempts (--max-attempts) and {attempts - counts['counted']} throttled"
        return f"{operation}: {detail} (after {reason})" if attempts > 1 else f"{operation}: {detail}"
    if _at_deadline(settings.run, budget_end):
        return f"{operation}: {detail} ({tried}; run deadline of {settings.deadline:g} s (--deadline) reached)"
    return f"{operation}: {detail} ({tried}; retry budget of {settings.retry_budget:g} s (--retry-budget) spent)"


def client_config(settings: AwsSettings) -> botocore.config.Config:
    """The botocore Config every driftcheck client uses: botocore's retries off (``call()`` retries), timeouts."""
    return botocore.config.Config(
        # one HTTP request per call() attempt: botocore's retries={"max_attempts": 1} would mean ONE RETRY
        retries={"total_max_attempts": 1, "mode": "standard"},
        max_pool_connections=MAX_CONCURRENCY,   # as many connections as the pacer may allow in flight
        connect_timeout=settings.connect_timeout,
        read_timeout=settings.read_timeout,
        user_agent_extra="driftcheck",
    )


def boto_session(settings: AwsSettings) -> Any:
    """The boto3 session of ``settings``' account: its assumed-role credentials, else its profile, else the AWS chain."""
    credentials = settings.credentials
    if credentials is not None:
        return boto3.session.Session(aws_access_key_id=credentials.access_key, aws_secret_access_key=credentials.secret_key,
                                     aws_session_token=credentials.token, region_name=settings.region, botocore_session=botocore_session())
    return boto3.session.Session(profile_name=settings.profile, botocore_session=botocore_session())


def imagebuilder_client(settings: AwsSettings, region: str | None, session: Any = None) -> Any:
    """A read-only-used imagebuilder client. The endpoint comes from --endpoint-url, else
    AWS_ENDPOINT_URL_IMAGEBUILDER / AWS_ENDPOINT_URL (boto3 reads those itself), else AWS. ``session``: one boto3
    session to make every region's client from (a boto3 session is not thread-safe: the caller serialises)."""
    config = client_config(settings)
    try:
        session = session or boto_session(settings)
        client = session.client(
            "imagebuilder", region_name=region or settings.region, endpoint_url=settings.endpoint_url, config=config
        )
    except (botocore.exceptions.BotoCoreError, ValueError) as exc:
        raise AwsCallError(f"cannot create an Image Builder client: {exc}", type(exc).__name__) from exc
    client.meta.events.register("before-parse.imagebuilder", check_body)
    return client


def cloudformation_client(settings: AwsSettings, region: str | None = None) -> Any:
    """A read-only-used cloudformation client in ``region`` (else ``settings.region``, else the AWS chain).
    The endpoint comes from AWS_ENDPOINT_URL_CLOUDFORMATION / AWS_ENDPOINT_URL (boto3 reads those itself),
    else AWS; ``settings.endpoint_url`` is Image Builder's and is NOT used here."""
    try:
        session = boto_session(settings)
        client = session.client("cloudformation", region_name=region or settings.region, config=client_config(settings))
    except botocore.exceptions.NoRegionError as exc:
        raise AwsCallError("cannot create a CloudFormation client: no AWS region (pass --region or set AWS_REGION)",
                           "NoRegion") from exc
    except (botocore.exceptions.BotoCoreError, ValueError) as exc:
        raise AwsCallError(f"cannot create a CloudFormation client: {exc}", type(exc).__name__) from exc
    client.meta.events.register("before-parse.cloudformation", check_body)
    return client

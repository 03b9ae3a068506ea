"""The pacer (AIMD on requests in flight, adaptive rate) and which faults count as throttling."""

from __future__ import annotations

import botocore.exceptions
import pytest

from driftcheck.live.faults import THROTTLING_CODES, is_retryable, is_throttling
from driftcheck.live.pacing import MAX_CONCURRENCY, Pacer


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def client_error(code: str, status: int) -> botocore.exceptions.ClientError:
    return botocore.exceptions.ClientError(
        {"Error": {"Code": code, "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": status}}, "GetImagePipeline")


@pytest.mark.parametrize("code", ["CallRateLimitExceededException", "ThrottlingException", "TooManyRequestsException",
                                  "RequestLimitExceeded", "Throttling"])
def test_throttling_codes_mean_slow_down(code):
    assert code in THROTTLING_CODES
    assert is_throttling(client_error(code, 400)) and is_retryable(client_error(code, 400))


def test_any_429_is_throttling_and_other_client_errors_are_final():
    assert is_throttling(client_error("SomethingNew", 429))
    assert not is_throttling(client_error("ServiceUnavailableException", 503))
    assert is_retryable(client_error("ServiceUnavailableException", 503))
    assert not is_retryable(client_error("AccessDeniedException", 403))
    assert not is_retryable(client_error("ResourceNotFoundException", 404))


def test_throttling_halves_in_flight_once_per_round_and_success_grows_it_back():
    clock = Clock()
    pacer = Pacer(clock=clock, start=8)
    round_one = [pacer.acquire(until=clock.now + 1) for _ in range(8)]
    assert all(round_one) and pacer.acquire(until=clock.now) is None   # the ninth waits: 8 in flight
    clock.now += 0.1
    for ticket in round_one:
        pacer.release(ticket, throttled=True)
    assert pacer.limit == 4   # eight throttles of one round: one cut, not eight
    ticket = pacer.acquire(until=clock.now + 1)
    clock.now += 0.1
    pacer.release(ticket, throttled=True)   # sent after the cut: a new signal
    assert pacer.limit == 2
    for _ in range(20):
        pacer.release(pacer.acquire(until=clock.now + 1), throttled=False)
    assert pacer.limit > 4
    for _ in range(500):
        pacer.release(pacer.acquire(until=clock.now + 1), throttled=False)
    assert pacer.limit == MAX_CONCURRENCY


def test_throttled_at_one_in_flight_limits_the_rate_then_success_raises_it():
    clock = Clock()
    pacer = Pacer(clock=clock, start=1, maximum=1)   # the endpoint's limit is below one request per round trip
    assert pacer.rate is None
    for _ in range(10):   # ten sends, 0.1 s apart: 10 requests/s
        clock.now += 0.1
        pacer.release(pacer.acquire(until=clock.now + 1), throttled=False)
    clock.now += 0.1
    pacer.release(pacer.acquire(until=clock.now + 1), throttled=True)
    assert pacer.rate == pytest.approx(7.0, rel=0.05)   # 0.7 x the measured 10/s
    limited = pacer.rate
    clock.now += 0.1
    pacer.release(pacer.acquire(until=clock.now + 5), throttled=False)
    assert pacer.rate > limited


def test_acquire_gives_up_at_its_deadline():
    clock = Clock()
    pacer = Pacer(clock=clock, start=1)
    held = pacer.acquire(until=clock.now + 1)
    assert held is not None
    assert pacer.acquire(until=clock.now - 1) is None
    pacer.release(held, throttled=False)
    assert pacer.acquire(until=clock.now + 1) is not None

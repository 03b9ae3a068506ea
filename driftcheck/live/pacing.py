"""Client-side pacing for one endpoint (one account and region): how many requests may be in flight, and how fast
new ones may start. Throttling makes both smaller; success makes them larger again.

Two controls, one per kind of limit a service enforces:

* **in flight** (AIMD, as TCP does with its window): starts at ``START_CONCURRENCY``, ``+1/limit`` per success
  (about +1 per round of requests), halved on throttling, between 1 and ``MAX_CONCURRENCY``.
* **rate** (a token bucket, botocore's ``TokenBucket``): off until the endpoint throttles while only one request
  is in flight, i.e. its limit is below one request per round trip. Then the rate is cut to ``RATE_BETA`` of
  the send rate measured over the last ``RATE_WINDOW`` requests on throttling and raised by ``RATE_STEP`` requests/s
  per success; it switches itself off again once it is twice what is actually sent.

A burst of throttles answering requests that were all sent before the last cut counts once ("one cut per
round"), so eight requests throttled together halve the limits once, not eight times.

Why not botocore's ``adaptive`` mode as it is: it does not know ``CallRateLimitExceededException`` (Image
Builder's throttling error), it only paces the rate, not the number of requests in flight, its
``TokenBucket.acquire`` cannot be bounded by a deadline, and its CUBIC rate law, measured against throttles
that do not depend on the rate (30 % at random), settles at about 1.5 requests/s whatever the endpoint
could take. Its token bucket is reused here; the control law is the twenty lines below.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from botocore.exceptions import CapacityNotAvailableError
from botocore.retries.bucket import Clock, TokenBucket

START_CONCURRENCY = 8
MAX_CONCURRENCY = 16
RATE_BETA = 0.7          # botocore adaptive's factor on throttling
RATE_STEP = 1.0          # requests/s added per success while the rate is limited
MIN_RATE = 0.5           # TokenBucket's own floor
RATE_WINDOW = 32         # sends the measured rate is taken over


class _MonotonicClock(Clock):
    """botocore's clock interface over time.monotonic (a wall-clock jump must not stall or burst the bucket)."""

    def current_time(self) -> float:
        return time.monotonic()


@dataclass
class Ticket:
    """One admitted request: when it was sent (to tell which throttles answer requests sent after a cut)."""

    sent_at: float
    done: bool = False


class Pacer:
    """AIMD on requests in flight plus an adaptive rate, shared by every call to one endpoint. Thread-safe."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, start: int = START_CONCURRENCY,
                 maximum: int = MAX_CONCURRENCY) -> None:
        self._now = clock
        self._condition = threading.Condition()
        self._limit = float(start)
        self._maximum = float(maximum)
        self._in_flight = 0
        self._last_cut = float("-inf")
        self._bucket_clock = _MonotonicClock()
        self._bucket: TokenBucket | None = None     # None: the rate is not limited
        self._sends: deque[float] = deque(maxlen=RATE_WINDOW)
        self.throttles = 0

    # ------------------------------------------------------------------ state, for notes and tests
    @property
    def limit(self) -> int:
        """Requests allowed in flight now."""
        return max(1, int(self._limit))

    @property
    def rate(self) -> float | None:
        """Requests per second allowed now, or None when the rate is not limited."""
        return self._bucket.max_rate if self._bucket is not None else None

    # ------------------------------------------------------------------ admission
    def acquire(self, until: float) -> Ticket | None:
        """Wait for a slot and a token, at most until ``until`` (a monotonic instant); None if that passed."""
        with self._condition:
            while self._in_flight >= self.limit:
                remaining = until - self._now()
                if remaining <= 0:
                    return None
                self._condition.wait(min(remaining, 0.5))
            self._in_flight += 1
        if not self._take_token(until):
            with self._condition:
                self._in_flight -= 1
                self._condition.notify()
            return None
        sent_at = self._now()
        with self._condition:
            self._sends.append(sent_at)
        return Ticket(sent_at=sent_at)

    def _take_token(self, until: float) -> bool:
        while True:
            bucket = self._bucket
            if bucket is None:
                return True
            try:
                bucket.acquire(block=False)
                return True
            except CapacityNotAvailableError:
                pass
            remaining = until - self._now()
            if remaining <= 0:
                return False
            time.sleep(min(remaining, 1.0 / max(bucket.max_rate, MIN_RATE), 0.25))

    # ------------------------------------------------------------------ feedback
    def release(self, ticket: Ticket, *, throttled: bool) -> None:
        """The request's answer came back: throttled, or anything else (which counts as accepted)."""
        if ticket.done:
            return
        ticket.done = True
        with self._condition:
            self._in_flight -= 1
            if throttled:
                self.throttles += 1
                if ticket.sent_at >= self._last_cut:    # one cut per round of requests
                    self._cut()
            else:
                self._grow()
            self._condition.notify_all()

    def _measured_rate(self) -> float | None:
        if len(self._sends) < 2 or self._sends[-1] <= self._sends[0]:
            return None
        return (len(self._sends) - 1) / (self._now() - self._sends[0])

    def _cut(self) -> None:
        at_floor = self.limit <= 1
        self._limit = max(1.0, self._limit / 2)
        self._last_cut = self._now()
        if at_floor or self._bucket is not None:
            measured = self._measured_rate() or MIN_RATE / RATE_BETA
            current = min(measured, self._bucket.max_rate) if self._bucket is not None else measured
            rate = max(MIN_RATE, RATE_BETA * current)
            if self._bucket is None:
                self._bucket = TokenBucket(max_rate=rate, clock=self._bucket_clock, min_rate=MIN_RATE)
            else:
                self._bucket.max_rate = rate

    def _grow(self) -> None:
        self._limit = min(self._maximum, self._limit + 1.0 / self._limit)
        if self._bucket is not None:
            rate = self._bucket.max_rate + RATE_STEP
            measured = self._measured_rate()
            if measured and rate > 2 * measured and self.limit > 1:
                self._bucket = None   # the rate no longer binds: in-flight control alone
            else:
                self._bucket.max_rate = rate


class PacerRegistry:
    """One Pacer per endpoint key (service, region, endpoint, profile); created on first use. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pacers: dict[tuple[object, ...], Pacer] = {}

    def get(self, key: tuple[object, ...]) -> Pacer:
        """The pacer for ``key``."""
        with self._lock:
            pacer = self._pacers.get(key)
            if pacer is None:
                pacer = self._pacers[key] = Pacer()
            return pacer

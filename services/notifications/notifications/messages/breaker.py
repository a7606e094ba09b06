"""A circuit breaker around the SMS provider: after `threshold` outage-type failures in a row, stop
calling it for `cooldown_s` (or the provider's Retry-After, if longer), then let one message through to
test it. Messages simply stay `queued` in the database meanwhile — nothing piles onto the broker, and
nothing is lost."""

import time
from collections.abc import Callable


class CircuitBreaker:
    def __init__(self, threshold: int, cooldown_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.threshold = threshold
        self.cooldown_s = cooldown_s
        self.clock = clock
        self.failures = 0
        self.open_until = 0.0
        self.trial_in_flight = False

    @property
    def state(self) -> str:
        if self.failures < self.threshold:
            return "closed"
        return "open" if self.clock() < self.open_until else "half_open"

    def allowance(self, wanted: int) -> int:
        """How many sends may start now."""
        state = self.state
        if state == "closed":
            return wanted
        if state == "half_open" and not self.trial_in_flight:
            self.trial_in_flight = True
            return min(1, wanted)
        return 0

    def seconds_until_trial(self) -> float:
        return max(0.0, self.open_until - self.clock())

    def succeeded(self) -> None:
        self.failures = 0
        self.trial_in_flight = False

    def failed(self, retry_after_s: float | None = None) -> None:
        self.failures += 1
        self.trial_in_flight = False
        if self.failures >= self.threshold:
            self.open_until = self.clock() + max(self.cooldown_s, retry_after_s or 0.0)

"""Bounds on rendering report files on request. A requester may read the summary and breaches of any
period, and a PDF or XLSX of ten years is rendered whole in a child process: one user holding the render
slots (two per API process) would hold every other user's files too. So each render has a time limit,
after which its process is killed, and one user renders at most a few files at a time.

Counted per API process, like the render slots: no shared store is needed for a few seconds' state, and
with several API processes a user gets at most this many per process."""

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from uuid import UUID

from opsdesk_shared.errors import ServiceUnavailable, TooManyRequests


class RenderTimedOut(ServiceUnavailable):
    type_slug = "render-time-limit"


class RenderLimits:
    def __init__(self, *, per_user: int, timeout_s: float) -> None:
        self.per_user = per_user
        self.timeout_s = timeout_s
        self._rendering: Counter[UUID] = Counter()

    @contextmanager
    def slot(self, user: UUID) -> Iterator[None]:
        """One of the user's render slots for the block; 429 when all are taken (nothing is queued)."""
        if self._rendering[user] >= self.per_user:
            raise TooManyRequests(
                f"at most {self.per_user} report file(s) per user are rendered at a time; "
                "wait for the one under way to finish",
                limit=self.per_user,
                code="report.export_busy",
            )
        self._rendering[user] += 1
        try:
            yield
        finally:
            self._rendering[user] -= 1
            if not self._rendering[user]:
                del self._rendering[user]

    def timed_out(self, fmt: str) -> RenderTimedOut:
        return RenderTimedOut(
            f"rendering the {fmt} file took longer than its time limit of {self.timeout_s:g} s and was stopped; "
            "ask for a shorter period, or for the CSV, which is streamed",
            time_limit_s=self.timeout_s,
        )

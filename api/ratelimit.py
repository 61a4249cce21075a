"""Per-user rate limit of the expensive operations (uploads, analyses, runs, inspections).

A sliding window per token: at most ``http.expensive_per_minute`` such requests in any 60 s; past
that ``429`` with ``Retry-After`` (hardening B6). The limit is keyed on the token, so a user
rotating IP addresses gains nothing; it lives in the web process (one process serves the API), so
there is no external store that could be down — it fails closed.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque

from api.errors import QueueFullError


class RateLimitedError(QueueFullError):
    """Too many expensive requests by one user in the window."""

    code = "rate_limited"


class RateLimiter:
    """Sliding-window counter per key."""

    def __init__(self, per_minute: int, window_s: float = 60.0) -> None:
        self.per_minute = per_minute
        self.window_s = window_s
        self.hits: dict[str, deque[float]] = {}
        self.lock = threading.Lock()

    def check(self, key: str) -> None:
        """Count one request of ``key``; :class:`RateLimitedError` when over the limit."""
        now = time.monotonic()
        with self.lock:
            hits = self.hits.setdefault(key, deque())
            while hits and now - hits[0] >= self.window_s:
                hits.popleft()
            if len(hits) >= self.per_minute:
                wait = max(1, math.ceil(self.window_s - (now - hits[0])))
                raise RateLimitedError(
                    f"操作过于频繁：每分钟至多 {self.per_minute} 次上传或运行，请 {wait} 秒后重试"
                    " — rate limit reached",
                    retry_after=wait,
                )
            hits.append(now)

"""A sliding-window rate limit kept in the API process (per client address and per applicant
for the portal's online application form). Per process: behind several API replicas each keeps
its own count, so the limit is per replica."""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field


@dataclass
class RateLimit:
    """At most `limit` events per key within `window_seconds`."""

    limit: int
    window_seconds: float = 3600.0
    _events: dict[str, deque[float]] = field(default_factory=dict, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def allow(self, key: str, *, at: float | None = None) -> bool:
        """Count one event for key if under the limit; False (not counted) if over it."""
        moment = time.monotonic() if at is None else at
        with self._lock:
            events = self._events.setdefault(key, deque())
            while events and events[0] <= moment - self.window_seconds:
                events.popleft()
            if len(events) >= self.limit:
                return False
            events.append(moment)
            if len(self._events) > 100_000:  # bounded: forget keys with no recent event
                for stale in [k for k, v in self._events.items() if not v]:
                    del self._events[stale]
            return True

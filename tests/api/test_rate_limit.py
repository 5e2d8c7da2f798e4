"""The portal's rate limit (issue 26): a sliding window per key."""

from __future__ import annotations

from api.rate_limit import RateLimit


def test_a_key_is_refused_past_its_limit_until_the_window_slides() -> None:
    limit = RateLimit(2, window_seconds=60)
    assert [limit.allow("a", at=0), limit.allow("a", at=1), limit.allow("a", at=2)] == [
        True,
        True,
        False,
    ]
    assert limit.allow("b", at=2)  # another key counts apart
    assert limit.allow("a", at=60.5)  # the first event left the window
    assert not limit.allow("a", at=60.6)

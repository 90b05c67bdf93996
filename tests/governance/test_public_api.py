from __future__ import annotations

import sleeve.governance.limiter
import sleeve.governance.local_limiter
import sleeve.governance.redis_limiter
import sleeve.governance.sliding_window


def test_public_names() -> None:
    assert sorted(sleeve.governance.limiter.__all__) == [
        "Admission",
        "LimiterBackend",
        "RateLimiter",
    ]
    assert sleeve.governance.local_limiter.__all__ == ["LocalLimiterBackend"]
    assert sleeve.governance.redis_limiter.__all__ == ["RedisLimiterBackend"]
    assert sorted(sleeve.governance.sliding_window.__all__) == [
        "MAX_PAUSE",
        "admits",
        "answer",
        "blocking_rank",
        "check_reserve",
        "pause_length",
    ]

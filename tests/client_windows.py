"""Start a run of limited requests early enough in a client-limit window to end inside it.

Client limits are sliding window *counters* over windows aligned on the wall clock
(``sleeve.governance.request_counts``): as a window rolls on, the last one's count starts
to fade and one more request fits, which is the algorithm, not a bug. A test that asserts
"refused, and still refused" must therefore not straddle a window's end; waiting for the
next window when the current one is nearly over keeps it deterministic on a busy machine.
"""

from __future__ import annotations

import time

DEFAULT_WINDOW = 60.0


def start_early_in_window(needed: float, window: float = DEFAULT_WINDOW) -> None:
    """Sleep into the next ``window`` if fewer than ``needed`` seconds are left in this one."""
    left = window - time.time() % window
    if left < needed:
        time.sleep(left + min(0.05 * window, 0.2))

"""One back-off schedule for the calls verifiers make to remote model servers (the vLLM reward
model, the LLM judges), and the longest such a call can take by design, which the settings check
against the engine's backstop (`Settings`): a call that may outlast the backstop would end as the
backstop's `infra_error` instead of its own, more telling failure.
"""

from __future__ import annotations

import random

BACKOFF_S = 0.1  # the pause before retry n (n >= 1) is BACKOFF_S * 2**n, jittered by ±50%


def pause_before(retry: int) -> float:
    """Seconds to wait before retry `retry` (1 for the first retry)."""
    return BACKOFF_S * 2.0**retry * random.uniform(0.5, 1.5)


def worst_case_s(timeout_s: float, retries: int) -> float:
    """Every attempt running into its timeout, with the longest pauses between them."""
    return (retries + 1) * timeout_s + sum(1.5 * BACKOFF_S * 2.0**n for n in range(1, retries + 1))

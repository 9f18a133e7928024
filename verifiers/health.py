"""Reward-health warnings: what a person watching a run should be told, per domain.

A reward service usually fails quietly: every sample scores 0 because the prompts stopped asking
for `\\boxed{}`, a thinking model's `</think>` is cut off, labels were converted wrongly, or a
sandbox host is sick. `assess` turns one domain's recent samples (a `stats.Window`) and its
readiness into warnings that say what was seen, the likely causes and what to check. The same
rules judge the live service (over `health.window` samples) and an offline file (over all of it).

`Warnings` holds the active set of the live service: a warning is logged once when it starts and
once when it clears, and mirrored in the `verifiers_warning{domain,kind}` gauge.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any, Literal

from verifiers.metrics import Metrics
from verifiers.settings import HealthSettings
from verifiers.stats import Window
from verifiers.text import NO_FINAL_ANSWER
from verifiers.verdict import Status
from verifiers.verifier import Readiness

log = logging.getLogger(__name__)

Severity = Literal["warning", "critical"]

_READ_RESPONSES = (
    "read a few of the responses with their `details.reason` (`verifiers score IN.jsonl -o OUT.jsonl "
    "--report report.html` groups them with one example each)"
)


@dataclass(frozen=True, slots=True)
class Rule:
    """A share of one status above a threshold (a `HealthSettings` field)."""

    kind: str
    status: Status
    threshold: str
    severity: Severity
    meaning: str
    causes: tuple[str, ...]
    checks: tuple[str, ...]


# Leads the format_error causes when unterminated thinking blocks are among the reasons.
_CUT_THINKING = (
    "responses cut at the generation length limit, so a thinking block never closes "
    "(or `</think>` removed before the reward call)"
)

RULES: tuple[Rule, ...] = (
    Rule(
        kind="format_error",
        status=Status.FORMAT_ERROR,
        threshold="format_error_share",
        severity="warning",
        meaning="no gradable answer: scored 0 without being judged",
        causes=(
            (
                "the prompt or chat template no longer asks for the format the verifier reads (`\\boxed{}` for math, "
                "a fenced code block for code)"
            ),
            _CUT_THINKING,
            "a new checkpoint, system prompt or template that changed how answers are written",
        ),
        checks=(
            _READ_RESPONSES,
            "the prompt template and the generation length limit",
            "that `</think>` and the answer survive detokenisation (special tokens are stripped only at the end)",
        ),
    ),
    Rule(
        kind="infra_error",
        status=Status.INFRA_ERROR,
        threshold="infra_error_share",
        severity="critical",
        meaning="masked: the service failed, the trainer should drop these samples",
        causes=(
            "sandbox runners or worker processes dying (memory, pids limit, killed from outside): see restarts",
            "a backend down or refusing (the RM's vLLM server, the SWE judge)",
            "overload: samples not admitted within engine.admission_wait_s",
        ),
        checks=(
            "`GET /ready` and the workers plot on this page",
            "the service log for the reasons below",
            "the host's memory, CPU and the pools' sizes against its cores",
        ),
    ),
    Rule(
        kind="timeout",
        status=Status.TIMEOUT,
        threshold="timeout_share",
        severity="warning",
        meaning="the answer's own check overran its deadline: scored 0",
        causes=(
            (
                "CPU oversubscribed (more runners and workers than cores, or another job on the host), so checks run "
                "slower than their limits"
            ),
            "limits too tight for the dataset (code.time_limit_s or a label's time_limit_s, math.item_timeout_s)",
            "the policy writing slow or non-terminating programs",
        ),
        checks=(
            "queue time against run time on this page",
            "the host's CPU load",
            "the time limits in the labels against the dataset's own",
        ),
    ),
    Rule(
        kind="label_error",
        status=Status.ERROR,
        threshold="error_share",
        severity="warning",
        meaning="the label is unusable: scored 0 whatever the answer",
        causes=(
            "dataset conversion: labels with missing fields, wrong types or references that do not parse",
            "labels of one domain sent to another",
        ),
        checks=(
            "the reasons below name the field or the reference",
            "the converter's output on a few rows, through `verifiers score --report`",
        ),
    ),
)

_SAME_REWARD_CAUSES = (
    "every prompt too hard (all 0) or too easy (all 1) for the policy: GRPO's group advantages are all zero",
    "labels converted wrongly: every answer judged against the wrong reference",
    "an answer format that changed so that nothing is gradable (see the verdict mix)",
    "a reward-model backend that returns a constant",
)
_SAME_REWARD_CHECKS = (
    "the verdict mix on this page: all incorrect, or all format_error, tells which",
    "a handful of items scored by hand with `verifiers score --report`",
    "the dataset converter's output against the source dataset",
)
_NOT_READY_CAUSES = (
    "its worker processes or sandbox runners are not running (a failed start, all of them died)",
    "a backend it needs is unreachable, or a missing optional dependency",
)
_NOT_READY_CHECKS = ("`GET /ready` for the domain's detail", "the service log from start-up on")


@dataclass(frozen=True, slots=True)
class HealthWarning:
    domain: str
    kind: str
    severity: Severity
    seen: str
    causes: tuple[str, ...]
    checks: tuple[str, ...]
    reasons: tuple[tuple[str, int, str], ...] = ()  # (reason kind, count, one full reason)
    identity: str = ""  # a warning whose identity changes is a new one (same_reward: all 0, then all 1)

    @property
    def key(self) -> tuple[str, str]:
        return self.domain, self.kind

    def to_json(self) -> dict[str, Any]:
        return {
            "domain": self.domain,
            "kind": self.kind,
            "severity": self.severity,
            "seen": self.seen,
            "causes": list(self.causes),
            "checks": list(self.checks),
            "reasons": [{"reason": r, "count": n, "example": e} for r, n, e in self.reasons],
        }


def assess(domain: str, window: Window, ready: Readiness | None, settings: HealthSettings) -> list[HealthWarning]:
    """The warnings one domain deserves now. `ready` None: not judged (offline scoring)."""
    out: list[HealthWarning] = []
    if ready is not None and not ready.ready:
        detail = ", ".join(f"{k}={v}" for k, v in ready.detail.items()) or "no detail"
        out.append(
            HealthWarning(
                domain,
                "not_ready",
                "critical",
                f"{domain} is not ready ({detail})",
                _NOT_READY_CAUSES,
                _NOT_READY_CHECKS,
            )
        )
    n = window.samples
    if n >= settings.min_samples:
        for rule in RULES:
            count = window.statuses[rule.status.value]
            if count and count / n > getattr(settings, rule.threshold):
                reasons = tuple(window.top_reasons(rule.status.value))
                causes = rule.causes
                if any(r == NO_FINAL_ANSWER for r, _, _ in reasons) and _CUT_THINKING in causes:
                    causes = (_CUT_THINKING, *(c for c in causes if c != _CUT_THINKING))
                seen = (
                    f"{count} of {n} samples ({count / n:.0%}) are {rule.status.value} "
                    f"({rule.meaning}); threshold {getattr(settings, rule.threshold):.0%}"
                )
                out.append(HealthWarning(domain, rule.kind, rule.severity, seen, causes, rule.checks, reasons))
    if window.same_run >= settings.same_reward_samples:
        seen = f"the last {window.same_run} unmasked rewards are all {window.same_reward:g}: no learning signal"
        out.append(
            HealthWarning(
                domain,
                "same_reward",
                "warning",
                seen,
                _SAME_REWARD_CAUSES,
                _SAME_REWARD_CHECKS,
                identity=f"{window.same_reward:g}",
            )
        )
    return out


@dataclass(slots=True)
class _Active:
    warning: HealthWarning
    since: float  # wall clock


class Warnings:
    """The live service's active warnings: logged once on start and once on clear, and gauged."""

    def __init__(self, metrics: Metrics) -> None:
        self._gauge = metrics.warning
        self._active: dict[tuple[str, str], _Active] = {}

    def update(self, current: list[HealthWarning]) -> None:
        now = time.time()
        fresh = {w.key: w for w in current}
        for key, gone in list(self._active.items()):
            if fresh.get(key) is None or fresh[key].identity != gone.warning.identity:
                del self._active[key]
                self._gauge.labels(*key).set(0)
                log.warning("[%s] %s cleared after %.0f s", key[0], key[1], now - gone.since)
        for key, warning in fresh.items():
            active = self._active.get(key)
            if active is None:
                self._active[key] = _Active(warning, now)
                self._gauge.labels(*key).set(1)
                log.warning(
                    "[%s] %s: %s%s. Likely: %s. Check: %s.",
                    warning.domain,
                    warning.kind,
                    warning.seen,
                    "".join(f"; {r} ({c})" for r, c, _ in warning.reasons),
                    "; ".join(warning.causes),
                    "; ".join(warning.checks),
                )
            else:
                active.warning = warning  # the same warning with today's numbers; `since` stays

    def to_json(self) -> list[dict[str, Any]]:
        ranked = sorted(self._active.values(), key=lambda a: (a.warning.severity != "critical", a.since))
        return [{**a.warning.to_json(), "since": a.since} for a in ranked]

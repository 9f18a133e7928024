"""Per-domain statistics behind the status page and the reward-health warnings, kept on the hot path.

Every verdict passes through `DomainStats.record` on the engine's event loop, thousands of times a
second, so recording is a few stores into preallocated lists and arrays: no lock (the loop is the
only writer and the only reader), no allocation beyond the counters themselves, nothing that grows
with traffic. Two shapes per domain, both fixed in size at start-up:

- a timeline of time buckets (`stats.bucket_s` wide, `stats.history_s` deep): verdict counts, a
  log-spaced latency histogram, queue and run time sums, reward sums, and the admission and pool
  gauges sampled once a second. A bucket is reset in place when the ring comes round to it.
- the recent samples (`health.window` of them, a ring): status, reason kind, reward and time of
  each. This is what the warnings judge and what the reward histogram shows.

Domains are created on their first sample, so any registered domain is covered with no code of
its own here.
"""

from __future__ import annotations

import math
import re
from array import array
from bisect import bisect_right
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from verifiers.settings import HealthSettings, StatsSettings
from verifiers.verdict import Status, Verdict

STATUSES: tuple[Status, ...] = tuple(Status)
_CODE: dict[Status, int] = {s: i for i, s in enumerate(STATUSES)}
_NAMES: tuple[str, ...] = tuple(s.value for s in STATUSES)
_NS = len(STATUSES)
_INFRA = _CODE[Status.INFRA_ERROR]
# Statuses whose `details.reason` is broken down: they say something went wrong, and what.
EXPLAINED: frozenset[Status] = frozenset({Status.FORMAT_ERROR, Status.ERROR, Status.TIMEOUT, Status.INFRA_ERROR})
_EXPLAINED_CODES = frozenset(_CODE[s] for s in EXPLAINED)

LATENCY_EDGES_S: tuple[float, ...] = (
    0.001,
    0.002,
    0.005,
    0.01,
    0.02,
    0.05,
    0.1,
    0.2,
    0.5,
    1.0,
    2.0,
    5.0,
    10.0,
    20.0,
    60.0,
    120.0,
)
_BINS = len(LATENCY_EDGES_S) + 1
# Gauges sampled into each bucket: (name, how samples within one bucket combine).
GAUGES: tuple[tuple[str, str], ...] = (
    ("admitted", "max"),
    ("waiting", "max"),
    ("queued", "max"),
    ("workers_alive", "min"),
    ("workers", "max"),
    ("restarts", "sum"),
)
_NG = len(GAUGES)

_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def reason_kind(reason: str) -> str:
    """What groups a `details.reason` with others of its kind. Reasons are written `kind: instance`
    ("bad label: tests.inputs must ...", "sandbox failed: failed on two runners, ..."), so the text
    before the first colon, with numbers as N ("longer than 1000 characters", "(1234 > 1000)")."""
    return _NUMBER.sub("N", reason.partition(": ")[0])[:120]


def reason_of(verdict: Verdict) -> str | None:
    """The reason a verdict of an explained status gives, or None."""
    if verdict.status not in EXPLAINED:
        return None
    reason = verdict.details.get("reason")
    return reason if isinstance(reason, str) else "(no reason given)"


@dataclass(slots=True)
class Window:
    """What the warnings judge for one domain: its recent samples, summed up."""

    samples: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    reasons: dict[str, Counter[str]] = field(default_factory=dict)  # status -> reason kind -> count
    examples: dict[str, str] = field(default_factory=dict)  # reason kind -> one full reason
    rewards: list[float] = field(default_factory=list)  # unmasked, oldest first
    same_reward: float = 0.0  # the newest unmasked reward ...
    same_run: int = 0  # ... and how many unmasked rewards in a row equal it

    def top_reasons(self, status: str, top: int = 5) -> list[tuple[str, int, str]]:
        """The most frequent reason kinds of `status`: (kind, count, one full reason)."""
        counts = self.reasons.get(status)
        if not counts:
            return []
        return [(kind, n, self.examples.get(kind, kind)) for kind, n in counts.most_common(top)]

    def to_json(self, top: int = 5) -> dict[str, Any]:
        """As the status page and the report show it."""
        return {
            "samples": self.samples,
            "statuses": {s.value: self.statuses[s.value] for s in STATUSES},
            "reward": {**(reward_summary(self.rewards) if self.rewards else {}), "histogram": histogram(self.rewards)},
            "same_reward": {"value": self.same_reward, "run": self.same_run},
            "reasons": {status: self.top_reasons(status, top) for status in self.reasons},
        }

    def add(self, status: Status, reward: float, reason: str | None) -> None:
        """Append one sample (oldest first); used where samples are summed in order (offline)."""
        self.samples += 1
        self.statuses[status.value] += 1
        if reason is not None:
            kind = reason_kind(reason)
            self.reasons.setdefault(status.value, Counter())[kind] += 1
            self.examples.setdefault(kind, reason)
        if status is not Status.INFRA_ERROR:
            self.rewards.append(reward)
            if self.same_run and reward == self.same_reward:
                self.same_run += 1
            else:
                self.same_reward, self.same_run = reward, 1


class DomainStats:
    def __init__(self, name: str, stats: StatsSettings, window: int) -> None:
        self.name = name
        self.bucket_s = stats.bucket_s
        self.slots = n = math.ceil(stats.history_s / stats.bucket_s) + 1  # + the bucket being filled
        self._epoch = [-1] * n
        self._verdicts = [0] * (n * _NS)
        self._latency = [0] * (n * _BINS)
        self._queue_s = [0.0] * n
        self._queue_n = [0] * n
        self._run_s = [0.0] * n
        self._run_n = [0] * n
        self._reward_s = [0.0] * n
        self._reward_n = [0] * n
        self._gauges = [0.0] * (n * _NG)
        self._sampled = [False] * n
        self.totals = [0] * _NS  # since start, by status code
        self._window = window
        self._count = 0  # samples ever recorded; the newest is at (count - 1) % window
        self._status = array("b", [0]) * window
        self._reward = array("d", [0.0]) * window
        self._time = array("d", [0.0]) * window
        self._reason: list[str | None] = [None] * window  # full reason of an explained status
        self._same_reward = 0.0
        self._same_run = 0

    def _slot(self, now: float) -> int:
        bucket = int(now // self.bucket_s)
        slot = bucket % self.slots
        if self._epoch[slot] != bucket:
            self._epoch[slot] = bucket
            self._verdicts[slot * _NS : (slot + 1) * _NS] = [0] * _NS
            self._latency[slot * _BINS : (slot + 1) * _BINS] = [0] * _BINS
            self._gauges[slot * _NG : (slot + 1) * _NG] = [0.0] * _NG
            self._queue_s[slot] = self._run_s[slot] = self._reward_s[slot] = 0.0
            self._queue_n[slot] = self._run_n[slot] = self._reward_n[slot] = 0
            self._sampled[slot] = False
        return slot

    # -- the hot path --------------------------------------------------------------------------

    def record(self, verdict: Verdict, elapsed_s: float, now: float) -> None:
        """One verdict, `elapsed_s` after its sample arrived; `now` is `time.perf_counter()`."""
        code = _CODE[verdict.status]
        slot = self._slot(now)
        self._verdicts[slot * _NS + code] += 1
        self._latency[slot * _BINS + bisect_right(LATENCY_EDGES_S, elapsed_s)] += 1
        self.totals[code] += 1
        i = self._count % self._window
        self._count += 1
        self._status[i] = code
        self._time[i] = now
        self._reason[i] = reason_of(verdict) if code in _EXPLAINED_CODES else None
        if code != _INFRA:
            reward = verdict.reward
            self._reward[i] = reward
            self._reward_s[slot] += reward
            self._reward_n[slot] += 1
            if self._same_run and reward == self._same_reward:
                self._same_run += 1
            else:
                self._same_reward, self._same_run = reward, 1

    def record_queue(self, total_s: float, items: int, now: float) -> None:
        """The summed queue waits of the `items` of a batch that starts now."""
        slot = self._slot(now)
        self._queue_s[slot] += total_s
        self._queue_n[slot] += items

    def record_run(self, seconds: float, items: int, now: float) -> None:
        """A batch of `items` that spent `seconds` in its verifier."""
        slot = self._slot(now)
        self._run_s[slot] += seconds * items
        self._run_n[slot] += items

    # -- once a second -----------------------------------------------------------------------

    def sample(self, now: float, **gauges: float) -> None:
        """Admission and pool state, by the names in GAUGES (`restarts`: since the last sample)."""
        slot = self._slot(now)
        base = slot * _NG
        first = not self._sampled[slot]
        self._sampled[slot] = True
        for k, (name, how) in enumerate(GAUGES):
            value = gauges.get(name)
            if value is None:
                continue
            old = self._gauges[base + k]
            if first:
                self._gauges[base + k] = value
            elif how == "max":
                self._gauges[base + k] = max(old, value)
            elif how == "min":
                self._gauges[base + k] = min(old, value)
            else:
                self._gauges[base + k] = old + value

    def window(self, now: float, max_age_s: float) -> Window:
        """The recent samples no older than `max_age_s`, summed up. Runs once a second per domain:
        the ring is time-ordered, so the age cut is a binary search and the counting runs in C."""
        w, count = self._window, self._count
        low, high = count - min(count, w), count  # logical indices; the first one young enough is sought
        while low < high:
            mid = (low + high) // 2
            if now - self._time[mid % w] > max_age_s:
                low = mid + 1
            else:
                high = mid
        codes, rewards, reasons = (
            self._span(self._status, low, count),
            self._span(self._reward, low, count),
            (self._span(self._reason, low, count)),
        )
        out = Window(samples=len(codes))
        out.statuses.update({_NAMES[c]: n for c, n in Counter(codes).items()})
        out.rewards = [r for c, r in zip(codes, rewards, strict=True) if c != _INFRA]
        kinds: dict[str, str] = {}
        for c, reason in zip(codes, reasons, strict=True):
            if reason is not None:
                kind = kinds.get(reason)
                if kind is None:
                    kind = kinds[reason] = reason_kind(reason)
                out.reasons.setdefault(_NAMES[c], Counter())[kind] += 1
                out.examples.setdefault(kind, reason)
        if out.rewards:  # the run of equal rewards may be longer than the window: the ring counts it exactly
            out.same_reward, out.same_run = self._same_reward, self._same_run
        return out

    def _span(self, ring: Any, start: int, stop: int) -> Any:
        """Logical indices [start, stop) of a ring (they may wrap), oldest first."""
        w = self._window
        a, b = start % w, stop % w
        if stop - start == 0:
            return ring[0:0]
        if a < b:
            return ring[a:b]
        return ring[a:] + ring[:b]

    def series(self, now: float) -> dict[str, Any]:
        """The timeline, oldest bucket first, as columns; the last bucket is the one being filled.
        Rates are per second of the bucket's elapsed time; empty buckets give None (a gap)."""
        current = int(now // self.bucket_s)
        rates: list[list[float]] = [[] for _ in STATUSES]
        cols: dict[str, list[float | None]] = {
            k: [] for k in ("p50_s", "p99_s", "queue_s", "run_s", "reward_mean", *(name for name, _ in GAUGES))
        }
        p50, p99 = cols["p50_s"], cols["p99_s"]
        verdicts, latency, gauges = self._verdicts, self._latency, self._gauges
        for bucket in range(current - self.slots + 1, current + 1):
            slot = bucket % self.slots
            if self._epoch[slot] != bucket:  # nothing recorded in it: zero rates, gaps elsewhere
                for rate in rates:
                    rate.append(0.0)
                for column in cols.values():
                    column.append(None)
                continue
            span = max(1e-3, min(self.bucket_s, now - bucket * self.bucket_s))
            for k in range(_NS):
                rates[k].append(round(verdicts[slot * _NS + k] / span, 3))
            low, high = _quantiles(latency[slot * _BINS : (slot + 1) * _BINS], 0.5, 0.99)
            p50.append(low)
            p99.append(high)
            cols["queue_s"].append(_mean(self._queue_s[slot], self._queue_n[slot]))
            cols["run_s"].append(_mean(self._run_s[slot], self._run_n[slot]))
            cols["reward_mean"].append(_mean(self._reward_s[slot], self._reward_n[slot]))
            sampled = self._sampled[slot]
            for k, (name, _) in enumerate(GAUGES):
                cols[name].append(gauges[slot * _NG + k] if sampled else None)
        return {"rates": dict(zip(_NAMES, rates, strict=True)), **cols}

    def active_since(self, now: float) -> bool:
        """Whether this domain saw a sample within the timeline's reach."""
        if not self._count:
            return False
        return now - self._time[(self._count - 1) % self._window] <= self.slots * self.bucket_s


class Stats:
    """Every domain's `DomainStats`, created on first use."""

    def __init__(self, stats: StatsSettings, health: HealthSettings) -> None:
        self.settings = stats
        self._window = health.window
        self.domains: dict[str, DomainStats] = {}

    def domain(self, name: str) -> DomainStats:
        found = self.domains.get(name)
        if found is None:
            found = self.domains[name] = DomainStats(name, self.settings, self._window)
        return found

    def bucket_starts(self, now: float) -> list[float]:
        """Start of each timeline bucket relative to `now` (seconds, negative), oldest first."""
        width = self.settings.bucket_s
        current = int(now // width)
        slots = math.ceil(self.settings.history_s / width) + 1
        return [round(b * width - now, 3) for b in range(current - slots + 1, current + 1)]


def _mean(total: float, n: int) -> float | None:
    return round(total / n, 6) if n else None


def _quantiles(hist: Sequence[int], *qs: float) -> tuple[float | None, ...]:
    """Quantiles of a LATENCY_EDGES_S histogram, linear within the bin (as Prometheus does)."""
    n = sum(hist)
    if not n:
        return (None,) * len(qs)
    out = []
    for q in qs:
        rank, seen, value = q * n, 0, LATENCY_EDGES_S[-1]
        for b, c in enumerate(hist):
            if c and seen + c >= rank:
                low = LATENCY_EDGES_S[b - 1] if b else 0.0
                high = LATENCY_EDGES_S[b] if b < len(LATENCY_EDGES_S) else LATENCY_EDGES_S[-1] * 2
                value = round(low + (high - low) * (rank - seen) / c, 6)
                break
            seen += c
        out.append(value)
    return tuple(out)


def reward_summary(rewards: Sequence[float]) -> dict[str, float]:
    """Mean, (population) std, min and max, in floats (`statistics.pstdev` is exact, and 50x slower)."""
    mean = math.fsum(rewards) / len(rewards)
    std = math.sqrt(math.fsum((r - mean) ** 2 for r in rewards) / len(rewards))
    return {"mean": mean, "std": std, "min": min(rewards), "max": max(rewards)}


def histogram(values: Sequence[float], bins: int = 20) -> dict[str, Any]:
    """A reward histogram: one bar per value when there are few distinct values (0/1 rewards, SWE's
    -1/0/1), else `bins` equal-width bins between the extremes."""
    if not values:
        return {"values": [], "counts": []}
    distinct = Counter(values)
    if len(distinct) <= 12:
        keys = sorted(distinct)
        return {"values": keys, "counts": [distinct[k] for k in keys]}
    low, high = min(values), max(values)
    width = (high - low) / bins
    counts = [0] * bins
    for v in values:
        counts[min(bins - 1, int((v - low) / width))] += 1
    return {"edges": [round(low + width * k, 6) for k in range(bins + 1)], "counts": counts}

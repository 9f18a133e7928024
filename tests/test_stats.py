"""Per-domain statistics and the warning rules, on real verdicts (no service needed)."""

from __future__ import annotations

import logging

import pytest

from verifiers.health import Warnings, assess
from verifiers.metrics import Metrics
from verifiers.settings import HealthSettings, StatsSettings
from verifiers.stats import DomainStats, Window, histogram, reason_kind
from verifiers.text import NO_FINAL_ANSWER
from verifiers.verdict import Status, Verdict
from verifiers.verifier import Readiness

CORRECT = Verdict.binary(True)
WRONG = Verdict.binary(False)
NO_BOX = Verdict.failed(Status.FORMAT_ERROR, "no answer could be extracted")
CUT = Verdict.failed(Status.FORMAT_ERROR, NO_FINAL_ANSWER)
SANDBOX = Verdict.failed(Status.INFRA_ERROR, "sandbox failed: failed on two runners, last: runner exited")


def _stats(window: int = 100, bucket_s: float = 1.0, history_s: float = 10.0) -> DomainStats:
    return DomainStats("math", StatsSettings(bucket_s=bucket_s, history_s=history_s), window)


def test_reason_kind_groups_instances_of_one_reason() -> None:
    assert reason_kind("bad label: tests.inputs must be a list") == "bad label"
    assert reason_kind("\\boxed{} answer longer than 1000 characters") == "\\boxed{} answer longer than N characters"
    assert reason_kind("answer longer than swe.max_patch_chars (40000 > 32000)") == \
        reason_kind("answer longer than swe.max_patch_chars (33000 > 32000)")
    assert reason_kind(NO_FINAL_ANSWER) == NO_FINAL_ANSWER


def test_window_keeps_the_newest_samples_and_counts_reasons() -> None:
    ds = _stats(window=50)
    for i in range(120):
        ds.record(NO_BOX if i >= 80 else CORRECT, 0.01, now=100.0 + i * 0.01)
    w = ds.window(now=102.0, max_age_s=60)
    assert w.samples == 50
    assert w.statuses == {"correct": 10, "format_error": 40}
    assert w.top_reasons("format_error") == [("no answer could be extracted", 40, "no answer could be extracted")]
    assert ds.totals[0] == 80  # since start: every sample, not just the window


def test_window_drops_samples_older_than_max_age() -> None:
    ds = _stats()
    for i in range(30):
        ds.record(NO_BOX, 0.01, now=10.0 + i)
    assert ds.window(now=40.0, max_age_s=5).samples == 5  # t = 35..39
    assert ds.window(now=1000.0, max_age_s=5).samples == 0


def test_same_reward_run_spans_more_than_the_window_and_ignores_masked_samples() -> None:
    ds = _stats(window=10)
    for _ in range(30):
        ds.record(WRONG, 0.01, now=1.0)
        ds.record(SANDBOX, 0.01, now=1.0)
    w = ds.window(now=1.0, max_age_s=60)
    assert (w.same_reward, w.same_run) == (0.0, 30)
    ds.record(CORRECT, 0.01, now=1.0)
    w = ds.window(now=1.0, max_age_s=60)
    assert (w.same_reward, w.same_run) == (1.0, 1)


def test_timeline_rates_latency_and_bucket_reuse() -> None:
    ds = _stats(bucket_s=1.0, history_s=4.0)  # 5 slots
    for i in range(10):
        ds.record(CORRECT if i % 2 else WRONG, 0.004, now=3.5)
    ds.record_queue(0.02, 10, now=3.5)
    ds.record_run(0.05, 10, now=3.5)
    ds.sample(3.5, admitted=7, waiting=1, queued=3, workers_alive=2, workers=2, restarts=0)
    ds.sample(3.6, admitted=4, waiting=0, queued=1, workers_alive=1, workers=2, restarts=1)
    s = ds.series(now=4.2)
    assert len(s["p50_s"]) == 5
    assert s["rates"]["correct"][-2] == 5.0 and s["rates"]["incorrect"][-2] == 5.0
    assert 0.002 < s["p50_s"][-2] <= 0.005
    assert s["queue_s"][-2] == pytest.approx(0.002) and s["run_s"][-2] == pytest.approx(0.05)
    assert (s["admitted"][-2], s["workers_alive"][-2], s["restarts"][-2]) == (7, 1, 1)  # max, min, sum
    assert s["p50_s"][-1] is None and s["rates"]["correct"][-1] == 0.0  # the bucket being filled is empty
    later = ds.series(now=9.2)  # five seconds on, the ring has come round: the old counts are gone
    assert sum(later["rates"]["correct"]) == 0.0 and all(v is None for v in later["admitted"])


def test_histogram_is_discrete_for_few_values_and_binned_otherwise() -> None:
    assert histogram([0.0, 1.0, 1.0, -1.0]) == {"values": [-1.0, 0.0, 1.0], "counts": [1, 1, 2]}
    binned = histogram([i / 100 for i in range(100)], bins=10)
    assert binned["counts"] == [10] * 10 and binned["edges"][0] == 0.0
    assert histogram([]) == {"values": [], "counts": []}


def _window(*verdicts: Verdict) -> Window:
    w = Window()
    for v in verdicts:
        w.add(v.status, v.reward, v.details.get("reason") if v.status is not Status.CORRECT else None)
    return w


def test_rules_name_the_reasons_and_respect_thresholds() -> None:
    settings = HealthSettings(min_samples=10, format_error_share=0.3)
    kinds = lambda ws: sorted(w.kind for w in ws)  # noqa: E731
    assert kinds(assess("math", _window(*[CORRECT, WRONG] * 10, *[NO_BOX] * 5), None, settings)) == []
    warned = assess("math", _window(*[CORRECT] * 10, *[NO_BOX] * 6, *[CUT] * 4), None, settings)
    assert kinds(warned) == ["format_error"]
    (w,) = warned
    assert "10 of 20 samples (50%)" in w.seen
    assert [(r, n) for r, n, _ in w.reasons] == [("no answer could be extracted", 6), (NO_FINAL_ANSWER, 4)]
    assert "never closes" in w.causes[0]  # the unterminated-thinking cause leads when seen
    assert kinds(assess("math", _window(*[CORRECT] * 10), None, settings)) == []
    assert kinds(assess("code", _window(*[CORRECT] * 17, *[SANDBOX] * 3), None, settings)) == ["infra_error"]
    assert kinds(assess("math", _window(*[NO_BOX] * 5), None, settings)) == []  # below min_samples
    not_ready = assess("code", Window(), Readiness(False, {"runners_alive": 0}), settings)
    assert [(w.kind, w.severity) for w in not_ready] == [("not_ready", "critical")]
    assert "runners_alive=0" in not_ready[0].seen


def test_same_reward_rule() -> None:
    settings = HealthSettings(same_reward_samples=20)
    assert [w.kind for w in assess("math", _window(*[WRONG] * 20), None, settings)] == ["same_reward"]
    assert assess("math", _window(*[WRONG] * 19), None, settings) == []
    assert assess("math", _window(*[WRONG] * 30, CORRECT), None, settings) == []


def test_warnings_log_once_on_start_and_once_on_clear_and_gauge(caplog: pytest.LogCaptureFixture) -> None:
    metrics = Metrics()
    active = Warnings(metrics)
    settings = HealthSettings(same_reward_samples=20)

    def gauge() -> float | None:
        return metrics.registry.get_sample_value("verifiers_warning", {"domain": "math", "kind": "same_reward"})

    with caplog.at_level(logging.WARNING, logger="verifiers.health"):
        for _ in range(3):  # judged again and again: logged once
            active.update(assess("math", _window(*[WRONG] * 30), None, settings))
        assert gauge() == 1.0 and [w["kind"] for w in active.to_json()] == ["same_reward"]
        active.update(assess("math", _window(*[CORRECT] * 30), None, settings))  # all 1 now: a new warning
        active.update([])
    messages = [r.getMessage() for r in caplog.records]
    assert [m.split(":")[0] for m in messages] == ["[math] same_reward", "[math] same_reward cleared after 0 s",
                                                    "[math] same_reward", "[math] same_reward cleared after 0 s"]
    assert "all 0" in messages[0] and "all 1" in messages[2] and "Likely:" in messages[0]
    assert gauge() == 0.0 and active.to_json() == []

"""The error model (verifiers/errors.py): every infrastructure failure shares one base, and one rule
turns what a check raised into its verdict."""

from __future__ import annotations

import logging

import pytest

from sandbox.backends.base import HostFailure
from verifiers.domains.rm.backend import BackendError
from verifiers.errors import (
    ActorLost,
    BadInput,
    DomainUnavailable,
    InfraFailure,
    LabelError,
    TaskFailed,
    TaskTimeout,
    UnknownDomain,
    WorkerCrashed,
    failure_verdict,
)
from verifiers.judge import JudgeFailure
from verifiers.verdict import Status


@pytest.mark.parametrize(
    "failure", [WorkerCrashed, TaskFailed, ActorLost, DomainUnavailable, HostFailure, BackendError, JudgeFailure]
)
def test_an_infrastructure_failure_is_a_masked_infra_error(failure: type[Exception]) -> None:
    assert issubclass(failure, InfraFailure)
    verdict = failure_verdict(failure("runner died twice"), "sandbox")
    assert (verdict.status, verdict.mask, verdict.reward) == (Status.INFRA_ERROR, True, 0.0)
    assert verdict.details["reason"] == "sandbox failed: runner died twice"


def test_the_samples_own_overrun_is_an_unmasked_timeout() -> None:
    verdict = failure_verdict(TaskTimeout("no result within 5 s"), "math check")
    assert (verdict.status, verdict.mask) == (Status.TIMEOUT, False)
    assert verdict.details["reason"] == "math check overran: no result within 5 s"


def test_a_bug_of_ours_is_masked_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="verifiers.errors"):
        verdict = failure_verdict(KeyError("answer"), "math check")
    assert (verdict.status, verdict.mask) == (Status.INFRA_ERROR, True)
    assert verdict.details["reason"] == "math check crashed: KeyError: 'answer'"
    assert caplog.records[0].exc_info is not None  # the traceback is in the log


def test_bad_input_names_what_is_wrong() -> None:
    assert issubclass(LabelError, BadInput) and issubclass(UnknownDomain, BadInput)
    error = LabelError("math", [{"loc": ("answer",), "msg": "Field required", "type": "missing"}])
    assert str(error) == "invalid math label: answer: Field required"
    assert str(LabelError.single(None, "the label is empty")) == "invalid label: the label is empty"
    assert str(UnknownDomain("chemistry", ["math"])) == "unknown domain 'chemistry'; this server serves ['math']"

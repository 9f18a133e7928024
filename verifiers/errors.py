"""The service's exceptions, and the one rule that turns a failed check into its verdict.

    Exception
    ├── InfraFailure        we failed, not the sample: masked `infra_error`
    │   │                   (defined in sandbox/errors.py, re-exported here: see below)
    │   ├── WorkerCrashed                     a killable worker died twice under a task, or did not start
    │   ├── TaskFailed                        a worker's function raised: a bug of ours, not a verdict
    │   ├── ActorLost                         the Ray actor holding a call died
    │   ├── DomainUnavailable                 a registered domain cannot load (missing optional dependency)
    │   ├── sandbox.backends.base.HostFailure a sandbox runner died, hung or answered garbage
    │   ├── domains.rm.backend.BackendError   the reward model cannot score
    │   └── judge.JudgeFailure                an LLM judge gave no usable answer (its domain's `fallback` decides)
    ├── TaskTimeout         the sample's own check overran its hard deadline: `timeout`, not masked
    ├── BadInput (ValueError)   what the caller sent cannot become a sample: 422 on /score, `error`
    │   │                       on /get_reward, exit status 2 from `verifiers score`
    │   ├── LabelError          a label that breaks the label rule (verifiers/labels.py) or its domain's schema
    │   └── UnknownDomain       a domain this server does not serve
    ├── PayloadTooLarge     a request body over `server.max_body_bytes`: 413
    └── Overloaded          a domain holds its maximum of items: 429 with Retry-After

    DeprecationWarning
    └── SettingRenamed      a setting given by its old name (accepted for one more release)

Inside a domain, a problem of the sample itself is a verdict, not an exception that leaves the
verifier: ifeval's `InstructionError` (bad instruction arguments: `error`), swe's `PatchError` and
`NoAnswer` (an unparseable answer: reward -1).

`InfraFailure` is the one base class outside this module: `sandbox/` runs alone in the sandbox image
and must not import `verifiers`, so its `HostFailure` derives from `sandbox.errors.InfraFailure`,
which this module re-exports as the root of the service's tree rather than wrapping or registering
it (an `except` clause matches only real subclasses, never `ABC.register`-ed ones).

`failure_verdict` is the one place an exception becomes a verdict: every verifier's call into its
pool, and the engine's backstop for a verifier that raises, go through it.
"""

from __future__ import annotations

import logging
from typing import Any

from sandbox.errors import InfraFailure
from verifiers.verdict import Status, Verdict

__all__ = [
    "ActorLost",
    "BadInput",
    "DomainUnavailable",
    "InfraFailure",
    "LabelError",
    "Overloaded",
    "PayloadTooLarge",
    "SettingRenamed",
    "TaskFailed",
    "TaskTimeout",
    "UnknownDomain",
    "WorkerCrashed",
    "failure_verdict",
]

log = logging.getLogger(__name__)


# -- infrastructure ------------------------------------------------------------------------------


class WorkerCrashed(InfraFailure):
    """A killable worker died under the task twice (or could not be started)."""


class TaskFailed(InfraFailure):
    """The worker's function raised; carries its message (a bug in the function, not a verdict)."""


class ActorLost(InfraFailure):
    """The Ray actor that held the call died (its node was lost, its process killed)."""


class DomainUnavailable(InfraFailure):
    """A registered domain whose module cannot be imported (missing optional dependency)."""


# -- the sample's own deadline -------------------------------------------------------------------


class TaskTimeout(Exception):
    """The sample's check overran its deadline; its worker was killed."""


# -- the caller's input --------------------------------------------------------------------------


class BadInput(ValueError):
    """Input that cannot become a sample; the message says what and where."""


class LabelError(BadInput):
    """A label that does not fit the label rule or its domain's schema. `errors` use pydantic's shape
    (`loc` relative to the label, `msg`, `type`) so the HTTP layer can point at the field."""

    def __init__(self, domain: str | None, errors: list[dict[str, Any]]) -> None:
        self.domain = domain
        self.errors = errors
        where = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" if e["loc"] else e["msg"] for e in errors)
        super().__init__(f"invalid {domain} label: {where}" if domain else f"invalid label: {where}")

    @classmethod
    def single(cls, domain: str | None, message: str, loc: tuple[str | int, ...] = ()) -> LabelError:
        """One problem, for the label as a whole (`loc` empty) or one of its fields."""
        return cls(domain, [{"loc": loc, "msg": message, "type": "value_error"}])


class UnknownDomain(BadInput):
    def __init__(self, domain: str, served: list[str]) -> None:
        self.domain = domain
        super().__init__(f"unknown domain {domain!r}; this server serves {sorted(served)}")


# -- limits of the service -----------------------------------------------------------------------


class PayloadTooLarge(Exception):
    """A request body over the limit; the message names the limit and the setting that raises it."""

    def __init__(self, limit: int, size: int | None) -> None:
        self.limit = limit
        body = f"request body of {size} bytes" if size is not None else "request body"
        super().__init__(
            f"{body} exceeds the limit of {limit} bytes "
            "(server.max_body_bytes, environment variable VERIFIERS_SERVER__MAX_BODY_BYTES)"
        )


class Overloaded(Exception):
    """A request that does not fit under a domain's bound right now (`engine.max_items_per_domain`)."""

    def __init__(self, domain: str, admitted: int, capacity: int, retry_after_s: float) -> None:
        self.domain = domain
        self.retry_after_s = retry_after_s
        super().__init__(f"domain {domain!r} is at capacity ({admitted} of {capacity} items admitted); retry later")


class SettingRenamed(DeprecationWarning):
    """A setting given by its old name; the message names the new one. `verifiers` shows these
    (Python hides a DeprecationWarning raised outside `__main__` by default)."""


# -- exception -> verdict ------------------------------------------------------------------------


def failure_verdict(exc: BaseException, what: str) -> Verdict:
    """The verdict of a sample whose check raised `exc`; `what` names the part that failed
    ("math worker", "sandbox"). Only the sample's own overrun is unmasked: anything else, a bug of
    ours included, says nothing about the policy and is a masked `infra_error`."""
    if isinstance(exc, TaskTimeout):
        return Verdict.failed(Status.TIMEOUT, f"{what} overran: {exc}")
    if isinstance(exc, InfraFailure):
        return Verdict.failed(Status.INFRA_ERROR, f"{what} failed: {exc}")
    log.error("%s crashed", what, exc_info=exc)
    return Verdict.failed(Status.INFRA_ERROR, f"{what} crashed: {type(exc).__name__}: {exc}")

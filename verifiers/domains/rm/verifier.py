"""The `rm` domain: the raw Bradley-Terry score of the final assistant turn.

`reward` is the raw score (what RLHF trains on, and what `if_rm` normalises over a group); `score`
is sigmoid(reward), a 0..1 value for dynamic filtering. The thinking trace is stripped first
unless `rm.strip_thinking` is off; an unterminated one is a `format_error`. A scored sample has
status `correct` (the taxonomy's "graded successfully"); the number is in `reward`.

The backend is built at start-up. torch is imported only by the local backend, so a service
without it starts, serves the other domains, and answers `rm` items with an `infra_error` that
says what to install.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from verifiers.domains.rm.backend import BackendError, Conversation, RewardBackend, Scored
from verifiers.domains.rm.conversation import prompt_messages
from verifiers.domains.rm.label import RMLabel
from verifiers.domains.rm.settings import RMSettings
from verifiers.sample import Sample
from verifiers.text import NO_FINAL_ANSWER, final_answer
from verifiers.verdict import Status, Verdict
from verifiers.verifier import BatchPolicy, Readiness, Verifier, VerifierContext

_INSTALL_HINT = "pip install 'cascade-verifiers[rm]'"


def build_backend(settings: RMSettings) -> RewardBackend:
    """The configured backend; raises BackendError saying what is missing."""
    if settings.backend == "vllm":
        from verifiers.domains.rm.vllm import VLLMRewardModel

        return VLLMRewardModel(settings.vllm)
    if not settings.local.model_path:
        raise BackendError("the rm domain is not configured: set rm.local.model_path, or rm.backend=vllm")
    try:
        from verifiers.domains.rm.local import LocalRewardModel
    except ImportError as exc:
        raise BackendError(f"the local rm backend needs torch and transformers ({exc}): {_INSTALL_HINT}") from exc
    return LocalRewardModel(settings.local, settings.max_batch_size)


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


class RMVerifier(Verifier[RMLabel]):
    domain = "rm"
    label_model = RMLabel
    settings: RMSettings

    def __init__(self, ctx: VerifierContext) -> None:
        super().__init__(ctx)
        self.backend: RewardBackend | None = None
        self._unusable: str | None = None

    async def start(self) -> None:
        try:
            self.backend = build_backend(self.settings)
            await self.backend.start()
        except BackendError as exc:
            self.backend, self._unusable = None, str(exc)

    async def close(self) -> None:
        if self.backend is not None:
            await self.backend.close()

    def readiness(self) -> Readiness:
        if self.backend is None:
            # Unconfigured is a deployment choice, not an outage: the other domains stay ready.
            configured = self.settings.backend == "vllm" or bool(self.settings.local.model_path)
            return Readiness(not configured, {"configured": configured, "reason": self._unusable})
        ready, detail = self.backend.readiness()
        return Readiness(ready, {"backend": self.backend.name, **detail})

    def batch_policy(self) -> BatchPolicy:
        return BatchPolicy(self.settings.max_batch_size, self.settings.max_wait_ms / 1000)

    async def verify_batch(self, samples: Sequence[Sample[RMLabel]]) -> list[Verdict]:
        prepared = [self.conversation(s) for s in samples]
        todo = [c for c in prepared if not isinstance(c, Verdict)]
        scored = iter(await self._score(todo) if todo else [])
        return [p if isinstance(p, Verdict) else next(scored) for p in prepared]

    async def _score(self, conversations: list[Conversation]) -> list[Verdict]:
        if self.backend is None:
            return [Verdict.failed(Status.INFRA_ERROR, f"rm backend unavailable: {self._unusable}")] * len(
                conversations
            )
        try:
            scored = await self.backend.score(conversations)
        except BackendError as exc:
            return [Verdict.failed(Status.INFRA_ERROR, f"rm backend failed: {exc}")] * len(conversations)
        return [_verdict(s) for s in scored]

    def conversation(self, sample: Sample[RMLabel]) -> Conversation | Verdict:
        """The messages to score, or the verdict that says why there are none."""
        answer = final_answer(sample.response, sample.prompt) if self.settings.strip_thinking else sample.response
        if answer is None:
            return Verdict.failed(Status.FORMAT_ERROR, NO_FINAL_ANSWER)
        if sample.label.messages is not None:
            before = [m.model_dump() for m in sample.label.messages]
        elif sample.prompt is not None:
            before = prompt_messages(sample.prompt)
        else:
            return Verdict.failed(Status.ERROR, "rm needs the conversation: send `prompt` or `label.messages`")
        return [*before, {"role": "assistant", "content": answer.strip()}]


def _verdict(scored: Scored) -> Verdict:
    if scored.error is not None:
        return Verdict.failed(Status.INFRA_ERROR, f"rm backend failed: {scored.error}")
    if not math.isfinite(scored.reward):
        return Verdict.failed(Status.INFRA_ERROR, f"the reward model returned {scored.reward}")
    details: dict[str, Any] = {"rm_score": scored.reward}
    if scored.tokens is not None:
        details.update(tokens=scored.tokens, truncated=scored.truncated)
    return Verdict(Status.CORRECT, scored.reward, sigmoid(scored.reward), details)

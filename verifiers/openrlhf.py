"""OpenRLHF's remote-reward protocol, mapped onto engine samples and back.

OpenRLHF (0.9.1+) POSTs `{"query": [...], "prompts": [...], "labels": [...]}` once per generated
sample, retries 5 x 180 s on any non-2xx, then crashes the run. So this module never raises for a
sample's sake: every sample gets a verdict, failures are reported through `extra_logs`, and the
`extra_logs` key set is the same for every sample of the server's life (the trainer concatenates
per-key lists across samples and fails on a ragged key set).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from verifiers.engine import Engine
from verifiers.errors import BadInput, LabelError
from verifiers.labels import route_label
from verifiers.sample import Sample
from verifiers.verdict import Status, Verdict

_SPECIAL_TAIL_CHARS = 512


def trailing_special_tokens(special_tokens: str) -> re.Pattern[str]:
    """Regex matching a run of special tokens (and whitespace) at the end of a decoded text."""
    return re.compile(rf"(?:\s*(?:{special_tokens}))+\s*\Z")


def response_from_query(query: str, prompt: str | None, trailing_special: re.Pattern[str]) -> str:
    """The generated part of `query` (decoded prompt + response, special tokens kept).

    The prompt may have been left-truncated to fit the context, so `query` starts with *a suffix*
    of `prompt`; we find that overlap exactly, and fall back to the last occurrence of the
    prompt's tail if retokenisation changed the prompt's text.
    """
    response = query
    if prompt:
        if query.startswith(prompt):
            response = query[len(prompt) :]
        else:
            cut = _prompt_end(query, prompt)
            if cut is not None:
                response = query[cut:]
    # Only the tail can hold trailing special tokens; searching 32 KB for an end-anchored
    # pattern costs about a millisecond per request on the hot path.
    tail_start = max(0, len(response) - _SPECIAL_TAIL_CHARS)
    m = trailing_special.search(response, tail_start)
    return response[: m.start()] if m else response


def _prompt_end(query: str, prompt: str) -> int | None:
    head = query[:16]  # short, so it lies inside the kept part of even a heavily truncated prompt
    k = prompt.find(head)
    while k >= 0:
        if query.startswith(prompt[k:]):
            return len(prompt) - k
        k = prompt.find(head, k + 1)
    anchor = prompt[-min(len(prompt), 64) :]
    at = query.rfind(anchor, 0, len(prompt) + len(anchor))
    return at + len(anchor) if at >= 0 else None


def extra_log_keys(domains: Sequence[str]) -> list[str]:
    """The fixed numeric key set: one flag per verdict status and per served domain."""
    return [f"verifier_{s.value}" for s in Status] + [f"domain_{d}" for d in domains]


class OpenRLHFAdapter:
    """Turns one OpenRLHF request into engine samples and the verdicts into its reply."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        cfg = engine.settings.openrlhf
        self._default_domain = cfg.default_domain
        self._infra_reward = cfg.infra_error_reward
        self._special = trailing_special_tokens(cfg.special_tokens_pattern)

    async def get_reward(self, query: Sequence[str], prompts: Sequence[str], labels: Sequence[Any]) -> dict[str, Any]:
        n = len(query)
        prepared: list[Sample[Any] | Verdict] = []
        domains: list[str | None] = []
        for i in range(n):
            item, domain = self._prepare(
                query[i], prompts[i] if i < len(prompts) else None, labels[i] if i < len(labels) else None
            )
            prepared.append(item)
            domains.append(domain)
        samples = [p for p in prepared if isinstance(p, Sample)]
        scored = iter(await self.engine.score(samples))
        verdicts = [p if isinstance(p, Verdict) else next(scored) for p in prepared]
        return self.reply(verdicts, domains)

    def _prepare(self, query: str, prompt: str | None, raw_label: Any) -> tuple[Sample[Any] | Verdict, str | None]:
        """A sample, or the `error` verdict of a label that cannot become one (OpenRLHF gets no 422)."""
        response = response_from_query(query, prompt, self._special)
        try:
            routed = route_label(raw_label, self._default_domain)
            sample = self.engine.sample(
                routed.domain, response, routed.payload, prompt=prompt, group_id=routed.group_id
            )
        except LabelError as exc:
            return Verdict.failed(Status.ERROR, str(exc), errors=exc.errors), None
        except BadInput as exc:
            return Verdict.failed(Status.ERROR, str(exc)), None
        return sample, routed.domain

    def reply(self, verdicts: Sequence[Verdict], domains: Sequence[str | None]) -> dict[str, Any]:
        keys = extra_log_keys(self.engine.domains)
        logs: dict[str, list[float]] = {k: [] for k in keys}
        rewards: list[float] = []
        scores: list[float] = []
        for verdict, domain in zip(verdicts, domains, strict=True):
            rewards.append(self._infra_reward if verdict.mask else float(verdict.reward))
            scores.append(0.0 if verdict.mask else min(1.0, max(0.0, float(verdict.score))))
            for s in Status:
                logs[f"verifier_{s.value}"].append(1.0 if verdict.status is s else 0.0)
            for d in self.engine.domains:
                logs[f"domain_{d}"].append(1.0 if domain == d else 0.0)
        return {"rewards": rewards, "scores": scores, "extra_logs": logs}

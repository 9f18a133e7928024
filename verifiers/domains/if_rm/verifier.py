"""The `if_rm` domain: r = R_IF + sigmoid(z(R_RM)) if R_IF = 1 else 0, normalised per prompt group.

It composes two peers (`if_rm.if_domain`, default `ifeval`; `if_rm.rm_domain`, default `rm`): the
IF verdict first, then RM scores for the samples that enter the normalisation, then each sample
joins its group (`group_id`, else the prompt text) and waits for the rest of the group or the
group deadline (`groups.py`). The reward arithmetic is in `reward.py`. `details.group` says how
many samples of `group_size` arrived and what the statistics were computed over; a group cut by
its deadline says so in `details.group.partial`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from verifiers.domains.if_rm.groups import GroupHolder
from verifiers.domains.if_rm.reward import Member, combined_verdict, group_stats
from verifiers.domains.if_rm.settings import IfRmSettings
from verifiers.domains.rm.label import Message
from verifiers.errors import UnknownDomain, failure_verdict
from verifiers.sample import Sample
from verifiers.verdict import Status, Verdict
from verifiers.verifier import BatchPolicy, Readiness, Verifier, VerifierContext


class IfRmLabel(BaseModel):
    """The IF label (`instruction_id_list`, `kwargs`, checked by the IF domain) plus `group_size`.

    `messages` (optional) is handed to the RM as the conversation before the response.
    """

    model_config = ConfigDict(extra="allow")

    group_size: int = Field(ge=1, le=4096, description="G: rollouts of this prompt to normalise over.")
    messages: list[Message] | None = Field(
        None, min_length=1, description="The conversation before the response, for the RM (see the rm label)."
    )


class IfRmVerifier(Verifier[IfRmLabel]):
    domain = "if_rm"
    label_model = IfRmLabel
    settings: IfRmSettings  # its group deadline fits the engine's backstop: `Settings` checks it

    def __init__(self, ctx: VerifierContext) -> None:
        super().__init__(ctx)
        self.groups: GroupHolder[Member] = GroupHolder(self.settings.group_deadline_s)

    def batch_policy(self) -> BatchPolicy:
        return BatchPolicy(self.settings.max_batch_size, self.settings.max_wait_ms / 1000)

    def readiness(self) -> Readiness:
        detail: dict[str, Any] = {"open_groups": self.groups.open_groups}
        ready = True
        for name in (self.settings.if_domain, self.settings.rm_domain):
            try:
                peer = self.ctx.peer(name).readiness()
            except UnknownDomain:  # not configured, like an rm without a model: its items say so
                detail[name] = "not served"
                continue
            detail[name] = "ready" if peer.ready else "not ready"
            ready = ready and peer.ready
        return Readiness(ready, detail)

    async def verify_batch(self, samples: Sequence[Sample[IfRmLabel]]) -> list[Verdict]:
        try:
            if_peer, rm_peer = self.ctx.peer(self.settings.if_domain), self.ctx.peer(self.settings.rm_domain)
        except UnknownDomain as exc:
            return [Verdict.failed(Status.INFRA_ERROR, f"if_rm needs its peer domains: {exc}")] * len(samples)
        r_if = await self._if_verdicts(if_peer, samples)
        judged = (Status.CORRECT,) if self.settings.normalize_over == "passing" else (Status.CORRECT, Status.INCORRECT)
        need_rm = [i for i, v in enumerate(r_if) if v.status in judged]
        rm = await _peer_verdicts(rm_peer, [self._rm_sample(rm_peer, samples[i]) for i in need_rm])
        rm_of: dict[int, Verdict] = dict(zip(need_rm, rm, strict=True))
        members = [Member(r_if[i], rm_of.get(i)) for i in range(len(samples))]
        return list(await asyncio.gather(*(self._in_group(s, m) for s, m in zip(samples, members, strict=True))))

    async def _if_verdicts(self, if_peer: Verifier[Any], samples: Sequence[Sample[IfRmLabel]]) -> list[Verdict]:
        """The IF peer's verdicts; a label the IF domain rejects is an `error` naming the field."""
        out: list[Verdict | None] = []
        todo: list[Sample[Any]] = []
        for s in samples:
            # The label's own fields are the IF label; the transport keys (`domain`, `group_id`) are
            # not among them: the label rule (verifiers/labels.py) took them out before validation.
            try:
                label = if_peer.label_model.model_validate(s.label.model_extra or {})
            except ValidationError as exc:
                where = "; ".join(f"label.{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
                out.append(Verdict.failed(Status.ERROR, f"invalid {if_peer.domain} part of the if_rm label: {where}"))
                continue
            out.append(None)
            todo.append(Sample(if_peer.domain, s.response, label, prompt=s.prompt, group_id=s.group_id))
        done = iter(await _peer_verdicts(if_peer, todo))
        return [v if v is not None else next(done) for v in out]

    @staticmethod
    def _rm_sample(rm_peer: Verifier[Any], sample: Sample[IfRmLabel]) -> Sample[Any]:
        messages = sample.label.messages
        label = rm_peer.label_model.model_validate(
            {} if messages is None else {"messages": [m.model_dump() for m in messages]}
        )
        return Sample(rm_peer.domain, sample.response, label, prompt=sample.prompt, group_id=sample.group_id)

    async def _in_group(self, sample: Sample[IfRmLabel], member: Member) -> Verdict:
        key, kind = _group_key(sample)
        expected = sample.label.group_size if key is not None else 1
        members: tuple[Member, ...]
        if key is None:
            members, index = (member,), 0
            complete = True
        else:
            group, index = await self.groups.join(key, expected, member)
            members, complete = group.members, group.complete
        stats = group_stats(members, self.settings.normalize_over, self.settings.std_epsilon)
        info: dict[str, Any] = {
            "key": kind,
            "group_size": expected,
            "arrived": len(members),
            "index": index,
            "complete": complete,
            **stats.to_details(),
        }
        if not complete:
            info["partial"] = (
                f"{len(members)} of {expected} samples arrived within "
                f"{self.settings.group_deadline_s:g} s; normalised over those"
            )
        return combined_verdict(member, stats, info)


def _group_key(sample: Sample[Any]) -> tuple[str | None, str]:
    if sample.group_id is not None:
        return f"group_id:{sample.group_id}", "group_id"
    if sample.prompt is not None:
        return f"prompt:{sample.prompt}", "prompt"
    return None, "none (no group_id or prompt: scored alone)"


async def _peer_verdicts(peer: Verifier[Any], samples: list[Sample[Any]]) -> list[Verdict]:
    """A peer's verdicts; a peer that crashes gives `infra_error`s, so the group still forms."""
    if not samples:
        return []
    try:
        verdicts = await peer.verify_batch(samples)
    except Exception as exc:  # noqa: BLE001 - the engine would mask it; we must still join the group
        return [failure_verdict(exc, f"{peer.domain} verifier")] * len(samples)
    return verdicts

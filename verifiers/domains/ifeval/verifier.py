"""The ifeval domain: R_IF = 1 iff the final answer follows every instruction of the label.

The label is validated here, in the API process, so a bad label is an immediate `error` naming
the instruction and the argument. The checks themselves run in killable worker processes with a
per-item deadline (`settings.ifeval.item_timeout_s`).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from verifiers.domains.ifeval.args import InstructionError
from verifiers.domains.ifeval.catalog import Mode, bind_all
from verifiers.domains.ifeval.settings import IFEvalSettings
from verifiers.errors import failure_verdict
from verifiers.pools import WorkerPool, Workers
from verifiers.sample import Sample
from verifiers.text import NO_FINAL_ANSWER, final_answer
from verifiers.verdict import Status, Verdict
from verifiers.verifier import PooledVerifier


class IFEvalLabel(BaseModel):
    """NVIDIA / IFEval row fields; `kwargs[i]` goes with `instruction_id_list[i]`.

    open-instruct's ground truth names the list `instruction_id`; both spellings are accepted.
    Without `kwargs`, every instruction gets none (valid only for instructions without arguments).
    """

    # validate_by_name: the field's own name is one of its aliases anyway; saying so lets pydantic's
    # mypy plugin type __init__ by field name.
    model_config = ConfigDict(extra="ignore", validate_by_name=True)

    instruction_id_list: list[str] = Field(validation_alias=AliasChoices("instruction_id_list", "instruction_id"))
    kwargs: list[dict[str, Any] | None] | None = None
    mode: Literal["strict", "loose"] | None = Field(None, description="None: settings.ifeval.mode.")
    reward_mode: Literal["all", "fraction"] = Field(
        "all", description="all: reward 1 iff every instruction is followed; fraction: the share followed."
    )


class IFEvalVerifier(PooledVerifier[IFEvalLabel, WorkerPool]):
    domain = "ifeval"
    label_model = IFEvalLabel
    settings: IFEvalSettings
    pool_factory = Workers("ifeval", "verifiers.domains.ifeval.worker")

    async def verify(self, sample: Sample[IFEvalLabel]) -> Verdict:
        label = sample.label
        try:
            bind_all(label.instruction_id_list, _kwargs(label))
        except InstructionError as exc:
            return Verdict.failed(
                Status.ERROR, f"bad label: {exc}", instruction_id=exc.instruction_id, argument=exc.argument
            )
        answer = final_answer(sample.response, sample.prompt)
        if answer is None:
            return Verdict.failed(Status.FORMAT_ERROR, NO_FINAL_ANSWER)
        mode: Mode = label.mode or self.settings.mode
        try:
            followed = await self.pool.run(label.instruction_id_list, _kwargs(label), answer, mode)
        except Exception as exc:  # noqa: BLE001 - failure_verdict logs what is not an infrastructure failure
            return failure_verdict(exc, "instruction checks")
        return _verdict(label, mode, followed)


def _kwargs(label: IFEvalLabel) -> list[dict[str, Any] | None]:
    return label.kwargs if label.kwargs is not None else [None] * len(label.instruction_id_list)


def _verdict(label: IFEvalLabel, mode: Mode, followed: list[bool]) -> Verdict:
    passed = sum(followed)
    total = len(followed)
    details = {
        "mode": mode,
        "followed": passed,
        "total": total,
        "instructions": [{"id": i, "followed": f} for i, f in zip(label.instruction_id_list, followed, strict=True)],
    }
    score = passed / total
    if passed == total:
        return Verdict(Status.CORRECT, 1.0, 1.0, details)
    reward = score if label.reward_mode == "fraction" else 0.0
    return Verdict(Status.INCORRECT, reward, score, details)

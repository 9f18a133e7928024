"""The mcq domain: 1 if the final answer picks the label's letter, else 0.

Reading the choice is a few linear regex passes over the tail of the final answer, so it runs in
the event loop: no worker processes, nothing to time out. Several different letters in the final
answer are hedging (`incorrect`); a letter that is not one of the options, or no choice at all,
is `format_error`.
"""

from __future__ import annotations

from verifiers.domains.mcq.choice import read_choice
from verifiers.domains.mcq.label import McqLabel
from verifiers.domains.mcq.settings import McqSettings
from verifiers.sample import Sample
from verifiers.text import NO_FINAL_ANSWER, final_answer
from verifiers.verdict import Status, Verdict
from verifiers.verifier import Verifier


class McqVerifier(Verifier[McqLabel]):
    domain = "mcq"
    label_model = McqLabel
    settings: McqSettings

    async def verify(self, sample: Sample[McqLabel]) -> Verdict:
        answer = final_answer(sample.response, sample.prompt)
        if answer is None:
            return Verdict.failed(Status.FORMAT_ERROR, NO_FINAL_ANSWER)
        label = sample.label
        choice = read_choice(answer[-self.settings.tail_chars :], label.options)
        if choice is None:
            return Verdict.failed(Status.FORMAT_ERROR, "no option chosen in the final answer")
        extracted, form = ",".join(choice.letters), choice.form
        if len(choice.letters) > 1:
            hedged = "several options in the final answer (hedging)"
            return Verdict.failed(Status.INCORRECT, hedged, extracted=extracted, form=form)
        if extracted not in label.letters:
            invalid = f"{extracted} is not an option ({', '.join(label.letters)})"
            return Verdict.failed(Status.FORMAT_ERROR, invalid, extracted=extracted, form=form)
        return Verdict.binary(extracted == label.answer, extracted=extracted, form=form)

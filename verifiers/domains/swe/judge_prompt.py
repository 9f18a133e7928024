"""The shipped judge prompt (override with `swe.judge.prompt_template`) and the issue it shows.

It asks the question the Cascade report quotes ("does this patch fix the same issue as the ground
truth?") and demands a one-word answer, since only the first token's probabilities are read.
"""

import re

from verifiers.judge import JudgePrompt

_AGENTLESS_ISSUE = re.compile(r"--- BEGIN ISSUE ---\s*(.*?)\s*--- END ISSUE ---", re.DOTALL)

DEFAULT_TEMPLATE = """You are reviewing a candidate patch for a software issue.

<issue>
{issue}
</issue>

<golden_patch>
{golden_patch}
</golden_patch>

<candidate_patch>
{candidate_patch}
</candidate_patch>

Does the candidate patch fix the same issue as the golden patch, with the same behaviour?
Answer with a single word: Yes or No."""

PROMPT = JudgePrompt(
    DEFAULT_TEMPLATE, fields=("issue", "golden_patch", "candidate_patch"), required=("golden_patch", "candidate_patch")
)


def issue_text(label_issue: str | None, prompt: str | None, max_chars: int) -> str:
    """The label's `issue`, else the issue block of an Agentless/SWE-RL prompt (Nemotron-Cascade's
    SWE data carries the issue only inside its prompt), else nothing; cut to max_chars."""
    if label_issue:
        return label_issue[:max_chars]
    found = _AGENTLESS_ISSUE.search(prompt or "")
    return found.group(1)[:max_chars] if found else ""

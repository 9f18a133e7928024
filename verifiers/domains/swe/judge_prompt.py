"""The shipped judge prompt (override with `swe.judge.prompt_template`).

It asks the question the Cascade report quotes ("does this patch fix the same issue as the ground
truth?") and demands a one-word answer, since only the first token's probabilities are read.
"""

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

FIELDS = ("issue", "golden_patch", "candidate_patch")

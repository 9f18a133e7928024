"""Math: final-answer equivalence with math-verify, in killable worker processes."""

# The worker's reason for an `incorrect` that corrects a math-verify false positive (6-digit rounding
# makes 1/2004! equal 1/2006!). The difference is exact, so the judge is never asked to overturn it.
DISTINCT_TINY_NUMBERS = "distinct numbers below 1e-6 (math-verify rounds them equal)"

"""Math: final-answer equivalence with math-verify, in killable worker processes."""

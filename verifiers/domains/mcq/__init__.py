"""Multiple choice (GPQA-style science): 1 if the final answer picks the correct option, else 0."""

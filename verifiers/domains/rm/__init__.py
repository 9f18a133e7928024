"""Bradley-Terry reward model scoring: local transformers or remote vLLM backends."""

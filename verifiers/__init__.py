"""Cascade Verifiers: the reward-and-verifier service for Cascade RL."""

__version__ = "0.1.0"

"""The combined IF + RM reward of the thinking model's IF-RL stage, scored per prompt group."""

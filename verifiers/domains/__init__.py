"""Domain verifiers; each is registered in `verifiers.registry`."""

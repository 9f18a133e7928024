"""The root of every infrastructure failure, sandbox and service alike.

It lives here, in the lower layer, because `sandbox/` is copied alone into the slim sandbox image
and must import nothing from `verifiers/`; `verifiers.errors` re-exports it and draws the whole
tree of the service's exceptions.
"""


class InfraFailure(Exception):
    """Our infrastructure failed (a worker process, a sandbox runner, a Ray actor, a model backend),
    not the sample: its outcome is unknown, so it becomes a masked `infra_error`, never a reward."""

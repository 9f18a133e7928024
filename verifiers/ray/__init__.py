"""Scale-out on an existing Ray cluster.

`verifiers serve --ray ADDRESS` keeps the HTTP service and the engine in one process and moves the
heavy work (math-verify worker pools, sandbox runners) into Ray actors on the cluster's CPU nodes,
one actor per node per pool. Each actor runs the same node-local pool the single-machine service
uses, so timeouts, worker replacement and sandboxing are unchanged; Ray only adds placement and the
failure of a whole actor (node lost, process killed), which marks exactly the samples it held.
"""

try:
    import ray  # noqa: F401 - only to fail early with the fix in the message
except ImportError as exc:  # pragma: no cover - depends on the installation
    raise ImportError(f"--ray needs Ray on this machine: pip install 'cascade-verifiers[ray]' ({exc})") from exc

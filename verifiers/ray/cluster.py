"""Joining an existing Ray cluster and choosing the nodes the verifier actors live on."""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path
from typing import Any

import ray

from verifiers.settings import RaySettings

log = logging.getLogger(__name__)

# The packages the actors import. Shipped with the job (Ray's py_modules) so the cluster's nodes
# need only our dependencies installed, not this exact checkout.
_PACKAGES = ("verifiers", "sandbox")
_ROOT = Path(__file__).resolve().parent.parent.parent


def connect(settings: RaySettings) -> None:
    """Join the cluster at `settings.address` once per process (both pools share the connection)."""
    if ray.is_initialized():
        return
    runtime_env: dict[str, Any] = {}
    if settings.ship_code:
        runtime_env["py_modules"] = [str(_ROOT / name) for name in _PACKAGES]
    # A Ray driver replaces the SIGTERM/SIGINT handlers with an immediate exit; the server's own
    # (drain in-flight requests, then stop the pools) must stay in charge.
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    ray.init(
        address=settings.address,
        namespace=settings.namespace,
        runtime_env=runtime_env,
        log_to_driver=settings.log_to_driver,
    )
    if threading.current_thread() is threading.main_thread():
        for sig, handler in handlers.items():
            if handler is not None:  # None: installed outside Python, nothing to restore
                signal.signal(sig, handler)
    log.info("joined Ray cluster at %s (namespace %s)", settings.address, settings.namespace)


def cpu_nodes(cpu_nodes_only: bool) -> list[str]:
    """IDs of the live nodes to place actors on.

    In an RL cluster the GPU nodes are busy with rollouts and training; CPU-only nodes are where
    verification belongs. If the cluster has none, every live node is used.
    """
    nodes: list[dict[str, Any]] = ray.nodes()  # type: ignore[no-untyped-call]  # unannotated in Ray
    alive = [n for n in nodes if n.get("Alive")]
    if cpu_nodes_only:
        without_gpu = [n for n in alive if not n.get("Resources", {}).get("GPU")]
        alive = without_gpu or alive
    return [n["NodeID"] for n in alive]

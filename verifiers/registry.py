"""The one place where domains are registered.

Domains are named by import path and imported only when served, so an optional dependency that is
missing (torch for `rm`) disables that domain with a clear message instead of breaking start-up.
Adding a domain means adding a verifier module and one line here; the transport is untouched.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from verifiers.errors import DomainUnavailable

if TYPE_CHECKING:
    from verifiers.verifier import Verifier

DOMAINS: dict[str, str] = {
    "math": "verifiers.domains.math.verifier:MathVerifier",
    "code": "verifiers.domains.code.verifier:CodeVerifier",
    "ifeval": "verifiers.domains.ifeval.verifier:IFEvalVerifier",
    "swe": "verifiers.domains.swe.verifier:SweVerifier",
    "rm": "verifiers.domains.rm.verifier:RMVerifier",
    "if_rm": "verifiers.domains.if_rm.verifier:IfRmVerifier",
    "mcq": "verifiers.domains.mcq.verifier:McqVerifier",
}


def load_verifier_class(domain: str) -> type[Verifier[Any]]:
    """The verifier class of a registered domain (`Settings` refuses unregistered ones)."""
    module_name, _, attr = DOMAINS[domain].partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise DomainUnavailable(
            f"domain {domain!r} is registered but cannot load: {exc}. "
            f"Install its extra: pip install 'cascade-verifiers[{domain}]'"
        ) from exc
    cls: type[Verifier[Any]] = getattr(module, attr)
    return cls

"""The one place where domains are registered.

Domains are named by import path and imported only when served, so an optional dependency that is
missing (torch for `rm`) disables that domain with a clear message instead of breaking start-up.
Adding a domain means adding a verifier module and one line here; the transport is untouched.
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

from verifiers.verifier import Verifier

log = logging.getLogger(__name__)

DOMAINS: dict[str, str] = {
    "math": "verifiers.domains.math.verifier:MathVerifier",
    "code": "verifiers.domains.code.verifier:CodeVerifier",
    "ifeval": "verifiers.domains.ifeval.verifier:IFEvalVerifier",
    "swe": "verifiers.domains.swe.verifier:SweVerifier",
    "rm": "verifiers.domains.rm.verifier:RMVerifier",
    "if_rm": "verifiers.domains.if_rm.verifier:IfRmVerifier",
}


class DomainUnavailable(Exception):
    """A registered domain whose module cannot be imported (missing optional dependency)."""


def load_verifier_class(domain: str) -> type[Verifier[Any]]:
    try:
        path = DOMAINS[domain]
    except KeyError:
        raise KeyError(f"unknown domain {domain!r}; registered: {sorted(DOMAINS)}") from None
    module_name, _, attr = path.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise DomainUnavailable(
            f"domain {domain!r} is registered but cannot load: {exc}. "
            f"Install its extra: pip install 'cascade-verifiers[{domain}]'"
        ) from exc
    cls: type[Verifier[Any]] = getattr(module, attr)
    return cls

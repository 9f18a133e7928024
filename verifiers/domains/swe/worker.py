"""Entry points of the swe `KillablePool` workers: parsing, syntax check and s_lex off the API loop.

cydifflib holds the GIL for a whole comparison (~0.1-1 s at 20 KB), so running it in a thread would
stall every request the API process serves; a worker process also lets a pathological input be
killed at `swe.item_timeout_s`.
"""

from __future__ import annotations

from verifiers.domains.swe.label import SweLabel
from verifiers.domains.swe.settings import SweSettings
from verifiers.domains.swe.shaping import Candidate, grade_lexically
from verifiers.sample import Sample
from verifiers.verdict import Verdict

_settings = SweSettings()


def configure(settings: SweSettings) -> None:
    """Called once per worker with the swe settings."""
    global _settings
    _settings = settings


def check(response: str, prompt: str | None, label: SweLabel) -> Verdict | Candidate:
    return grade_lexically(Sample("swe", response, label, prompt), _settings)

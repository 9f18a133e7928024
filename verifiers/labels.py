"""The one rule that turns a raw label into (domain, payload), for every way a label arrives.

`/get_reward` (OpenRLHF's label column), `/score` and `verifiers score` (native items), and the
verl/TRL client (`adapters/client.py`) all call `route_label`, so a label means the same wherever it
is sent (DESIGN.md, "Label schema"):

- a JSON object, or a string holding one, names its domain in `domain` (else the default domain)
  and may carry the sample's `group_id` (a string or an integer): both are transport keys, taken
  out of the payload that the domain's label model validates;
- a string that starts with `{` but is not a JSON object is an error, never a bare answer (a
  truncated JSON label must not be scored as a math answer; a set-valued answer is sent as
  `{"answer": "{1, 2}"}`);
- any other non-empty string, or a number (as its text), is a bare answer for the default domain;
- anything else (empty string, null, true/false, a list) is an error.

Standard library only: the trainer-side client imports it without the service's dependencies.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from verifiers.errors import LabelError

TRANSPORT_KEYS = ("domain", "group_id")


@dataclass(frozen=True, slots=True)
class RoutedLabel:
    domain: str
    payload: Any  # a dict without the transport keys, or a bare answer string
    group_id: str | None = None


def route_label(raw: Any, default_domain: str) -> RoutedLabel:
    """Where a raw label goes and what its domain validates; raises LabelError (a ValueError)."""
    if isinstance(raw, str):
        text = raw.strip()
        if not text:
            raise LabelError.single(None, "the label is empty")
        if not text.startswith("{"):
            return RoutedLabel(default_domain, raw)
        try:
            raw = json.loads(text)
        except (json.JSONDecodeError, RecursionError) as exc:
            raise LabelError.single(None, f"the label looks like a JSON object but does not parse: {exc}") from None
    if isinstance(raw, dict):
        domain = raw.get("domain", default_domain)
        if not isinstance(domain, str):
            raise LabelError.single(None, "must be a string", ("domain",))
        group_id = raw.get("group_id")
        if isinstance(group_id, int) and not isinstance(group_id, bool):
            group_id = str(group_id)  # a row number is a fine group id
        elif group_id is not None and not isinstance(group_id, str):
            raise LabelError.single(domain, "must be a string or an integer", ("group_id",))
        payload = {k: v for k, v in raw.items() if k not in TRANSPORT_KEYS}
        return RoutedLabel(domain, payload, group_id)
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return RoutedLabel(default_domain, str(raw))
    raise LabelError.single(None, f"a label must be a JSON object, a string or a number, got {_kind(raw)}")


def _kind(value: Any) -> str:
    return "null" if value is None else "true/false" if isinstance(value, bool) else type(value).__name__

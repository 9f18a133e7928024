"""The offline report: `verifiers score IN.jsonl -o OUT.jsonl --report report.html`.

One self-contained HTML file: the status page's stylesheet and plot script are inlined with the
report's data, so it opens anywhere without a network. It shows per domain the verdict counts, the
reward histogram, the `format_error` / `error` / `timeout` / `infra_error` reasons grouped with one
example item each, the slowest items, and the warnings the live service would raise (the same
rules as `verifiers.health`, judged over the whole file).

`Report.add` runs once per scored item and keeps O(1) state per item beyond the rewards (which the
histogram needs): examples only for the first item of each reason, and the slowest items in a
bounded heap.
"""

from __future__ import annotations

import heapq
import html
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from verifiers import __version__, status_page
from verifiers.health import assess
from verifiers.settings import HealthSettings
from verifiers.stats import Window, reason_kind, reason_of
from verifiers.verdict import Verdict

_EXCERPT_CHARS = 400  # the end of a response: where the answer is
_SLOWEST = 10  # rows in the report
_KEPT = 200  # slowest items kept while scoring, grouped into rows at the end


# From the most ordinary verdict to the least: a row of items that finished together shows its last.
_UNUSUAL = ("correct", "incorrect", "format_error", "error", "infra_error", "timeout")


def excerpt(response: str | None) -> str:
    if not response:
        return ""
    return response if len(response) <= _EXCERPT_CHARS else "…" + response[-_EXCERPT_CHARS:]


@dataclass(slots=True)
class _Domain:
    window: Window = field(default_factory=Window)
    examples: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # (status, kind) -> first item


class Report:
    """What `verifiers score` learns about a file, item by item; its summary table comes from here too."""

    def __init__(self, source: Path, health: HealthSettings) -> None:
        self.source = source
        self.health = health
        self._domains: dict[str, _Domain] = {}
        self._slowest: list[tuple[float, int, str, str, str]] = []  # min-heap (seconds, line, domain, status, excerpt)
        self._started = time.time()

    def add(self, line: int, domain: str, verdict: Verdict, elapsed_s: float, response: str | None) -> None:
        d = self._domains.get(domain)
        if d is None:
            d = self._domains[domain] = _Domain()
        reason = reason_of(verdict)
        d.window.add(verdict.status, verdict.reward, reason)
        if reason is not None:
            key = (verdict.status.value, reason_kind(reason))
            if key not in d.examples:
                d.examples[key] = {"line": line, "example": reason, "excerpt": excerpt(response)}
        if len(self._slowest) < _KEPT or (elapsed_s, line) > self._slowest[0][:2]:
            item = (elapsed_s, line, domain, verdict.status.value, excerpt(response))
            if len(self._slowest) < _KEPT:
                heapq.heappush(self._slowest, item)
            else:
                heapq.heapreplace(self._slowest, item)

    @property
    def windows(self) -> dict[str, Window]:
        return {name: self._domains[name].window for name in sorted(self._domains)}

    def data(self, elapsed_s: float) -> dict[str, Any]:
        domains, warnings = {}, []
        for name in sorted(self._domains):
            d = self._domains[name]
            reasons = [
                {"status": status, "reason": kind, "count": n, **d.examples[(status, kind)]}
                for status, counts in d.window.reasons.items()
                for kind, n in counts.most_common()
            ]
            domains[name] = {**d.window.to_json(), "reasons": reasons}
            warnings += [w.to_json() for w in assess(name, d.window, None, self.health)]
        return {
            "source": str(self.source),
            "items": sum(d.window.samples for d in self._domains.values()),
            "scoring_s": round(elapsed_s, 2),
            "generated": self._started,
            "version": __version__,
            "warnings": warnings,
            "domains": domains,
            "slowest": self._slowest_rows(),
        }

    def _slowest_rows(self) -> list[dict[str, Any]]:
        """The slowest items, those that finished together (one batch: the same time to the
        millisecond) as one row, shown by its least ordinary status: the likely cause of the wait."""
        rows: dict[tuple[float, str], list[tuple[float, int, str, str, str]]] = {}
        for item in sorted(self._slowest, reverse=True):
            rows.setdefault((round(item[0], 3), item[2]), []).append(item)
        out = []
        for (seconds, domain), items in list(rows.items())[:_SLOWEST]:
            shown = max(items, key=lambda it: _UNUSUAL.index(it[3]))
            out.append(
                {
                    "seconds": seconds,
                    "domain": domain,
                    "items": len(items),
                    "status": shown[3],
                    "line": shown[1],
                    "lines": sorted(it[1] for it in items)[:20],
                    "excerpt": shown[4],
                }
            )
        return out

    def html(self, elapsed_s: float) -> str:
        """The report as one self-contained HTML document."""
        return render(self.data(elapsed_s))

    def write(self, path: Path, elapsed_s: float) -> None:
        path.write_text(self.html(elapsed_s), encoding="utf-8")


def render(data: dict[str, Any]) -> str:
    # `</` is escaped inside the JSON block: a response quoting `</script>` must not end it.
    payload = orjson.dumps(data, default=str).decode().replace("</", "<\\/")
    title = f"Cascade Verifiers report: {data['source']}"
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n<style>\n{status_page.read('style.css')}</style>\n</head>\n"
        "<body>\n<noscript>This report draws its plots with JavaScript; the data is in the "
        "#report-data block of this file.</noscript>\n"
        f'<script type="application/json" id="report-data">{payload}</script>\n'
        f"<script>\n{status_page.read('plots.js')}</script>\n<script>\n{status_page.read('report.js')}</script>\n"
        "</body>\n</html>\n"
    )

"""The status page in a real headless Chromium against a real service, and the reward-health
warnings end to end: they appear on the page, in /stats and as a metric within one polling
interval, are logged once when they start and once when they clear, and clear when the traffic
is healthy again. Screenshots are kept in test-artifacts/ for a person to look at."""

from __future__ import annotations

import os
import re
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from tests.browser import Page, chromium, require_browser
from tests.conftest import running_server

TOKEN = "s3cret-page-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
POLL_S = 2.0
STATUSES_PLOTS = ("rate", "mix", "masked", "reward", "latency", "queue", "admission", "workers")


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    require_browser()
    log = tmp_path_factory.mktemp("status") / "server.log"
    env = {"VERIFIERS_DOMAINS": '["math", "code"]', "VERIFIERS_MATH__WORKERS": "1",
           "VERIFIERS_CODE__RUNNERS": "2", "VERIFIERS_CODE__BASE_UID": "63700", "VERIFIERS_CODE__TIME_LIMIT_S": "2",
           "VERIFIERS_SERVER__AUTH_TOKEN": TOKEN, "VERIFIERS_STATS__POLL_S": str(POLL_S),
           "VERIFIERS_STATS__BUCKET_S": "1", "VERIFIERS_STATS__HISTORY_S": "90",
           "VERIFIERS_HEALTH__WINDOW": "200", "VERIFIERS_HEALTH__MIN_SAMPLES": "20",
           "VERIFIERS_HEALTH__SAME_REWARD_SAMPLES": "100"}
    with running_server(env=env, log_path=log, timeout_s=120) as url:
        deadline = time.monotonic() + 120
        while httpx.get(f"{url}/ready", headers=AUTH).status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.3)
        yield url, log


@pytest.fixture(scope="module")
def page(service: tuple[str, Path]) -> Iterator[Page]:
    """The page, opened and given the token once through its own form."""
    url, _ = service
    with chromium() as tab:
        tab.navigate(f"{url}/")
        tab.wait_for("!document.getElementById('token-form').hidden", 10)
        tab.evaluate(f"""document.getElementById('token').value = {TOKEN!r};
                        document.getElementById('token-form').requestSubmit()""")
        tab.wait_for("document.body.dataset.polls >= 1", 10)
        yield tab
        assert tab.errors() == []


def _score(url: str, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    reply = httpx.post(f"{url}/score", json={"items": items}, headers=AUTH, timeout=120)
    assert reply.status_code == 200, reply.text
    return list(reply.json()["results"])


def _math(response: str, answer: str = "4") -> dict[str, Any]:
    return {"domain": "math", "response": response, "label": {"answer": answer}}


def _code(program: str) -> dict[str, Any]:
    return {"domain": "code", "response": f"```python\n{program}\n```",
            "label": {"tests": {"inputs": ["3"], "outputs": ["9"]}}}


def _warnings(url: str) -> dict[tuple[str, str], dict[str, Any]]:
    stats = httpx.get(f"{url}/stats", headers=AUTH, timeout=30).json()
    return {(w["domain"], w["kind"]): w for w in stats["warnings"]}


def _gauge(url: str, domain: str, kind: str) -> float | None:
    text = httpx.get(f"{url}/metrics", headers=AUTH, timeout=30).text
    found = re.search(rf'^verifiers_warning{{domain="{domain}",kind="{kind}"}} (\S+)$', text, re.M)
    return float(found.group(1)) if found else None


def _card(domain: str, kind: str) -> str:
    return f"document.querySelector('.warning[data-domain=\"{domain}\"][data-kind=\"{kind}\"]')"


def _log_lines(log: Path, domain: str, kind: str) -> tuple[int, int]:
    text = log.read_text(errors="replace")
    return text.count(f"[{domain}] {kind}: "), text.count(f"[{domain}] {kind} cleared")


def test_page_asks_for_the_token_once_and_keeps_it_out_of_urls(service: tuple[str, Path], page: Page) -> None:
    url, _ = service
    assert httpx.get(f"{url}/stats").status_code == 401  # the data needs the token; the page itself does not
    assert httpx.get(f"{url}/").status_code == 200 and httpx.get(f"{url}/ui/status.js").status_code == 200
    page.wait_for("document.body.dataset.polls >= 2", 3 * POLL_S)  # polling goes on with the stored token
    sent = page.requests()
    assert sent and all(TOKEN not in r["url"] for r in sent)
    polls = [r for r in sent if r["url"].endswith("/stats")]
    assert polls[-1]["headers"].get("Authorization") == f"Bearer {TOKEN}"
    assert all(not r["url"].startswith(("http://", "https://")) or r["url"].startswith(url) for r in sent)


def test_page_under_load_draws_every_plot(service: tuple[str, Path], page: Page) -> None:
    url, _ = service
    stop = threading.Event()

    def load() -> None:  # bounded: at most 400 requests, stops when told
        answers = ["\\boxed{4}", "\\boxed{5}", "so \\boxed{4}", "<think>still thinking"]
        for i in range(400):
            if stop.is_set():
                return
            items = [_math(answers[(i + k) % len(answers)]) for k in range(8)]
            items.append(_code("print(int(input()) ** 2)" if i % 3 else "print(0)"))
            _score(url, items)

    worker = threading.Thread(target=load)
    worker.start()
    try:
        time.sleep(3 * POLL_S)  # a few buckets of traffic
        page.wait_for("document.querySelectorAll('section.domain').length === 2", 3 * POLL_S)
        drawn = page.evaluate("""Object.fromEntries([...document.querySelectorAll('section.domain')].map(s =>
            [s.dataset.domain, Object.fromEntries([...s.querySelectorAll('svg.plot')].map(p =>
                [p.dataset.plot, Number(p.dataset.points)]))]))""")
        shot = page.screenshot("status-page-under-load.png")
    finally:
        stop.set()
        worker.join()
    for domain in ("math", "code"):
        assert set(drawn[domain]) == set(STATUSES_PLOTS), drawn
        assert all(n > 0 for n in drawn[domain].values()), drawn
    rows = page.evaluate("[...document.querySelectorAll('#overview tbody tr')].map(r => r.dataset.domain)")
    assert rows == ["code", "math"]
    assert shot.stat().st_size > 10_000


def test_format_error_warning_appears_and_clears(service: tuple[str, Path], page: Page) -> None:
    url, log = service
    results = []
    for _ in range(4):
        results += _score(url, [_math("I would rather not say.") for _ in range(50)])
    assert {r["details"]["reason"] for r in results} == {"no answer could be extracted"}
    # The first poll after the samples already judges them; the page shows it on its next poll.
    warning = _warnings(url)[("math", "format_error")]
    assert warning["reasons"][0]["reason"] == "no answer could be extracted"
    assert warning["reasons"][0]["count"] >= 190  # the window holds the last 200 math samples
    assert "format_error" in warning["seen"] and warning["causes"] and warning["checks"]
    assert _gauge(url, "math", "format_error") == 1.0
    page.wait_for("!!" + _card("math", "format_error"), POLL_S + 3)
    page.wait_for("document.getElementById('banner').classList.contains('warning')", POLL_S + 3)
    page.screenshot("status-page-format-error.png")

    for _ in range(5):
        _score(url, [_math("\\boxed{4}") for _ in range(50)])
    assert ("math", "format_error") not in _warnings(url)
    assert _gauge(url, "math", "format_error") == 0.0
    page.wait_for(f"!{_card('math', 'format_error')}", POLL_S + 3)
    assert _log_lines(log, "math", "format_error") == (1, 1)


def _runners(url: str) -> list[psutil.Process]:
    port = url.rsplit(":", 1)[1]
    api = next(p for p in psutil.Process(os.getpid()).children(recursive=True)
               if "serve" in p.cmdline() and port in p.cmdline())
    return [p for p in api.children() if any(part.endswith("sandbox/runner.py") for part in p.cmdline())]


def test_infra_error_warning_for_a_code_runner_killed_repeatedly(service: tuple[str, Path], page: Page) -> None:
    url, log = service
    stop = threading.Event()

    def killer() -> None:  # bounded by the stop flag and 600 rounds
        for _ in range(600):
            if stop.is_set():
                return
            for runner in _runners(url):
                try:
                    runner.send_signal(signal.SIGKILL)
                except psutil.NoSuchProcess:
                    pass
            time.sleep(0.05)

    thread = threading.Thread(target=killer)
    thread.start()
    try:
        results = _score(url, [_code("import time\ntime.sleep(0.5)\nprint(9)") for _ in range(30)])
    finally:
        stop.set()
        thread.join()
    masked = [r for r in results if r["status"] == "infra_error"]
    assert len(masked) >= 20 and all(r["mask"] for r in masked)
    warning = _warnings(url)[("code", "infra_error")]
    assert warning["severity"] == "critical" and warning["reasons"][0]["reason"] == "sandbox failed"
    assert _gauge(url, "code", "infra_error") == 1.0
    page.wait_for("!!" + _card("code", "infra_error"), POLL_S + 3)
    page.wait_for("document.getElementById('banner').classList.contains('critical')", POLL_S + 3)
    page.screenshot("status-page-infra-error.png")

    # Dead runners are restarted when next picked: healthy traffic brings them back.
    for _ in range(4):
        assert {r["status"] for r in _score(url, [_code("print(int(input()) ** 2)") for _ in range(50)])} == {"correct"}
    assert httpx.get(f"{url}/ready", headers=AUTH).status_code == 200
    assert not {("code", "infra_error"), ("code", "not_ready")} & set(_warnings(url))
    assert _gauge(url, "code", "infra_error") == 0.0
    page.wait_for(f"!{_card('code', 'infra_error')}", POLL_S + 3)
    assert _log_lines(log, "code", "infra_error") == (1, 1)
    restarts = httpx.get(f"{url}/metrics", headers=AUTH).text
    assert re.search(r'^verifiers_domain_restarts_total{domain="code"} ([1-9]\d*)', restarts, re.M)


def test_same_reward_warning_for_an_all_equal_stream(service: tuple[str, Path], page: Page) -> None:
    url, log = service
    for _ in range(3):
        assert {r["reward"] for r in _score(url, [_math("\\boxed{5}") for _ in range(50)])} == {0.0}
    warning = _warnings(url)[("math", "same_reward")]
    assert "all 0" in warning["seen"]
    assert ("math", "format_error") not in _warnings(url)  # wrong answers, not missing ones
    assert _gauge(url, "math", "same_reward") == 1.0
    # The earlier tests' correct answers may have left an all-1 warning on the page: wait for this one.
    page.wait_for(f"({_card('math', 'same_reward')}?.textContent ?? '').includes('are all 0')", POLL_S + 3)
    page.screenshot("status-page-same-reward.png")

    _score(url, [_math("\\boxed{4}")])
    assert ("math", "same_reward") not in _warnings(url)
    assert _gauge(url, "math", "same_reward") == 0.0
    page.wait_for(f"!{_card('math', 'same_reward')}", POLL_S + 3)
    starts, clears = _log_lines(log, "math", "same_reward")
    assert starts == clears and starts >= 1


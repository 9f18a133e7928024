"""Hostile math answers: each gets a verdict within the deadline and the server keeps serving."""

import re
import time

import httpx
import pytest

from tests.conftest import running_server

DEADLINE_S = 2


@pytest.fixture(scope="module")
def fast_server():
    with running_server(env={"VERIFIERS_MATH__ITEM_TIMEOUT_S": str(DEADLINE_S)}) as url:
        yield url


def _score(url, response, answer="1"):
    started = time.monotonic()
    r = httpx.post(f"{url}/score", json={"domain": "math", "response": response, "label": {"answer": answer}},
                   timeout=60)
    assert r.status_code == 200, r.text
    return r.json()["results"][0], time.monotonic() - started


def _restarts(url, reason):
    m = re.search(rf'verifiers_worker_restarts_total{{pool="math",reason="{reason}"}} (\S+)',
                  httpx.get(f"{url}/metrics").text)
    return float(m.group(1)) if m else 0.0


def test_tower_of_powers_times_out_and_the_worker_is_replaced(fast_server):
    before = _restarts(fast_server, "timeout")
    result, elapsed = _score(fast_server, r"\boxed{9^{9^{9^{9}}}}")
    assert result["status"] == "timeout" and result["reward"] == 0.0 and not result["mask"]
    assert elapsed < DEADLINE_S + 3
    assert _restarts(fast_server, "timeout") == before + 1
    ready = httpx.get(f"{fast_server}/ready").json()["domains"]["math"]
    assert ready["workers_alive"] == ready["workers"]
    assert _score(fast_server, r"\boxed{2}", "2")[0]["status"] == "correct"


def test_big_factorial_gets_a_verdict(fast_server):
    result, elapsed = _score(fast_server, r"\boxed{10000!}")
    assert result["status"] in {"incorrect", "timeout"}
    assert elapsed < DEADLINE_S + 3


def test_two_megabytes_of_output(fast_server):
    result, elapsed = _score(fast_server, "blah " * 400_000 + r"\boxed{1}")
    assert result["status"] == "correct"
    result, _ = _score(fast_server, "x" * 2_000_000)
    assert result["status"] in {"incorrect", "format_error"}


def test_five_thousand_nested_braces(fast_server):
    result, _ = _score(fast_server, "\\boxed{" + "{" * 5000 + "1" + "}" * 5000 + "}")
    assert result["status"] == "format_error" and "longer than" in result["details"]["reason"]
    result, _ = _score(fast_server, "{" * 5000 + "}" * 5000)
    assert result["status"] in {"incorrect", "format_error"}


def test_lone_surrogates_are_scored(fast_server):
    body = b'{"domain": "math", "response": "\\ud800 bad \\udfff \\\\boxed{1}", "label": "1"}'
    r = httpx.post(f"{fast_server}/score", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 200 and r.json()["results"][0]["status"] == "correct"


def test_unparseable_reference_is_error_not_incorrect(fast_server):
    result, _ = _score(fast_server, r"\boxed{2}", answer="\\frac{")
    assert result["status"] == "error" and result["reward"] == 0.0

"""The native HTTP contract: /score shapes, 422s that name the field, health, readiness, metrics, auth."""

import httpx

from tests.conftest import running_server


def test_single_item_gets_a_one_element_list(server):
    r = httpx.post(f"{server}/score", json={"domain": "math", "response": "so \\boxed{1/2}", "label": {"answer": "0.5"}})
    assert r.status_code == 200
    (result,) = r.json()["results"]
    assert result == {"reward": 1.0, "score": 1.0, "status": "correct", "mask": False,
                      "details": {"extracted": "\\frac{1}{2}"}}


def test_batch_keeps_order_and_accepts_every_label_form(server):
    items = [
        {"domain": "math", "response": "\\boxed{3}", "label": {"answer": "3"}},
        {"domain": "math", "response": "\\boxed{4}", "label": "3"},
        {"domain": "math", "response": "\\boxed{5}", "label": '{"answer": "5"}'},
        {"domain": "math", "response": "<think>hmm", "label": {"answer": 5}},
    ]
    r = httpx.post(f"{server}/score", json={"items": items})
    assert [x["status"] for x in r.json()["results"]] == ["correct", "incorrect", "correct", "format_error"]


def test_schema_violations_are_422_naming_the_field(server):
    r = httpx.post(f"{server}/score", json={"items": [
        {"domain": "math", "response": "x", "label": {"answr": "1"}},
        {"domain": "chemistry", "response": "x", "label": "1"},
        {"domain": "math", "label": "1"},
    ]})
    assert r.status_code == 422
    locs = [tuple(e["loc"]) for e in r.json()["detail"]]
    assert ("body", "items", 2, "response") in locs
    r = httpx.post(f"{server}/score", json={"items": [
        {"domain": "math", "response": "x", "label": {"answr": "1"}},
        {"domain": "chemistry", "response": "x", "label": "1"},
    ]})
    locs = [tuple(e["loc"]) for e in r.json()["detail"]]
    assert locs == [("body", "items", 0, "label", "answer"), ("body", "items", 1, "domain")]
    assert "chemistry" in r.json()["detail"][1]["msg"]


def test_malformed_json_is_422(server):
    r = httpx.post(f"{server}/score", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422


def test_health_ready_metrics(server):
    assert httpx.get(f"{server}/health").json()["status"] == "ok"
    ready = httpx.get(f"{server}/ready")
    assert ready.status_code == 200 and ready.json()["domains"]["math"]["workers_alive"] >= 1
    httpx.post(f"{server}/score", json={"domain": "math", "response": "\\boxed{2}", "label": "2"})
    text = httpx.get(f"{server}/metrics").text
    for name in ("verifiers_item_latency_seconds", "verifiers_verdicts_total", "verifiers_queue_depth",
                 "verifiers_in_flight", "verifiers_cache_total", "verifiers_pool_workers",
                 "verifiers_request_latency_seconds"):
        assert name in text
    assert 'verifiers_verdicts_total{domain="math",status="correct"}' in text


def test_bearer_token_guards_everything_but_health():
    with running_server(env={"VERIFIERS_SERVER__AUTH_TOKEN": "s3cret"}) as url:
        item = {"domain": "math", "response": "\\boxed{2}", "label": "2"}
        assert httpx.get(f"{url}/health").status_code == 200
        assert httpx.post(f"{url}/score", json=item).status_code == 401
        assert httpx.post(f"{url}/score", json=item, headers={"Authorization": "Bearer nope"}).status_code == 401
        assert httpx.post(f"{url}/score", json=item, headers={"Authorization": "Bearer s3cret"}).status_code == 200
        # OpenRLHF sends no headers: the token can ride in the URL it posts to verbatim.
        body = {"query": ["\\boxed{2}"], "prompts": [""], "labels": ["2"]}
        assert httpx.post(f"{url}/get_reward?token=s3cret", json=body).json()["rewards"] == [1.0]
        assert httpx.get(f"{url}/metrics").status_code == 401


def test_bearer_token_covers_every_route_the_app_serves():
    """Every route FastAPI registers (docs and schema included) except /health and the status page's files
    needs the token."""
    from verifiers.server import create_app
    from verifiers.settings import Settings

    from verifiers.status_page import PUBLIC_PATHS

    paths = {r.path for r in create_app(Settings(domains=[])).routes} - {"/health"} - PUBLIC_PATHS
    assert "/stats" in paths
    with running_server(env={"VERIFIERS_SERVER__AUTH_TOKEN": "s3cret", "VERIFIERS_DOMAINS": "[\"math\"]"}) as url:
        for path in sorted(paths):
            assert httpx.request("GET", f"{url}{path}").status_code == 401, path
            assert httpx.request("GET", f"{url}{path}?token=s3cret").status_code != 401, path
        # The status page's own files are public (a browser cannot send the token when it navigates);
        # they are the files shipped in the package, with no data of the service in them.
        for path in sorted(PUBLIC_PATHS):
            reply = httpx.get(f"{url}{path}")
            assert reply.status_code == 200 and "s3cret" not in reply.text, path


def test_oversized_body_is_413():
    with running_server(env={"VERIFIERS_SERVER__MAX_BODY_BYTES": "2048"}) as url:
        r = httpx.post(f"{url}/score", json={"domain": "math", "response": "x" * 5000, "label": "1"})
        assert r.status_code == 413

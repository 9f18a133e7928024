"""Input no client should send, and the service's answer: 4xx naming the problem, or on
`/get_reward` a per-sample error; never a 5xx, and the server keeps serving."""

import subprocess
import sys

import httpx

SCHEMATHESIS_CHECKS = ",".join((
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
    "negative_data_rejection",
))


def test_schemathesis_finds_no_server_error_and_no_schema_violation(server):
    # positive_data_acceptance is left out on purpose: a label's shape depends on its domain,
    # which one OpenAPI schema cannot express, so schema-valid bodies may rightly get 422.
    run = subprocess.run(
        [sys.executable, "-m", "schemathesis.cli", "run", f"{server}/openapi.json", "--checks", SCHEMATHESIS_CHECKS,
         "--max-examples", "60", "--seed", "20261125", "--no-color"],
        capture_output=True, text=True, timeout=600,
    )
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert httpx.get(f"{server}/ready", timeout=10).status_code == 200


def test_deeply_nested_json_is_422(server):
    body = "[" * 100_000 + "]" * 100_000
    r = httpx.post(f"{server}/score", content=body, headers={"content-type": "application/json"}, timeout=30)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body"]


def test_nested_label_on_get_reward_is_a_per_sample_error(server):
    label = {"domain": "math", "answer": "1"}
    for _ in range(200):
        label = {"domain": "math", "answer": label}
    r = httpx.post(f"{server}/get_reward", json={"query": [r"\boxed{1}", r"\boxed{1}"], "labels": [label, "1"]}, timeout=30)
    assert r.status_code == 200
    assert r.json()["extra_logs"]["verifier_error"] == [1.0, 0.0] and r.json()["rewards"] == [0.0, 1.0]


def test_wrong_types_name_the_field(server):
    r = httpx.post(f"{server}/get_reward", json={"query": "not a list"}, timeout=10)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "query"]
    r = httpx.post(f"{server}/score", json={"items": [{"domain": "math", "response": 5, "label": "1"}]}, timeout=10)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "items", 0, "response"]


def test_a_body_that_is_not_an_object_is_422(server):
    for body in ("[]", "3", '"x"', "null"):
        r = httpx.post(f"{server}/get_reward", content=body, headers={"content-type": "application/json"}, timeout=10)
        assert r.status_code == 422, (body, r.text)


def test_invalid_utf8_is_422_with_the_offset_and_lone_surrogates_are_scored(server):
    bad = b'{"domain": "math", "response": "\xc3\x28 \\\\boxed{1}", "label": "1"}'
    r = httpx.post(f"{server}/score", content=bad, headers={"content-type": "application/json"}, timeout=10)
    assert r.status_code == 422 and "offset 32" in r.json()["detail"][0]["msg"]
    r = httpx.post(f"{server}/get_reward", content=b'{"query": ["\xff"], "labels": ["1"]}',
                   headers={"content-type": "application/json"}, timeout=10)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body"]
    surrogate = b'{"query": ["\\ud800 \\\\boxed{1}", "\\\\boxed{2}"], "labels": ["1", "1"]}'
    r = httpx.post(f"{server}/get_reward", content=surrogate, headers={"content-type": "application/json"}, timeout=10)
    assert r.status_code == 200 and r.json()["rewards"] == [1.0, 0.0]

"""The rm domain through the real service: a tiny model served from settings, and no torch at all."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT, running_server, wait_until_ready
from tests.tiny_rm import build_tiny_rm

PROMPTS = ["Say hi" + " please" * k for k in range(8)]
RESPONSES = ["<think>short</think>Hi! " * (k % 3 + 1) for k in range(8)]


def test_batched_and_single_requests_agree_on_a_served_tiny_model(tmp_path: Path) -> None:
    path = build_tiny_rm(tmp_path / "rm", "causal_lm")
    env = {"VERIFIERS_DOMAINS": '["rm"]', "VERIFIERS_RM__LOCAL__MODEL_PATH": str(path)}
    items = [{"domain": "rm", "prompt": p, "response": r, "label": {}} for p, r in zip(PROMPTS, RESPONSES)]
    with running_server(env) as url:
        wait_until_ready(url)
        batch = httpx.post(f"{url}/score", json={"items": items}, timeout=60).json()["results"]
        single = [httpx.post(f"{url}/score", json=item, timeout=60).json()["results"][0] for item in items]
        openrlhf = httpx.post(f"{url}/get_reward", timeout=60, json={
            "query": [p + r for p, r in zip(PROMPTS, RESPONSES)], "prompts": PROMPTS,
            "labels": [json.dumps({"domain": "rm"})] * len(PROMPTS)}).json()
        ready = httpx.get(f"{url}/ready").json()["domains"]["rm"]
    assert [b["reward"] for b in batch] == pytest.approx([s["reward"] for s in single], abs=1e-5)
    assert openrlhf["rewards"] == pytest.approx([s["reward"] for s in single], abs=1e-5)
    assert all(b["status"] == "correct" and b["details"]["truncated"] is False for b in batch)
    assert len({round(b["reward"], 6) for b in batch}) > 1
    assert (ready["backend"], ready["head"], ready["device"]) == ("local", "causal_lm", "cpu")


def test_service_without_torch_serves_other_domains_and_says_what_rm_needs(tmp_path: Path) -> None:
    hidden = tmp_path / "hide" / "torch"
    hidden.mkdir(parents=True)
    (hidden / "__init__.py").write_text("raise ImportError(\"No module named 'torch'\")\n")
    env = {"PYTHONPATH": f"{hidden.parent}:{ROOT}", "VERIFIERS_DOMAINS": '["math", "rm"]',
           "VERIFIERS_RM__LOCAL__MODEL_PATH": str(tmp_path / "any")}
    with running_server(env) as url:
        math = httpx.post(f"{url}/score", json={"domain": "math", "response": r"\boxed{2}", "label": "2"}, timeout=60)
        rm = httpx.post(f"{url}/score", json={"domain": "rm", "prompt": "hi", "response": "hello", "label": {}},
                        timeout=60).json()["results"][0]
        ready = httpx.get(f"{url}/ready").json()["domains"]["rm"]
    assert math.json()["results"][0]["status"] == "correct"
    assert rm["status"] == "infra_error" and rm["mask"] is True
    assert "torch" in rm["details"]["reason"] and "cascade-verifiers[rm]" in rm["details"]["reason"]
    assert ready["ready"] is False and "cascade-verifiers[rm]" in ready["reason"]


def test_unconfigured_rm_keeps_the_service_ready_and_masks_its_items() -> None:
    with running_server({"VERIFIERS_DOMAINS": '["rm"]'}) as url:
        wait_until_ready(url)
        rm = httpx.post(f"{url}/score", json={"domain": "rm", "prompt": "hi", "response": "hello", "label": {}},
                        timeout=60).json()["results"][0]
    assert rm["status"] == "infra_error" and "rm.local.model_path" in rm["details"]["reason"]

"""The reward_func plugin, loaded and called by OpenRLHF 0.11.2's own SingleTurnAgentExecutor.

OpenRLHF imports `--reward.remote_url *.py` with importlib inside each rollout actor and calls
`reward_func([query], [prompt], [label])` via `asyncio.to_thread` (openrlhf/utils/agent.py). These
tests go through exactly that code, against a real service, a service that refuses the token, a
service that is down, and a proxy that fails before it forwards.
"""

from __future__ import annotations

import http.client
import http.server
import json
import threading
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
import torch
from openrlhf.utils.agent import SingleTurnAgentExecutor

from tests.conftest import ROOT, free_port, running_server
from tests.openrlhf_harness import ScriptedEngine, byte_level_tokenizer, sampling_params

PLUGIN = ROOT / "adapters" / "openrlhf" / "reward_func.py"
TOKEN = "plugin-test-token"
PROMPT = "<|im_start|>user\nCompute 6*7. Put the answer in \\boxed{}.<|im_end|>\n<|im_start|>assistant\n"
STATUS_KEYS = {"verifier_correct", "verifier_incorrect", "verifier_format_error", "verifier_timeout",
               "verifier_error", "verifier_infra_error", "reward_service_error"}


@pytest.fixture(scope="module")
def service() -> Iterator[str]:
    with running_server(env={"VERIFIERS_SERVER__AUTH_TOKEN": TOKEN}) as url:
        deadline = time.monotonic() + 120
        while httpx.get(f"{url}/ready", headers={"Authorization": f"Bearer {TOKEN}"}).status_code != 200:
            assert time.monotonic() < deadline, "service not ready after 120 s"
            time.sleep(0.3)
        yield url


@pytest.fixture(scope="module")
def tokenizer():
    return byte_level_tokenizer()


def load_executor(monkeypatch, url: str, token: str | None = TOKEN, **env: str) -> SingleTurnAgentExecutor:
    """OpenRLHF's executor for `--reward.remote_url <plugin>`, with the plugin's env set first."""
    monkeypatch.setenv("CASCADE_VERIFIERS_URL", url)
    if token is None:
        monkeypatch.delenv("CASCADE_VERIFIERS_TOKEN", raising=False)
    else:
        monkeypatch.setenv("CASCADE_VERIFIERS_TOKEN", token)
    for name, value in {"CASCADE_VERIFIERS_BACKOFF_S": "0.05", **env}.items():
        monkeypatch.setenv(name, value)
    executor = SingleTurnAgentExecutor(remote_rm_url=[str(PLUGIN)])
    assert executor.reward_func is not None  # loaded from the file, as OpenRLHF does
    return executor


async def rollout(executor: SingleTurnAgentExecutor, tokenizer, response: str, label) -> dict:
    engine = ScriptedEngine(tokenizer, response)
    return await executor.execute(PROMPT, label, sampling_params(), 1024, tokenizer, engine)


def reward_of(output: dict) -> float:
    """What OpenRLHF's experience maker stores: torch.tensor([reward])."""
    assert output["reward"] is not None, "a None reward crashes OpenRLHF's experience maker"
    return torch.tensor([output["reward"]]).flatten()[0].item()


def logs_of(output: dict) -> dict[str, float]:
    return {k: float(torch.as_tensor(v).flatten()[0]) for k, v in output["extra_logs"].items()}


async def test_plugin_scores_math_and_code_through_openrlhf(monkeypatch, service, tokenizer):
    executor = load_executor(monkeypatch, service)
    right = await rollout(executor, tokenizer, "6*7 = 42, so \\boxed{42}<|im_end|>", "42")
    wrong = await rollout(executor, tokenizer, "\\boxed{41}<|im_end|>", json.dumps({"domain": "math", "answer": "42"}))
    code_label = {"domain": "code", "tests": {"inputs": ["1 2\n", "5 5\n"], "outputs": ["3\n", "10\n"]}}
    code = await rollout(executor, tokenizer, "```python\na, b = map(int, input().split())\nprint(a + b)\n```<|im_end|>",
                         json.dumps(code_label))
    assert [reward_of(o) for o in (right, wrong, code)] == [1.0, 0.0, 1.0]
    assert float(torch.as_tensor(wrong["scores"]).flatten()[0]) == 0.0
    for output in (right, wrong, code):
        assert set(output["extra_logs"]) == STATUS_KEYS  # one key set for every sample
        assert logs_of(output)["reward_service_error"] == 0.0
    assert logs_of(right)["verifier_correct"] == 1.0 and logs_of(wrong)["verifier_incorrect"] == 1.0


async def test_bad_label_is_a_verdict_not_a_failure(monkeypatch, service, tokenizer):
    executor = load_executor(monkeypatch, service)
    output = await rollout(executor, tokenizer, "\\boxed{42}<|im_end|>", json.dumps({"domain": "alchemy"}))
    assert reward_of(output) == 0.0
    assert logs_of(output)["verifier_error"] == 1.0 and logs_of(output)["reward_service_error"] == 0.0


async def test_wrong_token_is_masked_without_retrying(monkeypatch, service, tokenizer):
    executor = load_executor(monkeypatch, service, token="not-the-token", CASCADE_VERIFIERS_BACKOFF_S="30")
    output = await rollout(executor, tokenizer, "\\boxed{42}<|im_end|>", "42")  # a retry would sleep 30 s
    assert reward_of(output) == 0.0
    logs = logs_of(output)
    assert logs["reward_service_error"] == 1.0 and logs["verifier_infra_error"] == 1.0
    assert set(output["extra_logs"]) == STATUS_KEYS


async def test_service_down_is_masked_and_the_run_goes_on(monkeypatch, tokenizer):
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    executor = load_executor(monkeypatch, url, CASCADE_VERIFIERS_ATTEMPTS="3",
                             CASCADE_VERIFIERS_INFRA_REWARD="-0.5")
    output = await rollout(executor, tokenizer, "\\boxed{42}<|im_end|>", "42")
    assert reward_of(output) == -0.5
    assert float(torch.as_tensor(output["scores"]).flatten()[0]) == 0.0
    assert logs_of(output)["reward_service_error"] == 1.0
    assert set(output["extra_logs"]) == STATUS_KEYS


class FlakyProxy(http.server.ThreadingHTTPServer):
    """Forwards to the real service, but answers 503 to the first `failures` requests."""

    def __init__(self, upstream: str, failures: int) -> None:
        self.upstream = urlsplit(upstream)
        self.failures = failures
        self.requests = 0
        self.connections = 0
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _ProxyHandler)


class _ProxyHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so connection reuse is observable
    server: FlakyProxy

    def setup(self) -> None:
        super().setup()
        with self.server.lock:
            self.server.connections += 1

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        with self.server.lock:
            self.server.requests += 1
            fail = self.server.requests <= self.server.failures
        if fail:
            status, data = 503, b"warming up"
        else:
            up = http.client.HTTPConnection(self.server.upstream.hostname, self.server.upstream.port, timeout=60)
            up.request("POST", self.path, body=body, headers={k: v for k, v in self.headers.items()
                                                               if k.lower() in ("content-type", "authorization")})
            reply = up.getresponse()
            status, data = reply.status, reply.read()
            up.close()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def flaky(service) -> Iterator[FlakyProxy]:
    proxy = FlakyProxy(service, failures=2)
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    yield proxy
    proxy.shutdown()
    proxy.server_close()


async def test_retries_transient_errors_and_reuses_its_connection(monkeypatch, flaky, tokenizer):
    host, port = flaky.server_address[:2]
    executor = load_executor(monkeypatch, f"http://{host}:{port}/get_reward")
    first = await rollout(executor, tokenizer, "\\boxed{42}<|im_end|>", "42")
    assert reward_of(first) == 1.0 and flaky.requests == 3  # two 503s, then forwarded
    # Later calls from the same worker thread ride the same kept-alive connection. OpenRLHF's
    # default thread pool may hand a call to another thread, so bound rather than pin the count.
    for _ in range(8):
        assert reward_of(await rollout(executor, tokenizer, "\\boxed{42}<|im_end|>", "42")) == 1.0
    assert flaky.requests == 11
    assert flaky.connections < flaky.requests

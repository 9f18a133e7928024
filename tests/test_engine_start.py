"""A domain whose backend cannot start leaves the others serving; its own items are infra_error."""

from __future__ import annotations

from verifiers.engine import Engine
from verifiers.sample import Sample
from verifiers.settings import Settings
from verifiers.verdict import Status


async def test_failed_domain_start_keeps_other_domains_serving() -> None:
    # The code runners' interpreter does not exist: every runner dies before serving.
    settings = Settings(domains=["math", "code"], math={"workers": 1},
                        code={"runners": 1, "local": {"python": "/nonexistent/python3"}})
    async with Engine(settings) as engine:
        ready = engine.readiness()
        assert ready["math"].ready
        assert not ready["code"].ready and "failed to start" in ready["code"].detail["unavailable"]
        math_label = engine.parse_label("math", "0.5")
        code_label = engine.parse_label("code", {"tests": {"inputs": [""], "outputs": ["1"]}})
        math, code = await engine.score([Sample("math", "\\boxed{\\frac{1}{2}}", math_label),
                                         Sample("code", "```python\nprint(1)\n```", code_label)])
    assert math.status is Status.CORRECT
    assert code.status is Status.INFRA_ERROR and "failed to start" in code.details["reason"]

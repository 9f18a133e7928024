"""The local transformers backend on tiny models built here: head conventions, padding, truncation."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoModelForSequenceClassification

from tests.tiny_rm import build_tiny_rm
from verifiers.domains.rm.backend import BackendError
from verifiers.domains.rm.local import LocalRewardModel, plan_passes, resolve_head
from verifiers.domains.rm.settings import RMLocalSettings

CONVERSATIONS = [
    [{"role": "user", "content": "Say hi" + " please" * k}, {"role": "assistant", "content": "Hi! " * (k + 1)}]
    for k in range(6)
]


def loaded(path: Path, **settings: object) -> LocalRewardModel:
    model = LocalRewardModel(RMLocalSettings(model_path=str(path), **settings))
    model.load()
    return model


def hf_reference(model: LocalRewardModel, path: Path, head: str) -> list[float]:
    """Each conversation alone through the plain HF model, read the way the model card says."""
    out = []
    for conversation in CONVERSATIONS:
        ids = torch.tensor([model.encode([conversation])[0][0]])
        if head == "causal_lm":
            out.append(AutoModelForCausalLM.from_pretrained(path).eval()(input_ids=ids).logits[0, -1, 0].item())
        else:
            out.append(AutoModelForSequenceClassification.from_pretrained(path).eval()(input_ids=ids).logits[0, 0].item())
    return out


@pytest.mark.parametrize("head", ["classification", "causal_lm"])
def test_scores_follow_the_head_convention_batched_or_not(tmp_path: Path, head: str) -> None:
    path = build_tiny_rm(tmp_path / head, head)
    model = loaded(path)
    batched = [s.reward for s in model.score_sync(CONVERSATIONS)]
    alone = [model.score_sync([c])[0].reward for c in CONVERSATIONS]
    assert batched == pytest.approx(alone, abs=1e-5)
    assert batched == pytest.approx(hf_reference(model, path, head), abs=1e-5)
    assert len(set(round(r, 6) for r in batched)) == len(batched)  # a real model, not a constant


def test_chat_template_ends_like_the_model_card(tmp_path: Path) -> None:
    model = loaded(build_tiny_rm(tmp_path / "m", "causal_lm"))
    [(ids, truncated)] = model.encode(CONVERSATIONS[:1])
    text = model._tokenizer.decode(ids)
    assert not truncated
    assert text.startswith("<|im_start|>user\nSay hi")
    assert text.endswith("<|im_start|>assistant\nHi! <|im_end|>\n")


def test_config_mean_and_std_normalise_the_classification_score(tmp_path: Path) -> None:
    plain = loaded(build_tiny_rm(tmp_path / "plain", seed=3))
    normed = loaded(build_tiny_rm(tmp_path / "normed", seed=3, mean=0.5, std=2.0))
    raw = [s.reward for s in plain.score_sync(CONVERSATIONS)]
    assert [s.reward for s in normed.score_sync(CONVERSATIONS)] == pytest.approx([(r - 0.5) / 2.0 for r in raw], abs=1e-6)
    off = loaded(tmp_path / "normed", normalize=False)
    assert [s.reward for s in off.score_sync(CONVERSATIONS)] == pytest.approx(raw, abs=1e-6)


def test_long_input_keeps_its_last_tokens_and_says_so(tmp_path: Path) -> None:
    path = build_tiny_rm(tmp_path / "m")
    long_conversation = [{"role": "user", "content": "word " * 300}, {"role": "assistant", "content": "Fine."}]
    full = loaded(path)
    [(ids, _)] = full.encode([long_conversation])
    short = loaded(path, max_length=64)
    scored = short.score_sync([long_conversation, CONVERSATIONS[0]])
    assert (scored[0].tokens, scored[0].truncated) == (64, True)
    assert scored[1].truncated is False
    assert scored[0].reward == pytest.approx(full.forward_ids([ids[-64:]])[0], abs=1e-6)
    assert scored[0].reward != pytest.approx(full.forward_ids([ids])[0], abs=1e-6)


def test_token_budget_splits_passes_without_changing_scores(tmp_path: Path) -> None:
    path = build_tiny_rm(tmp_path / "m")
    one_pass = [s.reward for s in loaded(path, max_tokens_per_forward=10**6).score_sync(CONVERSATIONS)]
    many_passes = [s.reward for s in loaded(path, max_tokens_per_forward=40).score_sync(CONVERSATIONS)]
    assert many_passes == pytest.approx(one_pass, abs=1e-5)


def test_passes_are_the_fewest_under_the_budget_and_even() -> None:
    lengths = [45] * 32 + [80] * 32
    # greedily 51 rows (51 x 80 <= 4096) then 13; evened, the same two passes split 32 + 32
    assert plan_passes(lengths, 4096) == [slice(0, 32), slice(32, 64)]
    assert plan_passes(lengths, 10**6) == [slice(0, 64)]
    for budget in (1, 50, 100, 700, 2000, 4096):
        passes = plan_passes(lengths, budget)
        assert [i for p in passes for i in range(64)[p]] == list(range(64))  # every row once, in order
        assert all((p.stop - p.start) * lengths[p.stop - 1] <= budget or p.stop - p.start == 1 for p in passes)
    assert plan_passes([10, 500, 900], 100) == [slice(0, 1), slice(1, 2), slice(2, 3)]  # too long: alone
    assert plan_passes([], 4096) == []


def test_head_is_read_from_the_architecture_or_must_be_named() -> None:
    assert resolve_head("auto", ["Qwen2ForCausalLM"]) == "causal_lm"
    assert resolve_head("auto", ["LlamaForSequenceClassification"]) == "classification"
    assert resolve_head("causal_lm", ["LlamaForSequenceClassification"]) == "causal_lm"
    with pytest.raises(BackendError, match="rm.local.head"):
        resolve_head("auto", ["BertModel"])


async def test_missing_checkpoint_is_a_backend_error_naming_the_path(tmp_path: Path) -> None:
    model = LocalRewardModel(RMLocalSettings(model_path=str(tmp_path / "nowhere")))
    with pytest.raises(BackendError, match="nowhere"):
        await model.start()
    ready, detail = model.readiness()
    assert not ready and "nowhere" in detail["error"]


def test_dtype_and_device_options_are_applied(tmp_path: Path) -> None:
    path = build_tiny_rm(tmp_path / "m")
    full = loaded(path)
    half = loaded(path, dtype="bfloat16", device="cpu")
    assert next(half._model.parameters()).dtype == torch.bfloat16
    assert half.readiness() == (True, {"model": str(path), "head": "classification", "device": "cpu"})
    low = [s.reward for s in half.score_sync(CONVERSATIONS)]
    assert low == pytest.approx([s.reward for s in full.score_sync(CONVERSATIONS)], abs=0.05)


async def test_concurrent_calls_are_merged_and_each_gets_its_own_scores(tmp_path: Path) -> None:
    model = LocalRewardModel(RMLocalSettings(model_path=str(build_tiny_rm(tmp_path / "m"))))
    await model.start()
    calls = [CONVERSATIONS[:1], CONVERSATIONS[1:4], [], CONVERSATIONS[4:]]
    merged = await asyncio.gather(*(model.score(c) for c in calls))
    assert [[s.reward for s in got] for got in merged] == \
        [pytest.approx([s.reward for s in model.score_sync(c)], abs=1e-5) for c in calls]


@pytest.mark.parametrize(("max_batch_size", "model_calls"), [(1, [1] * 7), (4, [4, 3]), (64, [7])])
async def test_merged_calls_stop_at_max_batch_size(tmp_path: Path, max_batch_size: int, model_calls: list[int]) -> None:
    """rm.max_batch_size bounds every model call, merged or not: at 1 each request is scored alone
    (7 concurrent single-sample calls, all queued before the model thread takes the first)."""
    model = LocalRewardModel(RMLocalSettings(model_path=str(build_tiny_rm(tmp_path / "m"))), max_batch_size)
    await model.start()
    seen: list[int] = []
    score_sync = model.score_sync
    model.score_sync = lambda conversations: seen.append(len(conversations)) or score_sync(conversations)
    got = await asyncio.gather(*(model.score([c]) for c in CONVERSATIONS + CONVERSATIONS[:1]))
    assert seen == model_calls
    assert [s.reward for [s] in got] == pytest.approx([s.reward for s in score_sync(CONVERSATIONS + CONVERSATIONS[:1])], abs=1e-5)


def test_a_conversation_the_template_refuses_fails_alone(tmp_path: Path) -> None:
    path = build_tiny_rm(tmp_path / "m")
    model = loaded(path)
    model._tokenizer.chat_template = (  # ChatML that, like many real templates, rejects unknown roles
        "{% for message in messages %}{% if message['role'] not in ['system', 'user', 'assistant'] %}"
        "{{ raise_exception('unknown role ' + message['role']) }}{% endif %}"
        "<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n{% endfor %}"
    )
    odd = [{"role": "narrator", "content": "Once"}, {"role": "assistant", "content": "Hi"}]
    scored = model.score_sync([CONVERSATIONS[0], odd])
    assert scored[0].error is None and scored[0].reward == pytest.approx(loaded(path).score_sync(CONVERSATIONS[:1])[0].reward)
    assert "unknown role narrator" in scored[1].error


def test_length_limit_is_capped_at_the_model_context(tmp_path: Path) -> None:
    model = loaded(build_tiny_rm(tmp_path / "m"), max_length=100_000)
    assert model._max_length == 8192

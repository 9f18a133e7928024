"""The in-process Hugging Face reward model (torch + transformers, CPU or GPU).

Two head conventions, one forward path: the base transformer runs once, the hidden state of each
row's last real token is read (right padding, no padding mask: see `_run`), and the head maps
it to a scalar:

- `classification`: a `*ForSequenceClassification` checkpoint or an OpenRLHF reward model (a
  `score` Linear(hidden, 1), named by `config.value_head_prefix`); `config.mean`/`config.std`
  normalise the score when present, as OpenRLHF does.
- `causal_lm`: the convention of nvidia/Qwen2.5-CascadeRL-RM-72B, `logits[-1, token 0]`; only that
  row of `lm_head` is applied, so no vocabulary-sized logits are computed.

Conversations are chat-templated without a generation prompt. Concurrent calls are merged (see
`_run_waiting`); a merged batch is sorted by length and cut into forward passes under a
padded-token budget, run one at a time on the process's one torch thread: torch's OpenMP thread
team belongs to the thread that calls it, and a team whose caller moved on keeps spinning for a
while, so forwards issued from changing threads (`asyncio.to_thread`, or two models) competed
with the previous team for the cores (in the RM benchmark some rounds took ten times the median).
"""

from __future__ import annotations

import asyncio
import math
from collections import deque
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import torch
from transformers import AutoConfig, AutoModelForCausalLM, AutoModelForSequenceClassification, AutoTokenizer

from verifiers.domains.rm.backend import BackendError, Conversation, Scored
from verifiers.domains.rm.settings import RMLocalSettings

_TORCH_THREAD = ThreadPoolExecutor(1, thread_name_prefix="torch")  # see the module docstring
_DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


# Default budgets: on CPU passes whose activations stay in cache beat one big pass (see
# docs/domains/rm.md); on a GPU bigger passes only fill it better.
_CPU_TOKENS_PER_FORWARD = 4096
_GPU_TOKENS_PER_FORWARD = 32768


def plan_passes(lengths: Sequence[int], budget: int) -> list[slice]:
    """Cut ascending `lengths` into contiguous passes of at most `budget` padded tokens (rows x
    longest row; a row longer than the budget runs alone): the fewest passes, then the smallest
    per-pass cap that still needs no more of them, so passes come out even instead of a full
    one followed by a ragged tail."""

    def cut(cap: int) -> list[slice]:
        passes, start = [], 0
        for end, length in enumerate(lengths):
            if end > start and (end - start + 1) * length > cap:
                passes.append(slice(start, end))
                start = end
        return [*passes, slice(start, len(lengths))]

    if not lengths:
        return []
    fewest = len(cut(budget))
    low, high = min(lengths[-1], budget), budget  # the smallest cap that needs no more passes
    while low < high:
        middle = (low + high) // 2
        low, high = (low, middle) if len(cut(middle)) <= fewest else (middle + 1, high)
    return cut(low)


def resolve_head(configured: str, architectures: Sequence[str] | None) -> str:
    """`classification` or `causal_lm`; `auto` decides from the checkpoint's architecture name."""
    if configured != "auto":
        return configured
    names = list(architectures or [])
    if any(n.endswith("ForCausalLM") for n in names):
        return "causal_lm"
    if any(n.endswith("ForSequenceClassification") for n in names):
        return "classification"
    raise BackendError(
        f"cannot tell the reward head from architectures={names}: set rm.local.head to 'classification' or 'causal_lm'"
    )


class LocalRewardModel:
    name = "local"

    def __init__(self, settings: RMLocalSettings, max_batch_size: int = 64) -> None:
        if not settings.model_path:
            raise BackendError("rm.local.model_path is not set")
        self.settings = settings
        self._path = settings.model_path
        self.max_batch_size = max_batch_size  # rm.max_batch_size: samples per model call, merged or not
        self._waiting: deque[tuple[list[Conversation], asyncio.Future[list[Scored]]]] = deque()
        self._runner: asyncio.Task[None] | None = None
        self._model: Any = None
        self._tokenizer: Any = None
        self._head: str | None = None
        self._device: torch.device | None = None
        self._tokens_per_forward = 0  # set by `load`, with the device
        self._norm: tuple[float, float] | None = None
        self._error: str | None = None
        self._max_length = settings.max_length

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        try:
            await self._on_model_thread(self.load)
        except Exception as exc:  # a bad checkpoint must not stop the other domains
            self._error = f"loading {self.settings.model_path}: {type(exc).__name__}: {exc}"
            raise BackendError(self._error) from exc

    async def close(self) -> None:
        self._model = None

    async def _on_model_thread(self, fn: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(_TORCH_THREAD, fn, *args)

    def readiness(self) -> tuple[bool, dict[str, Any]]:
        detail: dict[str, Any] = {
            "model": self.settings.model_path,
            "head": self._head,
            "device": str(self._device) if self._device else None,
        }
        if self._error:
            detail["error"] = self._error
        return self._model is not None, detail

    def load(self) -> None:
        s = self.settings
        config = AutoConfig.from_pretrained(self._path)
        self._head = resolve_head(s.head, getattr(config, "architectures", None))
        device = torch.device(s.device if s.device != "auto" else ("cuda" if torch.cuda.is_available() else "cpu"))
        self._device = device
        self._tokens_per_forward = s.max_tokens_per_forward or (
            _CPU_TOKENS_PER_FORWARD if device.type == "cpu" else _GPU_TOKENS_PER_FORWARD
        )
        dtype: Any = _DTYPES.get(s.dtype)
        if dtype is None:  # auto: the checkpoint's own dtype only where it runs fast
            dtype = "auto" if device.type == "cuda" else torch.float32
        kwargs: dict[str, Any] = {"dtype": dtype}
        if s.attn_implementation:
            kwargs["attn_implementation"] = s.attn_implementation
        cls = AutoModelForCausalLM if self._head == "causal_lm" else AutoModelForSequenceClassification
        if self._head == "classification":
            kwargs["num_labels"] = 1
        loaded: Any = cls.from_pretrained(self._path, **kwargs)  # an Auto class: its model type is the checkpoint's
        model = loaded.to(device).eval()
        tokenizer = AutoTokenizer.from_pretrained(self._path)
        if not tokenizer.chat_template:
            raise BackendError(f"{self._path}: the tokenizer has no chat template")
        context = getattr(config, "max_position_embeddings", None)
        self._max_length = min(s.max_length, context) if isinstance(context, int) else s.max_length
        mean, std = getattr(config, "mean", None), getattr(config, "std", None)
        self._norm = (float(mean), float(std)) if s.normalize and mean is not None and std is not None else None
        self._tokenizer, self._model = tokenizer, model

    # -- scoring -----------------------------------------------------------------------------

    async def score(self, conversations: Sequence[Conversation]) -> list[Scored]:
        """Scores of `conversations`, computed together with every other call waiting meanwhile."""
        if self._model is None:
            raise BackendError(self._error or "the local reward model is not loaded")
        done: asyncio.Future[list[Scored]] = asyncio.get_running_loop().create_future()
        self._waiting.append((list(conversations), done))
        if self._runner is None or self._runner.done():
            self._runner = asyncio.create_task(self._run_waiting())
        return await done

    async def _run_waiting(self) -> None:
        """One model call at a time (torch already uses every core); each takes the calls that
        queued while the previous one ran, up to `max_batch_size` samples (at least one call), so
        batches grow with load instead of with a timer."""
        while self._waiting:
            calls = [self._waiting.popleft()]
            taken = len(calls[0][0])
            while self._waiting and taken + len(self._waiting[0][0]) <= self.max_batch_size:
                calls.append(self._waiting.popleft())
                taken += len(calls[-1][0])
            try:
                scored = await self._on_model_thread(self.score_sync, [c for convs, _ in calls for c in convs])
            except Exception as exc:  # noqa: BLE001 - every caller must hear about it
                for _, done in calls:
                    if not done.done():
                        done.set_exception(exc)
                continue
            start = 0
            for convs, done in calls:
                if not done.done():  # the caller may have gone
                    done.set_result(scored[start : start + len(convs)])
                start += len(convs)

    def encode(self, conversations: Sequence[Conversation]) -> list[tuple[list[int], bool] | str]:
        """Per conversation: its token ids, left-truncated to the length limit, and whether cut;
        or why the chat template refused it (a role it does not know, say).

        Templates render one at a time (a refusal is one sample's, not the batch's); the texts
        are then tokenized in one call, which is ~2x cheaper than a call per text.
        """
        rendered: list[str | Exception] = []
        for conversation in conversations:
            try:
                rendered.append(
                    self._tokenizer.apply_chat_template(conversation, tokenize=False, add_generation_prompt=False)
                )
            except Exception as exc:  # noqa: BLE001 - jinja raises anything; one sample, not the batch
                rendered.append(exc)
        texts = [r for r in rendered if isinstance(r, str)]
        encoded = iter(self._tokenizer(texts, add_special_tokens=False)["input_ids"] if texts else [])
        out: list[tuple[list[int], bool] | str] = []
        for r in rendered:
            if isinstance(r, Exception):
                out.append(f"chat template refused the conversation: {type(r).__name__}: {r}")
                continue
            ids: list[int] = next(encoded)
            out.append((ids[-self._max_length :], True) if len(ids) > self._max_length else (ids, False))
        return out

    def score_sync(self, conversations: Sequence[Conversation]) -> list[Scored]:
        encoded = self.encode(conversations)
        rows = [e for e in encoded if not isinstance(e, str)]
        rewards = iter(self.forward_ids([ids for ids, _ in rows]))
        return [
            Scored(math.nan, error=e) if isinstance(e, str) else Scored(next(rewards), len(e[0]), e[1]) for e in encoded
        ]

    def forward_ids(self, rows: Sequence[list[int]]) -> list[float]:
        """Raw scores of token-id rows, sorted by length and run as the passes `plan_passes` cuts."""
        order = sorted(range(len(rows)), key=lambda i: len(rows[i]))
        out = [math.nan] * len(rows)
        for run in plan_passes([len(rows[i]) for i in order], self._tokens_per_forward):
            self._run(rows, order[run], out)
        return out

    @torch.inference_mode()
    def _run(self, rows: Sequence[list[int]], chunk: Sequence[int], out: list[float]) -> None:
        """One padded pass. Right padding under causal attention needs no padding mask: a real
        token never attends to the pads after it, so the last real token's state is exactly the
        unpadded one (and the attention kernel keeps its fast causal path)."""
        lengths = [len(rows[i]) for i in chunk]
        if min(lengths) == 0:
            raise BackendError("empty input after templating")
        pad = self._tokenizer.pad_token_id if self._tokenizer.pad_token_id is not None else 0
        ids = torch.full((len(chunk), max(lengths)), pad, dtype=torch.long)
        for r, i in enumerate(chunk):
            ids[r, : lengths[r]] = torch.tensor(rows[i], dtype=torch.long)
        hidden = self._model.base_model(input_ids=ids.to(self._device)).last_hidden_state
        last = hidden[torch.arange(len(chunk), device=hidden.device), torch.tensor(lengths, device=hidden.device) - 1]
        for i, value in zip(chunk, self._apply_head(last).float().cpu().tolist(), strict=True):
            out[i] = value

    def _apply_head(self, last_hidden: torch.Tensor) -> torch.Tensor:
        if self._head == "causal_lm":
            lm_head = self._model.get_output_embeddings()
            row = self.settings.score_token_id
            scores: torch.Tensor = last_hidden @ lm_head.weight[row]
            if getattr(lm_head, "bias", None) is not None:
                scores = scores + lm_head.bias[row]
            return scores
        head = getattr(self._model, getattr(self._model.config, "value_head_prefix", None) or "score")
        scores = head(last_hidden)[:, 0]
        if self._norm is not None:
            mean, std = self._norm
            scores = (scores - mean) / std
        return scores

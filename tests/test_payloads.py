"""Payloads of any size: every buffer a label or a response passes through, 1 byte either side of
its size, and SWE-bench-sized items (500 KB, 2 MB) in every pooled domain through the real server.
The Ray path of the same items is in tests/test_ray.py.

Buffers on the way: the HTTP body limit (`server.max_body_bytes`, the one documented limit); the
socket pair to a killable worker (its kernel send buffer, asyncio's stream-reader limit and the
2x-limit point where it pauses reading, the worker's own read buffer); the sandbox runner's pipe.
The worker channel is exercised under both event loops: uvicorn runs the service on uvloop, which
makes the socket non-blocking (a message larger than the send buffer failed with EAGAIN there,
masking every SWE label over about 200 KB), while pytest runs asyncio's own loop. The runner's pipe
is exercised under asyncio's only: on uvloop the local sandbox backend (rewritten for issue 13)
leaves a closed runner's pipe transports to the garbage collector, which warns.
"""

from __future__ import annotations

import io
import json
import socket
from collections.abc import Callable, Iterator

import httpx
import pytest

from tests.conftest import running_server
from tests.payloads import POOLED_DOMAINS, SIZES, items
from verifiers import framing
from verifiers.domains.code.pool import sandbox_pool
from verifiers.domains.code.settings import CodeSettings
from verifiers.metrics import Metrics
from verifiers.process_pool import KillablePool


def _socket_buffers() -> set[int]:
    a, b = socket.socketpair()
    with a, b:
        return {a.getsockopt(socket.SOL_SOCKET, option) for option in (socket.SO_SNDBUF, socket.SO_RCVBUF)}


STREAM_LIMIT = 2**16  # asyncio's default StreamReader limit; reading pauses above twice this
WORKER_BUFFERS = sorted({*_socket_buffers(), STREAM_LIMIT, 2 * STREAM_LIMIT, io.DEFAULT_BUFFER_SIZE})
MESSAGE_SIZES = [size + delta for size in WORKER_BUFFERS for delta in (-1, 1)]


def _text_for(message_size: int, wrap: Callable[[str], tuple[str, ...]]) -> str:
    """A string that makes `framing.encode(wrap(text))` exactly `message_size` bytes long (pickle's
    overhead is not constant: its framing opcode comes and goes around 64 KiB)."""
    for length in range(max(0, message_size - 128), message_size):
        if len(framing.encode(wrap("x" * length))) == message_size:
            return "x" * length
    raise AssertionError(f"no text makes a {message_size}-byte message")


BOTH_LOOPS = pytest.mark.asyncio(loop_factories=["asyncio", "uvloop"])  # see tests/conftest.py


@BOTH_LOOPS
async def test_worker_messages_at_every_buffer_boundary_both_ways() -> None:
    """A worker running `str` echoes its argument: arguments of each size reach it, and replies of
    each size come back, on either event loop; a set-up call larger than any buffer arrives too."""
    pool = KillablePool(
        "echo", "builtins:str", workers=1, timeout_s=30, metrics=Metrics(), init=("builtins:len", ("i" * 3_000_000,))
    )
    await pool.start()
    try:
        for size in MESSAGE_SIZES:
            argument = _text_for(size, lambda text: (text,))
            assert await pool.run(argument) == argument, f"argument message of {size} bytes"
            reply = _text_for(size, lambda text: ("ok", text))
            assert await pool.run(reply) == reply, f"reply message of {size} bytes"
        assert pool.alive == 1  # no worker died on the way
    finally:
        await pool.close()


async def test_sandbox_jobs_around_the_runner_pipe_buffer() -> None:
    """The local runner reads its jobs from a pipe: jobs 1 byte either side of its buffer, and 2 MB."""
    pipe_size = 65536  # Linux's default pipe capacity (F_GETPIPE_SZ)
    pool = sandbox_pool(CodeSettings(runners=1, base_uid=63500))
    await pool.start()
    try:
        for frame in (pipe_size - 1, pipe_size + 1, 2_000_000):
            job = _echo_job(frame)
            assert 4 + len(json.dumps(job).encode()) == frame  # a frame is a 4-byte length, then the JSON
            result = await pool.execute(job)
            assert result["verdict"] == "AC", (frame, result)
    finally:
        await pool.close()


def _echo_job(frame: int) -> dict[str, object]:
    """A job whose frame is `frame` bytes: a program that echoes a test's stdin, stdin == expected."""
    program = "import sys\nsys.stdout.write(sys.stdin.read())"
    limits = {"time_s": 5, "memory_mb": 512, "output_bytes": 1 << 24}

    def job(n: int, program: str) -> dict[str, object]:
        return {"language": "python", "program": program, "tests": [{"stdin": "y" * n, "expected": "y" * n}],
                "limits": limits}

    spare = frame - 4 - len(json.dumps(job(0, program)).encode())
    if spare % 2:  # stdin and expected grow together: an odd remainder goes to the program
        program += " "
    return job(spare // 2, program)


@pytest.fixture(scope="module")
def pooled_server() -> Iterator[str]:
    env = {
        "VERIFIERS_DOMAINS": json.dumps(POOLED_DOMAINS),
        "VERIFIERS_MATH__WORKERS": "1",
        "VERIFIERS_IFEVAL__WORKERS": "1",
        "VERIFIERS_SWE__WORKERS": "1",
        "VERIFIERS_CODE__RUNNERS": "1",
        "VERIFIERS_CODE__BASE_UID": "63600",
    }
    with running_server(env=env) as url:
        yield url


@pytest.mark.parametrize("size", SIZES)
def test_swe_bench_sized_items_score_in_every_pooled_domain(pooled_server: str, size: int) -> None:
    batch = items(size)
    for domain in POOLED_DOMAINS:
        reply = httpx.post(f"{pooled_server}/score", json=batch[domain], timeout=120)
        assert reply.status_code == 200, reply.text[:500]
        [result] = reply.json()["results"]
        assert result["status"] == "correct", (domain, size, result["details"])


def test_a_large_swe_label_through_openrlhf(pooled_server: str) -> None:
    """The case that failed in training: SWE labels of SWE-bench size through /get_reward."""
    item = items(SIZES[-1])["swe"]
    body = {"query": ["PROMPT" + item["response"]], "prompts": ["PROMPT"], "labels": [{"domain": "swe", **item["label"]}]}
    reply = httpx.post(f"{pooled_server}/get_reward", json=body, timeout=120).json()
    assert reply["rewards"] == [1.0] and reply["extra_logs"]["verifier_infra_error"] == [0.0]


def test_the_body_limit_is_exact_and_its_413_names_the_setting() -> None:
    limit = 4096
    score = {"domain": "math", "response": "\\boxed{1}", "label": "1"}
    reward = {"query": ["\\boxed{1}"], "labels": ["1"]}
    headers = {"content-type": "application/json"}
    with running_server(env={"VERIFIERS_DOMAINS": '["math"]', "VERIFIERS_SERVER__MAX_BODY_BYTES": str(limit)}) as url:
        for size in (limit - 1, limit):
            assert httpx.post(f"{url}/score", content=_body(score, size), headers=headers).status_code == 200
            assert httpx.post(f"{url}/get_reward", content=_body(reward, size), headers=headers).status_code == 200
        over = httpx.post(f"{url}/score", content=_body(score, limit + 1), headers=headers)
        assert over.status_code == 413
        assert over.json()["detail"] == (
            f"request body of {limit + 1} bytes exceeds the limit of {limit} bytes "
            "(server.max_body_bytes, environment variable VERIFIERS_SERVER__MAX_BODY_BYTES)"
        )
        # Without a Content-Length (chunked), the bytes are counted as they arrive.
        under = httpx.post(f"{url}/get_reward", content=_chunks(_body(reward, limit - 1)), headers=headers)
        assert under.status_code == 200 and under.json()["rewards"] == [1.0]
        streamed = httpx.post(f"{url}/get_reward", content=_chunks(_body(reward, limit + 1)), headers=headers)
        assert streamed.status_code == 413 and "server.max_body_bytes" in streamed.json()["detail"]


def _body(payload: dict[str, object], size: int) -> bytes:
    """`payload` as JSON padded with whitespace to exactly `size` bytes."""
    raw = json.dumps(payload).encode()
    return raw[:-1] + b" " * (size - len(raw)) + raw[-1:]


def _chunks(data: bytes) -> Iterator[bytes]:
    yield from (data[i : i + 1000] for i in range(0, len(data), 1000))

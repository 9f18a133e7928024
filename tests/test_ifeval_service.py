"""The ifeval domain through a real `verifiers serve`: the official IFEval unit-test cases,
label errors, thinking responses and hostile output."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import running_server, wait_until_ready

CASES = [json.loads(line) for line in (Path(__file__).parent / "data" / "ifeval_official_cases.jsonl").read_text().splitlines()]


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    env = {"VERIFIERS_DOMAINS": '["ifeval"]', "VERIFIERS_IFEVAL__WORKERS": "2",
           "VERIFIERS_IFEVAL__ITEM_TIMEOUT_S": "2"}
    with running_server(env) as base:
        wait_until_ready(base)
        yield base


def score(url: str, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    reply = httpx.post(f"{url}/score", json={"items": items}, timeout=60)
    assert reply.status_code == 200, reply.text
    return list(reply.json()["results"])


def item(response: str, ids: list[str], kwargs: list[dict[str, Any] | None], **label: Any) -> dict[str, Any]:
    return {"domain": "ifeval", "response": response,
            "label": {"instruction_id_list": ids, "kwargs": kwargs, **label}}


def test_official_unit_test_cases(url: str) -> None:
    results = score(url, [item(c["response"], [c["instruction_id"]], [c["kwargs"]]) for c in CASES])
    wrong = []
    for case, result in zip(CASES, results):
        expected = {True: "correct", False: "incorrect", "error": "error"}[case["expected"]]
        if result["status"] != expected:
            wrong.append((case["name"], result["status"], result["details"]))
    assert not wrong
    assert len(CASES) == 85


def test_prompt_level_reward_and_details(url: str) -> None:
    ids = ["punctuation:no_comma", "length_constraints:number_words", "startend:end_checker"]
    kwargs = [{}, {"num_words": 5, "relation": "at least", "keyword": None}, {"end_phrase": "Bye."}]
    good, bad = score(url, [item("one two three four five. Bye.", ids, kwargs),
                            item("one, two. Bye.", ids, kwargs)])
    assert (good["status"], good["reward"], good["score"]) == ("correct", 1.0, 1.0)
    assert (bad["status"], bad["reward"]) == ("incorrect", 0.0)
    assert bad["score"] == pytest.approx(1 / 3)
    assert [i["followed"] for i in bad["details"]["instructions"]] == [False, False, True]


def test_loose_mode_forgives_markdown_and_a_chatty_first_line(url: str) -> None:
    response = "Sure, here it is:\n**\"a quoted answer\"**"
    strict, loose = score(url, [item(response, ["startend:quotation"], [None]),
                                item(response, ["startend:quotation"], [None], mode="loose")])
    assert strict["status"] == "incorrect" and strict["details"]["mode"] == "strict"
    assert loose["status"] == "correct" and loose["details"]["mode"] == "loose"


def test_fraction_reward_mode(url: str) -> None:
    ids = ["punctuation:no_comma", "detectable_format:title"]
    (result,) = score(url, [item("a, b", ids, [None, None], reward_mode="fraction")])
    assert result["status"] == "incorrect" and result["reward"] == 0.0
    (result,) = score(url, [item("<<T>> a, b", ids, [None, None], reward_mode="fraction")])
    assert result["status"] == "incorrect" and result["reward"] == 0.5


@pytest.mark.parametrize(("ids", "kwargs", "named_id", "named_arg"), [
    (["keywords:no_such_check"], [{}], "keywords:no_such_check", None),
    (["length_constraints:number_words"], [{"num_words": 10}], "length_constraints:number_words", "relation"),
    (["length_constraints:number_words"], [{"num_words": "ten", "relation": "at least"}],
     "length_constraints:number_words", "num_words"),
    (["length_constraints:number_words"], [{"num_words": 10, "relation": "at most"}],
     "length_constraints:number_words", "relation"),
    (["detectable_format:title"], [{"num_words": 3}], "detectable_format:title", "num_words"),
    (["keywords:existence"], [{"keywords": "single string"}], "keywords:existence", "keywords"),
    (["keywords:existence"], [{"keywords": ["(unbalanced"]}], "keywords:existence", "keywords"),
    (["language:response_language"], [{"language": "klingon"}], "language:response_language", "language"),
    (["punctuation:no_comma", "detectable_format:title"], [{}], "*", None),
    ([], [], "*", None),
])
def test_bad_labels_are_errors_naming_id_and_argument(url: str, ids: list[str], kwargs: list[Any],
                                                      named_id: str, named_arg: str | None) -> None:
    (result,) = score(url, [item("Any response at all.", ids, kwargs)])
    assert result["status"] == "error" and result["mask"] is False
    assert result["details"]["instruction_id"] == named_id
    assert result["details"]["argument"] == named_arg
    assert named_id in result["details"]["reason"]


def test_nulls_in_kwargs_mean_absent(url: str) -> None:
    # NVIDIA's rows carry every argument name of the dataset, null where unused.
    kwargs = [{"num_words": None, "relation": None, "language": None, "end_phrase": None}]
    (result,) = score(url, [item("no commas here", ["punctuation:no_comma"], kwargs)])
    assert result["status"] == "correct"


def test_open_instruct_spelling_and_absent_kwargs(url: str) -> None:
    open_instruct = {"domain": "ifeval", "response": "no commas",
                     "label": {"instruction_id": ["punctuation:no_comma"], "kwargs": [None]}}
    no_kwargs = {"domain": "ifeval", "response": "<<Title>> body",
                 "label": {"instruction_id_list": ["detectable_format:title", "punctuation:no_comma"]}}
    needs_kwargs = {"domain": "ifeval", "response": "x",
                    "label": {"instruction_id_list": ["length_constraints:number_words"]}}
    first, second, third = score(url, [open_instruct, no_kwargs, needs_kwargs])
    assert first["status"] == "correct" and second["status"] == "correct"
    assert third["status"] == "error" and third["details"]["argument"] == "num_words"


def test_thinking_responses(url: str) -> None:
    ids, kwargs = ["punctuation:no_comma"], [None]
    closed, unclosed, prompt_opened = score(url, [
        item("<think>a, b, c</think>No commas here.", ids, kwargs),
        item("<think>still thinking, and", ids, kwargs),
        {**item("thinking, on and on", ids, kwargs), "prompt": "<|im_start|>assistant\n<think>\n"},
    ])
    assert closed["status"] == "correct"
    assert unclosed["status"] == "format_error" and prompt_opened["status"] == "format_error"


def test_hostile_responses_get_verdicts(url: str) -> None:
    bullets = ["detectable_format:number_bullet_lists"]
    results = score(url, [
        item("", ["punctuation:no_comma"], [None]),
        item("\n" * 200_000 + "x", bullets, [{"num_bullets": 1}]),
        item("\x00\ud7ff" * 1000, ["change_case:english_lowercase"], [None]),
        item("{" * 50_000, ["detectable_format:json_format"], [None]),
    ])
    assert results[0]["status"] == "incorrect"  # an empty response follows nothing
    assert results[1]["status"] == "timeout" and results[1]["mask"] is False
    assert results[2]["status"] in ("correct", "incorrect")
    assert results[3]["status"] == "incorrect"
    (after,) = score(url, [item("fine", ["punctuation:no_comma"], [None])])
    assert after["status"] == "correct"  # the killed worker was replaced


def test_openrlhf_get_reward_with_an_nvidia_label(url: str) -> None:
    prompt = "<|im_start|>user\nAnswer without commas, in two paragraphs.<|im_end|>\n<|im_start|>assistant\n"
    label = {"domain": "ifeval", "instruction_id_list": ["punctuation:no_comma", "paragraphs:paragraphs2"],
             "kwargs": [{"N": None, "num_words": None}, {"N": None, "num_words": None}]}
    responses = ["First part.\n\nSecond part.<|im_end|>", "First, part.\n\nSecond part.<|im_end|>",
                 "<think>one, two\n\nthree</think>First part.\n\nSecond part.<|im_end|>"]
    reply = httpx.post(f"{url}/get_reward", timeout=60, json={
        "query": [prompt + r for r in responses], "prompts": [prompt] * 3, "labels": [json.dumps(label)] * 3})
    assert reply.status_code == 200, reply.text
    assert reply.json()["rewards"] == [1.0, 0.0, 1.0]


def test_language_verdicts_are_the_same_on_every_worker(url: str) -> None:
    # Short mixed-language texts are where unseeded langdetect flips between calls.
    texts = ["Ciao amigo, bonjour", "Das ist gut, no?", "ok merci gracias", "Hola mundo hello"]
    items = [item(t, ["language:response_language"], [{"language": lang}])
             for t in texts for lang in ("en", "es", "fr", "de", "it") for _ in range(6)]
    results = score(url, items)
    by_item: dict[tuple[str, str], set[str]] = {}
    for it, result in zip(items, results):
        key = (it["response"], it["label"]["kwargs"][0]["language"])
        by_item.setdefault(key, set()).add(result["status"])
    assert all(len(statuses) == 1 for statuses in by_item.values()), by_item
    assert {s for statuses in by_item.values() for s in statuses} == {"correct", "incorrect"}

"""The one label rule (verifiers/labels.py): every shape of DESIGN.md's "Label schema", and the same
answer from each way a label arrives: /get_reward, /score, `verifiers score` and the verl/TRL client."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import AsyncIterator

import httpx
import pytest

from adapters.client import native_item
from tests.conftest import ROOT
from verifiers.engine import Engine
from verifiers.errors import LabelError
from verifiers.labels import RoutedLabel, route_label
from verifiers.server import create_app
from verifiers.settings import Settings

CODE = {"tests": {"inputs": ["1 2\n"], "outputs": ["3\n"]}}
IFEVAL = {"instruction_id_list": ["punctuation:no_comma"], "kwargs": [{}]}
SWE = {"golden_patch": "diff --git a/f.py b/f.py\n--- a/f.py\n+++ b/f.py\n@@ -1 +1 @@\n-x = 1\n+x = 2\n"}

ROUTED = [
    # math: `{answer}`, a bare string, a number, with or without `domain`
    ({"domain": "math", "answer": "3"}, RoutedLabel("math", {"answer": "3"})),
    ({"answer": "3"}, RoutedLabel("math", {"answer": "3"})),
    ("\\frac{1}{2}", RoutedLabel("math", "\\frac{1}{2}")),
    (42, RoutedLabel("math", "42")),
    (0.5, RoutedLabel("math", "0.5")),
    # every domain's object, as an object and as its JSON string
    ({"domain": "code", **CODE}, RoutedLabel("code", CODE)),
    (json.dumps({"domain": "code", **CODE}), RoutedLabel("code", CODE)),
    ({"domain": "ifeval", **IFEVAL}, RoutedLabel("ifeval", IFEVAL)),
    ({"domain": "if_rm", **IFEVAL, "group_size": 4}, RoutedLabel("if_rm", {**IFEVAL, "group_size": 4})),
    ({"domain": "rm"}, RoutedLabel("rm", {})),
    (f"  {json.dumps({'domain': 'swe', **SWE})}\n", RoutedLabel("swe", SWE)),
    # the transport keys leave the payload; the group id travels beside it
    ({"domain": "if_rm", "group_id": "p7", "group_size": 2}, RoutedLabel("if_rm", {"group_size": 2}, "p7")),
    ({"group_id": 7, "answer": "1"}, RoutedLabel("math", {"answer": "1"}, "7")),
]


@pytest.mark.parametrize(("raw", "routed"), ROUTED)
def test_every_label_shape_is_routed(raw, routed):
    assert route_label(raw, "math") == routed


def test_the_default_domain_takes_objects_without_domain_and_bare_answers():
    assert route_label("plain text", "ifeval") == RoutedLabel("ifeval", "plain text")
    assert route_label(IFEVAL, "ifeval") == RoutedLabel("ifeval", IFEVAL)
    assert route_label({"domain": "math", "answer": "1"}, "ifeval").domain == "math"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "the label is empty"),
        ("   ", "the label is empty"),
        ('{"domain": "code", "tests": ', "looks like a JSON object but does not parse"),
        ("{1, 2}", "looks like a JSON object but does not parse"),
        (None, "got null"),
        (True, "got true/false"),
        ([1, 2], "got list"),
        ({"domain": 3}, "domain: must be a string"),
        ({"answer": "1", "group_id": [1]}, "group_id: must be a string or an integer"),
    ],
)
def test_labels_the_rule_refuses_say_why(raw, message):
    with pytest.raises(LabelError, match=message):
        route_label(raw, "math")


@pytest.mark.parametrize(("raw", "routed"), ROUTED)
def test_the_trainer_client_routes_like_the_service(raw, routed):
    item = native_item("response", raw, "math")
    expected = {"domain": routed.domain, "response": "response", "label": routed.payload}
    if routed.group_id is not None:
        expected["group_id"] = routed.group_id
    assert item == expected


def test_the_client_sends_a_refused_label_unchanged_for_the_service_to_name_the_problem():
    assert native_item("r", "{broken", "math") == {"domain": "math", "response": "r", "label": "{broken"}


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    """The real app on a started engine (math and ifeval, one worker each), over ASGI."""
    settings = Settings(
        domains=["math", "ifeval"], math={"workers": 1}, ifeval={"workers": 1}, openrlhf={"default_domain": "ifeval"}
    )
    async with Engine(settings) as engine:
        transport = httpx.ASGITransport(app=create_app(settings, engine))
        async with httpx.AsyncClient(transport=transport, base_url="http://verifiers", timeout=60) as http:
            yield http


async def test_get_reward_applies_the_rule_with_openrlhf_default_domain(client):
    labels = [
        json.dumps({"domain": "math", "answer": "2"}),  # names its domain
        IFEVAL,  # no domain: openrlhf.default_domain (ifeval here), not math
        '{"domain": "math", "answer": ',  # truncated JSON: an error, not a math answer
        {"domain": "math", "answer": "2", "group_id": ["x"]},
    ]
    query = ["\\boxed{2}", "no commas here", "\\boxed{2}", "\\boxed{2}"]
    reply = (await client.post("/get_reward", json={"query": query, "labels": labels})).json()
    logs = reply["extra_logs"]
    assert reply["rewards"] == [1.0, 1.0, 0.0, 0.0]
    assert logs["verifier_correct"] == [1.0, 1.0, 0.0, 0.0] and logs["verifier_error"] == [0.0, 0.0, 1.0, 1.0]
    assert logs["domain_math"] == [1.0, 0.0, 0.0, 0.0] and logs["domain_ifeval"] == [0.0, 1.0, 0.0, 0.0]


async def test_score_applies_the_rule_and_names_the_field(client):
    good = [
        {"domain": "math", "response": "\\boxed{2}", "label": '{"answer": "2"}'},
        {"domain": "math", "response": "\\boxed{2}", "label": {"domain": "math", "answer": "2", "group_id": "g"}},
        {"domain": "ifeval", "response": "no commas", "label": json.dumps({"domain": "ifeval", **IFEVAL})},
    ]
    reply = await client.post("/score", json={"items": good})
    assert [r["status"] for r in reply.json()["results"]] == ["correct", "correct", "correct"]
    bad = [
        {"domain": "math", "response": "x", "label": "{1, 2}"},
        {"domain": "math", "response": "x", "label": {"domain": "ifeval", **IFEVAL}},
        {"domain": "math", "response": "x", "label": "  "},
    ]
    reply = await client.post("/score", json={"items": bad})
    assert reply.status_code == 422
    errors = reply.json()["detail"]
    assert [e["loc"] for e in errors] == [
        ["body", "items", 0, "label"],
        ["body", "items", 1, "label", "domain"],
        ["body", "items", 2, "label"],
    ]
    assert "does not parse" in errors[0]["msg"] and "names domain 'ifeval', not 'math'" in errors[1]["msg"]


def test_the_cli_refuses_a_label_the_rule_refuses(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(
        json.dumps({"domain": "math", "response": "\\boxed{2}", "label": "2"})
        + "\n"
        + json.dumps({"domain": "math", "response": "\\boxed{2}", "label": '{"answer": '})
        + "\n"
    )
    proc = subprocess.run(
        [sys.executable, "-m", "verifiers", "score", str(src), "-o", str(tmp_path / "out.jsonl")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "VERIFIERS_DOMAINS": '["math"]'},
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f"verifiers: {src}:2: invalid label: the label looks like a JSON object but does not parse: "
        "Expecting value: line 1 column 11 (char 10)"
    ]
    assert not (tmp_path / "out.jsonl").exists()  # nothing is written before every line is known good

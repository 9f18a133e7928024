"""NVIDIA-format IF rows (every argument name present, null where unused) through `verifiers score`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT
from tests.ifeval_generate import IFEVAL_IDS, triples
from verifiers.domains.ifeval.catalog import bind_all, follow
from verifiers.domains.ifeval.spec import REGISTRY


def test_nvidia_rows_score_without_errors(tmp_path: Path) -> None:
    names = sorted({a.name for spec in REGISTRY.values() for a in spec.signature.args})
    rows = triples(300, seed=7)
    src, out = tmp_path / "if.jsonl", tmp_path / "out.jsonl"
    with src.open("w") as f:
        for ids, kwargs, response in rows:
            padded = [{name: k.get(name) for name in names} for k in kwargs]
            label = {"instruction_id_list": ids, "kwargs": padded}
            f.write(json.dumps({"domain": "ifeval", "response": response, "label": label}) + "\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "VERIFIERS_DOMAINS": '["ifeval"]', "VERIFIERS_IFEVAL__WORKERS": "2"}
    proc = subprocess.run([sys.executable, "-m", "verifiers", "score", str(src), "-o", str(out)],
                          env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    results = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(results) == len(rows)
    assert {r["status"] for r in results} <= {"correct", "incorrect"}
    assert {i for ids, _, _ in rows for i in ids} == set(IFEVAL_IDS)
    for (ids, kwargs, response), result in zip(rows, results):
        assert [i["followed"] for i in result["details"]["instructions"]] == follow(
            bind_all(ids, kwargs), response, "strict")

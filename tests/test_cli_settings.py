"""`verifiers score` end to end, and where settings come from."""

import json
import subprocess
import sys

from tests.conftest import ROOT
from verifiers.settings import Settings


def test_score_command_writes_one_result_per_line_and_a_summary(tmp_path):
    src = tmp_path / "in.jsonl"
    rows = [
        {"domain": "math", "response": "\\boxed{2}", "label": {"answer": "2"}},
        {"domain": "math", "response": "\\boxed{3}", "label": "2"},
        {"domain": "nope", "response": "x", "label": "2"},
        "this line is not JSON",
    ]
    src.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n")
    out = tmp_path / "out.jsonl"
    proc = subprocess.run([sys.executable, "-m", "verifiers", "score", str(src), "-o", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "COLUMNS": "200"})
    assert proc.returncode == 0, proc.stderr
    results = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["status"] for r in results] == ["correct", "incorrect", "error", "error"]
    assert "line 4" in results[3]["details"]["reason"]
    assert "mean reward" in proc.stderr and "math" in proc.stderr


def test_precedence_overrides_then_environment_then_file(tmp_path, monkeypatch):
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text("server:\n  port: 9001\n  host: 0.0.0.0\nmath:\n  item_timeout_s: 3\n")
    s = Settings.load(cfg)
    assert (s.server.port, s.server.host, s.math.item_timeout_s) == (9001, "0.0.0.0", 3)
    monkeypatch.setenv("VERIFIERS_SERVER__PORT", "9002")
    assert Settings.load(cfg).server.port == 9002
    assert Settings.load(cfg, **{"server.port": 9003}).server.port == 9003
    assert Settings.load(cfg).server.host == "0.0.0.0"


def test_toml_config_and_defaults_bind_loopback(tmp_path):
    cfg = tmp_path / "cfg.toml"
    cfg.write_text("[math]\nworkers = 3\n")
    s = Settings.load(cfg)
    assert s.math.workers == 3 and s.server.host == "127.0.0.1"

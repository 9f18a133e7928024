"""`verifiers score` end to end, and where settings come from."""

import json
import subprocess
import sys

import pytest
from pydantic import ValidationError

from tests.conftest import ROOT
from verifiers.errors import SettingRenamed
from verifiers.settings import Settings


def _verifiers(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "verifiers", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "COLUMNS": "200",
                                            **(env or {})})


def test_score_command_writes_one_result_per_line_and_a_summary(tmp_path):
    src = tmp_path / "in.jsonl"
    rows = [
        {"domain": "math", "response": "\\boxed{2}", "label": {"answer": "2"}},
        {"domain": "math", "response": "\\boxed{3}", "label": "2"},
        {"domain": "math", "response": "\\boxed{3}", "label": {"answer": " "}},  # an unusable reference
    ]
    src.write_text("\n".join(json.dumps(r) for r in rows) + "\n\n")  # a blank line is skipped
    out = tmp_path / "out.jsonl"
    proc = _verifiers("score", str(src), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    results = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["status"] for r in results] == ["correct", "incorrect", "error"]
    assert "mean reward" in proc.stderr and "math" in proc.stderr


ITEM = json.dumps({"domain": "math", "response": "\\boxed{2}", "label": "2"})


@pytest.mark.parametrize(
    ("lines", "problem"),
    [
        ([ITEM, "this line is not JSON"], "in.jsonl:2: not valid JSON: "),
        ([ITEM, json.dumps({"domain": "nope", "response": "x", "label": "2"})],
         "in.jsonl:2: unknown domain 'nope'; this server serves ['math']"),
        ([json.dumps({"domain": "math", "label": "2"})], "in.jsonl:1: response: Field required"),
        ([json.dumps(["math", "x", "2"])], "in.jsonl:1: item: Input should be a valid dictionary"),
        ([json.dumps({"domain": "math", "response": "x", "label": {"answr": "2"}})],
         "in.jsonl:1: invalid math label: answer: Field required"),
    ],
)
def test_a_bad_input_line_is_one_line_and_exit_status_2(tmp_path, lines, problem):
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(lines) + "\n")
    out = tmp_path / "out.jsonl"
    proc = _verifiers("score", str(src), "-o", str(out), env={"VERIFIERS_DOMAINS": '["math"]',
                                                                "VERIFIERS_MATH__WORKERS": "1"})
    assert proc.returncode == 2
    [line] = proc.stderr.splitlines()
    assert line.startswith(f"verifiers: {tmp_path}/") and problem in line, line
    assert not out.exists()


@pytest.mark.parametrize(
    ("config", "args", "problem"),
    [
        (None, ["score", "missing.jsonl", "-o", "out.jsonl"], "cannot read missing.jsonl: [Errno 2] No such file"),
        (None, ["score", "in.jsonl", "-o", "no/such/dir/out.jsonl"], "cannot write no/such/dir/out.jsonl: [Errno 2]"),
        (None, ["score", "in.jsonl", "-o", "out.jsonl", "--config", "missing.yaml"],
         "cannot read the configuration file missing.yaml: [Errno 2] No such file"),
        ("math: [unclosed", ["serve", "--config", "cfg.yaml"], "cannot read the configuration file cfg.yaml: "),
        ("- a list", ["serve", "--config", "cfg.yaml"], "the top level of a config file must be a mapping"),
        ("math:\n  workers: many\n", ["serve", "--config", "cfg.yaml"],
         "invalid configuration: math.workers: Input should be a valid integer"),
        ("domains: [math, chemistry]\n", ["serve", "--config", "cfg.yaml"],
         "invalid configuration: domains: Value error, unknown domain(s) ['chemistry']"),
    ],
)
def test_a_cli_error_is_one_line_and_exit_status_2(tmp_path, config, args, problem):
    (tmp_path / "in.jsonl").write_text(ITEM + "\n")
    if config is not None:
        (tmp_path / "cfg.yaml").write_text(config)
    # Nothing from the environment: it would override the configuration file under test.
    proc = subprocess.run([sys.executable, "-m", "verifiers", *args], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 2
    [line] = proc.stderr.splitlines()
    assert line.startswith("verifiers: ") and problem in line, line


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


def test_a_path_that_could_outlast_the_backstop_is_refused_at_start_up():
    assert Settings(rm={"backend": "vllm"}, swe={"judge": {"url": "http://judge:8000/v1"}})  # the defaults fit
    slow_rm = {"backend": "vllm", "vllm": {"timeout_s": 40}}
    with pytest.raises(ValidationError) as refused:
        Settings(rm=slow_rm)
    message = str(refused.value)
    assert "engine.item_deadline_s (120 s)" in message
    assert "rm: rm.vllm (2 + 1) x timeout_s 40" in message and "if_rm: ifeval.item_timeout_s 5" in message
    assert Settings(rm=slow_rm, engine={"item_deadline_s": 200})
    assert Settings(rm=slow_rm, domains=["math", "rm"], engine={"item_deadline_s": 125})  # if_rm not served
    with pytest.raises(ValidationError, match="if_rm: ifeval.item_timeout_s 5 \\+ the local model's forward"):
        Settings(if_rm={"group_deadline_s": 119})


def test_an_invalid_configuration_is_a_short_message_and_exit_status_2(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "verifiers", "serve"], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin",
                                            "VERIFIERS_SERVER__PORT": "eighty", "VERIFIERS_RM__VLLM__TIMEOUT_S": "0"})
    assert proc.returncode == 2
    assert proc.stderr.startswith("verifiers: invalid configuration")
    assert "server.port: Input should be a valid integer" in proc.stderr
    assert "rm.vllm.timeout_s: Input should be greater than 0" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_code_backends_are_nested_and_the_old_flat_names_still_work_with_a_warning(tmp_path, monkeypatch):
    s = Settings(code={"docker": {"image": "mine:1", "pids": 64}, "compose": {"socket_dir": "/s"}})
    assert (s.code.docker.image, s.code.docker.pids, s.code.compose.socket_dir) == ("mine:1", 64, "/s")
    monkeypatch.setenv("VERIFIERS_CODE__DOCKER_IMAGE", "old:1")
    monkeypatch.setenv("VERIFIERS_CODE__SOCKET_DIR", "/old")
    with pytest.warns(SettingRenamed) as warned:
        s = Settings.load()
    assert (s.code.docker.image, s.code.compose.socket_dir) == ("old:1", "/old")
    assert sorted(str(w.message) for w in warned) == [
        "code.docker_image (VERIFIERS_CODE__DOCKER_IMAGE) is renamed code.docker.image "
        "(VERIFIERS_CODE__DOCKER__IMAGE); the old name goes in the next release",
        "code.socket_dir (VERIFIERS_CODE__SOCKET_DIR) is renamed code.compose.socket_dir "
        "(VERIFIERS_CODE__COMPOSE__SOCKET_DIR); the old name goes in the next release",
    ]
    monkeypatch.setenv("VERIFIERS_CODE__DOCKER__IMAGE", "new:2")  # the new name wins over the old one
    with pytest.warns(SettingRenamed):
        assert Settings.load().code.docker.image == "new:2"
    monkeypatch.delenv("VERIFIERS_CODE__DOCKER_IMAGE")
    monkeypatch.delenv("VERIFIERS_CODE__SOCKET_DIR")
    monkeypatch.delenv("VERIFIERS_CODE__DOCKER__IMAGE")
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text("code:\n  python: /opt/py/bin/python3\n  docker_memory_mb: 1024\n")
    with pytest.warns(SettingRenamed) as warned:
        s = Settings.load(cfg)
    assert (s.code.local.python, s.code.docker.memory_mb) == ("/opt/py/bin/python3", 1024)
    assert [str(w.message).split(" (")[0] for w in warned] == ["code.python", "code.docker_memory_mb"]


def test_the_cli_shows_a_renamed_setting_warning():
    """Python hides a DeprecationWarning raised outside __main__; `verifiers` shows this one."""
    proc = subprocess.run([sys.executable, "-m", "verifiers", "score", "missing.jsonl", "-o", "out.jsonl"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "VERIFIERS_CODE__DOCKER_PIDS": "64"})
    assert proc.returncode == 2
    assert "SettingRenamed: code.docker_pids (VERIFIERS_CODE__DOCKER_PIDS) is renamed code.docker.pids" in proc.stderr

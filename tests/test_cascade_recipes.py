"""The Cascade recipes: every generated command line goes through OpenRLHF 0.11.2's own parser.

`adapters.openrlhf.openrlhf_cli.check` runs train_ppo_ray's `__main__` block (parser + its
consistency checks) from the installed OpenRLHF, so a renamed flag fails here as at launch.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
import yaml

from adapters.openrlhf import cascade
from adapters.openrlhf.openrlhf_cli import CommandError, check
from tests.conftest import ROOT

RECIPE = ROOT / "adapters" / "openrlhf" / "recipes" / "cascade"


@pytest.fixture(scope="module")
def parsed():
    recipe = cascade.load(RECIPE)
    return recipe, {run.name: check(cascade.render_flags(run.flags)) for run in recipe.runs}


def test_every_stage_parses_with_openrlhf_and_is_the_paper_algorithm(parsed):
    recipe, args = parsed
    assert list(args) == ["rlhf", "ifrl", "math-24k", "math-32k", "math-40k", "code", "swe-16k", "swe-24k"]
    for name, a in args.items():
        assert a.algo.advantage.estimator == "group_norm", name
        assert a.algo.kl.init_coef == 0 and not a.algo.kl.use_loss, name  # no KL => no reference model
        assert a.actor.loss_agg_mode == "token-mean", name
        assert a.train.max_epochs == 1 and not a.train.async_enable, name
        assert a.train.batch_size == a.rollout.batch_size * a.rollout.n_samples_per_prompt, name
        assert a.rollout.n_samples_per_prompt > 1, name
        assert a.reward.remote_url == [recipe.variables["reward"]], name
        assert (a.data.input_key, a.data.label_key, a.data.apply_chat_template) == ("input", "label", True)
        assert a.train.max_tokens_per_gpu >= a.data.max_len, name


def test_each_run_starts_from_the_previous_checkpoint(parsed):
    recipe, args = parsed
    runs = list(args.values())
    assert runs[0].actor.model_name_or_path == recipe.variables["model"]
    for before, after in zip(runs, runs[1:]):
        assert after.actor.model_name_or_path == before.ckpt.output_dir
    assert len({a.ckpt.output_dir for a in runs}) == len(runs)


def test_stage_specific_settings(parsed):
    _, args = parsed
    math = [args[f"math-{k}"] for k in ("24k", "32k", "40k")]
    assert [a.rollout.max_new_tokens for a in math] == [24 * 1024, 32 * 1024, 40 * 1024]
    assert all(a.algo.dynamic_filtering_enable and tuple(a.algo.dynamic_filtering_range) == (0.0, 1.0) for a in math)
    code = args["code"]
    assert 44 * 1024 <= code.rollout.max_new_tokens <= 48 * 1024 and code.rollout.temperature == 1.0
    assert code.reward.overlong_buffer_len is None and not code.algo.dynamic_filtering_enable
    swe = [args["swe-16k"], args["swe-24k"]]
    assert [a.data.max_len - a.rollout.max_new_tokens for a in swe] == [16 * 1024, 24 * 1024]


def test_a_renamed_or_abbreviated_flag_fails():
    with pytest.raises(CommandError, match="remote_rm_url"):
        check(["--remote_rm_url", "http://x/get_reward"])  # the pre-0.10.2 flat name
    with pytest.raises(CommandError, match="abbreviation"):
        check(["--reward.remote", "http://x/get_reward"])  # argparse alone would accept this prefix


def test_openrlhf_own_consistency_checks_run():
    with pytest.raises(CommandError, match="n_samples_per_prompt > 1"):
        check(["--algo.advantage.estimator", "group_norm", "--rollout.n_samples_per_prompt", "1"])


def copy_recipe(tmp_path: Path) -> Path:
    target = tmp_path / "recipe"
    shutil.copytree(RECIPE, target)
    return target


def test_a_recipe_with_a_stale_flag_name_is_rejected_by_check(tmp_path):
    recipe_dir = copy_recipe(tmp_path)
    stage = recipe_dir / "stages" / "code.yaml"
    data = yaml.safe_load(stage.read_text())
    data["flags"]["generate_max_len"] = data["flags"].pop("rollout.max_new_tokens")
    stage.write_text(yaml.safe_dump(data))
    assert cascade.main([str(recipe_dir), "--check"]) == 1


def test_variables_overrides_and_derived_flags(tmp_path):
    recipe = cascade.load(RECIPE, {"group_size": "4", "prompts_per_step": "32", "model": "/m/start"})
    first = recipe.runs[0].flags  # rlhf sets its own group size
    assert first["actor.model_name_or_path"] == "/m/start"
    ifrl = recipe.runs[1].flags
    assert ifrl["rollout.n_samples_per_prompt"] == 4 and ifrl["train.batch_size"] == 128
    launcher = """ray job submit --runtime-env-json='{"working_dir": "."}' -- python3 -m openrlhf.cli.train_ppo_ray"""
    submitted = cascade.load(RECIPE, {"launcher": launcher})
    assert submitted.command(submitted.runs[0])[:5] == [
        "ray", "job", "submit", '--runtime-env-json={"working_dir": "."}', "--"]
    with pytest.raises(cascade.RecipeError, match="no such variable"):
        cascade.load(RECIPE, {"grup_size": "4"})
    recipe_dir = copy_recipe(tmp_path)
    stage = recipe_dir / "stages" / "math.yaml"
    stage.write_text(stage.read_text().replace("flags:\n", "flags:\n  train.batch_size: 64\n", 1))
    with pytest.raises(cascade.RecipeError, match="train.batch_size is derived"):
        cascade.load(recipe_dir)


FAKE_TRAINER = """
import json, pathlib, sys
argv = sys.argv[1:]
out = pathlib.Path(argv[argv.index("--ckpt.output_dir") + 1])
log = pathlib.Path(sys.argv[0]).with_suffix(".log")
with log.open("a") as f:
    f.write(out.name + "\\n")
if out.name == "{fail}":
    sys.exit(3)
out.mkdir(parents=True)
(out / "config.json").write_text("{{}}")
"""


def test_driver_runs_in_order_stops_on_failure_and_resumes(tmp_path):
    """The launcher is a script that records the run and saves a model, as train_ppo_ray would."""
    recipe_dir = copy_recipe(tmp_path)
    trainer = tmp_path / "trainer.py"
    trainer.write_text(FAKE_TRAINER.format(fail="math-32k"))
    args = [str(recipe_dir), "--set", f"workdir={tmp_path / 'out'}",
            "--set", f"launcher={sys.executable} {trainer}"]
    assert cascade.main(args) == 3
    log = trainer.with_suffix(".log")
    assert log.read_text().split() == ["rlhf", "ifrl", "math-24k", "math-32k"]
    trainer.write_text(FAKE_TRAINER.format(fail="none"))
    assert cascade.main(args) == 0  # finished runs are skipped
    assert log.read_text().split()[4:] == ["math-32k", "math-40k", "code", "swe-16k", "swe-24k"]
    shutil.rmtree(tmp_path / "out" / "swe-16k")
    shutil.rmtree(tmp_path / "out" / "swe-24k")
    assert cascade.main([*args, "--from", "swe"]) == 0  # a stage name starts at its first phase
    assert log.read_text().split()[9:] == ["swe-16k", "swe-24k"]


def test_grouped_labels_through_the_plugin_are_refused(tmp_path, capsys):
    """if_rm samples wait for their group; through the plugin they would fill OpenRLHF's thread pool."""
    dataset = tmp_path / "ifrl.jsonl"
    label = {"domain": "if_rm", "group_size": 16, "instruction_id_list": [], "kwargs": []}
    dataset.write_text(json.dumps({"input": [{"role": "user", "content": "Hi"}], "label": json.dumps(label)}) + "\n")
    args = [str(RECIPE), "--dry-run", "--set", f"ifrl_dataset={dataset}"]
    assert cascade.main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"ifrl: {dataset} holds if_rm labels") and "--set ifrl_reward=" in err
    assert cascade.main([*args, "--set", "ifrl_reward=http://verifiers:8000/get_reward"]) == 0
    label["domain"] = "ifeval"  # the unified model's IF-RL: nothing held, the plugin is fine
    dataset.write_text(json.dumps({"input": "Hi", "label": json.dumps(label)}) + "\n")
    assert cascade.main(args) == 0

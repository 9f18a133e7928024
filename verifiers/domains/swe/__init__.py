"""SWE (execution-free): a patch scored against the golden patch lexically, then by an LLM judge."""

"""Applying unified diffs and SEARCH/REPLACE edits to file text."""

from __future__ import annotations

import pytest

from verifiers.domains.swe.changes import PatchError
from verifiers.domains.swe.search_replace import parse_search_replace
from verifiers.domains.swe.unified import parse_unified

REPEATED = "x = 1\ny = 2\n\nx = 1\ny = 2\n\nx = 1\ny = 2\n"


def test_no_newline_at_end_of_file_markers() -> None:
    patch = ("--- a/f.py\n+++ b/f.py\n@@ -1,3 +1,3 @@\n a\n b\n-c\n\\ No newline at end of file\n"
             "+d\n\\ No newline at end of file\n")
    [change] = parse_unified(patch, {"f.py": "a\nb\nc"})
    assert change.after == "a\nb\nd\n" and change.diff == "@@ -1,3 +1,3 @@\n a\n b\n-c\n+d"


def test_ambiguous_context_goes_to_the_stated_line() -> None:
    patch = "--- a/f.py\n+++ b/f.py\n@@ -4,2 +4,2 @@\n x = 1\n-y = 2\n+y = 3\n"
    [change] = parse_unified(patch, {"f.py": REPEATED})
    assert change.after == "x = 1\ny = 2\n\nx = 1\ny = 3\n\nx = 1\ny = 2\n"


def test_wrong_line_numbers_use_the_nearest_match_after_the_previous_hunk() -> None:
    patch = ("--- a/f.py\n+++ b/f.py\n@@ -1,2 +1,2 @@\n x = 1\n-y = 2\n+y = 3\n"
             "@@ -1,2 +1,2 @@\n x = 1\n-y = 2\n+y = 4\n")
    [change] = parse_unified(patch, {"f.py": REPEATED})
    assert change.after == "x = 1\ny = 3\n\nx = 1\ny = 4\n\nx = 1\ny = 2\n"


def test_the_same_file_twice_applies_in_sequence() -> None:
    first = "--- a/f.py\n+++ b/f.py\n@@ -1,1 +1,1 @@\n-x = 1\n+x = 5\n"
    second = "--- a/f.py\n+++ b/f.py\n@@ -1,2 +1,2 @@\n x = 5\n-y = 2\n+y = 6\n"
    [change] = parse_unified(first + second, {"f.py": REPEATED})
    assert change.after is not None and change.after.startswith("x = 5\ny = 6\n")


def test_search_replace_first_occurrence_at_a_line_start() -> None:
    edit = "### f.py\n<<<<<<< SEARCH\ny = 2\n=======\ny = 7\n>>>>>>> REPLACE\n"
    [change] = parse_search_replace(edit, {"f.py": "yy = 2\n" + REPEATED})
    assert change.after == "yy = 2\nx = 1\ny = 7\n\nx = 1\ny = 2\n\nx = 1\ny = 2\n"


def test_search_replace_creates_a_new_file_and_applies_blocks_in_order() -> None:
    edits = ("### new.py\n<<<<<<< SEARCH\n=======\nimport os\n>>>>>>> REPLACE\n"
             "### new.py\n```python\n<<<<<<< SEARCH\nimport os\n=======\nimport sys\n>>>>>>> REPLACE\n```\n")
    [change] = parse_search_replace(edits, {})
    assert (change.before, change.after) == ("", "import sys\n")


@pytest.mark.parametrize("edit", [
    "### f.py\n<<<<<<< SEARCH\n=======\nz = 0\n>>>>>>> REPLACE\n",  # empty SEARCH on an existing file
    "### f.py\n<<<<<<< SEARCH\n= 2\n=======\nz = 0\n>>>>>>> REPLACE\n",  # not at a line start
])
def test_search_replace_errors(edit: str) -> None:
    with pytest.raises(PatchError):
        parse_search_replace(edit, {"f.py": REPEATED})

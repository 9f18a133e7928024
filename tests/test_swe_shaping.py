"""The SWE reward up to the judge on real SWE-bench instances: -1 / 0 / 1 / judge path."""

from __future__ import annotations

import difflib
import random
from typing import Any

import pytest

from tests.swe_fixtures import instance, label, search_replace
from verifiers.domains.swe.label import SweLabel
from verifiers.domains.swe.shaping import Candidate, grade_lexically
from verifiers.domains.swe.similarity import ratio
from verifiers.domains.swe.unified import parse_unified
from verifiers.sample import Sample
from verifiers.domains.swe.settings import SweSettings
from verifiers.verdict import Status, Verdict

DJANGO = "django__django-11099"
VALIDATORS = "django/contrib/auth/validators.py"
ASTROPY = "astropy__astropy-12907"
SEPARABLE = "astropy/modeling/separable.py"
SYMPY = "sympy__sympy-20590"
PRINT_HELPERS = "sympy/core/_print_helpers.py"
ALL = [DJANGO, ASTROPY, SYMPY, "sympy__sympy-13480"]


def grade(response: str, lab: dict[str, Any], **settings: Any) -> Verdict | Candidate:
    sample = Sample("swe", response, SweLabel.model_validate(lab))
    return grade_lexically(sample, SweSettings(**settings))


def thinking(answer: str) -> str:
    return f"<think>Let me look at the issue.</think>\n<solution>\n{answer}\n</solution>"


def gold(instance_id: str) -> str:
    return str(instance(instance_id)["golden_patch"])


def assert_reward(result: Verdict | Candidate, reward: float, status: Status) -> None:
    assert isinstance(result, Verdict), result
    assert (result.reward, result.status) == (reward, status), result.details


@pytest.mark.parametrize("instance_id", ALL)
def test_gold_against_itself_is_1(instance_id: str) -> None:
    result = grade(thinking(gold(instance_id)), label(instance_id))
    assert_reward(result, 1.0, Status.CORRECT)
    assert isinstance(result, Verdict) and result.details["syntax"] == {
        path: "ok" for path in instance(instance_id)["relevant_file_contents"]}


def test_gold_without_file_contents_is_1() -> None:
    assert_reward(grade(gold(ASTROPY), label(ASTROPY, relevant_file_contents=None)), 1.0, Status.CORRECT)


def test_gold_in_fences_with_crlf_and_shifted_line_numbers_is_1() -> None:
    shifted = gold(DJANGO).replace("@@ -7,7 +7,7 @@", "@@ -3,7 +3,7 @@").replace("\n", "\r\n")
    assert_reward(grade(thinking(f"```diff\n{shifted}```"), label(DJANGO)), 1.0, Status.CORRECT)


def test_search_replace_equal_to_gold_is_1() -> None:
    answer = search_replace(
        SEPARABLE, "        cright[-right.shape[0]:, -right.shape[1]:] = 1\n",
        "        cright[-right.shape[0]:, -right.shape[1]:] = right\n")
    result = grade(thinking(f"```python\n{answer}```"), label(ASTROPY))
    assert_reward(result, 1.0, Status.CORRECT)
    assert isinstance(result, Verdict) and result.details["format"] == "search_replace"


def test_crlf_file_contents_and_answer_still_match() -> None:
    lab = label(SYMPY)
    lab["relevant_file_contents"] = {PRINT_HELPERS: lab["relevant_file_contents"][PRINT_HELPERS].replace("\n", "\r\n")}
    answer = search_replace(
        PRINT_HELPERS, '    """\n\n    # Note, we always use the default ordering (lex) in __str__ and __repr__,\n',
        '    """\n\n    # Since this class is used as a mixin we set empty slots. That means that\n'
        "    # instances of any subclasses that use slots will not need to have a\n"
        "    # __dict__.\n    __slots__ = ()\n\n"
        "    # Note, we always use the default ordering (lex) in __str__ and __repr__,\n").replace("\n", "\r\n")
    assert_reward(grade(thinking(answer), lab), 1.0, Status.CORRECT)


@pytest.mark.parametrize("answer", [
    "I would change the regex to use \\Z instead of $.",
    "@@ -10,1 +10,1 @@\n-    regex = r'^[\\w.@+-]+$'\n+    regex = r'^[\\w.@+-]+\\Z'\n",  # no file header
    gold(DJANGO)[: gold(DJANGO).index("+    regex") + 5],  # truncated in the first hunk
    gold(DJANGO).rsplit("\n", 3)[0] + "\n",  # last hunk cut short
    gold(DJANGO).replace("-    regex = r'^[\\w.@+-]+$'", "-    regex = r'^[\\w.@+]+$'"),  # does not apply
    search_replace(VALIDATORS, "    regex = r'^[\\w.@+-]*$'\n", "    regex = r'^[\\w.@+-]+\\Z'\n"),  # not found
    search_replace("django/contrib/auth/forms.py", "x = 1\n", "x = 2\n"),  # file not in the context
    "### django/contrib/auth/validators.py\n<<<<<<< SEARCH\n    regex = r'^[\\w.@+-]+$'\n=======\n",  # unterminated
])
def test_unparseable_is_minus_1(answer: str) -> None:
    result = grade(thinking(answer), label(DJANGO))
    assert_reward(result, -1.0, Status.FORMAT_ERROR)
    assert isinstance(result, Verdict) and result.score == 0.0 and result.details["reason"]


def test_unterminated_thinking_and_oversized_answer_are_minus_1() -> None:
    assert_reward(grade("<think>" + gold(DJANGO), label(DJANGO)), -1.0, Status.FORMAT_ERROR)
    padded = thinking(gold(DJANGO) + "\n" * 2000)
    assert_reward(grade(padded, label(DJANGO), max_patch_chars=1000), -1.0, Status.FORMAT_ERROR)


@pytest.mark.parametrize("answer", [
    search_replace(VALIDATORS, "    flags = 0\n", "    flags = 0\n"),  # SEARCH == REPLACE
    "",  # empty diff
    "diff --git a/django/contrib/auth/validators.py b/django/contrib/auth/validators.py\n"
    "--- a/django/contrib/auth/validators.py\n+++ b/django/contrib/auth/validators.py\n",  # headers only
    "--- a/django/contrib/auth/validators.py\n+++ b/django/contrib/auth/validators.py\n"
    "@@ -24,2 +24,2 @@\n     )\n     flags = 0\n",  # context only
    gold(DJANGO) + gold(DJANGO).replace("-    regex = r'^[\\w.@+-]+$'\n+    regex = r'^[\\w.@+-]+\\Z'",
                                         "-    regex = r'^[\\w.@+-]+\\Z'\n+    regex = r'^[\\w.@+-]+$'"),  # done, undone
])
def test_no_op_is_0(answer: str) -> None:
    result = grade(thinking(answer), label(DJANGO))
    assert_reward(result, 0.0, Status.INCORRECT)


def test_partially_right_patch_goes_to_the_judge() -> None:
    only_first_hunk = gold(DJANGO)[: gold(DJANGO).index("@@ -17,7")]
    result = grade(thinking(only_first_hunk), label(DJANGO))
    assert isinstance(result, Candidate)
    assert 0.4 < result.s_lex < 1.0
    assert "+    regex = r'^[\\w.@+-]+\\Z'" in result.candidate_patch
    assert result.golden_patch.count("+    regex") == 2


def test_multi_file_new_deleted_and_renamed_files() -> None:
    new_file = ("diff --git a/django/contrib/auth/checks_newline.py b/django/contrib/auth/checks_newline.py\n"
                "new file mode 100644\n--- /dev/null\n+++ b/django/contrib/auth/checks_newline.py\n"
                "@@ -0,0 +1,2 @@\n+def check():\n+    return []\n")
    result = grade(thinking(gold(DJANGO) + new_file), label(DJANGO))
    assert isinstance(result, Candidate)
    assert result.details["files"] == {VALIDATORS: 1.0, "django/contrib/auth/checks_newline.py": 0.0}
    assert result.s_lex == 0.5

    contents = instance(DJANGO)["relevant_file_contents"][VALIDATORS].splitlines(keepends=True)
    deleted = (f"diff --git a/{VALIDATORS} b/{VALIDATORS}\ndeleted file mode 100644\n--- a/{VALIDATORS}\n+++ /dev/null\n"
               f"@@ -1,{len(contents)} +0,0 @@\n" + "".join("-" + line for line in contents))
    result = grade(thinking(deleted), label(DJANGO))
    # Lexically a deletion shares every removed line with the gold diff (the judge must tell them apart).
    assert isinstance(result, Candidate) and 0.5 < result.s_lex < 1.0
    assert result.candidate_patch.count("\n-") == len(contents) and "\n+" not in result.candidate_patch.split("@@")[-1]

    renamed = gold(DJANGO).replace(
        f"--- a/{VALIDATORS}\n+++ b/{VALIDATORS}",
        f"similarity index 90%\nrename from {VALIDATORS}\nrename to django/contrib/auth/username.py\n"
        f"--- a/{VALIDATORS}\n+++ b/django/contrib/auth/username.py").replace(
        f"b/{VALIDATORS}\nsimilarity", "b/django/contrib/auth/username.py\nsimilarity")
    result = grade(thinking(renamed), label(DJANGO))
    assert isinstance(result, Candidate)
    assert result.details["files"] == {VALIDATORS: 0.0, "django/contrib/auth/username.py": 0.0}
    assert "rename from django/contrib/auth/validators.py to django/contrib/auth/username.py" in result.candidate_patch


def test_multi_file_gold_against_part_of_it() -> None:
    both = {**label(DJANGO)["relevant_file_contents"], **label(SYMPY)["relevant_file_contents"]}
    lab = label(DJANGO, golden_patch=gold(DJANGO) + gold(SYMPY), relevant_file_contents=both)
    assert_reward(grade(thinking(gold(SYMPY) + gold(DJANGO)), lab), 1.0, Status.CORRECT)
    result = grade(thinking(gold(SYMPY)), lab)
    assert isinstance(result, Candidate) and result.details["files"] == {PRINT_HELPERS: 1.0, VALIDATORS: 0.0}


def test_syntax_breaking_patch_is_reported_and_optionally_minus_1() -> None:
    answer = search_replace(SEPARABLE, "        cright[-right.shape[0]:, -right.shape[1]:] = 1\n",
                            "        cright[-right.shape[0]:, -right.shape[1]:] = right(\n")
    result = grade(thinking(answer), label(ASTROPY))
    assert isinstance(result, Candidate) and result.details["syntax"] == {SEPARABLE: "broken"}
    assert_reward(grade(thinking(answer), label(ASTROPY), syntax_error_unparseable=True), -1.0, Status.FORMAT_ERROR)


@pytest.mark.parametrize("golden_patch", [
    "not a patch",
    gold(DJANGO).replace("-    regex = r'^[\\w.@+-]+$'", "-    regex = r'^[a-z]+$'"),  # does not apply
    "--- a/django/contrib/auth/validators.py\n+++ b/django/contrib/auth/validators.py\n",  # changes nothing
])
def test_bad_golden_patch_is_an_error_never_a_reward(golden_patch: str) -> None:
    for answer in ("garbage", "", golden_patch):
        result = grade(thinking(answer), label(DJANGO, golden_patch=golden_patch))
        assert isinstance(result, Verdict) and result.status is Status.ERROR
        assert result.details["reason"].startswith("bad label")


def test_search_replace_needs_file_contents() -> None:
    answer = search_replace(VALIDATORS, "    flags = 0\n", "    flags = 1\n")
    result = grade(thinking(answer), label(DJANGO, relevant_file_contents=None))
    assert isinstance(result, Verdict) and result.status is Status.ERROR
    assert "relevant_file_contents" in result.details["reason"]


def test_file_contents_as_records() -> None:
    records = [{"file_path": VALIDATORS, "content": instance(DJANGO)["relevant_file_contents"][VALIDATORS]}]
    assert SweLabel.model_validate(label(DJANGO, relevant_file_contents=records)).relevant_file_contents == \
        instance(DJANGO)["relevant_file_contents"]


def test_lexical_ratio_is_bit_identical_to_difflib() -> None:
    diffs = [c.diff for i in ALL for c in parse_unified(gold(i), instance(i)["relevant_file_contents"])]
    for a in diffs:
        for b in diffs:
            assert ratio(a, b) == difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def test_lexical_ratio_matches_difflib_on_random_text() -> None:
    rng = random.Random(7)
    for _ in range(300):
        alphabet = rng.choice(["ab", "abc\n", "+- x=1\n", "".join(map(chr, range(32, 127)))])
        a = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 400)))
        b = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 400)))
        assert ratio(a, b) == difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()

"""Answer extraction and thinking handling: pure functions, no workers."""

from verifiers.domains.math.extract import MAX_GROUP, answer_boxes
from verifiers.text import final_answer, last_boxed


def test_last_boxed_takes_the_last_complete_box():
    assert last_boxed(r"first \boxed{1} then \boxed{\frac{2}{3}} done", 100).content == r"\frac{2}{3}"


def test_last_boxed_skips_a_truncated_box():
    assert last_boxed(r"\boxed{7} and finally \boxed{\frac{1}{", 100).content == "7"


def test_last_boxed_handles_nested_and_escaped_braces():
    assert last_boxed(r"\boxed{\{1, {2}\}}", 100).content == r"\{1, {2}\}"
    assert last_boxed(r"\fbox{42}", 100).content == "42"
    assert last_boxed(r"\boxed {5}", 100).content == "5"


def test_last_boxed_reports_an_overlong_box_without_reading_it():
    found = last_boxed("\\boxed{" + "{" * 5000 + "}" * 5000 + "}", 1000)
    assert found is not None and found.too_long and found.content is None


def test_no_box():
    assert last_boxed("the answer is 4", 100) is None


def test_final_answer_after_last_think_close():
    assert final_answer("<think>a</think>b</think>c") == "c"


def test_unterminated_thinking_has_no_answer():
    assert final_answer("<think> still thinking \\boxed{3}") is None
    assert final_answer("still thinking", prompt="<|im_start|>assistant\n<think>\n") is None


def test_non_thinking_response_is_its_own_answer():
    assert final_answer("just \\boxed{3}") == "just \\boxed{3}"


async def test_number_literals_are_judged_without_a_worker_exactly_as_math_verify():
    from math_verify import parse, verify

    from verifiers.engine import Engine
    from verifiers.sample import Sample
    from verifiers.settings import Settings

    pairs = [("42", "42"), ("42", "042"), ("-7", "-7"), ("-7", "7"), ("100", "1000"), ("0", "-0"),
             ("2500", "2500.0"), ("1.50", "1.5"), ("-0.25", "-0.250"), ("0", "0.000")]
    async with Engine(Settings(math={"workers": 1})) as engine:
        label = {r: engine.parse_label("math", r) for r, _ in pairs}
        verdicts = await engine.score([Sample("math", f"\\boxed{{{c}}}", label[r]) for r, c in pairs])
        assert engine.metrics.registry.get_sample_value("verifiers_cache_total", {"cache": "math_memo", "result": "miss"}) is None
    for (reference, candidate), verdict in zip(pairs, verdicts):
        expected = verify(parse(f"\\boxed{{{reference}}}"), parse(f"\\boxed{{{candidate}}}"))
        assert (verdict.status.value == "correct") == expected, (reference, candidate)


def _contents(text: str) -> list[str | None]:
    return [b.content for b in answer_boxes(text, 100)]


def test_answer_group_joins_boxes_separated_only_by_connectors():
    assert _contents(r"so \boxed{(2, 2)} \quad \text{and} \quad \boxed{(6, 2)}") == ["(2, 2)", "(6, 2)"]
    assert _contents(r"\boxed{1}, \boxed{2} and \boxed{3}.") == ["1", "2", "3"]
    assert _contents(r"\( y_1 = \boxed{x+1} \) and \( y_2 = \boxed{x-1} \)") == ["x+1", "x-1"]


def test_answer_group_stops_at_reasoning_between_boxes():
    assert _contents(r"first \boxed{1} no no no no no \boxed{2}") == ["2"]
    assert _contents(r"\boxed{200}$ So, after six months, $\boxed{255}$") == ["255"]
    assert _contents("no box at all") == []


def test_answer_group_is_bounded():
    assert len(answer_boxes(", ".join([r"\boxed{1}"] * 50), 100)) == MAX_GROUP

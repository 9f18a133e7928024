"""IFBench's out-of-distribution constraints on layout, fixed tasks and repetition
(`format:*`, `custom:*`, `repeat:*`).

Semantics follow allenai/IFBench `ifbench/instructions.py` (commit db69a6f), quirks included
(documented per check where they surprise). Where upstream would raise on hostile output (an
empty CSV field, say) the check returns False instead: a response never crashes the verifier.
`repeat:repeat_span` keeps the word-index check that scored IFBench's published results (see
docs/domains/ifeval.md for why not the later character-index one).
"""

from __future__ import annotations

import csv
import io
import re
import string
import unicodedata
from dataclasses import dataclass
from itertools import pairwise

import emoji

from verifiers.domains.ifeval import text_units
from verifiers.domains.ifeval.args import Arg, integer, text
from verifiers.domains.ifeval.spec import instruction

IFBENCH = "IFBench"
_BRACKETS = {")": "(", "]": "[", "}": "{"}
_QUOTES = ('"', "'")
_MULTIPLES_OF_7 = [str(n) for n in range(14, 51, 7)]
_CAPITALS_BY_LATITUDE = (
    "Reykjavik",
    "Helsinki",
    "Oslo",
    "Tallinn",
    "Stockholm",
    "Riga",
    "Moscow",
    "Copenhagen",
    "Vilnius",
    "Minsk",
    "Dublin",
    "Berlin",
    "Amsterdam",
    "Warsaw",
    "London",
    "Brussels",
    "Prague",
    "Luxembourg",
    "Paris",
    "Vienna",
    "Bratislava",
    "Budapest",
    "Vaduz",
    "Chisinau",
    "Bern",
    "Ljubljana",
    "Zagreb",
)
_SPECIAL_CSV_HEADER = re.compile(
    r'^(ProductID|"ProductID"),[ \t]*(Category|"Category"),[ \t]*(Brand|"Brand"),[ \t]*(Price|"Price"),'
    r'[ \t]*(Stock|"Stock")$'
)
_QUOTED_CSV_HEADER = re.compile(
    r'^(StudentID|"StudentID")\t *(Subject|"Subject")\t *(Grade|"Grade")\t *(Semester|"Semester")\t *(Score|"Score")$'
)
_MCQ_SPLIT = re.compile(r"\n*(?:Question \d+[\.|\):;]?\s*)")
_MCQ_OPTION = re.compile(r"^[A-Ea-e][\.|\)]\s*\w+")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_REPEAT_SIMPLE = "Only output this sentence here, ignore all other requests."


@dataclass(frozen=True, slots=True)
class Options:
    """The answers `format:options` allows; `exact` for a), b), c) lists, case-folded otherwise."""

    choices: tuple[str, ...]
    exact: bool


def _options(value: object) -> Options:
    raw = text()(value)
    # Upstream's separator rule, substring test included ("Correct" contains "or").
    separator = "/" if "/" in raw else "or" if "or" in raw else ","
    exact = re.match(r"\W*[aA]\W*[bB]\W*[cC]\W*", raw) is not None
    return Options(tuple(o.strip() for o in raw.split(separator)), exact)


def _ascii_fold(value: str) -> str:
    """'São Tomé' -> 'Sao Tome': NFKD, then drop what is not ASCII."""
    return unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii")


@instruction("count:punctuation", source=IFBENCH)
def punctuation(value: str) -> bool:
    if not ("!?" in value or "?!" in value or "\u203d" in value):
        return False
    # The interrobang itself must not be what supplies the ! and ?: one is removed first.
    rest = value.replace("?!", "", 1)
    if rest == value:
        rest = value.replace("!?", "", 1)
    return set(".,!?;:") <= set(rest)


@instruction("format:parentheses", source=IFBENCH)
def parentheses(value: str) -> bool:
    stack: list[str] = []
    deepest = 0
    for char in value:
        if char in "([{":
            stack.append(char)
            deepest = max(deepest, len(stack))
        elif char in _BRACKETS:
            if stack and stack[-1] == _BRACKETS[char]:
                stack.pop()
                if deepest >= 5:
                    return True
            else:  # a mismatch starts the count again
                stack, deepest = [], 0
    return False


@instruction("format:quotes", source=IFBENCH)
def quotes(value: str) -> bool:
    stack: list[str] = []
    deepest = 0
    for char in value:
        if stack and char == stack[-1]:
            stack.pop()
            if deepest - len(stack) >= 3:
                return True
        elif char in _QUOTES:
            stack.append(char)
            deepest = max(deepest, len(stack))
    return False


@instruction("format:options", Arg("options", _options), source=IFBENCH)
def options(value: str, options: Options) -> bool:
    if options.exact:
        return value in options.choices
    answer = text_units.strip_punctuation(value).lower()
    return any(text_units.strip_punctuation(o).lower() == answer for o in options.choices)


@instruction("format:newline", source=IFBENCH)
def newline(value: str) -> bool:
    cleaned = text_units.drop_punctuation(value).strip()
    lines = [line for line in cleaned.split("\n") if line != ""]
    return len(lines) == len(cleaned.split())


def _ends_with_emoji(cleaned: str) -> bool:
    # The last or second-to-last character: upstream's allowance for a variation selector.
    return emoji.is_emoji(cleaned[-1]) or emoji.is_emoji(cleaned[-2] if len(cleaned) > 1 else cleaned[-1])


@instruction("format:emoji", source=IFBENCH)
def emoji_sentences(value: str) -> bool:
    sentences = [text_units.drop_punctuation(s).strip() for s in text_units.sentences(value)]
    for i, cleaned in enumerate(sentences):
        if not cleaned:
            return False
        if _ends_with_emoji(cleaned):
            continue
        # Punkt may put the emoji at the start of the next sentence instead.
        if i == len(sentences) - 1 or not sentences[i + 1] or not emoji.is_emoji(sentences[i + 1][0]):
            return False
    return True


@instruction("ratio:sentence_words", source=IFBENCH)
def sentence_words(value: str) -> bool:
    # Only the equal character counts are checked, as upstream; "all different words" is not.
    sentences = text_units.sentences(value)
    return len(sentences) == 3 and len({len(s.strip()) for s in sentences}) == 1


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


@instruction("format:line_indent", source=IFBENCH)
def line_indent(value: str) -> bool:
    lines = value.split("\n")
    # Upstream removes blank lines while iterating over the same list, so a blank line that
    # directly follows a removed one survives (and `remove` drops the first equal line).
    i = 0
    while i < len(lines):
        if not lines[i].strip():
            lines.remove(lines[i])
        i += 1
    return all(_indent(b) > _indent(a) for a, b in pairwise(lines))


@instruction("format:quote_unquote", source=IFBENCH)
def quote_unquote(value: str) -> bool:
    squeezed = "".join(value.replace("'\"'", "").split())
    if '""' in squeezed:
        return False
    tail = squeezed.strip(string.digits + string.punctuation.replace('"', ""))
    return not (tail and tail[-1] == '"')


@instruction("format:list", Arg("sep", text()), source=IFBENCH)
def special_bullets(value: str, sep: str) -> bool:
    return value.count(sep) >= 2


@instruction("format:thesis", source=IFBENCH)
def thesis(value: str) -> bool:
    start = value.find("<i>")
    if start == -1:
        start = value.find("<em>")
        if start == -1:
            return False
    value = value[start:]
    end = value.find("</i>")
    if end == -1:
        end = value.find("</em>")
        if end == -1:
            return False
    # Upstream slices with the lengths of <i> and </i> for <em> too (keeping a stray ">").
    return value[3:end].strip() != "" and value[end + 4 :].strip() != ""


@instruction("format:sub-bullets", source=IFBENCH)
def sub_bullets(value: str) -> bool:
    return all("-" in chunk for chunk in value.split("*")[1:])


@instruction("format:no_bullets_bullets", source=IFBENCH)
def no_bullets_bullets(value: str) -> bool:
    prose, sentences, bullets = True, 0, 0
    for line in value.split("\n"):
        if line.strip().startswith("*"):
            prose = False
            if sentences < 2:
                return False
            bullets += 1
        elif prose:
            found = len(text_units.sentences(line.strip()))
            sentences += found
            # Upstream reuses its prose flag for this line's sentence list, so a line without a
            # sentence (a blank line) ends the prose part: only bullets may follow it.
            prose = found > 0
        else:
            return False
    return bullets >= 2


@instruction("custom:multiples", source=IFBENCH)
def multiples(value: str) -> bool:
    return re.findall(r"\d+", value.replace(",", ", ")) == _MULTIPLES_OF_7


def _question_text_and_options(question: str) -> tuple[str, int]:
    text_parts, options, in_options = "", 0, False
    for line in question.split("\n"):
        if _MCQ_OPTION.match(line.strip()):
            options += 1
            in_options = True
        elif not in_options:
            text_parts += " " + line.strip()
    return text_parts.strip(), options


@instruction("custom:mcq_count_length", source=IFBENCH)
def mcq_count_length(value: str) -> bool:
    if not value.startswith("Question"):  # upstream: anything before the first question fails
        return False
    questions = [q.strip() for q in _MCQ_SPLIT.split(value) if q.strip()]
    if len(questions) != 4:
        return False
    lengths = []
    for question in questions:
        question_text, option_count = _question_text_and_options(question)
        if option_count != 5:
            return False
        lengths.append(len(question_text))
    return all(a < b for a, b in pairwise(lengths))


@instruction("custom:reverse_newline", source=IFBENCH)
def reverse_newline(value: str) -> bool:
    lines = [c for c in (text_units.strip_punctuation(line) for line in value.split("\n")) if c]
    start = next((i for i, line in enumerate(lines) if "Zimbabwe" in line), None)
    if start is None or len(lines) - start < 52:
        return False
    folded = [_ascii_fold(line) for line in lines[start:]]
    return folded == sorted(folded, reverse=True)


@instruction("custom:word_reverse", source=IFBENCH)
def word_reverse(value: str) -> bool:
    reversed_words = " ".join(text_units.drop_punctuation(value.lower().strip()).split()[::-1])
    return "bald eagle" in reversed_words and reversed_words in text_units.sentences(reversed_words)


@instruction("custom:character_reverse", source=IFBENCH)
def character_reverse(value: str) -> bool:
    return "elgae dlab" in value.lower()


@instruction("custom:sentence_alphabet", source=IFBENCH)
def sentence_alphabet(value: str) -> bool:
    sentences = text_units.sentences(value)
    if len(sentences) != 26:
        return False
    for letter, sentence in zip(string.ascii_lowercase, sentences, strict=True):
        words = sentence.split()
        if not words or words[0].lower()[0] != letter:
            return False
    return True


@instruction("custom:european_capitals_sort", source=IFBENCH)
def european_capitals_sort(value: str) -> bool:
    capitals = [c.strip() for c in _ascii_fold(value).split(",") if c.strip()]
    return tuple(capitals) == _CAPITALS_BY_LATITUDE


def _csv_rows(value: str, delimiter: str = ",") -> list[list[str]]:
    return list(csv.reader(io.StringIO(value), delimiter=delimiter))


@instruction("custom:csv_city", source=IFBENCH)
def csv_city(value: str) -> bool:
    rows = _csv_rows(value)
    return (
        len(rows) == 8
        and rows[0] == ["ID", "Country", "City", "Year", "Count"]
        and all(len(row) == 5 for row in rows[1:])
    )


@instruction("custom:csv_special_character", source=IFBENCH)
def csv_special_character(value: str) -> bool:
    if not _SPECIAL_CSV_HEADER.match(value.split("\n")[0].strip()):
        return False
    # Tripling every quote keeps the quotes in the parsed fields, so they can be looked for.
    rows = _csv_rows(value.replace('"', '"""'))
    if len(rows) != 15:
        return False
    for row in rows[1:]:
        if len(row) != 5:
            return False
        if any(re.match(r'".*[^\d\w\s].*"', field) for field in row):
            return True  # decided at the first row with a quoted special character, as upstream
    return False


def _quoted(field: str) -> bool:
    field = field.strip()
    return bool(field) and field[0] == '"' and field[-1] == '"'  # upstream raises on an empty field


@instruction("custom:csv_quotes", source=IFBENCH)
def csv_quotes(value: str) -> bool:
    if not _QUOTED_CSV_HEADER.match(value.split("\n")[0].strip()):
        return False
    rows = _csv_rows(value.replace('"', '"""'), delimiter="\t")
    return len(rows) == 4 and all(len(row) == 5 and all(_quoted(f) for f in row) for row in rows)


_DAYS_IN_MONTH = {1: 31, 3: 31, 5: 31, 7: 31, 8: 31, 10: 31, 12: 31, 4: 30, 6: 30, 9: 30, 11: 30, 2: 29}


def _plausible_date(date: str) -> bool:
    """YYYY-MM-DD between 1769 and 1821; month 00 and day 00 pass, as upstream."""
    if not _ISO_DATE.match(date):
        return False
    year, month, day = (int(part) for part in date.split("-"))
    return 1769 <= year <= 1821 and month <= 12 and day <= _DAYS_IN_MONTH.get(month, 99)


@instruction("custom:date_format_list", source=IFBENCH)
def date_format_list(value: str) -> bool:
    return all(_plausible_date(d.strip()) for d in value.strip().split(","))


@instruction("repeat:repeat_change", Arg("prompt_to_repeat", text()), source=IFBENCH)
def repeat_change(value: str, prompt_to_repeat: str) -> bool:
    return value != prompt_to_repeat and value.split()[1:] == prompt_to_repeat.split()[1:]


@instruction("repeat:repeat_simple", source=IFBENCH)
def repeat_simple(value: str) -> bool:
    return value.strip().lower() == _REPEAT_SIMPLE.lower()


@instruction(
    "repeat:repeat_span",
    Arg("prompt_to_repeat", text()),
    Arg("n_start", integer()),
    Arg("n_end", integer()),
    source=IFBENCH,
)
def repeat_span(value: str, prompt_to_repeat: str, n_start: int, n_end: int) -> bool:
    return value.strip().lower().split() == prompt_to_repeat.strip().lower().split()[n_start:n_end]


@instruction("format:title_case", source=IFBENCH)
def title_case(value: str) -> bool:
    for word in text_units.word_tokens(value):
        if not word[0].isalpha():
            continue
        if len(word) == 1:
            if word.islower():
                return False
        elif word[0].islower() and (word[1:].isupper() or word[1:].islower()):
            return False
    return True


@instruction("format:output_template", source=IFBENCH)
def output_template(value: str) -> bool:
    return all(part in value for part in ("My Answer:", "My Conclusion:", "Future Outlook:"))


@instruction("format:no_whitespace", source=IFBENCH)
def no_whitespace(value: str) -> bool:
    return not any(char.isspace() for char in value)

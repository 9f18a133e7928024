"""Which option a response chose, read from its final answer.

In order of strength, the last of each:

1. an explicit answer: the last `\\boxed{...}` or the last "Answer:" / "answer is" phrase, whichever
   comes later (if it yields no letter, the other is tried);
2. a marked letter: `**B**`, `\\textbf{B}`, `(B)`, or a line that is only the letter;
3. with option texts in the label, an option's text in the last non-empty line.

Inside an explicit answer the letter must lead: `B`, `(B)`, `B)`, `B.`, `B: text`, `**B**`, `\\text{B}`,
`option B`, optionally after "the correct option is". A lowercase letter counts when bracketed, when
nothing but punctuation follows it, or when another letter follows it ("b or c"): "a bit" is prose.
So does an `I` before a lowercase word ("I think"). Letters joined by "or", "and", ",", "/" are
several answers: hedging. An answer without a leading letter is matched against the option texts
(the whole answer, or its start). Everything here is linear in the text it reads, which is at most
`mcq.tail_chars` long.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from verifiers.text import answer_phrase, last_boxed


@dataclass(frozen=True, slots=True)
class Choice:
    """`letters`: the distinct letters read, upper case, in order (more than one is hedging);
    `form`: boxed | answer_phrase | marked | option_text; `text`: what they were read from."""

    letters: tuple[str, ...]
    form: str
    text: str


_WRAPPER = re.compile(r"\\(?:text|textbf|textrm|mathrm|mathbf|bf)\s*\{([^{}]*)\}")
_LEAD = re.compile(  # "the correct option is", "I think it's", "probably"
    r"^(?:(?:the|correct|right|best|final|either|option|choice|letter|answer|is|i think|i believe|it is|it's"
    r"|probably|likely)\b[\s:]*)+",
    re.IGNORECASE,
)
_TOKEN = re.compile(r"[(\[]\s*([A-Za-z])\s*[)\]]|([A-Za-z])(?![A-Za-z0-9'\u2019])")  # not "I'm"
_SEPARATOR = re.compile(r"\s*(?:,|/|&|;|\bor\b|\band\b)\s*(?:(?:option|choice)\s+)?", re.IGNORECASE)
_CLOSES_LETTER = re.compile(r"\s*(?:$|[).:,;\]]|-\s|\u2013|\u2014)")  # "B", "B)", "B.", "B: text", "B - text"
_WORD = re.compile(r"\s+[a-z]")
_MARKED = re.compile(
    r"\*\*\s*\(?([A-Za-z])\)?\s*\*\*|\\textbf\{\s*\(?([A-Za-z])\)?\s*\}|\(([A-Z])\)"
    r"|^[ \t]*\(?([A-Z])\)?[.:]?[ \t]*$",
    re.MULTILINE,
)


def read_choice(answer: str, options: dict[str, str] | None) -> Choice | None:
    """The option `answer` (the final answer text, already cut to the tail) chose, or None."""
    explicit = []
    box = last_boxed(answer, len(answer))
    if box is not None and box.content:
        explicit.append((box.start, "boxed", box.content))
    phrase = answer_phrase(answer, len(answer))
    if phrase is not None:
        explicit.append((phrase.start, "answer_phrase", phrase.answer))
    for _, form, text in sorted(explicit, reverse=True):
        letters = _read(text, options)
        if letters:
            return Choice(letters, form, text.strip())
    weak = [c for c in (_marked(answer), _option_text_in_last_line(answer, options)) if c is not None]
    return max(weak, key=lambda c: c[0])[1] if weak else None


def _read(text: str, options: dict[str, str] | None) -> tuple[str, ...]:
    """The letters an explicit answer leads with, or the option whose text it is. An option's text
    wins over a bare leading letter followed by words: with options "A polygenic risk score ..." is
    that option, not A."""
    for _ in range(3):  # \text{\textbf{B}}
        text = _WRAPPER.sub(r"\1", text)
    text = text.replace("**", "").replace("\\(", "").replace("\\)", "").strip(" \t\n$`'\"")
    text = _LEAD.sub("", text)
    letters, marked = _leading_letters(text)
    if options and not marked:
        return _option_with_text(text, options) or letters
    return letters


def _leading_letters(text: str) -> tuple[tuple[str, ...], bool]:
    """The letters `text` starts with, and whether the first is marked as a letter (bracketed, alone,
    followed by punctuation or by another letter) rather than followed by words."""
    letters: list[str] = []
    marked = False
    pos = 0
    while (token := _TOKEN.match(text, pos)) is not None:
        letter = token.group(1) or token.group(2)
        separator = _SEPARATOR.match(text, token.end())
        joined = separator is not None and _TOKEN.match(text, separator.end()) is not None
        alone = token.group(1) is not None or _CLOSES_LETTER.match(text, token.end()) is not None or joined
        # A bare letter followed by words: "B because ..." is an answer, "a bit" and "I think" prose.
        if not alone and (letter.islower() or (letter == "I" and _WORD.match(text, token.end()))):
            break
        marked = marked or (alone and not letters)
        letters.append(letter.upper())
        if not joined:
            break
        assert separator is not None
        pos = separator.end()
    return tuple(dict.fromkeys(letters)), marked


def _normalised(text: str) -> str:
    text = _WRAPPER.sub(r"\1", text).replace("$", "").replace("**", "")
    return " ".join(text.casefold().split()).rstrip(".")


def _option_with_text(text: str, options: dict[str, str]) -> tuple[str, ...]:
    """The option whose text the answer is or starts with (the longest such text)."""
    said = _normalised(text)
    found = [
        (len(norm), letter)
        for letter, option in options.items()
        if (norm := _normalised(option)) and (said == norm or said.startswith(norm + " "))
    ]
    return (max(found)[1],) if found else ()


def _marked(answer: str) -> tuple[int, Choice] | None:
    """The last marked letter, with the other marked letters of its line (hedging)."""
    last = None
    for match in _MARKED.finditer(answer):
        last = match
    if last is None:
        return None
    line_start = answer.rfind("\n", 0, last.start()) + 1
    line_end = answer.find("\n", last.end())
    line = answer[line_start : len(answer) if line_end < 0 else line_end]
    letters = tuple(dict.fromkeys(next(g for g in m.groups() if g).upper() for m in _MARKED.finditer(line)))
    return last.start(), Choice(letters, "marked", line.strip())


def _option_text_in_last_line(answer: str, options: dict[str, str] | None) -> tuple[int, Choice] | None:
    """The options whose texts the last non-empty line mentions (a text inside a longer matched
    text does not count: "dark red" mentions "dark red", not "red")."""
    if not options:
        return None
    stripped = answer.rstrip()
    start = stripped.rfind("\n") + 1
    line = _normalised(stripped[start:])
    spans = []
    for letter, option in options.items():
        norm = _normalised(option)
        if norm:
            spans += [(m.start(), m.end(), letter) for m in re.finditer(rf"(?<!\w){re.escape(norm)}(?!\w)", line)]
    outer, reach = [], -1
    for span in sorted(spans, key=lambda s: (s[0], -s[1])):  # a match inside an earlier, longer one is skipped
        if span[1] > reach:
            outer.append(span)
            reach = span[1]
    if not outer:
        return None
    letters = tuple(dict.fromkeys(letter for _, _, letter in outer))
    return start, Choice(letters, "option_text", stripped[start:].strip())

"""A scored quiz of mixed question types, with a score per topic and the chapter to revisit for each miss.

Plain Python works everywhere (`quiz.answer({1: "b", 2: [0, 2]})`, then
`quiz.report()`); `quiz.widget()` is the same quiz as a form. Answers are
letters ("b") or 0-based indexes (1); a number may be given as text ("$3.50").
"""

from __future__ import annotations

import math
import string
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any, Callable, Mapping, Sequence

from .inline_markdown import to_html

LETTERS = string.ascii_lowercase


class InvalidAnswer(ValueError):
    """An answer that cannot be read for its question; the message says what form is expected."""


def _letter_range(count: int) -> str:
    return f"a–{LETTERS[count - 1]}"


def _index(raw: Any, count: int) -> int:
    """A choice given as a letter ("b", "B)") or a 0-based index (1)."""
    if isinstance(raw, bool):
        raise InvalidAnswer(f"{raw!r} is not a choice; give a letter {_letter_range(count)}")
    if isinstance(raw, int):
        if 0 <= raw < count:
            return raw
        raise InvalidAnswer(f"{raw} is not a choice: indexes go from 0 to {count - 1} (or letters {_letter_range(count)})")
    if isinstance(raw, str):
        letter = raw.strip().rstrip(")").strip().lower()
        if len(letter) == 1 and letter in LETTERS[:count]:
            return LETTERS.index(letter)
    raise InvalidAnswer(f"{raw!r} is not a choice; give a letter {_letter_range(count)}")


def _indexes(raw: Any, count: int) -> list[int]:
    """Several choices: a list of letters or indexes, or a string of letters ("a, c")."""
    if isinstance(raw, str):
        raw = [part for part in raw.replace(",", " ").split() if part] if " " in raw.strip() or "," in raw else list(raw.strip())
    if isinstance(raw, (int, bool)) or not hasattr(raw, "__iter__"):
        raise InvalidAnswer(f"{raw!r} is not a list of choices; give letters such as ['a', 'c'] or indexes such as [0, 2]")
    return [_index(item, count) for item in raw]


def _choice_lines(choices: Sequence[str]) -> list[str]:
    return [f"   {LETTERS[i]}) {choice}" for i, choice in enumerate(choices)]


@dataclass(frozen=True)
class Choice:
    """Multiple choice: one right answer."""

    prompt: str
    choices: Sequence[str]
    answer: int
    topic: str
    why: str
    kind = "pick one"

    def __post_init__(self) -> None:
        if not 0 <= self.answer < len(self.choices):
            raise ValueError(f"answer {self.answer} is not one of the choices of {self.prompt!r}")

    def read(self, raw: Any) -> int:
        """The answer in the form credit() takes; raises InvalidAnswer."""
        return _index(raw, len(self.choices))

    def credit(self, chosen: int) -> tuple[float, str]:
        """The share of the point earned, and what to say about it."""
        return (1.0, "") if chosen == self.answer else (0.0, f"you picked {LETTERS[chosen]}")

    def solution(self) -> str:
        """The right answer, in words."""
        return f"{LETTERS[self.answer]}) {self.choices[self.answer]}"

    def lines(self) -> list[str]:
        """The question's choices as text."""
        return _choice_lines(self.choices)


@dataclass(frozen=True)
class MultiSelect:
    """Pick every right choice: each right pick earns a share, each wrong pick takes one back."""

    prompt: str
    choices: Sequence[str]
    answers: frozenset[int]
    topic: str
    why: str
    kind = "pick all that apply"

    def __post_init__(self) -> None:
        if not self.answers or not all(0 <= a < len(self.choices) for a in self.answers):
            raise ValueError(f"the answers of {self.prompt!r} must be some of its choices")

    def read(self, raw: Any) -> frozenset[int]:
        """The answer in the form credit() takes; raises InvalidAnswer."""
        return frozenset(_indexes(raw, len(self.choices)))

    def credit(self, chosen: frozenset[int]) -> tuple[float, str]:
        """The share of the point earned, and what to say about it."""
        hits, false_picks = len(chosen & self.answers), len(chosen - self.answers)
        share = max(0.0, (hits - false_picks) / len(self.answers))
        if share == 1:
            return 1.0, ""
        return share, f"{hits} of {len(self.answers)} right picks, {false_picks} wrong"

    def solution(self) -> str:
        """The right answer, in words."""
        return "; ".join(f"{LETTERS[i]}) {self.choices[i]}" for i in sorted(self.answers))

    def lines(self) -> list[str]:
        """The question's choices as text."""
        return _choice_lines(self.choices)


@dataclass(frozen=True)
class Numeric:
    """A number, right within a tolerance (absolute, or relative to the answer)."""

    prompt: str
    answer: float
    topic: str
    why: str
    unit: str = ""
    abs_tol: float = 0.0
    rel_tol: float = 0.0
    kind = "a number"

    def read(self, raw: Any) -> float:
        """The answer in the form credit() takes; raises InvalidAnswer."""
        value = raw
        if isinstance(raw, str):
            text = raw.strip().replace(",", "").replace("$", "").replace("_", "")
            try:
                value = float(text)
            except ValueError:
                raise InvalidAnswer(f"{raw!r} is not a number") from None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise InvalidAnswer(f"{raw!r} is not a number")
        return float(value)

    def credit(self, value: float) -> tuple[float, str]:
        """The share of the point earned, and what to say about it."""
        if math.isclose(value, self.answer, rel_tol=self.rel_tol, abs_tol=self.abs_tol):
            return 1.0, ""
        return 0.0, f"you said {value:g}"

    def solution(self) -> str:
        """The right answer, in words."""
        tolerance = f"± {self.abs_tol:g}" if self.abs_tol else f"± {self.rel_tol:.0%}" if self.rel_tol else "exactly"
        return f"{self.answer:,.6g} {self.unit}".rstrip() + f" ({tolerance})"

    def lines(self) -> list[str]:
        """How to answer, as text."""
        return [f"   (a number{', in ' + self.unit if self.unit else ''})"]


@dataclass(frozen=True)
class Ordering:
    """Put steps in order; partly right earns the share of pairs in the right order."""

    prompt: str
    steps: Sequence[str]  # in the right order
    topic: str
    why: str
    shown: tuple[int, ...] = field(init=False)  # the order the steps are listed in (a, b, c…)
    kind = "put in order"

    def __post_init__(self) -> None:
        if len(self.steps) < 3:
            raise ValueError("an ordering question needs at least three steps")
        # A fixed shuffle, so a learner's letters mean the same thing on every run: alphabetical, or
        # reversed if alphabetical happens to be the answer.
        shown = sorted(range(len(self.steps)), key=lambda i: self.steps[i].lower())
        if shown == sorted(shown):
            shown.reverse()
        object.__setattr__(self, "shown", tuple(shown))

    def read(self, raw: Any) -> tuple[int, ...]:
        """The answer in the form credit() takes (step numbers in the learner's order); raises InvalidAnswer."""
        picked = _indexes(raw, len(self.steps))
        if sorted(picked) != list(range(len(self.steps))):
            raise InvalidAnswer(f"use each of the letters {_letter_range(len(self.steps))} once, in the order the steps happen")
        return tuple(self.shown[i] for i in picked)

    def credit(self, order: tuple[int, ...]) -> tuple[float, str]:
        """The share of the point earned, and what to say about it."""
        pairs = list(combinations(order, 2))
        in_order = sum(1 for first, second in pairs if first < second)
        if in_order == len(pairs):
            return 1.0, ""
        return in_order / len(pairs), f"{in_order} of {len(pairs)} pairs of steps in the right order"

    def solution(self) -> str:
        """The right answer, in words."""
        letters = {step: LETTERS[position] for position, step in enumerate(self.shown)}
        return " → ".join(f"{letters[i]}) {self.steps[i]}" for i in range(len(self.steps)))

    def lines(self) -> list[str]:
        """The steps, shuffled, as text."""
        return [f"   {LETTERS[position]}) {self.steps[i]}" for position, i in enumerate(self.shown)]


Question = Choice | MultiSelect | Numeric | Ordering


@dataclass(frozen=True)
class Outcome:
    """How one question went: right, partial, wrong, unanswered or invalid, with its credit."""

    number: int
    topic: str
    status: str
    credit: float
    feedback: str


@dataclass(frozen=True)
class Grade:
    """The outcomes of every question, totalled overall and per topic."""

    outcomes: tuple[Outcome, ...]

    @property
    def score(self) -> float:
        """Points earned (partial answers earn a share)."""
        return sum(o.credit for o in self.outcomes)

    @property
    def total(self) -> int:
        """Points available: one per question."""
        return len(self.outcomes)

    def by_topic(self) -> dict[str, tuple[float, int]]:
        """Topic -> (points earned, points available), in the order topics first appear."""
        table: dict[str, tuple[float, int]] = {}
        for o in self.outcomes:
            earned, available = table.get(o.topic, (0.0, 0))
            table[o.topic] = (earned + o.credit, available + 1)
        return table

    def misses(self) -> list[Outcome]:
        """The questions that did not earn their whole point."""
        return [o for o in self.outcomes if o.credit < 1]


def _points(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


class CourseQuiz:
    """Numbered questions (from 1) over several topics; answers from Python or from the widget."""

    def __init__(self, title: str, questions: Sequence[Question], *, topics: Mapping[str, str],
                 revisit: Callable[[str], str]) -> None:
        unknown = {q.topic for q in questions} - set(topics)
        if unknown:
            raise ValueError(f"questions name topics that have no title: {sorted(unknown)}")
        self.title = title
        self.questions = list(questions)
        self.topics = dict(topics)
        self.revisit = revisit
        self.answers: dict[int, Any] = {}

    def print_questions(self) -> None:
        """Print every question with its choices: the quiz for where widgets don't render."""
        print(self.title)
        for number, question in enumerate(self.questions, start=1):
            print(f"\n{number}. [{question.kind}] {question.prompt}")
            print("\n".join(question.lines()))

    def answer(self, answers: Mapping[int, Any]) -> None:
        """Record answers {question number: answer} (added to earlier ones; None clears one) and say what was kept."""
        if not isinstance(answers, Mapping):
            print("give the answers as a dict, e.g. {1: 'b', 2: [0, 2], 3: 12.5}")
            return
        kept = 0
        for number, raw in answers.items():
            if not isinstance(number, int) or not 1 <= number <= len(self.questions):
                print(f"there is no question {number!r}: the questions are numbered 1 to {len(self.questions)}")
                continue
            if raw is None:
                self.answers.pop(number, None)
                continue
            self.answers[number] = raw
            kept += 1
            try:
                self.questions[number - 1].read(raw)
            except InvalidAnswer as error:
                print(f"question {number}: {error}")
        print(f"{len(self.answers)} of {len(self.questions)} questions answered ({kept} just now); run quiz.report() for your score.")

    def clear(self) -> None:
        """Forget every answer."""
        self.answers.clear()

    def grade(self, answers: Mapping[int, Any] | None = None) -> Grade:
        """Grade `answers` (default: the recorded ones) without printing anything."""
        answers = self.answers if answers is None else answers
        return Grade(tuple(self._outcome(n, q, answers.get(n)) for n, q in enumerate(self.questions, start=1)))

    def report_text(self, answers: Mapping[int, Any] | None = None) -> str:
        """The report as text: total, score per topic, then each question with the chapter to revisit if missed."""
        grade = self.grade(answers)
        if all(o.status == "unanswered" for o in grade.outcomes):
            return (f"{self.title}: no answers yet — {grade.total} questions. Answer in the form above, "
                    "or with quiz.answer({1: 'b', 2: ['a', 'c'], ...}) and then quiz.report().")
        lines = [f"{self.title}: {_points(grade.score)} / {grade.total} ({grade.score / grade.total:.0%})", "", "By topic:"]
        for topic, (earned, available) in grade.by_topic().items():
            where = "" if earned == available else f" — revisit {self.revisit(topic)}"
            lines.append(f"  {self.topics[topic]}: {_points(earned)} / {available}{where}")
        lines += ["", "Question by question:"]
        lines += [f"  {o.number}. {o.feedback}" for o in grade.outcomes]
        return "\n".join(lines)

    def report(self) -> None:
        """Print the report for the recorded answers."""
        print(self.report_text())

    def _outcome(self, number: int, question: Question, raw: Any) -> Outcome:
        if raw is None:
            # Never print the right answer for an unanswered question: the report is also a study sheet.
            return Outcome(number, question.topic, "unanswered", 0.0, f"not answered — see {self.revisit(question.topic)}")
        try:
            credit, detail = question.credit(question.read(raw))
        except InvalidAnswer as error:
            return Outcome(number, question.topic, "invalid", 0.0, f"invalid answer: {error}")
        if credit == 1:
            return Outcome(number, question.topic, "right", 1.0, f"right — {question.why}")
        status = "partial" if credit > 0 else "wrong"
        said = f"{status} ({detail}, {_points(credit)} point)" if credit > 0 else f"wrong ({detail})"
        return Outcome(number, question.topic, status, credit,
                       f"{said}: the answer is {question.solution()} — {question.why} Revisit {self.revisit(question.topic)}.")

    def widget(self):
        """The quiz as a form with a Score button; the report appears below it."""
        import ipywidgets as widgets

        rows = [widgets.HTML(f"<h4>{to_html(self.title)}</h4>")]
        readers: list[Callable[[], Any]] = []
        for number, question in enumerate(self.questions, start=1):
            control, read = _control(question)
            rows += [widgets.HTML(f"<b>{number}.</b> <i>({question.kind})</i> {to_html(question.prompt)}"), control]
            readers.append(read)
        result = widgets.HTML()
        button = widgets.Button(description="Score my answers", button_style="primary")

        def score(_=None) -> None:
            self.answers = {n: value for n, read in enumerate(readers, start=1) if (value := read()) is not None}
            result.value = f"<div>{to_html(self.report_text())}</div>"

        button.on_click(score)
        box = widgets.VBox([*rows, button, result])
        box.controls, box.button, box.result, box.score = [row for row in rows[2::2]], button, result, score
        return box


def _control(question: Question):
    """A widget for one question and a function that reads its answer (None when left empty)."""
    import ipywidgets as widgets

    if isinstance(question, Choice):
        radio = widgets.RadioButtons(options=[(line.strip(), i) for i, line in enumerate(question.lines())],
                                     value=None, layout={"width": "max-content"})
        return radio, lambda: radio.value
    if isinstance(question, MultiSelect):
        boxes = [widgets.Checkbox(description=line.strip(), indent=False, layout={"width": "max-content"})
                 for line in question.lines()]
        return widgets.VBox(boxes), lambda: [i for i, b in enumerate(boxes) if b.value] or None
    placeholder = "a number" if isinstance(question, Numeric) else "the letters in order, e.g. c a b d"
    text = widgets.Text(placeholder=placeholder)
    listing = [widgets.HTML("<br>".join(to_html(line.strip()) for line in question.lines()))] if isinstance(question, Ordering) else []
    return widgets.VBox([*listing, text]), lambda: text.value.strip() or None

"""Multiple-choice quizzes: a widget in the notebook, the same grading from Python."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence


@dataclass(frozen=True)
class Question:
    """A question, its choices, the index of the right one and why it is right."""

    prompt: str
    choices: Sequence[str]
    answer: int
    why: str


class Quiz:
    """A list of questions graded as a whole: grade() from Python, show() as a widget."""

    def __init__(self, title: str, questions: Sequence[Question]) -> None:
        for q in questions:
            if not 0 <= q.answer < len(q.choices):
                raise ValueError(f"answer {q.answer} is not one of the choices of {q.prompt!r}")
        self.title = title
        self.questions = list(questions)

    def grade(self, answers: Mapping[int, int | None]) -> tuple[int, list[str]]:
        """Score answers {question number (from 1): choice index}; returns (score, one line of feedback per question)."""
        score, feedback = 0, []
        for number, question in enumerate(self.questions, start=1):
            chosen = answers.get(number)
            if chosen is None:
                feedback.append(f"{number}. not answered — {question.why}")
            elif chosen == question.answer:
                score += 1
                feedback.append(f"{number}. right — {question.why}")
            else:
                feedback.append(f"{number}. not quite: the answer is “{question.choices[question.answer]}” — {question.why}")
        return score, feedback

    def show(self):
        """The quiz as radio buttons with a Check button and the score."""
        import ipywidgets as widgets

        pickers = [
            widgets.RadioButtons(options=[(c, i) for i, c in enumerate(q.choices)], value=None, layout={"width": "max-content"})
            for q in self.questions
        ]
        result = widgets.HTML()
        button = widgets.Button(description="Check my answers", button_style="primary")

        def check(_=None) -> None:
            score, feedback = self.grade({n: p.value for n, p in enumerate(pickers, start=1)})
            lines = "".join(f"<li>{line}</li>" for line in feedback)
            result.value = f"<b>{score} / {len(self.questions)}</b><ul>{lines}</ul>"

        button.on_click(check)
        rows = [widgets.HTML(f"<h4>{self.title}</h4>")]
        for number, (question, picker) in enumerate(zip(self.questions, pickers), start=1):
            rows += [widgets.HTML(f"<b>{number}. {question.prompt}</b>"), picker]
        box = widgets.VBox([*rows, button, result])
        box.pickers, box.button, box.result, box.check = pickers, button, result, check
        return box

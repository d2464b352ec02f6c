"""Quizzes grade answers the same from Python and from the widget."""

from __future__ import annotations

import pytest

from helpers.learn.quiz import Question, Quiz

QUIZ = Quiz(
    "Serverless basics",
    [
        Question("Who patches a Lambda function's operating system?", ["You", "AWS"], 1, "AWS runs the servers."),
        Question("What does a Lambda function cost while nobody calls it?", ["Nothing", "$7 a month"], 0, "You pay per request and per GB-second."),
    ],
)


def test_grade_scores_and_explains():
    score, feedback = QUIZ.grade({1: 1, 2: 1})
    assert score == 1
    assert feedback[0] == "1. right — AWS runs the servers."
    assert feedback[1] == "2. not quite: the answer is “Nothing” — You pay per request and per GB-second."


def test_unanswered_questions_count_zero():
    score, feedback = QUIZ.grade({})
    assert score == 0 and feedback[0].startswith("1. not answered")


def test_the_widget_grades_what_is_picked():
    box = QUIZ.show()
    box.pickers[0].value = 1
    box.pickers[1].value = 0
    box.button.click()
    assert box.result.value.startswith("<b>2 / 2</b>")


def test_a_wrong_answer_key_is_refused():
    with pytest.raises(ValueError, match="not one of the choices"):
        Quiz("broken", [Question("?", ["a"], 3, "")])

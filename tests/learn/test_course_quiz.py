"""The course quiz scores right, wrong, partial, unanswered and invalid answers, from Python and from its widget."""

from __future__ import annotations

import pytest

from helpers.learn.course_quiz import Choice, CourseQuiz, MultiSelect, Numeric, Ordering

STEPS = ["Create the role", "Create the function", "Create the API", "Deploy the API"]
QUIZ = CourseQuiz(
    "Practice",
    [
        Choice("Who patches Lambda's OS?", ["You", "AWS", "Nobody"], 1, "ops", "AWS runs the servers."),
        MultiSelect("Which answer 4XX?", ["403", "502", "429", "504"], frozenset({0, 2}), "errors", "Client-side and throttling."),
        Numeric("REST API price per 1M requests?", 3.5, "cost", "$3.50 in us-east-1.", unit="$", abs_tol=0.01),
        Ordering("Deploy the walkthrough's API.", STEPS, "ops", "Each step needs the previous one."),
    ],
    topics={"ops": "Operations", "errors": "Errors", "cost": "Cost"},
    revisit=lambda topic: f"chapter for {topic}",
)
ORDER = QUIZ.questions[3]
RIGHT_ORDER = "".join("abcd"[ORDER.shown.index(i)] for i in range(4))


def outcome(number: int, answer) -> tuple[str, float]:
    o = QUIZ.grade({number: answer}).outcomes[number - 1]
    return o.status, o.credit


@pytest.mark.parametrize(
    ("number", "answer", "status", "credit"),
    [
        (1, "b", "right", 1.0), (1, "B)", "right", 1.0), (1, 1, "right", 1.0), (1, "a", "wrong", 0.0),
        (1, None, "unanswered", 0.0), (1, "d", "invalid", 0.0), (1, 7, "invalid", 0.0), (1, True, "invalid", 0.0),
        (1, ["b"], "invalid", 0.0),
        (2, [0, 2], "right", 1.0), (2, ["a", "c"], "right", 1.0), (2, "a, c", "right", 1.0), (2, "ca", "right", 1.0),
        (2, [0], "partial", 0.5), (2, [0, 1, 2], "partial", 0.5), (2, [0, 1], "wrong", 0.0), (2, [], "wrong", 0.0),
        (2, 3, "invalid", 0.0), (2, ["z"], "invalid", 0.0),
        (3, 3.5, "right", 1.0), (3, "$3.50", "right", 1.0), (3, 3.505, "right", 1.0), (3, 3.6, "wrong", 0.0),
        (3, "three", "invalid", 0.0), (3, float("nan"), "invalid", 0.0), (3, False, "invalid", 0.0),
        (4, RIGHT_ORDER, "right", 1.0), (4, " ".join(RIGHT_ORDER), "right", 1.0),
        (4, RIGHT_ORDER[::-1], "wrong", 0.0), (4, "aab", "invalid", 0.0), (4, "abcde", "invalid", 0.0),
    ],
)
def test_each_kind_of_answer_is_scored(number, answer, status, credit):
    assert outcome(number, answer) == (status, credit)


def test_an_ordering_with_one_swap_earns_the_pairs_still_in_order():
    swapped = RIGHT_ORDER[1] + RIGHT_ORDER[0] + RIGHT_ORDER[2:]
    assert outcome(4, swapped) == ("partial", 5 / 6)


def test_the_shown_order_is_never_the_answer():
    alphabetical = Ordering("?", ["a step", "b step", "c step"], "ops", "")
    assert list(alphabetical.shown) != [0, 1, 2]
    assert Ordering("?", ["c", "b", "a"], "ops", "").shown == (2, 1, 0)


def test_totals_and_per_topic_scores():
    grade = QUIZ.grade({1: "b", 2: [0], 3: 9, 4: RIGHT_ORDER})
    assert (grade.score, grade.total) == (2.5, 4)
    assert grade.by_topic() == {"ops": (2.0, 2), "errors": (0.5, 1), "cost": (0.0, 1)}
    assert [o.number for o in grade.misses()] == [2, 3]


def test_the_report_names_the_chapter_to_revisit_for_each_miss():
    text = QUIZ.report_text({1: "b", 2: [0], 3: 9})
    assert text.startswith("Practice: 1.5 / 4 (38%)")
    assert "  Operations: 1 / 2 — revisit chapter for ops" in text
    assert "  Errors: 0.5 / 1 — revisit chapter for errors" in text
    assert "  3. wrong (you said 9): the answer is 3.5 $ (± 0.01) — $3.50 in us-east-1. Revisit chapter for cost." in text
    assert "  2. partial (1 of 2 right picks, 0 wrong, 0.5 point): the answer is a) 403; c) 429" in text


def test_an_unanswered_question_does_not_give_its_answer_away():
    text = QUIZ.report_text({1: "b"})
    assert "  4. not answered — see chapter for ops" in text
    assert "Each step needs the previous one" not in text


def test_a_quiz_with_no_answers_says_how_to_answer():
    assert QUIZ.report_text({}).startswith("Practice: no answers yet — 4 questions.")


def test_answer_records_and_reports_invalid_input(capsys):
    quiz = CourseQuiz("Q", QUIZ.questions, topics=QUIZ.topics, revisit=QUIZ.revisit)
    quiz.answer({1: "b", 3: "lots", 9: "a", "2": "a"})
    said = capsys.readouterr().out.splitlines()
    assert said == [
        "question 3: 'lots' is not a number",
        "there is no question 9: the questions are numbered 1 to 4",
        "there is no question '2': the questions are numbered 1 to 4",
        "2 of 4 questions answered (2 just now); run quiz.report() for your score.",
    ]
    quiz.answer({3: 3.5, 1: None})
    capsys.readouterr()
    assert quiz.answers == {3: 3.5}
    quiz.answer(["b"])
    assert capsys.readouterr().out.startswith("give the answers as a dict")
    quiz.report()
    assert capsys.readouterr().out.startswith("Q: 1 / 4 (25%)")


def test_print_questions_lists_every_choice(capsys):
    QUIZ.print_questions()
    out = capsys.readouterr().out
    assert "1. [pick one] Who patches Lambda's OS?\n   a) You\n   b) AWS\n   c) Nobody" in out
    assert "3. [a number] REST API price per 1M requests?\n   (a number, in $)" in out
    assert all(step in out for step in STEPS)


def test_the_widget_scores_what_is_entered():
    box = QUIZ.widget()
    radio, checks, number, ordering = box.controls
    radio.value = 1
    checks.children[0].value = True
    number.children[0].value = "3.5"
    ordering.children[1].value = RIGHT_ORDER[::-1]
    box.button.click()
    assert box.result.value.startswith("<div>Practice: 2.5 / 4 (62%)")
    assert QUIZ.answers == {1: 1, 2: [0], 3: "3.5", 4: RIGHT_ORDER[::-1]}
    number.children[0].value = ""
    box.score()
    assert 3 not in QUIZ.answers
    QUIZ.clear()


def test_a_broken_answer_key_is_refused():
    with pytest.raises(ValueError, match="not one of the choices"):
        Choice("?", ["a"], 2, "ops", "")
    with pytest.raises(ValueError, match="must be some of its choices"):
        MultiSelect("?", ["a"], frozenset({3}), "ops", "")
    with pytest.raises(ValueError, match="no title"):
        CourseQuiz("Q", [Choice("?", ["a"], 0, "nowhere", "")], topics={}, revisit=str)

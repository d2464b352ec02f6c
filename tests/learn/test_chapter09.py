"""Chapter 09: links only to chapters that exist, complete interview coverage, the explain-this-output cards and both checkers."""

from __future__ import annotations

import json
import re

import boto3
import pytest
import requests

from helpers.learn import ____, chapter09
from helpers.learn.course_quiz import LETTERS, Choice, MultiSelect, Numeric, Ordering
from helpers.steps import add_get_route, deploy_hello_world_api
from tests.support import HELLO_WORLD, verdict

NOTEBOOK = chapter09.NOTEBOOKS / "09_interview_prep.ipynb"
INTERVIEW_TOPICS = {"benefits", "compute", "api gateway", "rest vs http", "cold starts", "security", "monitoring", "limits"}
COLD = ("REPORT RequestId: 3e9a772d-3124-4f25-a6ac-6c46b28fcf32\tDuration: 2.67 ms\tBilled Duration: 61 ms\t"
        "Memory Size: 128 MB\tMax Memory Used: 12 MB\tInit Duration: 58.03 ms\t")
WARM = "REPORT RequestId: 1\tDuration: 1.20 ms\tBilled Duration: 2 ms\tMemory Size: 512 MB\tMax Memory Used: 40 MB\t"


def test_a_chapter_is_linked_only_once_its_file_exists(tmp_path):
    assert chapter09.chapter_link("06", tmp_path) == "chapter 06 (coming)"
    (tmp_path / "06_cold_starts.ipynb").write_text("{}")
    assert chapter09.chapter_link("06", tmp_path) == "[chapter 06](06_cold_starts.ipynb)"
    assert chapter09.revisit("monitoring", tmp_path) == "chapter 05 (coming) and chapter 07 (coming)"
    assert chapter09.revisit("security", tmp_path) == "chapter 02 (coming), chapter 03 (coming) and chapter 08 (coming)"


def test_every_topic_names_known_chapters():
    for key, topic in chapter09.TOPICS.items():
        assert topic.chapters and set(topic.chapters) <= set(chapter09.CHAPTER_FILES), key


def markdown_links(text: str) -> list[str]:
    return re.findall(r"\]\(([^)\s]+)\)", text)


def test_every_link_the_chapter_writes_points_at_a_file_that_exists():
    written = [chapter09.topic_table(), chapter09.chapter_link("10")]
    for deck in (chapter09.flashcards(), chapter09.scenarios()):
        written += [card.revisit for card in deck.cards] + [card.answer for card in deck.cards]
    quiz = chapter09.course_quiz()
    written += [quiz.revisit(topic) for topic in chapter09.TOPICS]
    notebook = json.loads(NOTEBOOK.read_text())
    for cell in notebook["cells"]:
        written.append("".join(cell["source"]))
        for output in cell.get("outputs", []):
            written += ["".join(value) for value in output.get("data", {}).values() if isinstance(value, (str, list))]
            written.append("".join(output.get("text", "")))
    links = [link for text in written for link in markdown_links(text) if not link.startswith("http")]
    assert "01_concepts.ipynb" in links
    missing = sorted({link for link in links if not (chapter09.NOTEBOOKS / link).exists()})
    assert not missing, f"links to files that are not in notebooks/: {missing}"


def test_every_interview_topic_has_a_flashcard_and_a_scenario():
    for deck in (chapter09.flashcards(), chapter09.scenarios()):
        assert {card.name for card in deck.cards} == INTERVIEW_TOPICS
        assert all(card.revisit and card.answer for card in deck.cards)
    assert "502 after a deploy" in chapter09.scenarios().find("monitoring").prompt
    managed = chapter09.flashcards().find("compute").answer
    assert "Fargate" in managed and "Lambda Managed Instances** (announced Nov 2025)" in managed


def perfect_answer(question):
    if isinstance(question, Choice):
        return LETTERS[question.answer]
    if isinstance(question, MultiSelect):
        return sorted(question.answers)
    if isinstance(question, Numeric):
        return question.answer
    return "".join(LETTERS[question.shown.index(step)] for step in range(len(question.steps)))


def test_the_course_quiz_is_mixed_and_a_perfect_sheet_scores_full():
    quiz = chapter09.course_quiz()
    assert len(quiz.questions) >= 20
    assert {type(q) for q in quiz.questions} == {Choice, MultiSelect, Numeric, Ordering}
    assert {q.topic for q in quiz.questions} == set(chapter09.TOPICS)
    grade = quiz.grade({n: perfect_answer(q) for n, q in enumerate(quiz.questions, start=1)})
    assert grade.score == grade.total == len(quiz.questions)
    assert quiz.grade({}).score == 0


def test_report_fields_reads_a_cold_report_and_refuses_other_lines():
    assert chapter09.report_fields(COLD) == {
        "Duration": 2.67, "Billed Duration": 61, "Memory Size": 128, "Max Memory Used": 12, "Init Duration": 58.03,
    }
    with pytest.raises(ValueError, match="not a REPORT line"):
        chapter09.report_fields("START RequestId: 1 Version: $LATEST")


def test_the_report_card_explains_init_billing_or_a_warm_call():
    cold = chapter09.explain_report(COLD).answer
    assert "**Billed Duration 61 ms** = Duration 2.67 ms + Init Duration 58.03 ms" in cold
    assert "61 ms × 0.125 GB = **0.007625 GB-seconds**" in cold
    warm = chapter09.explain_report(WARM).answer
    assert "no Init Duration, so this was a warm call" in warm and "**0.001000 GB-seconds**" in warm


def response(status: int, error_type: str, body: str) -> requests.Response:
    answer = requests.Response()
    answer.status_code, answer._content = status, body.encode()
    answer.headers["x-amzn-ErrorType"] = error_type
    return answer


def test_the_403_and_502_cards_show_the_real_output():
    card = chapter09.explain_403("http://x/dev/Hello", response(403, "MissingAuthenticationTokenException",
                                                                '{"message":"Missing Authentication Token"}'))
    assert card.prompt.endswith('403 x-amzn-ErrorType: MissingAuthenticationTokenException\n{"message":"Missing Authentication Token"}')
    assert "no resource and method match" in card.answer
    card = chapter09.explain_502(response(502, "InternalServerErrorException", '{"message": "Internal server error"}'),
                                 ["[ERROR] TypeError: 'NoneType' object is not subscriptable"])
    assert card.prompt.endswith("[ERROR] TypeError: 'NoneType' object is not subscriptable")


def solved_gb_seconds(line: str) -> dict:
    namespace = {"report_line": line, "report_fields": chapter09.report_fields}
    exec(chapter09.q1.solution_code, namespace)
    return namespace


@pytest.mark.parametrize("line", [COLD, WARM])
def test_q1_reference_solution_is_correct(line, capsys):
    assert verdict(chapter09.q1, solved_gb_seconds(line), capsys).startswith("Correct")


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (____, "Not attempted"),
        ("0.0076", "Incorrect: give the GB-seconds as a number."),
        (61 * 128 / 1024, "Incorrect: that is GB-milliseconds"),
        (61 / 1000 * 128, "Incorrect: that is MB-seconds"),
        (61 / 1000 * 128 / 1000, "Incorrect: Lambda counts 1 GB as 1,024 MB"),
        (61 / 1000 * 12 / 1024, "Incorrect: Lambda bills the memory you configured (Memory Size)"),
        (2.67 / 1000 * 128 / 1024, "Incorrect: that uses Duration"),
        (3 / 1000 * 128 / 1024, "Incorrect: that leaves INIT out"),
        (1.0, "Incorrect: 1 is not it"),
        (0.0076, "Correct"),  # rounded to four places: close enough
    ],
)
def test_q1_typical_wrong_answers(answer, expected, capsys):
    assert verdict(chapter09.q1, {"billed_gb_seconds": answer, "report_line": COLD}, capsys).startswith(expected)


@pytest.fixture
def goodbye_not_deployed(sandbox):
    """The walkthrough's API with GET /goodbye added but not deployed; returns the API id."""
    api_id = deploy_hello_world_api(HELLO_WORLD)
    add_get_route(api_id, "goodbye", "hello-world-api")
    return api_id


def test_q2_typical_wrong_answers_then_the_reference(goodbye_not_deployed, capsys):
    api_id = goodbye_not_deployed
    apigateway, lam = boto3.client("apigateway"), boto3.client("lambda")

    def says(fix) -> str:
        return verdict(chapter09.q2, {"fix": fix, "api_id": api_id}, capsys)

    assert says(____).startswith("Not attempted")
    assert says("create_deployment").startswith("Incorrect: store the response of the boto3 call")
    permission = lam.add_permission(FunctionName="hello-world-api", StatementId="again", Action="lambda:InvokeFunction",
                                    Principal="apigateway.amazonaws.com")
    assert says(permission).startswith("Incorrect: that added an invoke permission; a missing permission shows as 500")
    resource = next(r for r in apigateway.get_resources(restApiId=api_id)["items"] if r["path"] == "/goodbye")
    method = apigateway.get_method(restApiId=api_id, resourceId=resource["id"], httpMethod="GET")
    assert says(method).startswith("Incorrect: the resource and its method already exist")
    assert says(apigateway.create_deployment(restApiId=api_id)).startswith("Incorrect: that deployment is on no stage")
    assert says(apigateway.create_deployment(restApiId=api_id, stageName="prod")).startswith(
        "Incorrect: that deployed to stage 'prod', but the URL calls /dev/")
    namespace = {"apigateway": apigateway, "api_id": api_id}
    exec(chapter09.q2.solution_code, namespace)
    assert says(namespace["fix"]) == 'Correct: the dev stage now serves the new deployment: GET /dev/goodbye answers 200 "Hello, World! from Lambda!".'


def test_q2_a_deployment_that_still_fails_is_explained(goodbye_not_deployed, capsys):
    boto3.client("lambda").remove_permission(FunctionName="hello-world-api", StatementId="apigateway-get-goodbye")
    fix = boto3.client("apigateway").create_deployment(restApiId=goodbye_not_deployed, stageName="dev")
    said = verdict(chapter09.q2, {"fix": fix, "api_id": goodbye_not_deployed}, capsys)
    assert said.startswith("Incorrect: API Gateway answered 500") and "add_permission" in said


def code_cells() -> list[str]:
    return ["".join(c["source"]) for c in json.loads(NOTEBOOK.read_text())["cells"] if c["cell_type"] == "code"]


def test_the_start_over_cell_replaces_the_sandbox_and_deploys_again(no_leaks, monkeypatch, capsys):
    monkeypatch.chdir(chapter09.NOTEBOOKS)  # the cells' paths are relative to notebooks/
    first, start_over = code_cells()[0], next(c for c in code_cells() if "START_OVER = False" in c)
    namespace: dict = {}
    exec(first, namespace)
    old = namespace["lab"]
    try:
        exec(start_over, namespace)
        assert namespace["lab"] is old, "Run All leaves the sandbox alone"
        exec(start_over.replace("START_OVER = False", "START_OVER = True"), namespace)
        assert not old.running and namespace["lab"].running
        assert namespace["lab"].account_id != old.account_id
        assert capsys.readouterr().out.endswith('A new sandbox, hello world deployed again: "Hello, World! from Lambda!"\n')
    finally:
        old.stop()
        namespace["lab"].stop()

"""Flashcards reveal their answers from Python and from the widget; the inline Markdown is escaped."""

from __future__ import annotations

import pytest

from helpers.learn.flashcards import Card, Deck
from helpers.learn.inline_markdown import to_html

DECK = Deck("Practice", [
    Card("cold starts", "What is a cold start?", "A new **environment**: `INIT` runs.", "[chapter 06](06_cold_starts.ipynb)"),
    Card("limits", "Which limits matter?", "1,000 concurrent executions."),
])


def test_show_prints_prompt_answer_and_where(capsys):
    DECK.show("Cold Starts")
    assert capsys.readouterr().out == (
        "cold starts: What is a cold start?\n\nModel answer:\nA new **environment**: `INIT` runs.\n\n"
        "Where you did it: [chapter 06](06_cold_starts.ipynb)\n"
    )


def test_ask_keeps_the_answer_hidden(capsys):
    DECK.ask("limits")
    assert capsys.readouterr().out == "limits: Which limits matter?\n"


def test_a_card_is_found_by_part_of_its_name_or_prompt():
    assert DECK.find("cold").name == "cold starts"
    assert DECK.find("which limits").name == "limits"


def test_a_name_wins_over_a_prompt_that_happens_to_contain_it():
    deck = Deck("outputs", [Card("403 body", "What is wrong?", "!"), Card("REPORT line", "RequestId: 1403-…", "!")])
    assert deck.find("403").name == "403 body"


def test_an_unknown_or_ambiguous_name_lists_the_cards(capsys):
    DECK.show("security")
    assert capsys.readouterr().out == "no card called 'security'; the cards are: 'cold starts', 'limits'\n"
    DECK.show("what is")
    assert capsys.readouterr().out.startswith("cold starts: What is a cold start?")
    with pytest.raises(KeyError, match="matches 2 cards"):
        DECK.find("s")


def test_list_shows_prompts_only(capsys):
    DECK.list()
    out = capsys.readouterr().out
    assert out.startswith("Practice (2)\n- cold starts: What is a cold start?")
    assert "concurrent" not in out


def test_the_widget_button_reveals_and_hides_the_answer():
    box = DECK.widget()
    button, answer = box.buttons[0], box.answers[0]
    assert answer.layout.display == "none"
    button.click()
    assert answer.layout.display is None and button.description == "Hide the answer"
    assert '<a href="06_cold_starts.ipynb" target="_blank">chapter 06</a>' in answer.value
    button.click()
    assert answer.layout.display == "none" and button.description == "Show the answer"


def test_cards_need_distinct_names():
    with pytest.raises(ValueError, match="share a name"):
        Deck("twice", [Card("a", "?", "!"), Card("A", "?", "!")])


def test_inline_markdown_italics_leave_globs_and_products_alone():
    assert to_html('*"Focus on code."* and AWS::Serverless::* resources, 3 * 4') == (
        '<i>"Focus on code."</i> and AWS::Serverless::* resources, 3 * 4'
    )


def test_inline_markdown_escapes_html_and_keeps_links_code_and_bold():
    assert to_html("<b>x</b> & `a<b` **bold** [ch 3](03_x.ipynb)\nnext") == (
        '&lt;b&gt;x&lt;/b&gt; &amp; <code>a&lt;b</code> <b>bold</b> '
        '<a href="03_x.ipynb" target="_blank">ch 3</a><br>next'
    )

"""Flashcards and model answers: a prompt, an answer to reveal, and where the course taught it.

The same deck works as plain text (`deck.show("cold starts")`) and as a widget
with one reveal button per card (`deck.widget()`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from .inline_markdown import to_html


@dataclass(frozen=True)
class Card:
    """A prompt, its model answer, and where in the course the learner did it."""

    name: str  # how a learner asks for it: deck.show(name)
    prompt: str
    answer: str
    revisit: str = ""  # Markdown, e.g. "[chapter 03](03_create_rest_api.ipynb)"


class Deck:
    """A titled list of cards, found by name; shown as text or as a widget."""

    def __init__(self, title: str, cards: Sequence[Card]) -> None:
        names = [card.name.lower() for card in cards]
        if len(set(names)) != len(names):
            raise ValueError(f"two cards of {title!r} share a name")
        self.title = title
        self.cards = list(cards)

    def __len__(self) -> int:
        return len(self.cards)

    def find(self, name: str) -> Card:
        """The card called `name` (any case), else the only card whose name, else whose prompt, contains it."""
        wanted = name.strip().lower()
        names = ", ".join(repr(card.name) for card in self.cards)
        # Names first: a prompt may quote real output (a request id) that happens to contain the words asked for.
        for matches in (
            [card for card in self.cards if card.name.lower() == wanted],
            [card for card in self.cards if wanted in card.name.lower()],
            [card for card in self.cards if wanted in card.prompt.lower()],
        ):
            if len(matches) == 1:
                return matches[0]
            if matches:
                raise KeyError(f"{name!r} matches {len(matches)} cards; pick one of: {names}")
        raise KeyError(f"no card called {name!r}; the cards are: {names}")

    def ask(self, name: str) -> None:
        """Print a card's prompt only, to answer before revealing it."""
        card = self._find_or_say(name)
        if card is not None:
            print(f"{card.name}: {card.prompt}")

    def show(self, name: str) -> None:
        """Print a card's prompt, its model answer and where the course covers it."""
        card = self._find_or_say(name)
        if card is not None:
            print(_as_text(card))

    def list(self) -> None:
        """Print every card's name and prompt (the answers stay hidden)."""
        print(f"{self.title} ({len(self.cards)})")
        for card in self.cards:
            print(f"- {card.name}: {card.prompt}")

    def widget(self):
        """The deck as a widget: each card's prompt with a button that reveals (and hides) its answer."""
        import ipywidgets as widgets

        rows = [widgets.HTML(f"<h4>{to_html(self.title)}</h4>")]
        buttons, answers = [], []
        for card in self.cards:
            answer = widgets.HTML(_as_html(card), layout={"display": "none"})
            button = widgets.Button(description="Show the answer", icon="eye")
            button.on_click(_toggler(answer, button))
            rows += [widgets.HTML(f"<b>{to_html(card.name)}</b> — {to_html(card.prompt)}"), button, answer]
            buttons.append(button)
            answers.append(answer)
        box = widgets.VBox(rows)
        box.buttons, box.answers = buttons, answers
        return box

    def _find_or_say(self, name: str) -> Card | None:
        # A typo in a notebook cell should list the cards, not end in a traceback.
        try:
            return self.find(name)
        except KeyError as error:
            print(error.args[0])
            return None


def _toggler(answer, button):
    def toggle(_=None) -> None:
        hidden = answer.layout.display == "none"
        answer.layout.display = None if hidden else "none"
        button.description = "Hide the answer" if hidden else "Show the answer"

    return toggle


def _as_text(card: Card) -> str:
    text = f"{card.name}: {card.prompt}\n\nModel answer:\n{card.answer}"
    return text + (f"\n\nWhere you did it: {card.revisit}" if card.revisit else "")


def _as_html(card: Card) -> str:
    where = f"<p><i>Where you did it:</i> {to_html(card.revisit)}</p>" if card.revisit else ""
    return f"<div style='border-left:3px solid #888;padding-left:8px'>{to_html(card.answer)}{where}</div>"

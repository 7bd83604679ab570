"""Page objects find controls by role and accessible name, as QA scripts do. The names are the product's
words in the page's language (`Words`): the English, or its translation from the portal's own catalogue,
so that the journeys run in every language the portal speaks."""

from __future__ import annotations

import re

from portal import i18n


class Words:
    """The portal's messages in one language: `words("Continue")` is "Continuar" in Spanish."""

    def __init__(self, language: str) -> None:
        self.language = language

    def __call__(self, english: str, **values: object) -> str:
        with i18n.speaking(self.language):
            text = i18n.gettext(english)
        return text % values if values else text

    def plain(self, english: str, **values: object) -> str:
        """A message with markup as a person reads it (an accessible name): without its tags."""
        return re.sub(r"<[^>]+>", "", self(english, **values))


ENGLISH = Words("en")
SPANISH = Words("es")

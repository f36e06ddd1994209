"""The words of error messages: the article before a name follows how the name is said."""

from __future__ import annotations

import pytest

from ptbill.errors import a_or_an


@pytest.mark.parametrize(
    ("word", "said"),
    [
        ("ADT^A01", "an ADT^A01"),  # "ay-dee-tee"
        ("HL7", "an HL7"),  # "aitch"
        ("ORU^R01", "an ORU^R01"),
        ("DFT^P03", "a DFT^P03"),
        ("837", "an 837"),  # "eight"
        ("999", "a 999"),
        ("270", "a 270"),
        ("Encounter", "an Encounter"),
        ("Organization or Practitioner", "an Organization or Practitioner"),
        ("Patient", "a Patient"),
        ("Procedure", "a Procedure"),
    ],
)
def test_the_article_follows_the_sound(word: str, said: str) -> None:
    assert a_or_an(word) == said

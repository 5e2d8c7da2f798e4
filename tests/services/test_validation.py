"""The characters a request may not carry and a page never shows (services/validation.py):
control characters (Unicode category Cc) and bidirectional overrides and isolates (issue 23)."""

from __future__ import annotations

import sys
import unicodedata

import pytest

from services.validation import (
    BIDI_CONTROLS,
    CONTROLS,
    MULTILINE_CONTROLS,
    refused_character,
    shown_safely,
)


def test_the_controls_are_exactly_unicode_category_cc() -> None:
    cc = {chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Cc"}
    assert cc == CONTROLS


@pytest.mark.parametrize(
    ("text", "allowed", "first"),
    [
        ("政务公开", frozenset(), None),
        ("第一行\n第二行", frozenset(), (4, "\n")),
        ("第一行\n第二行", MULTILINE_CONTROLS, None),
        ("名称\x00", MULTILINE_CONTROLS, (3, "\x00")),
        ("abc\u202edef", MULTILINE_CONTROLS, (4, "\u202e")),
        ("\x85下一行", MULTILINE_CONTROLS, (1, "\x85")),
    ],
)
def test_the_first_refused_character_is_found_by_position(
    text: str, allowed: frozenset[str], first: tuple[int, str] | None
) -> None:
    assert refused_character(text, allowed) == first


def test_a_page_shows_every_refused_character_as_a_replacement_and_keeps_the_rest() -> None:
    every = sorted(CONTROLS | BIDI_CONTROLS)
    shown = "".join(c if c in "\t\n\r" else "\ufffd" for c in every)
    assert shown.count("\ufffd") == len(every) - 3
    assert shown_safely("第一条\t规定\r\n" + "".join(every) + "。") == (
        "第一条\t规定\r\n" + shown + "。"
    )

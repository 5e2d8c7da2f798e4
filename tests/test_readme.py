"""The README's tables for newcomers say what the policies say: every reason code with its ground
and the attributes it may justify, every profile with its labels, window and interpretation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from policies.legal_reasons import REASONS
from policies.profiles import PROFILES, InterpretationMode

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def _rows(heading: str) -> dict[str, list[str]]:
    section = README.split(f"## {heading}", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("| ") and not set(cells[0]) <= {"-"}:
            rows[cells[0].split(" ")[0].strip("`")] = cells[1:]
    return rows


@pytest.mark.parametrize("code", list(REASONS), ids=str)
def test_every_reason_code_is_explained_with_what_it_may_justify(code: str) -> None:
    rows = _rows("Reason codes")
    assert code in rows, f"README's reason codes lack {code}"
    ground, _basis, justifies = rows[code]
    reason = REASONS[code]
    assert ground == reason.summary
    if reason.parent is not None:
        assert justifies == f"as {reason.parent}"
        return
    assert set(justifies.split(", ")) == {attribute.label for attribute in reason.justifies}


@pytest.mark.parametrize("name", list(PROFILES), ids=str)
def test_every_profile_is_described_with_its_labels_window_and_interpretation(name: str) -> None:
    rows = _rows("Policy profiles")
    assert name in rows, f"README's profiles lack {name}"
    labels, window, interpretation = rows[name]
    profile = PROFILES[name]
    assert labels == {3: "three", 4: "four"}[len(profile.labels)]
    assert ("2 hours" in window) is (profile.publish_after_issue is not None)
    together = profile.interpretation_mode is InterpretationMode.TOGETHER
    assert interpretation.startswith("together") is together
    if not together:
        assert re.search(r"3 working days|as `wuming`", interpretation)


def test_the_readme_import_example_is_the_2026_arrangement_chinesecalendar_transcribes() -> None:
    # README "Working-day calendar": the example must import, and say what the seed says.
    from policies.calendar import package_years
    from services.calendar import read_calendar_file

    section = README.split("### The import format", 1)[1]
    example = section.split("```csv\n", 1)[1].split("```", 1)[0]
    entered = read_calendar_file(2026, example.encode("utf-8"))
    seeded = package_years()[-1]
    assert [(d.day, d.kind) for d in entered.days] == [(d.day, d.kind) for d in seeded.days]
    assert entered.source.title == "国务院办公厅关于2026年部分节假日安排的通知"

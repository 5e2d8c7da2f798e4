"""The annual report from the engine's documents plus imported figures, on SQLite and PostgreSQL
(条例 arts. 49–50; 国办公开办函〔2019〕60号 / 〔2021〕30号 [R]; seed 003)."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from models.annual_reports import AnnualReportImport
from models.audit import AuditEvent
from models.documents import Document
from models.users import User
from policies.annual_report import ImportedCell, TaskKind, TaskStatus
from policies.attributes import Attribute
from policies.roles import Role
from policies.statuses import Status
from policies.validity import Validity
from services.errors import Conflict, RequestInvalid
from services.office.annual_report import (
    ReportInvalid,
    build_annual_report,
    import_figures,
    mark_report,
    parse_csv,
    parse_json,
    report_imports,
    report_tasks,
)
from services.publication.publishing import JsonFileSink, publish_version
from services.publication.validity import change_validity
from tests.factories import clear_for_publication, id_of, make_document, make_organ, make_user

AT = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)
SEED_003 = next(Path("/work/shared/seeds").glob("003_*.txt"))
R = "二（一）"


def _published(session: Session, drafter: User, written_on: date, sink: JsonFileSink) -> int:
    document = make_document(
        session,
        drafter=drafter,
        document_type="行政规范性文件",
        written_on=written_on,
        status=Status.AWAITING_SIGNOFF,
    )
    clear_for_publication(session, document)
    publish_version(
        session=session,
        document_id=id_of(document),
        version_id=document.current_version_id or 0,
        publisher=sink,
        at=datetime.combine(written_on, datetime.min.time(), UTC),
    )
    return id_of(document)


def known_documents(session: Session, portal: Path) -> User:
    """2026: three 行政规范性文件 issued (2 主动公开 published, 1 不予公开 filed), one of the
    published repealed in 2026; one issued in 2025; a 2026 notice; a draft still in review."""
    organ = make_organ(session)
    drafter = make_user(session, organ=organ)
    office = make_user(session, organ=organ, role=Role.DISCLOSURE_OFFICE, name="公开办")
    sink = JsonFileSink(portal)
    first = _published(session, drafter, date(2026, 2, 10), sink)
    _published(session, drafter, date(2026, 4, 8), sink)
    make_document(
        session,
        drafter=drafter,
        document_type="normative",  # stored as the code: counted the same
        written_on=date(2026, 5, 6),
        status=Status.FILED,
        marking={"attribute": Attribute.WITHHELD, "reason_codes": ["NS-5"]},
    )
    _published(session, drafter, date(2025, 11, 3), sink)
    make_document(session, drafter=drafter, document_type="notice", written_on=date(2026, 3, 3))
    make_document(
        session, drafter=drafter, written_on=date(2026, 7, 1), status=Status.SECRECY_REVIEW
    )
    change_validity(
        session=session,
        document_id=first,
        to=Validity.REPEALED,
        reason="被新办法废止",
        actor=office.login,
        role=Role.DISCLOSURE_OFFICE,
        channel="api",
        at=datetime(2026, 9, 1, 2, 0, tzinfo=UTC),
        publisher=sink,
        amended_by_reference="测政发〔2026〕9号",
    )
    session.commit()
    return office


def _values(session: Session, year: int) -> dict[str, object]:
    report = build_annual_report(session=session, year=year)
    return {
        f"{row}/{column}": report.cell(R, row, column).value
        for (table, row, column) in report.cells
        if table == R
    }


def test_known_documents_land_in_the_right_rows_of_第二十条第一项_30号(
    session: Session, tmp_path: Path
) -> None:
    known_documents(session, tmp_path / "portal")
    report = build_annual_report(session=session, year=2026)
    assert report.format.name == "2021"
    assert report.cell(R, "行政规范性文件", "本年制发件数").value == 3
    assert report.cell(R, "行政规范性文件", "本年废止件数").value == 1
    # In force on 31 Dec 2026: the 2025 one, the second 2026 one, the filed one.
    assert report.cell(R, "行政规范性文件", "现行有效件数").value == 3
    assert all(report.cell(R, "规章", c).value == 0 for c in ("本年制发件数", "现行有效件数"))
    assert report.cell(R, "行政规范性文件", "本年制发件数").origin == "computed"
    assert report.cell("三", "一", "总计").origin == "empty"
    assert report.summary["documents_issued"] == 3
    assert report.summary["proactive"] == 2
    assert report.valid  # nothing imported: every figure is 0, and 0 + 0 = 0 + 0


def test_the_year_before_counts_its_own_documents_only_30号(
    session: Session, tmp_path: Path
) -> None:
    known_documents(session, tmp_path / "portal")
    assert _values(session, 2025) == {
        "规章/本年制发件数": 0,
        "规章/本年废止件数": 0,
        "规章/现行有效件数": 0,
        "行政规范性文件/本年制发件数": 1,
        "行政规范性文件/本年废止件数": 0,
        "行政规范性文件/现行有效件数": 1,
    }


def test_the_2019_format_counts_new_and_total_publications_60号(
    session: Session, tmp_path: Path
) -> None:
    organ = make_organ(session)
    drafter = make_user(session, organ=organ)
    sink = JsonFileSink(tmp_path / "portal")
    _published(session, drafter, date(2019, 3, 1), sink)
    _published(session, drafter, date(2020, 3, 1), sink)
    session.commit()
    report = build_annual_report(session=session, year=2020)
    assert report.format.name == "2019"
    assert report.cell(R, "规范性文件", "本年新制作数量").value == 1
    assert report.cell(R, "规范性文件", "本年新公开数量").value == 1
    assert report.cell(R, "规范性文件", "对外公开总数量").value == 2


def _applications(new: int, carried: int, disclosed: int, left: int) -> list[ImportedCell]:
    cells = []
    for row, value in (("一", new), ("二", carried), ("三(一)", disclosed), ("四", left)):
        cells += [ImportedCell("三", row, "自然人", value), ImportedCell("三", row, "总计", value)]
    cells += [
        ImportedCell("三", "三(七)", "自然人", disclosed),
        ImportedCell("三", "三(七)", "总计", disclosed),
    ]
    return cells


def test_balanced_imported_figures_make_a_valid_report_60号(
    session: Session, tmp_path: Path
) -> None:
    office = known_documents(session, tmp_path / "portal")
    import_figures(
        session=session, year=2026, cells=_applications(12, 3, 13, 2), media="json",
        user=office, at=AT,
    )  # fmt: skip
    session.commit()
    report = build_annual_report(session=session, year=2026)
    assert report.valid
    assert report.cell("三", "一", "总计").value == 12
    assert report.cell("三", "一", "总计").origin == "imported"
    event = session.exec(
        select(AuditEvent).where(col(AuditEvent.action) == "annual_report.imported")
    ).one()
    assert event.actor == office.login
    assert event.after == {"year": 2026, "version": 1, "cells": 10, "media": "json"}


def test_unbalanced_figures_fail_naming_the_numbers_一加二等于三加四_60号(
    session: Session, tmp_path: Path
) -> None:
    office = known_documents(session, tmp_path / "portal")
    import_figures(
        session=session, year=2026, cells=_applications(12, 3, 14, 2), media="json",
        user=office, at=AT,
    )  # fmt: skip
    report = build_annual_report(session=session, year=2026)
    assert not report.valid
    messages = [f.message for f in report.findings]
    assert (
        "表三“总计”列: 本年新收 12 + 上年结转 3 = 15 ≠ 办理结果 14 + 结转下年度 2 = 16" in messages
    )
    with pytest.raises(ReportInvalid) as refused:
        mark_report(
            session=session, year=2026, kind=TaskKind.SUBMITTED, user=office, at=AT, note=None
        )
    assert len(refused.value.findings) == len(report.findings)


def test_a_second_import_supersedes_the_first_and_keeps_it_60号(
    session: Session, tmp_path: Path
) -> None:
    office = known_documents(session, tmp_path / "portal")
    first = import_figures(
        session=session, year=2026, cells=_applications(12, 3, 14, 2), media="json",
        user=office, at=AT,
    )  # fmt: skip
    session.commit()
    second = import_figures(
        session=session, year=2026, cells=_applications(12, 3, 13, 2), media="csv",
        user=office, at=AT, note="更正办理结果",
    )  # fmt: skip
    session.commit()
    versions = report_imports(session=session, year=2026)
    assert [v.version for v in versions] == [2, 1]
    assert [v.id for v in versions] == [second.id, first.id]
    kept = session.get(AnnualReportImport, first.id)
    assert kept is not None
    assert {"section": "三", "row": "三(一)", "column": "总计", "value": 14} in kept.cells
    report = build_annual_report(session=session, year=2026)
    assert report.valid
    assert report.current_import is not None
    assert report.current_import.version == 2
    assert report.cell("三", "三(一)", "总计").value == 13


def test_an_import_naming_a_computed_or_unknown_cell_is_refused_whole_60号(
    session: Session, tmp_path: Path
) -> None:
    office = known_documents(session, tmp_path / "portal")
    cells = [
        ImportedCell(R, "行政规范性文件", "本年制发件数", 9),
        ImportedCell("三", "一", "个人", 1),
        ImportedCell("三", "一", "总计", 1),
    ]
    with pytest.raises(RequestInvalid) as refused:
        import_figures(session=session, year=2026, cells=cells, media="json", user=office, at=AT)
    assert [f.field for f in refused.value.findings] == [
        f"{R}/行政规范性文件/本年制发件数",
        "三/一/个人",
    ]
    with pytest.raises(RequestInvalid):
        import_figures(session=session, year=2026, cells=[], media="json", user=office, at=AT)
    assert report_imports(session=session, year=2026) == []


def test_marks_complete_the_31_january_and_31_march_tasks_条例_art_49(
    session: Session, tmp_path: Path
) -> None:
    office = known_documents(session, tmp_path / "portal")
    before = report_tasks(session=session, year=2026, at=datetime(2027, 2, 1, 2, tzinfo=UTC))
    assert [t.status for t in before] == [TaskStatus.OVERDUE, TaskStatus.OPEN]
    marked_at = datetime(2027, 3, 30, 17, 0, tzinfo=UTC)  # 31 March 01:00 in Shanghai
    mark_report(
        session=session, year=2026, kind=TaskKind.PUBLISHED, user=office, at=marked_at, note=None
    )
    with pytest.raises(Conflict):
        mark_report(
            session=session, year=2026, kind=TaskKind.PUBLISHED, user=office, at=AT, note=None
        )
    after = report_tasks(session=session, year=2026, at=datetime(2027, 4, 2, tzinfo=UTC))
    assert [(t.status, t.done_on) for t in after] == [
        (TaskStatus.OVERDUE, None),
        (TaskStatus.DONE, date(2027, 3, 31)),
    ]


def test_csv_and_json_layouts_parse_to_the_same_cells() -> None:
    csv_cells = parse_csv(
        "\ufeffsection,row,column,value\n三,一,总计,16\n五,正文,正文,培训不足\n".encode()
    )
    json_cells = parse_json(
        json.dumps(
            {
                "cells": [
                    {"section": "三", "row": "一", "column": "总计", "value": 16},
                    {"section": "五", "row": "正文", "column": "正文", "value": "培训不足"},
                ]
            }
        ).encode()
    )
    assert csv_cells == json_cells
    assert parse_csv(b"section,row,column,value\n\xe4\xba\x8c,x,y,2.5\n")[0].value == 2.5


@pytest.mark.parametrize(
    ("parser", "data", "expected"),
    [
        pytest.param(parse_csv, b"a,b\n1,2\n", "header", id="wrong CSV header"),
        pytest.param(parse_csv, b"\xff\xfe", "UTF-8", id="CSV not UTF-8"),
        pytest.param(parse_csv, b"section,row,column,value\n1,2\n", "4 fields", id="short line"),
        pytest.param(parse_json, b"{", "not JSON", id="bad JSON"),
        pytest.param(parse_json, b'{"x": 1}', "cells", id="no cells"),
        pytest.param(parse_json, b'[{"section": "\xe4\xb8\x89"}]', "exactly", id="missing keys"),
        pytest.param(
            parse_json,
            b'[{"section": 3, "row": "a", "column": "b", "value": 1}]',
            "strings",
            id="section not a string",
        ),
    ],
)
def test_a_malformed_import_names_the_problem(parser: object, data: bytes, expected: str) -> None:
    assert callable(parser)
    with pytest.raises(RequestInvalid, match=re.escape(expected)):
        parser(data)


def test_seed_003_figures_balance_but_lack_the_2019_outcome_breakdown_seed_003(
    session: Session,
) -> None:
    """麻阳县 2017 (pre-2019 layout): 16 applications, all answered; 3 reconsiderations (1 纠错,
    2 其他). Read from the seed itself, despite its injected portal URL and typos."""
    text = SEED_003.read_text("utf-8")
    applications = re.search(r"收到公开政府信息申请(\d+)件", text)
    assert applications is not None
    received = int(applications.group(1))
    reconsideration = re.search(
        r"行政复议案件(\d+)件[,，]其中被依法纠错数(\d+)\S[,，]其他(\d+)件", text
    )
    assert reconsideration is not None
    total, corrected, other = (int(g) for g in reconsideration.groups())
    assert (received, total, corrected, other) == (16, 3, 1, 2)
    office = make_user(session, role=Role.DISCLOSURE_OFFICE)
    cells = [
        ImportedCell("三", "一", "总计", received),
        ImportedCell("三", "三(七)", "总计", received),  # "全部在法定期限内予以答复"
        ImportedCell("四", "行政复议", "结果纠正", corrected),
        ImportedCell("四", "行政复议", "其他结果", other),
        ImportedCell("四", "行政复议", "总计", total),
    ]
    import_figures(session=session, year=2017, cells=cells, media="json", user=office, at=AT)
    report = build_annual_report(session=session, year=2017)
    rules = [f.rule for f in report.findings]
    assert "annual_report.balance" not in rules  # 16 + 0 = 16 + 0
    assert not report.valid  # but the 2019 table needs the breakdown the 2017 report lacks
    assert report.findings[0].message.startswith("表三“总计”列（七）总计: 总计 16 ≠ 三(一) 0")
    assert not any("表四" in f.message for f in report.findings)  # 1 + 2 = 3 holds
    assert session.exec(select(Document)).all() == []


@pytest.mark.parametrize(
    "junk", [b"section,row\rcolumn,value", b"section,row,column,value\n\x00,\r"]
)
def test_issue_23_an_import_that_is_not_csv_is_refused_not_a_server_error(junk: bytes) -> None:
    with pytest.raises(RequestInvalid):
        parse_csv(junk)

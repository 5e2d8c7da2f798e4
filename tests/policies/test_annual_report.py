"""The annual report's layout, imports, cross-checks and statutory dates (条例 arts. 49–50;
国办公开办函〔2019〕60号 / 〔2021〕30号 [R]; domain §7.2, §11 rows 12–13)."""

from __future__ import annotations

from datetime import date

import pytest

from policies.annual_report import (
    APPLICATIONS,
    FORMAT_2019,
    FORMAT_2021,
    OUTCOME_PARTS,
    CellKey,
    ImportedCell,
    Measure,
    Number,
    TaskKind,
    TaskStatus,
    annual_report_tasks,
    check_balance,
    check_import,
    check_report,
    check_totals,
    document_type_row,
    format_for_year,
)
from policies.document_types import DocumentType
from policies.legal_reasons import STATUTORY, annual_report_row


def test_sections_follow_the_official_numbering_一_to_六_条例_art_50() -> None:
    numbers = [(s.number, s.title) for s in FORMAT_2019.sections]
    assert numbers == [
        ("一", "总体情况"),
        ("二", "主动公开政府信息情况"),
        ("三", "收到和处理政府信息公开申请情况"),
        ("四", "政府信息公开行政复议、行政诉讼情况"),
        ("五", "存在的主要问题及改进情况"),
        ("六", "其他需要报告的事项"),
    ]
    assert [s.is_narrative for s in FORMAT_2021.sections] == [True, False, False, False, True, True]
    assert FORMAT_2019.section("七") is None


@pytest.mark.parametrize(
    ("year", "name", "columns", "row"),
    [
        pytest.param(
            2019,
            "2019",
            ["本年新制作数量", "本年新公开数量", "对外公开总数量"],
            "规范性文件",
            id="2019 report: 60号 columns of 第二十条第（一）项",
        ),
        pytest.param(
            2026,
            "2021",
            ["本年制发件数", "本年废止件数", "现行有效件数"],
            "行政规范性文件",
            id="2026 report: 30号 columns 本年制发件数/本年废止件数/现行有效件数",
        ),
    ],
)
def test_the_edition_follows_the_year_60号_and_30号(
    year: int, name: str, columns: list[str], row: str
) -> None:
    fmt = format_for_year(year)
    table = fmt.table("二（一）")
    assert fmt.name == name
    assert table is not None
    assert table.computed
    assert [c.label for c in table.columns] == columns
    assert document_type_row(fmt, DocumentType.NORMATIVE) == row
    assert document_type_row(fmt, DocumentType.RULES) == "规章"
    assert document_type_row(fmt, DocumentType.NOTICE) is None
    assert all(c.measure is not None for c in table.columns)


def test_2021_article_20_5_counts_本年处理决定数量_30号() -> None:
    table = FORMAT_2021.table("二（五）")
    assert table is not None
    assert [c.key for c in table.columns] == ["本年处理决定数量"]
    first = FORMAT_2019.table("二（一）")
    assert first is not None
    column = first.column("本年新公开数量")
    assert column is not None
    assert column.measure is Measure.PUBLISHED_IN_YEAR
    assert APPLICATIONS.column("不存在") is None
    assert APPLICATIONS.row("不存在") is None


def test_application_rows_number_as_the_format_and_reason_codes_land_in_三_三_60号() -> None:
    keys = [r.key for r in APPLICATIONS.rows]
    assert keys[:3] == ["一", "二", "三"]
    assert keys[-2:] == ["三(七)", "四"]
    assert [c.key for c in APPLICATIONS.columns][-1] == "总计"
    part_keys = {p.key for p in OUTCOME_PARTS}
    for reason in STATUTORY:  # NS-1..NS-8 → 三(三)1..8 (domain §4.2)
        assert annual_report_row(reason.code) in part_keys
    assert len(OUTCOME_PARTS) == 2 + 8 + 3 + 5 + 1


@pytest.mark.parametrize(
    ("cell", "problem"),
    [
        pytest.param(ImportedCell("三", "一", "自然人", 12), None, id="a count in table 三"),
        pytest.param(ImportedCell("二（九）", "政府集中采购", "采购总金额", 12.5), None, id="万元"),
        pytest.param(ImportedCell("五", "正文", "正文", "培训不足"), None, id="narrative 五"),
        pytest.param(ImportedCell("五", "一", "正文", "x"), "正文", id="narrative needs 正文"),
        pytest.param(ImportedCell("六", "正文", "正文", "  "), "非空文字", id="empty text"),
        pytest.param(ImportedCell("七", "一", "总计", 1), "无此部分", id="no section 七"),
        pytest.param(
            ImportedCell("二（一）", "规章", "本年制发件数", 1), "不接受导入", id="computed"
        ),
        pytest.param(ImportedCell("三", "五", "总计", 1), "无此行", id="no row 五"),
        pytest.param(ImportedCell("三", "三(三)", "总计", 1), "无此行", id="heading row"),
        pytest.param(ImportedCell("三", "一", "个人", 1), "无此列", id="no column 个人"),
        pytest.param(ImportedCell("三", "一", "总计", "12"), "须为数字", id="text for a count"),
        pytest.param(ImportedCell("三", "一", "总计", True), "须为数字", id="bool"),
        pytest.param(ImportedCell("三", "一", "总计", -1), "负数", id="negative"),
        pytest.param(ImportedCell("三", "一", "总计", 1.5), "整数", id="fraction of a count"),
    ],
)
def test_each_imported_cell_is_checked_60号(cell: ImportedCell, problem: str | None) -> None:
    findings = check_import(FORMAT_2021, [cell])
    if problem is None:
        assert findings == []
    else:
        assert len(findings) == 1
        assert problem in findings[0].message
        assert findings[0].field == f"{cell.section}/{cell.row}/{cell.column}"


def test_a_cell_imported_twice_is_refused_and_every_problem_is_listed_60号() -> None:
    cells = [
        ImportedCell("三", "一", "总计", 1),
        ImportedCell("三", "一", "总计", 2),
        ImportedCell("三", "一", "个人", 1),
    ]
    messages = [f.message for f in check_import(FORMAT_2019, cells)]
    assert len(messages) == 2
    assert "两次" in messages[0]
    assert "无此列" in messages[1]


def _balanced(new: int, carried: int, done: int, left: int) -> dict[CellKey, Number]:
    """Table 三 figures for natural persons only, outcomes all 予以公开, totals consistent."""
    values: dict[CellKey, Number] = {}
    for row, value in (
        ("一", new),
        ("二", carried),
        ("三(一)", done),
        ("三(七)", done),
        ("四", left),
    ):
        values[("三", row, "自然人")] = value
        values[("三", row, "总计")] = value
    return values


def test_balanced_application_figures_pass_一加二等于三加四_60号() -> None:
    assert check_report(_balanced(12, 3, 13, 2)) == []


def test_unbalanced_figures_fail_naming_the_numbers_一加二等于三加四_60号() -> None:
    findings = check_balance(_balanced(12, 3, 14, 2))
    assert [f.field for f in findings] == ["自然人", "总计"]
    assert findings[1].message == (
        "表三“总计”列: 本年新收 12 + 上年结转 3 = 15 ≠ 办理结果 14 + 结转下年度 2 = 16"
    )
    assert all(f.rule == "annual_report.balance" and "60号" in f.source for f in findings)


def test_totals_must_equal_their_parts_60号() -> None:
    values = _balanced(12, 3, 13, 2)
    values[("三", "三(三)4", "商业企业")] = 1  # a part with no total in its column or row
    values[("四", "行政复议", "结果纠正")] = 1
    values[("四", "行政复议", "其他结果")] = 2
    values[("四", "行政复议", "总计")] = 4
    messages = [f.message for f in check_totals(values)]
    assert messages == [
        "表三“商业企业”列（七）总计: 总计 0 ≠ "
        + " + ".join(f"{p.key} {1 if p.key == '三(三)4' else 0}" for p in OUTCOME_PARTS)
        + " = 1",
        "表三“三(三)4”行: 总计 0 ≠ 自然人 0 + 商业企业 1 + 科研机构 0 + 社会公益组织 0"
        " + 法律服务机构 0 + 其他 0 = 1",
        "表四“行政复议”行: 总计 4 ≠ 结果维持 0 + 结果纠正 1 + 其他结果 2 + 尚未审结 0 = 3",
    ]
    values[("三", "三(七)", "商业企业")] = 1
    values[("三", "三(三)4", "总计")] = 1
    values[("三", "三(七)", "总计")] = 14
    values[("三", "三(三)4", "自然人")] = 0
    values[("四", "行政复议", "总计")] = 3
    assert check_totals(values) == []


def test_amounts_print_without_a_trailing_zero_60号() -> None:
    values: dict[CellKey, Number] = {("四", "行政复议", "结果维持"): 1.5}
    (finding,) = check_totals(values)
    assert finding.message.endswith("结果维持 1.5 + 结果纠正 0 + 其他结果 0 + 尚未审结 0 = 1.5")


def test_seed_003_figures_balance_but_lack_the_2019_outcome_breakdown_seed_003() -> None:
    # seed 003 (麻阳县 2017): 16 applications received, all answered, none carried over; 3
    # reconsiderations (1 纠错, 2 其他); the pre-2019 layout gives no outcome breakdown.
    values: dict[CellKey, Number] = {
        ("三", "一", "总计"): 16,
        ("三", "三(七)", "总计"): 16,
        ("四", "行政复议", "结果纠正"): 1,
        ("四", "行政复议", "其他结果"): 2,
        ("四", "行政复议", "总计"): 3,
    }
    assert check_balance(values) == []
    messages = [f.message for f in check_totals(values)]
    assert len(messages) == 3
    assert messages[0].startswith("表三“总计”列（七）总计: 总计 16 ≠ 三(一) 0")
    assert messages[1].startswith("表三“一”行: 总计 16 ≠ 自然人 0")
    assert messages[2].startswith("表三“三(七)”行: 总计 16 ≠ 自然人 0")


@pytest.mark.parametrize(
    ("done", "today", "expected"),
    [
        pytest.param({}, date(2027, 1, 31), [TaskStatus.OPEN] * 2, id="31 Jan itself: still open"),
        pytest.param(
            {}, date(2027, 2, 1), [TaskStatus.OVERDUE, TaskStatus.OPEN], id="1 Feb: 部门 overdue"
        ),
        pytest.param(
            {TaskKind.SUBMITTED: date(2027, 1, 20), TaskKind.PUBLISHED: date(2027, 4, 1)},
            date(2027, 4, 2),
            [TaskStatus.DONE, TaskStatus.DONE_LATE],
            id="submitted 20 Jan on time; published 1 Apr late",
        ),
    ],
)
def test_statutory_dates_31_january_and_31_march_条例_art_49(
    done: dict[TaskKind, date], today: date, expected: list[TaskStatus]
) -> None:
    tasks = annual_report_tasks(2026, done, today)
    assert [t.due_on for t in tasks] == [date(2027, 1, 31), date(2027, 3, 31)]
    assert [t.status for t in tasks] == expected
    assert [t.source for t in tasks] == [
        "条例 art. 49 ¶1 (每年1月31日前)",
        "条例 art. 49 ¶2 (每年3月31日前)",
    ]

"""The annual report on government-information disclosure (条例 arts. 49–50; domain §7.2).

The report's layout is data: sections 一…六, their tables, rows and columns with the official
labels of the trial format (国办公开办函〔2019〕60号 [R]) and of its 2021 revision where it is
confirmed (国办公开办函〔2021〕30号 [R]: the 第二十条第（一）项 and （五）项 columns). Cells are
either computed by the engine (the 规章 / 行政规范性文件 counts of 第二十条第（一）项) or imported
by the office (applications, reconsideration and litigation, the other 第二十条 items).

Cross-checks return every failure as a Finding naming the rows and the numbers:
- 一 + 二 = 三 + 四 on the application table, per column
  ("第一项加第二项之和，等于第三项加第四项之和", printed in the 2019 table [R]);
- totals equal the sum of their parts (三(七) 总计 row, the 总计 column of tables 三 and 四) —
  implied by the format's 总计 lines.
Missing imported cells count as 0 in the arithmetic (the official table prints 0 for none).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from policies.document_types import DocumentType
from policies.findings import Finding, Severity

SOURCE_2019 = "国办公开办函〔2019〕60号 [R]"
SOURCE_2021 = "国办公开办函〔2021〕30号 [R]"
BALANCE_SOURCE = f"{SOURCE_2019} 表三: 第一项加第二项之和，等于第三项加第四项之和"
TOTALS_SOURCE = f"{SOURCE_2019} 总计 = 各分项之和"
FIRST_2021_YEAR = 2021  # 30号 is dated 2021-09-26: the reports for 2021 onward use it [R]

Number = int | float
CellKey = tuple[str, str, str]  # (table, row, column)


class Unit(StrEnum):
    """What a column holds."""

    COUNT = "件"  # non-negative whole numbers
    AMOUNT = "万元"  # non-negative amounts (政府集中采购 采购总金额)
    TEXT = "text"  # narrative sections


class Measure(StrEnum):
    """What the engine counts for a computed column of 第二十条第（一）项."""

    ISSUED = "issued"  # 本年制发件数 / 本年新制作数量
    REPEALED = "repealed"  # 本年废止件数
    IN_FORCE = "in_force"  # 现行有效件数
    PUBLISHED_IN_YEAR = "published_in_year"  # 本年新公开数量
    PUBLISHED_TOTAL = "published_total"  # 对外公开总数量


@dataclass(frozen=True, slots=True)
class Line:
    """A row or a column: its key (what imports name), its official label, its indent."""

    key: str
    label: str
    depth: int = 0
    unit: Unit = Unit.COUNT
    measure: Measure | None = None  # computed columns only


@dataclass(frozen=True, slots=True)
class Table:
    """One table of the report; `computed` says whether the engine fills every cell."""

    key: str
    title: str
    rows: tuple[Line, ...]
    columns: tuple[Line, ...]
    source: str
    computed: bool = False

    def row(self, key: str) -> Line | None:
        """The row with this key, if any."""
        return next((r for r in self.rows if r.key == key), None)

    def column(self, key: str) -> Line | None:
        """The column with this key, if any."""
        return next((c for c in self.columns if c.key == key), None)


@dataclass(frozen=True, slots=True)
class Section:
    """A numbered section: its tables, or free text where the format has none."""

    number: str
    title: str
    source: str
    tables: tuple[Table, ...] = ()

    @property
    def is_narrative(self) -> bool:
        """Whether the section is text the office writes (一、五、六)."""
        return not self.tables


@dataclass(frozen=True, slots=True)
class ReportFormat:
    """One edition of the official format."""

    name: str
    title: str
    source: str
    sections: tuple[Section, ...]
    _tables: dict[str, Table] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        tables = {t.key: t for s in self.sections for t in s.tables}
        object.__setattr__(self, "_tables", tables)

    def table(self, key: str) -> Table | None:
        """The table with this key, if the format has one."""
        return self._tables.get(key)

    def section(self, number: str) -> Section | None:
        """The section with this number, if any."""
        return next((s for s in self.sections if s.number == number), None)


def _lines(*labels: str, unit: Unit = Unit.COUNT) -> tuple[Line, ...]:
    return tuple(Line(label, label, unit=unit) for label in labels)


TEXT_CELL = ("正文", "正文")  # (row, column) of a narrative section's text

# 三、收到和处理政府信息公开申请情况 (2019 trial format; unchanged in 2021 as far as confirmed).
APPLICANT_COLUMNS: tuple[Line, ...] = _lines(
    "自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"
)
APPLICANT_PARTS = APPLICANT_COLUMNS[:-1]
_WITHHELD = (
    "属于国家秘密",
    "其他法律行政法规禁止公开",
    "危及“三安全一稳定”",
    "保护第三方合法权益",
    "属于三类内部事务信息",
    "属于四类过程性信息",
    "属于行政执法案卷",
    "属于行政查询事项",
)
_CANNOT = ("本机关不掌握相关政府信息", "没有现成信息需要另行制作", "补正后申请内容仍不明确")
_NOT_PROCESSED = (
    "信访举报投诉类申请",
    "重复申请",
    "要求提供公开出版物",
    "无正当理由大量反复申请",
    "要求行政机关确认或重新出具已获取信息",
)


def _numbered(group: str, labels: tuple[str, ...]) -> tuple[Line, ...]:
    return tuple(Line(f"{group}{i}", f"{i}.{label}", 2) for i, label in enumerate(labels, 1))


OUTCOME_PARTS: tuple[Line, ...] = (
    Line("三(一)", "（一）予以公开", 1),
    Line("三(二)", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）", 1),
    *_numbered("三(三)", _WITHHELD),
    *_numbered("三(四)", _CANNOT),
    *_numbered("三(五)", _NOT_PROCESSED),
    Line("三(六)", "（六）其他处理", 1),
)
_OUTCOME_HEADINGS = {
    "三(三)1": Line("三(三)", "（三）不予公开", 1),
    "三(四)1": Line("三(四)", "（四）无法提供", 1),
    "三(五)1": Line("三(五)", "（五）不予处理", 1),
}


def _outcome_rows() -> tuple[Line, ...]:
    rows: list[Line] = []
    for part in OUTCOME_PARTS:
        heading = _OUTCOME_HEADINGS.get(part.key)
        if heading is not None:
            rows.append(heading)
        rows.append(part)
    return tuple(rows)


# Headings (三(三), 三(四), 三(五)) carry no figures of their own: only their numbered parts do.
HEADING_ROWS = frozenset(h.key for h in _OUTCOME_HEADINGS.values()) | {"三"}
APPLICATIONS = Table(
    key="三",
    title="收到和处理政府信息公开申请情况",
    rows=(
        Line("一", "一、本年新收政府信息公开申请数量"),
        Line("二", "二、上年结转政府信息公开申请数量"),
        Line("三", "三、本年度办理结果"),
        *_outcome_rows(),
        Line("三(七)", "（七）总计", 1),
        Line("四", "四、结转下年度继续办理"),
    ),
    columns=APPLICANT_COLUMNS,
    source=f"{SOURCE_2019}; 条例 art. 50(二)",
)

# 四、政府信息公开行政复议、行政诉讼情况. The 总计 column is [U] in domain §7.2 (not visible in
# the excerpt read); it is kept because every other group of the format has one.
RESULT_COLUMNS: tuple[Line, ...] = _lines("结果维持", "结果纠正", "其他结果", "尚未审结", "总计")
REMEDIES = Table(
    key="四",
    title="政府信息公开行政复议、行政诉讼情况",
    rows=(
        Line("行政复议", "行政复议"),
        Line("行政诉讼·未经复议直接起诉", "行政诉讼（未经复议直接起诉）"),
        Line("行政诉讼·复议后起诉", "行政诉讼（复议后起诉）"),
    ),
    columns=RESULT_COLUMNS,
    source=f"{SOURCE_2019}; 条例 art. 50(三)",
)


def _item_table(item: str, rows: tuple[str, ...], columns: tuple[Line, ...], src: str) -> Table:
    return Table(f"二{item}", f"第二十条第{item}项", _lines(*rows), columns, src)


_PREV_CHANGE = _lines("上一年项目数量", "本年增/减")


def _section_two(article_20_1: Table, article_20_5: Table, source: str) -> Section:
    tables = (
        article_20_1,
        article_20_5,
        _item_table(
            "（六）",
            ("行政处罚", "行政强制"),
            (*_PREV_CHANGE, Line("处理决定数量", "处理决定数量")),
            SOURCE_2019,
        ),
        _item_table("（八）", ("行政事业性收费",), _PREV_CHANGE, SOURCE_2019),
        _item_table(
            "（九）",
            ("政府集中采购",),
            (
                Line("采购项目数量", "采购项目数量"),
                Line("采购总金额", "采购总金额", unit=Unit.AMOUNT),
            ),
            SOURCE_2019,
        ),
    )
    return Section("二", "主动公开政府信息情况", f"{source}; 条例 art. 50(一)", tables)


def _format(name: str, source: str, article_20_1: Table, article_20_5: Table) -> ReportFormat:
    return ReportFormat(
        name=name,
        title="政府信息公开工作年度报告",
        source=source,
        sections=(
            Section("一", "总体情况", source),
            _section_two(article_20_1, article_20_5, source),
            Section("三", "收到和处理政府信息公开申请情况", source, (APPLICATIONS,)),
            Section("四", "政府信息公开行政复议、行政诉讼情况", source, (REMEDIES,)),
            Section("五", "存在的主要问题及改进情况", f"{source}; 条例 art. 50(四)"),
            Section("六", "其他需要报告的事项", f"{source}; 条例 art. 50(五)"),
        ),
    )


FORMAT_2019 = _format(
    "2019",
    SOURCE_2019,
    Table(
        "二（一）",
        "第二十条第（一）项",
        _lines("规章", "规范性文件"),
        (
            Line("本年新制作数量", "本年新制作数量", measure=Measure.ISSUED),
            Line("本年新公开数量", "本年新公开数量", measure=Measure.PUBLISHED_IN_YEAR),
            Line("对外公开总数量", "对外公开总数量", measure=Measure.PUBLISHED_TOTAL),
        ),
        SOURCE_2019,
        computed=True,
    ),
    _item_table(
        "（五）",
        ("行政许可", "其他对外管理服务事项"),
        (*_PREV_CHANGE, Line("处理决定数量", "处理决定数量")),
        SOURCE_2019,
    ),
)
# 2021: only the confirmed changes (domain §7.2); the other tables are kept as in 2019 [U].
FORMAT_2021 = _format(
    "2021",
    SOURCE_2021,
    Table(
        "二（一）",
        "第二十条第（一）项",
        _lines("规章", "行政规范性文件"),
        (
            Line("本年制发件数", "本年制发件数", measure=Measure.ISSUED),
            Line("本年废止件数", "本年废止件数", measure=Measure.REPEALED),
            Line("现行有效件数", "现行有效件数", measure=Measure.IN_FORCE),
        ),
        SOURCE_2021,
        computed=True,
    ),
    _item_table(
        "（五）",
        ("行政许可", "其他对外管理服务事项"),
        (Line("本年处理决定数量", "本年处理决定数量"),),
        SOURCE_2021,
    ),
)
FORMATS = {f.name: f for f in (FORMAT_2019, FORMAT_2021)}


def format_for_year(year: int) -> ReportFormat:
    """The edition a year's report uses: 2021 revision from the 2021 report on, else 2019."""
    return FORMAT_2021 if year >= FIRST_2021_YEAR else FORMAT_2019


def document_type_row(fmt: ReportFormat, document_type: DocumentType) -> str | None:
    """The 第二十条第（一）项 row counting a document type (规章, 行政规范性文件), if any."""
    table = fmt.table("二（一）")
    assert table is not None, "every format has 第二十条第（一）项"
    index = {DocumentType.RULES: 0, DocumentType.NORMATIVE: 1}.get(document_type)
    return None if index is None else table.rows[index].key


# ---------------------------------------------------------------------------------------------
# Imports: which cells the office may supply, and what values they take.


@dataclass(frozen=True, slots=True)
class ImportedCell:
    """One imported figure (or text): section/table key, row, column, value."""

    section: str
    row: str
    column: str
    value: Number | str


def _invalid(message: str, where: str) -> Finding:
    return Finding("annual_report.import", Severity.BLOCKING, message, SOURCE_2019, where)


def _check_value(cell: ImportedCell, unit: Unit, where: str) -> Finding | None:
    value = cell.value
    if unit is Unit.TEXT:
        if isinstance(value, str) and value.strip():
            return None
        return _invalid(f"{where}: 叙述部分须为非空文字 (text expected)", where)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return _invalid(f"{where}: 须为数字，收到 {value!r} (a number expected)", where)
    if value < 0:
        return _invalid(f"{where}: 不能为负数，收到 {value} (must not be negative)", where)
    if unit is Unit.COUNT and value != int(value):
        return _invalid(f"{where}: 件数须为整数，收到 {value} (a whole number expected)", where)
    return None


def _unit_of(fmt: ReportFormat, cell: ImportedCell, where: str) -> Unit | Finding:
    section = fmt.section(cell.section)
    if section is not None and section.is_narrative:
        if (cell.row, cell.column) != TEXT_CELL:
            return _invalid(f"{where}: 叙述部分的行、列均为“正文”", where)
        return Unit.TEXT
    table = fmt.table(cell.section)
    if table is None:
        known = ", ".join(k for s in fmt.sections for k in ([s.number] if s.is_narrative else []))
        tables = ", ".join(t.key for s in fmt.sections for t in s.tables)
        return _invalid(f"{where}: 无此部分或表格；表格有 {tables}，叙述部分有 {known}", where)
    if table.computed:
        return _invalid(f"{where}: 该表由系统根据公文数据生成，不接受导入 (computed)", where)
    row, column = table.row(cell.row), table.column(cell.column)
    if row is None or cell.row in HEADING_ROWS:
        rows = ", ".join(r.key for r in table.rows if r.key not in HEADING_ROWS)
        return _invalid(f"{where}: 表{table.key}无此行；可用的行: {rows}", where)
    if column is None:
        columns = ", ".join(c.key for c in table.columns)
        return _invalid(f"{where}: 表{table.key}无此列；可用的列: {columns}", where)
    return column.unit


def check_import(fmt: ReportFormat, cells: Iterable[ImportedCell]) -> list[Finding]:
    """Every problem with an import: unknown or computed cells, bad values, duplicates."""
    findings: list[Finding] = []
    seen: set[CellKey] = set()
    for cell in cells:
        where = f"{cell.section}/{cell.row}/{cell.column}"
        key = (cell.section, cell.row, cell.column)
        if key in seen:
            findings.append(_invalid(f"{where}: 同一单元格导入了两次 (duplicate cell)", where))
            continue
        seen.add(key)
        unit = _unit_of(fmt, cell, where)
        if isinstance(unit, Finding):
            findings.append(unit)
            continue
        problem = _check_value(cell, unit, where)
        if problem is not None:
            findings.append(problem)
    return findings


# ---------------------------------------------------------------------------------------------
# Cross-checks.


def _fmt(value: Number) -> str:
    return str(int(value)) if value == int(value) else f"{value:g}"


def _sum_text(labels: list[str], values: list[Number]) -> str:
    terms = " + ".join(f"{label} {_fmt(v)}" for label, v in zip(labels, values, strict=True))
    return f"{terms} = {_fmt(sum(values))}"


def check_balance(values: Mapping[CellKey, Number]) -> list[Finding]:
    """一 + 二 = 三 + 四 in every column of table 三 (三 is its （七）总计 row)."""
    findings = []
    for column in APPLICANT_COLUMNS:
        c = column.key
        left = [values.get(("三", "一", c), 0), values.get(("三", "二", c), 0)]
        right = [values.get(("三", "三(七)", c), 0), values.get(("三", "四", c), 0)]
        if sum(left) != sum(right):
            message = (
                f"表三“{c}”列: {_sum_text(['本年新收', '上年结转'], left)} ≠ "
                f"{_sum_text(['办理结果', '结转下年度'], right)}"
            )
            findings.append(
                Finding("annual_report.balance", Severity.BLOCKING, message, BALANCE_SOURCE, c)
            )
    return findings


def _total_finding(where: str, total: Number, parts: list[Number], labels: list[str]) -> Finding:
    message = f"{where}: 总计 {_fmt(total)} ≠ {_sum_text(labels, parts)}"
    return Finding("annual_report.total", Severity.BLOCKING, message, TOTALS_SOURCE, where)


def check_totals(values: Mapping[CellKey, Number]) -> list[Finding]:
    """Every 总计 equals the sum of its parts: 三(七) per column, 总计 column per row (三, 四)."""
    findings = []
    for column in APPLICANT_COLUMNS:
        parts = [values.get(("三", p.key, column.key), 0) for p in OUTCOME_PARTS]
        total = values.get(("三", "三(七)", column.key), 0)
        if total != sum(parts):
            labels = [p.key for p in OUTCOME_PARTS]
            where = f"表三“{column.key}”列（七）总计"
            findings.append(_total_finding(where, total, parts, labels))
    for table, part_columns in ((APPLICATIONS, APPLICANT_PARTS), (REMEDIES, RESULT_COLUMNS[:-1])):
        for row in table.rows:
            if row.key in HEADING_ROWS:
                continue
            parts = [values.get((table.key, row.key, c.key), 0) for c in part_columns]
            total = values.get((table.key, row.key, "总计"), 0)
            if total != sum(parts):
                where = f"表{table.key}“{row.key}”行"
                findings.append(_total_finding(where, total, parts, [c.key for c in part_columns]))
    return findings


def check_report(values: Mapping[CellKey, Number]) -> list[Finding]:
    """Every arithmetic failure of the report: the balance of table 三, then every total."""
    return check_balance(values) + check_totals(values)


# ---------------------------------------------------------------------------------------------
# Office tasks: the statutory dates (条例 art. 49; domain §11 rows 12–13).


class TaskStatus(StrEnum):
    """Where an annual-report task stands on a given day."""

    OPEN = "open"  # not done, not yet due
    OVERDUE = "overdue"  # not done, due date passed
    DONE = "done"  # done on or before the due date
    DONE_LATE = "done_late"  # done after the due date


class TaskKind(StrEnum):
    """The two statutory steps, each completed by an office mark."""

    SUBMITTED = "submitted"  # 部门年度报告报送并公开
    PUBLISHED = "published"  # 本级政府年度报告向社会公布


@dataclass(frozen=True, slots=True)
class TaskRule:
    """A statutory step: its mark, what it is, its day and month of the following year."""

    kind: TaskKind
    title: str
    month: int
    day: int
    source: str


TASK_RULES: tuple[TaskRule, ...] = (
    TaskRule(
        TaskKind.SUBMITTED,
        "县级以上人民政府部门向本级政府信息公开工作主管部门提交上一年度年度报告并向社会公布",
        1,
        31,
        "条例 art. 49 ¶1 (每年1月31日前)",
    ),
    TaskRule(
        TaskKind.PUBLISHED,
        "县级以上地方人民政府的政府信息公开工作主管部门向社会公布本级政府上一年度年度报告",
        3,
        31,
        "条例 art. 49 ¶2 (每年3月31日前)",
    ),
)


@dataclass(frozen=True, slots=True)
class OfficeTask:
    """One annual-report task for a reporting year, and where it stands."""

    kind: TaskKind
    title: str
    year: int  # the reporting year (statistics 1 Jan–31 Dec of it)
    due_on: date  # in the following year
    source: str
    status: TaskStatus
    done_on: date | None


def annual_report_tasks(year: int, done: Mapping[TaskKind, date], today: date) -> list[OfficeTask]:
    """The statutory tasks for the report on `year`, each done on the day its mark was made."""
    tasks = []
    for rule in TASK_RULES:
        due = date(year + 1, rule.month, rule.day)
        done_on = done.get(rule.kind)
        if done_on is not None:
            status = TaskStatus.DONE if done_on <= due else TaskStatus.DONE_LATE
        else:
            status = TaskStatus.OVERDUE if today > due else TaskStatus.OPEN
        tasks.append(OfficeTask(rule.kind, rule.title, year, due, rule.source, status, done_on))
    return tasks

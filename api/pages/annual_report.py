"""The annual report as a printable HTML page in the official layout (国办公开办函〔2019〕60号 /
〔2021〕30号 [R]): sections 一…六, the tables with their official row and column labels, the
申请人情况 and 行政复议/行政诉讼 header groups, imported and computed cells told apart, and the
cross-check failures shown first and prominently."""

from __future__ import annotations

from api.pages import escape, template
from policies.annual_report import APPLICANT_COLUMNS, HEADING_ROWS, Section, Table
from services.office.annual_report import AnnualReport, Cell

_TEMPLATE = template("annual_report.html")
ORIGIN_LABEL = {
    "computed": "系统生成",
    "imported": "导入",
    "combined": "系统生成＋导入（系统外办理的申请）",
    "empty": "未填",
}


def _value(cell: Cell) -> str:
    if cell.value is None:
        return "0"  # the official table prints 0 where there is none
    if isinstance(cell.value, float) and cell.value == int(cell.value):
        return str(int(cell.value))
    return escape(str(cell.value))


def _td(cell: Cell) -> str:
    title = ORIGIN_LABEL[cell.origin]
    return f'<td class="num {cell.origin}" title="{title}">{_value(cell)}</td>'


def _applications(report: AnnualReport, table: Table) -> str:
    parts = APPLICANT_COLUMNS[1:-1]
    head = (
        '<tr><th rowspan="3" colspan="2">（本列数据的勾稽关系为：第一项加第二项之和，'
        f'等于第三项加第四项之和）</th><th colspan="{len(APPLICANT_COLUMNS)}">申请人情况</th></tr>'
        '<tr><th rowspan="2">自然人</th>'
        f'<th colspan="{len(parts)}">法人或其他组织</th><th rowspan="2">总计</th></tr>'
        "<tr>" + "".join(f"<th>{escape(c.label)}</th>" for c in parts) + "</tr>"
    )
    body = []
    for row in table.rows:
        label = f'<td colspan="2" class="depth-{row.depth}">{escape(row.label)}</td>'
        if row.key in HEADING_ROWS:
            empty = "".join("<td></td>" for _ in table.columns)
            body.append(f"<tr>{label}{empty}</tr>")
            continue
        cells = "".join(_td(report.cell(table.key, row.key, c.key)) for c in table.columns)
        body.append(f"<tr>{label}{cells}</tr>")
    return f"<table>{head}{''.join(body)}</table>"


def _remedies(report: AnnualReport, table: Table) -> str:
    """One row of 15 cells under 行政复议 | 行政诉讼 (未经复议直接起诉 | 复议后起诉), as printed."""
    width = len(table.columns)
    groups = (
        f'<tr><th colspan="{width}" rowspan="2">行政复议</th>'
        f'<th colspan="{2 * width}">行政诉讼</th></tr>'
        f'<tr><th colspan="{width}">未经复议直接起诉</th><th colspan="{width}">复议后起诉</th></tr>'
    )
    labels = "".join(f"<th>{escape(c.label)}</th>" for c in table.columns) * len(table.rows)
    cells = "".join(
        _td(report.cell(table.key, row.key, c.key)) for row in table.rows for c in table.columns
    )
    return f"<table>{groups}<tr>{labels}</tr><tr>{cells}</tr></table>"


def _plain(report: AnnualReport, table: Table) -> str:
    head = '<tr><th colspan="2">信息内容</th>' + "".join(
        f"<th>{escape(c.label)}{'（万元）' if c.unit == '万元' else ''}</th>" for c in table.columns
    )
    rows = "".join(
        f'<tr><td colspan="2">{escape(r.label)}</td>'
        + "".join(_td(report.cell(table.key, r.key, c.key)) for c in table.columns)
        + "</tr>"
        for r in table.rows
    )
    title = f"<h3>{escape(table.title)}</h3>"
    return f"{title}<table>{head}</tr>{rows}</table>"


def _section(report: AnnualReport, section: Section) -> str:
    parts = [f"<h2>{section.number}、{escape(section.title)}</h2>"]
    if section.number == "一":
        s = report.summary
        share = s["proactive_share"]
        parts.append(
            f'<p class="computed">本年制发文件 {s["documents_issued"]} 件，'
            f"主动公开 {s['proactive']} 件"
            + (f"，约占制发文件数的 {share:.0%}" if share is not None else "")
            + f"；网上公开 {s['publications']} 件。（系统生成）</p>"
        )
    if section.is_narrative:
        text = report.cell(section.number, "正文", "正文")
        if text.value is not None:
            parts.append(f'<p class="imported">{escape(str(text.value))}</p>')
        elif section.number != "一":
            parts.append('<p class="empty">（未导入）</p>')
    for table in section.tables:
        if table.key == "三":
            parts.append(_applications(report, table))
        elif table.key == "四":
            parts.append(_remedies(report, table))
        else:
            parts.append(_plain(report, table))
    parts.append(f'<p class="source">依据：{escape(section.source)}</p>')
    return "".join(parts)


def _validation(report: AnnualReport) -> str:
    if report.valid:
        return '<p class="valid">勾稽关系校验通过（一 + 二 = 三 + 四；总计 = 各分项之和）。</p>'
    items = "".join(f"<li>{escape(f.message)}</li>" for f in report.findings)
    return (
        '<section class="failures" role="alert" id="validation-failures">'
        f"<h2>校验未通过：{len(report.findings)} 项勾稽关系错误</h2><ul>{items}</ul></section>"
    )


def annual_report_html(report: AnnualReport) -> str:
    """The whole page."""
    title = f"{report.year}年{escape(report.format.title)}"
    imported = report.current_import
    provenance = (
        f"导入数据：第 {imported.version} 版（{imported.imported_at:%Y-%m-%d %H:%M} UTC）"
        if imported
        else "尚未导入数据"
    )
    body = [
        f"<h1>{title}</h1>",
        _validation(report),
        f'<p class="legend">格式：{escape(report.format.source)}。{provenance}。'
        '<span class="computed">绿色</span>为系统根据公文数据生成，'
        '<span class="imported">蓝色</span>为导入数据。</p>',
        *(_section(report, s) for s in report.format.sections),
    ]
    return _TEMPLATE.substitute(title=title, body="".join(body))

"""Application pages: the reply letter (printable HTML and PDF) and the portal's online
application form with its confirmation. Plain HTML, no JavaScript; every value escaped."""

from __future__ import annotations

import io
from collections.abc import Mapping

from api.pages import escape
from policies.applications import REQUIRED_FIELDS, ApplicantType, Channel
from policies.calendar import SHANGHAI
from policies.findings import Finding
from services.applications import ReplyLetter

STYLE = (
    "body{font-family:'Songti SC','SimSun',serif;margin:2rem auto;max-width:46rem;line-height:1.8}"
    "h1{text-align:center;font-size:1.4rem}.number{text-align:right}.error{color:#a00}"
    "label{display:block;margin:.4rem 0}textarea,input,select{width:100%}"
)


def _page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>{body}</body></html>"
    )


def letter_lines(letter: ReplyLetter) -> list[tuple[str, str]]:
    """The letter as (kind, text) lines, shared by the HTML page and the PDF."""
    lines = [
        ("title", f"{letter.organ_name}政府信息公开申请答复告知书"),
        ("number", letter.number),
        ("para", f"{letter.applicant_name}："),
        (
            "para",
            f"本机关于{letter.received_on:%Y年%m月%d日}收到您的政府信息公开申请"
            f"（申请编号 {letter.application_number}），申请获取：{letter.description}",
        ),
        ("para", f"答复：{letter.decision_label}。{letter.decision}（{letter.decision_basis}）"),
    ]
    for reason in letter.reasons:
        lines.append(("item", f"理由：{reason.ground}（{reason.code}；依据 {reason.basis}）"))
    if letter.explanation:
        lines.append(("item", f"说明：{letter.explanation}"))
    for name in letter.released_files:
        lines.append(("item", f"提供文件：{name}"))
    if letter.released_files and letter.delivery_url and letter.delivery_expires_at:
        until = letter.delivery_expires_at.astimezone(SHANGHAI)
        lines.append(
            (
                "item",
                f"获取方式：请于{until:%Y年%m月%d日 %H:%M}（北京时间）前访问 "
                f"{letter.delivery_url} 下载上述文件；该链接仅供您本人使用，请勿转发。",
            )
        )
    fee = (
        f"信息处理费：{letter.fee_yuan} 元（本月第 {letter.nth_in_month} 件申请；"
        "条例第四十二条、国办函〔2020〕109号）"
        if letter.fee_yuan
        else f"信息处理费：不收费（本月第 {letter.nth_in_month} 件申请；条例第四十二条）"
    )
    lines.append(("para", fee))
    lines.append(("heading", "救济渠道（条例第五十一条）"))
    for remedy in letter.remedies:
        lines.append(
            (
                "item",
                f"如对本答复不服，可以{remedy.time_limit}向{remedy.body}申请{remedy.name}"
                if remedy.name == "行政复议"
                else f"如对本答复不服，也可以{remedy.time_limit}向{remedy.body}提起{remedy.name}",
            )
        )
    lines.append(("sign", letter.organ_name))
    lines.append(("sign", f"{letter.replied_on:%Y年%m月%d日}"))
    return lines


def letter_html(letter: ReplyLetter) -> str:
    """The printable reply letter."""
    parts = []
    for kind, text in letter_lines(letter):
        if kind == "title":
            parts.append(f"<h1>{escape(text)}</h1>")
        elif kind == "number":
            parts.append(f'<p class="number" id="letter-number">{escape(text)}</p>')
        elif kind == "heading":
            parts.append(f"<h2>{escape(text)}</h2>")
        elif kind == "item":
            parts.append(f'<p class="item">{escape(text)}</p>')
        elif kind == "sign":
            parts.append(f'<p style="text-align:right">{escape(text)}</p>')
        else:
            parts.append(f"<p>{escape(text)}</p>")
    return _page(f"答复告知书 {letter.number}", "\n".join(parts))


def letter_pdf(letter: ReplyLetter) -> bytes:
    """The reply letter as PDF, in reportlab's CID font STSong-Light (no font package)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    base = ParagraphStyle("body", fontName="STSong-Light", fontSize=12, leading=20, wordWrap="CJK")
    styles = {
        "title": ParagraphStyle("title", parent=base, fontSize=16, leading=26, alignment=1),
        "number": ParagraphStyle("number", parent=base, alignment=2),
        "heading": ParagraphStyle("heading", parent=base, fontSize=13, spaceBefore=8),
        "item": ParagraphStyle("item", parent=base, leftIndent=8 * mm),
        "sign": ParagraphStyle("sign", parent=base, alignment=2),
        "para": base,
    }
    buffer = io.BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=A4, title=f"答复告知书 {letter.number}")
    story = []
    for kind, text in letter_lines(letter):
        story.append(Paragraph(escape(text), styles[kind]))
        story.append(Spacer(1, 2 * mm))
    document.build(story)
    return buffer.getvalue()


_TYPES = {t.value: t.column for t in ApplicantType}
_FIELDS = (
    ("applicant_name", ""),
    ("applicant_id_number", ""),
    ("contact", ""),
    ("address", "通信地址（选填）"),
    ("description", ""),
    ("requested_form", ""),
)


def _field(name: str, label: str, value: str) -> str:
    if name == "description":
        control = f'<textarea name="{name}" rows="4">{value}</textarea>'
    else:
        control = f'<input name="{name}" value="{value}">'
    return f"<label>{escape(label)} {control}</label>"


def application_form(
    *,
    csrf: str,
    organs: Mapping[str, str],
    values: Mapping[str, str] | None = None,
    findings: list[Finding] | None = None,
) -> str:
    """The online application form (条例 art. 29); the missing fields listed above it."""
    values = values or {}

    def value(name: str) -> str:
        return escape(values.get(name, ""))

    errors = "".join(
        f'<li data-field="{escape(f.field or "")}">{escape(f.message)}</li>' for f in findings or []
    )
    labels = dict(REQUIRED_FIELDS)
    organ_options = "".join(
        f'<option value="{escape(code)}"{" selected" if values.get("organ") == code else ""}>'
        f"{escape(name)}</option>"
        for code, name in organs.items()
    )
    type_options = "".join(
        f'<option value="{k}"{" selected" if values.get("applicant_type") == k else ""}>'
        f"{escape(label)}</option>"
        for k, label in _TYPES.items()
    )
    body = (
        "<h1>政府信息公开申请</h1>"
        + (f'<ul class="error" id="errors">{errors}</ul>' if errors else "")
        + '<form method="post" action="/portal/applications">'
        + f'<input type="hidden" name="csrf_token" value="{escape(csrf)}">'
        + f'<label>受理机关 <select name="organ">{organ_options}</select></label>'
        + f'<label>申请人类型 <select name="applicant_type">{type_options}</select></label>'
        + "".join(_field(name, labels.get(name, label), value(name)) for name, label in _FIELDS)
        + '<label><input type="checkbox" name="proposes_proactive" value="1"'
        + (" checked" if values.get("proposes_proactive") else "")
        + "> 建议将所申请的信息纳入主动公开范围（选填，条例第四十四条第二款）</label>"
        + '<button type="submit">提交申请</button></form>'
        + "<p>提交即视为双方确认收到申请之日（条例第三十一条第三项）；"
        "个人信息仅用于办理本申请，不在门户公开。</p>"
    )
    return _page("政府信息公开申请", body)


def application_received(number: str, received_on: str, due: str) -> str:
    """The confirmation (回执) shown after an online application."""
    body = (
        "<h1>申请已收到</h1>"
        f'<p>申请编号：<strong id="application-number">{escape(number)}</strong></p>'
        f"<p>收到申请日期：{escape(received_on)}（{Channel.ONLINE.label}，条例第三十一条）</p>"
        f'<p>答复期限：<span id="reply-due">{escape(due)}</span>（条例第三十三条）</p>'
    )
    return _page("申请已收到", body)


def delivery_html(token: str, files: list[tuple[int, str]]) -> str:
    """The applicant's delivery page: the released files under this link."""
    items = "".join(
        f'<li><a href="/applications/deliveries/{escape(token)}/files/{file_id}">'
        f"{escape(name)}</a></li>"
        for file_id, name in files
    )
    return _page("申请答复文件", f'<h1>申请答复文件</h1><ul id="files">{items}</ul>')


def notice(message: str, detail: str) -> str:
    """A short refusal page (CSRF, rate limit)."""
    return _page(message, f"<p>{escape(message)}</p><p><small>{escape(detail)}</small></p>")

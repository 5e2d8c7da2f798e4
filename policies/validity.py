"""有效性 of a published document and how it may change (the validity lifecycle).

Sources:
- 条例 art. 12 ¶3: the catalogue lists each item's 索引、名称、内容概述、生成日期;
  domain §10 rule 14 adds 有效性 (有效/已修改/已废止/已失效) to the publication metadata.
- seed 000 §三(二十二): "并标注文件的有效性" — every published document carries its validity.
- seed 004 §二(二): "出现修改、废止、失效情况的，要在政府网站已发布的原文上作出明确标注".
- domain §10 rule 15: the annotation links to the amending or repealing document; a passing
  validity end date triggers the change.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from policies.findings import Finding, Severity

VOCABULARY_SOURCE = "条例 art. 12 ¶3; seed 000 §三(二十二); domain §10 rule 14"
ANNOTATION_SOURCE = "seed 004 §二(二); domain §10 rule 15"


class Validity(StrEnum):
    """The validity of a published document; the value is the stable stored code."""

    VALID = "valid"  # 有效
    AMENDED = "amended"  # 已修改
    REPEALED = "repealed"  # 已废止
    EXPIRED = "expired"  # 已失效

    @property
    def label(self) -> str:
        """The Chinese label shown on the portal, e.g. 已废止."""
        return _LABELS[self]

    @property
    def is_final(self) -> bool:
        """Whether nothing can follow (a repealed or expired document stays so)."""
        return not any(change.source is self for change in CHANGES)


_LABELS: dict[Validity, str] = {
    Validity.VALID: "有效",
    Validity.AMENDED: "已修改",
    Validity.REPEALED: "已废止",
    Validity.EXPIRED: "已失效",
}


@dataclass(frozen=True, slots=True)
class ValidityChange:
    """An allowed change of validity, whether it must name the document that causes it, and why."""

    source: Validity
    target: Validity
    needs_link: bool
    basis: str


# Amendment and repeal are made by another document, which the annotation names (rule 15);
# expiry is the passing of the document's own validity period (or a stated 失效), needing none.
CHANGES: tuple[ValidityChange, ...] = (
    ValidityChange(Validity.VALID, Validity.AMENDED, True, ANNOTATION_SOURCE),
    ValidityChange(Validity.VALID, Validity.REPEALED, True, ANNOTATION_SOURCE),
    ValidityChange(Validity.VALID, Validity.EXPIRED, False, ANNOTATION_SOURCE),
    # An amended document may be amended again, then repealed or expire.
    ValidityChange(Validity.AMENDED, Validity.AMENDED, True, ANNOTATION_SOURCE),
    ValidityChange(Validity.AMENDED, Validity.REPEALED, True, ANNOTATION_SOURCE),
    ValidityChange(Validity.AMENDED, Validity.EXPIRED, False, ANNOTATION_SOURCE),
)


def find_change(source: Validity, target: Validity) -> ValidityChange | None:
    """The allowed change from source to target, if there is one."""
    for change in CHANGES:
        if change.source is source and change.target is target:
            return change
    return None


def check_validity_change(source: Validity, target: Validity, *, has_link: bool) -> list[Finding]:
    """Every reason the change may not be made (empty: allowed)."""
    change = find_change(source, target)
    if change is None:
        if source.is_final:
            message = (
                f"the document is {source.label} ({source.value}); that is final and cannot "
                f"become {target.label} ({target.value})"
            )
            rule = "validity.final"
        else:
            allowed = ", ".join(
                f"{c.target.label} ({c.target.value})" for c in CHANGES if c.source is source
            )
            message = (
                f"a document that is {source.label} ({source.value}) cannot become "
                f"{target.label} ({target.value}); it can become: {allowed}"
            )
            rule = "validity.change_not_allowed"
        return [Finding(rule, Severity.BLOCKING, message, ANNOTATION_SOURCE, "to")]
    if change.needs_link and not has_link:
        return [
            Finding(
                "validity.link_required",
                Severity.BLOCKING,
                f"marking a document {target.label} must name the amending or repealing "
                "document: give amended_by_document_id or amended_by_reference (its 文号)",
                change.basis,
                "amended_by_reference",
            )
        ]
    return []


def annotation(validity: Validity, *, by: str | None, effective_on: str | None) -> str | None:
    """The visible note on the published original, e.g. 已废止（被 X 号文件废止，2026-11-20）.

    None for a valid document (nothing to annotate). seed 004 §二(二).
    """
    if validity is Validity.VALID:
        return None
    verb = {Validity.AMENDED: "修改", Validity.REPEALED: "废止", Validity.EXPIRED: "失效"}[validity]
    parts = []
    if by and validity is not Validity.EXPIRED:
        parts.append(f"被《{by}》{verb}")
    elif by:
        parts.append(f"依《{by}》{verb}")
    if effective_on:
        parts.append(f"自 {effective_on} 起")
    return f"{validity.label}（{'，'.join(parts)}）" if parts else validity.label

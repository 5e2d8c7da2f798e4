"""Before publication the published file must print its record's marking and 密级 (domain §10
rules 3 and 9(d)): a file that says otherwise is refused, and nothing is published."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from sqlmodel import Session, select

from config.settings import Settings
from models.documents import Document
from models.publications import Publication
from models.readings import FileReading
from models.versions import Version
from services.publication.publishing import (
    JsonFileSink,
    PublicationRefused,
    files_of_publication,
    publish_version,
)
from tests.factories import id_of
from tests.publication_helpers import signed_off_document


def _publish(session: Session, settings: Settings, document: Document) -> Publication:
    return publish_version(
        session=session,
        document_id=id_of(document),
        version_id=document.current_version_id or 0,
        publisher=JsonFileSink(settings.data_dir / "portal"),
        at=document.status_changed_at,
        files_dir=settings.files_dir,
    )


def test_a_file_printing_its_records_marking_is_published_with_its_summary_from_the_kept_text(
    app: FastAPI, settings: Settings
) -> None:
    with Session(app.state.engine) as session:
        document = signed_off_document(
            session, settings, text="关于做好春耕工作的通知\n正文。\n（此件公开发布）"
        )
        row = _publish(session, settings, document)
        assert row.summary is not None
        assert row.summary.startswith("关于做好春耕工作的通知")
        assert len(session.exec(select(FileReading)).all()) == 1  # read once, kept


@pytest.mark.parametrize(
    ("attribute", "text", "redacted", "refusal"),
    [
        pytest.param(
            "proactive",
            "关于……的通知\n（此件依申请公开）",
            None,
            "此件依申请公开",
            id="converted to 主动公开, the file still prints 此件依申请公开",
        ),
        pytest.param(
            "proactive",
            "秘密★10年\n关于……的通知\n（此件公开发布）",
            None,
            "秘密★10年",
            id="a 秘密 mark in the header of an unclassified document",
        ),
        pytest.param(
            "redacted",
            "关于……的通知\n（此件删减后公开）",
            "关于……的通知（删减版）\n（此件公开发布）",
            "此件公开发布",
            id="the redacted version prints another marking",
        ),
    ],
)
def test_a_file_printing_another_marking_or_a_classification_is_not_published(
    app: FastAPI, settings: Settings, attribute: str, text: str, redacted: str | None, refusal: str
) -> None:
    with Session(app.state.engine) as session:
        document = signed_off_document(
            session, settings, attribute=attribute, text=text, redacted_text=redacted
        )
        with pytest.raises(PublicationRefused, match=refusal):
            _publish(session, settings, document)
        session.rollback()
        assert session.exec(select(Publication)).all() == []


@pytest.mark.parametrize(
    ("attribute", "redacted", "kind"),
    [
        pytest.param("proactive", None, "main", id="the main file of a 主动公开 document"),
        pytest.param(
            "redacted", "关于……的通知（删减版）\n（此件删减后公开）", "redacted", id="删减"
        ),
    ],
)
def test_the_file_publication_reads_is_named_before_and_none_after(
    app: FastAPI, settings: Settings, attribute: str, redacted: str | None, kind: str
) -> None:
    """What the publication step reads ahead (workflows/publication.py): the published file
    while the version waits for publication, nothing once it is published."""
    text = "关于……的通知\n（此件删减后公开）" if redacted else "关于……的通知\n（此件公开发布）"
    with Session(app.state.engine) as session:
        document = signed_off_document(
            session, settings, attribute=attribute, text=text, redacted_text=redacted
        )
        version_id = document.current_version_id or 0
        named = files_of_publication(
            session=session, document_id=id_of(document), version_id=version_id
        )
        row = _publish(session, settings, document)
        assert named == [row.file_id]
        version = session.get(Version, version_id)
        assert version is not None
        assert (row.file_id == version.main_file_id) is (kind == "main")
        assert (
            files_of_publication(
                session=session, document_id=id_of(document), version_id=version_id
            )
            == []
        )

"""README "How to add a label" is true: a fifth attribute label, 内部公开, defined only for a test
profile, is added to a copy of the project by editing exactly the files the README lists; the
helper writes its migration; then, on SQLite and PostgreSQL, the migrated database takes it, a
draft marked with it is accepted under the test profile and returned (退文) under `national`, and
the API and the reviewer's form offer it."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from tests.conftest import POSTGRES_ADMIN_URL

ROOT = Path(__file__).resolve().parent.parent
MIGRATION = "0099t"

# The edits, by file: (the line after which to insert, the lines), or (old text, new text).
EDITS: dict[str, list[tuple[str, str]]] = {
    "policies/attributes.py": [
        (
            '    WITHHELD = "withheld"  # 不予公开\n',
            '    WITHHELD = "withheld"  # 不予公开\n    INTERNAL = "internal"  # 内部公开\n',
        ),
        (
            '        Attribute.WITHHELD: Label("不予公开", "此件不公开", published=False),\n',
            '        Attribute.WITHHELD: Label("不予公开", "此件不公开", published=False),\n'
            '        Attribute.INTERNAL: Label("内部公开", "此件内部公开", published=False),\n',
        ),
    ],
    "policies/profiles.py": [
        (
            "PROFILES: Mapping[str, PolicyProfile] = MappingProxyType(\n",
            "FIFTH_LABEL = PolicyProfile(\n"
            '    name="fifth-label",\n'
            '    title="五种属性（测试）",\n'
            '    source="a test profile with a fifth label",\n'
            "    labels=FOUR_LABELS | {Attribute.INTERNAL},\n"
            "    publish_after_issue=None,\n"
            "    interpretation_mode=InterpretationMode.TOGETHER,\n"
            "    reasons_required=frozenset({Attribute.REDACTED, Attribute.INTERNAL}),\n"
            ")\n\n"
            "PROFILES: Mapping[str, PolicyProfile] = MappingProxyType(\n",
        ),
        ("LIAONING)}", "LIAONING, FIFTH_LABEL)}"),
    ],
    "policies/legal_reasons.py": [
        (
            "W, D, A = Attribute.WITHHELD, Attribute.REDACTED, Attribute.ON_REQUEST\n",
            "W, D, A = Attribute.WITHHELD, Attribute.REDACTED, Attribute.ON_REQUEST\n"
            "I = Attribute.INTERNAL\n",
        ),
        ('"属于三类内部事务信息", {W, A}', '"属于三类内部事务信息", {W, A, I}'),
    ],
}

SCENARIO = r"""
import json, os, sys
from datetime import UTC, datetime
from pathlib import Path

import anyio, httpx, sqlalchemy as sa

from api.app import create_app
from config.settings import Settings
from models.db import session_scope
from models.migrate import upgrade
from policies.roles import Role
from services.accounts import create_user, ensure_organ, issue_token
from workflows.forms import StepDecision

url, data = os.environ["GONGKAI_DATABASE_URL"], Path(os.environ["GONGKAI_DATA_DIR"])
upgrade(url)
settings = Settings(
    data_dir=data, database_url=url, policy_profile="fifth-label", review_sweep_seconds=0,
    prefect_api_url="http://127.0.0.1:9/api", review_start_timeout_seconds=1,
)
app = create_app(settings, sweep_reviews=False)
with session_scope(app.state.engine) as session:
    organ = ensure_organ(session=session, code="nb", name="内部测试局", at=datetime.now(UTC))
    user = create_user(
        session=session, name="drafter", organ=organ, role=Role.DRAFTER, at=datetime.now(UTC)
    )
    _, token = issue_token(session=session, user=user, label="t", at=datetime.now(UTC))
draft = {
    "title": "关于内部事务的通知", "document_type": "notice", "written_on": "2026-11-20",
    "attribute": "内部公开", "reason_codes": "NS-5",
    "reason_explanation": "内部事务（条例第十六条）",
}
pdf = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


async def main():
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        headers = {"Authorization": f"Bearer {token}"}
        files = {"file": ("a.pdf", pdf, "application/pdf")}
        accepted = await client.post("/documents", data=draft, files=files, headers=headers)
        national = await client.post(
            "/documents", data=draft | {"policy_profile": "national", "title": "另一件"},
            files={"file": ("b.pdf", pdf + b" ", "application/pdf")}, headers=headers,
        )
        schema = (await client.get("/openapi.json")).json()
    return accepted, national, schema


accepted, national, schema = anyio.run(main)
refused = None
try:
    with app.state.engine.begin() as connection:
        connection.execute(sa.text("UPDATE markings SET attribute = 'bogus'"))
except sa.exc.IntegrityError as error:
    refused = str(error.orig)
form = StepDecision.model_json_schema()["properties"]["new_attribute"]["enum"]
print(json.dumps({
    "accepted": [accepted.status_code, accepted.json()],
    "national": [national.status_code, national.json()],
    "attributes": schema["components"]["schemas"]["Attribute"]["enum"],
    "form": form,
    "refused": refused,
}))
"""


def readme_files() -> list[str]:
    """The files README "How to add a label" lists."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## How to add a label", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\d+\. `([^`]+)`", section, flags=re.MULTILINE)


def project_files() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\n")
    return [name for name in listed if name and (ROOT / name).is_file()]


def changed_files(copy: Path, before: dict[str, bytes]) -> set[str]:
    after = {
        str(path.relative_to(copy))
        for path in copy.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    new = after - before.keys()
    return new | {name for name in before if (copy / name).read_bytes() != before[name]}


@pytest.fixture(scope="module")
def project_with_a_fifth_label(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the project with the label added as the README says, and its migration."""
    copy = tmp_path_factory.mktemp("label") / "project"
    before: dict[str, bytes] = {}
    for name in project_files():
        target = copy / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
        before[name] = target.read_bytes()
    assert sorted(EDITS) == sorted(readme_files())
    for name, edits in EDITS.items():
        text = (copy / name).read_text(encoding="utf-8")
        for old, new in edits:
            assert text.count(old) == 1, f"{name}: the edit's anchor moved: {old!r}"
            text = text.replace(old, new)
        (copy / name).write_text(text, encoding="utf-8")
    written = _python(
        copy,
        ["-m", "cli.main", "migration", "-m", "label 内部公开", "--revision", MIGRATION],
        {"GONGKAI_DATA_DIR": str(copy / "data")},
    )
    assert "written:" in written
    changed = changed_files(copy, before)
    [migration] = [name for name in changed if name.startswith("migrations/versions/")]
    assert changed == {*EDITS, migration}  # the README's files and the migration, nothing else
    assert "'internal'" in (copy / migration).read_text(encoding="utf-8")
    return copy


def _python(copy: Path, args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, *args],
        cwd=copy,
        env=os.environ | {"PYTHONPATH": str(copy)} | env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def fresh_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of its own (the copy migrates it with its own migrations)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'label.db'}"
        return
    request.getfixturevalue("postgres_url")  # skips (or fails under CI) when unreachable
    admin_dsn = make_url(POSTGRES_ADMIN_URL).set(drivername="postgresql")
    name = f"gongkai_label_{os.getpid()}"
    with psycopg.connect(admin_dsn.render_as_string(False), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(False)
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_fifth_label_added_as_the_readme_says_works_end_to_end(
    project_with_a_fifth_label: Path, fresh_database: str, tmp_path: Path
) -> None:
    copy = project_with_a_fifth_label
    (tmp_path / "scenario.py").write_text(SCENARIO, encoding="utf-8")
    out = _python(
        copy,
        [str(tmp_path / "scenario.py")],
        {"GONGKAI_DATABASE_URL": fresh_database, "GONGKAI_DATA_DIR": str(tmp_path / "data")},
    )
    result = json.loads(out.strip().splitlines()[-1])
    status, body = result["accepted"]
    assert status == 201, body
    marking = body["version"]["marking"]
    assert marking["attribute"] == "internal"
    assert marking["attribute_label"] == "内部公开"
    assert marking["marking_text"] == "此件内部公开"
    status, body = result["national"]
    assert status == 422
    assert body["error"] == "退文"
    assert "attribute.not_in_profile" in {f["rule"] for f in body["findings"]}
    assert "internal" in result["attributes"]
    assert "internal" in result["form"]
    assert result["refused"] is not None  # the generated CHECK still refuses what is no label

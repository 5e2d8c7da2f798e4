"""Issue 22: no Session-wide event hook remains. A commit runs no hidden code for every session
in the process: the record's chain is linked by the unit of work's own commit
(models.db.commit_unit_of_work) and noted by listeners of the two chained models only."""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionEvents

import api
import cli
import models
import services
import workflows
from models.chain import _note_inserted


def _import_everything() -> None:
    for package in (models, services, workflows, api, cli):
        for module in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
            importlib.import_module(module.name)


def test_no_listener_is_registered_on_every_session() -> None:
    _import_everything()
    dispatch = Session().dispatch
    events = [name for name in dir(SessionEvents) if not name.startswith("_")]
    hooked = {
        name: [getattr(fn, "__qualname__", repr(fn)) for fn in getattr(dispatch, name)]
        for name in events
        if hasattr(dispatch, name) and len(getattr(dispatch, name))
    }
    assert hooked == {}


@pytest.mark.parametrize("model", ["AuditEvent", "Decision"])
def test_the_chained_models_note_their_inserts(model: str) -> None:
    assert event.contains(getattr(models, model), "after_insert", _note_inserted)

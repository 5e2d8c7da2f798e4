"""Issue 23: schemathesis over the app's own OpenAPI, in-process on SQLite, with a token of each
role: no 5xx, and every response conforms to the schema (status code, content type, headers,
body). GONGKAI_FUZZ_EXAMPLES sets the examples per operation (`make fuzz` raises it)."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.conftest import Person

# 40 per operation: ~1,100 cases in `make test`; `make fuzz` sends 320 (~10,000 cases).
EXAMPLES_PER_OPERATION = int(os.environ.get("GONGKAI_FUZZ_EXAMPLES", "40"))
MIN_CASES = 1000
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
ROLES = ("drafter", "other_drafter", "reviewer", "office", "admin", None)


@pytest.fixture
def database_url(sqlite_database_url: str) -> str:
    """SQLite only: the fuzzing is about the API's edge, not the database."""
    return sqlite_database_url


@pytest.fixture
def api_schema(app: FastAPI) -> schemathesis.schemas.BaseSchema:
    """The app's own OpenAPI, called in-process (ASGI)."""
    return schemathesis.openapi.from_asgi("/openapi.json", app)


def test_issue_23_the_api_fuzzed_over_its_own_schema_has_no_server_error_or_violation(
    api_schema: schemathesis.schemas.BaseSchema, people: dict[str, Person]
) -> None:
    cases: Counter[str] = Counter()
    failures: dict[str, str] = {}
    for result in api_schema.get_all_operations():
        operation = result.ok()
        check = _fuzz(operation, people, cases)
        try:  # every operation is fuzzed; the failures are listed at the end
            check()
        except (Exception, BaseExceptionGroup) as error:
            failures[operation.label] = str(error)[:1500]
    assert not failures, "\n\n".join(f"{k}:\n{v}" for k, v in failures.items())
    print(f"schemathesis: {sum(cases.values())} cases over {len(cases)} operations")
    assert sum(cases.values()) >= MIN_CASES, cases


def _fuzz(operation: Any, people: dict[str, Person], cases: Counter[str]) -> Callable[[], None]:
    """A hypothesis test of one operation: each case sent with a token of a random role (or
    none) and its response checked; `cases` counts them."""

    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(), role=st.sampled_from(ROLES))
    def check(case: schemathesis.Case, role: str | None) -> None:
        headers = {} if role is None else dict(people[role].headers)
        cases[operation.label] += 1
        case.call_and_validate(headers=headers, checks=CHECKS)

    return check

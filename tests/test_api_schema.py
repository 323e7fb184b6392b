"""The OpenAPI schema against what the API really answers: schemathesis, in process, over a tiny fake-embedder index.

Fixed seed and a few examples per operation, so it runs in seconds and the same way every time; every
built-in check runs (no 5xx, status codes, content types, bodies and headers as declared, bad input refused).
"""

from __future__ import annotations

import re
import time
from collections import Counter
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from schemathesis.config import SchemathesisConfig
from schemathesis.core.result import Ok
from schemathesis.generation.modes import GenerationMode

from forumqa.api import create_app
from forumqa.api.schemas import HISTORY_PATTERN, QUESTION_PATTERN
from forumqa.config import Settings
from forumqa.engine import Engine
from forumqa.errors import InvalidQuestionError
from forumqa.questions import validate
from forumqa.testing import FakeEmbedder

pytestmark = [pytest.mark.unit, pytest.mark.integration]

TOKEN = "schema-admin-token"
SEED = 20240614
EXAMPLES = 30
#: Seconds the whole run may take on the 2-core CI machine; it takes a few.
BUDGET_S = 60.0
OPERATIONS = [
    "POST /api/ask",
    "GET /api/search",
    "GET /api/documents",
    "GET /api/documents/{doc_id}",
    "GET /api/health",
    "POST /api/reindex",
    "POST /api/feedback",
    "POST /v1/chat/completions",
    "GET /v1/models",
    "POST /api/documents",
    "DELETE /api/documents/{doc_id}",
    "GET /api/rebuilds/last",
]
#: Characters where a regex engine's idea of space or control could differ from Python's str methods.
SAMPLE_CHARS = "a \t\n\r\x0b\x0c\x00\x1c\x1f\x7f\x85\x9f\xa0\u1680\u180e\u200b\u2028\u3000\ufeff"
#: Schema-invalid input only exists where the schema constrains something (a body, a query, a header).
RUNS = [(op, GenerationMode.POSITIVE) for op in OPERATIONS] + [
    (op, GenerationMode.NEGATIVE)
    for op in (
        "POST /api/ask",
        "GET /api/search",
        "GET /api/documents/{doc_id}",
        "POST /api/reindex",
        "POST /api/feedback",
        "POST /v1/chat/completions",
        "POST /api/documents",
    )
]
RAN: Counter[str] = Counter()
STARTED: list[float] = []


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    folder = tmp_path_factory.mktemp("schema-docs")
    (folder / "kiln.txt").write_text(
        "Kiln Firing Night\n2022-11-05\nThe pottery club fired forty bowls in the wood kiln. Ines Varga kept the fire going.\n",
        encoding="utf-8",
    )
    (folder / "rowing.md").write_text(
        "# Rowing Regatta\n\nEight crews raced on the lake. The blue crew won by a length.\n", encoding="utf-8"
    )
    config = Settings(
        documents_dir=folder, index_dir=tmp_path_factory.mktemp("schema-index"), admin_token=TOKEN, allowed_hosts=["testserver"]
    )
    return create_app(config, Engine.open(config, FakeEmbedder(), build_if_missing=True))


@pytest.fixture(scope="module")
def api_schema(app: FastAPI) -> schemathesis.BaseSchema:
    # schemathesis's default for schema-valid input, plus 410: the right answer to a well-formed name of an
    # index generation that is not held.
    accepted = ["2xx", "3xx", "401", "403", "404", "409", "410", "429", "5xx"]
    # An upload's file names and types cannot be said in the schema (they travel in multipart headers), so a
    # schema-valid upload of "files" (no extension) is rightly refused with 422.
    upload = {
        "include-path": "/api/documents",
        "include-method": "POST",
        "checks": {"positive_data_acceptance": {"expected-statuses": [*accepted, "422"]}},
    }
    config = SchemathesisConfig.from_dict({"checks": {"positive_data_acceptance": {"expected-statuses": accepted}}, "operations": [upload]})
    return schemathesis.openapi.from_asgi("/openapi.json", app, config=config)


def test_every_operation_is_fuzzed(api_schema: schemathesis.BaseSchema) -> None:
    operations = [op.ok() for op in api_schema.get_all_operations() if isinstance(op, Ok)]
    assert {f"{op.method.upper()} {op.path}" for op in operations} == set(OPERATIONS)


# schemathesis.pytest.from_fixture + @schema.parametrize() fails under pytest 9.2 (it reads the removed
# `Function._nodeid`), so each operation's strategy is driven by hypothesis directly.
@pytest.mark.parametrize(("label", "mode"), RUNS)
def test_api_answers_as_its_schema_says(api_schema: schemathesis.BaseSchema, label: str, mode: GenerationMode) -> None:
    if not STARTED:
        STARTED.append(time.monotonic())
    method, path = label.split(" ", 1)
    strategy = api_schema[path][method].as_strategy(generation_mode=mode)

    @seed(SEED)
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(case=strategy)
    def run(case: schemathesis.Case[Any]) -> None:
        # The admin token lets /api/reindex really rebuild (the tiny index takes milliseconds).
        case.call_and_validate(headers={"Authorization": f"Bearer {TOKEN}"})
        RAN[f"{label} {mode.value}"] += 1

    run()


def test_schemathesis_ran_within_its_budget() -> None:
    """Reports how many cases ran (pytest -rA shows it) and keeps the run inside its time budget."""
    if not STARTED:
        pytest.skip("reports on the schemathesis runs above: select them too")
    elapsed = time.monotonic() - STARTED[0]
    print(f"schemathesis: {sum(RAN.values())} cases passed in {elapsed:.1f}s with seed {SEED}: {dict(RAN)}")
    assert len(RAN) == len(RUNS) and elapsed < BUDGET_S


@settings(max_examples=500, database=None)
@given(text=st.text(alphabet=st.sampled_from(SAMPLE_CHARS), max_size=8) | st.text(max_size=8))
def test_the_declared_question_pattern_is_what_the_engine_accepts(text: str) -> None:
    try:
        validate(text, 100)
        accepted = True
    except InvalidQuestionError:
        accepted = False
    assert bool(re.search(QUESTION_PATTERN, text)) == accepted
    assert bool(re.search(HISTORY_PATTERN, text)) == (accepted or not text.strip())

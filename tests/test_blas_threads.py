"""An Engine holds numpy's BLAS to `blas_threads` for the process, and 0 leaves a host program's setting alone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from forumqa.config import Settings
from forumqa.engine import Engine
from forumqa.testing import FakeEmbedder

pytestmark = pytest.mark.unit


def blas_threads() -> set[int]:
    """numpy's BLAS only: FAISS's OpenMP build of OpenBLAS follows `faiss_threads` instead."""
    return {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas" and "numpy" in pool["filepath"]}


@pytest.fixture(autouse=True)
def restored() -> Iterator[None]:
    """The setting is process-wide: the tests that follow get back what this one found."""
    with threadpool_limits(limits=None):
        yield


@pytest.mark.parametrize(("setting", "expected"), [(1, {1}), (0, {2})])
def test_blas_threads_follow_the_setting(tmp_path: Path, setting: int, expected: set[int]) -> None:
    if not blas_threads():
        pytest.skip("numpy reports no BLAS library to threadpoolctl")
    threadpool_limits(2, user_api="blas")  # what a host program might have chosen
    engine = Engine(Settings(documents_dir=tmp_path, index_dir=tmp_path / "index", blas_threads=setting), FakeEmbedder())
    try:
        assert blas_threads() == expected
    finally:
        engine.close()

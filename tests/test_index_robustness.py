"""Hardening findings 2 and 7: one build at a time per index folder across processes, and an index that reports
its own damage in one line and is healed by the next build. Model-free: the fake embedder stands in for the model."""

from __future__ import annotations

import errno
import json
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import forumqa.embedding
import forumqa.engine
from forumqa import generation
from forumqa.cli import app
from forumqa.config import Settings
from forumqa.engine import Engine
from forumqa.errors import BuildLockedError, IndexCorruptError, IndexWriteError, ReindexInProgressError
from forumqa.index import CACHE_FILE, CURRENT, build_index, build_lock, current_generation, load_index
from forumqa.lexical import LexicalIndex
from forumqa.testing import FakeEmbedder

pytestmark = pytest.mark.unit

TESTS = Path(__file__).resolve().parent
QUESTION = "Who chaired the orchard meeting?"
GENERATION_FILES = {"manifest.json", "meta.sqlite", "chunks.faiss", "sentences.npy", "bm25-chunks", "bm25-sentences"}
#: Six short documents in our own words: each is one chunk, so a build embeds six chunk texts before any sentence.
DOCUMENTS = {
    "orchard.txt": "Orchard Meeting\n2024-03-02\nThe orchard meeting was chaired by Mira Holt. Forty growers came.\n",
    "harbour.txt": "Harbour Talk\n2024-04-11\nThe harbour talk covered tide tables. Ossian Reed answered questions.\n",
    "library.md": "# Library Night\n\nThe library night raised funds for new shelves. Volunteers served tea.\n",
    "market.txt": "Market Day\nThe market day sold honey and bread. It rained after noon.\n",
    "bridge.txt": "Bridge Repair\nThe bridge repair closed the east road for a week. Crews worked at night.\n",
    "choir.txt": "Choir Concert\nThe choir concert filled the old hall. Tickets were free for children.\n",
}


def settings_for(documents: Path, index: Path, **extra: object) -> Settings:
    return Settings(documents_dir=documents, index_dir=index, **extra)  # type: ignore[arg-type]


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    for name, text in DOCUMENTS.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def build_dirs(index_dir: Path) -> list[str]:
    return sorted(p.name for p in index_dir.iterdir() if p.is_dir() and p.name.startswith(("gen-", ".staging-")))


def assert_healthy(settings: Settings) -> None:
    """CURRENT names a complete generation, nothing else is left, it answers, and a further build works."""
    generation = current_generation(settings.index_dir)
    assert generation is not None and {p.name for p in generation.iterdir()} >= GENERATION_FILES
    assert build_dirs(settings.index_dir) == [generation.name]
    fake = FakeEmbedder()
    assert "Mira Holt" in (Engine(settings, fake, load_index(settings, fake.dimension)).ask(QUESTION).answer or "")
    again = build_index(settings, fake)
    assert (again.unchanged, again.embedded, again.full_rebuild_reason) == (len(DOCUMENTS), 0, None)
    assert "Mira Holt" in (Engine.open(settings, fake).ask(QUESTION).answer or "")


# ---------------------------------------------------------------- finding 2: two builds at once

#: Builds with the fake embedder once a second copy of itself is ready, so the two builds overlap; it holds its
#: build open for `pause` seconds with the staging folder written, which is where the old clean-up struck.
BUILDER = """
import json, os, sys, time
from pathlib import Path
from forumqa.testing import FakeEmbedder
from forumqa.config import Settings
from forumqa.errors import ForumQAError
from forumqa.index import build_index

documents, index, barrier, pause, timeout = sys.argv[1:6]
settings = Settings(documents_dir=documents, index_dir=index, build_lock_timeout_s=float(timeout))

def hold(step):
    if step == "written":
        time.sleep(float(pause))

Path(barrier, str(os.getpid())).touch()
deadline = time.monotonic() + 60
while len(list(Path(barrier).iterdir())) < 2 and time.monotonic() < deadline:
    time.sleep(0.002)
try:
    report = build_index(settings, FakeEmbedder(), hook=hold)
except ForumQAError as error:
    print(f"error: {error}", file=sys.stderr)
    sys.exit(3)
print(json.dumps({"generation": report.generation, "unchanged": report.unchanged, "embedded": report.embedded}))
"""


def python_env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]), "PYTHONDONTWRITEBYTECODE": "1"}


def run_two_builders(corpus: Path, index_dir: Path, tmp_path: Path, pause: float, timeout: float) -> list[subprocess.CompletedProcess[str]]:
    script, barrier = tmp_path / "builder.py", tmp_path / "barrier"
    script.write_text(BUILDER, encoding="utf-8")
    barrier.mkdir()
    args = [sys.executable, str(script), str(corpus), str(index_dir), str(barrier), str(pause), str(timeout)]
    processes = [subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=python_env()) for _ in range(2)]
    results = []
    for process in processes:
        out, err = process.communicate(timeout=120)
        results.append(subprocess.CompletedProcess([str(process.pid)], process.returncode, out, err))
    return results


@pytest.mark.integration
def test_two_builders_started_together_take_turns(corpus: Path, tmp_path: Path) -> None:
    settings = settings_for(corpus, tmp_path / "index")
    results = run_two_builders(corpus, settings.index_dir, tmp_path, pause=1.0, timeout=60)
    assert [r.returncode for r in results] == [0, 0], [r.stderr for r in results]
    reports = sorted((json.loads(r.stdout) for r in results), key=lambda r: r["embedded"], reverse=True)
    # The second build waited for the first and found everything in its cache; both embedding at once would mean no lock.
    assert reports[0]["embedded"] > 0 and (reports[1]["unchanged"], reports[1]["embedded"]) == (len(DOCUMENTS), 0)
    assert (settings.index_dir / CURRENT).read_text() == reports[1]["generation"]
    assert_healthy(settings)


@pytest.mark.integration
def test_a_second_builder_that_may_not_wait_exits_with_one_clear_line(corpus: Path, tmp_path: Path) -> None:
    settings = settings_for(corpus, tmp_path / "index")
    results = run_two_builders(corpus, settings.index_dir, tmp_path, pause=2.0, timeout=0)
    assert sorted(r.returncode for r in results) == [0, 3], [r.stderr for r in results]
    winner = next(r for r in results if r.returncode == 0)
    loser = next(r for r in results if r.returncode == 3)
    message = loser.stderr.strip()
    assert "\n" not in message, message
    assert message.startswith(f"error: another build of {settings.index_dir} is running (pid {winner.args[0]} on "), message
    assert (settings.index_dir / CURRENT).read_text() == json.loads(winner.stdout)["generation"]
    assert_healthy(settings)


def test_a_held_lock_is_waited_for_then_named(corpus: Path, tmp_path: Path) -> None:
    settings = settings_for(corpus, tmp_path / "index", build_lock_timeout_s=0.3)
    settings.index_dir.mkdir()
    with build_lock(settings.index_dir, 0), pytest.raises(BuildLockedError, match=rf"\(pid {os.getpid()} on .*waited 0.3 s\)") as caught:
        build_index(settings, FakeEmbedder())
    assert isinstance(caught.value, ReindexInProgressError)  # the API answers 409, as for a rebuild in this process
    build_index(settings, FakeEmbedder())  # released: the next build goes ahead
    assert_healthy(settings)


# ---------------------------------------------------------------- finding 7: damage is one line, then healed


def garbage(path: Path) -> None:
    for file in [p for p in path.rglob("*") if p.is_file()] if path.is_dir() else [path]:
        file.write_bytes(b"\x00not what was written here\xff" * 40)


def remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink()


def truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def fewer_rows(path: Path) -> None:
    """A well-formed file that no longer matches the rest of its generation."""
    np.save(path, np.load(path)[:-1])


DAMAGE: list[tuple[str, Callable[[Path], None]]] = [
    ("manifest.json", garbage),
    ("manifest.json", remove),
    ("meta.sqlite", garbage),
    ("meta.sqlite", remove),
    ("meta.sqlite", truncate),
    ("chunks.faiss", garbage),
    ("chunks.faiss", remove),
    ("chunks.faiss", truncate),
    ("sentences.npy", garbage),
    ("sentences.npy", remove),
    ("sentences.npy", truncate),
    ("sentences.npy", fewer_rows),
    ("bm25-chunks", remove),
    ("bm25-sentences", garbage),
]


@pytest.mark.integration  # two builds for each of 20 kinds of damage: make test, not the edit-test loop
@pytest.mark.parametrize(("target", "damage"), DAMAGE, ids=[f"{t}-{d.__name__}" for t, d in DAMAGE])
def test_a_damaged_generation_is_one_line_and_the_next_build_heals_it(
    corpus: Path, tmp_path: Path, target: str, damage: Callable[[Path], None]
) -> None:
    fake = FakeEmbedder()
    settings = settings_for(corpus, tmp_path / "index")
    first = build_index(settings, fake)
    damage(settings.index_dir / first.generation / target)

    with pytest.raises(IndexCorruptError) as caught:
        load_index(settings, fake.dimension)
    message = str(caught.value)
    assert "\n" not in message and target in message and "forumqa index" in message, message
    with pytest.raises(IndexCorruptError):
        Engine.open(settings, fake)

    fake.calls.clear()
    report = build_index(settings, fake)  # no --full: it notices on its own
    assert report.full_rebuild_reason is not None and "unreadable" in report.full_rebuild_reason, report
    assert target in report.full_rebuild_reason
    assert report.embedded == first.embedded  # rebuilt in full, nothing of the damaged generation reused
    assert_healthy(settings)


def test_a_server_start_heals_a_damaged_index(corpus: Path, tmp_path: Path) -> None:
    fake = FakeEmbedder()
    settings = settings_for(corpus, tmp_path / "index")
    garbage(settings.index_dir / build_index(settings, fake).generation / "manifest.json")
    engine = Engine.open(settings, fake, build_if_missing=True)  # what `serve` and `eval` do
    assert "Mira Holt" in (engine.ask(QUESTION).answer or "")


def test_full_rebuild_repairs_a_garbage_manifest(corpus: Path, tmp_path: Path) -> None:
    fake = FakeEmbedder()
    settings = settings_for(corpus, tmp_path / "index")
    garbage(settings.index_dir / build_index(settings, fake).generation / "manifest.json")
    report = build_index(settings, fake, full=True)
    assert report.full_rebuild_reason is not None and "manifest.json" in report.full_rebuild_reason
    assert_healthy(settings)


@pytest.mark.parametrize("pointer", ["absolute", "parent", "dot-slash", "empty", "binary"])
def test_current_must_name_a_folder_inside_the_index_folder(corpus: Path, tmp_path: Path, pointer: str) -> None:
    fake = FakeEmbedder()
    settings = settings_for(corpus, tmp_path / "index")
    own = build_index(settings, fake).generation
    elsewhere = build_index(settings_for(corpus, tmp_path / "elsewhere"), fake).generation
    value = {
        "absolute": str(tmp_path / "elsewhere" / elsewhere),
        "parent": f"../elsewhere/{elsewhere}",
        "dot-slash": f"./{own}",
        "empty": "",
        "binary": "\udcff\udcfe",
    }[pointer]
    (settings.index_dir / CURRENT).write_bytes(value.encode("utf-8", "surrogateescape"))

    with pytest.raises(IndexCorruptError, match=CURRENT) as caught:
        load_index(settings, fake.dimension)
    assert "\n" not in str(caught.value)
    report = build_index(settings, fake)
    assert report.full_rebuild_reason is not None and CURRENT in report.full_rebuild_reason
    assert load_index(settings, fake.dimension).path.parent == settings.index_dir
    assert_healthy(settings)


def test_a_garbage_embedding_cache_is_discarded_and_rebuilt(corpus: Path, tmp_path: Path) -> None:
    fake = FakeEmbedder()
    settings = settings_for(corpus, tmp_path / "index")
    first = build_index(settings, fake)
    (settings.index_dir / CACHE_FILE).write_bytes(b"this is no database " * 500)
    report = build_index(settings, fake)
    assert report.full_rebuild_reason is not None and CACHE_FILE in report.full_rebuild_reason
    assert report.embedded == first.embedded
    assert_healthy(settings)  # includes a build that embeds nothing: the new cache holds every vector


class Killed(Exception):
    """Stands in for kill -9 in the middle of embedding."""


class DiesAfter(FakeEmbedder):
    """Embeds `limit` texts, then dies; it records only the calls that returned."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def encode(self, texts: Sequence[str], show_progress: bool = False) -> np.ndarray:
        if len(self.embedded) + len(texts) > self.limit:
            raise Killed(f"killed after {len(self.embedded)} texts")
        return super().encode(texts, show_progress)


def test_a_build_killed_while_embedding_keeps_the_finished_batches(corpus: Path, tmp_path: Path) -> None:
    everything = build_index(settings_for(corpus, tmp_path / "reference"), FakeEmbedder()).embedded
    settings = settings_for(corpus, tmp_path / "index", embedding_commit_every=2)
    dying = DiesAfter(limit=4)  # dies in the third batch of the six chunk texts
    with pytest.raises(Killed):
        build_index(settings, dying)
    assert len(dying.embedded) == 4  # two batches of two finished before the kill

    fake = FakeEmbedder()
    report = build_index(settings, fake)
    assert report.embedded == everything - 4
    assert not set(dying.embedded) & set(fake.embedded)  # nothing embedded twice
    assert_healthy(settings)


# ---------------------------------------------------------------- finding 7: disk full, no permission


def raise_oserror(code: int) -> Callable[..., None]:
    def fail(*_args: object, **_kwargs: object) -> None:
        raise OSError(code, os.strerror(code))

    return fail


def full_sqlite(*_args: object, **_kwargs: object) -> None:
    error = sqlite3.OperationalError("database or disk is full")
    error.sqlite_errorcode = 13  # SQLITE_FULL, as sqlite3 sets it
    raise error


FAILURES: dict[str, tuple[str, str, Callable[[pytest.MonkeyPatch], None]]] = {
    "sentences-disk-full": (
        "sentences.npy",
        "No space left",
        lambda mp: mp.setattr(np.lib.format, "write_array_header_1_0", raise_oserror(errno.ENOSPC)),
    ),
    # the exact index is streamed to its file as the build embeds (generation.VectorFile), headed as FAISS heads it
    "faiss-disk-full": (
        "chunks.faiss",
        "No space left",
        lambda mp: mp.setattr(generation, "flat_index_header", raise_oserror(errno.ENOSPC)),
    ),
    "bm25-disk-full": ("bm25-chunks", "No space left", lambda mp: mp.setattr(LexicalIndex, "save", raise_oserror(errno.ENOSPC))),
    "meta-disk-full": ("meta.sqlite", "disk is full", lambda mp: mp.setattr("forumqa.generation_db.write", full_sqlite)),
    "sentences-permission": (
        "sentences.npy",
        "Permission denied",
        lambda mp: mp.setattr(np.lib.format, "write_array_header_1_0", raise_oserror(errno.EACCES)),
    ),
}


def change_a_document(corpus: Path) -> None:
    (corpus / "orchard.txt").write_text("Orchard Meeting\n2024-03-02\nThe orchard meeting was chaired by Tove Lind.\n", encoding="utf-8")


@pytest.mark.parametrize("failure", sorted(FAILURES))
def test_a_refused_write_is_one_line_and_the_old_index_keeps_serving(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: str
) -> None:
    fake = FakeEmbedder()
    settings = settings_for(corpus, tmp_path / "index")
    live = build_index(settings, fake).generation
    change_a_document(corpus)
    target, words, patch = FAILURES[failure]
    with monkeypatch.context() as mp:
        patch(mp)
        with pytest.raises(IndexWriteError) as caught:
            build_index(settings, fake)
    message = str(caught.value)
    assert "\n" not in message and target in message and words in message and "not changed" in message, message
    assert (settings.index_dir / CURRENT).read_text() == live and build_dirs(settings.index_dir) == [live]
    assert "Mira Holt" in (Engine.open(settings, fake).ask(QUESTION).answer or "")
    assert build_index(settings, fake).changed == ["orchard"]  # once there is room again
    assert "Tove Lind" in (Engine.open(settings, fake).ask(QUESTION).answer or "")


ONE_BUILD = """
import sys
from forumqa.testing import FakeEmbedder
from forumqa.config import Settings
from forumqa.errors import ForumQAError
from forumqa.index import build_index
try:
    build_index(Settings(documents_dir=sys.argv[1], index_dir=sys.argv[2]), FakeEmbedder())
except ForumQAError as error:
    print(f"error: {error}", file=sys.stderr)
    sys.exit(3)
"""


@pytest.mark.integration
def test_a_file_size_limit_is_one_line_and_the_old_index_keeps_serving(corpus: Path, tmp_path: Path) -> None:
    """A real refused write, as `ulimit -f` gives it (EFBIG from the kernel), in a process of its own."""
    fake = FakeEmbedder()
    settings = settings_for(corpus, tmp_path / "index")
    live = build_index(settings, fake).generation
    change_a_document(corpus)
    (corpus / "long.txt").write_text("Long Notes\n" + " ".join(f"Note {i} lists item {i * 7}." for i in range(600)) + "\n")
    script = tmp_path / "one_build.py"
    script.write_text(ONE_BUILD, encoding="utf-8")

    def limit_file_size() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (16_384, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))

    done = subprocess.run(
        [sys.executable, str(script), str(corpus), str(settings.index_dir)],
        capture_output=True,
        text=True,
        env=python_env(),
        preexec_fn=limit_file_size,
        timeout=120,
    )
    assert done.returncode == 3 and "Traceback" not in done.stderr, done.stderr
    message = done.stderr.strip()
    assert "\n" not in message and message.startswith("error: could not write "), message
    assert (settings.index_dir / CURRENT).read_text() == live and build_dirs(settings.index_dir) == [live]
    assert "Mira Holt" in (Engine.open(settings, fake).ask(QUESTION).answer or "")
    assert "orchard" in build_index(settings, fake).changed  # without the limit, the build goes through
    assert "Tove Lind" in (Engine.open(settings, fake).ask(QUESTION).answer or "")


def test_a_read_only_index_folder_is_one_line(corpus: Path, tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("running as root: permission bits do not stop root, so a read-only index folder cannot be simulated")
    fake = FakeEmbedder()
    settings = settings_for(corpus, tmp_path / "index")
    live = build_index(settings, fake).generation
    change_a_document(corpus)
    settings.index_dir.chmod(0o555)
    try:
        with pytest.raises(IndexWriteError, match=r"Permission denied|readonly|read-only|unable to open") as caught:
            build_index(settings, fake)
        assert "\n" not in str(caught.value)
    finally:
        settings.index_dir.chmod(0o755)
    assert (settings.index_dir / CURRENT).read_text() == live
    assert "Mira Holt" in (Engine.open(settings, fake).ask(QUESTION).answer or "")


# ---------------------------------------------------------------- the CLI shows each of these as one line


@pytest.fixture
def fake_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI builds its own embedder: give it the fake (whose model id the settings name)."""

    def make(*_args: object, **_kwargs: object) -> FakeEmbedder:
        return FakeEmbedder()

    monkeypatch.setattr(forumqa.embedding, "SentenceTransformerEmbedder", make)
    monkeypatch.setattr(forumqa.engine, "SentenceTransformerEmbedder", make)


def cli(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env=env)
    return result.exit_code, result.stderr


@pytest.mark.usefixtures("fake_model")
def test_the_cli_reports_a_damaged_index_a_held_lock_and_a_full_disk_in_one_line(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index_dir = tmp_path / "index"
    settings = settings_for(corpus, index_dir, model=FakeEmbedder.model_id)
    folders = ("--documents-dir", str(corpus), "--index-dir", str(index_dir), "--model", FakeEmbedder.model_id)
    assert cli("index", *folders)[0] == 0
    assert "Mira Holt" in (Engine.open(settings, FakeEmbedder()).ask(QUESTION).answer or "")

    manifest = index_dir / (index_dir / CURRENT).read_text() / "manifest.json"
    manifest.write_text("{ not json")
    code, err = cli("ask", QUESTION, *folders)
    assert code == 1 and err.count("\n") == 1 and err.startswith("error: the index is unreadable:") and "manifest.json" in err, err

    with build_lock(index_dir, 0):
        code, err = cli("index", *folders, env={"FORUMQA_BUILD_LOCK_TIMEOUT_S": "0"})
    assert code == 1 and err.count("\n") == 1 and err.startswith(f"error: another build of {index_dir} is running (pid {os.getpid()}"), err

    with monkeypatch.context() as mp:
        mp.setattr(np, "save", raise_oserror(errno.ENOSPC))
        code, err = cli("index", *folders)
    assert code == 1 and err.count("\n") == 1 and "could not write" in err and "No space left on device" in err, err

    assert cli("index", *folders)[0] == 0  # heals the damaged manifest on its own
    assert "Mira Holt" in (Engine.open(settings, FakeEmbedder()).ask(QUESTION).answer or "")

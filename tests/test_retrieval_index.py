"""Per question nothing scans the corpus outside FAISS: BM25's best rows come from the query terms' postings,
the best sentences from a sentence index, and both give what scanning every row gave (issue 10, Scale)."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import bm25s
import faiss
import numpy as np
import pytest

from forumqa import lexical
from forumqa.config import Settings
from forumqa.engine import Engine
from forumqa.errors import IndexCorruptError
from forumqa.generation import SENTENCE_INDEX
from forumqa.index import IndexSnapshot, build_index, load_index
from forumqa.lexical import LexicalIndex, terms
from forumqa.ondisk_index import LISTS_SUFFIX
from forumqa.retrieval import Query, retrieve_chunks, sentence_evidence
from forumqa.testing import FakeEmbedder

pytestmark = pytest.mark.unit

#: A few words in most texts, most words in few: both ways of summing postings get exercised.
COMMON = ["forum", "panel", "deal"]
RARE = [f"word{i}" for i in range(60)]
NAMES = ["Ann Lee", "Bob Chan", "Carol Wu", "Dan Roe", "Eve Moss"]


def texts(count: int, seed: int = 3) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choices(COMMON, k=rng.randint(0, 3)) + rng.choices(RARE, k=rng.randint(1, 6))) for _ in range(count)]


def scanned_top(index: LexicalIndex, query_terms: list[str], n: int) -> list[tuple[int, float]]:
    """What retrieval did before: score every row, keep the n best positive ones (ties: lower row first)."""
    scores = index.scores(query_terms)
    rows = [int(i) for i in np.argsort(-scores, kind="stable") if scores[i] > 0][:n]
    return [(i, float(scores[i])) for i in rows]


QUERIES = [
    ["forum"],
    ["word3"],
    ["word3", "word3", "forum"],  # a term asked twice counts twice
    ["panel", "word7", "word11", "deal"],
    ["unknown", "word5"],
    ["forum", "panel", "deal", "word1", "word2", "word40"],
]


TRICKY = [
    "Which companies attracted investors?",
    "The CEO's 2024 keynote -- at Basel/Boston -- wasn't recorded.",
    "ÜBER-große Straße, café naïve façade; İstanbul ǅ ﬁnance",
    "x_y __init__ 123 4.5 a b I",
    "",
    "   \n\t ",
    "Who said what, and when did they say it?",
]


def test_terms_are_what_bm25s_tokenize_gives() -> None:
    """The index is tokenized by bm25s and questions and candidates by `terms`: the two must split and stem alike."""
    for text in TRICKY + texts(50):
        expected = bm25s.tokenize(
            [text], stopwords=lexical._STOPWORDS, stemmer=lexical._STEMMER.stemWords, return_ids=False, show_progress=False
        )
        assert terms(text) == list(expected[0]), text


@pytest.mark.parametrize("scratch_above", [0.0, float("inf")], ids=["every-row", "postings"])
def test_top_rows_equal_scoring_every_row_to_the_bit(monkeypatch: pytest.MonkeyPatch, scratch_above: float) -> None:
    monkeypatch.setattr(lexical, "_SCRATCH_ABOVE", scratch_above)
    index = LexicalIndex.build(texts(400))
    for query in QUERIES:
        for n in (1, 5, 30, 1000):
            best = index.top(query, n)
            assert list(zip(best.rows.tolist(), best.scores.tolist(), strict=True)) == scanned_top(index, query, n), (query, n)


def test_top_rows_of_no_known_term_are_none() -> None:
    index = LexicalIndex.build(texts(20))
    assert len(index.top(["zebra"], 10).rows) == 0
    assert len(index.top([], 10).rows) == 0
    assert len(index.top(["forum"], 0).rows) == 0


def test_top_rows_survive_a_reload_with_mapped_postings(tmp_path: Path) -> None:
    index = LexicalIndex.build(texts(200))
    index.save(tmp_path / "bm25")
    loaded = LexicalIndex.load(tmp_path / "bm25")
    assert loaded.rows == 200
    for query in QUERIES:
        assert loaded.top(query, 30).rows.tolist() == index.top(query, 30).rows.tolist()


# ---------------------------------------------------------------- the sentence index


def write_corpus(folder: Path, documents: int = 30, seed: int = 5) -> Path:
    rng = random.Random(seed)
    folder.mkdir(parents=True)
    for number in range(documents):
        topic = rng.choice(RARE)
        lines = [f"Meeting {number} on {topic}"]
        for _ in range(rng.randint(3, 8)):
            name = rng.choice(NAMES)
            lines.append(f"{name} spoke about the {rng.choice(COMMON)} and {' '.join(rng.choices(RARE, k=4))}.")
        (folder / f"doc{number}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def settings_for(tmp_path: Path, **extra: object) -> Settings:
    return Settings(documents_dir=tmp_path / "docs", index_dir=tmp_path / "index", **extra)  # type: ignore[arg-type]


def query_for(fake: FakeEmbedder, question: str) -> Query:
    return Query(tuple(terms(question)), fake.encode([question])[0], text=question)


def scanned_candidates(snapshot: IndexSnapshot, query: Query, chunk_ids: list[int], pool: int) -> set[int]:
    """The candidates retrieval took before the sentence index: retrieved chunks' sentences and the best of a scan."""
    ids = {s for c in chunk_ids for s in range(snapshot.chunks[c].first_sentence, snapshot.chunks[c].last_sentence + 1)}
    dense = np.asarray(snapshot.sentence_vectors) @ query.sentence_vector
    ids |= {int(i) for i in np.argsort(-dense, kind="stable")[:pool] if dense[i] > 0}
    ids |= {i for i, _ in scanned_top(snapshot.sentence_lexical, query.all_terms, pool)}
    return {i for i in ids if not snapshot.sentences[i].heading}


QUESTIONS = ["Who spoke about the forum and word3?", "What did Carol Wu say about word17?", "deal word40 word41", "panel"]


def test_sentence_candidates_and_similarities_equal_a_scan_of_every_sentence(tmp_path: Path) -> None:
    write_corpus(tmp_path / "docs")
    fake = FakeEmbedder()
    settings = settings_for(tmp_path)
    build_index(settings, fake)
    snapshot = load_index(settings, fake.dimension)
    assert isinstance(snapshot.sentence_index, faiss.IndexFlatIP) and snapshot.sentence_index.ntotal == len(snapshot.sentences)
    for question in QUESTIONS:
        query = query_for(fake, question)
        hits = retrieve_chunks(snapshot, query, "hybrid", 5)
        evidence = sentence_evidence(snapshot, query, hits, "hybrid", pool=10, title_credit=settings.title_credit)
        found, scanned = {e.sentence_id for e in evidence}, scanned_candidates(snapshot, query, [h.chunk_id for h in hits], 10)
        # Bags of words tie often: FAISS and numpy may order a tie at the edge of the pool differently, and only there.
        dense = np.asarray(snapshot.sentence_vectors) @ query.sentence_vector
        edge = np.sort(dense)[-10]
        assert all(abs(dense[i] - edge) < 1e-5 for i in found ^ scanned), (question, found ^ scanned)
        for e in evidence:  # a span's similarity is its best sentence's, whichever sentences it joins
            inside = [i for i, s in enumerate(snapshot.sentences) if s.doc_id == e.doc_id and e.start <= s.start and s.end <= e.end]
            assert e.dense == pytest.approx(max(float(snapshot.sentence_vectors[i] @ query.sentence_vector) for i in inside), abs=1e-5)


def test_the_sentence_index_follows_the_approximate_switch_by_its_own_size(tmp_path: Path) -> None:
    write_corpus(tmp_path / "docs", documents=6)
    fake = FakeEmbedder()
    settings = settings_for(tmp_path, ann_above=12, ivf_nprobe=3)  # more sentences than that, fewer chunks
    build_index(settings, fake)
    snapshot = load_index(settings, fake.dimension)
    assert len(snapshot.chunks) <= 12 < len(snapshot.sentences)
    assert isinstance(snapshot.chunk_index, faiss.IndexFlatIP)
    assert isinstance(snapshot.sentence_index, faiss.IndexIVF)
    assert snapshot.sentence_index.nprobe == 3  # the settings' on load
    assert {p.name for p in snapshot.path.iterdir() if "faiss" in p.name} == {"chunks.faiss", SENTENCE_INDEX, SENTENCE_INDEX + LISTS_SUFFIX}
    assert Engine(settings, fake, snapshot).ask("Who spoke about word17?").related  # an IVF search answers
    maps = Path("/proc/self/maps")
    assert not maps.exists() or str(snapshot.path / (SENTENCE_INDEX + LISTS_SUFFIX)) in maps.read_text()  # mapped, not read


def test_an_index_on_disk_answers_as_the_exact_one_when_it_searches_every_list(tmp_path: Path) -> None:
    """Chunks and sentences both past `ann_above`: IVF with lists on disk, built from a vectors file that is then
    removed; searching every list, the answers are the exact index's, citation for citation."""
    write_corpus(tmp_path / "docs", documents=40)
    fake = FakeEmbedder()
    exact = settings_for(tmp_path, index_type="flat")
    build_index(exact, fake)
    expected = [Engine(exact, fake, load_index(exact, fake.dimension)).ask(q) for q in QUESTIONS]
    ondisk = exact.model_copy(update={"index_type": "auto", "ann_above": 10, "ivf_nprobe": 1000, "index_dir": tmp_path / "ondisk"})
    build_index(ondisk, fake)
    snapshot = load_index(ondisk, fake.dimension)
    assert isinstance(snapshot.chunk_index, faiss.IndexIVF) and isinstance(snapshot.sentence_index, faiss.IndexIVF)
    assert snapshot.sentence_index.nlist > 1
    assert sorted(p.name for p in snapshot.path.iterdir() if p.is_file() and p.name != "manifest.json") == sorted(
        ["meta.sqlite", "chunks.faiss", "chunks.faiss" + LISTS_SUFFIX, SENTENCE_INDEX, SENTENCE_INDEX + LISTS_SUFFIX, "sentences.npy"]
    )
    engine = Engine(ondisk, fake, snapshot)
    for question, before in zip(QUESTIONS, expected, strict=True):
        now = engine.ask(question)
        assert (now.answer, now.citations) == (before.answer, before.citations), question


def test_a_cut_off_lists_file_is_one_line_naming_it_and_the_next_build_heals_it(tmp_path: Path) -> None:
    """Mapped as it was, a lists file shorter than its index would kill the server at the first search (SIGBUS)."""
    write_corpus(tmp_path / "docs", documents=8)
    fake = FakeEmbedder()
    settings = settings_for(tmp_path, ann_above=12)
    first = build_index(settings, fake)
    truncate(settings.index_dir / first.generation / (SENTENCE_INDEX + LISTS_SUFFIX))
    with pytest.raises(IndexCorruptError) as caught:
        load_index(settings, fake.dimension)
    assert SENTENCE_INDEX + LISTS_SUFFIX in str(caught.value) and "\n" not in str(caught.value)
    healed = build_index(settings, fake)
    assert healed.full_rebuild_reason is not None and SENTENCE_INDEX in healed.full_rebuild_reason
    assert load_index(settings, fake.dimension).sentence_index.ntotal == healed.sentences


def test_vectors_are_mapped_from_the_generation_not_read(tmp_path: Path) -> None:
    maps = Path("/proc/self/maps")
    if not maps.exists():
        pytest.skip("needs Linux's /proc to see the mappings")
    write_corpus(tmp_path / "docs", documents=6)
    fake = FakeEmbedder()
    settings = settings_for(tmp_path)
    build_index(settings, fake)
    snapshot = load_index(settings, fake.dimension)
    assert isinstance(snapshot.sentence_vectors.base, np.memmap)  # a plain view of the mapped pages
    mapped = maps.read_text()
    for name in ("chunks.faiss", SENTENCE_INDEX, "sentences.npy"):
        assert str(snapshot.path / name) in mapped, name


@pytest.mark.parametrize("ann_above", [200_000, 12], ids=["exact", "ivf"])
def test_a_generation_without_a_sentence_index_still_answers_and_the_next_build_writes_one(tmp_path: Path, ann_above: int) -> None:
    write_corpus(tmp_path / "docs", documents=8)
    fake = FakeEmbedder()
    settings = settings_for(tmp_path, ann_above=ann_above)
    first = build_index(settings, fake)
    before = Engine(settings, fake, load_index(settings, fake.dimension)).ask(QUESTIONS[1])
    (settings.index_dir / first.generation / SENTENCE_INDEX).unlink()  # as written before sentences.faiss existed

    snapshot = load_index(settings, fake.dimension)
    assert snapshot.sentence_index.ntotal == len(snapshot.sentences)
    assert Engine(settings, fake, snapshot).ask(QUESTIONS[1]).citations == before.citations
    again = build_index(settings, fake)
    assert again.full_rebuild_reason is None and again.embedded == 0  # the older generation was reused, not distrusted
    assert (settings.index_dir / again.generation / SENTENCE_INDEX).is_file()


def one_vector_fewer(path: Path) -> None:
    index = faiss.read_index(str(path))
    smaller = faiss.IndexFlatIP(index.d)
    smaller.add(index.reconstruct_n(0, index.ntotal - 1))
    faiss.write_index(smaller, str(path))


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


@pytest.mark.parametrize("damage", [truncate, one_vector_fewer], ids=["truncated", "one-vector-fewer"])
def test_a_damaged_sentence_index_is_one_line_and_the_next_build_heals_it(tmp_path: Path, damage: Callable[[Path], None]) -> None:
    write_corpus(tmp_path / "docs", documents=8)
    fake = FakeEmbedder()
    settings = settings_for(tmp_path)
    first = build_index(settings, fake)
    damage(settings.index_dir / first.generation / SENTENCE_INDEX)
    with pytest.raises(IndexCorruptError) as caught:
        load_index(settings, fake.dimension)
    assert SENTENCE_INDEX in str(caught.value) and "\n" not in str(caught.value)
    healed = build_index(settings, fake)
    assert healed.full_rebuild_reason is not None and SENTENCE_INDEX in healed.full_rebuild_reason
    assert load_index(settings, fake.dimension).sentence_index.ntotal == healed.sentences


def test_a_quote_of_a_mail_archived_in_another_file_is_not_cited_its_original_is(tmp_path: Path) -> None:
    """Archive pages and monthly mbox files quote mails that have a file of their own: the writer's own post is cited."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "list-archive.mbox").write_text(
        "From ana@example.org Tue Mar  5 10:00:00 2024\nFrom: Ana Ruiz <ana@example.org>\nSubject: Kiln shelf cracked\n"
        "Message-ID: <k1@example.org>\nDate: Tue, 05 Mar 2024 10:00:00 +0000\n\n"
        "The cracked kiln shelf came from firing glaze straight onto it without wash.\n",
        encoding="utf-8",
    )
    (docs / "inbox.mbox").write_text(  # read first: on a tie its quote would win
        "From bo@example.org Tue Apr  2 10:00:00 2024\nFrom: Bo Lind <bo@example.org>\nSubject: Re: Kiln shelf cracked\n"
        "Message-ID: <k2@example.org>\nIn-Reply-To: <k1@example.org>\nDate: Tue, 02 Apr 2024 10:00:00 +0000\n\n"
        "On Tue, Mar 5, 2024 at 10:00 AM Ana Ruiz <ana@example.org> wrote:\n"
        "> The cracked kiln shelf came from firing glaze straight onto it without wash.\n\n"
        "Thanks, I will paint kiln wash on the new shelves first.\n",
        encoding="utf-8",
    )
    fake = FakeEmbedder()
    settings = settings_for(tmp_path, abstain_below=0.0)  # the stand-in vectors say nothing about confidence
    build_index(settings, fake)
    engine = Engine(settings, fake, load_index(settings, fake.dimension))
    found = engine.evidence("Why did the kiln shelf crack when firing glaze without wash?")
    echoes = [e for e in found.sentences if e.echo]
    assert [
        (e.doc_id, found.snapshot.documents[e.doc_id].sections[found.snapshot.sentences[e.sentence_id].section].author) for e in echoes
    ] == [
        ("inbox/kiln-shelf-cracked", "Ana Ruiz")  # Bo's quote of Ana, credited to her, and marked: her own post is among the candidates
    ]
    answer = engine.ask("Why did the kiln shelf crack when firing glaze without wash?")
    assert [(c.doc_id, c.author, c.quoted) for c in answer.citations][:1] == [("list-archive/kiln-shelf-cracked", "Ana Ruiz", False)]

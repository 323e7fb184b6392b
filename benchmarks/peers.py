"""forumqa beside txtai and Haystack on the same passages, questions and local model.

Run: .venv/bin/python benchmarks/peers.py [--quick] (needs the `peers` extra: pip install -e '.[peers]')

Each tool runs in a process of its own (a fresh model and allocator, and no tool's import-time
settings, such as txtai setting OMP_NUM_THREADS, leak into another), one after the other:

- forumqa builds a fresh index of the documents (empty embedding cache) and answers through
  `forumqa.open` / `qa.ask`; its chunks, as text, are what the peers index;
- txtai: `Embeddings(path=<model>, content=True, hybrid=True)`, `index`, `search`;
- Haystack: `SentenceTransformersDocumentEmbedder` into an `InMemoryDocumentStore`; a query pipeline of
  `InMemoryBM25Retriever` and `SentenceTransformersTextEmbedder` + `InMemoryEmbeddingRetriever` joined by
  `DocumentJoiner(join_mode="reciprocal_rank_fusion")`.

Everything else is each tool's default. Right means: ours, the quoted answer sentence contains an
expected phrase; the peers', their top-1 passage does (`EvalQuestion.is_right`, case-insensitive).
Ours' own top-1 passage is reported too. Build time excludes loading the model; query times are
in-process, per question, first with each tool's default torch threads, then with 1 for all.
Writes benchmarks/results/peers.json and prints the table.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported where used: a peer's process loads its own library before forumqa's
    from forumqa.evaluation import EvalQuestion

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
TOOLS = ("forumqa", "txtai", "haystack")
#: Nothing may reach a hub at run time, and Haystack's telemetry stays off.
OFFLINE = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HAYSTACK_TELEMETRY_ENABLED": "False"}


@dataclass(frozen=True)
class Reply:
    #: What is judged: our quoted answer (None when we abstain), a peer's top-1 passage.
    judged: str | None
    #: The top-1 passage (ours: the first related passage).
    passage: str | None


Ask = Callable[[str], Reply]


@dataclass
class Prepared:
    """A tool with its index built: how it answers, what the build cost, and any facts worth reporting."""

    ask: Ask
    build_s: list[float]
    chunks: int
    notes: dict[str, Any]


def model_path() -> str:
    from forumqa.config import DEFAULT_MODEL
    from forumqa.embedding import resolve_model  # numpy and the config only: no torch, no thread settings

    return resolve_model(DEFAULT_MODEL)


def torch_threads() -> int:
    import torch

    return int(torch.get_num_threads())


# ---------------------------------------------------------------- the three tools


def prepare_forumqa(documents: Path, workdir: Path, builds: int, passages_out: Path) -> Prepared:
    """Fresh builds (each into an empty folder, so nothing comes from the embedding cache), then the public surface."""
    import forumqa
    from forumqa.config import Settings
    from forumqa.embedding import SentenceTransformerEmbedder
    from forumqa.index import build_index

    settings = Settings(documents_dir=documents, index_dir=workdir / "index-0")
    embedder = SentenceTransformerEmbedder(settings.model, settings.device, settings.batch_size)
    threads_at_build = torch_threads()
    reports = []
    for n in range(builds):
        settings = Settings(documents_dir=documents, index_dir=workdir / f"index-{n}")
        reports.append(build_index(settings, embedder, full=True))
    del embedder
    # Every question is asked several times: the answer cache would time a dictionary lookup.
    qa = forumqa.open(documents_dir=documents, index_dir=settings.index_dir, build_if_missing=False, answer_cache_size=0)
    snapshot = qa.snapshot
    passages = [
        {"doc_id": c.doc_id, "start": c.start, "end": c.end, "text": snapshot.text(c.doc_id, c.start, c.end)} for c in snapshot.chunks
    ]
    passages_out.write_text(json.dumps(passages), encoding="utf-8")

    def ask(question: str) -> Reply:
        answer = qa.ask(question)
        return Reply(answer.answer, answer.related[0].text if answer.related else None)

    notes = {
        "torch_threads_at_build": threads_at_build,
        "inference_threads": qa.settings.inference_threads,
        "top_k": qa.settings.top_k,
        # What a build embeds besides the chunks: every sentence, and a vector per corpus term.
        "sentences": reports[-1].sentences,
        "texts_embedded": reports[-1].embedded,
    }
    return Prepared(ask, [r.seconds for r in reports], len(passages), notes)


def prepare_txtai(passages: list[str], builds: int) -> Prepared:
    from txtai import Embeddings

    embeddings = Embeddings(path=model_path(), content=True, hybrid=True)
    threads_at_build = torch_threads()
    rows = [{"id": str(i), "text": text} for i, text in enumerate(passages)]
    seconds = []
    for _ in range(builds):  # index() replaces the whole index each time
        started = time.perf_counter()
        embeddings.index(rows)
        seconds.append(time.perf_counter() - started)

    def ask(question: str) -> Reply:
        found = embeddings.search(question)
        top = str(found[0]["text"]) if found else None
        return Reply(top, top)

    notes = {
        "torch_threads_at_build": threads_at_build,
        "search_limit": "default (3)",
        "config": {k: v for k, v in embeddings.config.items() if k not in ("build", "update", "offset")},
    }
    return Prepared(ask, seconds, len(passages), notes)


def prepare_haystack(passages: list[str], builds: int) -> Prepared:
    from haystack import Document, Pipeline
    from haystack.components.joiners import DocumentJoiner
    from haystack.components.retrievers.in_memory import InMemoryBM25Retriever, InMemoryEmbeddingRetriever
    from haystack.document_stores.in_memory import InMemoryDocumentStore
    from haystack_integrations.components.embedders.sentence_transformers import (
        SentenceTransformersDocumentEmbedder,
        SentenceTransformersTextEmbedder,
    )

    path = model_path()
    # No progress bars (a bar per question otherwise): output only, the rest is the documented default.
    document_embedder = SentenceTransformersDocumentEmbedder(model=path, progress_bar=False)
    document_embedder.warm_up()  # loads the model: not part of the build time, as for the others
    threads_at_build = torch_threads()
    seconds = []
    store = InMemoryDocumentStore()
    for _ in range(builds):
        store = InMemoryDocumentStore()
        documents = [Document(id=str(i), content=text) for i, text in enumerate(passages)]
        started = time.perf_counter()
        store.write_documents(document_embedder.run(documents=documents)["documents"])
        seconds.append(time.perf_counter() - started)

    pipeline = Pipeline()
    pipeline.add_component("text_embedder", SentenceTransformersTextEmbedder(model=path, progress_bar=False))
    pipeline.add_component("embedding_retriever", InMemoryEmbeddingRetriever(document_store=store))
    pipeline.add_component("bm25_retriever", InMemoryBM25Retriever(document_store=store))
    pipeline.add_component("joiner", DocumentJoiner(join_mode="reciprocal_rank_fusion"))
    pipeline.connect("text_embedder.embedding", "embedding_retriever.query_embedding")
    pipeline.connect("bm25_retriever", "joiner")
    pipeline.connect("embedding_retriever", "joiner")
    pipeline.warm_up()

    def ask(question: str) -> Reply:
        found = pipeline.run({"text_embedder": {"text": question}, "bm25_retriever": {"query": question}})["joiner"]["documents"]
        top = str(found[0].content) if found else None
        return Reply(top, top)

    notes = {"torch_threads_at_build": threads_at_build, "retriever_top_k": "default (10 each)"}
    return Prepared(ask, seconds, len(passages), notes)


# ---------------------------------------------------------------- measuring one tool


def quality(ask: Ask, questions: Sequence[EvalQuestion]) -> dict[str, Any]:
    answerable = [q for q in questions if q.answerable]
    offtopic = [q for q in questions if not q.answerable]
    replies = [ask(q.q) for q in answerable]
    judged = [r.judged for r in replies if r.judged]
    passages = [r.passage for r in replies if r.passage]
    return {
        "answerable": len(answerable),
        "right": sum(q.is_right(r.judged) for q, r in zip(answerable, replies, strict=True)),
        "top1_passage_right": sum(q.is_right(r.passage) for q, r in zip(answerable, replies, strict=True)),
        "abstained_on_answerable": sum(r.judged is None for r in replies),
        "offtopic": len(offtopic),
        "answered_offtopic": sum(ask(q.q).judged is not None for q in offtopic),
        "judged_chars_mean": round(statistics.fmean(len(t) for t in judged), 1) if judged else None,
        "top1_passage_chars_mean": round(statistics.fmean(len(t) for t in passages), 1) if passages else None,
        "wrong": [q.q for q, r in zip(answerable, replies, strict=True) if not q.is_right(r.judged)],
    }


def latencies(ask: Ask, questions: Sequence[EvalQuestion], repeats: int) -> dict[str, Any]:
    """p50/p95 over `repeats` passes of every question, after one untimed pass (caches, allocator, thread pool)."""
    from forumqa.evaluation import percentile

    for q in questions:
        ask(q.q)
    times = []
    for _ in range(repeats):
        for q in questions:
            started = time.perf_counter()
            ask(q.q)
            times.append((time.perf_counter() - started) * 1000)
    return {
        "n": len(times),
        "p50_ms": round(percentile(times, 50), 2),
        "p95_ms": round(percentile(times, 95), 2),
        "torch_threads": torch_threads(),
    }


def run_tool(args: argparse.Namespace) -> dict[str, Any]:
    workdir = Path(args.workdir)
    passages_file = workdir / "passages.json"
    if args.tool == "forumqa":
        prepared = prepare_forumqa(args.documents_dir, workdir, args.builds, passages_file)
    else:
        texts = [p["text"] for p in json.loads(passages_file.read_text(encoding="utf-8"))]
        prepared = (prepare_txtai if args.tool == "txtai" else prepare_haystack)(texts, args.builds)
    from forumqa.evaluation import load_questions

    questions = load_questions(args.questions)
    build_s = statistics.median(prepared.build_s)
    result: dict[str, Any] = {
        "chunks": prepared.chunks,
        "build_s": [round(s, 3) for s in prepared.build_s],
        "build_s_per_1000_chunks": round(build_s * 1000 / prepared.chunks, 2),
        "quality": quality(prepared.ask, questions),
        "threads_default": latencies(prepared.ask, questions, args.repeats),
    }
    import torch

    torch.set_num_threads(1)
    result["threads_1"] = latencies(prepared.ask, questions, args.repeats)
    result["notes"] = prepared.notes
    return result


# ---------------------------------------------------------------- the comparison


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for name in ("forumqa", "txtai", "haystack-ai", "sentence-transformers-haystack", "sentence-transformers", "torch", "faiss-cpu"):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    return found


def table(results: dict[str, Any]) -> str:
    header = f"{'tool':<9} {'judged':<22} {'right':>7} {'top-1 psg':>9} {'chars':>6} {'psg chars':>9} {'off-topic ans':>13}"
    header += f" {'build s/1k':>10} {'p50/p95 default':>16} {'p50/p95 1 thr':>14}"
    lines = [header]
    for tool in TOOLS:
        r = results[tool]
        q = r["quality"]
        judged = "answer sentence" if tool == "forumqa" else "top-1 passage"
        default, one = r["threads_default"], r["threads_1"]
        # Ours answers on its inference worker, whose thread count is its own setting, not the main thread's.
        threads = r["notes"].get("inference_threads", default["torch_threads"])
        cells = [
            f"{tool:<9}",
            f"{judged:<22}",
            f"{q['right']:>3}/{q['answerable']:<3}",
            f"{q['top1_passage_right']:>5}/{q['answerable']:<3}",
            f"{q['judged_chars_mean'] or 0:>6.0f}",
            f"{q['top1_passage_chars_mean'] or 0:>9.0f}",
            f"{q['answered_offtopic']:>9}/{q['offtopic']:<3}",
            f"{r['build_s_per_1000_chunks']:>10.1f}",
            f"{default['p50_ms']:>7.1f}/{default['p95_ms']:<7.1f}({threads})",
            f"{one['p50_ms']:>6.1f}/{one['p95_ms']:<6.1f}",
        ]
        lines.append(" ".join(cells))
    lines.append("(default: each tool's own torch thread count, in brackets: forumqa's is its inference worker's, 1 by default)")
    return "\n".join(lines)


def compare(args: argparse.Namespace) -> dict[str, Any]:
    env = {**os.environ, **OFFLINE}
    results: dict[str, Any] = {
        "tools": list(TOOLS),
        "documents_dir": str(args.documents_dir),
        "questions": str(args.questions),
        "builds": args.builds,
        "repeats": args.repeats,
        "versions": versions(),
    }
    with tempfile.TemporaryDirectory(prefix="forumqa-peers-") as workdir:
        for tool in TOOLS:  # forumqa first: its chunks are the passages the others index
            command = [sys.executable, __file__, "--tool", tool, "--workdir", workdir, "--documents-dir", str(args.documents_dir)]
            command += ["--questions", str(args.questions), "--builds", str(args.builds), "--repeats", str(args.repeats)]
            started = time.perf_counter()
            completed = subprocess.run(command, env=env, stdout=subprocess.PIPE, text=True, check=True)
            results[tool] = json.loads(completed.stdout[completed.stdout.index("{") :])
            results[tool]["process_s"] = round(time.perf_counter() - started, 1)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="one build and one timed pass per tool")
    parser.add_argument("--documents-dir", type=Path, default=ROOT / "documents")
    parser.add_argument("--questions", type=Path, default=ROOT / "eval" / "dev_questions.jsonl")
    parser.add_argument("--builds", type=int, default=3, help="builds per tool; the median is reported")
    parser.add_argument("--repeats", type=int, default=10, help="timed passes over the questions per thread setting")
    parser.add_argument("--tool", choices=TOOLS, help=argparse.SUPPRESS)  # one tool, in its own process
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=RESULTS / "peers.json")
    args = parser.parse_args()
    if args.quick:
        args.builds, args.repeats = 1, 1
    if args.tool:
        os.environ.update(OFFLINE)  # before any library that reads them is imported
        print(json.dumps(run_tool(args)))
        return
    results = compare(args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(table(results))
    print(f"\nwritten: {args.out}")


if __name__ == "__main__":
    main()

"""Serving under load: a real `forumqa serve` with question batching on and off, against the bare floor, in one run.

Run: .venv/bin/python benchmarks/load_test.py [--clients 32] [--seconds 30] [--requests 200]
     [--config NAME:FORUMQA_X=V,FORUMQA_Y=W ...]   (default: batching on, batching off, torch encoder)

On the shipped corpus, for each server configuration:
- one client, sequential /api/ask, interleaved request by request with the bare floor in this plain
  process (one question encode by the raw model + one exact FAISS search on the main thread), the
  same floor with the server's ONNX Runtime question encoder, and in-process Engine.ask, so that
  all four see the same machine load: p50 of each and HTTP p50 / floor p50;
- N concurrent keep-alive clients for S seconds: answers/s, p50, p95, errors; beside it the bare
  one-at-a-time rate (encode + search, sequentially, in this process, for a few seconds just before
  and just after the load, with either encoder) and answers/s / that rate.
The load generator runs on the same cores as the server (2 on the project's machine), so it takes
a share of the CPU that the server cannot use; the ratios are what to compare across runs.
Writes benchmarks/results/load_test.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from service import NO_CACHE, load, percentiles, rss_mb, start_server

from forumqa.config import Settings
from forumqa.embedding import SentenceTransformerEmbedder
from forumqa.engine import Engine
from forumqa.evaluation import load_questions
from forumqa.inference import pin_threads
from forumqa.question_encoder import question_encoder
from forumqa.testing import free_port

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
DEFAULT_CONFIGS = [
    "batching on:FORUMQA_INFERENCE_BATCHING=true",
    "batching off:FORUMQA_INFERENCE_BATCHING=false",
    "torch encoder:FORUMQA_QUESTION_ENCODER=torch",
]


def parse_config(spec: str) -> tuple[str, dict[str, str]]:
    name, _, assignments = spec.partition(":")
    env = dict(pair.split("=", 1) for pair in assignments.split(",") if pair)
    return name, env


def bare_rate(floor: Callable[[str], None], questions: list[str], seconds: float) -> float:
    """Questions per second one at a time: encode + exact search, nothing else, for `seconds`."""
    done, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        floor(questions[done % len(questions)])
        done += 1
    return done / (time.perf_counter() - started)


def sequential(
    base: str, engine: Engine, floor: Callable[[str], None], onnx_floor: Callable[[str], None], questions: list[str], requests: int
) -> dict[str, object]:
    over_http, in_process, bare, bare_onnx = [], [], [], []
    with httpx.Client(base_url=base, timeout=60) as http:
        for q in questions:  # warm both sides alike
            http.post("/api/ask", json={"question": q})
            engine.ask(q)
        for i in range(requests):
            q = questions[i % len(questions)]
            started = time.perf_counter()
            assert http.post("/api/ask", json={"question": q}).status_code == 200
            over_http.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            engine.ask(q)
            in_process.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            floor(q)
            bare.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            onnx_floor(q)
            bare_onnx.append((time.perf_counter() - started) * 1000)
    result: dict[str, object] = {"http": percentiles(over_http), "in_process": percentiles(in_process), "floor": percentiles(bare)}
    result["onnx_floor"] = percentiles(bare_onnx)
    result["http_over_floor_p50"] = round(percentiles(over_http)["p50_ms"] / percentiles(bare)["p50_ms"], 3)
    result["in_process_over_floor_p50"] = round(percentiles(in_process)["p50_ms"] / percentiles(bare)["p50_ms"], 3)
    result["http_over_onnx_floor_p50"] = round(percentiles(over_http)["p50_ms"] / percentiles(bare_onnx)["p50_ms"], 3)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--requests", type=int, default=200, help="sequential requests for the single-client figures")
    parser.add_argument("--bare-seconds", type=float, default=5, help="length of each bare one-at-a-time rate measurement")
    parser.add_argument("--config", action="append", help="NAME:FORUMQA_X=V,... (repeatable; default: batching on, then off)")
    parser.add_argument("--out", type=Path, default=RESULTS / "load_test.json")
    args = parser.parse_args()
    configs = [parse_config(spec) for spec in args.config or DEFAULT_CONFIGS]
    questions = [q.q for q in load_questions(ROOT / "eval/dev_questions.jsonl")]
    result: dict[str, object] = {"cpus": os.cpu_count(), "load_average_at_start": [round(x, 2) for x in os.getloadavg()]}
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(documents_dir=ROOT / "documents", index_dir=Path(tmp) / "index", answer_cache_size=0)
        embedder = SentenceTransformerEmbedder(settings.model, settings.device, settings.batch_size)
        engine = Engine.open(settings, embedder, build_if_missing=True)
        # The floor runs on this (main) thread with the thread count the server's inference worker uses.
        pin_threads(settings.inference_threads)
        chunk_index = engine.snapshot.chunk_index

        def floor(question: str) -> None:
            chunk_index.search(embedder.encode([question]), settings.top_k)

        # The same with the question encoder the server uses (the model exported to ONNX Runtime): how much
        # of what the server gains over the raw encode is that encoder, and how much is batching.
        onnx = question_encoder(embedder, settings.index_dir / "onnx", settings.inference_threads)

        def onnx_floor(question: str) -> None:
            chunk_index.search(onnx.encode([question]), settings.top_k)

        result["inference_threads"] = settings.inference_threads
        result["runs"] = {}
        base_env = {
            **os.environ,
            "FORUMQA_DOCUMENTS_DIR": str(settings.documents_dir),
            "FORUMQA_INDEX_DIR": str(settings.index_dir),
            **NO_CACHE,
        }
        for name, extra in configs:
            server, base = start_server({**base_env, **extra}, free_port(), questions[0])
            try:
                run: dict[str, object] = {"env": extra}
                run["single_client"] = sequential(base, engine, floor, onnx_floor, questions, args.requests)
                before = bare_rate(floor, questions, args.bare_seconds), bare_rate(onnx_floor, questions, args.bare_seconds)
                run["concurrent"] = asyncio.run(load(base, questions, args.clients, args.seconds, server.pid))
                after = bare_rate(floor, questions, args.bare_seconds), bare_rate(onnx_floor, questions, args.bare_seconds)
                run["bare_one_at_a_time_per_s"] = {"before": round(before[0], 1), "after": round(after[0], 1)}
                run["bare_onnx_one_at_a_time_per_s"] = {"before": round(before[1], 1), "after": round(after[1], 1)}
                answers_per_s = run["concurrent"]["answers_per_s"]  # type: ignore[index]
                run["answers_per_s_over_bare"] = round(answers_per_s / ((before[0] + after[0]) / 2), 3)
                run["answers_per_s_over_onnx_bare"] = round(answers_per_s / ((before[1] + after[1]) / 2), 3)
                run["server_rss_mb_after_load"] = round(rss_mb(server.pid), 1)
            finally:
                server.terminate()
                server.wait(timeout=30)
            result["runs"][name] = run  # type: ignore[index]
            print(f"{name}: {json.dumps(run)}", file=sys.stderr, flush=True)  # stdout is the one JSON run_all.py reads
        engine.close()
    result["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

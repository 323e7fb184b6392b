"""The service measured against its floor, in one run.

Run: .venv/bin/python benchmarks/service.py [--requests 200] [--concurrency 32 --seconds 30]

- cold start: seconds from spawning `forumqa serve` to its first answered question;
- server RSS after start-up;
- /api/ask p50/p95 over sequential requests, beside in-process Engine.ask on the same questions
  and the floor of that work (query encode + FAISS search alone);
- optionally N concurrent clients for S seconds: requests/s, p95, errors.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from forumqa.config import Settings
from forumqa.engine import Engine
from forumqa.evaluation import load_questions, percentile
from forumqa.index import build_index
from forumqa.testing import free_port

ROOT = Path(__file__).resolve().parents[1]


def percentiles(values: list[float]) -> dict[str, float]:
    return {"p50_ms": round(percentile(values, 50), 2), "p95_ms": round(percentile(values, 95), 2)}


#: The load generators cycle through a few dozen questions: with the answer cache on, most answers would be
#: lookups, and the figures would measure the cache, not answering.
NO_CACHE = {"FORUMQA_ANSWER_CACHE_SIZE": "0"}


def start_server(env: dict[str, str], port: int, question: str) -> tuple[subprocess.Popen[bytes], str]:
    """A real `forumqa serve` process, returned once it has answered `question`."""
    command = [sys.executable, "-m", "forumqa.cli", "serve", "--port", str(port)]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    with httpx.Client(base_url=base, timeout=120) as http:
        while True:
            try:
                if http.post("/api/ask", json={"question": question}).status_code == 200:
                    return server, base
            except httpx.TransportError:
                time.sleep(0.05)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) a process has used, all its threads together."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def load(base: str, questions: list[str], clients: int, seconds: float, server_pid: int) -> dict[str, float]:
    """`clients` keep-alive connections, each asking its next question as soon as the last is answered.

    Also the CPU that the server and this load generator each used per answer: on 2 cores their sum
    bounds the rate (2,000 ms of CPU a second).
    """
    latencies: list[float] = []
    errors = 0
    stop = time.monotonic() + seconds

    async def client(number: int) -> None:
        nonlocal errors
        async with httpx.AsyncClient(base_url=base, timeout=60) as http:
            i = number
            while time.monotonic() < stop:
                started = time.perf_counter()
                try:
                    response = await http.post("/api/ask", json={"question": questions[i % len(questions)]})
                    errors += response.status_code != 200
                except httpx.HTTPError:
                    errors += 1
                latencies.append((time.perf_counter() - started) * 1000)
                i += clients

    started, server_cpu, own_cpu = time.monotonic(), cpu_s(server_pid), time.process_time()
    await asyncio.gather(*(client(n) for n in range(clients)))
    elapsed = time.monotonic() - started
    server_cpu, own_cpu = cpu_s(server_pid) - server_cpu, time.process_time() - own_cpu
    answered = max(1, len(latencies) - errors)
    return {
        "clients": clients,
        "seconds": round(elapsed, 1),
        "answers": len(latencies) - errors,
        "answers_per_s": round((len(latencies) - errors) / elapsed, 1),
        "errors": errors,
        **percentiles(latencies),
        "server_cpu_ms_per_answer": round(server_cpu * 1000 / answered, 2),
        "load_generator_cpu_ms_per_answer": round(own_cpu * 1000 / answered, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=0, help="concurrent clients (0: skip)")
    parser.add_argument("--seconds", type=float, default=30)
    args = parser.parse_args()
    questions = [q.q for q in load_questions(ROOT / "eval/dev_questions.jsonl")]
    result: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(documents_dir=ROOT / "documents", index_dir=Path(tmp) / "index", answer_cache_size=0)
        engine = Engine.open(settings, build_if_missing=True)
        build_index(settings, engine.embedder)

        port = free_port()
        env = {**os.environ, "FORUMQA_DOCUMENTS_DIR": str(settings.documents_dir), "FORUMQA_INDEX_DIR": str(settings.index_dir), **NO_CACHE}
        spawned = time.perf_counter()
        server, base = start_server(env, port, questions[0])
        try:
            with httpx.Client(base_url=base, timeout=60) as http:
                result["cold_start_s"] = round(time.perf_counter() - spawned, 2)
                result["server_rss_mb_after_start"] = round(rss_mb(server.pid), 1)
                for q in questions:  # warm both sides alike
                    http.post("/api/ask", json={"question": q})
                    engine.ask(q)
                over_http, in_process, floor = [], [], []
                for i in range(args.requests):
                    q = questions[i % len(questions)]
                    started = time.perf_counter()
                    assert http.post("/api/ask", json={"question": q}).status_code == 200
                    over_http.append((time.perf_counter() - started) * 1000)
                    started = time.perf_counter()
                    engine.ask(q)
                    in_process.append((time.perf_counter() - started) * 1000)
                    started = time.perf_counter()
                    vector = engine.embedder.encode([q])
                    engine.snapshot.chunk_index.search(vector, settings.top_k)
                    floor.append((time.perf_counter() - started) * 1000)
            result["http"] = percentiles(over_http)
            result["in_process"] = percentiles(in_process)
            result["floor_encode_plus_faiss"] = percentiles(floor)
            result["http_overhead_p50_ms"] = round(result["http"]["p50_ms"] - result["in_process"]["p50_ms"], 2)  # type: ignore[index]
            result["in_process_over_floor_p50"] = round(result["in_process"]["p50_ms"] / result["floor_encode_plus_faiss"]["p50_ms"], 2)  # type: ignore[index]
            if args.concurrency:
                result["concurrency"] = asyncio.run(load(base, questions, args.concurrency, args.seconds, server.pid))
                result["server_rss_mb_after_load"] = round(rss_mb(server.pid), 1)
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

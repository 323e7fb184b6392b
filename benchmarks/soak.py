"""Soak: concurrent clients against a real `forumqa serve` while the index is rebuilt every few seconds.

Every answer names the generation it came from; a sample of answers is checked by fetching each
cited document at that generation (it must slice to the quote exactly) and, for comparison, at the
live index (what the page did before answers named their generation). The server's RSS is read at
the start and at the end.

Run: .venv/bin/python benchmarks/soak.py [--clients 32 --seconds 300 --rebuild-every 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from service import rss_mb, start_server

from forumqa.evaluation import load_questions, percentile
from forumqa.testing import free_port

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "soak-admin-token"
EDITED = "cbiic-2024-license-in-out-forum.txt"


async def soak(base: str, pid: int, documents: Path, questions: list[str], clients: int, seconds: float, every: float) -> dict[str, object]:
    latencies: list[float] = []
    rss: list[float] = []  # the server's, after each rebuild: flat or growing?
    counts = {"errors": 0, "checked": 0, "generation_mismatches": 0, "live_mismatches": 0, "gone": 0, "rebuilds": 0, "rebuild_errors": 0}
    stop = time.monotonic() + seconds
    original = (documents / EDITED).read_text(encoding="utf-8")

    async def check(http: httpx.AsyncClient, answer: dict[str, Any]) -> None:
        for citation in answer["citations"]:
            path = f"/api/documents/{citation['doc_id']}"
            pinned = await http.get(path, params={"generation": answer["generation"]})
            if pinned.status_code == 410:  # two rebuilds since: the server says so rather than serve the wrong text
                counts["gone"] += 1
                continue
            counts["checked"] += 1
            text = pinned.json()["text"]
            counts["generation_mismatches"] += text[citation["start"] : citation["end"]] != citation["text"]
            live = (await http.get(path)).json()["text"]
            counts["live_mismatches"] += live[citation["start"] : citation["end"]] != citation["text"]

    async def client(number: int) -> None:
        async with httpx.AsyncClient(base_url=base, timeout=120) as http:
            i = number
            while time.monotonic() < stop:
                started = time.perf_counter()
                response = await http.post("/api/ask", json={"question": questions[i % len(questions)]})
                latencies.append((time.perf_counter() - started) * 1000)
                if response.status_code != 200:
                    counts["errors"] += 1
                elif i % 4 == 0:
                    await check(http, response.json())
                i += clients

    async def rebuilder() -> None:
        async with httpx.AsyncClient(base_url=base, timeout=300, headers={"Authorization": f"Bearer {TOKEN}"}) as http:
            edit = 0
            while time.monotonic() + every < stop:
                await asyncio.sleep(every)
                edit += 1
                # Each edit moves every offset after the head of the report, so stale offsets would show.
                lead = "\n".join(f"Soak note {edit}.{n}: an added line that shifts the text." for n in range(edit % 3 + 1))
                title, rest = original.split("\n", 1)
                (documents / EDITED).write_text(f"{title}\n{lead}\n{rest}", encoding="utf-8")
                response = await http.post("/api/reindex")
                counts["rebuilds"] += 1
                counts["rebuild_errors"] += response.status_code != 200
                rss.append(round(rss_mb(pid)))

    started = time.monotonic()
    await asyncio.gather(rebuilder(), *(client(n) for n in range(clients)))
    elapsed = time.monotonic() - started
    return {
        "clients": clients,
        "seconds": round(elapsed, 1),
        "requests": len(latencies),
        "requests_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(percentile(latencies, 50), 1),
        "p95_ms": round(percentile(latencies, 95), 1),
        **counts,
        "server_rss_mb_after_each_rebuild": rss,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--rebuild-every", type=float, default=10)
    args = parser.parse_args()
    questions = [q.q for q in load_questions(ROOT / "eval/dev_questions.jsonl")]
    with tempfile.TemporaryDirectory() as tmp:
        documents = Path(tmp) / "documents"
        shutil.copytree(ROOT / "documents", documents)
        port = free_port()
        env = {
            **os.environ,
            "FORUMQA_DOCUMENTS_DIR": str(documents),
            "FORUMQA_INDEX_DIR": str(Path(tmp) / "index"),
            "FORUMQA_ADMIN_TOKEN": TOKEN,
        }
        server, base = start_server(env, port, questions[0])
        try:
            with httpx.Client(base_url=base, timeout=120) as http:
                for q in questions:
                    http.post("/api/ask", json={"question": q})
            rss_start = rss_mb(server.pid)
            result = asyncio.run(soak(base, server.pid, documents, questions, args.clients, args.seconds, args.rebuild_every))
            result["server_rss_mb_start"] = round(rss_start, 1)
            result["server_rss_mb_end"] = round(rss_mb(server.pid), 1)
        finally:
            server.terminate()
            server.wait(timeout=30)
    out = ROOT / "benchmarks" / "results" / "soak.json"
    out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

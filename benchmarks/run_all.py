"""Every benchmark in one run: a table of figures beside their targets, and results/all.json.

Run: .venv/bin/python benchmarks/run_all.py [--quick]
Each benchmark runs in its own process (a fresh model and allocator for each), one after the other,
never beside the tests: these machines are shared and timings are only compared within a run.
(`python -m benchmarks` is not used: pysbd installs a top-level package of that name.)
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


def run(script: str, *args: str) -> Any:
    completed = subprocess.run([sys.executable, str(HERE / script), *args], capture_output=True, text=True, check=True)
    text = completed.stdout
    return json.loads(text[text.index("{") :]) if script != "scale.py" else json.loads((RESULTS / "scale.json").read_text())


def quality() -> Any:
    root = HERE.parent
    sets = ["eval/dev_questions.jsonl", "eval/forums_questions.jsonl"]
    args = ["eval", *sets, "--documents-dir", "eval/corpus", "--index-dir", str(RESULTS / "eval-index"), "--json"]
    completed = subprocess.run([sys.executable, "-m", "forumqa.cli", *args], cwd=root, capture_output=True, text=True, check=True)
    halves = json.loads(completed.stdout)  # {half: [one report per mode]}; these sets are not split, so one half: "all"
    return {r["mode"]: r for r in halves["all"]}


def peers(quick: bool) -> Any:
    """txtai and Haystack beside forumqa, where the `peers` extra is installed (`make bench` installs it; CI does not)."""
    missing = [name for name in ("txtai", "haystack", "haystack_integrations") if importlib.util.find_spec(name) is None]
    if missing:
        return {"skipped": f"the peers extra is not installed (no {', '.join(missing)}): pip install -e '.[peers]'"}
    subprocess.run([sys.executable, str(HERE / "peers.py"), *(["--quick"] if quick else [])], capture_output=True, text=True, check=True)
    return json.loads((RESULTS / "peers.json").read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller corpora (minutes, not an hour)")
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    sizes = ["1000", "10000"] if args.quick else ["1000", "10000", "100000"]
    steps: dict[str, Callable[[], Any]] = {
        "build": lambda: run("build.py", "--documents", "300" if args.quick else "900"),
        "incremental": lambda: run("incremental.py", "--documents", "300" if args.quick else "1000"),
        "service": lambda: run("service.py", "--concurrency", "32", "--seconds", "30"),
        "load_test": lambda: run("load_test.py", "--clients", "32", "--seconds", "30"),
        "scale": lambda: run("scale.py", "--sizes", *sizes, "--recall-chunks", "10000"),
        "hnsw_storage": lambda: run("hnsw_storage.py", "--sentences", "5000" if args.quick else "20000"),
        "quality": quality,
        "peers": lambda: peers(args.quick),
    }
    results: dict[str, Any] = {}
    for name, step in steps.items():
        results[name] = step()
        # Written after every step: an hour's run that fails in its last step keeps what it measured.
        (RESULTS / "all.json").write_text(json.dumps(results, indent=2))
    b, i, s, sc, q = (results[k] for k in ("build", "incremental", "service", "scale", "quality"))
    on, off, eager = (results["load_test"]["runs"][k] for k in ("batching on", "batching off", "torch encoder"))
    ten_k = next(r for r in sc["sizes"] if 5000 <= r["chunks"] <= 20000)
    rows = [
        ("build throughput / raw encode (distinct texts)", b["synthetic"]["build_vs_raw_distinct_throughput"], ">= 0.9"),
        ("incremental / full build", i["incremental_over_full"], "<= 0.05"),
        ("incremental s / (1.2 x embed changed + 1 s)", round(i["incremental_s"] / i["budget_s (1.2 x embed + 1)"], 3), "<= 1"),
        # The floor encodes with the engine's own question encoder (ONNX Runtime): stricter than the raw-model
        # floor the 1.5 targets were set against, so small corpora, where our per-question work is most of
        # the answer, read higher than they did (README, Performance).
        ("answer p50 / floor at ~10k chunks", ten_k["answer_over_floor_p50"], ""),
        *[("answer p50 / floor at ~100k chunks", r["answer_over_floor_p50"], "<= 1.5") for r in sc["sizes"] if r["chunks"] >= 50000],
        ("HTTP /api/ask p50 ms, shipped corpus", s["http"]["p50_ms"], "<= 30"),
        ("HTTP overhead p50 ms (HTTP - in process)", s["http_overhead_p50_ms"], ""),
        ("32 clients x 30 s: answers/s", s["concurrency"]["answers_per_s"], ""),
        ("32 clients x 30 s: p95 ms", s["concurrency"]["p95_ms"], ""),
        ("32 clients x 30 s: errors", s["concurrency"]["errors"], "0"),
        ("HTTP /api/ask p50 / bare floor (encode + exact search)", on["single_client"]["http_over_floor_p50"], "<= 1.3"),
        ("32 clients, batching on: answers/s / bare one-at-a-time rate", on["answers_per_s_over_bare"], ">= 1.5"),
        ("32 clients, batching off: answers/s / bare one-at-a-time rate", off["answers_per_s_over_bare"], ""),
        ("32 clients, torch question encoder: answers/s / bare rate", eager["answers_per_s_over_bare"], ""),
        ("HTTP /api/ask p50 / floor with the ONNX question encoder", on["single_client"]["http_over_onnx_floor_p50"], ""),
        ("32 clients, batching on: answers/s / ONNX bare rate", on["answers_per_s_over_onnx_bare"], ""),
        ("32 clients, batching on: answers/s", on["concurrent"]["answers_per_s"], ""),
        ("32 clients, batching on: p50 / p95 ms", f"{on['concurrent']['p50_ms']:.0f} / {on['concurrent']['p95_ms']:.0f}", ""),
        ("32 clients, batching on / off: errors", f"{on['concurrent']['errors']} / {off['concurrent']['errors']}", "0"),
        ("cold start s", s["cold_start_s"], ""),
        ("server RSS MB after start", s["server_rss_mb_after_start"], ""),
        ("HNSW recall@10 vs exact", sc["hnsw"].get("recall_at_10"), ""),
        (
            "HNSW float16 / float32: recall@10 (ties) and search time",
            f"{results['hnsw_storage']['rows'][1]['recall_at_10_ties']} / {results['hnsw_storage']['rows'][0]['recall_at_10_ties']}, "
            f"{results['hnsw_storage']['search_time_ratio']}x",
            "",
        ),
        ("answer accuracy: hybrid / BM25 / dense", " / ".join(f"{q[m]['answer_accuracy']:.3f}" for m in ("hybrid", "bm25", "dense")), ""),
    ]
    p = results["peers"]
    peer_right = (
        "skipped" if "skipped" in p else " / ".join(f"{p[t]['quality']['right']}/{p[t]['quality']['answerable']}" for t in p["tools"])
    )
    rows.append(("right: our answer sentence / txtai / Haystack top-1 passage", peer_right, ""))
    width = max(len(name) for name, _, _ in rows)
    print(f"{'figure':<{width}}  {'measured':>24}  target")
    for name, value, target in rows:
        print(f"{name:<{width}}  {value!s:>24}  {target}")
    print(f"\nwritten: {RESULTS / 'all.json'}, plot: {RESULTS / 'scale.png'}")


if __name__ == "__main__":
    main()

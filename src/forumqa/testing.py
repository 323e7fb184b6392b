"""Shared by the tests, the benchmarks and the scripts: a fake embedder and a real server in a thread.

Here, in the package, so that each exists once (the benchmarks and scripts cannot import tests/).
"""

from __future__ import annotations

import hashlib
import re
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import numpy as np
import uvicorn
from fastapi import FastAPI


class FakeEmbedder:
    """Hashed bag of words: texts sharing words get similar unit vectors. Counts what it embeds.

    A deterministic stand-in for the model, for fast tests of pure logic (never for end-to-end tests).
    """

    model_id = "fake-bag-of-words"
    dimension = 64
    max_tokens = 128

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    @property
    def embedded(self) -> list[str]:
        return [t for call in self.calls for t in call]

    def encode(self, texts: Sequence[str], show_progress: bool = False) -> np.ndarray:
        self.calls.append(list(texts))
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                out[row, int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dimension] += 1.0
            norm = np.linalg.norm(out[row])
            out[row] = out[row] / norm if norm else out[row]
        return out

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(t.split()) for t in texts]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve_in_thread(app: FastAPI, start_timeout_s: float = 30.0, log_level: str = "warning") -> Iterator[str]:
    """A real uvicorn server for `app` on a free localhost port; yields its base URL ("http://127.0.0.1:N").

    `start_timeout_s` must cover the app's start-up: an app without an engine builds its index then.
    """
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level=log_level))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + start_timeout_s
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    if not server.started:
        server.should_exit = True
        raise RuntimeError(f"uvicorn did not start within {start_timeout_s:g} s (see its log)")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)

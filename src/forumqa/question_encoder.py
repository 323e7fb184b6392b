"""Questions through ONNX Runtime: the model's transformer exported once, pooled and normalised as
sentence-transformers does, so the vectors are the model's own (to 1e-6).

Why. A question is a dozen word pieces, and for so short an input torch's eager forward is mostly the
cost of dispatching a few hundred small operations from Python: one question took 24-28 ms in torch
against 12 ms in ONNX Runtime here (one thread, the same vectors to 1.5e-7), 8.9 against 7.0 ms a
question in batches of 32. For 128-token chunks the two are even (ONNX Runtime a little slower), so
index builds keep torch; only the inference worker's question encodes come here.

Only where it is safe: a sentence-transformers model on the CPU whose pipeline is a transformer, mean
pooling and (optionally) normalisation. The exported graph must reproduce torch's vectors on probe
texts before it is used; anything else (another pooling, a GPU, an export that fails) keeps torch, and
says why in the log. The exported file is kept in the index folder, keyed by model and library versions.
"""

from __future__ import annotations

import hashlib
import logging
import os
import warnings
import weakref
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from forumqa.embedding import Embedder, SentenceTransformerEmbedder, resolve_model

log = logging.getLogger(__name__)

#: Texts whose vectors the exported graph must reproduce before it replaces torch.
PROBES = ("Who moderated the panel?", "How big was the market in 2024, and which companies led it?", "a")
#: Largest difference allowed between an exported vector and torch's (both unit length).
TOLERANCE = 1e-4
ONNX_OPSET = 17

#: One encoder per embedder (a test session, a server process): the export and the session load happen once.
_ENCODERS: weakref.WeakKeyDictionary[SentenceTransformerEmbedder, OnnxQuestionEncoder] = weakref.WeakKeyDictionary()


class OnnxQuestionEncoder:
    """`Embedder.encode` for short texts, through an ONNX Runtime session on the calling thread."""

    def __init__(self, embedder: SentenceTransformerEmbedder, path: Path, threads: int) -> None:
        import onnxruntime

        self.model_id = embedder.model_id
        self.dimension = embedder.dimension
        self.max_tokens = embedder.max_tokens
        self._embedder = embedder
        self._tokenizer = embedder.model.tokenizer
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")  # no busy-waiting beside torch's team
        self._session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def encode(self, texts: Sequence[str], show_progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        tokens = self._tokenizer(list(texts), padding=True, truncation=True, max_length=self.max_tokens, return_tensors="np")
        mask = tokens["attention_mask"].astype(np.int64)
        (hidden,) = self._session.run(None, {"input_ids": tokens["input_ids"].astype(np.int64), "attention_mask": mask})
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        norms = np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return np.asarray(pooled / norms, dtype=np.float32)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return self._embedder.count_tokens(texts)


def question_encoder(embedder: Embedder, folder: Path, threads: int) -> Embedder:
    """The ONNX Runtime encoder for `embedder` where it is safe and reproduces its vectors, else `embedder` itself."""
    if not isinstance(embedder, SentenceTransformerEmbedder):
        return embedder  # a stand-in (tests) or another backend: nothing to export
    known = _ENCODERS.get(embedder)
    if known is not None:
        return known
    reason = _unsupported(embedder)
    if reason is None:
        try:
            encoder = OnnxQuestionEncoder(embedder, _exported(embedder, folder), threads)
            # Together (padded) and one by one (no padding): a traced graph must be right for both.
            together = np.abs(encoder.encode(PROBES) - embedder.encode(PROBES)).max()
            alone = max(np.abs(encoder.encode([p]) - embedder.encode([p])).max() for p in PROBES)
            difference = float(max(together, alone))
            if difference <= TOLERANCE:
                _ENCODERS[embedder] = encoder
                return encoder
            reason = f"its vectors differ from torch's by {difference:.2g}"
        except Exception as error:  # an optional speed-up: any failure keeps torch
            reason = f"{type(error).__name__}: {error}"
    log.info("questions are encoded with torch, not ONNX Runtime: %s", reason)
    return embedder


def _unsupported(embedder: SentenceTransformerEmbedder) -> str | None:
    """Why this model cannot be exported as transformer + mean pooling, or None."""
    modules = list(embedder.model)
    names = [type(module).__name__ for module in modules]
    if str(embedder.model.device) != "cpu":
        return f"the model runs on {embedder.model.device}"
    if len(modules) not in (2, 3) or names[0] != "Transformer" or names[1] != "Pooling" or names[2:] not in ([], ["Normalize"]):
        return f"its pipeline is {' → '.join(names)}, not Transformer → Pooling (→ Normalize)"
    mode = getattr(modules[1], "pooling_mode", "mean")
    if mode != "mean":
        return f"it pools by {mode!r}, not the mean"
    return None


def _exported(embedder: SentenceTransformerEmbedder, folder: Path) -> Path:
    """The model's transformer as an ONNX file in `folder`, exported on first use (about 2 s) and kept."""
    import sentence_transformers
    import torch
    import transformers

    class HiddenStates(torch.nn.Module):
        """The last hidden states from ids and mask, passed by keyword (the transformer's forward takes more)."""

        def __init__(self, transformer: torch.nn.Module) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            hidden: torch.Tensor = self.transformer(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            return hidden

    versions = (
        embedder.model_id,
        resolve_model(embedder.model_id),
        torch.__version__,
        transformers.__version__,
        sentence_transformers.__version__,
    )
    key = hashlib.sha256("\x00".join([*versions, str(ONNX_OPSET)]).encode()).hexdigest()[:16]
    path = folder / f"question-encoder-{key}.onnx"
    if path.is_file():
        return path
    folder.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.partial")
    # Traced with texts of different lengths, so that the attention mask really masks: traced on one text
    # alone, transformers may leave the mask out of the graph, and padded batches would then come out wrong.
    sample = embedder.model.tokenizer(list(PROBES), padding=True, return_tensors="pt")
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the tracer's caveats: the probe comparison is what decides
        torch.onnx.export(
            HiddenStates(embedder.model[0].auto_model).eval(),  # type: ignore[arg-type]
            (sample["input_ids"], sample["attention_mask"]),
            str(partial),
            input_names=["input_ids", "attention_mask"],
            output_names=["hidden"],
            dynamic_axes={name: {0: "texts", 1: "tokens"} for name in ("input_ids", "attention_mask", "hidden")},
            opset_version=ONNX_OPSET,
            dynamo=False,
        )
    os.replace(partial, path)  # another process exporting the same model writes the same bytes
    return path

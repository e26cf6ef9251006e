"""Sentence embeddings for FAQ matching (int8 ONNX, no torch), when installed.

The model is all-MiniLM-L6-v2 with its top layers tuned to tell questions with different
intents apart (``scripts/train_faq_encoder.py``), shipped with its tokenizer in cmbot/data
(the package's one folder of licensed data, attributed in cmbot/data/NOTICE.md).
Running it needs ``pip install 'cmbot[semantic]'`` (onnxruntime, tokenizers, numpy).
Nothing is downloaded at run time.
"""

from __future__ import annotations

import os
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

DATA = Path(str(resources.files("cmbot").joinpath("data")))  # shipped models and lists
TOKENIZER_PATH = DATA / "minilm-tokenizer.json"
MODEL_PATH = DATA / "minilm-faq-int8.onnx"
MODEL_ENV = "CMBOT_EMBEDDING_MODEL"
MAX_TOKENS = 128
ENCODER_THREADS = min(2, os.cpu_count() or 1)


def model_file() -> Path | None:
    """The ONNX model path: CMBOT_EMBEDDING_MODEL (for experiments) or the shipped one."""
    override = os.environ.get(MODEL_ENV)
    path = Path(override) if override else MODEL_PATH
    return path if path.is_file() else None


def unavailable_reason() -> str | None:
    """Why the semantic encoder cannot run here, or None if it can."""
    for module in ("numpy", "onnxruntime", "tokenizers"):
        try:
            __import__(module)
        except ImportError:
            return f"{module} is not installed (pip install 'cmbot[semantic]')"
    if model_file() is None:
        return (f"the model file {os.environ.get(MODEL_ENV) or MODEL_PATH} is missing "
                f"(reinstall cmbot, or build it with scripts/train_faq_encoder.py)")
    return None


class Encoder:
    """all-MiniLM-L6-v2: text -> L2-normalised 384-d float32 vectors."""

    dimensions = 384

    def __init__(self, model: Path | None = None, threads: int | None = None) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        path = model or model_file()
        if path is None:
            raise RuntimeError(unavailable_reason() or "model not found")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or ENCODER_THREADS
        options.inter_op_num_threads = 1
        # two threads on a 2-core machine: p99 ~4.1-4.7 ms a question against 6.5 ms on one.
        # onnxruntime's second thread spins briefly between and after runs; questions that
        # pass the gate are rare in chat, so that costs little next to the latency won
        options.log_severity_level = 3
        self._session = ort.InferenceSession(str(path), options,
                                             providers=["CPUExecutionProvider"])
        self._inputs = {i.name for i in self._session.get_inputs()}
        self._tokenizer = Tokenizer.from_file(str(TOKENIZER_PATH))
        self._tokenizer.enable_truncation(MAX_TOKENS)
        self._tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        import numpy as np

        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        out = []
        for start in range(0, len(texts), batch_size):
            out.append(self._encode_batch(texts[start:start + batch_size]))
        return np.vstack(out)

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        import numpy as np

        encodings = ([self._tokenizer.encode(texts[0])] if len(texts) == 1
                     else self._tokenizer.encode_batch(texts))
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds: dict[str, Any] = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = self._session.run(None, feeds)[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)


@lru_cache(maxsize=1)
def shared_encoder() -> Encoder:
    """One encoder per process (loading takes ~0.5 s)."""
    return Encoder()

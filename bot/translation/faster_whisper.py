"""Voice notes as text in kiezbot's own process, with faster-whisper (the optional extra ``kiezbot[whisper]``).

``KIEZBOT_TRANSCRIBE_URL=faster-whisper`` selects it; ``KIEZBOT_TRANSCRIBE_MODEL`` names the model
(``small``, ``medium``, ``large-v3``, a Hugging Face id such as ``Systran/faster-whisper-small``, or a
folder). The model is downloaded on first use and loaded once; transcription runs on CPU with int8
weights in a worker thread, so the event loop keeps serving residents — but it shares the machine's
CPU with them (not measured here: faster-whisper is not part of the test environment). For more load,
run a Whisper-compatible server beside kiezbot instead (``bot/translation/whisper.py``).

faster-whisper is not installed with kiezbot (it brings CTranslate2 and onnxruntime, ~200 MB); without
it this adapter refuses to start with one line saying what to install.
"""
from __future__ import annotations

import asyncio
import io
import threading
from typing import Any

from dialogs.translation.languages import from_whisper, whisper_code
from dialogs.translation.ports import Refused, Transcript

NAME = "faster-whisper"
INSTALL = "pip install 'kiezbot[whisper]' (or: pip install faster-whisper)"


class MissingExtra(RuntimeError):
    """faster-whisper is not installed."""


def _whisper_model_class() -> Any:
    try:
        from faster_whisper import WhisperModel
    except ImportError:
        raise MissingExtra(f"KIEZBOT_TRANSCRIBE_URL=faster-whisper needs faster-whisper: {INSTALL}") from None
    return WhisperModel


class FasterWhisper:
    """A :class:`dialogs.translation.ports.Transcriber` running faster-whisper in a worker thread."""

    name = NAME

    def __init__(self, model: str = "small", *, device: str = "cpu", compute_type: str = "int8") -> None:
        self._model_class = _whisper_model_class()      # fails at start, not at the first voice note
        self.model_name = model
        self.device = device
        self.compute_type = compute_type
        self._model: Any = None
        self._load = threading.Lock()

    def _loaded(self) -> Any:
        with self._load:
            if self._model is None:
                self._model = self._model_class(self.model_name, device=self.device, compute_type=self.compute_type)
            return self._model

    def _run(self, audio: bytes, language: str | None) -> Transcript:
        try:
            segments, info = self._loaded().transcribe(io.BytesIO(audio), language=whisper_code(language),
                                                       vad_filter=True)
            text = "".join(segment.text for segment in segments).strip()
        except (ValueError, OSError) as exc:      # audio it cannot decode (PyAV's errors are ValueErrors)
            raise Refused(f"{NAME}: cannot read the audio: {type(exc).__name__}: {exc}"[:300]) from None
        return Transcript(text, from_whisper(getattr(info, "language", None)), NAME)

    async def transcribe(self, audio: bytes, mime: str, language: str | None = None) -> Transcript:
        return await asyncio.to_thread(self._run, audio, language)

    async def close(self) -> None:
        self._model = None


__all__ = ["FasterWhisper", "MissingExtra"]

"""The ONNX Runtime session: the fastest provider that really runs, batches where the model takes them."""

from __future__ import annotations

import contextlib
import functools
import io
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from pathlib import Path

import numpy as np
import onnxruntime as ort

from sartriage.errors import ModelError

log = logging.getLogger(__name__)

FATAL = 4
QUIET = 3  # ONNX Runtime log severity: errors only (some exporters leave a wall of warnings)
# Fastest first; each is present only where its ONNX Runtime package is installed (onnxruntime-gpu: TensorRT
# and CUDA; onnxruntime-directml on Windows; onnxruntime-openvino for Intel; CoreML in macOS's onnxruntime).
PREFERENCE = (
    "TensorrtExecutionProvider",
    "CUDAExecutionProvider",
    "DmlExecutionProvider",
    "OpenVINOExecutionProvider",
    "CoreMLExecutionProvider",
    "CPUExecutionProvider",
)
SHORT = {
    "TensorrtExecutionProvider": "TensorRT",
    "CUDAExecutionProvider": "CUDA",
    "DmlExecutionProvider": "DirectML",
    "OpenVINOExecutionProvider": "OpenVINO",
    "CoreMLExecutionProvider": "CoreML",
    "CPUExecutionProvider": "CPU",
}
DEVICES = {"auto": PREFERENCE} | {
    SHORT[p].lower(): (p,) if p == "CPUExecutionProvider" else (p, "CPUExecutionProvider") for p in PREFERENCE
}


@contextmanager
def _quiet_runtime() -> Iterator[None]:
    """Silence ONNX Runtime's provider-loading errors and its printed fallback notice."""
    ort.set_default_logger_severity(FATAL)
    try:
        with redirect_stdout(io.StringIO()):
            yield
    finally:
        ort.set_default_logger_severity(QUIET)


@functools.cache
def preload_cuda_libraries() -> None:
    """Load CUDA and cuDNN from the nvidia-* pip wheels (``sartriage[cuda]``) where they are installed, so the
    CUDA provider runs without a system CUDA install; quiet and harmless where they are not."""
    if hasattr(ort, "preload_dlls"):
        with contextlib.suppress(Exception), redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
            ort.preload_dlls(directory="")


class Session:
    """One model loaded on one device. ``provider`` names what really runs (e.g. ``"CPU"``)."""

    def __init__(self, model: Path, device: str = "auto", threads: int | None = None) -> None:
        if device not in DEVICES:
            raise ModelError(f"unknown device {device!r}; use one of {', '.join(DEVICES)}")
        ort.set_default_logger_severity(QUIET)
        options = ort.SessionOptions()
        options.log_severity_level = QUIET
        if threads:
            options.intra_op_num_threads = int(threads)
            options.inter_op_num_threads = 1
        available = set(ort.get_available_providers())
        wanted = [p for p in DEVICES[device] if p in available]
        if {"CUDAExecutionProvider", "TensorrtExecutionProvider"} & set(wanted):
            preload_cuda_libraries()
        self.model = model
        self._session = self._create(model, options, wanted)
        running = self._session.get_providers()
        self.provider = SHORT.get(running[0], running[0])
        if device not in ("auto", "cpu") and running[0] != DEVICES[device][0]:
            # asked for by name, a device that cannot be had is an error; only "auto" falls back
            raise ModelError(
                f"--device {device}: {SHORT[DEVICES[device][0]]} cannot run here (installed providers: "
                f"{', '.join(sorted(SHORT.get(p, p) for p in available))}); use --device auto or cpu"
            )
        log.info("inference runs on %s (%s)", self.provider, model.name)
        first = self._session.get_inputs()[0]
        self.input_name: str = first.name
        batch = first.shape[0] if first.shape else 1
        self.dynamic_batch = not isinstance(batch, int) or batch <= 0
        self.output_names = [o.name for o in self._session.get_outputs()]
        self.output_shapes = [(o.name, tuple(o.shape)) for o in self._session.get_outputs()]

    @staticmethod
    def _create(model: Path, options: ort.SessionOptions, providers: list[str]) -> ort.InferenceSession:
        # onnxruntime-gpu lists TensorRT and CUDA even where there is no GPU or no CUDA library; creating the
        # session then logs errors and prints "EP Error" while it falls back. Try each provider chain quietly
        # down to the CPU; the caller reads which provider really runs from the session.
        last_error: Exception | None = None
        for start in range(len(providers)):
            try:
                with _quiet_runtime():
                    return ort.InferenceSession(str(model), options, providers=providers[start:])
            except Exception as exc:  # ORT raises its own untyped errors for missing device libraries
                last_error = exc
                log.debug("provider %s unusable: %s", providers[start], exc)
        raise ModelError(f"{model}: ONNX Runtime cannot load it ({last_error})") from None

    @property
    def runtime(self) -> ort.InferenceSession:
        """The ONNX Runtime session itself (for inspection and benchmarks)."""
        return self._session

    def run(self, tensor: np.ndarray, outputs: Sequence[str] | None = None) -> list[np.ndarray]:
        """Run a batch; models with a fixed batch of one see the items one after another."""
        names = list(outputs) if outputs is not None else self.output_names
        try:
            if self.dynamic_batch or len(tensor) == 1:
                return list(self._session.run(names, {self.input_name: tensor}))
            parts = [
                self._session.run(names, {self.input_name: tensor[i : i + 1]}) for i in range(len(tensor))
            ]
        except Exception as exc:
            raise ModelError(
                f"{self.model}: inference failed ({exc}); does its card describe its input?"
            ) from None
        return [np.concatenate([p[k] for p in parts]) for k in range(len(names))]

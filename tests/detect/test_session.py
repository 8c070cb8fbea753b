from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

from sartriage.detect.session import Session
from sartriage.errors import ModelError

GPU_HERE = "CUDAExecutionProvider" in ort.get_available_providers()


@pytest.mark.parametrize("device", ["auto", "cpu"])
def test_the_provider_that_really_runs_is_named_and_fallback_is_quiet(
    shared_models: Path, device: str, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="sartriage.detect.session"):
        session = Session(shared_models / "yolox_nano_416_coco.onnx", device=device, threads=1)
    assert session.provider in ("TensorRT", "CUDA", "CPU")
    assert f"inference runs on {session.provider}" in caplog.text
    out, err = capfd.readouterr()
    assert "EP Error" not in out + err and "Failed to load library" not in out + err
    outputs = session.run(np.zeros((1, 3, 416, 416), np.float32))
    assert outputs[0].shape == (1, 3549, 85)


@pytest.mark.parametrize(("device", "name"), [("cuda", "CUDA"), ("tensorrt", "TensorRT")])
def test_a_device_asked_for_by_name_runs_there_or_is_an_error(
    shared_models: Path, device: str, name: str, capfd: pytest.CaptureFixture[str]
) -> None:
    try:
        session = Session(shared_models / "yolox_nano_416_coco.onnx", device=device, threads=1)
    except ModelError as exc:
        assert str(exc).startswith(f"--device {device}: {name} cannot run here")
        assert str(exc).endswith("use --device auto or cpu")
    else:
        assert session.provider == name
    out, err = capfd.readouterr()
    assert "EP Error" not in out + err and "Failed to load library" not in out + err


def test_a_device_not_installed_is_an_error_and_auto_falls_back(
    shared_models: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ort, "get_available_providers", lambda: ["CPUExecutionProvider"])
    with pytest.raises(ModelError, match=r"--device cuda: CUDA cannot run here \(installed providers: CPU\)"):
        Session(shared_models / "yolox_nano_416_coco.onnx", device="cuda", threads=1)
    assert Session(shared_models / "yolox_nano_416_coco.onnx", device="auto", threads=1).provider == "CPU"


def test_fixed_batch_model_runs_a_batch_item_by_item(shared_models: Path) -> None:
    session = Session(shared_models / "yolox_nano_416_coco.onnx", device="cpu", threads=1)
    assert not session.dynamic_batch
    rng = np.random.default_rng(0)
    batch = rng.uniform(0, 255, (3, 3, 416, 416)).astype(np.float32)
    together = session.run(batch)[0]
    alone = session.run(batch[1:2])[0]
    assert together.shape == (3, 3549, 85)
    np.testing.assert_allclose(together[1], alone[0], rtol=1e-4, atol=1e-4)


def test_unknown_device_and_unreadable_model(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="unknown device"):
        Session(tmp_path / "x.onnx", device="npu")
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not a model")
    with pytest.raises(ModelError, match=r"bad\.onnx: ONNX Runtime cannot load it"):
        Session(bad, device="cpu")


TENSORRT, CUDA, DML, OPENVINO, CPU = (
    "TensorrtExecutionProvider",
    "CUDAExecutionProvider",
    "DmlExecutionProvider",
    "OpenVINOExecutionProvider",
    "CPUExecutionProvider",
)


class FakeRuntime:
    """ONNX Runtime as a machine with other accelerators installed would be: only its boundary is faked
    (which providers exist, which of them load); the real CPU session does the work."""

    real = ort.InferenceSession

    def __init__(self, installed: list[str], broken: tuple[str, ...] = ()) -> None:
        self.installed, self.broken, self.asked = installed, broken, []

    def session(self, model: str, options: object, providers: list[str]) -> object:
        self.asked.append(list(providers))
        if providers[0] in self.broken:
            raise RuntimeError(f"{providers[0]}: its library could not be loaded")
        session = self.real(model, options, providers=["CPUExecutionProvider"])
        return type(
            "Running",
            (),
            {"get_providers": lambda _self: providers, "__getattr__": lambda _self, n: getattr(session, n)},
        )()


@pytest.mark.parametrize(
    ("installed", "broken", "device", "runs"),
    [
        ([CUDA, DML, CPU], (), "auto", "CUDA"),
        ([DML, OPENVINO, CPU], (), "auto", "DirectML"),
        ([OPENVINO, CPU], (), "auto", "OpenVINO"),
        (["CoreMLExecutionProvider", CPU], (), "auto", "CoreML"),
        ([TENSORRT, CUDA, CPU], (TENSORRT,), "auto", "CUDA"),  # listed, but its libraries are missing
        ([DML, OPENVINO, CPU], (), "openvino", "OpenVINO"),
        ([DML, CPU], (), "cpu", "CPU"),
    ],
)  # fmt: skip
def test_the_fastest_installed_provider_runs_in_a_fixed_order(
    shared_models: Path,
    monkeypatch: pytest.MonkeyPatch,
    installed: list[str],
    broken: tuple[str, ...],
    device: str,
    runs: str,
) -> None:
    fake = FakeRuntime(installed, broken)
    monkeypatch.setattr(ort, "get_available_providers", lambda: fake.installed)
    monkeypatch.setattr(ort, "InferenceSession", fake.session)
    session = Session(shared_models / "yolox_nano_416_coco.onnx", device=device, threads=1)
    assert session.provider == runs
    assert all(
        chain[-1] == "CPUExecutionProvider" for chain in fake.asked
    )  # the CPU is always the last resort
    assert session.run(np.zeros((1, 3, 416, 416), np.float32))[0].shape == (1, 3549, 85)


def test_a_named_accelerator_that_is_not_installed_is_an_error(
    shared_models: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ort, "get_available_providers", lambda: ["CPUExecutionProvider"])
    with pytest.raises(ModelError, match=r"--device directml: DirectML cannot run here"):
        Session(shared_models / "yolox_nano_416_coco.onnx", device="directml", threads=1)

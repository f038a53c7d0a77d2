"""Checks of the YOLO training parameters made before ultralytics is called."""

from __future__ import annotations

import pytest

from mlops.pipelines.training.devices import DeviceError, check_device, ultralytics_device
from mlops.pipelines.training.validation import TrainingConfigError
from mlops.pipelines.training.yolo import _model_source


def test_model_source_missing_weights_raises():
    with pytest.raises(TrainingConfigError, match="yolo.weights is 'absent.pt'"):
        _model_source({"weights": "absent.pt", "model": "yolov8n.yaml"})


def test_model_source_pt_name_raises():
    with pytest.raises(TrainingConfigError, match="expected a model yaml"):
        _model_source({"weights": None, "model": "yolov8n.pt"})


def test_model_source_local_weights_win(tmp_path):
    weights = tmp_path / "best.pt"
    weights.write_bytes(b"x")

    assert _model_source({"weights": str(weights), "model": "yolov8n.yaml"}) == str(weights)


@pytest.mark.parametrize("device", ["gpu", "cuda:x", "0,,1", ""])
def test_check_device_invalid_raises(device):
    with pytest.raises(DeviceError, match="expected auto, cpu, cuda"):
        check_device(device)


def test_ultralytics_device_auto_is_none():
    assert ultralytics_device("auto") is None
    assert ultralytics_device("cpu") == "cpu"

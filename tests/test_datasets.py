"""Datasets of ``mlops.datasets``: optional entries, write-once data, model files, metrics."""

from __future__ import annotations

import json

import mlflow
import pandas as pd
import pytest
from helpers import write_efficientnet_checkpoint, write_xgboost_model, write_yolo_model
from kedro.io import DatasetError

from mlops.datasets import (
    KeepExistingDataset,
    MetricsDataset,
    MissingFile,
    ModelFileError,
    OptionalDataset,
    TorchCheckpointDataset,
    XGBoostModelDataset,
    YOLOWeightsDataset,
)

CSV = {"type": "pandas.CSVDataset", "filepath": None}


def test_optional_dataset_missing_file_loads_missing_file(tmp_path):
    path = tmp_path / "absent.csv"
    dataset = OptionalDataset(dataset={**CSV, "filepath": str(path)})

    assert dataset.load() == MissingFile(str(path))
    assert not dataset.exists()


def test_optional_dataset_present_file_loads_wrapped_data(tmp_path):
    path = tmp_path / "table.csv"
    pd.DataFrame({"a": [1, 2]}).to_csv(path, index=False)

    loaded = OptionalDataset(dataset={**CSV, "filepath": str(path)}).load()

    assert loaded["a"].tolist() == [1, 2]


def test_optional_dataset_corrupt_file_raises(tmp_path):
    path = tmp_path / "model.json"
    path.write_bytes(b"\x00\x01")
    dataset = OptionalDataset(
        dataset={"type": "mlops.datasets.XGBoostModelDataset", "filepath": str(path)}
    )

    with pytest.raises(ModelFileError, match="model.json' is not an XGBoost JSON model"):
        dataset.load()


def test_keep_existing_dataset_does_not_overwrite(tmp_path):
    path = tmp_path / "table.csv"
    pd.DataFrame({"mine": [1]}).to_csv(path, index=False)
    dataset = KeepExistingDataset(dataset={**CSV, "filepath": str(path)})

    dataset.save(pd.DataFrame({"generated": [2]}))

    assert list(pd.read_csv(path).columns) == ["mine"]


def test_keep_existing_dataset_writes_when_absent(tmp_path):
    path = tmp_path / "table.csv"
    KeepExistingDataset(dataset={**CSV, "filepath": str(path)}).save(
        pd.DataFrame({"generated": [2]})
    )

    assert list(pd.read_csv(path).columns) == ["generated"]


def test_xgboost_model_dataset_round_trip(tmp_path):
    source = tmp_path / "source.json"
    write_xgboost_model(source)
    model = XGBoostModelDataset(filepath=str(source)).load().model
    target = XGBoostModelDataset(filepath=str(tmp_path / "copy.json"))

    target.save(model)
    loaded = target.load()

    assert type(loaded.model).__name__ == "XGBClassifier"
    assert len(loaded.sha256) == 64
    assert list(tmp_path.glob(".copy.*")) == []


@pytest.mark.parametrize(
    ("dataset_class", "content", "message"),
    [
        (XGBoostModelDataset, b"", "is empty"),
        (XGBoostModelDataset, b'{"learner": {}}', "no learner.objective.name"),
        (TorchCheckpointDataset, b"", "is empty"),
        (TorchCheckpointDataset, b"not a checkpoint", "weights_only=True"),
        (YOLOWeightsDataset, b"", "is empty"),
        (YOLOWeightsDataset, b"PK\x03\x04 truncated", "not a torch archive"),
    ],
)
def test_model_file_dataset_invalid_file_names_it(tmp_path, dataset_class, content, message):
    path = tmp_path / "model.bin"
    path.write_bytes(content)

    with pytest.raises(ModelFileError, match=message) as error:
        dataset_class(filepath=str(path)).load()

    assert str(path) in str(error.value)
    assert "delete it to skip it" in str(error.value)


def test_torch_checkpoint_dataset_missing_keys_raises(tmp_path):
    path = tmp_path / "efficientnet.pt"
    write_efficientnet_checkpoint(path)

    with pytest.raises(ModelFileError, match=r"lacks the keys \['epoch'\]"):
        TorchCheckpointDataset(filepath=str(path), required_keys=["state_dict", "epoch"]).load()


def test_yolo_weights_dataset_accepts_ultralytics_file(tmp_path):
    path = tmp_path / "yolo.pt"
    write_yolo_model(path)

    loaded = YOLOWeightsDataset(filepath=str(path)).load()

    assert loaded.path == str(path)
    assert loaded.model is None


def test_metrics_dataset_logs_namespaced_metrics(tracking, tmp_path):
    dataset = MetricsDataset(filepath=str(tmp_path / "metrics.json"), prefix="yolo")

    with mlflow.start_run() as run:
        dataset.save({"map50": 0.9, "loss": [3.0, 2.0, 1.0], "classes": ["a", "b"]})

    assert json.loads((tmp_path / "metrics.json").read_text())["map50"] == 0.9
    assert dataset.load()["loss"] == [3.0, 2.0, 1.0]
    assert tracking.get_run(run.info.run_id).data.metrics == {"yolo.map50": 0.9, "yolo.loss": 1.0}
    history = tracking.get_metric_history(run.info.run_id, "yolo.loss")
    assert [(metric.step, metric.value) for metric in history] == [(0, 3.0), (1, 2.0), (2, 1.0)]


def test_metrics_dataset_invalid_json_raises(tmp_path):
    path = tmp_path / "metrics.json"
    path.write_text("{not json")

    with pytest.raises(DatasetError, match="metrics.json' is not valid JSON"):
        MetricsDataset(filepath=str(path), prefix="yolo").load()

"""The ``inference`` pipeline, its nodes and datasets, with real models in a SQLite store."""

from __future__ import annotations

import io
import logging
import shutil
import textwrap
from pathlib import Path
from urllib.parse import urlparse

import mlflow
import numpy as np
import pandas as pd
import pytest
from helpers import MODEL_PATHS, MODEL_WRITERS, run_kedro, write_xgboost_model
from kedro.framework.startup import bootstrap_project
from kedro.io import DatasetError
from PIL import Image

from mlops.datasets import (
    ImageFilesDataset,
    LoadedModel,
    MissingModel,
    RegisteredModelDataset,
    RequiredDataset,
)
from mlops.pipelines.inference.nodes import (
    InferenceInputError,
    classify_images,
    detect_objects,
    predict_xgboost,
)

SKIP_WARNING = "WARNING mlops.datasets.registered: Registered model"
PREDICTIONS = {
    "xgboost": "data/07_model_output/xgboost_predictions.csv",
    "yolo": "data/07_model_output/yolo_predictions.csv",
    "efficientnet": "data/07_model_output/efficientnet_predictions.csv",
}
TABLE_PATH = "data/05_model_input/xgboost_test.parquet"
DETECTION_IMAGES = "data/01_raw/digits_detection/images/val"
CLASSIFICATION_IMAGES = "data/01_raw/digits_classification/val"
BOX_COLUMNS = ["image_path", "class_id", "class_name", "score", "x1", "y1", "x2", "y2"]
# The class names of the checkpoint that helpers.write_efficientnet_checkpoint writes.
CLASS_NAMES = ["zero", "one", "two"]
XGBOOST_PARAMS = {"target": "target", "id_column": None}


def _encode_random_png(seed: int, size: int = 48) -> bytes:
    pixels = np.random.default_rng(seed).integers(0, 256, size=(size, size), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def _build_table(rows: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    table = pd.DataFrame(rng.normal(size=(rows, 3)), columns=["a", "b", "c"])
    table["target"] = (table["a"] > 0).astype(int)
    table.index = range(100, 100 + rows)
    return table


def _write_inputs(project: Path) -> dict[str, list]:
    """Write a small input of each model where the default catalog reads it."""
    table = _build_table()
    (project / TABLE_PATH).parent.mkdir(parents=True, exist_ok=True)
    table.to_parquet(project / TABLE_PATH)
    detection = ["00000.png", "00001.png", "00002.png"]
    classification = ["one/00003.png", "one/00004.png", "zero/00005.png"]
    for seed, name in enumerate(detection):
        path = project / DETECTION_IMAGES / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(_encode_random_png(seed))
    for seed, name in enumerate(classification):
        path = project / CLASSIFICATION_IMAGES / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(_encode_random_png(seed + 10))
    return {"xgboost": list(table.index), "yolo": detection, "efficientnet": classification}


def _write_local_catalog(project: Path, text: str) -> None:
    (project / "conf/local/catalog.yml").write_text(textwrap.dedent(text), encoding="utf-8")


def _register_all_models(project: Path, tracking) -> None:
    for model_key, writer in MODEL_WRITERS.items():
        writer(project / MODEL_PATHS[model_key])
    result = run_kedro(project, "--pipeline", "registry")
    assert result.returncode == 0, result.stderr
    for name in MODEL_WRITERS:
        tracking.set_registered_model_alias(name, "champion", "1")


def _read_predictions(project: Path, model_key: str) -> pd.DataFrame:
    return pd.read_csv(project / PREDICTIONS[model_key])


# ---- ImageFilesDataset ----------------------------------------------------------


def test_image_files_dataset_loads_nested_folders(tmp_path):
    (tmp_path / "3" / "deep").mkdir(parents=True)
    (tmp_path / "top.png").write_bytes(b"top")
    (tmp_path / "3" / "deep" / "nested.jpg").write_bytes(b"nested")

    images = ImageFilesDataset(path=str(tmp_path)).load()

    assert images == {"3/deep/nested.jpg": b"nested", "top.png": b"top"}


def test_image_files_dataset_sorts_paths(tmp_path):
    names = [f"{index:03d}.png" for index in range(20)]
    for name in reversed(names):
        (tmp_path / name).write_bytes(name.encode())

    images = ImageFilesDataset(path=str(tmp_path)).load()

    assert list(images) == names


def test_image_files_dataset_skips_hidden_files(tmp_path):
    (tmp_path / ".cache").mkdir()
    (tmp_path / ".cache" / "thumbnail.png").write_bytes(b"hidden folder")
    (tmp_path / ".preview.png").write_bytes(b"hidden file")
    (tmp_path / "visible.png").write_bytes(b"visible")

    images = ImageFilesDataset(path=str(tmp_path)).load()

    assert list(images) == ["visible.png"]


def test_image_files_dataset_skips_other_suffixes(tmp_path, caplog):
    (tmp_path / "notes.txt").write_text("not an image")
    (tmp_path / "upper.PNG").write_bytes(b"image")

    with caplog.at_level(logging.WARNING, logger="mlops.datasets.image_files"):
        images = ImageFilesDataset(path=str(tmp_path)).load()

    assert list(images) == ["upper.PNG"]
    assert len(caplog.records) == 1
    assert "notes.txt" in caplog.records[0].getMessage()


def test_image_files_dataset_missing_folder_raises(tmp_path):
    dataset = ImageFilesDataset(path=str(tmp_path / "absent"))

    with pytest.raises(DatasetError, match=r"absent' not found\. Run `kedro run` first"):
        dataset.load()


def test_image_files_dataset_file_path_raises(tmp_path):
    (tmp_path / "image.png").write_bytes(b"image")
    dataset = ImageFilesDataset(path=str(tmp_path / "image.png"))

    with pytest.raises(DatasetError, match="image.png' is a file, not a folder"):
        dataset.load()


# ---- RequiredDataset ------------------------------------------------------------


def test_required_dataset_missing_file_raises(tmp_path):
    path = tmp_path / "absent.parquet"
    dataset = RequiredDataset(dataset={"type": "pandas.ParquetDataset", "filepath": str(path)})

    with pytest.raises(DatasetError, match=r"absent\.parquet' not found\. Run `kedro run` first"):
        dataset.load()


def test_required_dataset_loads_existing_file(tmp_path):
    path = tmp_path / "table.parquet"
    _build_table().to_parquet(path)

    table = RequiredDataset(dataset={"type": "pandas.ParquetDataset", "filepath": str(path)}).load()

    assert list(table.index) == list(range(100, 107))


# ---- RegisteredModelDataset -------------------------------------------------------


@pytest.fixture
def xgboost_versions(project, tracking):
    """Register one XGBoost model twice as ``xgboost`` (versions 1 and 2)."""
    path = project / MODEL_PATHS["xgboost"]
    write_xgboost_model(path)
    from xgboost import XGBClassifier

    model = XGBClassifier()
    model.load_model(str(path))
    with mlflow.start_run():
        info = mlflow.xgboost.log_model(model, name="xgboost")
    for _ in range(2):
        mlflow.register_model(info.model_uri, "xgboost")
    return tracking


def test_registered_model_dataset_missing_model_warns(tracking, caplog):
    with caplog.at_level(logging.WARNING, logger="mlops.datasets.registered"):
        loaded = RegisteredModelDataset(model_name="absent", alias="champion").load()

    assert loaded == MissingModel("models:/absent@champion")
    assert len(caplog.records) == 1
    message = caplog.records[0].getMessage()
    assert "Registered model 'absent' does not exist" in message
    assert "set_registered_model_alias('absent', 'champion', <version>)" in message


def test_registered_model_dataset_missing_alias_warns(xgboost_versions, caplog):
    with caplog.at_level(logging.WARNING, logger="mlops.datasets.registered"):
        loaded = RegisteredModelDataset(model_name="xgboost", alias="champion").load()

    assert loaded == MissingModel("models:/xgboost@champion")
    assert len(caplog.records) == 1
    assert "'xgboost' has no alias 'champion'" in caplog.records[0].getMessage()


def test_registered_model_dataset_missing_version_warns(xgboost_versions, caplog):
    with caplog.at_level(logging.WARNING, logger="mlops.datasets.registered"):
        loaded = RegisteredModelDataset(model_name="xgboost", model_version=9).load()

    assert loaded == MissingModel("models:/xgboost/9")
    assert len(caplog.records) == 1
    assert "'xgboost' has no version 9" in caplog.records[0].getMessage()


def test_registered_model_dataset_alias_loads_its_version(xgboost_versions):
    xgboost_versions.set_registered_model_alias("xgboost", "champion", "2")

    loaded = RegisteredModelDataset(model_name="xgboost", alias="champion", flavor="xgboost").load()

    assert loaded.model_uri == "models:/xgboost@champion"
    assert loaded.version == 2
    assert hasattr(loaded.model, "predict_proba")


def test_registered_model_dataset_version_loads_pyfunc(xgboost_versions):
    loaded = RegisteredModelDataset(model_name="xgboost", model_version=1).load()

    assert loaded.model_uri == "models:/xgboost/1"
    assert loaded.version == 1
    assert isinstance(loaded.model, mlflow.pyfunc.PyFuncModel)
    assert RegisteredModelDataset(model_name="xgboost", model_version=1).exists()


def test_registered_model_dataset_deleted_files_raise(xgboost_versions):
    location = xgboost_versions.get_model_version_download_uri("xgboost", "1")
    shutil.rmtree(urlparse(location).path)
    dataset = RegisteredModelDataset(model_name="xgboost", model_version=1)

    with pytest.raises(DatasetError, match=r"Could not load models:/xgboost/1 \(models:/xgboost/1"):
        dataset.load()


def test_registered_model_dataset_unreachable_store_raises(monkeypatch):
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "5")
    mlflow.set_tracking_uri("http://127.0.0.1:1")
    try:
        dataset = RegisteredModelDataset(model_name="xgboost", alias="champion")
        with pytest.raises(DatasetError, match="Could not look up models:/xgboost@champion"):
            dataset.load()
    finally:
        mlflow.set_tracking_uri(None)


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        ({"alias": "champion", "model_version": 1}, "either `alias` or `model_version`.*not both"),
        ({}, "either `alias` or `model_version`.*not neither"),
        ({"model_version": "1"}, "has model_version '1'; expected a positive integer"),
        ({"model_version": True}, "has model_version True; expected a positive integer"),
        ({"model_version": 0}, "has model_version 0; versions start at 1"),
        ({"alias": "champion", "flavor": "sklearn"}, r"flavor 'sklearn'; expected one of"),
    ],
)
def test_registered_model_dataset_invalid_arguments_raise(arguments, error):
    with pytest.raises(DatasetError, match=error):
        RegisteredModelDataset(model_name="xgboost", **arguments)


# ---- Nodes ------------------------------------------------------------------------


@pytest.fixture
def xgboost_model(tmp_path) -> LoadedModel:
    from xgboost import XGBClassifier

    path = tmp_path / "xgboost.json"
    write_xgboost_model(path)
    model = XGBClassifier()
    model.load_model(str(path))
    return LoadedModel(model_uri="models:/xgboost@champion", name="xgboost", version=3, model=model)


def test_predict_xgboost_row_id_and_probabilities(xgboost_model):
    table = _build_table()[["target", "c", "a", "b"]]

    predictions = predict_xgboost(xgboost_model, table, XGBOOST_PARAMS)

    columns = ["row_id", "prediction", "prob_0", "prob_1", "model_version"]
    assert list(predictions.columns) == columns
    assert predictions["row_id"].tolist() == list(table.index)
    expected = xgboost_model.model.predict(table[["a", "b", "c"]])
    assert predictions["prediction"].tolist() == expected.tolist()
    assert np.allclose(predictions["prob_0"] + predictions["prob_1"], 1.0)
    assert set(predictions["model_version"]) == {3}


def test_predict_xgboost_id_column_replaces_row_id(xgboost_model):
    table = _build_table().assign(customer=list("abcdefg"))

    predictions = predict_xgboost(
        xgboost_model, table, {"target": "target", "id_column": "customer"}
    )

    assert predictions["customer"].tolist() == list("abcdefg")
    assert "row_id" not in predictions.columns


def test_predict_xgboost_missing_id_column_raises(xgboost_model):
    with pytest.raises(InferenceInputError, match="no id column 'customer'"):
        predict_xgboost(
            xgboost_model, _build_table(), {"target": "target", "id_column": "customer"}
        )


def test_predict_xgboost_missing_feature_raises(xgboost_model):
    table = _build_table().drop(columns=["c"])

    with pytest.raises(InferenceInputError, match=r"lacks the model's feature columns \['c'\]"):
        predict_xgboost(xgboost_model, table, XGBOOST_PARAMS)


def test_predict_xgboost_casts_text_columns():
    from xgboost import XGBClassifier

    train = pd.DataFrame({"x": np.arange(30.0), "kind": pd.Categorical(list("abc") * 10)})
    model = XGBClassifier(n_estimators=3, enable_categorical=True)
    model.fit(train, (train["kind"] == "c").astype(int))
    loaded = LoadedModel(model_uri="models:/xgboost/1", name="xgboost", version=1, model=model)
    table = pd.DataFrame({"x": [1.0, 2.0], "kind": ["c", "a"]})

    predictions = predict_xgboost(loaded, table, XGBOOST_PARAMS)

    assert predictions["prediction"].tolist() == [1, 0]


@pytest.mark.parametrize(
    ("node", "inputs", "columns"),
    [
        (predict_xgboost, _build_table(), ["row_id", "prediction"]),
        (detect_objects, {"a.png": b""}, BOX_COLUMNS),
        (classify_images, {"a.png": b""}, ["image_path", "class_id", "class_name", "score"]),
    ],
)
def test_inference_nodes_missing_model_return_empty_table(node, inputs, columns):
    params = {**XGBOOST_PARAMS, "batch_size": 2}

    predictions = node(MissingModel("models:/absent@champion"), inputs, params)

    assert predictions.empty
    assert list(predictions.columns) == [*columns, "model_version"]


class OneBoxPerImage:
    """Detector that returns one box per image, whose class is the image's row in the batch."""

    def predict(self, model_input: pd.DataFrame) -> pd.DataFrame:
        rows = range(len(model_input))
        return pd.DataFrame(
            {
                "image_id": list(rows),
                "class_id": list(rows),
                "class_name": [str(row) for row in rows],
                "score": 0.5,
                "x1": 0.0,
                "y1": 0.0,
                "x2": 1.0,
                "y2": 1.0,
            }
        )


def test_detect_objects_batches_keep_paths():
    model = LoadedModel(model_uri="models:/yolo/4", name="yolo", version=4, model=OneBoxPerImage())
    images = {"a.png": b"", "b.png": b"", "c.png": b""}

    predictions = detect_objects(model, images, {"batch_size": 2})

    assert list(predictions.columns) == [*BOX_COLUMNS, "model_version"]
    assert predictions["image_path"].tolist() == ["a.png", "b.png", "c.png"]
    assert predictions["class_id"].tolist() == [0, 1, 0]


@pytest.mark.parametrize("batch_size", [0, -1, 2.5, True])
def test_classify_images_invalid_batch_size_raises(batch_size):
    model = LoadedModel(
        model_uri="models:/efficientnet/1", name="efficientnet", version=1, model=None
    )

    with pytest.raises(InferenceInputError, match="batch_size is .*expected a positive integer"):
        classify_images(model, {"a.png": b""}, {"batch_size": batch_size})


# ---- The pipeline in `kedro run` -------------------------------------------------------


def test_default_pipeline_excludes_inference(project):
    bootstrap_project(project)
    from mlops.pipeline_registry import register_pipelines

    pipelines = register_pipelines()

    inference_nodes = {node.name for node in pipelines["inference"].nodes}
    assert inference_nodes == {"predict_xgboost", "detect_objects", "classify_images"}
    default_nodes = {node.name for node in pipelines["__default__"].nodes}
    assert "register_xgboost" in default_nodes
    assert default_nodes.isdisjoint(inference_nodes)


def test_inference_pipeline_empty_registry_skips_all(project, tracking):
    _write_inputs(project)

    result = run_kedro(project, "--pipeline", "inference")

    assert result.returncode == 0, result.stderr
    assert result.stderr.count(SKIP_WARNING) == 3
    for name in ("xgboost", "yolo", "efficientnet"):
        assert f"Registered model '{name}' does not exist" in result.stderr
    for model_key in PREDICTIONS:
        predictions = _read_predictions(project, model_key)
        assert predictions.empty
        assert predictions.columns[-1] == "model_version"


def test_inference_pipeline_writes_predictions(project, tracking):
    inputs = _write_inputs(project)
    _register_all_models(project, tracking)
    # Untrained YOLO weights find boxes only with no minimum confidence.
    _write_local_catalog(
        project,
        """
        yolo_registered_model:
          type: mlops.datasets.RegisteredModelDataset
          model_name: yolo
          alias: champion
          load_args:
            model_config: {yolo: {imgsz: 64, conf: 0.0}}
        """,
    )

    result = run_kedro(project, "--pipeline", "inference")

    assert result.returncode == 0, result.stderr
    assert SKIP_WARNING not in result.stderr
    assert "Predicted 7 rows with models:/xgboost@champion (version 1)" in result.stderr
    xgboost = _read_predictions(project, "xgboost")
    assert list(xgboost.columns) == ["row_id", "prediction", "prob_0", "prob_1", "model_version"]
    assert xgboost["row_id"].tolist() == inputs["xgboost"]
    assert set(xgboost["model_version"]) == {1}

    yolo = _read_predictions(project, "yolo")
    assert list(yolo.columns) == [*BOX_COLUMNS, "model_version"]
    assert sorted(set(yolo["image_path"])) == inputs["yolo"]
    assert set(yolo["model_version"]) == {1}

    efficientnet = _read_predictions(project, "efficientnet")
    probabilities = [f"prob_{name}" for name in CLASS_NAMES]
    columns = ["image_path", "class_id", "class_name", "score", *probabilities, "model_version"]
    assert list(efficientnet.columns) == columns
    assert efficientnet["image_path"].tolist() == inputs["efficientnet"]
    assert set(efficientnet["class_name"]) <= set(CLASS_NAMES)
    assert set(efficientnet["model_version"]) == {1}


def test_inference_pipeline_loads_configured_version(project, tracking):
    _write_inputs(project)
    write_xgboost_model(project / MODEL_PATHS["xgboost"])
    assert run_kedro(project, "--pipeline", "registry", "--tags", "xgboost").returncode == 0
    first = tracking.get_model_version("xgboost", "1")
    tracking.create_model_version("xgboost", first.source, run_id=first.run_id)
    tracking.set_registered_model_alias("xgboost", "champion", "2")
    _write_local_catalog(
        project,
        """
        xgboost_registered_model:
          type: mlops.datasets.RegisteredModelDataset
          model_name: xgboost
          model_version: 1
          flavor: xgboost
        """,
    )

    result = run_kedro(project, "--pipeline", "inference", "--tags", "xgboost")

    assert result.returncode == 0, result.stderr
    assert "Predicted 7 rows with models:/xgboost/1 (version 1)" in result.stderr
    assert set(_read_predictions(project, "xgboost")["model_version"]) == {1}


def test_inference_pipeline_missing_input_fails(project, tracking):
    result = run_kedro(project, "--pipeline", "inference", "--tags", "xgboost")

    assert result.returncode != 0
    assert f"Input data '{project / TABLE_PATH}' not found" in result.stderr
    assert not (project / PREDICTIONS["xgboost"]).exists()

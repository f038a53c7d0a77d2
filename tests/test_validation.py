"""Checks of the training data and parameters that run before any model trains."""

from __future__ import annotations

import logging
import re

import mlflow
import numpy as np
import pandas as pd
import pytest
import yaml
from helpers import run_kedro
from kedro.io import DatasetError
from PIL import Image

from mlops.datasets import KeepExistingDataset, XGBoostModelDataset
from mlops.pipelines.data_preparation import create_pipeline as create_data_preparation
from mlops.pipelines.registry import create_pipeline as create_registry
from mlops.pipelines.training import create_pipeline as create_training
from mlops.pipelines.training.efficientnet import _create_model, _image_folder
from mlops.pipelines.training.validation import (
    DataValidationError,
    TrainingConfigError,
    validate_classification_images,
    validate_detection_dataset,
    validate_table,
)
from mlops.pipelines.training.validation.checkpoint import create_classifier
from mlops.pipelines.training.validation.config import (
    check_efficientnet_params,
    check_xgboost_params,
    check_yolo_params,
)
from mlops.pipelines.training.validation.detection import label_path
from mlops.pipelines.training.validation.errors import format_problems
from mlops.pipelines.training.validation.image_files import (
    CLASSIFICATION_IMAGE_SUFFIXES,
    DETECTION_IMAGE_SUFFIXES,
)
from mlops.pipelines.training.validation.models import YOLO_NODE_TRAIN_ARGUMENTS
from mlops.pipelines.training.xgboost import split_table, train_xgboost
from mlops.pipelines.training.yolo import _train_arguments

XGBOOST_PARAMS = {
    "target": "y",
    "task": "classification",
    "test_size": 0.25,
    "seed": 0,
    "model": {"n_estimators": 5, "max_depth": 2},
}
YOLO_PARAMS = {
    "model": "yolov8n.yaml",
    "weights": None,
    "epochs": 1,
    "patience": 1,
    "imgsz": 64,
    "batch": 4,
    "device": "cpu",
    "seed": 0,
    "workers": 0,
    "amp": False,
    "train_args": {"mosaic": 0.0},
}
EFFICIENTNET_PARAMS = {
    "architecture": "efficientnet_b0",
    "checkpoint": None,
    "pretrained": False,
    "image_size": 32,
    "in_chans": 1,
    "mean": [0.5],
    "std": [0.5],
    "epochs": 1,
    "patience": 1,
    "batch_size": 4,
    "lr": 0.003,
    "weight_decay": 0.05,
    "warmup_epochs": 0,
    "label_smoothing": 0.0,
    "drop_rate": 0.0,
    "augmentation": {"degrees": 5},
    "device": "cpu",
    "seed": 0,
    "workers": 0,
    "log_interval": 1,
}


def write_png(path, size=16, value=128):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("L", (size, size), value).save(path, format="PNG")


def write_detection_set(root, labels, names=("zero", "one")):
    """Write a 16x16 PNG per ``labels[split][stem]`` and its label text; None writes no label."""
    for split, items in labels.items():
        for stem, text in items.items():
            write_png(root / "images" / split / f"{stem}.png")
            if text is not None:
                label = root / "labels" / split / f"{stem}.txt"
                label.parent.mkdir(parents=True, exist_ok=True)
                label.write_text(text, encoding="utf-8")
    description = {"train": "images/train", "val": "images/val", "names": list(names)}
    (root / "data.yaml").write_text(yaml.safe_dump(description), encoding="utf-8")
    return root / "data.yaml"


GOOD_LABELS = {
    "train": {"a": "0 0.5 0.5 0.2 0.2\n", "b": "1 0.3 0.3 0.1 0.4\n"},
    "val": {"c": "0 0.5 0.5 0.5 0.5\n"},
}


def write_image_folder(root, counts):
    """Write ``counts[split][class]`` 16x16 PNGs into an ImageFolder tree."""
    for split, classes in counts.items():
        for name, count in classes.items():
            for index in range(count):
                write_png(root / split / name / f"{index}.png", value=40 * index)
    return root


TWO_CLASSES = {"train": {"a": 2, "b": 2}, "val": {"a": 1, "b": 1}}


@pytest.fixture
def table():
    rng = np.random.default_rng(0)
    features = rng.normal(size=(40, 2))
    return pd.DataFrame(features, columns=["a", "b"]).assign(y=(features[:, 0] > 0).astype(int))


# ---- Errors ---------------------------------------------------------------------


def test_format_problems_caps_listing():
    problems = [f"file{index}.txt:1: bad" for index in range(60)]

    message = format_problems("Data has 60 problems:", problems, "Fix them.")

    lines = message.splitlines()
    assert lines[0] == "Data has 60 problems:"
    assert lines[50] == "file49.txt:1: bad"
    assert lines[51] == "... and 10 more"
    assert lines[52] == "Fix them."


# ---- Table ----------------------------------------------------------------------


def test_validate_table_valid_returns_new_frame(table, caplog):
    caplog.set_level(logging.INFO)

    validated = validate_table(table, XGBOOST_PARAMS)

    assert validated is not table
    pd.testing.assert_frame_equal(validated, table)
    assert "Table is valid: 40 rows, 2 feature columns" in caplog.text


def test_validate_table_missing_target_raises(table):
    with pytest.raises(TrainingConfigError, match="xgboost.target is 'label'.*columns"):
        validate_table(table, {**XGBOOST_PARAMS, "target": "label"})


def test_validate_table_blank_target_lists_rows(table):
    table = table.astype({"y": "float64"})
    table.loc[[3, 7], "y"] = np.nan

    with pytest.raises(DataValidationError) as error:
        validate_table(table, XGBOOST_PARAMS)

    message = str(error.value)
    assert "row 3 (line 5): target 'y' is blank" in message
    assert "row 7 (line 9): target 'y' is blank" in message
    assert message.splitlines()[0] == "Table has 2 problems:"


def test_validate_table_text_column_rejected_by_default(table):
    table = table.assign(colour=["red", "blue"] * 20)

    with pytest.raises(DataValidationError, match="column 'colour': contains text") as error:
        validate_table(table, XGBOOST_PARAMS)

    assert "Set xgboost.text_columns to category" in str(error.value)


def test_validate_table_text_column_category_trains_and_reloads(table, tmp_path):
    table = table.assign(colour=["red", "blue", "green", None] * 10)
    params = {**XGBOOST_PARAMS, "text_columns": "category"}

    validated = validate_table(table, params)
    train, test = split_table(validated, params)
    for name, split in (("train", train), ("test", test)):
        split.to_parquet(tmp_path / f"{name}.parquet")
    train = pd.read_parquet(tmp_path / "train.parquet")
    test = pd.read_parquet(tmp_path / "test.parquet")
    model, metrics = train_xgboost(train, test, params)
    dataset = XGBoostModelDataset(filepath=str(tmp_path / "xgboost.json"))
    dataset.save(model)
    reloaded = dataset.load().model

    assert table["colour"].dtype != "category"
    assert validated["colour"].dtype == "category"
    assert train["colour"].dtype == "category"
    assert "roc_auc" in metrics
    features = test.drop(columns="y")
    np.testing.assert_allclose(reloaded.predict_proba(features), model.predict_proba(features))


def test_validate_table_empty_text_column_category_raises(table):
    table = table.assign(note=pd.Series([None] * 40, dtype=object))
    params = {**XGBOOST_PARAMS, "text_columns": "category"}

    with pytest.raises(DataValidationError, match="column 'note': has no values") as error:
        validate_table(table, params)

    assert "text_columns to category" not in str(error.value)


def test_validate_table_datetime_column_raises(table):
    table = table.assign(when=pd.Timestamp("2024-01-01"))

    with pytest.raises(DataValidationError, match="column 'when': has dtype datetime64"):
        validate_table(table, XGBOOST_PARAMS)


def test_validate_table_single_class_raises(table):
    with pytest.raises(DataValidationError, match="target 'y': has one class"):
        validate_table(table.assign(y=1), XGBOOST_PARAMS)


def test_validate_table_labels_not_zero_based_raises(table):
    with pytest.raises(DataValidationError, match=r"has \[1, 2\]; map them to 0..1"):
        validate_table(table.assign(y=table["y"] + 1), XGBOOST_PARAMS)


def test_validate_table_text_labels_raises(table):
    labels = table["y"].map({0: "no", 1: "yes"})

    with pytest.raises(DataValidationError, match=r"has \['no', 'yes'\]; map them"):
        validate_table(table.assign(y=labels), XGBOOST_PARAMS)


def test_validate_table_class_with_one_row_raises(table):
    table.loc[0, "y"] = 2

    with pytest.raises(DataValidationError, match="class 2: has 1 row"):
        validate_table(table, XGBOOST_PARAMS)


def test_validate_table_text_regression_target_raises(table):
    params = {**XGBOOST_PARAMS, "task": "regression"}

    with pytest.raises(DataValidationError, match="target 'y': has dtype .*convert the column"):
        validate_table(table.assign(y=table["y"].astype(str)), params)


def test_validate_table_infinite_feature_lists_cell(table):
    table.loc[4, "b"] = -np.inf

    with pytest.raises(DataValidationError, match=r"row 4 \(line 6\): column 'b' is -inf"):
        validate_table(table, XGBOOST_PARAMS)


def test_validate_table_header_only_raises():
    empty = pd.DataFrame(columns=["a", "y"])

    with pytest.raises(DataValidationError, match="has a header but no rows"):
        validate_table(empty, XGBOOST_PARAMS)


def test_validate_table_too_few_rows_for_split_raises(table):
    small = table.iloc[[0, 1, 2, 3]].assign(y=[0, 0, 1, 1])

    with pytest.raises(DataValidationError, match="1 test rows, but a stratified split"):
        validate_table(small, XGBOOST_PARAMS)


def test_validate_table_lists_every_problem(table):
    table = table.astype({"y": "float64"}).assign(colour="red")
    table.loc[1, "y"] = np.nan
    table.loc[2, "a"] = np.inf

    with pytest.raises(DataValidationError) as error:
        validate_table(table, XGBOOST_PARAMS)

    message = str(error.value)
    assert "Table has 3 problems:" in message
    assert "row 1 (line 3): target 'y' is blank" in message
    assert "row 2 (line 4): column 'a' is inf" in message
    assert "column 'colour': contains text" in message


def test_split_table_class_absent_from_test_raises():
    table = pd.DataFrame({"a": range(102), "y": [0] * 100 + [1] * 2})

    with pytest.raises(DataValidationError, match="class 1: has no rows in the test split"):
        split_table(table, {**XGBOOST_PARAMS, "test_size": 0.2})


def test_check_xgboost_params_lists_every_invalid_value():
    params = {
        **XGBOOST_PARAMS,
        "test_size": 1.5,
        "text_columns": "drop",
        "model": {"n_estimators": 0},
    }

    with pytest.raises(TrainingConfigError) as error:
        check_xgboost_params(params)

    message = str(error.value)
    assert "xgboost.test_size is 1.5; expected a number in (0, 1)" in message
    assert "xgboost.text_columns is 'drop'; expected one of ['reject', 'category']" in message
    assert "xgboost.model.n_estimators is 0; expected an integer >= 1" in message


def test_keep_existing_dataset_empty_csv_names_file(tmp_path):
    path = tmp_path / "table.csv"
    path.write_bytes(b"")
    dataset = KeepExistingDataset(dataset={"type": "pandas.CSVDataset", "filepath": str(path)})

    with pytest.raises(DatasetError, match=re.escape(f"'{path}' is empty (0 bytes)")):
        dataset.load()


# ---- Detection data set ---------------------------------------------------------


def test_validate_detection_dataset_valid_logs_counts(tmp_path, caplog):
    caplog.set_level(logging.INFO)
    labels = {**GOOD_LABELS, "val": {"c": "0 0.5 0.5 0.5 0.5\n", "d": ""}}
    data_yaml = write_detection_set(tmp_path, labels)

    assert validate_detection_dataset(str(data_yaml), YOLO_PARAMS) == str(data_yaml)
    assert "train: 2 images, 2 boxes, 0 without objects" in caplog.text
    assert "val: 2 images, 1 boxes, 1 without objects" in caplog.text


def test_validate_detection_dataset_bad_labels_list_lines(tmp_path):
    bad = "0 0.5 0.5 0.2 0.2\n1.5 0.5 0.5 0.2 0.2\n2 0.5 0.5 0.2 0.2\n0 1.2 0.5 0.2 0.2\n"
    bad += "0 0.5 0.5 0 0.2\n0 0.5 0.5 0.2\n"
    data_yaml = write_detection_set(tmp_path, {**GOOD_LABELS, "train": {"a": bad}})
    label = tmp_path / "labels" / "train" / "a.txt"

    with pytest.raises(DataValidationError) as error:
        validate_detection_dataset(str(data_yaml), YOLO_PARAMS)

    message = str(error.value)
    assert f"{label}:2: class id '1.5' is not an integer >= 0" in message
    assert f"{label}:3: class id 2 is not below the number of classes (2" in message
    assert f"{label}:4: x_center 1.2 is outside [0, 1]" in message
    assert f"{label}:5: width 0 is not positive" in message
    assert f"{label}:6: has 4 fields; expected 5" in message
    assert f"{label}:1:" not in message
    assert "has 5 problems:" in message


def test_validate_detection_dataset_names_dict_sets_class_count(tmp_path):
    labels = {**GOOD_LABELS, "train": {"a": "2 0.5 0.5 0.2 0.2\n"}}
    data_yaml = write_detection_set(tmp_path, labels)
    description = yaml.safe_load(data_yaml.read_text())
    description["names"] = {0: "zero", 1: "one", 2: "two"}
    data_yaml.write_text(yaml.safe_dump(description))

    assert validate_detection_dataset(str(data_yaml), YOLO_PARAMS) == str(data_yaml)


def test_validate_detection_dataset_missing_label_raises(tmp_path):
    data_yaml = write_detection_set(tmp_path, {**GOOD_LABELS, "val": {"c": None}})

    with pytest.raises(DataValidationError, match="c.png: has no label file .*create an empty"):
        validate_detection_dataset(str(data_yaml), YOLO_PARAMS)


def test_validate_detection_dataset_missing_split_path_raises(tmp_path):
    data_yaml = write_detection_set(tmp_path, {"train": GOOD_LABELS["train"]})

    with pytest.raises(DataValidationError, match=r"val path '.*images/val' does not exist"):
        validate_detection_dataset(str(data_yaml), YOLO_PARAMS)


def test_validate_detection_dataset_unreadable_image_raises(tmp_path):
    data_yaml = write_detection_set(tmp_path, GOOD_LABELS)
    image = tmp_path / "images" / "train" / "a.png"
    image.write_bytes(image.read_bytes()[:40])

    with pytest.raises(
        DataValidationError, match=re.escape(f"{image}: cannot be read as an image")
    ):
        validate_detection_dataset(str(data_yaml), YOLO_PARAMS)


def test_validate_detection_dataset_split_without_images_raises(tmp_path):
    data_yaml = write_detection_set(tmp_path, GOOD_LABELS)
    (tmp_path / "images" / "val" / "c.png").rename(tmp_path / "images" / "val" / "c.txt")

    with pytest.raises(DataValidationError, match="val has no images in"):
        validate_detection_dataset(str(data_yaml), YOLO_PARAMS)


def test_validate_detection_dataset_list_file_and_path_key(tmp_path):
    root = tmp_path / "set"
    write_detection_set(root, GOOD_LABELS)
    (root / "train.txt").write_text("./images/train/a.png\n\n./images/train/absent.png\n")
    data_yaml = tmp_path / "data.yaml"
    description = {
        "path": str(root),
        "train": "train.txt",
        "val": ["images/val"],
        "names": ["a", "b"],
    }
    data_yaml.write_text(yaml.safe_dump(description))

    with pytest.raises(DataValidationError) as error:
        validate_detection_dataset(str(data_yaml), YOLO_PARAMS)

    assert str(error.value).splitlines()[1:-1] == [
        f"{root / 'train.txt'}:3: image './images/train/absent.png' not found"
    ]


def test_label_path_replaces_last_images_folder(tmp_path):
    image = tmp_path / "images" / "set" / "images" / "train" / "x.y.png"

    assert label_path(image) == tmp_path / "images" / "set" / "labels" / "train" / "x.y.txt"


def test_image_suffixes_match_libraries():
    from torchvision.datasets.folder import IMG_EXTENSIONS
    from ultralytics.data.utils import IMG_FORMATS

    assert DETECTION_IMAGE_SUFFIXES == IMG_FORMATS
    assert set(CLASSIFICATION_IMAGE_SUFFIXES) == set(IMG_EXTENSIONS)


# ---- Image folder ---------------------------------------------------------------


def test_validate_classification_images_valid_logs_counts(tmp_path, caplog):
    caplog.set_level(logging.INFO)
    root = write_image_folder(tmp_path / "images", TWO_CLASSES)

    assert validate_classification_images(str(root), EFFICIENTNET_PARAMS) == str(root)
    assert "is valid: 2 classes, 4 train and 2 val images" in caplog.text
    assert "WARNING" not in caplog.text


def test_validate_classification_images_empty_class_raises(tmp_path):
    root = write_image_folder(tmp_path / "images", TWO_CLASSES)
    (root / "train" / "c").mkdir()
    (root / "val" / "c").mkdir()

    with pytest.raises(DataValidationError) as error:
        validate_classification_images(str(root), EFFICIENTNET_PARAMS)

    assert f"{root / 'train' / 'c'}: class folder contains no images" in str(error.value)
    assert f"{root / 'val' / 'c'}: class folder contains no images" in str(error.value)


def test_validate_classification_images_non_image_warns(tmp_path, caplog):
    root = write_image_folder(tmp_path / "images", TWO_CLASSES)
    (root / "train" / "a" / "notes.txt").write_text("taken in 2024")
    (root / "train" / "labels.csv").write_text("a,b")

    validate_classification_images(str(root), EFFICIENTNET_PARAMS)
    dataset = _image_folder(root / "train", transform=None)

    warnings = [record for record in caplog.records if record.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "Ignoring 2 files" in warnings[0].getMessage()
    assert f"{root / 'train' / 'a' / 'notes.txt'} (not an image suffix)" in warnings[0].getMessage()
    assert (
        f"{root / 'train' / 'labels.csv'} (not inside a class folder)" in warnings[0].getMessage()
    )
    assert len(dataset) == 4


def test_validate_classification_images_hidden_files_skipped_silently(tmp_path, caplog):
    root = write_image_folder(tmp_path / "images", TWO_CLASSES)
    (root / "train" / "a" / "._0.png").write_bytes(b"AppleDouble")
    (root / "train" / ".DS_Store").write_bytes(b"\0")
    (root / "train" / ".ipynb_checkpoints").mkdir()

    validate_classification_images(str(root), EFFICIENTNET_PARAMS)
    dataset = _image_folder(root / "train", transform=None)

    assert "WARNING" not in caplog.text
    assert dataset.classes == ["a", "b"]
    assert len(dataset) == 4


def test_validate_classification_images_undecodable_image_raises(tmp_path):
    root = write_image_folder(tmp_path / "images", TWO_CLASSES)
    broken = root / "val" / "b" / "broken.jpg"
    broken.write_bytes(b"not a jpeg")

    with pytest.raises(
        DataValidationError, match=re.escape(f"{broken}: cannot be read as an image")
    ):
        validate_classification_images(str(root), EFFICIENTNET_PARAMS)


def test_validate_classification_images_val_classes_differ_raises(tmp_path):
    counts = {"train": {"a": 1, "b": 1, "c": 1}, "val": {"a": 1, "b": 1, "d": 1}}
    root = write_image_folder(tmp_path / "images", counts)

    with pytest.raises(DataValidationError, match=r"missing in val \['c'\], not in train \['d'\]"):
        validate_classification_images(str(root), EFFICIENTNET_PARAMS)


def test_validate_classification_images_single_class_raises(tmp_path):
    root = write_image_folder(tmp_path / "images", {"train": {"a": 2}, "val": {"a": 1}})

    with pytest.raises(DataValidationError, match=r"has 1 class folders \['a'\].*at least 2"):
        validate_classification_images(str(root), EFFICIENTNET_PARAMS)


# ---- Parameters -----------------------------------------------------------------


def test_check_efficientnet_params_pretrained_without_checkpoint_raises():
    params = {**EFFICIENTNET_PARAMS, "pretrained": True}

    with pytest.raises(TrainingConfigError, match="pretrained is true but .*checkpoint is null"):
        check_efficientnet_params(params)


def test_check_efficientnet_params_missing_checkpoint_raises():
    params = {**EFFICIENTNET_PARAMS, "checkpoint": "weights/absent.pth"}

    with pytest.raises(
        TrainingConfigError, match="checkpoint is 'weights/absent.pth', which is not"
    ):
        check_efficientnet_params(params)


def test_check_efficientnet_params_unknown_architecture_suggests_names():
    params = {**EFFICIENTNET_PARAMS, "architecture": "efficientnet-b0"}

    with pytest.raises(
        TrainingConfigError, match="timm does not know .*close matches: efficientnet_b0"
    ):
        check_efficientnet_params(params)


def test_check_efficientnet_params_lists_every_budget_problem():
    params = {
        **EFFICIENTNET_PARAMS,
        "epochs": 0,
        "batch_size": -1,
        "image_size": 0,
        "lr": 0,
        "patience": -1,
        "mean": [0.5, 0.5, 0.5],
    }

    with pytest.raises(TrainingConfigError) as error:
        check_efficientnet_params(params)

    message = str(error.value)
    assert "Invalid efficientnet training parameters (6 problems):" in message
    assert "efficientnet.epochs is 0; expected an integer >= 1" in message
    assert "efficientnet.batch_size is -1; expected an integer >= 1" in message
    assert "efficientnet.image_size is 0; expected an integer >= 1" in message
    assert "efficientnet.lr is 0; expected a number > 0" in message
    assert "efficientnet.patience is -1; expected an integer >= 0" in message
    assert "efficientnet.mean has 3 values; expected one per input channel" in message


def test_check_yolo_params_unknown_model_yaml_raises():
    with pytest.raises(TrainingConfigError, match="yolo.model is 'yolov8q.yaml', which is neither"):
        check_yolo_params({**YOLO_PARAMS, "model": "yolov8q.yaml"})


def test_check_yolo_params_url_model_raises():
    url = "https://example.com/yolov8n.yaml"

    with pytest.raises(TrainingConfigError, match="nothing is downloaded"):
        check_yolo_params({**YOLO_PARAMS, "model": url})


def test_check_yolo_params_lists_every_budget_problem():
    params = {**YOLO_PARAMS, "epochs": 0, "imgsz": -64, "batch": 0, "patience": -1}
    params["train_args"] = {"epochs": 3, "mosiac": 0.0}

    with pytest.raises(TrainingConfigError) as error:
        check_yolo_params(params)

    message = str(error.value)
    assert "yolo.epochs is 0; expected an integer >= 1" in message
    assert "yolo.imgsz is -64; expected an integer >= 1" in message
    assert "yolo.batch is 0; expected an integer >= 1" in message
    assert "yolo.patience is -1; expected an integer >= 0" in message
    assert "yolo.train_args.epochs is set by the train_yolo node itself" in message
    assert "yolo.train_args.mosiac is not an argument of ultralytics' model.train()" in message


def test_train_arguments_match_node_arguments():
    arguments = _train_arguments("data.yaml", YOLO_PARAMS, "runs")

    assert set(arguments) == YOLO_NODE_TRAIN_ARGUMENTS


# ---- Checkpoints ----------------------------------------------------------------


def save_checkpoint(path, num_classes, in_chans=1, raw=False, architecture="efficientnet_b0"):
    import torch

    params = {**EFFICIENTNET_PARAMS, "architecture": architecture, "in_chans": in_chans}
    model = create_classifier(params, num_classes)
    state = model.state_dict()
    torch.save(state if raw else {"architecture": architecture, "state_dict": state}, path)
    return state


def test_create_model_checkpoint_other_classes_trains_fresh_head(tmp_path, caplog):
    import torch

    path = tmp_path / "checkpoint.pt"
    saved = save_checkpoint(path, num_classes=3)

    model = _create_model({**EFFICIENTNET_PARAMS, "checkpoint": str(path)}, num_classes=2)

    warnings = [
        record.getMessage() for record in caplog.records if record.levelno == logging.WARNING
    ]
    assert len(warnings) == 1
    assert "classifier of 3 classes but the data has 2 classes" in warnings[0]
    assert model.get_classifier().out_features == 2
    assert torch.equal(model.state_dict()["conv_stem.weight"], saved["conv_stem.weight"])


def test_create_model_raw_state_dict_rgb(tmp_path):
    import torch

    path = tmp_path / "state.pt"
    saved = save_checkpoint(path, num_classes=2, in_chans=3, raw=True)

    model = _create_model({**EFFICIENTNET_PARAMS, "checkpoint": str(path)}, num_classes=2)

    expected = saved["conv_stem.weight"].sum(dim=1, keepdim=True)
    assert torch.allclose(model.state_dict()["conv_stem.weight"], expected)
    assert torch.equal(model.state_dict()["classifier.weight"], saved["classifier.weight"])


def test_create_model_other_architecture_raises(tmp_path):
    path = tmp_path / "checkpoint.pt"
    save_checkpoint(path, num_classes=2, architecture="mobilenetv3_small_050")
    params = {**EFFICIENTNET_PARAMS, "checkpoint": str(path)}

    with pytest.raises(TrainingConfigError) as error:
        _create_model(params, num_classes=2)

    message = str(error.value)
    assert f"'{path}' (saved for mobilenetv3_small_050) does not fit the architecture" in message
    assert "'efficientnet_b0'" in message
    assert "missing key " in message


def test_create_model_checkpoint_not_a_dict_raises(tmp_path):
    import torch

    path = tmp_path / "checkpoint.pt"
    torch.save([1, 2], path)

    with pytest.raises(
        TrainingConfigError, match=re.escape(f"'{path}' contains a list, not a dict")
    ):
        _create_model({**EFFICIENTNET_PARAMS, "checkpoint": str(path)}, num_classes=2)


def test_validate_classification_images_checks_checkpoint(tmp_path):
    root = write_image_folder(tmp_path / "images", TWO_CLASSES)
    path = tmp_path / "checkpoint.pt"
    save_checkpoint(path, num_classes=2, architecture="mobilenetv3_small_050")
    params = {**EFFICIENTNET_PARAMS, "checkpoint": str(path), "pretrained": True}

    with pytest.raises(TrainingConfigError, match="does not fit the architecture"):
        validate_classification_images(str(root), params)


# ---- Pipeline -------------------------------------------------------------------


def test_pipeline_runs_validation_before_training():
    pipeline = create_data_preparation() + create_training() + create_registry()

    names = [node.name for node in pipeline.nodes]

    last_validation = max(names.index(name) for name in names if name.startswith("validate_"))
    first_work = min(
        names.index(name) for name in names if name.startswith(("split_", "train_", "register_"))
    )
    assert last_validation < first_work
    assert sum(name.startswith("validate_") for name in names) == 3


def test_ci_run_with_bad_label_fails_before_training(project):
    labels = {
        "train": {"00000": "0 0.5 0.5 0.2 0.2\n7 0.5 0.5 0.2 0.2\n", "00001": ""},
        "val": {"00000": "1 0.5 0.5 0.3 0.3\n"},
    }
    root = project / "data" / "01_raw" / "digits_detection_ci"
    write_detection_set(root, labels)

    result = run_kedro(project, "--env", "ci")

    assert result.returncode != 0
    label = (root / "labels" / "train" / "00000.txt").resolve()
    assert f"{label}:2: class id 7 is not below the number of classes (2" in result.stderr
    assert "Running node: validate_detection_dataset" in result.stderr
    for prefix in ("split_", "train_", "register_"):
        assert f"Running node: {prefix}" not in result.stderr
    client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{project / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("mlops")
    runs = client.search_runs([experiment.experiment_id])
    assert [run.info.status for run in runs] == ["FAILED"]

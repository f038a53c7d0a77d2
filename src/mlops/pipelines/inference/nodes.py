"""Nodes that predict with the registered models, one node per model.

Each node takes the model that ``RegisteredModelDataset`` loaded, the input data and
the model's ``inference`` parameters, and returns a prediction table whose last column,
``model_version``, is the registered version that predicted.

The dataset loads a ``MissingModel`` after one WARNING when the registry has no such
model, alias or version. A node then returns an empty table with its fixed columns, so
the output file keeps no predictions of an earlier run.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from typing import Any

import pandas as pd

from mlops.datasets.registered import LoadedModel, MissingModel

logger = logging.getLogger(__name__)

VERSION_COLUMN = "model_version"
IMAGE_PATH_COLUMN = "image_path"
ROW_ID_COLUMN = "row_id"
BOX_COLUMNS = ["class_id", "class_name", "score", "x1", "y1", "x2", "y2"]
CLASS_COLUMNS = ["class_id", "class_name", "score"]


class InferenceInputError(ValueError):
    """The input data or the inference parameters do not fit the model."""


def predict_xgboost(
    model: LoadedModel | MissingModel, table: pd.DataFrame, params: dict[str, Any]
) -> pd.DataFrame:
    """Predict the target of each row, with one ``prob_<class>`` column per class.

    Args:
        model: The registered model, loaded with the ``xgboost`` flavor (class
            probabilities) or the ``pyfunc`` flavor (predictions only).
        table: Input rows. The target column is dropped when present.
        params: ``inference.xgboost``: ``target`` and ``id_column`` (null: the table's
            index, output as ``row_id``).

    Returns:
        The id column, ``prediction``, the ``prob_<class>`` columns of a classifier
        loaded with the ``xgboost`` flavor, and ``model_version``. One row per input row.

    Raises:
        InferenceInputError: If ``id_column`` or a feature column of the model is missing.
    """
    id_name = params.get("id_column") or ROW_ID_COLUMN
    if isinstance(model, MissingModel):
        return _empty_table([id_name, "prediction"])

    ids, features = _split_ids(table, params)
    features = _prepare_features(model.model, features)
    predictions = pd.DataFrame({id_name: ids, "prediction": model.model.predict(features)})
    probabilities = _class_probabilities(model.model, features)
    result = pd.concat([predictions, probabilities], axis=1)
    result[VERSION_COLUMN] = model.version
    logger.info(
        "Predicted %d rows with %s (version %s)", len(result), model.model_uri, model.version
    )
    return result


def detect_objects(
    model: LoadedModel | MissingModel, images: Mapping[str, bytes], params: dict[str, Any]
) -> pd.DataFrame:
    """Detect objects in each image with the registered YOLO pyfunc model.

    Args:
        model: The registered YOLO model, loaded with the ``pyfunc`` flavor.
        images: Encoded images by path relative to the input folder.
        params: ``inference.yolo``: ``batch_size``, the images per ``predict`` call.

    Returns:
        One row per box: ``image_path``, ``class_id``, ``class_name``, ``score``, the
        corners ``x1``, ``y1``, ``x2``, ``y2`` in pixels, and ``model_version``. An image
        without boxes has no row.
    """
    columns = [IMAGE_PATH_COLUMN, *BOX_COLUMNS]
    if isinstance(model, MissingModel):
        return _empty_table(columns)

    frames = []
    for paths, boxes in _predict_in_batches(model, images, params):
        image_paths = [paths[index] for index in boxes["image_id"]]
        frames.append(boxes.assign(**{IMAGE_PATH_COLUMN: image_paths})[columns])
    result = _concat_or_empty(frames, columns, model.version)
    logger.info(
        "Detected %d boxes in %d images with %s (version %s)",
        len(result),
        len(images),
        model.model_uri,
        model.version,
    )
    return result


def classify_images(
    model: LoadedModel | MissingModel, images: Mapping[str, bytes], params: dict[str, Any]
) -> pd.DataFrame:
    """Classify each image with the registered EfficientNet pyfunc model.

    Args:
        model: The registered EfficientNet model, loaded with the ``pyfunc`` flavor.
        images: Encoded images by path relative to the input folder.
        params: ``inference.efficientnet``: ``batch_size``, the images per ``predict`` call.

    Returns:
        One row per image: ``image_path``, ``class_id``, ``class_name``, ``score``, one
        ``prob_<class>`` column per class, and ``model_version``.
    """
    columns = [IMAGE_PATH_COLUMN, *CLASS_COLUMNS]
    if isinstance(model, MissingModel):
        return _empty_table(columns)

    frames = []
    for paths, classes in _predict_in_batches(model, images, params):
        labelled = classes.assign(**{IMAGE_PATH_COLUMN: paths})
        frames.append(labelled[[IMAGE_PATH_COLUMN, *classes.columns]])
    result = _concat_or_empty(frames, columns, model.version)
    logger.info(
        "Classified %d images with %s (version %s)", len(result), model.model_uri, model.version
    )
    return result


def _empty_table(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(columns=[*columns, VERSION_COLUMN])


def _concat_or_empty(frames: list[pd.DataFrame], columns: list[str], version: int) -> pd.DataFrame:
    if not frames:
        return _empty_table(columns)
    result = pd.concat(frames, ignore_index=True)
    result[VERSION_COLUMN] = version
    return result


def _predict_in_batches(
    model: LoadedModel, images: Mapping[str, bytes], params: dict[str, Any]
) -> Iterator[tuple[list[str], pd.DataFrame]]:
    """Yield the paths of each batch of images and the model's output for that batch."""
    batch_size = params["batch_size"]
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise InferenceInputError(
            f"Inference parameter batch_size is {batch_size!r}; expected a positive integer "
            "number of images per predict call. Set it in parameters_inference.yml."
        )
    paths = list(images)
    for start in range(0, len(paths), batch_size):
        batch = paths[start : start + batch_size]
        model_input = pd.DataFrame({"image": [images[path] for path in batch]})
        yield batch, model.model.predict(model_input)


def _split_ids(table: pd.DataFrame, params: dict[str, Any]) -> tuple[pd.Series, pd.DataFrame]:
    """Return the row ids and the feature columns, without the target column."""
    features = table.drop(columns=[params["target"]], errors="ignore")
    id_column = params.get("id_column")
    if id_column is None:
        return pd.Series(table.index, name=ROW_ID_COLUMN), features
    if id_column not in table.columns:
        raise InferenceInputError(
            f"Input table has no id column '{id_column}'; its columns are "
            f"{list(table.columns)}. Set inference.xgboost.id_column to one of them, or to "
            "null to use the row index."
        )
    return table[id_column].reset_index(drop=True), features.drop(columns=[id_column])


def _prepare_features(model: Any, features: pd.DataFrame) -> pd.DataFrame:
    """Select the model's feature columns in the model's order and cast categorical ones.

    Training turns text columns into ``category`` columns (``xgboost.text_columns``).
    The XGBoost estimator rejects them as text, so they are cast the same way here.
    """
    names, types = _feature_names_and_types(model)
    if names is None:
        return features.reset_index(drop=True)
    missing = [name for name in names if name not in features.columns]
    if missing:
        raise InferenceInputError(
            f"Input table lacks the model's feature columns {missing}; it has "
            f"{list(features.columns)}. Predict on a table with the columns the model "
            "was trained on."
        )
    selected = features[names].reset_index(drop=True)
    for name, kind in zip(names, types or [], strict=False):
        if kind == "c" and not isinstance(selected[name].dtype, pd.CategoricalDtype):
            selected[name] = selected[name].astype("string").astype("category")
    return selected


def _feature_names_and_types(model: Any) -> tuple[list[str] | None, list[str] | None]:
    """Return the feature names and XGBoost feature types the model expects, if known."""
    if hasattr(model, "get_booster"):
        booster = model.get_booster()
        return booster.feature_names, booster.feature_types
    schema = model.metadata.get_input_schema() if hasattr(model, "metadata") else None
    if schema is not None and schema.has_input_names():
        return schema.input_names(), None
    return None, None


def _class_probabilities(model: Any, features: pd.DataFrame) -> pd.DataFrame:
    """Return one ``prob_<class>`` column per class, or no column for other models."""
    if not hasattr(model, "predict_proba"):
        return pd.DataFrame(index=features.index)
    probabilities = model.predict_proba(features)
    columns = [f"prob_{label}" for label in model.classes_]
    return pd.DataFrame(probabilities, columns=columns, index=features.index)
